# tests of ledger
check_PROGRAMS += tests/check_ledger
TESTS += tests/check_ledger
tests_check_ledger_SOURCES = tests/check_ledger.c tests/sg_test_ledger.h
tests_check_ledger_CFLAGS = $(SG_TEST_CFLAGS) $(SQLITE_CFLAGS)
tests_check_ledger_LDADD = $(SG_TEST_LDADD) $(SQLITE_LIBS) $(JANSSON_LIBS)

# the plugin state a pull works with (core/sg_state.c)
check_PROGRAMS += tests/check_state
TESTS += tests/check_state
tests_check_state_SOURCES = tests/check_state.c tests/sg_test_ledger.h
tests_check_state_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_state_LDADD = $(SG_TEST_LDADD) $(JANSSON_LIBS)

# a judged run into the ledger, its records made ahead (core/sg_record.c)
check_PROGRAMS += tests/check_record
TESTS += tests/check_record
tests_check_record_SOURCES = tests/check_record.c tests/sg_test_model.h
tests_check_record_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_record_LDADD = $(SG_TEST_LDADD)
