/*
 * cmd_report.c - `stageguard report` (the leadership workbook) and
 * `stageguard bundle` (the evidence archive, and `bundle verify FILE`):
 * the ledger's outputs written through the xlsx and bundle sinks.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_sink.h"

static const char report_usage[] =
"usage: stageguard report [-c CONFIG] [--out FILE.xlsx] [--as-of T]\n"
"                         [--source NAME[:ARG]] [--ledger FILE]\n"
"\n"
"Writes the leadership report as an Excel workbook: the pilot's measures\n"
"against the baseline, every exception with its review note and\n"
"disposition, the review queue, stage ages, owners and teams, evidence\n"
"gaps, paused opportunities, the weekly trend and the definitions.\n"
"--out defaults to the config's sinks.xlsx.out; --out - writes it to\n"
"standard output, for a pipe or a redirect.  as-of defaults to the\n"
"ledger's latest moment (the last run, or a later decision), so the same\n"
"ledger gives the same workbook.  The records are those the last run at\n"
"or before as-of kept in the ledger: no source is read unless --source\n"
"names one.\n";

static const char bundle_usage[] =
"usage: stageguard bundle [-c CONFIG] [--out FILE] [--as-of T]\n"
"                         [--source NAME[:ARG]] [--ledger FILE]\n"
"       stageguard bundle verify FILE\n"
"\n"
"Writes the evidence bundle: the normalized inputs, every exception with\n"
"its review note, the tasks and dispositions, the measurement events, the\n"
"metrics and the workbook, with a manifest and SHA256SUMS.  The format\n"
"follows FILE's name: .tar.gz, .tar.zst or .zip (default: the config's\n"
"sinks.bundle.out; --out - writes a .tar.gz to standard output, for a\n"
"pipe or a redirect).  The records are those the last run at or before\n"
"as-of kept in the ledger (no source is read unless --source names one),\n"
"so the same ledger gives a byte-identical bundle.\n"
"`bundle verify FILE` checks every file against the manifest and prints\n"
"each difference: exit 0 when there is none, 1 when there is, 2 when the\n"
"file cannot be read.\n";

/* A report is as of the ledger's latest moment (the last run, or a
 * later decision) unless told otherwise: then it shows every decision and
 * the same ledger always gives the same output. */
static int report_as_of(struct cli_options *o, struct sg_ledger *ledger,
			char *buf, struct sg_error *err)
{
	sg_time last;
	int found = 0, rc;

	if (o->as_of != NULL)
		return SG_OK;
	rc = sg_ledger_latest_time(ledger, &last, &found, err);
	if (rc == SG_OK && found)
		o->as_of = sg_time_format_iso(last, buf);
	return rc;
}

static int report_open_ledger(struct sg_ledger **ledger,
			      const struct cli_session *s,
			      const struct cli_options *o,
			      struct sg_error *err)
{
	const char *path = cli_ledger_path(o, s->config);

	*ledger = NULL;
	if (path == NULL)
		return sg_error_set(err, SG_ERR_USAGE, "%s names no ledger: "
				    "add \"ledger\" or pass --ledger FILE",
				    s->config->path);
	if (access(path, F_OK) != 0)
		return sg_error_set_at(err, SG_ERR_USAGE, path, 0, 0,
				       "no ledger here yet: record a run "
				       "first (stageguard run -c %s)",
				       s->config->path);
	return sg_ledger_open(ledger, path, err);
}

/* --out -: the output is written whole to a private folder in TMPDIR
 * (verified there like any output), then copied to standard output. */
struct report_pipe {
	char dir[512];
	char path[600];
};

static int report_pipe_begin(struct report_pipe *p, const char *sink,
			     struct sg_error *err)
{
	const char *tmp = getenv("TMPDIR");

	if (isatty(STDOUT_FILENO))
		return sg_error_set(err, SG_ERR_USAGE, "--out - writes the %s "
				    "to standard output for a pipe or a "
				    "redirect (| or >), not to a terminal",
				    strcmp(sink, "xlsx") == 0 ? "workbook" :
				    "bundle");
	snprintf(p->dir, sizeof(p->dir), "%s/stageguard-out-XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(p->dir) == NULL)
		return sg_error_set_at(err, SG_ERR_IO, p->dir, 0, 0,
				       "cannot make a folder to write the "
				       "output in: %s (check TMPDIR)",
				       strerror(errno));
	snprintf(p->path, sizeof(p->path), "%s/%s", p->dir,
		 strcmp(sink, "xlsx") == 0 ? "report.xlsx" : "bundle.tar.gz");
	return SG_OK;
}

/* Copies the finished output to standard output (main() checks that
 * the last of it reached it). */
static int report_pipe_copy(const struct report_pipe *p,
			    struct sg_error *err)
{
	char buf[65536];
	FILE *in = fopen(p->path, "rb");
	size_t n;
	int rc = SG_OK;

	if (in == NULL)
		return sg_error_set_at(err, SG_ERR_IO, p->path, 0, 0,
				       "cannot read the output back: %s",
				       strerror(errno));
	while (rc == SG_OK && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, stdout) != n)
			rc = sg_error_set(err, SG_ERR_IO, "cannot write the "
					  "output to standard output: %s",
					  strerror(errno));
	if (rc == SG_OK && ferror(in))
		rc = sg_error_set_at(err, SG_ERR_IO, p->path, 0, 0,
				     "cannot read the output back");
	fclose(in);
	return rc;
}

static void report_pipe_end(const struct report_pipe *p)
{
	if (p->dir[0] == '\0')
		return;
	(void)unlink(p->path);
	(void)rmdir(p->dir);
}

/* Writes one sink's output from the ledger. */
static int report_write(struct cli_options *o, const char *sink)
{
	struct cli_sink_job job = { sink, o->out };
	struct report_pipe pipe_out = { "", "" };
	int to_stdout = o->out != NULL && strcmp(o->out, "-") == 0;
	struct cli_session s;
	struct cli_publication *pub = NULL;
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	char as_of[SG_TIME_ISO_SIZE];
	int rc = SG_OK;

	sg_error_clear(&err);
	if (to_stdout) {
		rc = report_pipe_begin(&pipe_out, sink, &err);
		job.arg = pipe_out.path;
		if (rc != SG_OK) {
			pipe_out.dir[0] = '\0';
			return cli_fail(&err);
		}
	}
	rc = cli_session_open(&s, o, &err);
	if (rc == SG_OK)
		rc = report_open_ledger(&ledger, &s, o, &err);
	if (rc == SG_OK)
		rc = report_as_of(o, ledger, as_of, &err);
	/* Begun before the model loads: a bundle's ledger files need
	 * none, and are written meanwhile. */
	if (rc == SG_OK)
		rc = cli_publish_begin(&pub, &s, ledger, &job, 1, &err);
	if (rc == SG_OK)
		rc = cli_session_load(&s, o, ledger, &err);
	if (rc == SG_OK)
		rc = cli_session_window(&s, o, ledger, &err);
	/* Writing to standard output, "wrote" would name the folder
	 * it passes through. */
	if (rc == SG_OK)
		rc = cli_publish_run(pub, o->quiet || to_stdout ?
				     SG_LOG_WARN : SG_LOG_INFO, &err);
	cli_publish_end(pub);
	if (rc == SG_OK && to_stdout)
		rc = report_pipe_copy(&pipe_out, &err);
	report_pipe_end(&pipe_out);
	sg_ledger_close(ledger);
	cli_session_close(&s);
	return rc == SG_OK ? 0 : cli_fail(&err);
}

static int report_parse(int argc, char **argv, const char *usage,
			const char *command, struct cli_options *o)
{
	int first, rc;

	rc = cli_parse_options(argc, argv, CLI_OPT_CONFIG |
			       CLI_OPT_PLUGIN_DIR | CLI_OPT_LEDGER |
			       CLI_OPT_SOURCE | CLI_OPT_AS_OF | CLI_OPT_OUT,
			       usage, o, &first);
	if (rc != 0)
		return rc == 1 ? 1 : rc;
	if (first < argc)
		return cli_usage_error(command, "unexpected argument \"%s\"",
				       argv[first]);
	return 0;
}

int cmd_report(int argc, char **argv)
{
	struct cli_options o;
	int rc = report_parse(argc, argv, report_usage, "report", &o);

	if (rc != 0)
		return rc == 1 ? 0 : rc;
	return report_write(&o, "xlsx");
}

struct verify_tally {
	const char *path;
	size_t problems;
};

static void verify_problem(void *arg, const char *problem)
{
	struct verify_tally *t = arg;

	/* Member names come from the archive: never raw to a terminal. */
	cli_put_text(stdout, t->path);
	fputs(": ", stdout);
	cli_put_text(stdout, problem);
	putchar('\n');
	t->problems++;
}

static int bundle_verify(int argc, char **argv)
{
	struct cli_options o;
	struct sg_registry *registry = NULL;
	struct sg_sink_options opts = { .name = "bundle",
					  .verbose = SG_LOG_WARN };
	struct verify_tally tally = { NULL, 0 };
	struct sg_error err;
	int first, rc;

	rc = cli_parse_options(argc, argv, CLI_OPT_PLUGIN_DIR, bundle_usage,
			       &o, &first);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (first + 1 != argc)
		return cli_usage_error("bundle verify", "expected one FILE");
	tally.path = argv[first];
	sg_error_clear(&err);
	rc = sg_registry_open(&registry, o.plugin_dir, &err);
	if (rc == SG_OK)
		rc = sg_sink_verify(registry, &opts, argv[first],
				    verify_problem, &tally, &err);
	sg_registry_free(registry);
	if (rc != SG_OK)
		return cli_fail(&err);
	if (tally.problems > 0) {
		fprintf(stderr, "stageguard: %s: %zu problem%s found: this "
			"bundle does not match its manifest\n", argv[first],
			tally.problems, tally.problems == 1 ? "" : "s");
		return 1;
	}
	printf("%s: every file matches the manifest\n", argv[first]);
	return 0;
}

int cmd_bundle(int argc, char **argv)
{
	struct cli_options o;
	int rc;

	if (argc > 1 && strcmp(argv[1], "verify") == 0)
		return bundle_verify(argc - 1, argv + 1);
	rc = report_parse(argc, argv, bundle_usage, "bundle", &o);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	return report_write(&o, "bundle");
}
