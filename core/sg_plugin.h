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

/* 2: sink input defined, verify() added. */
#define SG_PLUGIN_ABI_VERSION 2u

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

struct sg_option {
	const char *name;
	int type;               /* enum sg_option_type */
	unsigned flags;
	const char *default_value; /* text form; NULL: no default */
	const char *help;       /* one line or a short paragraph */
	size_t offset;          /* offsetof(struct <plugin>_config, field) */
};

/* --- Records a source emits (DESIGN §3).  Strings are NUL-terminated
 * UTF-8, never NULL (use "" for absent).  Times are UTC seconds, or
 * SG_TIME_NONE when absent.  `where` names the input position for error
 * messages (may be NULL). --- */

struct sg_where {
	const char *path;       /* file or URL */
	long line;              /* 0 when unknown */
};

struct sg_field {
	const char *name;
	const char *value;
};

struct sg_rec_opportunity {
	const char *id, *name, *pipeline, *stage, *owner_id;
	const char *amount;     /* plain decimal text, or a missing value */
	const char *currency;
	sg_time close_date, created_at, next_step_date;
	const char *forecast_category, *next_step;
	const struct sg_field *extra; /* any other field */
	size_t extra_count;
};

struct sg_rec_stage_event {
	const char *opportunity_id;
	const char *from_stage;  /* "" when not given */
	const char *to_stage;
	sg_time changed_at;
	const char *changed_by, *source;
};

struct sg_rec_field_change {
	const char *opportunity_id, *field, *old_value, *new_value;
	sg_time changed_at;
};

enum sg_activity_type {
	SG_ACT_OTHER = 0, SG_ACT_EMAIL, SG_ACT_CALL, SG_ACT_MEETING,
	SG_ACT_NOTE, SG_ACT_TASK, SG_ACT_DOCUMENT
};

enum sg_party {
	SG_PARTY_NONE = 0,     /* activity without a party: neither side */
	SG_PARTY_BUYER,
	SG_PARTY_SELLER,
	SG_PARTY_SYSTEM,
	SG_PARTY_UNKNOWN       /* evidence with an empty party */
};

struct sg_rec_activity {
	const char *id, *opportunity_id;
	int type;               /* enum sg_activity_type */
	int party;              /* enum sg_party */
	sg_time occurred_at;
	const char *actor, *subject;
};

/*
 * The text forms of the two enumerations (DESIGN §10 rule 8), shared by
 * every reader of them: trimmed by the caller, compared ignoring ASCII
 * case.  An activity party is buyer, seller, system or empty (none); an
 * evidence party buyer, seller, unknown or empty (unknown).  Returns 0
 * with *party set, or -1 when the text names no party of that set.
 */
static inline int sg_text_is(const char *text, size_t len, const char *word)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (word[i] == '\0')
			return 0;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return 0;
	}
	return word[len] == '\0';
}

static inline int sg_party_from_text(const char *text, size_t len,
				     int evidence, int *party)
{
	if (len == 0)
		*party = evidence ? SG_PARTY_UNKNOWN : SG_PARTY_NONE;
	else if (sg_text_is(text, len, "buyer"))
		*party = SG_PARTY_BUYER;
	else if (sg_text_is(text, len, "seller"))
		*party = SG_PARTY_SELLER;
	else if (!evidence && sg_text_is(text, len, "system"))
		*party = SG_PARTY_SYSTEM;
	else if (evidence && sg_text_is(text, len, "unknown"))
		*party = SG_PARTY_UNKNOWN;
	else
		return -1;
	return 0;
}

/* What sg_party_from_text() accepts, for a message. */
static inline const char *sg_party_expected(int evidence)
{
	return evidence ? "buyer, seller, unknown or empty" :
			  "buyer, seller, system or empty";
}

/* An activity type; any other text is SG_ACT_OTHER. */
static inline int sg_activity_type_from_text(const char *text, size_t len)
{
	static const char *const names[] = {
		"other", "email", "call", "meeting", "note", "task", "document"
	};
	int type;

	for (type = SG_ACT_EMAIL; type <= SG_ACT_DOCUMENT; type++)
		if (sg_text_is(text, len, names[type]))
			return type;
	return SG_ACT_OTHER;
}

struct sg_rec_evidence {
	const char *opportunity_id, *criterion, *value;
	int party;              /* enum sg_party: BUYER, SELLER or UNKNOWN */
	sg_time observed_at;
	const char *ref;
};

struct sg_rec_owner {
	const char *id, *name, *email, *manager_id, *team;
};

struct sg_rec_snapshot {
	sg_time extracted_at;
	const char *source;
};

/* --- The HTTP helper: one place for retries, backoff and redaction. --- */

struct sg_http_header {
	const char *name, *value;
};

struct sg_http_request {
	const char *method;     /* "GET", "POST", ... */
	const char *url;
	const struct sg_http_header *headers;
	size_t header_count;
	const char *body;       /* NULL for none */
	size_t body_len;
	const char *const *secrets; /* values to redact from any message */
	size_t secret_count;
	int max_retries;        /* on 429, 5xx and connection errors */
	long timeout_ms;        /* whole exchange */
};

struct sg_http_response {
	long status;
	char *body;             /* NUL-terminated, host-allocated */
	size_t body_len;
	char *headers;          /* raw header block, host-allocated */
};

enum sg_log_level {
	SG_LOG_ERROR = 0, SG_LOG_WARN, SG_LOG_INFO, SG_LOG_DEBUG
};

/* The host table.  version and size come first; fields are appended. */
#define SG_HOST_VERSION 1u

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

	/* Performs req; on SG_OK, resp holds the final answer (any status)
	 * and must be released with http_response_free. */
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
};

/* --- Sink input: what a run produced, as a const view. ---
 *
 * reports/ decides what a report says; a sink decides how it looks.  A
 * report is renderer-neutral: sections (a workbook's sheets) holding
 * headings, paragraphs, titled tables with typed columns, and charts
 * whose series are columns of a table of the same report.  Table rows are
 * pushed to the sink one at a time (rows()), so a sink that streams (an
 * xlsx in constant-memory mode, a JSON lines file) writes half a million
 * rows in bounded memory.  rows() may be called more than once; each call
 * yields the same rows in the same order. */

/* The type of one value.  A column declares the type of its cells, or
 * SG_VAL_MIXED when each cell says (a measure may be a count, a ratio or
 * an amount); a cell is always either of its own stated type or NONE. */
enum sg_value_type {
	SG_VAL_NONE = 0,        /* empty: no value (JSON null) */
	SG_VAL_NA,              /* not applicable ("n/a"; JSON null) */
	SG_VAL_TEXT,            /* text from anywhere, the CRM included:
				 * always written as text, never a formula */
	SG_VAL_INT,             /* .integer */
	SG_VAL_NUMBER,          /* .number */
	SG_VAL_PERCENT,         /* .number, a ratio: 0.25 is 25 % */
	SG_VAL_MONEY,           /* .text the exact decimal ("1200.50"),
				 * .number the same as a double, .unit the
				 * ISO currency code or NULL */
	SG_VAL_TIME,            /* .time, UTC, second precision */
	SG_VAL_DATE,            /* .time, midnight UTC of the day */
	SG_VAL_JSON,            /* .text, one JSON value: machine outputs
				 * embed it, people's outputs show it */
	SG_VAL_MIXED = 100      /* columns only: each cell says */
};

struct sg_value {
	int type;               /* enum sg_value_type */
	const char *text;
	long long integer;
	double number;
	sg_time time;
	const char *unit;       /* MONEY: currency; NUMBER: "days", "hours" */
};

/* What a column means to a reader, so a renderer can present it. */
enum sg_column_role {
	SG_ROLE_PLAIN = 0,
	SG_ROLE_ID,             /* an identifier: never reformatted */
	SG_ROLE_VERDICT,        /* allow / review / block / pause: coloured */
	SG_ROLE_NOTE,           /* long prose: wrapped */
	SG_ROLE_STATUS          /* a state a reader scans for ("overdue") */
};

struct sg_column {
	const char *key;        /* machine name: "opportunity_id" */
	const char *title;      /* a reader's name: "Opportunity" */
	int type;               /* enum sg_value_type, or SG_VAL_MIXED */
	int role;               /* enum sg_column_role */
	unsigned width;         /* characters; 0: the renderer decides */
};

/* Table flags. */
#define SG_TABLE_LIST 0x1u      /* a record list a reader filters and
				 * scrolls: header frozen, autofilter */

struct sg_table;

/* Called once per row; cells[i] is the value of column i, valid during
 * the call.  A nonzero return stops rows() and is returned by it. */
typedef int (*sg_row_fn)(void *arg, const struct sg_value *cells,
			 struct sg_error *err);

struct sg_table {
	const char *key;        /* machine name, unique in the report */
	const char *title;
	const char *note;       /* optional paragraph shown with the table */
	const struct sg_column *columns;
	size_t column_count;
	unsigned flags;         /* SG_TABLE_* */
	/* Pushes every row to row(); returns SG_OK, row()'s nonzero return
	 * or a negative status with err set. */
	int (*rows)(const struct sg_table *table, sg_row_fn row, void *arg,
		    struct sg_error *err);
	void *ctx;              /* the producer's, for rows() */
};

enum sg_chart_type {
	SG_CHART_COLUMN = 1,    /* vertical bars, series side by side */
	SG_CHART_BAR,           /* horizontal bars */
	SG_CHART_LINE
};

struct sg_chart {
	const char *key;
	const char *title;
	int type;               /* enum sg_chart_type */
	const struct sg_table *table; /* the data: a table of this report */
	size_t category_column; /* the labels along the axis */
	const size_t *value_columns; /* one series each, named by title */
	size_t value_count;
	const char *x_title, *y_title; /* axis titles; NULL for none */
};

enum sg_block_type {
	SG_BLOCK_HEADING = 1,   /* .text */
	SG_BLOCK_TEXT,          /* .text: a paragraph of plain prose */
	SG_BLOCK_TABLE,         /* .table */
	SG_BLOCK_CHART          /* .chart */
};

struct sg_block {
	int type;               /* enum sg_block_type */
	const char *text;
	const struct sg_table *table;
	const struct sg_chart *chart;
};

/* A section: one sheet of a workbook, one chapter of a document. */
struct sg_section {
	const char *key;        /* machine name: "exceptions" */
	const char *title;      /* at most 31 characters (a sheet name) */
	const struct sg_block *blocks;
	size_t block_count;
};

struct sg_report {
	const char *key;        /* "leadership", "metrics" */
	const char *title;
	sg_time as_of;          /* what the report is as of; also the time a
				 * renderer stamps on its output, so the same
				 * ledger gives byte-identical files */
	const struct sg_section *sections;
	size_t section_count;
};

/* A finished file the host hands an archiving sink. */
struct sg_sink_file {
	const char *name;       /* relative name inside the output,
				 * '/'-separated: "inputs/opportunities.csv" */
	const char *path;       /* where it is on disk now */
};

/*
 * What a sink is given.  Each sink uses the parts it renders and refuses,
 * with a message, input that lacks them:
 *   report  the report for people (the xlsx sink);
 *   data    tables for machines (the metrics sink): by key, "comparison",
 *           "baseline", "pilot", "weekly" and "events";
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
};

#define SG_SINK_NEEDS_REPORT 0x1u       /* input->report */
#define SG_SINK_NEEDS_DATA 0x2u         /* input->data */
#define SG_SINK_NEEDS_FILES 0x4u        /* input->files, facts_json */

typedef const struct sg_plugin *(*sg_plugin_entry_fn)(void);

#define SG_PLUGIN_ENTRY_SYMBOL "sg_plugin_entry"

#endif
