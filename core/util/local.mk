# Pure helpers shared by the core and the plugins: no state, no I/O beyond
# the file a reader is handed.
noinst_LTLIBRARIES += core/util/libsgutil.la
core_util_libsgutil_la_SOURCES = \
	core/util/sg_error.c core/util/sg_error.h \
	core/util/sg_time.c core/util/sg_time.h core/util/sg_time_int.h \
	core/util/sg_zone.c \
	core/util/sg_decimal.c core/util/sg_decimal.h \
	core/util/sg_missing.c core/util/sg_missing.h \
	core/util/sg_csv.c core/util/sg_csv.h \
	core/util/sg_utf8.c core/util/sg_utf8.h \
	core/util/sg_path.c core/util/sg_path.h \
	core/util/sg_canonical.c core/util/sg_canonical.h \
	core/util/sg_canonical_records.c core/util/sg_canonical_records.h \
	core/util/sg_stage_values.c core/util/sg_stage_values.h \
	core/util/sg_url.c core/util/sg_url.h \
	core/util/sg_pipeline_guess.c core/util/sg_pipeline_guess.h

# Deflate on worker threads (pigz's method; gzip members by libdeflate),
# for the sinks whose outputs are too large for one core to compress:
# apart from libsgutil so that only its users link zlib, libdeflate and
# threads.
noinst_LTLIBRARIES += core/util/libsgdeflate.la
core_util_libsgdeflate_la_SOURCES = core/util/sg_deflate.c \
	core/util/sg_deflate.h
core_util_libsgdeflate_la_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS) $(LIBDEFLATE_CFLAGS)
core_util_libsgdeflate_la_LIBADD = $(ZLIB_LIBS) $(LIBDEFLATE_LIBS) -lpthread
