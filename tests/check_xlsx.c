/*
 * check_xlsx.c - the xlsx sink (the sources under plugins/xlsx), linked
 * into this program and driven through its descriptor with a fake host.
 * Synthetic reports cover every value type, every block type, a list
 * table with verdict, status and note columns, CRM text that looks like a
 * formula, charts whose table is on another sheet, and sheet titles that
 * need cleaning.  Each workbook is read back by an independent reader,
 * tests/xlsx/inspect_xlsx.py (python3-openpyxl, plus the zip for the
 * charts), whose JSON facts are asserted here.
 *
 * Without python3 and openpyxl the read-back tests say so and pass, and
 * the program exits 77 (skipped) if everything else passed.
 * Run one case with CK_RUN_SUITE=xlsx CK_RUN_CASE=render.
 */
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sg_plugin.h"
#include "sg_time.h"
#include "sg_test.h"
#include "xlsx_int.h"

#ifndef SG_PYTHON3
#define SG_PYTHON3 ""
#endif

const struct sg_plugin *sg_plugin_entry(void);

/* ---- the fake host ---- */

struct fake {
	const char *config_dir;
	int cancel;
	unsigned long long progress_calls;
	const char *row_limit;  /* SG_XLSX_ROW_LIMIT, or NULL */
	const char *lxw_rows;   /* SG_XLSX_LIBXLSXWRITER_ROWS, or NULL */
};

static const char *fake_getenv(void *ctx, const char *name)
{
	const struct fake *f = ctx;

	if (strcmp(name, XLSX_LIBXLSXWRITER_ROWS_ENV) == 0)
		return f->lxw_rows;
	return strcmp(name, "SG_XLSX_ROW_LIMIT") == 0 ? f->row_limit : NULL;
}

static void fake_log(void *ctx, int level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

static void fake_progress(void *ctx, const char *what,
			  unsigned long long done, unsigned long long total)
{
	struct fake *f = ctx;

	(void)what;
	(void)done;
	(void)total;
	f->progress_calls++;
}

static int fake_cancelled(void *ctx)
{
	return ((struct fake *)ctx)->cancel;
}

static const char *fake_config_dir(void *ctx)
{
	return ((struct fake *)ctx)->config_dir;
}

static struct sg_host fake_host(struct fake *f)
{
	struct sg_host h;

	memset(&h, 0, sizeof(h));
	h.version = SG_HOST_VERSION;
	h.size = sizeof(h);
	h.ctx = f;
	h.log = fake_log;
	h.progress = fake_progress;
	h.cancelled = fake_cancelled;
	h.config_dir = fake_config_dir;
	h.getenv = fake_getenv;
	return h;
}

/* ---- the synthetic report ---- */

/* 2026-11-20T18:00:00Z */
static sg_time as_of(void)
{
	return sg_days_from_civil(2026, 11, 20) * 86400 + 18 * 3600;
}

struct gen {
	size_t n;
	size_t fail_at;         /* fail before this row (1-based); 0 never */
};

enum {
	EXC_ID, EXC_NAME, EXC_AMOUNT, EXC_VERDICT, EXC_STATUS, EXC_NOTE,
	EXC_EVENT, EXC_DUE, EXC_AGE, EXC_COUNT, EXC_DETAIL, EXC_VALUE,
	EXC_COLS
};

static const struct sg_column exc_columns[EXC_COLS] = {
	{"id", "Exception", SG_VAL_TEXT, SG_ROLE_ID, 0},
	{"name", "Opportunity", SG_VAL_TEXT, SG_ROLE_PLAIN, 0},
	{"amount", "Amount", SG_VAL_MONEY, SG_ROLE_PLAIN, 0},
	{"verdict", "Verdict", SG_VAL_TEXT, SG_ROLE_VERDICT, 0},
	{"status", "Status", SG_VAL_TEXT, SG_ROLE_STATUS, 0},
	{"note", "Review note", SG_VAL_TEXT, SG_ROLE_NOTE, 0},
	{"event_at", "Event", SG_VAL_TIME, SG_ROLE_PLAIN, 0},
	{"due", "Due", SG_VAL_DATE, SG_ROLE_PLAIN, 0},
	{"age", "Age", SG_VAL_NUMBER, SG_ROLE_PLAIN, 0},
	{"count", "Count", SG_VAL_INT, SG_ROLE_PLAIN, 0},
	{"detail", "Detail", SG_VAL_JSON, SG_ROLE_PLAIN, 0},
	{"value", "Value", SG_VAL_MIXED, SG_ROLE_PLAIN, 0},
};

static const char *const exc_names[] = {
	"=HYPERLINK(\"http://evil.example/\",\"click\")", "+1 renewal",
	"-discount deal", "@owner deal"
};
static const char *const exc_verdicts[] = {
	"block", "review", "pause", "allow"
};
static const char *const exc_units[] = {"EUR", "USD", NULL};

static void exc_mixed(struct sg_value *v, size_t i)
{
	switch (i % 6) {
	case 0:
		v->type = SG_VAL_INT;
		v->integer = (long long)i;
		break;
	case 1:
		v->type = SG_VAL_PERCENT;
		v->number = 0.25;
		break;
	case 2:
		v->type = SG_VAL_NA;
		break;
	case 3:
		v->type = SG_VAL_NONE;
		break;
	case 4:
		v->type = SG_VAL_MONEY;
		v->number = 99.5;
		v->text = "99.50";
		v->unit = "EUR";
		break;
	default:
		v->type = SG_VAL_TIME;
		v->time = as_of();
		break;
	}
}

static int exc_rows(const struct sg_table *t, sg_row_fn row, void *arg,
		    struct sg_error *err)
{
	const struct gen *g = t->ctx;
	struct sg_value v[EXC_COLS];
	char id[32], name[64], note[512], json[48], amount[32];
	size_t i;
	int rc;

	for (i = 0; i < g->n; i++) {
		if (g->fail_at != 0 && i + 1 == g->fail_at)
			return sg_error_set(err, SG_ERR_LEDGER,
					    "the ledger went away");
		memset(v, 0, sizeof(v));
		snprintf(id, sizeof(id), "exc-%06zu", i);
		if (i < 4)
			snprintf(name, sizeof(name), "%s", exc_names[i]);
		else
			snprintf(name, sizeof(name), "Deal %zu", i);
		snprintf(note, sizeof(note),
			 "Moved from discovery to proposal without the buyer "
			 "confirming pain or budget; the seller logged %zu "
			 "emails and no buyer reply.  Ask the owner for the "
			 "evidence before the forecast call, or move the "
			 "deal back to qualification.", i);
		snprintf(json, sizeof(json), "{\"criterion\":\"pain\",\"n\":"
			 "%zu}", i);
		snprintf(amount, sizeof(amount), "%zu.50", 1200 + i);
		v[EXC_ID].type = SG_VAL_TEXT;
		v[EXC_ID].text = id;
		v[EXC_NAME].type = SG_VAL_TEXT;
		v[EXC_NAME].text = name;
		v[EXC_AMOUNT].type = SG_VAL_MONEY;
		v[EXC_AMOUNT].text = amount;
		v[EXC_AMOUNT].number = 1200.5 + (double)i;
		v[EXC_AMOUNT].unit = exc_units[i % 3];
		v[EXC_VERDICT].type = SG_VAL_TEXT;
		v[EXC_VERDICT].text = exc_verdicts[i % 4];
		v[EXC_STATUS].type = SG_VAL_TEXT;
		v[EXC_STATUS].text = i % 4 == 0 ? "overdue" : "open";
		v[EXC_NOTE].type = SG_VAL_TEXT;
		v[EXC_NOTE].text = note;
		v[EXC_EVENT].type = SG_VAL_TIME;
		v[EXC_EVENT].time = as_of() - (sg_time)i * 3600;
		v[EXC_DUE].type = SG_VAL_DATE;
		v[EXC_DUE].time = (sg_time_day(as_of()) + (sg_time)i) * 86400;
		v[EXC_AGE].type = SG_VAL_NUMBER;
		v[EXC_AGE].number = (double)i + 0.5;
		v[EXC_AGE].unit = "days";
		v[EXC_COUNT].type = SG_VAL_INT;
		v[EXC_COUNT].integer = (long long)i;
		v[EXC_DETAIL].type = SG_VAL_JSON;
		v[EXC_DETAIL].text = json;
		exc_mixed(&v[EXC_VALUE], i);
		rc = row(arg, v, err);
		if (rc != 0)
			return rc;
	}
	return SG_OK;
}

/* The headline: measure, baseline, pilot (mixed), change. */
static const struct sg_column head_columns[] = {
	{"measure", "Measure", SG_VAL_TEXT, SG_ROLE_PLAIN, 24},
	{"baseline", "Baseline", SG_VAL_MIXED, SG_ROLE_PLAIN, 0},
	{"pilot", "Pilot", SG_VAL_MIXED, SG_ROLE_PLAIN, 0},
	{"change", "Change", SG_VAL_PERCENT, SG_ROLE_PLAIN, 0},
};

static int head_rows(const struct sg_table *t, sg_row_fn row, void *arg,
		     struct sg_error *err)
{
	struct sg_value v[4];
	int rc;

	(void)t;
	memset(v, 0, sizeof(v));
	v[0].type = SG_VAL_TEXT;
	v[0].text = "Exceptions";
	v[1].type = SG_VAL_INT;
	v[1].integer = 120;
	v[2].type = SG_VAL_INT;
	v[2].integer = 90;
	v[3].type = SG_VAL_PERCENT;
	v[3].number = -0.25;
	rc = row(arg, v, err);
	if (rc != 0)
		return rc;
	v[0].text = "Median days in stage";
	v[1].type = SG_VAL_NUMBER;
	v[1].number = 12.5;
	v[1].unit = "days";
	v[2].type = SG_VAL_NUMBER;
	v[2].number = 10.0;
	v[2].unit = "days";
	v[3].number = -0.2;
	rc = row(arg, v, err);
	if (rc != 0)
		return rc;
	v[0].text = "Pipeline held";
	v[1].type = SG_VAL_MONEY;
	v[1].number = 250000;
	v[1].text = "250000.00";
	v[1].unit = "EUR";
	v[2].type = SG_VAL_NA;
	v[3].type = SG_VAL_NONE;
	return row(arg, v, err);
}

/* By type: type, baseline, pilot (three rows). */
static const struct sg_column type_columns[] = {
	{"type", "Exception type", SG_VAL_TEXT, SG_ROLE_PLAIN, 0},
	{"baseline", "Baseline", SG_VAL_INT, SG_ROLE_PLAIN, 0},
	{"pilot", "Pilot", SG_VAL_INT, SG_ROLE_PLAIN, 0},
};

static int type_rows(const struct sg_table *t, sg_row_fn row, void *arg,
		     struct sg_error *err)
{
	static const char *const types[] = {
		"missing_evidence", "stage_age", "seller_only"
	};
	struct sg_value v[3];
	size_t i;
	int rc;

	(void)t;
	for (i = 0; i < 3; i++) {
		memset(v, 0, sizeof(v));
		v[0].type = SG_VAL_TEXT;
		v[0].text = types[i];
		v[1].type = SG_VAL_INT;
		v[1].integer = (long long)(30 - i * 5);
		v[2].type = SG_VAL_INT;
		v[2].integer = (long long)(20 - i * 5);
		rc = row(arg, v, err);
		if (rc != 0)
			return rc;
	}
	return SG_OK;
}

/* Weekly: week start (date), rate (percent); four rows. */
static const struct sg_column week_columns[] = {
	{"week", "Week", SG_VAL_DATE, SG_ROLE_PLAIN, 0},
	{"rate", "Exception rate", SG_VAL_PERCENT, SG_ROLE_PLAIN, 0},
};

static int week_rows(const struct sg_table *t, sg_row_fn row, void *arg,
		     struct sg_error *err)
{
	struct sg_value v[2];
	size_t i;
	int rc;

	(void)t;
	for (i = 0; i < 4; i++) {
		memset(v, 0, sizeof(v));
		v[0].type = SG_VAL_DATE;
		v[0].time = sg_days_from_civil(2026, 11, 2 + 7 * (unsigned)i) *
			86400;
		v[1].type = SG_VAL_PERCENT;
		v[1].number = 0.1 - 0.01 * (double)i;
		rc = row(arg, v, err);
		if (rc != 0)
			return rc;
	}
	return SG_OK;
}

/* The review queue: two small lists on one sheet. */
static const struct sg_column queue_columns[] = {
	{"task", "Task", SG_VAL_TEXT, SG_ROLE_ID, 0},
	{"verdict", "Verdict", SG_VAL_TEXT, SG_ROLE_VERDICT, 0},
};

static int queue_rows(const struct sg_table *t, sg_row_fn row, void *arg,
		      struct sg_error *err)
{
	struct sg_value v[2];
	int rc;

	(void)t;
	memset(v, 0, sizeof(v));
	v[0].type = SG_VAL_TEXT;
	v[0].text = "task-1";
	v[1].type = SG_VAL_TEXT;
	v[1].text = "block";
	rc = row(arg, v, err);
	if (rc != 0)
		return rc;
	v[0].text = "task-2";
	v[1].text = "allow";
	return row(arg, v, err);
}

struct fixture {
	struct gen exc_gen;
	struct sg_table exc, head, by_type, weekly, queue, queue2, stray;
	struct sg_chart by_type_chart, weekly_chart, turnaround_chart;
	size_t by_type_values[2], weekly_values[1], turnaround_values[1];
	struct sg_block summary[4], exceptions[2], dup[3], trend[4];
	struct sg_block history[1];
	struct sg_section sections[8];
	struct sg_report report;
};

#define FX_EXC_ROWS 25

static void fixture_init(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->exc_gen.n = FX_EXC_ROWS;
	fx->exc = (struct sg_table){"exceptions", "Every exception",
		"One row per exception raised in the pilot.", exc_columns,
		EXC_COLS, SG_TABLE_LIST, exc_rows, &fx->exc_gen};
	fx->head = (struct sg_table){"headline", "Headline measures",
		"Baseline: the 90 days before the pilot.", head_columns, 4, 0,
		head_rows, NULL};
	fx->by_type = (struct sg_table){"by_type", "By type", NULL,
		type_columns, 3, 0, type_rows, NULL};
	fx->weekly = (struct sg_table){"weekly", NULL, NULL, week_columns,
		2, 0, week_rows, NULL};
	fx->queue = (struct sg_table){"queue", NULL, NULL, queue_columns,
		2, SG_TABLE_LIST, queue_rows, NULL};
	fx->queue2 = (struct sg_table){"queue2", "Closed", NULL,
		queue_columns, 2, SG_TABLE_LIST, queue_rows, NULL};
	fx->by_type_values[0] = 1;
	fx->by_type_values[1] = 2;
	fx->by_type_chart = (struct sg_chart){"by_type", "Exceptions by type",
		SG_CHART_COLUMN, &fx->by_type, 0, fx->by_type_values, 2,
		"Exception type", "Exceptions"};
	fx->weekly_values[0] = 1;
	fx->weekly_chart = (struct sg_chart){"weekly_rate",
		"Weekly exception rate", SG_CHART_LINE, &fx->weekly, 0,
		fx->weekly_values, 1, "Week", "Rate"};
	fx->turnaround_values[0] = 2;
	fx->turnaround_chart = (struct sg_chart){"turnaround", "=Turnaround",
		SG_CHART_BAR, &fx->by_type, 0, fx->turnaround_values, 1, NULL,
		NULL};

	fx->summary[0] = (struct sg_block){SG_BLOCK_HEADING, "Pilot summary",
		NULL, NULL};
	fx->summary[1] = (struct sg_block){SG_BLOCK_TEXT,
		"The pilot ran from 2026-11-01 for 30 days.  Exceptions fell "
		"by a quarter against the baseline, and the median deal spent "
		"two and a half days less in each stage.\nReviews were "
		"decided within two days.", NULL, NULL};
	fx->summary[2] = (struct sg_block){SG_BLOCK_TABLE, NULL, &fx->head,
		NULL};
	/* A chart of a table on a later sheet. */
	fx->summary[3] = (struct sg_block){SG_BLOCK_CHART, NULL, NULL,
		&fx->by_type_chart};

	fx->exceptions[0] = (struct sg_block){SG_BLOCK_HEADING, "Exceptions",
		NULL, NULL};
	fx->exceptions[1] = (struct sg_block){SG_BLOCK_TABLE, NULL, &fx->exc,
		NULL};

	fx->dup[0] = (struct sg_block){SG_BLOCK_TEXT, "Open review tasks.",
		NULL, NULL};
	fx->dup[1] = (struct sg_block){SG_BLOCK_TABLE, NULL, &fx->queue,
		NULL};
	fx->dup[2] = (struct sg_block){SG_BLOCK_TABLE, NULL, &fx->queue2,
		NULL};

	fx->trend[0] = (struct sg_block){SG_BLOCK_TABLE, NULL, &fx->by_type,
		NULL};
	fx->trend[1] = (struct sg_block){SG_BLOCK_TABLE, NULL, &fx->weekly,
		NULL};
	fx->trend[2] = (struct sg_block){SG_BLOCK_CHART, NULL, NULL,
		&fx->weekly_chart};
	fx->trend[3] = (struct sg_block){SG_BLOCK_CHART, NULL, NULL,
		&fx->turnaround_chart};

	fx->history[0] = (struct sg_block){SG_BLOCK_HEADING, "History",
		NULL, NULL};

	fx->sections[0] = (struct sg_section){"summary", "Summary",
		fx->summary, 4};
	fx->sections[1] = (struct sg_section){"exceptions",
		"Exceptions: all [open]", fx->exceptions, 2};
	fx->sections[2] = (struct sg_section){"dup", "Exceptions: all [open]",
		fx->dup, 3};
	fx->sections[3] = (struct sg_section){"trend",
		"Owners' trend/weekly", fx->trend, 4};
	fx->sections[4] = (struct sg_section){"long1",
		"A very long section title that exceeds 31 characters", NULL,
		0};
	fx->sections[5] = (struct sg_section){"long2",
		"A very long section title that exceeds 31 characters too",
		NULL, 0};
	fx->sections[6] = (struct sg_section){"history", "History",
		fx->history, 1};
	fx->sections[7] = (struct sg_section){"", "", NULL, 0};
	fx->report = (struct sg_report){"leadership", "Pilot report",
		as_of(), fx->sections, 8};
}

/* ---- driving the plugin ---- */

/* Runs open, write, finish and close as the host does.  out is the "out"
 * option (NULL: the option's default); returns the first error. */
static int render_with(struct fake *f, const struct sg_report *report,
		       const char *out, const char *arg, struct sg_error *err)
{
	const struct sg_plugin *p = sg_plugin_entry();
	struct sg_host host = fake_host(f);
	struct sg_sink_input input;
	char *config;
	void *state = NULL;
	size_t i;
	int rc;

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->abi_version, SG_PLUGIN_ABI_VERSION);
	ck_assert_str_eq(p->name, "xlsx");
	ck_assert_uint_eq(p->kind, SG_PLUGIN_SINK);
	ck_assert_uint_eq(p->sink_needs, SG_SINK_NEEDS_REPORT);
	config = calloc(1, p->config_size);
	ck_assert_ptr_nonnull(config);
	/* As the host fills the config: the value, else the default. */
	for (i = 0; i < p->option_count; i++)
		if (strcmp(p->options[i].name, "out") == 0)
			*(const char **)(void *)(config + p->options[i].offset)
				= out != NULL ? out :
				p->options[i].default_value;
	memset(&input, 0, sizeof(input));
	input.size = sizeof(input);
	input.report = report;
	sg_error_clear(err);
	rc = p->open(&state, config, arg, &host, err);
	if (rc != SG_OK) {
		free(config);
		return rc;
	}
	rc = p->write(state, &input, err);
	if (rc == SG_OK) {
		rc = p->finish(state, err);
	} else {
		struct sg_error ignored;

		ck_assert_int_ne(p->finish(state, &ignored), SG_OK);
	}
	p->close(state);
	free(config);
	return rc;
}

static int render(const char *dir, const struct sg_report *report,
		  const char *out, struct sg_error *err)
{
	struct fake f;

	memset(&f, 0, sizeof(f));
	f.config_dir = dir;
	return render_with(&f, report, out, NULL, err);
}

static char *make_dir(void)
{
	char tmpl[] = "/tmp/check-xlsx-XXXXXX";
	char *d = mkdtemp(tmpl);

	ck_assert_msg(d != NULL, "mkdtemp: %s", strerror(errno));
	return strdup(d);
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
			struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a test's folder and frees its name. */
static void remove_dir(char *dir)
{
	(void)nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static int file_exists(const char *dir, const char *name)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Entries in dir (not . and ..). */
static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	ck_assert_int_ge(n, 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* ---- the independent reader ---- */

/* A python3 that has openpyxl, or NULL. */
static const char *python(void)
{
	static const char *const candidates[] = {
		SG_PYTHON3, "/usr/bin/python3", "python3"
	};
	static char chosen[512];
	static int state;       /* 0 unknown, 1 found, -1 none */
	char cmd[1024];
	size_t i;

	if (state != 0)
		return state > 0 ? chosen : NULL;
	state = -1;
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (candidates[i][0] == '\0')
			continue;
		snprintf(cmd, sizeof(cmd), "'%s' -c 'import openpyxl' "
			 ">/dev/null 2>&1", candidates[i]);
		if (system(cmd) == 0) {
			snprintf(chosen, sizeof(chosen), "%s", candidates[i]);
			state = 1;
			break;
		}
	}
	return state > 0 ? chosen : NULL;
}

#define NEED_PYTHON()                                                    \
	do {                                                             \
		if (python() == NULL) {                                  \
			printf("SKIP %s: python3 with openpyxl not found " \
			       "(apt-get install python3-openpyxl)\n",   \
			       __func__);                                \
			return;                                          \
		}                                                        \
	} while (0)

/* What inspect_xlsx.py sees in the workbook at path. */
static json_t *facts(const char *path, const char *needle)
{
	char script[1024], cmd[4096];
	json_error_t jerr;
	json_t *j;
	FILE *fp;
	char *out = NULL;
	size_t len = 0, cap = 0, n;
	int status;

	sg_test_src_path("tests/xlsx/inspect_xlsx.py", script, sizeof(script));
	snprintf(cmd, sizeof(cmd), "'%s' '%s' '%s'%s%s%s", python(), script,
		 path, needle != NULL ? " '" : "",
		 needle != NULL ? needle : "", needle != NULL ? "'" : "");
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	for (;;) {
		if (cap - len < 65536) {
			cap = cap * 2 + 65536;
			out = realloc(out, cap);
			ck_assert_ptr_nonnull(out);
		}
		n = fread(out + len, 1, cap - len - 1, fp);
		if (n == 0)
			break;
		len += n;
	}
	out[len] = '\0';
	status = pclose(fp);
	ck_assert_msg(status == 0, "%s: exit %d", cmd, status);
	j = json_loads(out, 0, &jerr);
	ck_assert_msg(j != NULL, "facts: %s", jerr.text);
	free(out);
	return j;
}

static json_t *sheet_of(json_t *f, const char *name)
{
	json_t *s = json_object_get(json_object_get(f, "sheet"), name);

	ck_assert_msg(s != NULL, "no sheet \"%s\"", name);
	return s;
}

static json_t *cell_of(json_t *f, const char *sheet, const char *ref)
{
	json_t *c = json_object_get(json_object_get(sheet_of(f, sheet),
						    "cells"), ref);

	ck_assert_msg(c != NULL, "sheet \"%s\": no cell %s", sheet, ref);
	return c;
}

static const char *str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_string(v), "\"%s\" is not a string", key);
	return json_string_value(v);
}

/* Asserts a cell's openpyxl type, python type and number format. */
static void assert_cell(json_t *f, const char *sheet, const char *ref,
			const char *t, const char *py, const char *fmt)
{
	json_t *c = cell_of(f, sheet, ref);

	ck_assert_msg(strcmp(str_of(c, "t"), t) == 0, "%s!%s: type %s, not %s",
		      sheet, ref, str_of(c, "t"), t);
	ck_assert_msg(strcmp(str_of(c, "py"), py) == 0, "%s!%s: %s, not %s",
		      sheet, ref, str_of(c, "py"), py);
	if (fmt != NULL)
		ck_assert_msg(strcmp(str_of(c, "fmt"), fmt) == 0,
			      "%s!%s: format %s, not %s", sheet, ref,
			      str_of(c, "fmt"), fmt);
}

static void assert_text(json_t *f, const char *sheet, const char *ref,
			const char *text)
{
	json_t *c = cell_of(f, sheet, ref);

	ck_assert_str_eq(str_of(c, "t"), "s");
	ck_assert_str_eq(str_of(c, "v"), text);
}

static const char *const fx_sheets[] = {
	"Summary", "Exceptions_ all _open_", "Exceptions_ all _open_ (2)",
	"Owners' trend_weekly", "A very long section title that ",
	"A very long section title t (2)", "History (2)", "Sheet"
};
#define SH_EXC "Exceptions_ all _open_"
#define SH_DUP "Exceptions_ all _open_ (2)"
#define SH_TREND "Owners' trend_weekly"
#define Q_TREND "'Owners'' trend_weekly'"

/* ---- tests ---- */

START_TEST(test_render_sheets)
{
	struct fixture fx;
	struct sg_error err;
	char *dir, path[1024];
	json_t *f, *names;
	size_t i;

	NEED_PYTHON();
	dir = make_dir();
	fixture_init(&fx);
	ck_assert_msg(render(dir, &fx.report, "r.xlsx", &err) == SG_OK, "%s",
		      err.message);
	snprintf(path, sizeof(path), "%s/r.xlsx", dir);
	f = facts(path, NULL);
	names = json_object_get(f, "sheets");
	ck_assert_uint_eq(json_array_size(names), 8);
	for (i = 0; i < 8; i++)
		ck_assert_str_eq(json_string_value(json_array_get(names, i)),
				 fx_sheets[i]);
	ck_assert_str_eq(str_of(f, "title"), "Pilot report");
	ck_assert_str_eq(str_of(f, "created"), "2026-11-20T18:00:00");
	/* No cell anywhere is a formula. */
	ck_assert_int_eq(json_integer_value(json_object_get(f, "formulas")),
			 0);

	/* Summary: heading, merged paragraph, titled table with a note. */
	assert_text(f, "Summary", "A1", "Pilot summary");
	ck_assert(json_is_true(json_object_get(cell_of(f, "Summary", "A1"),
					       "bold")));
	ck_assert(json_is_true(json_object_get(cell_of(f, "Summary", "A2"),
					       "wrap")));
	ck_assert_uint_eq(json_array_size(json_object_get(
		sheet_of(f, "Summary"), "merged")), 2);
	assert_text(f, "Summary", "A4", "Headline measures");
	assert_text(f, "Summary", "A5",
		    "Baseline: the 90 days before the pilot.");
	assert_text(f, "Summary", "A6", "Measure");
	assert_text(f, "Summary", "D6", "Change");
	/* Mixed columns: each cell as its own type says. */
	assert_cell(f, "Summary", "B7", "n", "int", "#,##0");
	assert_cell(f, "Summary", "D7", "n", "float", "0.0%");
	assert_cell(f, "Summary", "B8", "n", "float", "#,##0.0");
	assert_cell(f, "Summary", "B9", "n", "int", "#,##0.00 \"EUR\"");
	assert_text(f, "Summary", "C9", "n/a");
	ck_assert_ptr_null(json_object_get(json_object_get(
		sheet_of(f, "Summary"), "cells"), "D9"));
	/* Not a list: no frozen header, no filter. */
	ck_assert(json_is_null(json_object_get(sheet_of(f, "Summary"),
					       "freeze")));
	json_decref(f);
	remove_dir(dir);
}
END_TEST

START_TEST(test_render_list)
{
	struct fixture fx;
	struct sg_error err;
	char *dir, path[1024], ref[16];
	json_t *f, *sh, *cf, *widths;
	size_t i, verdict_rules = 0, status_rules = 0;

	NEED_PYTHON();
	dir = make_dir();
	fixture_init(&fx);
	ck_assert_msg(render(dir, &fx.report, "r.xlsx", &err) == SG_OK, "%s",
		      err.message);
	snprintf(path, sizeof(path), "%s/r.xlsx", dir);
	f = facts(path, NULL);
	sh = sheet_of(f, SH_EXC);
	/* Heading, title, note, header at row 4, 25 rows: 5..29. */
	assert_text(f, SH_EXC, "A1", "Exceptions");
	assert_text(f, SH_EXC, "A2", "Every exception");
	assert_text(f, SH_EXC, "A4", "Exception");
	assert_text(f, SH_EXC, "F4", "Review note");
	assert_text(f, SH_EXC, "L4", "Value");
	ck_assert(json_is_true(json_object_get(cell_of(f, SH_EXC, "A4"),
					       "bold")));
	ck_assert_int_eq(json_integer_value(json_object_get(sh, "max_row")),
			 29);
	ck_assert_int_eq(json_integer_value(json_object_get(sh, "max_col")),
			 12);
	ck_assert_str_eq(str_of(sh, "freeze"), "A5");
	ck_assert_str_eq(str_of(sh, "autofilter"), "A4:L29");
	assert_text(f, SH_EXC, "A29", "exc-000024");

	/* CRM text stays text, whatever it starts with. */
	assert_text(f, SH_EXC, "B5",
		    "=HYPERLINK(\"http://evil.example/\",\"click\")");
	assert_text(f, SH_EXC, "B6", "+1 renewal");
	assert_text(f, SH_EXC, "B7", "-discount deal");
	assert_text(f, SH_EXC, "B8", "@owner deal");
	/* Money with its currency, or none. */
	assert_cell(f, SH_EXC, "C5", "n", "float", "#,##0.00 \"EUR\"");
	assert_cell(f, SH_EXC, "C6", "n", "float", "#,##0.00 \"USD\"");
	assert_cell(f, SH_EXC, "C7", "n", "float", "#,##0.00");
	ck_assert(json_real_value(json_object_get(cell_of(f, SH_EXC, "C5"),
						  "v")) == 1200.5);
	/* The note wraps, in a wide column. */
	ck_assert(json_is_true(json_object_get(cell_of(f, SH_EXC, "F5"),
					       "wrap")));
	widths = json_object_get(sh, "widths");
	ck_assert(json_real_value(json_object_get(widths, "F")) >= 50.0);
	ck_assert(json_real_value(json_object_get(widths, "A")) >= 12.0);
	/* Dates and times are real ones. */
	assert_cell(f, SH_EXC, "G5", "d", "datetime", "yyyy-mm-dd hh:mm");
	ck_assert_str_eq(str_of(cell_of(f, SH_EXC, "G5"), "v"),
			 "2026-11-20T18:00:00");
	ck_assert_str_eq(str_of(cell_of(f, SH_EXC, "G6"), "v"),
			 "2026-11-20T17:00:00");
	assert_cell(f, SH_EXC, "H5", "d", "datetime", "yyyy-mm-dd");
	ck_assert_str_eq(str_of(cell_of(f, SH_EXC, "H6"), "v"),
			 "2026-11-21T00:00:00");
	assert_cell(f, SH_EXC, "I5", "n", "float", "#,##0.0");
	assert_cell(f, SH_EXC, "J6", "n", "int", "#,##0");
	assert_text(f, SH_EXC, "K5", "{\"criterion\":\"pain\",\"n\":0}");
	/* The mixed column, rows 0..5: int, percent, n/a, none, money,
	 * time. */
	assert_cell(f, SH_EXC, "L5", "n", "int", "#,##0");
	assert_cell(f, SH_EXC, "L6", "n", "float", "0.0%");
	assert_text(f, SH_EXC, "L7", "n/a");
	ck_assert_ptr_null(json_object_get(json_object_get(sh, "cells"),
					   "L8"));
	assert_cell(f, SH_EXC, "L9", "n", "float", "#,##0.00 \"EUR\"");
	assert_cell(f, SH_EXC, "L10", "d", "datetime", "yyyy-mm-dd hh:mm");
	/* Verdict colours and overdue highlight over the data. */
	cf = json_object_get(sh, "cf");
	for (i = 0; i < json_array_size(cf); i++) {
		json_t *r = json_array_get(cf, i);
		const char *formula = json_string_value(json_array_get(
			json_object_get(r, "formula"), 0));

		ck_assert_str_eq(str_of(r, "type"), "cellIs");
		ck_assert_str_eq(str_of(r, "operator"), "equal");
		if (strcmp(str_of(r, "range"), "D5:D29") == 0) {
			verdict_rules++;
			ck_assert(strcmp(formula, "\"block\"") == 0 ||
				  strcmp(formula, "\"review\"") == 0 ||
				  strcmp(formula, "\"pause\"") == 0 ||
				  strcmp(formula, "\"allow\"") == 0);
		} else {
			ck_assert_str_eq(str_of(r, "range"), "E5:E29");
			ck_assert_str_eq(formula, "\"overdue\"");
			status_rules++;
		}
	}
	ck_assert_uint_eq(verdict_rules, 4);
	ck_assert_uint_eq(status_rules, 1);
	for (i = 5; i <= 8; i++) {
		snprintf(ref, sizeof(ref), "D%zu", i);
		assert_text(f, SH_EXC, ref, exc_verdicts[i - 5]);
	}

	/* A list that is not first on its sheet: frozen at its header; the
	 * sheet's second list gets no second filter. */
	sh = sheet_of(f, SH_DUP);
	assert_text(f, SH_DUP, "A3", "Task");
	ck_assert_str_eq(str_of(sh, "freeze"), "A4");
	ck_assert_str_eq(str_of(sh, "autofilter"), "A3:B5");
	assert_text(f, SH_DUP, "A7", "Closed");
	assert_text(f, SH_DUP, "A8", "Task");
	assert_text(f, SH_DUP, "A10", "task-2");
	json_decref(f);
	remove_dir(dir);
}
END_TEST

/* A list longer than a sheet holds goes on on "NAME (2)", "NAME (3)"...
 * (the row limit lowered to 12 by the test hook): every row is written
 * once, in order, each piece with its column titles, and each sheet's
 * last row says where the list goes on. */
START_TEST(test_continuation_sheets)
{
	struct fixture fx;
	struct fake fk;
	struct sg_error err;
	char *dir, path[1024];
	json_t *f, *names;
	const char *pieces[] = { SH_EXC, SH_EXC " (3)", SH_EXC " (4)" };

	NEED_PYTHON();
	dir = make_dir();
	fixture_init(&fx);
	memset(&fk, 0, sizeof(fk));
	fk.config_dir = dir;
	fk.row_limit = "12";
	ck_assert_msg(render_with(&fk, &fx.report, "r.xlsx", NULL, &err) ==
		      SG_OK, "%s", err.message);
	snprintf(path, sizeof(path), "%s/r.xlsx", dir);
	f = facts(path, NULL);
	/* "(2)" is the next section's name already: the pieces skip it. */
	names = json_object_get(f, "sheets");
	ck_assert_str_eq(json_string_value(json_array_get(names,
		json_array_size(names) - 2)), pieces[1]);
	ck_assert_str_eq(json_string_value(json_array_get(names,
		json_array_size(names) - 1)), pieces[2]);
	/* Heading, title, note, titles at row 4: rows 5..11, then the
	 * pointer in row 12. */
	assert_text(f, pieces[0], "A5", "exc-000000");
	assert_text(f, pieces[0], "A11", "exc-000006");
	assert_text(f, pieces[0], "A12", "Continued on sheet \"" SH_EXC
		    " (3)\".");
	ck_assert_str_eq(str_of(sheet_of(f, pieces[0]), "autofilter"),
			 "A4:L11");
	/* Titles in row 1, ten rows, the pointer. */
	assert_text(f, pieces[1], "A1", "Exception");
	assert_text(f, pieces[1], "A2", "exc-000007");
	assert_text(f, pieces[1], "A11", "exc-000016");
	assert_text(f, pieces[1], "A12", "Continued on sheet \"" SH_EXC
		    " (4)\".");
	ck_assert_str_eq(str_of(sheet_of(f, pieces[1]), "freeze"), "A2");
	/* The rest: rows 17..24. */
	assert_text(f, pieces[2], "A1", "Exception");
	assert_text(f, pieces[2], "A2", "exc-000017");
	assert_text(f, pieces[2], "A9", "exc-000024");
	ck_assert_int_eq(json_integer_value(json_object_get(
		sheet_of(f, pieces[2]), "max_row")), 9);
	json_decref(f);
	remove_dir(dir);
}
END_TEST

static json_t *chart_at(json_t *f, size_t i)
{
	json_t *c = json_array_get(json_object_get(f, "charts"), i);

	ck_assert_ptr_nonnull(c);
	return c;
}

static const char *series_ref(json_t *chart, size_t i, const char *key)
{
	json_t *s = json_array_get(json_object_get(chart, "series"), i);

	ck_assert_ptr_nonnull(s);
	return str_of(s, key);
}

START_TEST(test_render_charts)
{
	struct fixture fx;
	struct sg_error err;
	char *dir, path[1024];
	json_t *f, *c;

	NEED_PYTHON();
	dir = make_dir();
	fixture_init(&fx);
	ck_assert_msg(render(dir, &fx.report, "r.xlsx", &err) == SG_OK, "%s",
		      err.message);
	snprintf(path, sizeof(path), "%s/r.xlsx", dir);
	f = facts(path, NULL);
	ck_assert_uint_eq(json_array_size(json_object_get(f, "charts")), 3);
	/* The data the charts reference: by_type at rows 2..5, weekly at
	 * 7..11 of the trend sheet. */
	assert_text(f, SH_TREND, "A1", "By type");
	assert_text(f, SH_TREND, "B2", "Baseline");
	assert_text(f, SH_TREND, "A5", "seller_only");
	assert_text(f, SH_TREND, "B7", "Exception rate");
	assert_cell(f, SH_TREND, "A8", "d", "datetime", "yyyy-mm-dd");
	assert_cell(f, SH_TREND, "B11", "n", "float", "0.0%");

	/* On Summary, a column chart of a table on a later sheet. */
	c = chart_at(f, 0);
	ck_assert_str_eq(str_of(c, "sheet"), "Summary");
	ck_assert_str_eq(json_string_value(json_array_get(
		json_object_get(c, "kinds"), 0)), "barChart");
	ck_assert_str_eq(str_of(c, "bar_dir"), "col");
	ck_assert_str_eq(str_of(c, "title"), "Exceptions by type");
	ck_assert_uint_eq(json_array_size(json_object_get(c, "series")), 2);
	ck_assert_str_eq(series_ref(c, 0, "tx"), Q_TREND "!$B$2");
	ck_assert_str_eq(series_ref(c, 0, "cat"), Q_TREND "!$A$3:$A$5");
	ck_assert_str_eq(series_ref(c, 0, "val"), Q_TREND "!$B$3:$B$5");
	ck_assert_str_eq(series_ref(c, 1, "tx"), Q_TREND "!$C$2");
	ck_assert_str_eq(series_ref(c, 1, "val"), Q_TREND "!$C$3:$C$5");
	ck_assert_uint_eq(json_array_size(json_object_get(c, "axis_titles")),
			  2);
	ck_assert_str_eq(json_string_value(json_array_get(
		json_object_get(c, "axis_titles"), 0)), "Exception type");

	/* On the trend sheet, after their tables: a line and a bar. */
	c = chart_at(f, 1);
	ck_assert_str_eq(str_of(c, "sheet"), SH_TREND);
	ck_assert_str_eq(json_string_value(json_array_get(
		json_object_get(c, "kinds"), 0)), "lineChart");
	ck_assert_uint_eq(json_array_size(json_object_get(c, "series")), 1);
	ck_assert_str_eq(series_ref(c, 0, "cat"), Q_TREND "!$A$8:$A$11");
	ck_assert_str_eq(series_ref(c, 0, "val"), Q_TREND "!$B$8:$B$11");
	c = chart_at(f, 2);
	ck_assert_str_eq(str_of(c, "bar_dir"), "bar");
	ck_assert_str_eq(series_ref(c, 0, "val"), Q_TREND "!$C$3:$C$5");
	/* A title starting with '=' is a label, not a formula. */
	ck_assert_str_eq(str_of(c, "title"), " =Turnaround");
	json_decref(f);
	remove_dir(dir);
}
END_TEST

/* Writes n bytes of data to path. */
static void write_bytes(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

/* A workbook is trusted only when it reads back whole (issue 12, item
 * 1): one cut anywhere, or a sheet whose XML lost its end inside a
 * sound zip, is refused. */
START_TEST(test_verify_read_back)
{
	struct fixture fx;
	struct sg_error err;
	char *dir, path[1024], cut[1024];
	char *bytes;
	size_t len, at;

	dir = make_dir();
	fixture_init(&fx);
	ck_assert_msg(render(dir, &fx.report, "a.xlsx", &err) == SG_OK, "%s",
		      err.message);
	snprintf(path, sizeof(path), "%s/a.xlsx", dir);
	snprintf(cut, sizeof(cut), "%s/cut.xlsx", dir);
	ck_assert_int_eq(xlsx_verify_file(path, NULL, &err), SG_OK);
	bytes = read_all(path, &len);
	for (at = 0; at < len; at += len / 7 + 1) {
		write_bytes(cut, bytes, at);
		sg_error_clear(&err);
		if (xlsx_verify_file(cut, NULL, &err) != SG_ERR_IO)
			ck_abort_msg("cut at %zu of %zu passed", at, len);
		ck_assert_ptr_nonnull(strstr(err.message, "does not read "
					     "back"));
	}
	/* A byte of a member changed: its CRC no longer matches. */
	bytes[len / 3] ^= 0x55;
	write_bytes(cut, bytes, len);
	ck_assert_int_eq(xlsx_verify_file(cut, NULL, &err), SG_ERR_IO);
	free(bytes);
	if (python() != NULL) {
		char cmd[4096];

		snprintf(cmd, sizeof(cmd), "%s -c 'import sys, zipfile\n"
			 "a = zipfile.ZipFile(sys.argv[1])\n"
			 "with zipfile.ZipFile(sys.argv[2], \"w\") as b:\n"
			 "    for n in a.namelist():\n"
			 "        d = a.read(n)\n"
			 "        b.writestr(n, d[:-40] if n.startswith("
			 "\"xl/worksheets/sheet1\") else d)' %s %s",
			 python(), path, cut);
		ck_assert_int_eq(system(cmd), 0);
		sg_error_clear(&err);
		ck_assert_int_eq(xlsx_verify_file(cut, NULL, &err), SG_ERR_IO);
		ck_assert_ptr_nonnull(strstr(err.message, "a sheet is cut "
					     "short"));
	}
	remove_dir(dir);
}
END_TEST

/* The zip member of the workbook (bytes, len) that holds byte at, by
 * its central directory (no archive comment): to say where two
 * workbooks part. */
static void member_at(const char *bytes, size_t len, size_t at, char *name,
		      size_t size)
{
	const unsigned char *b = (const unsigned char *)bytes, *end;
	size_t dir, count, i, best = 0, n;
	const unsigned char *e;

	snprintf(name, size, "(outside the members)");
	if (len < 22 || b[len - 22] != 'P' || b[len - 21] != 'K')
		return;
	end = b + len - 22;
	count = (size_t)(end[10] | end[11] << 8);
	dir = (size_t)end[16] | (size_t)end[17] << 8 |
	      (size_t)end[18] << 16 | (size_t)end[19] << 24;
	for (i = 0, e = b + dir; i < count && e + 46 <= end; i++) {
		size_t off = (size_t)e[42] | (size_t)e[43] << 8 |
			     (size_t)e[44] << 16 | (size_t)e[45] << 24;

		n = (size_t)(e[28] | e[29] << 8);
		if (off <= at && off >= best && e + 46 + n <= end) {
			best = off;
			snprintf(name, size, "%.*s", (int)n,
				 (const char *)e + 46);
		}
		e += 46 + n + (size_t)(e[30] | e[31] << 8) +
		     (size_t)(e[32] | e[33] << 8);
	}
	if (at >= dir)
		snprintf(name, size, "(the central directory)");
}

/* Fails naming the first byte where two workbooks differ and its member. */
static void assert_same_workbook(const char *a, size_t la, const char *b,
				 size_t lb)
{
	size_t at = 0;
	char name[256];

	while (at < la && at < lb && a[at] == b[at])
		at++;
	if (at == la && la == lb)
		return;
	member_at(a, la, at, name, sizeof(name));
	ck_abort_msg("the two workbooks differ from byte %zu (sizes %zu and "
		     "%zu), in %s", at, la, lb, name);
}

START_TEST(test_deterministic)
{
	struct fixture fx;
	struct sg_error err;
	char *dir, a[1024], b[1024];
	char *ba, *bb;
	size_t la, lb;
	json_t *f;

	dir = make_dir();
	fixture_init(&fx);
	ck_assert_msg(render(dir, &fx.report, "a.xlsx", &err) == SG_OK, "%s",
		      err.message);
	/* The clock moves on; the file must not. */
	usleep(1100 * 1000);
	ck_assert_msg(render(dir, &fx.report, "b.xlsx", &err) == SG_OK, "%s",
		      err.message);
	snprintf(a, sizeof(a), "%s/a.xlsx", dir);
	snprintf(b, sizeof(b), "%s/b.xlsx", dir);
	ba = read_all(a, &la);
	bb = read_all(b, &lb);
	ck_assert_uint_gt(la, 1000);
	assert_same_workbook(ba, la, bb, lb);
	/* Nothing but the two workbooks is left in the folder. */
	ck_assert_uint_eq(dir_entries(dir), 2);
	free(ba);
	free(bb);
	if (python() != NULL) {
		/* No staging path inside, and the zip entries carry a fixed
		 * date. */
		f = facts(a, dir);
		ck_assert(json_is_false(json_object_get(f, "needle_found")));
		ck_assert_uint_eq(json_array_size(json_object_get(f,
							"zip_dates")), 1);
		ck_assert_str_eq(json_string_value(json_array_get(
			json_object_get(f, "zip_dates"), 0)), "1980-01-01");
		json_decref(f);
	}
	remove_dir(dir);
}
END_TEST

/* The members of the zip at path, inflated, in the order stored. */
struct member {
	char *name;
	char *data;
	size_t len;
};

static size_t read_members(const char *path, struct member *out, size_t max)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t n = 0;

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(archive_read_support_format_zip(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_read_open_filename(a, path, 65536),
			 ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		size_t cap = 65536, len = 0;
		char *data = malloc(cap);
		la_ssize_t got;

		ck_assert_uint_lt(n, max);
		ck_assert_ptr_nonnull(data);
		while ((got = archive_read_data(a, data + len,
						cap - len)) > 0) {
			len += (size_t)got;
			if (len == cap) {
				cap *= 2;
				data = realloc(data, cap);
				ck_assert_ptr_nonnull(data);
			}
		}
		ck_assert_int_eq(got, 0);
		out[n].name = strdup(archive_entry_pathname(e));
		out[n].data = data;
		out[n].len = len;
		n++;
	}
	ck_assert_int_eq(archive_read_free(a), ARCHIVE_OK);
	return n;
}

/* The two workbooks hold the same members with the same XML; says
 * where the first difference is. */
static void assert_same_members(const char *a, const char *b)
{
	struct member ma[64], mb[64];
	size_t na = read_members(a, ma, 64), nb = read_members(b, mb, 64);
	size_t i, k;

	ck_assert_uint_eq(na, nb);
	for (i = 0; i < na; i++) {
		ck_assert_str_eq(ma[i].name, mb[i].name);
		for (k = 0; k < ma[i].len && k < mb[i].len; k++)
			if (ma[i].data[k] != mb[i].data[k])
				break;
		ck_assert_msg(ma[i].len == mb[i].len && k == ma[i].len,
			      "%s differs at byte %zu: \"%.60s\" / "
			      "\"%.60s\"", ma[i].name, k,
			      ma[i].data + (k > 20 ? k - 20 : 0),
			      mb[i].data + (k > 20 ? k - 20 : 0));
		free(ma[i].name);
		free(ma[i].data);
		free(mb[i].name);
		free(mb[i].data);
	}
}

/* Renders report both ways in dir: rows streamed by the sink (s.xlsx)
 * and every row through libxlsxwriter (l.xlsx); the same XML. */
static void assert_streamed_as_libxlsxwriter(const char *dir,
					     const struct sg_report *report,
					     const char *row_limit)
{
	struct sg_error err;
	struct fake fk;
	char s[1024], l[1024];

	memset(&fk, 0, sizeof(fk));
	fk.config_dir = dir;
	fk.row_limit = row_limit;
	ck_assert_msg(render_with(&fk, report, "s.xlsx", NULL, &err) ==
		      SG_OK, "%s", err.message);
	fk.lxw_rows = "1";
	ck_assert_msg(render_with(&fk, report, "l.xlsx", NULL, &err) ==
		      SG_OK, "%s", err.message);
	snprintf(s, sizeof(s), "%s/s.xlsx", dir);
	snprintf(l, sizeof(l), "%s/l.xlsx", dir);
	assert_same_members(s, l);
}

/* Text and numbers whose XML needs care, one row each. */
static const char *const care_texts[] = {
	"plain", " leading space", "trailing space ", "\ttab first",
	"new\nline", "last newline\n", "\rcarriage first",
	"a & b < c > d", "ctl\001\002\037end", "\013vertical tab",
	"_x0041_ looks escaped", "\"quotes\" and 'apostrophes'",
	"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x88", "=1+1", "-", "x"
};
static const double care_numbers[] = {
	0, -0.0, 1, -1, 42.5, 1e15, 999999999999999, -999999999999999,
	1e16, 123456789012345678.0, 0.1, 1.0 / 3, 2.5e-7, 46345.75,
	-1234567.125, 1e300
};

#define CARE_COLS 5
static const struct sg_column care_columns[CARE_COLS] = {
	{"text", "Text", SG_VAL_TEXT, SG_ROLE_NOTE, 0},
	{"number", "Number", SG_VAL_NUMBER, SG_ROLE_PLAIN, 0},
	{"count", "Count", SG_VAL_INT, SG_ROLE_ID, 0},
	{"at", "At", SG_VAL_TIME, SG_ROLE_PLAIN, 0},
	{"money", "Money", SG_VAL_MONEY, SG_ROLE_PLAIN, 0},
};

static int care_rows(const struct sg_table *t, sg_row_fn row, void *arg,
		     struct sg_error *err)
{
	struct sg_value v[CARE_COLS];
	size_t i, n = sizeof(care_texts) / sizeof(care_texts[0]);
	int rc;

	(void)t;
	for (i = 0; i < n; i++) {
		memset(v, 0, sizeof(v));
		v[0].type = SG_VAL_TEXT;
		v[0].text = care_texts[i];
		v[1].type = SG_VAL_NUMBER;
		v[1].number = care_numbers[i];
		v[2].type = i % 3 == 0 ? SG_VAL_NONE : SG_VAL_INT;
		v[2].integer = (long long)i * -7919;
		v[3].type = SG_VAL_TIME;
		v[3].time = as_of() + (sg_time)i * 4111;
		v[4].type = SG_VAL_MONEY;
		v[4].number = (double)i * 10.25;
		v[4].unit = i % 2 ? "EUR" : "USD";
		rc = row(arg, v, err);
		if (rc != 0)
			return rc;
	}
	return SG_OK;
}

/* The rows the sink writes itself are the XML libxlsxwriter writes:
 * every member of the workbook the same, continuation sheets included
 * (row limit 12), and text and numbers that need escaping or care. */
START_TEST(test_streamed_rows_as_libxlsxwriter)
{
	struct fixture fx;
	char *dir = make_dir();
	struct sg_table t = {"care", "Care", "Values that need care.",
		care_columns, CARE_COLS, SG_TABLE_LIST, care_rows, NULL};
	struct sg_block blocks[2] = {
		{SG_BLOCK_HEADING, "Care", NULL, NULL},
		{SG_BLOCK_TABLE, NULL, &t, NULL},
	};
	struct sg_section sec = {"care", "Care", blocks, 2};
	struct sg_report rep = {"care", "Care", as_of(), &sec, 1};

	fixture_init(&fx);
	assert_streamed_as_libxlsxwriter(dir, &fx.report, "12");
	assert_streamed_as_libxlsxwriter(dir, &fx.report, NULL);
	assert_streamed_as_libxlsxwriter(dir, &rep, NULL);
	remove_dir(dir);
}
END_TEST

START_TEST(test_out_option)
{
	struct fixture fx;
	struct sg_error err;
	struct fake f;
	char *dir, cfgdir[1024], sub[1024];

	dir = make_dir();
	fixture_init(&fx);
	snprintf(cfgdir, sizeof(cfgdir), "%s/cfg", dir);
	ck_assert_int_eq(mkdir(cfgdir, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/cfg/out", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	/* Relative to the config's folder. */
	ck_assert_msg(render(cfgdir, &fx.report, "out/r.xlsx", &err) == SG_OK,
		      "%s", err.message);
	ck_assert(file_exists(sub, "r.xlsx"));
	ck_assert_uint_eq(dir_entries(sub), 1);
	/* The default name. */
	ck_assert_msg(render(cfgdir, &fx.report, NULL, &err) == SG_OK, "%s",
		      err.message);
	ck_assert(file_exists(cfgdir, "pilot-report.xlsx"));
	/* The argument wins, as given: relative to the current folder. */
	ck_assert_int_eq(chdir(dir), 0);
	memset(&f, 0, sizeof(f));
	f.config_dir = cfgdir;
	ck_assert_msg(render_with(&f, &fx.report, "cfg.xlsx", "given.xlsx",
				  &err) == SG_OK, "%s", err.message);
	ck_assert(file_exists(dir, "given.xlsx"));
	ck_assert(!file_exists(cfgdir, "given.xlsx"));
	ck_assert(!file_exists(cfgdir, "cfg.xlsx"));
	remove_dir(dir);
}
END_TEST

START_TEST(test_missing_folder)
{
	struct fixture fx;
	struct sg_error err;
	char *dir, plain[1024];
	FILE *fp;

	dir = make_dir();
	fixture_init(&fx);
	ck_assert_int_eq(render(dir, &fx.report, "nowhere/r.xlsx", &err),
			 SG_ERR_IO);
	ck_assert_msg(strstr(err.path, "nowhere/r.xlsx") != NULL, "%s",
		      err.path);
	ck_assert_msg(strstr(err.message, "create the folder") != NULL, "%s",
		      err.message);
	/* A "folder" that is a file. */
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	fp = fopen(plain, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	ck_assert_int_eq(render(dir, &fx.report, "plain/r.xlsx", &err),
			 SG_ERR_IO);
	ck_assert(strstr(err.path, "plain/r.xlsx") != NULL);
	/* A name that is a folder. */
	ck_assert_int_eq(render(dir, &fx.report, ".", &err), SG_ERR_IO);
	ck_assert_int_eq(render(dir, &fx.report, "sub/", &err), SG_ERR_SINK);
	ck_assert_uint_eq(dir_entries(dir), 1);
	remove_dir(dir);
}
END_TEST

START_TEST(test_unwritable_folder)
{
	struct fixture fx;
	struct sg_error err;
	char *dir, ro[1024];

	dir = make_dir();
	fixture_init(&fx);
	snprintf(ro, sizeof(ro), "%s/ro", dir);
	ck_assert_int_eq(mkdir(ro, 0555), 0);
	if (access(ro, W_OK) == 0) {
		printf("SKIP %s: running as root, a read-only folder is "
		       "writable\n", __func__);
	} else {
		ck_assert_int_eq(render(dir, &fx.report, "ro/r.xlsx", &err),
				 SG_ERR_IO);
		ck_assert(strstr(err.path, "ro/r.xlsx") != NULL);
		ck_assert_msg(strstr(err.message, "writable") != NULL, "%s",
			      err.message);
	}
	ck_assert_int_eq(chmod(ro, 0755), 0);
	remove_dir(dir);
}
END_TEST

START_TEST(test_no_report)
{
	struct sg_error err;
	char *dir;

	dir = make_dir();
	ck_assert_int_eq(render(dir, NULL, "r.xlsx", &err), SG_ERR_SINK);
	ck_assert_msg(strstr(err.message, "report for people") != NULL, "%s",
		      err.message);
	ck_assert(strstr(err.path, "r.xlsx") != NULL);
	/* Nothing is left behind: no workbook, no temporary file. */
	ck_assert_uint_eq(dir_entries(dir), 0);
	remove_dir(dir);
}
END_TEST

START_TEST(test_failed_run_keeps_old)
{
	struct fixture fx;
	struct sg_error err;
	char *dir, path[1024], *old;
	size_t len;
	FILE *fp;

	dir = make_dir();
	fixture_init(&fx);
	snprintf(path, sizeof(path), "%s/r.xlsx", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("yesterday's workbook", fp);
	fclose(fp);
	fx.exc_gen.fail_at = 10;
	ck_assert_int_eq(render(dir, &fx.report, "r.xlsx", &err),
			 SG_ERR_LEDGER);
	ck_assert_msg(strstr(err.message, "exceptions") != NULL &&
		      strstr(err.message, "the ledger went away") != NULL,
		      "%s", err.message);
	old = read_all(path, &len);
	ck_assert_str_eq(old, "yesterday's workbook");
	free(old);
	ck_assert_uint_eq(dir_entries(dir), 1);
	remove_dir(dir);
}
END_TEST

START_TEST(test_bad_chart)
{
	struct fixture fx;
	struct sg_error err;
	struct sg_table elsewhere;
	char *dir;

	dir = make_dir();
	fixture_init(&fx);
	elsewhere = fx.by_type;
	elsewhere.key = "not_in_report";
	fx.weekly_chart.table = &elsewhere;
	ck_assert_int_eq(render(dir, &fx.report, "r.xlsx", &err),
			 SG_ERR_SINK);
	ck_assert_msg(strstr(err.message, "not a table of the report") !=
		      NULL, "%s", err.message);
	fixture_init(&fx);
	fx.by_type_values[1] = 7;
	ck_assert_int_eq(render(dir, &fx.report, "r.xlsx", &err),
			 SG_ERR_SINK);
	ck_assert_msg(strstr(err.message, "value column 7") != NULL, "%s",
		      err.message);
	ck_assert_uint_eq(dir_entries(dir), 0);
	remove_dir(dir);
}
END_TEST

START_TEST(test_cancel_and_progress)
{
	struct fixture fx;
	struct sg_error err;
	struct fake f;
	char *dir;

	dir = make_dir();
	fixture_init(&fx);
	fx.exc_gen.n = 70000;
	memset(&f, 0, sizeof(f));
	f.config_dir = dir;
	f.cancel = 1;
	ck_assert_int_eq(render_with(&f, &fx.report, "r.xlsx", NULL, &err),
			 SG_ERR_CANCELLED);
	ck_assert_uint_eq(dir_entries(dir), 0);
	f.cancel = 0;
	ck_assert_msg(render_with(&f, &fx.report, "r.xlsx", NULL, &err) ==
		      SG_OK, "%s", err.message);
	ck_assert_uint_ge(f.progress_calls, 1);
	ck_assert(file_exists(dir, "r.xlsx"));
	remove_dir(dir);
}
END_TEST

START_TEST(test_empty_table)
{
	struct fixture fx;
	struct sg_error err;
	char *dir, path[1024];
	json_t *f, *sh;

	NEED_PYTHON();
	dir = make_dir();
	fixture_init(&fx);
	/* No exceptions: the list keeps its header, filter and frozen pane;
	 * a chart of it says there is nothing to chart. */
	fx.exc_gen.n = 0;
	fx.by_type_chart.table = &fx.exc;
	fx.by_type_values[0] = EXC_COUNT;
	fx.by_type_values[1] = EXC_AGE;
	ck_assert_msg(render(dir, &fx.report, "r.xlsx", &err) == SG_OK, "%s",
		      err.message);
	snprintf(path, sizeof(path), "%s/r.xlsx", dir);
	f = facts(path, NULL);
	sh = sheet_of(f, SH_EXC);
	assert_text(f, SH_EXC, "L4", "Value");
	ck_assert_int_eq(json_integer_value(json_object_get(sh, "max_row")),
			 4);
	ck_assert_str_eq(str_of(sh, "freeze"), "A5");
	ck_assert_str_eq(str_of(sh, "autofilter"), "A4:L4");
	ck_assert_uint_eq(json_array_size(json_object_get(sh, "cf")), 0);
	assert_text(f, "Summary", "A11",
		    "Exceptions by type: no data to chart yet.");
	ck_assert_uint_eq(json_array_size(json_object_get(f, "charts")), 2);
	json_decref(f);
	remove_dir(dir);
}
END_TEST

START_TEST(test_empty_report)
{
	struct sg_report rep = {"empty", NULL, 0, NULL, 0};
	struct sg_error err;
	char *dir, path[1024];
	json_t *f;

	dir = make_dir();
	ck_assert_msg(render(dir, &rep, "e.xlsx", &err) == SG_OK, "%s",
		      err.message);
	if (python() != NULL) {
		snprintf(path, sizeof(path), "%s/e.xlsx", dir);
		f = facts(path, NULL);
		ck_assert_str_eq(json_string_value(json_array_get(
			json_object_get(f, "sheets"), 0)), "Report");
		ck_assert_str_eq(str_of(f, "created"), "1980-01-01T00:00:00");
		json_decref(f);
	}
	remove_dir(dir);
}
END_TEST

/* One row of values that need care; EDGE_BAD makes the last cell's type
 * unknown. */
#define EDGE_COLS 9
static const struct sg_column edge_columns[EDGE_COLS] = {
	{"nan", "NaN", SG_VAL_NUMBER, SG_ROLE_PLAIN, 0},
	{"inf", "Inf", SG_VAL_PERCENT, SG_ROLE_PLAIN, 0},
	{"old", "Old", SG_VAL_TIME, SG_ROLE_PLAIN, 0},
	{"far", "Far", SG_VAL_DATE, SG_ROLE_PLAIN, 0},
	{"none", "None", SG_VAL_TIME, SG_ROLE_PLAIN, 0},
	{"null", "Null", SG_VAL_TEXT, SG_ROLE_PLAIN, 0},
	{"long", "Long", SG_VAL_TEXT, SG_ROLE_NOTE, 0},
	{"odd", "Odd unit", SG_VAL_MONEY, SG_ROLE_PLAIN, 0},
	{"kind", "Kind", SG_VAL_MIXED, SG_ROLE_PLAIN, 0},
};

struct edge {
	int bad;
	int calls;              /* rows() calls so far */
	int unstable;           /* the second call gives one row fewer */
	char *long_text;
};

static int edge_rows(const struct sg_table *t, sg_row_fn row, void *arg,
		     struct sg_error *err)
{
	struct edge *e = t->ctx;
	struct sg_value v[EDGE_COLS];
	int rc, n, i;

	e->calls++;
	n = e->unstable && e->calls > 1 ? 1 : 2;
	for (i = 0; i < n; i++) {
		memset(v, 0, sizeof(v));
		v[0].type = SG_VAL_NUMBER;
		v[0].number = strtod("nan", NULL);
		v[1].type = SG_VAL_PERCENT;
		v[1].number = strtod("inf", NULL);
		v[2].type = SG_VAL_TIME;
		v[2].time = sg_days_from_civil(1800, 1, 1) * 86400;
		v[3].type = SG_VAL_DATE;
		v[3].time = sg_days_from_civil(10000, 1, 1) * 86400;
		v[4].type = SG_VAL_TIME;
		v[4].time = SG_TIME_NONE;
		v[5].type = SG_VAL_TEXT;
		v[5].text = NULL;
		v[6].type = SG_VAL_TEXT;
		v[6].text = e->long_text;
		v[7].type = SG_VAL_MONEY;
		v[7].number = 5;
		v[7].unit = "E\"UR";
		v[8].type = e->bad ? 42 : SG_VAL_TEXT;
		v[8].text = "ctl\001char";
		rc = row(arg, v, err);
		if (rc != 0)
			return rc;
	}
	return SG_OK;
}

static int render_edge(const char *dir, struct edge *e, int with_chart,
		       struct sg_error *err)
{
	size_t values[1] = {7};
	struct sg_table t = {"edge", NULL, NULL, edge_columns, EDGE_COLS,
		SG_TABLE_LIST, edge_rows, e};
	struct sg_chart c = {"c", "C", SG_CHART_COLUMN, &t, 8, values, 1,
		NULL, NULL};
	struct sg_block blocks[2] = {
		{SG_BLOCK_TABLE, NULL, &t, NULL},
		{SG_BLOCK_CHART, NULL, NULL, &c},
	};
	struct sg_section sec = {"edge", "Edge", blocks,
		with_chart ? 2 : 1};
	struct sg_report rep = {"edge", "Edge", as_of(), &sec, 1};

	return render(dir, &rep, "edge.xlsx", err);
}

START_TEST(test_edge_values)
{
	struct sg_error err;
	struct edge e;
	char *dir, path[1024];
	json_t *f, *c;

	dir = make_dir();
	memset(&e, 0, sizeof(e));
	e.long_text = malloc(40001);
	ck_assert_ptr_nonnull(e.long_text);
	memset(e.long_text, 'x', 40000);
	e.long_text[40000] = '\0';
	ck_assert_msg(render_edge(dir, &e, 0, &err) == SG_OK, "%s",
		      err.message);
	if (python() != NULL) {
		snprintf(path, sizeof(path), "%s/edge.xlsx", dir);
		f = facts(path, NULL);
		/* Excel has no NaN, no infinity, no date before 1900 or
		 * after 9999: "n/a" and the ISO text instead. */
		assert_text(f, "Edge", "A2", "n/a");
		assert_text(f, "Edge", "B2", "n/a");
		assert_text(f, "Edge", "C2", "1800-01-01T00:00:00Z");
		assert_text(f, "Edge", "D2", "10000-01-01");
		ck_assert_ptr_null(json_object_get(json_object_get(
			sheet_of(f, "Edge"), "cells"), "E2"));
		ck_assert_ptr_null(json_object_get(json_object_get(
			sheet_of(f, "Edge"), "cells"), "F2"));
		c = cell_of(f, "Edge", "G2");
		ck_assert_uint_eq(strlen(str_of(c, "v")), XLSX_CELL_TEXT_MAX);
		assert_cell(f, "Edge", "H2", "n", "int", "#,##0.00");
		/* A control character is escaped the way Excel reads it. */
		assert_text(f, "Edge", "I2", "ctl_x0001_char");
		json_decref(f);
	}
	/* An unknown value type is refused. */
	e.bad = 1;
	ck_assert_int_eq(render_edge(dir, &e, 0, &err), SG_ERR_SINK);
	ck_assert_msg(strstr(err.message, "unknown value type 42") != NULL,
		      "%s", err.message);
	/* A table counted for its chart must give the same rows again. */
	e.bad = 0;
	e.calls = 0;
	e.unstable = 1;
	ck_assert_int_eq(render_edge(dir, &e, 1, &err), SG_ERR_SINK);
	ck_assert_msg(strstr(err.message, "gave 2 rows, then 1") != NULL,
		      "%s", err.message);
	free(e.long_text);
	remove_dir(dir);
}
END_TEST

START_TEST(test_write_twice)
{
	const struct sg_plugin *p = sg_plugin_entry();
	struct fixture fx;
	struct fake f;
	struct sg_host host;
	struct sg_sink_input input;
	struct sg_error err;
	void *state = NULL;
	char *dir;

	dir = make_dir();
	fixture_init(&fx);
	memset(&f, 0, sizeof(f));
	f.config_dir = dir;
	host = fake_host(&f);
	memset(&input, 0, sizeof(input));
	input.size = sizeof(input);
	input.report = &fx.report;
	/* The argument is relative to the current folder. */
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(p->open(&state, NULL, "w.xlsx", &host, &err), SG_OK);
	ck_assert_int_eq(p->write(state, &input, &err), SG_OK);
	ck_assert_int_eq(p->write(state, &input, &err), SG_ERR_SINK);
	ck_assert_msg(strstr(err.message, "twice") != NULL, "%s",
		      err.message);
	/* The first write still completes. */
	ck_assert_int_eq(p->finish(state, &err), SG_OK);
	p->close(state);
	ck_assert(file_exists(dir, "w.xlsx"));
	/* finish() without a write: refused, nothing left. */
	ck_assert_int_eq(p->open(&state, NULL, "n.xlsx", &host, &err), SG_OK);
	ck_assert_int_eq(p->finish(state, &err), SG_ERR_SINK);
	p->close(state);
	ck_assert(!file_exists(dir, "n.xlsx"));
	ck_assert_uint_eq(dir_entries(dir), 1);
	remove_dir(dir);
}
END_TEST

/* ---- the internals ---- */

static void name_is(const char *title, const char *fallback,
		    const struct xlsx_sheet *taken, size_t count,
		    const char *want)
{
	char out[LXW_MAX_SHEETNAME_LENGTH];

	xlsx_sheet_name(out, title, fallback, taken, count);
	ck_assert_str_eq(out, want);
}

START_TEST(test_sheet_names)
{
	struct xlsx_sheet taken[2];
	char title[128], want[128];
	size_t i;

	memset(taken, 0, sizeof(taken));
	name_is("a[b]c:d*e?f/g\\h", NULL, NULL, 0, "a_b_c_d_e_f_g_h");
	name_is("'quoted'", NULL, NULL, 0, "_quoted_");
	name_is("it's", NULL, NULL, 0, "it's");
	name_is("", "key", NULL, 0, "key");
	name_is(NULL, NULL, NULL, 0, "Sheet");
	name_is("tab\there", NULL, NULL, 0, "tab_here");
	name_is("bad\xff", NULL, NULL, 0, "bad_");
	name_is("History", NULL, NULL, 0, "History (2)");
	strcpy(taken[0].name, "Summary");
	strcpy(taken[1].name, "SUMMARY (2)");
	name_is("summary", NULL, taken, 2, "summary (3)");
	/* 40 two-byte letters: 31 kept. */
	title[0] = '\0';
	want[0] = '\0';
	for (i = 0; i < 40; i++) {
		strcat(title, "\xc3\xa9");
		if (i < 31)
			strcat(want, "\xc3\xa9");
	}
	name_is(title, NULL, NULL, 0, want);
}
END_TEST

/* Numbers are written as snprintf's "%.16G" writes them, whatever
 * path formats them: amounts, ages, ratios, values near a rounding tie
 * (dyadic numbers with short decimal expansions) and random doubles of
 * every size, both signs. */
static void assert_number_as_printf(double x)
{
	char want[64], got[XLSX_NUMBER_MAX];
	size_t n;

	snprintf(want, sizeof(want), "%.16G", x);
	n = xlsx_format_number(got, x);
	if (strcmp(got, want) != 0 || n != strlen(want))
		ck_abort_msg("%.17g: \"%s\", not \"%s\"", x, got, want);
}

START_TEST(test_numbers_as_printf)
{
	static const double fixed[] = {
		0.1, 0.2, 0.3, 9.95, 2.675, 1166.66, 26.4, 1e-4, 0.00012345,
		9.999999999999999e14, 999999999999999.9, 1e15, 0.5, 1.5,
		123456789012345.5, 0.30000000000000004, 1.0000000000000002,
		9.9999999999999995, 99.999999999999995, 5e-5, 1e300,
	};
	unsigned long long x = 1;
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		assert_number_as_printf(fixed[i]);
		assert_number_as_printf(-fixed[i]);
	}
	for (i = 0; i < 2000000; i++) {
		double v;
		uint64_t bits;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		switch (i % 4) {
		case 0:         /* an amount in cents */
			v = (double)((x >> 20) % 100000000000ULL) / 100.0;
			break;
		case 1:         /* a dyadic number: near ties */
			v = ldexp((double)((x >> 24) | 1), -(int)(x % 60));
			break;
		case 2:         /* random bits, 1e-6 to 1e17 */
			bits = (x >> 12) | 0x3eb0000000000000ULL;
			memcpy(&v, &bits, sizeof(v));
			v = ldexp(v, (int)((x >> 2) % 80));
			break;
		default:        /* an age in tenths of a day */
			v = (double)((x >> 30) % 100000) / 10.0;
			break;
		}
		assert_number_as_printf((x & 1) ? -v : v);
	}
}
END_TEST

START_TEST(test_clean_text)
{
	struct xlsx_ctx cx;
	const char *ok = "plain text, caf\xc3\xa9";
	char *big;
	const char *out;

	memset(&cx, 0, sizeof(cx));
	ck_assert_ptr_eq(xlsx_clean_text(&cx, ok), ok);
	ck_assert_str_eq(xlsx_clean_text(&cx, "a\xff" "b"),
			 "a\xef\xbf\xbd" "b");
	ck_assert_str_eq(xlsx_clean_text(&cx, "\xed\xa0\x80"),
			 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* A literal Excel escape is itself escaped. */
	ck_assert_str_eq(xlsx_clean_text(&cx, "id_x0041_z"),
			 "id_x005F_x0041_z");
	ck_assert_str_eq(xlsx_clean_text(&cx, "snake_case_x"),
			 "snake_case_x");
	big = malloc(40001);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 40000);
	big[40000] = '\0';
	out = xlsx_clean_text(&cx, big);
	ck_assert_uint_eq(strlen(out), XLSX_CELL_TEXT_MAX);
	free(big);
	free(cx.scratch);
}
END_TEST

static Suite *xlsx_suite(void)
{
	Suite *s = suite_create("xlsx");
	TCase *tc;

	tc = tcase_create("render");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_render_sheets);
	tcase_add_test(tc, test_render_list);
	tcase_add_test(tc, test_continuation_sheets);
	tcase_add_test(tc, test_render_charts);
	tcase_add_test(tc, test_empty_table);
	tcase_add_test(tc, test_empty_report);
	suite_add_tcase(s, tc);

	tc = tcase_create("deterministic");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_streamed_rows_as_libxlsxwriter);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_out_option);
	tcase_add_test(tc, test_missing_folder);
	tcase_add_test(tc, test_unwritable_folder);
	tcase_add_test(tc, test_no_report);
	tcase_add_test(tc, test_failed_run_keeps_old);
	tcase_add_test(tc, test_bad_chart);
	tcase_add_test(tc, test_cancel_and_progress);
	tcase_add_test(tc, test_edge_values);
	tcase_add_test(tc, test_write_twice);
	tcase_add_test(tc, test_verify_read_back);
	suite_add_tcase(s, tc);

	tc = tcase_create("internals");
	tcase_add_test(tc, test_sheet_names);
	tcase_add_test(tc, test_clean_text);
	tcase_add_test(tc, test_numbers_as_printf);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int status = sg_test_run(xlsx_suite());

	if (status == EXIT_SUCCESS && python() == NULL) {
		printf("check_xlsx: SKIP: python3 with openpyxl not found "
		       "(apt-get install python3-openpyxl): the workbooks "
		       "were written but not read back\n");
		return 77;
	}
	return status;
}
