/*
 * xlsx_layout.c - the layout pass: sheet names, where each block starts,
 * how many rows the tables that must be sized first have, and column
 * widths.  Nothing is written to the workbook here.
 *
 * A sheet is laid out top to bottom: a heading takes one row, a paragraph
 * one row and a blank one, a table its title row (when titled), its note
 * row (when it has one), the row of column titles, its rows and a blank
 * row, a chart XLSX_CHART_ROWS rows.  So a block's first row depends on
 * the row counts of the tables above it on its sheet, and a chart's ranges
 * on its table's count: those tables are counted by a rows() call that
 * only counts (rows() may be called more than once).  The last table of a
 * sheet that no chart uses is never counted: a half-million-row exception
 * list is read once.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xlsx_int.h"

/* A sheet name Excel keeps for itself. */
#define XLSX_RESERVED_NAME "History"

static int xlsx_name_taken(const char *name, const struct xlsx_sheet *taken,
			   size_t count)
{
	size_t i;

	if (strcasecmp(name, XLSX_RESERVED_NAME) == 0)
		return 1;
	for (i = 0; i < count; i++)
		if (strcasecmp(name, taken[i].name) == 0)
			return 1;
	return 0;
}

/* Bytes of the longest prefix of s (valid UTF-8) within max_units UTF-16
 * units. */
static size_t xlsx_cut_units(const char *s, size_t max_units)
{
	size_t off = 0, units = 0, len;
	long cp;

	while (s[off] != '\0') {
		cp = xlsx_utf8_next(s + off, &len);
		if (units + (cp > 0xFFFF ? 2u : 1u) > max_units)
			break;
		units += cp > 0xFFFF ? 2u : 1u;
		off += len;
	}
	return off;
}

void xlsx_sheet_name(char *out, const char *title, const char *fallback,
		     const struct xlsx_sheet *taken, size_t count)
{
	static const char forbidden[] = "[]:*?/\\";
	char base[LXW_MAX_SHEETNAME_LENGTH];
	const char *src = title;
	size_t off = 0, n = 0, units = 0, len, cut;
	unsigned k;
	long cp;

	if (src == NULL || src[0] == '\0')
		src = fallback;
	if (src == NULL || src[0] == '\0')
		src = "Sheet";
	while (src[off] != '\0') {
		cp = xlsx_utf8_next(src + off, &len);
		if (units + (cp > 0xFFFF ? 2u : 1u) > LXW_SHEETNAME_MAX)
			break;
		units += cp > 0xFFFF ? 2u : 1u;
		if (cp < 0x20 || cp == 0x7f ||
		    (cp < 0x80 && strchr(forbidden, (int)cp) != NULL)) {
			base[n++] = '_';
		} else {
			memcpy(base + n, src + off, len);
			n += len;
		}
		off += len;
	}
	base[n] = '\0';
	/* Excel refuses an apostrophe at either end. */
	if (n > 0 && base[0] == '\'')
		base[0] = '_';
	if (n > 0 && base[n - 1] == '\'')
		base[n - 1] = '_';
	if (n == 0)
		strcpy(base, "Sheet");
	strcpy(out, base);
	for (k = 2; xlsx_name_taken(out, taken, count); k++) {
		char suffix[16];
		size_t sl = (size_t)snprintf(suffix, sizeof(suffix), " (%u)",
					     k);

		cut = xlsx_cut_units(base, LXW_SHEETNAME_MAX - sl);
		memcpy(out, base, cut);
		memcpy(out + cut, suffix, sl + 1);
	}
}

/* Characters in a column title (code points). */
static size_t xlsx_text_chars(const char *s)
{
	size_t off = 0, n = 0, len;

	if (s == NULL)
		return 0;
	while (s[off] != '\0') {
		(void)xlsx_utf8_next(s + off, &len);
		off += len;
		n++;
	}
	return n;
}

double xlsx_column_width(const struct sg_column *col)
{
	double w, t;

	if (col->width > 0)
		return col->width > 255 ? 255.0 : (double)col->width;
	if (col->role == SG_ROLE_NOTE)
		return XLSX_NOTE_WIDTH;
	switch (col->type) {
	case SG_VAL_TEXT:
		w = 16;
		break;
	case SG_VAL_JSON:
		w = 30;
		break;
	case SG_VAL_INT:
	case SG_VAL_PERCENT:
		w = 10;
		break;
	case SG_VAL_NUMBER:
		w = 12;
		break;
	case SG_VAL_MONEY:
		w = 16;
		break;
	case SG_VAL_TIME:
		w = 17;
		break;
	case SG_VAL_DATE:
		w = 12;
		break;
	case SG_VAL_MIXED:
		w = 14;
		break;
	default:
		w = 10;
		break;
	}
	if (col->role == SG_ROLE_ID && w < 16)
		w = 16;
	/* The header row wraps, so a long title needs only part of its
	 * length. */
	t = (double)xlsx_text_chars(col->title) + 3;
	if (t > 32)
		t = 32;
	if (t > w)
		w = t;
	return w > XLSX_WIDTH_MAX ? XLSX_WIDTH_MAX : w;
}

void xlsx_layout_release(struct xlsx_layout *layout)
{
	size_t i;

	for (i = 0; i < layout->sheet_count; i++) {
		free(layout->sheets[i].block_row);
		free(layout->sheets[i].widths);
		xlsx_stream_free(layout->sheets[i].stream);
	}
	for (i = 0; i < layout->more_count; i++) {
		xlsx_stream_free(layout->more[i]->stream);
		free(layout->more[i]);
	}
	free(layout->more);
	free(layout->sheets);
	free(layout->places);
	memset(layout, 0, sizeof(*layout));
}

size_t xlsx_layout_sheet_count(const struct xlsx_layout *layout)
{
	return layout->sheet_count + layout->more_count;
}

struct xlsx_sheet *xlsx_layout_sheet(const struct xlsx_layout *layout,
				     size_t i)
{
	return i < layout->sheet_count ? &layout->sheets[i] :
	       layout->more[i - layout->sheet_count];
}

struct xlsx_place *xlsx_layout_find(struct xlsx_layout *layout,
				    const struct sg_table *table)
{
	size_t i;

	for (i = 0; i < layout->place_count; i++)
		if (layout->places[i].table == table)
			return &layout->places[i];
	if (table == NULL || table->key == NULL || table->key[0] == '\0')
		return NULL;
	for (i = 0; i < layout->place_count; i++) {
		const struct sg_table *t = layout->places[i].table;

		if (t->key != NULL && strcmp(t->key, table->key) == 0)
			return &layout->places[i];
	}
	return NULL;
}

static const char *xlsx_or(const char *s, const char *fallback)
{
	return s != NULL && s[0] != '\0' ? s : fallback;
}

/* Checks one block's shape; returns SG_OK or SG_ERR_SINK. */
static int xlsx_check_block(const struct xlsx_sheet *sh, size_t b,
			    const struct sg_block *blk, struct sg_error *err)
{
	const struct sg_table *t = blk->table;

	switch (blk->type) {
	case SG_BLOCK_HEADING:
	case SG_BLOCK_TEXT:
		return SG_OK;
	case SG_BLOCK_TABLE:
		if (t == NULL)
			break;
		if (t->rows == NULL || (t->column_count > 0 &&
					t->columns == NULL))
			return sg_error_set(err, SG_ERR_SINK,
					    "sheet \"%s\": table \"%s\" has "
					    "no rows() or no columns (a bug "
					    "in the report)", sh->name,
					    xlsx_or(t->key, "?"));
		if (t->column_count > LXW_COL_MAX)
			return sg_error_set(err, SG_ERR_SINK,
					    "sheet \"%s\": table \"%s\" has "
					    "%zu columns, more than a sheet "
					    "holds (%d)", sh->name,
					    xlsx_or(t->key, "?"),
					    t->column_count, LXW_COL_MAX);
		return SG_OK;
	case SG_BLOCK_CHART:
		if (blk->chart == NULL)
			break;
		return SG_OK;
	default:
		return sg_error_set(err, SG_ERR_SINK,
				    "sheet \"%s\", block %zu: unknown block "
				    "type %d (a bug in the report)", sh->name,
				    b + 1, blk->type);
	}
	return sg_error_set(err, SG_ERR_SINK,
			    "sheet \"%s\", block %zu: a %s block without its "
			    "%s (a bug in the report)", sh->name, b + 1,
			    blk->type == SG_BLOCK_TABLE ? "table" : "chart",
			    blk->type == SG_BLOCK_TABLE ? "table" : "chart");
}

/* Finds a chart's table and checks its columns; marks the table as one
 * whose rows must be counted. */
static int xlsx_check_chart(struct xlsx_layout *L, const struct xlsx_sheet *sh,
			    const struct sg_chart *c, struct sg_error *err)
{
	struct xlsx_place *p = xlsx_layout_find(L, c->table);
	const char *ck = xlsx_or(c->key, xlsx_or(c->title, "?"));
	size_t i, n;

	if (p == NULL)
		return sg_error_set(err, SG_ERR_SINK,
				    "sheet \"%s\": chart \"%s\": its table "
				    "\"%s\" is not a table of the report (a "
				    "chart's data must be; a bug in the "
				    "report)", sh->name, ck,
				    c->table != NULL ?
				    xlsx_or(c->table->key, "?") : "(none)");
	n = p->table->column_count;
	if (c->value_count == 0 || c->value_columns == NULL)
		return sg_error_set(err, SG_ERR_SINK,
				    "sheet \"%s\": chart \"%s\" has no value "
				    "column (a bug in the report)", sh->name,
				    ck);
	if (c->category_column >= n)
		return sg_error_set(err, SG_ERR_SINK,
				    "sheet \"%s\": chart \"%s\": category "
				    "column %zu is not a column of table "
				    "\"%s\" (%zu columns)", sh->name, ck,
				    c->category_column,
				    xlsx_or(p->table->key, "?"), n);
	for (i = 0; i < c->value_count; i++)
		if (c->value_columns[i] >= n)
			return sg_error_set(err, SG_ERR_SINK,
					    "sheet \"%s\": chart \"%s\": "
					    "value column %zu is not a column "
					    "of table \"%s\" (%zu columns)",
					    sh->name, ck, c->value_columns[i],
					    xlsx_or(p->table->key, "?"), n);
	if (c->type != SG_CHART_COLUMN && c->type != SG_CHART_BAR &&
	    c->type != SG_CHART_LINE)
		return sg_error_set(err, SG_ERR_SINK,
				    "sheet \"%s\": chart \"%s\": unknown "
				    "chart type %d", sh->name, ck, c->type);
	p->needed = 1;
	return SG_OK;
}

struct xlsx_counter {
	const struct sg_host *host;
	size_t rows;
};

static int xlsx_count_row(void *arg, const struct sg_value *cells,
			  struct sg_error *err)
{
	struct xlsx_counter *c = arg;

	(void)cells;
	c->rows++;
	if (c->rows % XLSX_CANCEL_EVERY == 0 && c->host != NULL &&
	    c->host->cancelled != NULL && c->host->cancelled(c->host->ctx))
		return sg_error_set(err, SG_ERR_CANCELLED, "cancelled");
	return 0;
}

static int xlsx_count(struct xlsx_ctx *cx, struct xlsx_place *p,
		      struct sg_error *err)
{
	struct xlsx_counter c = {cx->host, 0};
	int rc;

	rc = p->table->rows(p->table, xlsx_count_row, &c, err);
	if (rc > 0)
		rc = sg_error_set(err, SG_ERR_INTERNAL,
				  "table \"%s\": rows() returned %d",
				  xlsx_or(p->table->key, "?"), rc);
	if (rc != SG_OK)
		return sg_error_prefix(err, "sheet \"%s\": table \"%s\": ",
				       cx->layout.sheets[p->sheet].name,
				       xlsx_or(p->table->key, "?"));
	p->rows = c.rows;
	p->counted = 1;
	return SG_OK;
}

/* Rows a table block spans above its column titles: title, note. */
static lxw_row_t xlsx_table_head(const struct sg_table *t)
{
	lxw_row_t n = 0;

	if (t->title != NULL && t->title[0] != '\0')
		n++;
	if (t->note != NULL && t->note[0] != '\0')
		n++;
	return n;
}

static int xlsx_too_long(const struct xlsx_sheet *sh,
			 const struct xlsx_place *p, struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_SINK,
			    "sheet \"%s\": table \"%s\" has %zu rows, more "
			    "than a sheet holds (%d)", sh->name,
			    xlsx_or(p->table->key, "?"), p->rows,
			    LXW_ROW_MAX);
}

/* Places the blocks of one sheet; every table but maybe the last is
 * counted by now. */
static int xlsx_place_sheet(struct xlsx_layout *L, size_t s, size_t *next,
			    struct sg_error *err)
{
	struct xlsx_sheet *sh = &L->sheets[s];
	const struct sg_section *sec = sh->section;
	unsigned long long row = 0;
	size_t b;

	for (b = 0; b < sec->block_count; b++) {
		const struct sg_block *blk = &sec->blocks[b];
		struct xlsx_place *p;

		if (row >= LXW_ROW_MAX)
			return sg_error_set(err, SG_ERR_SINK,
					    "sheet \"%s\": more rows than a "
					    "sheet holds (%d)", sh->name,
					    LXW_ROW_MAX);
		sh->block_row[b] = (lxw_row_t)row;
		switch (blk->type) {
		case SG_BLOCK_HEADING:
			row += 1;
			break;
		case SG_BLOCK_TEXT:
			row += 2;
			break;
		case SG_BLOCK_CHART:
			row += XLSX_CHART_ROWS;
			break;
		case SG_BLOCK_TABLE:
			p = &L->places[(*next)++];
			p->header_row = (lxw_row_t)row +
				xlsx_table_head(p->table);
			row = (unsigned long long)p->header_row + 1 +
				p->rows + 1;
			if (p->counted && p->header_row + 1 + p->rows >
			    LXW_ROW_MAX)
				return xlsx_too_long(sh, p, err);
			break;
		default:
			break;
		}
	}
	return SG_OK;
}

static int xlsx_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

int xlsx_layout_build(struct xlsx_ctx *cx, const struct sg_report *report,
		      struct sg_error *err)
{
	struct xlsx_layout *L = &cx->layout;
	size_t s, b, j, k = 0, tables = 0;
	int rc;

	for (s = 0; s < report->section_count; s++)
		for (b = 0; b < report->sections[s].block_count; b++)
			if (report->sections[s].blocks[b].type ==
			    SG_BLOCK_TABLE)
				tables++;
	L->sheets = calloc(report->section_count, sizeof(*L->sheets));
	L->places = calloc(tables + 1, sizeof(*L->places));
	if (L->sheets == NULL || L->places == NULL)
		return xlsx_nomem(err);
	/* Names and shapes. */
	for (s = 0; s < report->section_count; s++) {
		const struct sg_section *sec = &report->sections[s];
		struct xlsx_sheet *sh = &L->sheets[s];

		sh->section = sec;
		xlsx_sheet_name(sh->name, sec->title, sec->key, L->sheets, s);
		L->sheet_count = s + 1;
		if (sec->block_count > 0 && sec->blocks == NULL)
			return sg_error_set(err, SG_ERR_SINK,
					    "sheet \"%s\": blocks missing (a "
					    "bug in the report)", sh->name);
		sh->block_row = calloc(sec->block_count + 1,
				       sizeof(*sh->block_row));
		if (sh->block_row == NULL)
			return xlsx_nomem(err);
		for (b = 0; b < sec->block_count; b++) {
			const struct sg_block *blk = &sec->blocks[b];

			rc = xlsx_check_block(sh, b, blk, err);
			if (rc != SG_OK)
				return rc;
			if (blk->type != SG_BLOCK_TABLE)
				continue;
			L->places[k].table = blk->table;
			L->places[k].sheet = s;
			L->places[k].block = b;
			/* A table with a block after it must be sized. */
			L->places[k].needed = b + 1 < sec->block_count;
			L->place_count = ++k;
			if (blk->table->column_count > sh->col_count)
				sh->col_count = blk->table->column_count;
		}
		sh->widths = calloc(sh->col_count + 1, sizeof(*sh->widths));
		if (sh->widths == NULL)
			return xlsx_nomem(err);
	}
	/* Widths: the widest wish of the tables on the sheet. */
	for (k = 0; k < L->place_count; k++) {
		const struct sg_table *t = L->places[k].table;
		struct xlsx_sheet *sh = &L->sheets[L->places[k].sheet];

		for (j = 0; j < t->column_count; j++) {
			double w = xlsx_column_width(&t->columns[j]);

			if (w > sh->widths[j])
				sh->widths[j] = w;
		}
	}
	/* Charts: their tables must be counted. */
	for (s = 0; s < L->sheet_count; s++) {
		const struct sg_section *sec = L->sheets[s].section;

		for (b = 0; b < sec->block_count; b++) {
			if (sec->blocks[b].type != SG_BLOCK_CHART)
				continue;
			rc = xlsx_check_chart(L, &L->sheets[s],
					      sec->blocks[b].chart, err);
			if (rc != SG_OK)
				return rc;
		}
	}
	for (k = 0; k < L->place_count; k++) {
		if (!L->places[k].needed)
			continue;
		rc = xlsx_count(cx, &L->places[k], err);
		if (rc != SG_OK)
			return rc;
	}
	k = 0;
	for (s = 0; s < L->sheet_count; s++) {
		rc = xlsx_place_sheet(L, s, &k, err);
		if (rc != SG_OK)
			return rc;
	}
	return SG_OK;
}
