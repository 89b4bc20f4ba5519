/*
 * sg_sink.c - the host table a sink sees and a sink's life (sg_sink.h).
 */
#include "sg_sink.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "sg_host.h"
#include "sg_http.h"
#include "sg_options.h"
#include "sg_rules.h"
#include "sg_secrets.h"
#include "store/sg_review.h"
#include "util/sg_missing.h"

/* What the host table's calls are bound to while one sink writes. */
struct sink_ctx {
	const struct sg_config *config;  /* NULL: defaults only */
	const char *name;
	int verbose;
	struct sg_rules_view *rules;     /* NULL: no config, no rules */
	struct sg_ledger *ledger;        /* NULL: no write-back calls */
	sg_time now;
	struct sg_http_client *http;
	volatile int used_network;       /* the sink made an exchange */
	int http_summary;
	int (*file_ready)(void *arg, size_t index, struct sg_error *err);
	void *file_ready_arg;
};

/* What a sink without a config sees: no stage, no criterion. */
static const struct sg_rules sink_no_rules = { sizeof(struct sg_rules),
	NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, 0 };

static const struct sg_rules *sink_rules(void *ctx)
{
	const struct sink_ctx *h = ctx;

	return h->rules != NULL ? sg_rules_of(h->rules) : &sink_no_rules;
}

static void sink_log(void *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void sink_log(void *ctx, int level, const char *fmt, ...)
{
	const struct sink_ctx *h = ctx;
	va_list ap;

	va_start(ap, fmt);
	sg_host_vlog(h->name, h->verbose, level, fmt, ap);
	va_end(ap);
}

/* Sinks write files, not terminals: their progress is only logged. */
static void sink_progress(void *ctx, const char *what,
			  unsigned long long done, unsigned long long total)
{
	sink_log(ctx, SG_LOG_DEBUG, "%s %llu of %llu", what, done, total);
}

static int sink_cancelled(void *ctx)
{
	(void)ctx;
	return sg_host_cancel_requested();
}

static const char *sink_getenv(void *ctx, const char *name)
{
	const struct sink_ctx *h = ctx;

	return sg_host_getenv(name, h->config && h->config->sinks ?
			      json_object_get(h->config->sinks, h->name) :
			      NULL);
}

static int sink_http(void *ctx, const struct sg_http_request *req,
		     struct sg_http_response *resp, struct sg_error *err)
{
	struct sink_ctx *h = ctx;

	h->used_network = 1;
	return sg_http_perform(h->http, req, resp, err);
}

static void sink_http_response_free(void *ctx, struct sg_http_response *resp)
{
	(void)ctx;
	sg_http_response_free(resp);
}

static int sink_http_pace(void *ctx, const char *name, unsigned requests,
			  long interval_ms, struct sg_error *err)
{
	return sg_http_client_pace(((struct sink_ctx *)ctx)->http, name,
				   requests, interval_ms, err);
}

static const char *sink_http_header(void *ctx,
				    const struct sg_http_response *resp,
				    const char *name)
{
	(void)ctx;
	return sg_http_header(resp, name);
}

static int sink_add_secret(void *ctx, const char *value,
			   struct sg_error *err)
{
	(void)ctx;
	return sg_secrets_add(value, err);
}

/* --- Writing review tasks back to a CRM. --- */

static int sink_no_ledger(const struct sink_ctx *h, struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_USAGE, "%s: this command keeps no "
			    "ledger, so tasks cannot be written back; use "
			    "`stageguard run`", h->name);
}

/* 1 with the text copied into out, 0 for none, or an error. */
static int sink_copy_found(char *found, char *out, size_t size,
			   struct sg_error *err)
{
	int rc = 0;

	if (found != NULL) {
		if (strlen(found) >= size)
			rc = sg_error_set(err, SG_ERR_PLUGIN, "a buffer of %zu "
					  "bytes cannot hold the %zu-byte "
					  "answer (give %d)", size,
					  strlen(found) + 1,
					  SG_TASK_REF_MAX + 1);
		else
			rc = 1;
		if (rc == 1)
			memcpy(out, found, strlen(found) + 1);
	}
	free(found);
	return rc;
}

static int sink_task_ref_get(void *ctx, const char *exception_id, char *ref,
			     size_t size, struct sg_error *err)
{
	struct sink_ctx *h = ctx;
	char *found = NULL;
	int rc;

	if (h->ledger == NULL)
		return sink_no_ledger(h, err);
	rc = sg_ledger_task_ref_get(h->ledger, h->name, exception_id, &found,
				    err);
	return rc != SG_OK ? rc : sink_copy_found(found, ref, size, err);
}

static int sink_task_ref_find(void *ctx, const char *ref, char *exception_id,
			      size_t size, struct sg_error *err)
{
	struct sink_ctx *h = ctx;
	char *found = NULL;
	int rc;

	if (h->ledger == NULL)
		return sink_no_ledger(h, err);
	rc = sg_ledger_task_ref_find(h->ledger, h->name, ref, &found, err);
	return rc != SG_OK ? rc : sink_copy_found(found, exception_id, size,
						 err);
}

/* Text a ledger and a JSON tool can hold. */
static int sink_is_text(const char *value)
{
	json_t *j = json_string(value);

	json_decref(j);
	return j != NULL;
}

static int sink_task_ref_put(void *ctx, const char *exception_id,
			     const char *ref, struct sg_error *err)
{
	struct sink_ctx *h = ctx;

	if (h->ledger == NULL)
		return sink_no_ledger(h, err);
	if (ref != NULL && (!sink_is_text(ref) || sg_secrets_found(ref,
								  strlen(ref))))
		return sg_error_set(err, SG_ERR_PLUGIN, "a task reference "
				    "must be UTF-8 text and hold no secret");
	return sg_ledger_task_ref_put(h->ledger, h->name, exception_id, ref,
				      h->now, err);
}

static int sink_decide(void *ctx, const struct sg_sink_decision *given,
		       struct sg_error *err)
{
	struct sink_ctx *h = ctx;
	struct sg_sink_decision d;
	struct sg_review_decision rd;
	char source[128];

	if (h->ledger == NULL)
		return sink_no_ledger(h, err);
	if (given == NULL || given->size == 0)
		return sg_error_set(err, SG_ERR_PLUGIN, "a decision without "
				    "its size: set d.size = sizeof(struct "
				    "sg_sink_decision)");
	memset(&d, 0, sizeof(d));
	memcpy(&d, given, given->size < sizeof(d) ? given->size : sizeof(d));
	memset(&rd, 0, sizeof(rd));
	rd.exception_id = d.exception_id;
	rd.disposition = d.disposition != NULL ?
			 sg_disposition_from_name(d.disposition) : -1;
	if (rd.disposition < 0)
		return sg_error_set(err, SG_ERR_REFUSED, "%.100s: the "
				    "disposition \"%.40s\" is not one of "
				    "approve, correct, escalate, reassign, log, "
				    "block", d.exception_id ? d.exception_id :
				    "?", d.disposition ? d.disposition : "");
	rd.by = d.by;
	rd.note = d.note;
	rd.at = d.at;
	rd.to = d.to;
	snprintf(source, sizeof(source), "sink:%s", h->name);
	rd.source = source;
	rd.recorded_at = h->now;
	return sg_review_decide(h->ledger, &rd, err);
}

static int sink_is_missing(void *ctx, const char *value, int is_amount)
{
	const struct sink_ctx *h = ctx;
	static const struct sg_placeholders none;

	return sg_value_is_missing(value, value ? strlen(value) : 0,
				   h->config ? &h->config->placeholders :
				   &none, is_amount);
}

static const char *sink_config_dir(void *ctx)
{
	const struct sink_ctx *h = ctx;

	return h->config ? h->config->dir : ".";
}

static int sink_file_ready(void *ctx, size_t index, struct sg_error *err)
{
	const struct sink_ctx *h = ctx;

	return h->file_ready != NULL ?
	       h->file_ready(h->file_ready_arg, index, err) : SG_OK;
}

static void sink_host_table(struct sg_host *host, struct sink_ctx *ctx)
{
	memset(host, 0, sizeof(*host));
	host->version = SG_HOST_VERSION;
	host->size = sizeof(*host);
	host->ctx = ctx;
	host->log = sink_log;
	host->progress = sink_progress;
	host->cancelled = sink_cancelled;
	host->getenv = sink_getenv;
	host->is_missing = sink_is_missing;
	host->config_dir = sink_config_dir;
	host->rules = sink_rules;
	host->http = sink_http;
	host->http_response_free = sink_http_response_free;
	host->http_pace = sink_http_pace;
	host->http_header = sink_http_header;
	host->add_secret = sink_add_secret;
	host->task_ref_get = sink_task_ref_get;
	host->task_ref_put = sink_task_ref_put;
	host->task_ref_find = sink_task_ref_find;
	host->decide = sink_decide;
	host->file_ready = sink_file_ready;
}

const struct sg_plugin *sg_sink_find(const struct sg_registry *registry,
				     const char *name, struct sg_error *err)
{
	const struct sg_loaded_plugin *loaded;

	loaded = sg_registry_find(registry, name, SG_PLUGIN_SINK, err);
	return loaded ? loaded->plugin : NULL;
}

/* The plugin's options from config->sinks.<name>, or its defaults. */
static int sink_options(void **out, const struct sg_plugin *p,
			const struct sg_config *config,
			struct sg_error *err)
{
	json_t *section = NULL;
	char json_path[300];
	int rc;

	*out = calloc(1, p->config_size ? p->config_size : 1);
	if (*out == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	if (config != NULL && config->sinks != NULL)
		section = json_object_get(config->sinks, p->name);
	snprintf(json_path, sizeof(json_path), "$.sinks.%s", p->name);
	rc = sg_options_fill_as(*out, p, section, json_path, SG_PLUGIN_SINK,
				err);
	if (rc != SG_OK) {
		if (config != NULL && err && err->path[0] == '\0')
			snprintf(err->path, sizeof(err->path), "%s",
				 config->path);
		sg_options_release(*out, p);
		free(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * A sink that cannot write its output failed (exit status 4); what the
 * user can fix keeps its code (a bad option or command line), and so do
 * input errors when the sink was reading (verify: a damaged file).
 */
static int sink_failure(int rc, const struct sink_ctx *h, int reading,
			struct sg_error *err)
{
	int keep = rc == SG_ERR_CONFIG || rc == SG_ERR_USAGE ||
		   rc == SG_ERR_NOMEM || (!h->used_network &&
		   (rc == SG_ERR_PLUGIN || (reading && (rc == SG_ERR_IO ||
						       rc == SG_ERR_PARSE))));

	if (!keep)
		rc = SG_ERR_SINK;
	if (err != NULL) {
		err->code = rc;
		sg_secrets_redact_error(err);
		sg_error_prefix(err, "%s: ", h->name);
	}
	return rc;
}

/* Opens the sink with its options; on SG_OK *state and *options are the
 * caller's to close and release. */
static int sink_open(const struct sg_plugin *p,
		     const struct sg_config *config, struct sink_ctx *ctx,
		     struct sg_host *host, const char *arg, void **state,
		     void **options, struct sg_error *err)
{
	int rc = sink_options(options, p, config, err);

	if (rc != SG_OK)
		return rc;
	sink_host_table(host, ctx);
	*state = NULL;
	rc = p->open(state, *options, arg, host, err);
	if (rc != SG_OK) {
		sg_options_release(*options, p);
		free(*options);
		*options = NULL;
	}
	return rc;
}

static int sink_ctx_init(struct sink_ctx *ctx,
			 const struct sg_config *config,
			 const struct sg_sink_options *opts, struct sg_error *err)
{
	struct sg_http_setup setup;
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	ctx->config = config;
	ctx->name = opts->name;
	ctx->verbose = opts->verbose ? opts->verbose : SG_LOG_WARN;
	ctx->ledger = opts->ledger;
	ctx->now = opts->now;
	ctx->http_summary = opts->http_summary;
	ctx->file_ready = opts->file_ready;
	ctx->file_ready_arg = opts->file_ready_arg;
	memset(&setup, 0, sizeof(setup));
	setup.name = opts->name;
	setup.verbose = ctx->verbose;
	setup.cancelled = sink_cancelled;
	rc = sg_http_client_new(&ctx->http, &setup, err);
	if (rc == SG_OK && config != NULL)
		rc = sg_rules_view_new(&ctx->rules, config, err);
	return rc;
}

static void sink_ctx_release(struct sink_ctx *ctx)
{
	if (ctx->http_summary)
		sg_http_client_summary(ctx->http, stderr);
	sg_http_client_free(ctx->http);
	sg_rules_view_free(ctx->rules);
}

int sg_sink_write(const struct sg_config *config,
		  const struct sg_registry *registry,
		  const struct sg_sink_options *opts,
		  const struct sg_sink_input *input, struct sg_error *err)
{
	const struct sg_plugin *p = sg_sink_find(registry, opts->name, err);
	struct sink_ctx ctx;
	struct sg_host host;
	void *state, *options;
	int rc;

	if (p == NULL)
		return SG_ERR_PLUGIN;
	rc = sink_ctx_init(&ctx, config, opts, err);
	if (rc == SG_OK)
		rc = sink_open(p, config, &ctx, &host, opts->arg, &state,
			       &options, err);
	if (rc != SG_OK) {
		rc = sink_failure(rc, &ctx, 0, err);
		sink_ctx_release(&ctx);
		return rc;
	}
	rc = p->write(state, input, err);
	if (rc == SG_OK)
		rc = p->finish(state, err);
	p->close(state);
	sg_options_release(options, p);
	free(options);
	if (rc != SG_OK)
		rc = sink_failure(rc, &ctx, 0, err);
	sink_ctx_release(&ctx);
	return rc;
}

int sg_sink_verify(const struct sg_registry *registry,
		   const struct sg_sink_options *opts, const char *path,
		   sg_problem_fn problem, void *arg, struct sg_error *err)
{
	const struct sg_plugin *p = sg_sink_find(registry, opts->name, err);
	struct sink_ctx ctx;
	struct sg_host host;
	void *state, *options;
	int rc;

	if (p == NULL)
		return SG_ERR_PLUGIN;
	if (p->verify == NULL)
		return sg_error_set(err, SG_ERR_USAGE, "the %s sink cannot "
				    "verify its output", opts->name);
	/* Opened with its defaults: the file to check may have any name
	 * (a renamed bundle), which open() would refuse as an output. */
	rc = sink_ctx_init(&ctx, NULL, opts, err);
	if (rc == SG_OK)
		rc = sink_open(p, NULL, &ctx, &host, NULL, &state, &options,
			       err);
	if (rc != SG_OK) {
		rc = sink_failure(rc, &ctx, 1, err);
		sink_ctx_release(&ctx);
		return rc;
	}
	rc = p->verify(state, path, problem, arg, err);
	p->close(state);
	sg_options_release(options, p);
	free(options);
	if (rc != SG_OK)
		rc = sink_failure(rc, &ctx, 1, err);
	sink_ctx_release(&ctx);
	return rc;
}
