/*
 * hubspot_api.c - the HubSpot API as the plugin calls it: credentials (a
 * private app token, or OAuth 2 refreshed before it expires and on a
 * 401, once), one GET with HubSpot's error bodies read, and listing
 * cursors checked.  Retries, waits and pacing are the host's HTTP client.
 */
#include "hubspot_int.h"
#include "sg_credentials.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_url.h"

/* Tokens live 30 minutes: one is renewed this long before it expires. */
#define HUBSPOT_TOKEN_MARGIN 60

static void hubspot_set_bearer(struct hubspot_state *s, const char *token)
{
	snprintf(s->bearer, sizeof(s->bearer), "Bearer %s", token);
	s->auth.name = "Authorization";
	s->auth.value = s->bearer;
}

/* What a token answer holds; the token is a secret from now on. */
static int hubspot_take_token(struct hubspot_state *s,
			      const struct sg_http_response *resp,
			      struct sg_error *err)
{
	json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
	json_t *token = json_object_get(doc, "access_token");
	json_int_t expires = json_integer_value(json_object_get(doc,
							       "expires_in"));
	int rc;

	if (resp->status != 200 || !json_is_string(token)) {
		json_decref(doc);
		return sg_error_set(err, SG_ERR_HTTP, "the OAuth "
				    "token endpoint refused the refresh (HTTP "
				    "%ld): check client_id, client_secret and "
				    "refresh_token", resp->status);
	}
	rc = s->host->add_secret(s->host->ctx, json_string_value(token), err);
	if (rc == SG_OK) {
		hubspot_set_bearer(s, json_string_value(token));
		s->token_expires = expires > 0 ?
			(long long)time(NULL) + expires : 0;
	}
	json_decref(doc);
	return rc;
}

/* POST /oauth/v1/token with the refresh token (the refresh hook). */
static int hubspot_refresh(void *arg, struct sg_error *err)
{
	struct hubspot_state *s = arg;
	const char *const pairs[] = {
		"grant_type", "refresh_token", "client_id", s->client_id,
		"client_secret", s->client_secret, "refresh_token",
		s->refresh_token,
	};
	struct sg_http_response resp;
	int rc;

	if (s->client_id == NULL)
		return sg_error_set(err, SG_ERR_HTTP, "the private "
				    "app token was refused: check it, or its "
				    "scopes (crm.objects.deals.read, "
				    "crm.objects.owners.read)");
	rc = sg_token_post(s->host, s->config->base_url, "/oauth/v1/token",
			   pairs, 8, s->config->timeout_ms, &resp, err);
	if (rc != SG_OK)
		return rc;
	rc = hubspot_take_token(s, &resp, err);
	s->host->http_response_free(s->host->ctx, &resp);
	return rc;
}

int hubspot_auth_start(struct hubspot_state *s, struct sg_error *err)
{
	const struct hubspot_config *c = s->config;

	s->token = sg_credential(s->host, c->token, c->token_env);
	s->client_id = sg_credential(s->host, c->client_id, c->client_id_env);
	s->client_secret = sg_credential(s->host, c->client_secret,
					  c->client_secret_env);
	s->refresh_token = sg_credential(s->host, c->refresh_token,
					  c->refresh_token_env);
	if (s->auth.name != NULL)
		return SG_OK;   /* started already (a plugin both roles) */
	if (s->token != NULL) {
		s->client_id = NULL;
		hubspot_set_bearer(s, s->token);
		return SG_OK;
	}
	if (s->client_id == NULL || s->client_secret == NULL ||
	    s->refresh_token == NULL)
		return sg_error_set(err, SG_ERR_CONFIG, "no "
				    "credentials: set token_env (a private "
				    "app token) or client_id, client_secret "
				    "and refresh_token (OAuth), directly or "
				    "through their *_env options");
	return hubspot_refresh(s, err);
}

/*
 * What a HubSpot answer means: 401 renews the token (once); 429 waits
 * its Retry-After unless the daily limit is reached; 5xx and 408 retry;
 * any other error is final, in HubSpot's own words.
 */
static int hubspot_verdict(void *arg, const struct sg_http_response *resp,
			   char *why, size_t size)
{
	json_t *doc;
	const char *policy, *message, *category;
	int verdict = SG_HTTP_ACCEPT;

	(void)arg;
	if (resp->status / 100 == 2)
		return SG_HTTP_ACCEPT;
	if (resp->status == 401)
		return SG_HTTP_REFRESH;
	if (resp->status >= 500 || resp->status == 408)
		return SG_HTTP_RETRY;
	doc = json_loadb(resp->body, resp->body_len, 0, NULL);
	policy = json_string_value(json_object_get(doc, "policyName"));
	message = json_string_value(json_object_get(doc, "message"));
	category = json_string_value(json_object_get(doc, "category"));
	if (resp->status == 429 && (policy == NULL ||
				    strcmp(policy, "DAILY") != 0)) {
		verdict = SG_HTTP_RETRY;
	} else if (resp->status == 429) {
		snprintf(why, size, "the portal's daily API limit is reached "
			 "(shared by every app on the account): run again "
			 "after midnight in the portal's time zone");
		verdict = SG_HTTP_FINAL;
	} else {
		snprintf(why, size, "%s%s%s (correlation id %s)",
			 category ? category : "error", message ? ": " : "",
			 message ? message : "",
			 json_string_value(json_object_get(doc,
							   "correlationId")) ?
			 json_string_value(json_object_get(doc,
							   "correlationId")) :
			 "none");
		verdict = SG_HTTP_FINAL;
	}
	json_decref(doc);
	return verdict;
}

/* An OAuth token close to its end is renewed before it is refused. */
static int hubspot_fresh_token(struct hubspot_state *s, struct sg_error *err)
{
	if (s->client_id == NULL || s->token_expires == 0 ||
	    (long long)time(NULL) + HUBSPOT_TOKEN_MARGIN < s->token_expires)
		return SG_OK;
	return hubspot_refresh(s, err);
}

/* The portal's clock from an answer's Date header: a sync cursor is
 * taken from it, so a local clock that is off loses no change. */
static void hubspot_server_time(struct hubspot_state *s,
				const struct sg_http_response *resp)
{
	struct sg_error ignored;
	sg_time t;

	if (sg_time_parse_http_date(&t, s->host->http_header(
		    s->host->ctx, resp, "Date"), &ignored) == SG_OK)
		s->server_time = t;
}

/* One exchange with the API: *doc is the answer's JSON object. */
static int hubspot_call(struct hubspot_state *s, const char *method,
			const char *path_query, const char *body,
			int retries, const char *what, json_t **doc,
			struct sg_error *err)
{
	struct sg_http_header headers[2];
	struct sg_http_request req;
	struct sg_http_response resp;
	json_error_t jerr;
	char why[JSON_ERROR_TEXT_LENGTH];
	char url[8192];
	int rc;

	*doc = NULL;
	rc = hubspot_fresh_token(s, err);
	if (rc != SG_OK)
		return rc;
	/* A cut URL would ask for something else: refused, never sent. */
	if ((size_t)snprintf(url, sizeof(url), "%s%s", s->config->base_url,
			     path_query) >= sizeof(url))
		return sg_error_set(err, SG_ERR_CONFIG, "%s: the request URL "
				    "would be over %zu bytes (HubSpot answers "
				    "414): map fewer properties, or a shorter "
				    "base_url", what, sizeof(url) - 1);
	headers[0] = s->auth;
	headers[1].name = "Content-Type";
	headers[1].value = "application/json";
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.method = method;
	req.url = url;
	/* The refresh hook rewrites s->bearer, which headers[0] points at. */
	req.headers = headers;
	req.header_count = body != NULL ? 2 : 1;
	req.body = body;
	req.body_len = body != NULL ? strlen(body) : 0;
	/* Search has a lower limit of its own than the burst limit. */
	if (strstr(path_query, "/search") != NULL)
		req.pace = HUBSPOT_SEARCH_PACE;
	req.max_retries = retries;
	req.timeout_ms = s->config->timeout_ms;
	req.classify = hubspot_verdict;
	req.refresh = hubspot_refresh;
	req.arg = s;
	rc = s->host->http(s->host->ctx, &req, &resp, err);
	if (rc != SG_OK)
		return rc;
	hubspot_server_time(s, &resp);
	*doc = json_loadb(resp.body, resp.body_len, 0, &jerr);
	if (*doc == NULL || !json_is_object(*doc)) {
		rc = sg_error_set(err, SG_ERR_SOURCE, "%s, page %u: "
				  "the answer is not a JSON object (%s, at "
				  "byte %d of %zu): nothing of it is kept",
				  what, s->page + 1,
				  sg_json_reason(jerr.text, why, sizeof(why)),
				  jerr.position, resp.body_len);
		json_decref(*doc);
		*doc = NULL;
	}
	s->host->http_response_free(s->host->ctx, &resp);
	return rc;
}

int hubspot_get(struct hubspot_state *s, const char *path_query,
		const char *what, json_t **doc, struct sg_error *err)
{
	return hubspot_call(s, "GET", path_query, NULL, 5, what, doc, err);
}

int hubspot_post(struct hubspot_state *s, const char *path, json_t *body,
		 int idempotent, const char *what, json_t **doc,
		 struct sg_error *err)
{
	char *text = json_dumps(body, JSON_COMPACT);
	int rc;

	*doc = NULL;
	if (text == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	/* A create is sent once: a retry could make it twice. */
	rc = hubspot_call(s, "POST", path, text, idempotent ? 5 : 0, what,
			  doc, err);
	free(text);
	return rc;
}

int hubspot_next_cursor(struct hubspot_state *s, json_t *doc,
			const char *what, struct sg_error *err)
{
	json_t *after = json_object_get(json_object_get(json_object_get(
		doc, "paging"), "next"), "after");

	free(s->after);
	s->after = NULL;
	s->page++;
	if (after == NULL)
		return SG_OK;
	if (!json_is_string(after) || json_string_length(after) == 0)
		return sg_error_set(err, SG_ERR_SOURCE, "%s, page "
				    "%u: paging.next.after is not a cursor",
				    what, s->page);
	if (json_object_get(s->seen_cursors, json_string_value(after)))
		return sg_error_set(err, SG_ERR_SOURCE, "%s, page "
				    "%u: the API gave the cursor \"%.60s\" a "
				    "second time; stopping rather than "
				    "reading in circles", what, s->page,
				    json_string_value(after));
	json_object_set_new(s->seen_cursors, json_string_value(after),
			    json_true());
	s->after = strdup(json_string_value(after));
	return s->after != NULL ? SG_OK :
				  sg_error_set(err, SG_ERR_NOMEM,
					       "out of memory");
}

int hubspot_list_add(char **list, const char *name)
{
	size_t had = *list ? strlen(*list) : 0;
	char *grown = realloc(*list, had + strlen(name) + 2);

	if (grown == NULL)
		return -1;
	snprintf(grown + had, strlen(name) + 2, "%s%s", had ? "," : "",
		 name);
	*list = grown;
	return 0;
}

int hubspot_time(const char *text, sg_time *out, struct sg_error *err)
{
	size_t len = text ? strlen(text) : 0;

	*out = SG_TIME_NONE;
	if (len == 0)
		return SG_OK;
	/* Epoch milliseconds, as some custom date properties come. */
	if (strspn(text, "0123456789") == len && len > 10) {
		*out = (sg_time)(strtoll(text, NULL, 10) / 1000);
		return SG_OK;
	}
	return sg_time_parse_iso(out, text, len, 0, 0, err);
}

/* The next page's query: the listing's own, then the cursor. */
static int hubspot_page_url(struct hubspot_state *s, const char *path,
			    const char *const *params, size_t count,
			    struct sg_url *u)
{
	size_t i;
	int failed = sg_url_init(u, path);

	for (i = 0; i + 1 < count && !failed; i += 2)
		failed = sg_url_add_param(u, params[i], params[i + 1]);
	if (!failed && s->after != NULL)
		failed = sg_url_add_param(u, "after", s->after);
	return failed ? -1 : 0;
}

int hubspot_list_page(struct hubspot_state *s, const char *path,
			     const char *const *params, size_t count,
			     const char *what,
			     int (*emit)(struct hubspot_state *, json_t *,
					 struct sg_error *),
			     struct sg_error *err)
{
	struct sg_url u;
	json_t *doc = NULL, *results;
	int rc;

	if (hubspot_page_url(s, path, params, count, &u) != 0) {
		sg_url_release(&u);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	rc = hubspot_get(s, sg_url_text(&u), what, &doc, err);
	sg_url_release(&u);
	if (rc != SG_OK)
		return rc;
	results = json_object_get(doc, "results");
	if (!json_is_array(results))
		rc = sg_error_set(err, SG_ERR_SOURCE, "%s, page %u: "
				  "no results array", what, s->page + 1);
	if (rc == SG_OK)
		rc = emit(s, results, err);
	if (rc == SG_OK)
		rc = hubspot_next_cursor(s, doc, what, err);
	json_decref(doc);
	if (rc != SG_OK)
		return rc;
	return s->after != NULL ? 1 : 0;
}
