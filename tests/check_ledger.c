/*
 * check_ledger.c - tests of the ledger (core/sg_ledger.c): schema creation
 * and migration, refusals, run recording, idempotent exceptions, and
 * atomicity under SIGKILL.
 *
 * Run one suite or case with CK_RUN_SUITE / CK_RUN_CASE.  Each test works
 * in its own mkdtemp folder.  The ledger file is inspected directly with
 * SQLite where the API gives no view (rows, schema, PRAGMAs).
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sg_config.h"
#include "sg_host.h"
#include "sg_kept.h"
#include "sg_model.h"
#include "sg_ledger.h"
#include "sg_review.h"
#include "ledger_db.h"
#include "sg_test.h"
#include "sg_test_ledger.h"

/* 2026-11-02T00:00:00Z and a day. */
#define AS_OF_1 ((sg_time)1793577600)
#define DAY ((sg_time)86400)

static char tmpdir[256];

static void setup_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_ledger.XXXXXX",
		 base && base[0] ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_tmpdir(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "check_ledger: could not remove %s\n", tmpdir);
}

static void tmp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

/* Opens a ledger that must open. */
static struct sg_ledger *open_ok(const char *path)
{
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	char buf[1024];
	int rc;

	sg_error_clear(&err);
	rc = sg_ledger_open(&ledger, path, &err);
	ck_assert_msg(rc == SG_OK, "open %s: %s", path,
		      sg_error_format(&err, buf, sizeof(buf)));
	ck_assert_ptr_nonnull(ledger);
	return ledger;
}

/* One exception object as the checks write it (DESIGN §8). */
static json_t *make_exception(int i)
{
	char id[32], opp[32], event_at[32];
	json_t *obj;

	snprintf(id, sizeof(id), "exc-%05d", i);
	snprintf(opp, sizeof(opp), "006%05d", i / 2);
	snprintf(event_at, sizeof(event_at), "2026-10-%02dT%02d:%02d:00Z",
		 1 + i % 28, (i / 60) % 24, i % 60);
	obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
			" s:s, s:s, s:[s], s:[], s:s}",
			"id", id,
			"type", "missing_evidence",
			"verdict", "block",
			"opportunity_id", opp,
			"owner_id", "u1",
			"assignee", i % 3 == 0 ? "mgr1" : "revops",
			"from_stage", "discovery",
			"to_stage", "proposal",
			"stage", "proposal",
			"event_at", event_at,
			"detected_at", "2026-11-02T00:00:00Z",
			"due_at", "2026-11-04T00:00:00Z",
			"missing", "budget_confirmed",
			"present",
			"note", "Moved from Discovery to Proposal without "
			"budget confirmed by the buyer.");
	ck_assert_ptr_nonnull(obj);
	return obj;
}

/* count exception objects, numbered first .. first + count - 1. */
static struct sg_ledger_exception *make_exceptions(int first, size_t count)
{
	struct sg_ledger_exception *list;
	size_t i;

	list = calloc(count ? count : 1, sizeof(*list));
	ck_assert_ptr_nonnull(list);
	for (i = 0; i < count; i++)
		list[i].json = make_exception(first + (int)i);
	return list;
}

static void free_exceptions(struct sg_ledger_exception *list, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		json_decref(list[i].json);
	free(list);
}

static void record_ok(struct sg_ledger *ledger, struct sg_run_record *run,
		      const struct sg_ledger_exception *list, size_t count,
		      struct sg_run_outcome *outcome)
{
	struct sg_error err;
	char buf[1024];
	int rc;

	sg_error_clear(&err);
	rc = sg_test_record_run(ledger, run, list, count, outcome, &err);
	ck_assert_msg(rc == SG_OK, "record: %s",
		      sg_error_format(&err, buf, sizeof(buf)));
}

static struct sg_ledger_counts counts_of(struct sg_ledger *ledger)
{
	struct sg_ledger_counts counts;
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_counts(ledger, &counts, &err), SG_OK);
	return counts;
}

static void assert_counts(struct sg_ledger *ledger, size_t runs,
			  size_t exceptions, size_t open_tasks, size_t events)
{
	struct sg_ledger_counts c = counts_of(ledger);

	ck_assert_uint_eq(c.runs, runs);
	ck_assert_uint_eq(c.exceptions, exceptions);
	ck_assert_uint_eq(c.open_tasks, open_tasks);
	ck_assert_uint_eq(c.events, events);
}

/* ---- direct SQLite access to the ledger file ---- */

static sqlite3 *db_open(const char *path)
{
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
					 NULL), SQLITE_OK);
	return db;
}

static void db_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
}

/* The one integer a query returns. */
static long long db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	long long v;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) ==
		      SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

/* The one text a query returns (copied into buf; "NULL" for NULL). */
static const char *db_text(sqlite3 *db, const char *sql, char *buf,
			   size_t size)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *text;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) ==
		      SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	text = sqlite3_column_text(stmt, 0);
	snprintf(buf, size, "%s", text ? (const char *)text : "NULL");
	sqlite3_finalize(stmt);
	return buf;
}

static long long file_int(const char *path, const char *sql)
{
	sqlite3 *db = db_open(path);
	long long v = db_int(db, sql);

	sqlite3_close(db);
	return v;
}

static const char *db_text_of(const char *path, const char *sql, char *buf,
			      size_t size)
{
	sqlite3 *db = db_open(path);

	db_text(db, sql, buf, size);
	sqlite3_close(db);
	return buf;
}

/* The ledger at path checks a task's disposition by comparisons (schema
 * 8), not by an IN list, and still refuses a disposition not listed. */
static void assert_disposition_check(const char *path)
{
	static const char insert[] =
		"INSERT INTO exceptions (id, type, verdict, opportunity_id,"
		" assignee, detected_at, due_at, first_seen, first_run,"
		" detail, status, disposition, decided_by, decided_at)"
		" VALUES ('%s', 'regression', 'review', 'o', 'a', 1, 2, 1,"
		" 'r', '{}', 'closed', '%s', 'm', 3)";
	char sql[512], buf[64];
	sqlite3 *db = db_open(path);

	/* The rewritten schema is one SQLite reads back whole. */
	ck_assert_str_eq(db_text(db, "PRAGMA integrity_check", buf,
				 sizeof(buf)), "ok");
	ck_assert_int_eq(db_int(db, "SELECT instr(sql, 'disposition IN')"
				" FROM sqlite_master WHERE name ="
				" 'exceptions'"), 0);
	ck_assert_int_gt(db_int(db, "SELECT instr(sql, 'disposition ="
				" ''block''') FROM sqlite_master WHERE name ="
				" 'exceptions'"), 0);
	db_exec(db, "BEGIN");
	snprintf(sql, sizeof(sql), insert, "x1", "block");
	db_exec(db, sql);
	snprintf(sql, sizeof(sql), insert, "x2", "approved");
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL),
			 SQLITE_CONSTRAINT);
	db_exec(db, "ROLLBACK");
	sqlite3_close(db);
}

struct dump {
	char *text;
	size_t len, cap;
};

static void dump_add(struct dump *d, const char *s)
{
	size_t n = strlen(s);

	if (d->len + n + 1 > d->cap) {
		d->cap = (d->len + n + 1) * 2;
		d->text = realloc(d->text, d->cap);
		ck_assert_ptr_nonnull(d->text);
	}
	memcpy(d->text + d->len, s, n + 1);
	d->len += n;
}

/*
 * Every row of every table of the ledger file, in key order, as text: two
 * ledgers with equal dumps hold the same data.  The caller frees it.
 */
static char *dump_ledger(const char *path)
{
	static const char *const queries[] = {
		"PRAGMA user_version",
		"SELECT * FROM runs ORDER BY seq",
		"SELECT * FROM exceptions ORDER BY id",
		"SELECT * FROM tasks ORDER BY exception_id",
		"SELECT * FROM task_history ORDER BY seq",
		"SELECT * FROM events ORDER BY seq",
		"SELECT * FROM sqlite_sequence ORDER BY name",
	};
	struct dump d = { NULL, 0, 0 };
	sqlite3 *db = db_open(path);
	size_t q;

	dump_add(&d, "");
	for (q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
		sqlite3_stmt *stmt = NULL;
		int rc, c;

		dump_add(&d, queries[q]);
		dump_add(&d, "\n");
		ck_assert_int_eq(sqlite3_prepare_v2(db, queries[q], -1, &stmt,
						    NULL), SQLITE_OK);
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			for (c = 0; c < sqlite3_column_count(stmt); c++) {
				const unsigned char *t =
					sqlite3_column_text(stmt, c);

				dump_add(&d, t ? (const char *)t : "\\N");
				dump_add(&d, "|");
			}
			dump_add(&d, "\n");
		}
		ck_assert_int_eq(rc, SQLITE_DONE);
		sqlite3_finalize(stmt);
	}
	sqlite3_close(db);
	return d.text;
}

/* ---- schema ---- */

START_TEST(test_open_creates_schema)
{
	static const char *const tables[] = {
		"runs", "exceptions", "task_history", "event_rows",
		"sightings", "input_chunks", "run_inputs", "plugin_state",
		"task_refs"
	};
	char path[512], sql[128], buf[64];
	struct sg_ledger *ledger;
	sg_time as_of = 0;
	struct sg_error err;
	sqlite3 *db;
	size_t i;
	int found = 1;

	tmp_path(path, sizeof(path), "new.db");
	ledger = open_ok(path);
	ck_assert_int_eq(sg_ledger_schema_version(ledger),
			 SG_LEDGER_SCHEMA_VERSION);
	ck_assert_int_eq(SG_LEDGER_SCHEMA_VERSION, 8);
	assert_counts(ledger, 0, 0, 0, 0);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_last_as_of(ledger, &as_of, &found, &err),
			 SG_OK);
	ck_assert_int_eq(found, 0);
	sg_ledger_close(ledger);

	db = db_open(path);
	ck_assert_int_eq(db_int(db, "PRAGMA user_version"),
			 SG_LEDGER_SCHEMA_VERSION);
	ck_assert_str_eq(db_text(db, "PRAGMA journal_mode", buf, sizeof(buf)),
			 "wal");
	/* A new ledger has larger pages than SQLite's default. */
	ck_assert_int_eq(db_int(db, "PRAGMA page_size"), 16384);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master"
			 " WHERE type = 'table' AND name = '%s'", tables[i]);
		ck_assert_msg(db_int(db, sql) == 1, "table %s", tables[i]);
	}
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM sqlite_master"
				" WHERE type = 'index' AND name IN"
				" ('exceptions_review', 'events_at',"
				" 'exceptions_opportunity', 'events_exception',"
				" 'exceptions_raised')"),
			 5);
	/* The review tasks: a view of the exceptions' task columns. */
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM sqlite_master"
				" WHERE type = 'view' AND name = 'tasks'"), 1);
	/* The events: the stored ones and the exceptions' raised ones. */
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM sqlite_master"
				" WHERE type = 'view' AND name = 'events'"), 1);
	sqlite3_close(db);
	assert_disposition_check(path);
}
END_TEST

START_TEST(test_open_sets_durability)
{
	char path[512];
	struct sg_ledger *ledger;

	/* The settings are per connection: check them through a ledger
	 * whose connection we cannot reach, by their effect on the file. */
	tmp_path(path, sizeof(path), "wal.db");
	ledger = open_ok(path);
	sg_ledger_close(ledger);
	/* WAL mode is persistent in the file. */
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM"
				  " pragma_journal_mode WHERE journal_mode ="
				  " 'wal'"), 1);
	/* Reopening an existing ledger migrates nothing and succeeds. */
	ledger = open_ok(path);
	ck_assert_int_eq(sg_ledger_schema_version(ledger),
			 SG_LEDGER_SCHEMA_VERSION);
	sg_ledger_close(ledger);
}
END_TEST

/* A version-1 ledger (as session one wrote them) gains the version-2
 * index on open and keeps its data. */
/* Writes tests/fixtures/ledger/v2.sql (a ledger schema version 2 wrote)
 * to path; version and unindexed make it look as version 1 did. */
static void write_v2_ledger(const char *path, int version)
{
	char fixture[512], sql[128];
	FILE *f;
	char *text;
	long size;
	sqlite3 *db;

	sg_test_src_path("tests/fixtures/ledger/v2.sql", fixture,
			 sizeof(fixture));
	f = fopen(fixture, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", fixture);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	db_exec(db, text);
	if (version == 1) {
		db_exec(db, "DROP INDEX events_exception");
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
		db_exec(db, sql);
	}
	sqlite3_close(db);
	free(text);
}

struct v2_check {
	sqlite3 *old;           /* the fixture as written */
	size_t count;
};

/* Each migrated record gives back the JSON object version 2 stored. */
static int v2_same_json(void *arg, const struct sg_exception_record *rec,
			struct sg_error *err)
{
	struct v2_check *c = arg;
	struct sg_text line = { NULL, 0, 0 };
	char sql[128], buf[4096];

	(void)err;
	ck_assert_int_eq(sg_exception_record_append_json(&line, rec), SG_OK);
	snprintf(sql, sizeof(sql), "SELECT detail FROM exceptions WHERE"
		 " id = '%s'", rec->id);
	ck_assert_str_eq(line.s, db_text(c->old, sql, buf, sizeof(buf)));
	sg_text_release(&line);
	c->count++;
	return SG_OK;
}

/* Each migrated event gives back the detail version 2 stored. */
static int v2_same_event(void *arg, const struct sg_event_record *ev,
			 struct sg_error *err)
{
	struct v2_check *c = arg;
	char sql[128], buf[4096];

	(void)err;
	snprintf(sql, sizeof(sql), "SELECT detail FROM events WHERE seq = %lld",
		 ev->seq);
	ck_assert_str_eq(ev->detail ? ev->detail : "NULL",
			 db_text(c->old, sql, buf, sizeof(buf)));
	c->count++;
	return SG_OK;
}

/* The version 2 ledger with everything it holds, migrated in place:
 * the exceptions read back as the same JSON, tasks and events kept. */
static void check_migrates(int version)
{
	struct v2_check c = { NULL, 0 };
	struct sg_ledger *ledger;
	struct sg_error err;
	char path[512], old_path[512], buf[256];

	tmp_path(path, sizeof(path), "old.db");
	tmp_path(old_path, sizeof(old_path), "fixture.db");
	write_v2_ledger(path, version);
	write_v2_ledger(old_path, 2);
	/* One exception judged again by a later run (the same run here). */
	c.old = db_open(path);
	db_exec(c.old, "UPDATE exceptions SET last_seen = last_seen + 86400"
		" WHERE id = '01d39e5a146da95a'");
	sqlite3_close(c.old);
	ledger = open_ok(path);
	ck_assert_int_eq(sg_ledger_schema_version(ledger),
			 SG_LEDGER_SCHEMA_VERSION);
	assert_counts(ledger, 1, 10, 9, 14);
	c.old = db_open(old_path);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_each_exception(ledger, NULL, v2_same_json,
						  &c, &err), SG_OK);
	ck_assert_uint_eq(c.count, 10);
	c.count = 0;
	ck_assert_int_eq(sg_ledger_each_event(ledger, SG_TIME_NONE, NULL,
					      v2_same_event, &c, &err), SG_OK);
	ck_assert_uint_eq(c.count, 14);
	sqlite3_close(c.old);
	sg_ledger_close(ledger);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM sqlite_master"
				  " WHERE name = 'events_exception'"), 1);
	/* The type's own members only; the note once. */
	ck_assert_str_eq(db_text_of(path, "SELECT detail FROM exceptions"
				    " WHERE type = 'regression'", buf,
				    sizeof(buf)), "{}");
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM exceptions"
				  " WHERE detail LIKE '%note%'"), 0);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM events WHERE"
				  " type = 'exception_raised' AND detail IS"
				  " NOT NULL"), 0);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM sightings"), 1);
	ck_assert_int_eq(file_int(path, "SELECT last_seen FROM sightings"
				  " WHERE exception_id = '01d39e5a146da95a'"),
			 1795197600 + 86400);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM"
				  " pragma_foreign_key_check"), 0);
	/* An older ledger keeps its pages. */
	ck_assert_int_eq(file_int(path, "PRAGMA page_size"), 4096);
	assert_disposition_check(path);
}

START_TEST(test_migrates_v1)
{
	check_migrates(1);
}
END_TEST

START_TEST(test_migrates_v2)
{
	check_migrates(2);
}
END_TEST

START_TEST(test_reopen_keeps_data)
{
	struct sg_ledger_exception *list = make_exceptions(0, 3);
	struct sg_run_record run = sg_test_make_run(AS_OF_1);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	char path[512], *before, *after;

	tmp_path(path, sizeof(path), "keep.db");
	ledger = open_ok(path);
	record_ok(ledger, &run, list, 3, &outcome);
	sg_ledger_close(ledger);
	before = dump_ledger(path);

	ledger = open_ok(path);
	ck_assert_int_eq(sg_ledger_schema_version(ledger),
			 SG_LEDGER_SCHEMA_VERSION);
	assert_counts(ledger, 1, 3, 3, 4);
	sg_ledger_close(ledger);
	after = dump_ledger(path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	free_exceptions(list, 3);
}
END_TEST

static int always_cancelled(void)
{
	return 1;
}

/* One run at a time: a second handle finds the lock held (or, waiting,
 * is ended by cancellation), and takes it once the first is closed. */
START_TEST(test_run_lock)
{
	struct sg_ledger *first, *second;
	struct sg_error err;
	char path[512];

	tmp_path(path, sizeof(path), "lock.db");
	first = open_ok(path);
	second = open_ok(path);
	ck_assert_int_eq(sg_ledger_lock_runs(first, 0, NULL, &err), SG_OK);
	ck_assert_int_eq(sg_ledger_lock_runs(first, 0, NULL, &err), SG_OK);
	ck_assert_int_eq(sg_ledger_lock_runs(second, 0, NULL, &err), 1);
	ck_assert_int_eq(sg_ledger_lock_runs(second, 1, always_cancelled,
					     &err), SG_ERR_LEDGER);
	ck_assert_ptr_nonnull(strstr(err.message, "interrupted while waiting"));
	sg_ledger_close(first);
	ck_assert_int_eq(sg_ledger_lock_runs(second, 1, always_cancelled,
					     &err), SG_OK);
	sg_ledger_close(second);
}
END_TEST

START_TEST(test_refuses_newer_schema)
{
	struct sg_ledger *ledger;
	struct sg_error err;
	char path[512], buf[1024];
	sqlite3 *db;

	tmp_path(path, sizeof(path), "newer.db");
	ledger = open_ok(path);
	sg_ledger_close(ledger);
	db = db_open(path);
	db_exec(db, "PRAGMA user_version = 99");
	sqlite3_close(db);

	sg_error_clear(&err);
	ledger = (struct sg_ledger *)1;
	ck_assert_int_eq(sg_ledger_open(&ledger, path, &err), SG_ERR_LEDGER);
	ck_assert_ptr_null(ledger);
	ck_assert_int_eq(err.code, SG_ERR_LEDGER);
	sg_error_format(&err, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "written by a newer stageguard") != NULL,
		      "%s", buf);
	ck_assert_msg(strstr(buf, path) != NULL, "%s", buf);
	/* Nothing was changed. */
	ck_assert_int_eq(file_int(path, "PRAGMA user_version"), 99);
}
END_TEST

START_TEST(test_refuses_non_database)
{
	static const char junk[] =
		"id,name\n006A,Acme renewal\n"
		"this is a CSV file, not a SQLite database, padded to be "
		"longer than a SQLite header of one hundred bytes......\n";
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	char path[512], buf[1024], back[sizeof(junk)];
	FILE *f;

	tmp_path(path, sizeof(path), "opportunities.csv");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(junk, 1, sizeof(junk) - 1, f),
			  sizeof(junk) - 1);
	fclose(f);

	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_open(&ledger, path, &err), SG_ERR_LEDGER);
	ck_assert_ptr_null(ledger);
	sg_error_format(&err, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, path) != NULL, "no file: %s", buf);
	ck_assert_msg(strstr(buf, "not a database") != NULL,
		      "no SQLite message: %s", buf);
	ck_assert_msg(strstr(buf, "--ledger") != NULL, "no advice: %s", buf);

	/* The file is left as it was. */
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(back, 1, sizeof(back), f), sizeof(junk) - 1);
	fclose(f);
	ck_assert_int_eq(memcmp(back, junk, sizeof(junk) - 1), 0);
}
END_TEST

START_TEST(test_refuses_foreign_database)
{
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	char path[512], buf[1024];
	sqlite3 *db = NULL;

	tmp_path(path, sizeof(path), "other.db");
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	db_exec(db, "CREATE TABLE contacts (id INTEGER PRIMARY KEY)");
	sqlite3_close(db);

	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_open(&ledger, path, &err), SG_ERR_LEDGER);
	ck_assert_ptr_null(ledger);
	sg_error_format(&err, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "not a stageguard ledger") != NULL, "%s",
		      buf);
	/* Nothing was changed: no tables, no WAL mode. */
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM sqlite_master"),
			 1);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM"
				  " pragma_journal_mode WHERE journal_mode ="
				  " 'delete'"), 1);
}
END_TEST

START_TEST(test_refuses_other_application)
{
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	char path[512], buf[1024];
	sqlite3 *db = NULL;

	tmp_path(path, sizeof(path), "app.db");
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	db_exec(db, "PRAGMA application_id = 1234");
	sqlite3_close(db);

	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_open(&ledger, path, &err), SG_ERR_LEDGER);
	ck_assert_ptr_null(ledger);
	sg_error_format(&err, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "another application") != NULL, "%s", buf);
	ck_assert_int_eq(file_int(path, "PRAGMA user_version"), 0);
}
END_TEST

START_TEST(test_refuses_missing_folder)
{
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	char path[512], buf[1024];
	struct stat st;

	tmp_path(path, sizeof(path), "no/such/folder/ledger.db");
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_open(&ledger, path, &err), SG_ERR_LEDGER);
	ck_assert_ptr_null(ledger);
	sg_error_format(&err, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, path) != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "folder") != NULL, "%s", buf);
	ck_assert_int_ne(stat(path, &st), 0);

	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_open(&ledger, "", &err), SG_ERR_LEDGER);
	ck_assert_ptr_null(ledger);
}
END_TEST

/* ---- recording ---- */

START_TEST(test_record_run)
{
	struct sg_ledger_exception *list = make_exceptions(0, 3);
	struct sg_run_record run = sg_test_make_run(AS_OF_1);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	char path[512], sql[256], buf[4096];
	json_t *stored;
	sqlite3 *db;
	size_t i;

	tmp_path(path, sizeof(path), "run.db");
	ledger = open_ok(path);
	record_ok(ledger, &run, list, 3, &outcome);
	ck_assert_uint_eq(outcome.new_exceptions, 3);
	ck_assert_uint_eq(outcome.seen_again, 0);
	ck_assert_uint_eq(outcome.tasks_created, 3);
	assert_counts(ledger, 1, 3, 3, 4);
	ck_assert_uint_eq(strlen(run.id), 32);
	ck_assert_uint_eq(strspn(run.id, "0123456789abcdef"), 32);
	sg_ledger_close(ledger);

	db = db_open(path);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE id = '%s'"
		 " AND as_of = %lld AND since = %lld AND snapshot_at IS NULL"
		 " AND opportunities = 10 AND evaluated = 9 AND paused = 1"
		 " AND exceptions = 3 AND new_exceptions = 3", run.id,
		 (long long)AS_OF_1, (long long)(AS_OF_1 - DAY));
	ck_assert_int_eq(db_int(db, sql), 1);
	/* Tasks: assignee and due from the exception, open. */
	ck_assert_str_eq(db_text(db, "SELECT assignee FROM tasks WHERE"
				 " exception_id = 'exc-00000'", buf,
				 sizeof(buf)), "mgr1");
	ck_assert_str_eq(db_text(db, "SELECT assignee FROM tasks WHERE"
				 " exception_id = 'exc-00001'", buf,
				 sizeof(buf)), "revops");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM tasks WHERE"
		 " status = 'open' AND disposition IS NULL AND created_at ="
		 " %lld AND due_at = %lld", (long long)AS_OF_1,
		 (long long)(AS_OF_1 + 2 * DAY));
	ck_assert_int_eq(db_int(db, sql), 3);
	/* Exceptions: columns, and the members of the type as detail. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM exceptions WHERE"
		 " first_seen = %lld AND first_run = '%s' AND type ="
		 " 'missing_evidence' AND verdict = 'block'",
		 (long long)AS_OF_1, run.id);
	ck_assert_int_eq(db_int(db, sql), 3);
	/* Seen once: no sighting yet. */
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM sightings"), 0);
	ck_assert_str_eq(db_text(db, "SELECT opportunity_id FROM exceptions"
				 " WHERE id = 'exc-00002'", buf, sizeof(buf)),
			 "00600001");
	ck_assert_int_eq(db_int(db, "SELECT event_at FROM exceptions WHERE"
				" id = 'exc-00001'"),
			 (long long)(AS_OF_1 - 31 * DAY + 60));
	for (i = 0; i < 3; i++) {
		snprintf(sql, sizeof(sql), "SELECT detail FROM exceptions"
			 " WHERE id = 'exc-%05zu'", i);
		stored = json_loads(db_text(db, sql, buf, sizeof(buf)), 0,
				    NULL);
		ck_assert_ptr_nonnull(stored);
		ck_assert_uint_eq(json_object_size(stored), 2);
		ck_assert(json_equal(json_object_get(stored, "missing"),
				     json_object_get(list[i].json,
						     "missing")));
		ck_assert(json_equal(json_object_get(stored, "present"),
				     json_object_get(list[i].json,
						     "present")));
		json_decref(stored);
	}
	/* Events: one exception_raised per new exception, then the run. */
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM events WHERE type ="
				" 'exception_raised' AND exception_id IS NOT"
				" NULL AND opportunity_id IS NOT NULL"), 3);
	ck_assert_str_eq(db_text(db, "SELECT type FROM events ORDER BY seq"
				 " DESC LIMIT 1", buf, sizeof(buf)),
			 "run_completed");
	ck_assert_int_eq(db_int(db, "SELECT json_extract(detail,"
				" '$.new_exceptions') FROM events WHERE type ="
				" 'run_completed'"), 3);
	/* An exception_raised event's detail is read from its exception. */
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM events WHERE type ="
				" 'exception_raised' AND detail IS NULL"), 3);
	ck_assert_str_eq(db_text(db, "SELECT " LEDGER_EVENT_DETAIL
				 " FROM events ev" LEDGER_EVENT_JOIN
				 " WHERE ev.exception_id = 'exc-00000'", buf,
				 sizeof(buf)),
			 "{\"type\":\"missing_evidence\",\"verdict\":\"block\","
			 "\"assignee\":\"mgr1\",\"due_at\":"
			 "\"2026-11-04T00:00:00Z\"}");
	sqlite3_close(db);
	free_exceptions(list, 3);
}
END_TEST

START_TEST(test_record_again_is_idempotent)
{
	struct sg_ledger_exception *list = make_exceptions(0, 3);
	struct sg_run_record run1 = sg_test_make_run(AS_OF_1);
	struct sg_run_record run2 = sg_test_make_run(AS_OF_1 + DAY);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	char path[512], sql[256];
	sqlite3 *db;

	tmp_path(path, sizeof(path), "again.db");
	ledger = open_ok(path);
	record_ok(ledger, &run1, list, 3, &outcome);
	record_ok(ledger, &run2, list, 3, &outcome);
	ck_assert_str_ne(run1.id, run2.id);
	ck_assert_uint_eq(outcome.new_exceptions, 0);
	ck_assert_uint_eq(outcome.seen_again, 3);
	ck_assert_uint_eq(outcome.tasks_created, 0);
	/* Two runs, the same 3 exceptions and tasks, one more event. */
	assert_counts(ledger, 2, 3, 3, 5);
	sg_ledger_close(ledger);

	db = db_open(path);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM exceptions e JOIN"
		 " sightings s ON s.exception_id = e.id WHERE first_seen ="
		 " %lld AND first_run = '%s' AND last_seen = %lld AND"
		 " last_run = '%s'", (long long)AS_OF_1, run1.id,
		 (long long)(AS_OF_1 + DAY), run2.id);
	ck_assert_int_eq(db_int(db, sql), 3);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM tasks"), 3);
	snprintf(sql, sizeof(sql), "SELECT new_exceptions FROM runs WHERE"
		 " id = '%s'", run2.id);
	ck_assert_int_eq(db_int(db, sql), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE"
		 " run_id = '%s'", run2.id);
	ck_assert_int_eq(db_int(db, sql), 1);
	sqlite3_close(db);
	free_exceptions(list, 3);
}
END_TEST

START_TEST(test_record_mixed_new_and_known)
{
	struct sg_ledger_exception *first = make_exceptions(0, 3);
	struct sg_ledger_exception *second = make_exceptions(1, 4);
	struct sg_run_record run1 = sg_test_make_run(AS_OF_1);
	struct sg_run_record run2 = sg_test_make_run(AS_OF_1 + DAY);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	char path[512];

	tmp_path(path, sizeof(path), "mixed.db");
	ledger = open_ok(path);
	record_ok(ledger, &run1, first, 3, &outcome);
	/* exc 1, 2 known; exc 3, 4 new. */
	record_ok(ledger, &run2, second, 4, &outcome);
	ck_assert_uint_eq(outcome.new_exceptions, 2);
	ck_assert_uint_eq(outcome.seen_again, 2);
	ck_assert_uint_eq(outcome.tasks_created, 2);
	assert_counts(ledger, 2, 5, 5, 3 + 1 + 2 + 1);
	sg_ledger_close(ledger);
	/* exc 0 was not seen again: it has no sighting. */
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM sightings"
				  " WHERE exception_id = 'exc-00000'"), 0);
	ck_assert_int_eq(file_int(path, "SELECT last_seen FROM sightings"
				  " WHERE exception_id = 'exc-00002'"),
			 (long long)(AS_OF_1 + DAY));
	free_exceptions(first, 3);
	free_exceptions(second, 4);
}
END_TEST

/* Known ids are found by walking the ledger's ids when the run is a fair
 * part of the ledger (the test above), by a lookup each when the ledger
 * holds far more (here 40 against 4): the same outcome either way, ids
 * before, between and past the ledger's included. */
START_TEST(test_record_few_into_many)
{
	struct sg_ledger_exception *many = make_exceptions(10, 40);
	struct sg_ledger_exception *few = make_exceptions(8, 4);
	struct sg_ledger_exception *late = make_exceptions(48, 4);
	struct sg_run_record run1 = sg_test_make_run(AS_OF_1);
	struct sg_run_record run2 = sg_test_make_run(AS_OF_1 + DAY);
	struct sg_run_record run3 = sg_test_make_run(AS_OF_1 + 2 * DAY);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	char path[512];

	tmp_path(path, sizeof(path), "few.db");
	ledger = open_ok(path);
	record_ok(ledger, &run1, many, 40, &outcome);
	/* exc 8, 9 new (before the ledger's first); exc 10, 11 known. */
	record_ok(ledger, &run2, few, 4, &outcome);
	ck_assert_uint_eq(outcome.new_exceptions, 2);
	ck_assert_uint_eq(outcome.seen_again, 2);
	/* exc 48, 49 known (the ledger's last); exc 50, 51 new (past it). */
	record_ok(ledger, &run3, late, 4, &outcome);
	ck_assert_uint_eq(outcome.new_exceptions, 2);
	ck_assert_uint_eq(outcome.seen_again, 2);
	sg_ledger_close(ledger);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM exceptions"),
			 44);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM sightings"), 4);
	free_exceptions(many, 40);
	free_exceptions(few, 4);
	free_exceptions(late, 4);
}
END_TEST

/* An id a run gives twice is new once, then seen again by that run. */
START_TEST(test_record_repeated_id)
{
	struct sg_ledger_exception *list = make_exceptions(0, 3);
	struct sg_run_record run = sg_test_make_run(AS_OF_1);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	char path[512], sql[160];

	json_decref(list[2].json);
	list[2].json = make_exception(0);
	tmp_path(path, sizeof(path), "repeat.db");
	ledger = open_ok(path);
	record_ok(ledger, &run, list, 3, &outcome);
	ck_assert_uint_eq(outcome.new_exceptions, 2);
	ck_assert_uint_eq(outcome.seen_again, 1);
	ck_assert_uint_eq(outcome.tasks_created, 2);
	assert_counts(ledger, 1, 2, 2, 2 + 1);
	sg_ledger_close(ledger);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sightings WHERE"
		 " exception_id = 'exc-00000' AND last_run = '%s'", run.id);
	ck_assert_int_eq(file_int(path, sql), 1);
	free_exceptions(list, 3);
}
END_TEST

/* A run finds the exceptions the ledger holds by walking both in id
 * order, the order of SQLite's BINARY collation: ids shorter than 8
 * bytes, ids that share their first 8, bytes past 0x7f. */
START_TEST(test_record_finds_ids_in_binary_order)
{
	static const char *const ids[] = {
		"b", "abcdefgh2", "abcdefgh10", "abcdefg", "abcdefgh", "a",
		"\xc3\xa9t\xc3\xa9", "Z", "abcdefgh1", "abcdefgi",
		/* The second run's alone. */
		"abcdefgh0", "\xc3\xa8", "abcdefgh15", "abcdef",
	};
	const size_t n = sizeof(ids) / sizeof(ids[0]), first = n - 4;
	struct sg_ledger_exception *list = make_exceptions(0, n);
	struct sg_run_record run1 = sg_test_make_run(AS_OF_1);
	struct sg_run_record run2 = sg_test_make_run(AS_OF_1 + DAY);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	char path[512];
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(json_object_set_new(list[i].json, "id",
						     json_string(ids[i])), 0);
	tmp_path(path, sizeof(path), "id_order.db");
	ledger = open_ok(path);
	record_ok(ledger, &run1, list, first, &outcome);
	ck_assert_uint_eq(outcome.new_exceptions, first);
	record_ok(ledger, &run2, list, n, &outcome);
	ck_assert_uint_eq(outcome.new_exceptions, n - first);
	ck_assert_uint_eq(outcome.seen_again, first);
	sg_ledger_close(ledger);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM exceptions"),
			 (int)n);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM sightings"),
			 (int)first);
	free_exceptions(list, n);
}
END_TEST

/* A run at an earlier as-of (--allow-backdated) moves no sighting back,
 * nor before the exception was first seen; the latest run moves it. */
START_TEST(test_record_backdated_sightings)
{
	struct sg_ledger_exception *two = make_exceptions(0, 2);
	struct sg_ledger_exception *three = make_exceptions(0, 3);
	struct sg_run_record later = sg_test_make_run(AS_OF_1 + 2 * DAY);
	struct sg_run_record earlier = sg_test_make_run(AS_OF_1 + DAY);
	struct sg_run_record latest = sg_test_make_run(AS_OF_1 + 3 * DAY);
	struct sg_run_record between = sg_test_make_run(AS_OF_1 + 2 * DAY + 3600);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	char path[512];

	tmp_path(path, sizeof(path), "backdated.db");
	ledger = open_ok(path);
	record_ok(ledger, &later, two, 2, &outcome);
	record_ok(ledger, &earlier, three, 3, &outcome);
	ck_assert_uint_eq(outcome.new_exceptions, 1);
	ck_assert_uint_eq(outcome.seen_again, 2);
	sg_ledger_close(ledger);
	/* Seen by a run before their first: no sighting. */
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM sightings"), 0);
	ledger = open_ok(path);
	record_ok(ledger, &latest, two, 1, &outcome);
	record_ok(ledger, &between, two, 1, &outcome);
	sg_ledger_close(ledger);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM sightings"), 1);
	ck_assert_int_eq(file_int(path, "SELECT last_seen FROM sightings"
				  " WHERE exception_id = 'exc-00000'"),
			 (long long)(AS_OF_1 + 3 * DAY));
	free_exceptions(two, 2);
	free_exceptions(three, 3);
}
END_TEST

START_TEST(test_last_as_of)
{
	struct sg_run_record run1 = sg_test_make_run(AS_OF_1);
	struct sg_run_record run2 = sg_test_make_run(AS_OF_1 + 3 * DAY);
	struct sg_run_record run3 = sg_test_make_run(AS_OF_1 + DAY);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	struct sg_error err;
	char path[512];
	sg_time as_of;
	int found;

	tmp_path(path, sizeof(path), "asof.db");
	ledger = open_ok(path);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_last_as_of(ledger, &as_of, &found, &err),
			 SG_OK);
	ck_assert_int_eq(found, 0);

	record_ok(ledger, &run1, NULL, 0, &outcome);
	ck_assert_int_eq(sg_ledger_last_as_of(ledger, &as_of, &found, &err),
			 SG_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(as_of, AS_OF_1);

	record_ok(ledger, &run2, NULL, 0, &outcome);
	ck_assert_int_eq(sg_ledger_last_as_of(ledger, &as_of, &found, &err),
			 SG_OK);
	ck_assert_int_eq(as_of, AS_OF_1 + 3 * DAY);

	/* The most recently recorded run counts, even at an earlier as-of. */
	record_ok(ledger, &run3, NULL, 0, &outcome);
	ck_assert_int_eq(sg_ledger_last_as_of(ledger, &as_of, &found, &err),
			 SG_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(as_of, AS_OF_1 + DAY);
	assert_counts(ledger, 3, 0, 0, 3);
	sg_ledger_close(ledger);

	/* And it survives a reopen. */
	ledger = open_ok(path);
	ck_assert_int_eq(sg_ledger_last_as_of(ledger, &as_of, &found, &err),
			 SG_OK);
	ck_assert_int_eq(as_of, AS_OF_1 + DAY);
	sg_ledger_close(ledger);
}
END_TEST

START_TEST(test_refuses_same_run_twice)
{
	struct sg_ledger_exception *list = make_exceptions(0, 3);
	struct sg_run_record run = sg_test_make_run(AS_OF_1);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	struct sg_error err;
	char path[512], buf[1024], *before, *after;

	tmp_path(path, sizeof(path), "twice.db");
	ledger = open_ok(path);
	record_ok(ledger, &run, list, 3, &outcome);
	sg_ledger_close(ledger);
	before = dump_ledger(path);

	ledger = open_ok(path);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_test_record_run(ledger, &run, list, 3, &outcome,
					      &err), SG_ERR_LEDGER);
	sg_error_format(&err, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "already recorded") != NULL, "%s", buf);
	/* It says why and what to do. */
	ck_assert_msg(strstr(buf, "started in the same second") != NULL &&
		      strstr(buf, "run it again a second later") != NULL,
		      "%s", buf);
	ck_assert_uint_eq(outcome.new_exceptions, 0);
	assert_counts(ledger, 1, 3, 3, 4);
	sg_ledger_close(ledger);
	after = dump_ledger(path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	free_exceptions(list, 3);
}
END_TEST

/*
 * A bad exception after good ones (two known, one new): nothing of the
 * run is kept.  value NULL removes key.
 */
static void check_bad_exception(const char *key, json_t *value,
				const char *expect)
{
	struct sg_ledger_exception *first = make_exceptions(0, 2);
	struct sg_ledger_exception *list = make_exceptions(0, 4);
	struct sg_run_record run1 = sg_test_make_run(AS_OF_1);
	struct sg_run_record run2 = sg_test_make_run(AS_OF_1 + DAY);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	struct sg_error err;
	char path[512], buf[1024], *before, *after;

	json_decref(list[3].json);
	list[3].json = make_exception(7);
	if (value == NULL)
		ck_assert_int_eq(json_object_del(list[3].json, key), 0);
	else
		ck_assert_int_eq(json_object_set_new(list[3].json, key, value),
				 0);
	tmp_path(path, sizeof(path), "bad.db");
	ledger = open_ok(path);
	record_ok(ledger, &run1, first, 2, &outcome);
	sg_ledger_close(ledger);
	before = dump_ledger(path);

	ledger = open_ok(path);
	sg_error_clear(&err);
	ck_assert_int_ne(sg_test_record_run(ledger, &run2, list, 4,
					      &outcome, &err), SG_OK);
	ck_assert_int_ne(err.code, SG_OK);
	sg_error_format(&err, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "exc-00007") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, expect) != NULL, "%s", buf);
	ck_assert_uint_eq(outcome.new_exceptions, 0);
	assert_counts(ledger, 1, 2, 2, 3);
	sg_ledger_close(ledger);
	after = dump_ledger(path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	free_exceptions(first, 2);
	free_exceptions(list, 4);
}

START_TEST(test_refuses_exception_without_due)
{
	check_bad_exception("due_at", NULL, "has no due_at");
}
END_TEST

START_TEST(test_refuses_exception_with_bad_time)
{
	check_bad_exception("detected_at", json_string("yesterday"),
			    "detected_at");
}
END_TEST

START_TEST(test_refuses_exception_with_wrong_type)
{
	check_bad_exception("assignee", json_integer(42), "has no assignee");
}
END_TEST

/* ---- plugin state ---- */

static const struct sg_plugin_state_entry cursor_1[] = {
	{ "hubspot", "cursor", "1" },
};
static const struct sg_plugin_state_entry cursor_2[] = {
	{ "hubspot", "cursor", "2" },
};

static int state_append(void *arg, const char *key, const char *value,
			struct sg_error *err)
{
	char *text = arg;

	(void)err;
	snprintf(text + strlen(text), 512 - strlen(text), "%s=%s;", key,
		 value);
	return SG_OK;
}

/* "key=value;" for each key the plugin keeps, by key. */
static const char *state_text(struct sg_ledger *ledger, const char *plugin)
{
	static char text[512];
	struct sg_error err;

	text[0] = '\0';
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_each_plugin_state(ledger, plugin,
						     state_append, text,
						     &err), SG_OK);
	return text;
}

/* A run keeps each plugin's keys for the next; a later run replaces a
 * value or removes a key (value NULL); plugins do not see each other's
 * keys; a key the ledger would not give back fails the whole run. */
START_TEST(test_plugin_state)
{
	static const struct sg_plugin_state_entry first[] = {
		{ "hubspot", "cursor", "2026-11-20T00:00:00Z" },
		{ "hubspot", "after", "abc" },
		{ "salesforce", "cursor", "x" },
	};
	static const struct sg_plugin_state_entry second[] = {
		{ "hubspot", "cursor", "2026-11-21T00:00:00Z" },
		{ "hubspot", "after", NULL },
	};
	static const struct sg_plugin_state_entry bad[] = {
		{ "hubspot", "cursor", "never" },
		{ "hubspot", "", "empty key" },
	};
	struct sg_ledger_exception *list = make_exceptions(0, 2);
	struct sg_run_record run1 = sg_test_make_run(AS_OF_1);
	struct sg_run_record run2 = sg_test_make_run(AS_OF_1 + DAY);
	struct sg_run_record run3 = sg_test_make_run(AS_OF_1 + 2 * DAY);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	struct sg_error err;
	char path[512];

	tmp_path(path, sizeof(path), "state.db");
	ledger = open_ok(path);
	ck_assert_str_eq(state_text(ledger, "hubspot"), "");
	run1.state = first;
	run1.state_count = 3;
	record_ok(ledger, &run1, list, 2, &outcome);
	ck_assert_str_eq(state_text(ledger, "hubspot"),
			 "after=abc;cursor=2026-11-20T00:00:00Z;");
	ck_assert_str_eq(state_text(ledger, "salesforce"), "cursor=x;");
	run2.state = second;
	run2.state_count = 2;
	record_ok(ledger, &run2, list, 2, &outcome);
	ck_assert_str_eq(state_text(ledger, "hubspot"),
			 "cursor=2026-11-21T00:00:00Z;");
	ck_assert_str_eq(state_text(ledger, "salesforce"), "cursor=x;");

	run3.state = bad;
	run3.state_count = 2;
	sg_error_clear(&err);
	ck_assert_int_eq(sg_test_record_run(ledger, &run3, list, 2, &outcome,
					    &err), SG_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "a key is 1 to 256 bytes"));
	ck_assert_str_eq(state_text(ledger, "hubspot"),
			 "cursor=2026-11-21T00:00:00Z;");
	assert_counts(ledger, 2, 2, 2, 4);
	sg_ledger_close(ledger);
	free_exceptions(list, 2);
}
END_TEST

/* ---- atomicity ---- */

#define KILL_RUN_SIZE 1000
#define KILL_AFTER "500"

/*
 * In a child process: opens the ledger and records run2 with the hook set
 * to die halfway.  Exits 2 when it cannot open, 3 when the run returned.
 */
static void kill_child(const char *path, struct sg_run_record run)
{
	struct sg_ledger_exception *list;
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger = NULL;
	struct sg_error err;

	if (setenv("STAGEGUARD_TEST_KILL_AFTER", KILL_AFTER, 1) != 0)
		_exit(4);
	if (sg_ledger_open(&ledger, path, &err) != SG_OK)
		_exit(2);
	list = make_exceptions(0, KILL_RUN_SIZE);
	sg_test_record_run(ledger, &run, list, KILL_RUN_SIZE, &outcome,
			     &err);
	_exit(3);
}

START_TEST(test_kill_mid_run_leaves_no_trace)
{
	struct sg_ledger_exception *small = make_exceptions(0, 3);
	struct sg_ledger_exception *big = make_exceptions(0, KILL_RUN_SIZE);
	struct sg_run_record run1 = sg_test_make_run(AS_OF_1);
	struct sg_run_record run2 = sg_test_make_run(AS_OF_1 + DAY);
	struct sg_run_record fresh1 = sg_test_make_run(AS_OF_1);
	struct sg_run_record fresh2 = sg_test_make_run(AS_OF_1 + DAY);
	struct sg_run_outcome outcome, fresh_outcome;
	struct sg_ledger *ledger;
	char killed[512], fresh[512], sql[256];
	char *before, *after, *expected;
	int status;
	pid_t pid;

	tmp_path(killed, sizeof(killed), "killed.db");
	tmp_path(fresh, sizeof(fresh), "fresh.db");
	run1.state = cursor_1;
	run1.state_count = 1;
	run2.state = cursor_2;
	run2.state_count = 1;
	ledger = open_ok(killed);
	record_ok(ledger, &run1, small, 3, &outcome);
	sg_ledger_close(ledger);
	before = dump_ledger(killed);

	/* No connection is open across the fork. */
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		kill_child(killed, run2);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "the child was not killed (status %d)", status);

	/* Exactly the state before the run, the plugin's cursor too. */
	after = dump_ledger(killed);
	ck_assert_str_eq(before, after);
	free(after);
	ledger = open_ok(killed);
	ck_assert_str_eq(state_text(ledger, "hubspot"), "cursor=1;");
	assert_counts(ledger, 1, 3, 3, 4);
	sg_ledger_close(ledger);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE id !="
		 " '%s'", run1.id);
	ck_assert_int_eq(file_int(killed, sql), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM exceptions WHERE"
		 " first_run != '%s'", run1.id);
	ck_assert_int_eq(file_int(killed, sql), 0);
	ck_assert_int_eq(file_int(killed, "SELECT count(*) FROM sightings"), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE"
		 " run_id != '%s'", run1.id);
	ck_assert_int_eq(file_int(killed, sql), 0);

	/* The rerun gives what an unkilled run gives. */
	ledger = open_ok(killed);
	record_ok(ledger, &run2, big, KILL_RUN_SIZE, &outcome);
	assert_counts(ledger, 2, KILL_RUN_SIZE, KILL_RUN_SIZE,
		      4 + (KILL_RUN_SIZE - 3) + 1);
	sg_ledger_close(ledger);

	ledger = open_ok(fresh);
	record_ok(ledger, &fresh1, small, 3, &fresh_outcome);
	record_ok(ledger, &fresh2, big, KILL_RUN_SIZE, &fresh_outcome);
	sg_ledger_close(ledger);
	ck_assert_str_eq(run2.id, fresh2.id);
	ck_assert_uint_eq(outcome.new_exceptions, KILL_RUN_SIZE - 3);
	ck_assert_uint_eq(outcome.seen_again, 3);
	ck_assert_uint_eq(outcome.new_exceptions,
			  fresh_outcome.new_exceptions);
	ck_assert_uint_eq(outcome.seen_again, fresh_outcome.seen_again);
	ck_assert_uint_eq(outcome.tasks_created, fresh_outcome.tasks_created);

	after = dump_ledger(killed);
	expected = dump_ledger(fresh);
	ck_assert_str_eq(after, expected);
	free(before);
	free(after);
	free(expected);
	free_exceptions(small, 3);
	free_exceptions(big, KILL_RUN_SIZE);
}
END_TEST

START_TEST(test_kill_before_first_exception)
{
	struct sg_ledger_exception *list = make_exceptions(0, 10);
	struct sg_run_record run = sg_test_make_run(AS_OF_1);
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger;
	char path[512];
	int status;
	pid_t pid;

	tmp_path(path, sizeof(path), "kill0.db");
	ledger = open_ok(path);
	sg_ledger_close(ledger);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setenv("STAGEGUARD_TEST_KILL_AFTER", "0", 1) != 0)
			_exit(4);
		if (sg_ledger_open(&ledger, path, NULL) != SG_OK)
			_exit(2);
		sg_test_record_run(ledger, &run, list, 10, &outcome, NULL);
		_exit(3);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ledger = open_ok(path);
	assert_counts(ledger, 0, 0, 0, 0);
	record_ok(ledger, &run, list, 10, &outcome);
	assert_counts(ledger, 1, 10, 10, 11);
	sg_ledger_close(ledger);
	free_exceptions(list, 10);
}
END_TEST

/* ---- typed reads (core/store/ledger_read.c) ---- */

/* The fixture's times: every task raised at RAISED, due 48 hours later;
 * one decided (approve) ten hours after it was raised. */
#define RAISED 1795197600
#define DUE (RAISED + 48 * 3600)
#define DECIDED (RAISED + 10 * 3600)

static struct sg_ledger *open_fixture(void)
{
	char path[512];

	tmp_path(path, sizeof(path), "reads.db");
	write_v2_ledger(path, 2);
	return open_ok(path);
}

static struct sg_task_counts task_counts_at(struct sg_ledger *ledger,
					    sg_time t)
{
	struct sg_task_counts c;
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_task_counts(ledger, t, &c, &err), SG_OK);
	return c;
}

START_TEST(test_reads_task_counts)
{
	struct sg_ledger *ledger = open_fixture();
	struct sg_task_counts c;

	c = task_counts_at(ledger, RAISED - 1);
	ck_assert_uint_eq(c.open + c.overdue + c.decided, 0);
	c = task_counts_at(ledger, RAISED);
	ck_assert_uint_eq(c.open, 10);
	ck_assert_uint_eq(c.decided, 0);
	c = task_counts_at(ledger, DECIDED);
	ck_assert_uint_eq(c.open, 9);
	ck_assert_uint_eq(c.overdue, 0);
	ck_assert_uint_eq(c.decided, 1);
	c = task_counts_at(ledger, DUE + 1);
	ck_assert_uint_eq(c.open, 9);
	ck_assert_uint_eq(c.overdue, 9);
	sg_ledger_close(ledger);
}
END_TEST

struct seen {
	size_t count;
	char last[64];
	int in_order;
	size_t decided, with_missing, with_amount;
	long long sum;
	char ids[16][64];
	const char *want_missing;       /* NULL: the fixture's */
	int queue;              /* SG_ROWS_OPEN_AT: a queue's rows */
	sg_time last_due;
};

static int seen_task(void *arg, const struct sg_task_record *t,
		     struct sg_error *err)
{
	struct seen *s = arg;
	size_t i;

	(void)err;
	/* Each task once, in no particular order. */
	for (i = 0; i < s->count && i < 16; i++)
		if (strcmp(s->ids[i], t->exception_id) == 0)
			s->in_order = 0;
	if (s->count < 16)
		snprintf(s->ids[s->count], sizeof(s->ids[0]), "%s",
			 t->exception_id);
	if (t->disposition != NULL) {
		ck_assert_str_eq(t->disposition, "approve");
		ck_assert_int_eq(t->decided_at, DECIDED);
		s->decided++;
	}
	ck_assert_int_eq(t->created_at, RAISED);
	s->count++;
	return SG_OK;
}

START_TEST(test_reads_tasks)
{
	struct sg_ledger *ledger = open_fixture();
	struct seen s = { 0, "", 1, 0, 0, 0, 0, { "" }, NULL, 0, 0 };
	struct sg_error err;

	ck_assert_int_eq(sg_ledger_each_task(ledger, seen_task, &s, &err),
			 SG_OK);
	ck_assert_uint_eq(s.count, 10);
	ck_assert_uint_eq(s.decided, 1);
	ck_assert(s.in_order);
	sg_ledger_close(ledger);
}
END_TEST

static int seen_run(void *arg, sg_time as_of, struct sg_error *err)
{
	struct seen *s = arg;

	(void)err;
	ck_assert_int_eq(as_of, RAISED);
	s->count++;
	return SG_OK;
}

START_TEST(test_reads_runs_in_window)
{
	struct sg_ledger *ledger = open_fixture();
	struct seen s = { 0, "", 1, 0, 0, 0, 0, { "" }, NULL, 0, 0 };
	struct sg_error err;

	ck_assert_int_eq(sg_ledger_each_run_as_of(ledger, 0, RAISED + 1,
						  RAISED, seen_run, &s, &err),
			 SG_OK);
	ck_assert_uint_eq(s.count, 1);
	/* until is exclusive, t inclusive. */
	ck_assert_int_eq(sg_ledger_each_run_as_of(ledger, 0, RAISED, RAISED,
						  seen_run, &s, &err), SG_OK);
	ck_assert_int_eq(sg_ledger_each_run_as_of(ledger, 0, RAISED + 1,
						  RAISED - 1, seen_run, &s,
						  &err), SG_OK);
	ck_assert_uint_eq(s.count, 1);
	sg_ledger_close(ledger);
}
END_TEST

/* A queue's row: what a queue lists, by due time then id, and neither
 * the detail nor the note. */
static int seen_queue_row(struct seen *s, const struct sg_review_row *r)
{
	ck_assert_ptr_null(r->ex.note);
	ck_assert_ptr_null(r->ex.details);
	ck_assert_ptr_null(r->missing);
	ck_assert_ptr_null(r->amount);
	ck_assert_ptr_nonnull(r->ex.id);
	ck_assert_ptr_nonnull(r->ex.type);
	ck_assert_ptr_nonnull(r->ex.verdict);
	ck_assert_ptr_nonnull(r->ex.opportunity_id);
	ck_assert_ptr_nonnull(r->status);
	ck_assert(r->created_at != SG_TIME_NONE);
	ck_assert(r->due_at != SG_TIME_NONE);
	ck_assert(s->count == 0 || r->due_at > s->last_due ||
		  (r->due_at == s->last_due &&
		   strcmp(r->ex.id, s->last) > 0));
	s->last_due = r->due_at;
	snprintf(s->last, sizeof(s->last), "%s", r->ex.id);
	if (r->decided_at != SG_TIME_NONE)
		s->decided++;
	s->count++;
	return SG_OK;
}

static int seen_row(void *arg, const struct sg_review_row *r,
		    struct sg_error *err)
{
	struct seen *s = arg;

	(void)err;
	ck_assert(r->has_task);
	ck_assert_ptr_nonnull(r->assignee);
	if (s->queue)
		return seen_queue_row(s, r);
	ck_assert_ptr_nonnull(r->ex.note);
	ck_assert_ptr_nonnull(r->ex.details);
	if (strcmp(r->ex.type, "missing_evidence") == 0 ||
	    strcmp(r->ex.type, "required_field") == 0) {
		ck_assert_ptr_nonnull(r->missing);
		snprintf(s->last, sizeof(s->last), "%s", r->missing);
		ck_assert_str_eq(r->missing,
				 strcmp(r->ex.type, "required_field") == 0 ?
				 "close_date" : s->want_missing != NULL ?
				 s->want_missing : "pain_confirmed");
		s->with_missing++;
	} else {
		ck_assert_ptr_null(r->missing);
	}
	if (r->amount != NULL) {
		ck_assert_str_eq(r->ex.type, "forecast_impact");
		s->with_amount++;
	}
	if (r->decided_at != SG_TIME_NONE)
		s->decided++;
	s->count++;
	return SG_OK;
}

static struct seen review_rows(struct sg_ledger *ledger, int which,
			       sg_time t, sg_time from, sg_time until)
{
	struct sg_review_rows_query q = { which, t, from, until };
	struct seen s = { 0, "", 1, 0, 0, 0, 0, { "" }, NULL, 0, 0 };
	struct sg_error err;

	s.queue = which == SG_ROWS_OPEN_AT;
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_each_review_row(ledger, &q, seen_row, &s,
						   &err), SG_OK);
	return s;
}

/* Schema 7: the exception_raised events a ledger stored are read from
 * their exceptions; one that says something else than its exception
 * (its time moved here) stays stored, and is listed once. */
START_TEST(test_raised_events_from_exceptions)
{
	char path[512];
	struct sg_ledger *ledger;
	sqlite3 *db;

	tmp_path(path, sizeof(path), "raised.db");
	write_v2_ledger(path, 2);
	db = db_open(path);
	db_exec(db, "UPDATE events SET at = at + 60 WHERE seq = 8");
	sqlite3_close(db);
	ledger = open_ok(path);
	sg_ledger_close(ledger);
	db = db_open(path);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM event_rows"
				" WHERE type = 'exception_raised'"), 1);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM events"
				" WHERE type = 'exception_raised'"), 10);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM events"
				" WHERE seq = 8"), 1);
	ck_assert_int_eq(db_int(db, "SELECT at - 1795197600 FROM events"
				" WHERE seq = 8"), 60);
	ck_assert_int_eq(db_int(db, "SELECT count(*) - count(DISTINCT seq)"
				" FROM events"), 0);
	sqlite3_close(db);
}
END_TEST

/* "missing" is the detail's array joined with ", " in its order, a
 * value that is not a string as its JSON. */
START_TEST(test_review_row_missing_joined)
{
	struct sg_review_rows_query q = { SG_ROWS_EXCEPTIONS, RAISED, 0, 0 };
	struct seen s = { 0, "", 1, 0, 0, 0, 0, { "" }, "b_first, a, 3", 0,
			  0 };
	struct sg_ledger *ledger;
	struct sg_error err;
	char path[512];
	sqlite3 *db;

	tmp_path(path, sizeof(path), "joined.db");
	write_v2_ledger(path, 2);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	db_exec(db, "UPDATE exceptions SET detail = json_set(detail,"
		" '$.missing', json('[\"b_first\", \"a\", 3]'))"
		" WHERE type = 'missing_evidence'");
	sqlite3_close(db);
	ledger = open_ok(path);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_each_review_row(ledger, &q, seen_row, &s,
						   &err), SG_OK);
	ck_assert_uint_eq(s.with_missing, 2);
	sg_ledger_close(ledger);
}
END_TEST

/* A review row as one line of text, each member the queue carries. */
static void dump_review_row(struct sg_text *t, const struct sg_review_row *r)
{
	const char *texts[] = {
		r->ex.id, r->ex.type, r->ex.verdict, r->ex.opportunity_id,
		r->ex.opportunity_name, r->ex.owner_id, r->ex.assignee,
		r->ex.from_stage, r->ex.to_stage, r->ex.stage, r->assignee,
		r->status, r->disposition, r->decided_by, r->decision_note,
	};
	const sg_time times[] = {
		r->ex.event_at, r->ex.detected_at, r->ex.due_at,
		r->created_at, r->due_at, r->decided_at, r->has_task,
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *v = texts[i] != NULL ? texts[i] : "(null)";

		ck_assert_int_eq(sg_text_append(t, v, strlen(v)), SG_OK);
		ck_assert_int_eq(sg_text_append(t, "|", 1), SG_OK);
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		snprintf(buf, sizeof(buf), "%lld|", (long long)times[i]);
		ck_assert_int_eq(sg_text_append(t, buf, strlen(buf)), SG_OK);
	}
	ck_assert_int_eq(sg_text_append(t, "\n", 1), SG_OK);
}

/* The exceptions walk's rows, each kept by its id. */
struct rows_by_id {
	char ids[16][64];
	struct sg_text lines[16];
	size_t count;
};

static int keep_row_by_id(void *arg, const struct sg_review_row *r,
			  struct sg_error *err)
{
	struct rows_by_id *k = arg;

	(void)err;
	ck_assert_uint_lt(k->count, 16);
	snprintf(k->ids[k->count], sizeof(k->ids[0]), "%s", r->ex.id);
	dump_review_row(&k->lines[k->count], r);
	k->count++;
	return SG_OK;
}

/* How many of the kept rows hold text. */
static size_t rows_with(const struct rows_by_id *k, const char *text)
{
	size_t i, n = 0;

	for (i = 0; i < k->count; i++)
		n += strstr(k->lines[i].s, text) != NULL;
	return n;
}

static int keep_queue_row(void *arg, const struct sg_review_row *r,
			  struct sg_error *err)
{
	ck_assert_ptr_null(r->ex.details);
	ck_assert_ptr_null(r->ex.note);
	return keep_row_by_id(arg, r, err);
}

/* The queue, sorted in C, gives the rows SQLite gives in the order of
 * ORDER BY due_at, id, each member as the exceptions' walk reads it:
 * due times apart and tied, a NULL name, a reassigned and a decided
 * task. */
START_TEST(test_queue_as_sql_orders_it)
{
	struct sg_review_rows_query all = { SG_ROWS_EXCEPTIONS, DECIDED, 0,
					    0 };
	struct sg_review_rows_query queue = { SG_ROWS_OPEN_AT, DECIDED - 1,
					      0, 0 };
	struct rows_by_id k, got;
	struct sg_ledger *ledger;
	struct sg_error err;
	char path[512], order[1024], *id, *save = NULL;
	sqlite3 *db;
	size_t i, n = 0;

	memset(&k, 0, sizeof(k));
	memset(&got, 0, sizeof(got));
	tmp_path(path, sizeof(path), "queue_order.db");
	write_v2_ledger(path, 2);
	ledger = open_ok(path);
	sg_ledger_close(ledger);
	db = db_open(path);
	db_exec(db, "UPDATE exceptions SET due_at = due_at - 3600"
		" WHERE rowid IN (2, 5, 9)");
	db_exec(db, "UPDATE exceptions SET opportunity_name = NULL"
		" WHERE rowid = 4");
	db_exec(db, "UPDATE exceptions SET reviewer = 'm9' WHERE rowid = 6");
	sqlite3_close(db);
	db_text_of(path, "SELECT group_concat(id, ' ') FROM (SELECT id FROM"
		   " exceptions ORDER BY due_at, id)", order, sizeof(order));
	ledger = open_ok(path);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_each_review_row(ledger, &queue,
						   keep_queue_row, &got, &err),
			 SG_OK);
	ck_assert_int_eq(sg_ledger_each_review_row(ledger, &all,
						   keep_row_by_id, &k, &err),
			 SG_OK);
	ck_assert_uint_eq(k.count, 10);
	ck_assert_uint_eq(got.count, 10);
	for (id = strtok_r(order, " ", &save); id != NULL;
	     id = strtok_r(NULL, " ", &save), n++) {
		for (i = 0; i < k.count && strcmp(k.ids[i], id) != 0; i++)
			;
		ck_assert_uint_lt(i, k.count);
		ck_assert_str_eq(got.ids[n], id);
		ck_assert_str_eq(got.lines[n].s, k.lines[i].s);
	}
	ck_assert_uint_eq(n, 10);
	/* The cases are there: three due earlier, the reassigned task,
	 * the decided one, the one without a name (its fifth member). */
	ck_assert_uint_eq(rows_with(&got, "|1795366800|"), 3);
	ck_assert_uint_eq(rows_with(&got, "|m9|"), 1);
	ck_assert_uint_eq(rows_with(&got, "|closed|"), 1);
	db_text_of(path, "SELECT id || '|' FROM exceptions WHERE rowid = 4",
		   order, sizeof(order));
	ck_assert_uint_eq(rows_with(&got, order), 1);
	for (i = 0; strncmp(got.lines[i].s, order, strlen(order)) != 0; i++)
		;
	for (id = got.lines[i].s, n = 0; n < 4; n++)
		id = strchr(id, '|') + 1;
	ck_assert_int_eq(strncmp(id, "(null)|", 7), 0);
	for (i = 0; i < k.count; i++) {
		sg_text_release(&k.lines[i]);
		sg_text_release(&got.lines[i]);
	}
	sg_ledger_close(ledger);
}
END_TEST

static int count_missing(void *arg, const struct sg_review_row *r,
			 struct sg_error *err)
{
	size_t *with_missing = arg;

	(void)err;
	if (r->missing != NULL)
		(*with_missing)++;
	return SG_OK;
}

/* A detail that is not JSON (a damaged ledger) gives no "missing" text,
 * as json_each gave none, and the walk goes on. */
START_TEST(test_review_row_detail_not_json)
{
	struct sg_review_rows_query q = { SG_ROWS_EXCEPTIONS, RAISED, 0, 0 };
	struct sg_ledger *ledger;
	struct sg_error err;
	size_t with_missing = 0;
	char path[512];
	sqlite3 *db;

	tmp_path(path, sizeof(path), "not_json.db");
	write_v2_ledger(path, 2);
	ledger = open_ok(path);
	sg_ledger_close(ledger);
	db = db_open(path);
	db_exec(db, "UPDATE exceptions SET detail = '{\"missing\": [\"pain'"
		" WHERE rowid = (SELECT min(rowid) FROM exceptions"
		" WHERE type = 'missing_evidence')");
	sqlite3_close(db);
	ledger = open_ok(path);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_each_review_row(ledger, &q, count_missing,
						   &with_missing, &err),
			 SG_OK);
	/* The fixture's other one (test_reads_review_rows counts two). */
	ck_assert_uint_eq(with_missing, 1);
	sg_ledger_close(ledger);
}
END_TEST

START_TEST(test_reads_review_rows)
{
	struct sg_ledger *ledger = open_fixture();
	struct seen s;

	s = review_rows(ledger, SG_ROWS_EXCEPTIONS, RAISED, 0, 0);
	ck_assert_uint_eq(s.count, 10);
	ck_assert_uint_eq(s.with_missing, 2);
	ck_assert_uint_eq(s.with_amount, 1);
	ck_assert_uint_eq(s.decided, 1);
	s = review_rows(ledger, SG_ROWS_EXCEPTIONS, RAISED - 1, 0, 0);
	ck_assert_uint_eq(s.count, 0);
	/* Open at t: the decided task leaves the queue when decided. */
	s = review_rows(ledger, SG_ROWS_OPEN_AT, DECIDED - 1, 0, 0);
	ck_assert_uint_eq(s.count, 10);
	s = review_rows(ledger, SG_ROWS_OPEN_AT, DECIDED, 0, 0);
	ck_assert_uint_eq(s.count, 9);
	s = review_rows(ledger, SG_ROWS_RAISED_IN, DUE, RAISED, RAISED + 1);
	ck_assert_uint_eq(s.count, 10);
	s = review_rows(ledger, SG_ROWS_RAISED_IN, DUE, 0, RAISED);
	ck_assert_uint_eq(s.count, 0);
	sg_ledger_close(ledger);
}
END_TEST

static int seen_type(void *arg, const char *type, size_t count, size_t open,
		     struct sg_error *err)
{
	struct seen *s = arg;

	(void)err;
	if (strcmp(type, "stage_age") == 0)
		ck_assert_uint_eq(count, 2);
	ck_assert_uint_le(open, count);
	s->count++;
	s->sum += (long long)count;
	return SG_OK;
}

static int seen_owner(void *arg, const struct sg_owner_counts *o,
		      struct sg_error *err)
{
	struct seen *s = arg;

	(void)err;
	ck_assert_uint_le(o->block + o->review, o->exceptions);
	ck_assert_uint_le(o->overdue, o->open_reviews);
	s->count++;
	s->sum += (long long)o->exceptions;
	return SG_OK;
}

static int seen_gap(void *arg, const char *criterion, size_t exceptions,
		    size_t opportunities, struct sg_error *err)
{
	struct seen *s = arg;

	(void)err;
	ck_assert_ptr_nonnull(criterion);
	ck_assert_uint_eq(exceptions, 1);
	ck_assert_uint_eq(opportunities, 1);
	s->count++;
	return SG_OK;
}

START_TEST(test_reads_counts)
{
	struct sg_ledger *ledger = open_fixture();
	struct seen types = { 0, "", 1, 0, 0, 0, 0, { "" }, NULL, 0, 0 };
	struct seen owners = types;
	struct seen gaps = types;
	struct sg_error err;

	ck_assert_int_eq(sg_ledger_type_counts(ledger, RAISED, seen_type,
					       &types, &err), SG_OK);
	ck_assert_uint_eq(types.count, 9);
	ck_assert_int_eq(types.sum, 10);
	ck_assert_int_eq(sg_ledger_owner_counts(ledger, RAISED, seen_owner,
						&owners, &err), SG_OK);
	ck_assert_int_eq(owners.sum, 10);
	ck_assert_int_eq(sg_ledger_evidence_gaps(ledger, RAISED, seen_gap,
						 &gaps, &err), SG_OK);
	ck_assert_uint_ge(gaps.count, 1);
	sg_ledger_close(ledger);
}
END_TEST

static int dump_owner(void *arg, const struct sg_owner_counts *o,
		      struct sg_error *err)
{
	struct sg_text *t = arg;
	char line[256];

	(void)err;
	snprintf(line, sizeof(line), "%s|%zu|%zu|%zu|%zu|%zu\n",
		 o->owner_id != NULL ? o->owner_id : "(null)", o->exceptions,
		 o->block, o->review, o->open_reviews, o->overdue);
	ck_assert_int_eq(sg_text_append(t, line, strlen(line)), SG_OK);
	return SG_OK;
}

/* The owners' counts as SQLite's GROUP BY gives them, in its order:
 * the NULL owner first, then by id byte by byte ("" before the rest). */
static void grouped_owners(const char *path, sg_time t, struct sg_text *out)
{
	char sql[768];
	sqlite3 *db = db_open(path);
	sqlite3_stmt *stmt;
	char line[256];

	snprintf(sql, sizeof(sql), "SELECT coalesce(owner_id, '(null)'),"
		 " count(*), sum(verdict = 'block'), sum(verdict = 'review'),"
		 " sum(detected_at <= %1$lld AND (decided_at IS NULL OR"
		 " decided_at > %1$lld)), sum(detected_at <= %1$lld AND"
		 " (decided_at IS NULL OR decided_at > %1$lld) AND"
		 " due_at < %1$lld) FROM exceptions WHERE first_seen <="
		 " %1$lld GROUP BY owner_id ORDER BY owner_id", (long long)t);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
			 SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		snprintf(line, sizeof(line), "%s|%lld|%lld|%lld|%lld|%lld\n",
			 sqlite3_column_text(stmt, 0),
			 sqlite3_column_int64(stmt, 1),
			 sqlite3_column_int64(stmt, 2),
			 sqlite3_column_int64(stmt, 3),
			 sqlite3_column_int64(stmt, 4),
			 sqlite3_column_int64(stmt, 5));
		ck_assert_int_eq(sg_text_append(out, line, strlen(line)),
				 SG_OK);
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

static int dump_type(void *arg, const char *type, size_t count,
		     size_t open, struct sg_error *err)
{
	struct sg_text *t = arg;
	char line[256];

	(void)err;
	snprintf(line, sizeof(line), "%s|%zu|%zu\n", type, count, open);
	ck_assert_int_eq(sg_text_append(t, line, strlen(line)), SG_OK);
	return SG_OK;
}

/* The type counts as SQLite's GROUP BY gives them, in its order. */
static void grouped_types(const char *path, sg_time t, struct sg_text *out)
{
	char sql[512], line[256];
	sqlite3 *db = db_open(path);
	sqlite3_stmt *stmt;

	snprintf(sql, sizeof(sql), "SELECT type, count(*),"
		 " sum(detected_at <= %1$lld AND (decided_at IS NULL OR"
		 " decided_at > %1$lld)) FROM exceptions WHERE first_seen <="
		 " %1$lld GROUP BY type ORDER BY type", (long long)t);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
			 SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		snprintf(line, sizeof(line), "%s|%lld|%lld\n",
			 sqlite3_column_text(stmt, 0),
			 sqlite3_column_int64(stmt, 1),
			 sqlite3_column_int64(stmt, 2));
		ck_assert_int_eq(sg_text_append(out, line, strlen(line)),
				 SG_OK);
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

/* Owners and types added up in C give what GROUP BY gave: a NULL owner,
 * an empty one, ids that differ by case, an owner of one exception and
 * of several, in the ledger's order mixed. */
START_TEST(test_owner_counts_as_grouped)
{
	static const sg_time at[] = { RAISED, DECIDED - 1, DECIDED, DUE + 1 };
	struct sg_text got = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct sg_ledger *ledger;
	struct sg_error err;
	char path[512];
	sqlite3 *db;
	size_t i;

	tmp_path(path, sizeof(path), "owners.db");
	write_v2_ledger(path, 2);
	ledger = open_ok(path);
	sg_ledger_close(ledger);
	db = db_open(path);
	db_exec(db, "UPDATE exceptions SET owner_id = CASE rowid % 5"
		" WHEN 0 THEN NULL WHEN 1 THEN 'zed' WHEN 2 THEN ''"
		" WHEN 3 THEN 'Amy' ELSE 'amy' END");
	db_exec(db, "UPDATE exceptions SET owner_id = 'solo', verdict ="
		" 'block' WHERE rowid = (SELECT max(rowid) FROM exceptions)");
	db_exec(db, "UPDATE exceptions SET type = upper(type)"
		" WHERE rowid % 3 = 0");
	sqlite3_close(db);
	ledger = open_ok(path);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		got.len = want.len = 0;
		sg_error_clear(&err);
		ck_assert_int_eq(sg_ledger_owner_counts(ledger, at[i],
							dump_owner, &got,
							&err), SG_OK);
		grouped_owners(path, at[i], &want);
		ck_assert_ptr_nonnull(got.s);
		ck_assert_str_eq(got.s, want.s);
		ck_assert_ptr_nonnull(strstr(got.s, "(null)|"));
		ck_assert_ptr_nonnull(strstr(got.s, "\n|"));
		ck_assert_ptr_nonnull(strstr(got.s, "solo|1|1|0|"));
		got.len = want.len = 0;
		ck_assert_int_eq(sg_ledger_type_counts(ledger, at[i],
						       dump_type, &got, &err),
				 SG_OK);
		grouped_types(path, at[i], &want);
		ck_assert_ptr_nonnull(got.s);
		ck_assert_str_eq(got.s, want.s);
	}
	/* Types that differ by case only are two. */
	ck_assert_ptr_nonnull(strstr(want.s, "STAGE_AGE|"));
	ck_assert_ptr_nonnull(strstr(want.s, "stage_age|"));
	/* Before the first exception: no group, no empty one. */
	got.len = 0;
	ck_assert_int_eq(sg_ledger_owner_counts(ledger, RAISED - 1,
						dump_owner, &got, &err),
			 SG_OK);
	ck_assert_int_eq(sg_ledger_type_counts(ledger, RAISED - 1, dump_type,
					       &got, &err), SG_OK);
	ck_assert_uint_eq(got.len, 0);
	sg_text_release(&got);
	sg_text_release(&want);
	sg_ledger_close(ledger);
}
END_TEST

static void dump_cells(struct sg_text *t, const struct sg_cell *cells,
		       size_t n)
{
	char buf[64];
	size_t i;

	for (i = 0; i < n; i++) {
		if (cells[i].null)
			snprintf(buf, sizeof(buf), "%s", "NULL");
		else if (cells[i].kind == SG_CELL_TEXT)
			buf[0] = '\0';
		else
			snprintf(buf, sizeof(buf), "%lld", cells[i].number);
		ck_assert_int_eq(sg_text_append(t, buf, strlen(buf)), SG_OK);
		if (!cells[i].null && cells[i].kind == SG_CELL_TEXT)
			ck_assert_int_eq(sg_text_append(t, cells[i].text,
							strlen(cells[i].text)),
					 SG_OK);
		ck_assert_int_eq(sg_text_append(t, i + 1 < n ? "|" : "\n", 1),
				 SG_OK);
	}
}

static int dump_task_row(void *arg, const struct sg_cell *cells,
			 struct sg_error *err)
{
	const char *const *names;
	const int *kinds;
	size_t n;

	(void)err;
	sg_ledger_table_columns(SG_LEDGER_TASKS, &names, &kinds, &n);
	dump_cells(arg, cells, n);
	return SG_OK;
}

static int dump_exception_task(void *arg, const struct sg_exception_record *rec,
			       const struct sg_cell *task, struct sg_error *err)
{
	ck_assert_str_eq(rec->id, task[0].text);
	return dump_task_row(arg, task, err);
}

/* The exceptions with their tasks give each task as the table of tasks
 * does, in the same order (by id), and as the ledger's view of the tasks
 * says: a reassigned one, a decided one. */
START_TEST(test_exceptions_with_tasks)
{
	struct sg_text tasks = { NULL, 0, 0 }, walked = { NULL, 0, 0 };
	struct sg_ledger *ledger;
	struct sg_error err;
	char path[512], view[4096];
	sqlite3 *db;

	tmp_path(path, sizeof(path), "with_tasks.db");
	write_v2_ledger(path, 2);
	ledger = open_ok(path);
	sg_ledger_close(ledger);
	db = db_open(path);
	db_exec(db, "UPDATE exceptions SET reviewer = 'm9' WHERE rowid = 3");
	sqlite3_close(db);
	ledger = open_ok(path);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_each_table_row(ledger, SG_LEDGER_TASKS,
						  dump_task_row, &tasks, &err),
			 SG_OK);
	ck_assert_int_eq(sg_ledger_each_exception_and_task(
				 ledger, dump_exception_task, &walked, &err),
			 SG_OK);
	ck_assert_ptr_nonnull(tasks.s);
	ck_assert_ptr_nonnull(walked.s);
	ck_assert_str_eq(walked.s, tasks.s);
	/* Both say what the file's view of the tasks says. */
	db_text_of(path, "SELECT group_concat(line, char(10)) || char(10)"
		   " FROM (SELECT exception_id || '|' || assignee || '|' ||"
		   " created_at || '|' || due_at || '|' || status || '|' ||"
		   " coalesce(disposition, 'NULL') || '|' ||"
		   " coalesce(decided_by, 'NULL') || '|' ||"
		   " coalesce(decided_at, 'NULL') || '|' ||"
		   " coalesce(decision_note, 'NULL') AS line"
		   " FROM tasks ORDER BY exception_id)", view, sizeof(view));
	ck_assert_str_eq(tasks.s, view);
	ck_assert_ptr_nonnull(strstr(tasks.s, "|m9|"));
	ck_assert_ptr_nonnull(strstr(tasks.s, "|closed|"));
	sg_text_release(&tasks);
	sg_text_release(&walked);
	sg_ledger_close(ledger);
}
END_TEST

static int seen_event(void *arg, const struct sg_event_record *ev,
		      struct sg_error *err)
{
	struct seen *s = arg;

	(void)err;
	ck_assert_int_gt(ev->seq, s->sum);
	s->sum = ev->seq;
	ck_assert_ptr_nonnull(ev->type);
	s->count++;
	return SG_OK;
}

START_TEST(test_reads_events)
{
	struct sg_ledger *ledger = open_fixture();
	struct seen all = { 0, "", 1, 0, 0, 0, 0, { "" }, NULL, 0, 0 };
	struct seen raised = all;
	struct sg_error err;

	ck_assert_int_eq(sg_ledger_each_event(ledger, SG_TIME_NONE, NULL,
					      seen_event, &all, &err), SG_OK);
	ck_assert_uint_eq(all.count, 14);
	ck_assert_int_eq(sg_ledger_each_event(ledger, SG_TIME_NONE,
					      "exception_raised", seen_event,
					      &raised, &err), SG_OK);
	ck_assert_uint_eq(raised.count, 10);
	sg_ledger_close(ledger);
}
END_TEST

static int seen_cells(void *arg, const struct sg_cell *cells,
		      struct sg_error *err)
{
	struct seen *s = arg;

	(void)err;
	if (s->count == 0)
		snprintf(s->last, sizeof(s->last), "%s", cells[0].text);
	if (cells[1].kind == SG_CELL_INT && !cells[1].null)
		s->sum += cells[1].number;
	s->count++;
	return SG_OK;
}

START_TEST(test_reads_tables)
{
	struct sg_ledger *ledger = open_fixture();
	struct seen runs = { .in_order = 1 }, tasks = runs;
	const char *const *names;
	const int *kinds;
	size_t count;
	struct sg_error err;

	sg_ledger_table_columns(SG_LEDGER_RUNS, &names, &kinds, &count);
	ck_assert_uint_eq(count, 15);
	ck_assert_str_eq(names[0], "id");
	ck_assert_int_eq(kinds[1], SG_CELL_INT);
	ck_assert_int_eq(sg_ledger_each_table_row(ledger, SG_LEDGER_RUNS,
						  seen_cells, &runs, &err),
			 SG_OK);
	ck_assert_uint_eq(runs.count, 1);
	ck_assert_str_eq(runs.last, "26aa4b775beafceecc6aa5e7adf95ae0");
	ck_assert_int_eq(runs.sum, 1);  /* seq */
	ck_assert_int_eq(sg_ledger_each_table_row(ledger, SG_LEDGER_TASKS,
						  seen_cells, &tasks, &err),
			 SG_OK);
	ck_assert_uint_eq(tasks.count, 10);
	ck_assert_int_eq(sg_ledger_each_table_row(ledger, 99, seen_cells,
						  &tasks, &err),
			 SG_ERR_INTERNAL);
	sg_ledger_close(ledger);
}
END_TEST

/* A read inside a transaction already open starts none of its own. */
START_TEST(test_reads_nest_in_a_transaction)
{
	struct sg_ledger *ledger = open_fixture();
	struct sg_error err;

	ck_assert_int_eq(sg_ledger_read_begin(ledger, &err), SG_OK);
	ck_assert_int_eq(sqlite3_get_autocommit(ledger->db), 0);
	sg_ledger_read_end(ledger);
	ck_assert_int_eq(sqlite3_get_autocommit(ledger->db), 1);
	ck_assert_int_eq(sqlite3_exec(ledger->db, "BEGIN IMMEDIATE", NULL,
				      NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sg_ledger_read_begin(ledger, &err), SG_OK);
	sg_ledger_read_end(ledger);
	/* The caller's transaction is still open. */
	ck_assert_int_eq(sqlite3_get_autocommit(ledger->db), 0);
	ck_assert_int_eq(sqlite3_exec(ledger->db, "ROLLBACK", NULL, NULL,
				      NULL), SQLITE_OK);
	sg_ledger_close(ledger);
}
END_TEST

/* ---- kept records (core/sg_kept.c) ---- */

/* Emits count stage events, enough for several chunks. */
static void kept_emit(struct sg_kept *k, int count)
{
	struct sg_inputs_writer *w = sg_kept_writer(k);
	struct sg_error err;
	char opp[32];
	int i;

	for (i = 0; i < count; i++) {
		struct sg_rec_stage_event e = {
			opp, "discovery", "proposal", AS_OF_1 + i,
			"a-seller-with-a-long-name@example.com", "crm"
		};
		struct sg_where where = { "stage_history.csv", i + 2 };

		snprintf(opp, sizeof(opp), "O%07d", i);
		if (sg_inputs_add_stage_event(w, 0, &e, &where, &err) != SG_OK)
			return;
	}
}

/* The chunks reach the ledger from the kept records' thread, in order,
 * each once; a run refers to them all. */
START_TEST(test_kept_stores_chunks)
{
	struct sg_run_record run = sg_test_make_run(AS_OF_1);
	struct sg_ledger *ledger;
	struct sg_kept *k;
	struct sg_error err;
	char path[512];
	size_t i;

	tmp_path(path, sizeof(path), "kept.db");
	ledger = open_ok(path);
	ck_assert_int_eq(sg_kept_new(&k, ledger, &err), SG_OK);
	kept_emit(k, 40000);
	ck_assert_int_eq(sg_kept_finish(k, &run, &err), SG_OK);
	ck_assert_uint_ge(run.input_count, 2);
	for (i = 0; i < run.input_count; i++)
		ck_assert_uint_eq(run.inputs[i].seq, i);
	record_ok(ledger, &run, NULL, 0, NULL);
	sg_kept_free(k);
	sg_ledger_close(ledger);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM run_inputs"),
			 (long long)run.input_count);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM input_chunks"),
			 (long long)run.input_count);
}
END_TEST

/* The kept records load back into a model (every stage event, its
 * opportunity missing: counted as orphans); a load interrupted
 * (sg_host_request_cancel()) stops with SG_ERR_CANCELLED.  Check forks
 * each test, so the request ends with it. */
START_TEST(test_kept_load_and_cancel)
{
	static const char rules[] =
		"{\"pipeline\": {\"id\": \"default\"},"
		" \"stages\": [{\"id\": \"discovery\"}, {\"id\": \"proposal\"},"
		"  {\"id\": \"won\", \"closed\": true, \"won\": true}]}";
	struct sg_run_record run = sg_test_make_run(AS_OF_1);
	struct sg_model_view view;
	struct sg_config *config;
	struct sg_ledger *ledger;
	struct sg_model *m;
	struct sg_kept *k;
	struct sg_error err;
	char path[512];

	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load_text(&config, "rules.json", ".",
					     rules, strlen(rules), &err),
			 SG_OK);
	tmp_path(path, sizeof(path), "load.db");
	ledger = open_ok(path);
	ck_assert_int_eq(sg_kept_new(&k, ledger, &err), SG_OK);
	kept_emit(k, 40000);
	ck_assert_int_eq(sg_kept_finish(k, &run, &err), SG_OK);
	record_ok(ledger, &run, NULL, 0, NULL);
	sg_kept_free(k);

	ck_assert_int_eq(sg_model_new(&m, config, &err), SG_OK);
	ck_assert_int_eq(sg_kept_load(m, ledger, run.id, &err), SG_OK);
	ck_assert_int_eq(sg_model_finish(m, &err), SG_OK);
	sg_model_view(m, &view);
	ck_assert_uint_eq(view.orphan_records, 40000);
	sg_model_free(m);

	sg_host_request_cancel();
	ck_assert_int_eq(sg_model_new(&m, config, &err), SG_OK);
	ck_assert_int_eq(sg_kept_load(m, ledger, run.id, &err),
			 SG_ERR_CANCELLED);
	ck_assert_str_eq(err.message, "cancelled");
	sg_model_free(m);
	sg_ledger_close(ledger);
	sg_config_free(config);
}
END_TEST

/* Keeps count records in a new sg_kept and records the run at as_of;
 * returns the totals and (in refs, malloc'd) the chunks it refers to. */
static void kept_run(struct sg_ledger *ledger, sg_time as_of, int count,
		     struct sg_inputs_totals *totals,
		     struct sg_input_ref **refs, size_t *ref_count)
{
	struct sg_run_record run = sg_test_make_run(as_of);
	struct sg_kept *k;
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_kept_new(&k, ledger, &err), SG_OK);
	kept_emit(k, count);
	ck_assert_int_eq(sg_kept_finish(k, &run, &err), SG_OK);
	sg_kept_totals(k, totals);
	*ref_count = run.input_count;
	*refs = malloc(run.input_count * sizeof(**refs));
	ck_assert_ptr_nonnull(*refs);
	memcpy(*refs, run.inputs, run.input_count * sizeof(**refs));
	record_ok(ledger, &run, NULL, 0, NULL);
	sg_kept_free(k);
}

/* The same records kept again: each chunk is found by the digest of its
 * records and referred to as stored, not compressed and stored again; a
 * chunk stored without that digest (by an older stageguard) gets it the
 * next time it is kept. */
START_TEST(test_kept_reuses_chunks)
{
	struct sg_input_ref *first, *second, *third;
	struct sg_inputs_totals t1, t2, t3;
	struct sg_ledger *ledger;
	size_t n1, n2, n3, i;
	char path[512];
	sqlite3 *db;

	tmp_path(path, sizeof(path), "reuse.db");
	ledger = open_ok(path);
	kept_run(ledger, AS_OF_1, 40000, &t1, &first, &n1);
	ck_assert_uint_ge(n1, 2);
	ck_assert_uint_eq(t1.stored_before, 0);
	kept_run(ledger, AS_OF_1 + DAY, 40000, &t2, &second, &n2);
	ck_assert_uint_eq(n2, n1);
	ck_assert_uint_eq(t2.stored_before, n1);
	ck_assert_uint_eq(t2.stored_bytes, t1.stored_bytes);
	for (i = 0; i < n1; i++)
		ck_assert_str_eq(second[i].sha256, first[i].sha256);
	sg_ledger_close(ledger);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM input_chunks"),
			 (long long)n1);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM input_chunks"
				  " WHERE length(raw_sha256) = 64"),
			 (long long)n1);
	/* As an older stageguard left them: no digest of the records. */
	db = db_open(path);
	db_exec(db, "UPDATE input_chunks SET raw_sha256 = NULL");
	sqlite3_close(db);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM input_chunks"
				  " WHERE raw_sha256 IS NULL"), (long long)n1);
	ledger = open_ok(path);
	kept_run(ledger, AS_OF_1 + 2 * DAY, 40000, &t3, &third, &n3);
	ck_assert_uint_eq(t3.stored_before, 0);
	for (i = 0; i < n1; i++)
		ck_assert_str_eq(third[i].sha256, first[i].sha256);
	sg_ledger_close(ledger);
	ck_assert_int_eq(file_int(path, "SELECT count(*) FROM input_chunks"
				  " WHERE length(raw_sha256) = 64"),
			 (long long)n1);
	/* Two chunks' digests swapped (a damaged ledger): their sizes
	 * differ, so neither is taken for the other; they are compressed
	 * again and the run refers to the right chunks. */
	ck_assert_int_eq(file_int(path, "SELECT count(DISTINCT raw_size) FROM"
				  " input_chunks"), (long long)n1);
	db = db_open(path);
	db_exec(db, "UPDATE input_chunks SET raw_sha256 = CASE sha256"
		" WHEN (SELECT min(sha256) FROM input_chunks)"
		" THEN (SELECT raw_sha256 FROM input_chunks WHERE sha256 ="
		"  (SELECT max(sha256) FROM input_chunks))"
		" ELSE (SELECT raw_sha256 FROM input_chunks WHERE sha256 ="
		"  (SELECT min(sha256) FROM input_chunks)) END"
		" WHERE sha256 IN ((SELECT min(sha256) FROM input_chunks),"
		" (SELECT max(sha256) FROM input_chunks))");
	sqlite3_close(db);
	free(third);
	ledger = open_ok(path);
	kept_run(ledger, AS_OF_1 + 3 * DAY, 40000, &t3, &third, &n3);
	ck_assert_uint_eq(t3.stored_before, n1 - 2);
	for (i = 0; i < n1; i++)
		ck_assert_str_eq(third[i].sha256, first[i].sha256);
	sg_ledger_close(ledger);
	free(first);
	free(second);
	free(third);
}
END_TEST

/* A chunk the ledger cannot store fails the pull at the next chunk or at
 * the drain, with the ledger's message, and the thread is stopped. */
START_TEST(test_kept_failure_reported)
{
	struct sg_run_record run = sg_test_make_run(AS_OF_1);
	struct sg_ledger *ledger;
	struct sg_kept *k;
	struct sg_error err;
	char path[512], buf[1024];

	tmp_path(path, sizeof(path), "kept-bad.db");
	ledger = open_ok(path);
	ck_assert_int_eq(sqlite3_exec(ledger->db, "CREATE TRIGGER no_chunks"
				      " BEFORE INSERT ON input_chunks BEGIN"
				      " SELECT RAISE(ABORT, 'input_chunks"
				      " refused'); END", NULL, NULL, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sg_kept_new(&k, ledger, &err), SG_OK);
	kept_emit(k, 40000);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_kept_finish(k, &run, &err), SG_ERR_LEDGER);
	sg_error_format(&err, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "input_chunks") != NULL, "%s", buf);
	/* Draining again says the same and does not hang. */
	ck_assert_int_eq(sg_kept_drain(k, &err), SG_ERR_LEDGER);
	sg_kept_free(k);
	/* Without the table, keeping fails before the pull begins. */
	ck_assert_int_eq(sqlite3_exec(ledger->db, "DROP TABLE run_inputs;"
				      " DROP TABLE input_chunks", NULL, NULL,
				      NULL), SQLITE_OK);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_kept_new(&k, ledger, &err), SG_ERR_LEDGER);
	ck_assert_ptr_null(k);
	sg_ledger_close(ledger);
}
END_TEST

/* The CRM ids a write-back sink keeps per exception (schema 5), and the
 * open tasks a sink has not written yet. */
START_TEST(test_task_refs)
{
	struct sg_ledger_exception *list = make_exceptions(0, 3);
	struct sg_run_record run = sg_test_make_run(AS_OF_1);
	struct sg_run_outcome outcome;
	struct sg_review_filter filter;
	struct sg_review_tasks tasks;
	struct sg_ledger *ledger;
	struct sg_error err;
	char path[512], long_ref[SG_TASK_REF_MAX + 2], *ref = NULL;

	tmp_path(path, sizeof(path), "refs.db");
	ledger = open_ok(path);
	record_ok(ledger, &run, list, 3, &outcome);
	ck_assert_int_eq(sg_ledger_task_ref_get(ledger, "crm", "exc-00000",
						&ref, &err), SG_OK);
	ck_assert_ptr_null(ref);
	/* "" while a create's outcome is unknown, then the CRM's id. */
	ck_assert_int_eq(sg_ledger_task_ref_put(ledger, "crm", "exc-00000", "",
						AS_OF_1, &err), SG_OK);
	ck_assert_int_eq(sg_ledger_task_ref_get(ledger, "crm", "exc-00000",
						&ref, &err), SG_OK);
	ck_assert_str_eq(ref, "");
	free(ref);
	ck_assert_int_eq(sg_ledger_task_ref_put(ledger, "crm", "exc-00000",
						"00T1", AS_OF_1, &err), SG_OK);
	ck_assert_int_eq(sg_ledger_task_ref_put(ledger, "crm", "exc-00001", "",
						AS_OF_1, &err), SG_OK);
	ck_assert_int_eq(sg_ledger_task_ref_put(ledger, "other", "exc-00002",
						"X9", AS_OF_1, &err), SG_OK);
	ck_assert_int_eq(sg_ledger_task_ref_find(ledger, "crm", "00T1", &ref,
						 &err), SG_OK);
	ck_assert_str_eq(ref, "exc-00000");
	free(ref);
	ck_assert_int_eq(sg_ledger_task_ref_find(ledger, "crm", "X9", &ref,
						 &err), SG_OK);
	ck_assert_ptr_null(ref);
	ck_assert_int_eq(sg_ledger_task_ref_find(ledger, "crm", "", &ref,
						 &err), SG_OK);
	ck_assert_ptr_null(ref);
	/* Tasks the sink has not written: the pending one and the third. */
	memset(&filter, 0, sizeof(filter));
	filter.status = SG_REVIEW_OPEN;
	filter.as_of = SG_TIME_NONE;
	filter.without_ref_of = "crm";
	ck_assert_int_eq(sg_review_list(ledger, &filter, &tasks, &err), SG_OK);
	ck_assert_uint_eq(tasks.count, 2);
	ck_assert_str_eq(tasks.items[0].id, "exc-00001");
	ck_assert_str_eq(tasks.items[1].id, "exc-00002");
	ck_assert_ptr_nonnull(strstr(tasks.items[0].details,
				     "\"missing\":[\"budget_confirmed\"]"));
	sg_review_tasks_release(&tasks);
	/* Refusals; forgetting. */
	ck_assert_int_eq(sg_ledger_task_ref_put(ledger, "crm", "exc-99999",
						"T", AS_OF_1, &err),
			 SG_ERR_NOTFOUND);
	memset(long_ref, 'r', sizeof(long_ref) - 1);
	long_ref[sizeof(long_ref) - 1] = '\0';
	ck_assert_int_eq(sg_ledger_task_ref_put(ledger, "crm", "exc-00002",
						long_ref, AS_OF_1, &err),
			 SG_ERR_PLUGIN);
	ck_assert_int_eq(sg_ledger_task_ref_put(ledger, "crm", "exc-00000",
						NULL, AS_OF_1, &err), SG_OK);
	ck_assert_int_eq(sg_ledger_task_ref_get(ledger, "crm", "exc-00000",
						&ref, &err), SG_OK);
	ck_assert_ptr_null(ref);
	sg_ledger_close(ledger);
	free_exceptions(list, 3);
}
END_TEST

static Suite *ledger_suite(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc;

	tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, setup_tmpdir, teardown_tmpdir);
	tcase_add_test(tc, test_open_creates_schema);
	tcase_add_test(tc, test_open_sets_durability);
	tcase_add_test(tc, test_reopen_keeps_data);
	tcase_add_test(tc, test_run_lock);
	tcase_add_test(tc, test_migrates_v1);
	tcase_add_test(tc, test_migrates_v2);
	tcase_add_test(tc, test_refuses_newer_schema);
	tcase_add_test(tc, test_refuses_non_database);
	tcase_add_test(tc, test_refuses_foreign_database);
	tcase_add_test(tc, test_refuses_other_application);
	tcase_add_test(tc, test_refuses_missing_folder);
	suite_add_tcase(s, tc);

	tc = tcase_create("kept");
	tcase_add_checked_fixture(tc, setup_tmpdir, teardown_tmpdir);
	tcase_add_test(tc, test_kept_stores_chunks);
	tcase_add_test(tc, test_kept_load_and_cancel);
	tcase_add_test(tc, test_kept_reuses_chunks);
	tcase_add_test(tc, test_kept_failure_reported);
	suite_add_tcase(s, tc);

	tc = tcase_create("reads");
	tcase_add_checked_fixture(tc, setup_tmpdir, teardown_tmpdir);
	tcase_add_test(tc, test_reads_task_counts);
	tcase_add_test(tc, test_reads_tasks);
	tcase_add_test(tc, test_reads_runs_in_window);
	tcase_add_test(tc, test_reads_review_rows);
	tcase_add_test(tc, test_raised_events_from_exceptions);
	tcase_add_test(tc, test_review_row_missing_joined);
	tcase_add_test(tc, test_reads_counts);
	tcase_add_test(tc, test_owner_counts_as_grouped);
	tcase_add_test(tc, test_exceptions_with_tasks);
	tcase_add_test(tc, test_queue_as_sql_orders_it);
	tcase_add_test(tc, test_review_row_detail_not_json);
	tcase_add_test(tc, test_reads_events);
	tcase_add_test(tc, test_reads_tables);
	tcase_add_test(tc, test_reads_nest_in_a_transaction);
	suite_add_tcase(s, tc);

	tc = tcase_create("record");
	tcase_add_checked_fixture(tc, setup_tmpdir, teardown_tmpdir);
	tcase_add_test(tc, test_record_run);
	tcase_add_test(tc, test_record_again_is_idempotent);
	tcase_add_test(tc, test_record_mixed_new_and_known);
	tcase_add_test(tc, test_record_few_into_many);
	tcase_add_test(tc, test_record_repeated_id);
	tcase_add_test(tc, test_record_finds_ids_in_binary_order);
	tcase_add_test(tc, test_record_backdated_sightings);
	tcase_add_test(tc, test_last_as_of);
	tcase_add_test(tc, test_refuses_same_run_twice);
	tcase_add_test(tc, test_refuses_exception_without_due);
	tcase_add_test(tc, test_refuses_exception_with_bad_time);
	tcase_add_test(tc, test_refuses_exception_with_wrong_type);
	suite_add_tcase(s, tc);

	tc = tcase_create("atomicity");
	/* Several synchronous commits of a thousand exceptions each. */
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup_tmpdir, teardown_tmpdir);
	tcase_add_test(tc, test_kill_mid_run_leaves_no_trace);
	tcase_add_test(tc, test_plugin_state);
	tcase_add_test(tc, test_task_refs);
	tcase_add_test(tc, test_kill_before_first_exception);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ledger_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
