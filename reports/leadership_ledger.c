/*
 * leadership_ledger.c - the leadership report's sections read from the
 * ledger: the exception list and the review queue (streamed from a query
 * on each rows() call, never held in memory), owners and teams, and the
 * evidence gaps.  Everything is as it stood at the report's as-of: an
 * exception first seen later is not listed, a disposition decided later
 * is shown as still open.
 */
#include "report_view.h"

#include <stdlib.h>
#include <string.h>

#define LL_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The owner record of an owner id, or NULL. */
static const struct sg_owner *ll_owner(const struct sg_model *m,
				       const char *id)
{
	sg_sym sym;

	if (id == NULL || id[0] == '\0')
		return NULL;
	sym = sg_model_lookup(m, id);
	return sym ? sg_model_owner(m, sym) : NULL;
}

/* ---- review counts ---- */

int rpt_review_counts(struct sg_ledger *ledger, sg_time as_of,
		      struct rpt_review_counts *out, struct sg_error *err)
{
	struct sg_task_counts counts;
	int rc = sg_ledger_task_counts(ledger, as_of, &counts, err);

	out->open = (long long)counts.open;
	out->overdue = (long long)counts.overdue;
	out->decided = (long long)counts.decided;
	return rc;
}

/* ---- the exception list ---- */

static const struct sg_column ll_exception_cols[] = {
	{ "id", "Exception", SG_VAL_TEXT, SG_ROLE_ID, 18 },
	{ "type", "Type", SG_VAL_TEXT, SG_ROLE_PLAIN, 17 },
	{ "verdict", "Verdict", SG_VAL_TEXT, SG_ROLE_VERDICT, 8 },
	{ "opportunity_id", "Opportunity id", SG_VAL_TEXT, SG_ROLE_ID, 14 },
	{ "opportunity", "Opportunity", SG_VAL_TEXT, SG_ROLE_PLAIN, 28 },
	{ "owner", "Owner", SG_VAL_TEXT, SG_ROLE_PLAIN, 18 },
	{ "team", "Team", SG_VAL_TEXT, SG_ROLE_PLAIN, 14 },
	{ "assignee", "Assignee", SG_VAL_TEXT, SG_ROLE_PLAIN, 14 },
	{ "from_stage", "From stage", SG_VAL_TEXT, SG_ROLE_PLAIN, 14 },
	{ "to_stage", "To stage", SG_VAL_TEXT, SG_ROLE_PLAIN, 14 },
	{ "stage", "Stage", SG_VAL_TEXT, SG_ROLE_PLAIN, 14 },
	{ "event_at", "Event", SG_VAL_TIME, SG_ROLE_PLAIN, 0 },
	{ "detected_at", "Detected", SG_VAL_TIME, SG_ROLE_PLAIN, 0 },
	{ "due_at", "Due", SG_VAL_TIME, SG_ROLE_PLAIN, 0 },
	{ "amount", "Amount", SG_VAL_MONEY, SG_ROLE_PLAIN, 14 },
	{ "evidence_missing", "Evidence missing", SG_VAL_TEXT,
	  SG_ROLE_PLAIN, 24 },
	{ "disposition", "Disposition", SG_VAL_TEXT, SG_ROLE_STATUS, 11 },
	{ "decided_by", "Decided by", SG_VAL_TEXT, SG_ROLE_PLAIN, 14 },
	{ "decided_at", "Decided", SG_VAL_TIME, SG_ROLE_PLAIN, 0 },
	{ "decision_note", "Decision note", SG_VAL_TEXT, SG_ROLE_NOTE, 30 },
	{ "note", "Review note", SG_VAL_TEXT, SG_ROLE_NOTE, 60 },
};

struct ll_each_row {
	int (*row)(void *arg, const void *record, struct sg_error *err);
	void *arg;
};

static int ll_review_row(void *arg, const struct sg_review_row *row,
			 struct sg_error *err)
{
	const struct ll_each_row *x = arg;

	return x->row(x->arg, row, err);
}

/* The review rows of which at as-of, handed on as records. */
static int ll_each_review(const struct rpt_query *q, int which,
			  int (*row)(void *arg, const void *record,
				     struct sg_error *err),
			  void *arg, struct sg_error *err)
{
	struct ll_each_row x = { row, arg };
	struct sg_review_rows_query rq;

	memset(&rq, 0, sizeof(rq));
	rq.which = which;
	rq.t = q->as_of;
	return sg_ledger_each_review_row(q->ledger, &rq, ll_review_row, &x,
					 err);
}

static int ll_each_exception(const struct rpt_query *q,
			     int (*row)(void *arg, const void *record,
					struct sg_error *err),
			     void *arg, struct sg_error *err)
{
	return ll_each_review(q, SG_ROWS_EXCEPTIONS, row, arg, err);
}

static int ll_each_open(const struct rpt_query *q,
			int (*row)(void *arg, const void *record,
				   struct sg_error *err),
			void *arg, struct sg_error *err)
{
	return ll_each_review(q, SG_ROWS_OPEN_AT, row, arg, err);
}

/* What the exception rows read besides the ledger; in the arena. */
struct ll_exc_ctx {
	const struct sg_model *model;
};

/* The task's decision as it stood at as-of: decided at or before as-of,
 * else none yet. */
static int ll_decided_by(const struct sg_review_row *r, sg_time as_of)
{
	return r->decided_at != SG_TIME_NONE && r->decided_at <= as_of;
}

static void ll_exception_row(const struct rpt_query *q, const void *record,
			     struct sg_value *cells)
{
	const struct ll_exc_ctx *x = q->ctx;
	const struct sg_review_row *r = record;
	const struct sg_exception_record *e = &r->ex;
	const struct sg_owner *owner = ll_owner(x->model, e->owner_id);
	int decided = ll_decided_by(r, q->as_of);

	cells[0] = rpt_v_text(e->id);
	cells[1] = rpt_v_text(e->type);
	cells[2] = rpt_v_text(e->verdict);
	cells[3] = rpt_v_text(e->opportunity_id);
	cells[4] = rpt_v_text(e->opportunity_name);
	if (owner != NULL && owner->name[0] != '\0')
		cells[5] = rpt_v_text(owner->name);
	else
		cells[5] = rpt_v_text(e->owner_id);
	if (owner != NULL && owner->team[0] != '\0')
		cells[6] = rpt_v_text(owner->team);
	cells[7] = rpt_v_text(r->assignee);
	cells[8] = rpt_v_text(e->from_stage);
	cells[9] = rpt_v_text(e->to_stage);
	cells[10] = rpt_v_text(e->stage);
	cells[11] = rpt_v_time(e->event_at);
	cells[12] = rpt_v_time(e->detected_at);
	cells[13] = rpt_v_time(r->due_at);
	if (e->type != NULL && strcmp(e->type, "forecast_impact") == 0) {
		/* The amount at the move, as the exception recorded it. */
		cells[14] = rpt_v_money(r->amount, r->currency);
	} else {
		const struct sg_opportunity *o = sg_model_opportunity(
			x->model, e->opportunity_id);

		if (o != NULL)
			cells[14] = rpt_v_money(o->amount, o->currency);
	}
	cells[15] = rpt_v_text(r->missing);
	if (r->status != NULL && strcmp(r->status, "closed") == 0 && decided)
		cells[16] = rpt_v_text(r->disposition);
	else if (r->has_task)
		cells[16] = rpt_v_text("open");
	if (decided) {
		cells[17] = rpt_v_text(r->decided_by);
		cells[18] = rpt_v_time(r->decided_at);
		cells[19] = rpt_v_text(r->decision_note);
	}
	cells[20] = rpt_v_text(e->note);
}

int rpt_lead_exceptions(struct rpt_lead *l, struct sg_error *err)
{
	struct ll_exc_ctx *x = rpt_alloc(l->b, sizeof(*x));
	struct rpt_query q;

	if (x == NULL)
		return rpt_status(l->b, err);
	x->model = l->in->model;
	memset(&q, 0, sizeof(q));
	q.ledger = l->ledger;
	q.as_of = l->in->as_of;
	q.each = ll_each_exception;
	q.convert = ll_exception_row;
	q.ctx = x;
	rpt_section(l->b, "exceptions", "Exceptions");
	rpt_add_table(l->b, rpt_query_table(
		l->b, "exceptions", "Exceptions",
		"One row per exception recorded in the ledger, by "
		"opportunity and time.  Amount: the amount at the move for "
		"forecast_impact, else the opportunity's current amount.  "
		"Evidence missing: the criteria (or required fields) the "
		"move lacked.  Disposition: the reviewer's decision, or "
		"\"open\" while none is recorded.",
		ll_exception_cols, LL_COUNT(ll_exception_cols),
		SG_TABLE_LIST, &q));
	return rpt_status(l->b, err);
}

/* ---- the review queue ---- */

static const struct sg_column ll_queue_cols[] = {
	{ "exception_id", "Exception", SG_VAL_TEXT, SG_ROLE_ID, 18 },
	{ "type", "Type", SG_VAL_TEXT, SG_ROLE_PLAIN, 17 },
	{ "verdict", "Verdict", SG_VAL_TEXT, SG_ROLE_VERDICT, 8 },
	{ "opportunity_id", "Opportunity id", SG_VAL_TEXT, SG_ROLE_ID, 14 },
	{ "opportunity", "Opportunity", SG_VAL_TEXT, SG_ROLE_PLAIN, 28 },
	{ "assignee", "Assignee", SG_VAL_TEXT, SG_ROLE_PLAIN, 14 },
	{ "raised_at", "Raised", SG_VAL_TIME, SG_ROLE_PLAIN, 0 },
	{ "due_at", "Due", SG_VAL_TIME, SG_ROLE_PLAIN, 0 },
	{ "status", "Status", SG_VAL_TEXT, SG_ROLE_STATUS, 9 },
	{ "hours_open", "Hours open", SG_VAL_NUMBER, SG_ROLE_PLAIN, 0 },
};

static void ll_queue_row(const struct rpt_query *q, const void *record,
			 struct sg_value *cells)
{
	const struct sg_review_row *r = record;
	sg_time raised = r->created_at, due = r->due_at;

	cells[0] = rpt_v_text(r->ex.id);
	cells[1] = rpt_v_text(r->ex.type);
	cells[2] = rpt_v_text(r->ex.verdict);
	cells[3] = rpt_v_text(r->ex.opportunity_id);
	cells[4] = rpt_v_text(r->ex.opportunity_name);
	cells[5] = rpt_v_text(r->assignee);
	cells[6] = rpt_v_time(raised);
	cells[7] = rpt_v_time(due);
	cells[8] = rpt_v_text(due < q->as_of ? "overdue" : "due");
	cells[9] = rpt_v_number(rpt_round1((double)(q->as_of - raised) /
					   3600.0), "hours");
}

int rpt_lead_review_queue(struct rpt_lead *l, struct sg_error *err)
{
	struct rpt_query q;

	memset(&q, 0, sizeof(q));
	q.ledger = l->ledger;
	q.as_of = l->in->as_of;
	q.each = ll_each_open;
	q.convert = ll_queue_row;
	rpt_section(l->b, "review_queue", "Review queue");
	rpt_add_table(l->b, rpt_query_table(
		l->b, "review_queue", "Open reviews",
		"Every review task still open at as-of, the most urgent "
		"first.  Status: \"overdue\" once the due time has passed, "
		"else \"due\".  Hours open: from when the exception was "
		"raised to as-of.",
		ll_queue_cols, LL_COUNT(ll_queue_cols), SG_TABLE_LIST, &q));
	return rpt_status(l->b, err);
}

/* ---- owners and teams ---- */

struct ll_owner_row {
	const char *id;         /* "" for exceptions without an owner */
	const char *name, *team, *manager;
	long long open_opps, exceptions, block, review, open_reviews,
		  overdue;
};

struct ll_owners {
	struct ll_owner_row *rows;
	size_t count, capacity;
	struct sg_built_report *b;
};

/* Appends a row for id (borrowed: a model text or an arena copy). */
static struct ll_owner_row *ll_owner_push(struct ll_owners *o,
					  const char *id)
{
	struct ll_owner_row *r;

	if (o->count == o->capacity) {
		size_t cap = o->capacity ? o->capacity * 2 : 64;
		struct ll_owner_row *rows = realloc(o->rows,
						    cap * sizeof(*rows));

		if (rows == NULL)
			return NULL;
		o->rows = rows;
		o->capacity = cap;
	}
	r = &o->rows[o->count++];
	memset(r, 0, sizeof(*r));
	r->id = id ? id : "";
	return r;
}

static int ll_owner_ledger_row(void *arg, const struct sg_owner_counts *c,
			       struct sg_error *err)
{
	struct ll_owners *o = arg;
	struct ll_owner_row *r;
	const char *id = c->owner_id;

	if (id != NULL) {
		id = rpt_str(o->b, id);
		if (id == NULL)
			return sg_error_set(err, SG_ERR_NOMEM, "report: out of "
					    "memory");
	}
	r = ll_owner_push(o, id);
	if (r == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "report: out of memory");
	r->exceptions = (long long)c->exceptions;
	r->block = (long long)c->block;
	r->review = (long long)c->review;
	r->open_reviews = (long long)c->open_reviews;
	r->overdue = (long long)c->overdue;
	return SG_OK;
}

static int ll_owner_by_id(const void *a, const void *b)
{
	const struct ll_owner_row *x = a, *y = b;

	return strcmp(x->id, y->id);
}

/* By team (none last), name, id; the row without an owner last. */
static int ll_owner_order(const void *a, const void *b)
{
	const struct ll_owner_row *x = a, *y = b;
	int c;

	if ((x->id[0] == '\0') != (y->id[0] == '\0'))
		return x->id[0] == '\0' ? 1 : -1;
	if ((x->team[0] == '\0') != (y->team[0] == '\0'))
		return x->team[0] == '\0' ? 1 : -1;
	c = strcmp(x->team, y->team);
	if (c == 0)
		c = strcmp(x->name, y->name);
	return c != 0 ? c : strcmp(x->id, y->id);
}

static const struct sg_column ll_owner_cols[] = {
	{ "owner_id", "Owner id", SG_VAL_TEXT, SG_ROLE_ID, 12 },
	{ "owner", "Owner", SG_VAL_TEXT, SG_ROLE_PLAIN, 20 },
	{ "team", "Team", SG_VAL_TEXT, SG_ROLE_PLAIN, 14 },
	{ "manager", "Manager", SG_VAL_TEXT, SG_ROLE_PLAIN, 20 },
	{ "open_opportunities", "Open opportunities", SG_VAL_INT,
	  SG_ROLE_PLAIN, 0 },
	{ "exceptions", "Exceptions", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
	{ "block", "Block", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
	{ "review", "Review", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
	{ "open_reviews", "Open reviews", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
	{ "overdue_reviews", "Overdue reviews", SG_VAL_INT, SG_ROLE_STATUS,
	  0 },
};

static int ll_str_order(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts the rows by id and merges the rows of one id. */
static void ll_owners_merge(struct ll_owners *o)
{
	struct ll_owner_row *r;
	size_t i, j;

	if (o->count == 0)
		return;
	qsort(o->rows, o->count, sizeof(*o->rows), ll_owner_by_id);
	for (i = 0, j = 0; i < o->count; i++) {
		if (j > 0 && strcmp(o->rows[j - 1].id, o->rows[i].id) == 0) {
			r = &o->rows[j - 1];
			r->open_opps += o->rows[i].open_opps;
			r->exceptions += o->rows[i].exceptions;
			r->block += o->rows[i].block;
			r->review += o->rows[i].review;
			r->open_reviews += o->rows[i].open_reviews;
			r->overdue += o->rows[i].overdue;
		} else {
			o->rows[j++] = o->rows[i];
		}
	}
	o->count = j;
}

/* Counts the open opportunities per owner: the owners known so far by
 * binary search, the others (owners.csv lacks them) sorted apart, so
 * memory grows with the owners, not the opportunities. */
static int ll_owners_open(struct rpt_lead *l, struct ll_owners *o)
{
	const struct sg_model *m = l->in->model;
	const struct sg_config *c = l->in->config;
	struct sg_model_view v;
	struct ll_owner_row key, *r;
	const char **misses = NULL;
	size_t n = 0, cap = 0, i, known = o->count;
	int rc = SG_OK;

	sg_model_view(m, &v);
	for (i = 0; i < v.opp_count; i++) {
		const struct sg_opportunity *op = &v.opps[i];
		sg_time entered;
		int s;

		if (!op->in_scope || (l->paused && l->paused[i]) ||
		    op->owner_id == NULL || op->owner_id[0] == '\0')
			continue;
		s = rpt_stage_at(m, op, l->in->as_of, &entered);
		if (s == SG_NO_STAGE || c->stages[s].closed)
			continue;
		key.id = op->owner_id;
		r = known ? bsearch(&key, o->rows, known, sizeof(*o->rows),
				    ll_owner_by_id) : NULL;
		if (r != NULL) {
			r->open_opps++;
			continue;
		}
		if (n == cap) {
			const char **more;

			cap = cap ? cap * 2 : 64;
			more = realloc(misses, cap * sizeof(*misses));
			if (more == NULL) {
				rc = SG_ERR_NOMEM;
				goto out;
			}
			misses = more;
		}
		misses[n++] = op->owner_id;
	}
	if (n > 0)
		qsort(misses, n, sizeof(*misses), ll_str_order);
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(misses[i - 1], misses[i]) != 0) {
			r = ll_owner_push(o, misses[i]);
			if (r == NULL) {
				rc = SG_ERR_NOMEM;
				goto out;
			}
		}
		o->rows[o->count - 1].open_opps++;
	}
out:
	free(misses);
	return rc;
}

/* Adds the model's owners and the open opportunities to the ledger's
 * rows, names each row and puts them in the reader's order. */
static int ll_owners_collect(struct rpt_lead *l, struct ll_owners *o)
{
	const struct sg_model *m = l->in->model;
	struct sg_model_view v;
	struct ll_owner_row *r;
	size_t i;

	sg_model_view(m, &v);
	for (i = 0; i < v.owner_count; i++)
		if (ll_owner_push(o, sg_model_str(m, v.owners[i].id)) == NULL)
			return SG_ERR_NOMEM;
	ll_owners_merge(o);
	if (ll_owners_open(l, o) != SG_OK)
		return SG_ERR_NOMEM;
	for (i = 0; i < o->count; i++) {
		const struct sg_owner *w, *mgr;

		r = &o->rows[i];
		w = ll_owner(m, r->id);
		r->name = w && w->name[0] ? w->name : r->id;
		r->team = w ? w->team : "";
		r->manager = NULL;
		if (w != NULL && w->manager_id != 0) {
			mgr = sg_model_owner(m, w->manager_id);
			r->manager = mgr && mgr->name[0] ? mgr->name :
				     sg_model_str(m, w->manager_id);
		}
	}
	if (o->count > 0)
		qsort(o->rows, o->count, sizeof(*o->rows), ll_owner_order);
	return SG_OK;
}

int rpt_lead_owners(struct rpt_lead *l, struct sg_error *err)
{
	struct ll_owners o;
	struct sg_table *t;
	struct sg_value *cells;
	size_t i;
	int rc;

	memset(&o, 0, sizeof(o));
	o.b = l->b;
	rpt_section(l->b, "owners", "Owners and teams");
	t = rpt_mem_table(l->b, "owners", "Owners and teams",
			  "Per opportunity owner: open opportunities at "
			  "as-of (paused ones not counted), the exceptions "
			  "raised on their deals (all, and those with the "
			  "verdicts block and review), and the reviews of "
			  "those exceptions still open and past due.",
			  ll_owner_cols, LL_COUNT(ll_owner_cols), 0);
	rpt_add_table(l->b, t);
	rc = rpt_status(l->b, err);
	if (rc == SG_OK)
		rc = sg_ledger_owner_counts(l->ledger, l->in->as_of,
					    ll_owner_ledger_row, &o, err);
	if (rc == SG_OK && ll_owners_collect(l, &o) != SG_OK)
		rc = sg_error_set(err, SG_ERR_NOMEM, "report: out of memory");
	for (i = 0; rc == SG_OK && i < o.count; i++) {
		const struct ll_owner_row *r = &o.rows[i];

		cells = rpt_mem_row(l->b, t);
		if (cells == NULL)
			break;
		if (r->id[0] != '\0') {
			cells[0] = rpt_v_text(rpt_str(l->b, r->id));
			cells[1] = rpt_v_text(rpt_str(l->b, r->name));
		} else {
			cells[1] = rpt_v_text("(no owner)");
		}
		if (r->team[0] != '\0')
			cells[2] = rpt_v_text(rpt_str(l->b, r->team));
		cells[3] = rpt_v_text(rpt_str(l->b, r->manager));
		cells[4] = rpt_v_int(r->open_opps);
		cells[5] = rpt_v_int(r->exceptions);
		cells[6] = rpt_v_int(r->block);
		cells[7] = rpt_v_int(r->review);
		cells[8] = rpt_v_int(r->open_reviews);
		cells[9] = rpt_v_int(r->overdue);
	}
	free(o.rows);
	if (rc != SG_OK)
		return rc;
	return rpt_status(l->b, err);
}

/* ---- evidence gaps ---- */

static const struct sg_column ll_gap_cols[] = {
	{ "criterion", "Criterion", SG_VAL_TEXT, SG_ROLE_ID, 20 },
	{ "label", "Label", SG_VAL_TEXT, SG_ROLE_PLAIN, 32 },
	{ "exceptions", "Exceptions missing it", SG_VAL_INT, SG_ROLE_PLAIN,
	  0 },
	{ "opportunities", "Opportunities affected", SG_VAL_INT,
	  SG_ROLE_PLAIN, 0 },
	{ "required_by", "Required to leave", SG_VAL_TEXT, SG_ROLE_PLAIN,
	  30 },
};

struct ll_gap {
	const char *criterion;
	long long exceptions, opportunities;
	int known;              /* a criterion of the config */
};

struct ll_gaps {
	struct ll_gap *items;
	size_t count, capacity;
	struct sg_built_report *b;
};

static int ll_gap_row(void *arg, const char *criterion, size_t exceptions,
		      size_t opportunities, struct sg_error *err)
{
	struct ll_gaps *g = arg;
	struct ll_gap *x;

	if (g->count == g->capacity) {
		size_t cap = g->capacity ? g->capacity * 2 : 16;
		struct ll_gap *items = realloc(g->items, cap * sizeof(*items));

		if (items == NULL)
			return sg_error_set(err, SG_ERR_NOMEM, "report: out of "
					    "memory");
		g->items = items;
		g->capacity = cap;
	}
	x = &g->items[g->count];
	memset(x, 0, sizeof(*x));
	x->criterion = rpt_str(g->b, criterion);
	if (x->criterion == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "report: out of memory");
	x->exceptions = (long long)exceptions;
	x->opportunities = (long long)opportunities;
	g->count++;
	return SG_OK;
}

static void ll_gap_fill(struct rpt_lead *l, struct sg_value *cells,
			const char *id, const char *label,
			const struct ll_gap *x)
{
	const struct sg_config *c = l->in->config;
	const char *stages = NULL;
	size_t s, k;

	cells[0] = rpt_v_text(rpt_str(l->b, id));
	cells[1] = rpt_v_text(rpt_str(l->b, label));
	cells[2] = rpt_v_int(x ? x->exceptions : 0);
	cells[3] = rpt_v_int(x ? x->opportunities : 0);
	for (s = 0; s < c->stage_count; s++)
		for (k = 0; k < c->stages[s].exit_criteria_count; k++)
			if (strcmp(c->criteria[c->stages[s].exit_criteria[k]]
				   .id, id) == 0)
				stages = rpt_join(l->b, stages,
						  c->stages[s].id);
	cells[4] = rpt_v_text(stages);
}

int rpt_lead_evidence_gaps(struct rpt_lead *l, struct sg_error *err)
{
	const struct sg_config *c = l->in->config;
	struct ll_gaps g;
	struct sg_table *t;
	struct sg_value *cells;
	size_t i, k;
	int rc;

	memset(&g, 0, sizeof(g));
	g.b = l->b;
	rpt_section(l->b, "evidence_gaps", "Evidence gaps");
	t = rpt_mem_table(l->b, "evidence_gaps", "Evidence gaps",
			  "Per exit criterion of the rules: the "
			  "missing_evidence exceptions that lacked it, the "
			  "opportunities they were raised on, and the stages "
			  "that require it to be left.  A criterion no "
			  "longer in the rules is listed last.",
			  ll_gap_cols, LL_COUNT(ll_gap_cols), 0);
	rpt_add_table(l->b, t);
	rc = rpt_status(l->b, err);
	if (rc == SG_OK)
		rc = sg_ledger_evidence_gaps(l->ledger, l->in->as_of,
					     ll_gap_row, &g, err);
	for (i = 0; rc == SG_OK && i < c->criterion_count; i++) {
		struct ll_gap *x = NULL;

		for (k = 0; k < g.count; k++)
			if (strcmp(g.items[k].criterion,
				   c->criteria[i].id) == 0) {
				x = &g.items[k];
				x->known = 1;
			}
		cells = rpt_mem_row(l->b, t);
		if (cells == NULL)
			break;
		ll_gap_fill(l, cells, c->criteria[i].id, c->criteria[i].label,
			    x);
	}
	for (k = 0; rc == SG_OK && k < g.count; k++) {
		if (g.items[k].known)
			continue;
		cells = rpt_mem_row(l->b, t);
		if (cells == NULL)
			break;
		ll_gap_fill(l, cells, g.items[k].criterion, NULL,
			    &g.items[k]);
	}
	free(g.items);
	if (rc != SG_OK)
		return rc;
	return rpt_status(l->b, err);
}
