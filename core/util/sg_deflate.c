/*
 * sg_deflate.c - deflate on worker threads (sg_deflate.h).
 *
 * The writer fills blocks in a ring of DFL_JOBS slots; a full block is
 * queued, the workers take the oldest queued one, and the writer hands
 * finished blocks to put() strictly in order, waiting for the oldest when
 * it needs its slot.
 *
 * One raw deflate stream (zlib): each block is deflated with the previous
 * block's tail as its dictionary and ended on a byte boundary; its CRC is
 * computed by its worker and the stream's is joined with crc32_combine().
 * Gzip members (libdeflate): each block is a whole gzip member of its
 * own, so no block needs another and libdeflate, which compresses whole
 * buffers only and twice as fast as zlib, can do it; a block of bytes
 * deflated already is stored (dfl_deflated_already()).
 */
#include "sg_deflate.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>

#define DFL_BLOCK SG_DEFLATE_BLOCK
#define DFL_WINDOW 32768u
#define DFL_MAX_WORKERS 4
#define DFL_JOBS (2 * DFL_MAX_WORKERS + 2)

enum dfl_state { DFL_FREE, DFL_FILLING, DFL_QUEUED, DFL_BUSY, DFL_DONE };

struct dfl_job {
	enum dfl_state state;
	unsigned long long seq;
	unsigned char *in;
	size_t in_len;
	const unsigned char *dict;  /* the previous block's tail, or NULL */
	size_t dict_len;
	unsigned char dict_copy[DFL_WINDOW];
	unsigned char *out;
	size_t out_len, out_cap;
	unsigned long crc;
	int last;
	int failed;             /* zlib refused: out of memory */
};

struct sg_deflate {
	sg_deflate_put_fn put;
	void *arg;
	int level;
	int gzip_members;       /* one gzip member per block (libdeflate) */
	struct dfl_job jobs[DFL_JOBS];
	unsigned long long next_seq;  /* of the block being filled */
	struct dfl_job *filling;      /* that block once it has a slot */
	unsigned long long written;   /* blocks written out */
	unsigned long crc;
	unsigned long long total_in;

	pthread_mutex_t lock;
	pthread_cond_t changed;
	pthread_t threads[DFL_MAX_WORKERS];
	size_t thread_count;
	int closing;
	int error;              /* put()'s errno, or -1: zlib */
};

static struct dfl_job *dfl_slot(struct sg_deflate *g, unsigned long long seq)
{
	return &g->jobs[seq % DFL_JOBS];
}

/* Deflates one block; zs is the worker's own stream. */
static void dfl_deflate(z_stream *zs, struct dfl_job *job)
{
	int flush = job->last ? Z_FINISH : Z_SYNC_FLUSH, r;

	job->failed = deflateReset(zs) != Z_OK;
	if (!job->failed && job->dict_len > 0)
		job->failed = deflateSetDictionary(zs, job->dict,
						   (uInt)job->dict_len) != Z_OK;
	zs->next_in = job->in;
	zs->avail_in = (uInt)job->in_len;
	zs->next_out = job->out;
	zs->avail_out = (uInt)job->out_cap;
	r = job->failed ? Z_STREAM_ERROR : deflate(zs, flush);
	/* out_cap is deflateBound() and more: one call does it all. */
	if (r != (job->last ? Z_STREAM_END : Z_OK) || zs->avail_in != 0 ||
	    zs->avail_out == 0)
		job->failed = 1;
	job->out_len = job->out_cap - zs->avail_out;
	job->crc = crc32(0L, job->in, (uInt)job->in_len);
}

/*
 * A block of gzip members whose samples do not shrink to
 * DFL_STORE_PERCENT of their size (a zip such as a workbook, an image:
 * bytes deflated already) is stored in its member, not deflated again:
 * at a million opportunities the bundle's workbook took a second of CPU
 * to shrink by 1.7%.  Three samples (the start, the middle, the end) so
 * that a block where such bytes meet text is deflated.  Decided by the
 * block's bytes alone, so the output still depends on the input only.
 */
#define DFL_SAMPLE 16384u
#define DFL_STORE_PERCENT 97u

/* A worker's compressor: a zlib stream, or libdeflate's at the stream's
 * level and at level 0 (stored blocks), with room to try a sample. */
struct dfl_engine {
	z_stream zs;
	struct libdeflate_compressor *members, *store;
	unsigned char *sample_out;
	int ok;
};

/* Nonzero when every sample of the block stays above the ratio. */
static int dfl_deflated_already(struct dfl_engine *e, const struct dfl_job *job)
{
	size_t at[3], i, room = DFL_SAMPLE * DFL_STORE_PERCENT / 100;

	if (job->in_len < 4 * DFL_SAMPLE)
		return 0;
	at[0] = 0;
	at[1] = (job->in_len - DFL_SAMPLE) / 2;
	at[2] = job->in_len - DFL_SAMPLE;
	for (i = 0; i < 3; i++)
		/* 0: it did not fit in room. */
		if (libdeflate_deflate_compress(e->members, job->in + at[i],
						DFL_SAMPLE, e->sample_out,
						room) != 0)
			return 0;
	return 1;
}

/* Compresses one block into a gzip member.  The last block of a stream
 * that is not also its first may be empty: it gives no member. */
static void dfl_gzip_member(struct dfl_engine *e, struct dfl_job *job)
{
	struct libdeflate_compressor *c = e->members;

	job->out_len = 0;
	job->failed = 0;
	if (job->in_len == 0 && job->seq > 0)
		return;
	if (dfl_deflated_already(e, job))
		c = e->store;
	job->out_len = libdeflate_gzip_compress(c, job->in, job->in_len,
						job->out, job->out_cap);
	job->failed = job->out_len == 0;
}

static void dfl_engine_init(struct sg_deflate *g, struct dfl_engine *e)
{
	memset(e, 0, sizeof(*e));
	if (g->gzip_members) {
		e->members = libdeflate_alloc_compressor(g->level);
		e->store = libdeflate_alloc_compressor(0);
		e->sample_out = malloc(DFL_SAMPLE);
		e->ok = e->members != NULL && e->store != NULL &&
			e->sample_out != NULL;
	} else {
		e->ok = deflateInit2(&e->zs, g->level, Z_DEFLATED, -15, 8,
				     Z_DEFAULT_STRATEGY) == Z_OK;
	}
}

static void dfl_engine_run(struct dfl_engine *e, struct dfl_job *job)
{
	if (!e->ok)
		job->failed = 1;
	else if (e->members != NULL)
		dfl_gzip_member(e, job);
	else
		dfl_deflate(&e->zs, job);
}

static void dfl_engine_end(struct dfl_engine *e, int gzip_members)
{
	if (gzip_members) {
		libdeflate_free_compressor(e->members);
		libdeflate_free_compressor(e->store);
		free(e->sample_out);
	} else if (e->ok) {
		deflateEnd(&e->zs);
	}
}

static void *dfl_worker(void *arg)
{
	struct sg_deflate *g = arg;
	struct dfl_job *job, *j;
	struct dfl_engine engine;
	size_t k;

	dfl_engine_init(g, &engine);
	pthread_mutex_lock(&g->lock);
	for (;;) {
		job = NULL;
		for (k = 0; k < DFL_JOBS; k++) {
			j = &g->jobs[k];
			if (j->state == DFL_QUEUED &&
			    (job == NULL || j->seq < job->seq))
				job = j;
		}
		if (job == NULL) {
			if (g->closing)
				break;
			pthread_cond_wait(&g->changed, &g->lock);
			continue;
		}
		job->state = DFL_BUSY;
		pthread_mutex_unlock(&g->lock);
		dfl_engine_run(&engine, job);
		pthread_mutex_lock(&g->lock);
		job->state = DFL_DONE;
		pthread_cond_broadcast(&g->changed);
	}
	pthread_mutex_unlock(&g->lock);
	dfl_engine_end(&engine, g->gzip_members);
	return NULL;
}

static int dfl_put(struct sg_deflate *g, const void *data, size_t len)
{
	int e = len > 0 ? g->put(g->arg, data, len) : 0;

	if (e != 0) {
		g->error = e > 0 ? e : EIO;
		return -1;
	}
	return 0;
}

/* Writes the oldest block once it is done (waiting for it); frees its
 * slot.  Called with the lock held. */
static int dfl_write_oldest(struct sg_deflate *g)
{
	struct dfl_job *job = dfl_slot(g, g->written);
	int rc = 0;

	while (job->state != DFL_DONE)
		pthread_cond_wait(&g->changed, &g->lock);
	pthread_mutex_unlock(&g->lock);
	if (job->failed) {
		g->error = -1;
		rc = -1;
	} else if (g->error == 0) {
		rc = dfl_put(g, job->out, job->out_len);
		if (!g->gzip_members)
			g->crc = crc32_combine(g->crc, job->crc,
					       (z_off_t)job->in_len);
		g->total_in += job->in_len;
	}
	pthread_mutex_lock(&g->lock);
	job->state = DFL_FREE;
	g->written++;
	return rc;
}

/* The block being filled, its slot made free first.  Only the writer
 * knows which block it fills (g->filling): a slot's state is read and
 * written under the lock, the workers change it too. */
static struct dfl_job *dfl_filling(struct sg_deflate *g)
{
	struct dfl_job *job = dfl_slot(g, g->next_seq);

	if (g->filling != NULL)
		return g->filling;
	pthread_mutex_lock(&g->lock);
	while (job->state != DFL_FREE && g->error == 0)
		if (dfl_write_oldest(g) != 0)
			break;
	if (g->error == 0)
		job->state = DFL_FILLING;
	pthread_mutex_unlock(&g->lock);
	if (g->error != 0)
		return NULL;
	job->seq = g->next_seq;
	job->in_len = 0;
	job->last = 0;
	g->filling = job;
	return job;
}

/* Hands the filled block to the workers. */
static void dfl_submit(struct sg_deflate *g, struct dfl_job *job, int last)
{
	struct dfl_job *prev = g->next_seq > 0 ?
		dfl_slot(g, g->next_seq - 1) : NULL;
	size_t keep;

	job->last = last;
	job->dict = NULL;
	job->dict_len = 0;
	if (prev != NULL && !g->gzip_members) {
		/* The previous block's input may be overwritten before this
		 * one is deflated: its tail is copied. */
		keep = prev->in_len < DFL_WINDOW ? prev->in_len : DFL_WINDOW;
		memcpy(job->dict_copy, prev->in + prev->in_len - keep, keep);
		job->dict = job->dict_copy;
		job->dict_len = keep;
	}
	g->next_seq++;
	g->filling = NULL;
	pthread_mutex_lock(&g->lock);
	job->state = DFL_QUEUED;
	pthread_cond_broadcast(&g->changed);
	pthread_mutex_unlock(&g->lock);
}

int sg_deflate_write(struct sg_deflate *g, const void *data, size_t size)
{
	const unsigned char *p = data;
	struct dfl_job *job;
	size_t n;

	while (size > 0) {
		job = dfl_filling(g);
		if (job == NULL)
			return -1;
		n = DFL_BLOCK - job->in_len;
		if (n > size)
			n = size;
		memcpy(job->in + job->in_len, p, n);
		job->in_len += n;
		p += n;
		size -= n;
		if (job->in_len == DFL_BLOCK)
			dfl_submit(g, job, 0);
	}
	return 0;
}

/* Compresses the rest, the last block final or ended on a byte boundary,
 * and writes every block out. */
static int dfl_end(struct sg_deflate *g, int final)
{
	struct dfl_job *job = dfl_filling(g);
	int rc = 0;

	if (job == NULL)
		return -1;
	dfl_submit(g, job, final);
	pthread_mutex_lock(&g->lock);
	while (g->written < g->next_seq && rc == 0)
		rc = dfl_write_oldest(g);
	pthread_mutex_unlock(&g->lock);
	return rc == 0 && g->error == 0 ? 0 : -1;
}

int sg_deflate_flush(struct sg_deflate *g)
{
	int rc = 0;

	if (!g->gzip_members) {
		g->error = EINVAL;
		return -1;
	}
	if (g->error != 0)
		return -1;
	if (g->filling != NULL && g->filling->in_len > 0)
		dfl_submit(g, g->filling, 0);
	pthread_mutex_lock(&g->lock);
	while (g->written < g->next_seq && rc == 0)
		rc = dfl_write_oldest(g);
	pthread_mutex_unlock(&g->lock);
	return rc == 0 && g->error == 0 ? 0 : -1;
}

int sg_deflate_finish(struct sg_deflate *g)
{
	return dfl_end(g, 1);
}

int sg_deflate_finish_open(struct sg_deflate *g)
{
	return dfl_end(g, 0);
}

unsigned long sg_deflate_crc(const struct sg_deflate *g)
{
	return g->crc;
}

unsigned long long sg_deflate_total_in(const struct sg_deflate *g)
{
	return g->total_in;
}

const char *sg_deflate_error(const struct sg_deflate *g)
{
	if (g->error > 0)
		return strerror(g->error);
	return g->error < 0 ? "could not compress (out of memory?)" :
			      "no error";
}

static size_t dfl_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > DFL_MAX_WORKERS ? DFL_MAX_WORKERS : (size_t)n;
}

static void dfl_stop(struct sg_deflate *g)
{
	size_t i;

	pthread_mutex_lock(&g->lock);
	g->closing = 1;
	pthread_cond_broadcast(&g->changed);
	pthread_mutex_unlock(&g->lock);
	for (i = 0; i < g->thread_count; i++)
		pthread_join(g->threads[i], NULL);
	g->thread_count = 0;
}

void sg_deflate_free(struct sg_deflate *g)
{
	size_t k;

	if (g == NULL)
		return;
	dfl_stop(g);
	for (k = 0; k < DFL_JOBS; k++) {
		free(g->jobs[k].in);
		free(g->jobs[k].out);
	}
	pthread_cond_destroy(&g->changed);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* The most a block can take compressed. */
static size_t dfl_out_cap(int level, int gzip_members)
{
	/* deflateBound() of a block, plus the sync flush's marker. */
	size_t cap = DFL_BLOCK + DFL_BLOCK / 1000 + 1024, bound;
	struct libdeflate_compressor *c;

	if (!gzip_members)
		return cap;
	c = libdeflate_alloc_compressor(level);
	if (c == NULL)
		return 0;
	bound = libdeflate_gzip_compress_bound(c, DFL_BLOCK);
	libdeflate_free_compressor(c);
	return bound > cap ? bound : cap;
}

static int dfl_new(struct sg_deflate **out, int level, int gzip_members,
		   size_t workers, sg_deflate_put_fn put, void *arg,
		   struct sg_error *err)
{
	struct sg_deflate *g = calloc(1, sizeof(*g));
	size_t k, out_cap = dfl_out_cap(level, gzip_members);

	*out = NULL;
	if (g == NULL || out_cap == 0) {
		free(g);
		return sg_error_set(err, SG_ERR_NOMEM, "deflate: out of memory");
	}
	if (workers == 0)
		workers = dfl_workers();
	if (workers > DFL_MAX_WORKERS)
		workers = DFL_MAX_WORKERS;
	g->put = put;
	g->arg = arg;
	g->level = level;
	g->gzip_members = gzip_members;
	g->crc = crc32(0L, Z_NULL, 0);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->changed, NULL);
	for (k = 0; k < DFL_JOBS; k++) {
		g->jobs[k].out_cap = out_cap;
		g->jobs[k].in = malloc(DFL_BLOCK);
		g->jobs[k].out = malloc(g->jobs[k].out_cap);
		if (g->jobs[k].in == NULL || g->jobs[k].out == NULL) {
			sg_deflate_free(g);
			return sg_error_set(err, SG_ERR_NOMEM,
					    "deflate: out of memory");
		}
	}
	while (g->thread_count < workers &&
	       pthread_create(&g->threads[g->thread_count], NULL, dfl_worker,
			      g) == 0)
		g->thread_count++;
	if (g->thread_count == 0) {
		sg_deflate_free(g);
		return sg_error_set(err, SG_ERR_INTERNAL, "deflate: cannot "
				    "start a thread to compress");
	}
	*out = g;
	return SG_OK;
}

int sg_deflate_new(struct sg_deflate **out, int level, size_t workers,
		   sg_deflate_put_fn put, void *arg, struct sg_error *err)
{
	return dfl_new(out, level, 0, workers, put, arg, err);
}

int sg_deflate_new_gzip_members(struct sg_deflate **out, int level,
				size_t workers, sg_deflate_put_fn put,
				void *arg, struct sg_error *err)
{
	return dfl_new(out, level, 1, workers, put, arg, err);
}
