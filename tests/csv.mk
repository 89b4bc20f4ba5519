# tests of csv: the RFC 4180 reader and the csv source plugin.
check_PROGRAMS += tests/check_csvreader
TESTS += tests/check_csvreader
tests_check_csvreader_SOURCES = tests/check_csvreader.c tests/sg_csv_test.h
tests_check_csvreader_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_csvreader_LDADD = core/util/libsgutil.la $(CHECK_LIBS)

# The plugin's code is linked in and driven through its descriptor with a
# fake host (no loader involved).
check_PROGRAMS += tests/check_csv
TESTS += tests/check_csv
tests_check_csv_SOURCES = tests/check_csv.c \
	plugins/csv/csv.c plugins/csv/csv_int.h plugins/csv/csv_split.c \
	plugins/csv/csv_mapping.c plugins/csv/csv_mapping.h
tests_check_csv_CFLAGS = $(SG_TEST_CFLAGS) -I$(top_srcdir)/plugins/csv
tests_check_csv_LDADD = core/util/libsgutil.la $(JANSSON_LIBS) $(CHECK_LIBS)
