# reports/: what a report says, as renderer-neutral views (sg_reports.h).
noinst_LTLIBRARIES += reports/libsgreports.la
reports_libsgreports_la_SOURCES = reports/sg_reports.h \
	reports/report_view.c reports/report_view.h \
	reports/leadership.c reports/leadership_ledger.c \
	reports/leadership_model.c reports/leadership_defs.c \
	reports/metrics_data.c
reports_libsgreports_la_CFLAGS = $(AM_CFLAGS)
reports_libsgreports_la_LIBADD = core/libsgcore.la -lm
