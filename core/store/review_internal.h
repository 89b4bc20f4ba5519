/*
 * review_internal.h - what the review queue's files share: the ledger's
 * SQLite helpers as the review sees them, and a decision's state and
 * statements (review_decide.c; import records through them too).
 * Internal to core/store/.
 */
#ifndef REVIEW_INTERNAL_H
#define REVIEW_INTERNAL_H

#include <jansson.h>
#include <sqlite3.h>

#include "ledger_db.h"
#include "sg_review.h"

/* Exception types whose moves count as flagged (DESIGN §7). */
#define RV_FLAGGED_TYPES \
	"('missing_evidence', 'required_field', 'skipped_stage'," \
	" 'seller_only', 'regression')"

/* Flags for JSON written to the ledger and printed. */
#define RV_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* What a decision is judged against: the exception and its task. */
struct rv_state {
	int found, has_task, closed;
	sg_time raised, due_at, decided_at;
	char *opportunity_id, *type, *assignee, *disposition, *decided_by;
};

/* The statements of a decision, prepared once per request. */
struct rv_stmts {
	sqlite3_stmt *state, *close, *reassign, *history, *event;
};

/* Column i parsed as a JSON document, or NULL (NULL column, bad JSON). */
json_t *rv_col_json(sqlite3_stmt *stmt, int i);

/* A copy of column i as text into *out (NULL for SQL NULL). */
int rv_col_text(sqlite3_stmt *stmt, int i, char **out);

/* "YYYY-MM-DDTHH:MM:SSZ" or "-" for an absent time. */
const char *rv_iso(sg_time t, char *buf);

int rv_nomem(struct sg_error *err);

/* Records decision d (already judged against s). */
int rv_apply(struct sg_ledger *ledger, struct rv_stmts *st,
	     const struct sg_review_decision *d,
	     const struct rv_state *s, struct sg_error *err);

/* Dumps obj (consumed) as compact JSON into *text (malloc'd). */
int rv_dump(json_t *obj, char **text, struct sg_error *err);

/*
 * Judges decision d against state s.  Returns SG_OK, or SG_ERR_NOTFOUND /
 * SG_ERR_REFUSED with the reason in why (no position, no prefix).
 */
int rv_judge(const struct sg_review_decision *d,
	     const struct rv_state *s, char *why, size_t size);

int rv_load_state(struct sg_ledger *ledger, struct rv_stmts *st,
		  const char *id, struct rv_state *s,
		  struct sg_error *err);

void rv_state_clear(struct rv_state *s);

int rv_step_done(struct sg_ledger *ledger, sqlite3_stmt *stmt,
		 const char *what, struct sg_error *err);

void rv_stmts_finalize(struct rv_stmts *st);

int rv_stmts_prepare(struct sg_ledger *ledger, struct rv_stmts *st,
		     struct sg_error *err);

json_t *rv_str_or_null(const char *s);

#endif
