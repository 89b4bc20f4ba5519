/*
 * cmd_events.c - `stageguard events`: the measurement events of the
 * ledger as JSON lines (DESIGN §7).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "sg_review.h"

static const char events_usage[] =
"usage: stageguard events [-c CONFIG] [--ledger FILE] [--since T]\n"
"                         [--type TYPE]\n"
"\n"
"Prints the measurement events of the ledger as JSON lines, one event per\n"
"line, in the order they were recorded (seq): exception_raised,\n"
"disposition_recorded, stage_corrected and run_completed.  Each line is\n"
"{\"seq\", \"type\", \"at\", \"run_id\", \"exception_id\",\n"
"\"opportunity_id\", ...} followed by the event's own fields (an\n"
"exception_raised event's "
"exception type is \"exception_type\").\n"
"Times are ISO-8601 UTC.\n"
"--since T keeps the events with at >= T; --type keeps one type.\n";

static int events_print(void *arg, const char *text, size_t len,
			struct sg_error *err)
{
	(void)arg;
	(void)err;
	fwrite(text, 1, len, stdout);
	fputc('\n', stdout);
	return SG_OK;
}

int cmd_events(int argc, char **argv)
{
	const char *config = NULL, *ledger_path = NULL, *since_text = NULL;
	const char *type = NULL;
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	sg_time since = SG_TIME_NONE;
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], **slot = NULL, *eq;
		size_t len;

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			fputs(events_usage, stdout);
			return 0;
		}
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		if ((len == 2 && strncmp(arg, "-c", 2) == 0) ||
		    (len == 8 && strncmp(arg, "--config", 8) == 0))
			slot = &config;
		else if (len == 8 && strncmp(arg, "--ledger", 8) == 0)
			slot = &ledger_path;
		else if (len == 7 && strncmp(arg, "--since", 7) == 0)
			slot = &since_text;
		else if (len == 6 && strncmp(arg, "--type", 6) == 0)
			slot = &type;
		if (slot == NULL && arg[0] == '-')
			return cli_usage_error("events", "unknown option %.*s",
					       (int)len, arg);
		if (slot == NULL)
			return cli_usage_error("events", "unexpected argument "
					       "\"%s\"", arg);
		*slot = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (*slot == NULL)
			return cli_usage_error("events", "%s needs a value",
					       arg);
	}
	if (type != NULL && !sg_event_type_known(type))
		return cli_usage_error("events", "--type %s: expected "
				       "exception_raised, "
				       "disposition_recorded, stage_corrected "
				       "or run_completed", type);
	sg_error_clear(&err);
	rc = SG_OK;
	if (since_text != NULL)
		rc = cli_parse_time(&since, "--since", since_text, &err);
	if (rc == SG_OK)
		rc = sg_review_open_ledger(&ledger, config, ledger_path, &err);
	if (rc == SG_OK)
		rc = sg_review_event_lines(ledger, since, type, events_print,
					   NULL, &err);
	fflush(stdout);
	sg_ledger_close(ledger);
	return rc == SG_OK ? 0 : cli_fail(&err);
}
