/*
 * xlsx_blocks.c - the write pass: every block of every sheet, top to
 * bottom, at the rows the layout pass gave it.
 *
 * Rows are written in increasing order on each sheet, as constant-memory
 * mode requires; what is stored rather than streamed (column widths,
 * frozen panes, the autofilter, conditional formats, charts) is set
 * whenever it is known.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xlsx_int.h"

/* Excel's tallest row, in points; the default row is 15. */
#define XLSX_ROW_HEIGHT_MAX 409.0
#define XLSX_ROW_HEIGHT 15.0
#define XLSX_HEADING_HEIGHT 20.0
/* Prose is narrower than the digit '0' a column width is measured in. */
#define XLSX_PROSE_FACTOR 1.15
#define XLSX_LABEL_MAX 256

static const char *xlsx_or(const char *s, const char *fallback)
{
	return s != NULL && s[0] != '\0' ? s : fallback;
}

static double xlsx_col_width(const struct xlsx_sheet *sh, size_t j)
{
	if (j < sh->col_count && sh->widths[j] > 0)
		return sh->widths[j];
	return XLSX_DEFAULT_WIDTH;
}

/* Lines text takes in a cell width characters wide. */
static double xlsx_lines(const char *text, double width)
{
	double per = width * XLSX_PROSE_FACTOR, lines = 0, chars = 0;
	size_t off = 0, len;

	for (;;) {
		if (text[off] == '\n' || text[off] == '\0') {
			double l = chars / per;
			double whole = (double)(long)l;

			if (chars == 0)
				lines += 1;
			else
				lines += l > whole ? whole + 1 : whole;
			chars = 0;
			if (text[off] == '\0')
				break;
			off++;
			continue;
		}
		(void)xlsx_utf8_next(text + off, &len);
		off += len;
		chars++;
	}
	return lines;
}

/*
 * A paragraph: one row, merged across enough columns for about
 * XLSX_PARAGRAPH_WIDTH characters a line, wrapped, the row as tall as
 * the text needs (Excel does not size merged rows itself).
 */
static int xlsx_paragraph(struct xlsx_ctx *cx, struct xlsx_sheet *sh,
			  lxw_row_t row, const char *text, lxw_format *format,
			  struct sg_error *err)
{
	double width = 0, height;
	const char *clean;
	lxw_col_t span = 0;
	lxw_error rc;

	if (text == NULL || text[0] == '\0')
		return SG_OK;
	while (span < XLSX_PARAGRAPH_COLS_MAX &&
	       width < XLSX_PARAGRAPH_WIDTH)
		width += xlsx_col_width(sh, span++);
	clean = xlsx_clean_text(cx, text);
	if (clean == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	height = xlsx_lines(clean, width) * XLSX_ROW_HEIGHT;
	if (height > XLSX_ROW_HEIGHT_MAX)
		height = XLSX_ROW_HEIGHT_MAX;
	rc = worksheet_set_row(sh->ws, row, height, NULL);
	if (rc == LXW_NO_ERROR)
		rc = worksheet_merge_range(sh->ws, row, 0, row, span - 1,
					   clean, format);
	if (rc != LXW_NO_ERROR)
		return xlsx_cell_error(err, sh, row, 0, rc);
	return SG_OK;
}

static int xlsx_heading(struct xlsx_ctx *cx, struct xlsx_sheet *sh,
			lxw_row_t row, const char *text, struct sg_error *err)
{
	lxw_error rc = worksheet_set_row(sh->ws, row, XLSX_HEADING_HEIGHT,
					 NULL);

	if (rc != LXW_NO_ERROR)
		return xlsx_cell_error(err, sh, row, 0, rc);
	return xlsx_write_text(cx, sh, row, 0, text, cx->fmt.heading, err);
}

/* What one table's rows() call writes with. */
struct xlsx_rows {
	struct xlsx_ctx *cx;
	struct xlsx_sheet *sh;  /* where rows go now */
	const struct sg_table *table;
	lxw_row_t row;
	lxw_row_t header;       /* the column titles' row on sh */
	size_t piece_rows;      /* rows on sh */
	unsigned piece;         /* 1, then 2, 3... on continuation sheets */
	const struct xlsx_sheet *first;
	size_t n, total;
	int failed;             /* the error is ours, already placed */
	char label[LXW_MAX_SHEETNAME_LENGTH + 8];
};

static int xlsx_table_finish(struct xlsx_ctx *cx, struct xlsx_sheet *sh,
			     const struct sg_table *t, lxw_row_t header,
			     size_t rows, struct sg_error *err);

static int xlsx_name_used(const struct xlsx_layout *L, const char *name)
{
	size_t i;

	for (i = 0; i < xlsx_layout_sheet_count(L); i++)
		if (strcasecmp(xlsx_layout_sheet(L, i)->name, name) == 0)
			return 1;
	return 0;
}

/* "NAME (k)" for the k-th piece of the first sheet's list, within
 * Excel's 31 characters and not taken (k grows until it is free). */
static void xlsx_piece_name(const struct xlsx_layout *L,
			    const struct xlsx_sheet *first, unsigned k,
			    char *out)
{
	char suffix[16];
	size_t keep, n;

	for (;; k++) {
		n = (size_t)snprintf(suffix, sizeof(suffix), " (%u)", k);
		keep = strlen(first->name);
		if (keep + n > LXW_SHEETNAME_MAX)
			keep = LXW_SHEETNAME_MAX - n;
		/* Never cut a UTF-8 sequence. */
		while (keep > 0 &&
		       ((unsigned char)first->name[keep] & 0xC0) == 0x80)
			keep--;
		snprintf(out, LXW_MAX_SHEETNAME_LENGTH, "%.*s%s", (int)keep,
			 first->name, suffix);
		if (!xlsx_name_used(L, out))
			return;
	}
}

/*
 * Hands the rows after the column titles on sh to a stream of the sink's
 * own.  libxlsxwriter still holds the titles' row, and gives its format a
 * style index only when it writes that row out: the index is taken now,
 * so the indexes come in the order they would without the stream.
 */
static int xlsx_stream_begin(struct xlsx_ctx *cx, struct xlsx_sheet *sh,
			     struct sg_error *err)
{
	(void)lxw_format_get_xf_index(cx->fmt.header);
	return xlsx_stream_new(&sh->stream, cx->tmpdir, err);
}

/* Ends sh's stream, if it has one: its rows are complete. */
static int xlsx_stream_done(struct xlsx_sheet *sh, struct sg_error *err)
{
	if (sh->stream == NULL)
		return SG_OK;
	if (xlsx_stream_end(sh->stream, err) != SG_OK)
		return sg_error_prefix(err, "sheet \"%s\": ", sh->name);
	return SG_OK;
}

/* The sheet is full: says where the list goes on, finishes this piece,
 * and starts the next sheet with the column titles. */
static int xlsx_continue(struct xlsx_rows *r, struct sg_error *err)
{
	struct xlsx_ctx *cx = r->cx;
	struct xlsx_layout *L = &cx->layout;
	const struct sg_table *t = r->table;
	struct xlsx_sheet *next, **grown;
	char note[LXW_MAX_SHEETNAME_LENGTH + 64];
	size_t j;
	int rc;

	next = calloc(1, sizeof(*next));
	grown = realloc(L->more, (L->more_count + 1) * sizeof(*grown));
	if (next == NULL || grown == NULL) {
		free(next);
		if (grown != NULL)
			L->more = grown;
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	L->more = grown;
	next->section = r->first->section;
	xlsx_piece_name(L, r->first, r->piece + 1, next->name);
	L->more[L->more_count++] = next;
	snprintf(note, sizeof(note), "Continued on sheet \"%s\".",
		 next->name);
	rc = xlsx_table_finish(cx, r->sh, t, r->header, r->piece_rows, err);
	if (rc == SG_OK)
		rc = xlsx_write_text(cx, r->sh, r->row, 0, note, cx->fmt.note,
				     err);
	if (rc == SG_OK)
		rc = xlsx_stream_done(r->sh, err);
	if (rc != SG_OK)
		return rc;
	next->ws = workbook_add_worksheet(cx->wb, next->name);
	if (next->ws == NULL)
		return sg_error_set(err, SG_ERR_SINK, "cannot add sheet \"%s\" "
				    "to %s: out of memory, or no room for "
				    "temporary files in its folder",
				    next->name, cx->path);
	next->part = (unsigned)xlsx_layout_sheet_count(L);
	for (j = 0; j < r->first->col_count; j++)
		if (r->first->widths[j] > 0)
			worksheet_set_column(next->ws, (lxw_col_t)j,
					     (lxw_col_t)j,
					     r->first->widths[j], NULL);
	for (j = 0; j < t->column_count; j++) {
		const struct sg_column *c = &t->columns[j];

		rc = xlsx_write_text(cx, next, 0, (lxw_col_t)j,
				     xlsx_or(c->title, xlsx_or(c->key, "?")),
				     cx->fmt.header, err);
		if (rc != SG_OK)
			return rc;
	}
	if (r->first->stream != NULL) {
		rc = xlsx_stream_begin(cx, next, err);
		if (rc != SG_OK)
			return rc;
	}
	r->sh = next;
	r->header = 0;
	r->row = 1;
	r->piece_rows = 0;
	r->piece++;
	return SG_OK;
}

static int xlsx_table_row(void *arg, const struct sg_value *cells,
			  struct sg_error *err)
{
	struct xlsx_rows *r = arg;
	const struct sg_host *host = r->cx->host;
	size_t j;
	int rc;

	/* The last row of a sheet says where the list goes on. */
	if (r->row + 1 >= r->cx->layout.row_limit) {
		rc = xlsx_continue(r, err);
		if (rc != SG_OK) {
			r->failed = 1;
			return rc;
		}
	}
	for (j = 0; j < r->table->column_count; j++) {
		rc = xlsx_write_value(r->cx, r->sh, r->row, (lxw_col_t)j,
				      &cells[j], &r->table->columns[j], err);
		if (rc != SG_OK) {
			r->failed = 1;
			return rc;
		}
	}
	r->row++;
	r->n++;
	r->piece_rows++;
	if (host == NULL)
		return 0;
	if (r->n % XLSX_CANCEL_EVERY == 0 && host->cancelled != NULL &&
	    host->cancelled(host->ctx)) {
		r->failed = 1;
		return sg_error_set(err, SG_ERR_CANCELLED, "cancelled");
	}
	if (r->n % XLSX_PROGRESS_EVERY == 0 && host->progress != NULL)
		host->progress(host->ctx, r->label, r->n, r->total);
	return 0;
}

/* Colours a verdict or status column's data cells. */
static int xlsx_highlight(struct xlsx_ctx *cx, struct xlsx_sheet *sh,
			  lxw_row_t first, lxw_row_t last, lxw_col_t col,
			  int role, struct sg_error *err)
{
	static const char *const verdicts[] = {
		"\"block\"", "\"review\"", "\"pause\"", "\"allow\""
	};
	lxw_format *looks[4];
	char value[16];
	size_t i, n;
	lxw_error rc;

	looks[0] = cx->fmt.cf_block;
	looks[1] = cx->fmt.cf_review;
	looks[2] = cx->fmt.cf_pause;
	looks[3] = cx->fmt.cf_allow;
	n = role == SG_ROLE_VERDICT ? 4 : 1;
	for (i = 0; i < n; i++) {
		lxw_conditional_format cf;

		memset(&cf, 0, sizeof(cf));
		cf.type = LXW_CONDITIONAL_TYPE_CELL;
		cf.criteria = LXW_CONDITIONAL_CRITERIA_EQUAL_TO;
		snprintf(value, sizeof(value), "%s",
			 role == SG_ROLE_VERDICT ? verdicts[i] :
			 "\"overdue\"");
		cf.value_string = value;
		cf.format = role == SG_ROLE_VERDICT ? looks[i] :
			cx->fmt.cf_overdue;
		rc = worksheet_conditional_format_range(sh->ws, first, col,
							last, col, &cf);
		if (rc != LXW_NO_ERROR)
			return xlsx_cell_error(err, sh, first, col, rc);
	}
	return SG_OK;
}

/* After a table's rows: a list's frozen header and autofilter, and the
 * colours of its verdict and status columns. */
static int xlsx_table_finish(struct xlsx_ctx *cx, struct xlsx_sheet *sh,
			     const struct sg_table *t, lxw_row_t header,
			     size_t rows, struct sg_error *err)
{
	lxw_row_t last = header + (lxw_row_t)rows;
	size_t j;
	lxw_error rc;
	int st;

	if (t->column_count == 0)
		return SG_OK;
	if ((t->flags & SG_TABLE_LIST) != 0 && !sh->frozen) {
		worksheet_freeze_panes(sh->ws, header + 1, 0);
		sh->frozen = 1;
	}
	/* Excel keeps one autofilter per sheet: the first list's. */
	if ((t->flags & SG_TABLE_LIST) != 0 && !sh->filtered) {
		rc = worksheet_autofilter(sh->ws, header, 0, last,
					  (lxw_col_t)(t->column_count - 1));
		if (rc != LXW_NO_ERROR)
			return xlsx_cell_error(err, sh, header, 0, rc);
		sh->filtered = 1;
	}
	if (rows == 0)
		return SG_OK;
	for (j = 0; j < t->column_count; j++) {
		int role = t->columns[j].role;

		if (role != SG_ROLE_VERDICT && role != SG_ROLE_STATUS)
			continue;
		st = xlsx_highlight(cx, sh, header + 1, last, (lxw_col_t)j,
				    role, err);
		if (st != SG_OK)
			return st;
	}
	return SG_OK;
}

static struct xlsx_place *xlsx_place_of(struct xlsx_layout *L, size_t s,
					size_t b)
{
	size_t i;

	for (i = 0; i < L->place_count; i++)
		if (L->places[i].sheet == s && L->places[i].block == b)
			return &L->places[i];
	return NULL;
}

static int xlsx_table(struct xlsx_ctx *cx, size_t s, size_t b,
		      struct sg_error *err)
{
	struct xlsx_sheet *sh = &cx->layout.sheets[s];
	struct xlsx_place *p = xlsx_place_of(&cx->layout, s, b);
	const struct sg_table *t;
	struct xlsx_rows r;
	lxw_row_t row;
	size_t j;
	int rc;

	if (p == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "xlsx: sheet \"%s\", block %zu: not laid "
				    "out", sh->name, b + 1);
	t = p->table;
	row = sh->block_row[b];
	if (t->title != NULL && t->title[0] != '\0') {
		rc = xlsx_write_text(cx, sh, row++, 0, t->title,
				     cx->fmt.title, err);
		if (rc != SG_OK)
			return rc;
	}
	if (t->note != NULL && t->note[0] != '\0') {
		rc = xlsx_paragraph(cx, sh, row++, t->note, cx->fmt.note, err);
		if (rc != SG_OK)
			return rc;
	}
	for (j = 0; j < t->column_count; j++) {
		const struct sg_column *c = &t->columns[j];

		rc = xlsx_write_text(cx, sh, p->header_row, (lxw_col_t)j,
				     xlsx_or(c->title, xlsx_or(c->key, "?")),
				     cx->fmt.header, err);
		if (rc != SG_OK)
			return rc;
	}
	/* A list that ends its sheet may be long: its rows are written
	 * by the sink itself (xlsx_stream.c). */
	if ((t->flags & SG_TABLE_LIST) != 0 && cx->stream_lists &&
	    b + 1 == sh->section->block_count) {
		rc = xlsx_stream_begin(cx, sh, err);
		if (rc != SG_OK)
			return rc;
	}
	memset(&r, 0, sizeof(r));
	r.cx = cx;
	r.sh = sh;
	r.first = sh;
	r.piece = 1;
	r.header = p->header_row;
	r.table = t;
	r.row = p->header_row + 1;
	r.total = p->counted ? p->rows : 0;
	snprintf(r.label, sizeof(r.label), "xlsx: %s", sh->name);
	rc = t->rows(t, xlsx_table_row, &r, err);
	if (rc > 0)
		rc = sg_error_set(err, SG_ERR_INTERNAL, "rows() returned %d",
				  rc);
	if (rc != SG_OK) {
		if (r.failed)
			return rc;
		return sg_error_prefix(err, "sheet \"%s\": table \"%s\": ",
				       sh->name, xlsx_or(t->key, "?"));
	}
	if (p->counted && r.n != p->rows)
		return sg_error_set(err, SG_ERR_SINK,
				    "sheet \"%s\": table \"%s\" gave %zu "
				    "rows, then %zu: rows() must give the "
				    "same rows each time (a bug in the "
				    "report)",
				    sh->name, xlsx_or(t->key, "?"), p->rows,
				    r.n);
	p->rows = r.n;
	p->counted = 1;
	rc = xlsx_stream_done(r.sh, err);
	if (rc != SG_OK)
		return rc;
	return xlsx_table_finish(cx, r.sh, t, r.header, r.piece_rows, err);
}

/* A label for a chart: libxlsxwriter reads a leading '=' as a formula. */
static const char *xlsx_label(struct xlsx_ctx *cx, const char *text,
			      char *buf)
{
	const char *clean = xlsx_clean_text(cx, text);
	size_t n = 0, off = 0, len;

	if (clean == NULL)
		clean = "";
	if (clean[0] == '=')
		buf[n++] = ' ';
	while (clean[off] != '\0') {
		(void)xlsx_utf8_next(clean + off, &len);
		if (n + len >= XLSX_LABEL_MAX)
			break;
		memcpy(buf + n, clean + off, len);
		n += len;
		off += len;
	}
	buf[n] = '\0';
	return buf;
}

static int xlsx_chart(struct xlsx_ctx *cx, size_t s, size_t b,
		      struct sg_error *err)
{
	static const uint8_t types[] = {
		0, LXW_CHART_COLUMN, LXW_CHART_BAR, LXW_CHART_LINE
	};
	struct xlsx_sheet *sh = &cx->layout.sheets[s];
	const struct sg_chart *c = sh->section->blocks[b].chart;
	struct xlsx_place *p = xlsx_layout_find(&cx->layout, c->table);
	lxw_row_t row = sh->block_row[b], r0, r1;
	lxw_chart_options opt;
	const struct xlsx_sheet *tsh;
	const struct sg_column *cols;
	char label[XLSX_LABEL_MAX];
	lxw_col_t cat;
	lxw_chart *chart;
	lxw_error rc;
	size_t i;
	int all_percent = 1;

	if (p == NULL || !p->counted)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "xlsx: chart on sheet \"%s\" not laid out",
				    sh->name);
	if (p->rows == 0) {
		char text[XLSX_LABEL_MAX + 32];

		snprintf(text, sizeof(text), "%s: no data to chart yet.",
			 xlsx_label(cx, xlsx_or(c->title, "Chart"), label));
		return xlsx_write_text(cx, sh, row, 0, text, cx->fmt.note,
				       err);
	}
	tsh = &cx->layout.sheets[p->sheet];
	cols = p->table->columns;
	cat = (lxw_col_t)c->category_column;
	r0 = p->header_row + 1;
	r1 = p->header_row + (lxw_row_t)p->rows;
	chart = workbook_add_chart(cx->wb, types[c->type]);
	if (chart == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	for (i = 0; i < c->value_count; i++) {
		lxw_col_t v = (lxw_col_t)c->value_columns[i];
		lxw_chart_series *ser = chart_add_series(chart, NULL, NULL);

		if (ser == NULL)
			return sg_error_set(err, SG_ERR_NOMEM,
					    "out of memory");
		chart_series_set_categories(ser, tsh->name, r0, cat, r1, cat);
		chart_series_set_values(ser, tsh->name, r0, v, r1, v);
		/* The series' name is its column title, in the cell. */
		chart_series_set_name_range(ser, tsh->name, p->header_row, v);
		if (cols[v].type != SG_VAL_PERCENT)
			all_percent = 0;
	}
	if (c->title != NULL && c->title[0] != '\0')
		chart_title_set_name(chart, xlsx_label(cx, c->title, label));
	if (c->x_title != NULL && c->x_title[0] != '\0')
		chart_axis_set_name(chart->x_axis,
				    xlsx_label(cx, c->x_title, label));
	if (c->y_title != NULL && c->y_title[0] != '\0')
		chart_axis_set_name(chart->y_axis,
				    xlsx_label(cx, c->y_title, label));
	if (cols[cat].type == SG_VAL_DATE)
		chart_axis_set_num_format(chart->x_axis, "yyyy-mm-dd");
	if (all_percent)
		chart_axis_set_num_format(chart->y_axis, "0%");
	if (c->value_count == 1)
		chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
	memset(&opt, 0, sizeof(opt));
	opt.x_scale = XLSX_CHART_X_SCALE;
	opt.y_scale = 1.0;
	rc = worksheet_insert_chart_opt(sh->ws, row, 0, chart, &opt);
	if (rc != LXW_NO_ERROR)
		return xlsx_cell_error(err, sh, row, 0, rc);
	return SG_OK;
}

/* Adds the sheets (all of them first: a chart may reference a later
 * one) with their column widths. */
static int xlsx_add_sheets(struct xlsx_ctx *cx, struct sg_error *err)
{
	struct xlsx_layout *L = &cx->layout;
	size_t s, j;

	for (s = 0; s < L->sheet_count; s++) {
		struct xlsx_sheet *sh = &L->sheets[s];

		sh->ws = workbook_add_worksheet(cx->wb, sh->name);
		sh->part = (unsigned)s + 1;
		if (sh->ws == NULL)
			return sg_error_set(err, SG_ERR_SINK,
					    "cannot add sheet \"%s\" to %s: "
					    "out of memory, or no room for "
					    "temporary files in its folder",
					    sh->name, cx->path);
		for (j = 0; j < sh->col_count; j++) {
			if (sh->widths[j] <= 0)
				continue;
			worksheet_set_column(sh->ws, (lxw_col_t)j,
					     (lxw_col_t)j, sh->widths[j],
					     NULL);
		}
	}
	return SG_OK;
}

int xlsx_write_sheets(struct xlsx_ctx *cx, struct sg_error *err)
{
	struct xlsx_layout *L = &cx->layout;
	size_t s, b;
	int rc;

	rc = xlsx_add_sheets(cx, err);
	if (rc != SG_OK)
		return rc;
	for (s = 0; s < L->sheet_count; s++) {
		struct xlsx_sheet *sh = &L->sheets[s];

		for (b = 0; b < sh->section->block_count; b++) {
			const struct sg_block *blk = &sh->section->blocks[b];
			lxw_row_t row = sh->block_row[b];

			switch (blk->type) {
			case SG_BLOCK_HEADING:
				rc = xlsx_heading(cx, sh, row, blk->text, err);
				break;
			case SG_BLOCK_TEXT:
				rc = xlsx_paragraph(cx, sh, row, blk->text,
						    cx->fmt.paragraph, err);
				break;
			case SG_BLOCK_TABLE:
				rc = xlsx_table(cx, s, b, err);
				break;
			case SG_BLOCK_CHART:
				rc = xlsx_chart(cx, s, b, err);
				break;
			default:
				rc = SG_OK;
				break;
			}
			if (rc != SG_OK)
				return rc;
		}
	}
	return SG_OK;
}
