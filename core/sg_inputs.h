/*
 * sg_inputs.h - the records a pull emitted, kept so that a run's outputs
 * (report, bundle, metrics) can be made again without the source: a CRM
 * offline, a CSV folder deleted.
 *
 * A writer is fed each record as the source emits it, on the thread and
 * into the model part it was emitted to (sg_source.c).  Each part's
 * records are encoded compactly and cut into chunks at record boundaries
 * chosen by their content, so the same records give the same chunks from
 * one run to the next even when records before them changed; each chunk
 * is compressed (zstd) and handed to a store callback with the SHA-256
 * of its compressed bytes, which the ledger uses to keep each chunk once
 * across runs (the same records, compressed by the same zstd, give the
 * same bytes); with sg_inputs_writer_known() a chunk whose records the
 * store holds already is found by their SHA-256 and not compressed
 * again.  Replaying a run's chunks part after part, each in order,
 * gives the model the pull gave.
 */
#ifndef SG_INPUTS_H
#define SG_INPUTS_H

#include <stddef.h>

#include "sg_model.h"
#include "sg_plugin.h"

/* A chunk is cut after the record that brings it past the minimum when
 * the record's hash says so, and always past the maximum (bytes of
 * encoded records). */
#define SG_INPUTS_CHUNK_MIN (1u << 20)
#define SG_INPUTS_CHUNK_MAX (4u << 20)

/* One finished chunk, handed to the store. */
struct sg_inputs_chunk {
	unsigned part;          /* the model part its records went to */
	unsigned seq;           /* its place in the part, from 0 */
	char sha256[65];        /* of the compressed bytes */
	char raw_sha256[65];    /* of the encoded records ("" unasked) */
	/* 1: the store said it holds these records already (see
	 * sg_inputs_writer_known()); data is NULL, nothing to store. */
	int stored;
	const void *data;       /* compressed; borrowed for the call */
	size_t size;
	size_t raw_size;        /* encoded records */
	size_t records;
};

/* Stores a chunk; called under the writer's lock, one at a time. */
typedef int (*sg_inputs_store_fn)(void *arg,
				  const struct sg_inputs_chunk *chunk,
				  struct sg_error *err);

struct sg_inputs_writer;

int sg_inputs_writer_new(struct sg_inputs_writer **out,
			 sg_inputs_store_fn store, void *arg,
			 struct sg_error *err);
/* Frees the writer; accepts NULL. */
void sg_inputs_writer_free(struct sg_inputs_writer *w);

/*
 * Whether the store holds a chunk of these encoded records (raw_size
 * bytes with this SHA-256) already: 1 with its sha256 and compressed
 * size filled in, else 0.  Called from the pulling threads,
 * concurrently.
 */
typedef int (*sg_inputs_known_fn)(void *arg, const char *raw_sha256,
				  size_t raw_size, char sha256[65],
				  size_t *size);

/* Before any record: each chunk is first looked up by the SHA-256 of
 * its encoded records, and one the store holds is handed over as stored
 * (not compressed again, which is most of keeping records that did not
 * change since the last run). */
void sg_inputs_writer_known(struct sg_inputs_writer *w,
			    sg_inputs_known_fn known, void *arg);

/* Makes parts 0 .. count - 1 available (as sg_model_set_parts); call it
 * before any concurrent add.  Never removes parts. */
int sg_inputs_writer_parts(struct sg_inputs_writer *w, unsigned count,
			   struct sg_error *err);

/* Adds one record to part (the emitting thread's model part).  Each part
 * must be fed by one thread at a time. */
int sg_inputs_add_opportunity(struct sg_inputs_writer *w, unsigned part,
			      const struct sg_rec_opportunity *r,
			      const struct sg_where *where,
			      struct sg_error *err);
int sg_inputs_add_stage_event(struct sg_inputs_writer *w, unsigned part,
			      const struct sg_rec_stage_event *r,
			      const struct sg_where *where,
			      struct sg_error *err);
int sg_inputs_add_field_change(struct sg_inputs_writer *w, unsigned part,
			       const struct sg_rec_field_change *r,
			       const struct sg_where *where,
			       struct sg_error *err);
int sg_inputs_add_activity(struct sg_inputs_writer *w, unsigned part,
			   const struct sg_rec_activity *r,
			   const struct sg_where *where, struct sg_error *err);
int sg_inputs_add_evidence(struct sg_inputs_writer *w, unsigned part,
			   const struct sg_rec_evidence *r,
			   const struct sg_where *where, struct sg_error *err);
int sg_inputs_add_owner(struct sg_inputs_writer *w, unsigned part,
			const struct sg_rec_owner *r,
			const struct sg_where *where, struct sg_error *err);
int sg_inputs_add_snapshot(struct sg_inputs_writer *w, unsigned part,
			   const struct sg_rec_snapshot *r,
			   struct sg_error *err);

/* Stores every part's last chunk.  After it, the writer takes no more
 * records. */
int sg_inputs_writer_finish(struct sg_inputs_writer *w, struct sg_error *err);

/* What a writer stored: chunks, records, encoded and compressed bytes,
 * and of the chunks those the store held already. */
struct sg_inputs_totals {
	size_t chunks, records, raw_bytes, stored_bytes, stored_before;
};
void sg_inputs_writer_totals(const struct sg_inputs_writer *w,
			     struct sg_inputs_totals *out);

/*
 * Decompresses one chunk of part (as stored) and adds its records to
 * model, part by part as they were emitted.  sha256 (may be NULL) is
 * checked against the compressed bytes first: a chunk that does not
 * match, does not decompress or does not decode is SG_ERR_LEDGER naming
 * what is wrong, and nothing more of it is added.  The caller makes the part
 * available (sg_model_set_parts) and replays parts in order.
 */
int sg_inputs_replay_chunk(struct sg_model *model, unsigned part,
			   const void *data, size_t size, const char *sha256,
			   struct sg_error *err);

#endif
