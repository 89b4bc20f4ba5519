/*
 * sg_source.c - the host table a source plugin sees, the pull loop and
 * its streams, and validation of plugin sections (see sg_source.h).
 */
#include "sg_source.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sg_http.h"
#include "sg_inputs.h"
#include "sg_host.h"
#include "sg_options.h"
#include "sg_pull_progress.h"
#include "sg_redact.h"
#include "sg_rules.h"
#include "sg_secrets.h"
#include "util/sg_missing.h"

/* The model part the calling thread adds to (sg_model.h): 0 for what
 * pull() emits, 1 + i for what stream i emits.  So two streams of the same
 * record kind (the halves of one file) never add to the same part, and
 * the model keeps each kind's records in stream order. */
static _Thread_local unsigned host_part;

/* What the host table's calls are bound to during one pull. */
struct host_ctx {
	struct sg_model *model;
	struct sg_inputs_writer *inputs; /* NULL: records are not kept */
	struct sg_state *state;  /* NULL: none (a pull's own state below) */
	struct sg_rules_view *rules;
	volatile sig_atomic_t used_network; /* the plugin made an exchange */
	struct sg_http_client *http;
	struct sg_pull_progress net;    /* records and pages on a terminal */
	const struct sg_pull_options *opts;
	const struct sg_config *config;
	const char *name;
	int verbose;
	int progress;
	unsigned long long last_progress;
	pthread_mutex_t lock;   /* progress and the first stream error */
	volatile sig_atomic_t stream_failed; /* stops the other streams */
};

/*
 * Each emit redacts the registered secrets first (sg_redact.h), then adds
 * the record to the model and, when kept, to the inputs.
 */
#define HOST_EMIT(kind, counted, model_add, inputs_add)                    \
	static int host_emit_##kind(void *ctx, const struct sg_rec_##kind *r, \
				    const struct sg_where *where,           \
				    struct sg_error *err)                   \
	{                                                                   \
		struct host_ctx *h = ctx;                                   \
		struct sg_redacted red = { 0 };                             \
		struct sg_rec_##kind copy;                                  \
		struct sg_where where_copy;                                 \
		int rc;                                                     \
									    \
		r = sg_redact_##kind(r, &copy, &red);                       \
		where = sg_redact_where(where, &where_copy, &red);          \
		if (red.failed)                                             \
			rc = sg_error_set(err, SG_ERR_NOMEM, "out of "       \
					  "memory redacting a record");     \
		else                                                        \
			rc = model_add;                                     \
		if (rc == SG_OK && h->inputs != NULL)                       \
			rc = inputs_add;                                    \
		if (rc == SG_OK && h->used_network)                         \
			sg_pull_progress_record(&h->net, counted);          \
		sg_redacted_release(&red);                                  \
		return rc;                                                  \
	}

HOST_EMIT(opportunity, SG_PULL_OPPORTUNITY,
	  sg_model_add_opportunity(h->model, r, where, err),
	  sg_inputs_add_opportunity(h->inputs, host_part, r, where, err))
HOST_EMIT(stage_event, SG_PULL_STAGE_EVENT,
	  sg_model_add_stage_event_to(h->model, host_part, r, where, err),
	  sg_inputs_add_stage_event(h->inputs, host_part, r, where, err))
HOST_EMIT(field_change, SG_PULL_FIELD_CHANGE,
	  sg_model_add_field_change_to(h->model, host_part, r, where, err),
	  sg_inputs_add_field_change(h->inputs, host_part, r, where, err))
HOST_EMIT(activity, SG_PULL_ACTIVITY,
	  sg_model_add_activity_to(h->model, host_part, r, where, err),
	  sg_inputs_add_activity(h->inputs, host_part, r, where, err))
HOST_EMIT(evidence, SG_PULL_EVIDENCE,
	  sg_model_add_evidence_to(h->model, host_part, r, where, err),
	  sg_inputs_add_evidence(h->inputs, host_part, r, where, err))
HOST_EMIT(owner, SG_PULL_OWNER,
	  sg_model_add_owner(h->model, r, where, err),
	  sg_inputs_add_owner(h->inputs, host_part, r, where, err))

static int host_emit_snapshot(void *ctx, const struct sg_rec_snapshot *r,
			      struct sg_error *err)
{
	struct host_ctx *h = ctx;
	struct sg_redacted red = { 0 };
	struct sg_rec_snapshot copy;
	int rc;

	r = sg_redact_snapshot(r, &copy, &red);
	if (red.failed)
		rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory redacting "
				  "a record");
	else
		rc = sg_model_set_snapshot(h->model, r, err);
	if (rc == SG_OK && h->inputs != NULL)
		rc = sg_inputs_add_snapshot(h->inputs, host_part, r, err);
	sg_redacted_release(&red);
	return rc;
}

static void host_log(void *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void host_log(void *ctx, int level, const char *fmt, ...)
{
	struct host_ctx *h = ctx;
	va_list ap;

	va_start(ap, fmt);
	sg_host_vlog(h->name, h->verbose, level, fmt, ap);
	va_end(ap);
}

static void host_progress(void *ctx, const char *what,
			  unsigned long long done, unsigned long long total)
{
	struct host_ctx *h = ctx;

	/* Progress is for a person watching a terminal, never for logs. */
	if (!h->progress)
		return;
	pthread_mutex_lock(&h->lock);
	if (done < h->last_progress || done - h->last_progress >= 1000000ull) {
		h->last_progress = done;
		if (total > 0)
			fprintf(stderr, "\r%s: %s %llu%%   ", h->name, what,
				done * 100 / total);
		else
			fprintf(stderr, "\r%s: %s %llu   ", h->name, what,
				done);
	}
	pthread_mutex_unlock(&h->lock);
}

static int host_cancelled(void *ctx)
{
	const struct host_ctx *h = ctx;

	return sg_host_cancel_requested() || (h != NULL && h->stream_failed);
}

static int host_http(void *ctx, const struct sg_http_request *req,
		     struct sg_http_response *resp, struct sg_error *err)
{
	struct host_ctx *h = ctx;

	int rc;

	h->used_network = 1;
	rc = sg_http_perform(h->http, req, resp, err);
	sg_pull_progress_page(&h->net);
	return rc;
}

static int host_http_pace(void *ctx, const char *name, unsigned requests,
			  long interval_ms, struct sg_error *err)
{
	return sg_http_client_pace(((struct host_ctx *)ctx)->http, name,
				   requests, interval_ms, err);
}

static const char *host_http_header(void *ctx,
				    const struct sg_http_response *resp,
				    const char *name)
{
	(void)ctx;
	return sg_http_header(resp, name);
}

static int host_add_secret(void *ctx, const char *value,
			   struct sg_error *err)
{
	(void)ctx;
	return sg_secrets_add(value, err);
}

/*
 * A source that talks to a CRM and fails, fails for a network or API
 * reason (exit 4), whatever code it used: a page of broken JSON is the
 * API's fault, not the user's input.  Its config, the command line,
 * memory, a cancellation and a paused run keep their codes.
 */
static int source_failure(const struct host_ctx *h, int rc,
			  struct sg_error *err)
{
	if (!h->used_network || rc == SG_ERR_CONFIG || rc == SG_ERR_USAGE ||
	    rc == SG_ERR_NOMEM || rc == SG_ERR_CANCELLED ||
	    rc == SG_ERR_STALE || rc == SG_ERR_SOURCE || rc == SG_ERR_HTTP)
		return rc;
	if (err != NULL)
		err->code = SG_ERR_SOURCE;
	return SG_ERR_SOURCE;
}

static void host_http_response_free(void *ctx, struct sg_http_response *resp)
{
	(void)ctx;
	sg_http_response_free(resp);
}

static const char *host_getenv(void *ctx, const char *name)
{
	const struct host_ctx *h = ctx;

	return sg_host_getenv(name, h->config->sources ?
			      json_object_get(h->config->sources, h->name) :
			      NULL);
}

static int host_is_missing(void *ctx, const char *value, int is_amount)
{
	struct host_ctx *h = ctx;

	return sg_value_is_missing(value, value ? strlen(value) : 0,
				   &h->config->placeholders, is_amount);
}

static const char *host_config_dir(void *ctx)
{
	return ((struct host_ctx *)ctx)->config->dir;
}

static const char *host_state_get(void *ctx, const char *key)
{
	struct host_ctx *h = ctx;

	return sg_state_get(h->state, key);
}

static int host_state_put(void *ctx, const char *key, const char *value,
			  struct sg_error *err)
{
	struct host_ctx *h = ctx;

	return sg_state_put(h->state, key, value, err);
}

static int host_describing(void *ctx)
{
	return ((struct host_ctx *)ctx)->opts->described != NULL;
}

static const struct sg_rules *host_rules(void *ctx)
{
	const struct host_ctx *h = ctx;

	return sg_rules_of(h->rules);
}

static void host_table(struct sg_host *host, struct host_ctx *ctx)
{
	memset(host, 0, sizeof(*host));
	host->version = SG_HOST_VERSION;
	host->size = sizeof(*host);
	host->ctx = ctx;
	host->emit_opportunity = host_emit_opportunity;
	host->emit_stage_event = host_emit_stage_event;
	host->emit_field_change = host_emit_field_change;
	host->emit_activity = host_emit_activity;
	host->emit_evidence = host_emit_evidence;
	host->emit_owner = host_emit_owner;
	host->emit_snapshot = host_emit_snapshot;
	host->log = host_log;
	host->progress = host_progress;
	host->cancelled = host_cancelled;
	host->http = host_http;
	host->http_response_free = host_http_response_free;
	host->getenv = host_getenv;
	host->is_missing = host_is_missing;
	host->config_dir = host_config_dir;
	host->state_get = host_state_get;
	host->state_put = host_state_put;
	host->rules = host_rules;
	host->add_secret = host_add_secret;
	host->http_pace = host_http_pace;
	host->http_header = host_http_header;
	host->describing = host_describing;
}

static json_t *plugin_section(const struct sg_config *config,
			      const char *group, const char *name)
{
	json_t *sections = strcmp(group, "sources") == 0 ? config->sources :
							     config->sinks;

	return sections ? json_object_get(sections, name) : NULL;
}

static int pull_loop(const struct sg_plugin *p, void *state,
		     struct sg_error *err)
{
	for (;;) {
		int rc = p->pull(state, err);

		if (rc == 0)
			return SG_OK;
		if (rc < 0)
			return rc;
		if (sg_host_cancel_requested())
			return sg_error_set(err, SG_ERR_CANCELLED,
					    "cancelled");
	}
}

/* Streams are pulled by a few workers taking the next stream in turn. */
#define SG_STREAM_WORKERS 2

struct stream_pool {
	const struct sg_plugin *plugin;
	void *state;
	struct host_ctx *ctx;
	unsigned count, next;
	int rc;                 /* the first failure */
	struct sg_error err;
};

static void stream_fail(struct stream_pool *pool, int rc,
			const struct sg_error *err)
{
	pthread_mutex_lock(&pool->ctx->lock);
	if (pool->rc == SG_OK) {
		pool->rc = rc;
		pool->err = *err;
	}
	pool->ctx->stream_failed = 1;
	pthread_mutex_unlock(&pool->ctx->lock);
}

static double seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void *stream_worker(void *arg)
{
	struct stream_pool *pool = arg;
	struct timespec t0, t1, cpu0, cpu1;
	struct sg_error err;

	for (;;) {
		unsigned stream;
		int rc;

		pthread_mutex_lock(&pool->ctx->lock);
		stream = pool->next++;
		pthread_mutex_unlock(&pool->ctx->lock);
		if (stream >= pool->count || pool->ctx->stream_failed)
			break;
		host_part = stream + 1;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		sg_error_clear(&err);
		do {
			rc = pool->plugin->pull_stream(pool->state, stream,
						       &err);
			if (rc > 0 && (sg_host_cancel_requested() ||
				       pool->ctx->stream_failed))
				rc = sg_error_set(&err, SG_ERR_CANCELLED,
						  "cancelled");
		} while (rc > 0);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		host_log(pool->ctx, SG_LOG_DEBUG, "stream %u: %.2f s, %.2f s "
			 "of CPU", stream, seconds(&t0, &t1),
			 seconds(&cpu0, &cpu1));
		if (rc < 0) {
			stream_fail(pool, rc, &err);
			break;
		}
	}
	host_part = 0;
	return NULL;
}

/*
 * Pulls the plugin's streams (sg_plugin.h) with up to SG_STREAM_WORKERS
 * threads, the calling thread among them.  The first failure stops the
 * other streams at their next block and is the one reported.
 */
static int pull_streams(const struct sg_plugin *p, void *state,
			struct host_ctx *ctx, struct sg_error *err)
{
	struct stream_pool pool;
	pthread_t threads[SG_STREAM_WORKERS];
	int started = 0, i;

	if (p->stream_count == NULL || p->pull_stream == NULL)
		return SG_OK;
	memset(&pool, 0, sizeof(pool));
	pool.plugin = p;
	pool.state = state;
	pool.ctx = ctx;
	pool.count = p->stream_count(state);
	if (pool.count > 0 &&
	    sg_model_set_parts(ctx->model, pool.count + 1, err) != SG_OK)
		return SG_ERR_NOMEM;
	if (pool.count > 0 && ctx->inputs != NULL &&
	    sg_inputs_writer_parts(ctx->inputs, pool.count + 1, err) != SG_OK)
		return SG_ERR_NOMEM;
	for (i = 1; i < SG_STREAM_WORKERS && (unsigned)i < pool.count; i++)
		if (pthread_create(&threads[started], NULL, stream_worker,
				   &pool) == 0)
			started++;
	stream_worker(&pool);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	if (pool.rc != SG_OK && err != NULL)
		*err = pool.err;
	return pool.rc;
}

/* `init --from`: the plugin's description of its pipeline, handed on. */
static int pull_describe(const struct sg_plugin *p, void *state,
			 const struct sg_pull_options *opts,
			 struct sg_error *err)
{
	struct sg_pipeline_description d;
	int rc;

	if (p->describe == NULL)
		return sg_error_set(err, SG_ERR_PLUGIN, "this source cannot "
				    "describe its pipeline: write the "
				    "stages of the config by hand "
				    "(`stageguard init` writes a starter)");
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	rc = p->describe(state, &d, err);
	if (rc == SG_OK)
		rc = opts->described(opts->described_arg, &d, err);
	return rc;
}

/* The pull's HTTP client: its trace at -vv, its waits end on a
 * cancellation or another stream's failure. */
static int http_client_for(struct host_ctx *ctx, struct sg_error *err)
{
	struct sg_http_setup setup;

	memset(&setup, 0, sizeof(setup));
	setup.name = ctx->name;
	setup.verbose = ctx->verbose;
	setup.cancelled = host_cancelled;
	setup.ctx = ctx;
	return sg_http_client_new(&ctx->http, &setup, err);
}

int sg_source_pull(struct sg_model *model, const struct sg_config *config,
		   const struct sg_registry *registry,
		   const struct sg_pull_options *opts, struct sg_error *err)
{
	const struct sg_loaded_plugin *loaded;
	const struct sg_plugin *p;
	struct host_ctx ctx;
	struct sg_host host;
	struct sg_state *own_state = NULL;
	char json_path[300];
	void *options = NULL, *state = NULL;
	int rc;

	loaded = sg_registry_find(registry, opts->name, SG_PLUGIN_SOURCE, err);
	if (loaded == NULL)
		return SG_ERR_PLUGIN;
	memset(&ctx, 0, sizeof(ctx));
	ctx.model = model;
	ctx.inputs = opts->inputs;
	ctx.state = opts->state;
	ctx.config = config;
	ctx.name = opts->name;
	ctx.opts = opts;
	ctx.verbose = opts->verbose ? opts->verbose : SG_LOG_WARN;
	ctx.progress = !opts->quiet && isatty(STDERR_FILENO);
	if (pthread_mutex_init(&ctx.lock, NULL) != 0)
		return sg_error_set(err, SG_ERR_NOMEM, "cannot create a lock");
	p = loaded->plugin;
	options = calloc(1, p->config_size ? p->config_size : 1);
	if (options == NULL) {
		pthread_mutex_destroy(&ctx.lock);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	snprintf(json_path, sizeof(json_path), "$.sources.%s", opts->name);
	rc = sg_options_fill_as(options, p,
				plugin_section(config, "sources", opts->name),
				json_path, SG_PLUGIN_SOURCE, err);
	if (rc != SG_OK) {
		if (err && err->path[0] == '\0')
			snprintf(err->path, sizeof(err->path), "%s",
				 config->path);
		goto out;
	}
	/* Without the caller's state, the plugin's changes last for this
	 * pull only. */
	if (ctx.state == NULL) {
		rc = sg_state_load(&own_state, NULL, opts->name, err);
		if (rc != SG_OK)
			goto out;
		ctx.state = own_state;
	}
	rc = sg_rules_view_new(&ctx.rules, config, err);
	if (rc == SG_OK)
		rc = http_client_for(&ctx, err);
	if (rc != SG_OK)
		goto out;
	sg_pull_progress_init(&ctx.net, opts->name,
			      ctx.progress ? stderr : NULL);
	host_table(&host, &ctx);
	rc = p->open(&state, options, opts->arg, &host, err);
	if (rc == SG_OK) {
		struct timespec t0, t1, t2;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = pull_loop(p, state, err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rc == SG_OK)
			rc = pull_streams(p, state, &ctx, err);
		if (rc == SG_OK && opts->described != NULL)
			rc = pull_describe(p, state, opts, err);
		clock_gettime(CLOCK_MONOTONIC, &t2);
		host_log(&ctx, SG_LOG_DEBUG, "pulled in %.2f s, streams in "
			 "%.2f s", seconds(&t0, &t1), seconds(&t1, &t2));
		p->close(state);
	}
	if (ctx.progress && ctx.last_progress > 0)
		fputc('\n', stderr);
	sg_pull_progress_end(&ctx.net);
	if (ctx.verbose >= SG_LOG_INFO)
		sg_http_client_summary(ctx.http, stderr);
	if (rc != SG_OK) {
		rc = source_failure(&ctx, rc, err);
		sg_secrets_redact_error(err);
		sg_error_prefix(err, "%s: ", opts->name);
	}
out:
	sg_http_client_free(ctx.http);
	sg_rules_view_free(ctx.rules);
	sg_state_free(own_state);
	sg_options_release(options, p);
	free(options);
	pthread_mutex_destroy(&ctx.lock);
	return rc;
}

static int validate_group(const struct sg_config *config,
			  const struct sg_registry *registry,
			  const char *group, unsigned kind,
			  struct sg_error *err)
{
	json_t *sections = strcmp(group, "sources") == 0 ? config->sources :
							     config->sinks;
	const char *name;
	json_t *section;

	if (sections == NULL)
		return SG_OK;
	json_object_foreach(sections, name, section) {
		const struct sg_loaded_plugin *loaded;
		struct sg_error find_err;
		char json_path[300];
		void *options;
		int rc;

		snprintf(json_path, sizeof(json_path), "$.%s.%s", group, name);
		loaded = sg_registry_find(registry, name, kind, &find_err);
		if (loaded == NULL)
			return sg_error_set_at(err, SG_ERR_CONFIG,
					       config->path, 0, 0, "%s: %s",
					       json_path, find_err.message);
		options = calloc(1, loaded->plugin->config_size + 1);
		if (options == NULL)
			return sg_error_set(err, SG_ERR_NOMEM,
					    "out of memory");
		rc = sg_options_fill_as(options, loaded->plugin, section,
					json_path, kind, err);
		sg_options_release(options, loaded->plugin);
		free(options);
		if (rc != SG_OK) {
			if (err && err->path[0] == '\0')
				snprintf(err->path, sizeof(err->path), "%s",
					 config->path);
			return rc;
		}
	}
	return SG_OK;
}

int sg_source_validate_sections(const struct sg_config *config,
				const struct sg_registry *registry,
				struct sg_error *err)
{
	int rc = validate_group(config, registry, "sources", SG_PLUGIN_SOURCE,
				err);

	if (rc == SG_OK)
		rc = validate_group(config, registry, "sinks", SG_PLUGIN_SINK,
				    err);
	return rc;
}
