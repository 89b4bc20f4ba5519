/*
 * sg_secrets.h - the values no output may show: secret options, and what
 * plugins learn at run time (an access token), registered once and
 * redacted everywhere a text leaves the process (log lines, error
 * messages, the HTTP trace, the records a source emits and so the ledger,
 * reports and bundles made from them).
 *
 * One registry per process, safe to use from any thread.  Registering is
 * rare (a handful of values per run); redacting with nothing registered
 * costs one atomic load.
 */
#ifndef SG_SECRETS_H
#define SG_SECRETS_H

#include <stddef.h>

#include "util/sg_error.h"

/* Shorter values are refused: redacting "ab" would mangle every text. */
#define SG_SECRET_MIN 4
#define SG_SECRET_MAX 65536
/* What a secret is replaced with. */
#define SG_SECRET_MARK "<redacted>"

/*
 * Registers value (copied) and its percent-encoded form, so a token put
 * into a query string is caught too.  Registering a value twice is a
 * no-op.  SG_ERR_PLUGIN when value is NULL, shorter than SG_SECRET_MIN or
 * longer than SG_SECRET_MAX bytes; SG_ERR_NOMEM.
 */
int sg_secrets_add(const char *value, struct sg_error *err);

/* How many values are registered (0: redaction is a copy). */
size_t sg_secrets_count(void);

/*
 * Nonzero when text[0..len) holds a registered value.
 */
int sg_secrets_found(const char *text, size_t len);

/*
 * Copies text into out (size bytes, NUL-terminated when size > 0) with
 * each registered value replaced by SG_SECRET_MARK, the longest first
 * where two start at the same byte.  A text cut by size is cut after the
 * redaction, never through a secret.  Returns out.
 */
char *sg_secrets_redact(const char *text, char *out, size_t size);

/* The same over a buffer in place (buf holds size bytes). */
void sg_secrets_redact_in_place(char *buf, size_t size);

/*
 * Redacts err's message and path in place.  err may be NULL.
 */
void sg_secrets_redact_error(struct sg_error *err);

/* Forgets every value (tests; a new run in the same process). */
void sg_secrets_clear(void);

#endif
