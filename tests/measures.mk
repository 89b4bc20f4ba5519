# tests of measures (Check program and CLI scripts): DESIGN §7 and §10
# rules 33-44, `stageguard metrics` and `stageguard pilot status`
check_PROGRAMS += tests/check_measures
TESTS += tests/check_measures tests/cli/metrics.sh tests/cli/pilot.sh
tests_check_measures_SOURCES = tests/check_measures.c tests/sg_test_model.h
tests_check_measures_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_measures_LDADD = $(SG_TEST_LDADD)
