/*
 * cmd_pull.c - `stageguard pull`: load one source into the model and say
 * what it holds, without judging anything.
 */
#include "cli.h"

static const char pull_usage[] =
"usage: stageguard pull [-c CONFIG] [--source NAME[:ARG]] [--ledger FILE]\n"
"\n"
"Loads the source (validating every row, time and amount) and prints what\n"
"it holds: records per kind, opportunities out of scope, duplicates, and\n"
"the snapshot time.  Nothing is judged or recorded.  A source that keeps\n"
"a sync cursor resumes from the one the last run left in the ledger (when\n"
"there is one) and keeps nothing new.\n";

static void print_counts(const struct cli_session *s)
{
	struct sg_model_view v;
	size_t i, in_scope = 0, duplicates = 0;
	char at[SG_TIME_ISO_SIZE];

	sg_model_view(s->model, &v);
	for (i = 0; i < v.opp_count; i++) {
		in_scope += v.opps[i].in_scope;
		duplicates += v.opps[i].duplicate;
	}
	printf("source %s\n", s->source_label);
	if (s->config->pipeline_id != NULL)
		printf("  %-34s %zu (%zu in pipeline \"%s\")\n",
		       "opportunities", v.opp_count, in_scope,
		       s->config->pipeline_id);
	else
		printf("  %-34s %zu\n", "opportunities", v.opp_count);
	printf("  %-34s %zu\n", "stage events", v.event_count);
	printf("  %-34s %zu\n", "field changes", v.change_count);
	printf("  %-34s %zu\n", "activities", v.activity_count);
	printf("  %-34s %zu\n", "evidence records", v.evidence_count);
	printf("  %-34s %zu\n", "owners", v.owner_count);
	printf("  %-34s %zu\n", "ids repeated with different values",
	       duplicates);
	printf("  %-34s %zu\n", "identical history rows collapsed",
	       v.duplicate_events);
	printf("  %-34s %zu\n", "records of unknown opportunities",
	       v.orphan_records);
	printf("  %-34s %s\n", "snapshot extracted at",
	       v.snapshot_present ?
	       sg_time_format_iso(v.snapshot_extracted_at, at) : "(none)");
}

int cmd_pull(int argc, char **argv)
{
	struct cli_options o;
	struct cli_session s;
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	int first, rc;

	rc = cli_parse_options(argc, argv, CLI_OPT_CONFIG | CLI_OPT_PLUGIN_DIR |
			       CLI_OPT_SOURCE | CLI_OPT_LEDGER, pull_usage, &o,
			       &first);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (first < argc)
		return cli_usage_error("pull", "unexpected argument \"%s\"",
				       argv[first]);
	sg_error_clear(&err);
	rc = cli_session_open(&s, &o, &err);
	/* A plugin resumes from the state the last run left, but a pull
	 * keeps nothing. */
	if (rc == SG_OK)
		rc = cli_open_existing_ledger(&ledger, &o, s.config, &err);
	if (rc == SG_OK)
		cli_session_read_state(&s, ledger);
	if (rc == SG_OK)
		rc = cli_session_pull(&s, &o, &err);
	if (rc == SG_OK)
		print_counts(&s);
	cli_session_close(&s);
	sg_ledger_close(ledger);
	return rc == SG_OK ? 0 : cli_fail(&err);
}
