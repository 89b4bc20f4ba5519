/*
 * salesforce_api.c - the Salesforce REST API as the plugin calls it:
 * OAuth 2 (the refresh-token flow, or client credentials) at the login
 * host, calls to the instance URL the token answer names, an expired
 * session refreshed once (INVALID_SESSION_ID), the org's daily API
 * allowance read from Sforce-Limit-Info on every answer with a reserve
 * kept for the business, and SOQL queries paged by nextRecordsUrl.
 * Retries, waits and redaction are the host's HTTP client's.
 */
#include "salesforce_int.h"
#include "sg_credentials.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_url.h"

static void salesforce_set_bearer(struct salesforce_state *s,
				  const char *token)
{
	snprintf(s->bearer, sizeof(s->bearer), "Bearer %s", token);
	s->auth.name = "Authorization";
	s->auth.value = s->bearer;
}

/* The token answer: the access token (a secret from now on) and the
 * instance URL the API is called at. */
static int salesforce_take_token(struct salesforce_state *s,
				 const struct sg_http_response *resp,
				 struct sg_error *err)
{
	json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *token = json_string_value(json_object_get(
		doc, "access_token"));
	const char *instance = json_string_value(json_object_get(
		doc, "instance_url"));
	const char *why = json_string_value(json_object_get(
		doc, "error_description"));
	int rc;

	if (resp->status != 200 || token == NULL || instance == NULL ||
	    (strncmp(instance, "https://", 8) != 0 &&
	     strncmp(instance, "http://", 7) != 0)) {
		rc = sg_error_set(err, SG_ERR_HTTP, "the OAuth token endpoint "
				  "refused (HTTP %ld%s%s): check client_id, "
				  "client_secret and refresh_token, and that "
				  "the connected app allows this flow",
				  resp->status, why ? ": " : "",
				  why ? why : "");
		json_decref(doc);
		return rc;
	}
	rc = s->host->add_secret(s->host->ctx, token, err);
	if (rc == SG_OK) {
		salesforce_set_bearer(s, token);
		free(s->instance_url);
		s->instance_url = strdup(instance);
		if (s->instance_url == NULL)
			rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	json_decref(doc);
	return rc;
}

/* POST /services/oauth2/token: the refresh hook, and the first token. */
static int salesforce_refresh(void *arg, struct sg_error *err)
{
	struct salesforce_state *s = arg;
	const char *const refresh[] = { "grant_type", "refresh_token",
					"client_id", s->client_id,
					"client_secret", s->client_secret,
					"refresh_token", s->refresh_token };
	const char *const credentials[] = { "grant_type",
					    "client_credentials", "client_id",
					    s->client_id, "client_secret",
					    s->client_secret };
	struct sg_http_response resp;
	int rc;

	rc = s->refresh_token != NULL ?
		sg_token_post(s->host, s->config->base_url,
			      "/services/oauth2/token", refresh, 8,
			      s->config->timeout_ms, &resp, err) :
		sg_token_post(s->host, s->config->base_url,
			      "/services/oauth2/token", credentials, 6,
			      s->config->timeout_ms, &resp, err);
	if (rc != SG_OK)
		return rc;
	rc = salesforce_take_token(s, &resp, err);
	s->host->http_response_free(s->host->ctx, &resp);
	return rc;
}

int salesforce_auth_start(struct salesforce_state *s, struct sg_error *err)
{
	const struct salesforce_config *c = s->config;

	s->client_id = sg_credential(s->host, c->client_id, c->client_id_env);
	s->client_secret = sg_credential(s->host, c->client_secret,
					     c->client_secret_env);
	s->refresh_token = sg_credential(s->host, c->refresh_token,
					     c->refresh_token_env);
	if (s->auth.name != NULL)
		return SG_OK;
	if (s->client_id == NULL || s->client_secret == NULL)
		return sg_error_set(err, SG_ERR_CONFIG, "no credentials: set "
				    "client_id and client_secret (and "
				    "refresh_token for the refresh-token "
				    "flow; without it, client credentials), "
				    "directly or through their *_env options");
	return salesforce_refresh(s, err);
}

/* The first error of a Salesforce error body (an array of {message,
 * errorCode}), into why. */
static void salesforce_error_text(const struct sg_http_response *resp,
				  char *why, size_t size, const char **code)
{
	json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
	json_t *first = json_is_array(doc) ? json_array_get(doc, 0) : doc;
	const char *c = json_string_value(json_object_get(first,
							  "errorCode"));
	const char *m = json_string_value(json_object_get(first, "message"));

	snprintf(why, size, "%s%s%s", c ? c : "error", m ? ": " : "",
		 m ? m : "");
	if (code != NULL)
		*code = c != NULL && strcmp(c, "REQUEST_LIMIT_EXCEEDED") == 0 &&
			m != NULL && strstr(m, "TotalRequests") != NULL ?
			"total" : c != NULL && strcmp(
				c, "REQUEST_LIMIT_EXCEEDED") == 0 ?
			"concurrent" : NULL;
	json_decref(doc);
}

/*
 * What an answer means: an expired session renews the token (once);
 * the daily allowance spent is final; a concurrency limit, 429 (from a
 * gateway), 5xx and 408 are retried; any other error is final, in
 * Salesforce's words.
 */
static int salesforce_verdict(void *arg, const struct sg_http_response *resp,
			      char *why, size_t size)
{
	const char *kind = NULL;

	(void)arg;
	if (resp->status / 100 == 2)
		return SG_HTTP_ACCEPT;
	if (resp->status == 401)
		return SG_HTTP_REFRESH;
	if (resp->status == 429 || resp->status == 408 || resp->status >= 500)
		return SG_HTTP_RETRY;
	salesforce_error_text(resp, why, size, &kind);
	if (kind != NULL && strcmp(kind, "concurrent") == 0)
		return SG_HTTP_RETRY;
	if (kind != NULL && strcmp(kind, "total") == 0)
		snprintf(why, size, "the org's daily API allowance is spent "
			 "(REQUEST_LIMIT_EXCEEDED, TotalRequests): run again "
			 "when it renews (a rolling 24 hours)");
	return SG_HTTP_FINAL;
}

/* Sforce-Limit-Info: api-usage=USED/MAX, on every answer. */
static void salesforce_note_usage(struct salesforce_state *s,
				  const struct sg_http_response *resp)
{
	const char *v = s->host->http_header(s->host->ctx, resp,
					     "Sforce-Limit-Info");
	const char *p = v != NULL ? strstr(v, "api-usage=") : NULL;
	long long used, max;

	if (p != NULL && sscanf(p, "api-usage=%lld/%lld", &used, &max) == 2 &&
	    max > 0) {
		s->api_used = used;
		s->api_max = max;
	}
}

/* The org's clock from an answer's Date header: a sync cursor is taken
 * from it, so a local clock that is off loses no change. */
static void salesforce_server_time(struct salesforce_state *s,
				const struct sg_http_response *resp)
{
	struct sg_error ignored;
	sg_time t;

	if (sg_time_parse_http_date(&t, s->host->http_header(
		    s->host->ctx, resp, "Date"), &ignored) == SG_OK)
		s->server_time = t;
}

/* Stops before the org's allowance is spent, keeping a reserve. */
static int salesforce_check_reserve(const struct salesforce_state *s,
				    const char *what, struct sg_error *err)
{
	long long keep = s->api_max * s->config->api_reserve_percent / 100;

	if (s->api_max <= 0 || s->api_used < s->api_max - keep)
		return SG_OK;
	return sg_error_set(err, SG_ERR_HTTP, "%s: the org has used %lld of "
			    "its %lld daily API calls; the last %lld%% "
			    "(api_reserve_percent) are kept for the "
			    "business, so the pull stops here: run again "
			    "when the allowance renews", what, s->api_used,
			    s->api_max, s->config->api_reserve_percent);
}

int salesforce_exchange(struct salesforce_state *s, const char *method,
			const char *path, const char *body, int retries,
			const char *what, struct sg_http_response *resp,
			struct sg_error *err)
{
	struct sg_http_header headers[2];
	struct sg_http_request req;
	char *url = NULL;
	int rc;

	rc = salesforce_check_reserve(s, what, err);
	if (rc != SG_OK)
		return rc;
	if (salesforce_append(&url, s->instance_url) != 0 ||
	    salesforce_append(&url, path) != 0) {
		free(url);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	/* The refresh hook rewrites s->bearer, which headers[0] points at. */
	headers[0] = s->auth;
	headers[1].name = "Content-Type";
	headers[1].value = "application/json";
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.header_count = body != NULL ? 2 : 1;
	req.body = body;
	req.body_len = body != NULL ? strlen(body) : 0;
	req.max_retries = retries;
	req.timeout_ms = s->config->timeout_ms;
	req.classify = salesforce_verdict;
	req.refresh = salesforce_refresh;
	req.arg = s;
	rc = s->host->http(s->host->ctx, &req, resp, err);
	free(url);
	if (rc != SG_OK)
		return rc;
	salesforce_note_usage(s, resp);
	salesforce_server_time(s, resp);
	return SG_OK;
}

/* One exchange: *doc is the answer's JSON, an object or an array (an
 * array is refused when want_object). */
static int salesforce_call(struct salesforce_state *s, const char *method,
			   const char *path, const char *body, int retries,
			   int want_object, const char *what, json_t **doc,
			   struct sg_error *err)
{
	struct sg_http_response resp;
	json_error_t jerr;
	char why[JSON_ERROR_TEXT_LENGTH];
	int rc;

	*doc = NULL;
	rc = salesforce_exchange(s, method, path, body, retries, what, &resp,
				 err);
	if (rc != SG_OK)
		return rc;
	*doc = json_loadb(resp.body, resp.body_len, 0, &jerr);
	if (*doc == NULL || (want_object && !json_is_object(*doc)) ||
	    (!json_is_object(*doc) && !json_is_array(*doc))) {
		rc = sg_error_set(err, SG_ERR_SOURCE, "%s, page %u: the answer "
				  "is not a JSON %s (%s, at byte %d of %zu): "
				  "nothing of it is kept", what, s->page + 1,
				  want_object ? "object" : "object or array",
				  *doc == NULL ? sg_json_reason(jerr.text, why,
								sizeof(why)) :
				  "another shape",
				  *doc == NULL ? jerr.position : 0,
				  resp.body_len);
		json_decref(*doc);
		*doc = NULL;
	}
	s->host->http_response_free(s->host->ctx, &resp);
	return rc;
}

int salesforce_get(struct salesforce_state *s, const char *path,
		   const char *what, json_t **doc, struct sg_error *err)
{
	return salesforce_call(s, "GET", path, NULL, 5, 1, what, doc, err);
}

int salesforce_post(struct salesforce_state *s, const char *path,
		    json_t *body, const char *what, json_t **doc,
		    struct sg_error *err)
{
	char *text = json_dumps(body, JSON_COMPACT);
	int rc;

	if (text == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	/* A create is sent once: a retry could make it twice. */
	rc = salesforce_call(s, "POST", path, text, 0, 0, what, doc, err);
	free(text);
	return rc;
}

/* The path of a query's first page. */
static char *salesforce_query_path(const struct salesforce_state *s,
				   const char *soql, int all)
{
	size_t n = sg_url_encode(NULL, 0, soql);
	char *path = malloc(n + strlen(s->config->api_version) + 48);

	if (path == NULL)
		return NULL;
	sprintf(path, "/services/data/%s/%s?q=", s->config->api_version,
		all ? "queryAll" : "query");
	sg_url_encode(path + strlen(path), n + 1, soql);
	return path;
}

/* The next page: nextRecordsUrl until done, never the same twice. */
static int salesforce_next(struct salesforce_state *s, json_t *doc,
			   const char *what, struct sg_error *err)
{
	json_t *next = json_object_get(doc, "nextRecordsUrl");

	free(s->next_url);
	s->next_url = NULL;
	s->page++;
	if (json_is_true(json_object_get(doc, "done")))
		return SG_OK;
	if (!json_is_string(next) || json_string_value(next)[0] != '/')
		return sg_error_set(err, SG_ERR_SOURCE, "%s, page %u: not done, "
				    "and no nextRecordsUrl to go on with",
				    what, s->page);
	if (json_object_get(s->seen_locators, json_string_value(next)))
		return sg_error_set(err, SG_ERR_SOURCE, "%s, page %u: the API "
				    "gave the locator \"%.80s\" a second time; "
				    "stopping rather than reading in circles",
				    what, s->page, json_string_value(next));
	json_object_set_new(s->seen_locators, json_string_value(next),
			    json_true());
	s->next_url = strdup(json_string_value(next));
	return s->next_url != NULL ? SG_OK :
		sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

int salesforce_query_page(struct salesforce_state *s, const char *soql,
			  int all, const char *what,
			  int (*emit)(struct salesforce_state *, json_t *,
				      struct sg_error *),
			  struct sg_error *err)
{
	char *path = s->next_url != NULL ? strdup(s->next_url) :
		     salesforce_query_path(s, soql, all);
	json_t *doc = NULL, *records;
	int rc;

	if (path == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	rc = salesforce_get(s, path, what, &doc, err);
	free(path);
	if (rc != SG_OK)
		return rc;
	records = json_object_get(doc, "records");
	s->query_total = json_integer_value(json_object_get(doc, "totalSize"));
	if (!json_is_array(records))
		rc = sg_error_set(err, SG_ERR_SOURCE, "%s, page %u: no records "
				  "array", what, s->page + 1);
	if (rc == SG_OK && emit != NULL)
		rc = emit(s, records, err);
	if (rc == SG_OK)
		rc = salesforce_next(s, doc, what, err);
	json_decref(doc);
	if (rc != SG_OK)
		return rc;
	return s->next_url != NULL ? 1 : 0;
}

int salesforce_time(const char *text, sg_time *out, struct sg_error *err)
{
	size_t len = text != NULL ? strlen(text) : 0;

	*out = SG_TIME_NONE;
	if (len == 0)
		return SG_OK;
	return sg_time_parse_iso(out, text, len, 0, 0, err);
}
