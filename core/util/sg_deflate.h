/*
 * sg_deflate.h - deflate on worker threads, for outputs too large for one
 * core to compress in good time (a workbook's zip members; a bundle's
 * gzip file).
 *
 * A raw stream (sg_deflate_new, zlib): the input is cut into blocks of
 * SG_DEFLATE_BLOCK bytes, each deflated on a worker thread with the last
 * 32 KiB of the block before it as its dictionary and ended by a sync
 * flush, the last one by the final block (what pigz does).  The blocks
 * join into one ordinary raw deflate stream (RFC 1951), about as small as
 * one thread makes it, and its bytes do not depend on the number of
 * threads or their timing.
 *
 * Gzip members (sg_deflate_new_gzip_members, libdeflate): each block is
 * compressed alone into a whole gzip member (RFC 1952, 2.2: a gzip file
 * is a series of members, and gzip, zcat, tar, libarchive and Python
 * read every one).  No block needs another, so libdeflate, about twice
 * as fast as zlib for the same size, can compress them; the bytes do not
 * depend on the threads either.
 *
 * Both libraries give the same bytes for the same input, level and
 * version.  ISA-L, faster still, was tried and left: under load it now
 * and then gave other (valid) bytes for the same block in the same
 * process, so the same ledger would not always give the same workbook
 * and bundle (docs/benchmarks.md, 2026-12-07).
 *
 * Blocks reach put() in order as they are done; at most a few per worker
 * are in memory.
 *
 * One writer feeds a stream: sg_deflate_write() and sg_deflate_finish()
 * are called from one thread.
 */
#ifndef SG_DEFLATE_H
#define SG_DEFLATE_H

#include <stddef.h>

#include "sg_error.h"

#define SG_DEFLATE_BLOCK (1u << 20)

/* Where the compressed bytes go: returns 0, or an errno value that ends
 * the stream. */
typedef int (*sg_deflate_put_fn)(void *arg, const void *data, size_t len);

struct sg_deflate;

/*
 * Starts a stream at zlib level (-1 for zlib's default) on workers
 * threads (0: one per processor, at most 4).  Returns SG_OK, SG_ERR_NOMEM,
 * or SG_ERR_INTERNAL when no thread could start.
 */
int sg_deflate_new(struct sg_deflate **out, int level, size_t workers,
		   sg_deflate_put_fn put, void *arg, struct sg_error *err);

/* Starts a series of gzip members at libdeflate level (0-12), as above.
 * An empty input gives one empty member.  Ended by sg_deflate_finish(). */
int sg_deflate_new_gzip_members(struct sg_deflate **out, int level,
				size_t workers, sg_deflate_put_fn put,
				void *arg, struct sg_error *err);

/* Compresses size bytes; 0, or -1 (sg_deflate_error() says why). */
int sg_deflate_write(struct sg_deflate *d, const void *data, size_t size);

/* Compresses the rest and ends the stream; 0 or -1. */
int sg_deflate_finish(struct sg_deflate *d);

/*
 * Compresses the rest and ends on a byte boundary without a final block
 * (a sync flush), so that more raw deflate data may follow: a zip member
 * spliced from pieces compressed apart.  0 or -1.  A stream is ended by
 * one of the two finish calls, once.  Raw streams only.
 */
int sg_deflate_finish_open(struct sg_deflate *d);

/*
 * Gzip members only: ends the block being filled (when it holds any
 * byte) as a member of its own and writes every block out, so that
 * members made elsewhere may be put next, straight after it.  The
 * stream goes on; 0 or -1.
 */
int sg_deflate_flush(struct sg_deflate *d);

/* After sg_deflate_finish() of a raw stream: the CRC-32 and the length of
 * all the input (what a zip entry records); the CRC is 0 for gzip
 * members, which carry their own. */
unsigned long sg_deflate_crc(const struct sg_deflate *d);
unsigned long long sg_deflate_total_in(const struct sg_deflate *d);

/* Why the stream failed: put()'s errno, or the compressor's refusal. */
const char *sg_deflate_error(const struct sg_deflate *d);

/* Stops the threads and frees the stream; accepts NULL. */
void sg_deflate_free(struct sg_deflate *d);

#endif
