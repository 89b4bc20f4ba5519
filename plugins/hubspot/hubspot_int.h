/*
 * hubspot_int.h - what the files of the HubSpot plugin share: its config
 * and state, the API calls (hubspot_api.c) and the deal conversion
 * (hubspot_deals.c).  See docs/connectors/hubspot.md.
 */
#ifndef HUBSPOT_INT_H
#define HUBSPOT_INT_H

#include <jansson.h>
#include <stddef.h>

#include "sg_plugin.h"
#include "sg_replay.h"
#include "sg_snapshot.h"

struct hubspot_config {
	char *base_url;
	char *token, *token_env;
	char *client_id, *client_id_env;
	char *client_secret, *client_secret_env;
	char *refresh_token, *refresh_token_env;
	char *pipeline;
	char *stages;           /* JSON: stage id or label -> config stage */
	char *properties;       /* JSON: model or extra field -> property */
	char *managers;         /* JSON: owner id -> manager id */
	char *owners_csv;       /* id,manager_id columns: the managers */
	char *evidence_properties; /* JSON: criterion -> deal property */
	char *evidence_object;  /* JSON: object, criterion, value, party,
				 * observed_at, ref */
	char *default_task_owner; /* tasks of an assignee who is no owner */
	char *disposition_property; /* a task property: the disposition */
	char *snapshot_dir;     /* the last pull in the canonical layout */
	long long search_result_cap; /* results one search query reaches */
	long long full_sync_days; /* a full pull at least this often */
	long long requests_per_10s;
	long long timeout_ms;
};

/* The phases of a pull: one page per pull() call.  A full pull reads
 * the deals, activities and evidence; an incremental one (HS_SYNC) only
 * what changed, and the rest from the last snapshot. */
enum hubspot_phase {
	HS_PIPELINES = 0, HS_OWNERS, HS_DEALS, HS_ACTIVITIES, HS_EVIDENCE,
	HS_SYNC, HS_RESUME, HS_DONE
};

/* The named pace of search requests: HubSpot documents a limit of its
 * own for search, about 4 a second per token. */
#define HUBSPOT_SEARCH_PACE "search"

/* A model field read from a deal property, with its history or not. */
struct hubspot_field {
	const char *model;      /* "amount", "close_date", an extra name */
	const char *property;   /* "amount", "closedate", ... */
	int history;            /* its changes are emitted */
	int is_time;            /* parsed into a time (close_date...) */
	int extra;              /* an extra field, not one of the model's */
};

struct hubspot_state {
	const struct sg_host *host;
	const struct hubspot_config *config;
	int phase;
	char *after;            /* the cursor of the next page, or NULL */
	unsigned page;          /* pages read in this phase */
	json_t *seen_cursors;   /* a cursor twice means a looping API */

	/* Credentials: the header points into bearer, which refresh()
	 * rewrites. */
	const char *token;      /* a private app token, or NULL */
	const char *client_id, *client_secret, *refresh_token;
	char bearer[1024];
	struct sg_http_header auth;
	long long token_expires; /* epoch seconds; 0: never */

	/* The pipeline: its stages and how they map to the config's. */
	json_t *pipeline;       /* the pipeline object from the API */
	json_t *stage_map;      /* HubSpot stage id -> config stage id */
	json_t *option_stages, *option_properties, *managers;
	json_t *evidence_properties; /* criterion -> property */
	json_t *evidence_object;     /* NULL: none */
	json_t *deals;          /* the ids of the deals emitted */
	json_t *owner_emails;   /* the owners' emails: a seller's address */
	size_t kind;            /* the engagement object being read */
	json_t *owner_ids;      /* the sink: the portal's owners */
	unsigned created, found, decided, refused;
	struct sg_snapshot *snapshot; /* NULL: none kept */
	struct hubspot_sync *sync;   /* an incremental pull; NULL: full */
	sg_time server_time;         /* the portal's clock, last answer */
	sg_time pull_started;        /* by that clock: the next cursor */
	json_t *resume;              /* the checkpoint of a pull resumed */
	struct sg_replay *resumed;   /* its pages read back */
	int full_reason_logged;
	const char *rules_pipeline; /* the id deals are emitted with */

	struct hubspot_field *fields;
	size_t field_count;
	char *properties_query, *history_query;

	/* describe() */
	struct sg_described_stage *described;
	const char **described_notes;
};

/* --- hubspot_api.c: credentials, calls, listings --- */

/* Gets the credentials ready (an OAuth token when configured). */
int hubspot_auth_start(struct hubspot_state *s, struct sg_error *err);

/*
 * GET base_url + path_query: *doc is the answer's JSON object (the
 * caller decrefs).  Retries, pacing, the refresh of an expired token,
 * HubSpot's error bodies and the daily limit are handled here; what is
 * left is SG_ERR_HTTP (exit 4), or SG_ERR_SOURCE for an answer that is
 * not the JSON object promised (naming what and the page).
 */
int hubspot_get(struct hubspot_state *s, const char *path_query,
		const char *what, json_t **doc, struct sg_error *err);

/*
 * POST a JSON body to base_url + path; *doc as hubspot_get's.  An
 * idempotent request (a search) is retried; a create is sent once.
 */
int hubspot_post(struct hubspot_state *s, const char *path, json_t *body,
		 int idempotent, const char *what, json_t **doc,
		 struct sg_error *err);

/*
 * The next page's cursor of a listing answer into s->after (NULL at the
 * end); SG_ERR_SOURCE when the API gives a cursor it gave before.
 */
int hubspot_next_cursor(struct hubspot_state *s, json_t *doc,
			const char *what, struct sg_error *err);

/*
 * One page of a listing at path with params (name, value pairs) and the
 * cursor: emit() gets its results.  1 when more follows, 0 at its end.
 */
int hubspot_list_page(struct hubspot_state *s, const char *path,
		      const char *const *params, size_t count,
		      const char *what,
		      int (*emit)(struct hubspot_state *, json_t *,
				  struct sg_error *),
		      struct sg_error *err);

/* Appends ",name" to a comma-separated list; -1 out of memory. */
int hubspot_list_add(char **list, const char *name);

/* A HubSpot time: ISO-8601 (with milliseconds), a bare date, or epoch
 * milliseconds as text.  SG_TIME_NONE for null or "". */
int hubspot_time(const char *text, sg_time *out, struct sg_error *err);

/* --- hubspot_search.c: searches past the result cap, batch reads --- */

/*
 * One search of an object's records changed since a time, sorted by
 * hs_lastmodifieddate: past search_result_cap results a new query starts
 * at the last time seen (a window), and the records seen twice at the
 * seam are dropped, so any number of changes is read.
 */
struct hubspot_search {
	const char *object;     /* "deals", "emails", "2-9000001", "tasks" */
	const char *what;       /* its name in messages */
	json_t *filters;        /* more filters, ANDed (borrowed; or NULL) */
	json_t *properties;     /* the properties asked for (borrowed) */
	long long since_ms;     /* this window's start */
	long long last_ms;      /* the newest change seen */
	char *after;            /* the offset within the window */
	unsigned page;          /* pages read */
	long long total;        /* the first page's count of matches */
	json_t *seen;           /* ids given, for the seams */
	int started;
};

/* Sets up q; hubspot_search_release() frees what it holds. */
void hubspot_search_init(struct hubspot_search *q, const char *object,
			 const char *what, long long since_ms);
void hubspot_search_release(struct hubspot_search *q);

/*
 * Reads one page of q: *results gets the records not given before (a new
 * reference, the caller decrefs).  1 when more follows, 0 at the end.
 * SG_ERR_SOURCE when more than the cap changed within one millisecond
 * (no window can pass it; an incremental pull then reads everything).
 */
int hubspot_search_page(struct hubspot_state *s, struct hubspot_search *q,
			json_t **results, struct sg_error *err);

/*
 * POST /crm/v3/objects/{object}/batch/read of ids (an array of strings;
 * at most 100, 50 with history): *results the records found (new
 * reference); the ids HubSpot reports missing are added to the set
 * missing (deleted or archived since).  properties and history are
 * comma-separated lists (history may be NULL).
 */
int hubspot_batch_read(struct hubspot_state *s, const char *object,
		       json_t *ids, const char *properties,
		       const char *history, const char *what,
		       json_t **results, json_t *missing,
		       struct sg_error *err);

/*
 * POST /crm/v4/associations/{from}/{to}/batch/read of ids (at most
 * 1,000): *links (new reference) maps each from id with associations to
 * the array of its to ids, as text.
 */
int hubspot_associations(struct hubspot_state *s, const char *from,
			 const char *to, json_t *ids, const char *what,
			 json_t **links, struct sg_error *err);

/* --- hubspot_sync.c: incremental pulls --- */

/*
 * Decides between a full and an incremental pull once the pipeline is
 * known: incremental when the state holds a cursor for the snapshot
 * still in snapshot_dir, taken with the same settings, and the last full
 * pull is younger than full_sync_days.  Sets s->sync when it is.
 */
int hubspot_sync_plan(struct hubspot_state *s, struct sg_error *err);

/* One step of an incremental pull: 1 when more follows, 0 at the end;
 * 2 when it must become a full pull (s->sync is gone then). */
int hubspot_sync_step(struct hubspot_state *s, struct sg_error *err);

/* The pull completed: the cursor and the snapshot's id into the state. */
int hubspot_sync_commit(struct hubspot_state *s, struct sg_error *err);

/* Frees what an incremental pull holds.  Accepts NULL. */
void hubspot_sync_free(struct hubspot_sync *sync);

/* --- hubspot_engagements.c --- */

/* One page of engagements (emails, then calls, meetings, notes, tasks)
 * associated with the deals emitted: 1 when more follows, 0 at the end. */
int hubspot_pull_activities(struct hubspot_state *s, struct sg_error *err);

/* One page of the evidence object (0 at once without one). */
int hubspot_pull_evidence(struct hubspot_state *s, struct sg_error *err);

/* The engagement kinds (emails, calls, meetings, notes, tasks): their
 * object names and the properties read. */
size_t hubspot_kind_count(void);
const char *hubspot_kind_object(size_t kind);
const char *hubspot_kind_properties(size_t kind);
/* The property shown as a kind's subject (NULL for notes). */
const char *hubspot_kind_subject(size_t kind);
/* Is o (of kind) one of the review tasks the sink wrote? */
int hubspot_is_own_task(size_t kind, json_t *o);

/* Engagements of a kind, each emitted for those of the deals it is
 * associated with (associations.deals.results) that were emitted. */
int hubspot_emit_engagements(struct hubspot_state *s, size_t kind,
			     json_t *results, struct sg_error *err);

/* Records of the evidence object, the same way. */
int hubspot_emit_evidence_records(struct hubspot_state *s, json_t *results,
				  struct sg_error *err);

/* The evidence object's properties read, comma-separated (malloc'd;
 * NULL out of memory). */
char *hubspot_evidence_fields(const struct hubspot_state *s);

/* The evidence a deal's mapped properties hold, from their history. */
int hubspot_emit_deal_evidence(struct hubspot_state *s, json_t *deal,
			       const char *id, struct sg_error *err);

/* --- hubspot_tasks.c --- */

/* The sink: dispositions read back, then the review tasks created. */
int hubspot_write(void *state, const struct sg_sink_input *input,
		  struct sg_error *err);

/* --- hubspot_snapshot.c: the snapshot folder (core/connector) --- */

/* Where the snapshot is kept (malloc'd), NULL when none is. */
char *hubspot_snapshot_path(const struct hubspot_state *s);

/* What shapes the records a pull writes, as a short hash: a snapshot or
 * a checkpoint taken with other settings is not merged with. */
void hubspot_settings_id(const struct hubspot_state *s, char *out,
			 size_t size);

/* Starts writing the pull's folder (nothing when snapshot_dir is ""):
 * a full pull takes up a checkpoint of the same settings (s->resume). */
int hubspot_snapshot_start(struct hubspot_state *s, sg_time extracted_at,
			   struct sg_error *err);

/* A page of a full pull is complete: where the pull is, checkpointed. */
int hubspot_snapshot_checkpoint(struct hubspot_state *s,
				struct sg_error *err);

/* --- hubspot_deals.c --- */

/* The deal properties asked for, and those whose history is. */
int hubspot_fields_init(struct hubspot_state *s, struct sg_error *err);

/* Emits one page of deals (a results array). */
int hubspot_emit_deals(struct hubspot_state *s, json_t *results,
		       struct sg_error *err);


#endif
