/*
 * sg_http.h - the HTTP client the host offers plugins (host->http), over
 * libcurl: connections kept alive across requests and threads (HTTP/2
 * where libcurl has it), gzip, a User-Agent, the proxy and CA environment;
 * a plugin's verdict on each answer (retry, refresh credentials, final);
 * Retry-After in seconds or as an HTTP date, capped exponential backoff
 * with full jitter, one deadline per exchange; waits that end at once on
 * cancellation; pacing shared by a plugin's threads; bounded or streamed
 * bodies; a -vv trace and per-endpoint counts for -v.  Every text it
 * writes passes through the secrets registry (sg_secrets.h).
 */
#ifndef SG_HTTP_H
#define SG_HTTP_H

#include <stdio.h>

#include "sg_plugin.h"

/* Largest response body taken by default (a bound against runaway
 * servers); a request can lower or raise it with max_body. */
#define SG_HTTP_BODY_MAX (256u * 1024u * 1024u)
/* The longest wait between attempts and the deadline by default. */
#define SG_HTTP_BACKOFF_CAP_MS 60000L
#define SG_HTTP_DEADLINE_MS 300000L

struct sg_http_client;

/* What a client needs from whoever runs the plugin. */
struct sg_http_setup {
	const char *name;       /* the plugin: trace lines and messages */
	int verbose;            /* SG_LOG_DEBUG: a trace line per request */
	int (*cancelled)(void *ctx); /* polled in every wait and transfer */
	void *ctx;
};

/*
 * A client for one plugin's run.  No connection is made until the first
 * request.  setup is copied (name must outlive the client).
 */
int sg_http_client_new(struct sg_http_client **out,
		       const struct sg_http_setup *setup,
		       struct sg_error *err);

/* Closes the kept connections.  Accepts NULL. */
void sg_http_client_free(struct sg_http_client *client);

/*
 * Sets the pace called name (NULL: the one every request takes): at most
 * requests sends in any interval_ms.  requests 0 removes it.
 * SG_ERR_PLUGIN for a nonsense pace (interval_ms < 1, requests over
 * 100,000).
 */
int sg_http_client_pace(struct sg_http_client *client, const char *name,
			unsigned requests, long interval_ms,
			struct sg_error *err);

/*
 * Performs req (the fields up to req->size; see struct sg_http_request).
 * On SG_OK, resp holds the accepted answer: free it with
 * sg_http_response_free().  Failures are SG_ERR_HTTP with the method,
 * the URL, the status (also in err->http_status) and the reason in
 * words; SG_ERR_CANCELLED; an on_body or refresh error as it was given;
 * SG_ERR_PLUGIN for a malformed request.  Safe from several threads.
 */
int sg_http_perform(struct sg_http_client *client,
		    const struct sg_http_request *req,
		    struct sg_http_response *resp, struct sg_error *err);

/* Accepts NULL and a response never filled (zeroed). */
void sg_http_response_free(struct sg_http_response *resp);

/* The first header called name, any case, or NULL (borrowed). */
const char *sg_http_header(const struct sg_http_response *resp,
			   const char *name);

/*
 * Milliseconds to wait from a Retry-After value (seconds, or an HTTP date
 * compared with now, epoch seconds), or -1 when it is neither.  A date in
 * the past is 0.
 */
long sg_http_retry_after_ms(const char *value, long long now);

/*
 * Writes one line per endpoint (method, host and path with ids folded):
 * requests, retries, refreshes, time waited and bytes in and out.
 * Nothing when no request was made.
 */
void sg_http_client_summary(struct sg_http_client *client, FILE *out);

#endif
