# tests of the sink host (core/sg_sink.c) with a test-only sink, and of the
# commands that write through sinks: report, bundle, run and demo.
check_LTLIBRARIES += tests/plugins/testsink.la
tests_plugins_testsink_la_SOURCES = tests/plugins/testsink.c
tests_plugins_testsink_la_LDFLAGS = $(SG_TEST_PLUGIN_LDFLAGS) \
	-export-symbols-regex '^sg_plugin_entry$$'
tests_plugins_testsink_la_LIBADD = core/util/libsgutil.la

check_PROGRAMS += tests/check_sink
TESTS += tests/check_sink
tests_check_sink_SOURCES = tests/check_sink.c tests/sg_test.h
tests_check_sink_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_sink_LDADD = $(SG_TEST_LDADD)
TESTS += tests/cli/report.sh tests/cli/outputs.sh tests/cli/fulldisk.sh
TESTS += tests/cli/bundle.sh tests/cli/bundle_packed.sh

# An archiving sink that takes neither unfinished nor packed files.
check_LTLIBRARIES += tests/plugins/testarchive.la
tests_plugins_testarchive_la_SOURCES = tests/plugins/testarchive.c
tests_plugins_testarchive_la_LDFLAGS = $(SG_TEST_PLUGIN_LDFLAGS) \
	-export-symbols-regex '^sg_plugin_entry$$'
tests_plugins_testarchive_la_LIBADD = core/util/libsgutil.la

# A write-back sink against the fake CRM of tests/http_server.py.
check_LTLIBRARIES += tests/plugins/testtasks.la
tests_plugins_testtasks_la_SOURCES = tests/plugins/testtasks.c
tests_plugins_testtasks_la_CFLAGS = $(AM_CFLAGS)
tests_plugins_testtasks_la_LDFLAGS = $(SG_TEST_PLUGIN_LDFLAGS) \
	-export-symbols-regex '^sg_plugin_entry$$'
tests_plugins_testtasks_la_LIBADD = core/util/libsgutil.la $(JANSSON_LIBS)
TESTS += tests/cli/writeback.sh
