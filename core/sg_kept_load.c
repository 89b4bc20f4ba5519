/*
 * sg_kept_load.c - the records a run kept, loaded back into a model
 * (sg_kept.h).
 *
 * A pull fills the model's parts side by side (sg_source.c); loading
 * does the same: the opportunities (part 0) first, on the calling
 * thread, since every other record looks its opportunity up; then the
 * other parts on two threads, each part wholly on one thread so its
 * chunks stay in order.  The calling thread reads the chunks from the
 * ledger (the only user of its connection) and hands each to its
 * part's thread through a bounded queue.  The parts are joined in part
 * order when the model is finished, so the result does not depend on
 * which thread ran first.
 */
#include "sg_kept.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sg_host.h"
#include "sg_inputs.h"
#include "sg_queue.h"

#define LOAD_WORKERS 2

/* Compressed bytes waiting for one thread at most; past it the reader
 * waits. */
#define LOAD_QUEUE_MAX (16u << 20)

struct load_item {
	struct sg_queue_link link;      /* first */
	const struct sg_input_chunk_info *chunk;
	size_t size;
	unsigned char data[];
};

struct load_worker {
	struct kept_load *load;
	pthread_t thread;
	int started;
	struct sg_queue queue;
	size_t planned;         /* encoded bytes of the parts it was given */
};

struct kept_load {
	struct sg_model *model;
	const struct sg_input_chunk_info *chunks; /* in reading order */
	unsigned *worker_of;    /* per part: its thread */
	struct load_worker workers[LOAD_WORKERS];

	pthread_mutex_t lock;   /* failed and err */
	int failed;             /* the first failure is in err */
	struct sg_error err;
};

static int load_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

/* The first failure wins; every queue stops taking chunks. */
static void load_fail(struct kept_load *l, const struct sg_error *err)
{
	unsigned i;

	pthread_mutex_lock(&l->lock);
	if (!l->failed) {
		l->failed = 1;
		l->err = *err;
	}
	pthread_mutex_unlock(&l->lock);
	for (i = 0; i < LOAD_WORKERS; i++)
		sg_queue_stop(&l->workers[i].queue);
}

static int load_failure(struct kept_load *l, struct sg_error *err)
{
	int rc;

	pthread_mutex_lock(&l->lock);
	if (err != NULL)
		*err = l->err;
	rc = l->err.code != SG_OK ? l->err.code : SG_ERR_LEDGER;
	pthread_mutex_unlock(&l->lock);
	return rc;
}

static int load_replay(struct kept_load *l,
		       const struct sg_input_chunk_info *chunk,
		       const void *data, size_t size, struct sg_error *err)
{
	return sg_inputs_replay_chunk(l->model, chunk->ref.part, data, size,
				      chunk->ref.sha256, err);
}

static void *load_thread(void *arg)
{
	struct load_worker *w = arg;
	struct kept_load *l = w->load;
	struct sg_queue_link *link;
	struct sg_error err;

	while ((link = sg_queue_pop(&w->queue)) != NULL) {
		struct load_item *item = (struct load_item *)link;

		sg_error_clear(&err);
		/* After a failure the rest is dropped: the load fails. */
		if (!sg_queue_stopped(&w->queue) &&
		    load_replay(l, item->chunk, item->data, item->size,
				&err) != SG_OK)
			load_fail(l, &err);
		sg_queue_done(&w->queue, link->size);
		free(item);
	}
	return NULL;
}

static int load_enqueue(struct kept_load *l, struct load_worker *w,
			const struct sg_input_chunk_info *chunk,
			const void *data, size_t size, struct sg_error *err)
{
	struct load_item *item = malloc(sizeof(*item) + size);

	if (item == NULL)
		return load_nomem(err);
	item->chunk = chunk;
	item->size = size;
	memcpy(item->data, data, size);
	if (sg_queue_push(&w->queue, &item->link, size) != 0) {
		free(item);
		return load_failure(l, err);
	}
	return SG_OK;
}

/* Each chunk as the ledger gives it: the opportunities here and now,
 * the rest to their part's thread (here too when it could not start). */
static int load_dispatch(void *arg, size_t index, const void *data,
			 size_t size, struct sg_error *err)
{
	struct kept_load *l = arg;
	const struct sg_input_chunk_info *chunk = &l->chunks[index];
	struct load_worker *w;

	/* An interrupt stops the load between chunks (1,483 at 1M). */
	if (sg_host_cancel_requested())
		return sg_error_set(err, SG_ERR_CANCELLED, "cancelled");
	if (chunk->ref.part == 0)
		return load_replay(l, chunk, data, size, err);
	w = &l->workers[l->worker_of[chunk->ref.part]];
	if (!w->started)
		return load_replay(l, chunk, data, size, err);
	return load_enqueue(l, w, chunk, data, size, err);
}

/* Gives each part other than 0 to a thread, the largest first to the
 * thread with the least to do, so both finish about together. */
static int load_plan(struct kept_load *l, size_t count, unsigned parts,
		     struct sg_error *err)
{
	size_t *bytes = calloc(parts, sizeof(*bytes));
	unsigned p, best, w;
	size_t i;

	l->worker_of = calloc(parts, sizeof(*l->worker_of));
	if (bytes == NULL || l->worker_of == NULL) {
		free(bytes);
		return load_nomem(err);
	}
	for (i = 0; i < count; i++)
		bytes[l->chunks[i].ref.part] += l->chunks[i].raw_size + 1;
	for (;;) {
		best = 0;
		for (p = 1; p < parts; p++)
			if (bytes[p] > 0 && (best == 0 || bytes[p] > bytes[best]))
				best = p;
		if (best == 0)
			break;
		w = l->workers[0].planned <= l->workers[1].planned ? 0 : 1;
		l->worker_of[best] = w;
		l->workers[w].planned += bytes[best];
		bytes[best] = 0;
	}
	free(bytes);
	return SG_OK;
}

static int load_seq_cmp(const void *pa, const void *pb)
{
	const struct sg_input_chunk_info *a = pa, *b = pb;

	if ((a->ref.part == 0) != (b->ref.part == 0))
		return a->ref.part == 0 ? -1 : 1;
	if (a->ref.seq != b->ref.seq)
		return a->ref.seq < b->ref.seq ? -1 : 1;
	return (a->ref.part > b->ref.part) - (a->ref.part < b->ref.part);
}

static void load_stop(struct kept_load *l)
{
	struct sg_queue_link *link, *next;
	unsigned i;

	for (i = 0; i < LOAD_WORKERS; i++) {
		sg_queue_close(&l->workers[i].queue);
		if (l->workers[i].started)
			pthread_join(l->workers[i].thread, NULL);
		link = sg_queue_take_all(&l->workers[i].queue);
		for (; link != NULL; link = next) {
			next = link->next;
			free(link);
		}
	}
}

static int load_run(struct kept_load *l, struct sg_ledger *ledger,
		    struct sg_input_chunk_info *chunks, size_t count,
		    struct sg_error *err)
{
	unsigned parts = 1, i;
	size_t k;
	int rc;

	for (k = 0; k < count; k++)
		if (chunks[k].ref.part + 1 > parts)
			parts = chunks[k].ref.part + 1;
	/* Every part exists before a thread adds to one. */
	rc = sg_model_set_parts(l->model, parts, err);
	if (rc != SG_OK)
		return rc;
	/* The opportunities first, then the other parts side by side. */
	qsort(chunks, count, sizeof(*chunks), load_seq_cmp);
	l->chunks = chunks;
	rc = load_plan(l, count, parts, err);
	if (rc != SG_OK)
		return rc;
	for (i = 0; parts > 2 && i < LOAD_WORKERS; i++) {
		l->workers[i].load = l;
		l->workers[i].started = pthread_create(&l->workers[i].thread,
						       NULL, load_thread,
						       &l->workers[i]) == 0;
	}
	rc = sg_ledger_read_input_chunks(ledger, chunks, count, load_dispatch,
					 l, err);
	if (rc != SG_OK)
		load_fail(l, err);      /* the threads drop what is queued */
	load_stop(l);
	if (rc == SG_OK && l->failed)
		rc = load_failure(l, err);
	return rc;
}

int sg_kept_load(struct sg_model *model, struct sg_ledger *ledger,
		 const char *run_id, struct sg_error *err)
{
	struct sg_input_chunk_info *chunks = NULL;
	struct kept_load l;
	size_t count = 0;
	unsigned i;
	int rc;

	memset(&l, 0, sizeof(l));
	l.model = model;
	rc = sg_ledger_input_chunks(ledger, run_id, &chunks, &count, err);
	if (rc != SG_OK)
		return rc;
	pthread_mutex_init(&l.lock, NULL);
	for (i = 0; i < LOAD_WORKERS; i++)
		if (sg_queue_init(&l.workers[i].queue, LOAD_QUEUE_MAX) != 0) {
			rc = sg_error_set(err, SG_ERR_NOMEM, "cannot create a "
					  "lock");
			break;
		}
	if (rc == SG_OK)
		rc = load_run(&l, ledger, chunks, count, err);
	/* i queues were made. */
	while (i-- > 0)
		sg_queue_destroy(&l.workers[i].queue);
	pthread_mutex_destroy(&l.lock);
	free(l.worker_of);
	free(chunks);
	return rc;
}
