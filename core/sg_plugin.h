/*
 * sg_plugin.h - the ABI between stageguard and its plugins (DESIGN §2).
 *
 * A plugin is a shared object exporting one symbol:
 *
 *     const struct sg_plugin *sg_plugin_entry(void);
 *
 * returning a constant descriptor.  The host reads the descriptor (and can
 * list and document the plugin) without running any other plugin code.
 * abi_version comes first and is checked before any other field is read.
 *
 * The host hands open() a struct sg_host: a versioned table of the calls a
 * plugin may make.  Fields are only ever appended to it; a plugin checks
 * host->size before using a field added after the version it was built
 * against.  Plugins never link the executable.
 *
 * The ABI is in three parts, all included here: this file (options, the
 * HTTP helper, the host table, a sink's input, the descriptor),
 * sg_plugin_records.h (what a source emits) and sg_plugin_report.h (the
 * report a sink renders).
 *
 * Ownership: records a source emits are borrowed for the duration of the
 * emit call (the host copies or interns what it keeps).  A sink's input is
 * a const view valid for the write() call: copy what finish() needs.  The config struct the host fills from
 * the option table is owned by the host and valid until close().
 */
#ifndef SG_PLUGIN_H
#define SG_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "util/sg_error.h"
#include "util/sg_time.h"

/* 2: sink input defined, verify() added.  3: sink file slices.
 * 4: the HTTP client (request size, classify, refresh, streaming, pace;
 * secrets registered with add_secret instead of listed per request).
 * 5: struct sg_sink_file grows packed, size, packed_size and sha256. */
#define SG_PLUGIN_ABI_VERSION 5u

enum sg_plugin_kind {
	SG_PLUGIN_SOURCE = 1,
	SG_PLUGIN_SINK = 2
};

/* Option value types.  The host writes each value into the plugin's config
 * struct at `offset` as: STRING and JSON -> char * (JSON is the option's
 * value serialized compactly); INT -> long long; DOUBLE -> double;
 * BOOL -> int. */
enum sg_option_type {
	SG_OPT_STRING = 1,
	SG_OPT_INT,
	SG_OPT_DOUBLE,
	SG_OPT_BOOL,
	SG_OPT_JSON
};

/* Option flags. */
#define SG_OPT_REQUIRED 0x1u
#define SG_OPT_SECRET 0x2u  /* never logged, reported or bundled */
/* A plugin that is both source and sink: required under "sources" only,
 * or under "sinks" only. */
#define SG_OPT_SOURCE_REQUIRED 0x4u
#define SG_OPT_SINK_REQUIRED 0x8u

struct sg_option {
	const char *name;
	int type;               /* enum sg_option_type */
	unsigned flags;
	const char *default_value; /* text form; NULL: no default */
	const char *help;       /* one line or a short paragraph */
	size_t offset;          /* offsetof(struct <plugin>_config, field) */
};

#include "sg_plugin_records.h"
#include "sg_plugin_report.h"

/*
 * --- The HTTP client (host->http): one place for kept-alive connections,
 * retries, pacing, deadlines, streaming and redaction. ---
 */

struct sg_http_header {
	const char *name, *value;
};

/* What the host makes of an answer (a request's classify hook). */
enum sg_http_verdict {
	SG_HTTP_ACCEPT = 0,     /* hand it to the caller, whatever status */
	SG_HTTP_RETRY,          /* transient: wait (Retry-After, else a
				 * backoff) and send again */
	SG_HTTP_REFRESH,        /* credentials expired: refresh(), then send
				 * again, once per exchange */
	SG_HTTP_FINAL           /* an error no retry cures */
};

struct sg_http_response {
	long status;
	char *body;             /* NUL-terminated, host-allocated; empty
				 * when a 2xx body went to on_body */
	size_t body_len;
	char *headers;          /* the final answer's raw header block */
	const struct sg_http_header *fields; /* the same, parsed, in order */
	size_t field_count;
	unsigned attempts;      /* requests sent for this exchange */
};

struct sg_http_request {
	size_t size;            /* sizeof(struct sg_http_request): fields
				 * past it read as zero */
	const char *method;     /* "GET", "POST", ... */
	const char *url;
	const struct sg_http_header *headers;
	size_t header_count;
	const char *body;       /* NULL for none */
	size_t body_len;
	int max_retries;        /* sends after the first on RETRY */
	long timeout_ms;        /* deadline of the whole exchange: every
				 * attempt and wait; 0: 300,000 */
	long backoff_ms;        /* first backoff without Retry-After (full
				 * jitter, doubling, capped at 60 s);
				 * 0: 1,000 */
	const char *pace;       /* a pace named by http_pace(); the
				 * plugin's default pace applies too */
	size_t max_body;        /* a larger body is a final error; 0:
				 * 256 MiB */
	/*
	 * What an answer means (enum sg_http_verdict); may write a reason
	 * for RETRY or FINAL into why.  NULL: 2xx and other answers ACCEPT,
	 * 408, 429 and 5xx RETRY.
	 */
	int (*classify)(void *arg, const struct sg_http_response *resp,
			char *why, size_t why_size);
	/*
	 * Renews credentials after REFRESH.  It may change the strings
	 * headers points at (the plugin owns them): the host reads them
	 * again for the next attempt.  NULL: REFRESH is FINAL.
	 */
	int (*refresh)(void *arg, struct sg_error *err);
	/*
	 * Takes a 2xx body in pieces instead of resp->body (a CSV page
	 * read as it arrives).  An error stops the exchange with it.  A
	 * connection lost after bytes went to on_body is final: they
	 * cannot be taken back.
	 */
	int (*on_body)(void *arg, const char *data, size_t len,
		       struct sg_error *err);
	void *arg;              /* for classify, refresh and on_body */
};

enum sg_log_level {
	SG_LOG_ERROR = 0, SG_LOG_WARN, SG_LOG_INFO, SG_LOG_DEBUG
};

/*
 * The rules, read-only (struct sg_host.rules): what a source needs to map
 * a CRM's stages and to ask only for the fields the rules use.  Borrowed
 * for as long as the plugin is open.
 */
struct sg_rules_stage {
	const char *id;
	const char *label;              /* the id when none is given */
	int closed, won;
	const char *forecast_category;  /* NULL: none */
	const char *const *exit_criteria; /* criterion ids, in order */
	size_t exit_criteria_count;
	const char *const *required_fields; /* model or extra field names */
	size_t required_field_count;
};

struct sg_rules_criterion {
	const char *id;
	const char *label;              /* the id when none is given */
	int buyer_only;                 /* only buyer evidence counts */
};

struct sg_rules {
	size_t size;                    /* sizeof(struct sg_rules) */
	const char *pipeline_id;        /* NULL: every pipeline in scope */
	const char *pipeline_label;     /* NULL: none */
	const struct sg_rules_stage *stages;    /* in the pipeline's order */
	size_t stage_count;
	const struct sg_rules_criterion *criteria;
	size_t criterion_count;
	const char *segment_field;      /* NULL: no segments */
	const char *const *placeholders; /* values that count as missing */
	size_t placeholder_count;
};

struct sg_sink_decision;

/* A stage as a source describes it (struct sg_pipeline_description). */
struct sg_described_stage {
	const char *id;         /* the value the source emits for it */
	const char *label;      /* NULL: the id */
	int closed, won;        /* 0/1; -1: the source cannot tell */
	const char *forecast_category; /* NULL: unknown */
};

/* What a source knows of its pipeline, for `init --from`. */
struct sg_pipeline_description {
	size_t size;            /* sizeof(struct sg_pipeline_description) */
	const char *pipeline_id, *pipeline_label; /* NULL: unknown */
	const struct sg_described_stage *stages; /* in the pipeline's order */
	size_t stage_count;
	const char *const *notes; /* what the draft guessed, in words, for
				   * the person completing it */
	size_t note_count;
};

/* The host table.  version and size come first; fields are appended. */
#define SG_HOST_VERSION 3u

struct sg_host {
	unsigned version;
	size_t size;
	void *ctx;              /* pass back as the first argument */

	int (*emit_opportunity)(void *ctx, const struct sg_rec_opportunity *r,
				const struct sg_where *where,
				struct sg_error *err);
	int (*emit_stage_event)(void *ctx, const struct sg_rec_stage_event *r,
				const struct sg_where *where,
				struct sg_error *err);
	int (*emit_field_change)(void *ctx,
				 const struct sg_rec_field_change *r,
				 const struct sg_where *where,
				 struct sg_error *err);
	int (*emit_activity)(void *ctx, const struct sg_rec_activity *r,
			     const struct sg_where *where,
			     struct sg_error *err);
	int (*emit_evidence)(void *ctx, const struct sg_rec_evidence *r,
			     const struct sg_where *where,
			     struct sg_error *err);
	int (*emit_owner)(void *ctx, const struct sg_rec_owner *r,
			  const struct sg_where *where, struct sg_error *err);
	int (*emit_snapshot)(void *ctx, const struct sg_rec_snapshot *r,
			     struct sg_error *err);

	void (*log)(void *ctx, int level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	void (*progress)(void *ctx, const char *what,
			 unsigned long long done, unsigned long long total);
	int (*cancelled)(void *ctx);

	/* Performs req (see struct sg_http_request); on SG_OK, resp holds
	 * the accepted answer and must be released with
	 * http_response_free.  Failures are SG_ERR_HTTP with
	 * err->http_status set when an answer came; SG_ERR_CANCELLED. */
	int (*http)(void *ctx, const struct sg_http_request *req,
		    struct sg_http_response *resp, struct sg_error *err);
	void (*http_response_free)(void *ctx, struct sg_http_response *resp);

	/* The value of an environment variable named by a *_env option;
	 * NULL when unset.  Borrowed. */
	const char *(*getenv)(void *ctx, const char *name);

	/* Nonzero when the value is missing by the rules config (§4). */
	int (*is_missing)(void *ctx, const char *value, int is_amount);

	/* The folder relative paths in the config are resolved against. */
	const char *(*config_dir)(void *ctx);

	/*
	 * What the plugin keeps between runs (a sync cursor, a checkpoint):
	 * text per key, never a secret.  state_get gives the value the last
	 * recorded run left, or the plugin's own change in this pull; NULL
	 * when none (or without a ledger).  Borrowed until the pull ends.
	 * state_put sets a key (value NULL removes it): a recording run
	 * writes it to the ledger in the run's own transaction, so a run
	 * that dies leaves the state as it was; `pull` and `check
	 * --dry-run` keep nothing.  A key is 1 to 256 bytes, a value at
	 * most 64 KiB, both UTF-8 text (else SG_ERR_PLUGIN).
	 */
	const char *(*state_get)(void *ctx, const char *key);
	int (*state_put)(void *ctx, const char *key, const char *value,
			 struct sg_error *err);

	/* The rules of the config (struct sg_rules), never NULL. */
	const struct sg_rules *(*rules)(void *ctx);

	/* --- version 2 --- */

	/*
	 * Registers a value learnt at run time (an access token, a refresh
	 * token) that no output may show: every log line, error message,
	 * -vv trace, record and so every ledger text, report and bundle
	 * shows it as "<redacted>".  Secret options are registered by the
	 * host.  SG_ERR_PLUGIN when shorter than 4 bytes.
	 */
	int (*add_secret)(void *ctx, const char *value, struct sg_error *err);

	/*
	 * Paces the plugin's requests, shared by all its threads: at most
	 * requests in any interval_ms (a sliding window, so a documented
	 * rolling limit is never hit).  name NULL is the default pace every
	 * request takes; a named one is taken by requests naming it too
	 * (HubSpot search: 4 a second within the 10-second burst limit).
	 * Calling again changes it.
	 */
	int (*http_pace)(void *ctx, const char *name, unsigned requests,
			 long interval_ms, struct sg_error *err);

	/* The value of the answer's first header called name (any case),
	 * or NULL.  Borrowed from resp. */
	const char *(*http_header)(void *ctx,
				   const struct sg_http_response *resp,
				   const char *name);

	/*
	 * --- A sink that writes review tasks to a CRM.  NULL in a
	 * source's table; without a ledger they fail with SG_ERR_USAGE. ---
	 *
	 * The CRM's id of the task made for an exception, kept in the
	 * ledger per sink, so a rerun creates no duplicate: task_ref_get
	 * writes it into ref (size bytes) and returns 1, or returns 0 when
	 * none is kept.  "" is what a sink keeps just before a create:
	 * found later, it says the create's outcome is unknown (it timed
	 * out), so the sink looks the task up in the CRM before creating
	 * it again.  task_ref_put keeps ref (at most 256 bytes of UTF-8;
	 * NULL forgets it), committed at once.  task_ref_find is the other
	 * way: the exception whose task has CRM id ref (1, or 0).
	 */
	int (*task_ref_get)(void *ctx, const char *exception_id, char *ref,
			    size_t size, struct sg_error *err);
	int (*task_ref_put)(void *ctx, const char *exception_id,
			    const char *ref, struct sg_error *err);
	int (*task_ref_find)(void *ctx, const char *ref, char *exception_id,
			     size_t size, struct sg_error *err);

	/*
	 * Records a disposition read back from the CRM exactly as `review
	 * decide` does, with the same refusals (SG_ERR_REFUSED: a task
	 * already decided, an unknown disposition, a decision before the
	 * exception was raised...; SG_ERR_NOTFOUND: no such exception).
	 */
	int (*decide)(void *ctx, const struct sg_sink_decision *d,
		      struct sg_error *err);

	/* A source: nonzero when the host will call describe() after this
	 * pull (`init --from`), so the plugin gathers what it needs. */
	int (*describing)(void *ctx);

	/* --- version 3 --- */

	/*
	 * A sink given files that says SG_SINK_FILES_WHEN_READY calls it
	 * before it first sizes or reads input->files[index]: the host may
	 * then hand write() a file it is still writing (a workbook rendered
	 * beside the archive, so both keep the processors busy).  Returns
	 * SG_OK once that file is complete, at once for a finished one, or
	 * the error that stopped it.  NULL in a source's table and from an
	 * older host: every file is complete when write() is called.
	 */
	int (*file_ready)(void *ctx, size_t index, struct sg_error *err);
};

/* A disposition a write-back sink read back from the CRM. */
struct sg_sink_decision {
	size_t size;            /* sizeof(struct sg_sink_decision) */
	const char *exception_id;
	const char *disposition; /* approve, correct, escalate, reassign,
				  * log or block (DESIGN §6) */
	const char *by;         /* who decided, as the CRM names them */
	const char *note;       /* NULL: none */
	sg_time at;             /* when it was decided in the CRM */
	const char *to;         /* reassign: the new assignee */
};

/*
 * A review task for a write-back sink (input->tasks): each task open
 * after the run for which this sink keeps no CRM id yet (so the run's
 * new tasks, and any an earlier run could not write).
 */
struct sg_sink_task {
	const char *exception_id;       /* the key of the task_ref calls */
	const char *type, *verdict;     /* contract names (DESIGN §8) */
	const char *opportunity_id;
	const char *opportunity_name;   /* "" when unknown */
	const char *owner_id;           /* "" when unknown */
	const char *assignee;           /* who must decide (DESIGN §6) */
	const char *from_stage, *to_stage; /* "" when none */
	sg_time raised_at, due_at;
	const char *note;               /* the review note */
	const char *const *missing;     /* the evidence criteria or fields
					 * found missing, by id */
	size_t missing_count;
	const char *details_json;       /* the type's members, JSON */
	const char *ref;                /* "": a create's outcome unknown
					 * (look it up first); NULL: none */
};

/* A finished file the host hands an archiving sink. */
struct sg_sink_file {
	const char *name;       /* relative name inside the output,
				 * '/'-separated: "inputs/opportunities.csv" */
	const char *path;       /* where its bytes are on disk now */
	int slice;              /* 0: all of path; 1: the length bytes of
				 * path from byte offset (many small files
				 * kept in one) */
	uint64_t offset, length;
	/* 1 (only for a sink that says SG_SINK_FILES_PACKED): path holds
	 * the file's bytes as gzip members (RFC 1952), one after another,
	 * each of at most 1 MiB of them, packed_size bytes in all; size
	 * and sha256 (lowercase hex) are those of the bytes unpacked.
	 * 0: path holds the bytes. */
	int packed;
	uint64_t size, packed_size;
	char sha256[65];
};

/*
 * What a sink is given.  Each sink uses the parts it renders and refuses,
 * with a message, input that lacks them:
 *   report  the report for people (the xlsx sink);
 *   data    tables for machines (the metrics sink): by key, "comparison",
 *           "baseline", "pilot", "weekly" and "events"; with data_json:
 *           the pilot's measures as one JSON document, the bytes
 *           `stageguard metrics --compare --format json` prints (NULL
 *           without a pilot);
 *   tasks   review tasks to write to a CRM (struct sg_sink_task), given
 *           by `run` after it recorded the run;
 *   files   finished files to archive (the bundle sink), with facts_json:
 *           one JSON object of what they were computed from ("tool",
 *           "tool_version", "config_sha256", "run_ids", "as_of",
 *           "snapshots": [{"source", "extracted_at"}], "pilot").
 * Absent parts are NULL (files: file_count 0).
 */
struct sg_sink_input {
	size_t size;            /* sizeof(struct sg_sink_input) */
	const struct sg_report *report;
	const struct sg_report *data;
	const struct sg_sink_file *files;
	size_t file_count;
	const char *facts_json;
	const char *data_json;
	const struct sg_sink_task *tasks;       /* SG_SINK_NEEDS_TASKS */
	size_t task_count;
};

/* Called by a sink's verify() once per difference found, in plain words:
 * "inputs/opportunities.csv: SHA-256 differs from the manifest". */
typedef void (*sg_problem_fn)(void *arg, const char *problem);

/* The descriptor. */
struct sg_plugin {
	unsigned abi_version;   /* SG_PLUGIN_ABI_VERSION; first, always */
	unsigned kind;          /* enum sg_plugin_kind bits */
	const char *name;       /* equals the module's basename */
	const char *version;    /* the plugin's own version text */
	const char *description; /* one line */
	const struct sg_option *options;
	size_t option_count;
	size_t config_size;     /* sizeof(struct <plugin>_config) */

	/* Called once; on success *state is the plugin's, freed by close(). */
	int (*open)(void **state, const void *config, const char *arg,
		    const struct sg_host *host, struct sg_error *err);
	/* A source: emits one block (CSV block, API page); returns 1 when
	 * more follows, 0 when done, or a negative status. */
	int (*pull)(void *state, struct sg_error *err);
	/* A sink: writes what it is given. */
	int (*write)(void *state, const struct sg_sink_input *input,
		     struct sg_error *err);
	/* A sink: completes its output (closing a workbook can fail). */
	int (*finish)(void *state, struct sg_error *err);
	/* Cannot fail; called once, only after a successful open(). */
	void (*close)(void *state);

	/*
	 * Optional, a source: independent streams pulled concurrently.
	 * After pull() has returned 0, the host asks stream_count() for the
	 * number of streams left (say, one per remaining input file) and
	 * calls pull_stream(state, i, err) for each i, from several threads:
	 * one thread at a time per stream, returning 1 more, 0 done or a
	 * negative status, as pull() does.  Streams never emit
	 * opportunities or owners (pull() emits those first).  Several
	 * streams may emit the same record kind (one file read as two
	 * halves): the host keeps each kind's records in stream order, those
	 * of stream i after those of every stream before it, whatever the
	 * threads' timing, so the halves of a file are consecutive streams
	 * in file order.  NULL: everything comes from pull().
	 */
	unsigned (*stream_count)(void *state);
	int (*pull_stream)(void *state, unsigned stream, struct sg_error *err);

	/*
	 * Optional, a sink: checks an output written earlier (an archive's
	 * hashes against its manifest), calling problem() once per
	 * difference.  Called on a state opened with the defaults (no
	 * config section, arg NULL): path may have any name.  Returns
	 * SG_OK when the output could be read to the end, whether or not
	 * problems were found; a negative status with err set otherwise.
	 */
	int (*verify)(void *state, const char *path, sg_problem_fn problem,
		      void *arg, struct sg_error *err);

	/* A sink: the parts of struct sg_sink_input it renders
	 * (SG_SINK_NEEDS_*), so the host builds only those. */
	unsigned sink_needs;

	/*
	 * Optional, a source: describes the pipeline it reads, for `init
	 * --from NAME[:ARG]` to draft a rules config from.  Called once,
	 * after the pull ended well and before close(), when
	 * host->describing() said so at open (so a file source can gather
	 * what it needs while it reads); a CRM source may ask its API
	 * instead.  out and all it points to stay the plugin's until
	 * close().  NULL: the source cannot describe.
	 */
	int (*describe)(void *state, struct sg_pipeline_description *out,
			struct sg_error *err);
};

#define SG_SINK_NEEDS_REPORT 0x1u       /* input->report */
#define SG_SINK_NEEDS_DATA 0x2u         /* input->data */
#define SG_SINK_NEEDS_FILES 0x4u        /* input->files, facts_json */
#define SG_SINK_NEEDS_TASKS 0x8u        /* input->tasks (`run` only) */
/* With SG_SINK_NEEDS_FILES: the sink calls host->file_ready() before it
 * sizes or reads each file, so the host may hand it files it is still
 * writing.  Without it the host finishes every file first. */
#define SG_SINK_FILES_WHEN_READY 0x10u
/* With SG_SINK_NEEDS_FILES: the sink takes packed files (struct
 * sg_sink_file.packed), so the host may write its large files
 * compressed.  Without it every file is given plain. */
#define SG_SINK_FILES_PACKED 0x20u

typedef const struct sg_plugin *(*sg_plugin_entry_fn)(void);

#define SG_PLUGIN_ENTRY_SYMBOL "sg_plugin_entry"

#endif
