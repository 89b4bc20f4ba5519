/*
 * testtasks.c - a test-only write-back sink against the fake CRM of the
 * test server (tests/http_server.py), doing what the HubSpot and
 * Salesforce sinks do: reads back the tasks people completed and records
 * their dispositions (host->decide); then creates a CRM task for each
 * review task it was handed, keeping the CRM's id per exception
 * (host->task_ref_put) so a rerun creates no duplicate, and marking a
 * create before it starts so one that timed out is looked up, not made
 * twice.  Logs "testtasks: created N, found N, decided N, refused N".
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_plugin.h"

struct testtasks_config {
	char *url;
	long long create_timeout_ms;
	long long create_delay_ms;
};

struct testtasks_state {
	const struct sg_host *host;
	const struct testtasks_config *config;
	unsigned created, found, decided, refused;
};

static const struct sg_option testtasks_options[] = {
	{ "url", SG_OPT_STRING, SG_OPT_REQUIRED, NULL,
	  "the fake CRM's base URL", offsetof(struct testtasks_config, url) },
	{ "create_timeout_ms", SG_OPT_INT, 0, "5000",
	  "how long a create may take",
	  offsetof(struct testtasks_config, create_timeout_ms) },
	{ "create_delay_ms", SG_OPT_INT, 0, "0",
	  "asks the fake CRM to answer a create this late",
	  offsetof(struct testtasks_config, create_delay_ms) },
};

static int testtasks_open(void **state, const void *config, const char *arg,
			  const struct sg_host *host, struct sg_error *err)
{
	static struct testtasks_state s;

	(void)arg;
	memset(&s, 0, sizeof(s));
	s.host = host;
	s.config = config;
	*state = &s;
	if (host->size < offsetof(struct sg_host, decide) +
			 sizeof(host->decide))
		return sg_error_set(err, SG_ERR_PLUGIN, "host too old");
	return SG_OK;
}

/* One exchange; *doc is the answer's JSON (the caller decrefs). */
static int testtasks_call(struct testtasks_state *s, const char *method,
			  const char *url, const char *body, long timeout_ms,
			  json_t **doc, struct sg_error *err)
{
	struct sg_http_header json_type = { "Content-Type",
					    "application/json" };
	struct sg_http_request req;
	struct sg_http_response resp;
	int rc;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.method = method;
	req.url = url;
	req.headers = &json_type;
	req.header_count = 1;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	/* A create is not idempotent: never sent twice blindly. */
	req.max_retries = strcmp(method, "GET") == 0 ? 2 : 0;
	req.timeout_ms = timeout_ms;
	req.backoff_ms = 10;
	rc = s->host->http(s->host->ctx, &req, &resp, err);
	if (rc != SG_OK)
		return rc;
	*doc = resp.status / 100 == 2 ?
	       json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
	if (*doc == NULL)
		rc = sg_error_set(err, SG_ERR_SINK, "%s %s: HTTP %ld", method,
				  url, resp.status);
	s->host->http_response_free(s->host->ctx, &resp);
	return rc;
}

static int testtasks_decide(struct testtasks_state *s, json_t *task,
			    struct sg_error *err)
{
	struct sg_sink_decision d;
	char exception_id[128];
	const char *when = json_string_value(json_object_get(task, "at"));
	sg_time at = 0;
	int rc;

	rc = s->host->task_ref_find(s->host->ctx,
				    json_string_value(json_object_get(task,
								      "id")),
				    exception_id, sizeof(exception_id), err);
	if (rc <= 0)
		return rc;      /* not one of ours: skipped */
	if (when == NULL ||
	    sg_time_parse_iso(&at, when, strlen(when), 0, 0, err) != SG_OK)
		return sg_error_set(err, SG_ERR_SINK, "task %s: no time of "
				    "completion", exception_id);
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.exception_id = exception_id;
	d.disposition = json_string_value(json_object_get(task,
							  "disposition"));
	d.by = json_string_value(json_object_get(task, "by"));
	d.note = json_string_value(json_object_get(task, "note"));
	d.at = at;
	rc = s->host->decide(s->host->ctx, &d, err);
	if (rc == SG_ERR_REFUSED) {
		/* Decided already (read back by an earlier run). */
		s->refused++;
		s->host->log(s->host->ctx, SG_LOG_INFO, "testtasks: %s",
			     err->message);
		return SG_OK;
	}
	s->decided += rc == SG_OK;
	return rc;
}

static int testtasks_read_back(struct testtasks_state *s,
			       struct sg_error *err)
{
	char url[512];
	json_t *doc = NULL, *results;
	size_t i;
	int rc;

	snprintf(url, sizeof(url), "%s/crm/tasks?status=COMPLETED",
		 s->config->url);
	rc = testtasks_call(s, "GET", url, NULL, 10000, &doc, err);
	results = json_object_get(doc, "results");
	for (i = 0; rc == SG_OK && i < json_array_size(results); i++)
		rc = testtasks_decide(s, json_array_get(results, i), err);
	json_decref(doc);
	return rc;
}

/* A create that timed out may have happened: the CRM is asked first. */
static int testtasks_look_up(struct testtasks_state *s,
			     const struct sg_sink_task *t, int *found,
			     struct sg_error *err)
{
	char url[512];
	json_t *doc = NULL, *first;
	int rc;

	snprintf(url, sizeof(url), "%s/crm/tasks?exception_id=%s",
		 s->config->url, t->exception_id);
	rc = testtasks_call(s, "GET", url, NULL, 10000, &doc, err);
	first = json_array_get(json_object_get(doc, "results"), 0);
	*found = rc == SG_OK && first != NULL;
	if (*found) {
		rc = s->host->task_ref_put(s->host->ctx, t->exception_id,
					   json_string_value(json_object_get(
						   first, "id")), err);
		s->found++;
	}
	json_decref(doc);
	return rc;
}

static int testtasks_create(struct testtasks_state *s,
			    const struct sg_sink_task *t,
			    struct sg_error *err)
{
	char url[512];
	json_t *body, *doc = NULL;
	char *text;
	int rc, found = 0;

	if (t->ref != NULL) {
		rc = testtasks_look_up(s, t, &found, err);
		if (rc != SG_OK || found)
			return rc;
	}
	body = json_pack("{s:s, s:s, s:s, s:s, s:I, s:i}",
			 "exception_id", t->exception_id, "subject", t->type,
			 "owner", t->assignee, "body", t->note,
			 "due", (json_int_t)t->due_at,
			 "missing", (int)t->missing_count);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	rc = s->host->task_ref_put(s->host->ctx, t->exception_id, "", err);
	snprintf(url, sizeof(url), "%s/crm/tasks?delay_ms=%lld",
		 s->config->url, s->config->create_delay_ms);
	if (rc == SG_OK)
		rc = testtasks_call(s, "POST", url, text,
				    (long)s->config->create_timeout_ms, &doc,
				    err);
	free(text);
	if (rc == SG_OK)
		rc = s->host->task_ref_put(s->host->ctx, t->exception_id,
					   json_string_value(json_object_get(
						   doc, "id")), err);
	s->created += rc == SG_OK;
	json_decref(doc);
	return rc;
}

static int testtasks_write(void *state, const struct sg_sink_input *input,
			   struct sg_error *err)
{
	struct testtasks_state *s = state;
	size_t i;
	int rc;

	if (input->size < offsetof(struct sg_sink_input, task_count) +
			  sizeof(input->task_count))
		return sg_error_set(err, SG_ERR_PLUGIN, "host too old");
	rc = testtasks_read_back(s, err);
	for (i = 0; rc == SG_OK && i < input->task_count; i++)
		rc = testtasks_create(s, &input->tasks[i], err);
	s->host->log(s->host->ctx, SG_LOG_WARN, "testtasks: %zu tasks "
		     "handed, created %u, found %u, decided %u, refused %u",
		     input->task_count, s->created, s->found, s->decided,
		     s->refused);
	return rc;
}

static int testtasks_finish(void *state, struct sg_error *err)
{
	(void)state;
	(void)err;
	return SG_OK;
}

static void testtasks_close(void *state)
{
	(void)state;
}

static const struct sg_plugin testtasks_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SINK,
	.name = "testtasks",
	.version = "1",
	.description = "test-only: review tasks written to a fake CRM",
	.options = testtasks_options,
	.option_count = sizeof(testtasks_options) /
			sizeof(testtasks_options[0]),
	.config_size = sizeof(struct testtasks_config),
	.open = testtasks_open,
	.write = testtasks_write,
	.finish = testtasks_finish,
	.close = testtasks_close,
	.sink_needs = SG_SINK_NEEDS_TASKS,
};

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

const struct sg_plugin *sg_plugin_entry(void)
{
	return &testtasks_plugin;
}
