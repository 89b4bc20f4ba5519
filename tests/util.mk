# tests of util: times and zones; decimals, the missing rule and hashing;
# the canonical CSV layout
check_PROGRAMS += tests/check_time tests/check_util
TESTS += tests/check_time tests/check_util
tests_check_time_SOURCES = tests/check_time.c tests/sg_test_table.h
tests_check_time_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_time_LDADD = $(SG_TEST_LDADD)
tests_check_util_SOURCES = tests/check_util.c tests/sg_test_table.h
tests_check_util_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_util_LDADD = $(SG_TEST_LDADD)

# The canonical CSV layout's table: a pure helper, so only libsgutil.
check_PROGRAMS += tests/check_canonical
TESTS += tests/check_canonical
tests_check_canonical_SOURCES = tests/check_canonical.c tests/sg_test_table.h
tests_check_canonical_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_canonical_LDADD = core/util/libsgutil.la $(CHECK_LIBS)

# A pipeline guessed from stage histories (init --from): a pure helper.
check_PROGRAMS += tests/check_pipeline_guess
TESTS += tests/check_pipeline_guess
tests_check_pipeline_guess_SOURCES = tests/check_pipeline_guess.c
tests_check_pipeline_guess_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_pipeline_guess_LDADD = core/util/libsgutil.la $(CHECK_LIBS)

# SOQL quoting and the opportunity filter of the Salesforce plugin: its
# one file of pure functions, compiled in.
check_PROGRAMS += tests/check_soql
TESTS += tests/check_soql
tests_check_soql_SOURCES = tests/check_soql.c tests/sg_test_table.h \
	plugins/salesforce/salesforce_soql.c
tests_check_soql_CFLAGS = $(SG_TEST_CFLAGS) \
	-I$(top_srcdir)/plugins/salesforce -I$(top_srcdir)/core/connector \
	$(JANSSON_CFLAGS)
tests_check_soql_LDADD = core/util/libsgutil.la $(JANSSON_LIBS) $(CHECK_LIBS)

# What the connectors share: the snapshot folder, its checkpoint, replay.
check_PROGRAMS += tests/check_snapshot
TESTS += tests/check_snapshot
tests_check_snapshot_SOURCES = tests/check_snapshot.c
tests_check_snapshot_CFLAGS = $(SG_TEST_CFLAGS) \
	-I$(top_srcdir)/core/connector $(JANSSON_CFLAGS)
tests_check_snapshot_LDADD = core/connector/libsgconnector.la \
	core/util/libsgutil.la $(JANSSON_LIBS) $(CHECK_LIBS)

# Raw deflate on worker threads: its own library (zlib, threads).
check_PROGRAMS += tests/check_deflate
TESTS += tests/check_deflate
tests_check_deflate_SOURCES = tests/check_deflate.c
tests_check_deflate_CFLAGS = $(SG_TEST_CFLAGS) $(ZLIB_CFLAGS)
tests_check_deflate_LDADD = core/util/libsgdeflate.la core/util/libsgutil.la \
	$(ZLIB_LIBS) $(CHECK_LIBS)
