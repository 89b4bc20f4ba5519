/*
 * bundle_gzip.c - gzip on several threads, for .tar.gz bundles
 * (bundle_int.h).
 *
 * libarchive's gzip filter compresses on the thread that writes the
 * archive; at a million opportunities that was most of a bundle's time.
 * Here the tar stream is deflated on worker threads (core/util/
 * sg_deflate.c, pigz's method) between a gzip header and trailer: one
 * ordinary gzip member whose bytes do not depend on the thread count.
 */
#include "bundle_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sg_deflate.h"

/* Below zlib's default (6): on a bundle's CSV inputs level 4 deflates
 * 1.9 times as fast for an archive 7% larger (docs/benchmarks.md). */
#define BUNDLE_GZIP_LEVEL 4

struct bundle_gzip {
	int fd;
	int error;              /* errno of a failed header or trailer */
	struct sg_deflate *deflate;
};

/* Writes all of data to fd: 0, or the errno that stopped it. */
static int bgz_put_fd(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int bgz_put(void *arg, const void *data, size_t len)
{
	const struct bundle_gzip *g = arg;

	return bgz_put_fd(g->fd, data, len);
}

int bundle_gzip_write(struct bundle_gzip *g, const void *data, size_t size)
{
	return sg_deflate_write(g->deflate, data, size);
}

/* The CRC-32 and the input's length modulo 2^32, little-endian. */
static int bgz_trailer(struct bundle_gzip *g)
{
	unsigned char t[8];
	unsigned long crc = sg_deflate_crc(g->deflate);
	unsigned long long isize = sg_deflate_total_in(g->deflate);
	int i;

	for (i = 0; i < 4; i++) {
		t[i] = (unsigned char)(crc >> (8 * i));
		t[4 + i] = (unsigned char)(isize >> (8 * i));
	}
	g->error = bgz_put_fd(g->fd, t, sizeof(t));
	return g->error == 0 ? 0 : -1;
}

int bundle_gzip_finish(struct bundle_gzip *g)
{
	if (sg_deflate_finish(g->deflate) != 0)
		return -1;
	return bgz_trailer(g);
}

const char *bundle_gzip_error(const struct bundle_gzip *g)
{
	if (g->error != 0)
		return strerror(g->error);
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
	/* 10 bytes: no name, no time stamp, "Unix". */
	static const unsigned char header[10] = {
		0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3
	};
	struct bundle_gzip *g = calloc(1, sizeof(*g));
	int rc, e;

	*out = NULL;
	if (g == NULL)
		return bundle_nomem(err);
	g->fd = fd;
	rc = sg_deflate_new(&g->deflate, BUNDLE_GZIP_LEVEL, 0, bgz_put, g,
			    err);
	if (rc != SG_OK) {
		free(g);
		return rc == SG_ERR_NOMEM ? rc :
			sg_error_set(err, SG_ERR_SINK, "cannot start a "
				     "thread to compress the bundle");
	}
	e = bgz_put_fd(fd, header, sizeof(header));
	if (e != 0) {
		bundle_gzip_free(g);
		return sg_error_set(err, SG_ERR_IO, "cannot write the "
				    "bundle: %s", strerror(e));
	}
	*out = g;
	return SG_OK;
}
