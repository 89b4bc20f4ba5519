# The HubSpot source (docs/connectors/hubspot.md).
pkglib_LTLIBRARIES += plugins/hubspot/hubspot.la
plugins_hubspot_hubspot_la_SOURCES = plugins/hubspot/hubspot.c \
	plugins/hubspot/hubspot_int.h plugins/hubspot/hubspot_api.c \
	plugins/hubspot/hubspot_deals.c plugins/hubspot/hubspot_engagements.c \
	plugins/hubspot/hubspot_tasks.c plugins/hubspot/hubspot_snapshot.c \
	plugins/hubspot/hubspot_search.c plugins/hubspot/hubspot_sync.c
plugins_hubspot_hubspot_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	-I$(top_srcdir)/core/connector
plugins_hubspot_hubspot_la_LDFLAGS = $(SG_PLUGIN_LDFLAGS)
plugins_hubspot_hubspot_la_LIBADD = core/connector/libsgconnector.la \
	core/util/libsgutil.la $(JANSSON_LIBS)
EXTRA_DIST += tools/hubspot_fake.py
