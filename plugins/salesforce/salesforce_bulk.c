/*
 * salesforce_bulk.c - a query above bulk_threshold records through Bulk
 * API 2.0: a query job created, polled with backoff until JobComplete,
 * and its CSV results read a set at a time by Sforce-Locator with a
 * bounded maxRecords (the host's HTTP client holds each body whole).
 * Each set is parsed with the csv source's streaming reader
 * (core/util/sg_csv.c) into the records the REST path gives, so the same
 * code emits both (tested: the same exceptions either way).
 */
#include "salesforce_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_csv.h"
#include "sg_url.h"

#define SALESFORCE_POLL_FIRST_MS 250    /* then doubling, at most: */
#define SALESFORCE_POLL_MAX_MS 10000

struct salesforce_bulk {
	char *job;              /* the job's id */
	char *locator;          /* the next set's; NULL: the first */
	int complete;
	int resumed;            /* taken up from a stopped pull */
};

void salesforce_bulk_free(struct salesforce_bulk *b)
{
	if (b == NULL)
		return;
	free(b->job);
	free(b->locator);
	free(b);
}

static int salesforce_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

/* The COUNT() of a query: its SELECT list and ORDER BY taken away. */
int salesforce_count(struct salesforce_state *s, const char *soql,
		     const char *what, long long *count, struct sg_error *err)
{
	const char *from = strstr(soql, " FROM ");
	const char *order = salesforce_soql_order(soql);
	char *q;
	size_t n;
	int rc;

	if (from == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL, "%s: no FROM", what);
	n = (size_t)((order != NULL ? order : soql + strlen(soql)) - from);
	q = malloc(n + 32);
	if (q == NULL)
		return salesforce_nomem(err);
	snprintf(q, n + 32, "SELECT COUNT()%.*s", (int)n, from);
	s->query_total = 0;
	rc = salesforce_query_page(s, q, 0, what, NULL, err);
	free(q);
	*count = s->query_total;
	s->page = 0;
	return rc < 0 ? rc : SG_OK;
}

static int salesforce_create_job(struct salesforce_state *s,
				 struct salesforce_bulk *b, const char *soql,
				 int all, const char *what,
				 struct sg_error *err)
{
	char path[96], *unordered = salesforce_soql_unordered(soql);
	json_t *body, *doc = NULL;
	const char *id;
	int rc;

	/* Bulk API 2.0 refuses ORDER BY: a job's results come in no order,
	 * which the stage history allows for (salesforce_records.c). */
	body = unordered == NULL ? NULL :
	       json_pack("{s:s, s:s, s:s}", "operation", all ? "queryAll" :
			 "query", "query", unordered, "contentType", "CSV");
	free(unordered);
	if (body == NULL)
		return salesforce_nomem(err);
	snprintf(path, sizeof(path), "/services/data/%s/jobs/query",
		 s->config->api_version);
	rc = salesforce_post(s, path, body, what, &doc, err);
	json_decref(body);
	id = json_string_value(json_object_get(doc, "id"));
	if (rc == SG_OK && id == NULL)
		rc = sg_error_set(err, SG_ERR_SOURCE, "%s: the Bulk query job "
				  "was made without an id", what);
	if (rc == SG_OK && (b->job = strdup(id)) == NULL)
		rc = salesforce_nomem(err);
	json_decref(doc);
	return rc;
}

/* Waits ms, a slice at a time, so Ctrl-C ends it at once. */
static int salesforce_wait(struct salesforce_state *s, long ms,
			   struct sg_error *err)
{
	struct timespec slice = { 0, 50 * 1000000L };

	for (; ms > 0; ms -= 50) {
		if (s->host->cancelled(s->host->ctx))
			return sg_error_set(err, SG_ERR_HTTP, "interrupted "
					    "while the Bulk job ran");
		nanosleep(&slice, NULL);
	}
	return SG_OK;
}

/* Polls the job until it is complete (a failed or aborted job is an
 * error in Salesforce's words), within timeout_ms. */
static int salesforce_poll(struct salesforce_state *s,
			   struct salesforce_bulk *b, const char *what,
			   struct sg_error *err)
{
	char path[160];
	long delay = SALESFORCE_POLL_FIRST_MS, waited = 0;
	int rc;

	snprintf(path, sizeof(path), "/services/data/%s/jobs/query/%s",
		 s->config->api_version, b->job);
	for (;;) {
		json_t *doc = NULL;
		const char *state;

		rc = salesforce_get(s, path, what, &doc, err);
		if (rc != SG_OK)
			return rc;
		state = json_string_value(json_object_get(doc, "state"));
		if (state != NULL && strcmp(state, "JobComplete") == 0) {
			json_decref(doc);
			b->complete = 1;
			return SG_OK;
		}
		if (state == NULL || strcmp(state, "Failed") == 0 ||
		    strcmp(state, "Aborted") == 0) {
			rc = sg_error_set(err, SG_ERR_HTTP, "%s: the Bulk "
					  "query job %s %s%s%s", what, b->job,
					  state ? state : "has no state",
					  json_string_value(json_object_get(
						  doc, "errorMessage")) ? ": " :
					  "",
					  json_string_value(json_object_get(
						  doc, "errorMessage")) ?
					  json_string_value(json_object_get(
						  doc, "errorMessage")) : "");
			json_decref(doc);
			return rc;
		}
		json_decref(doc);
		if (waited >= s->config->timeout_ms)
			return sg_error_set(err, SG_ERR_HTTP, "%s: the Bulk "
					    "query job %s did not complete "
					    "within timeout_ms (%lld ms)",
					    what, b->job,
					    s->config->timeout_ms);
		rc = salesforce_wait(s, delay, err);
		if (rc != SG_OK)
			return rc;
		waited += delay;
		delay = delay * 2 > SALESFORCE_POLL_MAX_MS ?
			SALESFORCE_POLL_MAX_MS : delay * 2;
	}
}

/* A CSV value as the REST API gives it: "" is null, true and false are
 * booleans, the rest text (numbers too: they are read as text). */
static json_t *salesforce_csv_value(const char *v, size_t len)
{
	if (len == 0)
		return json_null();
	if (strcmp(v, "true") == 0)
		return json_true();
	if (strcmp(v, "false") == 0)
		return json_false();
	return json_stringn(v, len);
}

/* Sets path ("RecordType.Name") in record, nesting as the REST API
 * nests a relationship's fields. */
static int salesforce_csv_set(json_t *record, const char *path, json_t *v)
{
	const char *dot = strchr(path, '.');
	char part[128];
	json_t *child;

	if (dot == NULL)
		return json_object_set_new(record, path, v);
	snprintf(part, sizeof(part), "%.*s", (int)(dot - path), path);
	child = json_object_get(record, part);
	if (!json_is_object(child)) {
		child = json_object();
		if (child == NULL || json_object_set_new(record, part, child)) {
			json_decref(v);
			return -1;
		}
	}
	return salesforce_csv_set(child, dot + 1, v);
}

/* A result set (CSV with a header line) as an array of records. */
static int salesforce_csv_records(const struct sg_http_response *resp,
				  const char *what, json_t **records,
				  struct sg_error *err)
{
	struct sg_csv *csv = NULL;
	struct sg_csv_record rec;
	char **names = NULL;
	size_t count = 0, i;
	int rc;

	*records = json_array();
	rc = *records != NULL ? sg_csv_open_memory(&csv, what, resp->body,
						   resp->body_len, err) :
		salesforce_nomem(err);
	if (rc == SG_OK && (rc = sg_csv_next(csv, &rec, err)) == 1) {
		count = rec.count;
		names = calloc(count + 1, sizeof(*names));
		for (i = 0; names != NULL && i < count; i++)
			names[i] = strdup(rec.fields[i]);
		rc = names != NULL ? SG_OK : salesforce_nomem(err);
	}
	while (rc == SG_OK && (rc = sg_csv_next(csv, &rec, err)) == 1) {
		json_t *r = json_object();

		rc = SG_OK;
		if (rec.count != count)
			rc = sg_error_set_at(err, SG_ERR_SOURCE, what,
					     rec.line, 0, "%zu fields, the "
					     "header has %zu", rec.count,
					     count);
		for (i = 0; rc == SG_OK && i < count; i++)
			if (names[i] == NULL || salesforce_csv_set(
				    r, names[i], salesforce_csv_value(
					    rec.fields[i], rec.lens[i])) != 0)
				rc = salesforce_nomem(err);
		if (rc == SG_OK && json_array_append_new(*records, r) != 0)
			rc = salesforce_nomem(err);
		else if (rc != SG_OK)
			json_decref(r);
	}
	for (i = 0; names != NULL && i < count; i++)
		free(names[i]);
	free(names);
	sg_csv_free(csv);
	if (rc < 0) {
		json_decref(*records);
		*records = NULL;
		return rc;
	}
	return SG_OK;
}

/* The next result set: records emitted, the locator kept. */
static int salesforce_results(struct salesforce_state *s,
			      struct salesforce_bulk *b, const char *what,
			      int (*emit)(struct salesforce_state *, json_t *,
					  struct sg_error *),
			      struct sg_error *err)
{
	struct sg_http_response resp;
	char path[1024], locator[512];
	const char *next;
	json_t *records = NULL;
	int rc;

	/* A locator is opaque: encoded, whatever it holds. */
	if (b->locator != NULL &&
	    sg_url_encode(locator, sizeof(locator), b->locator) >=
	    sizeof(locator))
		return sg_error_set(err, SG_ERR_SOURCE, "%s: a Bulk locator "
				    "over %zu bytes", what, sizeof(locator));
	snprintf(path, sizeof(path), "/services/data/%s/jobs/query/%s/"
		 "results?maxRecords=%lld%s%s", s->config->api_version,
		 b->job, s->config->bulk_max_records,
		 b->locator ? "&locator=" : "", b->locator ? locator : "");
	rc = salesforce_exchange(s, "GET", path, NULL, 5, what, &resp, err);
	if (rc != SG_OK)
		return rc;
	rc = salesforce_csv_records(&resp, what, &records, err);
	next = s->host->http_header(s->host->ctx, &resp, "Sforce-Locator");
	if (rc == SG_OK)
		rc = emit(s, records, err);
	free(b->locator);
	b->locator = NULL;
	/* "null" is the documented end; a locator given twice would read
	 * in circles. */
	if (rc == SG_OK && next != NULL && strcmp(next, "null") != 0 &&
	    next[0] != '\0') {
		if (json_object_get(s->seen_locators, next) != NULL)
			rc = sg_error_set(err, SG_ERR_SOURCE, "%s: the Bulk "
					  "API gave the locator \"%.40s\" a "
					  "second time", what, next);
		else if (json_object_set_new(s->seen_locators, next,
					     json_true()) != 0 ||
			 (b->locator = strdup(next)) == NULL)
			rc = salesforce_nomem(err);
	}
	s->page++;
	json_decref(records);
	s->host->http_response_free(s->host->ctx, &resp);
	if (rc != SG_OK)
		return rc;
	return b->locator != NULL ? 1 : 0;
}

/*
 * The job a stopped pull was reading is gone (a job lives seven days; an
 * admin may delete it).  When none of its sets had been written, a new
 * job reads the query; else the sets written cannot be told from the new
 * job's, so the checkpoint is dropped and the next pull starts afresh.
 */
static int salesforce_job_gone(struct salesforce_state *s,
			       struct salesforce_bulk *b, const char *soql,
			       int all, const char *what, struct sg_error *err)
{
	if (b->locator != NULL) {
		sg_snapshot_discard(s->snapshot);
		return sg_error_set(err, SG_ERR_SOURCE, "%s: the Bulk query "
				    "job %s the stopped pull was reading is "
				    "gone (deleted?): run again to pull from "
				    "the start", what, b->job);
	}
	s->host->log(s->host->ctx, SG_LOG_INFO, "%s: the Bulk query job %s of "
		     "the stopped pull is gone; a new job reads the query",
		     what, b->job);
	sg_error_clear(err);
	free(b->job);
	b->job = NULL;
	b->resumed = 0;
	return salesforce_create_job(s, b, soql, all, what, err) != SG_OK ?
	       err->code : salesforce_poll(s, b, what, err);
}

int salesforce_bulk_page(struct salesforce_state *s,
			 struct salesforce_bulk **bulk, const char *soql,
			 int all, const char *what,
			 int (*emit)(struct salesforce_state *, json_t *,
				     struct sg_error *),
			 struct sg_error *err)
{
	struct salesforce_bulk *b = *bulk;
	int rc = SG_OK;

	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return salesforce_nomem(err);
		*bulk = b;
		rc = salesforce_create_job(s, b, soql, all, what, err);
	}
	if (rc == SG_OK && !b->complete)
		rc = salesforce_poll(s, b, what, err);
	if (rc != SG_OK && b->resumed && err->http_status == 404)
		rc = salesforce_job_gone(s, b, soql, all, what, err);
	if (rc != SG_OK)
		return rc;
	b->resumed = 0;
	return salesforce_results(s, b, what, emit, err);
}

int salesforce_bulk_position(const struct salesforce_bulk *b,
			     json_t *position)
{
	if (b == NULL || b->job == NULL)
		return 0;
	return json_object_set_new(position, "job", json_string(b->job)) ||
	       (b->locator != NULL &&
		json_object_set_new(position, "locator",
				    json_string(b->locator))) ? -1 : 0;
}

int salesforce_bulk_resume(struct salesforce_bulk **bulk, const char *job,
			   const char *locator)
{
	struct salesforce_bulk *b = calloc(1, sizeof(*b));

	if (b == NULL || (b->job = strdup(job)) == NULL ||
	    (locator != NULL && (b->locator = strdup(locator)) == NULL)) {
		salesforce_bulk_free(b);
		return -1;
	}
	b->resumed = 1;
	*bulk = b;
	return 0;
}
