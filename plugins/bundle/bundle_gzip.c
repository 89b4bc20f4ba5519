/*
 * bundle_gzip.c - gzip on several threads, for .tar.gz bundles
 * (bundle_int.h).
 *
 * libarchive's gzip filter compresses on the thread that writes the
 * archive; at a million opportunities that was most of a bundle's time.
 * Here the tar stream is cut into blocks, each deflated on a worker
 * thread with the last 32 KiB of the block before it as its dictionary
 * and ended by a sync flush, the last one by the final block (what pigz
 * does): the blocks join into one ordinary gzip member, about as small
 * as a single thread makes it, and the bytes do not depend on the
 * number of threads or their timing.  Blocks are written in order as
 * they are done; at most BGZ_JOBS are in memory.
 */
#include "bundle_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BGZ_BLOCK (1u << 20)
#define BGZ_WINDOW 32768u
#define BGZ_MAX_WORKERS 4
#define BGZ_JOBS (2 * BGZ_MAX_WORKERS + 2)

enum bgz_state { BGZ_FREE, BGZ_FILLING, BGZ_QUEUED, BGZ_BUSY, BGZ_DONE };

struct bgz_job {
	enum bgz_state state;
	unsigned long long seq;
	unsigned char *in;
	size_t in_len;
	const unsigned char *dict;  /* the previous block's tail, or NULL */
	size_t dict_len;
	unsigned char dict_copy[BGZ_WINDOW];
	unsigned char *out;
	size_t out_len, out_cap;
	unsigned long crc;
	int last;
	int failed;             /* zlib refused: out of memory */
};

struct bundle_gzip {
	int fd;
	int level;
	struct bgz_job jobs[BGZ_JOBS];
	unsigned long long next_seq;  /* of the block being filled */
	unsigned long long written;   /* blocks written out */
	unsigned long crc;
	unsigned long long total_in;

	pthread_mutex_t lock;
	pthread_cond_t changed;
	pthread_t threads[BGZ_MAX_WORKERS];
	size_t thread_count;
	int closing;
	int error;              /* errno of a failed write, or -1: zlib */
};

static struct bgz_job *bgz_slot(struct bundle_gzip *g, unsigned long long seq)
{
	return &g->jobs[seq % BGZ_JOBS];
}

/* Deflates one block; zs is the worker's own stream. */
static void bgz_deflate(z_stream *zs, struct bgz_job *job)
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

static void *bgz_worker(void *arg)
{
	struct bundle_gzip *g = arg;
	struct bgz_job *job, *j;
	z_stream zs;
	size_t k;
	int ok;

	memset(&zs, 0, sizeof(zs));
	ok = deflateInit2(&zs, g->level, Z_DEFLATED, -15, 8,
			  Z_DEFAULT_STRATEGY) == Z_OK;
	pthread_mutex_lock(&g->lock);
	for (;;) {
		job = NULL;
		for (k = 0; k < BGZ_JOBS; k++) {
			j = &g->jobs[k];
			if (j->state == BGZ_QUEUED &&
			    (job == NULL || j->seq < job->seq))
				job = j;
		}
		if (job == NULL) {
			if (g->closing)
				break;
			pthread_cond_wait(&g->changed, &g->lock);
			continue;
		}
		job->state = BGZ_BUSY;
		pthread_mutex_unlock(&g->lock);
		if (ok)
			bgz_deflate(&zs, job);
		else
			job->failed = 1;
		pthread_mutex_lock(&g->lock);
		job->state = BGZ_DONE;
		pthread_cond_broadcast(&g->changed);
	}
	pthread_mutex_unlock(&g->lock);
	if (ok)
		deflateEnd(&zs);
	return NULL;
}

static int bgz_put(struct bundle_gzip *g, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(g->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g->error = errno;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes the oldest block once it is done (waiting for it); frees its
 * slot.  Called with the lock held. */
static int bgz_write_oldest(struct bundle_gzip *g)
{
	struct bgz_job *job = bgz_slot(g, g->written);
	int rc = 0;

	while (job->state != BGZ_DONE)
		pthread_cond_wait(&g->changed, &g->lock);
	pthread_mutex_unlock(&g->lock);
	if (job->failed) {
		g->error = -1;
		rc = -1;
	} else if (g->error == 0) {
		rc = bgz_put(g, job->out, job->out_len);
		g->crc = crc32_combine(g->crc, job->crc, (z_off_t)job->in_len);
		g->total_in += job->in_len;
	}
	pthread_mutex_lock(&g->lock);
	job->state = BGZ_FREE;
	g->written++;
	return rc;
}

/* The block being filled, its slot made free first. */
static struct bgz_job *bgz_filling(struct bundle_gzip *g)
{
	struct bgz_job *job = bgz_slot(g, g->next_seq);

	if (job->state == BGZ_FILLING)
		return job;
	pthread_mutex_lock(&g->lock);
	while (job->state != BGZ_FREE && g->error == 0)
		if (bgz_write_oldest(g) != 0)
			break;
	pthread_mutex_unlock(&g->lock);
	if (g->error != 0)
		return NULL;
	job->state = BGZ_FILLING;
	job->seq = g->next_seq;
	job->in_len = 0;
	job->last = 0;
	return job;
}

/* Hands the filled block to the workers. */
static void bgz_submit(struct bundle_gzip *g, struct bgz_job *job, int last)
{
	struct bgz_job *prev = g->next_seq > 0 ?
		bgz_slot(g, g->next_seq - 1) : NULL;
	size_t keep;

	job->last = last;
	job->dict = NULL;
	job->dict_len = 0;
	if (prev != NULL) {
		/* The previous block's input may be overwritten before this
		 * one is deflated: its tail is copied. */
		keep = prev->in_len < BGZ_WINDOW ? prev->in_len : BGZ_WINDOW;
		memcpy(job->dict_copy, prev->in + prev->in_len - keep, keep);
		job->dict = job->dict_copy;
		job->dict_len = keep;
	}
	g->next_seq++;
	pthread_mutex_lock(&g->lock);
	job->state = BGZ_QUEUED;
	pthread_cond_broadcast(&g->changed);
	pthread_mutex_unlock(&g->lock);
}

int bundle_gzip_write(struct bundle_gzip *g, const void *data, size_t size)
{
	const unsigned char *p = data;
	struct bgz_job *job;
	size_t n;

	while (size > 0) {
		job = bgz_filling(g);
		if (job == NULL)
			return -1;
		n = BGZ_BLOCK - job->in_len;
		if (n > size)
			n = size;
		memcpy(job->in + job->in_len, p, n);
		job->in_len += n;
		p += n;
		size -= n;
		if (job->in_len == BGZ_BLOCK)
			bgz_submit(g, job, 0);
	}
	return 0;
}

static int bgz_trailer(struct bundle_gzip *g)
{
	unsigned char t[8];
	unsigned long crc = g->crc;
	unsigned long long isize = g->total_in;
	int i;

	for (i = 0; i < 4; i++) {
		t[i] = (unsigned char)(crc >> (8 * i));
		t[4 + i] = (unsigned char)(isize >> (8 * i));
	}
	return bgz_put(g, t, sizeof(t));
}

int bundle_gzip_finish(struct bundle_gzip *g)
{
	struct bgz_job *job = bgz_filling(g);
	int rc = 0;

	if (job == NULL)
		return -1;
	bgz_submit(g, job, 1);
	pthread_mutex_lock(&g->lock);
	while (g->written < g->next_seq && rc == 0)
		rc = bgz_write_oldest(g);
	pthread_mutex_unlock(&g->lock);
	if (rc == 0 && g->error == 0)
		rc = bgz_trailer(g);
	return rc == 0 && g->error == 0 ? 0 : -1;
}

const char *bundle_gzip_error(const struct bundle_gzip *g)
{
	if (g->error > 0)
		return strerror(g->error);
	return g->error < 0 ? "zlib could not compress (out of memory?)" :
			      "no error";
}

static size_t bgz_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > BGZ_MAX_WORKERS ? BGZ_MAX_WORKERS : (size_t)n;
}

static void bgz_stop(struct bundle_gzip *g)
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

void bundle_gzip_free(struct bundle_gzip *g)
{
	size_t k;

	if (g == NULL)
		return;
	bgz_stop(g);
	for (k = 0; k < BGZ_JOBS; k++) {
		free(g->jobs[k].in);
		free(g->jobs[k].out);
	}
	pthread_cond_destroy(&g->changed);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

int bundle_gzip_new(struct bundle_gzip **out, int fd, struct sg_error *err)
{
	/* 10 bytes: no name, no time stamp, "Unix". */
	static const unsigned char header[10] = {
		0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3
	};
	struct bundle_gzip *g = calloc(1, sizeof(*g));
	size_t k, workers = bgz_workers();

	*out = NULL;
	if (g == NULL)
		return bundle_nomem(err);
	g->fd = fd;
	g->level = Z_DEFAULT_COMPRESSION;
	g->crc = crc32(0L, Z_NULL, 0);
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->changed, NULL);
	for (k = 0; k < BGZ_JOBS; k++) {
		/* deflateBound() of a block, plus the sync flush's marker. */
		g->jobs[k].out_cap = BGZ_BLOCK + BGZ_BLOCK / 1000 + 1024;
		g->jobs[k].in = malloc(BGZ_BLOCK);
		g->jobs[k].out = malloc(g->jobs[k].out_cap);
		if (g->jobs[k].in == NULL || g->jobs[k].out == NULL) {
			bundle_gzip_free(g);
			return bundle_nomem(err);
		}
	}
	while (g->thread_count < workers &&
	       pthread_create(&g->threads[g->thread_count], NULL, bgz_worker,
			      g) == 0)
		g->thread_count++;
	if (g->thread_count == 0) {
		bundle_gzip_free(g);
		return sg_error_set(err, SG_ERR_SINK, "cannot start a thread "
				    "to compress the bundle");
	}
	if (bgz_put(g, header, sizeof(header)) != 0) {
		int e = g->error;

		bundle_gzip_free(g);
		return sg_error_set(err, SG_ERR_IO, "cannot write the "
				    "bundle: %s", strerror(e));
	}
	*out = g;
	return SG_OK;
}
