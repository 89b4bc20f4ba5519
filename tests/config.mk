# tests of config: the rules config loader and plugin option tables
check_PROGRAMS += tests/check_config tests/check_options
TESTS += tests/check_config tests/check_options
tests_check_config_SOURCES = tests/check_config.c
tests_check_config_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_config_LDADD = $(SG_TEST_LDADD)
tests_check_options_SOURCES = tests/check_options.c
tests_check_options_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_options_LDADD = $(SG_TEST_LDADD)

# A rules config drafted from a pipeline description (init --from).
check_PROGRAMS += tests/check_draft
TESTS += tests/check_draft
tests_check_draft_SOURCES = tests/check_draft.c tests/sg_test.h
tests_check_draft_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_draft_LDADD = $(SG_TEST_LDADD) $(JANSSON_LIBS)
