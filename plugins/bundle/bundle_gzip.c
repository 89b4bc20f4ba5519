/*
 * bundle_gzip.c - gzip on several threads, for .tar.gz bundles
 * (bundle_int.h).
 *
 * libarchive's gzip filter compresses on the thread that writes the
 * archive; at a million opportunities that was most of a bundle's time.
 * Here the tar stream is compressed on worker threads (core/util/
 * sg_deflate.c) by libdeflate, a gzip member for each 1 MiB of it: the
 * members follow one another in one ordinary .gz file whose bytes do not
 * depend on the thread count.
 */
#include "bundle_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_deflate.h"
#include "util/sg_path.h"

/* libdeflate's fastest: on a million opportunities' bundle (2.1 GB of
 * tar) 3 times as fast as zlib's level 4, which it replaced, for an
 * archive 5% larger (docs/benchmarks.md). */
#define BUNDLE_GZIP_LEVEL 1

struct bundle_gzip {
	int fd;
	struct sg_deflate *deflate;
	uint64_t unsynced;      /* written since its write-out was started */
};

/* Writes all of data to the file: 0, or the errno that stopped it. */
static int bgz_put(void *arg, const void *data, size_t len)
{
	struct bundle_gzip *g = arg;
	int e = sg_write_all(g->fd, data, len);

	if (e == 0)
		sg_write_behind(g->fd, &g->unsynced, len);
	return e;
}

int bundle_gzip_write(struct bundle_gzip *g, const void *data, size_t size)
{
	return sg_deflate_write(g->deflate, data, size);
}

/* Copies len bytes of in from its offset at to the output with the
 * system's copy_file_range(); 0, or the errno that stopped it (ENODATA:
 * in ended first).  *done counts what was copied. */
static int bgz_copy_range(struct bundle_gzip *g, int in, uint64_t at,
			  uint64_t len, uint64_t *done)
{
	off_t off = (off_t)at;
	ssize_t n;

	while (*done < len) {
		n = copy_file_range(in, &off, g->fd, NULL,
				    (size_t)(len - *done), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return ENODATA;
		*done += (uint64_t)n;
		sg_write_behind(g->fd, &g->unsynced, (uint64_t)n);
	}
	return 0;
}

/* The same by read() and write(), where copy_file_range() cannot go
 * (other file systems, old kernels). */
static int bgz_copy_rw(struct bundle_gzip *g, int in, uint64_t at,
		       uint64_t len, unsigned char *buf, size_t size)
{
	ssize_t n;
	int e;

	while (len > 0) {
		n = pread(in, buf, len < size ? (size_t)len : size, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return ENODATA;
		e = bgz_put(g, buf, (size_t)n);
		if (e != 0)
			return e;
		at += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

int bundle_gzip_copy(struct bundle_gzip *g, int in, uint64_t len,
		     unsigned char *buf, size_t size)
{
	uint64_t done = 0;
	int e;

	if (sg_deflate_flush(g->deflate) != 0)
		return -1;
	e = bgz_copy_range(g, in, 0, len, &done);
	if (e == EXDEV || e == ENOSYS || e == EINVAL || e == EOPNOTSUPP ||
	    e == EBADF || e == EPERM)
		e = bgz_copy_rw(g, in, done, len - done, buf, size);
	return e;
}

int bundle_gzip_finish(struct bundle_gzip *g)
{
	return sg_deflate_finish(g->deflate);
}

const char *bundle_gzip_error(const struct bundle_gzip *g)
{
	return sg_deflate_error(g->deflate);
}

void bundle_gzip_free(struct bundle_gzip *g)
{
	if (g == NULL)
		return;
	sg_deflate_free(g->deflate);
	free(g);
}

int bundle_gzip_new(struct bundle_gzip **out, int fd, struct sg_error *err)
{
	struct bundle_gzip *g = calloc(1, sizeof(*g));
	int rc;

	*out = NULL;
	if (g == NULL)
		return bundle_nomem(err);
	g->fd = fd;
	rc = sg_deflate_new_gzip_members(&g->deflate, BUNDLE_GZIP_LEVEL, 0,
					 bgz_put, g, err);
	if (rc != SG_OK) {
		free(g);
		return rc == SG_ERR_NOMEM ? rc :
			sg_error_set(err, SG_ERR_SINK, "cannot start a "
				     "thread to compress the bundle");
	}
	*out = g;
	return SG_OK;
}
