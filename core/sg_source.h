/*
 * sg_source.h - pulling a source plugin into a model: the host table the
 * plugin sees, bound to one model.
 */
#ifndef SG_SOURCE_H
#define SG_SOURCE_H

#include "sg_config.h"
#include "sg_loader.h"
#include "sg_model.h"
#include "sg_inputs.h"
#include "sg_state.h"

/* Options for one pull. */
struct sg_pull_options {
	const char *name;       /* plugin name ("csv") */
	const char *arg;        /* NAME:ARG's ARG, or NULL */
	int verbose;            /* log level: SG_LOG_INFO, SG_LOG_DEBUG */
	int quiet;              /* progress off */
	/* Each record emitted is also added here (NULL: not kept), to the
	 * part its emitting thread adds to in the model. */
	struct sg_inputs_writer *inputs;
	/* The plugin's state (sg_state.h); NULL: none, a get finds
	 * nothing and a put is kept for this pull only. */
	struct sg_state *state;
	/* `init --from`: after a pull that ended well the plugin describes
	 * its pipeline and described() gets the description (borrowed for
	 * the call).  NULL: not asked. */
	int (*described)(void *arg, const struct sg_pipeline_description *d,
			 struct sg_error *err);
	void *described_arg;
};

/*
 * Loads the source plugin `opts->name` from registry, fills its options
 * from config->sources.<name> (validated against its option table), opens
 * it with opts->arg, and pulls until done, emitting into model.  Does not
 * finish the model.  Errors keep the plugin's code and gain the prefix
 * "NAME: "; a plugin's failure that is not about its input is SG_ERR_SOURCE.
 */
int sg_source_pull(struct sg_model *model, const struct sg_config *config,
		   const struct sg_registry *registry,
		   const struct sg_pull_options *opts, struct sg_error *err);

/*
 * Validates every section under config->sources and config->sinks against
 * the option table of the plugin of that name (DESIGN §10 rule 46): an
 * unknown plugin, an unknown key or a wrong type is SG_ERR_CONFIG naming
 * the config file and the JSON path.
 */
int sg_source_validate_sections(const struct sg_config *config,
				const struct sg_registry *registry,
				struct sg_error *err);

#endif
