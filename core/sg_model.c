/*
 * sg_model.c - the common model: records added by sources, then grouped
 * by opportunity, sorted by time and indexed (see sg_model.h).
 */
#include "sg_model.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sg_bigmem.h"
#include "util/sg_canonical.h"
#include "util/sg_missing.h"

#define NO_INDEX UINT32_MAX

/* A growable array of fixed-size items. */
struct vec {
	void *items;
	size_t count, capacity;
};

struct sym_cache {
	const char *text;       /* interned copy of the last text looked up */
	size_t len;
	sg_sym sym;             /* its symbol (or opportunity index) */
};

/* The last few texts of one field, by a cheap hash of the text: stages,
 * users and sources alternate from record to record, so a one-entry
 * cache would miss on most of them. */
#define NAME_CACHE_SIZE 256

struct name_cache {
	struct sym_cache slot[NAME_CACHE_SIZE];
};

/* The record kinds added after the opportunities. */
enum { KIND_EVENTS, KIND_CHANGES, KIND_ACTIVITIES, KIND_EVIDENCE,
       KIND_COUNT };

/* Names cached per part: stage events use all four, field changes the
 * first (field), evidence the first (criterion). */
#define PART_NAMES 4

/*
 * A part: the records of one kind added by one thread (sg_model.h).  The
 * records, what was dropped, and the caches, so that parts of the same
 * kind share nothing but the names table (under its lock).
 */
struct part {
	struct vec v;
	size_t orphans;
	struct sym_cache opp;
	struct name_cache names[PART_NAMES];
	struct sg_arena *arena; /* field change values; NULL: none yet */
};

/* Opportunity ids live in a table of their own, tagged in their symbols:
 * a million ids would otherwise crowd the few hundred stage, user and
 * field names out of the cache on every lookup. */
#define ID_TAG 0x80000000u

struct sg_model {
	const struct sg_config *config;
	struct sg_strtab *names;  /* stages, users, fields, criteria... */
	struct sg_strtab *ids;    /* opportunity ids */
	pthread_mutex_t names_lock; /* adders of different kinds share names */
	struct sg_arena *arena;   /* opportunities and owners */

	struct vec opps;        /* struct sg_opportunity */
	/* After finish, each kind's parts in one array; records name their
	 * opportunity by index. */
	struct vec events;
	struct vec changes;
	struct vec activities;
	struct vec evidence;
	struct vec extras;
	struct vec owners;

	/* Until finish: the parts of each kind (part 0 always exists). */
	struct part *parts[KIND_COUNT];
	unsigned part_count;

	uint32_t *opp_by_sym;   /* id symbol (untagged) -> opportunity */
	size_t opp_by_sym_size;
	uint32_t *owner_by_sym; /* built at finish */
	size_t owner_by_sym_size;

	sg_sym *extra_fields;   /* names of extra fields seen */
	size_t extra_field_count;

	/* Opportunity fields with few distinct values (pipeline, stage,
	 * owner, currency, forecast category): the last few of each. */
	struct name_cache opp_names[5];

	int snapshot_present;
	sg_time snapshot_extracted_at;
	const char *snapshot_source;

	/* Records naming no opportunity (summed over parts at finish). */
	size_t orphan_records;
	size_t duplicate_events;
	int finished;
	int lock_ready;
};

/* Record arrays live in their own mappings (sg_bigmem.h). */
static int vec_push(struct vec *v, size_t size, void **slot)
{
	if (v->count == v->capacity) {
		size_t capacity = v->capacity ? v->capacity * 2 : 4096;
		void *items = sg_big_grow(v->items, v->capacity * size,
					  capacity * size);

		if (items == NULL)
			return SG_ERR_NOMEM;
		v->items = items;
		v->capacity = capacity;
	}
	*slot = (char *)v->items + v->count * size;
	v->count++;
	return SG_OK;
}

static void vec_free(struct vec *v, size_t size)
{
	sg_big_free(v->items, v->capacity * size);
	v->items = NULL;
	v->count = v->capacity = 0;
}

static const size_t kind_size[KIND_COUNT] = {
	sizeof(struct sg_stage_event), sizeof(struct sg_field_change),
	sizeof(struct sg_activity), sizeof(struct sg_evidence)
};

static void parts_free(struct sg_model *m)
{
	unsigned k, i;

	for (k = 0; k < KIND_COUNT; k++) {
		for (i = 0; m->parts[k] != NULL && i < m->part_count; i++) {
			vec_free(&m->parts[k][i].v, kind_size[k]);
			sg_arena_free(m->parts[k][i].arena);
		}
		free(m->parts[k]);
		m->parts[k] = NULL;
	}
	m->part_count = 0;
}

static int nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM,
			    "out of memory while loading the model");
}

const char *sg_dq_reason_name(int reason)
{
	static const char *const names[SG_DQ_REASON_COUNT] = {
		"unknown_stage", "no_history", "stage_mismatch",
		"future_event", "before_created", "contradictory_history",
		"missing_owner", "duplicate_record"
	};

	if (reason < 0 || reason >= SG_DQ_REASON_COUNT)
		return "unknown";
	return names[reason];
}

int sg_model_new(struct sg_model **out, const struct sg_config *config,
		 struct sg_error *err)
{
	struct sg_model *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL)
		return nomem(err);
	m->config = config;
	rc = sg_strtab_new(&m->names, err);
	if (rc == SG_OK)
		rc = sg_strtab_new(&m->ids, err);
	if (rc == SG_OK)
		rc = sg_arena_new(&m->arena, 8u << 20, err);
	if (rc == SG_OK)
		rc = sg_model_set_parts(m, 1, err);
	if (rc == SG_OK && pthread_mutex_init(&m->names_lock, NULL) != 0)
		rc = sg_error_set(err, SG_ERR_NOMEM, "cannot create a lock");
	else if (rc == SG_OK)
		m->lock_ready = 1;
	if (rc != SG_OK) {
		sg_model_free(m);
		return rc;
	}
	*out = m;
	return SG_OK;
}

void sg_model_free(struct sg_model *m)
{
	if (m == NULL)
		return;
	sg_strtab_free(m->names);
	sg_strtab_free(m->ids);
	sg_arena_free(m->arena);
	if (m->lock_ready)
		pthread_mutex_destroy(&m->names_lock);
	parts_free(m);
	vec_free(&m->opps, sizeof(struct sg_opportunity));
	vec_free(&m->events, sizeof(struct sg_stage_event));
	vec_free(&m->changes, sizeof(struct sg_field_change));
	vec_free(&m->activities, sizeof(struct sg_activity));
	vec_free(&m->evidence, sizeof(struct sg_evidence));
	vec_free(&m->extras, sizeof(struct sg_extra));
	vec_free(&m->owners, sizeof(struct sg_owner));
	free(m->opp_by_sym);
	free(m->owner_by_sym);
	free(m->extra_fields);
	free(m);
}

/* --- adding records --- */

static const char *trimmed(const char *text, size_t *len)
{
	if (text == NULL) {
		*len = 0;
		return "";
	}
	*len = strlen(text);
	return sg_trim(text, len);
}

/* Names are shared by every record kind: interned under the lock. */
static int intern_trimmed(struct sg_model *m, const char *text, sg_sym *out)
{
	size_t len;
	const char *t = trimmed(text, &len);
	int rc;

	pthread_mutex_lock(&m->names_lock);
	rc = sg_strtab_intern(m->names, t, len, out);
	pthread_mutex_unlock(&m->names_lock);
	return rc;
}

/* The slot of a name cache where text would be. */
static struct sym_cache *name_slot(struct name_cache *nc, const char *t,
				   size_t len)
{
	/* FNV-1a over the last 16 bytes at most: ids differ at the end. */
	uint32_t h = 2166136261u ^ (uint32_t)len;
	size_t i = len > 16 ? len - 16 : 0;

	for (; i < len; i++)
		h = (h ^ (unsigned char)t[i]) * 16777619u;
	return &nc->slot[(h ^ (h >> 16)) % NAME_CACHE_SIZE];
}

/* The symbol of text, through a cache of the field's last few names. */
static int intern_cached(struct sg_model *m, struct name_cache *nc,
			 const char *text, sg_sym *out)
{
	size_t len;
	const char *t = trimmed(text, &len);
	struct sym_cache *c = name_slot(nc, t, len);
	int rc;

	if (c->text != NULL && c->len == len && memcmp(c->text, t, len) == 0) {
		*out = c->sym;
		return SG_OK;
	}
	pthread_mutex_lock(&m->names_lock);
	rc = sg_strtab_intern(m->names, t, len, out);
	if (rc == SG_OK)
		c->text = sg_strtab_text(m->names, *out);
	pthread_mutex_unlock(&m->names_lock);
	if (rc != SG_OK)
		return SG_ERR_NOMEM;
	c->len = len;
	c->sym = *out;
	return SG_OK;
}

/* The interned copy of a trimmed value through a name cache; NULL on
 * memory. */
static const char *cached_text(struct sg_model *m, struct name_cache *nc,
			       const char *text)
{
	sg_sym sym;

	if (intern_cached(m, nc, text, &sym) != SG_OK)
		return NULL;
	return sg_strtab_text(m->names, sym);
}

/*
 * The index of the opportunity a record names, or NO_INDEX when no
 * opportunity of that id was added (before it: sources emit an
 * opportunity before the records that name it).  Only reads the id
 * table, through the record kind's cache.
 */
static uint32_t find_opp(const struct sg_model *m, struct sym_cache *c,
			 const char *text)
{
	size_t len;
	const char *t = trimmed(text, &len);
	sg_sym sym;

	if (c->text != NULL && c->len == len && memcmp(c->text, t, len) == 0)
		return c->sym;
	/* Exports list history in the order of the opportunities: try the
	 * next few opportunities before hashing. */
	if (c->text != NULL) {
		const struct sg_opportunity *opps = m->opps.items;
		uint32_t next;

		for (next = c->sym + 1;
		     next < m->opps.count && next <= c->sym + 4; next++) {
			sg_sym id = opps[next].id & ~ID_TAG;

			if (sg_strtab_length(m->ids, id) == len &&
			    memcmp(sg_strtab_text(m->ids, id), t, len) == 0) {
				c->text = sg_strtab_text(m->ids, id);
				c->sym = next;
				return next;
			}
		}
	}
	sym = sg_strtab_lookup(m->ids, t, len);
	if (sym == 0 || sym >= m->opp_by_sym_size ||
	    m->opp_by_sym[sym] == NO_INDEX)
		return NO_INDEX;
	c->text = sg_strtab_text(m->ids, sym);
	c->len = len;
	c->sym = m->opp_by_sym[sym];
	return c->sym;
}

const struct sg_opportunity *sg_model_opportunity(const struct sg_model *m,
						  const char *id)
{
	sg_sym sym;

	if (m == NULL || id == NULL)
		return NULL;
	sym = sg_strtab_lookup(m->ids, id, strlen(id));
	if (sym == 0 || sym >= m->opp_by_sym_size ||
	    m->opp_by_sym[sym] == NO_INDEX)
		return NULL;
	return (const struct sg_opportunity *)m->opps.items +
	       m->opp_by_sym[sym];
}

static const char *copy_trimmed(struct sg_arena *arena, const char *text)
{
	size_t len;
	const char *t = trimmed(text, &len);

	if (len == 0)
		return "";
	return sg_arena_strdup(arena, t, len);
}

static int where_error(struct sg_error *err, const struct sg_where *where,
		       const char *what)
{
	return sg_error_set_at(err, SG_ERR_PARSE, where ? where->path : "",
			       where ? where->line : 0, 0, "%s", what);
}

static int ensure_opp_index(struct sg_model *m, sg_sym sym)
{
	size_t size;
	uint32_t *grown;

	if (sym < m->opp_by_sym_size)
		return SG_OK;
	size = m->opp_by_sym_size ? m->opp_by_sym_size : 1024;
	while (size <= sym)
		size *= 2;
	grown = realloc(m->opp_by_sym, size * sizeof(*grown));
	if (grown == NULL)
		return SG_ERR_NOMEM;
	memset(grown + m->opp_by_sym_size, 0xff,
	       (size - m->opp_by_sym_size) * sizeof(*grown));
	m->opp_by_sym = grown;
	m->opp_by_sym_size = size;
	return SG_OK;
}

static int same_text(const char *stored, const char *given)
{
	size_t len;
	const char *t = trimmed(given, &len);

	return strlen(stored) == len && memcmp(stored, t, len) == 0;
}

static int same_extras(const struct sg_model *m,
		       const struct sg_opportunity *o,
		       const struct sg_rec_opportunity *r)
{
	const struct sg_extra *extras = m->extras.items;
	size_t i, j;

	/* Extra fields with empty values compare equal to absent ones. */
	for (i = 0; i < r->extra_count; i++) {
		size_t len;
		const char *name = trimmed(r->extra[i].name, &len);
		sg_sym sym = sg_strtab_lookup(m->names, name, len);
		const char *stored = "";

		for (j = 0; j < o->extra_count; j++)
			if (extras[o->extra_first + j].name == sym)
				stored = extras[o->extra_first + j].value;
		if (!same_text(stored, r->extra[i].value))
			return 0;
	}
	for (j = 0; j < o->extra_count; j++) {
		const char *name = sg_strtab_text(m->names,
						  extras[o->extra_first + j].name);
		int found = 0;

		for (i = 0; i < r->extra_count && !found; i++)
			found = same_text(name, r->extra[i].name);
		if (!found && extras[o->extra_first + j].value[0] != '\0')
			return 0;
	}
	return 1;
}

static int same_opportunity(const struct sg_model *m,
			    const struct sg_opportunity *o,
			    const struct sg_rec_opportunity *r)
{
	return same_text(o->name, r->name) &&
	       same_text(o->pipeline, r->pipeline) &&
	       same_text(o->stage, r->stage) &&
	       same_text(o->owner_id, r->owner_id) &&
	       same_text(o->amount, r->amount) &&
	       same_text(o->currency, r->currency) &&
	       same_text(o->forecast_category, r->forecast_category) &&
	       same_text(o->next_step, r->next_step) &&
	       o->close_date == r->close_date &&
	       o->created_at == r->created_at &&
	       o->next_step_date == r->next_step_date &&
	       same_extras(m, o, r);
}

static int note_extra_field(struct sg_model *m, sg_sym name)
{
	size_t i;
	sg_sym *grown;

	for (i = 0; i < m->extra_field_count; i++)
		if (m->extra_fields[i] == name)
			return SG_OK;
	grown = realloc(m->extra_fields,
			(m->extra_field_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return SG_ERR_NOMEM;
	m->extra_fields = grown;
	m->extra_fields[m->extra_field_count++] = name;
	return SG_OK;
}

static int add_extras(struct sg_model *m, struct sg_opportunity *o,
		      const struct sg_rec_opportunity *r)
{
	size_t i;

	o->extra_first = (uint32_t)m->extras.count;
	o->extra_count = 0;
	for (i = 0; i < r->extra_count; i++) {
		struct sg_extra *x;
		sg_sym name;

		if (intern_trimmed(m, r->extra[i].name, &name) != SG_OK ||
		    note_extra_field(m, name) != SG_OK ||
		    vec_push(&m->extras, sizeof(*x), (void **)&x) != SG_OK)
			return SG_ERR_NOMEM;
		x->name = name;
		x->value = copy_trimmed(m->arena, r->extra[i].value);
		if (x->value == NULL)
			return SG_ERR_NOMEM;
		o->extra_count++;
	}
	return SG_OK;
}

int sg_model_add_opportunity(struct sg_model *m,
			     const struct sg_rec_opportunity *r,
			     const struct sg_where *where,
			     struct sg_error *err)
{
	struct sg_opportunity *o;
	sg_sym id;
	size_t len;

	trimmed(r->id, &len);
	if (len == 0)
		return where_error(err, where, "an opportunity has no id");
	{
		const char *t = trimmed(r->id, &len);

		if (sg_strtab_intern(m->ids, t, len, &id) != SG_OK ||
		    ensure_opp_index(m, id) != SG_OK)
			return nomem(err);
	}
	if (m->opp_by_sym[id] != NO_INDEX) {
		o = (struct sg_opportunity *)m->opps.items + m->opp_by_sym[id];
		/* Identical duplicates collapse; differing ones keep the
		 * first row and mark it (rule 29). */
		if (!same_opportunity(m, o, r))
			o->duplicate = 1;
		return SG_OK;
	}
	if (vec_push(&m->opps, sizeof(*o), (void **)&o) != SG_OK)
		return nomem(err);
	memset(o, 0, sizeof(*o));
	m->opp_by_sym[id] = (uint32_t)(m->opps.count - 1);
	o->id = id | ID_TAG;
	o->name = copy_trimmed(m->arena, r->name);
	/* Fields with few distinct values share one interned copy. */
	o->pipeline = cached_text(m, &m->opp_names[0], r->pipeline);
	o->stage = cached_text(m, &m->opp_names[1], r->stage);
	o->owner_id = cached_text(m, &m->opp_names[2], r->owner_id);
	o->amount = copy_trimmed(m->arena, r->amount);
	o->currency = cached_text(m, &m->opp_names[3], r->currency);
	o->forecast_category = cached_text(m, &m->opp_names[4],
					   r->forecast_category);
	o->next_step = copy_trimmed(m->arena, r->next_step);
	if (!o->name || !o->pipeline || !o->stage || !o->owner_id ||
	    !o->amount || !o->currency || !o->forecast_category ||
	    !o->next_step)
		return nomem(err);
	o->close_date = r->close_date;
	o->created_at = r->created_at;
	o->next_step_date = r->next_step_date;
	o->stage_index = SG_NO_STAGE;
	if (add_extras(m, o, r) != SG_OK)
		return nomem(err);
	return SG_OK;
}

int sg_model_set_parts(struct sg_model *m, unsigned count,
		       struct sg_error *err)
{
	unsigned k;

	if (count <= m->part_count)
		return SG_OK;
	for (k = 0; k < KIND_COUNT; k++) {
		struct part *grown = realloc(m->parts[k],
					     count * sizeof(*grown));

		if (grown == NULL)
			return nomem(err);
		memset(grown + m->part_count, 0,
		       (count - m->part_count) * sizeof(*grown));
		m->parts[k] = grown;
	}
	m->part_count = count;
	return SG_OK;
}

/* The part records of kind k go to, or NULL (err set) when there is no
 * such part. */
static struct part *part_of(struct sg_model *m, int k, unsigned part,
			    struct sg_error *err)
{
	if (m->finished) {
		sg_error_set(err, SG_ERR_INTERNAL,
			     "model: a record added after finish");
		return NULL;
	}
	if (part >= m->part_count) {
		sg_error_set(err, SG_ERR_INTERNAL,
			     "model: no part %u to add to", part);
		return NULL;
	}
	return &m->parts[k][part];
}

int sg_model_add_stage_event_to(struct sg_model *m, unsigned part,
				const struct sg_rec_stage_event *r,
				const struct sg_where *where,
				struct sg_error *err)
{
	struct part *p = part_of(m, KIND_EVENTS, part, err);
	struct sg_stage_event *e;
	uint32_t opp;

	if (p == NULL)
		return SG_ERR_INTERNAL;
	if (r->changed_at == SG_TIME_NONE)
		return where_error(err, where, "a stage event has no time");
	opp = find_opp(m, &p->opp, r->opportunity_id);
	if (opp == NO_INDEX) {
		p->orphans++;
		return SG_OK;
	}
	if (vec_push(&p->v, sizeof(*e), (void **)&e) != SG_OK)
		return nomem(err);
	memset(e, 0, sizeof(*e));
	e->opp = opp;
	e->changed_at = r->changed_at;
	e->from_index = SG_NO_STAGE;
	e->to_index = SG_NO_STAGE;
	if (intern_cached(m, &p->names[0], r->from_stage,
			  &e->from_stage) != SG_OK ||
	    intern_cached(m, &p->names[1], r->to_stage,
			  &e->to_stage) != SG_OK ||
	    intern_cached(m, &p->names[2], r->changed_by,
			  &e->changed_by) != SG_OK ||
	    intern_cached(m, &p->names[3], r->source, &e->source) != SG_OK)
		return nomem(err);
	return SG_OK;
}

int sg_model_add_stage_event(struct sg_model *m,
			     const struct sg_rec_stage_event *r,
			     const struct sg_where *where,
			     struct sg_error *err)
{
	return sg_model_add_stage_event_to(m, 0, r, where, err);
}

int sg_model_add_field_change_to(struct sg_model *m, unsigned part,
				 const struct sg_rec_field_change *r,
				 const struct sg_where *where,
				 struct sg_error *err)
{
	struct part *p = part_of(m, KIND_CHANGES, part, err);
	struct sg_field_change *c;
	uint32_t opp;

	if (p == NULL)
		return SG_ERR_INTERNAL;
	if (r->changed_at == SG_TIME_NONE)
		return where_error(err, where, "a field change has no time");
	opp = find_opp(m, &p->opp, r->opportunity_id);
	if (opp == NO_INDEX) {
		p->orphans++;
		return SG_OK;
	}
	if (p->arena == NULL &&
	    sg_arena_new(&p->arena, 4u << 20, err) != SG_OK)
		return nomem(err);
	if (vec_push(&p->v, sizeof(*c), (void **)&c) != SG_OK)
		return nomem(err);
	memset(c, 0, sizeof(*c));
	c->opp = opp;
	c->changed_at = r->changed_at;
	c->old_value = copy_trimmed(p->arena, r->old_value);
	c->new_value = copy_trimmed(p->arena, r->new_value);
	if (intern_cached(m, &p->names[0], r->field, &c->field) != SG_OK ||
	    c->old_value == NULL || c->new_value == NULL)
		return nomem(err);
	return SG_OK;
}

int sg_model_add_field_change(struct sg_model *m,
			      const struct sg_rec_field_change *r,
			      const struct sg_where *where,
			      struct sg_error *err)
{
	return sg_model_add_field_change_to(m, 0, r, where, err);
}

int sg_model_add_activity_to(struct sg_model *m, unsigned part,
			     const struct sg_rec_activity *r,
			     const struct sg_where *where,
			     struct sg_error *err)
{
	struct part *p = part_of(m, KIND_ACTIVITIES, part, err);
	struct sg_activity *a;
	uint32_t opp;

	if (p == NULL)
		return SG_ERR_INTERNAL;
	if (r->occurred_at == SG_TIME_NONE)
		return where_error(err, where, "an activity has no time");
	opp = find_opp(m, &p->opp, r->opportunity_id);
	if (opp == NO_INDEX) {
		p->orphans++;
		return SG_OK;
	}
	if (vec_push(&p->v, sizeof(*a), (void **)&a) != SG_OK)
		return nomem(err);
	a->opp = opp;
	a->occurred_at = r->occurred_at;
	a->type = (uint8_t)r->type;
	a->party = (uint8_t)r->party;
	return SG_OK;
}

int sg_model_add_activity(struct sg_model *m, const struct sg_rec_activity *r,
			  const struct sg_where *where, struct sg_error *err)
{
	return sg_model_add_activity_to(m, 0, r, where, err);
}

int sg_model_add_evidence_to(struct sg_model *m, unsigned part,
			     const struct sg_rec_evidence *r,
			     const struct sg_where *where,
			     struct sg_error *err)
{
	struct part *p = part_of(m, KIND_EVIDENCE, part, err);
	struct sg_evidence *v;
	const char *value;
	uint32_t opp;

	if (p == NULL)
		return SG_ERR_INTERNAL;
	if (r->observed_at == SG_TIME_NONE)
		return where_error(err, where, "an evidence record has no time");
	opp = find_opp(m, &p->opp, r->opportunity_id);
	if (opp == NO_INDEX) {
		p->orphans++;
		return SG_OK;
	}
	if (vec_push(&p->v, sizeof(*v), (void **)&v) != SG_OK)
		return nomem(err);
	memset(v, 0, sizeof(*v));
	v->opp = opp;
	v->observed_at = r->observed_at;
	v->party = (uint8_t)r->party;
	value = r->value ? r->value : "";
	v->value_missing = (uint8_t)sg_value_is_missing(
		value, strlen(value), &m->config->placeholders, 0);
	if (intern_cached(m, &p->names[0], r->criterion,
			  &v->criterion) != SG_OK)
		return nomem(err);
	return SG_OK;
}

int sg_model_add_evidence(struct sg_model *m, const struct sg_rec_evidence *r,
			  const struct sg_where *where, struct sg_error *err)
{
	return sg_model_add_evidence_to(m, 0, r, where, err);
}

int sg_model_add_owner(struct sg_model *m, const struct sg_rec_owner *r,
		       const struct sg_where *where, struct sg_error *err)
{
	struct sg_owner *w;
	size_t len;

	trimmed(r->id, &len);
	if (len == 0)
		return where_error(err, where, "an owner has no id");
	if (vec_push(&m->owners, sizeof(*w), (void **)&w) != SG_OK)
		return nomem(err);
	memset(w, 0, sizeof(*w));
	w->name = copy_trimmed(m->arena, r->name);
	w->email = copy_trimmed(m->arena, r->email);
	w->team = copy_trimmed(m->arena, r->team);
	if (intern_trimmed(m, r->id, &w->id) != SG_OK ||
	    intern_trimmed(m, r->manager_id, &w->manager_id) != SG_OK ||
	    !w->name || !w->email || !w->team)
		return nomem(err);
	return SG_OK;
}

int sg_model_set_snapshot(struct sg_model *m, const struct sg_rec_snapshot *r,
			  struct sg_error *err)
{
	m->snapshot_present = r->extracted_at != SG_TIME_NONE;
	m->snapshot_extracted_at = r->extracted_at;
	m->snapshot_source = copy_trimmed(m->arena, r->source);
	if (m->snapshot_source == NULL)
		return nomem(err);
	return SG_OK;
}

/* --- finishing: resolve, group by opportunity, sort by time --- */

struct kind {
	struct vec *v;
	size_t size;            /* item size */
	size_t time_offset;     /* offset of the sg_time field */
	size_t first_offset;    /* offsetof(struct sg_opportunity, x_first) */
	size_t count_offset;
};

static uint32_t *item_opp(void *item)
{
	/* Every record kind starts with its uint32_t opp field. */
	return (uint32_t *)item;
}

static sg_time item_time(const struct kind *k, const void *item)
{
	sg_time t;

	memcpy(&t, (const char *)item + k->time_offset, sizeof(t));
	return t;
}

struct time_key {
	sg_time t;
	uint32_t pos;           /* input order within the run */
};

static int compare_time_key(const void *a, const void *b)
{
	const struct time_key *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

/* Stable sort of one opportunity's records by time. */
static int sort_run(const struct kind *k, char *run, size_t n, char *tmp)
{
	size_t i, j;

	if (n <= 32) {
		for (i = 1; i < n; i++) {
			sg_time t = item_time(k, run + i * k->size);

			memcpy(tmp, run + i * k->size, k->size);
			for (j = i; j > 0 &&
			     item_time(k, run + (j - 1) * k->size) > t; j--)
				memcpy(run + j * k->size,
				       run + (j - 1) * k->size, k->size);
			memcpy(run + j * k->size, tmp, k->size);
		}
		return SG_OK;
	}
	{
		struct time_key *keys = malloc(n * sizeof(*keys));
		char *copy = malloc(n * k->size);

		if (keys == NULL || copy == NULL) {
			free(keys);
			free(copy);
			return SG_ERR_NOMEM;
		}
		for (i = 0; i < n; i++) {
			keys[i].t = item_time(k, run + i * k->size);
			keys[i].pos = (uint32_t)i;
		}
		qsort(keys, n, sizeof(*keys), compare_time_key);
		memcpy(copy, run, n * k->size);
		for (i = 0; i < n; i++)
			memcpy(run + i * k->size, copy + keys[i].pos * k->size,
			       k->size);
		free(keys);
		free(copy);
	}
	return SG_OK;
}

static void set_range(struct sg_opportunity *o, const struct kind *k,
		      uint32_t first, uint32_t count)
{
	memcpy((char *)o + k->first_offset, &first, sizeof(first));
	memcpy((char *)o + k->count_offset, &count, sizeof(count));
}

static uint32_t range_first(const struct sg_opportunity *o,
			    const struct kind *k)
{
	uint32_t v;

	memcpy(&v, (const char *)o + k->first_offset, sizeof(v));
	return v;
}

static uint32_t range_count(const struct sg_opportunity *o,
			    const struct kind *k)
{
	uint32_t v;

	memcpy(&v, (const char *)o + k->count_offset, sizeof(v));
	return v;
}

/* Nonzero when the records are already in (opportunity, time) order, as
 * exports usually are: then grouping needs no copy. */
static int already_grouped(const struct kind *k)
{
	const char *items = k->v->items;
	size_t i;

	for (i = 1; i < k->v->count; i++) {
		const char *prev = items + (i - 1) * k->size;
		const char *item = items + i * k->size;
		uint32_t a = *item_opp((void *)prev), b = *item_opp((void *)item);

		if (b < a || (b == a && item_time(k, item) < item_time(k, prev)))
			return 0;
	}
	return 1;
}

/* Copies one record; the sizes are constants so the copy is inlined. */
static void copy_record(char *dst, const char *src, size_t size)
{
	switch (size) {
	case 16: memcpy(dst, src, 16); break;
	case 24: memcpy(dst, src, 24); break;
	case 32: memcpy(dst, src, 32); break;
	case 40: memcpy(dst, src, 40); break;
	case 48: memcpy(dst, src, 48); break;
	default: memcpy(dst, src, size); break;
	}
}

static void set_ranges(struct sg_model *m, const struct kind *k,
		       uint32_t *counts)
{
	struct sg_opportunity *opps = m->opps.items;
	uint32_t at = 0;
	size_t i;

	for (i = 0; i < m->opps.count; i++) {
		uint32_t count = counts[i];

		set_range(&opps[i], k, at, count);
		counts[i] = at;
		at += count;
	}
}

/* Groups records by opportunity with a stable counting sort, then sorts
 * each opportunity's records by time. */
static int group_by_opp(struct sg_model *m, const struct kind *k)
{
	size_t opp_count = m->opps.count, i, n = k->v->count;
	struct sg_opportunity *opps = m->opps.items;
	uint32_t *next = calloc(opp_count + 1, sizeof(*next));
	char *sorted = NULL, *tmp = malloc(k->size);
	int rc = SG_OK;

	if (next == NULL || tmp == NULL) {
		rc = SG_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		next[*item_opp((char *)k->v->items + i * k->size)]++;
	set_ranges(m, k, next);
	if (already_grouped(k))
		goto out;
	sorted = sg_big_grow(NULL, 0, n * k->size);
	if (sorted == NULL) {
		rc = SG_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *item = (char *)k->v->items + i * k->size;
		uint32_t opp = *item_opp(item);

		copy_record(sorted + (size_t)next[opp]++ * k->size, item,
			    k->size);
	}
	for (i = 0; i < opp_count && rc == SG_OK; i++)
		rc = sort_run(k, sorted + (size_t)range_first(&opps[i], k) *
			      k->size, range_count(&opps[i], k), tmp);
	vec_free(k->v, k->size);
	k->v->items = sorted;
	k->v->count = k->v->capacity = n;
out:
	free(next);
	free(tmp);
	return rc;
}

static int same_event(const struct sg_stage_event *a,
		      const struct sg_stage_event *b)
{
	return a->changed_at == b->changed_at &&
	       a->from_stage == b->from_stage && a->to_stage == b->to_stage &&
	       a->changed_by == b->changed_by && a->source == b->source;
}

/* Identical stage-history rows count once (rule 12). */
static void drop_duplicate_events(struct sg_model *m)
{
	struct sg_opportunity *opps = m->opps.items;
	struct sg_stage_event *events = m->events.items;
	size_t o, kept = 0;

	for (o = 0; o < m->opps.count; o++) {
		uint32_t first = opps[o].event_first;
		uint32_t count = opps[o].event_count;
		uint32_t new_first = (uint32_t)kept, i;

		for (i = first; i < first + count; i++) {
			size_t j;
			int duplicate = 0;

			/* Earlier kept events at the same second. */
			for (j = kept; j > new_first &&
			     events[j - 1].changed_at == events[i].changed_at;
			     j--) {
				if (same_event(&events[j - 1], &events[i])) {
					duplicate = 1;
					break;
				}
			}
			if (duplicate) {
				m->duplicate_events++;
				continue;
			}
			events[kept++] = events[i];
		}
		opps[o].event_first = new_first;
		opps[o].event_count = (uint32_t)(kept - new_first);
	}
	m->events.count = kept;
}

static int stage_index_of(const struct sg_model *m, sg_sym sym)
{
	const char *text = sg_strtab_text(m->names, sym);

	if (sym == 0)
		return SG_NO_STAGE;
	return sg_config_stage_index(m->config, text, strlen(text));
}

static int resolve_stages(struct sg_model *m)
{
	size_t symbols = sg_strtab_count(m->names), i;
	int *index_of = malloc(symbols * sizeof(*index_of));
	struct sg_stage_event *events = m->events.items;
	struct sg_opportunity *opps = m->opps.items;
	const char *pipeline = m->config->pipeline_id;

	if (index_of == NULL)
		return SG_ERR_NOMEM;
	/* Stage names are few: resolve each symbol once, lazily. */
	for (i = 0; i < symbols; i++)
		index_of[i] = -2;
	for (i = 0; i < m->events.count; i++) {
		struct sg_stage_event *e = &events[i];

		if (index_of[e->to_stage] == -2)
			index_of[e->to_stage] = stage_index_of(m, e->to_stage);
		if (index_of[e->from_stage] == -2)
			index_of[e->from_stage] =
				stage_index_of(m, e->from_stage);
		e->to_index = (int16_t)index_of[e->to_stage];
		e->from_index = (int16_t)index_of[e->from_stage];
	}
	free(index_of);
	for (i = 0; i < m->opps.count; i++) {
		opps[i].stage_index = sg_config_stage_index(
			m->config, opps[i].stage, strlen(opps[i].stage));
		opps[i].in_scope = opps[i].pipeline[0] == '\0' ||
			pipeline == NULL ||
			strcmp(opps[i].pipeline, pipeline) == 0;
	}
	return SG_OK;
}

static int index_owners(struct sg_model *m)
{
	size_t size = sg_strtab_count(m->names), i;
	struct sg_owner *owners = m->owners.items;

	m->owner_by_sym = malloc(size * sizeof(*m->owner_by_sym));
	if (m->owner_by_sym == NULL)
		return SG_ERR_NOMEM;
	m->owner_by_sym_size = size;
	memset(m->owner_by_sym, 0xff, size * sizeof(*m->owner_by_sym));
	/* The first row of an owner id wins. */
	for (i = 0; i < m->owners.count; i++)
		if (m->owner_by_sym[owners[i].id] == NO_INDEX)
			m->owner_by_sym[owners[i].id] = (uint32_t)i;
	return SG_OK;
}

/*
 * Appends src's records to dst's and frees src.  Copying them would touch
 * as much fresh memory as they fill, which on a virtual machine costs more
 * than the copy: instead src's pages are moved (mremap) to just after
 * dst's last page, then slid down onto the end of dst's records, within
 * pages already in memory.  Falls back to a copy when the kernel refuses.
 */
static int vec_append_moving(struct vec *dst, struct vec *src, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t used = dst->count * size, add = src->count * size;
	size_t at = (used + page - 1) & ~(page - 1);
	size_t src_pages = (add + page - 1) & ~(page - 1);
	size_t src_map = (src->capacity * size + page - 1) & ~(page - 1);
	size_t dst_map = (dst->capacity * size + page - 1) & ~(page - 1);
	size_t map = at + src_pages > dst_map ? at + src_pages : dst_map;
	char *base = dst->items;

	if (add == 0) {
		vec_free(src, size);
		return SG_OK;
	}
	if (map > dst_map) {
		void *grown = mremap(base, dst_map, map, MREMAP_MAYMOVE);

		if (grown == MAP_FAILED)
			return SG_ERR_NOMEM;
		base = grown;
		dst->items = base;
		dst->capacity = map / size;
	}
	if (mremap(src->items, src_pages, src_pages,
		   MREMAP_MAYMOVE | MREMAP_FIXED, base + at) == MAP_FAILED) {
		memcpy(base + used, src->items, add);
		dst->count += src->count;
		vec_free(src, size);
		return SG_OK;
	}
	if (src_map > src_pages)
		munmap((char *)src->items + src_pages, src_map - src_pages);
	memset(src, 0, sizeof(*src));
	if (at > used)
		memmove(base + used, base + at, add);
	dst->count += add / size;
	return SG_OK;
}

/*
 * Puts each kind's parts into one array, part after part: the first part
 * holding records becomes the array (no copy), the later ones are moved
 * after it.  Sums the records dropped.
 */
static int merge_parts(struct sg_model *m)
{
	struct vec *out[KIND_COUNT] = {
		&m->events, &m->changes, &m->activities, &m->evidence
	};
	unsigned k, i, base;

	for (k = 0; k < KIND_COUNT; k++) {
		struct part *parts = m->parts[k];
		size_t size = kind_size[k];

		for (i = 0; i < m->part_count; i++) {
			m->orphan_records += parts[i].orphans;
			parts[i].orphans = 0;
		}
		for (base = 0; base < m->part_count &&
		     parts[base].v.count == 0; base++)
			vec_free(&parts[base].v, size);
		if (base == m->part_count)
			continue;
		*out[k] = parts[base].v;
		memset(&parts[base].v, 0, sizeof(parts[base].v));
		for (i = base + 1; i < m->part_count; i++)
			if (vec_append_moving(out[k], &parts[i].v,
					      size) != SG_OK)
				return SG_ERR_NOMEM;
	}
	return SG_OK;
}

/* Groups some kinds by opportunity: half of finish, for a thread. */
struct finish_job {
	struct sg_model *m;
	const struct kind *kinds;
	size_t count;
	int rc;
};

static void *finish_kinds(void *arg)
{
	struct finish_job *job = arg;
	size_t i;

	job->rc = SG_OK;
	for (i = 0; i < job->count && job->rc == SG_OK; i++)
		job->rc = group_by_opp(job->m, &job->kinds[i]);
	return NULL;
}

int sg_model_finish(struct sg_model *m, struct sg_error *err)
{
	/* Activities and evidence on a second thread; stage events (then
	 * their duplicates and stages) and field changes on this one.  Each
	 * kind writes only its own range fields of the opportunities. */
	struct kind kinds[] = {
		{ &m->activities, sizeof(struct sg_activity),
		  offsetof(struct sg_activity, occurred_at),
		  offsetof(struct sg_opportunity, activity_first),
		  offsetof(struct sg_opportunity, activity_count) },
		{ &m->evidence, sizeof(struct sg_evidence),
		  offsetof(struct sg_evidence, observed_at),
		  offsetof(struct sg_opportunity, evidence_first),
		  offsetof(struct sg_opportunity, evidence_count) },
		{ &m->events, sizeof(struct sg_stage_event),
		  offsetof(struct sg_stage_event, changed_at),
		  offsetof(struct sg_opportunity, event_first),
		  offsetof(struct sg_opportunity, event_count) },
		{ &m->changes, sizeof(struct sg_field_change),
		  offsetof(struct sg_field_change, changed_at),
		  offsetof(struct sg_opportunity, change_first),
		  offsetof(struct sg_opportunity, change_count) },
	};
	struct finish_job other = { m, kinds, 2, SG_OK };
	struct finish_job mine = { m, kinds + 2, 2, SG_OK };
	pthread_t helper;
	int threaded, rc;

	if (m->finished)
		return SG_OK;
	if (merge_parts(m) != SG_OK)
		return nomem(err);
	threaded = pthread_create(&helper, NULL, finish_kinds, &other) == 0;
	if (!threaded)
		finish_kinds(&other);
	finish_kinds(&mine);
	rc = mine.rc;
	if (rc == SG_OK) {
		drop_duplicate_events(m);
		rc = resolve_stages(m);
	}
	if (rc == SG_OK)
		rc = index_owners(m);
	if (threaded)
		pthread_join(helper, NULL);
	if (rc != SG_OK || other.rc != SG_OK)
		return nomem(err);
	m->finished = 1;
	return SG_OK;
}

/* --- reading --- */

void sg_model_view(const struct sg_model *m, struct sg_model_view *out)
{
	out->config = m->config;
	out->opps = m->opps.items;
	out->opp_count = m->opps.count;
	out->events = m->events.items;
	out->event_count = m->events.count;
	out->changes = m->changes.items;
	out->change_count = m->changes.count;
	out->activities = m->activities.items;
	out->activity_count = m->activities.count;
	out->evidence = m->evidence.items;
	out->evidence_count = m->evidence.count;
	out->extras = m->extras.items;
	out->extra_count = m->extras.count;
	out->owners = m->owners.items;
	out->owner_count = m->owners.count;
	out->snapshot_present = m->snapshot_present;
	out->snapshot_extracted_at = m->snapshot_extracted_at;
	out->snapshot_source = m->snapshot_source ? m->snapshot_source : "";
	out->orphan_records = m->orphan_records;
	out->duplicate_events = m->duplicate_events;
}

const char *sg_model_str(const struct sg_model *m, sg_sym sym)
{
	if (sym & ID_TAG)
		return sg_strtab_text(m->ids, sym & ~ID_TAG);
	return sg_strtab_text(m->names, sym);
}

sg_sym sg_model_lookup(const struct sg_model *m, const char *text)
{
	return sg_strtab_lookup(m->names, text, strlen(text));
}

const struct sg_owner *sg_model_owner(const struct sg_model *m, sg_sym id)
{
	if (m->owner_by_sym == NULL || id >= m->owner_by_sym_size ||
	    m->owner_by_sym[id] == NO_INDEX)
		return NULL;
	return (const struct sg_owner *)m->owners.items +
	       m->owner_by_sym[id];
}

static const char *time_text(sg_time t, char *scratch)
{
	if (t == SG_TIME_NONE)
		return "";
	return sg_time_format_iso(t, scratch);
}

const char *sg_model_field_value(const struct sg_model *m,
				 const struct sg_opportunity *opp,
				 const char *field, char *scratch)
{
	const struct sg_extra *extras = m->extras.items;
	sg_sym name;
	uint32_t i;

	switch (sg_canonical_find_column(SG_CANON_OPPORTUNITIES, field)) {
	case SG_OPP_ID:
		return sg_model_str(m, opp->id);
	case SG_OPP_NAME:
		return opp->name;
	case SG_OPP_PIPELINE:
		return opp->pipeline;
	case SG_OPP_STAGE:
		return opp->stage;
	case SG_OPP_OWNER_ID:
		return opp->owner_id;
	case SG_OPP_AMOUNT:
		return opp->amount;
	case SG_OPP_CURRENCY:
		return opp->currency;
	case SG_OPP_CLOSE_DATE:
		return time_text(opp->close_date, scratch);
	case SG_OPP_FORECAST_CATEGORY:
		return opp->forecast_category;
	case SG_OPP_CREATED_AT:
		return time_text(opp->created_at, scratch);
	case SG_OPP_NEXT_STEP:
		return opp->next_step;
	case SG_OPP_NEXT_STEP_DATE:
		return time_text(opp->next_step_date, scratch);
	default:
		break;
	}
	name = sg_model_lookup(m, field);
	if (name == 0)
		return NULL;
	for (i = 0; i < opp->extra_count; i++)
		if (extras[opp->extra_first + i].name == name)
			return extras[opp->extra_first + i].value;
	/* A column that exists but this row lacks reads as empty. */
	return sg_model_has_field(m, field) ? "" : NULL;
}

const char *sg_model_field_value_at(const struct sg_model *m,
				    const struct sg_opportunity *opp,
				    const char *field, sg_time t,
				    char *scratch)
{
	const struct sg_field_change *changes = m->changes.items;
	sg_sym name = sg_model_lookup(m, field);
	const char *before = NULL, *after = NULL;
	uint32_t i;

	if (name != 0) {
		for (i = opp->change_first;
		     i < opp->change_first + opp->change_count; i++) {
			if (changes[i].field != name)
				continue;
			if (changes[i].changed_at <= t) {
				before = changes[i].new_value;
			} else {
				after = changes[i].old_value;
				break;
			}
		}
		if (before != NULL)
			return before;
		if (after != NULL)
			return after;
	}
	return sg_model_field_value(m, opp, field, scratch);
}

int sg_model_has_field(const struct sg_model *m, const char *field)
{
	sg_sym name;
	size_t i;

	/* The model's own fields are the columns of opportunities.csv. */
	if (sg_canonical_find_column(SG_CANON_OPPORTUNITIES, field) >= 0)
		return 1;
	name = sg_model_lookup(m, field);
	for (i = 0; i < m->extra_field_count && name != 0; i++)
		if (m->extra_fields[i] == name)
			return 1;
	return 0;
}
