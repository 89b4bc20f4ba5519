/*
 * salesforce_tasks.c - the Salesforce sink: each review task becomes a
 * Task on the opportunity for the manager who must decide, created 200
 * at a time through sObject collections; a disposition a manager
 * records on a closed Task (the disposition_field) comes back to the
 * ledger as `review decide` would record it.
 *
 * Idempotence: a Task's id is kept per exception (host->task_ref_put).
 * Before a batch is sent each of its exceptions is marked "" (outcome
 * unknown) and the batch is sent once; a run that finds the mark looks
 * the Task up by the exception id its subject ends with (Subject is
 * filterable, Description is not) before it makes another.
 */
#include "salesforce_int.h"
#include "sg_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALESFORCE_BATCH 200            /* records per collection call */
#define SALESFORCE_SUBJECT "stageguard review: "

static int salesforce_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

/* --- The org's users: a Task's owner must be one. --- */

static int salesforce_collect_users(struct salesforce_state *s,
				    json_t *records, struct sg_error *err)
{
	json_t *u;
	size_t i;

	json_array_foreach(records, i, u) {
		const char *id = json_string_value(json_object_get(u, "Id"));

		if (id != NULL && json_object_set_new(s->user_ids, id,
						      json_true()) != 0)
			return salesforce_nomem(err);
	}
	return SG_OK;
}

static int salesforce_sink_users(struct salesforce_state *s,
				 struct sg_error *err)
{
	int rc;

	s->page = 0;
	json_object_clear(s->seen_locators);
	do {
		rc = salesforce_query_page(s, "SELECT Id FROM User WHERE "
					   "IsActive = true", 0, "User",
					   salesforce_collect_users, err);
	} while (rc == 1);
	return rc;
}

/* --- Dispositions read back. --- */

/* The exception id a subject ends with ("... [ID]"); 0 when none. */
static int salesforce_subject_exception(const char *subject, char *out,
					size_t size)
{
	const char *open = subject != NULL ? strrchr(subject, '[') : NULL;
	size_t n;

	if (open == NULL)
		return 0;
	n = strcspn(open + 1, "]");
	if (n == 0 || n >= size || open[1 + n] != ']' || open[2 + n] != '\0')
		return 0;
	memcpy(out, open + 1, n);
	out[n] = '\0';
	return 1;
}

static int salesforce_decide_task(struct salesforce_state *s, json_t *t,
				  struct sg_error *err)
{
	const char *id = json_string_value(json_object_get(t, "Id"));
	const char *owner = json_string_value(json_object_get(t, "OwnerId"));
	const char *when = json_string_value(json_object_get(
		t, "CompletedDateTime"));
	char by[160], buf[64];
	int rc, verdict;

	if (id == NULL)
		return SG_OK;
	snprintf(by, sizeof(by), "salesforce user %s", owner ? owner : "?");
	if (when == NULL)
		when = json_string_value(json_object_get(t, "SystemModstamp"));
	rc = sg_task_decide(s->host, id, salesforce_text(
			t, s->config->disposition_field, buf, sizeof(buf)),
			by, when, salesforce_time, &verdict, err);
	s->decided += rc == SG_OK && verdict == SG_TASK_RECORDED;
	s->refused += rc == SG_OK && verdict == SG_TASK_REFUSED;
	return rc;
}

static int salesforce_decide_tasks(struct salesforce_state *s,
				   json_t *records, struct sg_error *err)
{
	size_t i;
	int rc = SG_OK;

	for (i = 0; i < json_array_size(records) && rc == SG_OK; i++)
		rc = salesforce_decide_task(s, json_array_get(records, i), err);
	return rc;
}

static int salesforce_read_back(struct salesforce_state *s,
				struct sg_error *err)
{
	const char *field = s->config->disposition_field;
	char *q = NULL;
	int rc;

	if (!salesforce_soql_is_field(field))
		return sg_error_set(err, SG_ERR_CONFIG, "disposition_field: "
				    "\"%.80s\" is no field name", field);
	if (salesforce_append(&q, "SELECT Id, OwnerId, CompletedDateTime, "
			      "SystemModstamp, ") != 0 ||
	    salesforce_append(&q, field) != 0 ||
	    salesforce_append(&q, " FROM Task WHERE IsClosed = true AND ") ||
	    salesforce_append(&q, field) != 0 ||
	    salesforce_append(&q, " != null AND Subject LIKE "
			      "'stageguard review: %' ORDER BY Id") != 0) {
		free(q);
		return salesforce_nomem(err);
	}
	s->page = 0;
	json_object_clear(s->seen_locators);
	do {
		rc = salesforce_query_page(s, q, 0, "closed review Tasks",
					   salesforce_decide_tasks, err);
	} while (rc == 1);
	free(q);
	return rc;
}

/* --- Tasks created. --- */

static int salesforce_keep_found(struct salesforce_state *s, json_t *records,
				 struct sg_error *err)
{
	json_t *t = json_array_get(records, 0);
	char exception[128];
	const char *id = json_string_value(json_object_get(t, "Id"));
	int rc;

	if (id == NULL || !salesforce_subject_exception(json_string_value(
			json_object_get(t, "Subject")), exception,
			sizeof(exception)))
		return SG_OK;
	rc = s->host->task_ref_put(s->host->ctx, exception, id, err);
	s->found += rc == SG_OK;
	return rc;
}

/* After a create whose outcome is unknown: the Task, if it was made. */
static int salesforce_look_up(struct salesforce_state *s,
			      const struct sg_sink_task *t, int *found,
			      struct sg_error *err)
{
	char *q = NULL, *pattern = NULL;
	unsigned had = s->found;
	int rc;

	/* The id is hex, but a LIKE pattern is escaped all the same. */
	if (salesforce_append(&pattern, "%[") != 0 ||
	    salesforce_append(&pattern, t->exception_id) != 0 ||
	    salesforce_append(&pattern, "]") != 0 ||
	    salesforce_append(&q, "SELECT Id, Subject FROM Task WHERE "
			      "Subject LIKE ") != 0 ||
	    salesforce_soql_quote(&q, pattern) != 0 ||
	    salesforce_append(&q, " ORDER BY CreatedDate LIMIT 1") != 0) {
		free(q);
		free(pattern);
		return salesforce_nomem(err);
	}
	s->page = 0;
	free(s->next_url);
	s->next_url = NULL;
	json_object_clear(s->seen_locators);
	rc = salesforce_query_page(s, q, 0, "a Task made before",
				   salesforce_keep_found, err);
	free(q);
	free(pattern);
	*found = s->found > had;
	return rc < 0 ? rc : SG_OK;
}

static const char *salesforce_task_owner(const struct salesforce_state *s,
					 const struct sg_sink_task *t)
{
	if (json_object_get(s->user_ids, t->assignee) != NULL)
		return t->assignee;
	return s->config->default_task_owner;
}

static json_t *salesforce_task_record(const struct salesforce_state *s,
				      const struct sg_sink_task *t)
{
	char due[SG_TIME_ISO_SIZE], subject[256], *text;
	const char *owner = salesforce_task_owner(s, t);
	int room = 200 - (int)strlen(t->type) - (int)strlen(t->exception_id);
	json_t *r;

	text = sg_task_body(t);
	if (text == NULL)
		return NULL;
	/* Subject is 255 characters: the name is cut, never the id the
	 * look-up finds the Task by. */
	snprintf(subject, sizeof(subject), SALESFORCE_SUBJECT "%s on %.*s [%s]",
		 t->type, room > 0 ? room : 0,
		 t->opportunity_name[0] ? t->opportunity_name :
		 t->opportunity_id, t->exception_id);
	sg_time_format_iso(t->due_at, due);
	due[10] = '\0';         /* ActivityDate is a date */
	r = json_pack("{s:{s:s}, s:s, s:s, s:s, s:s, s:s, s:s}", "attributes",
		      "type", "Task", "Subject", subject, "Description", text,
		      "WhatId", t->opportunity_id, "ActivityDate", due,
		      "Status", "Not Started", "Priority",
		      strcmp(t->verdict, "block") == 0 ? "High" : "Normal");
	if (r != NULL && owner != NULL)
		json_object_set_new(r, "OwnerId", json_string(owner));
	free(text);
	return r;
}

/* Each result, in the order sent: an id kept, or the refusal said. */
static int salesforce_keep_created(struct salesforce_state *s, json_t *doc,
				   const struct sg_sink_task *const *batch,
				   size_t n, struct sg_error *err)
{
	size_t i;
	int rc = SG_OK;

	if (!json_is_array(doc) || json_array_size(doc) != n)
		return sg_error_set(err, SG_ERR_SINK, "Task creation: the "
				    "answer does not have one result per "
				    "record sent");
	for (i = 0; i < n && rc == SG_OK; i++) {
		json_t *r = json_array_get(doc, i);
		const char *id = json_string_value(json_object_get(r, "id"));
		json_t *e = json_array_get(json_object_get(r, "errors"), 0);

		if (json_is_true(json_object_get(r, "success")) && id != NULL) {
			rc = s->host->task_ref_put(s->host->ctx,
						   batch[i]->exception_id, id,
						   err);
			s->created += rc == SG_OK;
			continue;
		}
		/* Known not made: the mark goes, the next run tries again. */
		rc = s->host->task_ref_put(s->host->ctx, batch[i]->exception_id,
					   NULL, err);
		if (rc == SG_OK)
			rc = sg_error_set(err, SG_ERR_SINK, "the Task for "
					  "exception %s was refused: %s: %s",
					  batch[i]->exception_id,
					  json_string_value(json_object_get(
						  e, "statusCode")) ?
					  json_string_value(json_object_get(
						  e, "statusCode")) : "error",
					  json_string_value(json_object_get(
						  e, "message")) ?
					  json_string_value(json_object_get(
						  e, "message")) : "");
	}
	return rc;
}

static int salesforce_create_batch(struct salesforce_state *s,
				   const struct sg_sink_task *const *batch,
				   size_t n, struct sg_error *err)
{
	char path[96];
	json_t *records = json_array(), *body, *doc = NULL;
	size_t i;
	int rc = SG_OK;

	for (i = 0; i < n && rc == SG_OK; i++) {
		rc = s->host->task_ref_put(s->host->ctx,
					   batch[i]->exception_id, "", err);
		if (rc == SG_OK &&
		    json_array_append_new(records, salesforce_task_record(
			    s, batch[i])) != 0)
			rc = salesforce_nomem(err);
	}
	body = json_pack("{s:b, s:o}", "allOrNone", 0, "records", records);
	if (rc == SG_OK && body == NULL)
		rc = salesforce_nomem(err);
	snprintf(path, sizeof(path), "/services/data/%s/composite/sobjects",
		 s->config->api_version);
	if (rc == SG_OK)
		rc = salesforce_post(s, path, body, "Task creation", &doc, err);
	if (rc == SG_OK)
		rc = salesforce_keep_created(s, doc, batch, n, err);
	json_decref(body);
	json_decref(doc);
	return rc;
}

static int salesforce_look_up_task(void *arg, const struct sg_sink_task *t,
				   int *found, struct sg_error *err)
{
	return salesforce_look_up(arg, t, found, err);
}

static int salesforce_create(void *arg,
			     const struct sg_sink_task *const *batch, size_t n,
			     struct sg_error *err)
{
	return salesforce_create_batch(arg, batch, n, err);
}

int salesforce_write(void *state, const struct sg_sink_input *input,
		     struct sg_error *err)
{
	struct salesforce_state *s = state;
	int rc;

	if (input->size < offsetof(struct sg_sink_input, task_count) +
			  sizeof(input->task_count))
		return sg_error_set(err, SG_ERR_PLUGIN, "the host gives no "
				    "review tasks");
	rc = salesforce_auth_start(s, err);
	if (rc == SG_OK)
		rc = salesforce_sink_users(s, err);
	if (rc == SG_OK)
		rc = salesforce_read_back(s, err);
	if (rc == SG_OK)
		rc = sg_task_batches(input, SALESFORCE_BATCH,
				     salesforce_look_up_task, salesforce_create,
				     s, err);
	s->host->log(s->host->ctx, SG_LOG_INFO, "%u review tasks created, %u "
		     "found made by an earlier run, %u dispositions recorded, "
		     "%u recorded before", s->created, s->found, s->decided,
		     s->refused);
	return rc;
}
