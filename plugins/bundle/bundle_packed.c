/*
 * bundle_packed.c - a packed file (struct sg_sink_file.packed) read back
 * unpacked, for the archives that cannot take its gzip members as they
 * are (.tar.zst, .zip) and hash what they archive.
 *
 * The members are inflated one after another by zlib, which reads a
 * gzip member at a time and is reset at the end of each.
 */
#include "bundle_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct bundle_unpack {
	const struct bundle_entry *entry;  /* the file being read */
	z_stream zs;
	uint64_t in_at;         /* packed bytes read */
	uint64_t out_at;        /* bytes given */
	unsigned char in[BUNDLE_BLOCK];
};

void bundle_packed_end(struct bundle_reader *r)
{
	struct bundle_unpack *u = r->unpack;

	if (u == NULL)
		return;
	inflateEnd(&u->zs);
	free(u);
	r->unpack = NULL;
}

static int bundle_packed_damaged(const struct bundle_entry *e,
				 struct sg_error *err)
{
	return sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0,
			       "cannot read %s for the bundle: its packed "
			       "bytes are not whole gzip members; write the "
			       "bundle again", e->name);
}

/* The unpacking state for e, started at e's first byte. */
static struct bundle_unpack *bundle_packed_begin(struct bundle_reader *r,
						 const struct bundle_entry *e,
						 struct sg_error *err)
{
	struct bundle_unpack *u = r->unpack;

	if (u != NULL && u->entry == e)
		return u;
	bundle_packed_end(r);
	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		bundle_nomem(err);
		return NULL;
	}
	/* 16 + window bits: a gzip header and trailer around each. */
	if (inflateInit2(&u->zs, 16 + MAX_WBITS) != Z_OK) {
		free(u);
		bundle_nomem(err);
		return NULL;
	}
	u->entry = e;
	r->unpack = u;
	return u;
}

/* More packed bytes into u->in: 1, 0 at the end of the file as sized,
 * -1 with err set. */
static int bundle_packed_fill(struct bundle_reader *r,
			      struct bundle_unpack *u,
			      const struct bundle_entry *e,
			      struct sg_error *err)
{
	uint64_t left = e->packed_size - u->in_at;
	ssize_t n;

	if (left == 0)
		return 0;
	do
		n = pread(r->fd, u->in, left < BUNDLE_BLOCK ? (size_t)left :
			  BUNDLE_BLOCK, (off_t)u->in_at);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0, "cannot read "
				"%s for the bundle: %s", e->name,
				n < 0 ? strerror(errno) :
				"the file is shorter than it was");
		return -1;
	}
	u->in_at += (uint64_t)n;
	u->zs.next_in = u->in;
	u->zs.avail_in = (uInt)n;
	return 1;
}

long bundle_packed_read(struct bundle_reader *r, const struct bundle_entry *e,
			uint64_t at, unsigned char *buf, size_t want,
			struct sg_error *err)
{
	struct bundle_unpack *u;
	int z, more;

	if (bundle_reader_open(r, e, err) != SG_OK)
		return -1;
	u = bundle_packed_begin(r, e, err);
	if (u == NULL)
		return -1;
	if (at != u->out_at) {
		sg_error_set(err, SG_ERR_INTERNAL, "%s: a packed file is "
			     "read in order", e->name);
		return -1;
	}
	u->zs.next_out = buf;
	u->zs.avail_out = (uInt)want;
	while (u->zs.avail_out > 0) {
		if (u->zs.avail_in == 0) {
			more = bundle_packed_fill(r, u, e, err);
			if (more < 0)
				return -1;
			if (more == 0)
				break;
		}
		z = inflate(&u->zs, Z_NO_FLUSH);
		if (z == Z_STREAM_END)
			z = inflateReset(&u->zs);
		else if (z == Z_BUF_ERROR && u->zs.avail_in == 0)
			z = Z_OK;
		if (z != Z_OK) {
			bundle_packed_damaged(e, err);
			return -1;
		}
	}
	u->out_at += want - u->zs.avail_out;
	return (long)(want - u->zs.avail_out);
}
