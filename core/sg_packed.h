/*
 * sg_packed.h - a file written packed for an archiving sink: its bytes
 * as a series of gzip members (RFC 1952, 2.2), one for each
 * SG_PACKED_BLOCK bytes, compressed by the thread that writes them, with
 * their count and SHA-256 kept as they pass.
 *
 * Why: a bundle's evidence is most of its bytes (2.1 GB at a million
 * opportunities).  Written plain, it crossed the disk twice (written
 * here, read back by the sink) and was compressed by the sink after; a
 * sink that says SG_SINK_FILES_PACKED (sg_plugin.h) copies these members
 * into a .tar.gz as they are, so only the compressed bytes cross the
 * disk and the compression is done beside the rest of the evidence.
 *
 * A file that ends within its first block is written plain (packed 0):
 * small files stay in the archive's own stream, as before.  The same
 * bytes written give the same file: blocks are cut at fixed offsets and
 * compressed by libdeflate at a fixed level.
 */
#ifndef SG_PACKED_H
#define SG_PACKED_H

#include <stdint.h>
#include <stdio.h>

#include "sg_error.h"

/* Bytes per gzip member (the bundle's own block, so a packed file
 * compresses as well as it did in the archive's stream). */
#define SG_PACKED_BLOCK (1u << 20)

struct sg_packed;

/* What a closed file holds. */
struct sg_packed_result {
	int packed;             /* 1: gzip members; 0: the bytes plain */
	uint64_t size;          /* the bytes written (before packing) */
	uint64_t packed_size;   /* the file's bytes */
	char sha256[65];        /* of those bytes, lowercase hex */
};

/*
 * Creates path (truncated) and a stdio stream *fp writing into it.  The
 * stream is the caller's to write (putc, fwrite, setvbuf, ...) from one
 * thread, and is closed by sg_packed_close() only.  Returns SG_OK, or
 * SG_ERR_IO naming path / SG_ERR_NOMEM.
 */
int sg_packed_open(struct sg_packed **out, FILE **fp, const char *path,
		   struct sg_error *err);

/*
 * Closes the stream, writes the rest and frees p (p may be NULL: SG_OK).
 * On SG_OK *res says what the file holds; a write that failed on the
 * way (a full disk) is reported here, naming the file.
 */
int sg_packed_close(struct sg_packed *p, struct sg_packed_result *res,
		    struct sg_error *err);

#endif
