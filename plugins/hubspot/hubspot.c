/*
 * hubspot.c - the HubSpot source (docs/connectors/hubspot.md): the
 * pilot pipeline's deals with the history of their stage and of the
 * fields the rules read, and the portal's owners, from the CRM v3 API
 * through the host's HTTP client.  One page per pull(): the pipeline
 * and its stages first, then the owners, then the deals.
 *
 * Then the activities associated with those deals, then the evidence
 * object.  As a sink (hubspot_tasks.c) it writes the review tasks.
 * Each complete pull is kept in snapshot_dir (hubspot_snapshot.c); the
 * next reads only what changed since (hubspot_sync.c), and a full pull
 * that stopped resumes at its last complete page.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hubspot_int.h"
#include "sg_credentials.h"
#include "sg_csv.h"
#include "sg_path.h"
#include "sg_url.h"

#define HUBSPOT_OWNERS_PAGE 100         /* the documented maximum */
#define HUBSPOT_DEALS_PAGE 50           /* with property history */

#define OPT(name, type, flags, def, help, field) \
	{ name, type, flags, def, help, \
	  offsetof(struct hubspot_config, field) }

static const struct sg_option hubspot_options[] = {
	OPT("base_url", SG_OPT_STRING, 0, "https://api.hubapi.com",
	    "the API root (tests point it at a fake)", base_url),
	OPT("token", SG_OPT_STRING, SG_OPT_SECRET, NULL,
	    "a private app's access token (prefer token_env)", token),
	OPT("token_env", SG_OPT_STRING, 0, NULL,
	    "the environment variable holding the private app token",
	    token_env),
	OPT("client_id", SG_OPT_STRING, 0, NULL, "OAuth: the app's client id",
	    client_id),
	OPT("client_id_env", SG_OPT_STRING, 0, NULL,
	    "OAuth: the variable holding the client id", client_id_env),
	OPT("client_secret", SG_OPT_STRING, SG_OPT_SECRET, NULL,
	    "OAuth: the app's client secret", client_secret),
	OPT("client_secret_env", SG_OPT_STRING, 0, NULL,
	    "OAuth: the variable holding the client secret",
	    client_secret_env),
	OPT("refresh_token", SG_OPT_STRING, SG_OPT_SECRET, NULL,
	    "OAuth: the refresh token", refresh_token),
	OPT("refresh_token_env", SG_OPT_STRING, 0, NULL,
	    "OAuth: the variable holding the refresh token",
	    refresh_token_env),
	OPT("pipeline", SG_OPT_STRING, 0, "default",
	    "the HubSpot pipeline id of the pilot; deals of others are "
	    "skipped", pipeline),
	OPT("stages", SG_OPT_JSON, 0, NULL,
	    "HubSpot stage id or label -> config stage id, for stages whose "
	    "id and label match no config stage", stages),
	OPT("properties", SG_OPT_JSON, 0, NULL,
	    "model or extra field -> deal property (defaults: dealname, "
	    "amount, closedate, hs_next_step...; next_step_date only when "
	    "mapped)", properties),
	OPT("managers", SG_OPT_JSON, 0, NULL,
	    "owner id -> manager's owner id (HubSpot has no manager field)",
	    managers),
	OPT("owners_csv", SG_OPT_STRING, 0, NULL,
	    "a CSV file with id and manager_id columns (the canonical "
	    "owners.csv will do), relative to the config: the managers "
	    "the managers option does not name", owners_csv),
	OPT("evidence_properties", SG_OPT_JSON, 0, NULL,
	    "criterion id -> the deal property holding it; who gave a value "
	    "is read from the property's history (a form: the buyer)",
	    evidence_properties),
	OPT("evidence_object", SG_OPT_JSON, 0, NULL,
	    "a custom object of evidence associated with deals: {\"object\": "
	    "type id or name, and the properties holding \"criterion\", "
	    "\"value\", \"party\", \"observed_at\", \"ref\"}",
	    evidence_object),
	OPT("default_task_owner", SG_OPT_STRING, 0, NULL,
	    "the sink: the owner id a review task goes to when its assignee "
	    "is no HubSpot owner (none: the task has no owner)",
	    default_task_owner),
	OPT("disposition_property", SG_OPT_STRING, 0,
	    "stageguard_disposition",
	    "the sink: the task property where a manager records the "
	    "disposition (approve, correct, escalate, reassign, log, block)",
	    disposition_property),
	OPT("snapshot_dir", SG_OPT_STRING, 0, "hubspot-snapshot",
	    "where each complete pull is kept in the canonical CSV layout, "
	    "relative to the config (--source csv:DIR reads it offline); "
	    "\"\": none", snapshot_dir),
	OPT("search_result_cap", SG_OPT_INT, 0, "10000",
	    "results one search query reaches at most (HubSpot's cap; a "
	    "new query starts past it); lower only for tests",
	    search_result_cap),
	OPT("full_sync_days", SG_OPT_INT, 0, "7",
	    "a full pull at least this often, in days (an incremental one "
	    "cannot see deleted engagements); 0: every pull is full",
	    full_sync_days),
	OPT("requests_per_10s", SG_OPT_INT, 0, "100",
	    "requests sent in any 10 seconds at most (the portal's burst "
	    "limit, shared with its other apps)", requests_per_10s),
	OPT("timeout_ms", SG_OPT_INT, 0, "120000",
	    "the longest one request may take, retries included",
	    timeout_ms),
};

/* The column called name in a header record, or -1. */
static int hubspot_column(const struct sg_csv_record *header,
			  const char *name)
{
	size_t i;

	for (i = 0; i < header->count; i++)
		if (strcmp(header->fields[i], name) == 0)
			return (int)i;
	return -1;
}

/* The managers an owners CSV names, for the owners the managers option
 * does not: HubSpot itself has no manager field. */
static int hubspot_owners_csv(struct hubspot_state *s, struct sg_error *err)
{
	const char *file = s->config->owners_csv;
	char *path = file[0] == '/' ? strdup(file) :
		sg_path_join(s->host->config_dir(s->host->ctx), file);
	struct sg_csv_record rec;
	struct sg_csv *csv = NULL;
	int rc, id = -1, manager = -1;

	if (path == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	rc = sg_csv_open(&csv, path, err);
	if (rc == SG_OK && (rc = sg_csv_next(csv, &rec, err)) == 1) {
		id = hubspot_column(&rec, "id");
		manager = hubspot_column(&rec, "manager_id");
		rc = SG_OK;
	}
	if (rc == SG_OK && (id < 0 || manager < 0))
		rc = sg_error_set_at(err, SG_ERR_CONFIG, path, 1, 0,
				     "owners_csv: the header lacks an id or "
				     "a manager_id column");
	while (rc == SG_OK && (rc = sg_csv_next(csv, &rec, err)) == 1) {
		rc = SG_OK;
		if ((size_t)id >= rec.count || (size_t)manager >= rec.count ||
		    rec.lens[manager] == 0 ||
		    json_object_get(s->managers, rec.fields[id]) != NULL)
			continue;
		if (json_object_set_new(s->managers, rec.fields[id],
					json_string(rec.fields[manager])) != 0)
			rc = sg_error_set(err, SG_ERR_PARSE, "owners_csv: "
					  "line %ld: not UTF-8 text", rec.line);
	}
	sg_csv_free(csv);
	free(path);
	return rc < 0 ? rc : SG_OK;
}

/* The evidence_object option: an object name and the properties of its
 * parts, all text; the object and the criterion are required. */
static int hubspot_evidence_object(const char *text, json_t **out,
				   struct sg_error *err)
{
	int rc = sg_json_names(text, "evidence_object", out, err);

	if (rc == SG_OK && (json_object_get(*out, "object") == NULL ||
			    json_object_get(*out, "criterion") == NULL))
		rc = sg_error_set(err, SG_ERR_CONFIG, ""
				  "evidence_object: \"object\" and "
				  "\"criterion\" are required");
	return rc;
}

static void hubspot_close(void *state)
{
	struct hubspot_state *s = state;

	if (s == NULL)
		return;
	free(s->after);
	json_decref(s->seen_cursors);
	json_decref(s->pipeline);
	json_decref(s->stage_map);
	json_decref(s->option_stages);
	json_decref(s->option_properties);
	json_decref(s->managers);
	json_decref(s->evidence_properties);
	json_decref(s->evidence_object);
	json_decref(s->deals);
	json_decref(s->owner_emails);
	json_decref(s->owner_ids);
	free(s->fields);
	free(s->properties_query);
	free(s->history_query);
	free(s->described);
	free(s->described_notes);
	sg_snapshot_free(s->snapshot);
	hubspot_sync_free(s->sync);
	json_decref(s->resume);
	sg_replay_free(s->resumed);
	free(s);
}

static int hubspot_open(void **state, const void *config, const char *arg,
			const struct sg_host *host, struct sg_error *err)
{
	const struct hubspot_config *c = config;
	struct hubspot_state *s;
	int rc;

	(void)arg;
	*state = NULL;
	if (host->size < offsetof(struct sg_host, describing) +
	    sizeof(host->describing))
		return sg_error_set(err, SG_ERR_PLUGIN, "the host "
				    "table is too old");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	s->host = host;
	s->config = c;
	s->seen_cursors = json_object();
	s->deals = json_object();
	s->owner_emails = json_object();
	s->owner_ids = json_object();
	rc = sg_json_names(c->stages, "stages", &s->option_stages, err);
	if (rc == SG_OK)
		rc = sg_json_names(c->properties, "properties",
					 &s->option_properties, err);
	if (rc == SG_OK)
		rc = sg_json_names(c->managers, "managers",
					 &s->managers, err);
	if (rc == SG_OK)
		rc = sg_json_names(c->evidence_properties,
					 "evidence_properties",
					 &s->evidence_properties, err);
	if (rc == SG_OK && c->evidence_object != NULL)
		rc = hubspot_evidence_object(c->evidence_object,
					     &s->evidence_object, err);
	if (rc == SG_OK && c->owners_csv != NULL && c->owners_csv[0] != '\0')
		rc = hubspot_owners_csv(s, err);
	if (rc == SG_OK && (c->requests_per_10s < 1 ||
			    c->requests_per_10s > 10000))
		rc = sg_error_set(err, SG_ERR_CONFIG, ""
				  "requests_per_10s: 1 to 10000");
	/* The portal counts arrivals, the host sends: a 5% margin keeps
	 * a request sent at the window's edge from arriving inside it. */
	if (rc == SG_OK && (c->search_result_cap < 10 ||
			    c->search_result_cap > 10000))
		rc = sg_error_set(err, SG_ERR_CONFIG, ""
				  "search_result_cap: 10 to 10000");
	if (rc == SG_OK && (c->full_sync_days < 0 ||
			    c->full_sync_days > 3650))
		rc = sg_error_set(err, SG_ERR_CONFIG, ""
				  "full_sync_days: 0 to 3650");
	if (rc == SG_OK)
		rc = host->http_pace(host->ctx, NULL,
				     (unsigned)c->requests_per_10s, 10500,
				     err);
	if (rc == SG_OK)
		rc = host->http_pace(host->ctx, HUBSPOT_SEARCH_PACE, 4, 1050,
				     err);
	if (rc != SG_OK) {
		hubspot_close(s);
		return rc;
	}
	*state = s;
	return SG_OK;
}

/* --- The pipeline and its stages. --- */

static json_t *hubspot_find_pipeline(json_t *doc, const char *id)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(doc, "results"), i, p)
		if (json_is_string(json_object_get(p, "id")) &&
		    strcmp(json_string_value(json_object_get(p, "id")),
			   id) == 0)
			return p;
	return NULL;
}

static int hubspot_no_pipeline(struct hubspot_state *s, json_t *doc,
			       struct sg_error *err)
{
	char list[256];
	size_t i, used = 0;
	json_t *p;

	list[0] = '\0';
	json_array_foreach(json_object_get(doc, "results"), i, p)
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used,
						 sizeof(list) - used, "%s%s",
						 i ? ", " : "",
						 json_string_value(json_object_get(
							 p, "id")) ?
						 json_string_value(json_object_get(
							 p, "id")) : "?");
	return sg_error_set(err, SG_ERR_CONFIG, "pipeline: the "
			    "portal has no deal pipeline \"%.100s\" (it has: "
			    "%s)", s->config->pipeline, list);
}

/* The config stage for a HubSpot stage: the same id, else the same
 * label, else what the stages option says; NULL: none. */
static const char *hubspot_config_stage(const struct hubspot_state *s,
					const struct sg_rules *rules,
					const char *id, const char *label)
{
	size_t i;

	for (i = 0; i < rules->stage_count; i++)
		if (strcmp(rules->stages[i].id, id) == 0)
			return rules->stages[i].id;
	for (i = 0; label != NULL && i < rules->stage_count; i++)
		if (strcmp(rules->stages[i].label, label) == 0 ||
		    strcmp(rules->stages[i].id, label) == 0)
			return rules->stages[i].id;
	if (json_is_string(json_object_get(s->option_stages, id)))
		return json_string_value(json_object_get(s->option_stages,
							 id));
	if (label != NULL &&
	    json_is_string(json_object_get(s->option_stages, label)))
		return json_string_value(json_object_get(s->option_stages,
							 label));
	return NULL;
}

static int hubspot_map_stages(struct hubspot_state *s, struct sg_error *err)
{
	const struct sg_rules *rules = s->host->rules(s->host->ctx);
	json_t *stage;
	size_t i;

	s->stage_map = json_object();
	if (s->stage_map == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	json_array_foreach(json_object_get(s->pipeline, "stages"), i, stage) {
		const char *id = json_string_value(json_object_get(stage,
								   "id"));
		const char *label = json_string_value(json_object_get(
			stage, "label"));
		const char *mapped;

		if (id == NULL)
			return sg_error_set(err, SG_ERR_SOURCE, ""
					    "pipelines: a stage without an "
					    "id");
		mapped = hubspot_config_stage(s, rules, id, label);
		if (mapped != NULL)
			json_object_set_new(s->stage_map, id,
					    json_string(mapped));
		else
			s->host->log(s->host->ctx, SG_LOG_WARN, ""
				     "stage %s (%s) matches no stage of the "
				     "config: its deals are reported as "
				     "unknown_stage; map it with the stages "
				     "option", id, label ? label : "");
	}
	s->rules_pipeline = rules->pipeline_id != NULL ? rules->pipeline_id :
							 s->config->pipeline;
	return SG_OK;
}

static int hubspot_pull_pipelines(struct hubspot_state *s,
				  struct sg_error *err)
{
	struct sg_rec_snapshot snap;
	json_t *doc = NULL, *p;
	int rc;

	rc = hubspot_auth_start(s, err);
	if (rc == SG_OK)
		rc = hubspot_get(s, "/crm/v3/pipelines/deals", "pipelines",
				 &doc, err);
	if (rc != SG_OK)
		return rc;
	p = hubspot_find_pipeline(doc, s->config->pipeline);
	if (p == NULL) {
		rc = hubspot_no_pipeline(s, doc, err);
		json_decref(doc);
		return rc;
	}
	s->pipeline = json_incref(p);
	json_decref(doc);
	rc = hubspot_map_stages(s, err);
	if (rc == SG_OK)
		rc = hubspot_fields_init(s, err);
	if (rc != SG_OK)
		return rc;
	/* The data is as of now: it is read live. */
	snap.extracted_at = (sg_time)time(NULL);
	snap.source = "hubspot";
	s->pull_started = s->server_time != 0 ? s->server_time :
						snap.extracted_at;
	if (!s->host->describing(s->host->ctx))
		rc = hubspot_sync_plan(s, err);
	if (rc == SG_OK && !s->host->describing(s->host->ctx))
		rc = hubspot_snapshot_start(s, snap.extracted_at, err);
	if (rc != SG_OK)
		return rc;
	return s->host->emit_snapshot(s->host->ctx, &snap, err);
}

/* --- Owners. --- */

static int hubspot_emit_owner(struct hubspot_state *s, json_t *owner,
			      struct sg_error *err)
{
	struct sg_rec_owner o;
	char name[512];
	const char *first = json_string_value(json_object_get(owner,
							       "firstName"));
	const char *last = json_string_value(json_object_get(owner,
							      "lastName"));
	json_t *team, *id = json_object_get(owner, "id");
	size_t i;

	if (!json_is_string(id))
		return sg_error_set(err, SG_ERR_SOURCE, "owners, "
				    "page %u: an owner without an id",
				    s->page + 1);
	snprintf(name, sizeof(name), "%s%s%s", first ? first : "",
		 first && last && first[0] && last[0] ? " " : "",
		 last ? last : "");
	memset(&o, 0, sizeof(o));
	o.id = json_string_value(id);
	o.name = name;
	o.email = json_string_value(json_object_get(owner, "email"));
	o.email = o.email ? o.email : "";
	if (o.email[0] != '\0')
		json_object_set_new(s->owner_emails, o.email, json_true());
	o.manager_id = json_string_value(json_object_get(s->managers, o.id));
	o.manager_id = o.manager_id ? o.manager_id : "";
	o.team = "";
	json_array_foreach(json_object_get(owner, "teams"), i, team)
		if (o.team[0] == '\0' ||
		    json_is_true(json_object_get(team, "primary")))
			o.team = json_string_value(json_object_get(team,
								   "name")) ?
				 json_string_value(json_object_get(team,
								   "name")) :
				 "";
	if (s->host->emit_owner(s->host->ctx, &o, NULL, err) != SG_OK)
		return err->code;
	sg_snapshot_owner(s->snapshot, &o);
	return SG_OK;
}

static int hubspot_emit_owners(struct hubspot_state *s, json_t *results,
			       struct sg_error *err)
{
	size_t i;
	int rc = SG_OK;

	for (i = 0; i < json_array_size(results) && rc == SG_OK; i++)
		rc = hubspot_emit_owner(s, json_array_get(results, i), err);
	return rc;
}

static int hubspot_pull_owners(struct hubspot_state *s, struct sg_error *err)
{
	char limit[16];
	const char *params[] = { "limit", limit, "archived", "false" };

	snprintf(limit, sizeof(limit), "%d", HUBSPOT_OWNERS_PAGE);
	return hubspot_list_page(s, "/crm/v3/owners", params, 4, "owners",
				 hubspot_emit_owners, err);
}

static int hubspot_pull_deals(struct hubspot_state *s, struct sg_error *err)
{
	char limit[16];
	const char *params[] = {
		"limit", limit, "archived", "false",
		"properties", s->properties_query,
		"propertiesWithHistory", s->history_query,
	};

	snprintf(limit, sizeof(limit), "%d", HUBSPOT_DEALS_PAGE);
	return hubspot_list_page(s, "/crm/v3/objects/deals", params, 8,
				 "deals", hubspot_emit_deals, err);
}

/* A deal replayed is one of the pilot's: its engagements and evidence
 * are read for it.  Every record is replayed. */
static int hubspot_deal_seen(void *arg, const char *deal, int is_deal)
{
	struct hubspot_state *s = arg;

	return !is_deal || json_object_set_new(s->deals, deal,
					       json_true()) == 0 ? 1 : -1;
}

/* The pages a stopped pull had completed, read back from its folder;
 * then the pull goes on where it stopped. */
static int hubspot_pull_resumed(struct hubspot_state *s, struct sg_error *err)
{
	json_t *cp = s->resume;
	const char *after = json_string_value(json_object_get(cp, "after"));
	int rc = SG_OK;

	if (s->resumed == NULL)
		rc = sg_replay_open(&s->resumed, sg_snapshot_folder(s->snapshot),
				    s->host, NULL, hubspot_deal_seen, s, err);
	if (rc == SG_OK)
		rc = sg_replay_step(s->resumed, err);
	if (rc < 0)
		return sg_error_prefix(err, "resuming the pull stopped "
				       "before: ");
	if (rc == 1)
		return 1;
	s->phase = (int)json_integer_value(json_object_get(cp, "phase"));
	s->kind = (size_t)json_integer_value(json_object_get(cp, "kind"));
	s->page = (unsigned)json_integer_value(json_object_get(cp, "page"));
	free(s->after);
	s->after = after != NULL ? strdup(after) : NULL;
	if (after != NULL && s->after == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	s->host->log(s->host->ctx, SG_LOG_INFO, "resuming the full pull "
		     "stopped before: %llu records read back, going on at "
		     "%s, page %u",
		     sg_replay_count(s->resumed),
		     s->phase == HS_DEALS ? "deals" :
		     s->phase == HS_ACTIVITIES ? "engagements" : "evidence",
		     s->page + 1);
	json_decref(s->resume);
	s->resume = NULL;
	return 1;
}

/* A listing ended: the next starts from its first page. */
static void hubspot_next_phase(struct hubspot_state *s)
{
	s->phase++;
	s->page = 0;
	json_object_clear(s->seen_cursors);
}

static int hubspot_pull(void *state, struct sg_error *err)
{
	struct hubspot_state *s = state;
	int rc;

	switch (s->phase) {
	case HS_PIPELINES:
		rc = hubspot_pull_pipelines(s, err);
		break;
	case HS_OWNERS:
		rc = hubspot_pull_owners(s, err);
		break;
	case HS_DEALS:
		rc = hubspot_pull_deals(s, err);
		break;
	case HS_ACTIVITIES:
		rc = hubspot_pull_activities(s, err);
		break;
	case HS_EVIDENCE:
		rc = hubspot_pull_evidence(s, err);
		break;
	case HS_SYNC:
		rc = hubspot_sync_step(s, err);
		break;
	case HS_RESUME:
		return hubspot_pull_resumed(s, err);
	default:
		return 0;
	}
	if (rc < 0)
		return rc;
	if (rc == 2) {
		/* An incremental pull found it had better be full. */
		s->phase = HS_OWNERS;
		rc = 0;
	}
	if (rc == 0 || s->phase == HS_PIPELINES)
		hubspot_next_phase(s);
	/* init --from needs the pipeline only. */
	if (s->phase == HS_OWNERS && s->host->describing(s->host->ctx))
		s->phase = HS_DONE;
	/* An incremental pull reads what changed after the owners; a full
	 * one has nothing more to do after the evidence. */
	if (s->phase == HS_DEALS && s->sync != NULL)
		s->phase = HS_SYNC;
	else if (s->phase == HS_DEALS && s->resume != NULL)
		s->phase = HS_RESUME;
	else if (s->phase > HS_SYNC ||
		 (s->phase == HS_SYNC && s->sync == NULL))
		s->phase = HS_DONE;
	/* Each page of a full pull complete is a point to resume from. */
	if (s->phase >= HS_DEALS && s->phase <= HS_EVIDENCE &&
	    hubspot_snapshot_checkpoint(s, err) != SG_OK)
		return err->code;
	if (s->phase == HS_DONE && (sg_snapshot_commit(s->snapshot, err) !=
				    SG_OK ||
				    hubspot_sync_commit(s, err) != SG_OK))
		return err->code;
	return s->phase < HS_DONE ? 1 : 0;
}

/* --- describe(): the pipeline as the API gives it. --- */

static int hubspot_display_order(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t dx = json_integer_value(json_object_get(x,
							   "displayOrder"));
	json_int_t dy = json_integer_value(json_object_get(y,
							   "displayOrder"));

	return dx < dy ? -1 : dx > dy;
}

/* A forecast category from a stage's win probability (HubSpot keeps
 * categories per deal, not per stage). */
static const char *hubspot_category(int closed, int won, double p)
{
	if (closed)
		return won ? "closed" : "omitted";
	if (p >= 0.8)
		return "commit";
	if (p >= 0.5)
		return "best_case";
	return "pipeline";
}

static void hubspot_describe_stage(json_t *stage,
				   struct sg_described_stage *d)
{
	json_t *meta = json_object_get(stage, "metadata");
	const char *closed = json_string_value(json_object_get(meta,
							       "isClosed"));
	const char *prob = json_string_value(json_object_get(meta,
							     "probability"));
	double p = prob != NULL ? strtod(prob, NULL) : 0.0;

	d->id = json_string_value(json_object_get(stage, "id"));
	d->label = json_string_value(json_object_get(stage, "label"));
	d->closed = closed != NULL && strcmp(closed, "true") == 0;
	d->won = d->closed && p >= 0.999;
	d->forecast_category = hubspot_category(d->closed, d->won, p);
}

static int hubspot_describe(void *state, struct sg_pipeline_description *out,
			    struct sg_error *err)
{
	static const char *const notes[] = {
		"stages in the pipeline's display order; closed from "
		"isClosed, won where the win probability is 1.0",
		"forecast categories guessed from each stage's win "
		"probability (HubSpot keeps them per deal): check them",
	};
	struct hubspot_state *s = state;
	json_t *stages = json_object_get(s->pipeline, "stages");
	size_t n = json_array_size(stages), i;
	json_t **order;

	order = calloc(n ? n : 1, sizeof(*order));
	s->described = calloc(n ? n : 1, sizeof(*s->described));
	if (order == NULL || s->described == NULL) {
		free(order);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++)
		order[i] = json_array_get(stages, i);
	qsort(order, n, sizeof(*order), hubspot_display_order);
	for (i = 0; i < n; i++)
		hubspot_describe_stage(order[i], &s->described[i]);
	free(order);
	out->pipeline_id = s->config->pipeline;
	out->pipeline_label = json_string_value(json_object_get(s->pipeline,
								"label"));
	out->stages = s->described;
	out->stage_count = n;
	out->notes = notes;
	out->note_count = 2;
	return SG_OK;
}

static int hubspot_finish(void *state, struct sg_error *err)
{
	(void)state;
	(void)err;
	return SG_OK;
}

static const struct sg_plugin hubspot_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SOURCE | SG_PLUGIN_SINK,
	.name = "hubspot",
	.version = PACKAGE_VERSION,
	.description = "Reads a HubSpot pipeline (deals, stage and field "
		"history, owners, engagements, evidence) and writes review "
		"tasks back (CRM v3 API)",
	.options = hubspot_options,
	.option_count = sizeof(hubspot_options) / sizeof(hubspot_options[0]),
	.config_size = sizeof(struct hubspot_config),
	.open = hubspot_open,
	.pull = hubspot_pull,
	.write = hubspot_write,
	.finish = hubspot_finish,
	.close = hubspot_close,
	.sink_needs = SG_SINK_NEEDS_TASKS,
	.describe = hubspot_describe,
};

/* The plugin's one exported symbol: its constant descriptor. */
__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

const struct sg_plugin *sg_plugin_entry(void)
{
	return &hubspot_plugin;
}
