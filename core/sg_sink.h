/*
 * sg_sink.h - writing through a sink plugin (DESIGN §2): the host table a
 * sink sees, and one sink's life: its options from the config, open,
 * write, finish, close.  Also asks a sink to verify an output it wrote.
 */
#ifndef SG_SINK_H
#define SG_SINK_H

#include "sg_config.h"
#include "sg_loader.h"
#include "sg_plugin.h"
#include "store/sg_ledger.h"

struct sg_sink_options {
	const char *name;       /* plugin name ("xlsx") */
	const char *arg;        /* the output the command line names, or
				 * NULL for the config's option */
	int verbose;            /* log level: SG_LOG_WARN (default),
				 * SG_LOG_INFO, SG_LOG_DEBUG */
	/* For a write-back sink's task_ref and decide calls; NULL: those
	 * calls fail (the command has no ledger). */
	struct sg_ledger *ledger;
	sg_time now;            /* when its decisions are recorded */
	int http_summary;       /* -v: its requests per endpoint at the end */
	/* The host table's file_ready (struct sg_host) for input files the
	 * caller is still writing; NULL: every file is complete. */
	int (*file_ready)(void *arg, size_t index, struct sg_error *err);
	void *file_ready_arg;
};

/*
 * The sink plugin `opts->name` of registry, or NULL with SG_ERR_PLUGIN in
 * err (naming the plugins found).
 */
const struct sg_plugin *sg_sink_find(const struct sg_registry *registry,
				     const char *name, struct sg_error *err);

/*
 * Fills the sink's options from config->sinks.<name> (absent: its
 * defaults), opens it with opts->arg, writes input, finishes and closes
 * it.  config may be NULL (defaults only; relative paths then resolve
 * against the current folder).  Errors keep the plugin's code and gain
 * the prefix "NAME: "; a failure that is not about the config or the
 * command line becomes SG_ERR_SINK (exit status 4), and so does any but
 * a config, usage or memory error of a sink that talked to a server.
 */
int sg_sink_write(const struct sg_config *config,
		  const struct sg_registry *registry,
		  const struct sg_sink_options *opts,
		  const struct sg_sink_input *input, struct sg_error *err);

/*
 * Asks the sink to check `path`, an output it wrote (a bundle), calling
 * problem() once per difference.  SG_ERR_USAGE when the sink cannot
 * verify; otherwise as the plugin's verify().
 */
int sg_sink_verify(const struct sg_registry *registry,
		   const struct sg_sink_options *opts, const char *path,
		   sg_problem_fn problem, void *arg, struct sg_error *err);

#endif
