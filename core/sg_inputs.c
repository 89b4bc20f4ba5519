/*
 * sg_inputs.c - the records of a pull, encoded, chunked and compressed as
 * they are emitted, and replayed into a model (see sg_inputs.h).
 *
 * Encoding of a chunk's records: a record is its kind (one byte), its
 * input line (varint), then its fields in struct order: texts as a varint
 * length and the bytes, times as a varint (0 for none, else the zigzag
 * of the time plus one), small integers as varints.  A PATH record sets
 * the name of the input file (or the last part of the URL) of the records
 * after it, within the chunk, so each chunk decodes on its own.
 */
#include "sg_inputs.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "sg_hash.h"

/* zstd level 1: the fastest of the usual levels, near gzip's ratio. */
#define INPUTS_ZSTD_LEVEL 1

/* A record ends a chunk past the minimum when these bits of its hash are
 * zero: about one record in 64. */
#define INPUTS_CUT_MASK 0x3fu

enum inputs_kind {
	IN_PATH = 1,
	IN_OPPORTUNITY,
	IN_STAGE_EVENT,
	IN_FIELD_CHANGE,
	IN_ACTIVITY,
	IN_EVIDENCE,
	IN_OWNER,
	IN_SNAPSHOT,
};

/* One part's chunk being filled. */
struct inputs_part {
	unsigned char *buf;
	size_t len, cap;
	size_t records;
	unsigned seq;           /* of the chunk being filled */
	char *path;             /* the PATH in force in this chunk */
	char *where_path;       /* the last record's where->path, whole */
	int failed;             /* out of memory while encoding */
	/* Kept from one chunk to the next: zstd's context and the
	 * compressed chunk's buffer. */
	ZSTD_CCtx *cctx;
	void *packed;
	size_t packed_cap;
};

struct sg_inputs_writer {
	sg_inputs_store_fn store;
	void *arg;
	sg_inputs_known_fn known;
	void *known_arg;
	struct inputs_part *parts;
	unsigned part_count;
	pthread_mutex_t lock;   /* the store and the totals */
	struct sg_inputs_totals totals;
	int finished;
};

int sg_inputs_writer_new(struct sg_inputs_writer **out,
			 sg_inputs_store_fn store, void *arg,
			 struct sg_error *err)
{
	struct sg_inputs_writer *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "inputs: out of memory");
	w->store = store;
	w->arg = arg;
	pthread_mutex_init(&w->lock, NULL);
	if (sg_inputs_writer_parts(w, 1, err) != SG_OK) {
		sg_inputs_writer_free(w);
		return SG_ERR_NOMEM;
	}
	*out = w;
	return SG_OK;
}

void sg_inputs_writer_free(struct sg_inputs_writer *w)
{
	unsigned i;

	if (w == NULL)
		return;
	for (i = 0; i < w->part_count; i++) {
		free(w->parts[i].buf);
		free(w->parts[i].path);
		free(w->parts[i].where_path);
		free(w->parts[i].packed);
		ZSTD_freeCCtx(w->parts[i].cctx);
	}
	free(w->parts);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void sg_inputs_writer_known(struct sg_inputs_writer *w,
			    sg_inputs_known_fn known, void *arg)
{
	w->known = known;
	w->known_arg = arg;
}

int sg_inputs_writer_parts(struct sg_inputs_writer *w, unsigned count,
			   struct sg_error *err)
{
	struct inputs_part *grown;

	if (count <= w->part_count)
		return SG_OK;
	grown = realloc(w->parts, count * sizeof(*grown));
	if (grown == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "inputs: out of memory");
	memset(grown + w->part_count, 0,
	       (count - w->part_count) * sizeof(*grown));
	w->parts = grown;
	w->part_count = count;
	return SG_OK;
}

/* ---- encoding ---- */

/* Grows the buffer to hold more bytes past len: the slow path of
 * in_room().  0 (and the part failed) when memory runs out. */
static int in_grow(struct inputs_part *p, size_t more)
{
	unsigned char *grown;
	size_t cap;

	if (p->failed)
		return 0;
	cap = p->cap ? p->cap : 64 * 1024;
	while (cap - p->len < more)
		cap *= 2;
	grown = realloc(p->buf, cap);
	if (grown == NULL) {
		p->failed = 1;
		return 0;
	}
	p->buf = grown;
	p->cap = cap;
	return 1;
}

/* Whether more bytes fit past len (growing the buffer when not).  Called
 * for every field of twenty million records: the test that usually
 * passes is kept inline. */
static inline int in_room(struct inputs_part *p, size_t more)
{
	return p->cap - p->len >= more || in_grow(p, more);
}

static inline void in_put_varint(struct inputs_part *p, uint64_t v)
{
	while (v >= 0x80) {
		p->buf[p->len++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p->buf[p->len++] = (unsigned char)v;
}

static void in_byte(struct inputs_part *p, unsigned char b)
{
	if (in_room(p, 1))
		p->buf[p->len++] = b;
}

static void in_varint(struct inputs_part *p, uint64_t v)
{
	if (in_room(p, 10))
		in_put_varint(p, v);
}

static void in_text(struct inputs_part *p, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (!in_room(p, n + 10))
		return;
	in_put_varint(p, n);
	memcpy(p->buf + p->len, s != NULL ? s : "", n);
	p->len += n;
}

static void in_time(struct inputs_part *p, sg_time t)
{
	uint64_t zigzag;

	if (t == SG_TIME_NONE) {
		in_varint(p, 0);
		return;
	}
	zigzag = ((uint64_t)t << 1) ^ (uint64_t)(t >> 63);
	in_varint(p, zigzag + 1);
}

/* FNV-1a of the record's bytes: where content-defined cuts fall. */
static uint32_t in_hash(const unsigned char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 16777619u;
	}
	return h;
}

/* Compresses part p's chunk into chunk (its sha256 too). */
static int in_compress(struct inputs_part *p, struct sg_inputs_chunk *chunk,
		       struct sg_error *err)
{
	size_t bound = ZSTD_compressBound(p->len);
	int rc;

	if (p->cctx == NULL)
		p->cctx = ZSTD_createCCtx();
	if (p->packed_cap < bound) {
		free(p->packed);
		p->packed = malloc(bound);
		p->packed_cap = p->packed != NULL ? bound : 0;
	}
	if (p->cctx == NULL || p->packed == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "inputs: out of memory");
	chunk->size = ZSTD_compressCCtx(p->cctx, p->packed, bound, p->buf,
					p->len, INPUTS_ZSTD_LEVEL);
	if (ZSTD_isError(chunk->size))
		return sg_error_set(err, SG_ERR_INTERNAL, "inputs: cannot "
				    "compress: %s",
				    ZSTD_getErrorName(chunk->size));
	/* The compressed bytes are hashed: a quarter of the work, and a
	 * damaged chunk is caught before it is decompressed. */
	rc = sg_sha256_hex(p->packed, chunk->size, chunk->sha256);
	if (rc != SG_OK)
		return sg_error_set(err, rc, "inputs: SHA-256 failed");
	chunk->data = p->packed;
	return SG_OK;
}

/* Stores part p's chunk (compressed unless the store holds its records
 * already), then starts the next one. */
static int in_flush(struct sg_inputs_writer *w, unsigned part,
		    struct sg_error *err)
{
	struct inputs_part *p = &w->parts[part];
	struct sg_inputs_chunk chunk;
	int rc;

	if (p->len == 0)
		return SG_OK;
	memset(&chunk, 0, sizeof(chunk));
	if (w->known != NULL) {
		rc = sg_sha256_hex(p->buf, p->len, chunk.raw_sha256);
		if (rc != SG_OK)
			return sg_error_set(err, rc, "inputs: SHA-256 failed");
		chunk.stored = w->known(w->known_arg, chunk.raw_sha256,
					p->len, chunk.sha256, &chunk.size);
	}
	if (!chunk.stored) {
		rc = in_compress(p, &chunk, err);
		if (rc != SG_OK)
			return rc;
	}
	chunk.part = part;
	chunk.seq = p->seq;
	chunk.raw_size = p->len;
	chunk.records = p->records;
	pthread_mutex_lock(&w->lock);
	rc = w->store(w->arg, &chunk, err);
	if (rc == SG_OK) {
		w->totals.chunks++;
		w->totals.records += chunk.records;
		w->totals.raw_bytes += chunk.raw_size;
		w->totals.stored_bytes += chunk.size;
		w->totals.stored_before += chunk.stored ? 1u : 0u;
	}
	pthread_mutex_unlock(&w->lock);
	p->len = 0;
	p->records = 0;
	p->seq++;
	free(p->path);
	p->path = NULL;
	return rc;
}

/* Starts a record of kind in part: the PATH first when it changed. */
static int in_begin(struct sg_inputs_writer *w, unsigned part, int kind,
		    const struct sg_where *where, size_t *start,
		    struct sg_error *err)
{
	struct inputs_part *p;
	const char *path = where != NULL && where->path != NULL ?
			   where->path : "";
	const char *slash;

	if (w->finished || part >= w->part_count)
		return sg_error_set(err, SG_ERR_INTERNAL, "inputs: no part %u "
				    "to add to", part);
	p = &w->parts[part];
	/* Most records come from the file the one before came from. */
	if (p->path != NULL && p->where_path != NULL &&
	    strcmp(p->where_path, path) == 0)
		goto begin;
	free(p->where_path);
	p->where_path = strdup(path);
	if (p->where_path == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "inputs: out of memory");
	/* The file's name, not its folder: the same records read from
	 * another place are the same chunks. */
	slash = strrchr(path, '/');
	if (slash != NULL)
		path = slash + 1;
	if (p->path == NULL || strcmp(p->path, path) != 0) {
		free(p->path);
		p->path = strdup(path);
		if (p->path == NULL)
			return sg_error_set(err, SG_ERR_NOMEM, "inputs: out of "
					    "memory");
		in_byte(p, IN_PATH);
		in_text(p, path);
	}
begin:
	*start = p->len;
	in_byte(p, (unsigned char)kind);
	in_varint(p, where != NULL && where->line > 0 ?
		  (uint64_t)where->line : 0);
	return SG_OK;
}

/* Ends the record begun at start: counts it, and cuts the chunk there
 * when its content says so. */
static int in_end(struct sg_inputs_writer *w, unsigned part, size_t start,
		  struct sg_error *err)
{
	struct inputs_part *p = &w->parts[part];

	if (p->failed)
		return sg_error_set(err, SG_ERR_NOMEM, "inputs: out of memory");
	p->records++;
	if (p->len >= SG_INPUTS_CHUNK_MAX ||
	    (p->len >= SG_INPUTS_CHUNK_MIN &&
	     (in_hash(p->buf + start, p->len - start) & INPUTS_CUT_MASK) == 0))
		return in_flush(w, part, err);
	return SG_OK;
}

int sg_inputs_add_opportunity(struct sg_inputs_writer *w, unsigned part,
			      const struct sg_rec_opportunity *r,
			      const struct sg_where *where,
			      struct sg_error *err)
{
	struct inputs_part *p;
	size_t start, i;
	int rc = in_begin(w, part, IN_OPPORTUNITY, where, &start, err);

	if (rc != SG_OK)
		return rc;
	p = &w->parts[part];
	in_text(p, r->id);
	in_text(p, r->name);
	in_text(p, r->pipeline);
	in_text(p, r->stage);
	in_text(p, r->owner_id);
	in_text(p, r->amount);
	in_text(p, r->currency);
	in_time(p, r->close_date);
	in_time(p, r->created_at);
	in_time(p, r->next_step_date);
	in_text(p, r->forecast_category);
	in_text(p, r->next_step);
	in_varint(p, r->extra_count);
	for (i = 0; i < r->extra_count; i++) {
		in_text(p, r->extra[i].name);
		in_text(p, r->extra[i].value);
	}
	return in_end(w, part, start, err);
}

int sg_inputs_add_stage_event(struct sg_inputs_writer *w, unsigned part,
			      const struct sg_rec_stage_event *r,
			      const struct sg_where *where,
			      struct sg_error *err)
{
	struct inputs_part *p;
	size_t start;
	int rc = in_begin(w, part, IN_STAGE_EVENT, where, &start, err);

	if (rc != SG_OK)
		return rc;
	p = &w->parts[part];
	in_text(p, r->opportunity_id);
	in_text(p, r->from_stage);
	in_text(p, r->to_stage);
	in_time(p, r->changed_at);
	in_text(p, r->changed_by);
	in_text(p, r->source);
	return in_end(w, part, start, err);
}

int sg_inputs_add_field_change(struct sg_inputs_writer *w, unsigned part,
			       const struct sg_rec_field_change *r,
			       const struct sg_where *where,
			       struct sg_error *err)
{
	struct inputs_part *p;
	size_t start;
	int rc = in_begin(w, part, IN_FIELD_CHANGE, where, &start, err);

	if (rc != SG_OK)
		return rc;
	p = &w->parts[part];
	in_text(p, r->opportunity_id);
	in_text(p, r->field);
	in_text(p, r->old_value);
	in_text(p, r->new_value);
	in_time(p, r->changed_at);
	return in_end(w, part, start, err);
}

int sg_inputs_add_activity(struct sg_inputs_writer *w, unsigned part,
			   const struct sg_rec_activity *r,
			   const struct sg_where *where, struct sg_error *err)
{
	struct inputs_part *p;
	size_t start;
	int rc = in_begin(w, part, IN_ACTIVITY, where, &start, err);

	if (rc != SG_OK)
		return rc;
	p = &w->parts[part];
	in_text(p, r->id);
	in_text(p, r->opportunity_id);
	in_varint(p, (uint64_t)r->type);
	in_varint(p, (uint64_t)r->party);
	in_time(p, r->occurred_at);
	in_text(p, r->actor);
	in_text(p, r->subject);
	return in_end(w, part, start, err);
}

int sg_inputs_add_evidence(struct sg_inputs_writer *w, unsigned part,
			   const struct sg_rec_evidence *r,
			   const struct sg_where *where, struct sg_error *err)
{
	struct inputs_part *p;
	size_t start;
	int rc = in_begin(w, part, IN_EVIDENCE, where, &start, err);

	if (rc != SG_OK)
		return rc;
	p = &w->parts[part];
	in_text(p, r->opportunity_id);
	in_text(p, r->criterion);
	in_text(p, r->value);
	in_varint(p, (uint64_t)r->party);
	in_time(p, r->observed_at);
	in_text(p, r->ref);
	return in_end(w, part, start, err);
}

int sg_inputs_add_owner(struct sg_inputs_writer *w, unsigned part,
			const struct sg_rec_owner *r,
			const struct sg_where *where, struct sg_error *err)
{
	struct inputs_part *p;
	size_t start;
	int rc = in_begin(w, part, IN_OWNER, where, &start, err);

	if (rc != SG_OK)
		return rc;
	p = &w->parts[part];
	in_text(p, r->id);
	in_text(p, r->name);
	in_text(p, r->email);
	in_text(p, r->manager_id);
	in_text(p, r->team);
	return in_end(w, part, start, err);
}

int sg_inputs_add_snapshot(struct sg_inputs_writer *w, unsigned part,
			   const struct sg_rec_snapshot *r,
			   struct sg_error *err)
{
	struct inputs_part *p;
	size_t start;
	int rc = in_begin(w, part, IN_SNAPSHOT, NULL, &start, err);

	if (rc != SG_OK)
		return rc;
	p = &w->parts[part];
	in_time(p, r->extracted_at);
	in_text(p, r->source);
	return in_end(w, part, start, err);
}

int sg_inputs_writer_finish(struct sg_inputs_writer *w, struct sg_error *err)
{
	unsigned i;
	int rc = SG_OK;

	for (i = 0; rc == SG_OK && i < w->part_count; i++)
		rc = in_flush(w, i, err);
	w->finished = 1;
	return rc;
}

void sg_inputs_writer_totals(const struct sg_inputs_writer *w,
			     struct sg_inputs_totals *out)
{
	*out = w->totals;
}

/* ---- decoding ---- */

struct in_reader {
	const unsigned char *s;
	size_t len, pos;
	int bad;
	/* Texts are copied out NUL-terminated into one scratch buffer per
	 * record (the fields of a record are borrowed until the next). */
	char *scratch;
	size_t scratch_len, scratch_cap;
};

static uint64_t rd_varint(struct in_reader *r)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (r->pos < r->len && shift < 64) {
		unsigned char b = r->s[r->pos++];

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
	}
	r->bad = 1;
	return 0;
}

static sg_time rd_time(struct in_reader *r)
{
	uint64_t v = rd_varint(r);

	if (v == 0)
		return SG_TIME_NONE;
	v--;
	return (sg_time)((v >> 1) ^ (~(v & 1) + 1));
}

/* The offset of a NUL-terminated copy of the next text in the scratch
 * buffer (offsets, as the buffer may move while a record is read). */
static size_t rd_text(struct in_reader *r)
{
	uint64_t n = rd_varint(r);
	size_t at = r->scratch_len;

	if (r->bad || n > r->len - r->pos) {
		r->bad = 1;
		return 0;
	}
	if (r->scratch_cap - r->scratch_len < n + 1) {
		size_t cap = r->scratch_cap ? r->scratch_cap : 4096;
		char *grown;

		while (cap - r->scratch_len < n + 1)
			cap *= 2;
		grown = realloc(r->scratch, cap);
		if (grown == NULL) {
			r->bad = 2;
			return 0;
		}
		r->scratch = grown;
		r->scratch_cap = cap;
	}
	memcpy(r->scratch + at, r->s + r->pos, (size_t)n);
	r->scratch[at + n] = '\0';
	r->pos += (size_t)n;
	r->scratch_len += (size_t)n + 1;
	return at;
}

#define RD_TEXT(r, at) ((r)->scratch + (at))

/* The fields of one record, read before they are handed on. */
struct in_fields {
	size_t text[12];
	sg_time time[3];
	uint64_t num[2];
};

static int rd_opportunity(struct in_reader *r, struct sg_model *m,
			  const struct sg_where *where, struct sg_error *err)
{
	struct sg_rec_opportunity o;
	struct sg_field *extra = NULL;
	size_t t[9], i, *offsets = NULL;
	sg_time times[3];
	uint64_t count;
	int rc;

	for (i = 0; i < 7; i++)
		t[i] = rd_text(r);
	for (i = 0; i < 3; i++)
		times[i] = rd_time(r);
	t[7] = rd_text(r);
	t[8] = rd_text(r);
	count = rd_varint(r);
	if (r->bad || count > (r->len - r->pos) / 2)
		return SG_ERR_PARSE;
	if (count > 0) {
		offsets = malloc((size_t)count * 2 * sizeof(*offsets));
		extra = malloc((size_t)count * sizeof(*extra));
		if (offsets == NULL || extra == NULL) {
			free(offsets);
			free(extra);
			return sg_error_set(err, SG_ERR_NOMEM, "inputs: out of "
					    "memory");
		}
		for (i = 0; i < 2 * (size_t)count; i++)
			offsets[i] = rd_text(r);
	}
	if (r->bad) {
		free(offsets);
		free(extra);
		return SG_ERR_PARSE;
	}
	for (i = 0; i < (size_t)count; i++) {
		extra[i].name = RD_TEXT(r, offsets[2 * i]);
		extra[i].value = RD_TEXT(r, offsets[2 * i + 1]);
	}
	o.id = RD_TEXT(r, t[0]);
	o.name = RD_TEXT(r, t[1]);
	o.pipeline = RD_TEXT(r, t[2]);
	o.stage = RD_TEXT(r, t[3]);
	o.owner_id = RD_TEXT(r, t[4]);
	o.amount = RD_TEXT(r, t[5]);
	o.currency = RD_TEXT(r, t[6]);
	o.close_date = times[0];
	o.created_at = times[1];
	o.next_step_date = times[2];
	o.forecast_category = RD_TEXT(r, t[7]);
	o.next_step = RD_TEXT(r, t[8]);
	o.extra = extra;
	o.extra_count = (size_t)count;
	rc = sg_model_add_opportunity(m, &o, where, err);
	free(offsets);
	free(extra);
	return rc;
}

/* Reads texts and times in the order given by spec ('t' a text, 'T' a
 * time, 'n' a number) into f. */
static int rd_fields(struct in_reader *r, const char *spec,
		     struct in_fields *f)
{
	size_t nt = 0, nT = 0, nn = 0;

	for (; *spec != '\0'; spec++) {
		if (*spec == 't')
			f->text[nt++] = rd_text(r);
		else if (*spec == 'T')
			f->time[nT++] = rd_time(r);
		else
			f->num[nn++] = rd_varint(r);
	}
	return r->bad == 0 ? SG_OK : SG_ERR_PARSE;
}

static int rd_record(struct in_reader *r, int kind, struct sg_model *m,
		     unsigned part, const struct sg_where *where,
		     struct sg_error *err)
{
	struct in_fields f;
	int rc;

	switch (kind) {
	case IN_OPPORTUNITY:
		return rd_opportunity(r, m, where, err);
	case IN_STAGE_EVENT: {
		struct sg_rec_stage_event e;

		rc = rd_fields(r, "tttTtt", &f);
		if (rc != SG_OK)
			return rc;
		e.opportunity_id = RD_TEXT(r, f.text[0]);
		e.from_stage = RD_TEXT(r, f.text[1]);
		e.to_stage = RD_TEXT(r, f.text[2]);
		e.changed_at = f.time[0];
		e.changed_by = RD_TEXT(r, f.text[3]);
		e.source = RD_TEXT(r, f.text[4]);
		return sg_model_add_stage_event_to(m, part, &e, where, err);
	}
	case IN_FIELD_CHANGE: {
		struct sg_rec_field_change c;

		rc = rd_fields(r, "ttttT", &f);
		if (rc != SG_OK)
			return rc;
		c.opportunity_id = RD_TEXT(r, f.text[0]);
		c.field = RD_TEXT(r, f.text[1]);
		c.old_value = RD_TEXT(r, f.text[2]);
		c.new_value = RD_TEXT(r, f.text[3]);
		c.changed_at = f.time[0];
		return sg_model_add_field_change_to(m, part, &c, where, err);
	}
	case IN_ACTIVITY: {
		struct sg_rec_activity a;

		rc = rd_fields(r, "ttnnTtt", &f);
		if (rc != SG_OK)
			return rc;
		a.id = RD_TEXT(r, f.text[0]);
		a.opportunity_id = RD_TEXT(r, f.text[1]);
		a.type = (int)f.num[0];
		a.party = (int)f.num[1];
		a.occurred_at = f.time[0];
		a.actor = RD_TEXT(r, f.text[2]);
		a.subject = RD_TEXT(r, f.text[3]);
		return sg_model_add_activity_to(m, part, &a, where, err);
	}
	case IN_EVIDENCE: {
		struct sg_rec_evidence e;

		rc = rd_fields(r, "tttnTt", &f);
		if (rc != SG_OK)
			return rc;
		e.opportunity_id = RD_TEXT(r, f.text[0]);
		e.criterion = RD_TEXT(r, f.text[1]);
		e.value = RD_TEXT(r, f.text[2]);
		e.party = (int)f.num[0];
		e.observed_at = f.time[0];
		e.ref = RD_TEXT(r, f.text[3]);
		return sg_model_add_evidence_to(m, part, &e, where, err);
	}
	case IN_OWNER: {
		struct sg_rec_owner o;

		rc = rd_fields(r, "ttttt", &f);
		if (rc != SG_OK)
			return rc;
		o.id = RD_TEXT(r, f.text[0]);
		o.name = RD_TEXT(r, f.text[1]);
		o.email = RD_TEXT(r, f.text[2]);
		o.manager_id = RD_TEXT(r, f.text[3]);
		o.team = RD_TEXT(r, f.text[4]);
		return sg_model_add_owner(m, &o, where, err);
	}
	case IN_SNAPSHOT: {
		struct sg_rec_snapshot s;

		rc = rd_fields(r, "Tt", &f);
		if (rc != SG_OK)
			return rc;
		s.extracted_at = f.time[0];
		s.source = RD_TEXT(r, f.text[0]);
		return sg_model_set_snapshot(m, &s, err);
	}
	default:
		return SG_ERR_PARSE;
	}
}

/* Decodes every record of raw into the model. */
static int rd_chunk(struct in_reader *r, struct sg_model *m, unsigned part,
		    struct sg_error *err)
{
	char *path = NULL;
	int rc = SG_OK;

	while (rc == SG_OK && r->pos < r->len) {
		int kind = r->s[r->pos++];
		struct sg_where where;

		r->scratch_len = 0;
		if (kind == IN_PATH) {
			size_t at = rd_text(r);

			if (r->bad) {
				rc = SG_ERR_PARSE;
				break;
			}
			free(path);
			path = strdup(RD_TEXT(r, at));
			if (path == NULL)
				rc = sg_error_set(err, SG_ERR_NOMEM, "inputs: "
						  "out of memory");
			continue;
		}
		where.path = path;
		where.line = (long)rd_varint(r);
		rc = rd_record(r, kind, m, part, &where, err);
	}
	free(path);
	if (r->bad == 2)
		return sg_error_set(err, SG_ERR_NOMEM, "inputs: out of memory");
	if (r->bad || rc == SG_ERR_PARSE)
		return sg_error_set(err, SG_ERR_LEDGER, "ledger: a stored "
				    "input chunk (part %u) does not decode at "
				    "byte %zu; restore the ledger from a "
				    "backup, or pass --source to read the "
				    "source again", part, r->pos);
	return rc;
}

int sg_inputs_replay_chunk(struct sg_model *model, unsigned part,
			   const void *data, size_t size, const char *sha256,
			   struct sg_error *err)
{
	unsigned long long raw_size = ZSTD_getFrameContentSize(data, size);
	struct in_reader r;
	char hex[65];
	void *raw;
	size_t got;
	int rc;

	if (sha256 != NULL &&
	    (sg_sha256_hex(data, size, hex) != SG_OK ||
	     strcmp(hex, sha256) != 0))
		return sg_error_set(err, SG_ERR_LEDGER, "ledger: stored input "
				    "chunk %.16s... does not match its "
				    "SHA-256; the ledger is damaged: restore "
				    "it from a backup, or pass --source to "
				    "read the source again", sha256);
	if (raw_size == ZSTD_CONTENTSIZE_ERROR ||
	    raw_size == ZSTD_CONTENTSIZE_UNKNOWN ||
	    raw_size > 4ull * SG_INPUTS_CHUNK_MAX)
		return sg_error_set(err, SG_ERR_LEDGER, "ledger: a stored "
				    "input chunk (part %u) is not a chunk "
				    "stageguard wrote; the ledger is damaged: "
				    "restore it from a backup, or pass "
				    "--source to read the source again", part);
	raw = malloc(raw_size ? (size_t)raw_size : 1);
	if (raw == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "inputs: out of memory");
	got = ZSTD_decompress(raw, (size_t)raw_size, data, size);
	if (ZSTD_isError(got) || got != raw_size) {
		free(raw);
		return sg_error_set(err, SG_ERR_LEDGER, "ledger: a stored "
				    "input chunk (part %u) does not "
				    "decompress%s%s; restore the ledger from "
				    "a backup, or pass --source to read the "
				    "source again", part,
				    ZSTD_isError(got) ? ": " : "",
				    ZSTD_isError(got) ? ZSTD_getErrorName(got) :
							"");
	}
	memset(&r, 0, sizeof(r));
	r.s = raw;
	r.len = got;
	rc = rd_chunk(&r, model, part, err);
	free(r.scratch);
	free(raw);
	return rc;
}
