# What the CRM connectors share beyond pure helpers: the snapshot folder
# of their pulls, its checkpoint, replaying it through the host, and the
# review tasks' bodies and batches of the task sinks.
# Plugins link it; the core does not.
noinst_LTLIBRARIES += core/connector/libsgconnector.la
core_connector_libsgconnector_la_SOURCES = \
	core/connector/sg_snapshot.c core/connector/sg_snapshot.h \
	core/connector/sg_replay.c core/connector/sg_replay.h \
	core/connector/sg_tasks.c core/connector/sg_tasks.h \
	core/connector/sg_credentials.c core/connector/sg_credentials.h
core_connector_libsgconnector_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
# A plugin links it before core/util/libsgutil.la and jansson, which it
# uses: not added here, or their objects would come twice.
