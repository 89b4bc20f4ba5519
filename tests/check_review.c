/*
 * check_review.c - the review queue and measurement events
 * (core/sg_review.c): list and its filters, id prefixes, show, decide and
 * every refusal, CSV import (all or nothing), the JSONL event export, and
 * stage_corrected events.
 *
 * Each test records one run of hand-made exception objects (jansson) in a
 * ledger in its own mkdtemp folder.  CK_RUN_SUITE / CK_RUN_CASE pick a
 * case.
 */
#include <check.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_config.h"
#include "ledger_db.h"
#include "sg_ledger.h"
#include "sg_test_ledger.h"
#include "sg_model.h"
#include "sg_review.h"

/* 2026-11-02T00:00:00Z: the run's as-of and every detection. */
#define AS_OF ((sg_time)1793577600)
#define HOUR ((sg_time)3600)
#define DAY ((sg_time)86400)

static char tmpdir[256];
static struct sg_ledger *ledger;

static void setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_review.XXXXXX",
		 base && base[0] ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ledger = NULL;
}

static void teardown(void)
{
	char cmd[300];

	sg_ledger_close(ledger);
	ledger = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "check_review: could not remove %s\n", tmpdir);
}

static const char *iso(sg_time t, char *buf)
{
	return sg_time_format_iso(t, buf);
}

/* One exception object as the checks write it (DESIGN §8). */
static json_t *make_ex(const char *id, const char *type, const char *verdict,
		       const char *opp, const char *from, const char *to,
		       sg_time event_at, const char *assignee, sg_time due)
{
	char ev[SG_TIME_ISO_SIZE], det[SG_TIME_ISO_SIZE];
	char due_text[SG_TIME_ISO_SIZE];
	json_t *obj;

	obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?,"
			" s:s?, s:s, s:s, s:s, s:s}",
			"id", id, "type", type, "verdict", verdict,
			"opportunity_id", opp, "opportunity_name", "Acme",
			"owner_id", "u1", "assignee", assignee,
			"from_stage", from, "to_stage", to,
			"stage", to ? to : "discovery",
			"event_at", iso(event_at, ev),
			"detected_at", iso(AS_OF, det),
			"due_at", iso(due, due_text),
			"note", "Moved without the buyer's evidence.");
	ck_assert_ptr_nonnull(obj);
	if (strcmp(type, "missing_evidence") == 0) {
		json_object_set_new(obj, "missing",
				    json_pack("[s]", "budget"));
		json_object_set_new(obj, "present",
				    json_pack("[s]", "pain"));
	}
	if (strcmp(type, "forecast_impact") == 0) {
		json_object_set_new(obj, "from_category",
				    json_string("pipeline"));
		json_object_set_new(obj, "to_category",
				    json_string("best_case"));
		json_object_set_new(obj, "amount", json_string("5000.00"));
		json_object_set_new(obj, "currency", json_string("USD"));
	}
	return obj;
}

/*
 * The standard queue, recorded as one run at AS_OF:
 *   abcdef01 missing_evidence block  O1 disc->qual   mgr1  due +2d
 *   abcdef02 forecast_impact  review O1 disc->qual   mgr1  due +2d
 *   abc99900 regression       review O2 qual->disc   revops due +1d
 *   f0000001 stage_age        flag   O3 (none)       mgr2  due +3d
 *   e0000001 skipped_stage    review O4 created prop mgr1  due +1d
 */
static void record_queue(void)
{
	struct sg_ledger_exception list[5];
	struct sg_run_record run;
	struct sg_error err;
	char path[300], buf[700];
	size_t i;
	int rc;

	list[0].json = make_ex("abcdef01", "missing_evidence", "block", "O1",
			       "discovery", "qualification",
			       AS_OF - 3 * DAY, "mgr1", AS_OF + 2 * DAY);
	list[1].json = make_ex("abcdef02", "forecast_impact", "review", "O1",
			       "discovery", "qualification",
			       AS_OF - 3 * DAY, "mgr1", AS_OF + 2 * DAY);
	list[2].json = make_ex("abc99900", "regression", "review", "O2",
			       "qualification", "discovery", AS_OF - DAY,
			       "revops", AS_OF + DAY);
	list[3].json = make_ex("f0000001", "stage_age", "flag", "O3", NULL,
			       NULL, AS_OF - 40 * DAY, "mgr2",
			       AS_OF + 3 * DAY);
	list[4].json = make_ex("e0000001", "skipped_stage", "review", "O4",
			       NULL, "proposal", AS_OF - 2 * DAY, "mgr1",
			       AS_OF + DAY);
	snprintf(path, sizeof(path), "%s/ledger.db", tmpdir);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_open(&ledger, path, &err), SG_OK);
	memset(&run, 0, sizeof(run));
	run.as_of = AS_OF;
	run.started_at = AS_OF + 60;
	run.finished_at = AS_OF + 120;
	run.since = SG_TIME_NONE;
	run.source = "csv:data/";
	run.snapshot_at = SG_TIME_NONE;
	run.config_sha256 = "00";
	run.tool_version = "test";
	rc = sg_test_record_run(ledger, &run, list, 5, NULL, &err);
	ck_assert_msg(rc == SG_OK, "record: %s",
		      sg_error_format(&err, buf, sizeof(buf)));
	for (i = 0; i < 5; i++)
		json_decref(list[i].json);
}

/* One integer from a query on the ledger. */
static long long q_int(const char *sql)
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

/* One text from a query (copied into a static buffer; "" for NULL). */
static const char *q_text(const char *sql)
{
	static char buf[4096];
	sqlite3_stmt *stmt = NULL;

	buf[0] = '\0';
	ck_assert_int_eq(sqlite3_prepare_v2((ledger)->db, sql, -1,
					    &stmt, NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_text(stmt, 0) != NULL)
		snprintf(buf, sizeof(buf), "%s",
			 (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return buf;
}

/* A fingerprint of everything a decision may change. */
static long long state_of(void)
{
	return q_int("SELECT (SELECT count(*) FROM events) * 1000000"
		     " + (SELECT count(*) FROM task_history) * 10000"
		     " + (SELECT count(*) FROM tasks WHERE status = 'closed')"
		     " * 100 + (SELECT count(*) FROM tasks"
		     " WHERE assignee = 'mgr1')");
}

static struct sg_review_decision decision(const char *id, int disposition,
					  const char *by, sg_time at)
{
	struct sg_review_decision d;

	memset(&d, 0, sizeof(d));
	d.exception_id = id;
	d.disposition = disposition;
	d.by = by;
	d.at = at;
	d.source = "test";
	d.recorded_at = AS_OF + 10 * DAY;
	return d;
}

static void decide_ok(const struct sg_review_decision *d)
{
	struct sg_error err;
	char buf[700];
	int rc;

	sg_error_clear(&err);
	rc = sg_review_decide(ledger, d, &err);
	ck_assert_msg(rc == SG_OK, "decide: %s",
		      sg_error_format(&err, buf, sizeof(buf)));
}

/* Decides and expects refusal code with msg in the message, nothing
 * changed. */
static void decide_refused(const struct sg_review_decision *d, int code,
			   const char *msg)
{
	struct sg_error err;
	long long before = state_of();

	sg_error_clear(&err);
	ck_assert_int_eq(sg_review_decide(ledger, d, &err), code);
	ck_assert_msg(strstr(err.message, msg) != NULL,
		      "message \"%s\" lacks \"%s\"", err.message, msg);
	ck_assert_int_eq(state_of(), before);
}

static void list_ids(int status, const char *assignee, const char *type,
		     const char *verdict, sg_time as_of, char *out,
		     size_t size)
{
	struct sg_review_filter f;
	struct sg_review_tasks tasks;
	struct sg_error err;
	size_t i, used = 0;

	memset(&f, 0, sizeof(f));
	f.status = status;
	f.assignee = assignee;
	f.type = type;
	f.verdict = verdict;
	f.as_of = as_of;
	sg_error_clear(&err);
	ck_assert_int_eq(sg_review_list(ledger, &f, &tasks, &err), SG_OK);
	out[0] = '\0';
	for (i = 0; i < tasks.count; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s",
					 i ? " " : "", tasks.items[i].id);
	sg_review_tasks_release(&tasks);
}

/* ---- list ---- */

START_TEST(test_list_order_and_filters)
{
	char ids[512];

	record_queue();
	list_ids(SG_REVIEW_OPEN, NULL, NULL, NULL, AS_OF, ids, sizeof(ids));
	ck_assert_str_eq(ids, "abc99900 e0000001 abcdef01 abcdef02 "
			 "f0000001");
	/* Overdue: open and due strictly before as-of. */
	list_ids(SG_REVIEW_OVERDUE, NULL, NULL, NULL, AS_OF + DAY, ids,
		 sizeof(ids));
	ck_assert_str_eq(ids, "");
	list_ids(SG_REVIEW_OVERDUE, NULL, NULL, NULL, AS_OF + DAY + 1, ids,
		 sizeof(ids));
	ck_assert_str_eq(ids, "abc99900 e0000001");
	list_ids(SG_REVIEW_OPEN, "mgr1", NULL, NULL, AS_OF, ids,
		 sizeof(ids));
	ck_assert_str_eq(ids, "e0000001 abcdef01 abcdef02");
	list_ids(SG_REVIEW_OPEN, NULL, "regression", NULL, AS_OF, ids,
		 sizeof(ids));
	ck_assert_str_eq(ids, "abc99900");
	list_ids(SG_REVIEW_OPEN, "mgr1", NULL, "review", AS_OF, ids,
		 sizeof(ids));
	ck_assert_str_eq(ids, "e0000001 abcdef02");
	list_ids(SG_REVIEW_OPEN, "nobody", NULL, NULL, AS_OF, ids,
		 sizeof(ids));
	ck_assert_str_eq(ids, "");
}
END_TEST

START_TEST(test_list_closed_and_overdue_flag)
{
	struct sg_review_decision d =
		decision("abc99900", SG_DISP_APPROVE, "max", AS_OF + HOUR);
	struct sg_review_filter f;
	struct sg_review_tasks tasks;
	struct sg_error err;
	char ids[512];

	record_queue();
	decide_ok(&d);
	list_ids(SG_REVIEW_OPEN, NULL, NULL, NULL, AS_OF, ids, sizeof(ids));
	ck_assert_str_eq(ids, "e0000001 abcdef01 abcdef02 f0000001");
	list_ids(SG_REVIEW_ALL, NULL, NULL, NULL, AS_OF, ids, sizeof(ids));
	ck_assert_str_eq(ids, "abc99900 e0000001 abcdef01 abcdef02 "
			 "f0000001");
	/* A closed task is never overdue. */
	list_ids(SG_REVIEW_OVERDUE, NULL, NULL, NULL, AS_OF + 10 * DAY, ids,
		 sizeof(ids));
	ck_assert_str_eq(ids, "e0000001 abcdef01 abcdef02 f0000001");
	memset(&f, 0, sizeof(f));
	f.status = SG_REVIEW_ALL;
	f.as_of = AS_OF + 2 * DAY;
	sg_error_clear(&err);
	ck_assert_int_eq(sg_review_list(ledger, &f, &tasks, &err), SG_OK);
	ck_assert_uint_eq(tasks.count, 5);
	ck_assert_str_eq(tasks.items[0].id, "abc99900");
	ck_assert_int_eq(tasks.items[0].closed, 1);
	ck_assert_int_eq(tasks.items[0].overdue, 0);
	ck_assert_str_eq(tasks.items[0].disposition, "approve");
	ck_assert_str_eq(tasks.items[0].decided_by, "max");
	ck_assert_int_eq(tasks.items[0].decided_at, AS_OF + HOUR);
	ck_assert_int_eq(tasks.items[1].overdue, 1);   /* due +1d */
	ck_assert_int_eq(tasks.items[2].overdue, 0);   /* due +2d, not < */
	ck_assert_str_eq(tasks.items[2].opportunity_name, "Acme");
	ck_assert_ptr_null(tasks.items[4].from_stage);
	sg_review_tasks_release(&tasks);
}
END_TEST

/* ---- resolving ids ---- */

START_TEST(test_resolve)
{
	struct sg_error err;
	char *id = NULL;

	record_queue();
	sg_error_clear(&err);
	ck_assert_int_eq(sg_review_resolve(ledger, "abcdef01", &id, &err),
			 SG_OK);
	ck_assert_str_eq(id, "abcdef01");
	free(id);
	ck_assert_int_eq(sg_review_resolve(ledger, "abc999", &id, &err),
			 SG_OK);
	ck_assert_str_eq(id, "abc99900");
	free(id);
	ck_assert_int_eq(sg_review_resolve(ledger, "abcdef", &id, &err),
			 SG_ERR_REFUSED);
	ck_assert_ptr_null(id);
	ck_assert_ptr_nonnull(strstr(err.message, "ambiguous"));
	ck_assert_ptr_nonnull(strstr(err.message, "abcdef01"));
	ck_assert_int_eq(sg_review_resolve(ledger, "abc99", &id, &err),
			 SG_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err.message, "at least 6"));
	ck_assert_int_eq(sg_review_resolve(ledger, "zzzzzzzz", &id, &err),
			 SG_ERR_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "zzzzzzzz"));
	ck_assert_int_eq(sg_review_resolve(ledger, "ab", &id, &err),
			 SG_ERR_USAGE);
}
END_TEST

/* ---- decide ---- */

START_TEST(test_decide_closes_and_records)
{
	struct sg_review_decision d =
		decision("abcdef01", SG_DISP_CORRECT, "max", AS_OF + 90 * 60);
	json_t *detail;

	record_queue();
	d.note = "moved back to discovery";
	decide_ok(&d);
	ck_assert_str_eq(q_text("SELECT status || '|' || disposition || '|' "
				"|| decided_by || '|' || decided_at || '|' "
				"|| decision_note FROM tasks WHERE "
				"exception_id = 'abcdef01'"),
			 "closed|correct|max|1793583000|moved back to "
			 "discovery");
	ck_assert_str_eq(q_text("SELECT action || '|' || actor || '|' || at"
				" || '|' || detail FROM task_history"),
			 "decided|max|1793583000|{\"disposition\":"
			 "\"correct\",\"note\":\"moved back to "
			 "discovery\"}");
	ck_assert_int_eq(q_int("SELECT count(*) FROM events WHERE type = "
			       "'disposition_recorded' AND exception_id = "
			       "'abcdef01' AND opportunity_id = 'O1' AND at "
			       "= 1793583000 AND run_id IS NULL"), 1);
	/* The exception_raised events are read from the exceptions: the
	 * disposition's seq comes after theirs and the run's end, and no
	 * two events share one. */
	ck_assert_int_eq(q_int("SELECT count(*) FROM event_rows WHERE type = "
			       "'exception_raised'"), 0);
	ck_assert_int_gt(q_int("SELECT count(*) FROM events WHERE type = "
			       "'exception_raised'"), 0);
	ck_assert_int_eq(q_int("SELECT (SELECT seq FROM events WHERE type = "
			       "'disposition_recorded') > (SELECT max(seq) "
			       "FROM events WHERE type <> "
			       "'disposition_recorded')"), 1);
	ck_assert_int_eq(q_int("SELECT count(*) - count(DISTINCT seq) FROM "
			       "events"), 0);
	detail = json_loads(q_text("SELECT detail FROM events WHERE type = "
				   "'disposition_recorded'"), 0, NULL);
	ck_assert_ptr_nonnull(detail);
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"disposition")), "correct");
	ck_assert_str_eq(json_string_value(json_object_get(detail, "by")),
			 "max");
	ck_assert_str_eq(json_string_value(json_object_get(detail, "note")),
			 "moved back to discovery");
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"raised_at")), "2026-11-02T00:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"decided_at")), "2026-11-02T01:30:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"exception_type")), "missing_evidence");
	ck_assert(json_number_value(json_object_get(detail, "hours")) == 1.5);
	ck_assert(json_is_false(json_object_get(detail, "overdue")));
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"assignee")), "mgr1");
	ck_assert_ptr_null(json_object_get(detail, "to"));
	json_decref(detail);
}
END_TEST

START_TEST(test_decide_late_is_overdue)
{
	/* Due +1d; decided 50 h 20 min after it was raised. */
	struct sg_review_decision d =
		decision("abc99900", SG_DISP_ESCALATE, "max",
			 AS_OF + 50 * HOUR + 20 * 60);
	json_t *detail;

	record_queue();
	decide_ok(&d);
	detail = json_loads(q_text("SELECT detail FROM events WHERE type = "
				   "'disposition_recorded'"), 0, NULL);
	ck_assert(json_is_true(json_object_get(detail, "overdue")));
	ck_assert(json_number_value(json_object_get(detail, "hours")) ==
		  50.33);
	ck_assert(json_is_null(json_object_get(detail, "note")));
	json_decref(detail);
}
END_TEST

START_TEST(test_reassign_keeps_task_open)
{
	struct sg_review_decision d =
		decision("abcdef01", SG_DISP_REASSIGN, "max", AS_OF + HOUR);
	json_t *detail;

	record_queue();
	d.to = "ann";
	decide_ok(&d);
	ck_assert_str_eq(q_text("SELECT status || '|' || assignee || '|' || "
				"due_at || '|' || (disposition IS NULL) "
				"FROM tasks WHERE exception_id = 'abcdef01'"),
			 "open|ann|1793750400|1");
	ck_assert_str_eq(q_text("SELECT action || '|' || actor || '|' || "
				"detail FROM task_history"),
			 "reassigned|max|{\"from\":\"mgr1\",\"to\":\"ann\","
			 "\"note\":null}");
	detail = json_loads(q_text("SELECT detail FROM events WHERE type = "
				   "'disposition_recorded'"), 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"disposition")), "reassign");
	ck_assert_str_eq(json_string_value(json_object_get(detail, "to")),
			 "ann");
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"assignee")), "mgr1");
	json_decref(detail);
	/* Still open: a later disposition closes it. */
	d = decision("abcdef01", SG_DISP_APPROVE, "ann", AS_OF + 2 * HOUR);
	decide_ok(&d);
	ck_assert_str_eq(q_text("SELECT status || '|' || assignee || '|' || "
				"disposition FROM tasks WHERE exception_id ="
				" 'abcdef01'"), "closed|ann|approve");
	ck_assert_int_eq(q_int("SELECT count(*) FROM task_history"), 2);
	ck_assert_int_eq(q_int("SELECT count(*) FROM events WHERE type = "
			       "'disposition_recorded'"), 2);
}
END_TEST

START_TEST(test_decide_refusals)
{
	struct sg_review_decision d;

	record_queue();
	d = decision("nosuchid", SG_DISP_APPROVE, "max", AS_OF + HOUR);
	decide_refused(&d, SG_ERR_NOTFOUND, "no exception \"nosuchid\"");
	d = decision("abcdef01", SG_DISP_COUNT, "max", AS_OF + HOUR);
	decide_refused(&d, SG_ERR_REFUSED, "unknown disposition");
	d = decision("abcdef01", -1, "max", AS_OF + HOUR);
	decide_refused(&d, SG_ERR_REFUSED, "unknown disposition");
	d = decision("abcdef01", SG_DISP_APPROVE, "max", AS_OF - 1);
	decide_refused(&d, SG_ERR_REFUSED, "before exception abcdef01 was "
		       "raised (2026-11-02T00:00:00Z)");
	d = decision("abcdef01", SG_DISP_APPROVE, "", AS_OF + HOUR);
	decide_refused(&d, SG_ERR_REFUSED, "who decided is missing");
	d = decision("abcdef01", SG_DISP_REASSIGN, "max", AS_OF + HOUR);
	decide_refused(&d, SG_ERR_REFUSED, "reassign needs the new assignee");
	d.to = "mgr1";
	decide_refused(&d, SG_ERR_REFUSED, "already assigned to mgr1");
	/* The decision time may equal the time raised. */
	d = decision("abcdef01", SG_DISP_LOG, "max", AS_OF);
	decide_ok(&d);
	d = decision("abcdef01", SG_DISP_BLOCK, "ann", AS_OF + HOUR);
	decide_refused(&d, SG_ERR_REFUSED, "already closed (log by max at "
		       "2026-11-02T00:00:00Z); a second disposition is "
		       "refused");
	d = decision("abcdef01", SG_DISP_REASSIGN, "ann", AS_OF + HOUR);
	d.to = "bob";
	decide_refused(&d, SG_ERR_REFUSED, "already closed");
	ck_assert_str_eq(q_text("SELECT disposition || decided_by FROM tasks"
				" WHERE exception_id = 'abcdef01'"), "logmax");
}
END_TEST

START_TEST(test_disposition_names)
{
	int i;

	for (i = 0; i < SG_DISP_COUNT; i++)
		ck_assert_int_eq(sg_disposition_from_name(
					 sg_disposition_name(i)), i);
	ck_assert_str_eq(sg_disposition_name(SG_DISP_REASSIGN), "reassign");
	ck_assert_int_eq(sg_disposition_from_name("Approve"), -1);
	ck_assert_int_eq(sg_disposition_from_name(""), -1);
	ck_assert_ptr_null(sg_disposition_name(SG_DISP_COUNT));
	ck_assert(sg_event_type_known("stage_corrected"));
	ck_assert(!sg_event_type_known("stage_moved"));
}
END_TEST

/* ---- show ---- */

START_TEST(test_show)
{
	struct sg_review_decision d =
		decision("abcdef01", SG_DISP_REASSIGN, "max", AS_OF + HOUR);
	struct sg_review_detail *detail = NULL;
	struct sg_error err;

	record_queue();
	d.to = "ann";
	decide_ok(&d);
	d = decision("abcdef01", SG_DISP_APPROVE, "ann", AS_OF + 3 * DAY);
	decide_ok(&d);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_review_show(ledger, "abcdef01", AS_OF, &detail,
					&err), SG_OK);
	ck_assert_str_eq(detail->task.type, "missing_evidence");
	ck_assert_str_eq(detail->task.assignee, "ann");
	ck_assert_int_eq(detail->task.closed, 1);
	ck_assert_str_eq(detail->task.note,
			 "Moved without the buyer's evidence.");
	ck_assert_str_eq(json_string_value(json_array_get(
		json_object_get(detail->exception, "missing"), 0)), "budget");
	ck_assert_uint_eq(json_array_size(detail->related), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
		json_array_get(detail->related, 0), "amount")), "5000.00");
	ck_assert_uint_eq(detail->history_count, 5);
	ck_assert_int_eq(detail->history[0].is_event, 1);
	ck_assert_str_eq(detail->history[0].action, "exception_raised");
	ck_assert_ptr_nonnull(detail->history[0].run_id);
	ck_assert_int_eq(detail->history[1].is_event, 0);
	ck_assert_str_eq(detail->history[1].action, "reassigned");
	ck_assert_str_eq(detail->history[1].actor, "max");
	ck_assert_str_eq(detail->history[2].action, "disposition_recorded");
	ck_assert_str_eq(detail->history[3].action, "decided");
	ck_assert_int_eq(detail->history[4].at, AS_OF + 3 * DAY);
	ck_assert_str_eq(json_string_value(json_object_get(
		detail->history[4].detail, "disposition")), "approve");
	sg_review_detail_free(detail);
	detail = NULL;
	ck_assert_int_eq(sg_review_show(ledger, "f0000001", AS_OF, &detail,
					&err), SG_OK);
	ck_assert_uint_eq(json_array_size(detail->related), 0);
	ck_assert_ptr_null(detail->task.to_stage);
	sg_review_detail_free(detail);
	detail = NULL;
	ck_assert_int_eq(sg_review_show(ledger, "nope", AS_OF, &detail,
					&err), SG_ERR_NOTFOUND);
	ck_assert_ptr_null(detail);
}
END_TEST

/* ---- import ---- */

static const char *write_file(const char *name, const char *text)
{
	static char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

START_TEST(test_import_records_all)
{
	struct sg_review_problems problems;
	struct sg_error err;
	const char *path;
	size_t recorded = 99;
	int rc;

	record_queue();
	path = write_file("ok.csv",
		"\xef\xbb\xbf" "decided_at,Exception_ID,disposition,"
		"decided_by,note,to\r\n"
		"2026-11-02T10:00:00Z,abcdef01,approve,max,\"ok, "
		"\"\"fine\"\"\",\r\n"
		"2026-11-03,abc99900,reassign,max,,ann\r\n"
		"2026-11-02T12:00:00+02:00,f0000001,log, max ,,\r\n");
	sg_error_clear(&err);
	rc = sg_review_import(ledger, path, AS_OF + 5 * DAY, &recorded,
			      &problems, &err);
	ck_assert_msg(rc == SG_OK, "import: %s", err.message);
	ck_assert_uint_eq(recorded, 3);
	ck_assert_uint_eq(problems.count, 0);
	ck_assert_str_eq(q_text("SELECT decision_note FROM tasks WHERE "
				"exception_id = 'abcdef01'"),
			 "ok, \"fine\"");
	ck_assert_str_eq(q_text("SELECT status || assignee FROM tasks WHERE "
				"exception_id = 'abc99900'"), "openann");
	ck_assert_str_eq(q_text("SELECT decided_by || decided_at FROM tasks"
				" WHERE exception_id = 'f0000001'"),
			 "max1793613600");
	ck_assert_int_eq(q_int("SELECT count(*) FROM events WHERE type = "
			       "'disposition_recorded' AND json_extract("
			       "detail, '$.source') = 'import'"), 3);
	sg_review_problems_release(&problems);
}
END_TEST

START_TEST(test_import_all_or_nothing)
{
	struct sg_review_problems problems;
	struct sg_review_decision d =
		decision("abc99900", SG_DISP_APPROVE, "max", AS_OF + HOUR);
	struct sg_error err;
	const char *path;
	long long before;
	size_t recorded = 99;

	record_queue();
	decide_ok(&d);
	before = state_of();
	path = write_file("bad.csv",
		"exception_id,disposition,decided_by,decided_at,note\n"
		"abcdef01,approve,max,2026-11-02T10:00:00Z,good row\n"
		"abcdef02,frobnicate,max,2026-11-02T10:00:00Z,\n"
		"e0000001,log,,2026-11-02T10:00:00Z,\n"
		"f0000001,log,max,yesterday,\n"
		"f0000001,log,max,2026-11-02T10:00:00Z,\n"
		"nosuchid,log,max,2026-11-02T10:00:00Z,\n"
		"abc99900,block,max,2026-11-02T10:00:00Z,\n"
		"abcdef02,log,max,2026-11-01T10:00:00Z,\n"
		"e0000001,reassign,max,2026-11-02T10:00:00Z,\n"
		"abcdef02,log\n"
		"\n"
		"f0000001,approve,max,2026-11-02T11:00:00Z,\n");
	sg_error_clear(&err);
	ck_assert_int_eq(sg_review_import(ledger, path, AS_OF, &recorded,
					  &problems, &err), SG_ERR_REFUSED);
	ck_assert_uint_eq(recorded, 0);
	ck_assert_ptr_nonnull(strstr(err.message, "10 of 11 rows are bad; "
				     "nothing was recorded"));
	ck_assert_uint_eq(problems.count, 10);
#define PROBLEM(i, line, text) do { \
		char head[400]; \
		snprintf(head, sizeof(head), "%s:%d: ", path, line); \
		ck_assert_msg(strncmp(problems.lines[i], head, \
				      strlen(head)) == 0 && \
			      strstr(problems.lines[i], text) != NULL, \
			      "problem %d: %s", i, problems.lines[i]); \
	} while (0)
	PROBLEM(0, 3, "unknown disposition \"frobnicate\"");
	PROBLEM(1, 4, "decided_by is empty");
	PROBLEM(2, 5, "decided_at: ");
	PROBLEM(3, 6, "exception f0000001 is already on line 5");
	PROBLEM(4, 7, "no exception \"nosuchid\"");
	PROBLEM(5, 8, "already closed");
	PROBLEM(6, 9, "exception abcdef02 is already on line 3");
	PROBLEM(7, 10, "exception e0000001 is already on line 4");
	PROBLEM(8, 11, "2 fields, the header has 5");
	PROBLEM(9, 13, "exception f0000001 is already on line 5");
#undef PROBLEM
	ck_assert_int_eq(state_of(), before);
	sg_review_problems_release(&problems);
}
END_TEST

START_TEST(test_import_single_refusals)
{
	struct sg_review_problems problems;
	struct sg_error err;
	const char *path;
	size_t recorded;

	record_queue();
	/* Before raised; reassign without a to column. */
	path = write_file("r.csv",
		"exception_id,disposition,decided_by,decided_at\n"
		"abcdef01,log,max,2026-11-01\n"
		"abcdef02,reassign,max,2026-11-03\n");
	sg_error_clear(&err);
	ck_assert_int_eq(sg_review_import(ledger, path, AS_OF, &recorded,
					  &problems, &err), SG_ERR_REFUSED);
	ck_assert_uint_eq(problems.count, 2);
	ck_assert_ptr_nonnull(strstr(problems.lines[0], ":2: decision time "
				     "2026-11-01T00:00:00Z is before"));
	ck_assert_ptr_nonnull(strstr(problems.lines[1], ":3: reassign needs"));
	sg_review_problems_release(&problems);
	ck_assert_int_eq(q_int("SELECT count(*) FROM task_history"), 0);
}
END_TEST

START_TEST(test_import_bad_files)
{
	struct sg_review_problems problems;
	struct sg_error err;
	const char *path;
	size_t recorded;

	record_queue();
	sg_error_clear(&err);
	path = write_file("h1.csv", "exception_id,disposition,decided_by,"
			  "decided_at,when\nabcdef01,log,max,2026-11-03,x\n");
	ck_assert_int_eq(sg_review_import(ledger, path, AS_OF, &recorded,
					  &problems, &err), SG_ERR_PARSE);
	ck_assert_int_eq(err.line, 1);
	ck_assert_int_eq(err.column, 5);
	ck_assert_ptr_nonnull(strstr(err.message, "unknown column \"when\""));
	path = write_file("h2.csv", "exception_id,disposition,decided_by\n");
	ck_assert_int_eq(sg_review_import(ledger, path, AS_OF, &recorded,
					  &problems, &err), SG_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "lacks the decided_at"));
	path = write_file("h3.csv", "exception_id,disposition,decided_by,"
			  "decided_at,note,note\n");
	ck_assert_int_eq(sg_review_import(ledger, path, AS_OF, &recorded,
					  &problems, &err), SG_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "repeated column"));
	path = write_file("h4.csv", "");
	ck_assert_int_eq(sg_review_import(ledger, path, AS_OF, &recorded,
					  &problems, &err), SG_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "empty file"));
	path = write_file("h5.csv", "exception_id,disposition,decided_by,"
			  "decided_at\nabcdef01,log,max,2026-11-03\n"
			  "\"abcdef02,log,max,2026-11-03\n");
	ck_assert_int_eq(sg_review_import(ledger, path, AS_OF, &recorded,
					  &problems, &err), SG_ERR_PARSE);
	ck_assert_int_eq(err.line, 3);
	path = write_file("h6.csv", "exception_id,disposition,decided_by,"
			  "decided_at\n");
	ck_assert_int_eq(sg_review_import(ledger, path, AS_OF, &recorded,
					  &problems, &err), SG_OK);
	ck_assert_uint_eq(recorded, 0);
	ck_assert_int_eq(sg_review_import(ledger, "/nonexistent/x.csv", AS_OF,
					  &recorded, &problems, &err),
			 SG_ERR_IO);
	ck_assert_int_eq(q_int("SELECT count(*) FROM task_history"), 0);
}
END_TEST

/* ---- events ---- */

struct collected {
	char lines[16][1024];
	size_t count;
};

static int collect(void *arg, json_t *event, struct sg_error *err)
{
	struct collected *c = arg;
	char *text = json_dumps(event, JSON_COMPACT | JSON_REAL_PRECISION(15));

	(void)err;
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_lt(c->count, 16);
	snprintf(c->lines[c->count++], sizeof(c->lines[0]), "%s", text);
	free(text);
	return SG_OK;
}

static int stop_at_two(void *arg, json_t *event, struct sg_error *err)
{
	size_t *n = arg;

	(void)event;
	if (++*n == 2)
		return sg_error_set(err, SG_ERR_IO, "stop");
	return SG_OK;
}

START_TEST(test_events_export)
{
	struct sg_review_decision d =
		decision("abc99900", SG_DISP_APPROVE, "max", AS_OF + HOUR);
	struct collected c;
	struct sg_error err;
	size_t n = 0;

	record_queue();
	decide_ok(&d);
	memset(&c, 0, sizeof(c));
	sg_error_clear(&err);
	ck_assert_int_eq(sg_review_events(ledger, SG_TIME_NONE, NULL, collect,
					  &c, &err), SG_OK);
	ck_assert_uint_eq(c.count, 7);  /* 5 raised, completed, decision */
	ck_assert_ptr_nonnull(strstr(c.lines[0], "{\"seq\":1,\"type\":"
		"\"exception_raised\",\"at\":\"2026-11-02T00:00:00Z\","
		"\"run_id\":\""));
	ck_assert_ptr_nonnull(strstr(c.lines[0], "\"exception_id\":"
		"\"abcdef01\",\"opportunity_id\":\"O1\",\"exception_type\":"
		"\"missing_evidence\",\"verdict\":\"block\",\"assignee\":"
		"\"mgr1\",\"due_at\":\"2026-11-04T00:00:00Z\"}"));
	ck_assert_ptr_nonnull(strstr(c.lines[5], "{\"seq\":6,\"type\":"
		"\"run_completed\",\"at\":\"2026-11-02T00:02:00Z\""));
	ck_assert_ptr_nonnull(strstr(c.lines[5], "\"exception_id\":null,"
		"\"opportunity_id\":null,\"as_of\":\"2026-11-02T00:00:00Z\""));
	ck_assert_ptr_nonnull(strstr(c.lines[6], "{\"seq\":7,\"type\":"
		"\"disposition_recorded\",\"at\":\"2026-11-02T01:00:00Z\","
		"\"run_id\":null,\"exception_id\":\"abc99900\","
		"\"opportunity_id\":\"O2\",\"exception_type\":\"regression\","
		"\"disposition\":\"approve\",\"by\":\"max\",\"note\":null,"
		"\"raised_at\":\"2026-11-02T00:00:00Z\",\"decided_at\":"
		"\"2026-11-02T01:00:00Z\",\"due_at\":\"2026-11-03T00:00:00Z\","
		"\"hours\":1.0,\"overdue\":false,\"assignee\":\"revops\""));
	/* --since is inclusive; --type filters. */
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(sg_review_events(ledger, AS_OF + 120, NULL, collect,
					  &c, &err), SG_OK);
	ck_assert_uint_eq(c.count, 2);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(sg_review_events(ledger, AS_OF + 121, NULL, collect,
					  &c, &err), SG_OK);
	ck_assert_uint_eq(c.count, 1);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(sg_review_events(ledger, SG_TIME_NONE,
					  "exception_raised", collect, &c,
					  &err), SG_OK);
	ck_assert_uint_eq(c.count, 5);
	/* The callback's failure stops the walk and is returned. */
	ck_assert_int_eq(sg_review_events(ledger, SG_TIME_NONE, NULL,
					  stop_at_two, &n, &err), SG_ERR_IO);
	ck_assert_uint_eq(n, 2);
}
END_TEST

/* The lines sg_review_event_lines() gives, gathered. */
static int collect_line(void *arg, const char *text, size_t len,
			struct sg_error *err)
{
	struct collected *c = arg;

	(void)err;
	ck_assert_uint_eq(strlen(text), len);
	ck_assert_uint_lt(c->count, 16);
	ck_assert_uint_lt(len, sizeof(c->lines[0]));
	memcpy(c->lines[c->count++], text, len + 1);
	return SG_OK;
}

/* The lines written straight from the exceptions are the bytes of the
 * jansson objects, whatever the text: quotes, control characters, non-
 * ASCII, empty, and text jansson refuses (not UTF-8), which takes the
 * jansson path. */
START_TEST(test_event_lines_match_objects)
{
	static const char *const assignees[] = {
		"mgr \"one\" \\ /", "tab\there\x01\x1f\x7f", "Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x98\x80",
		"", "bad \xc3\x28 utf8",
	};
	struct sg_review_decision d =
		decision("abc99900", SG_DISP_APPROVE, "max", AS_OF + HOUR);
	struct collected objects, lines;
	struct sg_error err;
	sqlite3_stmt *stmt;
	size_t i;

	record_queue();
	decide_ok(&d);
	ck_assert_int_eq(sqlite3_prepare_v2(ledger->db, "UPDATE exceptions"
		" SET assignee = ?1 WHERE raised_seq = ?2", -1, &stmt, NULL),
		SQLITE_OK);
	for (i = 0; i < sizeof(assignees) / sizeof(assignees[0]); i++) {
		sqlite3_reset(stmt);
		sqlite3_bind_text(stmt, 1, assignees[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i + 1);
		ck_assert_int_eq(sqlite3_step(stmt), SQLITE_DONE);
		ck_assert_int_eq(sqlite3_changes(ledger->db), 1);
	}
	sqlite3_finalize(stmt);
	memset(&objects, 0, sizeof(objects));
	memset(&lines, 0, sizeof(lines));
	sg_error_clear(&err);
	ck_assert_int_eq(sg_review_events(ledger, SG_TIME_NONE, NULL, collect,
					  &objects, &err), SG_OK);
	ck_assert_int_eq(sg_review_event_lines(ledger, SG_TIME_NONE, NULL,
					       collect_line, &lines, &err),
			 SG_OK);
	ck_assert_uint_eq(lines.count, 7);
	ck_assert_uint_eq(objects.count, lines.count);
	for (i = 0; i < lines.count; i++)
		ck_assert_str_eq(lines.lines[i], objects.lines[i]);
	ck_assert_ptr_nonnull(strstr(lines.lines[0], "\"assignee\":"
		"\"mgr \\\"one\\\" \\\\ /\""));
	ck_assert_ptr_nonnull(strstr(lines.lines[1], "\"assignee\":"
		"\"tab\\there\\u0001\\u001F\x7f\""));
	ck_assert_ptr_nonnull(strstr(lines.lines[3], "\"assignee\":\"\","));
	/* Not UTF-8: jansson cannot read the detail SQLite made, so the
	 * event has no member of it. */
	ck_assert_ptr_null(strstr(lines.lines[4], "\"verdict\""));
	/* --type and --since select the same lines. */
	memset(&lines, 0, sizeof(lines));
	ck_assert_int_eq(sg_review_event_lines(ledger, AS_OF + 120,
					       "exception_raised",
					       collect_line, &lines, &err),
			 SG_OK);
	ck_assert_uint_eq(lines.count, 0);
}
END_TEST

/* ---- stage_corrected ---- */

static const char cfg_text[] =
	"{\"pipeline\": {\"id\": \"default\", \"label\": \"NB\"},\n"
	" \"stages\": [\n"
	"  {\"id\": \"discovery\", \"label\": \"Discovery\"},\n"
	"  {\"id\": \"qualification\", \"label\": \"Qualification\"},\n"
	"  {\"id\": \"proposal\", \"label\": \"Proposal\"}\n"
	" ]}\n";

static void add_opp(struct sg_model *m, const char *id, const char *stage)
{
	struct sg_rec_opportunity r;
	struct sg_error err;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.name = "Acme";
	r.pipeline = "";
	r.stage = stage;
	r.owner_id = "u1";
	r.amount = "100";
	r.currency = "USD";
	r.close_date = SG_TIME_NONE;
	r.created_at = SG_TIME_NONE;
	r.next_step_date = SG_TIME_NONE;
	r.forecast_category = "";
	r.next_step = "x";
	ck_assert_int_eq(sg_model_add_opportunity(m, &r, NULL, &err), SG_OK);
}

static void add_ev(struct sg_model *m, const char *opp, const char *to,
		   sg_time at)
{
	struct sg_rec_stage_event r;
	struct sg_error err;

	memset(&r, 0, sizeof(r));
	r.opportunity_id = opp;
	r.from_stage = "";
	r.to_stage = to;
	r.changed_at = at;
	r.changed_by = "u9";
	r.source = "test";
	ck_assert_int_eq(sg_model_add_stage_event(m, &r, NULL, &err), SG_OK);
}

/*
 * abcdef01 (O1 disc->qual at -3d) and abcdef02 (forecast_impact, same
 * move); abc99900 (O2 qual->disc at -1d); e0000001 (O4 creation);
 * f0000001 (O3, stage_age).  The model, at AS_OF + 20 days:
 *   O1 back to discovery at -3d + 14d exactly (counts, inclusive);
 *   O2 back to qualification at -1d + 15d (too late: no);
 *   O3, O4 move back and forth (not flagged moves).
 */
static void build_model(struct sg_config **cfg, struct sg_model **m)
{
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load_text(cfg, "r.json", "/tmp", cfg_text,
					     strlen(cfg_text), &err), SG_OK);
	ck_assert_int_eq(sg_model_new(m, *cfg, &err), SG_OK);
	add_opp(*m, "O1", "discovery");
	add_opp(*m, "O2", "qualification");
	add_opp(*m, "O3", "discovery");
	add_opp(*m, "O4", "discovery");
	add_ev(*m, "O1", "discovery", AS_OF - 30 * DAY);
	add_ev(*m, "O1", "qualification", AS_OF - 3 * DAY);
	add_ev(*m, "O1", "discovery", AS_OF + 11 * DAY);
	add_ev(*m, "O2", "qualification", AS_OF - 30 * DAY);
	add_ev(*m, "O2", "discovery", AS_OF - DAY);
	add_ev(*m, "O2", "qualification", AS_OF + 14 * DAY + 1);
	add_ev(*m, "O3", "discovery", AS_OF - 60 * DAY);
	add_ev(*m, "O4", "proposal", AS_OF - 2 * DAY);
	add_ev(*m, "O4", "discovery", AS_OF - DAY);
	ck_assert_int_eq(sg_model_finish(*m, &err), SG_OK);
}

START_TEST(test_stage_corrected)
{
	struct sg_config *cfg = NULL;
	struct sg_model *m = NULL;
	struct sg_error err;
	size_t found = 99;
	json_t *detail;

	record_queue();
	build_model(&cfg, &m);
	sg_error_clear(&err);
	/* Before the revert happened: nothing. */
	ck_assert_int_eq(sg_review_note_corrections(ledger, m,
						    AS_OF + 11 * DAY - 1,
						    &found, &err), SG_OK);
	ck_assert_uint_eq(found, 0);
	ck_assert_int_eq(sg_review_note_corrections(ledger, m,
						    AS_OF + 20 * DAY, &found,
						    &err), SG_OK);
	ck_assert_uint_eq(found, 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM events WHERE type = "
			       "'stage_corrected' AND exception_id = "
			       "'abcdef01' AND opportunity_id = 'O1' AND "
			       "at = 1794528000 AND run_id IS NULL"), 1);
	detail = json_loads(q_text("SELECT detail FROM events WHERE type = "
				   "'stage_corrected'"), 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"exception_type")), "missing_evidence");
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"from_stage")), "discovery");
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"event_at")), "2026-10-30T00:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"reverted_at")), "2026-11-13T00:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"reverted_by")), "u9");
	ck_assert(json_number_value(json_object_get(detail, "days")) == 14.0);
	ck_assert_str_eq(json_string_value(json_object_get(detail,
		"seen_at")), "2026-11-22T00:00:00Z");
	json_decref(detail);
	/* Idempotent. */
	ck_assert_int_eq(sg_review_note_corrections(ledger, m,
						    AS_OF + 30 * DAY, &found,
						    &err), SG_OK);
	ck_assert_uint_eq(found, 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM events WHERE type = "
			       "'stage_corrected'"), 1);
	sg_model_free(m);
	sg_config_free(cfg);
}
END_TEST

START_TEST(test_stage_corrected_in_callers_transaction)
{
	struct sg_config *cfg = NULL;
	struct sg_model *m = NULL;
	struct sg_error err;
	size_t found = 0;

	record_queue();
	build_model(&cfg, &m);
	sg_error_clear(&err);
	ck_assert_int_eq(sqlite3_exec((ledger)->db, "BEGIN IMMEDIATE",
				      NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sg_review_note_corrections(ledger, m,
						    AS_OF + 20 * DAY, &found,
						    &err), SG_OK);
	ck_assert_uint_eq(found, 1);
	/* Still the caller's transaction: its rollback undoes the event. */
	ck_assert_int_eq(sqlite3_get_autocommit((ledger)->db), 0);
	ck_assert_int_eq(sqlite3_exec((ledger)->db, "ROLLBACK",
				      NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(q_int("SELECT count(*) FROM events WHERE type = "
			       "'stage_corrected'"), 0);
	sg_model_free(m);
	sg_config_free(cfg);
}
END_TEST

START_TEST(test_stage_corrected_run_id)
{
	struct sg_config *cfg = NULL;
	struct sg_model *m = NULL;
	struct sg_run_record run;
	struct sg_error err;
	size_t found = 0;
	char sql[200];

	record_queue();
	build_model(&cfg, &m);
	sg_error_clear(&err);
	/* A later run with nothing new, recorded at the as-of. */
	memset(&run, 0, sizeof(run));
	run.as_of = AS_OF + 20 * DAY;
	run.started_at = run.as_of + 60;
	run.finished_at = run.as_of + 120;
	run.since = AS_OF;
	run.source = "csv:data/";
	run.snapshot_at = SG_TIME_NONE;
	run.config_sha256 = "00";
	run.tool_version = "test";
	ck_assert_int_eq(sg_test_record_run(ledger, &run, NULL, 0, NULL,
					      &err), SG_OK);
	ck_assert_int_eq(sg_review_note_corrections(ledger, m, run.as_of,
						    &found, &err), SG_OK);
	ck_assert_uint_eq(found, 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE type ="
		 " 'stage_corrected' AND run_id = '%s'", run.id);
	ck_assert_int_eq(q_int(sql), 1);
	sg_model_free(m);
	sg_config_free(cfg);
}
END_TEST

START_TEST(test_open_ledger_refusals)
{
	struct sg_ledger *l = NULL;
	struct sg_error err;
	char path[300];
	FILE *f;

	sg_error_clear(&err);
	snprintf(path, sizeof(path), "%s/none.db", tmpdir);
	ck_assert_int_eq(sg_review_open_ledger(&l, NULL, path, &err),
			 SG_ERR_NOTFOUND);
	ck_assert_ptr_null(l);
	ck_assert_ptr_nonnull(strstr(err.message, "stageguard run"));
	snprintf(path, sizeof(path), "%s/c.json", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(cfg_text, f);
	fclose(f);
	ck_assert_int_eq(sg_review_open_ledger(&l, path, NULL, &err),
			 SG_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err.message, "names no ledger"));
}
END_TEST

static Suite *review_suite(void)
{
	Suite *s = suite_create("review");
	struct {
		const char *name;
		const TTest *test;
	} cases[] = {
		{ "list", test_list_order_and_filters },
		{ "list_closed", test_list_closed_and_overdue_flag },
		{ "resolve", test_resolve },
		{ "decide", test_decide_closes_and_records },
		{ "decide_late", test_decide_late_is_overdue },
		{ "reassign", test_reassign_keeps_task_open },
		{ "refusals", test_decide_refusals },
		{ "names", test_disposition_names },
		{ "show", test_show },
		{ "import", test_import_records_all },
		{ "import_bad_rows", test_import_all_or_nothing },
		{ "import_refusals", test_import_single_refusals },
		{ "import_bad_files", test_import_bad_files },
		{ "events", test_events_export },
		{ "event_lines", test_event_lines_match_objects },
		{ "stage_corrected", test_stage_corrected },
		{ "stage_corrected_txn",
		  test_stage_corrected_in_callers_transaction },
		{ "stage_corrected_run", test_stage_corrected_run_id },
		{ "open_ledger", test_open_ledger_refusals },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(review_suite());
	int failed;

	srunner_set_fork_status(runner, CK_FORK);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
