/*
 * salesforce_int.h - what the files of the Salesforce plugin share: its
 * config and state, the API calls (salesforce_api.c), SOQL text
 * (salesforce_soql.c) and the records (salesforce_records.c).  See
 * docs/connectors/salesforce.md.
 */
#ifndef SALESFORCE_INT_H
#define SALESFORCE_INT_H

#include <jansson.h>
#include <stddef.h>

#include "sg_plugin.h"
#include "sg_replay.h"
#include "sg_snapshot.h"

struct salesforce_config {
	char *base_url;          /* the login host */
	char *client_id, *client_id_env;
	char *client_secret, *client_secret_env;
	char *refresh_token, *refresh_token_env;
	char *api_version;       /* "v62.0" */
	char *opportunity_filter; /* JSON: field -> value or values */
	char *stages;            /* JSON: label or API name -> config stage */
	char *fields;            /* JSON: model or extra field -> field */
	char *evidence_fields;   /* JSON: criterion -> Opportunity field */
	char *evidence_object;   /* JSON: object, opportunity, criterion... */
	char *buyer_users;       /* JSON: user ids that speak for the buyer */
	char *system_users;      /* JSON: integration user ids */
	char *default_task_owner;
	char *disposition_field;
	char *snapshot_dir;
	long long bulk_threshold;
	long long bulk_max_records;
	long long api_reserve_percent;
	long long timeout_ms;
};

/* The phases of a pull: one page per pull() call. */
enum salesforce_phase {
	SF_DESCRIBE = 0, SF_ORGANIZATION, SF_STAGES, SF_USERS, SF_RESUME,
	SF_SYNC, SF_OPPORTUNITIES, SF_HISTORY, SF_FIELD_HISTORY, SF_TASKS,
	SF_EVENTS, SF_EMAILS, SF_EVIDENCE, SF_REPLAY, SF_DONE
};

/* A model field read from an Opportunity field. */
struct salesforce_field {
	const char *model;      /* "amount", "close_date", an extra name */
	const char *field;      /* "Amount", "CloseDate", "Region__c" */
	int is_time;            /* a date or datetime */
	int extra;              /* not one of the model's own */
};

/* The history of one opportunity's stage, gathered across pages. */
struct salesforce_stage_rows;

struct salesforce_state {
	const struct sg_host *host;
	const struct salesforce_config *config;
	int phase;
	char *next_url;         /* nextRecordsUrl of the query under way */
	unsigned page;
	json_t *seen_locators;  /* a locator twice is a looping API */

	/* Credentials; the header points into bearer, which refresh()
	 * rewrites, and calls go to instance_url. */
	const char *client_id, *client_secret, *refresh_token;
	char bearer[2048];
	struct sg_http_header auth;
	char *instance_url;
	long long api_used, api_max; /* Sforce-Limit-Info */

	/* What describe says of Opportunity. */
	json_t *opportunity_fields; /* name -> its describe entry */
	int amount_scale;       /* decimals of Amount (2 by default) */
	char org_currency[8];   /* single-currency orgs: every amount's */

	json_t *stage_map;      /* ApiName or MasterLabel -> config stage */
	json_t *option_stages, *option_fields, *evidence_fields;
	json_t *evidence_object; /* NULL: none */
	json_t *buyer_users, *system_users; /* sets of user ids */
	json_t *filter;         /* the opportunity_filter option */
	json_t *opportunities;  /* ids emitted: the pilot's */
	const char *rules_pipeline;

	struct salesforce_field *fields;
	size_t field_count;
	char *opportunity_query; /* the SOQL of the opportunities */

	/* The sink: the org's active users, and what it did. */
	json_t *user_ids;
	unsigned created, found, decided, refused;

	/* The pull kept in snapshot_dir; a stopped one taken up; an
	 * incremental one (NULL: full). */
	struct sg_snapshot *snapshot;
	struct salesforce_sync *sync;
	char settings[32];      /* what shapes the records, hashed */
	sg_time server_time;    /* the org's clock, from the last answer */
	sg_time pull_started;   /* by that clock: the next cursor */
	long long query_total;  /* totalSize of the query under way */
	struct salesforce_bulk *bulk; /* the query's Bulk job, if any */
	int bulk_checked;       /* the query's size is known */
	int bulk_on;            /* it is read through Bulk API 2.0 */
	int resume_phase;       /* the query to go on with; 0: none */
	json_t *resume_position; /* where in it (its checkpoint's) */
	struct sg_replay *resumed;
	/* A query read on from a key (a stopped pull's): the condition
	 * that asks for the records from it, and the Ids of those with
	 * that key already written (skipped). */
	char *resume_condition;
	json_t *resume_done;
	/* The key (Id, or OpportunityId) of the last record written, and
	 * the Ids written with it: where a checkpoint says to go on. */
	char *key_value;
	json_t *key_done;
	int (*emit_inner)(struct salesforce_state *, json_t *,
			  struct sg_error *);

	/* The stage history of the opportunity being read. */
	struct salesforce_stage_rows *rows;

	/* describe() */
	json_t *stages;          /* OpportunityStage records, sorted */
	struct sg_described_stage *described;
};

/* --- salesforce_api.c --- */

/* Gets an access token and the instance URL (the refresh-token flow, or
 * client credentials without a refresh token). */
int salesforce_auth_start(struct salesforce_state *s, struct sg_error *err);

/*
 * One page of a SOQL query (soql when starting, else the query's
 * nextRecordsUrl): emit() gets its records.  1 when more follows, 0 at
 * its end.  queryAll when all is nonzero (deleted rows too).
 */
int salesforce_query_page(struct salesforce_state *s, const char *soql,
			  int all, const char *what,
			  int (*emit)(struct salesforce_state *, json_t *,
				      struct sg_error *),
			  struct sg_error *err);

/*
 * GET instance_url + path (a path under /services/data/): *doc is the
 * answer's JSON object (the caller decrefs).  The session renewed once
 * when it expired, retries, the allowance's reserve; SG_ERR_HTTP (exit
 * 4) when the API refuses, SG_ERR_SOURCE for an answer that is no JSON
 * object, naming what and the page.
 */
int salesforce_get(struct salesforce_state *s, const char *path,
		   const char *what, json_t **doc, struct sg_error *err);

/* One exchange with instance_url + path, the answer as it came (the
 * caller frees it with host->http_response_free): the reserve kept, the
 * session renewed once, the usage and the org's clock noted. */
int salesforce_exchange(struct salesforce_state *s, const char *method,
			const char *path, const char *body, int retries,
			const char *what, struct sg_http_response *resp,
			struct sg_error *err);

/* POST a JSON body (a create: sent once, never retried blindly); *doc
 * is the answer, an object or an array. */
int salesforce_post(struct salesforce_state *s, const char *path,
		    json_t *body, const char *what, json_t **doc,
		    struct sg_error *err);

/* A Salesforce time: 2026-11-02T16:45:00.000+0000, or a date. */
int salesforce_time(const char *text, sg_time *out, struct sg_error *err);

/* --- salesforce_soql.c --- */

/*
 * Appends text to *buf as a SOQL string literal: single-quoted, with
 * quotes, backslashes and control characters escaped as the SOQL
 * reference says, so no value from a config or the data can end the
 * literal.  -1 out of memory; -2 for a control character SOQL has no
 * escape for (the text is refused, never changed).
 */
int salesforce_soql_quote(char **buf, const char *text);

/*
 * The WHERE conditions of the opportunity_filter option (field -> text,
 * number, boolean, null, or an array of them), ANDed, each value
 * quoted; "" for none.  A field name that is no SOQL identifier path
 * (letters, digits, underscores, dots) is refused: it would be SOQL.
 * *out is malloc'd.
 */
int salesforce_soql_filter(json_t *filter, char **out, struct sg_error *err);

/* Is name a field path: identifiers (a letter, then letters, digits,
 * underscores) joined by dots?  NULL is not. */
int salesforce_soql_is_field(const char *name);

/* Appends to *buf (malloc'd; NULL starts it); -1 out of memory. */
int salesforce_append(char **buf, const char *text);
/* The query's own " ORDER BY " (the last), NULL when it has none. */
const char *salesforce_soql_order(const char *q);
/* q with condition ANDed to its WHERE (or as its WHERE), before its
 * ORDER BY; the conditions our queries have are ANDed, never ORed.
 * malloc'd; NULL out of memory. */
char *salesforce_soql_and(const char *q, const char *condition);
/* q without its ORDER BY, which Bulk API 2.0 query jobs refuse
 * (malloc'd; NULL out of memory). */
char *salesforce_soql_unordered(const char *q);

/* --- salesforce_tasks.c --- */

/* The sink: dispositions read back, then the review Tasks created. */
int salesforce_write(void *state, const struct sg_sink_input *input,
		     struct sg_error *err);

/* --- salesforce_bulk.c: Bulk API 2.0 query jobs --- */

struct salesforce_bulk;

/* The records a query would give: COUNT() of it. */
int salesforce_count(struct salesforce_state *s, const char *soql,
		     const char *what, long long *count, struct sg_error *err);
/* One result set of the query's job (made and polled on the first
 * call): emit() gets its records.  1 when more follows, 0 at the end. */
int salesforce_bulk_page(struct salesforce_state *s,
			 struct salesforce_bulk **bulk, const char *soql,
			 int all, const char *what,
			 int (*emit)(struct salesforce_state *, json_t *,
				     struct sg_error *),
			 struct sg_error *err);
/* Where a job is, into a checkpoint's position: "job" and the next
 * set's "locator" (none: the first); -1 out of memory. */
int salesforce_bulk_position(const struct salesforce_bulk *b,
			     json_t *position);
/* The job of a stopped pull taken up at a set (NULL: the first); -1 out
 * of memory.  A job gone since is made again when no set of it had
 * been written, else the pull fails and drops its checkpoint. */
int salesforce_bulk_resume(struct salesforce_bulk **bulk, const char *job,
			   const char *locator);
/* Accepts NULL. */
void salesforce_bulk_free(struct salesforce_bulk *b);

/* --- salesforce_sync.c: incremental pulls --- */

struct salesforce_sync;

/* Incremental when the state names the snapshot in dir (NULL: none),
 * taken with these settings, and the last full pull is recent: sets
 * s->sync. */
int salesforce_sync_plan(struct salesforce_state *s, const char *dir,
			 const char *settings, struct sg_error *err);
/* Finding what changed, a page per call: 1 more; 0 go on with the
 * scoped queries; 3 nothing to read again (replay); 2 a full pull. */
int salesforce_sync_step(struct salesforce_state *s, struct sg_error *err);
/* The next chunk of opportunities to read again: 1, or 0 when done. */
int salesforce_sync_next(struct salesforce_state *s, struct sg_error *err);
/* q (ending in ORDER BY) limited to the chunk's opportunities
 * (malloc'd; NULL out of memory). */
char *salesforce_scoped(struct salesforce_state *s, const char *q);
/* The other opportunities from the last snapshot: 1 more, 0 done. */
int salesforce_sync_replay(struct salesforce_state *s, struct sg_error *err);
/* The pull completed: cursor, snapshot and settings into the state. */
int salesforce_sync_commit(struct salesforce_state *s, const char *settings,
			   struct sg_error *err);
/* Accepts NULL. */
void salesforce_sync_free(struct salesforce_sync *y);

/* --- salesforce_records.c --- */

/* The Opportunity fields asked for, checked against describe, and the
 * SOQL that asks for them. */
int salesforce_fields_init(struct salesforce_state *s, struct sg_error *err);
int salesforce_emit_users(struct salesforce_state *s, json_t *records,
			  struct sg_error *err);
int salesforce_emit_opportunities(struct salesforce_state *s,
				  json_t *records, struct sg_error *err);
int salesforce_emit_history(struct salesforce_state *s, json_t *records,
			    struct sg_error *err);
/* The stage history gathered, emitted: at the end of the query. */
int salesforce_history_flush(struct salesforce_state *s,
			     struct sg_error *err);
/* The opportunity whose stage rows a REST query has gathered and not
 * yet emitted (borrowed), NULL when none. */
const char *salesforce_history_pending(const struct salesforce_state *s);
int salesforce_emit_field_history(struct salesforce_state *s,
				  json_t *records, struct sg_error *err);
int salesforce_emit_tasks(struct salesforce_state *s, json_t *records,
			  struct sg_error *err);
int salesforce_emit_events(struct salesforce_state *s, json_t *records,
			   struct sg_error *err);
int salesforce_emit_emails(struct salesforce_state *s, json_t *records,
			   struct sg_error *err);
int salesforce_emit_evidence(struct salesforce_state *s, json_t *records,
			     struct sg_error *err);
void salesforce_rows_free(struct salesforce_stage_rows *rows);

/* The config stage a StageName (a label) or an ApiName maps to; the
 * value unchanged when it is no stage (the core reports it). */
const char *salesforce_stage(const struct salesforce_state *s,
			     const char *value);

/* A record's field as text: "" for null or absent, numbers as JSON
 * wrote them (never through a double), a path "A.B" through a
 * relationship. */
const char *salesforce_text(json_t *record, const char *field, char *buf,
			    size_t size);

#endif
