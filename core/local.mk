# The core: model, config, loader, checks, ledger; the CLI on top.
noinst_LTLIBRARIES += core/libsgcore.la
core_libsgcore_la_SOURCES = \
	core/sg_plugin.h core/sg_plugin_records.h core/sg_plugin_report.h \
	core/sg_config.c core/sg_config.h \
	core/sg_options.c core/sg_options.h \
	core/sg_bigmem.c core/sg_bigmem.h \
	core/sg_strtab.c core/sg_strtab.h \
	core/sg_model.c core/sg_model.h \
	core/sg_checks.c core/sg_checks.h \
	core/sg_exception.c core/sg_exception.h \
	core/sg_record.c core/sg_record.h \
	core/sg_inputs.c core/sg_inputs.h core/sg_kept.c core/sg_kept_load.c core/sg_kept.h \
	core/store/ledger_db.h core/store/sg_ledger.c core/store/sg_ledger.h \
	core/store/ledger_schema.c core/store/ledger_record.c \
	core/store/ledger_inputs.c core/store/ledger_read.c \
	core/store/ledger_state.c core/store/ledger_task_refs.c \
	core/sg_state.c core/sg_state.h core/sg_queue.c core/sg_queue.h \
	core/sg_rules.c core/sg_rules.h \
	core/sg_loader.c core/sg_loader.h \
	core/sg_source.c core/sg_source.h \
	core/sg_http.c core/sg_http.h \
	core/sg_secrets.c core/sg_secrets.h core/sg_redact.c core/sg_redact.h \
	core/sg_write_back.c core/sg_write_back.h \
	core/sg_pull_progress.c core/sg_pull_progress.h \
	core/sg_draft.c core/sg_draft.h \
	core/sg_hash.c core/sg_hash.h \
	core/store/sg_review.c core/store/sg_review.h \
	core/store/review_internal.h core/store/review_queue.c \
	core/store/review_decide.c core/store/review_import.c \
	core/store/review_events.c \
	core/sg_measures.c core/sg_measures.h \
	core/sg_gate.c core/sg_gate.h \
	core/sg_evidence.c core/sg_evidence.h \
	core/sg_packed.c core/sg_packed.h \
	core/sg_sink.c core/sg_sink.h \
	core/sg_host.c core/sg_host.h
core_libsgcore_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(SQLITE_CFLAGS) $(CRYPTO_CFLAGS) \
	$(ZSTD_CFLAGS) $(LIBDEFLATE_CFLAGS)
core_libsgcore_la_LIBADD = core/util/libsgutil.la $(JANSSON_LIBS) $(CURL_LIBS) \
	$(SQLITE_LIBS) $(CRYPTO_LIBS) $(ZSTD_LIBS) $(LIBDEFLATE_LIBS) -lpthread

bin_PROGRAMS += stageguard
stageguard_SOURCES = \
	core/cli/main.c core/cli/cli.h core/cli/cli_common.c core/cli/cli_output.c \
	core/cli/cmd_plugins.c core/cli/cmd_check.c \
	core/cli/cmd_init.c core/cli/cmd_demo.c core/cli/cmd_pull.c \
	core/cli/cmd_review.c core/cli/cmd_events.c core/cli/cmd_gate.c \
	core/cli/cmd_metrics.c core/cli/cmd_pilot.c \
	core/cli/cli_publish.c core/cli/cmd_report.c
stageguard_LDADD = reports/libsgreports.la core/libsgcore.la
dist_man_MANS += docs/stageguard.1
