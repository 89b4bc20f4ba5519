/*
 * sg_write_back.c - the review tasks handed to a write-back sink (see
 * sg_write_back.h).
 */
#include "sg_write_back.h"

#include <stdlib.h>
#include <string.h>

static const char *text_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* The ids in details' "missing" array (missing evidence, a missing
 * required field), counted; the strings stay in the JSON document. */
static size_t missing_count(json_t *details)
{
	json_t *missing = json_object_get(details, "missing");
	size_t i, n = 0;

	for (i = 0; i < json_array_size(missing); i++)
		n += json_is_string(json_array_get(missing, i));
	return n;
}

static void fill_item(struct sg_sink_task *t, const struct sg_review_task *r,
		      const char *ref, json_t *details, const char **missing)
{
	json_t *list = json_object_get(details, "missing");
	size_t i, n = 0;

	t->exception_id = r->id;
	t->type = r->type;
	t->verdict = r->verdict;
	t->opportunity_id = r->opportunity_id;
	t->opportunity_name = text_or_empty(r->opportunity_name);
	t->owner_id = text_or_empty(r->owner_id);
	t->assignee = text_or_empty(r->assignee);
	t->from_stage = text_or_empty(r->from_stage);
	t->to_stage = text_or_empty(r->to_stage);
	t->raised_at = r->detected_at;
	t->due_at = r->due_at;
	t->note = text_or_empty(r->note);
	t->details_json = r->details != NULL ? r->details : "{}";
	for (i = 0; i < json_array_size(list); i++)
		if (json_is_string(json_array_get(list, i)))
			missing[n++] = json_string_value(json_array_get(list,
									 i));
	t->missing = missing;
	t->missing_count = n;
	t->ref = ref;
}

static int wb_nomem(struct sg_write_back *wb, struct sg_error *err)
{
	sg_write_back_release(wb);
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory listing the "
			    "tasks to write back");
}

/* Parses each task's details and reads the ref kept ("" or none). */
static int wb_details(struct sg_write_back *wb, struct sg_ledger *ledger,
		      const char *sink, size_t *total, struct sg_error *err)
{
	size_t i;
	int rc;

	*total = 0;
	for (i = 0; i < wb->tasks.count; i++) {
		const char *text = wb->tasks.items[i].details;

		wb->details[i] = text != NULL ? json_loads(text, 0, NULL) :
						NULL;
		*total += missing_count(wb->details[i]);
		rc = sg_ledger_task_ref_get(ledger, sink,
					    wb->tasks.items[i].id,
					    &wb->refs[i], err);
		if (rc != SG_OK)
			return rc;
	}
	return SG_OK;
}

int sg_write_back_load(struct sg_write_back *wb, struct sg_ledger *ledger,
		       const char *sink, struct sg_error *err)
{
	struct sg_review_filter filter;
	size_t i, total, used = 0;
	int rc;

	memset(wb, 0, sizeof(*wb));
	memset(&filter, 0, sizeof(filter));
	filter.status = SG_REVIEW_OPEN;
	filter.as_of = SG_TIME_NONE;
	filter.without_ref_of = sink;
	rc = sg_review_list(ledger, &filter, &wb->tasks, err);
	if (rc != SG_OK)
		return rc;
	if (wb->tasks.count == 0)
		return SG_OK;
	wb->refs = calloc(wb->tasks.count, sizeof(*wb->refs));
	wb->details = calloc(wb->tasks.count, sizeof(*wb->details));
	wb->items = calloc(wb->tasks.count, sizeof(*wb->items));
	if (wb->refs == NULL || wb->details == NULL || wb->items == NULL)
		return wb_nomem(wb, err);
	rc = wb_details(wb, ledger, sink, &total, err);
	if (rc != SG_OK) {
		sg_write_back_release(wb);
		return rc;
	}
	wb->missing = calloc(total ? total : 1, sizeof(*wb->missing));
	if (wb->missing == NULL)
		return wb_nomem(wb, err);
	for (i = 0; i < wb->tasks.count; i++) {
		fill_item(&wb->items[i], &wb->tasks.items[i], wb->refs[i],
			  wb->details[i], wb->missing + used);
		used += wb->items[i].missing_count;
	}
	wb->count = wb->tasks.count;
	return SG_OK;
}

void sg_write_back_release(struct sg_write_back *wb)
{
	size_t i;

	if (wb == NULL)
		return;
	for (i = 0; i < wb->tasks.count; i++) {
		if (wb->refs != NULL)
			free(wb->refs[i]);
		if (wb->details != NULL)
			json_decref(wb->details[i]);
	}
	free(wb->refs);
	free(wb->details);
	free(wb->items);
	free((void *)wb->missing);
	sg_review_tasks_release(&wb->tasks);
	memset(wb, 0, sizeof(*wb));
}
