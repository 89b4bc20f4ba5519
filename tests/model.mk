# tests of the model: interning, grouping, sorting, duplicates, orphans,
# field values at an instant (rule 21).
check_PROGRAMS += tests/check_model
TESTS += tests/check_model
tests_check_model_SOURCES = tests/check_model.c tests/sg_test.h \
	tests/sg_test_model.h
tests_check_model_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_model_LDADD = $(SG_TEST_LDADD)
