/*
 * sg-xlsx-bench.c - renders a synthetic exception list through the xlsx
 * sink and prints the wall time and the peak memory (docs/benchmarks.md,
 * "xlsx sink: 500,000 exception rows").
 *
 *   sg-xlsx-bench [--rows N] [--out FILE]
 *
 * The report has a short Summary sheet (a heading, a paragraph, a
 * three-row table and a chart of it) and an Exceptions sheet holding one
 * list table of N rows (default 500,000) and 14 columns, a review note of
 * about 400 characters among them.  Rows are generated on the fly, so the
 * memory measured is the sink's.  The plugin's code is linked in and
 * driven through its descriptor with a minimal host.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "sg_plugin.h"
#include "sg_time.h"

#define BENCH_COLS 14

const struct sg_plugin *sg_plugin_entry(void);

static const struct sg_column bench_columns[BENCH_COLS] = {
	{"id", "Exception", SG_VAL_TEXT, SG_ROLE_ID, 0},
	{"opportunity_id", "Opportunity", SG_VAL_TEXT, SG_ROLE_ID, 0},
	{"name", "Name", SG_VAL_TEXT, SG_ROLE_PLAIN, 28},
	{"type", "Type", SG_VAL_TEXT, SG_ROLE_PLAIN, 0},
	{"verdict", "Verdict", SG_VAL_TEXT, SG_ROLE_VERDICT, 0},
	{"owner", "Owner", SG_VAL_TEXT, SG_ROLE_PLAIN, 0},
	{"assignee", "Assignee", SG_VAL_TEXT, SG_ROLE_PLAIN, 0},
	{"stage", "Stage", SG_VAL_TEXT, SG_ROLE_PLAIN, 0},
	{"amount", "Amount", SG_VAL_MONEY, SG_ROLE_PLAIN, 0},
	{"event_at", "Event", SG_VAL_TIME, SG_ROLE_PLAIN, 0},
	{"due", "Due", SG_VAL_DATE, SG_ROLE_PLAIN, 0},
	{"status", "Status", SG_VAL_TEXT, SG_ROLE_STATUS, 0},
	{"evidence_missing", "Evidence missing", SG_VAL_TEXT, SG_ROLE_PLAIN,
	 0},
	{"note", "Review note", SG_VAL_TEXT, SG_ROLE_NOTE, 0},
};

static const char *const bench_types[] = {
	"missing_evidence", "stage_age", "no_next_step", "forecast_impact",
	"seller_only", "required_field", "skipped_stage", "regression"
};
static const char *const bench_verdicts[] = {
	"review", "block", "allow", "pause"
};
static const char *const bench_stages[] = {
	"discovery", "qualification", "solution", "proposal", "negotiation"
};

/* 2026-11-20T18:00:00Z */
static sg_time bench_as_of(void)
{
	return sg_days_from_civil(2026, 11, 20) * 86400 + 18 * 3600;
}

static int bench_rows(const struct sg_table *t, sg_row_fn row, void *arg,
		      struct sg_error *err)
{
	const size_t *n = t->ctx;
	struct sg_value v[BENCH_COLS];
	char id[32], opp[32], name[64], owner[32], assignee[32], amount[32];
	char note[512];
	sg_time as_of = bench_as_of();
	size_t i;
	int rc;

	for (i = 0; i < *n; i++) {
		size_t k = i * 2654435761u;

		memset(v, 0, sizeof(v));
		snprintf(id, sizeof(id), "exc-%08zu", i);
		snprintf(opp, sizeof(opp), "opp-%08zu", i / 2);
		snprintf(name, sizeof(name), "Account %zu - hardware renewal",
			 k % 100000);
		snprintf(owner, sizeof(owner), "agent-%03zu", k % 400);
		snprintf(assignee, sizeof(assignee), "manager-%02zu",
			 k % 67);
		snprintf(amount, sizeof(amount), "%zu.%02zu", k % 250000,
			 k % 100);
		snprintf(note, sizeof(note),
			 "Moved from %s to proposal on day %zu without buyer "
			 "evidence for pain_confirmed and budget_confirmed; "
			 "the seller logged %zu emails and the buyer never "
			 "answered.  Ask the owner for the buyer's own words "
			 "(an email, meeting notes) before the forecast call, "
			 "or move the deal back.  The reviewer decides by the "
			 "due date; an undecided review is escalated to the "
			 "team's manager.", bench_stages[k % 5], k % 30,
			 k % 9);
		v[0] = (struct sg_value){SG_VAL_TEXT, id, 0, 0, 0, NULL};
		v[1] = (struct sg_value){SG_VAL_TEXT, opp, 0, 0, 0, NULL};
		v[2] = (struct sg_value){SG_VAL_TEXT, name, 0, 0, 0, NULL};
		v[3] = (struct sg_value){SG_VAL_TEXT, bench_types[k % 8], 0, 0,
			0, NULL};
		v[4] = (struct sg_value){SG_VAL_TEXT, bench_verdicts[k % 4], 0,
			0, 0, NULL};
		v[5] = (struct sg_value){SG_VAL_TEXT, owner, 0, 0, 0, NULL};
		v[6] = (struct sg_value){SG_VAL_TEXT, assignee, 0, 0, 0, NULL};
		v[7] = (struct sg_value){SG_VAL_TEXT, bench_stages[k % 5], 0,
			0, 0, NULL};
		v[8] = (struct sg_value){SG_VAL_MONEY, amount, 0,
			strtod(amount, NULL), 0, k % 8 == 0 ? "EUR" : "USD"};
		v[9] = (struct sg_value){SG_VAL_TIME, NULL, 0, 0,
			as_of - (sg_time)(k % (30 * 86400)), NULL};
		v[10] = (struct sg_value){SG_VAL_DATE, NULL, 0, 0,
			(sg_time_day(as_of) + (sg_time)(k % 5)) * 86400,
			NULL};
		v[11] = (struct sg_value){SG_VAL_TEXT,
			k % 5 == 0 ? "overdue" : "open", 0, 0, 0, NULL};
		v[12] = (struct sg_value){SG_VAL_TEXT,
			"pain_confirmed, budget_confirmed", 0, 0, 0, NULL};
		v[13] = (struct sg_value){SG_VAL_TEXT, note, 0, 0, 0, NULL};
		rc = row(arg, v, err);
		if (rc != 0)
			return rc;
	}
	return SG_OK;
}

static const struct sg_column summary_columns[] = {
	{"verdict", "Verdict", SG_VAL_TEXT, SG_ROLE_VERDICT, 0},
	{"count", "Exceptions", SG_VAL_INT, SG_ROLE_PLAIN, 0},
};

static int summary_rows(const struct sg_table *t, sg_row_fn row, void *arg,
			struct sg_error *err)
{
	const size_t *n = t->ctx;
	struct sg_value v[2];
	size_t i;
	int rc;

	for (i = 0; i < 4; i++) {
		memset(v, 0, sizeof(v));
		v[0].type = SG_VAL_TEXT;
		v[0].text = bench_verdicts[i];
		v[1].type = SG_VAL_INT;
		v[1].integer = (long long)(*n / 4);
		rc = row(arg, v, err);
		if (rc != 0)
			return rc;
	}
	return SG_OK;
}

static const char *bench_config_dir(void *ctx)
{
	(void)ctx;
	return ".";
}

/* The environment as it is: TMPDIR, and the sink's test hooks (with
 * SG_XLSX_LIBXLSXWRITER_ROWS=1 libxlsxwriter writes every row, for a
 * baseline in the same run). */
static const char *bench_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/* The sink logs what it wrote: a bench run says it on stderr. */
static void bench_log(void *ctx, int level, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	(void)level;
	va_start(ap, fmt);
	fputs("sg-xlsx-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const struct sg_plugin *p = sg_plugin_entry();
	const char *out = "sg-xlsx-bench.xlsx";
	size_t rows = 500000, values[1] = {1};
	struct sg_table summary, list;
	struct sg_chart chart;
	struct sg_block sum_blocks[4], exc_blocks[2];
	struct sg_section sections[2];
	struct sg_report report;
	struct sg_sink_input input;
	struct sg_host host;
	struct sg_error err;
	struct rusage ru;
	struct stat sb;
	void *state = NULL;
	double t0, t1;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
			rows = (size_t)strtoull(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else {
			fprintf(stderr, "usage: sg-xlsx-bench [--rows N] "
				"[--out FILE]\n");
			return 2;
		}
	}
	summary = (struct sg_table){"by_verdict", "By verdict", NULL,
		summary_columns, 2, 0, summary_rows, &rows};
	list = (struct sg_table){"exceptions", "Exceptions", NULL,
		bench_columns, BENCH_COLS, SG_TABLE_LIST, bench_rows, &rows};
	chart = (struct sg_chart){"by_verdict", "Exceptions by verdict",
		SG_CHART_COLUMN, &summary, 0, values, 1, "Verdict",
		"Exceptions"};
	sum_blocks[0] = (struct sg_block){SG_BLOCK_HEADING, "Summary", NULL,
		NULL};
	sum_blocks[1] = (struct sg_block){SG_BLOCK_TEXT,
		"A synthetic exception list for the benchmark.", NULL, NULL};
	sum_blocks[2] = (struct sg_block){SG_BLOCK_TABLE, NULL, &summary,
		NULL};
	sum_blocks[3] = (struct sg_block){SG_BLOCK_CHART, NULL, NULL, &chart};
	exc_blocks[0] = (struct sg_block){SG_BLOCK_HEADING, "Exceptions",
		NULL, NULL};
	exc_blocks[1] = (struct sg_block){SG_BLOCK_TABLE, NULL, &list, NULL};
	sections[0] = (struct sg_section){"summary", "Summary", sum_blocks, 4};
	sections[1] = (struct sg_section){"exceptions", "Exceptions",
		exc_blocks, 2};
	report = (struct sg_report){"leadership", "Benchmark report",
		bench_as_of(), sections, 2};
	memset(&input, 0, sizeof(input));
	input.size = sizeof(input);
	input.report = &report;
	memset(&host, 0, sizeof(host));
	host.version = SG_HOST_VERSION;
	host.size = sizeof(host);
	host.config_dir = bench_config_dir;
	host.log = bench_log;
	host.getenv = bench_getenv;

	t0 = bench_now();
	rc = p->open(&state, NULL, out, &host, &err);
	if (rc == SG_OK) {
		rc = p->write(state, &input, &err);
		if (rc == SG_OK)
			rc = p->finish(state, &err);
		p->close(state);
	}
	t1 = bench_now();
	if (rc != SG_OK) {
		fprintf(stderr, "sg-xlsx-bench: %s\n", err.message);
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("rows %zu\n", rows);
	printf("wall_s %.2f\n", t1 - t0);
	printf("peak_rss_mb %.1f\n", (double)ru.ru_maxrss / 1024.0);
	if (stat(out, &sb) == 0)
		printf("file_mb %.1f\n", (double)sb.st_size / 1e6);
	return 0;
}
