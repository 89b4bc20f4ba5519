/*
 * ledger_schema.c - the ledger's schema and its migrations: a file is
 * checked to be a ledger this stageguard can read, its connection set up
 * (WAL, full sync, foreign keys, cache), and every migration it lacks
 * applied in its own transaction, foreign keys checked after each.
 */
#include "ledger_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PRAGMA application_id of a stageguard ledger: "SGLD". */
#define LEDGER_APPLICATION_ID 0x53474c44
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

/* The disposition's constraint as version 3 wrote it (version 8
 * rewrites it: ledger_schema_v8()). */
#define LEDGER_DISPOSITION_CHECK_V3 \
	"disposition IN ('approve', 'correct',  'escalate', 'reassign'," \
	" 'log', 'block')"

/*
 * Version 3: an exception's members are columns, read directly, and
 * detail keeps only the members of its type (DESIGN §8) instead of the
 * whole object again; the note is stored once.  Its review task lives in
 * the same row (one insert a new exception, not two at random places of
 * two trees); the view tasks shows them as before.  The exception_raised
 * events are left out of the index of events by exception: the exception
 * keeps its event's seq (raised_seq).  When a later run judges
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
	" note TEXT,"
	/* Its review task: open from detected_at, due at due_at, with the
	 * assignee above unless reassigned to reviewer; closed only by a
	 * disposition, with who and when. */
	" reviewer TEXT,"
	" status TEXT NOT NULL DEFAULT 'open'"
	"  CHECK (status IN ('open', 'closed')),"
	" disposition TEXT CHECK (" LEDGER_DISPOSITION_CHECK_V3 "),"
	" decided_by TEXT,"
	" decided_at INTEGER,"
	" decision_note TEXT,"
	/* The seq of its exception_raised event: found without indexing
	 * every such event by exception. */
	" raised_seq INTEGER,"
	" CHECK ((status = 'open' AND disposition IS NULL"
	"   AND decided_by IS NULL AND decided_at IS NULL)"
	"  OR (status = 'closed' AND disposition IS NOT NULL"
	"   AND decided_by IS NOT NULL AND decided_at IS NOT NULL))"
	");"
	"INSERT INTO exceptions_v3 SELECT e.id, e.type, e.verdict,"
	" e.opportunity_id, json_extract(e.detail, '$.opportunity_name'),"
	" e.owner_id, json_extract(e.detail, '$.assignee'), e.from_stage,"
	" e.to_stage, e.stage, e.event_at, e.detected_at,"
	" CAST(strftime('%s', json_extract(e.detail, '$.due_at')) AS INTEGER),"
	" e.first_seen, e.first_run,"
	" json_remove(e.detail, '$.id', '$.type', '$.verdict',"
	"  '$.opportunity_id', '$.opportunity_name', '$.owner_id',"
	"  '$.assignee', '$.from_stage', '$.to_stage', '$.stage',"
	"  '$.event_at', '$.detected_at', '$.due_at', '$.note'),"
	" e.note,"
	" CASE WHEN t.assignee <> json_extract(e.detail, '$.assignee')"
	"  THEN t.assignee END, coalesce(t.status, 'open'), t.disposition,"
	" t.decided_by, t.decided_at, t.decision_note,"
	" (SELECT min(v.seq) FROM events v WHERE v.exception_id = e.id"
	"  AND v.type = 'exception_raised')"
	" FROM exceptions e LEFT JOIN tasks t ON t.exception_id = e.id"
	" ORDER BY e.rowid;"
	/* Every change of a task, now kept by its exception. */
	"CREATE TABLE task_history_v3 ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" exception_id TEXT NOT NULL REFERENCES exceptions(id),"
	" at INTEGER NOT NULL,"
	" action TEXT NOT NULL,"
	" actor TEXT,"
	" detail TEXT"
	");"
	"INSERT INTO task_history_v3 SELECT seq, exception_id, at, action,"
	" actor, detail FROM task_history ORDER BY seq;"
	"DROP TABLE task_history;"
	"ALTER TABLE task_history_v3 RENAME TO task_history;"
	"CREATE INDEX task_history_exception"
	" ON task_history(exception_id, seq);"
	"DROP TABLE tasks;"
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
	"CREATE INDEX exceptions_review ON exceptions(status, due_at);"
	/* The review tasks as a table of their own, for reading (the
	 * ledger's queries read the exceptions' columns). */
	"CREATE VIEW tasks AS SELECT id AS exception_id,"
	" coalesce(reviewer, assignee) AS assignee, detected_at AS created_at,"
	" due_at, status, disposition, decided_by, decided_at, decision_note"
	" FROM exceptions;"
	"UPDATE events SET detail = NULL WHERE type = 'exception_raised'"
	" AND exception_id IN (SELECT id FROM exceptions);"
	/* Events by exception, but not the exception_raised ones (one per
	 * exception, found by its raised_seq): a run inserts no entry of
	 * this index at random places for each new exception. */
	"DROP INDEX events_exception;"
	"CREATE INDEX events_exception ON events(exception_id, type)"
	" WHERE type <> 'exception_raised';"
	/* The records each run judged (sg_inputs.h), each chunk once. */
	"CREATE TABLE input_chunks ("
	" sha256 TEXT PRIMARY KEY,"              /* of the compressed data */
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

/* Version 4: what plugins keep between runs (a sync cursor, a
 * checkpoint), written by the run that set it, in its transaction. */
static const char ledger_schema_v4[] =
	"CREATE TABLE plugin_state ("
	" plugin TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" value TEXT NOT NULL,"
	" run_id TEXT NOT NULL REFERENCES runs(id),"
	" PRIMARY KEY (plugin, key)"
	") WITHOUT ROWID;";

/* Version 5: the id a write-back sink gave each exception's task in a
 * CRM ('' while a create's outcome is unknown), so a rerun creates no
 * duplicate. */
static const char ledger_schema_v5[] =
	"CREATE TABLE task_refs ("
	" sink TEXT NOT NULL,"
	" exception_id TEXT NOT NULL REFERENCES exceptions(id),"
	" ref TEXT NOT NULL,"
	" recorded_at INTEGER NOT NULL,"
	" PRIMARY KEY (sink, exception_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX task_refs_ref ON task_refs(sink, ref);";

/* Version 6: a kept chunk is also known by the SHA-256 of its encoded
 * records (before compression), so a run that pulls the same records
 * again finds the chunk stored without compressing them first.  Chunks
 * kept before have none until a run stores them again. */
static const char ledger_schema_v6[] =
	"ALTER TABLE input_chunks ADD COLUMN raw_sha256 TEXT;";

/*
 * Version 7: an exception_raised event is not stored; it is read from
 * its exception (raised_seq, detected_at, first_run, opportunity_id),
 * which says everything it did.  At a million opportunities inserting
 * them was a fifth of a run's recording.  The table keeps the other
 * events under the name event_rows, and the view events shows both, so
 * every reader sees the events as before; writers insert into
 * event_rows.  A stored exception_raised event that does not say
 * exactly what its exception does (none is known) stays stored, and its
 * exception gives none.  The index of events by exception now holds
 * every stored event.
 */
static const char ledger_schema_v7[] =
	"ALTER TABLE events RENAME TO event_rows;"
	"CREATE INDEX exceptions_raised ON exceptions(raised_seq)"
	" WHERE raised_seq IS NOT NULL;"
	"DELETE FROM event_rows WHERE type = 'exception_raised'"
	" AND detail IS NULL AND EXISTS (SELECT 1 FROM exceptions e"
	"  WHERE e.raised_seq = event_rows.seq"
	"  AND e.id = event_rows.exception_id"
	"  AND e.detected_at = event_rows.at"
	"  AND e.first_run IS event_rows.run_id"
	"  AND e.opportunity_id IS event_rows.opportunity_id);"
	"UPDATE exceptions SET raised_seq = NULL WHERE raised_seq IN"
	" (SELECT seq FROM event_rows WHERE type = 'exception_raised');"
	"DROP INDEX events_exception;"
	"CREATE INDEX events_exception ON event_rows(exception_id, type);"
	"CREATE VIEW events AS"
	" SELECT seq, type, at, run_id, exception_id, opportunity_id, detail"
	" FROM event_rows"
	" UNION ALL"
	" SELECT raised_seq, 'exception_raised', detected_at, first_run, id,"
	" opportunity_id, NULL FROM exceptions WHERE raised_seq IS NOT NULL;";

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
 * Version 8: the disposition's constraint as comparisons, the same
 * constraint: SQLite (3.40) checks an IN list of more than two values by
 * building a temporary b-tree for every row written, a third of the
 * time a new exception's insert takes.  The table's rows need no
 * change, so its text is rewritten in place, as SQLite documents for a
 * changed CHECK constraint (https://www.sqlite.org/lang_altertable.html,
 * "Making Other Kinds Of Table Schema Changes"); a ledger whose text
 * says something else keeps it.
 */
#define LEDGER_DISPOSITION_CHECK_V8 \
	"disposition = 'approve' OR disposition = 'correct'" \
	" OR disposition = 'escalate' OR disposition = 'reassign'" \
	" OR disposition = 'log' OR disposition = 'block'"

static int ledger_schema_v8(struct sg_ledger *ledger, struct sg_error *err)
{
	static const char sql[] =
		"UPDATE sqlite_master SET sql = replace(sql, ?1, ?2)"
		" WHERE type = 'table' AND name = 'exceptions'"
		" AND instr(sql, ?1) > 0";
	sqlite3_stmt *stmt = NULL;
	sqlite3_int64 cookie;
	char bump[64];
	int defensive = 0, rc;

	/* SQLite refuses the schema's text to a defensive connection. */
	sqlite3_db_config(ledger->db, SQLITE_DBCONFIG_DEFENSIVE, -1,
			  &defensive);
	sqlite3_db_config(ledger->db, SQLITE_DBCONFIG_DEFENSIVE, 0, NULL);
	rc = ledger_exec(ledger, "PRAGMA writable_schema = ON",
			 "cannot rewrite the schema", err);
	if (rc == SG_OK)
		rc = ledger_prepare(ledger, sql, &stmt, err);
	if (rc == SG_OK) {
		sqlite3_bind_text(stmt, 1, LEDGER_DISPOSITION_CHECK_V3, -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, LEDGER_DISPOSITION_CHECK_V8, -1,
				  SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			rc = ledger_fail(ledger, err,
					 "cannot rewrite the schema");
	}
	sqlite3_finalize(stmt);
	sqlite3_exec(ledger->db, "PRAGMA writable_schema = OFF", NULL, NULL,
		     NULL);
	sqlite3_db_config(ledger->db, SQLITE_DBCONFIG_DEFENSIVE, defensive,
			  NULL);
	/* SQLite counts direct writes to the schema as no change: the
	 * schema's cookie is moved so every connection, this one too,
	 * reads the new text. */
	if (rc == SG_OK)
		rc = ledger_query_int(ledger, "PRAGMA schema_version",
				      &cookie, "cannot read the schema", err);
	if (rc != SG_OK)
		return rc;
	snprintf(bump, sizeof(bump), "PRAGMA schema_version = %lld",
		 (long long)cookie + 1);
	return ledger_exec(ledger, bump, "cannot rewrite the schema", err);
}

/*
 * The migrations, in order: entry i takes the schema from version i to
 * version i + 1, by its SQL or, where SQL alone cannot say it, by its
 * function.  Only ever append.
 */
struct ledger_migration {
	const char *sql;
	int (*run)(struct sg_ledger *ledger, struct sg_error *err);
};

static const struct ledger_migration ledger_migrations[] = {
	{ ledger_schema_v1, NULL },
	{ ledger_schema_v2, NULL },
	{ ledger_schema_v3, NULL },
	{ ledger_schema_v4, NULL },
	{ ledger_schema_v5, NULL },
	{ ledger_schema_v6, NULL },
	{ ledger_schema_v7, NULL },
	{ NULL, ledger_schema_v8 },
};

#define LEDGER_MIGRATION_COUNT \
	((int)(sizeof(ledger_migrations) / sizeof(ledger_migrations[0])))

_Static_assert(LEDGER_MIGRATION_COUNT == SG_LEDGER_SCHEMA_VERSION,
	       "one migration per schema version");

/*
 * Sets the connection's durability and integrity settings.  Called once
 * the file is known to be a ledger (or new), as WAL mode is persistent.
 * A new ledger gets pages of LEDGER_PAGE_SIZE first: a page size is
 * fixed once the file has tables (and in WAL mode for good).
 */
static int ledger_configure(struct sg_ledger *ledger, int is_new,
			    struct sg_error *err)
{
	int rc;

	if (is_new) {
		rc = ledger_exec(ledger, "PRAGMA page_size = "
				 LEDGER_PAGE_SIZE, "cannot set the page size",
				 err);
		if (rc != SG_OK)
			return rc;
	}
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
	/* Reads stream; recording a run takes a larger cache while it
	 * lasts (ledger_record.c).  The WAL a run leaves is trimmed. */
	return ledger_exec(ledger, "PRAGMA cache_size = " LEDGER_CACHE_READ
			   "; PRAGMA journal_size_limit = 67108864",
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
int ledger_migrate(struct sg_ledger *ledger, struct sg_error *err)
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
	rc = ledger_configure(ledger, version == 0, err);
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
		if (ledger_migrations[version].run != NULL)
			rc = ledger_migrations[version].run(ledger, err);
		else
			rc = ledger_exec(ledger, ledger_migrations[version].sql,
					 sql, err);
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

