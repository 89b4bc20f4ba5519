/*
 * sg_ledger.h - the durable record of runs, exceptions, review tasks and
 * measurement events (DESIGN §6-§7), in SQLite.
 *
 * The schema is versioned (PRAGMA user_version) and migrated forward on
 * open.  A run is recorded in one transaction: killed at any point, the
 * ledger holds the run whole or not at all, and a rerun of the same data
 * records the same result (exceptions are idempotent by id).
 */
#ifndef SG_LEDGER_H
#define SG_LEDGER_H

#include <stddef.h>

#include "sg_exception.h"
#include "util/sg_error.h"
#include "util/sg_time.h"

#define SG_LEDGER_SCHEMA_VERSION 8

struct sg_ledger;

/*
 * Opens (creating when absent) the ledger at path and migrates its schema.
 * A ledger written by a newer stageguard (higher schema version) is refused.
 * Returns SG_OK or SG_ERR_LEDGER naming the file and SQLite's message.
 */
int sg_ledger_open(struct sg_ledger **out, const char *path,
		   struct sg_error *err);
/* Accepts NULL. */
void sg_ledger_close(struct sg_ledger *ledger);

/*
 * One run at a time records in a ledger: what a run derives from it (the
 * previous run's as-of, a connector's sync cursor) is read under this
 * lock, held until sg_ledger_close(), so a second run started meanwhile
 * reads what the first recorded.  An advisory lock on PATH-run.lock.
 * Returns SG_OK, 1 when another process holds it and wait is 0, or
 * SG_ERR_LEDGER; waiting, cancelled() (may be NULL) is asked every 50 ms
 * and a nonzero answer ends the wait with SG_ERR_LEDGER.
 */
int sg_ledger_lock_runs(struct sg_ledger *ledger, int wait,
			int (*cancelled)(void), struct sg_error *err);

/* The schema version of the open ledger. */
int sg_ledger_schema_version(const struct sg_ledger *ledger);

/*
 * The as-of of the most recent recorded run; *found is 0 when no run was
 * recorded yet.
 */
int sg_ledger_last_as_of(struct sg_ledger *ledger, sg_time *as_of, int *found,
			 struct sg_error *err);

/*
 * The latest moment the ledger records: the last run's as-of, or a later
 * disposition's time.  *found is 0 when no run is recorded yet.  Outputs
 * made as of it show every decision and are the same whenever they are
 * made.
 */
int sg_ledger_latest_time(struct sg_ledger *ledger, sg_time *t, int *found,
			  struct sg_error *err);

/* One chunk of the records a run judged, in its place (sg_inputs.h). */
struct sg_input_ref {
	unsigned part, seq;
	char sha256[65];
};

/* A plugin's state for one key (sg_plugin.h state_put): value NULL
 * removes the key. */
struct sg_plugin_state_entry {
	const char *plugin;
	const char *key;
	const char *value;
};

/* The most a key and a value of plugin state may hold, in bytes. */
#define SG_PLUGIN_STATE_KEY_MAX 256u
#define SG_PLUGIN_STATE_VALUE_MAX (64u * 1024u)

/* One run as recorded. */
struct sg_run_record {
	char id[33];            /* filled by sg_ledger_record_run() */
	sg_time started_at, finished_at, as_of;
	sg_time since;          /* SG_TIME_NONE: the beginning */
	const char *source;     /* plugin name and argument */
	sg_time snapshot_at;    /* SG_TIME_NONE: no snapshot */
	const char *config_sha256;
	const char *tool_version;
	size_t opportunities, evaluated, paused;
	/* The chunks of the records judged, stored beforehand with
	 * sg_ledger_put_input_chunk() (none: input_count 0). */
	const struct sg_input_ref *inputs;
	size_t input_count;
	/* What the run's plugins keep for the next run, written with the
	 * run or not at all (none: state_count 0). */
	const struct sg_plugin_state_entry *state;
	size_t state_count;
	/* Called inside the run's transaction after its rows are written and
	 * before COMMIT (NULL: none), for a companion module's writes that
	 * must land with the run or not at all; a failure rolls back the
	 * whole run. */
	int (*before_commit)(struct sg_ledger *ledger, void *arg,
			     struct sg_error *err);
	void *before_commit_arg;
};

/*
 * The exceptions of a run, handed to the ledger one at a time: the ledger
 * asks for an exception in full only when its id is new, so a run that
 * sees again what earlier runs recorded writes no note.
 */
struct sg_exception_feed {
	size_t count;
	void *arg;
	/* The id of exception i, valid as long as the feed. */
	const char *(*id)(void *arg, size_t i);
	/* Exception i in full; borrowed until the next call. */
	int (*record)(void *arg, size_t i, struct sg_exception_record *rec,
		      struct sg_error *err);
	/* Optional (NULL: not told): called once, before the first
	 * record(), with the indexes record() will be asked for, in the
	 * order it will be asked (borrowed for the call), so that the feed
	 * can make them ready on another thread while the ledger writes.
	 * A failure ends the recording with it. */
	int (*will_ask)(void *arg, const size_t *indexes, size_t count,
			struct sg_error *err);
};

/* What sg_ledger_record_run() did. */
struct sg_run_outcome {
	size_t new_exceptions;  /* first seen in this run */
	size_t seen_again;      /* already in the ledger; sighting moved */
	size_t tasks_created;
};

/*
 * Records a run with its exceptions in one transaction: the run row; each
 * exception inserted with first_seen = the run's as-of, or, if its id is
 * known, its sighting (last_seen, last_run) moved forward (an exception
 * needs id, type, verdict, opportunity_id, assignee, detected_at, due_at
 * and a details object, else SG_ERR_INTERNAL); a review task for each
 * new exception (assignee, due); an exception_raised event for each new
 * exception; and a run_completed event.  The known ones are handled in
 * id order, the new ones in the feed's order (their rows and events come
 * in that order).  An id the feed gives twice is new once, then seen
 * again.  On any failure everything is
 * rolled back.  When the environment holds STAGEGUARD_TEST_KILL_AFTER=N
 * (tests only), the process kills itself with SIGKILL after writing N
 * exceptions inside the transaction, to prove atomicity.
 */
int sg_ledger_record_run(struct sg_ledger *ledger, struct sg_run_record *run,
			 const struct sg_exception_feed *exceptions,
			 struct sg_run_outcome *outcome, struct sg_error *err);

/* Which exceptions sg_ledger_each_exception() reads: the one with id,
 * else those of opportunity_id, else (both NULL) all. */
struct sg_exception_filter {
	const char *id;
	const char *opportunity_id;
};

/*
 * Calls fn for each recorded exception the filter keeps, in id order;
 * rec is borrowed for the call.  fn returns SG_OK to go on.  Returns
 * SG_OK, fn's status, or SG_ERR_LEDGER.
 */
int sg_ledger_each_exception(struct sg_ledger *ledger,
			     const struct sg_exception_filter *filter,
			     int (*fn)(void *arg,
				       const struct sg_exception_record *rec,
				       struct sg_error *err),
			     void *arg, struct sg_error *err);

/* The ledger's file, for messages.  Borrowed; valid until
 * sg_ledger_close(). */
const char *sg_ledger_path(const struct sg_ledger *ledger);

/* Counts for status output and tests. */
struct sg_ledger_counts {
	size_t runs, exceptions, open_tasks, events;
};
int sg_ledger_counts(struct sg_ledger *ledger, struct sg_ledger_counts *out,
		     struct sg_error *err);

/* ---- reading what outputs need (core/store/ledger_read.c) ---- */

/*
 * A read transaction, so that several reads see one state of the ledger.
 * Nests: inside a transaction already open (a run being recorded) it does
 * nothing.  Every sg_ledger_read_begin() that returned SG_OK is matched by
 * one sg_ledger_read_end().
 */
int sg_ledger_read_begin(struct sg_ledger *ledger, struct sg_error *err);
void sg_ledger_read_end(struct sg_ledger *ledger);

/* Review tasks at an instant t: a task is open at t when it was created
 * at or before t and not decided at or before t. */
struct sg_task_counts {
	size_t open;            /* open at t */
	size_t overdue;         /* open at t and due before t */
	size_t decided;         /* closed by a disposition at or before t */
};
int sg_ledger_task_counts(struct sg_ledger *ledger, sg_time t,
			  struct sg_task_counts *out, struct sg_error *err);

/* One review task as it stands now; decided_at SG_TIME_NONE while open. */
struct sg_task_record {
	const char *exception_id;
	sg_time created_at;     /* raised (detection) */
	sg_time due_at;
	const char *disposition; /* NULL while open */
	sg_time decided_at;
};

/* Every review task, in the order stored (the fastest to read); rec is
 * borrowed for the call. */
int sg_ledger_each_task(struct sg_ledger *ledger,
			int (*fn)(void *arg, const struct sg_task_record *rec,
				  struct sg_error *err),
			void *arg, struct sg_error *err);

/* The as-of of each run recorded with from <= as_of < until and
 * as_of <= t, in recording order. */
int sg_ledger_each_run_as_of(struct sg_ledger *ledger, sg_time from,
			     sg_time until, sg_time t,
			     int (*fn)(void *arg, sg_time as_of,
				       struct sg_error *err),
			     void *arg, struct sg_error *err);

/* An exception with its review task: the task as it stands now (a reader
 * judges it at its own instant with the times). */
struct sg_review_row {
	struct sg_exception_record ex;
	/* The exception's "missing" criteria, else its "fields", joined
	 * with ", "; and the amount and currency of a forecast_impact. */
	const char *missing, *amount, *currency;
	int has_task;
	const char *assignee;   /* now (a reassign moves it) */
	const char *status;     /* "open" or "closed" */
	const char *disposition, *decided_by, *decision_note;
	sg_time created_at, due_at, decided_at;
};

enum sg_review_rows {
	/* Every exception first seen at or before t, by opportunity,
	 * event time, type, from and to stage, id. */
	SG_ROWS_EXCEPTIONS,
	/* The tasks open at t, by due time then id: a queue's rows,
	 * without the exception's details, note, missing or amount. */
	SG_ROWS_OPEN_AT,
	/* The exceptions first seen in [from, until) and at or before t
	 * (the pilot's), in no order. */
	SG_ROWS_RAISED_IN,
};

struct sg_review_rows_query {
	int which;              /* enum sg_review_rows */
	sg_time t, from, until;
};

int sg_ledger_each_review_row(struct sg_ledger *ledger,
			      const struct sg_review_rows_query *q,
			      int (*fn)(void *arg,
					const struct sg_review_row *row,
					struct sg_error *err),
			      void *arg, struct sg_error *err);

/* The exceptions first seen at or before t of one type (a contract
 * name), and how many of their tasks are open at t. */
int sg_ledger_type_counts(struct sg_ledger *ledger, sg_time t,
			  int (*fn)(void *arg, const char *type,
				    size_t count, size_t open,
				    struct sg_error *err),
			  void *arg, struct sg_error *err);

/* The exceptions first seen at or before t of one owner (NULL: none). */
struct sg_owner_counts {
	const char *owner_id;
	size_t exceptions, block, review, open_reviews, overdue;
};
int sg_ledger_owner_counts(struct sg_ledger *ledger, sg_time t,
			   int (*fn)(void *arg,
				     const struct sg_owner_counts *row,
				     struct sg_error *err),
			   void *arg, struct sg_error *err);

/* For each criterion missing_evidence exceptions first seen at or before
 * t lacked: how many exceptions and opportunities, by criterion id. */
int sg_ledger_evidence_gaps(struct sg_ledger *ledger, sg_time t,
			    int (*fn)(void *arg, const char *criterion,
				      size_t exceptions, size_t opportunities,
				      struct sg_error *err),
			    void *arg, struct sg_error *err);

/* One measurement event as stored; detail is a JSON object's text. */
struct sg_event_record {
	long long seq;
	const char *type;
	sg_time at;
	const char *run_id, *exception_id, *opportunity_id;
	const char *detail;     /* NULL: none */
	/* An exception_raised event read from its exception (raised 1):
	 * the members of detail as fields, its "type" here named
	 * exception_type, so an export need not parse detail. */
	int raised;
	const char *exception_type, *verdict, *assignee;
	sg_time due_at;
};

/* The events with at >= since (SG_TIME_NONE: all) and, when type is not
 * NULL, of that type, in seq order. */
int sg_ledger_each_event(struct sg_ledger *ledger, sg_time since,
			 const char *type,
			 int (*fn)(void *arg, const struct sg_event_record *ev,
				   struct sg_error *err),
			 void *arg, struct sg_error *err);

/* The tables an audit archives as they are stored (runs by seq, tasks by
 * exception id, task history by seq), as rows of typed cells. */
enum sg_ledger_table {
	SG_LEDGER_RUNS,
	SG_LEDGER_TASKS,
	SG_LEDGER_TASK_HISTORY,
	SG_LEDGER_TABLE_COUNT
};

enum sg_cell_kind { SG_CELL_TEXT, SG_CELL_INT, SG_CELL_TIME };

struct sg_cell {
	int kind;               /* enum sg_cell_kind */
	int null;
	const char *text;       /* SG_CELL_TEXT */
	long long number;       /* SG_CELL_INT, SG_CELL_TIME (seconds) */
};

/* The column names and kinds of a table; *count columns. */
void sg_ledger_table_columns(int table, const char *const **names,
			     const int **kinds, size_t *count);

int sg_ledger_each_table_row(struct sg_ledger *ledger, int table,
			     int (*fn)(void *arg, const struct sg_cell *cells,
				       struct sg_error *err),
			     void *arg, struct sg_error *err);

/*
 * Every exception by id, each with its review task as the row
 * sg_ledger_each_table_row() gives of SG_LEDGER_TASKS (the same cells,
 * in the same order): an archive's exceptions and tasks from one sorted
 * walk of the table, not two.
 */
int sg_ledger_each_exception_and_task(
	struct sg_ledger *ledger,
	int (*fn)(void *arg, const struct sg_exception_record *rec,
		  const struct sg_cell *task, struct sg_error *err),
	void *arg, struct sg_error *err);

/* ---- what plugins keep between runs ---- */

/* Calls fn for each key the plugin keeps (by key), as the last run that
 * set it left it; key and value are borrowed for the call. */
int sg_ledger_each_plugin_state(struct sg_ledger *ledger, const char *plugin,
				int (*fn)(void *arg, const char *key,
					  const char *value,
					  struct sg_error *err),
				void *arg, struct sg_error *err);

/* ---- the tasks write-back sinks made in a CRM ---- */

#define SG_TASK_REF_MAX 256

/*
 * The reference (the CRM's task id) sink keeps for exception_id, in
 * *ref (malloc'd, the caller frees it), or NULL when none.  "" means a
 * create was started and its outcome is unknown (it timed out): look
 * the task up in the CRM before creating it again.
 */
int sg_ledger_task_ref_get(struct sg_ledger *ledger, const char *sink,
			   const char *exception_id, char **ref,
			   struct sg_error *err);

/*
 * Keeps ref for sink and exception_id (replacing one kept before),
 * committed at once: the task exists in the CRM whatever happens to the
 * run next.  ref NULL forgets it.  SG_ERR_NOTFOUND for an exception the
 * ledger does not hold; SG_ERR_PLUGIN for a ref over SG_TASK_REF_MAX
 * bytes or not UTF-8 text.
 */
int sg_ledger_task_ref_put(struct sg_ledger *ledger, const char *sink,
			   const char *exception_id, const char *ref,
			   sg_time at, struct sg_error *err);

/*
 * The exception sink keeps ref for, in *exception_id (malloc'd), or
 * NULL: a task read back from the CRM by its id.
 */
int sg_ledger_task_ref_find(struct sg_ledger *ledger, const char *sink,
			    const char *ref, char **exception_id,
			    struct sg_error *err);

/* ---- the records a run judged (sg_inputs.h) ---- */

/*
 * Stores one chunk of encoded, compressed records under the SHA-256 of
 * its compressed bytes, unless the ledger holds it already (from an
 * earlier run); raw_sha256 (the SHA-256 of the encoded records, may be
 * NULL) is recorded with it, also for a chunk stored before without one.
 * Outside a transaction it commits on its own without syncing: it is
 * made durable by the run that refers to it.  A chunk no committed run
 * refers to is left over by a run that died.
 */
int sg_ledger_put_input_chunk(struct sg_ledger *ledger, const char *sha256,
			      const char *raw_sha256, const void *data,
			      size_t size, size_t raw_size, size_t records,
			      struct sg_error *err);

/* Calls fn for each stored chunk known by the SHA-256 of its encoded
 * records: that digest and their size, the chunk's own SHA-256 (of its
 * compressed bytes) and its compressed size. */
int sg_ledger_each_input_key(struct sg_ledger *ledger,
			     int (*fn)(void *arg, const char *raw_sha256,
				       size_t raw_size, const char *sha256,
				       size_t size, struct sg_error *err),
			     void *arg, struct sg_error *err);

/* The latest run with as_of <= at that kept its inputs: its id and
 * as-of; *found 0 when none. */
int sg_ledger_inputs_run(struct sg_ledger *ledger, sg_time at,
			 char run_id[33], sg_time *as_of, int *found,
			 struct sg_error *err);

/* One chunk a run kept, in its place, with its sizes. */
struct sg_input_chunk_info {
	struct sg_input_ref ref;
	size_t size;            /* compressed bytes */
	size_t raw_size;        /* encoded bytes */
};

/* The chunks of the run's inputs, by part and then in order within the
 * part (*chunks malloc'd; none: NULL and 0). */
int sg_ledger_input_chunks(struct sg_ledger *ledger, const char *run_id,
			   struct sg_input_chunk_info **chunks, size_t *count,
			   struct sg_error *err);

/* Calls fn with the bytes of each of the count chunks named, in the
 * order given (index into chunks); data is borrowed for the call. */
int sg_ledger_read_input_chunks(struct sg_ledger *ledger,
				const struct sg_input_chunk_info *chunks,
				size_t count,
				int (*fn)(void *arg, size_t index,
					  const void *data, size_t size,
					  struct sg_error *err),
				void *arg, struct sg_error *err);

#endif
