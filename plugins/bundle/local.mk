# The bundle sink: an archived, verifiable evidence bundle (libarchive).
pkglib_LTLIBRARIES += plugins/bundle/bundle.la
plugins_bundle_bundle_la_SOURCES = plugins/bundle/bundle.c \
	plugins/bundle/bundle_int.h plugins/bundle/bundle_gzip.c \
	plugins/bundle/bundle_manifest.c plugins/bundle/bundle_packed.c \
	plugins/bundle/bundle_verify.c
plugins_bundle_bundle_la_CFLAGS = $(AM_CFLAGS) $(LIBARCHIVE_CFLAGS) $(CRYPTO_CFLAGS) $(ZLIB_CFLAGS) -fvisibility=hidden
plugins_bundle_bundle_la_LDFLAGS = $(SG_PLUGIN_LDFLAGS)
plugins_bundle_bundle_la_LIBADD = core/util/libsgutil.la \
	core/util/libsgdeflate.la $(LIBARCHIVE_LIBS) $(CRYPTO_LIBS) $(ZLIB_LIBS) $(JANSSON_LIBS)
