/*
 * testsrc.c - a test-only source plugin: emits a small fixed pipeline, and
 * fails on request, so tests can drive the host table and the pull loop.
 * It keeps a state key "pulls" (the pulls the recorded runs made) and
 * logs what it found: "testsrc state: pulls=N"; it logs the rules the
 * host shows it: "testsrc rules: ...".
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_plugin.h"

struct testsrc_config {
	long long opportunities;
	long long fail_at_pull; /* 0: never */
	long long fail_stream;  /* 1 or 2: that stream fails; 0: none */
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
	{ "fail_stream", SG_OPT_INT, 0, "0",
	  "make stream 1 (activities) or 2 (evidence) fail; 0 none",
	  offsetof(struct testsrc_config, fail_stream) },
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

/* What the host says of the rules, in one line:
 * "testsrc rules: pipeline=ID stages=ID[exit;..|fields;..](closed,won)...
 * criteria=ID(buyer),... segment=F placeholders=N". */
static void testsrc_log_rules(struct testsrc_state *s)
{
	const struct sg_rules *r = s->host->rules(s->host->ctx);
	char line[1024];
	size_t i, k, n = 0;

#define ADD(...) n += (size_t)snprintf(line + n, n < sizeof(line) ? \
	sizeof(line) - n : 0, __VA_ARGS__)
	ADD("pipeline=%s stages=", r->pipeline_id ? r->pipeline_id : "-");
	for (i = 0; i < r->stage_count && n < sizeof(line); i++) {
		const struct sg_rules_stage *st = &r->stages[i];

		ADD("%s%s[", i ? "," : "", st->id);
		for (k = 0; k < st->exit_criteria_count; k++)
			ADD("%s%s", k ? ";" : "", st->exit_criteria[k]);
		ADD("|");
		for (k = 0; k < st->required_field_count; k++)
			ADD("%s%s", k ? ";" : "", st->required_fields[k]);
		ADD("]%s%s", st->closed ? "(closed)" : "",
		    st->won ? "(won)" : "");
	}
	ADD(" criteria=");
	for (i = 0; i < r->criterion_count && n < sizeof(line); i++)
		ADD("%s%s%s", i ? "," : "", r->criteria[i].id,
		    r->criteria[i].buyer_only ? "(buyer)" : "");
	ADD(" segment=%s placeholders=%zu",
	    r->segment_field ? r->segment_field : "-", r->placeholder_count);
#undef ADD
	s->host->log(s->host->ctx, SG_LOG_INFO, "testsrc rules: %s", line);
}

/* The pulls recorded runs made, counted in the plugin's state. */
static int testsrc_count_pull(struct testsrc_state *s, struct sg_error *err)
{
	const char *seen = s->host->state_get(s->host->ctx, "pulls");
	char next[32];

	s->host->log(s->host->ctx, SG_LOG_INFO, "testsrc state: pulls=%s",
		     seen != NULL ? seen : "none");
	snprintf(next, sizeof(next), "%lld",
		 (seen != NULL ? atoll(seen) : 0) + 1);
	return s->host->state_put(s->host->ctx, "pulls", next, err);
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
	if (s->pulls == 1) {
		testsrc_log_rules(s);
		rc = testsrc_count_pull(s, err);
		if (rc != SG_OK)
			return rc;
	}
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

static unsigned testsrc_stream_count(void *state)
{
	(void)state;
	return 2;
}

/* Stream 0 emits one buyer activity per opportunity, stream 1 one piece
 * of buyer evidence, each in one block. */
static int testsrc_pull_stream(void *state, unsigned stream,
			       struct sg_error *err)
{
	struct testsrc_state *s = state;
	char id[32];
	long long i;
	int rc;

	if (s->config->fail_stream == (long long)stream + 1)
		return sg_error_set(err, SG_ERR_SOURCE,
				    "stream %u failing as asked", stream + 1);
	for (i = 0; i < s->config->opportunities; i++) {
		snprintf(id, sizeof(id), "T%lld", i + 1);
		if (stream == 0) {
			struct sg_rec_activity a = { 0 };

			a.id = id;
			a.opportunity_id = id;
			a.type = SG_ACT_EMAIL;
			a.party = SG_PARTY_BUYER;
			a.occurred_at = 1793491200;
			a.actor = a.subject = "";
			rc = s->host->emit_activity(s->host->ctx, &a, NULL,
						    err);
		} else {
			struct sg_rec_evidence e = { 0 };

			e.opportunity_id = id;
			e.criterion = "pain";
			e.value = "yes";
			e.party = SG_PARTY_BUYER;
			e.observed_at = 1793491200;
			e.ref = "";
			rc = s->host->emit_evidence(s->host->ctx, &e, NULL,
						    err);
		}
		if (rc != SG_OK)
			return rc;
	}
	return 0;
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
	.stream_count = testsrc_stream_count,
	.pull_stream = testsrc_pull_stream,
};

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

const struct sg_plugin *sg_plugin_entry(void)
{
	return &testsrc_plugin;
}
