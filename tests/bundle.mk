# tests of the bundle sink
# The plugin's code is linked in and driven through its descriptor with a
# fake host; the system tar, zstd, unzip and sha256sum check its output.
check_PROGRAMS += tests/check_bundle
TESTS += tests/check_bundle
tests_check_bundle_SOURCES = tests/check_bundle.c plugins/bundle/bundle.c \
	plugins/bundle/bundle_int.h plugins/bundle/bundle_gzip.c \
	plugins/bundle/bundle_manifest.c plugins/bundle/bundle_packed.c \
	plugins/bundle/bundle_verify.c
tests_check_bundle_CFLAGS = $(SG_TEST_CFLAGS) $(LIBARCHIVE_CFLAGS) \
	$(CRYPTO_CFLAGS) $(ZLIB_CFLAGS) $(JANSSON_CFLAGS)
tests_check_bundle_LDADD = core/util/libsgutil.la \
	core/util/libsgdeflate.la $(LIBARCHIVE_LIBS) \
	$(CRYPTO_LIBS) $(ZLIB_LIBS) $(JANSSON_LIBS) $(CHECK_LIBS)
