/*
 * cli.h - the stageguard command line: one function per command, and the
 * session every data command shares (config, plugins, model, window).
 */
#ifndef SG_CLI_H
#define SG_CLI_H

#include <stdio.h>

#include "sg_checks.h"
#include "sg_kept.h"
#include "sg_config.h"
#include "sg_ledger.h"
#include "sg_loader.h"
#include "sg_model.h"
#include "sg_state.h"

#define SG_DEFAULT_CONFIG "stageguard.json"

/* How this program was invoked (argv[0]), for hints that name it. */
extern const char *cli_program;

/* Options shared by the data commands. */
struct cli_options {
	const char *config_path;
	const char *plugin_dir;
	const char *ledger_path;
	const char *source;     /* NAME[:ARG] */
	const char *as_of;
	const char *since;
	int allow_stale;
	int allow_backdated;    /* record an as-of before the last run's */
	int dry_run;
	int verbose;
	int quiet;
	const char *format;     /* "text" or "jsonl" */
	const char *from;       /* init --from CRM */
	const char *out;        /* demo --out DIR */
};

/* A loaded config, plugins and model with the window to judge. */
struct cli_session {
	struct sg_config *config;
	struct sg_registry *registry;
	struct sg_model *model;
	struct sg_kept *kept;    /* the pull's records kept for the ledger */
	struct sg_ledger *ledger; /* borrowed: the plugin's state is read
				     from it (NULL: no state) */
	struct sg_state *state;  /* the source plugin's state of the pull */
	char source_label[512];  /* "csv:DIR" as used */
	struct sg_check_window window;
	sg_time started_at;
	int timing;              /* -v: say how long each phase took */
	double phase_mark;       /* when the current phase began */
};

/* Options a command accepts (for cli_parse_options). */
#define CLI_OPT_CONFIG 0x001u
#define CLI_OPT_PLUGIN_DIR 0x002u
#define CLI_OPT_LEDGER 0x004u
#define CLI_OPT_SOURCE 0x008u
#define CLI_OPT_AS_OF 0x010u
#define CLI_OPT_SINCE 0x020u
#define CLI_OPT_ALLOW_STALE 0x040u
#define CLI_OPT_DRY_RUN 0x080u
#define CLI_OPT_FORMAT 0x100u
#define CLI_OPT_FROM 0x200u
#define CLI_OPT_OUT 0x400u
#define CLI_OPT_ALLOW_BACKDATED 0x800u

/*
 * Parses argv[1..] (argv[0] is the command) into o, accepting only the
 * options in allowed plus -v, -q and -h.  Returns 0 to go on, 1 when help
 * was printed (exit 0), or 2 after printing a usage error.  *first_arg is
 * set to the index of the first operand.
 */
int cli_parse_options(int argc, char **argv, unsigned allowed,
		      const char *usage, struct cli_options *o,
		      int *first_arg);

int cmd_plugins(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_gate(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_pilot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_bundle(int argc, char **argv);

/* Prints err as "stageguard: FILE:LINE:COL: message" and returns the exit
 * status for its code. */
int cli_fail(const struct sg_error *err);

/* Prints a usage error and returns 2. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Loads the config and the plugins (validating plugin sections). */
int cli_session_open(struct cli_session *s, const struct cli_options *o,
		     struct sg_error *err);

/* Pulls the chosen source into a finished model, warning on orphans;
 * after cli_session_keep(), its records are stored in the ledger too. */
int cli_session_pull(struct cli_session *s, const struct cli_options *o,
		     struct sg_error *err);

/* Keeps the next pull's records in ledger, for cli_record_run(), and
 * reads the plugin's state from it (cli_session_read_state()). */
int cli_session_keep(struct cli_session *s, struct sg_ledger *ledger,
		     struct sg_error *err);

/* The next pull reads the plugin's state from ledger (borrowed; NULL:
 * none); only cli_record_run() writes it back. */
void cli_session_read_state(struct cli_session *s, struct sg_ledger *ledger);

/* The ledger the options and config name when it exists (never created);
 * *ledger NULL when none is named or the file is not there. */
int cli_open_existing_ledger(struct sg_ledger **ledger,
			     const struct cli_options *o,
			     const struct sg_config *config,
			     struct sg_error *err);

/*
 * The model for outputs made from the ledger (report, bundle, metrics):
 * with --source, a pull; else the records kept by the latest run at or
 * before --as-of (none: any), so no source is needed; a ledger without
 * kept records (written before they were kept) falls back to a pull,
 * saying so.
 */
int cli_session_load(struct cli_session *s, const struct cli_options *o,
		     struct sg_ledger *ledger, struct sg_error *err);

/* Sets the window: as-of (default now), since (option, else the ledger's
 * last as-of when ledger is given, else the pilot start, else none). */
int cli_session_window(struct cli_session *s, const struct cli_options *o,
		       struct sg_ledger *ledger, struct sg_error *err);

/* The stale-snapshot gate (DESIGN §5): SG_ERR_STALE with a message when
 * the snapshot is older than data.stale_after_hours at as-of. */
int cli_session_stale_gate(const struct cli_session *s,
			   const struct cli_options *o, struct sg_error *err);

void cli_session_close(struct cli_session *s);

/* The ledger file for these options and config (--ledger wins); NULL when
 * neither names one. Borrowed from o or config. */
const char *cli_ledger_path(const struct cli_options *o,
			    const struct sg_config *config);

/* Judges the session's model: the exceptions of its window. */
int cli_run_checks(struct cli_session *s, struct sg_exceptions *out,
		   struct sg_error *err);

/* Records a checked run in the ledger (run is filled, its id set);
 * prints nothing. */
int cli_record_run(struct cli_session *s, struct sg_ledger *ledger,
		   const struct sg_exceptions *list, struct sg_run_record *run,
		   struct sg_run_outcome *outcome, struct sg_error *err);

/*
 * Writes text for a terminal: control characters (C0, DEL, C1) and bytes
 * that are not UTF-8 as \xNN, so a name read from a file can never send
 * an escape sequence to the terminal.
 */
void cli_put_text(FILE *out, const char *text);

/* Writes the exceptions as JSON lines or as a text table with a summary. */
int cli_print_exceptions(FILE *out, const struct cli_session *s,
			 const struct sg_exceptions *list, const char *format,
			 struct sg_error *err);

/* With -v, where the time and memory went (for people tuning a large
 * pipeline): prints "stageguard: PHASE in N s (peak memory so far M
 * MiB)" and starts the next phase. */
void cli_phase(struct cli_session *s, const char *phase);

/* A monotonic clock in seconds, for phases timed apart. */
double cli_seconds(void);
/* Prints, with -v, a phase timed apart (on another thread): it took
 * seconds; the phase mark is left alone. */
void cli_phase_took(const struct cli_session *s, const char *phase,
		    double seconds);

/* cli_phase() for the measures' replay, with its exception count. */
struct sg_replay;
void cli_phase_replay(struct cli_session *s, const struct sg_replay *replay);

/* Now: the clock, or SOURCE_DATE_EPOCH (seconds) when it is set, so a
 * run, a decision and everything written from them can be reproduced. */
sg_time cli_now(void);

/* Parses an ISO time option; SG_ERR_USAGE naming the option. */
int cli_parse_time(sg_time *out, const char *option, const char *text,
		   struct sg_error *err);

/* One output to write: a sink and the path the command line gives it
 * (NULL: the config's option). */
struct cli_sink_job {
	const char *name;
	const char *arg;
};

/*
 * Writes each job through its sink plugin, in order, building only what
 * the sinks need from the session's model, the ledger (required) and the
 * config.  verbose is the sinks' log level (SG_LOG_INFO prints what each
 * wrote).
 */
int cli_publish(struct cli_session *s, struct sg_ledger *ledger,
		const struct cli_sink_job *jobs, size_t job_count,
		int verbose, struct sg_error *err);

/*
 * The same in steps, for a command that loads the model itself:
 * cli_publish_begin() before the model is loaded starts what needs none
 * (an archiving sink's ledger files, sg_evidence_begin()); jobs and the
 * ledger must outlive the publication.  cli_publish_run() once the
 * model is there; cli_publish_end() in any case (accepts NULL).
 */
struct cli_publication;

int cli_publish_begin(struct cli_publication **out, struct cli_session *s,
		      struct sg_ledger *ledger,
		      const struct cli_sink_job *jobs, size_t job_count,
		      struct sg_error *err);
int cli_publish_run(struct cli_publication *p, int verbose,
		    struct sg_error *err);
void cli_publish_end(struct cli_publication *p);

/* The sinks the config names, archiving sinks last; *jobs is malloc'd
 * (borrowing names from the config). */
int cli_config_sink_jobs(const struct cli_session *s,
			 struct cli_sink_job **jobs, size_t *count,
			 struct sg_error *err);

#endif
