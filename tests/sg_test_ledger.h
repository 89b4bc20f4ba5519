/*
 * sg_test_ledger.h - records runs whose exceptions are written as JSON
 * objects (DESIGN §8), which reads best in a test, through the ledger's
 * typed feed.
 */
#ifndef SG_TEST_LEDGER_H
#define SG_TEST_LEDGER_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sg_ledger.h"

/* One exception of a test run: its JSON object (borrowed). */
struct sg_ledger_exception {
	json_t *json;
};

struct sg_test_feed {
	const struct sg_ledger_exception *list;
	char *details;
};

/* The string member key, NULL when absent or null; "\x01bad" when it is
 * of another type, which the ledger then refuses. */
static inline const char *sg_test_member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static inline sg_time sg_test_member_time(json_t *obj, const char *key)
{
	const char *text = sg_test_member(obj, key);
	sg_time t;

	if (text == NULL ||
	    sg_time_parse_iso(&t, text, strlen(text), 0, 0, NULL) != SG_OK)
		return SG_TIME_NONE;
	return t;
}

static inline const char *sg_test_feed_id(void *arg, size_t i)
{
	const struct sg_test_feed *f = arg;

	return sg_test_member(f->list[i].json, "id");
}

static inline int sg_test_feed_record(void *arg, size_t i,
				      struct sg_exception_record *rec,
				      struct sg_error *err)
{
	static const char *const common[] = {
		"id", "type", "verdict", "opportunity_id", "opportunity_name",
		"owner_id", "assignee", "from_stage", "to_stage", "stage",
		"event_at", "detected_at", "due_at", "note"
	};
	struct sg_test_feed *f = arg;
	json_t *obj = f->list[i].json, *details;
	size_t k;

	(void)err;
	memset(rec, 0, sizeof(*rec));
	rec->id = sg_test_member(obj, "id");
	rec->type = sg_test_member(obj, "type");
	rec->verdict = sg_test_member(obj, "verdict");
	rec->opportunity_id = sg_test_member(obj, "opportunity_id");
	rec->opportunity_name = sg_test_member(obj, "opportunity_name");
	rec->owner_id = sg_test_member(obj, "owner_id");
	rec->assignee = sg_test_member(obj, "assignee");
	rec->from_stage = sg_test_member(obj, "from_stage");
	rec->to_stage = sg_test_member(obj, "to_stage");
	rec->stage = sg_test_member(obj, "stage");
	rec->event_at = sg_test_member_time(obj, "event_at");
	rec->detected_at = sg_test_member_time(obj, "detected_at");
	rec->due_at = sg_test_member_time(obj, "due_at");
	rec->note = sg_test_member(obj, "note");
	details = json_deep_copy(obj);
	for (k = 0; k < sizeof(common) / sizeof(common[0]); k++)
		json_object_del(details, common[k]);
	free(f->details);
	f->details = json_dumps(details, JSON_COMPACT |
				JSON_REAL_PRECISION(15));
	json_decref(details);
	rec->details = f->details;
	return SG_OK;
}

/* A run as the tests record it: as of as_of, since the day before,
 * started a minute after as_of, over ten opportunities (one paused). */
static inline struct sg_run_record sg_test_make_run(sg_time as_of)
{
	struct sg_run_record run;

	memset(&run, 0, sizeof(run));
	run.as_of = as_of;
	run.started_at = as_of + 60;
	run.finished_at = as_of + 120;
	run.since = as_of - 86400;
	run.source = "csv:data/";
	run.snapshot_at = SG_TIME_NONE;
	run.config_sha256 = "0123456789abcdef0123456789abcdef"
			    "0123456789abcdef0123456789abcdef";
	run.tool_version = "0.1.0";
	run.opportunities = 10;
	run.evaluated = 9;
	run.paused = 1;
	return run;
}

/* sg_ledger_record_run() over count JSON exception objects. */
static inline int sg_test_record_run(struct sg_ledger *ledger,
				     struct sg_run_record *run,
				     const struct sg_ledger_exception *list,
				     size_t count,
				     struct sg_run_outcome *outcome,
				     struct sg_error *err)
{
	struct sg_test_feed f = { list, NULL };
	struct sg_exception_feed feed = {
		.count = count, .arg = &f, .id = sg_test_feed_id,
		.record = sg_test_feed_record,
	};
	int rc = sg_ledger_record_run(ledger, run, &feed, outcome, err);

	free(f.details);
	return rc;
}

#endif
