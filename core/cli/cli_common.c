#include "config.h"
#include "cli.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sg_measures.h"
#include "sg_record.h"
#include "sg_secrets.h"
#include "sg_source.h"

int cli_fail(const struct sg_error *err)
{
	char line[SG_ERROR_MESSAGE_MAX + SG_ERROR_PATH_MAX + 64];

	/* The last gate before the terminal: whatever layer made the
	 * message, no registered secret passes. */
	sg_error_format(err, line, sizeof(line));
	sg_secrets_redact_in_place(line, sizeof(line));
	fprintf(stderr, "stageguard: %s\n", line);
	return sg_error_exit_status(err->code);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "stageguard %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see `stageguard %s --help`)\n", command);
	return 2;
}

sg_time cli_now(void)
{
	const char *fixed = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	/* Reproducible outputs (tests, audits replaying a run): the
	 * reproducible-builds convention, a plain count of seconds. */
	if (fixed != NULL && fixed[0] >= '0' && fixed[0] <= '9') {
		v = strtoll(fixed, &end, 10);
		/* Year 9999 at most, as the ISO times allow. */
		if (*end == '\0' && v < 253402300800LL)
			return (sg_time)v;
	}
	return (sg_time)time(NULL);
}

int cli_parse_time(sg_time *out, const char *option, const char *text,
		   struct sg_error *err)
{
	int rc = sg_time_parse_iso(out, text, strlen(text), 0, 0, err);

	if (rc != SG_OK) {
		err->code = SG_ERR_USAGE;
		sg_error_prefix(err, "%s: ", option);
		return SG_ERR_USAGE;
	}
	return SG_OK;
}

const char *cli_ledger_path(const struct cli_options *o,
			    const struct sg_config *config)
{
	if (o->ledger_path != NULL)
		return o->ledger_path;
	return config ? config->ledger_path : NULL;
}

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_phase(struct cli_session *s, const char *phase)
{
	double now = seconds_now();
	struct rusage ru;

	if (s->timing && getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(stderr, "stageguard: %s in %.2f s (peak memory so far "
			"%ld MiB)\n", phase, now - s->phase_mark,
			ru.ru_maxrss / 1024);
	s->phase_mark = now;
}

double cli_seconds(void)
{
	return seconds_now();
}

void cli_phase_took(const struct cli_session *s, const char *phase,
		    double seconds)
{
	struct rusage ru;

	if (s->timing && getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(stderr, "stageguard: %s in %.2f s (peak memory so far "
			"%ld MiB)\n", phase, seconds, ru.ru_maxrss / 1024);
}

void cli_phase_replay(struct cli_session *s, const struct sg_replay *replay)
{
	char phase[96];

	snprintf(phase, sizeof(phase), "replayed the history (%zu "
		 "exceptions)", sg_replay_exceptions(replay)->count);
	cli_phase(s, phase);
}

int cli_session_open(struct cli_session *s, const struct cli_options *o,
		     struct sg_error *err)
{
	const char *path = o->config_path ? o->config_path : SG_DEFAULT_CONFIG;
	int rc;

	memset(s, 0, sizeof(*s));
	s->started_at = cli_now();
	s->timing = o->verbose > 0;
	s->phase_mark = seconds_now();
	rc = sg_config_load(&s->config, path, err);
	if (rc == SG_OK)
		rc = sg_registry_open(&s->registry, o->plugin_dir, err);
	if (rc == SG_OK)
		rc = sg_source_validate_sections(s->config, s->registry, err);
	return rc;
}

void cli_session_close(struct cli_session *s)
{
	sg_state_free(s->state);
	sg_kept_free(s->kept);
	sg_model_free(s->model);
	sg_registry_free(s->registry);
	sg_config_free(s->config);
	memset(s, 0, sizeof(*s));
}

/* The source to pull: --source NAME[:ARG], else the only configured one. */
static int choose_source(const struct cli_session *s,
			 const struct cli_options *o, char *name,
			 size_t name_size, const char **arg,
			 struct sg_error *err)
{
	const char *colon;
	size_t len;

	*arg = NULL;
	if (o->source != NULL) {
		colon = strchr(o->source, ':');
		len = colon ? (size_t)(colon - o->source) : strlen(o->source);
		if (len == 0 || len >= name_size)
			return sg_error_set(err, SG_ERR_USAGE,
					    "--source %s: expected NAME or "
					    "NAME:ARG (e.g. csv:data/)",
					    o->source);
		memcpy(name, o->source, len);
		name[len] = '\0';
		if (colon != NULL)
			*arg = colon + 1;
		return SG_OK;
	}
	if (s->config->sources == NULL ||
	    json_object_size(s->config->sources) == 0)
		return sg_error_set(err, SG_ERR_USAGE,
				    "%s names no source: add a \"sources\" "
				    "section or pass --source csv:DIR",
				    s->config->path);
	if (json_object_size(s->config->sources) > 1)
		return sg_error_set(err, SG_ERR_USAGE,
				    "%s configures several sources: pick one "
				    "with --source NAME", s->config->path);
	{
		void *iter = json_object_iter(s->config->sources);

		snprintf(name, name_size, "%s", json_object_iter_key(iter));
	}
	return SG_OK;
}

static void cli_warn_orphans(const struct cli_session *s,
			     const struct cli_options *o);

int cli_session_pull(struct cli_session *s, const struct cli_options *o,
		     struct sg_error *err)
{
	struct sg_pull_options pull = { 0 };
	char name[128];
	int rc;

	rc = choose_source(s, o, name, sizeof(name), &pull.arg, err);
	if (rc != SG_OK)
		return rc;
	pull.name = name;
	pull.verbose = o->verbose ? SG_LOG_INFO + (o->verbose > 1) :
				    SG_LOG_WARN;
	pull.quiet = o->quiet;
	pull.inputs = s->kept != NULL ? sg_kept_writer(s->kept) : NULL;
	sg_state_free(s->state);
	rc = sg_state_load(&s->state, s->ledger, name, err);
	if (rc != SG_OK)
		return rc;
	pull.state = s->state;
	snprintf(s->source_label, sizeof(s->source_label), "%s%s%s", name,
		 pull.arg ? ":" : "", pull.arg ? pull.arg : "");
	rc = sg_model_new(&s->model, s->config, err);
	if (rc == SG_OK)
		rc = sg_source_pull(s->model, s->config, s->registry, &pull,
				    err);
	/* The kept records are in the ledger before anything reads it. */
	if (s->kept != NULL) {
		struct sg_error drain_err;
		int drained = sg_kept_drain(s->kept, &drain_err);

		if (rc == SG_OK && drained != SG_OK) {
			rc = drained;
			if (err != NULL)
				*err = drain_err;
		}
	}
	if (rc == SG_OK)
		rc = sg_model_finish(s->model, err);
	if (rc != SG_OK)
		return rc;
	cli_warn_orphans(s, o);
	return SG_OK;
}

int cli_session_keep(struct cli_session *s, struct sg_ledger *ledger,
		     struct sg_error *err)
{
	cli_session_read_state(s, ledger);
	return sg_kept_new(&s->kept, ledger, err);
}

void cli_session_read_state(struct cli_session *s, struct sg_ledger *ledger)
{
	s->ledger = ledger;
}

int cli_open_existing_ledger(struct sg_ledger **ledger,
			     const struct cli_options *o,
			     const struct sg_config *config,
			     struct sg_error *err)
{
	const char *path = cli_ledger_path(o, config);

	*ledger = NULL;
	if (path == NULL || access(path, F_OK) != 0)
		return SG_OK;
	return sg_ledger_open(ledger, path, err);
}

int cli_session_load(struct cli_session *s, const struct cli_options *o,
		     struct sg_ledger *ledger, struct sg_error *err)
{
	char run_id[33], when[SG_TIME_ISO_SIZE];
	sg_time run_as_of, at = SG_TIME_NONE;
	int found = 0, rc;

	if (o->source != NULL || ledger == NULL)
		return cli_session_pull(s, o, err);
	if (o->as_of != NULL) {
		rc = cli_parse_time(&at, "--as-of", o->as_of, err);
		if (rc != SG_OK)
			return rc;
	}
	rc = sg_ledger_inputs_run(ledger, at == SG_TIME_NONE ? INT64_MAX : at,
				  run_id, &run_as_of, &found, err);
	if (rc != SG_OK)
		return rc;
	if (!found) {
		if (!o->quiet)
			fprintf(stderr, "stageguard: the ledger keeps no "
				"records of a run%s%s; reading the source\n",
				at == SG_TIME_NONE ? "" : " at or before ",
				at == SG_TIME_NONE ? "" :
				sg_time_format_iso(at, when));
		return cli_session_pull(s, o, err);
	}
	snprintf(s->source_label, sizeof(s->source_label), "ledger:%s",
		 run_id);
	rc = sg_model_new(&s->model, s->config, err);
	if (rc == SG_OK)
		rc = sg_kept_load(s->model, ledger, run_id, err);
	if (rc == SG_OK)
		cli_phase(s, "read the kept records");
	if (rc == SG_OK)
		rc = sg_model_finish(s->model, err);
	if (rc == SG_OK && o->verbose > 0)
		fprintf(stderr, "stageguard: read the records run %s kept "
			"(as of %s)\n", run_id,
			sg_time_format_iso(run_as_of, when));
	if (rc == SG_OK)
		cli_phase(s, "finished the model");
	if (rc == SG_OK)
		cli_warn_orphans(s, o);
	return rc;
}

/* Records that name no opportunity are ignored, and said so. */
static void cli_warn_orphans(const struct cli_session *s,
			     const struct cli_options *o)
{
	struct sg_model_view view;

	sg_model_view(s->model, &view);
	if (view.orphan_records > 0 && !o->quiet)
		fprintf(stderr, "stageguard: warning: %zu history, activity "
			"or evidence records name opportunities that are not "
			"in the opportunities file; they are ignored\n",
			view.orphan_records);
}

/*
 * A recorded run goes forward in time: an as-of before the last run's
 * would put its events before ones already measured (--allow-backdated
 * says the user means it), and a since after the as-of judges no move.
 */
static int cli_window_sane(const struct cli_session *s,
			   const struct cli_options *o, int found,
			   sg_time last, struct sg_error *err)
{
	char a[SG_TIME_ISO_SIZE], b[SG_TIME_ISO_SIZE];

	if (o->since != NULL && s->window.since > s->window.as_of)
		return sg_error_set(err, SG_ERR_USAGE, "--since %s is after "
				    "the as-of %s: the window (since, as-of] "
				    "would hold no stage move",
				    sg_time_format_iso(s->window.since, a),
				    sg_time_format_iso(s->window.as_of, b));
	if (found && s->window.as_of < last && !o->dry_run &&
	    !o->allow_backdated)
		return sg_error_set(err, SG_ERR_USAGE, "the as-of %s is before "
				    "the last recorded run's (%s): a run "
				    "records forward in time, and this one "
				    "would date its events before ones already "
				    "measured; pass --allow-backdated if that "
				    "is meant, or --dry-run to look without "
				    "recording",
				    sg_time_format_iso(s->window.as_of, a),
				    sg_time_format_iso(last, b));
	return SG_OK;
}

int cli_session_window(struct cli_session *s, const struct cli_options *o,
		       struct sg_ledger *ledger, struct sg_error *err)
{
	int rc, found = 0;
	sg_time last = SG_TIME_NONE;

	s->window.as_of = s->started_at;
	s->window.since = SG_TIME_NONE;
	if (o->as_of != NULL) {
		rc = cli_parse_time(&s->window.as_of, "--as-of", o->as_of, err);
		if (rc != SG_OK)
			return rc;
	}
	if (ledger != NULL) {
		rc = sg_ledger_last_as_of(ledger, &last, &found, err);
		if (rc != SG_OK)
			return rc;
	}
	if (o->since != NULL) {
		rc = cli_parse_time(&s->window.since, "--since", o->since,
				    err);
		if (rc != SG_OK)
			return rc;
	} else if (found) {
		s->window.since = last;
	} else if (s->config->pilot_present) {
		s->window.since = s->config->pilot_start;
	}
	return cli_window_sane(s, o, found, last, err);
}

int cli_session_stale_gate(const struct cli_session *s,
			   const struct cli_options *o, struct sg_error *err)
{
	struct sg_model_view view;
	char at[SG_TIME_ISO_SIZE], as_of[SG_TIME_ISO_SIZE];
	sg_time age;

	sg_model_view(s->model, &view);
	if (o->allow_stale || !view.snapshot_present ||
	    !s->config->stale_after.present)
		return SG_OK;
	age = s->window.as_of - view.snapshot_extracted_at;
	if (age <= s->config->stale_after.seconds)
		return SG_OK;
	return sg_error_set(err, SG_ERR_STALE,
			    "paused: the source snapshot was extracted at %s, "
			    "%.1f hours before as-of %s, more than "
			    "data.stale_after_hours (%g); refresh the export "
			    "or pass --allow-stale",
			    sg_time_format_iso(view.snapshot_extracted_at, at),
			    (double)age / 3600.0,
			    sg_time_format_iso(s->window.as_of, as_of),
			    s->config->stale_after.days);
}

int cli_run_checks(struct cli_session *s, struct sg_exceptions *out,
		   struct sg_error *err)
{
	sg_exceptions_init(out);
	return sg_checks_run(out, s->model, &s->window, err);
}

int cli_record_run(struct cli_session *s, struct sg_ledger *ledger,
		   const struct sg_exceptions *list, struct sg_run_record *run,
		   struct sg_run_outcome *outcome, struct sg_error *err)
{
	struct sg_model_view view;

	sg_model_view(s->model, &view);
	memset(run, 0, sizeof(*run));
	run->started_at = s->started_at;
	run->finished_at = cli_now();
	run->as_of = s->window.as_of;
	run->since = s->window.since;
	run->source = s->source_label;
	run->snapshot_at = view.snapshot_present ? view.snapshot_extracted_at :
						  SG_TIME_NONE;
	run->config_sha256 = s->config->text_sha256;
	run->tool_version = PACKAGE_VERSION;
	run->opportunities = view.opp_count;
	run->evaluated = list->evaluated;
	run->paused = list->paused;
	if (s->kept != NULL) {
		int rc = sg_kept_finish(s->kept, run, err);

		if (rc != SG_OK)
			return rc;
	}
	/* What the plugin keeps lands with the run or not at all. */
	sg_state_changes(s->state, &run->state, &run->state_count);
	return sg_record_run(ledger, run, list, s->model, outcome, err);
}

int cli_parse_options(int argc, char **argv, unsigned allowed,
		      const char *usage, struct cli_options *o,
		      int *first_arg)
{
	static const struct {
		const char *name;
		unsigned flag;
		int has_value;
	} known[] = {
		{ "--config", CLI_OPT_CONFIG, 1 },
		{ "-c", CLI_OPT_CONFIG, 1 },
		{ "--plugin-dir", CLI_OPT_PLUGIN_DIR, 1 },
		{ "--ledger", CLI_OPT_LEDGER, 1 },
		{ "--source", CLI_OPT_SOURCE, 1 },
		{ "--as-of", CLI_OPT_AS_OF, 1 },
		{ "--since", CLI_OPT_SINCE, 1 },
		{ "--allow-stale", CLI_OPT_ALLOW_STALE, 0 },
		{ "--allow-backdated", CLI_OPT_ALLOW_BACKDATED, 0 },
		{ "--dry-run", CLI_OPT_DRY_RUN, 0 },
		{ "--format", CLI_OPT_FORMAT, 1 },
		{ "--from", CLI_OPT_FROM, 1 },
		{ "--out", CLI_OPT_OUT, 1 },
	};
	int i;

	memset(o, 0, sizeof(*o));
	*first_arg = argc;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *value = NULL, *eq;
		size_t k, name_len;
		unsigned flag = 0;
		int has_value = 0;

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			fputs(usage, stdout);
			return 1;
		}
		if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
			o->verbose++;
			continue;
		}
		if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
			o->quiet = 1;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			*first_arg = i + 1;
			return 0;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			*first_arg = i;
			return 0;
		}
		eq = strchr(arg, '=');
		name_len = eq ? (size_t)(eq - arg) : strlen(arg);
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strlen(known[k].name) == name_len &&
			    strncmp(known[k].name, arg, name_len) == 0) {
				flag = known[k].flag;
				has_value = known[k].has_value;
			}
		if (flag == 0 || !(allowed & flag))
			return cli_usage_error(argv[0], "unknown option %.*s",
					       (int)name_len, arg);
		if (has_value) {
			value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (value == NULL)
				return cli_usage_error(argv[0], "%s needs a "
						       "value", arg);
		} else if (eq != NULL) {
			return cli_usage_error(argv[0], "%.*s takes no value",
					       (int)name_len, arg);
		}
		switch (flag) {
		case CLI_OPT_CONFIG: o->config_path = value; break;
		case CLI_OPT_PLUGIN_DIR: o->plugin_dir = value; break;
		case CLI_OPT_LEDGER: o->ledger_path = value; break;
		case CLI_OPT_SOURCE: o->source = value; break;
		case CLI_OPT_AS_OF: o->as_of = value; break;
		case CLI_OPT_SINCE: o->since = value; break;
		case CLI_OPT_ALLOW_STALE: o->allow_stale = 1; break;
		case CLI_OPT_ALLOW_BACKDATED: o->allow_backdated = 1; break;
		case CLI_OPT_DRY_RUN: o->dry_run = 1; break;
		case CLI_OPT_FORMAT: o->format = value; break;
		case CLI_OPT_FROM: o->from = value; break;
		case CLI_OPT_OUT: o->out = value; break;
		default: break;
		}
	}
	return 0;
}
