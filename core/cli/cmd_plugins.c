/*
 * cmd_plugins.c - `stageguard plugins`: what plugins were found, and one
 * plugin's options from its declarative table.
 */
#include "cli.h"

#include <string.h>

#include "sg_options.h"

static const char plugins_usage[] =
"usage: stageguard plugins [--plugin-dir DIR] [--help NAME]\n"
"\n"
"Lists the plugins found (kind, name, version, description) in, in order:\n"
"--plugin-dir, $STAGEGUARD_PLUGIN_PATH, the build tree, the installed\n"
"plugin folder.  --help NAME prints that plugin's options.  Modules that\n"
"could not be loaded are reported with the reason (exit status 2).\n";

static const char *kind_text(unsigned kind)
{
	if ((kind & SG_PLUGIN_SOURCE) && (kind & SG_PLUGIN_SINK))
		return "source+sink";
	return (kind & SG_PLUGIN_SOURCE) ? "source" : "sink";
}

/* Where its section goes in the config: both groups for a plugin that
 * is source and sink. */
static const char *groups_text(unsigned kind)
{
	if ((kind & SG_PLUGIN_SOURCE) && (kind & SG_PLUGIN_SINK))
		return "\"sources\" and \"sinks\"";
	return (kind & SG_PLUGIN_SOURCE) ? "\"sources\"" : "\"sinks\"";
}

static int describe_one(const struct sg_registry *r, const char *name)
{
	size_t count, i;
	const struct sg_loaded_plugin *all = sg_registry_list(r, &count);
	struct sg_error err;

	for (i = 0; i < count; i++) {
		const struct sg_plugin *p = all[i].plugin;

		if (strcmp(p->name, name) != 0)
			continue;
		printf("%s %s (%s) - %s\nfile: %s\n\noptions (in the config "
		       "under %s: {\"%s\": {...}}):\n", p->name,
		       p->version ? p->version : "", kind_text(p->kind),
		       p->description, all[i].path, groups_text(p->kind),
		       p->name);
		sg_options_print_help(stdout, p);
		return 0;
	}
	sg_error_clear(&err);
	sg_registry_find(r, name, SG_PLUGIN_SOURCE | SG_PLUGIN_SINK, &err);
	return cli_fail(&err);
}

static int list_all(const struct sg_registry *r)
{
	size_t count, problem_count, i;
	const struct sg_loaded_plugin *all = sg_registry_list(r, &count);
	const char *const *problems = sg_registry_problems(r, &problem_count);

	if (count == 0)
		printf("no plugins found\n");
	else
		printf("%-12s %-11s %-8s %s\n", "NAME", "KIND", "VERSION",
		       "DESCRIPTION");
	for (i = 0; i < count; i++) {
		const struct sg_plugin *p = all[i].plugin;

		printf("%-12s %-11s %-8s %s\n", p->name, kind_text(p->kind),
		       p->version ? p->version : "-", p->description);
	}
	for (i = 0; i < problem_count; i++)
		fprintf(stderr, "stageguard: plugin not loaded: %s\n",
			problems[i]);
	return problem_count > 0 ? 2 : 0;
}

int cmd_plugins(int argc, char **argv)
{
	const char *plugin_dir = NULL, *help_name = NULL;
	struct sg_registry *r;
	struct sg_error err;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--plugin-dir") == 0 && i + 1 < argc) {
			plugin_dir = argv[++i];
		} else if (strncmp(argv[i], "--plugin-dir=", 13) == 0) {
			plugin_dir = argv[i] + 13;
		} else if ((strcmp(argv[i], "--help") == 0 ||
			    strcmp(argv[i], "-h") == 0)) {
			if (i + 1 >= argc) {
				fputs(plugins_usage, stdout);
				return 0;
			}
			help_name = argv[++i];
		} else {
			return cli_usage_error("plugins", "unexpected argument "
					       "\"%s\"", argv[i]);
		}
	}
	sg_error_clear(&err);
	if (sg_registry_open(&r, plugin_dir, &err) != SG_OK)
		return cli_fail(&err);
	rc = help_name ? describe_one(r, help_name) : list_all(r);
	sg_registry_free(r);
	return rc;
}
