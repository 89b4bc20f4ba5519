# tests of config: the rules config loader and plugin option tables
check_PROGRAMS += tests/check_config tests/check_options
TESTS += tests/check_config tests/check_options
tests_check_config_SOURCES = tests/check_config.c
tests_check_config_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_config_LDADD = $(SG_TEST_LDADD)
tests_check_options_SOURCES = tests/check_options.c
tests_check_options_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_options_LDADD = $(SG_TEST_LDADD)
