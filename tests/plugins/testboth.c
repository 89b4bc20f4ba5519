/*
 * testboth.c - a test-only plugin that is both a source and a sink, so
 * tests can drive what depends on the role: an option required as a
 * source only ("pipeline") and one required as a sink only ("owner"),
 * and a source that fails after talking to a server ("url"), with a code
 * that would blame the user's input.
 */
#include <stddef.h>
#include <string.h>

#include "sg_plugin.h"

struct testboth_config {
	char *pipeline;
	char *owner;
	char *url;
};

struct testboth_state {
	const struct sg_host *host;
	const struct testboth_config *config;
};

static const struct sg_option testboth_options[] = {
	{ "pipeline", SG_OPT_STRING, SG_OPT_SOURCE_REQUIRED, NULL,
	  "the CRM pipeline to read", offsetof(struct testboth_config,
					       pipeline) },
	{ "owner", SG_OPT_STRING, SG_OPT_SINK_REQUIRED, NULL,
	  "who the written tasks go to", offsetof(struct testboth_config,
						  owner) },
	{ "url", SG_OPT_STRING, 0, NULL, "a server to ask first",
	  offsetof(struct testboth_config, url) },
};

static int testboth_open(void **state, const void *config, const char *arg,
			 const struct sg_host *host, struct sg_error *err)
{
	static struct testboth_state s;

	(void)arg;
	(void)err;
	s.host = host;
	s.config = config;
	*state = &s;
	return SG_OK;
}

/* Asks the server (if any), then "finds its answer unreadable" with a
 * parse error, as a careless plugin would. */
static int testboth_pull(void *state, struct sg_error *err)
{
	struct testboth_state *s = state;
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_rec_opportunity o;

	if (s->config->url != NULL) {
		memset(&req, 0, sizeof(req));
		req.size = sizeof(req);
		req.method = "GET";
		req.url = s->config->url;
		req.timeout_ms = 5000;
		memset(&resp, 0, sizeof(resp));
		if (s->host->http(s->host->ctx, &req, &resp, err) == SG_OK)
			s->host->http_response_free(s->host->ctx, &resp);
		return sg_error_set(err, SG_ERR_PARSE, "the server's answer "
				    "is not JSON");
	}
	memset(&o, 0, sizeof(o));
	o.id = "B1";
	o.name = o.pipeline = o.owner_id = o.amount = o.currency = "";
	o.forecast_category = o.next_step = "";
	o.stage = "discovery";
	o.close_date = o.created_at = o.next_step_date = SG_TIME_NONE;
	return s->host->emit_opportunity(s->host->ctx, &o, NULL, err);
}

static int testboth_write(void *state, const struct sg_sink_input *input,
			  struct sg_error *err)
{
	(void)state;
	(void)input;
	(void)err;
	return SG_OK;
}

static int testboth_finish(void *state, struct sg_error *err)
{
	(void)state;
	(void)err;
	return SG_OK;
}

static void testboth_close(void *state)
{
	(void)state;
}

static const struct sg_plugin testboth_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SOURCE | SG_PLUGIN_SINK,
	.name = "testboth",
	.version = "1.0",
	.description = "test plugin: source and sink",
	.options = testboth_options,
	.option_count = sizeof(testboth_options) /
			sizeof(testboth_options[0]),
	.config_size = sizeof(struct testboth_config),
	.open = testboth_open,
	.pull = testboth_pull,
	.write = testboth_write,
	.finish = testboth_finish,
	.close = testboth_close,
	.sink_needs = SG_SINK_NEEDS_DATA,
};

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

const struct sg_plugin *sg_plugin_entry(void)
{
	return &testboth_plugin;
}
