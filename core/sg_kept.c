/*
 * sg_kept.c - a pull's records into the ledger and back (sg_kept.h).
 */
#include "sg_kept.h"

#include <stdlib.h>
#include <string.h>

struct sg_kept {
	struct sg_ledger *ledger;
	struct sg_inputs_writer *writer;
	struct sg_input_ref *refs;
	size_t count, cap;
};

/* Called under the writer's lock: one chunk at a time reaches the
 * ledger, whichever thread pulled it. */
static int kept_store(void *arg, const struct sg_inputs_chunk *chunk,
		      struct sg_error *err)
{
	struct sg_kept *k = arg;
	struct sg_input_ref *ref;
	int rc;

	if (k->count == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		struct sg_input_ref *grown = realloc(k->refs,
						     cap * sizeof(*grown));

		if (grown == NULL)
			return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
		k->refs = grown;
		k->cap = cap;
	}
	rc = sg_ledger_put_input_chunk(k->ledger, chunk->sha256, chunk->data,
				       chunk->size, chunk->raw_size,
				       chunk->records, err);
	if (rc != SG_OK)
		return rc;
	ref = &k->refs[k->count++];
	ref->part = chunk->part;
	ref->seq = chunk->seq;
	memcpy(ref->sha256, chunk->sha256, sizeof(ref->sha256));
	return SG_OK;
}

int sg_kept_new(struct sg_kept **out, struct sg_ledger *ledger,
		struct sg_error *err)
{
	struct sg_kept *k = calloc(1, sizeof(*k));
	int rc;

	*out = NULL;
	if (k == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	k->ledger = ledger;
	rc = sg_inputs_writer_new(&k->writer, kept_store, k, err);
	if (rc != SG_OK) {
		free(k);
		return rc;
	}
	*out = k;
	return SG_OK;
}

void sg_kept_free(struct sg_kept *k)
{
	if (k == NULL)
		return;
	sg_inputs_writer_free(k->writer);
	free(k->refs);
	free(k);
}

struct sg_inputs_writer *sg_kept_writer(struct sg_kept *k)
{
	return k->writer;
}

int sg_kept_finish(struct sg_kept *k, struct sg_run_record *run,
		   struct sg_error *err)
{
	int rc = sg_inputs_writer_finish(k->writer, err);

	if (rc != SG_OK)
		return rc;
	run->inputs = k->refs;
	run->input_count = k->count;
	return SG_OK;
}

void sg_kept_totals(const struct sg_kept *k, struct sg_inputs_totals *out)
{
	sg_inputs_writer_totals(k->writer, out);
}

static int kept_replay(void *arg, unsigned part, const char *sha256,
		       const void *data, size_t size, struct sg_error *err)
{
	struct sg_model *model = arg;
	int rc = sg_model_set_parts(model, part + 1, err);

	if (rc != SG_OK)
		return rc;
	return sg_inputs_replay_chunk(model, part, data, size, sha256, err);
}

int sg_kept_load(struct sg_model *model, struct sg_ledger *ledger,
		 const char *run_id, struct sg_error *err)
{
	return sg_ledger_each_input_chunk(ledger, run_id, kept_replay, model,
					  err);
}
