/*
 * cmd_demo.c - `stageguard demo`: the whole flow on the bundled sample
 * pipeline, in a folder a newcomer can look through afterwards.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char demo_usage[] =
"usage: stageguard demo [--out DIR]\n"
"\n"
"Copies the bundled sample pipeline (rules config and CSV export) into DIR\n"
"(default ./stageguard-demo), judges it as of the export's snapshot time,\n"
"records the exceptions and review tasks in DIR/stageguard.db, writes the\n"
"leadership workbook, the metrics and the evidence bundle into DIR and\n"
"prints what was found.  Each run starts from a fresh ledger.\n";

static const char *const type_meaning[SG_EX_TYPE_COUNT] = {
	"advanced without the buyer evidence the stage requires",
	"advanced with a required field missing or a placeholder",
	"jumped over one or more stages",
	"moved back to an earlier stage, or reopened",
	"advanced with only seller activity since the last move",
	"moved between forecast categories leadership reviews",
	"open longer than the stage's expected age",
	"open with no next step, or one that is overdue",
	"paused: the CRM data cannot be trusted",
};

/* The bundled sample: the source tree when run uninstalled, else the
 * installed data folder. */
static const char *find_demo_dir(void)
{
	static const char *const candidates[] = {
		SG_SOURCE_DIR "/configs/demo", SG_PKGDATADIR "/demo"
	};
	const char *env = getenv("STAGEGUARD_DEMO_DIR");
	size_t i;

	if (env != NULL && env[0] != '\0')
		return env;
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		char probe[4096];

		snprintf(probe, sizeof(probe), "%s/stageguard.json",
			 candidates[i]);
		if (access(probe, R_OK) == 0)
			return candidates[i];
	}
	return NULL;
}

static int copy_file(const char *from, const char *to, struct sg_error *err)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[65536];
	size_t n;
	int rc = SG_OK;

	if (in == NULL)
		return sg_error_set_at(err, SG_ERR_IO, from, 0, 0,
				       "cannot read: %s", strerror(errno));
	out = fopen(to, "wb");
	if (out == NULL) {
		fclose(in);
		return sg_error_set_at(err, SG_ERR_IO, to, 0, 0,
				       "cannot write: %s", strerror(errno));
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n) {
			rc = sg_error_set_at(err, SG_ERR_IO, to, 0, 0,
					     "cannot write: %s",
					     strerror(errno));
			break;
		}
	if (ferror(in))
		rc = sg_error_set_at(err, SG_ERR_IO, from, 0, 0,
				     "cannot read: %s", strerror(errno));
	fclose(in);
	if (fclose(out) != 0 && rc == SG_OK)
		rc = sg_error_set_at(err, SG_ERR_IO, to, 0, 0,
				     "cannot write: %s", strerror(errno));
	return rc;
}

static int make_dir(const char *path, struct sg_error *err)
{
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		return sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				       "cannot create the folder: %s",
				       strerror(errno));
	return SG_OK;
}

/* Writes dir/name into out; 0 when it does not fit. */
static int join_path(char *out, size_t size, const char *dir,
		     const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	return n >= 0 && (size_t)n < size;
}

/* Copies the regular files of one folder (no recursion). */
static int copy_dir(const char *from, const char *to, struct sg_error *err)
{
	DIR *d;
	struct dirent *entry;
	int rc = make_dir(to, err);

	if (rc != SG_OK)
		return rc;
	d = opendir(from);
	if (d == NULL)
		return sg_error_set_at(err, SG_ERR_IO, from, 0, 0,
				       "cannot read the folder: %s",
				       strerror(errno));
	while (rc == SG_OK && (entry = readdir(d)) != NULL) {
		char src[4096], dst[4096];
		struct stat st;

		if (entry->d_name[0] == '.')
			continue;
		if (!join_path(src, sizeof(src), from, entry->d_name) ||
		    !join_path(dst, sizeof(dst), to, entry->d_name)) {
			rc = sg_error_set_at(err, SG_ERR_IO, from, 0, 0,
					     "path too long");
			break;
		}
		if (stat(src, &st) == 0 && S_ISREG(st.st_mode))
			rc = copy_file(src, dst, err);
	}
	closedir(d);
	return rc;
}

static int prepare(const char *demo, const char *out, char *config_path,
		   size_t size, struct sg_error *err)
{
	static const char *const ledger_files[] = {
		"stageguard.db", "stageguard.db-wal", "stageguard.db-shm"
	};
	char from[4096], to[4096];
	size_t i;
	int rc = make_dir(out, err);

	if (rc != SG_OK)
		return rc;
	snprintf(from, sizeof(from), "%s/stageguard.json", demo);
	snprintf(config_path, size, "%s/stageguard.json", out);
	rc = copy_file(from, config_path, err);
	if (rc != SG_OK)
		return rc;
	snprintf(from, sizeof(from), "%s/data", demo);
	snprintf(to, sizeof(to), "%s/data", out);
	rc = copy_dir(from, to, err);
	for (i = 0; rc == SG_OK && i < 3; i++) {
		snprintf(to, sizeof(to), "%s/%s", out, ledger_files[i]);
		if (unlink(to) != 0 && errno != ENOENT)
			rc = sg_error_set_at(err, SG_ERR_IO, to, 0, 0,
					     "cannot remove the previous "
					     "ledger: %s", strerror(errno));
	}
	return rc;
}

static void print_summary(const char *out, const struct cli_session *s,
			  const struct sg_exceptions *list,
			  const struct sg_run_outcome *outcome)
{
	size_t counts[SG_EX_TYPE_COUNT] = { 0 }, i;
	struct sg_model_view v;
	char as_of[SG_TIME_ISO_SIZE], since[SG_TIME_ISO_SIZE];
	const struct sg_exception *example = NULL;
	int t;

	sg_model_view(s->model, &v);
	for (i = 0; i < list->count; i++) {
		counts[list->items[i].type]++;
		if (example == NULL &&
		    list->items[i].type == SG_EX_MISSING_EVIDENCE)
			example = &list->items[i];
	}
	printf("stageguard demo: a sample pipeline of %zu opportunities, "
	       "judged as of %s\n", v.opp_count,
	       sg_time_format_iso(s->window.as_of, as_of));
	printf("Stage moves since %s were checked against the rules in "
	       "%s/stageguard.json.\n\n",
	       s->window.since == SG_TIME_NONE ? "the start of history" :
	       sg_time_format_iso(s->window.since, since), out);
	printf("  %u opportunities evaluated, %u paused because their data "
	       "cannot be trusted\n", list->evaluated, list->paused);
	printf("  %zu exceptions, each a review task for the owner's manager "
	       "(due in %g h):\n\n", list->count,
	       s->config->review_sla_hours);
	for (t = 0; t < SG_EX_TYPE_COUNT; t++)
		printf("    %-17s %-6s %5zu  %s\n", sg_exception_type_name(t),
		       sg_verdict_name(sg_exception_type_verdict(t)),
		       counts[t], type_meaning[t]);
	printf("\n  %zu review tasks created in %s/stageguard.db\n",
	       outcome->tasks_created, out);
	if (example != NULL) {
		char *note = sg_exception_note(example, s->model,
					       s->window.as_of);

		if (note != NULL)
			printf("\nAn example review note:\n  %s\n", note);
		free(note);
	}
	printf("\nFor leadership and the managers, in %s/:\n", out);
	printf("  pilot-report.xlsx   the pilot against its baseline, every "
	       "exception with its note,\n"
	       "                      the review queue, stage ages, owners, "
	       "evidence gaps, trend\n");
	printf("  metrics/            metrics.json, metrics.csv and "
	       "events.jsonl for a BI tool\n");
	printf("  evidence.tar.gz     the evidence bundle: check it with "
	       "`%s bundle verify %s/evidence.tar.gz`\n", cli_program, out);
	printf("\nNo stage was moved and no forecast changed: a person "
	       "decides each one.\n");
	printf("See every exception:  %s check -c %s/stageguard.json "
	       "--dry-run --as-of %s --since %s\n", cli_program, out, as_of,
	       s->window.since == SG_TIME_NONE ? "1970-01-01" : since);
	printf("Review the queue:     %s review list -c %s/stageguard.json "
	       "--as-of %s\n", cli_program, out, as_of);
}

/* The workbook, the metrics and the evidence bundle the demo config
 * names, written into the demo folder. */
static int demo_outputs(struct cli_session *s, struct sg_ledger *ledger,
			struct sg_error *err)
{
	struct cli_sink_job *jobs = NULL;
	size_t count = 0;
	int rc = cli_config_sink_jobs(s, &jobs, &count, err);

	if (rc == SG_OK)
		rc = cli_publish(s, ledger, jobs, count, SG_LOG_WARN, err);
	free(jobs);
	return rc;
}

int cmd_demo(int argc, char **argv)
{
	struct cli_options o;
	struct cli_session s;
	struct sg_ledger *ledger = NULL;
	struct sg_exceptions list;
	struct sg_run_outcome outcome = { 0 };
	struct sg_run_record run;
	struct sg_model_view v;
	struct sg_error err;
	char config_path[4096];
	const char *demo, *out;
	int first, rc;

	rc = cli_parse_options(argc, argv, CLI_OPT_OUT | CLI_OPT_PLUGIN_DIR,
			       demo_usage, &o, &first);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (first < argc)
		return cli_usage_error("demo", "unexpected argument \"%s\"",
				       argv[first]);
	demo = find_demo_dir();
	if (demo == NULL) {
		fprintf(stderr, "stageguard: the bundled demo data is not "
			"installed (looked in %s/configs/demo and %s/demo); "
			"set STAGEGUARD_DEMO_DIR\n", SG_SOURCE_DIR,
			SG_PKGDATADIR);
		return 1;
	}
	out = o.out ? o.out : "stageguard-demo";
	sg_error_clear(&err);
	sg_exceptions_init(&list);
	memset(&s, 0, sizeof(s));
	rc = prepare(demo, out, config_path, sizeof(config_path), &err);
	o.config_path = config_path;
	o.quiet = 1;
	if (rc == SG_OK)
		rc = cli_session_open(&s, &o, &err);
	if (rc == SG_OK && s.config->ledger_path == NULL)
		rc = sg_error_set_at(&err, SG_ERR_CONFIG, config_path, 0, 0,
				     "the demo config names no ledger");
	if (rc == SG_OK)
		rc = sg_ledger_open(&ledger, s.config->ledger_path, &err);
	if (rc == SG_OK)
		rc = cli_session_keep(&s, ledger, &err);
	if (rc == SG_OK)
		rc = cli_session_pull(&s, &o, &err);
	if (rc == SG_OK)
		rc = cli_session_window(&s, &o, ledger, &err);
	if (rc == SG_OK) {
		/* The sample is judged as of its own export time, so the
		 * demo tells the same story whenever it is run. */
		sg_model_view(s.model, &v);
		if (v.snapshot_present)
			s.window.as_of = v.snapshot_extracted_at;
		rc = cli_run_checks(&s, &list, &err);
	}
	if (rc == SG_OK)
		rc = cli_record_run(&s, ledger, &list, &run, &outcome, &err);
	if (rc == SG_OK)
		rc = demo_outputs(&s, ledger, &err);
	if (rc == SG_OK)
		print_summary(out, &s, &list, &outcome);
	sg_exceptions_release(&list);
	sg_ledger_close(ledger);
	cli_session_close(&s);
	return rc == SG_OK ? 0 : cli_fail(&err);
}
