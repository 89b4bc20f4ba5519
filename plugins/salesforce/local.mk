# The Salesforce source (docs/connectors/salesforce.md).
pkglib_LTLIBRARIES += plugins/salesforce/salesforce.la
plugins_salesforce_salesforce_la_SOURCES = plugins/salesforce/salesforce.c \
	plugins/salesforce/salesforce_int.h plugins/salesforce/salesforce_api.c \
	plugins/salesforce/salesforce_soql.c \
	plugins/salesforce/salesforce_records.c \
	plugins/salesforce/salesforce_tasks.c plugins/salesforce/salesforce_sync.c \
	plugins/salesforce/salesforce_bulk.c
plugins_salesforce_salesforce_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	-I$(top_srcdir)/core/connector
plugins_salesforce_salesforce_la_LDFLAGS = $(SG_PLUGIN_LDFLAGS)
plugins_salesforce_salesforce_la_LIBADD = core/connector/libsgconnector.la \
	core/util/libsgutil.la \
	$(JANSSON_LIBS) -lm
EXTRA_DIST += tools/salesforce_fake.py
