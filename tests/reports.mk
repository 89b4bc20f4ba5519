# tests of reports/: the leadership report and the metrics data as
# renderer-neutral views (sections, typed tables, charts)
check_PROGRAMS += tests/check_reports
TESTS += tests/check_reports
tests_check_reports_SOURCES = tests/check_reports.c tests/sg_test_model.h
tests_check_reports_CFLAGS = $(SG_TEST_CFLAGS) $(SQLITE_CFLAGS)
tests_check_reports_LDADD = reports/libsgreports.la $(SG_TEST_LDADD) \
	$(SQLITE_LIBS) $(JANSSON_LIBS)
