/*
 * cmd_init.c - `stageguard init`: create the ledger, and a starter rules
 * config when there is none yet.
 */
#include "cli.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sg_source.h"

static const char init_usage[] =
"usage: stageguard init [-c CONFIG] [--ledger FILE] [--from hubspot|"
"salesforce]\n"
"\n"
"Creates the ledger the config names (or --ledger).  When CONFIG does not\n"
"exist yet, first writes a starter rules config there (a five-stage\n"
"pipeline with exit criteria, the usual placeholder words, a 48 h review\n"
"SLA and a csv source reading data/) for you to edit.  --from drafts the\n"
"stages from a CRM's pipeline through that CRM's source plugin.\n";

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

static int write_starter(const char *path, struct sg_error *err)
{
	FILE *fp = fopen(path, "wx");

	if (fp == NULL)
		return sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				       "cannot create the config: %s",
				       strerror(errno));
	if (fputs(starter_config, fp) == EOF || fclose(fp) != 0)
		return sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				       "cannot write the config: %s",
				       strerror(errno));
	return SG_OK;
}

/* Drafting rules needs the CRM's plugin; until one is installed the
 * request is refused with what to do. */
static int draft_from_crm(const char *crm, const char *plugin_dir,
			  struct sg_error *err)
{
	struct sg_registry *r;
	int rc;

	if (strcmp(crm, "hubspot") != 0 && strcmp(crm, "salesforce") != 0)
		return sg_error_set(err, SG_ERR_USAGE,
				    "--from %s: expected hubspot or "
				    "salesforce", crm);
	rc = sg_registry_open(&r, plugin_dir, err);
	if (rc != SG_OK)
		return rc;
	if (sg_registry_find(r, crm, SG_PLUGIN_SOURCE, err) == NULL) {
		sg_registry_free(r);
		return SG_ERR_PLUGIN;
	}
	sg_registry_free(r);
	return sg_error_set(err, SG_ERR_PLUGIN,
			    "the %s plugin found cannot draft rules (plugin "
			    "ABI %u has no pipeline description call)", crm,
			    SG_PLUGIN_ABI_VERSION);
}

int cmd_init(int argc, char **argv)
{
	struct cli_options o;
	struct sg_config *config = NULL;
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	const char *path, *ledger_path;
	int first, rc, wrote = 0;

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
	if (o.from != NULL)
		rc = draft_from_crm(o.from, o.plugin_dir, &err);
	if (rc == SG_OK && access(path, F_OK) != 0) {
		rc = write_starter(path, &err);
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
		printf("ledger %s ready (schema version %d)\n", ledger_path,
		       sg_ledger_schema_version(ledger));
	}
	sg_ledger_close(ledger);
	sg_config_free(config);
	return rc == SG_OK ? 0 : cli_fail(&err);
}
