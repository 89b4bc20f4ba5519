/*
 * sg_http.h - the host's HTTP helper, offered to plugins through
 * struct sg_host: one place for timeouts, bounded bodies, retries with
 * backoff (honouring Retry-After) and redaction of secrets.
 */
#ifndef SG_HTTP_H
#define SG_HTTP_H

#include "sg_plugin.h"

/* Largest response body accepted (a bound against runaway servers). */
#define SG_HTTP_BODY_MAX (256u * 1024u * 1024u)

/*
 * Performs req.  Retries up to req->max_retries times on a connection
 * error, 429 or 5xx, waiting Retry-After seconds when given (at most 120)
 * or an exponential backoff from 1 s.  On SG_OK, resp holds the final
 * answer whatever its status; free it with sg_http_response_free().
 * Failures are SG_ERR_HTTP with the method, the URL (secrets redacted) and
 * the reason.  cancelled (may be NULL) is polled between attempts.
 */
int sg_http_perform(const struct sg_http_request *req,
		    struct sg_http_response *resp,
		    int (*cancelled)(void *), void *ctx,
		    struct sg_error *err);

/* Accepts NULL. */
void sg_http_response_free(struct sg_http_response *resp);

/*
 * Copies text into out with every occurrence of each secret replaced by
 * "<redacted>".  Returns out.
 */
char *sg_redact(const char *text, const char *const *secrets, size_t count,
		char *out, size_t size);

#endif
