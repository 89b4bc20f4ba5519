/*
 * sg_options.h - a plugin's declarative option table applied to its
 * section of the config: validation, defaults and documentation from one
 * place (DESIGN §2, §10 rule 46).
 */
#ifndef SG_OPTIONS_H
#define SG_OPTIONS_H

#include <jansson.h>
#include <stdio.h>

#include "sg_plugin.h"

/*
 * Fills the plugin's config struct (plugin->config_size bytes at out,
 * zeroed by the caller) from section (a JSON object, or NULL for none):
 * each option from the section or its default.  An unknown key, a missing
 * required option or a value of the wrong type is SG_ERR_CONFIG with the
 * JSON path (json_path names the section, e.g. "$.sources.csv") and the
 * valid keys.  Strings written into the struct are allocated; release them
 * with sg_options_release().
 */
int sg_options_fill(void *out, const struct sg_plugin *plugin,
		    json_t *section, const char *json_path,
		    struct sg_error *err);

/* sg_options_fill() for the plugin in one role (SG_PLUGIN_SOURCE or
 * SG_PLUGIN_SINK; 0: none): the options required in that role are
 * required too (SG_OPT_SOURCE_REQUIRED, SG_OPT_SINK_REQUIRED). */
int sg_options_fill_as(void *out, const struct sg_plugin *plugin,
		       json_t *section, const char *json_path, unsigned role,
		       struct sg_error *err);

/* Frees what sg_options_fill() allocated in the struct at out; accepts
 * NULL. */
void sg_options_release(void *out, const struct sg_plugin *plugin);

/* Prints the option table as help text (name, type, default, help). */
void sg_options_print_help(FILE *fp, const struct sg_plugin *plugin);

/*
 * Returns a copy of section with every SG_OPT_SECRET option's value
 * replaced by "<redacted>" (for a bundle or a log).  Caller decrefs.
 */
json_t *sg_options_redact(const struct sg_plugin *plugin, json_t *section);

#endif
