/*
 * check_metrics.c - the metrics sink (plugins/metrics/metrics.c), linked
 * into this program and driven through its descriptor with a fake host:
 * synthetic metrics reports in, metrics.json / metrics.csv / events.jsonl
 * read back with jansson and as text.
 *
 * Each test works in its own mkdtemp folder (the fake host's config
 * folder).  Run one case with CK_RUN_CASE=render (see Check's manual).
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sg_options.h"
#include "sg_plugin.h"
#include "sg_time.h"

const struct sg_plugin *sg_plugin_entry(void);

/* 2026-11-02T00:00:00Z */
#define AS_OF ((sg_time)1793577600)
#define DAY ((sg_time)86400)

static char tmpdir[256];
static char logged[4096];

static void setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_metrics.XXXXXX",
		 base && base[0] ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	logged[0] = '\0';
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "check_metrics: could not remove %s\n",
			tmpdir);
}

/* ---- the fake host ---- */

static void fake_log(void *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fake_log(void *ctx, int level, const char *fmt, ...)
{
	size_t len = strlen(logged);
	va_list ap;

	(void)ctx;
	(void)level;
	va_start(ap, fmt);
	vsnprintf(logged + len, sizeof(logged) - len, fmt, ap);
	va_end(ap);
}

static const char *fake_config_dir(void *ctx)
{
	(void)ctx;
	return tmpdir;
}

static struct sg_host fake_host(void)
{
	struct sg_host h;

	memset(&h, 0, sizeof(h));
	h.version = SG_HOST_VERSION;
	h.size = sizeof(h);
	h.log = fake_log;
	h.config_dir = fake_config_dir;
	return h;
}

/* ---- synthetic tables ---- */

/* A table's rows: cols values per row, or generated (big events). */
struct rows_data {
	const struct sg_value *cells;
	size_t rows, cols;
	size_t generate;        /* nonzero: that many generated event rows */
	size_t fail_after;      /* nonzero: fail after that many rows */
};

static int rows_push(const struct sg_table *t, sg_row_fn fn, void *arg,
		     struct sg_error *err)
{
	const struct rows_data *d = t->ctx;
	size_t i;
	int rc;

	if (d->generate) {
		struct sg_value v[7];
		char run[32];

		memset(v, 0, sizeof(v));
		for (i = 0; i < d->generate; i++) {
			snprintf(run, sizeof(run), "r%zu", i % 7);
			v[0].type = SG_VAL_INT;
			v[0].integer = (long long)i + 1;
			v[1].type = SG_VAL_TEXT;
			v[1].text = "run_completed";
			v[2].type = SG_VAL_TIME;
			v[2].time = AS_OF + (sg_time)i;
			v[3].type = SG_VAL_TEXT;
			v[3].text = run;
			v[4].type = SG_VAL_NONE;
			v[5].type = SG_VAL_NONE;
			v[6].type = SG_VAL_JSON;
			v[6].text = "{\"n\":1}";
			rc = fn(arg, v, err);
			if (rc != 0)
				return rc;
		}
		return SG_OK;
	}
	for (i = 0; i < d->rows; i++) {
		if (d->fail_after && i == d->fail_after)
			return sg_error_set(err, SG_ERR_LEDGER,
					    "ledger went away");
		rc = fn(arg, d->cells + i * d->cols, err);
		if (rc != 0)
			return rc;
	}
	return SG_OK;
}

#define TEXT(s) { .type = SG_VAL_TEXT, .text = (s) }
#define INT(n) { .type = SG_VAL_INT, .integer = (n) }
#define NUM(x) { .type = SG_VAL_NUMBER, .number = (x) }
#define PCT(x) { .type = SG_VAL_PERCENT, .number = (x) }
#define MONEY(s, x, u) { .type = SG_VAL_MONEY, .text = (s), .number = (x), \
			 .unit = (u) }
#define TIME(t) { .type = SG_VAL_TIME, .time = (t) }
#define DATE(t) { .type = SG_VAL_DATE, .time = (t) }
#define JSONV(s) { .type = SG_VAL_JSON, .text = (s) }
#define NONE { .type = SG_VAL_NONE }
#define NA { .type = SG_VAL_NA }

static const struct sg_column cmp_cols[] = {
	{"measure", "Measure", SG_VAL_TEXT, SG_ROLE_ID, 0},
	{"baseline", "Baseline", SG_VAL_MIXED, 0, 0},
	{"pilot", "Pilot", SG_VAL_MIXED, 0, 0},
	{"change", "Change", SG_VAL_MIXED, 0, 0},
	{"relative_change", "Relative change", SG_VAL_PERCENT, 0, 0},
};

static const struct sg_value cmp_cells[] = {
	TEXT("opportunities_evaluated"), INT(40), INT(50), INT(10),
	PCT(0.25),
	TEXT("stage_progression_exception_rate"), PCT(0.5), PCT(0.125),
	NUM(-0.375), PCT(-0.75),
	TEXT("forecast_impacting_amount:USD"),
	MONEY("1200.50", 1200.5, "USD"), MONEY("0.10", 0.1, "USD"),
	MONEY("-1200.40", -1200.4, "USD"), NONE,
	TEXT("dispositions_recorded"), NA, INT(3), NA, NA,
	TEXT("odd, \"quoted\"\nname"), NUM(1.0 / 3.0), NONE, NONE, NONE,
	TEXT("forecast_impacting_amount:none"), MONEY("5", 5, NULL), NONE,
	NONE, NONE,
};

static const struct sg_column value_cols[] = {
	{"measure", "Measure", SG_VAL_TEXT, SG_ROLE_ID, 0},
	{"value", "Value", SG_VAL_MIXED, 0, 0},
};

static const struct sg_value baseline_cells[] = {
	TEXT("opportunities_evaluated"), INT(40),
	TEXT("window_start"), TIME(AS_OF - 90 * DAY),
};

static const struct sg_value pilot_cells[] = {
	TEXT("opportunities_evaluated"), INT(50),
	TEXT("window_start"), DATE(AS_OF - DAY),
	TEXT("stage_progression_exception_rate"), PCT(0.125),
};

static const struct sg_column weekly_cols[] = {
	{"week", "Week", SG_VAL_INT, 0, 0},
	{"start", "Start", SG_VAL_DATE, 0, 0},
	{"end", "End", SG_VAL_DATE, 0, 0},
	{"measure", "Measure", SG_VAL_TEXT, 0, 0},
	{"value", "Value", SG_VAL_MIXED, 0, 0},
};

static const struct sg_value weekly_cells[] = {
	INT(1), DATE(AS_OF - DAY), DATE(AS_OF + 6 * DAY),
	TEXT("opportunities_evaluated"), INT(45),
	INT(1), DATE(AS_OF - DAY), DATE(AS_OF + 6 * DAY),
	TEXT("approval_turnaround_median_hours"), NUM(12.5),
};

static const struct sg_column event_cols[] = {
	{"seq", "Seq", SG_VAL_INT, 0, 0},
	{"type", "Type", SG_VAL_TEXT, 0, 0},
	{"at", "At", SG_VAL_TIME, 0, 0},
	{"run_id", "Run", SG_VAL_TEXT, SG_ROLE_ID, 0},
	{"exception_id", "Exception", SG_VAL_TEXT, SG_ROLE_ID, 0},
	{"opportunity_id", "Opportunity", SG_VAL_TEXT, SG_ROLE_ID, 0},
	{"detail", "Detail", SG_VAL_JSON, 0, 0},
};

static const struct sg_value event_cells[] = {
	INT(1), TEXT("exception_raised"), TIME(AS_OF), TEXT("run1"),
	TEXT("abcdef01"), TEXT("O1"),
	JSONV("{\"type\":\"missing_evidence\",\"due_at\":"
	      "\"2026-11-04T00:00:00Z\"}"),
	INT(2), TEXT("run_completed"), TIME(AS_OF + 60), TEXT("run1"), NONE,
	NONE, JSONV("{\"opportunities\":4,\"share\":0.5,\"ids\":[1,2]}"),
	INT(3), TEXT("disposition_recorded"), TIME(AS_OF + 3600), NONE,
	TEXT("abcdef01"), TEXT("O1"), NONE,
};

static const struct sg_value bad_json_cells[] = {
	INT(1), TEXT("exception_raised"), TIME(AS_OF), TEXT("run1"),
	TEXT("x"), TEXT("O1"), JSONV("{\"type\":"),
};

static const struct sg_value bad_utf8_cells[] = {
	INT(1), TEXT("caf\xe9 \xc3\xa9t\xc3\xa9"), TIME(AS_OF),
	TEXT("run1"), TEXT("x"), TEXT("O1"), NONE,
};

/* A report built from the parts asked for. */
struct fixture {
	struct rows_data cmp, baseline, pilot, weekly, events;
	struct sg_table tables[5];
	struct sg_block blocks[2][6];
	struct sg_section sections[2];
	struct sg_report report;
};

enum {
	F_CMP = 1, F_BASELINE = 2, F_PILOT = 4, F_WEEKLY = 8, F_EVENTS = 16,
	F_ALL = 31
};

static void fixture_table(struct sg_table *t, const char *key,
			  const struct sg_column *cols, size_t ncols,
			  struct rows_data *d)
{
	memset(t, 0, sizeof(*t));
	t->key = key;
	t->title = key;
	t->columns = cols;
	t->column_count = ncols;
	t->rows = rows_push;
	t->ctx = d;
}

/* Tables split over two sections (they are found in any section), a
 * heading and an unrelated paragraph in between. */
static void fixture_build(struct fixture *f, unsigned parts)
{
	size_t n0 = 0, n1 = 0;

	memset(f, 0, sizeof(*f));
	f->cmp.cells = cmp_cells;
	f->cmp.cols = 5;
	f->cmp.rows = sizeof(cmp_cells) / sizeof(cmp_cells[0]) / 5;
	f->baseline.cells = baseline_cells;
	f->baseline.cols = 2;
	f->baseline.rows = 2;
	f->pilot.cells = pilot_cells;
	f->pilot.cols = 2;
	f->pilot.rows = 3;
	f->weekly.cells = weekly_cells;
	f->weekly.cols = 5;
	f->weekly.rows = 2;
	f->events.cells = event_cells;
	f->events.cols = 7;
	f->events.rows = 3;
	fixture_table(&f->tables[0], "comparison", cmp_cols, 5, &f->cmp);
	fixture_table(&f->tables[1], "baseline", value_cols, 2, &f->baseline);
	fixture_table(&f->tables[2], "pilot", value_cols, 2, &f->pilot);
	fixture_table(&f->tables[3], "weekly", weekly_cols, 5, &f->weekly);
	fixture_table(&f->tables[4], "events", event_cols, 7, &f->events);
	f->blocks[0][n0].type = SG_BLOCK_HEADING;
	f->blocks[0][n0++].text = "Metrics";
	if (parts & F_EVENTS) {
		f->blocks[0][n0].type = SG_BLOCK_TABLE;
		f->blocks[0][n0++].table = &f->tables[4];
	}
	if (parts & F_PILOT) {
		f->blocks[0][n0].type = SG_BLOCK_TABLE;
		f->blocks[0][n0++].table = &f->tables[2];
	}
	f->blocks[1][n1].type = SG_BLOCK_TEXT;
	f->blocks[1][n1++].text = "A paragraph.";
	if (parts & F_WEEKLY) {
		f->blocks[1][n1].type = SG_BLOCK_TABLE;
		f->blocks[1][n1++].table = &f->tables[3];
	}
	if (parts & F_BASELINE) {
		f->blocks[1][n1].type = SG_BLOCK_TABLE;
		f->blocks[1][n1++].table = &f->tables[1];
	}
	if (parts & F_CMP) {
		f->blocks[1][n1].type = SG_BLOCK_TABLE;
		f->blocks[1][n1++].table = &f->tables[0];
	}
	f->sections[0].key = "metrics";
	f->sections[0].title = "Metrics";
	f->sections[0].blocks = f->blocks[0];
	f->sections[0].block_count = n0;
	f->sections[1].key = "more";
	f->sections[1].title = "More";
	f->sections[1].blocks = f->blocks[1];
	f->sections[1].block_count = n1;
	f->report.key = "metrics";
	f->report.title = "Metrics";
	f->report.as_of = AS_OF;
	f->report.sections = f->sections;
	f->report.section_count = 2;
}

/* ---- driving the plugin ---- */

/* The document the host gives as data_json (NULL: none). */
static const char *given_json;

/* Renders data with section (JSON text, or NULL for none) and arg. */
static int render(const struct sg_report *data, const char *section,
		  const char *arg, int finish, struct sg_error *err)
{
	const struct sg_plugin *p = sg_plugin_entry();
	struct sg_host host = fake_host();
	struct sg_sink_input in;
	json_t *sec = NULL;
	void *cfg, *state = NULL;
	int rc;

	cfg = calloc(1, p->config_size);
	ck_assert_ptr_nonnull(cfg);
	if (section != NULL) {
		sec = json_loads(section, 0, NULL);
		ck_assert_ptr_nonnull(sec);
	}
	sg_error_clear(err);
	ck_assert_int_eq(sg_options_fill(cfg, p, sec, "$.sinks.metrics",
					 err), SG_OK);
	json_decref(sec);
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	in.data = data;
	in.data_json = given_json;
	rc = p->open(&state, cfg, arg, &host, err);
	if (rc == SG_OK) {
		rc = p->write(state, &in, err);
		if (rc == SG_OK && finish)
			rc = p->finish(state, err);
		p->close(state);
	}
	sg_options_release(cfg, p);
	free(cfg);
	return rc;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	ck_assert_int_ge(n, 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static const char *in_tmp(const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", tmpdir, rel);
	return buf;
}

static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* Files in dir other than the three outputs (temporary leftovers). */
static int strays(const char *dir)
{
	char cmd[600];
	FILE *fp;
	char line[512];
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strcmp(line, "metrics.json\n") != 0 &&
		    strcmp(line, "metrics.csv\n") != 0 &&
		    strcmp(line, "events.jsonl\n") != 0)
			n++;
	pclose(fp);
	return n;
}

/* ---- tests ---- */

START_TEST(test_descriptor)
{
	const struct sg_plugin *p = sg_plugin_entry();

	ck_assert_uint_eq(p->abi_version, SG_PLUGIN_ABI_VERSION);
	ck_assert_uint_eq(p->kind, SG_PLUGIN_SINK);
	ck_assert_str_eq(p->name, "metrics");
	ck_assert_ptr_nonnull(p->write);
	ck_assert_ptr_nonnull(p->finish);
	ck_assert_ptr_null(p->pull);
	ck_assert_uint_eq(p->sink_needs, SG_SINK_NEEDS_DATA);
	ck_assert_uint_eq(p->option_count, 1);
	ck_assert_str_eq(p->options[0].name, "dir");
	ck_assert_str_eq(p->options[0].default_value, "metrics");
}
END_TEST

/* metrics.json is the host's document of the measures, byte for byte
 * (the shape `metrics --compare --format json` prints); without one
 * (no pilot) it holds the as-of only. */
START_TEST(test_metrics_json)
{
	static const char doc[] =
		"{\n  \"as_of\": \"2026-11-02T00:00:00Z\",\n"
		"  \"baseline\": {\"measures\": {\"paused\": 1}}\n}\n";
	struct fixture f;
	struct sg_error err;
	char path[512];
	char *text;

	fixture_build(&f, F_ALL);
	given_json = doc;
	ck_assert_msg(render(&f.report, NULL, NULL, 1, &err) == SG_OK,
		      "render: %s", err.message);
	given_json = NULL;
	text = slurp(in_tmp("metrics/metrics.json", path, sizeof(path)));
	ck_assert_str_eq(text, doc);
	free(text);
	ck_assert_msg(render(&f.report, NULL, NULL, 1, &err) == SG_OK,
		      "render: %s", err.message);
	text = slurp(in_tmp("metrics/metrics.json", path, sizeof(path)));
	ck_assert_str_eq(text, "{\n  \"as_of\": \"2026-11-02T00:00:00Z\"\n}\n");
	free(text);
	ck_assert_int_eq(strays(in_tmp("metrics", path, sizeof(path))), 0);
}
END_TEST

START_TEST(test_metrics_csv)
{
	struct fixture f;
	struct sg_error err;
	char path[512];
	char *text;

	fixture_build(&f, F_ALL);
	ck_assert_msg(render(&f.report, NULL, NULL, 1, &err) == SG_OK,
		      "render: %s", err.message);
	text = slurp(in_tmp("metrics/metrics.csv", path, sizeof(path)));
	ck_assert_str_eq(text,
		"measure,baseline,pilot,change,relative_change\n"
		"opportunities_evaluated,40,50,10,0.25\n"
		"stage_progression_exception_rate,0.5,0.125,-0.375,-0.75\n"
		"forecast_impacting_amount:USD,1200.50,0.10,-1200.40,\n"
		"dispositions_recorded,n/a,3,n/a,n/a\n"
		"\"odd, \"\"quoted\"\"\nname\",0.333333333333333,,,\n"
		"forecast_impacting_amount:none,5,,,\n");
	free(text);
}
END_TEST

START_TEST(test_events_jsonl)
{
	struct fixture f;
	struct sg_error err;
	char path[512];
	char *text;

	fixture_build(&f, F_ALL);
	ck_assert_msg(render(&f.report, NULL, NULL, 1, &err) == SG_OK,
		      "render: %s", err.message);
	text = slurp(in_tmp("metrics/events.jsonl", path, sizeof(path)));
	ck_assert_str_eq(text,
		"{\"seq\":1,\"type\":\"exception_raised\","
		"\"at\":\"2026-11-02T00:00:00Z\",\"run_id\":\"run1\","
		"\"exception_id\":\"abcdef01\",\"opportunity_id\":\"O1\","
		"\"detail\":{\"type\":\"missing_evidence\","
		"\"due_at\":\"2026-11-04T00:00:00Z\"}}\n"
		"{\"seq\":2,\"type\":\"run_completed\","
		"\"at\":\"2026-11-02T00:01:00Z\",\"run_id\":\"run1\","
		"\"exception_id\":null,\"opportunity_id\":null,"
		"\"detail\":{\"opportunities\":4,\"share\":0.5,"
		"\"ids\":[1,2]}}\n"
		"{\"seq\":3,\"type\":\"disposition_recorded\","
		"\"at\":\"2026-11-02T01:00:00Z\",\"run_id\":null,"
		"\"exception_id\":\"abcdef01\",\"opportunity_id\":\"O1\","
		"\"detail\":null}\n");
	free(text);
}
END_TEST

START_TEST(test_missing_tables)
{
	struct fixture f;
	struct sg_error err;
	char path[512];
	char *text;

	/* Events only (no pilot section): metrics.json has the as-of,
	 * metrics.csv is empty. */
	fixture_build(&f, F_EVENTS);
	ck_assert_int_eq(render(&f.report, NULL, NULL, 1, &err), SG_OK);
	text = slurp(in_tmp("metrics/metrics.json", path, sizeof(path)));
	ck_assert_str_eq(text,
			 "{\n  \"as_of\": \"2026-11-02T00:00:00Z\"\n}\n");
	free(text);
	text = slurp(in_tmp("metrics/metrics.csv", path, sizeof(path)));
	ck_assert_str_eq(text, "");
	free(text);
	ck_assert_ptr_nonnull(strstr(logged, "written empty"));

	/* Pilot and baseline without a comparison: the CSV is the pilot
	 * table; no events table: events.jsonl is empty. */
	fixture_build(&f, F_PILOT | F_BASELINE);
	f.report.as_of = SG_TIME_NONE;
	ck_assert_int_eq(render(&f.report, NULL, NULL, 1, &err), SG_OK);
	text = slurp(in_tmp("metrics/metrics.csv", path, sizeof(path)));
	ck_assert_str_eq(text, "measure,value\n"
			 "opportunities_evaluated,50\n"
			 "window_start,2026-11-01\n"
			 "stage_progression_exception_rate,0.125\n");
	free(text);
	text = slurp(in_tmp("metrics/events.jsonl", path, sizeof(path)));
	ck_assert_str_eq(text, "");
	free(text);
	text = slurp(in_tmp("metrics/metrics.json", path, sizeof(path)));
	ck_assert_str_eq(text, "{\n  \"as_of\": null\n}\n");
	free(text);

	/* An empty pilot table: metrics.json holds the as-of only (no
	 * document was given), the CSV its header. */
	fixture_build(&f, F_BASELINE | F_PILOT);
	f.pilot.rows = 0;
	f.tables[1].key = "not_baseline";
	ck_assert_int_eq(render(&f.report, NULL, NULL, 1, &err), SG_OK);
	text = slurp(in_tmp("metrics/metrics.json", path, sizeof(path)));
	ck_assert_str_eq(text, "{\n  \"as_of\": \"2026-11-02T00:00:00Z\"\n}\n");
	free(text);
	text = slurp(in_tmp("metrics/metrics.csv", path, sizeof(path)));
	ck_assert_str_eq(text, "measure,value\n");
	free(text);
}
END_TEST

START_TEST(test_dir_option_and_arg)
{
	struct fixture f;
	struct sg_error err;
	char path[512], arg[512], sec[700];

	fixture_build(&f, F_ALL);
	/* The option, relative to the config folder. */
	ck_assert_int_eq(render(&f.report, "{\"dir\": \"out/m\"}", NULL, 1,
				&err), SG_ERR_IO);
	ck_assert_str_eq(err.path, in_tmp("out/m", path, sizeof(path)));
	ck_assert_ptr_nonnull(strstr(err.message, "cannot create"));
	ck_assert_int_eq(mkdir(in_tmp("out", path, sizeof(path)), 0777), 0);
	ck_assert_int_eq(render(&f.report, "{\"dir\": \"out/m\"}", NULL, 1,
				&err), SG_OK);
	ck_assert(exists(in_tmp("out/m/metrics.json", path, sizeof(path))));
	ck_assert(exists(in_tmp("out/m/metrics.csv", path, sizeof(path))));
	ck_assert(exists(in_tmp("out/m/events.jsonl", path, sizeof(path))));
	ck_assert(!exists(in_tmp("metrics", path, sizeof(path))));
	/* An absolute option. */
	snprintf(sec, sizeof(sec), "{\"dir\": \"%s/abs\"}", tmpdir);
	ck_assert_int_eq(render(&f.report, sec, NULL, 1, &err), SG_OK);
	ck_assert(exists(in_tmp("abs/metrics.json", path, sizeof(path))));
	/* The command line's argument wins, as given. */
	in_tmp("given", arg, sizeof(arg));
	ck_assert_int_eq(render(&f.report, "{\"dir\": \"ignored\"}", arg, 1,
				&err), SG_OK);
	ck_assert(exists(in_tmp("given/metrics.json", path, sizeof(path))));
	ck_assert(!exists(in_tmp("ignored", path, sizeof(path))));
	ck_assert_int_eq(strays(arg), 0);
}
END_TEST

START_TEST(test_unwritable)
{
	struct fixture f;
	struct sg_error err;
	char path[512], arg[512];
	FILE *fp;

	fixture_build(&f, F_ALL);
	/* A file where the folder should be, or above it. */
	fp = fopen(in_tmp("plain", path, sizeof(path)), "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	ck_assert_int_eq(render(&f.report, NULL, path, 1, &err), SG_ERR_IO);
	ck_assert_str_eq(err.path, path);
	ck_assert_ptr_nonnull(strstr(err.message, "not a folder"));
	in_tmp("plain/sub", arg, sizeof(arg));
	ck_assert_int_eq(render(&f.report, NULL, arg, 1, &err), SG_ERR_IO);
	ck_assert_str_eq(err.path, arg);
	/* An output name taken by a folder: finish() cannot rename, names
	 * the file, and leaves no temporary file. */
	in_tmp("out", arg, sizeof(arg));
	ck_assert_int_eq(mkdir(arg, 0777), 0);
	ck_assert_int_eq(mkdir(in_tmp("out/metrics.csv", path, sizeof(path)),
			       0777), 0);
	ck_assert_int_eq(mkdir(in_tmp("out/metrics.csv/x", path,
				      sizeof(path)), 0777), 0);
	ck_assert_int_eq(render(&f.report, NULL, arg, 1, &err), SG_ERR_IO);
	ck_assert_str_eq(err.path, in_tmp("out/metrics.csv", path,
					  sizeof(path)));
	ck_assert_int_eq(strays(arg), 0);
}
END_TEST

START_TEST(test_refusals)
{
	const struct sg_plugin *p = sg_plugin_entry();
	struct sg_host host = fake_host();
	struct sg_sink_input in;
	struct fixture f;
	struct sg_error err;
	char path[512], arg[512];
	char *before, *after;
	void *cfg, *state;

	/* No data report. */
	cfg = calloc(1, p->config_size);
	ck_assert_int_eq(sg_options_fill(cfg, p, NULL, "$.sinks.metrics",
					 &err), SG_OK);
	in_tmp("m", arg, sizeof(arg));
	ck_assert_int_eq(p->open(&state, cfg, arg, &host, &err), SG_OK);
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	ck_assert_int_eq(p->write(state, &in, &err), SG_ERR_SINK);
	ck_assert_ptr_nonnull(strstr(err.message, "no data tables"));
	ck_assert_int_eq(p->write(state, NULL, &err), SG_ERR_SINK);
	ck_assert_int_eq(p->finish(state, &err), SG_ERR_SINK);
	p->close(state);
	sg_options_release(cfg, p);
	free(cfg);
	ck_assert_int_eq(strays(arg), 0);

	/* A good render, then bad JSON in a detail: refused naming the
	 * file, table, row and column; the earlier files stay as they
	 * were and no temporary file is left. */
	fixture_build(&f, F_ALL);
	ck_assert_int_eq(render(&f.report, NULL, arg, 1, &err), SG_OK);
	before = slurp(in_tmp("m/events.jsonl", path, sizeof(path)));
	f.events.cells = bad_json_cells;
	f.events.rows = 1;
	f.report.as_of = AS_OF + DAY;
	ck_assert_int_eq(render(&f.report, NULL, arg, 1, &err), SG_ERR_SINK);
	ck_assert_str_eq(err.path, path);
	ck_assert_ptr_nonnull(strstr(err.message, "table \"events\", row 1, "
				     "column \"detail\": not valid JSON"));
	after = slurp(path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	ck_assert_int_eq(strays(arg), 0);
	before = slurp(in_tmp("m/metrics.json", path, sizeof(path)));
	ck_assert_ptr_nonnull(strstr(before, "2026-11-02T00:00:00Z"));
	free(before);

	/* rows() failing midway: its error comes back unchanged. */
	fixture_build(&f, F_ALL);
	f.cmp.fail_after = 2;
	ck_assert_int_eq(render(&f.report, NULL, arg, 1, &err),
			 SG_ERR_LEDGER);
	ck_assert_str_eq(err.message, "ledger went away");
	ck_assert_int_eq(strays(arg), 0);

	/* A write that is never finished leaves nothing behind. */
	in_tmp("unfinished", arg, sizeof(arg));
	ck_assert_int_eq(render(&f.report, NULL, arg, 0, &err), SG_ERR_LEDGER);
	fixture_build(&f, F_ALL);
	ck_assert_int_eq(render(&f.report, NULL, arg, 0, &err), SG_OK);
	ck_assert_int_eq(strays(arg), 0);
	ck_assert(!exists(in_tmp("unfinished/metrics.json", path,
				 sizeof(path))));
}
END_TEST

START_TEST(test_bad_utf8_text)
{
	struct fixture f;
	struct sg_error err;
	char path[512];
	json_t *root;
	const char *m;

	fixture_build(&f, F_EVENTS);
	f.events.cells = bad_utf8_cells;
	f.events.rows = 1;
	ck_assert_int_eq(render(&f.report, NULL, NULL, 1, &err), SG_OK);
	root = json_load_file(in_tmp("metrics/events.jsonl", path,
				     sizeof(path)), 0, NULL);
	ck_assert_ptr_nonnull(root);
	m = json_string_value(json_object_get(root, "type"));
	ck_assert_str_eq(m, "caf\xef\xbf\xbd \xc3\xa9t\xc3\xa9");
	json_decref(root);
}
END_TEST

START_TEST(test_deterministic_and_large)
{
	struct fixture f;
	struct sg_error err;
	char a[512], b[512], path[600];
	const char *names[] = { "metrics.json", "metrics.csv",
				"events.jsonl" };
	char *x, *y, *line;
	size_t i, lines = 0;

	fixture_build(&f, F_ALL);
	f.events.generate = 20000;
	ck_assert_int_eq(render(&f.report, NULL, in_tmp("a", a, sizeof(a)),
				1, &err), SG_OK);
	ck_assert_int_eq(render(&f.report, NULL, in_tmp("b", b, sizeof(b)),
				1, &err), SG_OK);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", a, names[i]);
		x = slurp(path);
		snprintf(path, sizeof(path), "%s/%s", b, names[i]);
		y = slurp(path);
		ck_assert_msg(strcmp(x, y) == 0, "%s differs", names[i]);
		if (i == 2) {
			for (line = strchr(x, '\n'); line != NULL;
			     line = strchr(line + 1, '\n'))
				lines++;
			ck_assert_uint_eq(lines, 20000);
			ck_assert_ptr_nonnull(strstr(x,
				"{\"seq\":20000,\"type\":\"run_completed\","
				"\"at\":\"2026-11-02T05:33:19Z\","
				"\"run_id\":\"r0\",\"exception_id\":null,"
				"\"opportunity_id\":null,"
				"\"detail\":{\"n\":1}}\n"));
		}
		free(x);
		free(y);
	}
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc;

	tc = tcase_create("render");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);     /* 20,000 events under sanitizers */
	tcase_add_test(tc, test_descriptor);
	tcase_add_test(tc, test_metrics_json);
	tcase_add_test(tc, test_metrics_csv);
	tcase_add_test(tc, test_events_jsonl);
	tcase_add_test(tc, test_missing_tables);
	tcase_add_test(tc, test_bad_utf8_text);
	tcase_add_test(tc, test_deterministic_and_large);
	suite_add_tcase(s, tc);
	tc = tcase_create("output");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dir_option_and_arg);
	tcase_add_test(tc, test_unwritable);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(metrics_suite());
	int failed;

	srunner_set_fork_status(runner, CK_FORK);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
