# The csv source: canonical CSV layout or a CRM export through a mapping.
pkglib_LTLIBRARIES += plugins/csv/csv.la
plugins_csv_csv_la_SOURCES = plugins/csv/csv.c plugins/csv/csv_int.h \
	plugins/csv/csv_split.c plugins/csv/csv_mapping.c \
	plugins/csv/csv_mapping.h
plugins_csv_csv_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
plugins_csv_csv_la_LDFLAGS = $(SG_PLUGIN_LDFLAGS)
plugins_csv_csv_la_LIBADD = core/util/libsgutil.la $(JANSSON_LIBS)
