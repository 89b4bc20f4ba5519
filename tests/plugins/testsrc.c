/*
 * testsrc.c - a test-only source plugin: emits a small fixed pipeline, and
 * fails on request, so tests can drive the host table and the pull loop.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sg_plugin.h"

struct testsrc_config {
	long long opportunities;
	long long fail_at_pull; /* 0: never */
	char *token;            /* secret: must never be printed */
	char *label;
};

struct testsrc_state {
	const struct sg_host *host;
	struct testsrc_config *config;
	long long pulls;
};

static const struct sg_option testsrc_options[] = {
	{ "opportunities", SG_OPT_INT, 0, "3", "opportunities to emit",
	  offsetof(struct testsrc_config, opportunities) },
	{ "fail_at_pull", SG_OPT_INT, 0, "0",
	  "fail on this pull (1-based); 0 never",
	  offsetof(struct testsrc_config, fail_at_pull) },
	{ "token", SG_OPT_STRING, SG_OPT_SECRET, NULL, "a secret",
	  offsetof(struct testsrc_config, token) },
	{ "label", SG_OPT_STRING, 0, "test", "a label",
	  offsetof(struct testsrc_config, label) },
};

static int testsrc_open(void **state, const void *config, const char *arg,
			const struct sg_host *host, struct sg_error *err)
{
	static struct testsrc_state s;

	(void)arg;
	(void)err;
	memset(&s, 0, sizeof(s));
	s.host = host;
	s.config = (struct testsrc_config *)config;
	*state = &s;
	return SG_OK;
}

static int testsrc_pull(void *state, struct sg_error *err)
{
	struct testsrc_state *s = state;
	struct sg_rec_opportunity o;
	struct sg_rec_stage_event e;
	char id[32];
	long long i;
	int rc;

	s->pulls++;
	if (s->config->fail_at_pull == s->pulls)
		return sg_error_set(err, SG_ERR_SOURCE,
				    "failing at pull %lld as asked",
				    s->pulls);
	for (i = 0; i < s->config->opportunities; i++) {
		memset(&o, 0, sizeof(o));
		snprintf(id, sizeof(id), "T%lld", i + 1);
		o.id = id;
		o.name = "Test deal";
		o.pipeline = "";
		o.stage = "discovery";
		o.owner_id = "u1";
		o.amount = "100.00";
		o.currency = "USD";
		o.forecast_category = "";
		o.next_step = "call";
		o.close_date = o.created_at = o.next_step_date = SG_TIME_NONE;
		rc = s->host->emit_opportunity(s->host->ctx, &o, NULL, err);
		if (rc != SG_OK)
			return rc;
		memset(&e, 0, sizeof(e));
		e.opportunity_id = id;
		e.from_stage = "";
		e.to_stage = "discovery";
		e.changed_at = 1793491200; /* 2026-11-01 */
		e.changed_by = "";
		e.source = "testsrc";
		rc = s->host->emit_stage_event(s->host->ctx, &e, NULL, err);
		if (rc != SG_OK)
			return rc;
	}
	return s->pulls < 2 ? 1 : 0;
}

static void testsrc_close(void *state)
{
	(void)state;
}

static const struct sg_plugin testsrc_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SOURCE,
	.name = "testsrc",
	.version = "1.0",
	.description = "test source: a fixed tiny pipeline",
	.options = testsrc_options,
	.option_count = sizeof(testsrc_options) / sizeof(testsrc_options[0]),
	.config_size = sizeof(struct testsrc_config),
	.open = testsrc_open,
	.pull = testsrc_pull,
	.close = testsrc_close,
};

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

const struct sg_plugin *sg_plugin_entry(void)
{
	return &testsrc_plugin;
}
