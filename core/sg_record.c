/*
 * sg_record.c - a judged run into the ledger.  The exceptions reach the
 * ledger as typed records, written out only when the ledger has not seen
 * them before.
 *
 * Writing the new exceptions is one SQLite thread; making each record
 * (its routing, its note, its details) is a fifth of that thread's work
 * and needs no ledger.  Once the ledger says which exceptions it will
 * ask for, a helper thread makes them ahead, into a ring of slots, while
 * the ledger writes the ones before.
 */
#include "sg_record.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sg_review.h"

/* Records made ahead of the one the ledger writes, at most. */
#define PREFILL_SLOTS 1024u

struct prefill_slot {
	struct sg_exception_record rec;
	struct sg_text scratch;
	int rc;
	struct sg_error err;
};

/* The records the ledger will ask for, made on a helper thread: order[k]
 * goes to slot k % PREFILL_SLOTS.  Under lock: filled (order[0 .. filled)
 * are made), released (the ledger is done with order[0 .. released)) and
 * stop. */
struct prefill {
	size_t *order, count;
	size_t asked;           /* record() calls answered from the ring */
	struct prefill_slot *slots;
	size_t filled, released;
	size_t helper_resume;   /* the helper waits for released to reach it */
	int stop, helper_waits, ledger_waits;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int started;
};

struct record_feed {
	const struct sg_exceptions *list;
	const struct sg_model *model;
	sg_time as_of;
	struct sg_text scratch;
	struct prefill *ahead;  /* NULL: each record made when asked */
};

static const char *record_id(void *arg, size_t i)
{
	const struct record_feed *f = arg;

	return f->list->items[i].id;
}

/* Makes exception i's record in scratch. */
static int record_make(const struct record_feed *f, size_t i,
		       struct sg_exception_record *rec,
		       struct sg_text *scratch, struct sg_error *err)
{
	const struct sg_exception *ex = &f->list->items[i];
	struct sg_routing routing;
	int rc;

	sg_exception_route(ex, f->model, f->as_of, &routing);
	rc = sg_exception_record_fill(rec, scratch, ex, f->model, &routing,
				      f->as_of);
	if (rc == SG_ERR_NOMEM)
		return sg_error_set(err, rc, "out of memory");
	if (rc != SG_OK)
		return sg_error_set(err, rc, "exception %s of opportunity "
				    "%.200s: a name, id or stage is not "
				    "UTF-8 text; fix its encoding in the "
				    "source (or its export) and run again",
				    ex->id, rec->opportunity_id ?
				    rec->opportunity_id : "?");
	return SG_OK;
}

static void *prefill_thread(void *arg)
{
	struct record_feed *f = arg;
	struct prefill *p = f->ahead;
	struct prefill_slot *slot;
	size_t k;
	int rc = SG_OK, stop = 0;

	for (k = 0; k < p->count && rc == SG_OK && !stop; k++) {
		pthread_mutex_lock(&p->lock);
		while (!p->stop && k >= p->released + PREFILL_SLOTS) {
			/* Woken once half the ring is free, not at each
			 * slot: a switch per record would cost more than
			 * the record. */
			p->helper_resume = k + 1 - PREFILL_SLOTS / 2;
			p->helper_waits = 1;
			pthread_cond_wait(&p->wake, &p->lock);
			p->helper_waits = 0;
		}
		stop = p->stop;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;
		slot = &p->slots[k % PREFILL_SLOTS];
		sg_error_clear(&slot->err);
		rc = slot->rc = record_make(f, p->order[k], &slot->rec,
					    &slot->scratch, &slot->err);
		pthread_mutex_lock(&p->lock);
		p->filled = k + 1;
		if (p->ledger_waits)
			pthread_cond_signal(&p->wake);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

/* Stops the helper and frees the ring; accepts NULL. */
static void prefill_free(struct prefill *p)
{
	size_t i;

	if (p == NULL)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->lock);
		p->stop = 1;
		pthread_cond_broadcast(&p->wake);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	for (i = 0; p->slots != NULL && i < PREFILL_SLOTS; i++)
		sg_text_release(&p->slots[i].scratch);
	free(p->slots);
	free(p->order);
	free(p);
}

/* The ledger will ask for these: a helper starts making them.  Without
 * memory or a thread, each is made when asked, as before. */
static int record_will_ask(void *arg, const size_t *indexes, size_t count,
			   struct sg_error *err)
{
	struct record_feed *f = arg;
	struct prefill *p;

	(void)err;
	if (f->ahead != NULL || count < 2)
		return SG_OK;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return SG_OK;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->order = malloc(count * sizeof(*p->order));
	p->slots = calloc(PREFILL_SLOTS, sizeof(*p->slots));
	if (p->order == NULL || p->slots == NULL) {
		prefill_free(p);
		return SG_OK;
	}
	memcpy(p->order, indexes, count * sizeof(*indexes));
	p->count = count;
	f->ahead = p;
	p->started = pthread_create(&p->thread, NULL, prefill_thread, f) == 0;
	if (!p->started) {
		f->ahead = NULL;
		prefill_free(p);
	}
	return SG_OK;
}

/* The next record of the ring, when i is the one it holds next; 0 when
 * the ring cannot answer (asked out of the order told). */
static int record_from_ring(struct prefill *p, size_t i,
			    struct sg_exception_record *rec, int *rc,
			    struct sg_error *err)
{
	size_t k = p->asked;
	struct prefill_slot *slot;

	if (k >= p->count || p->order[k] != i)
		return 0;
	pthread_mutex_lock(&p->lock);
	/* The record handed out last is no longer borrowed. */
	p->released = k;
	if (p->helper_waits && k >= p->helper_resume)
		pthread_cond_signal(&p->wake);
	while (p->filled <= k) {
		p->ledger_waits = 1;
		pthread_cond_wait(&p->wake, &p->lock);
		p->ledger_waits = 0;
	}
	pthread_mutex_unlock(&p->lock);
	slot = &p->slots[k % PREFILL_SLOTS];
	p->asked = k + 1;
	*rc = slot->rc;
	if (*rc != SG_OK)
		*err = slot->err;
	else
		*rec = slot->rec;
	return 1;
}

static int record_one(void *arg, size_t i, struct sg_exception_record *rec,
		      struct sg_error *err)
{
	struct record_feed *f = arg;
	int rc;

	if (f->ahead != NULL && record_from_ring(f->ahead, i, rec, &rc, err))
		return rc;
	/* Asked out of the order told: the helper's work is no use. */
	prefill_free(f->ahead);
	f->ahead = NULL;
	return record_make(f, i, rec, &f->scratch, err);
}

/* A flagged move that this pull shows reverted is a correction. */
static int record_corrections(struct sg_ledger *ledger, void *arg,
			      struct sg_error *err)
{
	const struct record_feed *f = arg;

	return sg_review_note_corrections(ledger, f->model, f->as_of, NULL,
					  err);
}

int sg_record_run(struct sg_ledger *ledger, struct sg_run_record *run,
		  const struct sg_exceptions *list,
		  const struct sg_model *model,
		  struct sg_run_outcome *outcome, struct sg_error *err)
{
	struct record_feed f = { list, model, run->as_of, { NULL, 0, 0 },
				 NULL };
	struct sg_exception_feed feed;
	int rc;

	feed.count = list->count;
	feed.arg = &f;
	feed.id = record_id;
	feed.record = record_one;
	feed.will_ask = record_will_ask;
	run->before_commit = record_corrections;
	run->before_commit_arg = &f;
	rc = sg_ledger_record_run(ledger, run, &feed, outcome, err);
	prefill_free(f.ahead);
	sg_text_release(&f.scratch);
	return rc;
}
