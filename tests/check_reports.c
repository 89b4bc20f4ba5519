/*
 * check_reports.c - the leadership report and the metrics data
 * (reports/sg_reports.h): sections and their order, tables and their
 * typed columns, exact cells collected through rows(), charts pointing at
 * tables of the same report, rows() giving the same rows on every call,
 * a report without a pilot section, and the refusals.
 *
 * Each test builds a small model by hand, records two runs of its checks
 * into a ledger in a mkdtemp folder, decides one review, measures the
 * pilot and builds the reports.  CK_RUN_SUITE / CK_RUN_CASE pick a case.
 *
 * The story (days from T0 = 2026-10-01; the pilot starts on day 30, runs
 * 28 days, after a 28-day baseline; the report is as of day 41):
 *   A "Acme" (Ann, East): discovery d5, qualification d8 without "pain"
 *     (baseline missing_evidence; over age in qualification from d18),
 *     proposal d32 without "budget" (missing_evidence, forecast_impact).
 *   B "Beta" (Bob, West): discovery d10, qualification d20 with pain: in
 *     qualification 21 days at as-of (stage_age).
 *   C "Cee" (no owner): discovery d31: paused (missing_owner).
 *   D "Delta" (Ann, 2500.50 EUR): created in qualification d37
 *     (missing_evidence: pain; skipped_stage: discovery).
 * Run 1 at d35 (A, B, C known) raises A's two, B's stage_age and C's
 * data_quality (tasks due d37); run 2 at d40 (D known too) raises D's two
 * (due d42).  Maria decides A's missing_evidence "correct" at d36.
 */
#include <check.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_checks.h"
#include "sg_config.h"
#include "ledger_db.h"
#include "sg_ledger.h"
#include "sg_test_ledger.h"
#include "sg_measures.h"
#include "sg_model.h"
#include "sg_reports.h"
#include "sg_review.h"
#include "sg_test_model.h"

#define DAY ((sg_time)86400)
#define HOUR ((sg_time)3600)
/* 2026-10-01T00:00:00Z */
#define T0 ((sg_time)1790812800)
#define D(n) (T0 + (sg_time)(n) * DAY)
#define AS_OF D(41)

#define CFG_HEAD \
	"{\"pipeline\": {\"id\": \"default\"},\n" \
	" \"stages\": [\n" \
	"  {\"id\": \"discovery\", \"label\": \"Discovery\"," \
	"   \"max_age_days\": 10, \"forecast_category\": \"pipeline\"," \
	"   \"exit_criteria\": [\"pain\"]}," \
	"  {\"id\": \"qualification\", \"max_age_days\": 10," \
	"   \"forecast_category\": \"pipeline\"," \
	"   \"exit_criteria\": [\"budget\"]}," \
	"  {\"id\": \"proposal\", \"max_age_days\": 20," \
	"   \"forecast_category\": \"best_case\"}," \
	"  {\"id\": \"closed_won\", \"closed\": true, \"won\": true," \
	"   \"forecast_category\": \"closed\"}," \
	"  {\"id\": \"closed_lost\", \"closed\": true," \
	"   \"enter_from_any\": true, \"forecast_category\": \"omitted\"}\n" \
	" ],\n" \
	" \"criteria\": {\"pain\": {\"label\": \"Pain\"," \
	"   \"buyer_only\": false}," \
	"  \"budget\": {\"label\": \"Budget\"}},\n" \
	" \"placeholders\": [\"tbd\"],\n" \
	" \"forecast\": {\"review_categories\":" \
	"   [\"best_case\", \"closed\"]},\n" \
	" \"review\": {\"sla_hours\": 48, \"default_assignee\": \"revops\"}"

static const char cfg_pilot[] = CFG_HEAD ",\n"
	" \"segments\": {\"field\": \"segment\", \"max_age_days\":"
	"   {\"enterprise\": {\"proposal\": 45}}},\n"
	" \"pilot\": {\"start\": \"2026-10-31\", \"days\": 28,"
	"   \"baseline_days\": 28}\n}\n";
static const char cfg_plain[] = CFG_HEAD "\n}\n";

static char tmpdir[256];

static void setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_reports.XXXXXX",
		 base && base[0] ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "check_reports: could not remove %s\n",
			tmpdir);
}

/* ---- building the story ---- */

static void add_owner(struct sg_model *m, const char *id, const char *name,
		      const char *manager, const char *team)
{
	struct sg_rec_owner r;
	struct sg_error err;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.name = name;
	r.email = "";
	r.manager_id = manager;
	r.team = team;
	ck_assert_int_eq(sg_model_add_owner(m, &r, NULL, &err), SG_OK);
}

static void add_opp(struct sg_model *m, const char *id, const char *name,
		    const char *stage, const char *owner, const char *amount,
		    const char *currency)
{
	struct sg_rec_opportunity r;
	struct sg_error err;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.name = name;
	r.pipeline = "";
	r.stage = stage;
	r.owner_id = owner;
	r.amount = amount;
	r.currency = currency;
	r.close_date = D(90);
	r.created_at = SG_TIME_NONE;
	r.next_step_date = SG_TIME_NONE;
	r.forecast_category = "";
	r.next_step = "Call the CFO";
	ck_assert_int_eq(sg_model_add_opportunity(m, &r, NULL, &err), SG_OK);
}

/* The story's model; with_d adds D (known from the second run on). */
static struct sg_model *story_model(const struct sg_config *cfg, int with_d)
{
	struct sg_model *m;
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_model_new(&m, cfg, &err), SG_OK);
	add_opp(m, "A", "Acme", "proposal", "u1", "1000", "USD");
	add_opp(m, "B", "Beta", "qualification", "u2", "1000", "USD");
	add_opp(m, "C", "Cee", "discovery", "", "1000", "USD");
	if (with_d)
		add_opp(m, "D", "Delta", "qualification", "u1", "2500.50",
			"EUR");
	add_owner(m, "u1", "Ann", "m1", "East");
	add_owner(m, "u2", "Bob", "m1", "West");
	add_owner(m, "m1", "Maria", "", "East");
	sg_test_add_event(m, "A", "", "discovery", D(5), "u1");
	sg_test_add_event(m, "A", "", "qualification", D(8), "u1");
	sg_test_add_event(m, "A", "", "proposal", D(32), "u1");
	sg_test_add_activity(m, "A", SG_PARTY_BUYER, D(6));
	sg_test_add_activity(m, "A", SG_PARTY_BUYER, D(31));
	sg_test_add_event(m, "B", "", "discovery", D(10), "u2");
	sg_test_add_event(m, "B", "", "qualification", D(20), "u2");
	sg_test_add_evidence(m, "B", "pain", "yes", SG_PARTY_BUYER, D(9));
	sg_test_add_activity(m, "B", SG_PARTY_BUYER, D(15));
	sg_test_add_event(m, "C", "", "discovery", D(31), "x");
	if (with_d)
		sg_test_add_event(m, "D", "", "qualification", D(37), "u1");
	ck_assert_int_eq(sg_model_finish(m, &err), SG_OK);
	return m;
}

/* Judges the model for (since, as_of] and records the run. */
static void record(struct sg_ledger *ledger, const struct sg_model *m,
		   const struct sg_config *cfg, sg_time since, sg_time as_of,
		   size_t expect_new)
{
	struct sg_check_window w = { .since = since, .as_of = as_of };
	struct sg_exceptions list;
	struct sg_ledger_exception *rows;
	struct sg_run_record run;
	struct sg_run_outcome outcome;
	struct sg_error err;
	char buf[700];
	size_t i;
	int rc;

	sg_error_clear(&err);
	sg_exceptions_init(&list);
	ck_assert_int_eq(sg_checks_run(&list, m, &w, &err), SG_OK);
	rows = calloc(list.count + 1, sizeof(*rows));
	ck_assert_ptr_nonnull(rows);
	for (i = 0; i < list.count; i++) {
		struct sg_routing routing;

		sg_exception_route(&list.items[i], m, as_of, &routing);
		rows[i].json = sg_exception_to_json(&list.items[i], m,
						    &routing, as_of);
		ck_assert_ptr_nonnull(rows[i].json);
	}
	memset(&run, 0, sizeof(run));
	run.started_at = as_of;
	run.finished_at = as_of + 60;
	run.as_of = as_of;
	run.since = since;
	run.source = "test";
	run.snapshot_at = SG_TIME_NONE;
	run.config_sha256 = cfg->text_sha256;
	run.tool_version = "test";
	run.evaluated = list.evaluated;
	run.paused = list.paused;
	rc = sg_test_record_run(ledger, &run, rows, list.count, &outcome,
				  &err);
	ck_assert_msg(rc == SG_OK, "record: %s",
		      sg_error_format(&err, buf, sizeof(buf)));
	ck_assert_uint_eq(outcome.new_exceptions, expect_new);
	for (i = 0; i < list.count; i++)
		json_decref(rows[i].json);
	free(rows);
	sg_exceptions_release(&list);
}

/* The id of the recorded exception of type on opportunity opp. */
static void ex_id(struct sg_ledger *ledger, const char *opp,
		  const char *type, char *id)
{
	sqlite3_stmt *stmt = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2((ledger)->db,
		"SELECT id FROM exceptions WHERE opportunity_id = ?1"
		" AND type = ?2", -1, &stmt, NULL), SQLITE_OK);
	sqlite3_bind_text(stmt, 1, opp, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, type, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	snprintf(id, SG_EXCEPTION_ID_SIZE, "%s",
		 (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
}

static long long q_int(struct sg_ledger *ledger, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	long long v = -1;

	ck_assert_int_eq(sqlite3_prepare_v2((ledger)->db, sql, -1,
					    &stmt, NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

/* Everything a report is computed from. */
struct story {
	struct sg_config *cfg;
	struct sg_model *m1, *m;
	struct sg_ledger *ledger;
	struct sg_replay *replay;
	struct sg_pilot_measures pm;
	int have_pm;
	struct sg_report_inputs in;
	char a_me[SG_EXCEPTION_ID_SIZE];
};

static void story_build(struct story *s, int pilot)
{
	static int built;
	const char *text = pilot ? cfg_pilot : cfg_plain;
	struct sg_review_decision d;
	struct sg_error err;
	char path[300], buf[700];
	int rc;

	memset(s, 0, sizeof(*s));
	sg_error_clear(&err);
	ck_assert_msg(sg_config_load_text(&s->cfg, "reports.json", "/tmp",
					  text, strlen(text), &err) == SG_OK,
		      "config: %s", err.message);
	snprintf(path, sizeof(path), "%s/ledger%d.db", tmpdir, built++);
	ck_assert_int_eq(sg_ledger_open(&s->ledger, path, &err), SG_OK);
	s->m1 = story_model(s->cfg, 0);
	s->m = story_model(s->cfg, 1);
	record(s->ledger, s->m1, s->cfg, D(30), D(35), 4);
	record(s->ledger, s->m, s->cfg, D(35), D(40), 2);
	ex_id(s->ledger, "A", "missing_evidence", s->a_me);
	memset(&d, 0, sizeof(d));
	d.exception_id = s->a_me;
	d.disposition = SG_DISP_CORRECT;
	d.by = "maria";
	d.note = "Moved back to qualification";
	d.at = D(36);
	d.source = "test";
	d.recorded_at = D(36);
	rc = sg_review_decide(s->ledger, &d, &err);
	ck_assert_msg(rc == SG_OK, "decide: %s",
		      sg_error_format(&err, buf, sizeof(buf)));
	ck_assert_int_eq(sg_replay_new(&s->replay, s->m, AS_OF, SG_TIME_NONE,
				       &err),
			 SG_OK);
	ck_assert_int_eq(sg_replay_load_ledger(s->replay, s->ledger, &err),
			 SG_OK);
	if (pilot) {
		ck_assert_int_eq(sg_pilot_measures_compute(&s->pm, s->replay,
							   s->cfg, &err),
				 SG_OK);
		s->have_pm = 1;
	}
	s->in.config = s->cfg;
	s->in.ledger = s->ledger;
	s->in.model = s->m;
	s->in.replay = s->replay;
	s->in.measures = pilot ? &s->pm : NULL;
	s->in.as_of = AS_OF;
}

static void story_free(struct story *s)
{
	if (s->have_pm)
		sg_pilot_measures_release(&s->pm);
	sg_replay_free(s->replay);
	sg_ledger_close(s->ledger);
	sg_model_free(s->m);
	sg_model_free(s->m1);
	sg_config_free(s->cfg);
}

/* ---- reading a report ---- */

/* A cell as text: "-" none, "n/a", the text, an integer, "%g unit",
 * "pct:%g" (the ratio), "TEXT CUR" money, ISO times, "date:YYYY-MM-DD",
 * JSON as is. */
static void cell_text(const struct sg_value *v, char *out, size_t size)
{
	char iso[SG_TIME_ISO_SIZE];

	switch (v->type) {
	case SG_VAL_NONE:
		snprintf(out, size, "-");
		break;
	case SG_VAL_NA:
		snprintf(out, size, "n/a");
		break;
	case SG_VAL_TEXT:
	case SG_VAL_JSON:
		snprintf(out, size, "%s", v->text);
		break;
	case SG_VAL_INT:
		snprintf(out, size, "%lld", v->integer);
		break;
	case SG_VAL_NUMBER:
		snprintf(out, size, "%g%s%s", v->number, v->unit ? " " : "",
			 v->unit ? v->unit : "");
		break;
	case SG_VAL_PERCENT:
		snprintf(out, size, "pct:%g", v->number);
		break;
	case SG_VAL_MONEY:
		snprintf(out, size, "%s %s", v->text,
			 v->unit ? v->unit : "-");
		break;
	case SG_VAL_TIME:
		snprintf(out, size, "%s", sg_time_format_iso(v->time, iso));
		break;
	case SG_VAL_DATE:
		snprintf(out, size, "date:%s",
			 sg_time_format_date(v->time, iso));
		break;
	default:
		snprintf(out, size, "?%d", v->type);
	}
}

#define MAX_ROWS 128
#define MAX_COLS 32
#define CELL 512

/* The rows of one table as texts, checked against the column types. */
struct grid {
	const struct sg_table *t;
	size_t rows;
	char (*cells)[MAX_COLS][CELL];
	int stop_after;         /* > 0: row() returns 7 after this many */
};

static int grid_row(void *arg, const struct sg_value *cells,
		    struct sg_error *err)
{
	struct grid *g = arg;
	size_t c;

	(void)err;
	ck_assert_uint_lt(g->rows, MAX_ROWS);
	ck_assert_uint_le(g->t->column_count, MAX_COLS);
	for (c = 0; c < g->t->column_count; c++) {
		int type = g->t->columns[c].type;

		/* A typed column's cells are of its type or empty. */
		ck_assert_msg(type == SG_VAL_MIXED || cells[c].type == type ||
			      cells[c].type == SG_VAL_NONE,
			      "%s.%s row %zu: a cell of type %d in a column "
			      "of type %d", g->t->key, g->t->columns[c].key,
			      g->rows, cells[c].type, type);
		ck_assert_int_ne(cells[c].type, SG_VAL_MIXED);
		if (cells[c].type == SG_VAL_TEXT ||
		    cells[c].type == SG_VAL_MONEY ||
		    cells[c].type == SG_VAL_JSON)
			ck_assert_ptr_nonnull(cells[c].text);
		cell_text(&cells[c], g->cells[g->rows][c], CELL);
	}
	g->rows++;
	if (g->stop_after > 0 && g->rows == (size_t)g->stop_after)
		return 7;
	return 0;
}

static struct grid *grid_read(const struct sg_table *t)
{
	struct grid *g = calloc(1, sizeof(*g));
	struct sg_error err;
	int rc;

	ck_assert_ptr_nonnull(g);
	g->t = t;
	g->cells = calloc(MAX_ROWS, sizeof(*g->cells));
	ck_assert_ptr_nonnull(g->cells);
	sg_error_clear(&err);
	rc = t->rows(t, grid_row, g, &err);
	ck_assert_msg(rc == SG_OK, "%s rows: %s", t->key, err.message);
	return g;
}

static void grid_free(struct grid *g)
{
	if (g == NULL)
		return;
	free(g->cells);
	free(g);
}

static const char *cell(const struct grid *g, size_t row, const char *key)
{
	size_t c;

	ck_assert_uint_lt(row, g->rows);
	for (c = 0; c < g->t->column_count; c++)
		if (strcmp(g->t->columns[c].key, key) == 0)
			return g->cells[row][c];
	ck_abort_msg("%s has no column %s", g->t->key, key);
	return NULL;
}

/* The row whose column key holds value. */
static size_t row_of(const struct grid *g, const char *key,
		     const char *value)
{
	size_t r;

	for (r = 0; r < g->rows; r++)
		if (strcmp(cell(g, r, key), value) == 0)
			return r;
	ck_abort_msg("%s: no row with %s = %s", g->t->key, key, value);
	return 0;
}

static const struct sg_section *section(const struct sg_report *r,
					const char *key)
{
	size_t i;

	for (i = 0; i < r->section_count; i++)
		if (strcmp(r->sections[i].key, key) == 0)
			return &r->sections[i];
	ck_abort_msg("no section %s", key);
	return NULL;
}

/* The block of this type whose table or chart has this key, or NULL. */
static const struct sg_block *find_block(const struct sg_report *r,
					 int type, const char *key)
{
	size_t i, j;

	for (i = 0; i < r->section_count; i++)
		for (j = 0; j < r->sections[i].block_count; j++) {
			const struct sg_block *b = &r->sections[i].blocks[j];
			const char *k = type == SG_BLOCK_TABLE ?
				(b->table ? b->table->key : NULL) :
				(b->chart ? b->chart->key : NULL);

			if (b->type == type && k != NULL &&
			    strcmp(k, key) == 0)
				return b;
		}
	return NULL;
}

static const struct sg_table *table(const struct sg_report *r,
				    const char *key)
{
	const struct sg_block *b = find_block(r, SG_BLOCK_TABLE, key);

	if (b == NULL)
		ck_abort_msg("no table %s", key);
	return b->table;
}

static const struct sg_chart *chart(const struct sg_report *r,
				    const char *key)
{
	const struct sg_block *b = find_block(r, SG_BLOCK_CHART, key);

	return b ? b->chart : NULL;
}

/* The text of every TEXT block of a section, joined. */
static void section_text(const struct sg_section *s, char *out, size_t size)
{
	size_t j, used = 0;

	out[0] = '\0';
	for (j = 0; j < s->block_count; j++)
		if (s->blocks[j].type == SG_BLOCK_TEXT ||
		    s->blocks[j].type == SG_BLOCK_HEADING)
			used += (size_t)snprintf(out + used, size - used,
						 "%s\n", s->blocks[j].text);
}

static void column_keys(const struct sg_table *t, char *out, size_t size)
{
	size_t c, used = 0;

	out[0] = '\0';
	for (c = 0; c < t->column_count; c++)
		used += (size_t)snprintf(out + used, size - used, "%s%s",
					 c ? " " : "", t->columns[c].key);
}

/*
 * What holds for every report: section titles fit a sheet name, blocks
 * are well formed, table keys are unique, every chart's table is a table
 * of the report with valid numeric series, and every table gives the
 * same rows twice.
 */
static void check_shape(const struct sg_report *r)
{
	const struct sg_table *tables[64];
	size_t n = 0, i, j, k, v;

	for (i = 0; i < r->section_count; i++) {
		const struct sg_section *s = &r->sections[i];

		ck_assert_ptr_nonnull(s->key);
		ck_assert_ptr_nonnull(s->title);
		ck_assert_uint_le(strlen(s->title), 31);
		ck_assert_uint_gt(s->block_count, 0);
		for (j = 0; j < s->block_count; j++) {
			const struct sg_block *b = &s->blocks[j];

			if (b->type == SG_BLOCK_HEADING ||
			    b->type == SG_BLOCK_TEXT) {
				ck_assert_ptr_nonnull(b->text);
				continue;
			}
			if (b->type == SG_BLOCK_TABLE) {
				ck_assert_ptr_nonnull(b->table);
				for (k = 0; k < n; k++)
					ck_assert_str_ne(tables[k]->key,
							 b->table->key);
				ck_assert_uint_lt(n, 64);
				tables[n++] = b->table;
				continue;
			}
			ck_assert_int_eq(b->type, SG_BLOCK_CHART);
		}
	}
	for (i = 0; i < r->section_count; i++)
		for (j = 0; j < r->sections[i].block_count; j++) {
			const struct sg_chart *c =
				r->sections[i].blocks[j].chart;
			int found = 0;

			if (r->sections[i].blocks[j].type != SG_BLOCK_CHART)
				continue;
			for (k = 0; k < n; k++)
				found |= tables[k] == c->table;
			ck_assert_msg(found, "chart %s: its table is not in "
				      "the report", c->key);
			ck_assert_uint_lt(c->category_column,
					  c->table->column_count);
			ck_assert_uint_gt(c->value_count, 0);
			for (v = 0; v < c->value_count; v++) {
				int type;

				ck_assert_uint_lt(c->value_columns[v],
						  c->table->column_count);
				type = c->table->columns[
					c->value_columns[v]].type;
				ck_assert(type == SG_VAL_INT ||
					  type == SG_VAL_NUMBER ||
					  type == SG_VAL_PERCENT);
			}
		}
	for (k = 0; k < n; k++) {
		struct grid *a = grid_read(tables[k]);
		struct grid *b = grid_read(tables[k]);

		ck_assert_uint_eq(a->rows, b->rows);
		ck_assert_msg(memcmp(a->cells, b->cells,
				     a->rows * sizeof(*a->cells)) == 0,
			      "%s: rows differ between two calls",
			      tables[k]->key);
		grid_free(a);
		grid_free(b);
	}
}

/* ---- the leadership report ---- */

START_TEST(test_leadership_sections)
{
	static const char *const keys[] = {
		"summary", "exceptions", "review_queue", "stage_ages",
		"owners", "evidence_gaps", "data_quality", "trend",
		"definitions",
	};
	static const char *const titles[] = {
		"Summary", "Exceptions", "Review queue", "Stage ages",
		"Owners and teams", "Evidence gaps", "Data quality", "Trend",
		"Definitions",
	};
	struct story s;
	struct sg_built_report *b = NULL;
	const struct sg_report *r;
	struct sg_error err;
	size_t i;

	story_build(&s, 1);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_report_leadership(&b, &s.in, &err), SG_OK);
	r = sg_built_report_view(b);
	ck_assert_str_eq(r->key, "leadership");
	ck_assert_int_eq(r->as_of, AS_OF);
	ck_assert_uint_eq(r->section_count, 9);
	for (i = 0; i < 9; i++) {
		ck_assert_str_eq(r->sections[i].key, keys[i]);
		ck_assert_str_eq(r->sections[i].title, titles[i]);
	}
	check_shape(r);
	ck_assert_ptr_nonnull(chart(r, "by_type"));
	ck_assert_ptr_nonnull(chart(r, "weekly_rate"));
	ck_assert_ptr_nonnull(chart(r, "turnaround"));
	ck_assert_int_eq(chart(r, "weekly_rate")->type, SG_CHART_LINE);
	ck_assert_ptr_eq(chart(r, "weekly_rate")->table, table(r, "trend"));
	ck_assert_ptr_eq(chart(r, "by_type")->table, table(r, "by_type"));
	ck_assert_uint_eq(chart(r, "turnaround")->value_count, 2);
	ck_assert(table(r, "exceptions")->flags & SG_TABLE_LIST);
	ck_assert(table(r, "review_queue")->flags & SG_TABLE_LIST);
	sg_built_report_free(b);
	story_free(&s);
}
END_TEST

START_TEST(test_leadership_summary)
{
	struct story s;
	struct sg_built_report *b = NULL;
	const struct sg_report *r;
	struct sg_error err;
	struct grid *g;
	char text[4096];
	size_t row;

	story_build(&s, 1);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_report_leadership(&b, &s.in, &err), SG_OK);
	r = sg_built_report_view(b);

	section_text(section(r, "summary"), text, sizeof(text));
	ck_assert_msg(strstr(text, "Over the first 12 days of the pilot's "
			     "28 the stage progression exception rate went "
			     "from 50.0 % in the 28-day baseline to 100.0 % "
			     "(+50.0 points; 3 of 3 opportunities evaluated "
			     "had an exception).") != NULL, "%s", text);
	/* 1 in 28 days and 2 in 12 days, compared per 30 days. */
	ck_assert_msg(strstr(text, "False progressions (advances without the "
			     "buyer's evidence): 1 in the 28-day baseline "
			     "(1.1 per 30 days), 2 in the pilot's 12 days so "
			     "far (5.0 per 30 days).") != NULL, "%s", text);
	ck_assert_ptr_nonnull(strstr(text, "Managers decided 1 review, with "
				     "a median turnaround of 24.0 hours"));
	ck_assert_ptr_nonnull(strstr(text, "This is early evidence: only 3 "
				     "opportunities were evaluated over 12 "
				     "days"));
	ck_assert_ptr_nonnull(strstr(text, "5 reviews are open, 3 of them "
				     "past their due time."));
	ck_assert_ptr_nonnull(strstr(text, "1 opportunity is paused"));

	g = grid_read(table(r, "pilot_window"));
	ck_assert_uint_eq(g->rows, 8);
	ck_assert_str_eq(cell(g, 0, "value"), "2026-11-11T00:00:00Z");
	ck_assert_str_eq(cell(g, 1, "value"), "date:2026-10-31");
	ck_assert_str_eq(cell(g, 2, "value"), "date:2026-11-27");
	ck_assert_str_eq(cell(g, 3, "value"), "28 days");
	ck_assert_str_eq(cell(g, 4, "item"), "Day of the pilot");
	ck_assert_str_eq(cell(g, 4, "value"), "12");
	ck_assert_str_eq(cell(g, 5, "value"), "date:2026-10-03");
	ck_assert_str_eq(cell(g, 6, "value"), "date:2026-10-30");
	grid_free(g);

	g = grid_read(table(r, "headline"));
	ck_assert_uint_eq(g->rows, 11);
	ck_assert_str_eq(cell(g, 0, "key"),
			 "stage_progression_exception_rate");
	ck_assert_str_eq(cell(g, 0, "baseline"), "pct:0.5");
	ck_assert_str_eq(cell(g, 0, "pilot"), "pct:1");
	ck_assert_str_eq(cell(g, 0, "change"), "pct:0.5");
	ck_assert_str_eq(cell(g, 0, "relative_change"), "pct:1");
	row = row_of(g, "key", "opportunities_evaluated");
	ck_assert_str_eq(cell(g, row, "baseline"), "2");
	ck_assert_str_eq(cell(g, row, "pilot"), "3");
	ck_assert_str_eq(cell(g, row, "change"), "1");
	ck_assert_str_eq(cell(g, row, "relative_change"), "pct:0.5");
	row = row_of(g, "key", "exceptions_total");
	ck_assert_str_eq(cell(g, row, "baseline"), "2");
	ck_assert_str_eq(cell(g, row, "pilot"), "6");
	ck_assert_str_eq(cell(g, row, "change"), "4");
	ck_assert_str_eq(cell(g, row, "relative_change"), "pct:2");
	row = row_of(g, "key", "false_progressions");
	ck_assert_str_eq(cell(g, row, "pilot"), "2");
	row = row_of(g, "key", "stage_correction_rate");
	ck_assert_str_eq(cell(g, row, "baseline"), "pct:0");
	ck_assert_str_eq(cell(g, row, "pilot"), "pct:0.5");
	ck_assert_str_eq(cell(g, row, "relative_change"), "-");
	row = row_of(g, "key", "forecast_impacting_changes");
	ck_assert_str_eq(cell(g, row, "baseline"), "0");
	ck_assert_str_eq(cell(g, row, "pilot"), "1");
	ck_assert_str_eq(cell(g, row, "relative_change"), "-");
	row = row_of(g, "key", "approval_turnaround_median_hours");
	ck_assert_str_eq(cell(g, row, "baseline"), "n/a");
	ck_assert_str_eq(cell(g, row, "pilot"), "24 hours");
	ck_assert_str_eq(cell(g, row, "change"), "-");
	row = row_of(g, "key", "reviews_open_past_due");
	ck_assert_str_eq(cell(g, row, "baseline"), "n/a");
	ck_assert_str_eq(cell(g, row, "pilot"), "3");
	row = row_of(g, "key", "paused");
	ck_assert_str_eq(cell(g, row, "baseline"), "1");
	ck_assert_str_eq(cell(g, row, "pilot"), "1");
	ck_assert_str_eq(cell(g, row, "change"), "0");
	grid_free(g);

	g = grid_read(table(r, "reviews"));
	ck_assert_uint_eq(g->rows, 3);
	ck_assert_str_eq(cell(g, 0, "count"), "5");
	ck_assert_str_eq(cell(g, 1, "reviews"), "Overdue");
	ck_assert_str_eq(cell(g, 1, "count"), "3");
	ck_assert_str_eq(cell(g, 2, "count"), "1");
	grid_free(g);

	g = grid_read(table(r, "by_type"));
	ck_assert_uint_eq(g->rows, SG_EX_TYPE_COUNT - 1);
	row = row_of(g, "type", "missing_evidence");
	ck_assert_str_eq(cell(g, row, "baseline"), "1");
	ck_assert_str_eq(cell(g, row, "pilot"), "2");
	row = row_of(g, "type", "stage_age");
	ck_assert_str_eq(cell(g, row, "baseline"), "1");
	ck_assert_str_eq(cell(g, row, "pilot"), "2");
	row = row_of(g, "type", "skipped_stage");
	ck_assert_str_eq(cell(g, row, "baseline"), "0");
	ck_assert_str_eq(cell(g, row, "pilot"), "1");
	row = row_of(g, "type", "forecast_impact");
	ck_assert_str_eq(cell(g, row, "pilot"), "1");
	grid_free(g);
	sg_built_report_free(b);
	story_free(&s);
}
END_TEST

START_TEST(test_leadership_exceptions)
{
	struct story s;
	struct sg_built_report *b = NULL;
	const struct sg_report *r;
	const struct sg_table *t;
	struct sg_error err;
	struct grid *g;
	char keys[1024];

	story_build(&s, 1);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_report_leadership(&b, &s.in, &err), SG_OK);
	r = sg_built_report_view(b);
	t = table(r, "exceptions");
	column_keys(t, keys, sizeof(keys));
	ck_assert_str_eq(keys, "id type verdict opportunity_id opportunity "
			 "owner team assignee from_stage to_stage stage "
			 "event_at detected_at due_at amount "
			 "evidence_missing disposition decided_by "
			 "decided_at decision_note note");
	ck_assert_int_eq(t->columns[2].role, SG_ROLE_VERDICT);
	ck_assert_int_eq(t->columns[14].type, SG_VAL_MONEY);
	ck_assert_int_eq(t->columns[20].role, SG_ROLE_NOTE);
	g = grid_read(t);
	ck_assert_uint_eq(g->rows, 6);
	/* By opportunity, event time, type. */
	ck_assert_str_eq(cell(g, 0, "type"), "forecast_impact");
	ck_assert_str_eq(cell(g, 1, "type"), "missing_evidence");
	ck_assert_str_eq(cell(g, 2, "type"), "stage_age");
	ck_assert_str_eq(cell(g, 3, "type"), "data_quality");
	ck_assert_str_eq(cell(g, 4, "type"), "missing_evidence");
	ck_assert_str_eq(cell(g, 5, "type"), "skipped_stage");

	/* A's missing_evidence, decided. */
	ck_assert_str_eq(cell(g, 1, "id"), s.a_me);
	ck_assert_str_eq(cell(g, 1, "verdict"), "block");
	ck_assert_str_eq(cell(g, 1, "opportunity_id"), "A");
	ck_assert_str_eq(cell(g, 1, "opportunity"), "Acme");
	ck_assert_str_eq(cell(g, 1, "owner"), "Ann");
	ck_assert_str_eq(cell(g, 1, "team"), "East");
	ck_assert_str_eq(cell(g, 1, "assignee"), "m1");
	ck_assert_str_eq(cell(g, 1, "from_stage"), "qualification");
	ck_assert_str_eq(cell(g, 1, "to_stage"), "proposal");
	ck_assert_str_eq(cell(g, 1, "event_at"), "2026-11-02T00:00:00Z");
	ck_assert_str_eq(cell(g, 1, "detected_at"), "2026-11-05T00:00:00Z");
	ck_assert_str_eq(cell(g, 1, "due_at"), "2026-11-07T00:00:00Z");
	ck_assert_str_eq(cell(g, 1, "amount"), "1000 USD");
	ck_assert_str_eq(cell(g, 1, "evidence_missing"), "budget");
	ck_assert_str_eq(cell(g, 1, "disposition"), "correct");
	ck_assert_str_eq(cell(g, 1, "decided_by"), "maria");
	ck_assert_str_eq(cell(g, 1, "decided_at"), "2026-11-06T00:00:00Z");
	ck_assert_str_eq(cell(g, 1, "decision_note"),
			 "Moved back to qualification");
	ck_assert_ptr_nonnull(strstr(cell(g, 1, "note"), "proposal"));
	/* A's forecast_impact: the amount at the move, still open. */
	ck_assert_str_eq(cell(g, 0, "verdict"), "review");
	ck_assert_str_eq(cell(g, 0, "amount"), "1000 USD");
	ck_assert_str_eq(cell(g, 0, "evidence_missing"), "-");
	ck_assert_str_eq(cell(g, 0, "disposition"), "open");
	ck_assert_str_eq(cell(g, 0, "decided_by"), "-");
	/* B's stage_age: not a move. */
	ck_assert_str_eq(cell(g, 2, "verdict"), "flag");
	ck_assert_str_eq(cell(g, 2, "from_stage"), "-");
	ck_assert_str_eq(cell(g, 2, "stage"), "qualification");
	ck_assert_str_eq(cell(g, 2, "team"), "West");
	/* C: no owner, routed to the default assignee. */
	ck_assert_str_eq(cell(g, 3, "verdict"), "pause");
	ck_assert_str_eq(cell(g, 3, "owner"), "-");
	ck_assert_str_eq(cell(g, 3, "assignee"), "revops");
	/* D, raised by the second run; its own amount. */
	ck_assert_str_eq(cell(g, 4, "evidence_missing"), "pain");
	ck_assert_str_eq(cell(g, 4, "amount"), "2500.50 EUR");
	ck_assert_str_eq(cell(g, 4, "detected_at"), "2026-11-10T00:00:00Z");
	ck_assert_str_eq(cell(g, 5, "evidence_missing"), "-");
	ck_assert_str_eq(cell(g, 5, "from_stage"), "-");
	grid_free(g);

	/* Stopping: row()'s nonzero return ends rows() and is returned. */
	g = calloc(1, sizeof(*g));
	ck_assert_ptr_nonnull(g);
	g->t = t;
	g->cells = calloc(MAX_ROWS, sizeof(*g->cells));
	g->stop_after = 2;
	ck_assert_int_eq(t->rows(t, grid_row, g, &err), 7);
	ck_assert_uint_eq(g->rows, 2);
	grid_free(g);
	sg_built_report_free(b);
	story_free(&s);
}
END_TEST

START_TEST(test_leadership_queue_and_people)
{
	struct story s;
	struct sg_built_report *b = NULL;
	const struct sg_report *r;
	struct sg_error err;
	struct grid *g;
	size_t row;

	story_build(&s, 1);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_report_leadership(&b, &s.in, &err), SG_OK);
	r = sg_built_report_view(b);

	g = grid_read(table(r, "review_queue"));
	ck_assert_uint_eq(g->rows, 5);
	for (row = 0; row < 3; row++) {
		ck_assert_str_eq(cell(g, row, "status"), "overdue");
		ck_assert_str_eq(cell(g, row, "hours_open"), "144 hours");
		ck_assert_str_eq(cell(g, row, "due_at"),
				 "2026-11-07T00:00:00Z");
		ck_assert_str_ne(cell(g, row, "exception_id"), s.a_me);
	}
	for (row = 3; row < 5; row++) {
		ck_assert_str_eq(cell(g, row, "status"), "due");
		ck_assert_str_eq(cell(g, row, "hours_open"), "24 hours");
		ck_assert_str_eq(cell(g, row, "opportunity"), "Delta");
		ck_assert_str_eq(cell(g, row, "assignee"), "m1");
	}
	grid_free(g);

	g = grid_read(table(r, "stage_ages"));
	ck_assert_uint_eq(g->rows, 3);          /* the open stages */
	ck_assert_str_eq(cell(g, 0, "stage"), "discovery");
	ck_assert_str_eq(cell(g, 0, "label"), "Discovery");
	ck_assert_str_eq(cell(g, 0, "open_opportunities"), "0");
	ck_assert_str_eq(cell(g, 0, "median_days"), "-");
	ck_assert_str_eq(cell(g, 1, "stage"), "qualification");
	ck_assert_str_eq(cell(g, 1, "open_opportunities"), "2");
	ck_assert_str_eq(cell(g, 1, "median_days"), "12.5 days");
	ck_assert_str_eq(cell(g, 1, "p90_days"), "21 days");
	ck_assert_str_eq(cell(g, 1, "max_age_days"), "10 days");
	ck_assert_str_eq(cell(g, 1, "over_max_age"), "1");
	ck_assert_str_eq(cell(g, 2, "stage"), "proposal");
	ck_assert_str_eq(cell(g, 2, "open_opportunities"), "1");
	ck_assert_str_eq(cell(g, 2, "median_days"), "9 days");
	ck_assert_str_eq(cell(g, 2, "over_max_age"), "0");
	grid_free(g);

	g = grid_read(table(r, "owners"));
	ck_assert_uint_eq(g->rows, 4);
	ck_assert_str_eq(cell(g, 0, "owner"), "Ann");
	ck_assert_str_eq(cell(g, 0, "team"), "East");
	ck_assert_str_eq(cell(g, 0, "manager"), "Maria");
	ck_assert_str_eq(cell(g, 0, "open_opportunities"), "2");
	ck_assert_str_eq(cell(g, 0, "exceptions"), "4");
	ck_assert_str_eq(cell(g, 0, "block"), "2");
	ck_assert_str_eq(cell(g, 0, "review"), "2");
	ck_assert_str_eq(cell(g, 0, "open_reviews"), "3");
	ck_assert_str_eq(cell(g, 0, "overdue_reviews"), "1");
	ck_assert_str_eq(cell(g, 1, "owner"), "Maria");
	ck_assert_str_eq(cell(g, 1, "manager"), "-");
	ck_assert_str_eq(cell(g, 1, "exceptions"), "0");
	ck_assert_str_eq(cell(g, 2, "owner_id"), "u2");
	ck_assert_str_eq(cell(g, 2, "team"), "West");
	ck_assert_str_eq(cell(g, 2, "open_opportunities"), "1");
	ck_assert_str_eq(cell(g, 2, "exceptions"), "1");
	ck_assert_str_eq(cell(g, 2, "overdue_reviews"), "1");
	ck_assert_str_eq(cell(g, 3, "owner_id"), "-");
	ck_assert_str_eq(cell(g, 3, "owner"), "(no owner)");
	ck_assert_str_eq(cell(g, 3, "exceptions"), "1");
	ck_assert_str_eq(cell(g, 3, "open_opportunities"), "0");
	grid_free(g);

	g = grid_read(table(r, "evidence_gaps"));
	ck_assert_uint_eq(g->rows, 2);
	ck_assert_str_eq(cell(g, 0, "criterion"), "pain");
	ck_assert_str_eq(cell(g, 0, "exceptions"), "1");
	ck_assert_str_eq(cell(g, 0, "opportunities"), "1");
	ck_assert_str_eq(cell(g, 0, "required_by"), "discovery");
	ck_assert_str_eq(cell(g, 1, "criterion"), "budget");
	ck_assert_str_eq(cell(g, 1, "label"), "Budget");
	ck_assert_str_eq(cell(g, 1, "required_by"), "qualification");
	grid_free(g);

	g = grid_read(table(r, "paused"));
	ck_assert_uint_eq(g->rows, 1);
	ck_assert_str_eq(cell(g, 0, "opportunity_id"), "C");
	ck_assert_str_eq(cell(g, 0, "opportunity"), "Cee");
	ck_assert_str_eq(cell(g, 0, "owner"), "-");
	ck_assert_str_eq(cell(g, 0, "stage"), "discovery");
	ck_assert_str_eq(cell(g, 0, "reasons"), "missing_owner");
	ck_assert_str_ne(cell(g, 0, "detail"), "-");
	grid_free(g);
	g = grid_read(table(r, "data_quality_reasons"));
	ck_assert_uint_eq(g->rows, SG_DQ_REASON_COUNT);
	row = row_of(g, "reason", "missing_owner");
	ck_assert_str_eq(cell(g, row, "opportunities"), "1");
	grid_free(g);

	g = grid_read(table(r, "trend"));
	ck_assert_uint_eq(g->rows, 2);
	ck_assert_str_eq(cell(g, 0, "week"), "Week 1");
	ck_assert_str_eq(cell(g, 0, "start"), "date:2026-10-31");
	ck_assert_str_eq(cell(g, 0, "end"), "date:2026-11-06");
	ck_assert_str_eq(cell(g, 0, "exception_rate"), "pct:1");
	ck_assert_str_eq(cell(g, 0, "exceptions"), "4");
	ck_assert_str_eq(cell(g, 0, "turnaround_median_hours"), "24 hours");
	ck_assert_str_eq(cell(g, 0, "reviews_open_past_due"), "0");
	ck_assert_str_eq(cell(g, 1, "start"), "date:2026-11-07");
	ck_assert_str_eq(cell(g, 1, "exceptions"), "3");
	ck_assert_str_eq(cell(g, 1, "turnaround_median_hours"), "-");
	ck_assert_str_eq(cell(g, 1, "reviews_open_past_due"), "3");
	ck_assert_ptr_nonnull(strstr(cell(g, 1, "exception_rate"),
				     "pct:0.666"));
	grid_free(g);

	g = grid_read(table(r, "measures"));
	row = row_of(g, "key", "stage_progression_exception_rate");
	ck_assert_ptr_nonnull(strstr(cell(g, row, "meaning"), "share"));
	row_of(g, "key", "exceptions_seller_only");
	row_of(g, "key", "approval_turnaround_p90_hours");
	grid_free(g);
	g = grid_read(table(r, "stages"));
	ck_assert_uint_eq(g->rows, 5);
	ck_assert_str_eq(cell(g, 1, "exit_criteria"), "budget");
	ck_assert_str_eq(cell(g, 4, "kind"),
			 "closed, entered from any stage");
	grid_free(g);
	g = grid_read(table(r, "segments"));
	ck_assert_uint_eq(g->rows, 1);
	ck_assert_str_eq(cell(g, 0, "segment"), "enterprise");
	ck_assert_str_eq(cell(g, 0, "stage"), "proposal");
	ck_assert_str_eq(cell(g, 0, "max_age_days"), "45 days");
	grid_free(g);
	g = grid_read(table(r, "settings"));
	row = row_of(g, "setting", "Review SLA");
	ck_assert_str_eq(cell(g, row, "value"), "48 hours");
	row = row_of(g, "setting", "Pilot start");
	ck_assert_str_eq(cell(g, row, "value"), "date:2026-10-31");
	grid_free(g);
	sg_built_report_free(b);
	story_free(&s);
}
END_TEST

/* Without a pilot section: the current exceptions, no trend. */
START_TEST(test_leadership_without_pilot)
{
	struct story s;
	struct sg_built_report *b = NULL;
	const struct sg_report *r;
	const struct sg_section *trend;
	struct sg_error err;
	struct grid *g;
	char text[4096];
	size_t row;

	story_build(&s, 0);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_report_leadership(&b, &s.in, &err), SG_OK);
	r = sg_built_report_view(b);
	ck_assert_uint_eq(r->section_count, 9);
	check_shape(r);
	section_text(section(r, "summary"), text, sizeof(text));
	ck_assert_ptr_nonnull(strstr(text, "has no pilot section"));
	ck_assert_ptr_nonnull(strstr(text, "5 reviews are open, 3 of them"));
	g = grid_read(table(r, "by_type"));
	ck_assert_uint_eq(g->rows, SG_EX_TYPE_COUNT);
	row = row_of(g, "type", "missing_evidence");
	ck_assert_str_eq(cell(g, row, "verdict"), "block");
	ck_assert_str_eq(cell(g, row, "exceptions"), "2");
	ck_assert_str_eq(cell(g, row, "open_reviews"), "1");
	row = row_of(g, "type", "data_quality");
	ck_assert_str_eq(cell(g, row, "exceptions"), "1");
	grid_free(g);
	ck_assert_uint_eq(chart(r, "by_type")->value_count, 1);
	ck_assert_ptr_null(chart(r, "weekly_rate"));
	ck_assert_ptr_null(chart(r, "turnaround"));
	trend = section(r, "trend");
	ck_assert_uint_eq(trend->block_count, 1);
	ck_assert_int_eq(trend->blocks[0].type, SG_BLOCK_TEXT);
	g = grid_read(table(r, "exceptions"));
	ck_assert_uint_eq(g->rows, 6);
	grid_free(g);
	sg_built_report_free(b);

	ck_assert_int_eq(sg_report_metrics(&b, &s.in, &err), SG_OK);
	r = sg_built_report_view(b);
	ck_assert_uint_eq(r->section_count, 1);
	ck_assert_uint_eq(r->sections[0].block_count, 1);
	ck_assert_str_eq(r->sections[0].blocks[0].table->key, "events");
	sg_built_report_free(b);
	story_free(&s);
}
END_TEST

/* An earlier as-of sees the ledger as it stood: the decision of day 36
 * is not made yet on day 35.5. */
START_TEST(test_leadership_as_of)
{
	struct story s;
	struct sg_built_report *b = NULL;
	const struct sg_report *r;
	struct sg_error err;
	struct grid *g;

	story_build(&s, 0);
	s.in.as_of = D(35) + 12 * HOUR;
	sg_error_clear(&err);
	ck_assert_int_eq(sg_report_leadership(&b, &s.in, &err), SG_OK);
	r = sg_built_report_view(b);
	g = grid_read(table(r, "exceptions"));
	ck_assert_uint_eq(g->rows, 4);          /* run 2 not yet */
	ck_assert_str_eq(cell(g, 1, "id"), s.a_me);
	ck_assert_str_eq(cell(g, 1, "disposition"), "open");
	ck_assert_str_eq(cell(g, 1, "decided_at"), "-");
	grid_free(g);
	g = grid_read(table(r, "review_queue"));
	ck_assert_uint_eq(g->rows, 4);
	ck_assert_str_eq(cell(g, 0, "status"), "due");
	ck_assert_str_eq(cell(g, 0, "hours_open"), "12 hours");
	grid_free(g);
	sg_built_report_free(b);
	story_free(&s);
}
END_TEST

/* ---- the metrics data ---- */

START_TEST(test_metrics)
{
	struct story s;
	struct sg_built_report *b = NULL;
	const struct sg_report *r;
	const struct sg_section *sec;
	struct sg_measure_row *rows;
	struct sg_error err;
	struct grid *g;
	char keys[512];
	size_t n, n2, row;

	story_build(&s, 1);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_report_metrics(&b, &s.in, &err), SG_OK);
	r = sg_built_report_view(b);
	ck_assert_str_eq(r->key, "metrics");
	ck_assert_uint_eq(r->section_count, 1);
	sec = section(r, "metrics");
	ck_assert_uint_eq(sec->block_count, 5);
	ck_assert_str_eq(sec->blocks[0].table->key, "comparison");
	ck_assert_str_eq(sec->blocks[1].table->key, "baseline");
	ck_assert_str_eq(sec->blocks[2].table->key, "pilot");
	ck_assert_str_eq(sec->blocks[3].table->key, "weekly");
	ck_assert_str_eq(sec->blocks[4].table->key, "events");
	check_shape(r);
	column_keys(table(r, "comparison"), keys, sizeof(keys));
	ck_assert_str_eq(keys, "measure baseline pilot change "
			 "relative_change");
	column_keys(table(r, "weekly"), keys, sizeof(keys));
	ck_assert_str_eq(keys, "week start end measure value");
	column_keys(table(r, "events"), keys, sizeof(keys));
	ck_assert_str_eq(keys, "seq type at run_id exception_id "
			 "opportunity_id detail");

	/* The rows of `stageguard metrics`, in its order. */
	ck_assert_int_eq(sg_measures_rows(&s.pm.pilot, &rows, &n, &err),
			 SG_OK);
	g = grid_read(table(r, "pilot"));
	ck_assert_uint_eq(g->rows, n);
	for (row = 0; row < n; row++)
		ck_assert_str_eq(cell(g, row, "measure"), rows[row].key);
	free(rows);
	ck_assert_str_eq(cell(g, row_of(g, "measure",
		"forecast_impacting_amount:USD"), "value"), "1000 USD");
	ck_assert_str_eq(cell(g, row_of(g, "measure",
		"stage_progression_exception_rate"), "value"), "pct:1");
	ck_assert_str_eq(cell(g, row_of(g, "measure",
		"exceptions_stage_age"), "value"), "2");
	ck_assert_str_eq(cell(g, row_of(g, "measure",
		"close_date_push_days_median"), "value"), "-");
	grid_free(g);

	g = grid_read(table(r, "baseline"));
	ck_assert_uint_eq(g->rows, n - 1);      /* no currency */
	ck_assert_str_eq(cell(g, row_of(g, "measure",
		"dispositions_recorded"), "value"), "n/a");
	grid_free(g);

	g = grid_read(table(r, "comparison"));
	ck_assert_uint_eq(g->rows, n);
	row = row_of(g, "measure", "forecast_impacting_amount:USD");
	ck_assert_str_eq(cell(g, row, "baseline"), "0 USD");
	ck_assert_str_eq(cell(g, row, "pilot"), "1000 USD");
	ck_assert_str_eq(cell(g, row, "change"), "1000 USD");
	ck_assert_str_eq(cell(g, row, "relative_change"), "-");
	row = row_of(g, "measure", "stage_progression_exception_rate");
	ck_assert_str_eq(cell(g, row, "change"), "pct:0.5");
	row = row_of(g, "measure", "approval_turnaround_p90_hours");
	ck_assert_str_eq(cell(g, row, "baseline"), "n/a");
	ck_assert_str_eq(cell(g, row, "pilot"), "24 hours");
	ck_assert_str_eq(cell(g, row, "change"), "-");
	grid_free(g);

	ck_assert_int_eq(sg_measures_rows(&s.pm.weeks[1], &rows, &n2, &err),
			 SG_OK);
	free(rows);
	g = grid_read(table(r, "weekly"));
	ck_assert_uint_eq(g->rows, n + n2);     /* week 1 has USD */
	ck_assert_str_eq(cell(g, 0, "week"), "1");
	ck_assert_str_eq(cell(g, 0, "start"), "2026-10-31T00:00:00Z");
	ck_assert_str_eq(cell(g, 0, "end"), "2026-11-07T00:00:00Z");
	ck_assert_str_eq(cell(g, 0, "measure"), "opportunities_evaluated");
	ck_assert_str_eq(cell(g, 0, "value"), "2");
	ck_assert_str_eq(cell(g, n, "week"), "2");
	ck_assert_str_eq(cell(g, n, "value"), "3");
	grid_free(g);

	g = grid_read(table(r, "events"));
	ck_assert_uint_eq(g->rows, (size_t)q_int(s.ledger,
		"SELECT count(*) FROM events"));
	ck_assert_uint_eq(g->rows, 6 + 2 + 1);
	row = row_of(g, "type", "disposition_recorded");
	ck_assert_str_eq(cell(g, row, "exception_id"), s.a_me);
	ck_assert_str_eq(cell(g, row, "opportunity_id"), "A");
	ck_assert_ptr_nonnull(strstr(cell(g, row, "detail"),
				     "\"disposition\""));
	ck_assert_str_eq(cell(g, row, "at"), "2026-11-06T00:00:00Z");
	grid_free(g);
	sg_built_report_free(b);
	story_free(&s);
}
END_TEST

/* ---- refusals ---- */

START_TEST(test_refusals)
{
	struct story s;
	struct sg_built_report *b = (struct sg_built_report *)&s;
	struct sg_report_inputs in;
	struct sg_error err;

	story_build(&s, 1);
	in = s.in;
	in.ledger = NULL;
	sg_error_clear(&err);
	ck_assert_int_eq(sg_report_leadership(&b, &in, &err), SG_ERR_USAGE);
	ck_assert_ptr_null(b);
	ck_assert_ptr_nonnull(strstr(err.message, "ledger"));
	ck_assert_int_eq(sg_report_metrics(&b, &in, &err), SG_ERR_USAGE);
	ck_assert_ptr_null(b);
	in = s.in;
	in.model = NULL;
	ck_assert_int_eq(sg_report_leadership(&b, &in, &err), SG_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err.message, "model"));
	story_free(&s);

	/* Pilot measures with a config that has no pilot section. */
	story_build(&s, 0);
	in = s.in;
	in.measures = (const struct sg_pilot_measures *)&s.pm;
	ck_assert_int_eq(sg_report_leadership(&b, &in, &err), SG_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err.message, "\"pilot\""));
	ck_assert_ptr_null(b);
	sg_built_report_free(NULL);
	story_free(&s);
}
END_TEST

/* A ledger that cannot be read is a ledger error from rows(), named. */
START_TEST(test_ledger_error)
{
	struct story s;
	struct sg_built_report *b = NULL;
	const struct sg_table *t;
	struct sg_error err;
	struct grid *g;

	story_build(&s, 1);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_report_leadership(&b, &s.in, &err), SG_OK);
	t = table(sg_built_report_view(b), "exceptions");
	ck_assert_int_eq(sqlite3_exec((s.ledger)->db,
				      "DROP VIEW tasks;"
				      " ALTER TABLE exceptions RENAME TO x2",
				      NULL, NULL, NULL), SQLITE_OK);
	g = calloc(1, sizeof(*g));
	ck_assert_ptr_nonnull(g);
	g->t = t;
	g->cells = calloc(MAX_ROWS, sizeof(*g->cells));
	ck_assert_int_eq(t->rows(t, grid_row, g, &err), SG_ERR_LEDGER);
	ck_assert_ptr_nonnull(strstr(err.message, "exceptions"));
	ck_assert_uint_eq(g->rows, 0);
	grid_free(g);
	sg_built_report_free(b);
	story_free(&s);
}
END_TEST

static Suite *reports_suite(void)
{
	Suite *s = suite_create("reports");
	TCase *tc;

	tc = tcase_create("leadership");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_leadership_sections);
	tcase_add_test(tc, test_leadership_summary);
	tcase_add_test(tc, test_leadership_exceptions);
	tcase_add_test(tc, test_leadership_queue_and_people);
	tcase_add_test(tc, test_leadership_without_pilot);
	tcase_add_test(tc, test_leadership_as_of);
	suite_add_tcase(s, tc);
	tc = tcase_create("metrics");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_metrics);
	suite_add_tcase(s, tc);
	tc = tcase_create("refusals");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_ledger_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(reports_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
