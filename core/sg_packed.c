/*
 * sg_packed.c - a file written packed for an archiving sink (sg_packed.h).
 *
 * The stream is a stdio cookie stream (fopencookie): the caller's writes
 * arrive here in stdio's buffer-sized pieces, are gathered into a block
 * and each full block is hashed, compressed into one gzip member and
 * written.  The first block is held until a second one begins, so a file
 * shorter than a block can still be written plain.
 */
#include "sg_packed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libdeflate.h>

#include "sg_hash.h"
#include "util/sg_path.h"

/* libdeflate's fastest, the level the bundle compresses at. */
#define PACKED_LEVEL 1

struct sg_packed {
	char *path;
	int fd;
	FILE *fp;
	struct libdeflate_compressor *compressor;
	struct sg_sha256 *sha;
	unsigned char *block;   /* SG_PACKED_BLOCK bytes */
	size_t used;            /* of block */
	unsigned char *out;     /* one member */
	size_t out_cap;
	uint64_t size;          /* bytes taken */
	uint64_t file_size;     /* bytes written to the file */
	int members;            /* blocks written packed so far */
	int failed;             /* errno of the first failure, or -1 */
	struct sg_error scratch; /* the digest's complaint (out of memory) */
};

/* Writes len bytes to the file, counted; 0 or the errno. */
static int packed_write_all(struct sg_packed *f, const unsigned char *p,
			    size_t len)
{
	f->file_size += len;
	return sg_write_all(f->fd, p, len);
}

/* Hashes, compresses and writes one block as a gzip member. */
static int packed_member(struct sg_packed *p, const unsigned char *data,
			 size_t len)
{
	size_t n;

	if (sg_sha256_update(p->sha, data, len, &p->scratch) != SG_OK)
		return -1;
	n = libdeflate_gzip_compress(p->compressor, data, len, p->out,
				     p->out_cap);
	if (n == 0)
		return -1;
	p->members++;
	return packed_write_all(p, p->out, n);
}

/* The held first block, once a second one begins. */
static int packed_flush_held(struct sg_packed *p)
{
	int rc = packed_member(p, p->block, p->used);

	p->used = 0;
	return rc;
}

/* The cookie's write: returns len, or 0 once anything failed. */
static ssize_t packed_cookie_write(void *cookie, const char *buf, size_t len)
{
	struct sg_packed *p = cookie;
	const unsigned char *in = (const unsigned char *)buf;
	size_t left = len, take;
	int rc = 0;

	while (rc == 0 && p->failed == 0 && left > 0) {
		if (p->used == SG_PACKED_BLOCK) {
			rc = packed_flush_held(p);
			continue;
		}
		/* Whole blocks straight from the caller's buffer once the
		 * first is written: no copy. */
		if (p->used == 0 && p->members > 0 &&
		    left >= SG_PACKED_BLOCK) {
			rc = packed_member(p, in, SG_PACKED_BLOCK);
			in += SG_PACKED_BLOCK;
			left -= SG_PACKED_BLOCK;
			continue;
		}
		take = SG_PACKED_BLOCK - p->used;
		if (take > left)
			take = left;
		memcpy(p->block + p->used, in, take);
		p->used += take;
		in += take;
		left -= take;
	}
	if (rc != 0 && p->failed == 0)
		p->failed = rc;
	if (p->failed != 0) {
		errno = p->failed > 0 ? p->failed : ENOMEM;
		return 0;
	}
	p->size += len;
	return (ssize_t)len;
}

static void packed_free(struct sg_packed *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	libdeflate_free_compressor(p->compressor);
	sg_sha256_free(p->sha);
	free(p->block);
	free(p->out);
	free(p->path);
	free(p);
}

int sg_packed_open(struct sg_packed **out, FILE **fp, const char *path,
		   struct sg_error *err)
{
	cookie_io_functions_t io = { .write = packed_cookie_write };
	struct sg_packed *p = calloc(1, sizeof(*p));

	*out = NULL;
	*fp = NULL;
	if (p == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	p->fd = -1;
	p->path = strdup(path);
	p->compressor = libdeflate_alloc_compressor(PACKED_LEVEL);
	p->block = malloc(SG_PACKED_BLOCK);
	if (p->compressor != NULL)
		p->out_cap = libdeflate_gzip_compress_bound(p->compressor,
							    SG_PACKED_BLOCK);
	p->out = p->out_cap > 0 ? malloc(p->out_cap) : NULL;
	if (p->path == NULL || p->block == NULL || p->out == NULL ||
	    sg_sha256_new(&p->sha, err) != SG_OK) {
		packed_free(p);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	p->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (p->fd < 0) {
		int e = errno;

		packed_free(p);
		return sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				       "cannot write: %s", strerror(e));
	}
	p->fp = fopencookie(p, "w", io);
	if (p->fp == NULL) {
		packed_free(p);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	*out = p;
	*fp = p->fp;
	return SG_OK;
}

/* After the stream is closed: the last block, packed or plain. */
static int packed_finish(struct sg_packed *p, struct sg_packed_result *res)
{
	char hex[65];
	int rc = 0;

	if (p->members == 0) {
		rc = packed_write_all(p, p->block, p->used);
		if (rc == 0 && sg_sha256_update(p->sha, p->block, p->used,
						&p->scratch) != SG_OK)
			rc = -1;
	} else if (p->used > 0) {
		rc = packed_member(p, p->block, p->used);
	}
	if (rc == 0 && sg_sha256_final_hex(p->sha, hex, &p->scratch) != SG_OK)
		rc = -1;
	if (rc == 0 && close(p->fd) != 0)
		rc = errno;
	p->fd = -1;
	if (rc != 0)
		return rc;
	res->packed = p->members > 0;
	res->size = p->size;
	res->packed_size = p->file_size;
	memcpy(res->sha256, hex, sizeof(hex));
	return 0;
}

int sg_packed_close(struct sg_packed *p, struct sg_packed_result *res,
		    struct sg_error *err)
{
	int rc;

	memset(res, 0, sizeof(*res));
	if (p == NULL)
		return SG_OK;
	/* fclose() flushes stdio's buffer through the cookie first. */
	errno = 0;
	if (fclose(p->fp) != 0 && p->failed == 0)
		p->failed = errno != 0 ? errno : EIO;
	p->fp = NULL;
	rc = p->failed != 0 ? p->failed : packed_finish(p, res);
	if (rc == 0) {
		packed_free(p);
		return SG_OK;
	}
	if (rc > 0)
		sg_error_set_at(err, SG_ERR_IO, p->path, 0, 0,
				"cannot write: %s", strerror(rc));
	else
		sg_error_set(err, SG_ERR_NOMEM, "%s: out of memory while "
			     "compressing", p->path);
	packed_free(p);
	memset(res, 0, sizeof(*res));
	return err->code;
}
