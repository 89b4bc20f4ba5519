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
	long long requests_per_10s;
	long long timeout_ms;
};

/* The phases of a pull: one page per pull() call. */
enum hubspot_phase {
	HS_PIPELINES = 0, HS_OWNERS, HS_DEALS, HS_ACTIVITIES, HS_EVIDENCE,
	HS_DONE
};

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
	struct hubspot_snapshot *snapshot; /* NULL: none kept */
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

/* --- hubspot_engagements.c --- */

/* One page of engagements (emails, then calls, meetings, notes, tasks)
 * associated with the deals emitted: 1 when more follows, 0 at the end. */
int hubspot_pull_activities(struct hubspot_state *s, struct sg_error *err);

/* One page of the evidence object (0 at once without one). */
int hubspot_pull_evidence(struct hubspot_state *s, struct sg_error *err);

/* The evidence a deal's mapped properties hold, from their history. */
int hubspot_emit_deal_evidence(struct hubspot_state *s, json_t *deal,
			       const char *id, struct sg_error *err);

/* --- hubspot_tasks.c --- */

/* The sink: dispositions read back, then the review tasks created. */
int hubspot_write(void *state, const struct sg_sink_input *input,
		  struct sg_error *err);

/* --- hubspot_snapshot.c --- */

/* Starts writing the snapshot folder beside the last one (nothing when
 * snapshot_dir is ""). */
int hubspot_snapshot_start(struct hubspot_state *s, sg_time extracted_at,
			   struct sg_error *err);
/* Each record emitted, also written to the snapshot (no-ops without). */
void hubspot_snapshot_opportunity(struct hubspot_state *s,
				  const struct sg_rec_opportunity *o);
void hubspot_snapshot_stage_event(struct hubspot_state *s,
				  const struct sg_rec_stage_event *e);
void hubspot_snapshot_field_change(struct hubspot_state *s,
				   const struct sg_rec_field_change *c);
void hubspot_snapshot_activity(struct hubspot_state *s,
			       const struct sg_rec_activity *a);
void hubspot_snapshot_evidence(struct hubspot_state *s,
			       const struct sg_rec_evidence *e);
void hubspot_snapshot_owner(struct hubspot_state *s,
			    const struct sg_rec_owner *o);
/* The pull completed: the new snapshot takes the last one's place. */
int hubspot_snapshot_commit(struct hubspot_state *s, struct sg_error *err);
/* An uncommitted snapshot is removed.  Accepts NULL. */
void hubspot_snapshot_free(struct hubspot_snapshot *snap);

/* --- hubspot_deals.c --- */

/* The deal properties asked for, and those whose history is. */
int hubspot_fields_init(struct hubspot_state *s, struct sg_error *err);

/* Emits one page of deals (a results array). */
int hubspot_emit_deals(struct hubspot_state *s, json_t *results,
		       struct sg_error *err);


#endif
