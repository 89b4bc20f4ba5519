/*
 * sg_http.c - the host's HTTP helper over libcurl (see sg_http.h).
 */
#include "sg_http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct http_buffer {
	char *data;
	size_t len, cap;
	int overflow;
};

static size_t http_collect(char *ptr, size_t size, size_t n, void *user)
{
	struct http_buffer *b = user;
	size_t add = size * n;

	if (b->len + add + 1 > SG_HTTP_BODY_MAX) {
		b->overflow = 1;
		return 0;       /* makes curl fail the transfer */
	}
	if (b->len + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		char *grown;

		while (cap < b->len + add + 1)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (grown == NULL)
			return 0;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

char *sg_redact(const char *text, const char *const *secrets, size_t count,
		char *out, size_t size)
{
	size_t used = 0, i;

	while (*text != '\0' && used + 1 < size) {
		size_t matched = 0;

		for (i = 0; i < count && matched == 0; i++) {
			size_t len = secrets[i] ? strlen(secrets[i]) : 0;

			if (len > 0 && strncmp(text, secrets[i], len) == 0)
				matched = len;
		}
		if (matched > 0) {
			const char *mark = "<redacted>";

			while (*mark != '\0' && used + 1 < size)
				out[used++] = *mark++;
			text += matched;
		} else {
			out[used++] = *text++;
		}
	}
	out[used] = '\0';
	return out;
}

/* Retry-After in seconds from a raw header block, or -1. */
static long retry_after(const char *headers)
{
	const char *p = headers;

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, "Retry-After:", 12) == 0) {
			long seconds = strtol(p + 12, NULL, 10);

			return seconds >= 0 ? seconds : -1;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

static void sleep_seconds(long seconds)
{
	struct timespec ts = { seconds, 0 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static int http_once(CURL *curl, const struct sg_http_request *req,
		     struct sg_http_response *resp, char *curl_error)
{
	struct http_buffer body = { 0 }, headers = { 0 };
	struct curl_slist *list = NULL;
	CURLcode rc;
	size_t i;

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
			 req->timeout_ms > 0 ? req->timeout_ms : 60000L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, http_collect);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	for (i = 0; i < req->header_count; i++) {
		char line[8192];
		struct curl_slist *grown;

		snprintf(line, sizeof(line), "%s: %s", req->headers[i].name,
			 req->headers[i].value);
		grown = curl_slist_append(list, line);
		if (grown == NULL)
			break;
		list = grown;
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
	if (req->body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)req->body_len);
	}
	curl_error[0] = '\0';
	rc = curl_easy_perform(curl);
	curl_slist_free_all(list);
	if (rc != CURLE_OK) {
		if (body.overflow)
			snprintf(curl_error, CURL_ERROR_SIZE,
				 "the response is larger than %u bytes",
				 SG_HTTP_BODY_MAX);
		else if (curl_error[0] == '\0')
			snprintf(curl_error, CURL_ERROR_SIZE, "%s",
				 curl_easy_strerror(rc));
		free(body.data);
		free(headers.data);
		return -1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->body = body.data ? body.data : calloc(1, 1);
	resp->body_len = body.len;
	resp->headers = headers.data ? headers.data : calloc(1, 1);
	return 0;
}

int sg_http_perform(const struct sg_http_request *req,
		    struct sg_http_response *resp,
		    int (*cancelled)(void *), void *ctx,
		    struct sg_error *err)
{
	char curl_error[CURL_ERROR_SIZE];
	char url[1024];
	CURL *curl;
	int attempt;
	long backoff = 1;

	memset(resp, 0, sizeof(*resp));
	sg_redact(req->url, req->secrets, req->secret_count, url, sizeof(url));
	curl = curl_easy_init();
	if (curl == NULL)
		return sg_error_set(err, SG_ERR_HTTP,
				    "%s %s: cannot start libcurl",
				    req->method, url);
	for (attempt = 0;; attempt++) {
		long wait;

		if (cancelled != NULL && cancelled(ctx)) {
			curl_easy_cleanup(curl);
			return sg_error_set(err, SG_ERR_CANCELLED,
					    "%s %s: cancelled", req->method,
					    url);
		}
		if (http_once(curl, req, resp, curl_error) != 0) {
			if (attempt >= req->max_retries) {
				char clean[CURL_ERROR_SIZE];

				curl_easy_cleanup(curl);
				sg_redact(curl_error, req->secrets,
					  req->secret_count, clean,
					  sizeof(clean));
				return sg_error_set(err, SG_ERR_HTTP,
						    "%s %s: %s (after %d "
						    "attempts)", req->method,
						    url, clean, attempt + 1);
			}
			wait = backoff;
		} else if ((resp->status == 429 || resp->status >= 500) &&
			   attempt < req->max_retries) {
			wait = retry_after(resp->headers);
			if (wait < 0)
				wait = backoff;
			if (wait > 120)
				wait = 120;
			sg_http_response_free(resp);
		} else {
			break;
		}
		sleep_seconds(wait);
		backoff = backoff < 32 ? backoff * 2 : 60;
	}
	curl_easy_cleanup(curl);
	return SG_OK;
}

void sg_http_response_free(struct sg_http_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	free(resp->headers);
	resp->body = NULL;
	resp->headers = NULL;
	resp->body_len = 0;
}
