/*
 * report_view.c - a built report and the helpers its builders share (see
 * report_view.h): the arena that owns the view, sections and blocks,
 * memory tables, ledger-streamed tables, charts and typed values.
 */
#include "report_view.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_strtab.h"
#include "util/sg_decimal.h"

/* The blocks of one section while it is built. */
struct rpt_blocks {
	struct sg_block *items;
	size_t count, capacity;
};

struct sg_built_report {
	struct sg_arena *arena;
	struct sg_report report;
	struct sg_section *sections;    /* malloc'd, report.sections */
	struct rpt_blocks *blocks;      /* parallel to sections */
	size_t capacity;
	int failed;
};

/* A memory table's rows: a list in the arena. */
struct rpt_mem_row {
	struct rpt_mem_row *next;
	struct sg_value cells[];
};

struct rpt_mem {
	struct rpt_mem_row *head, *tail;
	size_t count;
};

int rpt_new(struct sg_built_report **out, const char *key,
	    const char *title, sg_time as_of, struct sg_error *err)
{
	struct sg_built_report *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (b == NULL || sg_arena_new(&b->arena, 64 * 1024, err) != SG_OK) {
		free(b);
		return sg_error_set(err, SG_ERR_NOMEM, "report: out of "
				    "memory");
	}
	b->report.key = rpt_str(b, key);
	b->report.title = rpt_str(b, title);
	b->report.as_of = as_of;
	if (b->failed) {
		sg_built_report_free(b);
		return sg_error_set(err, SG_ERR_NOMEM, "report: out of "
				    "memory");
	}
	*out = b;
	return SG_OK;
}

int rpt_status(const struct sg_built_report *b, struct sg_error *err)
{
	if (b->failed)
		return sg_error_set(err, SG_ERR_NOMEM, "report %s: out of "
				    "memory", b->report.key ? b->report.key :
				    "");
	return SG_OK;
}

void rpt_fail(struct sg_built_report *b)
{
	b->failed = 1;
}

const struct sg_report *sg_built_report_view(const struct sg_built_report *b)
{
	return &b->report;
}

void sg_built_report_free(struct sg_built_report *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->report.section_count; i++)
		free(b->blocks[i].items);
	free(b->blocks);
	free(b->sections);
	sg_arena_free(b->arena);
	free(b);
}

void *rpt_alloc(struct sg_built_report *b, size_t size)
{
	void *p = sg_arena_alloc(b->arena, size);

	if (p == NULL) {
		b->failed = 1;
		return NULL;
	}
	memset(p, 0, size);
	return p;
}

const char *rpt_str(struct sg_built_report *b, const char *s)
{
	const char *copy;

	if (s == NULL)
		return NULL;
	copy = sg_arena_strdup(b->arena, s, strlen(s));
	if (copy == NULL)
		b->failed = 1;
	return copy;
}

const char *rpt_printf(struct sg_built_report *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	char *big;
	const char *copy;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return NULL;
	}
	if ((size_t)n < sizeof(small))
		return rpt_str(b, small);
	big = malloc((size_t)n + 1);
	if (big == NULL) {
		b->failed = 1;
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	copy = rpt_str(b, big);
	free(big);
	return copy;
}

const char *rpt_join(struct sg_built_report *b, const char *s,
		     const char *add)
{
	if (add == NULL)
		return s;
	if (s == NULL || s[0] == '\0')
		return rpt_str(b, add);
	return rpt_printf(b, "%s, %s", s, add);
}

/* ---- sections and blocks ---- */

void rpt_section(struct sg_built_report *b, const char *key,
		 const char *title)
{
	size_t n = b->report.section_count;
	struct sg_section *s;

	if (b->failed)
		return;
	if (n == b->capacity) {
		size_t cap = b->capacity ? b->capacity * 2 : 16;
		struct sg_section *sections;
		struct rpt_blocks *blocks;

		sections = realloc(b->sections, cap * sizeof(*sections));
		if (sections == NULL) {
			b->failed = 1;
			return;
		}
		b->sections = sections;
		blocks = realloc(b->blocks, cap * sizeof(*blocks));
		if (blocks == NULL) {
			b->failed = 1;
			return;
		}
		b->blocks = blocks;
		b->capacity = cap;
	}
	s = &b->sections[n];
	memset(s, 0, sizeof(*s));
	memset(&b->blocks[n], 0, sizeof(b->blocks[n]));
	s->key = rpt_str(b, key);
	s->title = rpt_str(b, title);
	b->report.sections = b->sections;
	b->report.section_count = n + 1;
}

static void rpt_block(struct sg_built_report *b, const struct sg_block *blk)
{
	struct rpt_blocks *v;
	struct sg_section *s;

	if (b->failed)
		return;
	if (b->report.section_count == 0) {
		/* A builder bug; reported as a failure, not a crash. */
		b->failed = 1;
		return;
	}
	s = &b->sections[b->report.section_count - 1];
	v = &b->blocks[b->report.section_count - 1];
	if (v->count == v->capacity) {
		size_t cap = v->capacity ? v->capacity * 2 : 8;
		struct sg_block *items = realloc(v->items,
						 cap * sizeof(*items));

		if (items == NULL) {
			b->failed = 1;
			return;
		}
		v->items = items;
		v->capacity = cap;
	}
	v->items[v->count++] = *blk;
	s->blocks = v->items;
	s->block_count = v->count;
}

void rpt_heading(struct sg_built_report *b, const char *text)
{
	struct sg_block blk = { SG_BLOCK_HEADING, NULL, NULL, NULL };

	blk.text = rpt_str(b, text);
	if (blk.text != NULL)
		rpt_block(b, &blk);
}

void rpt_text(struct sg_built_report *b, const char *text)
{
	struct sg_block blk = { SG_BLOCK_TEXT, NULL, NULL, NULL };

	blk.text = rpt_str(b, text);
	if (blk.text != NULL)
		rpt_block(b, &blk);
}

void rpt_add_table(struct sg_built_report *b, const struct sg_table *t)
{
	struct sg_block blk = { SG_BLOCK_TABLE, NULL, NULL, NULL };

	if (t == NULL) {
		b->failed = 1;
		return;
	}
	blk.table = t;
	rpt_block(b, &blk);
}

void rpt_add_chart(struct sg_built_report *b, const struct sg_chart *c)
{
	struct sg_block blk = { SG_BLOCK_CHART, NULL, NULL, NULL };

	if (c == NULL) {
		b->failed = 1;
		return;
	}
	blk.chart = c;
	rpt_block(b, &blk);
}

/* ---- tables ---- */

static struct sg_table *rpt_table(struct sg_built_report *b, const char *key,
				  const char *title, const char *note,
				  const struct sg_column *columns,
				  size_t count, unsigned flags)
{
	struct sg_table *t = rpt_alloc(b, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->key = rpt_str(b, key);
	t->title = rpt_str(b, title);
	t->note = rpt_str(b, note);
	t->columns = columns;
	t->column_count = count;
	t->flags = flags;
	return b->failed ? NULL : t;
}

static int rpt_mem_rows(const struct sg_table *t, sg_row_fn row, void *arg,
			struct sg_error *err)
{
	const struct rpt_mem *m = t->ctx;
	const struct rpt_mem_row *r;
	int rc;

	for (r = m->head; r != NULL; r = r->next) {
		rc = row(arg, r->cells, err);
		if (rc != 0)
			return rc;
	}
	return SG_OK;
}

struct sg_table *rpt_mem_table(struct sg_built_report *b, const char *key,
			       const char *title, const char *note,
			       const struct sg_column *columns, size_t count,
			       unsigned flags)
{
	struct sg_table *t = rpt_table(b, key, title, note, columns, count,
				       flags);
	struct rpt_mem *m;

	if (t == NULL)
		return NULL;
	m = rpt_alloc(b, sizeof(*m));
	if (m == NULL)
		return NULL;
	t->rows = rpt_mem_rows;
	t->ctx = m;
	return t;
}

struct sg_value *rpt_mem_row(struct sg_built_report *b, struct sg_table *t)
{
	struct rpt_mem *m;
	struct rpt_mem_row *r;

	if (t == NULL || b->failed)
		return NULL;
	m = t->ctx;
	r = rpt_alloc(b, sizeof(*r) + t->column_count * sizeof(r->cells[0]));
	if (r == NULL)
		return NULL;
	/* rpt_alloc() zeroed the cells: type SG_VAL_NONE. */
	if (m->tail != NULL)
		m->tail->next = r;
	else
		m->head = r;
	m->tail = r;
	m->count++;
	return r->cells;
}

size_t rpt_mem_row_count(const struct sg_table *t)
{
	const struct rpt_mem *m = t->ctx;

	return m->count;
}

struct rpt_query_walk {
	const struct rpt_query *q;
	const struct sg_table *t;
	struct sg_value *cells;
	sg_row_fn row;
	void *arg;
};

static int rpt_query_row(void *arg, const void *record, struct sg_error *err)
{
	const struct rpt_query_walk *w = arg;

	memset(w->cells, 0, w->t->column_count * sizeof(*w->cells));
	w->q->convert(w->q, record, w->cells);
	return w->row(w->arg, w->cells, err);
}

static int rpt_query_rows(const struct sg_table *t, sg_row_fn row,
			  void *arg, struct sg_error *err)
{
	struct rpt_query_walk w = { t->ctx, t, NULL, row, arg };
	int rc;

	w.cells = calloc(t->column_count ? t->column_count : 1,
			 sizeof(*w.cells));
	if (w.cells == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "report: %s: out of "
				    "memory", t->key);
	rc = w.q->each(w.q, rpt_query_row, &w, err);
	free(w.cells);
	return rc;
}

struct sg_table *rpt_query_table(struct sg_built_report *b, const char *key,
				 const char *title, const char *note,
				 const struct sg_column *columns,
				 size_t count, unsigned flags,
				 const struct rpt_query *query)
{
	struct sg_table *t = rpt_table(b, key, title, note, columns, count,
				       flags);
	struct rpt_query *q;

	if (t == NULL)
		return NULL;
	q = rpt_alloc(b, sizeof(*q));
	if (q == NULL)
		return NULL;
	*q = *query;
	t->rows = rpt_query_rows;
	t->ctx = q;
	return t;
}

struct sg_chart *rpt_chart(struct sg_built_report *b, const char *key,
			   const char *title, int type,
			   const struct sg_table *table, size_t category,
			   const size_t *values, size_t value_count,
			   const char *x_title, const char *y_title)
{
	struct sg_chart *c = rpt_alloc(b, sizeof(*c));
	size_t *v;

	if (c == NULL || table == NULL)
		return NULL;
	v = rpt_alloc(b, value_count * sizeof(*v));
	if (v == NULL)
		return NULL;
	memcpy(v, values, value_count * sizeof(*v));
	c->key = rpt_str(b, key);
	c->title = rpt_str(b, title);
	c->type = type;
	c->table = table;
	c->category_column = category;
	c->value_columns = v;
	c->value_count = value_count;
	c->x_title = rpt_str(b, x_title);
	c->y_title = rpt_str(b, y_title);
	return b->failed ? NULL : c;
}

/* ---- values ---- */

struct sg_value rpt_v_none(void)
{
	struct sg_value v;

	memset(&v, 0, sizeof(v));
	v.type = SG_VAL_NONE;
	v.time = SG_TIME_NONE;
	return v;
}

struct sg_value rpt_v_na(void)
{
	struct sg_value v = rpt_v_none();

	v.type = SG_VAL_NA;
	return v;
}

struct sg_value rpt_v_text(const char *text)
{
	struct sg_value v = rpt_v_none();

	if (text != NULL) {
		v.type = SG_VAL_TEXT;
		v.text = text;
	}
	return v;
}

struct sg_value rpt_v_int(long long i)
{
	struct sg_value v = rpt_v_none();

	v.type = SG_VAL_INT;
	v.integer = i;
	return v;
}

struct sg_value rpt_v_number(double d, const char *unit)
{
	struct sg_value v = rpt_v_none();

	v.type = SG_VAL_NUMBER;
	v.number = d;
	v.unit = unit;
	return v;
}

struct sg_value rpt_v_percent(double d)
{
	struct sg_value v = rpt_v_none();

	v.type = SG_VAL_PERCENT;
	v.number = d;
	return v;
}

struct sg_value rpt_v_time(sg_time t)
{
	struct sg_value v = rpt_v_none();

	if (t != SG_TIME_NONE) {
		v.type = SG_VAL_TIME;
		v.time = t;
	}
	return v;
}

struct sg_value rpt_v_date(sg_time t)
{
	struct sg_value v = rpt_v_none();

	if (t != SG_TIME_NONE) {
		v.type = SG_VAL_DATE;
		v.time = sg_time_day(t) * 86400;
	}
	return v;
}

struct sg_value rpt_v_json(const char *text)
{
	struct sg_value v = rpt_v_none();

	if (text != NULL) {
		v.type = SG_VAL_JSON;
		v.text = text;
	}
	return v;
}

struct sg_value rpt_v_money(const char *text, const char *currency)
{
	struct sg_value v = rpt_v_none();
	struct sg_decimal d;
	struct sg_error err;

	if (text == NULL || text[0] == '\0' ||
	    sg_decimal_parse(&d, text, strlen(text), &err) != SG_OK)
		return v;
	v.type = SG_VAL_MONEY;
	v.text = text;
	v.number = strtod(text, NULL);
	v.unit = currency != NULL && currency[0] != '\0' ? currency : NULL;
	return v;
}

double rpt_round1(double v)
{
	return round(v * 10.0) / 10.0;
}

static int rpt_ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && strcmp(s + n - m, end) == 0;
}

struct sg_value rpt_measure_value(struct sg_built_report *b,
				  const char *key,
				  const struct sg_measure_row *row)
{
	char buf[SG_DECIMAL_TEXT_SIZE];
	const char *colon, *currency = NULL;

	switch (row->kind) {
	case SG_MK_NA:
		return rpt_v_na();
	case SG_MK_INT:
		return rpt_v_int((long long)row->i);
	case SG_MK_REAL:
		if (rpt_ends_with(key, "_rate"))
			return rpt_v_percent(row->r);
		if (rpt_ends_with(key, "_hours"))
			return rpt_v_number(row->r, "hours");
		if (strstr(key, "days") != NULL)
			return rpt_v_number(row->r, "days");
		return rpt_v_number(row->r, NULL);
	case SG_MK_DECIMAL:
		colon = strchr(key, ':');
		if (colon != NULL && strcmp(colon + 1, "none") != 0)
			currency = rpt_str(b, colon + 1);
		return rpt_v_money(rpt_str(b, sg_decimal_format(&row->d, buf,
								sizeof(buf))),
				   currency);
	default:
		return rpt_v_none();
	}
}
