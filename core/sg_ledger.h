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

#define SG_LEDGER_SCHEMA_VERSION 3

struct sg_ledger;

/*
 * Opens (creating when absent) the ledger at path and migrates its schema.
 * A ledger written by a newer stageguard (higher schema version) is refused.
 * Returns SG_OK or SG_ERR_LEDGER naming the file and SQLite's message.
 */
int sg_ledger_open(struct sg_ledger **out, const char *path,
		   struct sg_error *err);
void sg_ledger_close(struct sg_ledger *ledger);

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
	/* The id of exception i. */
	const char *(*id)(void *arg, size_t i);
	/* Exception i in full; borrowed until the next call. */
	int (*record)(void *arg, size_t i, struct sg_exception_record *rec,
		      struct sg_error *err);
};

/* What sg_ledger_record_run() did. */
struct sg_run_outcome {
	size_t new_exceptions;  /* first seen in this run */
	size_t seen_again;      /* already in the ledger; last_seen moved */
	size_t tasks_created;
};

/*
 * Records a run with its exceptions in one transaction: the run row; each
 * exception inserted with first_seen = last_seen = the run's as-of, or, if
 * its id is known, last_seen and last_run updated (an exception needs id,
 * type, verdict, opportunity_id, assignee, detected_at, due_at and a
 * details object, else SG_ERR_INTERNAL); a review task for each
 * new exception (assignee, due); an exception_raised event for each new
 * exception; and a run_completed event.  On any failure everything is
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

/*
 * The SQLite connection and the file, for the ledger's companion modules
 * (review queue, measures) that run their own queries on the same schema.
 * Borrowed; valid until sg_ledger_close().
 */
struct sqlite3;
struct sqlite3 *sg_ledger_db(struct sg_ledger *ledger);
const char *sg_ledger_path(const struct sg_ledger *ledger);

/* Counts for status output and tests. */
struct sg_ledger_counts {
	size_t runs, exceptions, open_tasks, events;
};
int sg_ledger_counts(struct sg_ledger *ledger, struct sg_ledger_counts *out,
		     struct sg_error *err);

#endif
