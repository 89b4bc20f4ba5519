/*
 * sg_sink.c - the host table a sink sees and a sink's life (sg_sink.h).
 */
#include "sg_sink.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_host.h"
#include "sg_options.h"
#include "sg_rules.h"
#include "util/sg_missing.h"

/* What the host table's calls are bound to while one sink writes. */
struct sink_ctx {
	const struct sg_config *config;  /* NULL: defaults only */
	const char *name;
	int verbose;
	struct sg_rules_view *rules;     /* NULL: no config, no rules */
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
	return 0;
}

static const char *sink_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
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
static int sink_failure(int rc, const char *name, int reading,
			struct sg_error *err)
{
	int keep = rc == SG_ERR_CONFIG || rc == SG_ERR_USAGE ||
		   rc == SG_ERR_NOMEM || rc == SG_ERR_PLUGIN ||
		   (reading && (rc == SG_ERR_IO || rc == SG_ERR_PARSE));

	if (!keep)
		rc = SG_ERR_SINK;
	if (err != NULL) {
		err->code = rc;
		sg_error_prefix(err, "%s: ", name);
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
	ctx->config = config;
	ctx->name = opts->name;
	ctx->verbose = opts->verbose ? opts->verbose : SG_LOG_WARN;
	ctx->rules = NULL;
	return config != NULL ? sg_rules_view_new(&ctx->rules, config, err) :
				SG_OK;
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
		sg_rules_view_free(ctx.rules);
		return sink_failure(rc, opts->name, 0, err);
	}
	rc = p->write(state, input, err);
	if (rc == SG_OK)
		rc = p->finish(state, err);
	p->close(state);
	sg_options_release(options, p);
	free(options);
	sg_rules_view_free(ctx.rules);
	return rc == SG_OK ? SG_OK : sink_failure(rc, opts->name, 0, err);
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
	if (rc != SG_OK)
		return sink_failure(rc, opts->name, 1, err);
	rc = p->verify(state, path, problem, arg, err);
	p->close(state);
	sg_options_release(options, p);
	free(options);
	return rc == SG_OK ? SG_OK : sink_failure(rc, opts->name, 1, err);
}
