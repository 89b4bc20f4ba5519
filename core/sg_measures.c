/*
 * sg_measures.c - the measures of DESIGN §7 for a window (rules 33-44),
 * their rows, JSON and comparison.  See sg_measures.h for the method.
 */
#include "sg_measures.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sg_missing.h"

#define RP_NO_MOVE UINT32_MAX

/* Opportunity flags within one window. */
#define RP_EVALUATED 0x1u
#define RP_WITH_EXCEPTION 0x2u
#define RP_PUSHED 0x4u

/* Move exceptions counted in the rate (with stage_age, no_next_step). */
#define RP_RATE_TYPES \
	((1u << SG_EX_STAGE_AGE) | (1u << SG_EX_SKIPPED_STAGE) | \
	 (1u << SG_EX_MISSING_EVIDENCE) | (1u << SG_EX_REQUIRED_FIELD) | \
	 (1u << SG_EX_REGRESSION) | (1u << SG_EX_NO_NEXT_STEP))

/* Flagged moves of the correction rate (rule 40). */
#define RP_FLAG_TYPES \
	((1u << SG_EX_MISSING_EVIDENCE) | (1u << SG_EX_REQUIRED_FIELD) | \
	 (1u << SG_EX_SKIPPED_STAGE) | (1u << SG_EX_SELLER_ONLY) | \
	 (1u << SG_EX_REGRESSION))

/* False progressions (rule 39). */
#define RP_FALSE_TYPES \
	((1u << SG_EX_MISSING_EVIDENCE) | (1u << SG_EX_SELLER_ONLY))

/* One judged move: the distinct (opportunity, time, from, to). */
struct rp_move {
	uint32_t opp;
	sg_time at;
	sg_sym from, to;        /* from 0: a creation */
	unsigned types;         /* bit per exception type raised */
};

struct rp_task {
	char id[SG_EXCEPTION_ID_SIZE];
	sg_time created_at, due_at, decided_at;
	int correct;            /* disposition "correct" */
};

struct sg_replay {
	const struct sg_model *model;
	struct sg_model_view v;
	sg_time as_of;
	sg_time from;           /* moves before it not judged; SG_TIME_NONE */
	struct sg_exceptions list;
	uint8_t *paused;        /* per opportunity */
	size_t paused_count;
	struct rp_move *moves;
	size_t move_count;
	uint32_t *ex_move;      /* per exception: its move, or RP_NO_MOVE */
	struct rp_task *tasks;
	size_t task_count, task_cap;
};

/* A move exception's key while grouping. */
struct rp_key {
	uint32_t opp;
	sg_time at;
	sg_sym from, to;
	uint32_t ex;
};

static int rp_key_cmp(const void *pa, const void *pb)
{
	const struct rp_key *a = pa, *b = pb;

	if (a->opp != b->opp)
		return a->opp < b->opp ? -1 : 1;
	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	return a->ex < b->ex ? -1 : a->ex > b->ex;
}

static int rp_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "measures: out of memory");
}

static void rp_sort_keys(struct rp_key *keys, size_t n)
{
	struct rp_key k;
	size_t i, j;

	if (n > 16) {
		qsort(keys, n, sizeof(*keys), rp_key_cmp);
		return;
	}
	for (i = 1; i < n; i++) {
		k = keys[i];
		for (j = i; j > 0 && rp_key_cmp(&keys[j - 1], &k) > 0; j--)
			keys[j] = keys[j - 1];
		keys[j] = k;
	}
}

/*
 * Sorts the keys so that equal moves are adjacent.  The checks give each
 * opportunity's exceptions together, so sorting each opportunity's keys
 * alone is enough and far cheaper than one sort of them all; keys that
 * are not grouped so (an opportunity met twice) get the one sort.
 */
static int rp_order_keys(struct rp_key *keys, size_t n, size_t opp_count,
			 struct sg_error *err)
{
	uint8_t *met = calloc(opp_count ? opp_count : 1, 1);
	size_t i, start;

	if (met == NULL)
		return rp_nomem(err);
	for (i = 0; i < n; i++) {
		if (i > 0 && keys[i].opp == keys[i - 1].opp)
			continue;
		if (met[keys[i].opp]) {
			free(met);
			qsort(keys, n, sizeof(*keys), rp_key_cmp);
			return SG_OK;
		}
		met[keys[i].opp] = 1;
	}
	free(met);
	for (start = 0; start < n; start = i) {
		for (i = start + 1; i < n && keys[i].opp == keys[start].opp;
		     i++)
			;
		rp_sort_keys(keys + start, i - start);
	}
	return SG_OK;
}

/* Groups the move exceptions into distinct moves. */
static int rp_group_moves(struct sg_replay *r, struct sg_error *err)
{
	const struct sg_exceptions *l = &r->list;
	struct rp_key *keys = NULL;
	size_t i, n = 0;

	r->ex_move = malloc((l->count ? l->count : 1) * sizeof(uint32_t));
	keys = malloc((l->count ? l->count : 1) * sizeof(*keys));
	r->moves = malloc((l->count ? l->count : 1) * sizeof(*r->moves));
	if (r->ex_move == NULL || keys == NULL || r->moves == NULL) {
		free(keys);
		return rp_nomem(err);
	}
	for (i = 0; i < l->count; i++) {
		const struct sg_exception *ex = &l->items[i];

		r->ex_move[i] = RP_NO_MOVE;
		if (ex->type == SG_EX_DATA_QUALITY)
			r->paused[ex->opp] = 1;
		if (!ex->is_move)
			continue;
		keys[n].opp = ex->opp;
		keys[n].at = ex->event_at;
		keys[n].from = ex->from_stage;
		keys[n].to = ex->to_stage;
		keys[n].ex = (uint32_t)i;
		n++;
	}
	if (rp_order_keys(keys, n, r->v.opp_count, err) != SG_OK) {
		free(keys);
		return SG_ERR_NOMEM;
	}
	r->move_count = 0;
	for (i = 0; i < n; i++) {
		struct rp_move *m;

		if (r->move_count > 0) {
			m = &r->moves[r->move_count - 1];
			if (m->opp == keys[i].opp && m->at == keys[i].at &&
			    m->from == keys[i].from && m->to == keys[i].to) {
				m->types |= 1u << l->items[keys[i].ex].type;
				r->ex_move[keys[i].ex] =
					(uint32_t)(r->move_count - 1);
				continue;
			}
		}
		m = &r->moves[r->move_count];
		m->opp = keys[i].opp;
		m->at = keys[i].at;
		m->from = keys[i].from;
		m->to = keys[i].to;
		m->types = 1u << l->items[keys[i].ex].type;
		r->ex_move[keys[i].ex] = (uint32_t)r->move_count;
		r->move_count++;
	}
	free(keys);
	return SG_OK;
}

int sg_replay_new(struct sg_replay **out, const struct sg_model *model,
		  sg_time as_of, sg_time from, struct sg_error *err)
{
	struct sg_check_window w;
	struct sg_replay *r;
	size_t i;
	int rc;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return rp_nomem(err);
	r->model = model;
	r->as_of = as_of;
	r->from = from;
	sg_model_view(model, &r->v);
	sg_exceptions_init(&r->list);
	r->paused = calloc(r->v.opp_count ? r->v.opp_count : 1, 1);
	if (r->paused == NULL) {
		rc = rp_nomem(err);
		goto fail;
	}
	/* The moves from from; data quality on today's data (rule 34). */
	memset(&w, 0, sizeof(w));
	w.since = SG_TIME_NONE;
	w.as_of = as_of;
	if (from != SG_TIME_NONE) {
		w.moves_after_set = 1;
		w.moves_after = from - 1;
	}
	rc = sg_checks_run(&r->list, model, &w, err);
	if (rc == SG_OK)
		rc = rp_group_moves(r, err);
	if (rc != SG_OK)
		goto fail;
	for (i = 0; i < r->v.opp_count; i++)
		r->paused_count += r->paused[i];
	*out = r;
	return SG_OK;
fail:
	sg_replay_free(r);
	return rc;
}

void sg_replay_free(struct sg_replay *r)
{
	if (r == NULL)
		return;
	sg_exceptions_release(&r->list);
	free(r->paused);
	free(r->moves);
	free(r->ex_move);
	free(r->tasks);
	free(r);
}

const struct sg_exceptions *sg_replay_exceptions(const struct sg_replay *r)
{
	return &r->list;
}

int sg_replay_add_task(struct sg_replay *r, const struct sg_task_record *t,
		       struct sg_error *err)
{
	struct rp_task *task;

	if (t->exception_id == NULL ||
	    strlen(t->exception_id) >= SG_EXCEPTION_ID_SIZE)
		return sg_error_set(err, SG_ERR_LEDGER, "measures: a review "
				    "task names no valid exception id "
				    "(\"%s\")",
				    t->exception_id ? t->exception_id : "");
	/* A task raised after as-of did not exist yet. */
	if (t->created_at > r->as_of)
		return SG_OK;
	if (r->task_count == r->task_cap) {
		size_t cap = r->task_cap ? r->task_cap * 2 : 64;
		struct rp_task *grown = realloc(r->tasks,
						cap * sizeof(*grown));

		if (grown == NULL)
			return rp_nomem(err);
		r->tasks = grown;
		r->task_cap = cap;
	}
	task = &r->tasks[r->task_count++];
	memset(task, 0, sizeof(*task));
	snprintf(task->id, sizeof(task->id), "%s", t->exception_id);
	task->created_at = t->created_at;
	task->due_at = t->due_at;
	task->decided_at = SG_TIME_NONE;
	/* A disposition after as-of is not recorded yet. */
	if (t->disposition != NULL && t->decided_at != SG_TIME_NONE &&
	    t->decided_at <= r->as_of) {
		task->decided_at = t->decided_at;
		task->correct = strcmp(t->disposition, "correct") == 0;
	}
	return SG_OK;
}

static int rp_add_task(void *arg, const struct sg_task_record *t,
		       struct sg_error *err)
{
	return sg_replay_add_task(arg, t, err);
}

int sg_replay_load_ledger(struct sg_replay *r, struct sg_ledger *ledger,
			  struct sg_error *err)
{
	return sg_ledger_each_task(ledger, rp_add_task, r, err);
}

/* ---- one window ---- */

static sg_time rp_min(sg_time a, sg_time b)
{
	return a < b ? a : b;
}

static sg_time rp_max(sg_time a, sg_time b)
{
	return a > b ? a : b;
}

static int rp_stage_open(const struct sg_config *c, int index)
{
	return index != SG_NO_STAGE && index >= 0 &&
	       (size_t)index < c->stage_count && !c->stages[index].closed;
}

/* Rule 35: open at some instant of [a, b). */
static int rp_open_in(const struct sg_replay *r,
		      const struct sg_opportunity *o, sg_time a, sg_time b)
{
	const struct sg_stage_event *ev = r->v.events + o->event_first;
	uint32_t i;

	for (i = 0; i < o->event_count; i++) {
		sg_time lo = ev[i].changed_at;
		sg_time hi = i + 1 < o->event_count ? ev[i + 1].changed_at :
						      INT64_MAX;

		if (!rp_stage_open(r->v.config, ev[i].to_index))
			continue;
		if (rp_max(lo, a) < rp_min(hi, b))
			return 1;
	}
	return 0;
}

/* The config index of the stage at t (rule 35), or SG_NO_STAGE. */
static int rp_stage_at(const struct sg_replay *r,
		       const struct sg_opportunity *o, sg_time t)
{
	const struct sg_stage_event *ev = r->v.events + o->event_first;
	int cur = SG_NO_STAGE;
	uint32_t i;

	for (i = 0; i < o->event_count && ev[i].changed_at <= t; i++)
		cur = ev[i].to_index;
	return cur;
}

/* Rule 40: a later event up to as-of back to the from-stage, within 14
 * days inclusive. */
static int rp_reverted(const struct sg_replay *r, const struct rp_move *m)
{
	const struct sg_opportunity *o = &r->v.opps[m->opp];
	const struct sg_stage_event *ev = r->v.events + o->event_first;
	uint32_t i, n = o->event_count;

	int cur = SG_NO_STAGE;
	sg_sym cur_sym = 0;

	if (m->from == 0)
		return 0;
	/* The judged event, found by its own position: walked as the checks
	 * walk (a repeat of the stage is no move), it is the one at that
	 * second into to from the stage before it.  Several rows in one
	 * second keep their order (rule 13), so an earlier row there is
	 * never taken for the move, nor counted as its revert. */
	for (i = 0; i < n; i++) {
		if (i > 0 && ev[i].to_index == cur)
			continue;
		if (i > 0 && ev[i].changed_at == m->at &&
		    ev[i].to_stage == m->to && cur_sym == m->from)
			break;
		cur = ev[i].to_index;
		cur_sym = ev[i].to_stage;
	}
	for (i++; i < n; i++) {
		if (ev[i].changed_at > r->as_of ||
		    ev[i].changed_at - m->at > SG_REVERT_WINDOW_SECONDS)
			break;
		if (ev[i].to_stage == m->from)
			return 1;
	}
	return 0;
}

static int rp_cmp_i64(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

	return a < b ? -1 : a > b;
}

/* Median of sorted v[0..n), n > 0: the mean of the middle two when even. */
static double rp_median(const int64_t *v, size_t n)
{
	if (n % 2 == 1)
		return (double)v[n / 2];
	return ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2.0;
}

/* p90 of sorted v[0..n), n > 0: nearest rank, v[ceil(0.9 n) - 1]. */
static double rp_p90(const int64_t *v, size_t n)
{
	size_t rank = (9 * n + 9) / 10;

	return (double)v[rank - 1];
}

static int rp_currency_cmp(const void *pa, const void *pb)
{
	const struct sg_currency_total *a = pa, *b = pb;

	if (a->currency == NULL || b->currency == NULL)
		return (a->currency != NULL) - (b->currency != NULL);
	return strcmp(a->currency, b->currency);
}

static int rp_add_amount(struct sg_measures *m, const struct sg_exception *ex,
			 struct sg_error *err)
{
	struct sg_decimal d;
	size_t i;

	if (ex->amount == NULL ||
	    sg_decimal_parse(&d, ex->amount, strlen(ex->amount), NULL) !=
	    SG_OK) {
		m->forecast_without_amount++;
		return SG_OK;
	}
	for (i = 0; i < m->amount_count; i++) {
		const char *c = m->amounts[i].currency;

		if ((c == NULL && ex->currency == NULL) ||
		    (c != NULL && ex->currency != NULL &&
		     strcmp(c, ex->currency) == 0))
			break;
	}
	if (i == m->amount_count) {
		struct sg_currency_total *grown;

		grown = realloc(m->amounts, (i + 1) * sizeof(*grown));
		if (grown == NULL)
			return rp_nomem(err);
		m->amounts = grown;
		memset(&m->amounts[i], 0, sizeof(m->amounts[i]));
		m->amounts[i].currency = ex->currency;
		m->amount_count++;
	}
	m->amounts[i].count++;
	if (sg_decimal_add(&m->amounts[i].amount, &d, err) != SG_OK)
		return sg_error_prefix(err, "measures: forecast-impacting "
				       "amounts in %s: ",
				       ex->currency ? ex->currency : "(none)");
	return SG_OK;
}

/* The opportunity's segment value (current, as the live check). */
static const char *rp_segment(const struct sg_replay *r,
			      const struct sg_opportunity *o, char *scratch)
{
	if (r->v.config->segment_field == NULL)
		return NULL;
	return sg_model_field_value(r->model, o, r->v.config->segment_field,
				    scratch);
}

/* Rule 36: stage_age stints of o whose over-age interval meets
 * [start, end) (and as-of). */
static size_t rp_stage_age(const struct sg_replay *r,
			   const struct sg_opportunity *o, sg_time start,
			   sg_time until)
{
	const struct sg_stage_event *ev = r->v.events + o->event_first;
	const struct sg_config *c = r->v.config;
	char seg[SG_TIME_ISO_SIZE + 11];
	const char *segment = rp_segment(r, o, seg);
	uint32_t i, n = o->event_count;
	size_t count = 0;
	int cur = SG_NO_STAGE;
	sg_time entered = 0;

	for (i = 0; i <= n; i++) {
		int last = i == n || ev[i].changed_at > r->as_of;
		sg_time stint_end;
		const struct sg_days *limit;

		if (!last && i > 0 && ev[i].to_index == cur)
			continue;       /* same stage: not a move (rule 15) */
		stint_end = last ? r->as_of + 1 : ev[i].changed_at;
		if (i > 0 && rp_stage_open(c, cur)) {
			limit = sg_config_max_age(c, (size_t)cur, segment);
			if (limit != NULL && limit->present &&
			    rp_max(entered + limit->seconds + 1, start) <
			    rp_min(stint_end, until))
				count++;
		}
		if (last)
			break;
		cur = ev[i].to_index;
		entered = ev[i].changed_at;
	}
	return count;
}

/* Rule 37: no_next_step at t with the values at t. */
static int rp_no_next_step(const struct sg_replay *r,
			   const struct sg_opportunity *o, sg_time t)
{
	const struct sg_config *c = r->v.config;
	char scratch[SG_TIME_ISO_SIZE + 16];
	const char *step, *date;
	sg_time when;

	if (!rp_stage_open(c, rp_stage_at(r, o, t)))
		return 0;
	step = sg_model_field_value_at(r->model, o, "next_step", t, scratch);
	if (step == NULL ||
	    sg_value_is_missing(step, strlen(step), &c->placeholders, 0))
		return 1;
	date = sg_model_field_value_at(r->model, o, "next_step_date", t,
				       scratch);
	if (date == NULL ||
	    sg_value_is_missing(date, strlen(date), &c->placeholders, 0) ||
	    sg_time_parse_iso(&when, date, strlen(date), 0, 0, NULL) != SG_OK)
		return 0;
	return sg_time_day(when) < sg_time_day(t);
}

/* A time value of a field change, or SG_TIME_NONE when missing. */
static sg_time rp_time_value(const struct sg_config *c, const char *text)
{
	sg_time t;

	if (text == NULL ||
	    sg_value_is_missing(text, strlen(text), &c->placeholders, 0) ||
	    sg_time_parse_iso(&t, text, strlen(text), 0, 0, NULL) != SG_OK)
		return SG_TIME_NONE;
	return t;
}

/* Rule 43: close-date pushes in [start, until). */
static int rp_pushes(struct sg_measures *m, const struct sg_replay *r,
		     uint8_t *flags, struct sg_error *err)
{
	sg_sym field = sg_model_lookup(r->model, "close_date");
	int64_t *days = NULL;
	size_t i, n = 0;

	if (field == 0)
		return SG_OK;
	for (i = 0; i < r->v.change_count; i++) {
		const struct sg_field_change *f = &r->v.changes[i];
		const struct sg_opportunity *o = &r->v.opps[f->opp];
		sg_time from, to;
		int64_t d;

		if (f->field != field || !o->in_scope || r->paused[f->opp] ||
		    f->changed_at < m->start || f->changed_at >= m->until)
			continue;
		from = rp_time_value(r->v.config, f->old_value);
		to = rp_time_value(r->v.config, f->new_value);
		if (from == SG_TIME_NONE || to == SG_TIME_NONE)
			continue;
		d = sg_time_day(to) - sg_time_day(from);
		if (d <= 0)
			continue;
		if (days == NULL) {
			days = malloc(r->v.change_count * sizeof(*days));
			if (days == NULL)
				return rp_nomem(err);
		}
		days[n++] = d;
		m->push_days_total += d;
		if (!(flags[f->opp] & RP_PUSHED)) {
			flags[f->opp] |= RP_PUSHED;
			m->push_opportunities++;
		}
	}
	m->pushes = n;
	if (n > 0) {
		qsort(days, n, sizeof(*days), rp_cmp_i64);
		m->push_median_present = 1;
		m->push_days_median = rp_median(days, n);
	}
	free(days);
	return SG_OK;
}

/* Turnaround and open past due from the review tasks. */
static int rp_turnaround(struct sg_measures *m, const struct sg_replay *r,
			 struct sg_error *err)
{
	sg_time at = rp_min(m->end, r->as_of);
	int64_t *secs;
	size_t i, n = 0;

	secs = malloc((r->task_count ? r->task_count : 1) * sizeof(*secs));
	if (secs == NULL)
		return rp_nomem(err);
	for (i = 0; i < r->task_count; i++) {
		const struct rp_task *t = &r->tasks[i];

		if (t->decided_at != SG_TIME_NONE &&
		    t->decided_at >= m->start && t->decided_at < m->until)
			secs[n++] = t->decided_at - t->created_at;
		if (t->created_at <= at && t->due_at < at &&
		    (t->decided_at == SG_TIME_NONE || t->decided_at > at))
			m->open_past_due++;
	}
	m->dispositions = n;
	if (n > 0) {
		qsort(secs, n, sizeof(*secs), rp_cmp_i64);
		m->turnaround_present = 1;
		m->turnaround_median_hours = rp_median(secs, n) / 3600.0;
		m->turnaround_p90_hours = rp_p90(secs, n) / 3600.0;
	}
	free(secs);
	return SG_OK;
}

static int rp_task_id_cmp(const void *pa, const void *pb)
{
	return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* Per move: 1 when one of its exceptions' tasks was disposed "correct". */
static int rp_correct_moves(const struct sg_replay *r, uint8_t **out,
			    struct sg_error *err)
{
	const char **ids = NULL;
	uint8_t *correct;
	size_t i, n = 0;

	*out = NULL;
	correct = calloc(r->move_count ? r->move_count : 1, 1);
	ids = malloc((r->task_count ? r->task_count : 1) * sizeof(*ids));
	if (correct == NULL || ids == NULL) {
		free(correct);
		free(ids);
		return rp_nomem(err);
	}
	for (i = 0; i < r->task_count; i++)
		if (r->tasks[i].correct)
			ids[n++] = r->tasks[i].id;
	qsort(ids, n, sizeof(*ids), rp_task_id_cmp);
	for (i = 0; n > 0 && i < r->list.count; i++) {
		const char *key = r->list.items[i].id;

		if (r->ex_move[i] == RP_NO_MOVE)
			continue;
		if (bsearch(&key, ids, n, sizeof(*ids), rp_task_id_cmp))
			correct[r->ex_move[i]] = 1;
	}
	free(ids);
	*out = correct;
	return SG_OK;
}

/* Moves of the window: false progressions and corrections. */
static void rp_moves(struct sg_measures *m, const struct sg_replay *r,
		     const uint8_t *correct)
{
	size_t i;

	for (i = 0; i < r->move_count; i++) {
		const struct rp_move *mv = &r->moves[i];
		int revert, disp;

		if (mv->at < m->start || mv->at >= m->until)
			continue;
		if (mv->types & RP_FALSE_TYPES)
			m->false_progressions++;
		if (!(mv->types & RP_FLAG_TYPES))
			continue;
		m->flagged_moves++;
		revert = rp_reverted(r, mv);
		disp = m->dispositions_applicable && correct[i];
		m->corrected_by_revert += revert != 0;
		m->corrected_by_disposition += disp != 0;
		m->corrected += revert || disp;
	}
	if (m->flagged_moves > 0) {
		m->correction_rate_present = 1;
		m->correction_rate = (double)m->corrected /
				     (double)m->flagged_moves;
	}
}

/* One window, with the moves corrected by a disposition already known
 * (rp_correct_moves(): the same for every window of a replay). */
static int rp_compute(struct sg_measures *m, const struct sg_replay *r,
		      const uint8_t *correct, sg_time start, sg_time end,
		      int dispositions_applicable, struct sg_error *err)
{
	const struct sg_exceptions *l = &r->list;
	uint8_t *flags = NULL;
	sg_time nns_at;
	size_t i;
	int rc = SG_OK;

	memset(m, 0, sizeof(*m));
	if (end <= start)
		return sg_error_set(err, SG_ERR_USAGE, "measures: the window "
				    "ends before it starts");
	if (r->from != SG_TIME_NONE && start < r->from)
		return sg_error_set(err, SG_ERR_INTERNAL, "measures: the "
				    "window starts before the moves the "
				    "replay judged");
	m->start = start;
	m->end = end;
	m->as_of = r->as_of;
	m->until = r->as_of < INT64_MAX ? rp_min(end, r->as_of + 1) : end;
	m->dispositions_applicable = dispositions_applicable;
	m->paused = r->paused_count;
	m->counts[SG_EX_DATA_QUALITY] = r->paused_count;
	flags = calloc(r->v.opp_count ? r->v.opp_count : 1, 1);
	if (flags == NULL)
		return rp_nomem(err);
	nns_at = rp_min(r->as_of, end - 1);
	/* Rules 35-37, per opportunity. */
	for (i = 0; i < r->v.opp_count; i++) {
		const struct sg_opportunity *o = &r->v.opps[i];
		size_t ages;

		if (!o->in_scope || r->paused[i])
			continue;
		if (rp_open_in(r, o, start, m->until)) {
			flags[i] |= RP_EVALUATED;
			m->evaluated++;
		}
		ages = rp_stage_age(r, o, start, m->until);
		m->counts[SG_EX_STAGE_AGE] += ages;
		if (ages > 0)
			flags[i] |= RP_WITH_EXCEPTION;
		if (nns_at >= start && rp_no_next_step(r, o, nns_at)) {
			m->counts[SG_EX_NO_NEXT_STEP]++;
			flags[i] |= RP_WITH_EXCEPTION;
		}
	}
	/* Move exceptions judged in the window (rule 33). */
	for (i = 0; i < l->count && rc == SG_OK; i++) {
		const struct sg_exception *ex = &l->items[i];

		if (!ex->is_move || ex->event_at < start ||
		    ex->event_at >= m->until)
			continue;
		m->counts[ex->type]++;
		if (RP_RATE_TYPES & (1u << ex->type))
			flags[ex->opp] |= RP_WITH_EXCEPTION;
		if (ex->type == SG_EX_FORECAST_IMPACT) {
			m->forecast_changes++;
			rc = rp_add_amount(m, ex, err);
		}
	}
	if (rc != SG_OK)
		goto out;
	for (i = 0; i < r->v.opp_count; i++)
		if ((flags[i] & RP_EVALUATED) &&
		    (flags[i] & RP_WITH_EXCEPTION))
			m->with_exception++;
	if (m->evaluated > 0) {
		m->rate_present = 1;
		m->exception_rate = (double)m->with_exception /
				    (double)m->evaluated;
	}
	if (m->amount_count > 1)
		qsort(m->amounts, m->amount_count, sizeof(*m->amounts),
		      rp_currency_cmp);
	rp_moves(m, r, correct);
	rc = rp_pushes(m, r, flags, err);
	if (rc == SG_OK && dispositions_applicable)
		rc = rp_turnaround(m, r, err);
out:
	free(flags);
	if (rc != SG_OK)
		sg_measures_release(m);
	return rc;
}

int sg_measures_compute(struct sg_measures *m, const struct sg_replay *r,
			sg_time start, sg_time end,
			int dispositions_applicable, struct sg_error *err)
{
	uint8_t *correct = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = rp_correct_moves(r, &correct, err);
	if (rc == SG_OK)
		rc = rp_compute(m, r, correct, start, end,
				dispositions_applicable, err);
	free(correct);
	return rc;
}

void sg_measures_release(struct sg_measures *m)
{
	if (m == NULL)
		return;
	free(m->amounts);
	m->amounts = NULL;
	m->amount_count = 0;
}

/* ---- rows, JSON, comparison ---- */

#define RP_AMOUNT_PREFIX "forecast_impacting_amount:"

static struct sg_measure_row *rp_row(struct sg_measure_row *rows,
				     size_t *n, const char *key, int kind)
{
	struct sg_measure_row *row = &rows[(*n)++];

	memset(row, 0, sizeof(*row));
	snprintf(row->key, sizeof(row->key), "%s", key);
	row->kind = kind;
	return row;
}

static void rp_int(struct sg_measure_row *rows, size_t *n, const char *key,
		   int64_t v)
{
	rp_row(rows, n, key, SG_MK_INT)->i = v;
}

static void rp_real(struct sg_measure_row *rows, size_t *n, const char *key,
		    int present, double v)
{
	rp_row(rows, n, key, present ? SG_MK_REAL : SG_MK_NULL)->r = v;
}

static void rp_na(struct sg_measure_row *rows, size_t *n, const char *key)
{
	rp_row(rows, n, key, SG_MK_NA);
}

static int64_t rp_i(size_t v)
{
	return v > (size_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

int sg_measures_rows(const struct sg_measures *m,
		     struct sg_measure_row **out, size_t *count,
		     struct sg_error *err)
{
	struct sg_measure_row *rows;
	char key[SG_MEASURE_KEY_SIZE];
	size_t n = 0, i;
	int t;

	*out = NULL;
	*count = 0;
	rows = calloc(40 + SG_EX_TYPE_COUNT + m->amount_count, sizeof(*rows));
	if (rows == NULL)
		return rp_nomem(err);
	rp_int(rows, &n, "opportunities_evaluated", rp_i(m->evaluated));
	rp_int(rows, &n, "opportunities_with_exception",
	       rp_i(m->with_exception));
	rp_real(rows, &n, "stage_progression_exception_rate",
		m->rate_present, m->exception_rate);
	for (t = 0; t < SG_EX_TYPE_COUNT; t++) {
		snprintf(key, sizeof(key), "exceptions_%s",
			 sg_exception_type_name(t));
		rp_int(rows, &n, key, rp_i(m->counts[t]));
	}
	rp_int(rows, &n, "false_progressions", rp_i(m->false_progressions));
	rp_int(rows, &n, "flagged_moves", rp_i(m->flagged_moves));
	rp_int(rows, &n, "stage_corrections", rp_i(m->corrected));
	rp_int(rows, &n, "stage_corrections_by_revert",
	       rp_i(m->corrected_by_revert));
	if (m->dispositions_applicable)
		rp_int(rows, &n, "stage_corrections_by_disposition",
		       rp_i(m->corrected_by_disposition));
	else
		rp_na(rows, &n, "stage_corrections_by_disposition");
	rp_real(rows, &n, "stage_correction_rate", m->correction_rate_present,
		m->correction_rate);
	rp_int(rows, &n, "forecast_impacting_changes",
	       rp_i(m->forecast_changes));
	rp_int(rows, &n, "forecast_impacting_changes_without_amount",
	       rp_i(m->forecast_without_amount));
	rp_int(rows, &n, "close_date_pushes", rp_i(m->pushes));
	rp_int(rows, &n, "close_date_push_opportunities",
	       rp_i(m->push_opportunities));
	rp_int(rows, &n, "close_date_push_days_total", m->push_days_total);
	rp_real(rows, &n, "close_date_push_days_median",
		m->push_median_present, m->push_days_median);
	if (m->dispositions_applicable) {
		rp_int(rows, &n, "dispositions_recorded",
		       rp_i(m->dispositions));
		rp_real(rows, &n, "approval_turnaround_median_hours",
			m->turnaround_present, m->turnaround_median_hours);
		rp_real(rows, &n, "approval_turnaround_p90_hours",
			m->turnaround_present, m->turnaround_p90_hours);
		rp_int(rows, &n, "reviews_open_past_due",
		       rp_i(m->open_past_due));
	} else {
		rp_na(rows, &n, "dispositions_recorded");
		rp_na(rows, &n, "approval_turnaround_median_hours");
		rp_na(rows, &n, "approval_turnaround_p90_hours");
		rp_na(rows, &n, "reviews_open_past_due");
	}
	rp_int(rows, &n, "paused", rp_i(m->paused));
	for (i = 0; i < m->amount_count; i++) {
		struct sg_measure_row *row;

		snprintf(key, sizeof(key), RP_AMOUNT_PREFIX "%s",
			 m->amounts[i].currency ? m->amounts[i].currency :
						  "none");
		row = rp_row(rows, &n, key, SG_MK_DECIMAL);
		row->d = m->amounts[i].amount;
	}
	*out = rows;
	*count = n;
	return SG_OK;
}

json_t *sg_measure_row_json(const struct sg_measure_row *row)
{
	char buf[SG_DECIMAL_TEXT_SIZE];

	switch (row->kind) {
	case SG_MK_INT:
		return json_integer(row->i);
	case SG_MK_REAL:
		return json_real(row->r);
	case SG_MK_DECIMAL:
		return json_string(sg_decimal_format(&row->d, buf,
						     sizeof(buf)));
	default:
		return json_null();
	}
}

char *sg_measure_row_text(const struct sg_measure_row *row, char *buf,
			  size_t size)
{
	switch (row->kind) {
	case SG_MK_INT:
		snprintf(buf, size, "%lld", (long long)row->i);
		break;
	case SG_MK_REAL:
		snprintf(buf, size, "%.15g", row->r);
		break;
	case SG_MK_DECIMAL:
		sg_decimal_format(&row->d, buf, size);
		break;
	case SG_MK_NA:
		snprintf(buf, size, "n/a");
		break;
	default:
		snprintf(buf, size, "%s", "");
		break;
	}
	return buf;
}

static json_t *rp_time_json(sg_time t)
{
	char buf[SG_TIME_ISO_SIZE];

	return json_string(sg_time_format_iso(t, buf));
}

/* Sets key to value (stolen); returns 0 on failure. */
static int rp_set(json_t *obj, const char *key, json_t *value)
{
	return value != NULL && json_object_set_new(obj, key, value) == 0;
}

json_t *sg_measures_to_json(const struct sg_measures *m, const char *name)
{
	struct sg_measure_row *rows = NULL;
	json_t *obj = json_object(), *measures = json_object();
	json_t *na = json_array();
	size_t n = 0, i;
	int ok = obj && measures && na;

	if (ok && sg_measures_rows(m, &rows, &n, NULL) != SG_OK)
		ok = 0;
	if (ok && name != NULL)
		ok = rp_set(obj, "name", json_string(name));
	ok = ok && rp_set(obj, "start", rp_time_json(m->start)) &&
	     rp_set(obj, "end", rp_time_json(m->end)) &&
	     rp_set(obj, "measured_until",
		    m->until > m->start ? rp_time_json(m->until) :
					  json_null()) &&
	     rp_set(obj, "dispositions_applicable",
		    json_boolean(m->dispositions_applicable));
	for (i = 0; ok && i < n; i++) {
		ok = rp_set(measures, rows[i].key,
			    sg_measure_row_json(&rows[i]));
		if (ok && rows[i].kind == SG_MK_NA)
			ok = json_array_append_new(na,
						   json_string(rows[i].key)) ==
			     0;
	}
	free(rows);
	if (ok) {
		ok = rp_set(obj, "measures", measures);
		measures = NULL;
	}
	if (ok) {
		ok = rp_set(obj, "not_applicable", na);
		na = NULL;
	}
	json_decref(measures);
	json_decref(na);
	if (!ok) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static double rp_as_double(const struct sg_measure_row *row)
{
	double v;
	int s;

	if (row->kind == SG_MK_INT)
		return (double)row->i;
	if (row->kind == SG_MK_REAL)
		return row->r;
	v = (double)row->d.units;
	for (s = 0; s < row->d.scale; s++)
		v /= 10.0;
	return v;
}

static int rp_present(const struct sg_measure_row *row)
{
	return row->kind == SG_MK_INT || row->kind == SG_MK_REAL ||
	       row->kind == SG_MK_DECIMAL;
}

/* c->change and c->relative from c->baseline and c->pilot. */
static int rp_change(struct sg_measure_cmp *c, struct sg_error *err)
{
	const struct sg_measure_row *b = &c->baseline, *p = &c->pilot;
	struct sg_measure_row *d = &c->change;
	double bv;

	memset(d, 0, sizeof(*d));
	snprintf(d->key, sizeof(d->key), "%s", c->key);
	d->kind = SG_MK_NULL;
	c->relative_present = 0;
	if (!rp_present(b) || !rp_present(p))
		return SG_OK;
	if (b->kind == SG_MK_INT && p->kind == SG_MK_INT) {
		d->kind = SG_MK_INT;
		d->i = p->i - b->i;
	} else if (b->kind == SG_MK_DECIMAL && p->kind == SG_MK_DECIMAL) {
		struct sg_decimal neg = b->d;

		neg.units = -neg.units;
		d->kind = SG_MK_DECIMAL;
		d->d = p->d;
		if (sg_decimal_add(&d->d, &neg, err) != SG_OK)
			return sg_error_prefix(err, "measures: %s: ", c->key);
	} else {
		d->kind = SG_MK_REAL;
		d->r = rp_as_double(p) - rp_as_double(b);
	}
	bv = rp_as_double(b);
	if (bv != 0.0) {
		c->relative_present = 1;
		c->relative = (rp_as_double(p) - bv) / bv;
	}
	return SG_OK;
}

static const struct sg_measure_row *rp_find(const struct sg_measure_row *rows,
					    size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].key, key) == 0)
			return &rows[i];
	return NULL;
}

/* The row key in rows, or a zero total for a currency absent there. */
static void rp_side(struct sg_measure_row *out,
		    const struct sg_measure_row *rows, size_t n,
		    const char *key)
{
	const struct sg_measure_row *row = rp_find(rows, n, key);

	if (row != NULL) {
		*out = *row;
		return;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->key, sizeof(out->key), "%s", key);
	out->kind = strncmp(key, RP_AMOUNT_PREFIX,
			    strlen(RP_AMOUNT_PREFIX)) == 0 ?
		    SG_MK_DECIMAL : SG_MK_NULL;
}

int sg_measures_compare(const struct sg_measures *baseline,
			const struct sg_measures *pilot,
			struct sg_measure_cmp **out, size_t *count,
			struct sg_error *err)
{
	struct sg_measure_row *b = NULL, *p = NULL;
	struct sg_measure_cmp *cmp = NULL;
	size_t bn = 0, pn = 0, n = 0, i;
	int rc;

	*out = NULL;
	*count = 0;
	rc = sg_measures_rows(baseline, &b, &bn, err);
	if (rc == SG_OK)
		rc = sg_measures_rows(pilot, &p, &pn, err);
	if (rc != SG_OK)
		goto out;
	cmp = calloc(bn + pn, sizeof(*cmp));
	if (cmp == NULL) {
		rc = rp_nomem(err);
		goto out;
	}
	for (i = 0; i < bn + pn && rc == SG_OK; i++) {
		const char *key = i < bn ? b[i].key : p[i - bn].key;

		if (i >= bn && rp_find(b, bn, key) != NULL)
			continue;
		snprintf(cmp[n].key, sizeof(cmp[n].key), "%s", key);
		rp_side(&cmp[n].baseline, b, bn, key);
		rp_side(&cmp[n].pilot, p, pn, key);
		rc = rp_change(&cmp[n], err);
		n++;
	}
out:
	free(b);
	free(p);
	if (rc != SG_OK) {
		free(cmp);
		return rc;
	}
	*out = cmp;
	*count = n;
	return SG_OK;
}

static json_t *rp_cmp_json(const struct sg_measure_cmp *c)
{
	json_t *obj = json_object(), *na = json_array();
	int ok = obj && na;

	if (ok && c->baseline.kind == SG_MK_NA)
		ok = json_array_append_new(na, json_string("baseline")) == 0;
	if (ok && c->pilot.kind == SG_MK_NA)
		ok = json_array_append_new(na, json_string("pilot")) == 0;
	ok = ok && rp_set(obj, "measure", json_string(c->key)) &&
	     rp_set(obj, "baseline", sg_measure_row_json(&c->baseline)) &&
	     rp_set(obj, "pilot", sg_measure_row_json(&c->pilot)) &&
	     rp_set(obj, "change", sg_measure_row_json(&c->change)) &&
	     rp_set(obj, "relative_change",
		    c->relative_present ? json_real(c->relative) :
					  json_null());
	if (ok) {
		ok = rp_set(obj, "not_applicable", na);
		na = NULL;
	}
	json_decref(na);
	if (!ok) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

json_t *sg_measures_compare_json(const struct sg_measures *baseline,
				 const struct sg_measures *pilot,
				 const struct sg_measures *weeks,
				 size_t week_count, struct sg_error *err)
{
	struct sg_measure_cmp *cmp = NULL;
	json_t *obj = NULL, *rows = NULL, *weekly = NULL;
	size_t n = 0, i;
	int ok;

	if (sg_measures_compare(baseline, pilot, &cmp, &n, err) != SG_OK)
		return NULL;
	obj = json_object();
	rows = json_array();
	weekly = json_array();
	ok = obj && rows && weekly &&
	     rp_set(obj, "as_of", rp_time_json(pilot->as_of)) &&
	     rp_set(obj, "baseline", sg_measures_to_json(baseline,
							 "baseline")) &&
	     rp_set(obj, "pilot", sg_measures_to_json(pilot, "pilot"));
	for (i = 0; ok && i < n; i++) {
		json_t *row = rp_cmp_json(&cmp[i]);

		ok = row != NULL && json_array_append_new(rows, row) == 0;
	}
	for (i = 0; ok && i < week_count; i++) {
		json_t *week = sg_measures_to_json(&weeks[i], NULL);

		if (week == NULL) {
			ok = 0;
		} else if (!rp_set(week, "week",
				   json_integer((json_int_t)i + 1))) {
			json_decref(week);
			ok = 0;
		} else {
			ok = json_array_append_new(weekly, week) == 0;
		}
	}
	free(cmp);
	if (ok) {
		ok = rp_set(obj, "comparison", rows);
		rows = NULL;
	}
	if (ok) {
		ok = rp_set(obj, "weekly", weekly);
		weekly = NULL;
	}
	json_decref(rows);
	json_decref(weekly);
	if (!ok) {
		json_decref(obj);
		sg_error_set(err, SG_ERR_NOMEM, "measures: out of memory");
		return NULL;
	}
	return obj;
}

char *sg_pilot_measures_json(const struct sg_pilot_measures *pm,
			     struct sg_error *err)
{
	json_t *obj = sg_measures_compare_json(&pm->baseline, &pm->pilot,
					       pm->weeks, pm->week_count, err);
	char *text, *out;
	size_t len;

	if (obj == NULL)
		return NULL;
	text = json_dumps(obj, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	json_decref(obj);
	len = text != NULL ? strlen(text) : 0;
	out = text != NULL ? realloc(text, len + 2) : NULL;
	if (out == NULL) {
		free(text);
		sg_error_set(err, SG_ERR_NOMEM, "measures: out of memory");
		return NULL;
	}
	out[len] = '\n';
	out[len + 1] = '\0';
	return out;
}

/* ---- the pilot's comparison ---- */

void sg_pilot_measures_release(struct sg_pilot_measures *pm)
{
	size_t k;

	if (pm == NULL)
		return;
	for (k = 0; k < pm->week_count; k++)
		sg_measures_release(&pm->weeks[k]);
	free(pm->weeks);
	sg_measures_release(&pm->baseline);
	sg_measures_release(&pm->pilot);
	memset(pm, 0, sizeof(*pm));
}

/* One window to measure. */
struct pilot_window {
	struct sg_measures *m;
	sg_time start, end;
	int dispositions_applicable;
	int rc;
	struct sg_error err;
};

struct pilot_jobs {
	const struct sg_replay *replay;
	const uint8_t *correct; /* rp_correct_moves(), once for all */
	struct pilot_window *w;
	size_t count;
	pthread_mutex_t lock;
	size_t next;            /* the next window to take */
};

/* Takes windows until none is left: the windows read the replay only,
 * so two threads measure them side by side. */
static void *pilot_worker(void *arg)
{
	struct pilot_jobs *jobs = arg;
	struct pilot_window *w;

	for (;;) {
		pthread_mutex_lock(&jobs->lock);
		w = jobs->next < jobs->count ? &jobs->w[jobs->next++] : NULL;
		pthread_mutex_unlock(&jobs->lock);
		if (w == NULL)
			return NULL;
		sg_error_clear(&w->err);
		w->rc = rp_compute(w->m, jobs->replay, jobs->correct,
				   w->start, w->end,
				   w->dispositions_applicable, &w->err);
	}
}

static int pilot_measure_all(const struct sg_replay *replay,
			     struct pilot_window *w, size_t count,
			     struct sg_error *err)
{
	struct pilot_jobs jobs = { replay, NULL, w, count,
				   PTHREAD_MUTEX_INITIALIZER, 0 };
	uint8_t *correct = NULL;
	pthread_t thread;
	int started;
	size_t i;

	if (rp_correct_moves(replay, &correct, err) != SG_OK)
		return err->code != SG_OK ? err->code : SG_ERR_NOMEM;
	jobs.correct = correct;
	started = count > 1 &&
		  pthread_create(&thread, NULL, pilot_worker, &jobs) == 0;
	pilot_worker(&jobs);
	if (started)
		pthread_join(thread, NULL);
	free(correct);
	for (i = 0; i < count; i++)
		if (w[i].rc != SG_OK) {
			*err = w[i].err;
			return w[i].rc;
		}
	return SG_OK;
}

sg_time sg_pilot_measures_from(const struct sg_config *config)
{
	if (!config->pilot_present)
		return SG_TIME_NONE;
	return config->pilot_start - (sg_time)config->baseline_days * 86400;
}

/* The baseline, the pilot, and each 7-day week of the pilot begun by
 * as-of (the last one cut at the pilot's end). */
static int pilot_windows(struct sg_pilot_measures *pm,
			 const struct sg_config *config, sg_time as_of,
			 struct pilot_window **out, size_t *count,
			 struct sg_error *err)
{
	sg_time start = config->pilot_start;
	sg_time pilot_end = start + (sg_time)config->pilot_days * 86400;
	struct pilot_window *w;
	size_t weeks = 0, i;
	sg_time t;

	for (t = start; t < pilot_end && t <= as_of;
	     t += SG_PILOT_WEEK_SECONDS)
		weeks++;
	w = calloc(weeks + 2, sizeof(*w));
	pm->weeks = weeks > 0 ? calloc(weeks, sizeof(*pm->weeks)) : NULL;
	if (w == NULL || (weeks > 0 && pm->weeks == NULL)) {
		free(w);
		return sg_error_set(err, SG_ERR_NOMEM, "measures: out of "
				    "memory");
	}
	w[0].m = &pm->baseline;
	w[0].start = sg_pilot_measures_from(config);
	w[0].end = start;
	w[1].m = &pm->pilot;
	w[1].start = start;
	w[1].end = pilot_end;
	w[1].dispositions_applicable = 1;
	for (i = 0; i < weeks; i++) {
		w[2 + i].m = &pm->weeks[i];
		w[2 + i].start = start + (sg_time)i * SG_PILOT_WEEK_SECONDS;
		w[2 + i].end = rp_min(w[2 + i].start + SG_PILOT_WEEK_SECONDS,
				      pilot_end);
		w[2 + i].dispositions_applicable = 1;
	}
	pm->week_count = weeks;
	*out = w;
	*count = weeks + 2;
	return SG_OK;
}

int sg_pilot_measures_compute(struct sg_pilot_measures *out,
			      const struct sg_replay *replay,
			      const struct sg_config *config,
			      struct sg_error *err)
{
	struct pilot_window *w = NULL;
	size_t count = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!config->pilot_present)
		return sg_error_set(err, SG_ERR_USAGE, "%s has no \"pilot\" "
				    "section (start, days, baseline_days); "
				    "add one to measure the pilot",
				    config->path);
	rc = pilot_windows(out, config, replay->as_of, &w, &count, err);
	if (rc == SG_OK)
		rc = pilot_measure_all(replay, w, count, err);
	free(w);
	if (rc != SG_OK)
		sg_pilot_measures_release(out);
	return rc;
}
