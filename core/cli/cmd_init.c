/*
 * cmd_init.c - `stageguard init`: create the ledger, and a starter rules
 * config when there is none yet.
 */
#include "cli.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sg_draft.h"
#include "sg_source.h"

static const char init_usage[] =
"usage: stageguard init [-c CONFIG] [--ledger FILE] [--from NAME[:ARG]]\n"
"\n"
"Creates the ledger the config names (or --ledger).  When CONFIG does not\n"
"exist yet, first writes a starter rules config there (a five-stage\n"
"pipeline with exit criteria, the usual placeholder words, a 48 h review\n"
"SLA and a csv source reading data/) for you to edit.\n"
"\n"
"--from NAME[:ARG] drafts the stages instead from what the source plugin\n"
"NAME reads (csv:DIR: the stage histories of a folder, ordered by where\n"
"each stage falls in them, closed stages from where they end; a CRM\n"
"plugin: its pipeline).  With no CONFIG yet the draft is written there;\n"
"with one, the source is read through it (its mapping, its options) and\n"
"the draft is printed, the config left as it is.  What the draft guessed\n"
"is said on standard error: complete its exit criteria and required\n"
"fields before the first run.\n";

/* The starter config: valid as written, meant to be edited. */
static const char starter_config[] =
"{\n"
"  \"pipeline\": {\"id\": \"default\", \"label\": \"New business\"},\n"
"  \"stages\": [\n"
"    {\"id\": \"discovery\", \"label\": \"Discovery\", \"max_age_days\": 14,"
" \"forecast_category\": \"pipeline\",\n"
"     \"exit_criteria\": [\"pain_confirmed\"], \"required_fields\": "
"[\"amount\"]},\n"
"    {\"id\": \"qualification\", \"label\": \"Qualification\", "
"\"max_age_days\": 21, \"forecast_category\": \"pipeline\",\n"
"     \"exit_criteria\": [\"budget_confirmed\", \"decision_path\"], "
"\"required_fields\": [\"amount\", \"close_date\"]},\n"
"    {\"id\": \"proposal\", \"label\": \"Proposal\", \"max_age_days\": 21,"
" \"forecast_category\": \"best_case\",\n"
"     \"exit_criteria\": [\"success_criteria\"],\n"
"     \"required_fields\": [\"amount\", \"close_date\", \"next_step\"]},\n"
"    {\"id\": \"negotiation\", \"label\": \"Negotiation\", \"max_age_days\":"
" 30, \"forecast_category\": \"commit\",\n"
"     \"exit_criteria\": [\"terms_agreed\"], \"required_fields\": "
"[\"amount\", \"close_date\", \"next_step\"]},\n"
"    {\"id\": \"closed_won\", \"label\": \"Closed won\", \"closed\": true, "
"\"won\": true, \"forecast_category\": \"closed\"},\n"
"    {\"id\": \"closed_lost\", \"label\": \"Closed lost\", \"closed\": true,"
" \"enter_from_any\": true, \"forecast_category\": \"omitted\"}\n"
"  ],\n"
"  \"criteria\": {\n"
"    \"pain_confirmed\": {\"label\": \"Pain confirmed by the buyer\"},\n"
"    \"budget_confirmed\": {\"label\": \"Budget confirmed by the buyer\", "
"\"max_age_days\": 180},\n"
"    \"decision_path\": {\"label\": \"Decision path known\"},\n"
"    \"success_criteria\": {\"label\": \"Success criteria agreed\"},\n"
"    \"terms_agreed\": {\"label\": \"Commercial terms agreed\"}\n"
"  },\n"
"  \"placeholders\": [\"tbd\", \"n/a\", \"na\", \"none\", \"-\", \"?\", "
"\"xxx\", \"test\", \"placeholder\", \"unknown\"],\n"
"  \"forecast\": {\"review_categories\": [\"best_case\", \"commit\", "
"\"closed\"]},\n"
"  \"review\": {\"sla_hours\": 48, \"default_assignee\": \"revops\"},\n"
"  \"data\": {\"stale_after_hours\": 36},\n"
"  \"ledger\": \"stageguard.db\",\n"
"  \"sources\": {\"csv\": {\"dir\": \"data/\"}}\n"
"}\n";

static int write_new_config(const char *path, const char *text,
			    struct sg_error *err)
{
	FILE *fp = fopen(path, "wx");

	if (fp == NULL)
		return sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				       "cannot create the config: %s",
				       strerror(errno));
	if (fputs(text, fp) == EOF || fclose(fp) != 0)
		return sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				       "cannot write the config: %s",
				       strerror(errno));
	return SG_OK;
}

/* The config a draft is read with: the user's when there is one, else a
 * bare one in CONFIG's folder (relative paths resolve there). */
static int draft_read_config(struct sg_config **out, const char *path,
			     int exists, struct sg_error *err)
{
	static const char bare[] = "{\"stages\": [{\"id\": \"draft\"}]}";
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (exists)
		return sg_config_load(out, path, err);
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s",
			 (int)(slash == path ? 1 : slash - path), path);
	return sg_config_load_text(out, path, dir, bare, strlen(bare), err);
}

struct draft {
	const char *source;
	json_t *section;        /* the config's section for the source */
	char *text;             /* the drafted config */
	size_t stages;
};

static int draft_described(void *arg, const struct sg_pipeline_description *d,
			   struct sg_error *err)
{
	struct draft *draft = arg;
	size_t i;
	int rc;

	rc = sg_draft_config(d, draft->source, draft->section, &draft->text,
			     err);
	if (rc != SG_OK)
		return rc;
	draft->stages = d->stage_count;
	for (i = 0; i < d->note_count; i++)
		fprintf(stderr, "stageguard: draft: %s\n", d->notes[i]);
	return SG_OK;
}

/*
 * Reads the source NAME[:ARG] with the config at path (or a bare one)
 * and drafts a rules config from its description of the pipeline.
 */
static int draft_from_source(const char *from, const char *path, int exists,
			     const char *plugin_dir, struct draft *draft,
			     struct sg_error *err)
{
	struct sg_registry *registry = NULL;
	struct sg_config *config = NULL;
	struct sg_model *model = NULL;
	struct sg_pull_options opts;
	char name[128];
	const char *colon = strchr(from, ':');
	int rc;

	snprintf(name, sizeof(name), "%.*s",
		 (int)(colon ? (size_t)(colon - from) : strlen(from)), from);
	memset(&opts, 0, sizeof(opts));
	opts.name = name;
	opts.arg = colon ? colon + 1 : NULL;
	opts.verbose = SG_LOG_WARN;
	opts.quiet = 1;
	opts.described = draft_described;
	opts.described_arg = draft;
	draft->source = name;
	rc = sg_registry_open(&registry, plugin_dir, err);
	if (rc == SG_OK)
		rc = draft_read_config(&config, path, exists, err);
	if (rc == SG_OK) {
		draft->section = config->sources ?
			json_object_get(config->sources, name) : NULL;
		rc = sg_model_new(&model, config, err);
	}
	if (rc == SG_OK)
		rc = sg_source_pull(model, config, registry, &opts, err);
	draft->source = NULL;
	draft->section = NULL;
	sg_model_free(model);
	sg_config_free(config);
	sg_registry_free(registry);
	return rc;
}

/* init --from: the draft becomes CONFIG when there is none, else it is
 * printed (*printed set: standard output holds only the draft). */
static int init_draft(const struct cli_options *o, const char *path,
		      int *printed, struct sg_error *err)
{
	struct draft draft = { NULL, NULL, NULL, 0 };
	int exists = access(path, F_OK) == 0;
	int rc = draft_from_source(o->from, path, exists, o->plugin_dir,
				   &draft, err);

	if (rc == SG_OK && exists) {
		fputs(draft.text, stdout);
		*printed = 1;
		fprintf(stderr, "stageguard: %s exists and is left as it is: "
			"the draft of %zu stages is above\n", path,
			draft.stages);
	} else if (rc == SG_OK) {
		rc = write_new_config(path, draft.text, err);
		if (rc == SG_OK)
			printf("drafted %zu stages from %s into %s: complete "
			       "their exit criteria and required fields "
			       "before the first run\n", draft.stages,
			       o->from, path);
	}
	free(draft.text);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	struct cli_options o;
	struct sg_config *config = NULL;
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	const char *path, *ledger_path;
	int first, rc, wrote = 0, printed = 0;

	rc = cli_parse_options(argc, argv, CLI_OPT_CONFIG | CLI_OPT_LEDGER |
			       CLI_OPT_PLUGIN_DIR | CLI_OPT_FROM, init_usage,
			       &o, &first);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (first < argc)
		return cli_usage_error("init", "unexpected argument \"%s\"",
				       argv[first]);
	sg_error_clear(&err);
	path = o.config_path ? o.config_path : SG_DEFAULT_CONFIG;
	rc = SG_OK;
	if (o.from != NULL) {
		rc = init_draft(&o, path, &printed, &err);
	} else if (access(path, F_OK) != 0) {
		rc = write_new_config(path, starter_config, &err);
		wrote = rc == SG_OK;
	}
	if (rc == SG_OK)
		rc = sg_config_load(&config, path, &err);
	if (rc == SG_OK) {
		ledger_path = cli_ledger_path(&o, config);
		if (ledger_path == NULL)
			rc = sg_error_set_at(&err, SG_ERR_CONFIG, path, 0, 0,
					     "$.ledger: no ledger is named; "
					     "add \"ledger\": "
					     "\"stageguard.db\" or pass "
					     "--ledger FILE");
	}
	if (rc == SG_OK)
		rc = sg_ledger_open(&ledger, ledger_path, &err);
	if (rc == SG_OK) {
		if (wrote)
			printf("wrote a starter config to %s: edit its stages, "
			       "criteria and source before the first run\n",
			       path);
		fprintf(printed ? stderr : stdout, "ledger %s ready (schema "
			"version %d)\n", ledger_path,
			sg_ledger_schema_version(ledger));
	}
	sg_ledger_close(ledger);
	sg_config_free(config);
	return rc == SG_OK ? 0 : cli_fail(&err);
}
