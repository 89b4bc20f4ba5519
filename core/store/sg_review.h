/*
 * sg_review.h - the review queue and the measurement events (DESIGN §6-§7):
 * listing and showing review tasks, recording dispositions one at a time
 * or from a CSV file, exporting the event stream, and noting the flagged
 * moves that a later event reverted (stage_corrected).
 *
 * Part of the ledger (core/store/): its files speak SQL to the ledger's
 * tables; this header speaks only types.  Every write is one
 * transaction: a refused request changes nothing.  Times are ISO-8601
 * UTC with Z in every text this module writes.
 */
#ifndef SG_REVIEW_H
#define SG_REVIEW_H

#include <jansson.h>
#include <stddef.h>

#include "sg_ledger.h"
#include "sg_model.h"
#include "util/sg_error.h"
#include "util/sg_time.h"

/* The shortest exception id prefix `review show` and `decide` accept. */
#define SG_REVIEW_PREFIX_MIN 6

/* Bounds on what a person types (bytes). */
#define SG_REVIEW_NAME_MAX 256  /* decided_by, --to */
#define SG_REVIEW_NOTE_MAX 4096 /* decision note */

/* Rows an import reads at most. */
#define SG_REVIEW_IMPORT_ROWS_MAX 1000000

/* A flagged move reverted within this many seconds counts as corrected. */
#define SG_REVIEW_CORRECTION_WINDOW (14 * 86400)

enum sg_disposition {
	SG_DISP_APPROVE = 0,
	SG_DISP_CORRECT,
	SG_DISP_ESCALATE,
	SG_DISP_REASSIGN,
	SG_DISP_LOG,
	SG_DISP_BLOCK,
	SG_DISP_COUNT
};

/* "approve", ...; NULL for a value out of range. */
const char *sg_disposition_name(int disposition);
/* The disposition with this exact name, or -1. */
int sg_disposition_from_name(const char *name);

/* Nonzero for a measurement event type of DESIGN §7 (exception_raised,
 * disposition_recorded, stage_corrected, run_completed). */
int sg_event_type_known(const char *name);

/*
 * Opens an existing ledger for the review and events commands: ledger_path
 * when given, else the "ledger" of the config at config_path (NULL:
 * "stageguard.json").  Never creates a ledger: a missing file is
 * SG_ERR_NOTFOUND saying how to create one; a config naming no ledger is
 * SG_ERR_USAGE.  The caller closes the ledger with sg_ledger_close().
 */
int sg_review_open_ledger(struct sg_ledger **out, const char *config_path,
			  const char *ledger_path, struct sg_error *err);

enum sg_review_status {
	SG_REVIEW_OPEN = 0,     /* tasks still open */
	SG_REVIEW_OVERDUE,      /* open and due_at < as_of */
	SG_REVIEW_ALL           /* open and closed */
};

/* Which tasks sg_review_list() returns; NULL strings match anything. */
struct sg_review_filter {
	int status;             /* enum sg_review_status */
	const char *assignee;
	const char *type;       /* exception type */
	const char *verdict;
	sg_time as_of;          /* the instant "overdue" is judged at */
	const char *without_ref_of; /* only tasks this write-back sink has
				     * made no CRM task for yet (a create
				     * whose outcome is unknown included) */
};

/* A review task with its exception.  Strings are owned by the task (NULL
 * where the ledger holds NULL); times are SG_TIME_NONE when absent. */
struct sg_review_task {
	char *id, *type, *verdict, *opportunity_id, *opportunity_name;
	char *owner_id, *from_stage, *to_stage, *stage, *note;
	sg_time event_at, detected_at, first_seen, last_seen;
	char *assignee;
	sg_time created_at, due_at;
	int closed;
	char *disposition, *decided_by, *decision_note;
	sg_time decided_at;
	char *details;          /* the type's own members, a JSON object's
				 * text: {"missing":["pain"],"present":[]} */
	int overdue;            /* open and due_at < the as-of asked for */
};

struct sg_review_tasks {
	struct sg_review_task *items;
	size_t count;
};

/*
 * Lists the tasks that match filter, sorted by due_at then exception id.
 * On SG_OK out holds them (release with sg_review_tasks_release()); on
 * failure out is empty.  Fails only on the ledger or memory.
 */
int sg_review_list(struct sg_ledger *ledger,
		   const struct sg_review_filter *filter,
		   struct sg_review_tasks *out, struct sg_error *err);
/* Accepts NULL. */
void sg_review_tasks_release(struct sg_review_tasks *tasks);

/*
 * Resolves an exception id, or a prefix of at least SG_REVIEW_PREFIX_MIN
 * characters that only one exception id starts with, into *id (malloc'd,
 * the caller frees it).  An exact id always wins.  Returns SG_ERR_USAGE
 * for a shorter prefix, SG_ERR_NOTFOUND when nothing matches and
 * SG_ERR_REFUSED when the prefix is ambiguous (naming two candidates).
 */
int sg_review_resolve(struct sg_ledger *ledger, const char *id_or_prefix,
		      char **id, struct sg_error *err);

/* One line of a task's history: a task_history row or an event. */
struct sg_review_entry {
	sg_time at;
	long long seq;
	int is_event;           /* 0: task_history row, 1: events row */
	char *action;           /* task action, or the event type */
	char *actor;            /* task rows; NULL for events */
	char *run_id;           /* events; NULL when none */
	json_t *detail;         /* the stored JSON object, or NULL */
};

/* What `review show` prints. */
struct sg_review_detail {
	struct sg_review_task task;
	json_t *exception;      /* the stored exception JSON (an object) */
	json_t *related;        /* array: the stored JSON of the other
				   exceptions raised on the same move */
	struct sg_review_entry *history; /* by at, task rows first, seq */
	size_t history_count;
};

/*
 * Reads exception id (a full id; see sg_review_resolve()) with its task,
 * the other exceptions of the same move, and its history.  overdue is
 * judged at as_of.  On SG_OK *out is the caller's (free it with
 * sg_review_detail_free()); SG_ERR_NOTFOUND for an unknown id.
 */
int sg_review_show(struct sg_ledger *ledger, const char *id, sg_time as_of,
		   struct sg_review_detail **out, struct sg_error *err);
/* Accepts NULL. */
void sg_review_detail_free(struct sg_review_detail *detail);

/* One decision on one review task. */
struct sg_review_decision {
	const char *exception_id;       /* a full id */
	int disposition;                /* enum sg_disposition */
	const char *by;                 /* who decided */
	const char *note;               /* NULL or "": none */
	sg_time at;                     /* when it was decided */
	const char *to;                 /* reassign: the new assignee */
	const char *source;             /* "cli", "import", ... */
	sg_time recorded_at;            /* when it was entered (now) */
};

/*
 * Records a decision in one transaction.  Any disposition but reassign
 * closes the task (status, disposition, decided_by, decided_at, note);
 * reassign keeps it open and moves it to decision->to (due_at is kept:
 * the review's clock runs from when the exception was raised).  Either
 * way a task_history row ("decided" or "reassigned") and a
 * disposition_recorded event are appended; the event's detail holds
 * exception_type, disposition, by, note, raised_at, decided_at, due_at,
 * hours (raised to decision, two decimals), overdue (decided after
 * due_at), assignee (before the decision), to (reassign only), source
 * and recorded_at.
 * Refused with SG_ERR_REFUSED (nothing changed): an unknown exception
 * (SG_ERR_NOTFOUND), a disposition out of range, an empty or over-long
 * "by", an over-long note, a task already closed, a decision time before
 * the exception was raised, reassign without "to" or to the current
 * assignee.
 */
int sg_review_decide(struct sg_ledger *ledger,
		     const struct sg_review_decision *decision,
		     struct sg_error *err);

/* The bad rows of a refused import: "FILE:LINE: reason", in file order. */
struct sg_review_problems {
	char **lines;
	size_t count;
};
/* Accepts NULL. */
void sg_review_problems_release(struct sg_review_problems *problems);

/*
 * Imports dispositions from a CSV file (RFC 4180, header row).  Columns:
 * exception_id, disposition, decided_by, decided_at (ISO-8601 with a
 * zone, or a bare date) required; note and to (the new assignee of a
 * reassign) optional; any other column is refused.  Every row is
 * validated first, against the ledger and against the other rows (an
 * exception id twice in the file is a bad row); when any row is bad,
 * nothing is recorded, problems lists every bad row, and SG_ERR_REFUSED
 * is returned.  Otherwise every row is recorded as sg_review_decide()
 * would, all in one transaction, and *recorded is the row count.  A file
 * that cannot be read or is not CSV (SG_ERR_IO, SG_ERR_PARSE) or whose
 * header is wrong (SG_ERR_PARSE) also records nothing.
 */
int sg_review_import(struct sg_ledger *ledger, const char *path,
		     sg_time recorded_at, size_t *recorded,
		     struct sg_review_problems *problems,
		     struct sg_error *err);

/*
 * Calls fn for each measurement event with at >= since (SG_TIME_NONE:
 * all) and, when type is not NULL, of that type, in seq order.  Each event
 * is a new JSON object {"seq", "type", "at", "run_id", "exception_id",
 * "opportunity_id", then the detail's fields}; a detail field whose name
 * is taken is written "exception_type" (for "type") or "detail_NAME".
 * fn borrows the object; a non-SG_OK return from fn stops the walk and is
 * returned.
 */
typedef int (*sg_event_fn)(void *arg, json_t *event, struct sg_error *err);
int sg_review_events(struct sg_ledger *ledger, sg_time since,
		     const char *type, sg_event_fn fn, void *arg,
		     struct sg_error *err);

/*
 * The same events as their JSON text: compact, reals at 15 digits (the
 * line `stageguard events` prints, without its line feed), text[len] a
 * NUL, borrowed until fn returns.  The exception_raised events read from
 * their exceptions, most of a ledger's, are written straight from their
 * fields (building and dumping a jansson object each was most of writing
 * a bundle's events.jsonl), the others through jansson: the bytes are
 * the same.
 */
typedef int (*sg_event_line_fn)(void *arg, const char *text, size_t len,
				struct sg_error *err);
int sg_review_event_lines(struct sg_ledger *ledger, sg_time since,
			  const char *type, sg_event_line_fn fn, void *arg,
			  struct sg_error *err);

/*
 * Notes the flagged moves a later event reverted (DESIGN §7, §10 rule 40):
 * for every recorded exception of type missing_evidence, required_field,
 * skipped_stage, seller_only or regression whose from_stage is not null
 * and that has no stage_corrected event yet, looks in model's stage events
 * of its opportunity for an event with event_at < changed_at <= event_at +
 * 14 days and changed_at <= as_of whose to_stage is the exception's
 * from_stage, and appends one stage_corrected event (at = that event's
 * changed_at; run_id = the latest run recorded at as_of, if any; detail:
 * exception_type, from_stage, to_stage, event_at, reverted_at,
 * reverted_by, days, seen_at).  Idempotent: a second call appends
 * nothing.  Runs in the caller's transaction when one is open, else in its
 * own.  *found (may be NULL) is the number of events appended.
 */
int sg_review_note_corrections(struct sg_ledger *ledger,
			       const struct sg_model *model, sg_time as_of,
			       size_t *found, struct sg_error *err);

#endif
