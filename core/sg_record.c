/*
 * sg_record.c - a judged run into the ledger.  The exceptions reach the
 * ledger as typed records, written out only when the ledger has not seen
 * them before.
 */
#include "sg_record.h"

#include "sg_review.h"

struct record_feed {
	const struct sg_exceptions *list;
	const struct sg_model *model;
	sg_time as_of;
	struct sg_text scratch;
};

static const char *record_id(void *arg, size_t i)
{
	const struct record_feed *f = arg;

	return f->list->items[i].id;
}

static int record_one(void *arg, size_t i, struct sg_exception_record *rec,
		      struct sg_error *err)
{
	struct record_feed *f = arg;
	const struct sg_exception *ex = &f->list->items[i];
	struct sg_routing routing;
	int rc;

	sg_exception_route(ex, f->model, f->as_of, &routing);
	rc = sg_exception_record_fill(rec, &f->scratch, ex, f->model,
				      &routing, f->as_of);
	if (rc == SG_ERR_NOMEM)
		return sg_error_set(err, rc, "out of memory");
	if (rc != SG_OK)
		return sg_error_set(err, rc, "exception %s of opportunity "
				    "%.200s: a name, id or stage is not "
				    "UTF-8 text; fix its encoding in the "
				    "source (or its export) and run again",
				    ex->id, rec->opportunity_id ?
				    rec->opportunity_id : "?");
	return SG_OK;
}

/* A flagged move that this pull shows reverted is a correction. */
static int record_corrections(struct sg_ledger *ledger, void *arg,
			      struct sg_error *err)
{
	const struct record_feed *f = arg;

	return sg_review_note_corrections(ledger, f->model, f->as_of, NULL,
					  err);
}

int sg_record_run(struct sg_ledger *ledger, struct sg_run_record *run,
		  const struct sg_exceptions *list,
		  const struct sg_model *model,
		  struct sg_run_outcome *outcome, struct sg_error *err)
{
	struct record_feed f = { list, model, run->as_of, { NULL, 0, 0 } };
	struct sg_exception_feed feed;
	int rc;

	feed.count = list->count;
	feed.arg = &f;
	feed.id = record_id;
	feed.record = record_one;
	run->before_commit = record_corrections;
	run->before_commit_arg = &f;
	rc = sg_ledger_record_run(ledger, run, &feed, outcome, err);
	sg_text_release(&f.scratch);
	return rc;
}
