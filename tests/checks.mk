# tests of checks: the stage-progression checks, routing, notes, JSON
check_PROGRAMS += tests/check_checks
TESTS += tests/check_checks
tests_check_checks_SOURCES = tests/check_checks.c tests/sg_test_model.h
tests_check_checks_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_checks_LDADD = $(SG_TEST_LDADD)
