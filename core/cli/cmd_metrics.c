/*
 * cmd_metrics.c - `stageguard metrics`: the measures of DESIGN §7 for one
 * window (baseline, pilot or START..END) or the baseline-versus-pilot
 * comparison with the pilot's weekly trend, as JSON, CSV or a text table.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_measures.h"
#include "util/sg_csv.h"

static const char metrics_usage[] =
"usage: stageguard metrics [-c CONFIG] [--source NAME[:ARG]] [--as-of T]\n"
"                          [--window baseline|pilot|START..END | --compare]\n"
"                          [--format json|csv|text] [--ledger FILE]\n"
"\n"
"Pulls the source and measures a window [start, end) at as-of (default\n"
"now): opportunities evaluated, the stage progression exception rate,\n"
"exceptions per type, false progressions, stage corrections,\n"
"forecast-impacting changes per currency, close-date pushes, approval\n"
"turnaround and reviews open past due (from the ledger's review tasks),\n"
"and the paused count.  Each move is judged as a live check would have\n"
"judged it then.\n"
"  --window baseline   the pilot.baseline_days before pilot.start; the\n"
"                      disposition measures are not applicable there\n"
"  --window pilot      the pilot.days from pilot.start (the default)\n"
"  --window S..E       from S (included) to E (excluded), ISO times\n"
"  --compare           baseline and pilot side by side, with the absolute\n"
"                      and relative change and the pilot's weekly trend\n"
"  --format            json (default), csv or text\n";

struct metrics_args {
	const char *window;
	int compare;
	const char *format;
};

/* Takes --window and --compare out of argv; the rest stays in order. */
static int metrics_split_args(int *argc, char **argv, struct metrics_args *a)
{
	int i, j = 1;

	for (i = 1; i < *argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strcmp(arg, "--compare") == 0) {
			a->compare = 1;
			continue;
		}
		if (strncmp(arg, "--window=", 9) == 0) {
			a->window = arg + 9;
			continue;
		}
		if (strcmp(arg, "--window") == 0) {
			if (i + 1 >= *argc)
				return cli_usage_error("metrics", "--window "
						       "needs a value");
			a->window = argv[++i];
			continue;
		}
		argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return 0;
}

/* A named or explicit window. */
struct metrics_window {
	const char *name;       /* "baseline", "pilot" or "window" */
	sg_time start, end;
	int dispositions_applicable;
};

static int metrics_need_pilot(const struct sg_config *c, const char *what,
			      struct sg_error *err)
{
	if (c->pilot_present)
		return SG_OK;
	return sg_error_set(err, SG_ERR_USAGE, "%s: %s has no \"pilot\" "
			    "section (start, days, baseline_days); add one or "
			    "use --window START..END", what, c->path);
}

static void metrics_baseline(const struct sg_config *c,
			     struct metrics_window *w)
{
	w->name = "baseline";
	w->start = c->pilot_start - (sg_time)c->baseline_days * 86400;
	w->end = c->pilot_start;
	w->dispositions_applicable = 0;
}

static void metrics_pilot(const struct sg_config *c, struct metrics_window *w)
{
	w->name = "pilot";
	w->start = c->pilot_start;
	w->end = c->pilot_start + (sg_time)c->pilot_days * 86400;
	w->dispositions_applicable = 1;
}

static int metrics_parse_window(const struct sg_config *c, const char *text,
				struct metrics_window *w,
				struct sg_error *err)
{
	const char *dots;
	int rc;

	if (text == NULL || strcmp(text, "pilot") == 0) {
		rc = metrics_need_pilot(c, "--window pilot", err);
		if (rc == SG_OK)
			metrics_pilot(c, w);
		return rc;
	}
	if (strcmp(text, "baseline") == 0) {
		rc = metrics_need_pilot(c, "--window baseline", err);
		if (rc == SG_OK)
			metrics_baseline(c, w);
		return rc;
	}
	dots = strstr(text, "..");
	if (dots == NULL || dots == text || dots[2] == '\0')
		return sg_error_set(err, SG_ERR_USAGE, "--window %s: expected "
				    "baseline, pilot or START..END (e.g. "
				    "2026-11-01..2026-12-01)", text);
	rc = sg_time_parse_iso(&w->start, text, (size_t)(dots - text), 0, 0,
			       err);
	if (rc == SG_OK)
		rc = sg_time_parse_iso(&w->end, dots + 2, strlen(dots + 2), 0,
				       0, err);
	if (rc != SG_OK) {
		err->code = SG_ERR_USAGE;
		sg_error_prefix(err, "--window %s: ", text);
		return SG_ERR_USAGE;
	}
	if (w->end <= w->start)
		return sg_error_set(err, SG_ERR_USAGE, "--window %s: the end "
				    "must come after the start (END is "
				    "excluded)", text);
	w->name = "window";
	w->dispositions_applicable = 1;
	return SG_OK;
}

/* ---- output ---- */

/* A value for the text table: reals to three decimals. */
static char *metrics_text_value(const struct sg_measure_row *row, char *buf,
				size_t size)
{
	if (row->kind == SG_MK_REAL) {
		snprintf(buf, size, "%.3f", row->r);
		return buf;
	}
	if (row->kind == SG_MK_NULL) {
		snprintf(buf, size, "-");
		return buf;
	}
	return sg_measure_row_text(row, buf, size);
}

static int metrics_print_json(json_t *obj, struct sg_error *err)
{
	if (obj == NULL)
		return err->code != SG_OK ? err->code :
		       sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	if (json_dumpf(obj, stdout, JSON_INDENT(2) |
		       JSON_REAL_PRECISION(15)) != 0) {
		json_decref(obj);
		return sg_error_set(err, SG_ERR_IO, "cannot write the "
				    "measures to standard output");
	}
	fputc('\n', stdout);
	json_decref(obj);
	return SG_OK;
}

static void metrics_header(const struct metrics_window *w,
			   const struct sg_measures *m)
{
	char a[SG_TIME_ISO_SIZE], b[SG_TIME_ISO_SIZE], c[SG_TIME_ISO_SIZE];

	/* "pilot window ...", "baseline window ...", or just "window ...". */
	printf("%s%swindow %s .. %s (end excluded), as of %s%s\n",
	       strcmp(w->name, "window") != 0 ? w->name : "",
	       strcmp(w->name, "window") != 0 ? " " : "",
	       sg_time_format_iso(w->start, a), sg_time_format_iso(w->end, b),
	       sg_time_format_iso(m->as_of, c),
	       w->dispositions_applicable ? "" :
	       "; dispositions not applicable (replayed from history)");
}

static int metrics_print_one(const struct metrics_window *w,
			     const struct sg_measures *m, const char *format,
			     struct sg_error *err)
{
	struct sg_measure_row *rows = NULL;
	char buf[64];
	size_t n = 0, i;
	int rc;

	if (strcmp(format, "json") == 0) {
		json_t *obj = sg_measures_to_json(m, w->name);

		if (obj != NULL && json_object_set_new(obj, "as_of",
			json_string(sg_time_format_iso(m->as_of, buf))) != 0) {
			json_decref(obj);
			obj = NULL;
		}
		return metrics_print_json(obj, err);
	}
	rc = sg_measures_rows(m, &rows, &n, err);
	if (rc != SG_OK)
		return rc;
	if (strcmp(format, "csv") == 0) {
		printf("measure,value\n");
		for (i = 0; i < n; i++) {
			sg_csv_fput_field(stdout, rows[i].key);
			fputc(',', stdout);
			sg_csv_fput_field(stdout, sg_measure_row_text(
				&rows[i], buf, sizeof(buf)));
			fputc('\n', stdout);
		}
	} else {
		metrics_header(w, m);
		printf("%-44s %s\n", "MEASURE", "VALUE");
		for (i = 0; i < n; i++)
			printf("%-44s %s\n", rows[i].key,
			       metrics_text_value(&rows[i], buf, sizeof(buf)));
	}
	free(rows);
	return SG_OK;
}

/* The row of key in one week's measures (NULL kind when absent). */
static void metrics_week_value(const struct sg_measures *week,
			       const char *key, struct sg_measure_row *out,
			       struct sg_error *err)
{
	struct sg_measure_row *rows = NULL;
	size_t n = 0, i;

	memset(out, 0, sizeof(*out));
	if (strncmp(key, "forecast_impacting_amount:", 26) == 0)
		out->kind = SG_MK_DECIMAL;
	if (sg_measures_rows(week, &rows, &n, err) != SG_OK)
		return;
	for (i = 0; i < n; i++)
		if (strcmp(rows[i].key, key) == 0)
			*out = rows[i];
	free(rows);
}

static int metrics_print_compare(const struct sg_measures *base,
				 const struct sg_measures *pilot,
				 const struct sg_measures *weeks,
				 size_t week_count, const char *format,
				 struct sg_error *err)
{
	struct sg_measure_cmp *cmp = NULL;
	char b[64], p[64], d[64], r[64];
	size_t n = 0, i, k;
	int rc, csv = strcmp(format, "csv") == 0;

	rc = sg_measures_compare(base, pilot, &cmp, &n, err);
	if (rc != SG_OK)
		return rc;
	if (csv) {
		printf("measure,baseline,pilot,change,relative_change");
		for (k = 0; k < week_count; k++)
			printf(",week_%zu", k + 1);
		fputc('\n', stdout);
	} else {
		struct metrics_window wb = { "baseline", base->start,
					     base->end, 0 };
		struct metrics_window wp = { "pilot", pilot->start,
					     pilot->end, 1 };

		metrics_header(&wb, base);
		metrics_header(&wp, pilot);
		printf("\n%-44s %14s %14s %14s %9s\n", "MEASURE", "BASELINE",
		       "PILOT", "CHANGE", "RELATIVE");
	}
	for (i = 0; i < n; i++) {
		if (csv) {
			sg_csv_fput_field(stdout, cmp[i].key);
			printf(",%s,%s,%s,",
			       sg_measure_row_text(&cmp[i].baseline, b,
						   sizeof(b)),
			       sg_measure_row_text(&cmp[i].pilot, p,
						   sizeof(p)),
			       sg_measure_row_text(&cmp[i].change, d,
						   sizeof(d)));
			if (cmp[i].relative_present)
				printf("%.15g", cmp[i].relative);
			for (k = 0; k < week_count; k++) {
				struct sg_measure_row wv;

				metrics_week_value(&weeks[k], cmp[i].key, &wv,
						   err);
				printf(",%s", sg_measure_row_text(&wv, b,
								  sizeof(b)));
			}
			fputc('\n', stdout);
			continue;
		}
		if (cmp[i].relative_present)
			snprintf(r, sizeof(r), "%+.1f%%",
				 cmp[i].relative * 100.0);
		else
			snprintf(r, sizeof(r), "-");
		printf("%-44s %14s %14s %14s %9s\n", cmp[i].key,
		       metrics_text_value(&cmp[i].baseline, b, sizeof(b)),
		       metrics_text_value(&cmp[i].pilot, p, sizeof(p)),
		       metrics_text_value(&cmp[i].change, d, sizeof(d)), r);
	}
	if (!csv && week_count > 0) {
		printf("\nWeekly trend of the pilot\n%-44s", "MEASURE");
		for (k = 0; k < week_count; k++) {
			snprintf(b, sizeof(b), "WEEK %zu", k + 1);
			printf(" %10s", b);
		}
		fputc('\n', stdout);
		for (i = 0; i < n; i++) {
			printf("%-44s", cmp[i].key);
			for (k = 0; k < week_count; k++) {
				struct sg_measure_row wv;

				metrics_week_value(&weeks[k], cmp[i].key, &wv,
						   err);
				printf(" %10s", metrics_text_value(&wv, b,
								   sizeof(b)));
			}
			fputc('\n', stdout);
		}
	}
	free(cmp);
	return SG_OK;
}

/* ---- the command ---- */

static int metrics_open_ledger(struct sg_ledger **ledger,
			       const struct cli_session *s,
			       const struct cli_options *o,
			       struct sg_error *err)
{
	const char *path = cli_ledger_path(o, s->config);

	*ledger = NULL;
	/* Measuring never creates a ledger: without one there are no
	 * review tasks yet. */
	if (path == NULL || access(path, F_OK) != 0)
		return SG_OK;
	return sg_ledger_open(ledger, path, err);
}

/* The one JSON shape of the pilot's measures (metrics.json too). */
static int metrics_print_pilot_json(const struct sg_pilot_measures *pm,
				    struct sg_error *err)
{
	char *text = sg_pilot_measures_json(pm, err);
	int rc = SG_OK;

	if (text == NULL)
		return err->code != SG_OK ? err->code : SG_ERR_NOMEM;
	if (fputs(text, stdout) == EOF)
		rc = sg_error_set(err, SG_ERR_IO, "cannot write the "
				  "measures to standard output");
	free(text);
	return rc;
}

static int metrics_compare(const struct sg_replay *replay,
			   const struct sg_config *c, const char *format,
			   struct sg_error *err)
{
	struct sg_pilot_measures pm;
	int rc;

	rc = sg_pilot_measures_compute(&pm, replay, c, err);
	if (rc != SG_OK)
		return rc;
	if (strcmp(format, "json") == 0)
		rc = metrics_print_pilot_json(&pm, err);
	else
		rc = metrics_print_compare(&pm.baseline, &pm.pilot, pm.weeks,
					   pm.week_count, format, err);
	sg_pilot_measures_release(&pm);
	return rc;
}

int cmd_metrics(int argc, char **argv)
{
	struct metrics_args a = { NULL, 0, NULL };
	struct cli_options o;
	struct cli_session s;
	struct sg_ledger *ledger = NULL;
	struct sg_replay *replay = NULL;
	struct metrics_window w;
	struct sg_measures m;
	struct sg_error err;
	const char *format;
	int first, rc;

	rc = metrics_split_args(&argc, argv, &a);
	if (rc != 0)
		return rc;
	rc = cli_parse_options(argc, argv, CLI_OPT_CONFIG |
			       CLI_OPT_PLUGIN_DIR | CLI_OPT_LEDGER |
			       CLI_OPT_SOURCE | CLI_OPT_AS_OF | CLI_OPT_FORMAT,
			       metrics_usage, &o, &first);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (first < argc)
		return cli_usage_error("metrics", "unexpected argument \"%s\"",
				       argv[first]);
	if (a.compare && a.window != NULL)
		return cli_usage_error("metrics", "--window and --compare "
				       "exclude each other");
	format = o.format ? o.format : "json";
	if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0 &&
	    strcmp(format, "text") != 0)
		return cli_usage_error("metrics", "--format %s: expected "
				       "json, csv or text", format);
	sg_error_clear(&err);
	memset(&m, 0, sizeof(m));
	rc = cli_session_open(&s, &o, &err);
	/* The window is checked before the (possibly long) pull. */
	if (rc == SG_OK && !a.compare)
		rc = metrics_parse_window(s.config, a.window, &w, &err);
	if (rc == SG_OK && a.compare)
		rc = metrics_need_pilot(s.config, "--compare", &err);
	if (rc == SG_OK)
		rc = metrics_open_ledger(&ledger, &s, &o, &err);
	if (rc == SG_OK)
		rc = cli_session_load(&s, &o, ledger, &err);
	if (rc == SG_OK)
		rc = cli_session_window(&s, &o, NULL, &err);
	if (rc == SG_OK)
		rc = sg_replay_new(&replay, s.model, s.window.as_of,
				   a.compare ? sg_pilot_measures_from(s.config) :
				   w.start, &err);
	if (rc == SG_OK && ledger != NULL)
		rc = sg_replay_load_ledger(replay, ledger, &err);
	if (rc == SG_OK)
		cli_phase_replay(&s, replay);
	if (rc == SG_OK && a.compare)
		rc = metrics_compare(replay, s.config, format, &err);
	if (rc == SG_OK && !a.compare) {
		rc = sg_measures_compute(&m, replay, w.start, w.end,
					 w.dispositions_applicable, &err);
		if (rc == SG_OK)
			rc = metrics_print_one(&w, &m, format, &err);
	}
	fflush(stdout);
	sg_measures_release(&m);
	sg_replay_free(replay);
	sg_ledger_close(ledger);
	cli_session_close(&s);
	return rc == SG_OK ? 0 : cli_fail(&err);
}
