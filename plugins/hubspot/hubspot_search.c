/*
 * hubspot_search.c - the calls an incremental pull is made of: the CRM
 * search of records changed since a time, windowed past its result cap
 * (a page past 10,000 results is a 400), batch reads by id (with
 * property history for deals: 50 a call), and v4 association reads.
 * docs/connectors/hubspot.md cites the pages.
 */
#include "hubspot_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HUBSPOT_SEARCH_PAGE 100         /* a page of search results */

void hubspot_search_init(struct hubspot_search *q, const char *object,
			 const char *what, long long since_ms)
{
	memset(q, 0, sizeof(*q));
	q->object = object;
	q->what = what;
	q->since_ms = since_ms;
	q->last_ms = since_ms;
}

void hubspot_search_release(struct hubspot_search *q)
{
	free(q->after);
	q->after = NULL;
	json_decref(q->seen);
	q->seen = NULL;
}

static json_t *hubspot_search_body(const struct hubspot_search *q)
{
	char since[32];
	json_t *filters, *body;
	size_t i;

	snprintf(since, sizeof(since), "%lld", q->since_ms);
	filters = json_pack("[{s:s,s:s,s:s}]", "propertyName",
			    "hs_lastmodifieddate", "operator", "GTE", "value",
			    since);
	for (i = 0; filters != NULL && i < json_array_size(q->filters); i++)
		json_array_append(filters, json_array_get(q->filters, i));
	body = json_pack("{s:[{s:o}], s:[{s:s,s:s}], s:o, s:i}",
			 "filterGroups", "filters", filters, "sorts",
			 "propertyName", "hs_lastmodifieddate", "direction",
			 "ASCENDING", "properties", q->properties ?
			 json_incref(q->properties) : json_array(), "limit",
			 HUBSPOT_SEARCH_PAGE);
	if (body != NULL && q->after != NULL)
		json_object_set_new(body, "after", json_string(q->after));
	return body;
}

/* A record's hs_lastmodifieddate in epoch milliseconds (-1: none). */
static long long hubspot_modified_ms(json_t *record)
{
	const char *v = json_string_value(json_object_get(json_object_get(
		record, "properties"), "hs_lastmodifieddate"));
	struct sg_error ignored;
	const char *dot;
	long long ms = 0;
	sg_time t;
	int i;

	if (v == NULL || hubspot_time(v, &t, &ignored) != SG_OK ||
	    t == SG_TIME_NONE)
		return -1;
	if (strspn(v, "0123456789") == strlen(v))
		return strtoll(v, NULL, 10);
	/* The milliseconds matter: the next window starts at them. */
	dot = strchr(v, '.');
	for (i = 1; i <= 3; i++) {
		int digit = dot != NULL && dot[i] >= '0' && dot[i] <= '9';

		ms = ms * 10 + (digit ? dot[i] - '0' : 0);
		if (!digit)
			dot = NULL;
	}
	return (long long)t * 1000 + ms;
}

/* The records of a page not given before; the newest change noted. */
static int hubspot_search_keep(struct hubspot_search *q, json_t *page,
			       json_t **out, struct sg_error *err)
{
	json_t *r;
	size_t i;

	*out = json_array();
	if (*out == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	json_array_foreach(page, i, r) {
		const char *id = json_string_value(json_object_get(r, "id"));
		long long ms = hubspot_modified_ms(r);

		if (id == NULL)
			return sg_error_set(err, SG_ERR_SOURCE, "%s search, "
					    "page %u: a record without an id",
					    q->what, q->page);
		if (ms < 0)
			return sg_error_set(err, SG_ERR_SOURCE, "%s search, "
					    "page %u: record %s has no "
					    "hs_lastmodifieddate", q->what,
					    q->page, id);
		if (ms > q->last_ms)
			q->last_ms = ms;
		if (json_object_get(q->seen, id) != NULL)
			continue;
		if (json_object_set_new(q->seen, id, json_true()) != 0 ||
		    json_array_append(*out, r) != 0)
			return sg_error_set(err, SG_ERR_NOMEM,
					    "out of memory");
	}
	return SG_OK;
}

/* Where the next page starts: the cursor given, or past the cap a new
 * window from the newest change seen.  0 at the end. */
static int hubspot_search_next(struct hubspot_state *s,
			       struct hubspot_search *q, json_t *doc,
			       struct sg_error *err)
{
	json_t *after = json_object_get(json_object_get(json_object_get(
		doc, "paging"), "next"), "after");
	long long offset;

	free(q->after);
	q->after = NULL;
	if (after == NULL)
		return 0;
	if (!json_is_string(after))
		return sg_error_set(err, SG_ERR_SOURCE, "%s search, page %u: "
				    "paging.next.after is not a cursor",
				    q->what, q->page);
	offset = strtoll(json_string_value(after), NULL, 10);
	if (offset + HUBSPOT_SEARCH_PAGE <= s->config->search_result_cap) {
		q->after = strdup(json_string_value(after));
		return q->after != NULL ? 1 :
			sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	if (q->last_ms == q->since_ms)
		return sg_error_set(err, SG_ERR_SOURCE, "%s search: more than "
				    "%lld records changed in the same "
				    "millisecond; no search window can pass "
				    "them", q->what,
				    s->config->search_result_cap);
	q->since_ms = q->last_ms;
	return 1;
}

int hubspot_search_page(struct hubspot_state *s, struct hubspot_search *q,
			json_t **results, struct sg_error *err)
{
	char path[300];
	json_t *body, *doc = NULL, *page;
	int rc;

	*results = NULL;
	if (q->seen == NULL && (q->seen = json_object()) == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	body = hubspot_search_body(q);
	if (body == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	snprintf(path, sizeof(path), "/crm/v3/objects/%s/search", q->object);
	q->page++;
	rc = hubspot_post(s, path, body, 1, q->what, &doc, err);
	json_decref(body);
	if (rc != SG_OK)
		return rc;
	page = json_object_get(doc, "results");
	if (!json_is_array(page))
		rc = sg_error_set(err, SG_ERR_SOURCE, "%s search, page %u: no "
				  "results array", q->what, q->page);
	if (rc == SG_OK && !q->started) {
		q->total = json_integer_value(json_object_get(doc, "total"));
		q->started = 1;
	}
	if (rc == SG_OK)
		rc = hubspot_search_keep(q, page, results, err);
	if (rc == SG_OK)
		rc = hubspot_search_next(s, q, doc, err);
	json_decref(doc);
	if (rc < 0) {
		json_decref(*results);
		*results = NULL;
	}
	return rc;
}

/* The ids of a batch answer's errors of a category: gone records. */
static int hubspot_batch_missing(json_t *doc, const char *category,
				 const char *key, json_t *missing)
{
	json_t *e, *id;
	size_t i, k;

	json_array_foreach(json_object_get(doc, "errors"), i, e) {
		const char *c = json_string_value(json_object_get(e,
								  "category"));
		const char *sub = json_string_value(json_object_get(
			e, "subCategory"));

		/* HubSpot files "no associations" under OBJECT_NOT_FOUND
		 * with a subCategory saying so. */
		if ((c == NULL || strcmp(c, category) != 0) &&
		    (sub == NULL || strstr(sub, category) == NULL))
			return -1;
		json_array_foreach(json_object_get(json_object_get(e,
								   "context"),
						   key), k, id)
			if (missing != NULL && json_is_string(id))
				json_object_set_new(missing,
						    json_string_value(id),
						    json_true());
	}
	return 0;
}

static json_t *hubspot_list_array(const char *list)
{
	json_t *a = json_array();
	const char *p = list;

	while (a != NULL && p != NULL && *p != '\0') {
		size_t n = strcspn(p, ",");

		json_array_append_new(a, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	return a;
}

int hubspot_batch_read(struct hubspot_state *s, const char *object,
		       json_t *ids, const char *properties,
		       const char *history, const char *what,
		       json_t **results, json_t *missing,
		       struct sg_error *err)
{
	char path[300];
	json_t *body, *inputs = json_array(), *id, *doc = NULL;
	size_t i;
	int rc;

	*results = NULL;
	json_array_foreach(ids, i, id)
		json_array_append_new(inputs, json_pack("{s:O}", "id", id));
	body = json_pack("{s:o, s:o}", "inputs", inputs, "properties",
			 hubspot_list_array(properties));
	if (body != NULL && history != NULL)
		json_object_set_new(body, "propertiesWithHistory",
				    hubspot_list_array(history));
	if (body == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	snprintf(path, sizeof(path), "/crm/v3/objects/%s/batch/read",
		 object);
	rc = hubspot_post(s, path, body, 1, what, &doc, err);
	json_decref(body);
	if (rc != SG_OK)
		return rc;
	if (!json_is_array(json_object_get(doc, "results")))
		rc = sg_error_set(err, SG_ERR_SOURCE, "%s: no results "
				  "array", what);
	else if (hubspot_batch_missing(doc, "OBJECT_NOT_FOUND", "ids",
				       missing) != 0)
		rc = sg_error_set(err, SG_ERR_SOURCE, "%s: an error other "
				  "than a missing record in the answer", what);
	if (rc == SG_OK)
		*results = json_incref(json_object_get(doc, "results"));
	json_decref(doc);
	return rc;
}

/* An association's other end as text (v4 gives numbers). */
static json_t *hubspot_to_id(json_t *to)
{
	json_t *id = json_object_get(to, "toObjectId");
	char buf[32];

	if (json_is_string(id))
		return json_incref(id);
	if (!json_is_integer(id))
		return NULL;
	snprintf(buf, sizeof(buf), "%lld",
		 (long long)json_integer_value(id));
	return json_string(buf);
}

int hubspot_associations(struct hubspot_state *s, const char *from,
			 const char *to, json_t *ids, const char *what,
			 json_t **links, struct sg_error *err)
{
	char path[300];
	json_t *inputs = json_array(), *body, *doc = NULL, *r, *id, *t;
	size_t i, k;
	int rc;

	*links = NULL;
	json_array_foreach(ids, i, id)
		json_array_append_new(inputs, json_pack("{s:O}", "id", id));
	body = json_pack("{s:o}", "inputs", inputs);
	if (body == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	snprintf(path, sizeof(path), "/crm/v4/associations/%s/%s/batch/read",
		 from, to);
	rc = hubspot_post(s, path, body, 1, what, &doc, err);
	json_decref(body);
	if (rc != SG_OK)
		return rc;
	/* A record without associations is reported as an error. */
	if (hubspot_batch_missing(doc, "NO_ASSOCIATIONS_FOUND", "fromObjectId",
				  NULL) != 0) {
		json_decref(doc);
		return sg_error_set(err, SG_ERR_SOURCE, "%s: an error other "
				    "than a record without associations in "
				    "the answer", what);
	}
	*links = json_object();
	json_array_foreach(json_object_get(doc, "results"), i, r) {
		const char *fid = json_string_value(json_object_get(
			json_object_get(r, "from"), "id"));
		json_t *list = json_array();

		if (fid == NULL || list == NULL) {
			json_decref(list);
			continue;
		}
		json_array_foreach(json_object_get(r, "to"), k, t) {
			json_t *tid = hubspot_to_id(t);

			if (tid != NULL)
				json_array_append_new(list, tid);
		}
		json_object_set_new(*links, fid, list);
	}
	json_decref(doc);
	return SG_OK;
}
