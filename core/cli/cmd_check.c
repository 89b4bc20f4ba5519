/*
 * cmd_check.c - `stageguard check` and `stageguard run`: pull, judge the
 * window, and (unless --dry-run) record the run in the ledger.
 */
#include "cli.h"

#include "sg_host.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char check_usage[] =
"usage: stageguard check [-c CONFIG] [--source NAME[:ARG]] [--as-of T]\n"
"                        [--since T] [--allow-stale] [--allow-backdated]\n"
"                        [--dry-run]\n"
"                        [--format text|jsonl] [--ledger FILE]\n"
"\n"
"Judges every stage move with changed_at in (since, as-of] and every open\n"
"opportunity at as-of, and prints the exceptions.  Without --dry-run the\n"
"run is recorded in the ledger (review tasks are created for new\n"
"exceptions).  as-of defaults to now; since to the previous recorded run's\n"
"as-of, else the pilot start, else the beginning of history.  A recorded\n"
"run goes forward: an as-of before the last recorded run's is refused\n"
"unless --allow-backdated; a since after the as-of always.  One run records\n"
"in a ledger at a time: another waits for it.\n"
"Exit status: 0 done, 2 bad usage/config/input, 3 paused (stale snapshot),\n"
"4 a source failed, 1 anything else.\n";

static const char run_usage[] =
"usage: stageguard run [-c CONFIG] [--source NAME[:ARG]] [--as-of T]\n"
"                      [--allow-stale] [--allow-backdated] [--ledger FILE]\n"
"\n"
"The daily job: pulls the configured source, judges the moves since the\n"
"previous run, records the exceptions, review tasks and measurement events\n"
"in the ledger in one transaction, and prints a summary.  Then writes\n"
"every output the config's \"sinks\" name (the workbook, the metrics, the\n"
"evidence bundle).  An as-of before the last recorded run's is refused\n"
"unless --allow-backdated; a second run on the same ledger waits for the\n"
"first.\n";

static int open_ledger(struct sg_ledger **ledger,
		       const struct cli_session *s,
		       const struct cli_options *o, struct sg_error *err)
{
	const char *path = cli_ledger_path(o, s->config);

	*ledger = NULL;
	if (path == NULL) {
		if (o->dry_run)
			return SG_OK;
		return sg_error_set(err, SG_ERR_USAGE,
				    "%s names no ledger: add \"ledger\": "
				    "\"stageguard.db\", pass --ledger FILE, or "
				    "use --dry-run", s->config->path);
	}
	/* A dry run reads an existing ledger but never creates one. */
	if (o->dry_run && access(path, F_OK) != 0)
		return SG_OK;
	return sg_ledger_open(ledger, path, err);
}

/* One run records at a time: a second waits, saying so, until the
 * first has recorded (Ctrl-C ends the wait). */
static int lock_ledger(struct sg_ledger *ledger, struct sg_error *err)
{
	int rc = sg_ledger_lock_runs(ledger, 0, NULL, err);

	if (rc != 1)
		return rc;
	fprintf(stderr, "stageguard: another run is recording in %s; "
		"waiting for it to finish\n", sg_ledger_path(ledger));
	return sg_ledger_lock_runs(ledger, 1, sg_host_cancel_requested, err);
}

static void print_outcome(FILE *out, const struct cli_session *s,
			  const struct sg_exceptions *list,
			  const struct sg_run_record *run,
			  const struct sg_run_outcome *outcome)
{
	struct sg_model_view view;
	char as_of[SG_TIME_ISO_SIZE];

	sg_model_view(s->model, &view);
	fprintf(out, "run %s recorded: as of %s, %zu opportunities (%u evaluated, "
	       "%u paused), %zu exceptions: %zu new, %zu seen before; "
	       "%zu review tasks created\n",
	       run->id, sg_time_format_iso(s->window.as_of, as_of),
	       view.opp_count, list->evaluated, list->paused, list->count,
	       outcome->new_exceptions, outcome->seen_again,
	       outcome->tasks_created);
}

/* With -v, what the run kept of its records, and how small. */
static void report_kept(const struct cli_options *o,
			const struct cli_session *s)
{
	struct sg_inputs_totals t;

	if (o->verbose == 0 || s->kept == NULL)
		return;
	sg_kept_totals(s->kept, &t);
	fprintf(stderr, "stageguard: kept %zu records of the source: %.1f MB "
		"encoded, %.1f MB stored in %zu chunks (%zu of them stored "
		"by an earlier run)\n", t.records, (double)t.raw_bytes / 1e6,
		(double)t.stored_bytes / 1e6, t.chunks, t.stored_before);
}

/* The daily job's outputs: every sink the config names.  The run is
 * recorded already; a sink that fails says how to write it again. */
static int run_sinks(struct cli_session *s, struct sg_ledger *ledger,
		     const struct cli_options *o, struct sg_error *err)
{
	struct cli_sink_job *jobs = NULL;
	size_t count = 0;
	int rc = cli_config_sink_jobs(s, &jobs, &count, err);

	if (rc == SG_OK && count > 0) {
		fflush(stdout);
		rc = cli_publish(s, ledger, jobs, count,
				 o->quiet ? SG_LOG_WARN : SG_LOG_INFO, err);
		if (rc != SG_OK)
			fprintf(stderr, "stageguard: the run is recorded; "
				"write its outputs again with `%s report` or "
				"`%s bundle` once this is fixed\n",
				cli_program, cli_program);
	}
	free(jobs);
	return rc;
}

/* The shared body of check and run. */
static int check_and_record(const struct cli_options *o, int is_run)
{
	struct cli_session s;
	struct sg_ledger *ledger = NULL;
	struct sg_exceptions list;
	struct sg_run_outcome outcome = { 0 };
	struct sg_run_record run;
	struct sg_error err;
	int rc;

	sg_error_clear(&err);
	sg_exceptions_init(&list);
	rc = cli_session_open(&s, o, &err);
	/* A run keeps the records it judges in the ledger, so the ledger
	 * is opened first. */
	if (rc == SG_OK)
		rc = open_ledger(&ledger, &s, o, &err);
	if (rc == SG_OK && !o->dry_run)
		rc = lock_ledger(ledger, &err);
	if (rc == SG_OK && !o->dry_run)
		rc = cli_session_keep(&s, ledger, &err);
	else if (rc == SG_OK)
		cli_session_read_state(&s, ledger);
	if (rc == SG_OK)
		rc = cli_session_pull(&s, o, &err);
	if (rc == SG_OK)
		cli_phase(&s, "loaded the source");
	if (rc == SG_OK)
		rc = cli_session_window(&s, o, ledger, &err);
	if (rc == SG_OK)
		rc = cli_session_stale_gate(&s, o, &err);
	if (rc == SG_OK)
		rc = cli_run_checks(&s, &list, &err);
	if (rc == SG_OK)
		cli_phase(&s, "ran the checks");
	if (rc == SG_OK && !is_run)
		rc = cli_print_exceptions(stdout, &s, &list, o->format, &err);
	if (rc == SG_OK && !is_run)
		cli_phase(&s, "wrote the exceptions");
	if (rc == SG_OK && !o->dry_run) {
		memset(&run, 0, sizeof(run));
		rc = cli_record_run(&s, ledger, &list, &run, &outcome, &err);
		report_kept(o, &s);
		if (rc == SG_OK)
			cli_phase(&s, "recorded the run");
		if (rc == SG_OK)
			/* check keeps stdout for the exceptions themselves. */
			print_outcome(is_run ? stdout : stderr, &s, &list,
				      &run, &outcome);
	}
	if (rc == SG_OK && is_run) {
		rc = run_sinks(&s, ledger, o, &err);
		if (rc == SG_OK)
			cli_phase(&s, "wrote the outputs");
	}
	fflush(stdout);
	sg_exceptions_release(&list);
	sg_ledger_close(ledger);
	cli_session_close(&s);
	return rc == SG_OK ? 0 : cli_fail(&err);
}

int cmd_check(int argc, char **argv)
{
	struct cli_options o;
	int first, rc;

	rc = cli_parse_options(argc, argv, CLI_OPT_CONFIG | CLI_OPT_PLUGIN_DIR |
			       CLI_OPT_LEDGER | CLI_OPT_SOURCE | CLI_OPT_AS_OF |
			       CLI_OPT_SINCE | CLI_OPT_ALLOW_STALE |
			       CLI_OPT_ALLOW_BACKDATED | CLI_OPT_DRY_RUN |
			       CLI_OPT_FORMAT, check_usage,
			       &o, &first);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (first < argc)
		return cli_usage_error("check", "unexpected argument \"%s\"",
				       argv[first]);
	if (o.format != NULL && strcmp(o.format, "text") != 0 &&
	    strcmp(o.format, "jsonl") != 0)
		return cli_usage_error("check", "--format %s: expected text "
				       "or jsonl", o.format);
	return check_and_record(&o, 0);
}

int cmd_run(int argc, char **argv)
{
	struct cli_options o;
	int first, rc;

	rc = cli_parse_options(argc, argv, CLI_OPT_CONFIG | CLI_OPT_PLUGIN_DIR |
			       CLI_OPT_LEDGER | CLI_OPT_SOURCE | CLI_OPT_AS_OF |
			       CLI_OPT_ALLOW_STALE | CLI_OPT_ALLOW_BACKDATED,
			       run_usage, &o, &first);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (first < argc)
		return cli_usage_error("run", "unexpected argument \"%s\"",
				       argv[first]);
	return check_and_record(&o, 1);
}
