/*
 * sg_ledger.c - the ledger in SQLite: schema migrations, run recording,
 * counts.
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
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_hash.h"

/* PRAGMA application_id of a stageguard ledger: "SGLD". */
#define LEDGER_APPLICATION_ID 0x53474c44

/* How long a writer waits for another one before giving up (ms). */
#define LEDGER_BUSY_TIMEOUT_MS 5000

#define LEDGER_KILL_ENV "STAGEGUARD_TEST_KILL_AFTER"

/*
 * Schema version 1.  Designed for the pilot: review list/show/decide/
 * import read and close tasks (task_history keeps every later change),
 * `events` is the measurement event stream exported as JSONL, and the
 * measures read exceptions by type, opportunity and event time.
 */
static const char ledger_schema_v1[] =
	"CREATE TABLE runs ("
	" id TEXT PRIMARY KEY,"
	" seq INTEGER NOT NULL UNIQUE,"          /* recording order */
	" started_at INTEGER NOT NULL,"
	" finished_at INTEGER NOT NULL,"
	" as_of INTEGER NOT NULL,"
	" since INTEGER,"                        /* NULL: the beginning */
	" source TEXT NOT NULL,"
	" snapshot_at INTEGER,"                  /* NULL: no snapshot */
	" config_sha256 TEXT NOT NULL,"
	" tool_version TEXT NOT NULL,"
	" opportunities INTEGER NOT NULL,"
	" evaluated INTEGER NOT NULL,"
	" paused INTEGER NOT NULL,"
	" exceptions INTEGER NOT NULL,"          /* judged in this run */
	" new_exceptions INTEGER NOT NULL"
	");"
	"CREATE INDEX runs_as_of ON runs(as_of);"
	"CREATE TABLE exceptions ("
	" id TEXT PRIMARY KEY,"
	" type TEXT NOT NULL,"
	" verdict TEXT NOT NULL,"
	" opportunity_id TEXT NOT NULL,"
	" owner_id TEXT,"
	" from_stage TEXT,"
	" to_stage TEXT,"
	" stage TEXT,"
	" event_at INTEGER,"
	" detected_at INTEGER NOT NULL,"
	" first_seen INTEGER NOT NULL,"          /* as-of of the first run */
	" last_seen INTEGER NOT NULL,"           /* as-of of the last run */
	" first_run TEXT NOT NULL REFERENCES runs(id),"
	" last_run TEXT NOT NULL REFERENCES runs(id),"
	" detail TEXT NOT NULL,"                 /* the exception's JSON */
	" note TEXT"
	");"
	"CREATE INDEX exceptions_opportunity"
	" ON exceptions(opportunity_id, event_at);"
	"CREATE TABLE tasks ("
	" exception_id TEXT PRIMARY KEY REFERENCES exceptions(id),"
	" assignee TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" due_at INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'open'"
	"  CHECK (status IN ('open', 'closed')),"
	" disposition TEXT CHECK (disposition IN ('approve', 'correct',"
	"  'escalate', 'reassign', 'log', 'block')),"
	" decided_by TEXT,"
	" decided_at INTEGER,"
	" decision_note TEXT,"
	/* A task is closed only by a disposition, with who and when. */
	" CHECK ((status = 'open' AND disposition IS NULL"
	"   AND decided_by IS NULL AND decided_at IS NULL)"
	"  OR (status = 'closed' AND disposition IS NOT NULL"
	"   AND decided_by IS NOT NULL AND decided_at IS NOT NULL))"
	") WITHOUT ROWID;"
	"CREATE INDEX tasks_status_due ON tasks(status, due_at);"
	"CREATE TABLE task_history ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" exception_id TEXT NOT NULL REFERENCES tasks(exception_id),"
	" at INTEGER NOT NULL,"
	" action TEXT NOT NULL,"                 /* reassigned, decided... */
	" actor TEXT,"
	" detail TEXT"                           /* JSON object */
	");"
	"CREATE INDEX task_history_exception"
	" ON task_history(exception_id, seq);"
	"CREATE TABLE events ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" type TEXT NOT NULL,"   /* exception_raised, disposition_recorded, */
	" at INTEGER NOT NULL,"  /* stage_corrected, run_completed */
	" run_id TEXT REFERENCES runs(id),"
	" exception_id TEXT REFERENCES exceptions(id),"
	" opportunity_id TEXT,"
	" detail TEXT"                           /* JSON object */
	");"
	"CREATE INDEX events_at ON events(at, seq);";

/* Version 2: looking up an exception's events (has a flagged move been
 * noted as corrected?) without scanning every event of the ledger. */
static const char ledger_schema_v2[] =
	"CREATE INDEX events_exception ON events(exception_id, type);";

/*
 * Version 3: an exception's members are columns, read directly, and
 * detail keeps only the members of its type (DESIGN §8) instead of the
 * whole object again; the note is stored once.  When a later run judges
 * an exception again, that goes in the narrow sightings table instead of
 * rewriting the exception's wide row.  An exception_raised event keeps
 * no detail of its own: it is read from its exception.  Existing rows are
 * rewritten in place (with foreign keys off: ledger_migrate()).  A run
 * keeps the records it judged (input_chunks, run_inputs), so its outputs
 * can be made again without the source.
 */
static const char ledger_schema_v3[] =
	"CREATE TABLE exceptions_v3 ("
	" id TEXT PRIMARY KEY,"
	" type TEXT NOT NULL,"
	" verdict TEXT NOT NULL,"
	" opportunity_id TEXT NOT NULL,"
	" opportunity_name TEXT,"
	" owner_id TEXT,"
	" assignee TEXT NOT NULL,"              /* as routed when raised */
	" from_stage TEXT,"
	" to_stage TEXT,"
	" stage TEXT,"
	" event_at INTEGER,"
	" detected_at INTEGER NOT NULL,"
	" due_at INTEGER NOT NULL,"
	" first_seen INTEGER NOT NULL,"          /* as-of of the first run */
	" first_run TEXT NOT NULL REFERENCES runs(id),"
	" detail TEXT NOT NULL,"                 /* the type's members */
	" note TEXT"
	");"
	"INSERT INTO exceptions_v3 SELECT id, type, verdict, opportunity_id,"
	" json_extract(detail, '$.opportunity_name'), owner_id,"
	" json_extract(detail, '$.assignee'), from_stage, to_stage, stage,"
	" event_at, detected_at,"
	" CAST(strftime('%s', json_extract(detail, '$.due_at')) AS INTEGER),"
	" first_seen, first_run,"
	" json_remove(detail, '$.id', '$.type', '$.verdict',"
	"  '$.opportunity_id', '$.opportunity_name', '$.owner_id',"
	"  '$.assignee', '$.from_stage', '$.to_stage', '$.stage',"
	"  '$.event_at', '$.detected_at', '$.due_at', '$.note'),"
	" note FROM exceptions ORDER BY rowid;"
	/* The last run that judged an exception again, if one did. */
	"CREATE TABLE sightings ("
	" exception_id TEXT PRIMARY KEY REFERENCES exceptions(id),"
	" last_seen INTEGER NOT NULL,"           /* that run's as-of */
	" last_run TEXT NOT NULL REFERENCES runs(id)"
	") WITHOUT ROWID;"
	"INSERT INTO sightings SELECT id, last_seen, last_run FROM exceptions"
	" WHERE last_run <> first_run OR last_seen <> first_seen;"
	"DROP TABLE exceptions;"
	"ALTER TABLE exceptions_v3 RENAME TO exceptions;"
	"CREATE INDEX exceptions_opportunity"
	" ON exceptions(opportunity_id, event_at);"
	"UPDATE events SET detail = NULL WHERE type = 'exception_raised'"
	" AND exception_id IN (SELECT id FROM exceptions);"
	/* The records each run judged (sg_inputs.h), each chunk once. */
	"CREATE TABLE input_chunks ("
	" sha256 TEXT PRIMARY KEY,"              /* of the encoded records */
	" raw_size INTEGER NOT NULL,"
	" records INTEGER NOT NULL,"
	" data BLOB NOT NULL"                    /* zstd */
	");"
	"CREATE TABLE run_inputs ("
	" run_id TEXT NOT NULL REFERENCES runs(id),"
	" part INTEGER NOT NULL,"
	" seq INTEGER NOT NULL,"
	" sha256 TEXT NOT NULL REFERENCES input_chunks(sha256),"
	" PRIMARY KEY (run_id, part, seq)"
	") WITHOUT ROWID;";

/*
 * The migrations, in order: entry i takes the schema from version i to
 * version i + 1.  Only ever append.
 */
static const char *const ledger_migrations[] = {
	ledger_schema_v1,
	ledger_schema_v2,
	ledger_schema_v3,
};

#define LEDGER_MIGRATION_COUNT \
	((int)(sizeof(ledger_migrations) / sizeof(ledger_migrations[0])))

_Static_assert(LEDGER_MIGRATION_COUNT == SG_LEDGER_SCHEMA_VERSION,
	       "one migration per schema version");

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
	const char *hint = ledger_hint(code);

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
static int ledger_query_int(struct sg_ledger *ledger, const char *sql,
			    sqlite3_int64 *out, const char *what,
			    struct sg_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (sqlite3_prepare_v2(ledger->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return ledger_fail(ledger, err, what);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(stmt, 0);
		rc = SG_OK;
	} else if (rc == SQLITE_DONE) {
		*out = 0;
		rc = SG_OK;
	} else {
		rc = ledger_fail(ledger, err, what);
	}
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * Sets the connection's durability and integrity settings.  Called once
 * the file is known to be a ledger (or new), as WAL mode is persistent.
 */
static int ledger_configure(struct sg_ledger *ledger, struct sg_error *err)
{
	int rc;

	rc = ledger_exec(ledger, "PRAGMA journal_mode = WAL",
			 "cannot switch to WAL mode", err);
	if (rc != SG_OK)
		return rc;
	rc = ledger_exec(ledger, "PRAGMA synchronous = FULL",
			 "cannot set synchronous writes", err);
	if (rc != SG_OK)
		return rc;
	rc = ledger_exec(ledger, "PRAGMA foreign_keys = ON",
			 "cannot enable foreign keys", err);
	if (rc != SG_OK)
		return rc;
	/*
	 * A run of many exceptions is one transaction: a page cache of
	 * 256 MiB holds the indexes it inserts into at random (exception
	 * ids are hashes) for half a million exceptions, so they are not
	 * read back from the WAL; memory is taken only as pages are used.
	 * The WAL the run leaves is trimmed afterwards.
	 */
	return ledger_exec(ledger, "PRAGMA cache_size = -262144;"
			   " PRAGMA journal_size_limit = 67108864",
			   "cannot set the cache size", err);
}

/*
 * Refuses a database that is not a stageguard ledger: another
 * application's id, or tables without a schema version.
 */
static int ledger_check_identity(struct sg_ledger *ledger,
				 sqlite3_int64 version, struct sg_error *err)
{
	sqlite3_int64 app_id, tables;
	int rc;

	rc = ledger_query_int(ledger, "PRAGMA application_id", &app_id,
			      "cannot read the application id", err);
	if (rc != SG_OK)
		return rc;
	if (app_id != 0 && app_id != LEDGER_APPLICATION_ID)
		return sg_error_set_at(err, SG_ERR_LEDGER, ledger->path, 0, 0,
				       "ledger: a SQLite database of another "
				       "application (application id %lld), "
				       "not a stageguard ledger; check the "
				       "\"ledger\" setting of the config or "
				       "--ledger", (long long)app_id);
	if (version != 0)
		return SG_OK;
	rc = ledger_query_int(ledger, "SELECT count(*) FROM sqlite_master",
			      &tables, "cannot read the schema", err);
	if (rc != SG_OK)
		return rc;
	if (tables != 0)
		return sg_error_set_at(err, SG_ERR_LEDGER, ledger->path, 0, 0,
				       "ledger: a SQLite database with tables "
				       "but no stageguard schema version, not "
				       "a stageguard ledger; check the "
				       "\"ledger\" setting of the config or "
				       "--ledger");
	return SG_OK;
}

static int ledger_refuse_newer(struct sg_ledger *ledger,
			       sqlite3_int64 version, struct sg_error *err)
{
	return sg_error_set_at(err, SG_ERR_LEDGER, ledger->path, 0, 0,
			       "ledger: written by a newer stageguard "
			       "(schema version %lld; this stageguard reads "
			       "up to %d); use that stageguard or a newer "
			       "one", (long long)version,
			       SG_LEDGER_SCHEMA_VERSION);
}

/* After a migration: every reference between the tables still holds. */
static int ledger_check_references(struct sg_ledger *ledger,
				   struct sg_error *err)
{
	sqlite3_int64 broken;
	int rc;

	rc = ledger_query_int(ledger, "SELECT count(*) FROM"
			      " pragma_foreign_key_check", &broken,
			      "cannot check the migrated schema", err);
	if (rc == SG_OK && broken != 0)
		rc = sg_error_set_at(err, SG_ERR_LEDGER, ledger->path, 0, 0,
				     "ledger: the schema migration would "
				     "leave %lld rows referring to rows that "
				     "do not exist; the ledger is damaged: "
				     "restore it from a backup",
				     (long long)broken);
	return rc;
}

/*
 * Checks that the file is a ledger this stageguard can read, configures
 * the connection, and applies the migrations the ledger lacks, each in
 * its own transaction.  Nothing is written to a file that is refused.
 * The version is read again inside each transaction, so two processes
 * opening a new ledger at once do not both create it.
 */
static int ledger_migrate(struct sg_ledger *ledger, struct sg_error *err)
{
	sqlite3_int64 version;
	char sql[128];
	int rc;

	/* The first read of the file: a non-database fails here. */
	rc = ledger_query_int(ledger, "PRAGMA user_version", &version,
			      "cannot read the file", err);
	if (rc != SG_OK)
		return rc;
	if (version > SG_LEDGER_SCHEMA_VERSION)
		return ledger_refuse_newer(ledger, version, err);
	rc = ledger_check_identity(ledger, version, err);
	if (rc != SG_OK)
		return rc;
	rc = ledger_configure(ledger, err);
	if (rc != SG_OK)
		return rc;
	/* A migration may rebuild a table others refer to; the references
	 * are checked once it is done.  (Not settable inside a
	 * transaction.) */
	rc = ledger_exec(ledger, "PRAGMA foreign_keys = OFF",
			 "cannot prepare the schema migration", err);
	if (rc != SG_OK)
		return rc;
	while (version < LEDGER_MIGRATION_COUNT) {
		rc = ledger_exec(ledger, "BEGIN IMMEDIATE",
				 "cannot start the schema migration", err);
		if (rc != SG_OK)
			return rc;
		rc = ledger_query_int(ledger, "PRAGMA user_version", &version,
				      "cannot read the schema version", err);
		if (rc != SG_OK)
			goto fail;
		if (version > SG_LEDGER_SCHEMA_VERSION) {
			rc = ledger_refuse_newer(ledger, version, err);
			goto fail;
		}
		if (version >= LEDGER_MIGRATION_COUNT) {
			/* Another process migrated it meanwhile. */
			ledger_rollback(ledger);
			break;
		}
		snprintf(sql, sizeof(sql),
			 "migrating the schema to version %d",
			 (int)version + 1);
		rc = ledger_exec(ledger, ledger_migrations[version], sql, err);
		if (rc != SG_OK)
			goto fail;
		rc = ledger_check_references(ledger, err);
		if (rc != SG_OK)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d;"
			 " PRAGMA user_version = %d", LEDGER_APPLICATION_ID,
			 (int)version + 1);
		rc = ledger_exec(ledger, sql, "cannot set the schema version",
				 err);
		if (rc != SG_OK)
			goto fail;
		rc = ledger_exec(ledger, "COMMIT",
				 "cannot commit the schema migration", err);
		if (rc != SG_OK)
			goto fail;
		version++;
	}
	ledger->schema_version = (int)version;
	return ledger_exec(ledger, "PRAGMA foreign_keys = ON",
			   "cannot enable foreign keys", err);
fail:
	ledger_rollback(ledger);
	return rc;
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
	ledger->path = strdup(path);
	if (ledger->path == NULL) {
		free(ledger);
		return sg_error_set(err, SG_ERR_NOMEM,
				    "ledger: out of memory");
	}
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
	free(ledger->path);
	free(ledger);
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

/* ---- recording a run ---- */

/* The statements of one recording, prepared once, reused for each row. */
struct ledger_stmts {
	sqlite3_stmt *insert_run;
	sqlite3_stmt *insert_input;
	sqlite3_stmt *find_exception;
	sqlite3_stmt *insert_exception;
	sqlite3_stmt *update_exception;
	sqlite3_stmt *insert_task;
	sqlite3_stmt *insert_raised;
	sqlite3_stmt *finish_run;
	sqlite3_stmt *insert_completed;
};

/* Statement texts, in the order of struct ledger_stmts. */
static const char *const ledger_stmt_sql[] = {
	"INSERT INTO runs (id, seq, started_at, finished_at, as_of, since,"
	" source, snapshot_at, config_sha256, tool_version, opportunities,"
	" evaluated, paused, exceptions, new_exceptions)"
	" VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM runs), ?2, ?3,"
	" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0, 0)",

	"INSERT INTO run_inputs (run_id, part, seq, sha256)"
	" VALUES (?1, ?2, ?3, ?4)",

	"SELECT 1 FROM exceptions WHERE id = ?1",

	"INSERT INTO exceptions (id, type, verdict, opportunity_id,"
	" opportunity_name, owner_id, assignee, from_stage, to_stage, stage,"
	" event_at, detected_at, due_at, first_seen, first_run, detail, note)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	" ?14, ?15, ?16, ?17)",

	/* last_seen never moves back (a run replayed at an earlier as-of). */
	"INSERT INTO sightings (exception_id, last_seen, last_run)"
	" SELECT ?1, ?2, ?3 WHERE ?2 >= (SELECT first_seen FROM exceptions"
	"  WHERE id = ?1)"
	" ON CONFLICT (exception_id) DO UPDATE SET"
	" last_seen = excluded.last_seen, last_run = excluded.last_run"
	" WHERE excluded.last_seen >= sightings.last_seen",

	"INSERT INTO tasks (exception_id, assignee, created_at, due_at)"
	" VALUES (?1, ?2, ?3, ?4)",

	/* Its detail is read from the exception (LEDGER_EVENT_DETAIL). */
	"INSERT INTO events (type, at, run_id, exception_id, opportunity_id)"
	" VALUES ('exception_raised', ?1, ?2, ?3, ?4)",

	"UPDATE runs SET exceptions = ?2, new_exceptions = ?3 WHERE id = ?1",

	"INSERT INTO events (type, at, run_id, detail)"
	" VALUES ('run_completed', ?1, ?2, json_object('as_of', ?3,"
	" 'opportunities', ?4, 'evaluated', ?5, 'paused', ?6,"
	" 'exceptions', ?7, 'new_exceptions', ?8, 'seen_again', ?9,"
	" 'tasks_created', ?10))",
};

#define LEDGER_STMT_COUNT \
	(sizeof(ledger_stmt_sql) / sizeof(ledger_stmt_sql[0]))

static sqlite3_stmt **ledger_stmt_slot(struct ledger_stmts *stmts, size_t i)
{
	sqlite3_stmt **slots[] = {
		&stmts->insert_run, &stmts->insert_input,
		&stmts->find_exception,
		&stmts->insert_exception,
		&stmts->update_exception, &stmts->insert_task,
		&stmts->insert_raised, &stmts->finish_run,
		&stmts->insert_completed,
	};

	return slots[i];
}

static int ledger_prepare_all(struct sg_ledger *ledger,
			      struct ledger_stmts *stmts,
			      struct sg_error *err)
{
	size_t i;

	for (i = 0; i < LEDGER_STMT_COUNT; i++) {
		if (sqlite3_prepare_v3(ledger->db, ledger_stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT,
				       ledger_stmt_slot(stmts, i),
				       NULL) != SQLITE_OK)
			return ledger_fail(ledger, err,
					   "cannot prepare the recording");
	}
	return SG_OK;
}

static void ledger_finalize_all(struct ledger_stmts *stmts)
{
	size_t i;

	for (i = 0; i < LEDGER_STMT_COUNT; i++) {
		sqlite3_finalize(*ledger_stmt_slot(stmts, i));
		*ledger_stmt_slot(stmts, i) = NULL;
	}
}

/* Steps a statement that returns no row, then resets it. */
static int ledger_step(struct sg_ledger *ledger, sqlite3_stmt *stmt,
		       const char *what, struct sg_error *err)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE) {
		rc = ledger_fail(ledger, err, what);
		sqlite3_reset(stmt);
		return rc;
	}
	sqlite3_reset(stmt);
	return SG_OK;
}

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
static int ledger_check_record(const struct sg_exception_record *rec,
			       size_t index, struct sg_error *err)
{
	const char *lacking = NULL;
	size_t n = rec->details ? strlen(rec->details) : 0;

	if (rec->id == NULL)
		lacking = "id";
	else if (rec->type == NULL)
		lacking = "type";
	else if (rec->verdict == NULL)
		lacking = "verdict";
	else if (rec->opportunity_id == NULL)
		lacking = "opportunity_id";
	else if (rec->assignee == NULL)
		lacking = "assignee";
	else if (rec->detected_at == SG_TIME_NONE)
		lacking = "detected_at";
	else if (rec->due_at == SG_TIME_NONE)
		lacking = "due_at";
	else if (n < 2 || rec->details[0] != '{' || rec->details[n - 1] != '}')
		lacking = "details (a JSON object)";
	if (lacking == NULL)
		return SG_OK;
	return sg_error_set(err, SG_ERR_INTERNAL, "ledger: exception %zu "
			    "(id %.100s) has no %s", index,
			    rec->id ? rec->id : "?", lacking);
}

/*
 * The test hook: the number of exceptions after which to die, or -1.
 * Only a plain non-negative decimal counts.
 */
static long ledger_kill_after(void)
{
	const char *text = getenv(LEDGER_KILL_ENV);
	char *end;
	long n;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	n = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return n;
}

/* The run id: 32 hex of SHA-256 of as-of, start, config and source. */
static int ledger_run_id(struct sg_run_record *run, struct sg_error *err)
{
	static const char format[] = "%lld\n%lld\n%s\n%s";
	char hex[SG_SHA256_HEX_SIZE], *text;
	int n, rc;

	n = snprintf(NULL, 0, format, (long long)run->as_of,
		     (long long)run->started_at, run->config_sha256,
		     run->source);
	if (n < 0)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "ledger: cannot form the run id");
	text = malloc((size_t)n + 1);
	if (text == NULL)
		return sg_error_set(err, SG_ERR_NOMEM,
				    "ledger: out of memory");
	snprintf(text, (size_t)n + 1, format, (long long)run->as_of,
		 (long long)run->started_at, run->config_sha256, run->source);
	rc = sg_sha256_hex(text, (size_t)n, hex);
	free(text);
	if (rc != SG_OK)
		return sg_error_set(err, rc, "ledger: SHA-256 failed");
	memcpy(run->id, hex, 32);
	run->id[32] = '\0';
	return SG_OK;
}

static int ledger_check_run(const struct sg_run_record *run,
			    struct sg_error *err)
{
	if (run->started_at == SG_TIME_NONE || run->finished_at == SG_TIME_NONE
	    || run->as_of == SG_TIME_NONE)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "ledger: a run needs started_at, "
				    "finished_at and as_of");
	if (run->source == NULL || run->config_sha256 == NULL ||
	    run->tool_version == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "ledger: a run needs source, "
				    "config_sha256 and tool_version");
	return SG_OK;
}

static int ledger_insert_run(struct sg_ledger *ledger,
			     struct ledger_stmts *st,
			     const struct sg_run_record *run,
			     struct sg_error *err)
{
	sqlite3_stmt *s = st->insert_run;

	ledger_bind_text(s, 1, run->id);
	ledger_bind_time(s, 2, run->started_at);
	ledger_bind_time(s, 3, run->finished_at);
	ledger_bind_time(s, 4, run->as_of);
	ledger_bind_time(s, 5, run->since);
	ledger_bind_text(s, 6, run->source);
	ledger_bind_time(s, 7, run->snapshot_at);
	ledger_bind_text(s, 8, run->config_sha256);
	ledger_bind_text(s, 9, run->tool_version);
	ledger_bind_count(s, 10, run->opportunities);
	ledger_bind_count(s, 11, run->evaluated);
	ledger_bind_count(s, 12, run->paused);
	if (sqlite3_step(s) != SQLITE_DONE) {
		int rc;

		if (sqlite3_extended_errcode(ledger->db) ==
		    SQLITE_CONSTRAINT_PRIMARYKEY)
			rc = sg_error_set_at(err, SG_ERR_LEDGER, ledger->path,
					     0, 0, "ledger: run %s (as-of, "
					     "start, config and source) is "
					     "already recorded", run->id);
		else
			rc = ledger_fail(ledger, err, "cannot record the run");
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return SG_OK;
}

/* The chunks of the records the run judged, in order. */
static int ledger_insert_inputs(struct sg_ledger *ledger,
				struct ledger_stmts *st,
				const struct sg_run_record *run,
				struct sg_error *err)
{
	sqlite3_stmt *s = st->insert_input;
	size_t i;
	int rc = SG_OK;

	for (i = 0; rc == SG_OK && i < run->input_count; i++) {
		ledger_bind_text(s, 1, run->id);
		sqlite3_bind_int64(s, 2, run->inputs[i].part);
		sqlite3_bind_int64(s, 3, run->inputs[i].seq);
		ledger_bind_text(s, 4, run->inputs[i].sha256);
		rc = ledger_step(ledger, s, "cannot record the run's inputs",
				 err);
	}
	return rc;
}

/* Turns "ledger: what: ..." into "ledger: exception ID: what: ...". */
static void ledger_name_exception(struct sg_error *err, const char *id)
{
	static const char head[] = "ledger: ";
	size_t n = sizeof(head) - 1;

	if (err == NULL || strncmp(err->message, head, n) != 0)
		return;
	memmove(err->message, err->message + n, strlen(err->message + n) + 1);
	sg_error_prefix(err, "ledger: exception %.100s: ", id);
}

/* Whether the ledger already holds the exception id. */
static int ledger_known(struct sg_ledger *ledger, struct ledger_stmts *st,
			const char *id, int *known, struct sg_error *err)
{
	sqlite3_stmt *s = st->find_exception;
	int rc;

	ledger_bind_text(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = ledger_fail(ledger, err, "cannot look up an exception");
		sqlite3_reset(s);
		return rc;
	}
	*known = rc == SQLITE_ROW;
	sqlite3_reset(s);
	return SG_OK;
}

/* An exception seen again: its sighting moves forward. */
static int ledger_see_again(struct sg_ledger *ledger, struct ledger_stmts *st,
			    const struct sg_run_record *run, const char *id,
			    struct sg_error *err)
{
	sqlite3_stmt *s = st->update_exception;

	ledger_bind_text(s, 1, id);
	ledger_bind_time(s, 2, run->as_of);
	ledger_bind_text(s, 3, run->id);
	return ledger_step(ledger, s, "cannot update an exception", err);
}

/* A new exception: its row, its review task, its exception_raised event. */
static int ledger_insert_new(struct sg_ledger *ledger, struct ledger_stmts *st,
			     const struct sg_run_record *run,
			     const struct sg_exception_record *rec,
			     struct sg_error *err)
{
	sqlite3_stmt *s = st->insert_exception;
	int rc;

	ledger_bind_text(s, 1, rec->id);
	ledger_bind_text(s, 2, rec->type);
	ledger_bind_text(s, 3, rec->verdict);
	ledger_bind_text(s, 4, rec->opportunity_id);
	ledger_bind_text(s, 5, rec->opportunity_name);
	ledger_bind_text(s, 6, rec->owner_id);
	ledger_bind_text(s, 7, rec->assignee);
	ledger_bind_text(s, 8, rec->from_stage);
	ledger_bind_text(s, 9, rec->to_stage);
	ledger_bind_text(s, 10, rec->stage);
	ledger_bind_time(s, 11, rec->event_at);
	ledger_bind_time(s, 12, rec->detected_at);
	ledger_bind_time(s, 13, rec->due_at);
	ledger_bind_time(s, 14, run->as_of);
	ledger_bind_text(s, 15, run->id);
	ledger_bind_text(s, 16, rec->details);
	ledger_bind_text(s, 17, rec->note);
	rc = ledger_step(ledger, s, "cannot record an exception", err);
	if (rc != SG_OK)
		return rc;
	s = st->insert_task;
	ledger_bind_text(s, 1, rec->id);
	ledger_bind_text(s, 2, rec->assignee);
	ledger_bind_time(s, 3, rec->detected_at);
	ledger_bind_time(s, 4, rec->due_at);
	rc = ledger_step(ledger, s, "cannot create a review task", err);
	if (rc != SG_OK)
		return rc;
	s = st->insert_raised;
	ledger_bind_time(s, 1, rec->detected_at);
	ledger_bind_text(s, 2, run->id);
	ledger_bind_text(s, 3, rec->id);
	ledger_bind_text(s, 4, rec->opportunity_id);
	return ledger_step(ledger, s, "cannot record an event", err);
}

/*
 * Records exception i: moves its sighting when its id is known, else
 * asks the feed for it in full, checks it and inserts it.
 */
static int ledger_record_one(struct sg_ledger *ledger, struct ledger_stmts *st,
			     const struct sg_run_record *run,
			     const struct sg_exception_feed *feed, size_t i,
			     struct sg_run_outcome *done, struct sg_error *err)
{
	struct sg_exception_record rec;
	const char *id = feed->id(feed->arg, i);
	int rc, known = 0;

	if (id == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL, "ledger: exception "
				    "%zu has no id", i);
	rc = ledger_known(ledger, st, id, &known, err);
	if (rc == SG_OK && known) {
		rc = ledger_see_again(ledger, st, run, id, err);
		if (rc == SG_OK)
			done->seen_again++;
	} else if (rc == SG_OK) {
		rc = feed->record(feed->arg, i, &rec, err);
		if (rc == SG_OK)
			rc = ledger_check_record(&rec, i, err);
		if (rc == SG_OK)
			rc = ledger_insert_new(ledger, st, run, &rec, err);
		if (rc == SG_OK) {
			done->new_exceptions++;
			done->tasks_created++;
		}
	}
	if (rc != SG_OK && rc == SG_ERR_LEDGER)
		ledger_name_exception(err, id);
	return rc;
}

static int ledger_finish_run(struct sg_ledger *ledger,
			     struct ledger_stmts *st,
			     const struct sg_run_record *run, size_t count,
			     const struct sg_run_outcome *outcome,
			     struct sg_error *err)
{
	char as_of[SG_TIME_ISO_SIZE];
	sqlite3_stmt *s = st->finish_run;
	int rc;

	ledger_bind_text(s, 1, run->id);
	ledger_bind_count(s, 2, count);
	ledger_bind_count(s, 3, outcome->new_exceptions);
	rc = ledger_step(ledger, s, "cannot record the run", err);
	if (rc != SG_OK)
		return rc;
	s = st->insert_completed;
	sg_time_format_iso(run->as_of, as_of);
	ledger_bind_time(s, 1, run->finished_at);
	ledger_bind_text(s, 2, run->id);
	ledger_bind_text(s, 3, as_of);
	ledger_bind_count(s, 4, run->opportunities);
	ledger_bind_count(s, 5, run->evaluated);
	ledger_bind_count(s, 6, run->paused);
	ledger_bind_count(s, 7, count);
	ledger_bind_count(s, 8, outcome->new_exceptions);
	ledger_bind_count(s, 9, outcome->seen_again);
	ledger_bind_count(s, 10, outcome->tasks_created);
	return ledger_step(ledger, s, "cannot record an event", err);
}

int sg_ledger_record_run(struct sg_ledger *ledger, struct sg_run_record *run,
			 const struct sg_exception_feed *exceptions,
			 struct sg_run_outcome *outcome, struct sg_error *err)
{
	struct ledger_stmts st;
	struct sg_run_outcome done;
	size_t count = exceptions != NULL ? exceptions->count : 0, i;
	long kill_after;
	int rc;

	memset(&st, 0, sizeof(st));
	memset(&done, 0, sizeof(done));
	if (outcome != NULL)
		memset(outcome, 0, sizeof(*outcome));
	rc = ledger_check_run(run, err);
	if (rc != SG_OK)
		return rc;
	rc = ledger_run_id(run, err);
	if (rc != SG_OK)
		return rc;
	kill_after = ledger_kill_after();
	rc = ledger_prepare_all(ledger, &st, err);
	if (rc != SG_OK)
		goto out;
	rc = ledger_exec(ledger, "BEGIN IMMEDIATE",
			 "cannot start recording the run", err);
	if (rc != SG_OK)
		goto out;
	rc = ledger_insert_run(ledger, &st, run, err);
	if (rc == SG_OK)
		rc = ledger_insert_inputs(ledger, &st, run, err);
	if (rc != SG_OK)
		goto out;
	if (kill_after == 0)
		raise(SIGKILL);
	for (i = 0; i < count; i++) {
		rc = ledger_record_one(ledger, &st, run, exceptions, i, &done,
				       err);
		if (rc != SG_OK)
			goto out;
		/* Tests only: die mid-transaction to prove atomicity. */
		if (kill_after > 0 && i + 1 == (size_t)kill_after)
			raise(SIGKILL);
	}
	rc = ledger_finish_run(ledger, &st, run, count, &done, err);
	if (rc != SG_OK)
		goto out;
	if (run->before_commit != NULL) {
		rc = run->before_commit(ledger, run->before_commit_arg, err);
		if (rc != SG_OK)
			goto out;
	}
	rc = ledger_exec(ledger, "COMMIT", "cannot commit the run", err);
	if (rc != SG_OK)
		goto out;
	if (outcome != NULL)
		*outcome = done;
out:
	if (rc != SG_OK)
		ledger_rollback(ledger);
	ledger_finalize_all(&st);
	return rc;
}

/* ---- reading exceptions ---- */

/* The columns of an exception record, in the order ledger_read_record()
 * reads them. */
#define LEDGER_RECORD_COLUMNS \
	"id, type, verdict, opportunity_id, opportunity_name, owner_id," \
	" assignee, from_stage, to_stage, stage, event_at, detected_at," \
	" due_at, detail, note"

enum ledger_record_column {
	LR_ID, LR_TYPE, LR_VERDICT, LR_OPPORTUNITY_ID, LR_OPPORTUNITY_NAME,
	LR_OWNER_ID, LR_ASSIGNEE, LR_FROM_STAGE, LR_TO_STAGE, LR_STAGE,
	LR_EVENT_AT, LR_DETECTED_AT, LR_DUE_AT, LR_DETAILS, LR_NOTE
};

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

static void ledger_read_record(sqlite3_stmt *stmt,
			       struct sg_exception_record *rec)
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
	/* One statement per filter, so each uses its index. */
	static const char *const sql[] = {
		"SELECT " LEDGER_RECORD_COLUMNS " FROM exceptions ORDER BY id",
		"SELECT " LEDGER_RECORD_COLUMNS " FROM exceptions"
		" WHERE id = ?1",
		"SELECT " LEDGER_RECORD_COLUMNS " FROM exceptions"
		" WHERE opportunity_id = ?1 ORDER BY id",
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

/* ---- the records a run judged ---- */

int sg_ledger_put_input_chunk(struct sg_ledger *ledger, const char *sha256,
			      const void *data, size_t size, size_t raw_size,
			      size_t records, struct sg_error *err)
{
	static const char sql[] =
		"INSERT INTO input_chunks (sha256, raw_size, records, data)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sha256) DO NOTHING";
	sqlite3_stmt *stmt;
	int own = sqlite3_get_autocommit(ledger->db), rc;

	/* A chunk counts only once a run that refers to it commits, with a
	 * full sync that covers it too: its own commit need not sync. */
	if (own) {
		rc = ledger_exec(ledger, "PRAGMA synchronous = NORMAL",
				 "cannot store the inputs", err);
		if (rc != SG_OK)
			return rc;
	}
	rc = ledger_prepare(ledger, sql, &stmt, err);
	if (rc == SG_OK) {
		ledger_bind_text(stmt, 1, sha256);
		ledger_bind_count(stmt, 2, raw_size);
		ledger_bind_count(stmt, 3, records);
		sqlite3_bind_blob64(stmt, 4, data, size, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			rc = ledger_fail(ledger, err, "cannot store the inputs");
		sqlite3_finalize(stmt);
	}
	if (own && ledger_exec(ledger, "PRAGMA synchronous = FULL",
			       "cannot set synchronous writes",
			       rc == SG_OK ? err : NULL) != SG_OK &&
	    rc == SG_OK)
		rc = SG_ERR_LEDGER;
	return rc;
}

int sg_ledger_inputs_run(struct sg_ledger *ledger, sg_time at,
			 char run_id[33], sg_time *as_of, int *found,
			 struct sg_error *err)
{
	static const char sql[] =
		"SELECT r.id, r.as_of FROM runs r WHERE r.as_of <= ?1"
		" AND EXISTS (SELECT 1 FROM run_inputs i WHERE i.run_id = r.id)"
		" ORDER BY r.as_of DESC, r.seq DESC LIMIT 1";
	sqlite3_stmt *stmt;
	int rc = ledger_prepare(ledger, sql, &stmt, err), step;

	*found = 0;
	if (rc != SG_OK)
		return rc;
	ledger_bind_time(stmt, 1, at);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		snprintf(run_id, 33, "%s", ledger_col_text(stmt, 0));
		*as_of = ledger_col_time(stmt, 1);
		*found = 1;
	} else if (step != SQLITE_DONE) {
		rc = ledger_fail(ledger, err, "cannot read the runs");
	}
	sqlite3_finalize(stmt);
	return rc;
}

int sg_ledger_each_input_chunk(struct sg_ledger *ledger, const char *run_id,
			       int (*fn)(void *arg, unsigned part,
					 const char *sha256, const void *data,
					 size_t size, struct sg_error *err),
			       void *arg, struct sg_error *err)
{
	static const char sql[] =
		"SELECT i.part, i.sha256, c.data FROM run_inputs i"
		" JOIN input_chunks c ON c.sha256 = i.sha256"
		" WHERE i.run_id = ?1 ORDER BY i.part, i.seq";
	sqlite3_stmt *stmt;
	int rc = ledger_prepare(ledger, sql, &stmt, err), step = SQLITE_DONE;

	if (rc != SG_OK)
		return rc;
	ledger_bind_text(stmt, 1, run_id);
	while (rc == SG_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		sqlite3_int64 part = sqlite3_column_int64(stmt, 0);

		if (part < 0 || part > 65535) {
			rc = sg_error_set_at(err, SG_ERR_LEDGER, ledger->path,
					     0, 0, "ledger: run %s names input "
					     "part %lld; the ledger is "
					     "damaged", run_id,
					     (long long)part);
			break;
		}
		rc = fn(arg, (unsigned)part, ledger_col_text(stmt, 1),
			sqlite3_column_blob(stmt, 2),
			(size_t)sqlite3_column_bytes(stmt, 2), err);
	}
	if (rc == SG_OK && step != SQLITE_DONE)
		rc = ledger_fail(ledger, err, "cannot read the run's inputs");
	sqlite3_finalize(stmt);
	return rc;
}
