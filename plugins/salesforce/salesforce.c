/*
 * salesforce.c - the Salesforce source (docs/connectors/salesforce.md):
 * the pilot pipeline's opportunities (chosen by opportunity_filter) with
 * their stage history (OpportunityHistory) and field history, the org's
 * users with their managers, the activities on the opportunities and
 * the evidence, through the REST API's SOQL queries and the host's HTTP
 * client.  One page per pull(): the stages first, then the users, the
 * opportunities, their histories, Tasks, Events, EmailMessages, and the
 * evidence object.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "salesforce_int.h"
#include "sg_credentials.h"
#include "sg_path.h"

#define OPT(name, type, flags, def, help, field) \
	{ name, type, flags, def, help, \
	  offsetof(struct salesforce_config, field) }

static const struct sg_option salesforce_options[] = {
	OPT("base_url", SG_OPT_STRING, 0, "https://login.salesforce.com",
	    "the login host (a sandbox: https://test.salesforce.com, or the "
	    "org's My Domain); the token answer names the API's host",
	    base_url),
	OPT("client_id", SG_OPT_STRING, 0, NULL,
	    "the connected app's consumer key", client_id),
	OPT("client_id_env", SG_OPT_STRING, 0, NULL,
	    "the variable holding the consumer key", client_id_env),
	OPT("client_secret", SG_OPT_STRING, SG_OPT_SECRET, NULL,
	    "the connected app's consumer secret (prefer client_secret_env)",
	    client_secret),
	OPT("client_secret_env", SG_OPT_STRING, 0, NULL,
	    "the variable holding the consumer secret", client_secret_env),
	OPT("refresh_token", SG_OPT_STRING, SG_OPT_SECRET, NULL,
	    "OAuth refresh token (none: the client credentials flow)",
	    refresh_token),
	OPT("refresh_token_env", SG_OPT_STRING, 0, NULL,
	    "the variable holding the refresh token", refresh_token_env),
	OPT("api_version", SG_OPT_STRING, 0, "v62.0",
	    "the REST API version", api_version),
	OPT("opportunity_filter", SG_OPT_JSON, 0, NULL,
	    "the pilot's opportunities: field -> value or list of values, "
	    "e.g. {\"RecordType.Name\": \"New business\"} (values quoted, "
	    "never SOQL)", opportunity_filter),
	OPT("stages", SG_OPT_JSON, 0, NULL,
	    "stage label or API name -> config stage id, for stages whose "
	    "API name and label match no config stage", stages),
	OPT("fields", SG_OPT_JSON, 0, NULL,
	    "model or extra field -> Opportunity field (defaults: Name, "
	    "StageName, Amount, CloseDate, NextStep...; next_step_date and "
	    "currency only when mapped)", fields),
	OPT("evidence_fields", SG_OPT_JSON, 0, NULL,
	    "criterion id -> the Opportunity field holding it; value and "
	    "time from its field history, who gave it from who changed it",
	    evidence_fields),
	OPT("buyer_users", SG_OPT_JSON, 0, NULL,
	    "user ids that speak for the buyer (a form or e-signature "
	    "integration, a scheduling tool)", buyer_users),
	OPT("system_users", SG_OPT_JSON, 0, NULL,
	    "integration user ids whose activity is the system's "
	    "(AutomatedProcess users are, always)", system_users),
	OPT("evidence_object", SG_OPT_JSON, 0, NULL,
	    "a custom object of evidence: {\"object\": API name, "
	    "\"opportunity\": its lookup, and the fields of \"criterion\", "
	    "\"value\", \"party\", \"observed_at\", \"ref\"}",
	    evidence_object),
	OPT("bulk_threshold", SG_OPT_INT, 0, "10000",
	    "a full pull reads a query of more records than this through "
	    "Bulk API 2.0 (a job, its CSV results); 0: always REST",
	    bulk_threshold),
	OPT("bulk_max_records", SG_OPT_INT, 0, "50000",
	    "records per Bulk result set (the body is held whole)",
	    bulk_max_records),
	OPT("api_reserve_percent", SG_OPT_INT, 0, "10",
	    "the share of the org's daily API calls left for the business: "
	    "the pull stops before using it", api_reserve_percent),
	OPT("default_task_owner", SG_OPT_STRING, 0, NULL,
	    "the sink: the user a review Task goes to when its assignee is "
	    "no active user (none: the integration user)",
	    default_task_owner),
	OPT("disposition_field", SG_OPT_STRING, 0,
	    "Stageguard_Disposition__c",
	    "the sink: the Task field where a manager records the "
	    "disposition (approve, correct, escalate, reassign, log, block)",
	    disposition_field),
	OPT("snapshot_dir", SG_OPT_STRING, 0, "salesforce-snapshot",
	    "where each complete pull is kept in the canonical CSV layout, "
	    "relative to the config (--source csv:DIR reads it offline); "
	    "\"\": none", snapshot_dir),
	OPT("timeout_ms", SG_OPT_INT, 0, "120000",
	    "the longest one request may take, retries included",
	    timeout_ms),
};

/* A JSON list of user ids, as a set. */
static int salesforce_user_set(const char *text, const char *name,
			       json_t **out, struct sg_error *err)
{
	json_t *list = text != NULL ? json_loads(text, 0, NULL) : json_array();
	json_t *id;
	size_t i;

	*out = json_object();
	if (!json_is_array(list) || *out == NULL) {
		json_decref(list);
		return sg_error_set(err, SG_ERR_CONFIG, "%s: expected a list "
				    "of user ids", name);
	}
	json_array_foreach(list, i, id)
		if (!json_is_string(id)) {
			json_decref(list);
			return sg_error_set(err, SG_ERR_CONFIG, "%s[%zu]: "
					    "expected a user id", name, i);
		} else {
			json_object_set_new(*out, json_string_value(id),
					    json_true());
		}
	json_decref(list);
	return SG_OK;
}

static void salesforce_close(void *state)
{
	struct salesforce_state *s = state;

	if (s == NULL)
		return;
	free(s->next_url);
	json_decref(s->seen_locators);
	free(s->instance_url);
	json_decref(s->stage_map);
	json_decref(s->option_stages);
	json_decref(s->option_fields);
	json_decref(s->evidence_fields);
	json_decref(s->evidence_object);
	json_decref(s->buyer_users);
	json_decref(s->system_users);
	json_decref(s->filter);
	json_decref(s->opportunities);
	json_decref(s->stages);
	json_decref(s->opportunity_fields);
	json_decref(s->user_ids);
	free(s->fields);
	free(s->opportunity_query);
	salesforce_rows_free(s->rows);
	free(s->described);
	sg_snapshot_free(s->snapshot);
	sg_replay_free(s->resumed);
	json_decref(s->resume_position);
	free(s->resume_condition);
	json_decref(s->resume_done);
	free(s->key_value);
	json_decref(s->key_done);
	salesforce_sync_free(s->sync);
	salesforce_bulk_free(s->bulk);
	free(s);
}

static int salesforce_options_read(struct salesforce_state *s,
				   const struct salesforce_config *c,
				   struct sg_error *err)
{
	int rc = sg_json_names(c->stages, "stages", &s->option_stages,
				       err);

	if (rc == SG_OK)
		rc = sg_json_names(c->fields, "fields",
					   &s->option_fields, err);
	if (rc == SG_OK)
		rc = sg_json_names(c->evidence_fields,
					   "evidence_fields",
					   &s->evidence_fields, err);
	if (rc == SG_OK && c->evidence_object != NULL) {
		rc = sg_json_names(c->evidence_object,
					   "evidence_object",
					   &s->evidence_object, err);
		if (rc == SG_OK &&
		    (json_object_get(s->evidence_object, "object") == NULL ||
		     json_object_get(s->evidence_object, "opportunity") ==
		     NULL ||
		     json_object_get(s->evidence_object, "criterion") == NULL))
			rc = sg_error_set(err, SG_ERR_CONFIG, "evidence_object: "
					  "\"object\", \"opportunity\" and "
					  "\"criterion\" are required");
	}
	if (rc == SG_OK)
		rc = salesforce_user_set(c->buyer_users, "buyer_users",
					 &s->buyer_users, err);
	if (rc == SG_OK)
		rc = salesforce_user_set(c->system_users, "system_users",
					 &s->system_users, err);
	if (rc == SG_OK) {
		s->filter = c->opportunity_filter != NULL ?
			json_loads(c->opportunity_filter, 0, NULL) :
			json_object();
		if (!json_is_object(s->filter))
			rc = sg_error_set(err, SG_ERR_CONFIG, "opportunity_filter:"
					  " expected an object of field -> "
					  "value or values");
	}
	if (rc == SG_OK && (c->bulk_max_records < 1 ||
			    c->bulk_max_records > 1000000))
		rc = sg_error_set(err, SG_ERR_CONFIG, "bulk_max_records: 1 to "
				  "1000000");
	if (rc == SG_OK && (c->api_reserve_percent < 0 ||
			    c->api_reserve_percent > 90))
		rc = sg_error_set(err, SG_ERR_CONFIG, "api_reserve_percent: 0 "
				  "to 90");
	if (rc == SG_OK && (strlen(c->api_version) > 16 ||
			    c->api_version[0] != 'v'))
		rc = sg_error_set(err, SG_ERR_CONFIG, "api_version: like "
				  "\"v62.0\"");
	return rc;
}

static int salesforce_open(void **state, const void *config, const char *arg,
			   const struct sg_host *host, struct sg_error *err)
{
	const struct salesforce_config *c = config;
	struct salesforce_state *s;
	int rc;

	(void)arg;
	*state = NULL;
	if (host->size < offsetof(struct sg_host, describing) +
	    sizeof(host->describing))
		return sg_error_set(err, SG_ERR_PLUGIN, "the host table is "
				    "too old");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	s->host = host;
	s->config = c;
	s->seen_locators = json_object();
	s->opportunities = json_object();
	s->user_ids = json_object();
	s->resume_done = json_object();
	s->key_done = json_array();
	rc = s->seen_locators != NULL && s->opportunities != NULL &&
	     s->user_ids != NULL && s->resume_done != NULL &&
	     s->key_done != NULL ?
		salesforce_options_read(s, c, err) :
		sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	if (rc != SG_OK) {
		salesforce_close(s);
		return rc;
	}
	*state = s;
	return SG_OK;
}

/* --- What the org is: Opportunity's fields, its currency. --- */

static int salesforce_pull_describe(struct salesforce_state *s,
				    struct sg_error *err)
{
	char path[96];
	json_t *doc = NULL, *f;
	size_t i;
	int rc = salesforce_auth_start(s, err);

	snprintf(path, sizeof(path), "/services/data/%s/sobjects/Opportunity/"
		 "describe", s->config->api_version);
	if (rc == SG_OK)
		rc = salesforce_get(s, path, "Opportunity describe", &doc, err);
	if (rc != SG_OK)
		return rc;
	s->opportunity_fields = json_object();
	s->amount_scale = 2;
	json_array_foreach(json_object_get(doc, "fields"), i, f) {
		const char *name = json_string_value(json_object_get(f,
								     "name"));

		if (name != NULL)
			json_object_set(s->opportunity_fields, name, f);
		if (name != NULL && strcmp(name, "Amount") == 0 &&
		    json_is_integer(json_object_get(f, "scale")))
			s->amount_scale = (int)json_integer_value(
				json_object_get(f, "scale"));
	}
	json_decref(doc);
	if (json_object_size(s->opportunity_fields) == 0)
		return sg_error_set(err, SG_ERR_SOURCE, "Opportunity describe: "
				    "no fields in the answer");
	if (s->amount_scale < 0 || s->amount_scale > 8)
		s->amount_scale = 2;
	return 0;
}

static int salesforce_take_org(struct salesforce_state *s, json_t *records,
			       struct sg_error *err)
{
	const char *c = json_string_value(json_object_get(
		json_array_get(records, 0), "DefaultCurrencyIsoCode"));

	(void)err;
	if (c != NULL)
		snprintf(s->org_currency, sizeof(s->org_currency), "%s", c);
	return SG_OK;
}

/* A single-currency org has no CurrencyIsoCode: its amounts are all in
 * the org's currency. */
static int salesforce_pull_organization(struct salesforce_state *s,
					struct sg_error *err)
{
	if (json_object_get(s->opportunity_fields, "CurrencyIsoCode") != NULL)
		return 0;
	return salesforce_query_page(s, "SELECT Id, DefaultCurrencyIsoCode "
				     "FROM Organization", 0, "Organization",
				     salesforce_take_org, err);
}

/* --- The snapshot: each complete pull kept, a stopped one resumed. --- */

/* What shapes the records a pull writes, as a short hash: a checkpoint
 * taken with other settings is not resumed. */
static void salesforce_settings_id(const struct salesforce_state *s,
				   char *out, size_t size)
{
	json_t *all = json_pack("{s:s?, s:O?, s:O?, s:O?, s:O?, s:O?, s:s, s:i}",
				"query", s->opportunity_query, "stages",
				s->stage_map, "evidence_fields",
				s->evidence_fields, "evidence_object",
				s->evidence_object, "buyers", s->buyer_users,
				"systems", s->system_users, "currency",
				s->org_currency, "scale", s->amount_scale);
	char *text = all != NULL ? json_dumps(all, JSON_SORT_KEYS |
					      JSON_COMPACT) : NULL;
	unsigned long long h = 1469598103934665603ULL;
	const char *p;

	for (p = text != NULL ? text : ""; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(out, size, "%016llx", h);
	free(text);
	json_decref(all);
}

/* Where the snapshot is kept (malloc'd), NULL when none is. */
static char *salesforce_snapshot_path(const struct salesforce_state *s)
{
	const char *dir = s->config->snapshot_dir;

	if (dir == NULL || dir[0] == '\0')
		return NULL;
	return dir[0] == '/' ? strdup(dir) :
	       sg_path_join(s->host->config_dir(s->host->ctx), dir);
}

/*
 * Incremental or full, then the pull's folder: a full pull takes up a
 * checkpoint of the same settings.  The cursor the next pull starts from
 * is this one's start, by the org's clock.
 */
static int salesforce_snapshot_start(struct salesforce_state *s,
				     sg_time extracted_at, struct sg_error *err)
{
	struct sg_snapshot_spec spec;
	char *path = salesforce_snapshot_path(s);
	const char **extras;
	json_t *position;
	size_t i, n = 0;
	int rc;

	salesforce_settings_id(s, s->settings, sizeof(s->settings));
	s->pull_started = s->server_time != 0 ? s->server_time : extracted_at;
	rc = salesforce_sync_plan(s, path, s->settings, err);
	if (rc != SG_OK || path == NULL) {
		free(path);
		return rc;
	}
	extras = calloc(s->field_count + 1, sizeof(*extras));
	if (extras == NULL) {
		free(path);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < s->field_count; i++)
		if (s->fields[i].extra)
			extras[n++] = s->fields[i].model;
	memset(&spec, 0, sizeof(spec));
	spec.dir = path;
	spec.source = "salesforce";
	spec.extracted_at = extracted_at;
	spec.extras = extras;
	spec.extra_count = n;
	spec.settings = s->settings;
	spec.may_resume = s->sync == NULL;
	rc = sg_snapshot_start(&s->snapshot, &spec, err);
	free(path);
	free(extras);
	position = sg_snapshot_resumed(s->snapshot, &s->pull_started);
	if (rc == SG_OK && position != NULL) {
		s->resume_phase = (int)json_integer_value(json_object_get(
			position, "phase"));
		if (s->resume_phase < SF_OPPORTUNITIES ||
		    s->resume_phase > SF_EVIDENCE)
			s->resume_phase = 0;
		else
			s->resume_position = json_incref(position);
	}
	return rc;
}

/* The queries of a pull, as messages name them. */
static const char *const salesforce_phase_names[] = {
	"Opportunity", "OpportunityHistory", "OpportunityFieldHistory",
	"Task", "Event", "EmailMessage", "evidence",
};

/* An opportunity replayed is the pilot's: its history is read for it. */
static int salesforce_seen(void *arg, const char *id, int is_opportunity)
{
	struct salesforce_state *s = arg;

	return !is_opportunity || json_object_set_new(
		s->opportunities, id, json_true()) == 0 ? 1 : -1;
}

/*
 * The pages a stopped pull had completed, read back from its folder;
 * then it goes on with the query it stopped in, after its last complete
 * page (salesforce_resume_query()).
 */
static int salesforce_pull_resumed(struct salesforce_state *s,
				   struct sg_error *err)
{
	int rc = SG_OK;

	if (s->resumed == NULL)
		rc = sg_replay_open(&s->resumed, sg_snapshot_folder(
			s->snapshot), s->host, NULL, salesforce_seen, s, err);
	if (rc == SG_OK)
		rc = sg_replay_step(s->resumed, err);
	if (rc < 0)
		return sg_error_prefix(err, "resuming the pull stopped "
				       "before: ");
	if (rc == 1)
		return 1;
	s->host->log(s->host->ctx, SG_LOG_INFO, "resuming the pull stopped "
		     "before: %llu records read back, going on with the %s "
		     "query%s", sg_replay_count(s->resumed),
		     salesforce_phase_names[s->resume_phase - SF_OPPORTUNITIES],
		     json_object_size(s->resume_position) > 1 ?
		     " after its last complete page" : "");
	s->phase = s->resume_phase;
	s->resume_phase = 0;
	return 2;
}

/* --- Stages. --- */

static const char *salesforce_config_stage(const struct salesforce_state *s,
					   const struct sg_rules *rules,
					   const char *api, const char *label)
{
	size_t i;

	for (i = 0; api != NULL && i < rules->stage_count; i++)
		if (strcmp(rules->stages[i].id, api) == 0)
			return rules->stages[i].id;
	for (i = 0; label != NULL && i < rules->stage_count; i++)
		if (strcmp(rules->stages[i].label, label) == 0)
			return rules->stages[i].id;
	if (label != NULL &&
	    json_is_string(json_object_get(s->option_stages, label)))
		return json_string_value(json_object_get(s->option_stages,
							 label));
	if (api != NULL &&
	    json_is_string(json_object_get(s->option_stages, api)))
		return json_string_value(json_object_get(s->option_stages,
							 api));
	return NULL;
}

static int salesforce_collect_stages(struct salesforce_state *s,
				     json_t *records, struct sg_error *err)
{
	(void)err;
	return json_array_extend(s->stages, records) == 0 ? SG_OK :
		sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

/* StageName holds the label: both it and the API name map. */
static int salesforce_map_stages(struct salesforce_state *s,
				 struct sg_error *err)
{
	const struct sg_rules *rules = s->host->rules(s->host->ctx);
	json_t *st;
	size_t i;

	s->stage_map = json_object();
	if (s->stage_map == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	json_array_foreach(s->stages, i, st) {
		const char *api = json_string_value(json_object_get(st,
								    "ApiName"));
		const char *label = json_string_value(json_object_get(
			st, "MasterLabel"));
		const char *mapped = salesforce_config_stage(s, rules, api,
							     label);

		if (mapped == NULL) {
			s->host->log(s->host->ctx, SG_LOG_WARN, "stage %s (%s) "
				     "matches no stage of the config: its "
				     "opportunities are reported as "
				     "unknown_stage; map it with the stages "
				     "option", label ? label : "?",
				     api ? api : "?");
			continue;
		}
		if (label != NULL)
			json_object_set_new(s->stage_map, label,
					    json_string(mapped));
		if (api != NULL)
			json_object_set_new(s->stage_map, api,
					    json_string(mapped));
	}
	s->rules_pipeline = rules->pipeline_id != NULL ? rules->pipeline_id :
							 "";
	return SG_OK;
}

static int salesforce_pull_stages(struct salesforce_state *s,
				  struct sg_error *err)
{
	struct sg_rec_snapshot snap;
	int rc = SG_OK;

	if (s->stages == NULL) {
		s->stages = json_array();
		if (s->stages == NULL)
			rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	if (rc == SG_OK)
		rc = salesforce_query_page(s, "SELECT ApiName, MasterLabel, "
					   "SortOrder, IsActive, IsClosed, "
					   "IsWon, ForecastCategoryName, "
					   "DefaultProbability FROM "
					   "OpportunityStage ORDER BY "
					   "SortOrder", 0, "OpportunityStage",
					   salesforce_collect_stages, err);
	if (rc != 0)
		return rc;
	rc = salesforce_map_stages(s, err);
	if (rc == SG_OK)
		rc = salesforce_fields_init(s, err);
	if (rc != SG_OK)
		return rc;
	snap.extracted_at = (sg_time)time(NULL);
	snap.source = "salesforce";
	if (!s->host->describing(s->host->ctx))
		rc = salesforce_snapshot_start(s, snap.extracted_at, err);
	if (rc == SG_OK)
		rc = s->host->emit_snapshot(s->host->ctx, &snap, err);
	return rc != SG_OK ? rc : 0;
}

/* --- The queries, one phase each. --- */

static char *salesforce_field_history_query(struct salesforce_state *s)
{
	char *q = strdup("SELECT Id, OpportunityId, Field, OldValue, "
			 "NewValue, CreatedDate, CreatedById FROM "
			 "OpportunityFieldHistory WHERE Field IN (");
	const char *criterion;
	json_t *field;
	size_t i;
	int n = 0, failed = q == NULL;

	for (i = 0; i < s->field_count && !failed; i++) {
		const char *m = s->fields[i].model;

		if (strcmp(m, "name") == 0 || strcmp(m, "stage") == 0 ||
		    strcmp(m, "owner_id") == 0 || strcmp(m, "created_at") == 0 ||
		    strcmp(m, "forecast_category") == 0)
			continue;
		failed = (n++ > 0 && salesforce_append(&q, ", ") != 0) ||
			 salesforce_soql_quote(&q, s->fields[i].field) != 0;
	}
	json_object_foreach(s->evidence_fields, criterion, field)
		if (!failed)
			failed = (n++ > 0 && salesforce_append(&q, ", ") != 0) ||
				 salesforce_soql_quote(
					 &q, json_string_value(field)) != 0;
	if (!failed)
		failed = salesforce_append(&q, ") ORDER BY OpportunityId, "
					   "CreatedDate, Id") != 0;
	if (failed) {
		free(q);
		return NULL;
	}
	return q;
}

static char *salesforce_evidence_query(struct salesforce_state *s,
				       struct sg_error *err)
{
	static const char *const parts[] = { "opportunity", "criterion",
					     "value", "party", "observed_at",
					     "ref" };
	char *q = strdup("SELECT Id");
	size_t i;

	for (i = 0; i < 6 && q != NULL; i++) {
		const char *f = json_string_value(json_object_get(
			s->evidence_object, parts[i]));

		if (f == NULL)
			continue;
		if (!salesforce_soql_is_field(f)) {
			free(q);
			sg_error_set(err, SG_ERR_CONFIG, "evidence_object.%s: "
				     "\"%.80s\" is no field name", parts[i], f);
			return NULL;
		}
		if (salesforce_append(&q, ", ") != 0 ||
		    salesforce_append(&q, f) != 0) {
			free(q);
			q = NULL;
		}
	}
	if (q != NULL && !salesforce_soql_is_field(json_string_value(
		    json_object_get(s->evidence_object, "object")))) {
		free(q);
		sg_error_set(err, SG_ERR_CONFIG, "evidence_object.object: no "
			     "object name");
		return NULL;
	}
	if (q != NULL && (salesforce_append(&q, " FROM ") != 0 ||
			  salesforce_append(&q, json_string_value(
				  json_object_get(s->evidence_object,
						  "object"))) != 0 ||
			  salesforce_append(&q, " ORDER BY Id") != 0)) {
		free(q);
		q = NULL;
	}
	if (q == NULL && err->code == SG_OK)
		sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	return q;
}

/* --- Where a query is: a stopped pull goes on from its last page. --- */

/* The field a query is ordered by first: where a REST query is read on
 * from.  A query locator lives 15 minutes idle, so a pull resumed later
 * asks for the records from the last key written instead, the Ids
 * already written with that key skipped: no page is read twice. */
static const char *salesforce_key_field(int phase)
{
	return phase == SF_HISTORY || phase == SF_FIELD_HISTORY ?
	       "OpportunityId" : "Id";
}

static int salesforce_key_note(struct salesforce_state *s, json_t *record)
{
	const char *key = json_string_value(json_object_get(
		record, salesforce_key_field(s->phase)));
	json_t *id = json_object_get(record, "Id");

	if (key == NULL || !json_is_string(id))
		return SG_OK;   /* the emit step refuses such a record */
	if (s->key_value == NULL || strcmp(s->key_value, key) != 0) {
		free(s->key_value);
		s->key_value = strdup(key);
		json_array_clear(s->key_done);
		if (s->key_value == NULL)
			return -1;
	}
	return json_array_append(s->key_done, id);
}

/* Every query's records pass here: those a resumed query had written
 * are skipped, and the key of the last one kept. */
static int salesforce_emit_tracked(struct salesforce_state *s,
				   json_t *records, struct sg_error *err)
{
	json_t *kept = records, *r;
	size_t i;
	int rc;

	if (json_object_size(s->resume_done) > 0) {
		kept = json_array();
		json_array_foreach(records, i, r)
			if (kept != NULL && json_object_get(s->resume_done,
				json_string_value(json_object_get(r, "Id")))
			    == NULL && json_array_append(kept, r) != 0) {
				json_decref(kept);
				kept = NULL;
			}
		if (kept == NULL)
			return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	rc = s->emit_inner(s, kept, err);
	if (rc == SG_OK && !s->bulk_on && s->sync == NULL)
		json_array_foreach(kept, i, r)
			if (rc == SG_OK && salesforce_key_note(s, r) != 0)
				rc = sg_error_set(err, SG_ERR_NOMEM,
						  "out of memory");
	if (kept != records)
		json_decref(kept);
	return rc;
}

/* Where the query under way is, for a checkpoint after its page:
 * a Bulk job and its next set, or the key of the last record written. */
static int salesforce_query_position(struct salesforce_state *s,
				     json_t *position)
{
	const char *pending = salesforce_history_pending(s);
	/* A Bulk job's stage rows are emitted at its end: within the
	 * history job, the job is read again from its first set. */
	int from_start = s->bulk_on && s->phase == SF_HISTORY;
	json_t *after;

	if (json_object_set_new(position, "page",
				json_integer(from_start ? 0 : s->page)))
		return -1;
	if (s->bulk_on) {
		if (salesforce_bulk_position(s->bulk, position) != 0)
			return -1;
		if (from_start)
			(void)json_object_del(position, "locator");
		return 0;
	}
	if (pending == NULL && s->key_value == NULL)
		return 0;
	after = pending != NULL ?
		json_pack("{s:s, s:[]}", "value", pending, "done") :
		json_pack("{s:s, s:O}", "value", s->key_value, "done",
			  s->key_done);
	return after == NULL || json_object_set_new(position, "after", after);
}

/* A stopped pull's position taken up as its query starts again. */
static int salesforce_resume_query(struct salesforce_state *s,
				   struct sg_error *err)
{
	json_t *p = s->resume_position, *after, *id;
	const char *job, *value;
	size_t i;
	int rc = SG_OK;

	s->resume_position = NULL;
	s->page = (unsigned)json_integer_value(json_object_get(p, "page"));
	job = json_string_value(json_object_get(p, "job"));
	after = json_object_get(p, "after");
	value = json_string_value(json_object_get(after, "value"));
	if (job != NULL) {
		if (salesforce_bulk_resume(&s->bulk, job, json_string_value(
			    json_object_get(p, "locator"))) != 0)
			rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
		s->bulk_checked = s->bulk_on = 1;
	} else if (value != NULL) {
		if (salesforce_append(&s->resume_condition,
				      salesforce_key_field(s->phase)) != 0 ||
		    salesforce_append(&s->resume_condition, " >= ") != 0 ||
		    salesforce_soql_quote(&s->resume_condition, value) != 0)
			rc = sg_error_set(err, SG_ERR_SOURCE, "the checkpoint's "
					  "key \"%.40s\" cannot be asked for",
					  value);
		json_array_foreach(json_object_get(after, "done"), i, id)
			if (rc == SG_OK && json_is_string(id) &&
			    json_object_set(s->resume_done,
					    json_string_value(id),
					    json_true()) != 0)
				rc = sg_error_set(err, SG_ERR_NOMEM,
						  "out of memory");
	}
	json_decref(p);
	return rc;
}

/* A query ended: the next starts from its first page. */
static void salesforce_query_end(struct salesforce_state *s)
{
	s->page = 0;
	json_object_clear(s->seen_locators);
	salesforce_bulk_free(s->bulk);
	s->bulk = NULL;
	s->bulk_checked = s->bulk_on = 0;
	free(s->resume_condition);
	s->resume_condition = NULL;
	json_object_clear(s->resume_done);
	free(s->key_value);
	s->key_value = NULL;
	json_array_clear(s->key_done);
}

static int salesforce_pull_query(struct salesforce_state *s,
				 struct sg_error *err)
{
	char *owned = NULL;
	const char *q = NULL, *what = NULL;
	int (*emit)(struct salesforce_state *, json_t *,
		    struct sg_error *) = NULL;
	int rc;

	switch (s->phase) {
	case SF_USERS:
		q = "SELECT Id, Name, Email, ManagerId, Department, UserType "
		    "FROM User ORDER BY Id";
		what = "User";
		emit = salesforce_emit_users;
		break;
	case SF_OPPORTUNITIES:
		q = s->opportunity_query;
		what = "Opportunity";
		emit = salesforce_emit_opportunities;
		break;
	case SF_HISTORY:
		q = "SELECT Id, OpportunityId, StageName, CreatedDate, "
		    "CreatedById FROM OpportunityHistory ORDER BY "
		    "OpportunityId, CreatedDate, Id";
		what = "OpportunityHistory";
		emit = salesforce_emit_history;
		break;
	case SF_FIELD_HISTORY:
		q = owned = salesforce_field_history_query(s);
		what = "OpportunityFieldHistory";
		emit = salesforce_emit_field_history;
		break;
	case SF_TASKS:
		q = "SELECT Id, WhatId, Subject, TaskSubtype, CallType, "
		    "OwnerId, CreatedById, ActivityDate, CompletedDateTime, "
		    "CreatedDate FROM Task ORDER BY Id";
		what = "Task";
		emit = salesforce_emit_tasks;
		break;
	case SF_EVENTS:
		q = "SELECT Id, WhatId, Subject, OwnerId, CreatedById, "
		    "ActivityDateTime, StartDateTime FROM Event ORDER BY Id";
		what = "Event";
		emit = salesforce_emit_events;
		break;
	case SF_EMAILS:
		q = "SELECT Id, RelatedToId, Incoming, FromAddress, Subject, "
		    "MessageDate, CreatedById FROM EmailMessage ORDER BY Id";
		what = "EmailMessage";
		emit = salesforce_emit_emails;
		break;
	case SF_EVIDENCE:
		if (s->evidence_object == NULL)
			return 0;
		q = owned = salesforce_evidence_query(s, err);
		if (q == NULL)
			return err->code;
		what = json_string_value(json_object_get(s->evidence_object,
							 "object"));
		emit = salesforce_emit_evidence;
		break;
	default:
		return 0;
	}
	if (q == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	if (s->resume_position != NULL && s->resume_phase == 0 &&
	    (rc = salesforce_resume_query(s, err)) != SG_OK) {
		free(owned);
		return rc;
	}
	if (s->resume_condition != NULL) {
		char *from_key = salesforce_soql_and(q, s->resume_condition);

		free(owned);
		q = owned = from_key;
		if (q == NULL)
			return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	/* An incremental pull reads the opportunities that changed only. */
	if (s->sync != NULL && s->phase >= SF_OPPORTUNITIES) {
		char *scoped = salesforce_scoped(s, q);

		free(owned);
		q = owned = scoped;
		if (q == NULL)
			return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	/* A large object of a full pull goes through Bulk API 2.0. */
	if (!s->bulk_checked && s->sync == NULL &&
	    s->config->bulk_threshold > 0 && s->phase >= SF_OPPORTUNITIES) {
		long long count = 0;

		rc = salesforce_count(s, q, what, &count, err);
		if (rc != SG_OK) {
			free(owned);
			return rc;
		}
		s->bulk_checked = 1;
		s->bulk_on = count > s->config->bulk_threshold;
	}
	s->emit_inner = emit;
	rc = s->bulk_on ? salesforce_bulk_page(s, &s->bulk, q, 0, what,
					       salesforce_emit_tracked, err) :
			  salesforce_query_page(s, q, 0, what,
						salesforce_emit_tracked, err);
	free(owned);
	if (rc == 0 && s->phase == SF_HISTORY)
		rc = salesforce_history_flush(s, err);
	return rc;
}

/* Finding what changed; then the scoped queries, or the replay alone,
 * or (too much changed) a full pull. */
static int salesforce_pull_sync(struct salesforce_state *s,
				struct sg_error *err)
{
	int rc = salesforce_sync_step(s, err);

	if (rc < 0 || rc == 1)
		return rc;
	if (rc == 2) {
		salesforce_sync_free(s->sync);
		s->sync = NULL;
	}
	s->phase = rc == 3 ? SF_REPLAY : SF_OPPORTUNITIES;
	salesforce_query_end(s);
	return 1;
}

/* The files flushed, and where the pull is: after a page of the query
 * under way (within), or at the start of the next. */
static int salesforce_checkpoint(struct salesforce_state *s, int within,
				 struct sg_error *err)
{
	json_t *position;
	int rc;

	if (s->snapshot == NULL)
		return SG_OK;
	position = json_pack("{s:i}", "phase", s->phase);
	if (position == NULL ||
	    (within && salesforce_query_position(s, position) != 0))
		rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	else
		rc = sg_snapshot_checkpoint(s->snapshot, position,
					    s->pull_started, err);
	json_decref(position);
	return rc;
}

static int salesforce_pull(void *state, struct sg_error *err)
{
	struct salesforce_state *s = state;
	int rc;

	if (s->phase >= SF_DONE)
		return 0;
	switch (s->phase) {
	case SF_DESCRIBE:
		rc = salesforce_pull_describe(s, err);
		break;
	case SF_ORGANIZATION:
		rc = salesforce_pull_organization(s, err);
		break;
	case SF_STAGES:
		rc = salesforce_pull_stages(s, err);
		break;
	case SF_RESUME:
		rc = salesforce_pull_resumed(s, err);
		if (rc == 2)
			return 1;       /* the phase to go on with is set */
		break;
	case SF_SYNC:
		rc = salesforce_pull_sync(s, err);
		if (rc != 0)
			return rc;      /* the phase to go on with is set */
		break;
	case SF_REPLAY:
		rc = salesforce_sync_replay(s, err);
		break;
	default:
		rc = salesforce_pull_query(s, err);
	}
	if (rc < 0)
		return rc;
	if (rc == 0) {
		s->phase++;
		salesforce_query_end(s);
	}
	/* init --from needs the stages only. */
	if (s->phase == SF_USERS && s->host->describing(s->host->ctx))
		s->phase = SF_DONE;
	if (s->phase == SF_RESUME && s->resume_phase == 0)
		s->phase++;
	if (s->phase == SF_SYNC && s->sync == NULL)
		s->phase++;
	/* An incremental pull reads its chunks one after the other, then
	 * the rest from the snapshot; a full one is done. */
	if (rc == 0 && s->phase == SF_REPLAY && s->sync != NULL) {
		rc = salesforce_sync_next(s, err);
		if (rc < 0)
			return rc;
		if (rc == 1)
			s->phase = SF_OPPORTUNITIES;
		rc = 0;
	} else if (s->phase == SF_REPLAY && s->sync == NULL) {
		s->phase = SF_DONE;
	}
	/* Each page of a full pull complete is a point a stopped pull
	 * resumes from. */
	if (s->sync == NULL && s->phase >= SF_OPPORTUNITIES &&
	    s->phase <= SF_EVIDENCE) {
		rc = salesforce_checkpoint(s, rc == 1, err);
		if (rc != SG_OK)
			return rc;
	}
	if (s->phase == SF_DONE && !s->host->describing(s->host->ctx) &&
	    (sg_snapshot_commit(s->snapshot, err) != SG_OK ||
	     salesforce_sync_commit(s, s->settings, err) != SG_OK))
		return err->code;
	return s->phase < SF_DONE ? 1 : 0;
}

/* --- describe(): the stages as the org orders them. --- */

static const char *salesforce_draft_category(const char *name)
{
	if (name == NULL)
		return NULL;
	if (strcmp(name, "Best Case") == 0)
		return "best_case";
	if (strcmp(name, "Commit") == 0)
		return "commit";
	if (strcmp(name, "Closed") == 0)
		return "closed";
	if (strcmp(name, "Omitted") == 0)
		return "omitted";
	return "pipeline";
}

static int salesforce_describe(void *state,
			       struct sg_pipeline_description *out,
			       struct sg_error *err)
{
	static const char *const notes[] = {
		"stages in the org's sort order (OpportunityStage), with their "
		"closed and won flags and forecast categories; inactive "
		"stages included: old history still names them",
		"stage ids are the API names; choose the pilot's "
		"opportunities with the opportunity_filter option",
	};
	struct salesforce_state *s = state;
	size_t n = json_array_size(s->stages), i;

	s->described = calloc(n ? n : 1, sizeof(*s->described));
	if (s->described == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		json_t *st = json_array_get(s->stages, i);

		s->described[i].id = json_string_value(json_object_get(
			st, "ApiName"));
		s->described[i].label = json_string_value(json_object_get(
			st, "MasterLabel"));
		s->described[i].closed = json_is_true(json_object_get(
			st, "IsClosed"));
		s->described[i].won = json_is_true(json_object_get(st,
								   "IsWon"));
		s->described[i].forecast_category = salesforce_draft_category(
			json_string_value(json_object_get(
				st, "ForecastCategoryName")));
	}
	out->pipeline_id = NULL;
	out->pipeline_label = NULL;
	out->stages = s->described;
	out->stage_count = n;
	out->notes = notes;
	out->note_count = 2;
	return SG_OK;
}

static int salesforce_finish(void *state, struct sg_error *err)
{
	(void)state;
	(void)err;
	return SG_OK;
}

static const struct sg_plugin salesforce_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SOURCE | SG_PLUGIN_SINK,
	.name = "salesforce",
	.version = PACKAGE_VERSION,
	.description = "Reads a Salesforce pipeline (opportunities, "
		"OpportunityHistory, field history, users and managers, "
		"Tasks, Events, EmailMessages, evidence) and writes review "
		"Tasks back (REST API)",
	.options = salesforce_options,
	.option_count = sizeof(salesforce_options) /
			sizeof(salesforce_options[0]),
	.config_size = sizeof(struct salesforce_config),
	.open = salesforce_open,
	.pull = salesforce_pull,
	.write = salesforce_write,
	.finish = salesforce_finish,
	.close = salesforce_close,
	.describe = salesforce_describe,
	.sink_needs = SG_SINK_NEEDS_TASKS,
};

/* The plugin's one exported symbol: its constant descriptor. */
__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

const struct sg_plugin *sg_plugin_entry(void)
{
	return &salesforce_plugin;
}
