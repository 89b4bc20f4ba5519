/*
 * cmd_gate.c - `stageguard gate`: judges one proposed stage move read as
 * JSON from standard input and answers with a verdict and its exit status
 * (DESIGN §8; the input is documented in docs/gate.md).  No source is
 * pulled and no ledger is opened: a CRM workflow webhook can call it for
 * every move.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_gate.h"

static const char gate_usage[] =
"usage: stageguard gate [-c CONFIG] < move.json\n"
"\n"
"Judges one proposed stage move with the same checks as `check`, as if it\n"
"happened at the input's \"at\" (default now), and prints one line:\n"
"{\"verdict\": \"allow|review|block|pause\", \"exceptions\": [...]}.\n"
"The input is one JSON object (at most 1 MiB): \"opportunity\" (its\n"
"snapshot), \"history\", \"evidence\", \"activities\", \"field_history\",\n"
"\"owners\", \"to_stage\" and \"at\"; see docs/gate.md.  The ledger is not\n"
"read or written.\n"
"Exit status: 0 allow, 10 review, 20 block, 30 pause; 2 for input or a\n"
"config it cannot read (nothing on standard output), 1 anything else.\n";

int cmd_gate(int argc, char **argv)
{
	struct cli_options o;
	struct sg_config *config = NULL;
	struct sg_gate *gate = NULL;
	struct sg_error err;
	json_t *answer = NULL;
	char *text = NULL, *line = NULL;
	size_t len = 0;
	int first, rc, status;

	rc = cli_parse_options(argc, argv, CLI_OPT_CONFIG, gate_usage, &o,
			       &first);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (first < argc)
		return cli_usage_error("gate", "unexpected argument \"%s\" "
				       "(the move is read from standard "
				       "input)", argv[first]);
	sg_error_clear(&err);
	rc = sg_config_load(&config, o.config_path ? o.config_path :
			    SG_DEFAULT_CONFIG, &err);
	if (rc == SG_OK)
		rc = sg_gate_read(&text, &len, stdin, SG_GATE_INPUT_MAX,
				  "stdin", &err);
	if (rc == SG_OK)
		rc = sg_gate_new(&gate, config, text, len, cli_now(),
				 "stdin", &err);
	if (rc != SG_OK)
		goto out;
	if (!gate->in_scope && !o.quiet)
		fprintf(stderr, "stageguard gate: warning: the opportunity's "
			"pipeline is not \"%s\": nothing is judged\n",
			config->pipeline_id ? config->pipeline_id : "");
	answer = sg_gate_to_json(gate);
	line = answer ? json_dumps(answer, SG_EXCEPTION_JSON_FLAGS) : NULL;
	if (line == NULL) {
		rc = sg_error_set(&err, SG_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (puts(line) == EOF || fflush(stdout) != 0)
		rc = sg_error_set(&err, SG_ERR_IO, "cannot write the verdict "
				  "to standard output");
out:
	status = rc == SG_OK ? sg_gate_exit_status(gate->verdict) : 0;
	free(line);
	json_decref(answer);
	sg_gate_free(gate);
	free(text);
	sg_config_free(config);
	return rc == SG_OK ? status : cli_fail(&err);
}
