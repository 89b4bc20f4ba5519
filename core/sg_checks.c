/*
 * sg_checks.c - the stage-progression checks of DESIGN §5 with the exact
 * readings of §10 (rules 13-30 and 44).
 *
 * One pass per opportunity over its sorted events, evidence and activities
 * (the model's per-opportunity index ranges), with per-thread scratch and
 * no allocation per opportunity.  Opportunities are visited in the order of
 * their id text, so each opportunity's exceptions only need a small local
 * sort and the concatenation is the order of rule 13.  Large models are
 * split in two halves, one thread each.
 */
#include "sg_checks.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sg_hash.h"
#include "util/sg_decimal.h"
#include "util/sg_missing.h"

/* Below this many opportunities one thread is faster than two. */
#define CHK_THREAD_MIN 8192

/* Detail lists and copied strings live in chunks that never move. */
#define CHK_CHUNK_SIZE (256u * 1024u)

#if defined(__linux__) && defined(MREMAP_MAYMOVE) && defined(MREMAP_FIXED)
#define CHK_HAVE_MREMAP 1
#else
#define CHK_HAVE_MREMAP 0
#endif

/* Pages of a region are populated this many bytes at a time. */
#define CHK_POPULATE_STEP ((size_t)4 << 20)

/*
 * A growable array of exceptions.  On Linux it is an anonymous mapping
 * that grows without copying (mremap) and whose pages are populated in
 * bulk, ahead of the writes: a million opportunities can raise gigabytes
 * of exceptions, and one fault per fresh page would cost more than the
 * checks.  Elsewhere it is malloc memory.
 */
struct chk_region {
	struct sg_exception *items;
	size_t count;
	size_t bytes;           /* mapped or allocated size */
	size_t populated;       /* bytes populated (mapped only) */
	int mapped;
};

struct chk_chunk {
	struct chk_chunk *next;
	size_t used, cap;
	unsigned char *data;
};

struct sg_exceptions_arena {
	struct chk_chunk *head;
	void *map;              /* the list's items when they are a mapping */
	size_t map_bytes;
};

/* What every worker reads. */
struct chk_ctx {
	const struct sg_model *m;
	struct sg_model_view v;
	const struct sg_config *c;
	sg_time since, as_of;
	sg_time moves_after;    /* moves at or before it are not judged;
				 * SG_TIME_NONE: none */
	sg_sym *crit_sym;       /* per criterion; 0: never interned */
	int *cat_class;         /* per stage: category class, -1 none */
	unsigned char *review;  /* per stage: category is a review one */
	int type_rank[SG_EX_TYPE_COUNT]; /* order of the type names */
	const uint32_t *order;  /* opportunities by id text; NULL: as is */
	EVP_MD *sha256;         /* fetched once; NULL: use sg_id_hex16() */
};

/* One thread's state. */
struct chk_worker {
	const struct chk_ctx *ctx;
	size_t begin, end;      /* range of positions in ctx->order */
	struct sg_exception *stage; /* the current opportunity's */
	size_t stage_count, stage_cap;
	struct chk_region out;  /* everything judged so far */
	struct sg_exceptions_arena arena;
	uint32_t *req;          /* required criteria of a move */
	unsigned char *met;     /* per required criterion */
	unsigned char *seen;    /* per criterion: already required */
	uint32_t *tmp;          /* a detail list being built */
	struct sg_exception *sort_tmp;
	size_t sort_cap;
	EVP_MD_CTX *md;         /* reused for every id of this thread */
	uint32_t paused, evaluated;
	int status;
};

/* --- The arena. --- */

static void *chk_arena_alloc(struct sg_exceptions_arena *a, size_t size)
{
	struct chk_chunk *ch = a->head;
	size_t need = (size + 7u) & ~(size_t)7u;
	void *p;

	if (ch == NULL || ch->cap - ch->used < need) {
		size_t cap = need > CHK_CHUNK_SIZE ? need : CHK_CHUNK_SIZE;

		ch = malloc(sizeof(*ch));
		if (ch == NULL)
			return NULL;
		ch->data = malloc(cap);
		if (ch->data == NULL) {
			free(ch);
			return NULL;
		}
		ch->used = 0;
		ch->cap = cap;
		ch->next = a->head;
		a->head = ch;
	}
	p = ch->data + ch->used;
	ch->used += need;
	return p;
}

static void chk_arena_free_chunks(struct chk_chunk *ch)
{
	while (ch != NULL) {
		struct chk_chunk *next = ch->next;

		free(ch->data);
		free(ch);
		ch = next;
	}
}

/* Moves every chunk of from into to. */
static void chk_arena_splice(struct sg_exceptions_arena *to,
			     struct sg_exceptions_arena *from)
{
	struct chk_chunk *tail = from->head;

	if (tail == NULL)
		return;
	while (tail->next != NULL)
		tail = tail->next;
	tail->next = to->head;
	to->head = from->head;
	from->head = NULL;
}

static uint32_t *chk_copy_list(struct chk_worker *w, const uint32_t *items,
			       uint32_t count)
{
	uint32_t *p;

	if (count == 0)
		return NULL;
	p = chk_arena_alloc(&w->arena, count * sizeof(*p));
	if (p != NULL)
		memcpy(p, items, count * sizeof(*p));
	return p;
}

static const char *chk_copy_text(struct chk_worker *w, const char *s,
				 size_t len)
{
	char *p = chk_arena_alloc(&w->arena, len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* --- The list. --- */

void sg_exceptions_init(struct sg_exceptions *list)
{
	memset(list, 0, sizeof(*list));
}

/* --- Regions. --- */

static size_t chk_page(void)
{
	static size_t page;

	if (page == 0) {
		long p = sysconf(_SC_PAGESIZE);

		page = p > 0 ? (size_t)p : 4096;
	}
	return page;
}

static size_t chk_round_up(size_t n, size_t unit)
{
	return (n + unit - 1) / unit * unit;
}

static void chk_region_free(struct chk_region *r)
{
#if CHK_HAVE_MREMAP
	if (r->mapped) {
		if (r->items != NULL)
			munmap(r->items, r->bytes);
	} else {
		free(r->items);
	}
#else
	free(r->items);
#endif
	memset(r, 0, sizeof(*r));
}

/* Makes room for extra more items; SG_OK or SG_ERR_NOMEM. */
static int chk_region_reserve(struct chk_region *r, size_t extra)
{
	size_t size = sizeof(r->items[0]);
	size_t need = (r->count + extra) * size, bytes;

	if (need > r->bytes) {
		bytes = r->bytes * 2;
		if (bytes < need)
			bytes = need;
		if (bytes < ((size_t)1 << 20))
			bytes = (size_t)1 << 20;
		bytes = chk_round_up(bytes, chk_page());
#if CHK_HAVE_MREMAP
		if (r->items == NULL || r->mapped) {
			void *p;

			if (r->items == NULL)
				p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			else
				p = mremap(r->items, r->bytes, bytes,
					   MREMAP_MAYMOVE);
			if (p != MAP_FAILED) {
				r->items = p;
				r->bytes = bytes;
				r->mapped = 1;
				goto populate;
			}
			if (r->items != NULL)
				return SG_ERR_NOMEM;
		}
#endif
		{
			void *p = realloc(r->items, bytes);

			if (p == NULL)
				return SG_ERR_NOMEM;
			r->items = p;
			r->bytes = bytes;
		}
	}
#if CHK_HAVE_MREMAP
populate:
#ifdef MADV_POPULATE_WRITE
	if (r->mapped && need > r->populated) {
		size_t upto = chk_round_up(need, CHK_POPULATE_STEP);

		if (upto > r->bytes)
			upto = r->bytes;
		/* Only a hint: without it the pages fault in one by one. */
		(void)madvise((char *)r->items + r->populated,
			      upto - r->populated, MADV_POPULATE_WRITE);
		r->populated = upto;
	}
#endif
#endif
	return SG_OK;
}

/*
 * Appends the items of b to a, moving b's pages rather than copying them
 * where it can; b is emptied.
 */
static int chk_region_join(struct chk_region *a, struct chk_region *b)
{
	size_t size = sizeof(a->items[0]);
	int rc;

	if (b->count == 0) {
		chk_region_free(b);
		return SG_OK;
	}
	if (a->count == 0) {
		chk_region_free(a);
		*a = *b;
		memset(b, 0, sizeof(*b));
		return SG_OK;
	}
#if CHK_HAVE_MREMAP
	if (a->mapped && b->mapped) {
		size_t b0 = a->count * size;
		size_t at = chk_round_up(b0, chk_page());
		size_t len = chk_round_up(b->count * size, chk_page());
		char *base = (char *)a->items;
		void *p;

		if (at + len > a->bytes) {
			p = mremap(a->items, a->bytes, at + len,
				   MREMAP_MAYMOVE);
			if (p == MAP_FAILED)
				goto copy;
			a->items = p;
			a->bytes = at + len;
			base = p;
		}
		/* b's pages land right after a's last page ... */
		p = mremap(b->items, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			   base + at);
		if (p == MAP_FAILED)
			goto copy;
		if (b->bytes > len)
			munmap((char *)b->items + len, b->bytes - len);
		/* ... and slide down by less than a page, in place. */
		memmove(base + b0, base + at, b->count * size);
		a->count += b->count;
		if (a->populated < at + len)
			a->populated = at + len;
		memset(b, 0, sizeof(*b));
		return SG_OK;
	}
copy:
#endif
	rc = chk_region_reserve(a, b->count);
	if (rc != SG_OK)
		return rc;
	memcpy(a->items + a->count, b->items, b->count * size);
	a->count += b->count;
	chk_region_free(b);
	return SG_OK;
}

void sg_exceptions_release(struct sg_exceptions *list)
{
	if (list == NULL)
		return;
	if (list->arena != NULL && list->arena->map != NULL &&
	    list->arena->map == (void *)list->items) {
		struct chk_region r;

		memset(&r, 0, sizeof(r));
		r.items = list->items;
		r.bytes = list->arena->map_bytes;
		r.mapped = 1;
		chk_region_free(&r);
	} else {
		free(list->items);
	}
	if (list->arena != NULL) {
		chk_arena_free_chunks(list->arena->head);
		free(list->arena);
	}
	sg_exceptions_init(list);
}

/*
 * A new zeroed exception for the current opportunity, or NULL.  The
 * pointer is valid until the next push.
 */
static struct sg_exception *chk_push(struct chk_worker *w, int type,
				     uint32_t opp)
{
	struct sg_exception *ex;

	if (w->stage_count == w->stage_cap) {
		size_t cap = w->stage_cap ? w->stage_cap * 2 : 32;
		struct sg_exception *grown;

		grown = realloc(w->stage, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		w->stage = grown;
		w->stage_cap = cap;
	}
	ex = &w->stage[w->stage_count++];
	memset(ex, 0, sizeof(*ex));
	ex->type = type;
	ex->verdict = sg_exception_type_verdict(type);
	ex->opp = opp;
	return ex;
}

/* --- Ids (DESIGN §5, last part). --- */

/*
 * The id of sg_id_hex16() (the first 16 hex digits of the SHA-256 of the
 * parts joined by 0x1f), with a digest context reused across the
 * thread's ids: an implicit fetch per id would cost more than the checks
 * themselves on a million opportunities.  Tests hold the two equal.
 */
static void chk_set_id(struct chk_worker *w, struct sg_exception *ex,
		       const char *const *parts, size_t count)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[EVP_MAX_MD_SIZE];
	char joined[512];
	unsigned int len = 0;
	size_t i, n = 0;
	int ok = w->md != NULL && w->ctx->sha256 != NULL;

	/* One update of the joined parts: the digest's per-call overhead
	 * outweighs hashing a few dozen bytes. */
	for (i = 0; ok && i < count; i++) {
		const char *part = parts[i] != NULL ? parts[i] : "";
		size_t plen = strlen(part);

		if (n + plen + 1 > sizeof(joined)) {
			ok = 0;
			break;
		}
		if (i > 0)
			joined[n++] = 0x1f;
		memcpy(joined + n, part, plen);
		n += plen;
	}
	if (ok)
		ok = EVP_DigestInit_ex2(w->md, w->ctx->sha256, NULL) == 1 &&
		     EVP_DigestUpdate(w->md, joined, n) == 1 &&
		     EVP_DigestFinal_ex(w->md, digest, &len) == 1 && len >= 8;
	if (!ok) {
		/* Long parts, or no reusable context: the general path. */
		sg_id_hex16(parts, count, ex->id);
		return;
	}
	for (i = 0; i < 8; i++) {
		ex->id[2 * i] = hex[digest[i] >> 4];
		ex->id[2 * i + 1] = hex[digest[i] & 15];
	}
	ex->id[16] = '\0';
}

/* Writes t in decimal into buf (at least 21 bytes); returns buf. */
static char *chk_decimal(int64_t t, char *buf)
{
	char tmp[24];
	size_t n = 0, i = 0;
	uint64_t u = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (t < 0)
		buf[i++] = '-';
	while (n > 0)
		buf[i++] = tmp[--n];
	buf[i] = '\0';
	return buf;
}

static void chk_move_id(struct chk_worker *w, struct sg_exception *ex,
			const char *opp_id)
{
	char at[24];
	const char *parts[5];

	chk_decimal(ex->event_at, at);
	parts[0] = sg_exception_type_name(ex->type);
	parts[1] = opp_id;
	parts[2] = sg_model_str(w->ctx->m, ex->from_stage);
	parts[3] = sg_model_str(w->ctx->m, ex->to_stage);
	parts[4] = at;
	chk_set_id(w, ex, parts, 5);
}

/*
 * Appends an exception of type judging the move e (from its effective
 * from-stage, 0 for a creation): the fields every move check sets, and
 * its stable id.  NULL when out of memory.  The pointer is valid until the
 * next push.
 */
static struct sg_exception *chk_push_move(struct chk_worker *w, uint32_t oi,
					  int type,
					  const struct sg_stage_event *e,
					  sg_sym from)
{
	const struct chk_ctx *cx = w->ctx;
	struct sg_exception *ex = chk_push(w, type, oi);

	if (ex == NULL)
		return NULL;
	ex->is_move = 1;
	ex->from_stage = from;
	ex->to_stage = e->to_stage;
	ex->stage = e->to_stage;
	ex->event_at = e->changed_at;
	chk_move_id(w, ex, sg_model_str(cx->m, cx->v.opps[oi].id));
	return ex;
}

/* --- Sorting (rule 13) and merging (rules 30, 44). --- */

static int chk_cmp_sym(const struct chk_ctx *cx, sg_sym a, sg_sym b)
{
	if (a == b)
		return 0;
	if (a == 0)
		return -1;
	if (b == 0)
		return 1;
	return strcmp(sg_model_str(cx->m, a), sg_model_str(cx->m, b));
}

static const char *chk_opp_id(const struct chk_ctx *cx, uint32_t opp)
{
	return sg_model_str(cx->m, cx->v.opps[opp].id);
}

/* Rule 13 order within one opportunity. */
static int chk_cmp_local(const struct chk_ctx *cx,
			 const struct sg_exception *a,
			 const struct sg_exception *b)
{
	int r;

	if (a->event_at != b->event_at)
		return a->event_at < b->event_at ? -1 : 1;
	if (a->type != b->type)
		return cx->type_rank[a->type] - cx->type_rank[b->type];
	r = chk_cmp_sym(cx, a->from_stage, b->from_stage);
	if (r != 0)
		return r;
	return chk_cmp_sym(cx, a->to_stage, b->to_stage);
}

static int chk_cmp_global(const struct chk_ctx *cx,
			  const struct sg_exception *a,
			  const struct sg_exception *b)
{
	if (a->opp != b->opp) {
		int r = strcmp(chk_opp_id(cx, a->opp), chk_opp_id(cx, b->opp));

		if (r != 0)
			return r;
		return a->opp < b->opp ? -1 : 1;
	}
	return chk_cmp_local(cx, a, b);
}

typedef int (*chk_cmp_fn)(const struct chk_ctx *,
			  const struct sg_exception *,
			  const struct sg_exception *);

/* Stable merge sort of items[0..n) using tmp (n entries). */
static void chk_msort(const struct chk_ctx *cx, struct sg_exception *items,
		      struct sg_exception *tmp, size_t n, chk_cmp_fn cmp)
{
	size_t mid, i, j, k;

	if (n < 2)
		return;
	if (n <= 8) {
		for (i = 1; i < n; i++) {
			struct sg_exception key = items[i];

			j = i;
			while (j > 0 && cmp(cx, &items[j - 1], &key) > 0) {
				items[j] = items[j - 1];
				j--;
			}
			items[j] = key;
		}
		return;
	}
	mid = n / 2;
	chk_msort(cx, items, tmp, mid, cmp);
	chk_msort(cx, items + mid, tmp, n - mid, cmp);
	if (cmp(cx, &items[mid - 1], &items[mid]) <= 0)
		return;
	i = 0;
	j = mid;
	k = 0;
	while (i < mid && j < n) {
		if (cmp(cx, &items[j], &items[i]) < 0)
			tmp[k++] = items[j++];
		else
			tmp[k++] = items[i++];
	}
	while (i < mid)
		tmp[k++] = items[i++];
	while (j < n)
		tmp[k++] = items[j++];
	memcpy(items, tmp, n * sizeof(*items));
}

static int chk_same(const struct sg_exception *a, const struct sg_exception *b)
{
	return a->type == b->type && a->opp == b->opp &&
	       a->from_stage == b->from_stage && a->to_stage == b->to_stage &&
	       a->event_at == b->event_at;
}

/* Sorts items[0..n) and merges duplicates, keeping the first; returns the
 * new count. */
static size_t chk_sort_merge(const struct chk_ctx *cx,
			     struct sg_exception *items,
			     struct sg_exception *tmp, size_t n,
			     chk_cmp_fn cmp)
{
	size_t i, out;

	chk_msort(cx, items, tmp, n, cmp);
	if (n < 2)
		return n;
	out = 1;
	for (i = 1; i < n; i++) {
		if (chk_same(&items[out - 1], &items[i]))
			continue;
		if (out != i)
			items[out] = items[i];
		out++;
	}
	return out;
}

/* --- The checks of one opportunity. --- */

static int chk_missing(const struct chk_ctx *cx, const char *text,
		       int is_amount)
{
	if (text == NULL)
		return 1;
	return sg_value_is_missing(text, strlen(text), &cx->c->placeholders,
				   is_amount);
}

/* The value of field at t (rule 21); the current value without history. */
static const char *chk_value_at(const struct chk_ctx *cx,
				const struct sg_opportunity *o,
				const char *field, sg_time t, char *scratch)
{
	if (o->change_count == 0)
		return sg_model_field_value(cx->m, o, field, scratch);
	return sg_model_field_value_at(cx->m, o, field, t, scratch);
}

/* Index of the first record in [first, first+count) at or after t. */
static size_t chk_lower_activity(const struct sg_activity *a, size_t first,
				 size_t count, sg_time t)
{
	size_t lo = first, hi = first + count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid].occurred_at < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t chk_lower_evidence(const struct sg_evidence *e, size_t first,
				 size_t count, sg_time t)
{
	size_t lo = first, hi = first + count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e[mid].observed_at < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The data-quality reasons of an opportunity (rule 28), as bits. */
static unsigned chk_dq_reasons(const struct chk_ctx *cx,
			       const struct sg_opportunity *o)
{
	const struct sg_stage_event *ev = cx->v.events + o->event_first;
	uint32_t n = o->event_count, i;
	unsigned r = 0;

	if (o->stage_index == SG_NO_STAGE)
		r |= 1u << SG_DQ_UNKNOWN_STAGE;
	if (n == 0)
		r |= 1u << SG_DQ_NO_HISTORY;
	else if (strcmp(o->stage ? o->stage : "",
			sg_model_str(cx->m, ev[n - 1].to_stage)) != 0)
		r |= 1u << SG_DQ_STAGE_MISMATCH;
	for (i = 0; i < n; i++) {
		const struct sg_stage_event *e = &ev[i];

		if (e->to_index == SG_NO_STAGE ||
		    (e->from_stage != 0 && e->from_index == SG_NO_STAGE))
			r |= 1u << SG_DQ_UNKNOWN_STAGE;
		if (e->changed_at > cx->as_of)
			r |= 1u << SG_DQ_FUTURE_EVENT;
		if (o->created_at != SG_TIME_NONE &&
		    e->changed_at < o->created_at &&
		    o->created_at - e->changed_at > 60)
			r |= 1u << SG_DQ_BEFORE_CREATED;
		if (i > 0 && e->from_stage != 0 &&
		    e->from_stage != ev[i - 1].to_stage)
			r |= 1u << SG_DQ_CONTRADICTORY_HISTORY;
	}
	if (chk_missing(cx, o->owner_id, 0))
		r |= 1u << SG_DQ_MISSING_OWNER;
	if (o->duplicate)
		r |= 1u << SG_DQ_DUPLICATE_RECORD;
	return r;
}

/* Rule 27: does data_quality apply to this opportunity? */
static int chk_dq_applies(const struct chk_ctx *cx,
			  const struct sg_opportunity *o)
{
	const struct sg_stage_event *ev = cx->v.events + o->event_first;

	if (o->stage_index == SG_NO_STAGE ||
	    !cx->c->stages[o->stage_index].closed)
		return 1;
	if (o->event_count == 0)
		return 0;
	/* Events are sorted: the last one is the latest. */
	return cx->since == SG_TIME_NONE ||
	       ev[o->event_count - 1].changed_at > cx->since;
}

static int chk_data_quality(struct chk_worker *w, uint32_t oi,
			    unsigned reasons)
{
	const struct chk_ctx *cx = w->ctx;
	const struct sg_opportunity *o = &cx->v.opps[oi];
	struct sg_exception *ex = chk_push(w, SG_EX_DATA_QUALITY, oi);
	char joined[256];
	const char *parts[3];
	size_t len = 0;
	int i;

	if (ex == NULL)
		return SG_ERR_NOMEM;
	ex->stage = sg_model_lookup(cx->m, o->stage ? o->stage : "");
	ex->event_at = cx->as_of;
	ex->dq_reasons = reasons;
	joined[0] = '\0';
	for (i = 0; i < SG_DQ_REASON_COUNT; i++) {
		if (!(reasons & (1u << i)))
			continue;
		len += (size_t)snprintf(joined + len, sizeof(joined) - len,
					"%s%s", len ? "," : "",
					sg_dq_reason_name(i));
	}
	parts[0] = sg_exception_type_name(SG_EX_DATA_QUALITY);
	parts[1] = sg_model_str(cx->m, o->id);
	parts[2] = joined;
	chk_set_id(w, ex, parts, 3);
	return SG_OK;
}

/*
 * Fills w->req with the required criteria of stages [lo, hi), enter_from_any
 * stages excepted, in order of first appearance (rule 19); returns the
 * count.
 */
static uint32_t chk_required(struct chk_worker *w, int lo, int hi)
{
	const struct sg_config *c = w->ctx->c;
	uint32_t n = 0, k;
	int s;

	for (s = lo; s < hi; s++) {
		const struct sg_stage *st = &c->stages[s];
		size_t j;

		if (st->enter_from_any)
			continue;
		for (j = 0; j < st->exit_criteria_count; j++) {
			size_t ci = st->exit_criteria[j];

			if (w->seen[ci])
				continue;
			w->seen[ci] = 1;
			w->req[n++] = (uint32_t)ci;
		}
	}
	for (k = 0; k < n; k++)
		w->seen[w->req[k]] = 0;
	return n;
}

static int chk_missing_evidence(struct chk_worker *w, uint32_t oi,
				const struct sg_stage_event *e, sg_sym from,
				int lo, int hi)
{
	const struct chk_ctx *cx = w->ctx;
	const struct sg_config *c = cx->c;
	const struct sg_opportunity *o = &cx->v.opps[oi];
	const struct sg_evidence *ev = cx->v.evidence;
	uint32_t n = chk_required(w, lo, hi), k, nmiss = 0, npres = 0;
	size_t i, end = (size_t)o->evidence_first + o->evidence_count;
	sg_time t = e->changed_at;
	struct sg_exception *ex;

	if (n == 0)
		return SG_OK;
	memset(w->met, 0, n);
	for (i = o->evidence_first; i < end && ev[i].observed_at <= t; i++) {
		if (ev[i].value_missing)
			continue;
		for (k = 0; k < n; k++) {
			uint32_t ci = w->req[k];
			const struct sg_criterion *cr = &c->criteria[ci];
			sg_sym sym = cx->crit_sym[ci];

			if (w->met[k] || sym == 0 || ev[i].criterion != sym)
				continue;
			if (cr->buyer_only && ev[i].party != SG_PARTY_BUYER)
				continue;
			if (cr->max_age.present &&
			    t - ev[i].observed_at > cr->max_age.seconds)
				continue;
			w->met[k] = 1;
		}
	}
	for (k = 0; k < n; k++)
		if (!w->met[k])
			w->tmp[nmiss++] = w->req[k];
	if (nmiss == 0)
		return SG_OK;
	for (k = 0; k < n; k++)
		if (w->met[k])
			w->tmp[nmiss + npres++] = w->req[k];
	ex = chk_push_move(w, oi, SG_EX_MISSING_EVIDENCE, e, from);
	if (ex == NULL)
		return SG_ERR_NOMEM;
	ex->list = chk_copy_list(w, w->tmp, nmiss);
	ex->list_count = nmiss;
	ex->list2 = chk_copy_list(w, w->tmp + nmiss, npres);
	ex->list2_count = npres;
	if (ex->list == NULL || (npres > 0 && ex->list2 == NULL))
		return SG_ERR_NOMEM;
	return SG_OK;
}

static int chk_required_field(struct chk_worker *w, uint32_t oi,
			      const struct sg_stage_event *e, sg_sym from)
{
	const struct chk_ctx *cx = w->ctx;
	const struct sg_stage *st = &cx->c->stages[e->to_index];
	const struct sg_opportunity *o = &cx->v.opps[oi];
	char scratch[SG_TIME_ISO_SIZE + 11];
	uint32_t n = 0;
	size_t j;
	struct sg_exception *ex;

	for (j = 0; j < st->required_field_count; j++) {
		const char *f = st->required_fields[j];
		const char *v = chk_value_at(cx, o, f, e->changed_at,
					     scratch);

		if (chk_missing(cx, v, strcmp(f, "amount") == 0))
			w->tmp[n++] = (uint32_t)j;
	}
	if (n == 0)
		return SG_OK;
	ex = chk_push_move(w, oi, SG_EX_REQUIRED_FIELD, e, from);
	if (ex == NULL)
		return SG_ERR_NOMEM;
	ex->list = chk_copy_list(w, w->tmp, n);
	ex->list_count = n;
	if (ex->list == NULL)
		return SG_ERR_NOMEM;
	return SG_OK;
}

static int chk_skipped(struct chk_worker *w, uint32_t oi,
		       const struct sg_stage_event *e, sg_sym from, int lo,
		       int hi)
{
	const struct chk_ctx *cx = w->ctx;
	uint32_t n = 0;
	int s;
	struct sg_exception *ex;

	for (s = lo; s < hi; s++)
		if (!cx->c->stages[s].enter_from_any)
			w->tmp[n++] = (uint32_t)s;
	if (n == 0)
		return SG_OK;
	ex = chk_push_move(w, oi, SG_EX_SKIPPED_STAGE, e, from);
	if (ex == NULL)
		return SG_ERR_NOMEM;
	ex->list = chk_copy_list(w, w->tmp, n);
	ex->list_count = n;
	if (ex->list == NULL)
		return SG_ERR_NOMEM;
	return SG_OK;
}


/* Rule 22: buyer activity or buyer evidence in [entered, t]. */
static int chk_seller_only(struct chk_worker *w, uint32_t oi,
			   const struct sg_stage_event *e, sg_sym from,
			   sg_time entered)
{
	const struct chk_ctx *cx = w->ctx;
	const struct sg_opportunity *o = &cx->v.opps[oi];
	const struct sg_activity *ac = cx->v.activities;
	const struct sg_evidence *ev = cx->v.evidence;
	sg_time t = e->changed_at;
	size_t i, end;
	uint32_t sellers = 0;
	struct sg_exception *ex;

	end = (size_t)o->activity_first + o->activity_count;
	i = chk_lower_activity(ac, o->activity_first, o->activity_count,
			       entered);
	for (; i < end && ac[i].occurred_at <= t; i++) {
		if (ac[i].party == SG_PARTY_BUYER)
			return SG_OK;
		if (ac[i].party == SG_PARTY_SELLER)
			sellers++;
	}
	end = (size_t)o->evidence_first + o->evidence_count;
	i = chk_lower_evidence(ev, o->evidence_first, o->evidence_count,
			       entered);
	for (; i < end && ev[i].observed_at <= t; i++)
		if (ev[i].party == SG_PARTY_BUYER && !ev[i].value_missing)
			return SG_OK;
	ex = chk_push_move(w, oi, SG_EX_SELLER_ONLY, e, from);
	if (ex == NULL)
		return SG_ERR_NOMEM;
	ex->seller_activities = sellers;
	return SG_OK;
}

/* The amount at t as a decimal text in the arena, or NULL when missing. */
static int chk_amount_at(struct chk_worker *w, const struct sg_opportunity *o,
			 sg_time t, const char **out)
{
	const struct chk_ctx *cx = w->ctx;
	char scratch[SG_TIME_ISO_SIZE + 11];
	char buf[SG_DECIMAL_TEXT_SIZE];
	const char *v = chk_value_at(cx, o, "amount", t, scratch);
	struct sg_decimal d;
	size_t len;

	*out = NULL;
	if (chk_missing(cx, v, 1))
		return SG_OK;
	len = strlen(v);
	v = sg_trim(v, &len);
	if (sg_decimal_parse(&d, v, len, NULL) == SG_OK) {
		sg_decimal_format(&d, buf, sizeof(buf));
		v = buf;
		len = strlen(buf);
	}
	*out = chk_copy_text(w, v, len);
	return *out == NULL ? SG_ERR_NOMEM : SG_OK;
}

static int chk_text_at(struct chk_worker *w, const struct sg_opportunity *o,
		       const char *field, sg_time t, const char **out)
{
	const struct chk_ctx *cx = w->ctx;
	char scratch[SG_TIME_ISO_SIZE + 11];
	const char *v = chk_value_at(cx, o, field, t, scratch);
	size_t len;

	*out = NULL;
	if (chk_missing(cx, v, 0))
		return SG_OK;
	len = strlen(v);
	v = sg_trim(v, &len);
	*out = chk_copy_text(w, v, len);
	return *out == NULL ? SG_ERR_NOMEM : SG_OK;
}

/* Rule 23: any actual move between different categories, one reviewed. */
static int chk_forecast(struct chk_worker *w, uint32_t oi,
			const struct sg_stage_event *e, int from_index,
			sg_sym from)
{
	const struct chk_ctx *cx = w->ctx;
	const struct sg_opportunity *o = &cx->v.opps[oi];
	int to_index = e->to_index;
	const char *fc = cx->c->stages[from_index].forecast_category;
	const char *tc = cx->c->stages[to_index].forecast_category;
	struct sg_exception *ex;
	int rc;

	if (cx->cat_class[from_index] == cx->cat_class[to_index])
		return SG_OK;
	if (!cx->review[from_index] && !cx->review[to_index])
		return SG_OK;
	ex = chk_push_move(w, oi, SG_EX_FORECAST_IMPACT, e, from);
	if (ex == NULL)
		return SG_ERR_NOMEM;
	ex->from_category = fc;
	ex->to_category = tc;
	/* The arena never touches the list: ex stays valid. */
	rc = chk_amount_at(w, o, e->changed_at, &ex->amount);
	if (rc == SG_OK)
		rc = chk_text_at(w, o, "currency", e->changed_at,
				 &ex->currency);
	if (rc != SG_OK)
		return rc;
	return SG_OK;
}

/* The checks of one judged event (rules 14-23). */
static int chk_event(struct chk_worker *w, uint32_t oi,
		     const struct sg_stage_event *e, int creation, int from_i,
		     sg_sym from, sg_time entered)
{
	const struct sg_config *c = w->ctx->c;
	int to = e->to_index;
	int rc;

	if (creation) {
		if (c->stages[to].enter_from_any)
			return SG_OK;
		rc = chk_missing_evidence(w, oi, e, 0, 0, to);
		if (rc == SG_OK)
			rc = chk_required_field(w, oi, e, 0);
		if (rc == SG_OK)
			rc = chk_skipped(w, oi, e, 0, 0, to);
		return rc;
	}
	if (c->stages[to].enter_from_any)
		return chk_forecast(w, oi, e, from_i, from);
	if ((c->stages[from_i].closed && !c->stages[to].closed) ||
	    to < from_i) {
		rc = chk_push_move(w, oi, SG_EX_REGRESSION, e, from) ?
			SG_OK : SG_ERR_NOMEM;
		if (rc == SG_OK)
			rc = chk_forecast(w, oi, e, from_i, from);
		return rc;
	}
	/* An advance. */
	rc = chk_missing_evidence(w, oi, e, from, from_i, to);
	if (rc == SG_OK)
		rc = chk_required_field(w, oi, e, from);
	if (rc == SG_OK)
		rc = chk_skipped(w, oi, e, from, from_i + 1, to);
	if (rc == SG_OK)
		rc = chk_seller_only(w, oi, e, from, entered);
	if (rc == SG_OK)
		rc = chk_forecast(w, oi, e, from_i, from);
	return rc;
}

/* The segment value of o (sg_config_max_age() trims it), or NULL. */
static const char *chk_segment(const struct chk_ctx *cx,
			       const struct sg_opportunity *o, char *scratch)
{
	if (cx->c->segment_field == NULL)
		return NULL;
	return sg_model_field_value(cx->m, o, cx->c->segment_field, scratch);
}

/* Rules 24-26: stage_age and no_next_step at as-of. */
static int chk_at_as_of(struct chk_worker *w, uint32_t oi, int cur,
			sg_sym cur_sym, sg_time entered)
{
	const struct chk_ctx *cx = w->ctx;
	const struct sg_opportunity *o = &cx->v.opps[oi];
	const char *opp_id = sg_model_str(cx->m, o->id);
	const struct sg_days *limit;
	char seg[SG_TIME_ISO_SIZE + 11], num[24], date[16];
	const char *parts[4];
	struct sg_exception *ex;
	int reason = 0;

	limit = sg_config_max_age(cx->c, (size_t)cur,
				  chk_segment(cx, o, seg));
	if (limit != NULL && limit->present &&
	    cx->as_of - entered > limit->seconds) {
		int64_t secs = cx->as_of - entered;

		ex = chk_push(w, SG_EX_STAGE_AGE, oi);
		if (ex == NULL)
			return SG_ERR_NOMEM;
		ex->stage = cur_sym;
		ex->event_at = entered;
		ex->age_tenths = (secs * 10 + 43200) / 86400;
		ex->max_age_days = limit->days;
		chk_decimal(entered, num);
		parts[0] = sg_exception_type_name(SG_EX_STAGE_AGE);
		parts[1] = opp_id;
		parts[2] = sg_model_str(cx->m, cur_sym);
		parts[3] = num;
		chk_set_id(w, ex, parts, 4);
	}
	if (chk_missing(cx, o->next_step, 0))
		reason = SG_NNS_MISSING;
	else if (o->next_step_date != SG_TIME_NONE &&
		 sg_time_day(o->next_step_date) < sg_time_day(cx->as_of))
		reason = SG_NNS_OVERDUE;
	if (reason == 0)
		return SG_OK;
	ex = chk_push(w, SG_EX_NO_NEXT_STEP, oi);
	if (ex == NULL)
		return SG_ERR_NOMEM;
	ex->stage = cur_sym;
	ex->event_at = cx->as_of;
	ex->next_step_reason = reason;
	date[0] = '\0';
	if (o->next_step_date != SG_TIME_NONE)
		sg_time_format_date(o->next_step_date, date);
	parts[0] = sg_exception_type_name(SG_EX_NO_NEXT_STEP);
	parts[1] = opp_id;
	parts[2] = reason == SG_NNS_MISSING ? "missing" : "overdue";
	parts[3] = date;
	chk_set_id(w, ex, parts, 4);
	return SG_OK;
}

static int chk_judge(struct chk_worker *w, uint32_t oi)
{
	const struct chk_ctx *cx = w->ctx;
	const struct sg_opportunity *o = &cx->v.opps[oi];
	const struct sg_stage_event *ev = cx->v.events + o->event_first;
	uint32_t n = o->event_count, i;
	int cur = SG_NO_STAGE, rc = SG_OK;
	sg_sym cur_sym = 0;
	sg_time entered = SG_TIME_NONE;

	if (!o->in_scope)
		return SG_OK;
	if (chk_dq_applies(cx, o)) {
		unsigned reasons = chk_dq_reasons(cx, o);

		if (reasons != 0) {
			w->paused++;
			return chk_data_quality(w, oi, reasons);
		}
	} else {
		/* Closed, nothing after since: nothing to judge. */
		w->evaluated++;
		return SG_OK;
	}
	w->evaluated++;
	for (i = 0; i < n && rc == SG_OK; i++) {
		const struct sg_stage_event *e = &ev[i];
		int judged;

		if (e->changed_at > cx->as_of)
			break;
		judged = cx->moves_after == SG_TIME_NONE ||
			 e->changed_at > cx->moves_after;
		if (i == 0) {
			if (judged)
				rc = chk_event(w, oi, e, 1, SG_NO_STAGE, 0,
					       SG_TIME_NONE);
		} else if (e->to_index != cur) {
			if (judged)
				rc = chk_event(w, oi, e, 0, cur, cur_sym,
					       entered);
		} else {
			/* Same stage: not a move, entered unchanged. */
			continue;
		}
		cur = e->to_index;
		cur_sym = e->to_stage;
		entered = e->changed_at;
	}
	if (rc != SG_OK)
		return rc;
	if (cur != SG_NO_STAGE && !cx->c->stages[cur].closed)
		rc = chk_at_as_of(w, oi, cur, cur_sym, entered);
	return rc;
}

/* Appends the staged exceptions to the worker's region. */
static int chk_flush(struct chk_worker *w)
{
	struct chk_region *r = &w->out;

	if (w->stage_count == 0)
		return SG_OK;
	if (chk_region_reserve(r, w->stage_count) != SG_OK)
		return SG_ERR_NOMEM;
	memcpy(r->items + r->count, w->stage,
	       w->stage_count * sizeof(w->stage[0]));
	r->count += w->stage_count;
	w->stage_count = 0;
	return SG_OK;
}

static int chk_opportunity(struct chk_worker *w, uint32_t oi)
{
	const struct chk_ctx *cx = w->ctx;
	int rc;

	w->stage_count = 0;
	rc = chk_judge(w, oi);
	if (rc != SG_OK)
		return rc;
	/* Sort and merge this opportunity's exceptions. */
	if (w->stage_count > 1) {
		size_t k = w->stage_count;

		if (w->sort_cap < k) {
			struct sg_exception *t;
			size_t cap = w->sort_cap ? w->sort_cap : 16;

			while (cap < k)
				cap *= 2;
			t = realloc(w->sort_tmp, cap * sizeof(*t));
			if (t == NULL)
				return SG_ERR_NOMEM;
			w->sort_tmp = t;
			w->sort_cap = cap;
		}
		w->stage_count = chk_sort_merge(cx, w->stage, w->sort_tmp, k,
						chk_cmp_local);
	}
	return chk_flush(w);
}

/*
 * In id order the opportunities' records are scattered through the
 * model: fetch the records of the opportunities a few steps ahead so
 * that their cache misses overlap with the work on this one.
 */
static void chk_prefetch(const struct chk_ctx *cx, size_t i, size_t end)
{
#if defined(__GNUC__)
	if (i + 16 < end)
		__builtin_prefetch(&cx->v.opps[cx->order[i + 16]]);
	if (i + 8 < end) {
		const struct sg_opportunity *o = &cx->v.opps[cx->order[i + 8]];

		__builtin_prefetch(sg_model_str(cx->m, o->id));
		__builtin_prefetch(cx->v.events + o->event_first);
		if (o->activity_count > 0)
			__builtin_prefetch(cx->v.activities +
					   o->activity_first);
		if (o->evidence_count > 0)
			__builtin_prefetch(cx->v.evidence + o->evidence_first);
		if (o->extra_count > 0)
			__builtin_prefetch(cx->v.extras + o->extra_first);
	}
#else
	(void)cx;
	(void)i;
	(void)end;
#endif
}

static void *chk_work(void *arg)
{
	struct chk_worker *w = arg;
	const struct chk_ctx *cx = w->ctx;
	size_t i;

	for (i = w->begin; i < w->end; i++) {
		uint32_t oi = cx->order ? cx->order[i] : (uint32_t)i;

		if (cx->order != NULL)
			chk_prefetch(cx, i, w->end);
		w->status = chk_opportunity(w, oi);
		if (w->status != SG_OK)
			break;
	}
	return NULL;
}

/* --- Set-up. --- */

struct chk_key {
	const char *id;
	uint32_t index;
};

static int chk_key_cmp(const void *a, const void *b)
{
	const struct chk_key *x = a, *y = b;
	int r = strcmp(x->id, y->id);

	if (r != 0)
		return r;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The opportunities in id order: NULL in *out when already so. */
static int chk_order(const struct chk_ctx *cx, uint32_t **out)
{
	size_t n = cx->v.opp_count, i;
	struct chk_key *keys;
	uint32_t *order;

	*out = NULL;
	for (i = 1; i < n; i++)
		if (strcmp(chk_opp_id(cx, (uint32_t)i - 1),
			   chk_opp_id(cx, (uint32_t)i)) > 0)
			break;
	if (i >= n)
		return SG_OK;
	keys = malloc(n * sizeof(*keys));
	order = malloc(n * sizeof(*order));
	if (keys == NULL || order == NULL) {
		free(keys);
		free(order);
		return SG_ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		keys[i].id = chk_opp_id(cx, (uint32_t)i);
		keys[i].index = (uint32_t)i;
	}
	qsort(keys, n, sizeof(*keys), chk_key_cmp);
	for (i = 0; i < n; i++)
		order[i] = keys[i].index;
	free(keys);
	*out = order;
	return SG_OK;
}

static int chk_ctx_init(struct chk_ctx *cx, const struct sg_model *model,
			const struct sg_check_window *window)
{
	const struct sg_config *c;
	size_t s, t, i;
	int rank;

	memset(cx, 0, sizeof(*cx));
	cx->m = model;
	sg_model_view(model, &cx->v);
	c = cx->v.config;
	cx->c = c;
	cx->since = window->since;
	cx->as_of = window->as_of;
	cx->moves_after = window->since;
	if (window->moves_after_set &&
	    (cx->since == SG_TIME_NONE || window->moves_after > cx->since))
		cx->moves_after = window->moves_after;
	cx->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	cx->crit_sym = calloc(c->criterion_count + 1, sizeof(*cx->crit_sym));
	cx->cat_class = calloc(c->stage_count + 1, sizeof(*cx->cat_class));
	cx->review = calloc(c->stage_count + 1, 1);
	if (cx->crit_sym == NULL || cx->cat_class == NULL ||
	    cx->review == NULL)
		return SG_ERR_NOMEM;
	for (i = 0; i < c->criterion_count; i++)
		cx->crit_sym[i] = sg_model_lookup(model, c->criteria[i].id);
	for (s = 0; s < c->stage_count; s++) {
		const char *cat = c->stages[s].forecast_category;

		cx->review[s] = cat != NULL &&
				sg_config_is_review_category(c, cat);
		cx->cat_class[s] = cat == NULL ? -1 : (int)s;
		for (t = 0; t < s && cat != NULL; t++) {
			const char *other = c->stages[t].forecast_category;

			if (other != NULL && strcmp(other, cat) == 0) {
				cx->cat_class[s] = cx->cat_class[t];
				break;
			}
		}
	}
	for (s = 0; s < SG_EX_TYPE_COUNT; s++) {
		rank = 0;
		for (t = 0; t < SG_EX_TYPE_COUNT; t++)
			if (strcmp(sg_exception_type_name((int)t),
				   sg_exception_type_name((int)s)) < 0)
				rank++;
		cx->type_rank[s] = rank;
	}
	return SG_OK;
}

static void chk_ctx_release(struct chk_ctx *cx)
{
	free(cx->crit_sym);
	free(cx->cat_class);
	free(cx->review);
	free((void *)cx->order);
	EVP_MD_free(cx->sha256);
}

static int chk_worker_init(struct chk_worker *w, const struct chk_ctx *cx)
{
	size_t nc = cx->c->criterion_count, ns = cx->c->stage_count;
	size_t nf = 0, s, ntmp;

	memset(w, 0, sizeof(*w));
	w->ctx = cx;
	for (s = 0; s < ns; s++)
		if (cx->c->stages[s].required_field_count > nf)
			nf = cx->c->stages[s].required_field_count;
	ntmp = nc > ns ? nc : ns;
	if (nf > ntmp)
		ntmp = nf;
	w->req = calloc(nc + 1, sizeof(*w->req));
	w->met = calloc(nc + 1, 1);
	w->seen = calloc(nc + 1, 1);
	w->tmp = calloc(ntmp + 1, sizeof(*w->tmp));
	/* Without a context ids come from sg_id_hex16(): slower, same. */
	w->md = EVP_MD_CTX_new();
	if (w->req == NULL || w->met == NULL || w->seen == NULL ||
	    w->tmp == NULL)
		return SG_ERR_NOMEM;
	return SG_OK;
}

static void chk_worker_release(struct chk_worker *w)
{
	free(w->req);
	free(w->met);
	free(w->seen);
	free(w->tmp);
	free(w->sort_tmp);
	free(w->stage);
	chk_region_free(&w->out);
	EVP_MD_CTX_free(w->md);
	chk_arena_free_chunks(w->arena.head);
	w->arena.head = NULL;
}

/* Runs fn on w[0] here and on w[1] (if any) in a second thread. */
static void chk_both(void *(*fn)(void *), struct chk_worker *w,
		     size_t nthreads)
{
	pthread_t thread;
	int started = 0;

	if (nthreads == 2) {
		if (pthread_create(&thread, NULL, fn, &w[1]) == 0)
			started = 1;
		else
			fn(&w[1]);
	}
	fn(&w[0]);
	if (started)
		pthread_join(thread, NULL);
}

/* Gives out the joined regions of the workers, after what it held. */
static int chk_deliver(struct sg_exceptions *out, struct chk_worker *w,
		       size_t nthreads)
{
	struct chk_region *r = &w[0].out, held;
	int rc = SG_OK;

	if (nthreads == 2)
		rc = chk_region_join(r, &w[1].out);
	if (rc != SG_OK)
		return rc;
	if (out->count > 0) {
		/* Keep what was there first; the caller sorts. */
		memset(&held, 0, sizeof(held));
		held.items = out->items;
		held.count = out->count;
		held.bytes = out->capacity * sizeof(out->items[0]);
		held.mapped = out->arena->map != NULL &&
			      out->arena->map == (void *)out->items;
		if (held.mapped)
			held.bytes = out->arena->map_bytes;
		held.populated = held.bytes;
		rc = chk_region_join(&held, r);
		if (rc != SG_OK)
			return rc;
		r = &held;
	} else {
		if (out->arena->map != NULL &&
		    out->arena->map == (void *)out->items) {
			struct chk_region old;

			memset(&old, 0, sizeof(old));
			old.items = out->items;
			old.bytes = out->arena->map_bytes;
			old.mapped = 1;
			chk_region_free(&old);
		} else {
			free(out->items);
		}
	}
	out->items = r->items;
	out->count = r->count;
	out->capacity = r->bytes / sizeof(r->items[0]);
	out->arena->map = r->mapped ? (void *)r->items : NULL;
	out->arena->map_bytes = r->mapped ? r->bytes : 0;
	memset(r, 0, sizeof(*r));
	return SG_OK;
}

int sg_checks_run(struct sg_exceptions *out, const struct sg_model *model,
		  const struct sg_check_window *window, struct sg_error *err)
{
	struct chk_ctx cx;
	struct chk_worker w[2];
	size_t prior = out->count, n, nthreads, i;
	uint32_t *order = NULL;
	int rc;

	memset(w, 0, sizeof(w));
	(void)chk_page(); /* set before any thread reads it */
	rc = chk_ctx_init(&cx, model, window);
	if (rc == SG_OK)
		rc = chk_order(&cx, &order);
	cx.order = order;
	n = cx.v.opp_count;
	nthreads = n >= CHK_THREAD_MIN ? 2 : 1;
	for (i = 0; i < nthreads && rc == SG_OK; i++)
		rc = chk_worker_init(&w[i], &cx);
	if (rc == SG_OK && out->arena == NULL) {
		out->arena = calloc(1, sizeof(*out->arena));
		if (out->arena == NULL)
			rc = SG_ERR_NOMEM;
	}
	if (rc != SG_OK)
		goto out;
	w[0].begin = 0;
	w[0].end = nthreads == 2 ? n / 2 : n;
	w[1].begin = w[0].end;
	w[1].end = n;
	chk_both(chk_work, w, nthreads);
	for (i = 0; i < nthreads; i++)
		if (w[i].status != SG_OK)
			rc = w[i].status;
	if (rc == SG_OK)
		rc = chk_deliver(out, w, nthreads);
	if (rc != SG_OK)
		goto out;
	for (i = 0; i < nthreads; i++)
		chk_arena_splice(out->arena, &w[i].arena);
	if (prior > 0) {
		/* Exceptions were already there: sort the whole list. */
		struct sg_exception *tmp = malloc(out->count * sizeof(*tmp));

		if (tmp == NULL) {
			rc = SG_ERR_NOMEM;
			goto out;
		}
		out->count = chk_sort_merge(&cx, out->items, tmp, out->count,
					    chk_cmp_global);
		free(tmp);
	}
	for (i = 0; i < nthreads; i++) {
		out->paused += w[i].paused;
		out->evaluated += w[i].evaluated;
	}
out:
	if (rc != SG_OK) {
		out->count = prior;
		sg_error_set(err, rc, "checks: out of memory");
	}
	for (i = 0; i < 2; i++)
		chk_worker_release(&w[i]);
	chk_ctx_release(&cx);
	return rc;
}
