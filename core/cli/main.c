/*
 * main.c - stageguard's entry point: dispatches to one command.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "sg_host.h"
#include "sg_source.h"

static const char usage[] =
"usage: stageguard COMMAND [OPTIONS]\n"
"\n"
"Checks every CRM stage move against the buyer evidence and exit criteria\n"
"a pipeline requires, and routes each exception to a person for review.\n"
"It never moves a stage or changes a forecast itself.\n"
"\n"
"commands:\n"
"  demo [--out DIR]             the whole flow on the bundled sample data\n"
"  init [-c CONFIG]             create the ledger (and a starter config)\n"
"  pull -c CONFIG [--source NAME[:ARG]]\n"
"                               load a source and report what it holds\n"
"  check -c CONFIG [--source NAME:ARG] [--as-of T] [--since T]\n"
"        [--allow-stale] [--dry-run] [--format text|jsonl]\n"
"                               judge the stage moves; record unless "
"--dry-run\n"
"  run -c CONFIG [--source NAME:ARG] [--as-of T] [--allow-stale]\n"
"                               the daily job: pull, check, record, sinks\n"
"  gate -c CONFIG < move.json   judge one proposed move (docs/gate.md);\n"
"                               exit 0 allow, 10 review, 20 block, 30 pause\n"
"  review list|show ID|decide ID --disposition D --by WHO|import FILE\n"
"                               the review queue and the human decisions\n"
"  events -c CONFIG [--since T] measurement events as JSON lines\n"
"  metrics -c CONFIG [--window baseline|pilot|START..END | --compare]\n"
"        [--format json|csv|text]  the pilot's measures, or baseline vs pilot\n"
"  pilot status -c CONFIG       day N of the pilot, runs, reviews, threshold\n"
"  report -c CONFIG [--out FILE.xlsx]\n"
"                               the leadership report as an Excel workbook\n"
"  bundle -c CONFIG [--out FILE(.tar.gz|.tar.zst|.zip)] | bundle verify FILE\n"
"                               the evidence bundle, or check one\n"
"  plugins [--help NAME]        list plugins, or one plugin's options\n"
"\n"
"common options: -c/--config FILE (default stageguard.json), --ledger FILE,\n"
"  --plugin-dir DIR, -v/--verbose, -q/--quiet, -h/--help\n"
"\n"
"exit status: 0 done, 2 bad usage, config or input, 3 paused (stale data),\n"
"  4 a source or sink failed, 1 anything else\n";

const char *cli_program = "stageguard";

static void on_interrupt(int sig)
{
	(void)sig;
	sg_host_request_cancel();
}

/*
 * Standard output flushed and closed: a report piped to a full disk
 * (`stageguard events > /full/x`) or a closed terminal must not end in
 * "done" with its text lost.
 */
static int finish_stdout(int status)
{
	int e;

	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout) && fclose(stdout) == 0)
		return status;
	e = errno;
	fprintf(stderr, "stageguard: cannot write the output: %s; what was "
		"written is incomplete\n",
		e != 0 ? strerror(e) : "a write failed (a full disk?)");
	return status == 0 ? 4 : status;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} commands[] = {
		{ "demo", cmd_demo }, { "init", cmd_init },
		{ "pull", cmd_pull }, { "check", cmd_check },
		{ "run", cmd_run }, { "plugins", cmd_plugins },
		{ "review", cmd_review }, { "events", cmd_events },
		{ "gate", cmd_gate }, { "metrics", cmd_metrics },
		{ "pilot", cmd_pilot }, { "report", cmd_report },
		{ "bundle", cmd_bundle },
	};
	size_t i;

	if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0')
		cli_program = argv[0];
	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return finish_stdout(argc < 2 ? 2 : 0);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("stageguard %s\n", PACKAGE_VERSION);
		return finish_stdout(0);
	}
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	/* Every time stageguard writes is UTC (DESIGN §3); libraries that
	 * stamp local time (a zip's entry times) must not make the same
	 * ledger give different bytes in another time zone. */
	setenv("TZ", "UTC0", 1);
	tzset();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return finish_stdout(commands[i].run(argc - 1,
							     argv + 1));
	fprintf(stderr, "stageguard: unknown command \"%s\"\n\n%s", argv[1],
		usage);
	return 2;
}
