# Tests: one Check program per module (tests/<module>.mk), CLI scripts.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	STAGEGUARD='$(abs_top_builddir)/stageguard'; \
	SG_TEST_PLUGINS='$(abs_top_builddir)/tests/plugins/.libs'; \
	SG_SHARED_DATA="$${SG_SHARED_DATA:-$(abs_top_srcdir)/../shared/data}"; \
	CK_DEFAULT_TIMEOUT="$${CK_DEFAULT_TIMEOUT:-60}"; \
	export top_srcdir top_builddir STAGEGUARD SG_TEST_PLUGINS \
	SG_SHARED_DATA CK_DEFAULT_TIMEOUT;
EXTRA_DIST += tests/fixtures tests/cli tests/plugins
# The folders above are copied whole, from the build tree too: drop what a
# build left in them (test logs, objects, modules).
dist-hook: dist-clean-test-folders
dist-clean-test-folders:
	rm -rf $(distdir)/tests/plugins/.libs $(distdir)/tests/plugins/.deps \
		$(distdir)/tests/plugins/.dirstamp
	rm -f $(distdir)/tests/plugins/*.lo $(distdir)/tests/plugins/*.la \
		$(distdir)/tests/plugins/*.o $(distdir)/tests/cli/*.log \
		$(distdir)/tests/cli/*.trs $(distdir)/tests/cli/.dirstamp
.PHONY: dist-clean-test-folders
SG_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests
SG_TEST_LDADD = core/libsgcore.la $(CHECK_LIBS)

include $(srcdir)/tests/util.mk
include $(srcdir)/tests/config.mk
include $(srcdir)/tests/model.mk
include $(srcdir)/tests/inputs.mk
include $(srcdir)/tests/checks.mk
include $(srcdir)/tests/ledger.mk
include $(srcdir)/tests/loader.mk
include $(srcdir)/tests/csv.mk
include $(srcdir)/tests/cli.mk
include $(srcdir)/tests/review.mk
include $(srcdir)/tests/gate.mk
include $(srcdir)/tests/measures.mk
include $(srcdir)/tests/reports.mk
include $(srcdir)/tests/evidence.mk
include $(srcdir)/tests/xlsx.mk
include $(srcdir)/tests/metrics.mk
include $(srcdir)/tests/bundle.mk
include $(srcdir)/tests/sinks.mk
include $(srcdir)/tests/http.mk
