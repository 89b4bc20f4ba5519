/*
 * cmd_pilot.c - `stageguard pilot status`: which day of the pilot this
 * is, runs done and missed, open and overdue reviews, and whether the
 * pilot's threshold holds: every exception raised in the pilot routed to
 * a reviewer, with its evidence (review note and detail), and a
 * disposition required (its task open, or closed by a disposition).
 * Reads the config and the ledger only; pulls no source.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PILOT_DAY 86400
#define PILOT_MAX_DAYS 3660

static const char pilot_usage[] =
"usage: stageguard pilot status [-c CONFIG] [--as-of T] [--ledger FILE]\n"
"                               [--format text|json]\n"
"\n"
"Says which day of the pilot (config \"pilot\": start, days) as-of falls\n"
"on (default now), the runs recorded in the pilot and the days with no\n"
"run, the review tasks open and overdue at as-of, and whether the\n"
"threshold holds: every exception raised in the pilot is routed to a\n"
"reviewer with evidence (its review note and detail) and a required\n"
"disposition.  Reads the ledger only; pulls no source.\n";

struct pilot_status {
	sg_time start, end, as_of;
	int days;
	int day;                /* 1-based; 0 not started; days+1 ended */
	size_t runs;            /* recorded with as-of in the pilot */
	uint8_t ran[PILOT_MAX_DAYS];
	int ended_days;         /* days over by as-of */
	int missed;
	int today_ran;
	size_t open, overdue;
	size_t raised;          /* exceptions first seen in the pilot */
	size_t no_task, no_assignee, no_note, no_detail, no_disposition;
};

static int pilot_run_seen(void *arg, sg_time as_of, struct sg_error *err)
{
	struct pilot_status *st = arg;
	int64_t d = (as_of - st->start) / PILOT_DAY;

	(void)err;
	st->runs++;
	if (d >= 0 && d < st->days)
		st->ran[d] = 1;
	return SG_OK;
}

static int pilot_runs(struct pilot_status *st, struct sg_ledger *ledger,
		      struct sg_error *err)
{
	return sg_ledger_each_run_as_of(ledger, st->start, st->end, st->as_of,
					pilot_run_seen, st, err);
}

static int pilot_reviews(struct pilot_status *st, struct sg_ledger *ledger,
			 struct sg_error *err)
{
	struct sg_task_counts counts;
	int rc = sg_ledger_task_counts(ledger, st->as_of, &counts, err);

	st->open = counts.open;
	st->overdue = counts.overdue;
	return rc;
}

/* Nonzero when text is the members of the exception's type as the
 * ledger keeps them: a JSON object (a regression has none). */
static int pilot_detail_ok(const char *text)
{
	size_t n = text != NULL ? strlen(text) : 0;

	return n >= 2 && text[0] == '{' && text[n - 1] == '}';
}

static int pilot_blank(const char *s)
{
	if (s == NULL)
		return 1;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return *s == '\0';
}

static int pilot_threshold_row(void *arg, const struct sg_review_row *row,
			       struct sg_error *err)
{
	struct pilot_status *st = arg;

	(void)err;
	st->raised++;
	if (pilot_blank(row->ex.note))
		st->no_note++;
	if (!pilot_detail_ok(row->ex.details))
		st->no_detail++;
	if (!row->has_task) {
		st->no_task++;
		return SG_OK;
	}
	if (pilot_blank(row->assignee))
		st->no_assignee++;
	/* Open: a disposition is required.  Closed: by one. */
	if (row->status == NULL ||
	    (strcmp(row->status, "open") != 0 &&
	     (strcmp(row->status, "closed") != 0 ||
	      pilot_blank(row->disposition) ||
	      row->decided_at == SG_TIME_NONE)))
		st->no_disposition++;
	return SG_OK;
}

static int pilot_threshold(struct pilot_status *st, struct sg_ledger *ledger,
			   struct sg_error *err)
{
	struct sg_review_rows_query q;

	q.which = SG_ROWS_RAISED_IN;
	q.t = st->as_of;
	q.from = st->start;
	q.until = st->end;
	return sg_ledger_each_review_row(ledger, &q, pilot_threshold_row, st,
					 err);
}

static void pilot_days(struct pilot_status *st)
{
	int d;

	if (st->as_of < st->start) {
		st->day = 0;
		st->ended_days = 0;
	} else if (st->as_of >= st->end) {
		st->day = st->days + 1;
		st->ended_days = st->days;
	} else {
		st->day = (int)((st->as_of - st->start) / PILOT_DAY) + 1;
		st->ended_days = st->day - 1;
		st->today_ran = st->ran[st->day - 1];
	}
	for (d = 0; d < st->ended_days; d++)
		st->missed += !st->ran[d];
}

static int pilot_holds(const struct pilot_status *st)
{
	return st->no_task == 0 && st->no_assignee == 0 && st->no_note == 0 &&
	       st->no_detail == 0 && st->no_disposition == 0;
}

/* Appends the reasons the threshold fails to arr (JSON) or prints them. */
static int pilot_reasons(const struct pilot_status *st, json_t *arr)
{
	const struct {
		size_t n;
		const char *what;
	} r[] = {
		{ st->no_task, "routed to no review task" },
		{ st->no_assignee, "have a review task with no assignee" },
		{ st->no_note, "carry no review note" },
		{ st->no_detail, "carry no evidence detail" },
		{ st->no_disposition, "have a closed task without a "
				      "disposition" },
	};
	char line[160];
	size_t i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (r[i].n == 0)
			continue;
		snprintf(line, sizeof(line), "%zu of %zu exceptions %s",
			 r[i].n, st->raised, r[i].what);
		if (arr == NULL)
			printf("  - %s\n", line);
		else if (json_array_append_new(arr, json_string(line)) != 0)
			return -1;
	}
	return 0;
}

static const char *pilot_state(const struct pilot_status *st)
{
	if (st->day == 0)
		return "not_started";
	if (st->day > st->days)
		return "ended";
	return "running";
}

static int pilot_print_json(const struct pilot_status *st,
			    struct sg_error *err)
{
	char a[SG_TIME_ISO_SIZE], b[SG_TIME_ISO_SIZE], c[SG_TIME_ISO_SIZE];
	json_t *missed = json_array(), *reasons = json_array(), *obj;
	int d, ok = missed && reasons;

	for (d = 0; ok && d < st->ended_days; d++) {
		if (st->ran[d])
			continue;
		ok = json_array_append_new(missed, json_string(
			sg_time_format_date(st->start +
					    (sg_time)d * PILOT_DAY, a))) == 0;
	}
	ok = ok && pilot_reasons(st, reasons) == 0;
	obj = ok ? json_pack("{s:s, s:s, s:s, s:i, s:s, s:o, s:I, s:i,"
			     " s:O, s:b, s:I, s:I, s:I,"
			     " s:{s:b, s:O}}",
			     "as_of", sg_time_format_iso(st->as_of, a),
			     "start", sg_time_format_iso(st->start, b),
			     "end", sg_time_format_iso(st->end, c),
			     "days", st->days,
			     "state", pilot_state(st),
			     "day", st->day >= 1 && st->day <= st->days ?
				    json_integer(st->day) : json_null(),
			     "runs_done", (json_int_t)st->runs,
			     "runs_missed", st->missed,
			     "missed_days", missed,
			     "ran_today", st->today_ran,
			     "open_reviews", (json_int_t)st->open,
			     "overdue_reviews", (json_int_t)st->overdue,
			     "exceptions_raised", (json_int_t)st->raised,
			     "threshold", "holds", pilot_holds(st),
			     "reasons", reasons) : NULL;
	json_decref(missed);
	json_decref(reasons);
	if (obj == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	json_dumpf(obj, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(obj);
	return SG_OK;
}

static void pilot_print_text(const struct pilot_status *st)
{
	char a[SG_TIME_ISO_SIZE], b[SG_TIME_ISO_SIZE], c[SG_TIME_ISO_SIZE];
	int d, shown = 0;

	printf("pilot %s .. %s (%d days), as of %s: ",
	       sg_time_format_date(st->start, a),
	       sg_time_format_date(st->end - 1, b), st->days,
	       sg_time_format_iso(st->as_of, c));
	if (st->day == 0)
		printf("not started\n");
	else if (st->day > st->days)
		printf("ended\n");
	else
		printf("day %d of %d\n", st->day, st->days);
	printf("runs: %zu done, %d missed", st->runs, st->missed);
	for (d = 0; d < st->ended_days; d++) {
		if (st->ran[d])
			continue;
		if (shown < 10)
			printf("%s%s", shown ? ", " : " (days without a run: ",
			       sg_time_format_date(st->start +
						   (sg_time)d * PILOT_DAY, a));
		shown++;
	}
	if (shown > 10)
		printf(", and %d more", shown - 10);
	printf("%s", shown ? ")" : "");
	if (st->day >= 1 && st->day <= st->days)
		printf("; today: %s", st->today_ran ? "run done" :
						       "no run yet");
	printf("\nreviews: %zu open, %zu overdue\n", st->open, st->overdue);
	if (pilot_holds(st)) {
		printf("threshold: HOLDS: %s\n", st->raised == 0 ?
		       "no exception raised in the pilot yet" :
		       "every exception raised in the pilot is routed to a "
		       "reviewer with evidence and a required disposition");
		if (st->raised > 0)
			printf("  (%zu exceptions)\n", st->raised);
	} else {
		printf("threshold: DOES NOT HOLD:\n");
		pilot_reasons(st, NULL);
	}
}

static int pilot_status_run(const struct cli_options *o, int json)
{
	struct sg_config *config = NULL;
	struct sg_ledger *ledger = NULL;
	struct pilot_status *st = NULL;
	struct sg_error err;
	const char *path;
	int rc;

	sg_error_clear(&err);
	rc = sg_config_load(&config, o->config_path ? o->config_path :
				     SG_DEFAULT_CONFIG, &err);
	if (rc != SG_OK)
		goto out;
	if (!config->pilot_present) {
		rc = sg_error_set(&err, SG_ERR_USAGE, "%s has no \"pilot\" "
				  "section: add {\"start\": DATE, \"days\": 30"
				  "}", config->path);
		goto out;
	}
	if (config->pilot_days < 1 || config->pilot_days > PILOT_MAX_DAYS) {
		rc = sg_error_set(&err, SG_ERR_CONFIG, "%s: pilot.days %d: "
				  "expected 1 to %d", config->path,
				  config->pilot_days, PILOT_MAX_DAYS);
		goto out;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		rc = sg_error_set(&err, SG_ERR_NOMEM, "out of memory");
		goto out;
	}
	st->start = config->pilot_start;
	st->days = config->pilot_days;
	st->end = st->start + (sg_time)st->days * PILOT_DAY;
	st->as_of = cli_now();
	if (o->as_of != NULL) {
		rc = cli_parse_time(&st->as_of, "--as-of", o->as_of, &err);
		if (rc != SG_OK)
			goto out;
	}
	path = cli_ledger_path(o, config);
	if (path == NULL) {
		rc = sg_error_set(&err, SG_ERR_USAGE, "%s names no ledger: "
				  "add \"ledger\": \"stageguard.db\" or pass "
				  "--ledger FILE", config->path);
		goto out;
	}
	/* No ledger yet: nothing run, nothing raised; none is created. */
	if (access(path, F_OK) == 0) {
		rc = sg_ledger_open(&ledger, path, &err);
		if (rc == SG_OK)
			rc = sg_ledger_read_begin(ledger, &err);
		if (rc != SG_OK)
			goto out;
		rc = pilot_runs(st, ledger, &err);
		if (rc == SG_OK)
			rc = pilot_reviews(st, ledger, &err);
		if (rc == SG_OK)
			rc = pilot_threshold(st, ledger, &err);
		sg_ledger_read_end(ledger);
		if (rc != SG_OK)
			goto out;
	}
	pilot_days(st);
	if (json)
		rc = pilot_print_json(st, &err);
	else
		pilot_print_text(st);
out:
	fflush(stdout);
	free(st);
	sg_ledger_close(ledger);
	sg_config_free(config);
	return rc == SG_OK ? 0 : cli_fail(&err);
}

int cmd_pilot(int argc, char **argv)
{
	struct cli_options o;
	char *name;
	int first, rc;

	if (argc < 2 || (strcmp(argv[1], "-h") == 0 ||
			 strcmp(argv[1], "--help") == 0)) {
		if (argc < 2) {
			fputs(pilot_usage, stderr);
			return 2;
		}
		fputs(pilot_usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "status") != 0)
		return cli_usage_error("pilot", "unknown subcommand \"%s\" "
				       "(expected status)", argv[1]);
	/* "pilot status" names the command in usage errors. */
	name = argv[1];
	argv[1] = "pilot status";
	rc = cli_parse_options(argc - 1, argv + 1, CLI_OPT_CONFIG |
			       CLI_OPT_LEDGER | CLI_OPT_AS_OF |
			       CLI_OPT_FORMAT, pilot_usage, &o, &first);
	argv[1] = name;
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (first < argc - 1)
		return cli_usage_error("pilot status", "unexpected argument "
				       "\"%s\"", argv[first + 1]);
	if (o.format != NULL && strcmp(o.format, "text") != 0 &&
	    strcmp(o.format, "json") != 0)
		return cli_usage_error("pilot", "--format %s: expected text "
				       "or json", o.format);
	return pilot_status_run(&o, o.format && strcmp(o.format, "json") == 0);
}
