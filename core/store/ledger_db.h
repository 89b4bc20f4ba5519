/*
 * ledger_db.h - internal to core/store/: the ledger's SQLite connection
 * and the helpers every file of the store uses to speak SQL.  Nothing
 * outside core/store/ includes it (tests may, to look at the file).
 */
#ifndef LEDGER_DB_H
#define LEDGER_DB_H

#include <sqlite3.h>

#include "sg_ledger.h"

/* Page cache sizes (KiB, negative as PRAGMA cache_size takes them): for
 * reading, and while a run is recorded, when the indexes it inserts into
 * at random (exception ids are hashes) must stay in memory for half a
 * million exceptions. */
#define LEDGER_CACHE_READ "-65536"
#define LEDGER_CACHE_RECORD "-262144"

/* The page size of a new ledger, in bytes.  A run writes hundreds of
 * megabytes (exception rows of ~600 bytes, records kept in chunks of a
 * few hundred KB): with 4 KiB pages the WAL took one write per page, and
 * on a virtual machine system calls are dear; 16 KiB pages recorded a
 * 1,000,000-opportunity run in 7.5 s instead of 9-13 s
 * (docs/benchmarks.md).  Ledgers made before keep their pages. */
#define LEDGER_PAGE_SIZE "16384"

struct sg_ledger {
	sqlite3 *db;
	char *path;
	int schema_version;
	int read_depth;         /* 1 inside sg_ledger_read_begin() */
	int run_lock;           /* PATH-run.lock while held, or -1 */
};

/*
 * The detail of an exception_raised event, made from its exception's
 * row, named e: the same JSON the event once stored.  Since schema 7
 * such an event is the exception itself (raised_seq; the view events
 * shows it); before, since schema 3, its stored row kept no detail.
 */
#define LEDGER_RAISED_DETAIL \
	"json_object('type', e.type, 'verdict', e.verdict," \
	" 'assignee', e.assignee, 'due_at'," \
	" strftime('%Y-%m-%dT%H:%M:%SZ', e.due_at, 'unixepoch'))"

/* The exception_raised events, one per exception (raised_seq), as the
 * columns seq, type, at, run_id, exception_id, opportunity_id, detail of
 * a stored event, then 1 and detail's members (struct sg_event_record's
 * raised fields); WHERE-able on e. */
#define LEDGER_RAISED_EVENTS \
	"SELECT e.raised_seq, 'exception_raised', e.detected_at," \
	" e.first_run, e.id, e.opportunity_id, " LEDGER_RAISED_DETAIL "," \
	" 1, e.type, e.verdict, e.assignee, e.due_at" \
	" FROM exceptions e WHERE e.raised_seq IS NOT NULL"

/* The detail of a stored event named ev (joined as LEDGER_EVENT_JOIN):
 * one stored before schema 7 without detail is read from its
 * exception. */
#define LEDGER_EVENT_DETAIL \
	"CASE WHEN ev.detail IS NULL AND ev.type = 'exception_raised'" \
	" THEN " LEDGER_RAISED_DETAIL " ELSE ev.detail END"

/* The join LEDGER_EVENT_DETAIL reads. */
#define LEDGER_EVENT_JOIN \
	" LEFT JOIN exceptions e ON ev.detail IS NULL" \
	" AND ev.type = 'exception_raised' AND e.id = ev.exception_id"

/*
 * Fills err with SG_ERR_LEDGER: the ledger's path, what was being done,
 * SQLite's message and, where there is one, what to do.  Call before any
 * other SQLite call that would replace the message.
 */
int ledger_fail(struct sg_ledger *ledger, struct sg_error *err,
		const char *what);

/* Checks the open file is a ledger this stageguard reads, sets up the
 * connection and applies the migrations it lacks (ledger_schema.c). */
int ledger_migrate(struct sg_ledger *ledger, struct sg_error *err);

/* Runs SQL without results; SG_OK or SG_ERR_LEDGER. */
int ledger_exec(struct sg_ledger *ledger, const char *sql, const char *what,
		struct sg_error *err);

/* Prepares sql into *stmt (NULL on failure); SG_OK or SG_ERR_LEDGER. */
int ledger_prepare(struct sg_ledger *ledger, const char *sql,
		   sqlite3_stmt **stmt, struct sg_error *err);

/* Rolls back an open transaction, keeping the error already in err. */
void ledger_rollback(struct sg_ledger *ledger);

/* Writes the run's plugin state inside its transaction (ledger_state.c). */
int ledger_record_state(struct sg_ledger *ledger,
			const struct sg_run_record *run, struct sg_error *err);

/* Binds s (NULL: SQL NULL), borrowed until the statement is reset. */
void ledger_bind_text(sqlite3_stmt *stmt, int index, const char *s);
/* Binds a time (SG_TIME_NONE: SQL NULL). */
void ledger_bind_time(sqlite3_stmt *stmt, int index, sg_time t);
/* Binds a count, clamped to SQLite's range. */
void ledger_bind_count(sqlite3_stmt *stmt, int index, size_t n);

/* The columns of an exception record of the exceptions table named e, in
 * the order ledger_read_record() reads them (the first 15 of a row). */
#define LEDGER_RECORD_COLUMNS \
	"e.id, e.type, e.verdict, e.opportunity_id, e.opportunity_name," \
	" e.owner_id, e.assignee, e.from_stage, e.to_stage, e.stage," \
	" e.event_at, e.detected_at, e.due_at, e.detail, e.note"

enum ledger_record_column {
	LR_ID, LR_TYPE, LR_VERDICT, LR_OPPORTUNITY_ID, LR_OPPORTUNITY_NAME,
	LR_OWNER_ID, LR_ASSIGNEE, LR_FROM_STAGE, LR_TO_STAGE, LR_STAGE,
	LR_EVENT_AT, LR_DETECTED_AT, LR_DUE_AT, LR_DETAILS, LR_NOTE,
	LR_COUNT
};

/* Reads the LEDGER_RECORD_COLUMNS of the current row into rec (borrowed
 * until the next step). */
void ledger_read_record(sqlite3_stmt *stmt, struct sg_exception_record *rec);

/* Column col as text (NULL for SQL NULL), valid until the next step. */
const char *ledger_col_text(sqlite3_stmt *stmt, int col);
/* Column col as a time (SG_TIME_NONE for SQL NULL). */
sg_time ledger_col_time(sqlite3_stmt *stmt, int col);
/* Column col as a count (0 for SQL NULL or a negative number). */
size_t ledger_col_count(sqlite3_stmt *stmt, int col);

#endif
