# tests of the plugin loader and the source host table, with test-only
# plugins (a working source, one both source and sink, and three broken
# modules).
SG_TEST_PLUGIN_LDFLAGS = -module -avoid-version -no-undefined -shared \
	-rpath /nowhere
check_LTLIBRARIES += tests/plugins/testsrc.la tests/plugins/badabi.la \
	tests/plugins/badname.la tests/plugins/noentry.la \
	tests/plugins/testboth.la
tests_plugins_testsrc_la_SOURCES = tests/plugins/testsrc.c
tests_plugins_testsrc_la_LDFLAGS = $(SG_TEST_PLUGIN_LDFLAGS) \
	-export-symbols-regex '^sg_plugin_entry$$'
tests_plugins_testsrc_la_LIBADD = core/util/libsgutil.la
tests_plugins_badabi_la_SOURCES = tests/plugins/badabi.c
tests_plugins_badabi_la_LDFLAGS = $(SG_TEST_PLUGIN_LDFLAGS) \
	-export-symbols-regex '^sg_plugin_entry$$'
tests_plugins_badname_la_SOURCES = tests/plugins/badname.c
tests_plugins_badname_la_LDFLAGS = $(SG_TEST_PLUGIN_LDFLAGS) \
	-export-symbols-regex '^sg_plugin_entry$$'
tests_plugins_badname_la_LIBADD = core/util/libsgutil.la
tests_plugins_testboth_la_SOURCES = tests/plugins/testboth.c
tests_plugins_testboth_la_LDFLAGS = $(SG_TEST_PLUGIN_LDFLAGS) \
	-export-symbols-regex '^sg_plugin_entry$$'
tests_plugins_testboth_la_LIBADD = core/util/libsgutil.la
tests_plugins_noentry_la_SOURCES = tests/plugins/noentry.c
tests_plugins_noentry_la_LDFLAGS = $(SG_TEST_PLUGIN_LDFLAGS)

check_PROGRAMS += tests/check_loader
TESTS += tests/check_loader
tests_check_loader_SOURCES = tests/check_loader.c tests/sg_test.h
tests_check_loader_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_loader_LDADD = $(SG_TEST_LDADD)

# A connector against the loopback test server (tests/cli/secrets.sh).
check_LTLIBRARIES += tests/plugins/testnet.la
tests_plugins_testnet_la_SOURCES = tests/plugins/testnet.c
tests_plugins_testnet_la_CFLAGS = $(AM_CFLAGS)
tests_plugins_testnet_la_LDFLAGS = $(SG_TEST_PLUGIN_LDFLAGS) \
	-export-symbols-regex '^sg_plugin_entry$$'
tests_plugins_testnet_la_LIBADD = core/util/libsgutil.la $(JANSSON_LIBS)
TESTS += tests/cli/secrets.sh tests/cli/hubspot.sh tests/cli/hubspot_tasks.sh \
	tests/cli/hubspot_sync.sh tests/cli/salesforce.sh \
	tests/cli/salesforce_tasks.sh tests/cli/salesforce_sync.sh
