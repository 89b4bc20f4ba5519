# The metrics sink: metrics.json, metrics.csv and events.jsonl for a warehouse.
pkglib_LTLIBRARIES += plugins/metrics/metrics.la
plugins_metrics_metrics_la_SOURCES = plugins/metrics/metrics.c
plugins_metrics_metrics_la_CFLAGS = $(AM_CFLAGS)  -fvisibility=hidden
plugins_metrics_metrics_la_LDFLAGS = $(SG_PLUGIN_LDFLAGS)
plugins_metrics_metrics_la_LIBADD = core/util/libsgutil.la $(JANSSON_LIBS)
