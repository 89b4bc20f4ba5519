/*
 * hubspot_tasks.c - the HubSpot sink: each review task becomes a HubSpot
 * task on the deal for the manager who must decide, and a disposition a
 * manager records on a completed task comes back to the ledger.
 *
 * Idempotence: the task's HubSpot id is kept per exception
 * (host->task_ref_put); before a batch is sent each of its exceptions is
 * marked "" (outcome unknown), so after a create that timed out the next
 * run searches for the task by the exception id written in its body
 * before it creates one.  Batch results come in no set order: each is
 * matched to its exception by that id.
 */
#include "hubspot_int.h"
#include "sg_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HUBSPOT_BATCH 100               /* inputs per batch create */
#define HUBSPOT_TASK_TO_DEAL 216        /* HUBSPOT_DEFINED association */

/* --- The portal's owners: a task's owner must be one. --- */

static int hubspot_collect_owners(struct hubspot_state *s, json_t *results,
				  struct sg_error *err)
{
	json_t *o;
	size_t i;

	json_array_foreach(results, i, o)
		if (json_is_string(json_object_get(o, "id")) &&
		    json_object_set_new(s->owner_ids, json_string_value(
			    json_object_get(o, "id")), json_true()) != 0)
			return sg_error_set(err, SG_ERR_NOMEM,
					    "out of memory");
	return SG_OK;
}

static int hubspot_sink_owners(struct hubspot_state *s, struct sg_error *err)
{
	const char *params[] = { "limit", "100", "archived", "false" };
	int rc;

	s->page = 0;
	json_object_clear(s->seen_cursors);
	do {
		rc = hubspot_list_page(s, "/crm/v3/owners", params, 4,
				       "owners", hubspot_collect_owners, err);
	} while (rc == 1);
	return rc;
}

/* --- Dispositions read back. --- */

static json_t *hubspot_search_body(const struct hubspot_state *s,
				   json_t *filters, const char *after)
{
	json_t *body = json_pack("{s:[{s:o}], s:[s,s,s,s], s:i}",
		"filterGroups", "filters", filters,
		"properties", s->config->disposition_property,
		"hubspot_owner_id", "hs_task_completion_date",
		"hs_lastmodifieddate", "limit", 100);

	if (body != NULL && after != NULL)
		json_object_set_new(body, "after", json_string(after));
	return body;
}

/* A completed task of ours with a disposition, recorded as `review
 * decide` would; one decided already is counted, not an error. */
static int hubspot_decide_task(struct hubspot_state *s, json_t *task,
			       struct sg_error *err)
{
	json_t *props = json_object_get(task, "properties");
	const char *id = json_string_value(json_object_get(task, "id"));
	const char *owner = json_string_value(json_object_get(
		props, "hubspot_owner_id"));
	const char *when = json_string_value(json_object_get(
		props, "hs_task_completion_date"));
	char by[160];
	int rc, verdict;

	if (id == NULL)
		return SG_OK;
	snprintf(by, sizeof(by), "hubspot owner %s", owner ? owner : "?");
	if (when == NULL)
		when = json_string_value(json_object_get(
			props, "hs_lastmodifieddate"));
	rc = sg_task_decide(s->host, id, json_string_value(
			json_object_get(props,
					s->config->disposition_property)),
			by, when, hubspot_time, &verdict, err);
	s->decided += rc == SG_OK && verdict == SG_TASK_RECORDED;
	s->refused += rc == SG_OK && verdict == SG_TASK_REFUSED;
	return rc;
}

/*
 * Every completed task with a disposition, in windows of
 * search_result_cap by modification time, so more than 10,000 are read
 * whole (a page past the cap is a 400).
 */
static int hubspot_read_back(struct hubspot_state *s, struct sg_error *err)
{
	struct hubspot_search q;
	json_t *results = NULL, *task;
	size_t i;
	int rc;

	hubspot_search_init(&q, "tasks", "completed tasks", 0);
	q.filters = json_pack("[{s:s,s:s,s:s},{s:s,s:s}]", "propertyName",
			      "hs_task_status", "operator", "EQ", "value",
			      "COMPLETED", "propertyName",
			      s->config->disposition_property, "operator",
			      "HAS_PROPERTY");
	q.properties = json_pack("[s,s,s,s]", s->config->disposition_property,
				 "hubspot_owner_id", "hs_task_completion_date",
				 "hs_lastmodifieddate");
	if (q.filters == NULL || q.properties == NULL)
		rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	else
		do {
			rc = hubspot_search_page(s, &q, &results, err);
			json_array_foreach(results, i, task)
				if (rc >= 0 &&
				    hubspot_decide_task(s, task, err) != SG_OK)
					rc = err->code;
			json_decref(results);
			results = NULL;
		} while (rc == 1);
	json_decref(q.filters);
	json_decref(q.properties);
	hubspot_search_release(&q);
	return rc < 0 ? rc : SG_OK;
}

/* --- Tasks created. --- */

/* After a create whose outcome is unknown: the task, if it was made. */
static int hubspot_look_up(struct hubspot_state *s,
			   const struct sg_sink_task *t, int *found,
			   struct sg_error *err)
{
	json_t *filters = json_pack("[{s:s,s:s,s:s}]", "propertyName",
				    "hs_task_body", "operator",
				    "CONTAINS_TOKEN", "value",
				    t->exception_id);
	json_t *body = hubspot_search_body(s, filters, NULL);
	json_t *doc = NULL, *first;
	int rc;

	*found = 0;
	if (body == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	rc = hubspot_post(s, "/crm/v3/objects/tasks/search", body, 1,
			  "a task made before", &doc, err);
	json_decref(body);
	first = json_array_get(json_object_get(doc, "results"), 0);
	if (rc == SG_OK && json_is_string(json_object_get(first, "id"))) {
		rc = s->host->task_ref_put(s->host->ctx, t->exception_id,
					   json_string_value(json_object_get(
						   first, "id")), err);
		*found = rc == SG_OK;
		s->found += *found;
	}
	json_decref(doc);
	return rc;
}

static const char *hubspot_task_owner(const struct hubspot_state *s,
				      const struct sg_sink_task *t)
{
	if (json_object_get(s->owner_ids, t->assignee) != NULL)
		return t->assignee;
	return s->config->default_task_owner;
}

static json_t *hubspot_task_input(const struct hubspot_state *s,
				  const struct sg_sink_task *t)
{
	char due[SG_TIME_ISO_SIZE], subject[512];
	const char *owner = hubspot_task_owner(s, t);
	char *text = sg_task_body(t);
	json_t *props, *input;

	if (text == NULL)
		return NULL;
	snprintf(subject, sizeof(subject), "stageguard review: %s on %s",
		 t->type, t->opportunity_name[0] ? t->opportunity_name :
						   t->opportunity_id);
	props = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		"hs_timestamp", sg_time_format_iso(t->due_at, due),
		"hs_task_subject", subject, "hs_task_body", text,
		"hs_task_status", "NOT_STARTED",
		"hs_task_priority", strcmp(t->verdict, "block") == 0 ?
				    "HIGH" : "MEDIUM",
		"hs_task_type", "TODO");
	free(text);
	if (props != NULL && owner != NULL)
		json_object_set_new(props, "hubspot_owner_id",
				    json_string(owner));
	input = json_pack("{s:o, s:[{s:{s:s}, s:[{s:s, s:i}]}]}",
		"properties", props, "associations", "to", "id",
		t->opportunity_id, "types", "associationCategory",
		"HUBSPOT_DEFINED", "associationTypeId", HUBSPOT_TASK_TO_DEAL);
	return input;
}

/* Keeps the id of each task the batch made, by the exception id its
 * body carries. */
static int hubspot_keep_created(struct hubspot_state *s, json_t *doc,
				struct sg_error *err)
{
	json_t *task;
	size_t i;
	int rc = SG_OK;

	json_array_foreach(json_object_get(doc, "results"), i, task) {
		char exception[128];
		const char *id = json_string_value(json_object_get(task, "id"));
		const char *body = json_string_value(json_object_get(
			json_object_get(task, "properties"), "hs_task_body"));

		if (id == NULL || !sg_task_body_exception(body, exception,
							  sizeof(exception)))
			return sg_error_set(err, SG_ERR_SINK, "a "
					    "created task came back without "
					    "its id or stageguard's mark");
		rc = s->host->task_ref_put(s->host->ctx, exception, id, err);
		if (rc != SG_OK)
			return rc;
		s->created++;
	}
	return rc;
}

static int hubspot_create_batch(struct hubspot_state *s,
				const struct sg_sink_task *const *batch,
				size_t n, struct sg_error *err)
{
	json_t *inputs = json_array(), *body, *doc = NULL;
	size_t i;
	int rc = SG_OK;

	for (i = 0; i < n && rc == SG_OK; i++) {
		rc = s->host->task_ref_put(s->host->ctx,
					   batch[i]->exception_id, "", err);
		if (rc == SG_OK &&
		    json_array_append_new(inputs,
					  hubspot_task_input(s, batch[i])) != 0)
			rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	body = json_pack("{s:o}", "inputs", inputs);
	if (rc == SG_OK && body == NULL)
		rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	if (rc == SG_OK)
		rc = hubspot_post(s, "/crm/v3/objects/tasks/batch/create",
				  body, 0, "task creation", &doc, err);
	if (rc == SG_OK)
		rc = hubspot_keep_created(s, doc, err);
	json_decref(body);
	json_decref(doc);
	return rc;
}

static int hubspot_look_up_task(void *arg, const struct sg_sink_task *t,
				int *found, struct sg_error *err)
{
	return hubspot_look_up(arg, t, found, err);
}

static int hubspot_create(void *arg, const struct sg_sink_task *const *batch,
			  size_t n, struct sg_error *err)
{
	return hubspot_create_batch(arg, batch, n, err);
}

int hubspot_write(void *state, const struct sg_sink_input *input,
		  struct sg_error *err)
{
	struct hubspot_state *s = state;
	int rc;

	if (input->size < offsetof(struct sg_sink_input, task_count) +
			  sizeof(input->task_count))
		return sg_error_set(err, SG_ERR_PLUGIN, "the host "
				    "gives no review tasks");
	rc = hubspot_auth_start(s, err);
	if (rc == SG_OK)
		rc = hubspot_sink_owners(s, err);
	if (rc == SG_OK)
		rc = hubspot_read_back(s, err);
	if (rc == SG_OK)
		rc = sg_task_batches(input, HUBSPOT_BATCH,
				     hubspot_look_up_task, hubspot_create, s,
				     err);
	s->host->log(s->host->ctx, SG_LOG_INFO, "%u review tasks "
		     "created, %u found made by an earlier run, %u "
		     "dispositions recorded, %u recorded before",
		     s->created, s->found, s->decided, s->refused);
	return rc;
}
