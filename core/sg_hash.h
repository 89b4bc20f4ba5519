/*
 * sg_hash.h - SHA-256 digests as lowercase hex, and the short stable ids
 * built from them (exception ids, DESIGN §5).  Backed by libcrypto's EVP
 * interface; no OpenSSL type appears here.
 */
#ifndef SG_HASH_H
#define SG_HASH_H

#include <stddef.h>

#include "sg_error.h"

/* Hex digits of a SHA-256 digest plus NUL. */
#define SG_SHA256_HEX_SIZE 65
/* Hex digits of a short id plus NUL. */
#define SG_ID_HEX_SIZE 17

/*
 * Writes the SHA-256 of len bytes at data (data may be NULL when len is
 * 0) as 64 lowercase hex digits and a NUL into out.  Returns SG_OK, or
 * SG_ERR_NOMEM / SG_ERR_INTERNAL when libcrypto fails, with out set to "".
 */
int sg_sha256_hex(const void *data, size_t len, char out[65]);

/* An incremental SHA-256: new, any number of updates, final, free. */
struct sg_sha256;

/*
 * Starts a digest.  Returns SG_OK and a digest the caller frees with
 * sg_sha256_free(), or SG_ERR_NOMEM / SG_ERR_INTERNAL with err filled.
 */
int sg_sha256_new(struct sg_sha256 **out, struct sg_error *err);

/*
 * Feeds len bytes at data into h.  Returns SG_OK or SG_ERR_INTERNAL (also
 * when h was already finished).
 */
int sg_sha256_update(struct sg_sha256 *h, const void *data, size_t len,
		     struct sg_error *err);

/*
 * Finishes h and writes its 64 hex digits and a NUL into out; h accepts
 * no more updates but must still be freed.  Returns SG_OK or
 * SG_ERR_INTERNAL with out set to "".
 */
int sg_sha256_final_hex(struct sg_sha256 *h, char out[65],
			struct sg_error *err);

/* Frees h; h may be NULL. */
void sg_sha256_free(struct sg_sha256 *h);

/*
 * Writes the SHA-256 of the file at path as hex into out, reading it in
 * blocks (any size).  Returns SG_OK, SG_ERR_IO naming the file and the
 * system's reason, or SG_ERR_NOMEM / SG_ERR_INTERNAL; out is "" on
 * failure.
 */
int sg_sha256_file_hex(const char *path, char out[65], struct sg_error *err);

/*
 * Writes a stable 16-hex-digit id into out: the first 16 hex digits of the
 * SHA-256 of parts[0..count) joined with the byte 0x1f (unit separator);
 * a NULL part counts as "".  The same parts give the same id on every
 * machine and run.  libcrypto fails only when memory runs out; an id that
 * cannot be computed cannot be replaced by a wrong one, so the process
 * then aborts.
 */
void sg_id_hex16(const char *const *parts, size_t count, char out[17]);

#endif
