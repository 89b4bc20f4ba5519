/*
 * sg_kept.c - a pull's records into the ledger (sg_kept.h); loading
 * them back is sg_kept_load.c.
 *
 * The chunks reach the ledger from a thread of their own: the pull's
 * threads hand each finished chunk over (a bounded queue, sg_queue.h)
 * and go on reading the source while SQLite writes it.  The thread is
 * the only user of the ledger's connection until sg_kept_drain() has
 * joined it.
 */
#include "sg_kept.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sg_queue.h"

/* Compressed bytes waiting for the ledger at most; past it the pull
 * waits. */
#define KEPT_QUEUE_MAX (64u << 20)

struct kept_item {
	struct sg_queue_link link;      /* first */
	char sha256[65];
	char raw_sha256[65];
	size_t size, raw_size, records;
	unsigned char data[];
};

/* A chunk the ledger held when the run began, by the SHA-256 of its
 * encoded records. */
struct kept_key {
	char raw_sha256[65];
	size_t raw_size;
	char sha256[65];
	size_t size;
};

struct sg_kept {
	struct sg_ledger *ledger;
	struct sg_inputs_writer *writer;
	struct sg_input_ref *refs;
	size_t count, cap;
	/* Sorted by raw_sha256; read-only once the pull starts. */
	struct kept_key *keys;
	size_t key_count, key_cap;

	struct sg_queue queue;
	pthread_t thread;
	int started, drained;
	pthread_mutex_t lock;   /* failed and err */
	int failed;             /* the first failure is in err */
	struct sg_error err;
};

static void kept_fail(struct sg_kept *k, const struct sg_error *err)
{
	pthread_mutex_lock(&k->lock);
	if (!k->failed) {
		k->failed = 1;
		k->err = *err;
	}
	pthread_mutex_unlock(&k->lock);
	/* The pull stops waiting for room; the run fails. */
	sg_queue_stop(&k->queue);
}

/* SG_OK, or the first failure (copied to err). */
static int kept_status(struct sg_kept *k, struct sg_error *err)
{
	int rc = SG_OK;

	pthread_mutex_lock(&k->lock);
	if (k->failed) {
		if (err != NULL)
			*err = k->err;
		rc = k->err.code != SG_OK ? k->err.code : SG_ERR_LEDGER;
	}
	pthread_mutex_unlock(&k->lock);
	return rc;
}

static void kept_item_store(struct sg_kept *k, struct kept_item *item)
{
	struct sg_error err;

	sg_error_clear(&err);
	if (sg_ledger_put_input_chunk(k->ledger, item->sha256,
				      item->raw_sha256[0] ? item->raw_sha256 :
				      NULL, item->data, item->size,
				      item->raw_size, item->records,
				      &err) != SG_OK)
		kept_fail(k, &err);
}

static void *kept_thread(void *arg)
{
	struct sg_kept *k = arg;
	struct sg_queue_link *link;

	while ((link = sg_queue_pop(&k->queue)) != NULL) {
		struct kept_item *item = (struct kept_item *)link;

		/* After a failure the rest is dropped: the run fails. */
		if (!sg_queue_stopped(&k->queue))
			kept_item_store(k, item);
		sg_queue_done(&k->queue, link->size);
		free(item);
	}
	return NULL;
}

static int kept_ref(struct sg_kept *k, const struct sg_inputs_chunk *chunk,
		    struct sg_error *err)
{
	struct sg_input_ref *ref;

	if (k->count == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		struct sg_input_ref *grown = realloc(k->refs,
						     cap * sizeof(*grown));

		if (grown == NULL)
			return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
		k->refs = grown;
		k->cap = cap;
	}
	ref = &k->refs[k->count++];
	ref->part = chunk->part;
	ref->seq = chunk->seq;
	memcpy(ref->sha256, chunk->sha256, sizeof(ref->sha256));
	return SG_OK;
}

/* Called under the inputs writer's lock, one chunk at a time, whichever
 * thread pulled it: queued for the ledger's thread (started now, the
 * first time). */
static int kept_store(void *arg, const struct sg_inputs_chunk *chunk,
		      struct sg_error *err)
{
	struct sg_kept *k = arg;
	struct kept_item *item;
	int rc = kept_ref(k, chunk, err);

	if (rc != SG_OK || chunk->stored)
		return rc;
	item = malloc(sizeof(*item) + chunk->size);
	if (item == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	memcpy(item->sha256, chunk->sha256, sizeof(item->sha256));
	memcpy(item->raw_sha256, chunk->raw_sha256, sizeof(item->raw_sha256));
	item->size = chunk->size;
	item->raw_size = chunk->raw_size;
	item->records = chunk->records;
	memcpy(item->data, chunk->data, chunk->size);
	if (!k->started &&
	    pthread_create(&k->thread, NULL, kept_thread, k) == 0)
		k->started = 1;
	if (!k->started) {
		/* No thread: written here and now. */
		kept_item_store(k, item);
		free(item);
	} else if (sg_queue_push(&k->queue, &item->link, item->size) != 0) {
		free(item);
	}
	return kept_status(k, err);
}

static int kept_key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kept_key *)a)->raw_sha256,
		      ((const struct kept_key *)b)->raw_sha256);
}

static int kept_add_key(void *arg, const char *raw_sha256, size_t raw_size,
			const char *sha256, size_t size, struct sg_error *err)
{
	struct sg_kept *k = arg;
	struct kept_key *key;

	if (raw_sha256 == NULL || sha256 == NULL || strlen(raw_sha256) != 64 ||
	    strlen(sha256) != 64)
		return SG_OK;
	if (k->key_count == k->key_cap) {
		size_t cap = k->key_cap ? k->key_cap * 2 : 256;
		struct kept_key *grown = realloc(k->keys,
						 cap * sizeof(*grown));

		if (grown == NULL)
			return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
		k->keys = grown;
		k->key_cap = cap;
	}
	key = &k->keys[k->key_count++];
	memcpy(key->raw_sha256, raw_sha256, sizeof(key->raw_sha256));
	key->raw_size = raw_size;
	memcpy(key->sha256, sha256, sizeof(key->sha256));
	key->size = size;
	return SG_OK;
}

/* sg_inputs_known_fn: a chunk the ledger held when the run began.  The
 * size must match too: a digest damaged in the ledger is not taken for
 * another chunk's. */
static int kept_known(void *arg, const char *raw_sha256, size_t raw_size,
		      char sha256[65], size_t *size)
{
	const struct sg_kept *k = arg;
	struct kept_key probe;
	const struct kept_key *hit;

	if (k->key_count == 0)
		return 0;
	memcpy(probe.raw_sha256, raw_sha256, sizeof(probe.raw_sha256));
	hit = bsearch(&probe, k->keys, k->key_count, sizeof(*k->keys),
		      kept_key_cmp);
	if (hit == NULL || hit->raw_size != raw_size)
		return 0;
	memcpy(sha256, hit->sha256, sizeof(hit->sha256));
	*size = hit->size;
	return 1;
}

/* The chunks the ledger holds, by the digest of their records. */
static int kept_load_keys(struct sg_kept *k, struct sg_error *err)
{
	int rc = sg_ledger_each_input_key(k->ledger, kept_add_key, k, err);

	if (rc != SG_OK)
		return rc;
	if (k->key_count > 1)
		qsort(k->keys, k->key_count, sizeof(*k->keys), kept_key_cmp);
	sg_inputs_writer_known(k->writer, kept_known, k);
	return SG_OK;
}

int sg_kept_new(struct sg_kept **out, struct sg_ledger *ledger,
		struct sg_error *err)
{
	struct sg_kept *k = calloc(1, sizeof(*k));
	int rc;

	*out = NULL;
	if (k == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	k->ledger = ledger;
	if (sg_queue_init(&k->queue, KEPT_QUEUE_MAX) != 0) {
		free(k);
		return sg_error_set(err, SG_ERR_NOMEM, "cannot create a lock");
	}
	pthread_mutex_init(&k->lock, NULL);
	rc = sg_inputs_writer_new(&k->writer, kept_store, k, err);
	if (rc == SG_OK)
		rc = kept_load_keys(k, err);
	if (rc != SG_OK) {
		sg_kept_free(k);
		return rc;
	}
	*out = k;
	return SG_OK;
}

/* Stops the ledger's thread once the queue is written (or, after a
 * failure, dropped). */
static void kept_join(struct sg_kept *k)
{
	sg_queue_close(&k->queue);
	if (k->started) {
		pthread_join(k->thread, NULL);
		k->started = 0;
	}
}

void sg_kept_free(struct sg_kept *k)
{
	struct sg_queue_link *link, *next;

	if (k == NULL)
		return;
	kept_join(k);
	for (link = sg_queue_take_all(&k->queue); link != NULL; link = next) {
		next = link->next;
		free(link);
	}
	sg_inputs_writer_free(k->writer);
	sg_queue_destroy(&k->queue);
	pthread_mutex_destroy(&k->lock);
	free(k->refs);
	free(k->keys);
	free(k);
}

struct sg_inputs_writer *sg_kept_writer(struct sg_kept *k)
{
	return k->writer;
}

int sg_kept_drain(struct sg_kept *k, struct sg_error *err)
{
	int rc = SG_OK;

	if (!k->drained)
		rc = sg_inputs_writer_finish(k->writer, err);
	k->drained = 1;
	kept_join(k);
	if (rc == SG_OK)
		rc = kept_status(k, err);
	return rc;
}

int sg_kept_finish(struct sg_kept *k, struct sg_run_record *run,
		   struct sg_error *err)
{
	int rc = sg_kept_drain(k, err);

	if (rc != SG_OK)
		return rc;
	run->inputs = k->refs;
	run->input_count = k->count;
	return SG_OK;
}

void sg_kept_totals(const struct sg_kept *k, struct sg_inputs_totals *out)
{
	sg_inputs_writer_totals(k->writer, out);
}
