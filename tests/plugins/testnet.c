/*
 * testnet.c - a test-only source that talks to the loopback test server
 * (tests/http_server.py) as a CRM connector would: it paces itself, gets
 * an access token with a secret option, registers the token, reads a
 * protected page, renews the token when the session expires, and then
 * does every careless thing a plugin could do with the token - logs it,
 * puts it in a record, in an error - so tests/cli/secrets.sh can show it
 * reaches no output.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sg_plugin.h"

struct testnet_config {
	char *url;
	char *client_secret;    /* secret */
	int fail;               /* end with an error quoting the token */
};

struct testnet_state {
	const struct sg_host *host;
	const struct testnet_config *config;
	char bearer[256];
	struct sg_http_header auth;
	char token[200];
};

static const struct sg_option testnet_options[] = {
	{ "url", SG_OPT_STRING, SG_OPT_REQUIRED, NULL,
	  "the test server's base URL", offsetof(struct testnet_config,
						 url) },
	{ "client_secret", SG_OPT_STRING, SG_OPT_SECRET, "cs-unset",
	  "sent to get a token", offsetof(struct testnet_config,
					  client_secret) },
	{ "fail", SG_OPT_BOOL, 0, "false", "fail after the first page",
	  offsetof(struct testnet_config, fail) },
};

static int testnet_open(void **state, const void *config, const char *arg,
			const struct sg_host *host, struct sg_error *err)
{
	static struct testnet_state s;

	(void)arg;
	memset(&s, 0, sizeof(s));
	s.host = host;
	s.config = config;
	*state = &s;
	if (host->size < offsetof(struct sg_host, http_header) +
			 sizeof(host->http_header))
		return sg_error_set(err, SG_ERR_PLUGIN, "host too old");
	return host->http_pace(host->ctx, NULL, 50, 1000, err);
}

static void testnet_request(struct testnet_state *s,
			    struct sg_http_request *req, const char *method,
			    const char *url)
{
	memset(req, 0, sizeof(*req));
	req->size = sizeof(*req);
	req->method = method;
	req->url = url;
	req->max_retries = 2;
	req->timeout_ms = 20000;
	req->backoff_ms = 10;
	req->headers = &s->auth;
	req->header_count = s->auth.name != NULL;
}

/* POST /token: the token is registered before anything can show it. */
static int testnet_token(void *arg, struct sg_error *err)
{
	struct testnet_state *s = arg;
	struct sg_http_request req;
	struct sg_http_response resp;
	char url[512], body[512];
	json_t *doc;
	int rc;

	snprintf(url, sizeof(url), "%s/token", s->config->url);
	snprintf(body, sizeof(body), "grant_type=client_credentials&"
		 "client_secret=%s", s->config->client_secret);
	testnet_request(s, &req, "POST", url);
	req.header_count = 0;
	req.body = body;
	req.body_len = strlen(body);
	rc = s->host->http(s->host->ctx, &req, &resp, err);
	if (rc != SG_OK)
		return rc;
	doc = json_loadb(resp.body, resp.body_len, 0, NULL);
	s->host->http_response_free(s->host->ctx, &resp);
	if (doc == NULL || !json_is_string(json_object_get(doc,
							   "access_token"))) {
		json_decref(doc);
		return sg_error_set(err, SG_ERR_PARSE, "no access_token");
	}
	snprintf(s->token, sizeof(s->token), "%s",
		 json_string_value(json_object_get(doc, "access_token")));
	json_decref(doc);
	rc = s->host->add_secret(s->host->ctx, s->token, err);
	snprintf(s->bearer, sizeof(s->bearer), "Bearer %s", s->token);
	s->auth.name = "Authorization";
	s->auth.value = s->bearer;
	return rc;
}

static int testnet_verdict(void *arg, const struct sg_http_response *resp,
			   char *why, size_t size)
{
	(void)arg;
	(void)why;
	(void)size;
	return resp->status == 401 ? SG_HTTP_REFRESH : SG_HTTP_ACCEPT;
}

static int testnet_get(struct testnet_state *s, const char *path,
		       const char *method, struct sg_error *err)
{
	struct sg_http_request req;
	struct sg_http_response resp;
	char url[512];
	int rc;

	/* The token in the query too, as some APIs take it. */
	snprintf(url, sizeof(url), "%s%s?access_token=%s", s->config->url,
		 path, s->token);
	testnet_request(s, &req, method, url);
	req.classify = testnet_verdict;
	req.refresh = testnet_token;
	req.arg = s;
	rc = s->host->http(s->host->ctx, &req, &resp, err);
	if (rc != SG_OK)
		return rc;
	s->host->log(s->host->ctx, SG_LOG_INFO, "testnet: %s answered %ld "
		     "(%s), body %s", path, resp.status,
		     s->host->http_header(s->host->ctx, &resp,
					  "content-type"), resp.body);
	s->host->http_response_free(s->host->ctx, &resp);
	return SG_OK;
}

static int testnet_emit(struct testnet_state *s, struct sg_error *err)
{
	struct sg_field extra[] = { { "token_note", s->token } };
	struct sg_rec_opportunity o;
	struct sg_rec_stage_event e;
	char name[256];
	int rc;

	memset(&o, 0, sizeof(o));
	snprintf(name, sizeof(name), "Deal of %s", s->token);
	o.id = "N1";
	o.name = name;
	o.pipeline = o.amount = o.currency = o.forecast_category = "";
	o.stage = "proposal";
	o.owner_id = "u1";
	o.next_step = s->token;
	o.close_date = o.created_at = o.next_step_date = SG_TIME_NONE;
	o.extra = extra;
	o.extra_count = 1;
	rc = s->host->emit_opportunity(s->host->ctx, &o, NULL, err);
	if (rc != SG_OK)
		return rc;
	memset(&e, 0, sizeof(e));
	e.opportunity_id = "N1";
	e.from_stage = "";
	e.to_stage = "proposal";
	e.changed_at = 1793491200; /* 2026-11-01 */
	e.changed_by = s->token;
	e.source = "testnet";
	return s->host->emit_stage_event(s->host->ctx, &e, NULL, err);
}

static int testnet_pull(void *state, struct sg_error *err)
{
	struct testnet_state *s = state;
	int rc;

	rc = testnet_token(s, err);
	if (rc == SG_OK)
		rc = testnet_get(s, "/protected", "GET", err);
	if (rc == SG_OK)
		rc = testnet_get(s, "/expire", "POST", err);
	if (rc == SG_OK)
		rc = testnet_get(s, "/protected", "GET", err);
	if (rc != SG_OK)
		return rc;
	s->host->log(s->host->ctx, SG_LOG_WARN, "testnet: the token is %s",
		     s->token);
	if (s->config->fail)
		return sg_error_set(err, SG_ERR_PARSE, "page 2 for %s is "
				    "unreadable", s->token);
	rc = testnet_emit(s, err);
	return rc != SG_OK ? rc : 0;
}

static void testnet_close(void *state)
{
	(void)state;
}

static const struct sg_plugin testnet_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SOURCE,
	.name = "testnet",
	.version = "1",
	.description = "test-only: a connector against the test server",
	.options = testnet_options,
	.option_count = sizeof(testnet_options) / sizeof(testnet_options[0]),
	.config_size = sizeof(struct testnet_config),
	.open = testnet_open,
	.pull = testnet_pull,
	.close = testnet_close,
};

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

const struct sg_plugin *sg_plugin_entry(void)
{
	return &testnet_plugin;
}
