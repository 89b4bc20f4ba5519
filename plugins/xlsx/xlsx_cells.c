/*
 * xlsx_cells.c - cell formats, and one value of a table as one cell.
 *
 * Text of any origin (a CRM name "=HYPERLINK(...)" included) goes through
 * worksheet_write_string(), so it is a string cell and never a formula.
 * Numbers are numbers, dates and times real Excel date-times (UTC), money
 * a number with a currency format, so a reader can sort, sum and filter.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlsx_int.h"

/* The Excel date range: 1900-01-01 to 9999-12-31 23:59:59 UTC. */
#define XLSX_TIME_MIN (-2208988800LL)
#define XLSX_TIME_MAX 253402300799LL

long xlsx_utf8_next(const char *s, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n, i;
	long cp;

	*len = 1;
	if (u[0] < 0x80)
		return u[0];
	if (u[0] >= 0xC2 && u[0] <= 0xDF) {
		n = 2;
		cp = u[0] & 0x1F;
	} else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
		n = 3;
		cp = u[0] & 0x0F;
	} else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
		n = 4;
		cp = u[0] & 0x07;
	} else {
		return -1;
	}
	/* A NUL fails the continuation test, so no read passes the end. */
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (u[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*len = n;
	return cp;
}

static int xlsx_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		(c >= 'A' && c <= 'F');
}

/* "_xHHHH_" at s: Excel reads it as an escaped character, so a literal
 * one must have its '_' escaped as "_x005F_". */
static int xlsx_is_escape(const char *s)
{
	return s[0] == '_' && s[1] == 'x' && xlsx_is_hex(s[2]) &&
		xlsx_is_hex(s[3]) && xlsx_is_hex(s[4]) &&
		xlsx_is_hex(s[5]) && s[6] == '_';
}

/* What one character becomes: 0 kept, 1 replaced by U+FFFD, 2 escaped. */
static int xlsx_char_fix(const char *s, long cp)
{
	if (cp < 0 || cp == 0xFFFE || cp == 0xFFFF)
		return 1;
	if (cp == '_' && xlsx_is_escape(s))
		return 2;
	return 0;
}

const char *xlsx_clean_text(struct xlsx_ctx *cx, const char *text)
{
	size_t off = 0, units = 0, len, n = 0, need;
	long cp;
	int dirty = 0;

	while (text[off] != '\0') {
		if ((unsigned char)text[off] < 0x80 && text[off] != '_') {
			off++;
			if (++units > XLSX_CELL_TEXT_MAX)
				break;
			continue;
		}
		cp = xlsx_utf8_next(text + off, &len);
		units += cp > 0xFFFF ? 2u : 1u;
		if (units > XLSX_CELL_TEXT_MAX || xlsx_char_fix(text + off,
								 cp) != 0) {
			dirty = 1;
			break;
		}
		off += len;
	}
	if (!dirty && units <= XLSX_CELL_TEXT_MAX)
		return text;
	/* The slow path: a copy, at most 7 bytes per input byte. */
	need = strlen(text) * 7 + 1;
	if (need > cx->scratch_cap) {
		char *p = realloc(cx->scratch, need);

		if (p == NULL)
			return NULL;
		cx->scratch = p;
		cx->scratch_cap = need;
	}
	off = 0;
	units = 0;
	while (text[off] != '\0') {
		int fix;

		cp = xlsx_utf8_next(text + off, &len);
		fix = xlsx_char_fix(text + off, cp);
		units += fix == 2 ? 7u : cp > 0xFFFF ? 2u : 1u;
		if (units > XLSX_CELL_TEXT_MAX)
			break;
		switch (fix) {
		case 1:
			memcpy(cx->scratch + n, "\xEF\xBF\xBD", 3);
			n += 3;
			break;
		case 2:
			memcpy(cx->scratch + n, "_x005F_", 7);
			n += 7;
			break;
		default:
			memcpy(cx->scratch + n, text + off, len);
			n += len;
			break;
		}
		off += len;
	}
	cx->scratch[n] = '\0';
	return cx->scratch;
}

int xlsx_cell_error(struct sg_error *err, const struct xlsx_sheet *sh,
		    lxw_row_t row, lxw_col_t col, lxw_error rc)
{
	char cell[32];

	lxw_rowcol_to_cell(cell, row, col);
	return sg_error_set(err, SG_ERR_SINK, "sheet \"%s\", cell %s: %s",
			    sh->name, cell, lxw_strerror(rc));
}

static lxw_format *xlsx_format(struct xlsx_ctx *cx, int top,
			       const char *num_format)
{
	lxw_format *f = workbook_add_format(cx->wb);

	if (f == NULL)
		return NULL;
	if (top)
		format_set_align(f, LXW_ALIGN_VERTICAL_TOP);
	if (num_format != NULL)
		format_set_num_format(f, num_format);
	return f;
}

/* A conditional format's look: a fill and a font colour. */
static lxw_format *xlsx_cf(struct xlsx_ctx *cx, lxw_color_t bg,
			   lxw_color_t fg, int bold)
{
	lxw_format *f = workbook_add_format(cx->wb);

	if (f == NULL)
		return NULL;
	format_set_bg_color(f, bg);
	format_set_font_color(f, fg);
	if (bold)
		format_set_bold(f);
	return f;
}

int xlsx_formats_init(struct xlsx_ctx *cx, struct sg_error *err)
{
	struct xlsx_formats *f = &cx->fmt;

	f->heading = xlsx_format(cx, 0, NULL);
	f->title = xlsx_format(cx, 0, NULL);
	f->paragraph = xlsx_format(cx, 1, NULL);
	f->note = xlsx_format(cx, 1, NULL);
	f->header = xlsx_format(cx, 1, NULL);
	f->text = xlsx_format(cx, 1, NULL);
	f->wrap = xlsx_format(cx, 1, NULL);
	f->integer = xlsx_format(cx, 1, "#,##0");
	f->id_integer = xlsx_format(cx, 1, "0");
	f->number = xlsx_format(cx, 1, NULL);
	f->measure = xlsx_format(cx, 1, "#,##0.0");
	f->percent = xlsx_format(cx, 1, "0.0%");
	f->time = xlsx_format(cx, 1, "yyyy-mm-dd hh:mm");
	f->date = xlsx_format(cx, 1, "yyyy-mm-dd");
	f->na = xlsx_format(cx, 1, NULL);
	f->money_plain = xlsx_format(cx, 1, "#,##0.00");
	f->cf_block = xlsx_cf(cx, 0xFFC7CE, 0x9C0006, 0);
	f->cf_review = xlsx_cf(cx, 0xFFEB9C, 0x9C5700, 0);
	f->cf_pause = xlsx_cf(cx, 0xD9D9D9, 0x3F3F3F, 0);
	f->cf_allow = xlsx_cf(cx, 0xC6EFCE, 0x006100, 0);
	f->cf_overdue = xlsx_cf(cx, 0xFFC7CE, 0x9C0006, 1);
	if (f->heading == NULL || f->title == NULL || f->paragraph == NULL ||
	    f->note == NULL || f->header == NULL || f->text == NULL ||
	    f->wrap == NULL || f->integer == NULL || f->id_integer == NULL ||
	    f->number == NULL || f->measure == NULL || f->percent == NULL ||
	    f->time == NULL || f->date == NULL || f->na == NULL ||
	    f->money_plain == NULL || f->cf_block == NULL ||
	    f->cf_review == NULL || f->cf_pause == NULL ||
	    f->cf_allow == NULL || f->cf_overdue == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	format_set_bold(f->heading);
	format_set_font_size(f->heading, 14);
	format_set_bold(f->title);
	format_set_font_size(f->title, 12);
	format_set_text_wrap(f->paragraph);
	format_set_italic(f->note);
	format_set_text_wrap(f->note);
	format_set_font_color(f->note, 0x595959);
	format_set_bold(f->header);
	format_set_text_wrap(f->header);
	format_set_bg_color(f->header, 0xD9E1F2);
	format_set_bottom(f->header, LXW_BORDER_THIN);
	format_set_text_wrap(f->wrap);
	format_set_font_color(f->na, 0x808080);
	return SG_OK;
}

/* The format for money in unit: '#,##0.00 "EUR"'; made once per
 * currency (up to XLSX_MONEY_MAX, then without the code). */
static lxw_format *xlsx_money(struct xlsx_ctx *cx, const char *unit)
{
	struct xlsx_formats *f = &cx->fmt;
	char code[sizeof(f->money[0].unit)], nf[64];
	size_t i, n = 0;

	for (i = 0; unit != NULL && unit[i] != '\0'; i++) {
		char c = unit[i];

		/* A code goes inside quotes in the format: letters and
		 * digits only. */
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9')) || n + 1 >= sizeof(code))
			return f->money_plain;
		code[n++] = c;
	}
	code[n] = '\0';
	if (n == 0)
		return f->money_plain;
	for (i = 0; i < f->money_count; i++)
		if (strcmp(f->money[i].unit, code) == 0)
			return f->money[i].format;
	if (f->money_count == XLSX_MONEY_MAX)
		return f->money_plain;
	snprintf(nf, sizeof(nf), "#,##0.00 \"%s\"", code);
	f->money[f->money_count].format = xlsx_format(cx, 1, nf);
	if (f->money[f->money_count].format == NULL)
		return f->money_plain;
	memcpy(f->money[f->money_count].unit, code, n + 1);
	return f->money[f->money_count++].format;
}

int xlsx_write_text(struct xlsx_ctx *cx, struct xlsx_sheet *sh,
		    lxw_row_t row, lxw_col_t col, const char *text,
		    lxw_format *format, struct sg_error *err)
{
	const char *clean;
	lxw_error rc;

	if (text == NULL || text[0] == '\0')
		return SG_OK;
	clean = xlsx_clean_text(cx, text);
	if (clean == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	if (sh->stream != NULL)
		return xlsx_stream_text(sh->stream, row, col, clean, format,
					err);
	rc = worksheet_write_string(sh->ws, row, col, clean, format);
	if (rc != LXW_NO_ERROR)
		return xlsx_cell_error(err, sh, row, col, rc);
	return SG_OK;
}

static int xlsx_write_number(struct xlsx_sheet *sh, lxw_row_t row,
			     lxw_col_t col, double x, lxw_format *format,
			     struct sg_error *err)
{
	lxw_error rc;

	if (sh->stream != NULL)
		return xlsx_stream_number(sh->stream, row, col, x, format,
					  err);
	rc = worksheet_write_number(sh->ws, row, col, x, format);
	if (rc != LXW_NO_ERROR)
		return xlsx_cell_error(err, sh, row, col, rc);
	return SG_OK;
}

/* t as ISO-8601 text for any year (sg_time_format_iso() stops at
 * 9999). */
static const char *xlsx_iso_any(sg_time t, int date, char *buf, size_t size)
{
	int64_t days = sg_time_day(t), secs = t - days * 86400, y;
	int m, d;

	sg_civil_from_days(days, &y, &m, &d);
	if (date)
		snprintf(buf, size, "%04lld-%02d-%02d", (long long)y, m, d);
	else
		snprintf(buf, size, "%04lld-%02d-%02dT%02lld:%02lld:%02lldZ",
			 (long long)y, m, d, (long long)(secs / 3600),
			 (long long)(secs / 60 % 60), (long long)(secs % 60));
	return buf;
}

static int xlsx_write_time(struct xlsx_ctx *cx, struct xlsx_sheet *sh,
			   lxw_row_t row, lxw_col_t col, sg_time t,
			   int date, struct sg_error *err)
{
	char buf[96];
	lxw_error rc;

	if (t == SG_TIME_NONE)
		return SG_OK;
	if (date)
		t = sg_time_day(t) * 86400;
	/* Outside Excel's dates: the ISO text, so nothing is lost. */
	if (t < XLSX_TIME_MIN || t > XLSX_TIME_MAX)
		return xlsx_write_text(cx, sh, row, col,
				       xlsx_iso_any(t, date, buf, sizeof(buf)),
				       cx->fmt.text, err);
	if (sh->stream != NULL)
		return xlsx_stream_number(sh->stream, row, col,
					  lxw_unixtime_to_excel_date_epoch(
						  t, LXW_EPOCH_1900),
					  date ? cx->fmt.date : cx->fmt.time,
					  err);
	rc = worksheet_write_unixtime(sh->ws, row, col, t,
				      date ? cx->fmt.date : cx->fmt.time);
	if (rc != LXW_NO_ERROR)
		return xlsx_cell_error(err, sh, row, col, rc);
	return SG_OK;
}

int xlsx_write_value(struct xlsx_ctx *cx, struct xlsx_sheet *sh,
		     lxw_row_t row, lxw_col_t col, const struct sg_value *v,
		     const struct sg_column *column, struct sg_error *err)
{
	struct xlsx_formats *f = &cx->fmt;
	double x;

	switch (v->type) {
	case SG_VAL_NONE:
		return SG_OK;
	case SG_VAL_NA:
		return xlsx_write_text(cx, sh, row, col, "n/a", f->na, err);
	case SG_VAL_TEXT:
	case SG_VAL_JSON:
		return xlsx_write_text(cx, sh, row, col, v->text,
				       column->role == SG_ROLE_NOTE ?
				       f->wrap : f->text, err);
	case SG_VAL_INT:
		return xlsx_write_number(sh, row, col, (double)v->integer,
					 column->role == SG_ROLE_ID ?
					 f->id_integer : f->integer, err);
	case SG_VAL_NUMBER:
	case SG_VAL_PERCENT:
	case SG_VAL_MONEY:
		x = v->number;
		if (v->type == SG_VAL_MONEY && !isfinite(x) &&
		    v->text != NULL)
			x = strtod(v->text, NULL);
		/* Excel has no NaN or infinity. */
		if (!isfinite(x))
			return xlsx_write_text(cx, sh, row, col, "n/a", f->na,
					       err);
		if (v->type == SG_VAL_PERCENT)
			return xlsx_write_number(sh, row, col, x, f->percent,
						 err);
		if (v->type == SG_VAL_MONEY)
			return xlsx_write_number(sh, row, col, x,
						 xlsx_money(cx, v->unit), err);
		return xlsx_write_number(sh, row, col, x,
					 v->unit != NULL &&
					 (strcmp(v->unit, "days") == 0 ||
					  strcmp(v->unit, "hours") == 0) ?
					 f->measure : f->number, err);
	case SG_VAL_TIME:
	case SG_VAL_DATE:
		return xlsx_write_time(cx, sh, row, col, v->time,
				       v->type == SG_VAL_DATE, err);
	default:
		break;
	}
	return sg_error_set(err, SG_ERR_SINK,
			    "sheet \"%s\": column \"%s\": unknown value type "
			    "%d (a bug in the report)", sh->name,
			    column->key != NULL ? column->key : "?", v->type);
}
