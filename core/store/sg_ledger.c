/*
 * sg_ledger.c - the ledger in SQLite: opening and closing it, the helpers
 * every file of the store speaks SQL with, the last run and counts, and
 * the recorded exceptions read back.  The schema and its migrations are
 * in ledger_schema.c, recording a run in ledger_record.c, the records a
 * run kept in ledger_inputs.c, the outputs' reads in ledger_read.c.
 *
 * Durability: WAL journal with synchronous=FULL, so a committed run
 * survives a power cut and an uncommitted one leaves no trace (SQLite
 * ignores WAL frames without a commit record on recovery).  A run is one
 * BEGIN IMMEDIATE ... COMMIT; any failure rolls it back whole.
 *
 * All times are INTEGER seconds since the epoch, NULL when absent.
 */
#include "ledger_db.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* How long a writer waits for another one before giving up (ms). */
#define LEDGER_BUSY_TIMEOUT_MS 5000
/* What to do about a SQLite failure, by primary result code. */
static const char *ledger_hint(int code)
{
	switch (code & 0xff) {
	case SQLITE_NOTADB:
		return "this file is not a stageguard ledger; check the "
		       "\"ledger\" setting of the config or --ledger, or move "
		       "the file away to start a new ledger";
	case SQLITE_CORRUPT:
		return "the ledger is damaged; restore it from a backup";
	case SQLITE_CANTOPEN:
		return "check that its folder exists and is writable";
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "another stageguard is writing the ledger; try again "
		       "when it has finished";
	case SQLITE_FULL:
		return "the disk is full; free space and run again";
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return "the ledger is not writable; check its permissions";
	case SQLITE_IOERR:
		return "the ledger could not be read or written; check the "
		       "disk";
	default:
		return NULL;
	}
}

/* ledger_fail() for a connection that may not be open yet. */
static int ledger_fail_db(sqlite3 *db, const char *path,
			  struct sg_error *err, const char *what)
{
	int code = db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
	const char *message = db ? sqlite3_errmsg(db) : "out of memory";
	const char *hint;

	/* A journal write that found no room is an I/O error to SQLite. */
	if (db != NULL && (code & 0xff) == SQLITE_IOERR &&
	    sqlite3_system_errno(db) == ENOSPC)
		code = SQLITE_FULL;
	hint = ledger_hint(code);

	return sg_error_set_at(err, SG_ERR_LEDGER, path, 0, 0,
			       "ledger: %s: %s%s%s", what, message,
			       hint ? "; " : "", hint ? hint : "");
}

int ledger_fail(struct sg_ledger *ledger, struct sg_error *err,
		const char *what)
{
	return ledger_fail_db(ledger->db, ledger->path, err, what);
}

int ledger_exec(struct sg_ledger *ledger, const char *sql, const char *what,
		struct sg_error *err)
{
	if (sqlite3_exec(ledger->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ledger_fail(ledger, err, what);
	return SG_OK;
}

int ledger_prepare(struct sg_ledger *ledger, const char *sql,
		   sqlite3_stmt **stmt, struct sg_error *err)
{
	*stmt = NULL;
	if (sqlite3_prepare_v2(ledger->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return ledger_fail(ledger, err, "cannot prepare a query");
	return SG_OK;
}

void ledger_rollback(struct sg_ledger *ledger)
{
	if (!sqlite3_get_autocommit(ledger->db))
		sqlite3_exec(ledger->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs a query that returns one integer (a PRAGMA, a count). */
void ledger_bind_time(sqlite3_stmt *stmt, int index, sg_time t)
{
	if (t == SG_TIME_NONE)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_int64(stmt, index, t);
}

void ledger_bind_text(sqlite3_stmt *stmt, int index, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_text(stmt, index, s, -1, SQLITE_STATIC);
}

/* A size_t above SQLite's range cannot occur in practice (the counts are
 * of records held in memory). */
void ledger_bind_count(sqlite3_stmt *stmt, int index, size_t n)
{
	sqlite3_int64 v = n > (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)n;

	sqlite3_bind_int64(stmt, index, v);
}

/* Refuses an exception that lacks what its task and events need. */
/*
 * Once, before SQLite starts: no count of the memory it holds (nothing
 * reads it), which would take a global mutex on every allocation: a
 * run's recording makes millions.
 */
static void ledger_configure_once(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static void ledger_configure_sqlite(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)pthread_once(&once, ledger_configure_once);
}

int sg_ledger_open(struct sg_ledger **out, const char *path,
		   struct sg_error *err)
{
	struct sg_ledger *ledger;
	int rc;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return sg_error_set(err, SG_ERR_LEDGER,
				    "ledger: no ledger file named; set "
				    "\"ledger\" in the config or give "
				    "--ledger FILE");
	ledger = calloc(1, sizeof(*ledger));
	if (ledger == NULL)
		return sg_error_set(err, SG_ERR_NOMEM,
				    "ledger: out of memory");
	ledger->run_lock = -1;
	ledger->path = strdup(path);
	if (ledger->path == NULL) {
		free(ledger);
		return sg_error_set(err, SG_ERR_NOMEM,
				    "ledger: out of memory");
	}
	ledger_configure_sqlite();
	/* One thread uses a connection: SQLite's own locking is not
	 * needed. */
	rc = sqlite3_open_v2(path, &ledger->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = ledger_fail(ledger, err, "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(ledger->db, 1);
	if (sqlite3_busy_timeout(ledger->db, LEDGER_BUSY_TIMEOUT_MS) !=
	    SQLITE_OK) {
		rc = ledger_fail(ledger, err, "cannot set the busy timeout");
		goto fail;
	}
	rc = ledger_migrate(ledger, err);
	if (rc != SG_OK)
		goto fail;
	*out = ledger;
	return SG_OK;
fail:
	sg_ledger_close(ledger);
	return rc;
}

void sg_ledger_close(struct sg_ledger *ledger)
{
	if (ledger == NULL)
		return;
	/* sqlite3_close_v2 accepts NULL and defers if statements remain. */
	sqlite3_close_v2(ledger->db);
	if (ledger->run_lock >= 0)
		close(ledger->run_lock);        /* releases the lock */
	free(ledger->path);
	free(ledger);
}

int sg_ledger_lock_runs(struct sg_ledger *ledger, int wait,
			int (*cancelled)(void), struct sg_error *err)
{
	struct timespec slice = { 0, 50 * 1000000L };
	char *path;
	int fd;

	if (ledger->run_lock >= 0)
		return SG_OK;
	path = malloc(strlen(ledger->path) + sizeof("-run.lock"));
	if (path == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "ledger: out of memory");
	sprintf(path, "%s-run.lock", ledger->path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	free(path);
	if (fd < 0)
		return sg_error_set_at(err, SG_ERR_LEDGER, ledger->path, 0, 0,
				       "ledger: cannot open its run lock: %s; "
				       "check that its folder is writable",
				       strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;

			close(fd);
			return sg_error_set_at(err, SG_ERR_LEDGER, ledger->path,
					       0, 0, "ledger: cannot take its "
					       "run lock: %s", strerror(e));
		}
		if (!wait) {
			close(fd);
			return 1;
		}
		if (cancelled != NULL && cancelled()) {
			close(fd);
			return sg_error_set_at(err, SG_ERR_LEDGER, ledger->path,
					       0, 0, "ledger: interrupted while "
					       "waiting for the other run; "
					       "nothing was recorded");
		}
		nanosleep(&slice, NULL);
	}
	ledger->run_lock = fd;
	return SG_OK;
}

const char *sg_ledger_path(const struct sg_ledger *ledger)
{
	return ledger->path;
}

int sg_ledger_schema_version(const struct sg_ledger *ledger)
{
	return ledger->schema_version;
}

/* Runs a query of one row of one time; *found is 0 when it is NULL. */
static int ledger_query_time(struct sg_ledger *ledger, const char *sql,
			     sg_time *t, int *found, struct sg_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	*found = 0;
	*t = SG_TIME_NONE;
	if (sqlite3_prepare_v2(ledger->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return ledger_fail(ledger, err, "cannot read the last run");
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
			*t = sqlite3_column_int64(stmt, 0);
			*found = 1;
		}
		rc = SG_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SG_OK;
	} else {
		rc = ledger_fail(ledger, err, "cannot read the last run");
	}
	sqlite3_finalize(stmt);
	return rc;
}

int sg_ledger_last_as_of(struct sg_ledger *ledger, sg_time *as_of, int *found,
			 struct sg_error *err)
{
	return ledger_query_time(ledger, "SELECT as_of FROM runs ORDER BY "
				 "seq DESC LIMIT 1", as_of, found, err);
}

int sg_ledger_latest_time(struct sg_ledger *ledger, sg_time *t, int *found,
			  struct sg_error *err)
{
	/* max() of a NULL and a value is NULL in SQL: hence the CASE. */
	static const char sql[] =
		"SELECT CASE WHEN d IS NULL OR d < r THEN r ELSE d END FROM"
		" (SELECT (SELECT max(as_of) FROM runs) AS r,"
		"  (SELECT max(decided_at) FROM tasks) AS d)"
		" WHERE r IS NOT NULL";

	return ledger_query_time(ledger, sql, t, found, err);
}

int sg_ledger_counts(struct sg_ledger *ledger, struct sg_ledger_counts *out,
		     struct sg_error *err)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM runs),"
		" (SELECT count(*) FROM exceptions),"
		" (SELECT count(*) FROM tasks WHERE status = 'open'),"
		" (SELECT count(*) FROM events)";
	sqlite3_stmt *stmt = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(ledger->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return ledger_fail(ledger, err, "cannot count");
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		out->runs = (size_t)sqlite3_column_int64(stmt, 0);
		out->exceptions = (size_t)sqlite3_column_int64(stmt, 1);
		out->open_tasks = (size_t)sqlite3_column_int64(stmt, 2);
		out->events = (size_t)sqlite3_column_int64(stmt, 3);
		rc = SG_OK;
	} else {
		rc = ledger_fail(ledger, err, "cannot count");
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* ---- reading exceptions ---- */

const char *ledger_col_text(sqlite3_stmt *stmt, int col)
{
	return (const char *)sqlite3_column_text(stmt, col);
}

sg_time ledger_col_time(sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return SG_TIME_NONE;
	return (sg_time)sqlite3_column_int64(stmt, col);
}

size_t ledger_col_count(sqlite3_stmt *stmt, int col)
{
	sqlite3_int64 v = sqlite3_column_int64(stmt, col);

	return v < 0 ? 0 : (size_t)v;
}

void ledger_read_record(sqlite3_stmt *stmt, struct sg_exception_record *rec)
{
	rec->id = ledger_col_text(stmt, LR_ID);
	rec->type = ledger_col_text(stmt, LR_TYPE);
	rec->verdict = ledger_col_text(stmt, LR_VERDICT);
	rec->opportunity_id = ledger_col_text(stmt, LR_OPPORTUNITY_ID);
	rec->opportunity_name = ledger_col_text(stmt, LR_OPPORTUNITY_NAME);
	rec->owner_id = ledger_col_text(stmt, LR_OWNER_ID);
	rec->assignee = ledger_col_text(stmt, LR_ASSIGNEE);
	rec->from_stage = ledger_col_text(stmt, LR_FROM_STAGE);
	rec->to_stage = ledger_col_text(stmt, LR_TO_STAGE);
	rec->stage = ledger_col_text(stmt, LR_STAGE);
	rec->event_at = ledger_col_time(stmt, LR_EVENT_AT);
	rec->detected_at = ledger_col_time(stmt, LR_DETECTED_AT);
	rec->due_at = ledger_col_time(stmt, LR_DUE_AT);
	rec->details = ledger_col_text(stmt, LR_DETAILS);
	rec->note = ledger_col_text(stmt, LR_NOTE);
}

int sg_ledger_each_exception(struct sg_ledger *ledger,
			     const struct sg_exception_filter *filter,
			     int (*fn)(void *arg,
				       const struct sg_exception_record *rec,
				       struct sg_error *err),
			     void *arg, struct sg_error *err)
{
	/* One statement per filter, so each uses its index; all of them
	 * by a scan and a sort instead: ids are hashes, so the id index
	 * visits the table's pages at random, reading most of them again
	 * and again once the table outgrows the page cache (at half a
	 * million exceptions 2.1 s against 1.3 s). */
	static const char *const sql[] = {
		"SELECT " LEDGER_RECORD_COLUMNS " FROM exceptions e NOT INDEXED"
		" ORDER BY e.id",
		"SELECT " LEDGER_RECORD_COLUMNS " FROM exceptions e"
		" WHERE e.id = ?1",
		"SELECT " LEDGER_RECORD_COLUMNS " FROM exceptions e"
		" WHERE e.opportunity_id = ?1 ORDER BY e.id",
	};
	struct sg_exception_record rec;
	sqlite3_stmt *stmt = NULL;
	int rc = SG_OK, step = SQLITE_DONE, which = 0;

	if (filter != NULL && filter->id != NULL)
		which = 1;
	else if (filter != NULL && filter->opportunity_id != NULL)
		which = 2;
	if (sqlite3_prepare_v2(ledger->db, sql[which], -1, &stmt, NULL) !=
	    SQLITE_OK)
		return ledger_fail(ledger, err, "cannot read the exceptions");
	if (which == 1)
		ledger_bind_text(stmt, 1, filter->id);
	else if (which == 2)
		ledger_bind_text(stmt, 1, filter->opportunity_id);
	while (rc == SG_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		ledger_read_record(stmt, &rec);
		rc = fn(arg, &rec, err);
	}
	if (rc == SG_OK && step != SQLITE_DONE)
		rc = ledger_fail(ledger, err, "cannot read the exceptions");
	sqlite3_finalize(stmt);
	return rc;
}

