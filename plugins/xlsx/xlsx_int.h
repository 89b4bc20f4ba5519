/*
 * xlsx_int.h - the xlsx sink's parts, shared by its files (not exported:
 * the module is built with -fvisibility=hidden).
 *
 *   xlsx.c         the descriptor, options, the output file's life cycle
 *   xlsx_layout.c  sheet names and the layout pass: where each block
 *                  goes, how many rows a table has, column widths
 *   xlsx_cells.c   cell formats and one value as one cell
 *   xlsx_blocks.c  headings, paragraphs, tables and charts
 *   xlsx_stream.c  the rows of a list that ends its sheet, written and
 *                  compressed by the sink itself
 *   xlsx_repack.c  those rows put into the workbook libxlsxwriter wrote
 *   xlsx_verify.c  the finished file read back
 *
 * A write renders the report in two passes.  The layout pass names the
 * sheets and places every block, counting the rows of the tables whose
 * size something depends on (a later block on the same sheet, or a chart
 * anywhere that references the table's cells).  The write pass then
 * streams the rows in order, which constant-memory mode requires.
 */
#ifndef XLSX_INT_H
#define XLSX_INT_H

#include <stddef.h>
#include <stdio.h>
#include <xlsxwriter.h>

#include "sg_plugin.h"

/* A test hook: the rows a sheet holds, when set (at least 8). */
#define XLSX_ROW_LIMIT_ENV "SG_XLSX_ROW_LIMIT"
/* A test hook: when set to 1, every row goes through libxlsxwriter, to
 * compare with the rows the sink streams itself. */
#define XLSX_LIBXLSXWRITER_ROWS_ENV "SG_XLSX_LIBXLSXWRITER_ROWS"

/* Rows a chart covers, with blank rows after it: a chart is 288
 * pixels high, 14.4 rows of the default 20 pixels. */
#define XLSX_CHART_ROWS 17u
#define XLSX_CHART_X_SCALE 1.5
/* The longest text a cell holds, in UTF-16 units (Excel's limit). */
#define XLSX_CELL_TEXT_MAX 32767u
/* Distinct currencies given a format of their own. */
#define XLSX_MONEY_MAX 64u
/* Widths in characters. */
#define XLSX_NOTE_WIDTH 60.0
#define XLSX_WIDTH_MAX 80.0
#define XLSX_DEFAULT_WIDTH 8.43
/* A paragraph is merged across columns until about this many
 * characters fit on a line. */
#define XLSX_PARAGRAPH_WIDTH 100.0
#define XLSX_PARAGRAPH_COLS_MAX 12u
/* Rows between two checks of host->cancelled(). */
#define XLSX_CANCEL_EVERY 4096u
#define XLSX_PROGRESS_EVERY 65536u

struct xlsx_money {
	char unit[12];
	lxw_format *format;
};

struct xlsx_formats {
	lxw_format *heading, *title, *paragraph, *note, *header;
	lxw_format *text, *wrap, *integer, *id_integer, *number, *measure;
	lxw_format *percent, *time, *date, *na, *money_plain;
	lxw_format *cf_block, *cf_review, *cf_pause, *cf_allow, *cf_overdue;
	struct xlsx_money money[XLSX_MONEY_MAX];
	size_t money_count;
};

struct xlsx_stream;

/* One sheet: a section of the report. */
struct xlsx_sheet {
	const struct sg_section *section;
	char name[LXW_MAX_SHEETNAME_LENGTH];
	lxw_worksheet *ws;
	unsigned part;          /* its XML is xl/worksheets/sheet<part>.xml */
	/* The rows of the list that ends the sheet, when the sink writes
	 * them itself (xlsx_stream.c); NULL: libxlsxwriter has them all. */
	struct xlsx_stream *stream;
	lxw_row_t *block_row;   /* per block: its first row */
	double *widths;         /* per column: the widest table's wish */
	size_t col_count;
	int frozen, filtered;   /* the first list on the sheet has these */
};

/* One table block: where its cells are. */
struct xlsx_place {
	const struct sg_table *table;
	size_t sheet;           /* index into the sheets */
	size_t block;
	lxw_row_t header_row;   /* the row of the column titles */
	size_t rows;            /* data rows, when counted */
	int counted;
	int needed;             /* a chart or a later block needs rows */
};

struct xlsx_layout {
	struct xlsx_sheet *sheets;
	size_t sheet_count;
	struct xlsx_place *places;
	size_t place_count;
	/* Rows a sheet holds (LXW_ROW_MAX; smaller in tests), and the
	 * sheets a list longer than that continues on, each "NAME (2)",
	 * "NAME (3)"... added as the rows come. */
	lxw_row_t row_limit;
	struct xlsx_sheet **more;
	size_t more_count;
};

/* What a write works with. */
struct xlsx_ctx {
	const struct sg_host *host;
	const char *path;       /* the file the user asked for, for messages */
	const char *tmpdir;     /* where temporary files go */
	/* Lists that end their sheet are streamed (xlsx_stream.c); 0 when
	 * the test hook XLSX_LIBXLSXWRITER_ROWS_ENV asks libxlsxwriter to
	 * write every row. */
	int stream_lists;
	lxw_workbook *wb;
	struct xlsx_formats fmt;
	struct xlsx_layout layout;
	char *scratch;          /* a cleaned copy of one text */
	size_t scratch_cap;
};

/* --- xlsx_layout.c --- */

/*
 * Names the sheets and places every block of report; counts the rows of
 * the tables that must be sized first.  Returns SG_OK, or SG_ERR_SINK for
 * a chart whose table or columns are not in the report, or a table too
 * long for a sheet, or what a table's rows() returned.
 */
int xlsx_layout_build(struct xlsx_ctx *cx, const struct sg_report *report,
		      struct sg_error *err);

void xlsx_layout_release(struct xlsx_layout *layout);

/* Every sheet of the workbook, in the order added: the layout's, then
 * the continuation sheets. */
size_t xlsx_layout_sheet_count(const struct xlsx_layout *layout);
struct xlsx_sheet *xlsx_layout_sheet(const struct xlsx_layout *layout,
				     size_t i);

/* The place of table (by pointer, else by key), or NULL. */
struct xlsx_place *xlsx_layout_find(struct xlsx_layout *layout,
				    const struct sg_table *table);

/*
 * Writes a sheet name for title into out (LXW_MAX_SHEETNAME_LENGTH
 * bytes): characters Excel forbids replaced, at most 31 characters, and
 * different (ignoring case) from the count names in taken.
 */
void xlsx_sheet_name(char *out, const char *title, const char *fallback,
		     const struct xlsx_sheet *taken, size_t count);

/* The width a column gets when it does not say. */
double xlsx_column_width(const struct sg_column *col);

/* --- xlsx_cells.c --- */

/*
 * Decodes the UTF-8 character at s (NUL-terminated): returns its code
 * point and sets *len to its bytes, or returns -1 with *len 1 for a byte
 * that starts no valid character (overlong forms and surrogates
 * included).
 */
long xlsx_utf8_next(const char *s, size_t *len);

/* Adds the formats to cx->wb.  Returns SG_OK or SG_ERR_NOMEM. */
int xlsx_formats_init(struct xlsx_ctx *cx, struct sg_error *err);

/*
 * text made safe for a cell: valid UTF-8 (bad bytes become U+FFFD) and at
 * most XLSX_CELL_TEXT_MAX units.  Returns text itself when it already is,
 * else a copy in cx->scratch (valid until the next call); NULL when out
 * of memory.
 */
const char *xlsx_clean_text(struct xlsx_ctx *cx, const char *text);

/*
 * Writes one value at (row, col) in the format its type and the column's
 * role call for.  Text is always written as a string, never a formula.
 * Returns SG_OK or SG_ERR_SINK / SG_ERR_NOMEM with err set.
 */
int xlsx_write_value(struct xlsx_ctx *cx, struct xlsx_sheet *sh,
		     lxw_row_t row, lxw_col_t col, const struct sg_value *v,
		     const struct sg_column *column, struct sg_error *err);

/* Writes text at (row, col) in format; text may be NULL (nothing). */
int xlsx_write_text(struct xlsx_ctx *cx, struct xlsx_sheet *sh,
		    lxw_row_t row, lxw_col_t col, const char *text,
		    lxw_format *format, struct sg_error *err);

/* Turns a libxlsxwriter error into SG_ERR_SINK naming the sheet and
 * cell. */
int xlsx_cell_error(struct sg_error *err, const struct xlsx_sheet *sh,
		    lxw_row_t row, lxw_col_t col, lxw_error rc);

/* --- xlsx_blocks.c --- */

/* Writes every block of every sheet.  Returns SG_OK or an error. */
int xlsx_write_sheets(struct xlsx_ctx *cx, struct sg_error *err);

/* --- xlsx_stream.c --- */

/*
 * A list's rows, written as libxlsxwriter would write them, compressed
 * on worker threads into a temporary file in tmpdir.  Cells come in
 * order: rows increasing, columns increasing within a row.  Returns
 * SG_OK, SG_ERR_NOMEM, or SG_ERR_IO when no temporary file can be made.
 */
int xlsx_stream_new(struct xlsx_stream **out, const char *tmpdir,
		    struct sg_error *err);

/* Frees the stream and its temporary file; accepts NULL. */
void xlsx_stream_free(struct xlsx_stream *s);

/* One cell of text (already made safe by xlsx_clean_text; empty text
 * writes nothing), or a number, in format (NULL: none).  SG_OK, or
 * SG_ERR_IO / SG_ERR_NOMEM / SG_ERR_SINK with err set. */
int xlsx_stream_text(struct xlsx_stream *s, lxw_row_t row, lxw_col_t col,
		     const char *text, lxw_format *format,
		     struct sg_error *err);
/* Room for a number as "%.16G" writes it. */
#define XLSX_NUMBER_MAX 48
/* Writes x as snprintf's "%.16G" does (libxlsxwriter's number format)
 * into out (XLSX_NUMBER_MAX bytes): its length.  Numbers of 1e-4 to 1e15
 * are rounded here with integers, not by printf (at a million
 * opportunities its arbitrary-precision path was a tenth of writing
 * the lists). */
size_t xlsx_format_number(char *out, double x);

int xlsx_stream_number(struct xlsx_stream *s, lxw_row_t row, lxw_col_t col,
		       double x, lxw_format *format, struct sg_error *err);

/* Ends the rows: the compressed data is complete, ended on a byte
 * boundary without a final block, so the rest of the sheet follows it. */
int xlsx_stream_end(struct xlsx_stream *s, struct sg_error *err);

/* The cells written: *any 0 when none, else their rows and columns. */
void xlsx_stream_extent(const struct xlsx_stream *s, int *any,
			lxw_row_t *row_min, lxw_col_t *col_min,
			lxw_row_t *row_max, lxw_col_t *col_max);

/* After xlsx_stream_end(): the file holding the compressed rows, their
 * CRC-32, their length as XML and compressed. */
void xlsx_stream_packed(const struct xlsx_stream *s, FILE **file,
			unsigned long *crc, unsigned long long *raw_len,
			unsigned long long *packed_len);

/* --- xlsx_repack.c --- */

/*
 * Rewrites the workbook libxlsxwriter wrote at src (read through its
 * descriptor src_fd) into dst_fd: every member copied as it is, but the
 * sheets with rows of their own, whose rows go before </sheetData> and
 * whose dimension grows to hold them.  Returns SG_OK, or SG_ERR_IO /
 * SG_ERR_SINK naming what failed.
 */
int xlsx_repack(struct xlsx_ctx *cx, int src_fd, int dst_fd,
		struct sg_error *err);

/* The sheets of the layout whose rows were streamed. */
size_t xlsx_streamed_count(const struct xlsx_layout *L);

/* The sheet with streamed rows whose XML part is name[0, len), or
 * NULL. */
struct xlsx_sheet *xlsx_streamed_sheet(const struct xlsx_layout *L,
				       const char *name, size_t len);

/* --- xlsx_verify.c --- */

/* Before the workbook closes: its sheets' temporary row files wrote
 * every byte (SG_ERR_IO naming the sheet otherwise). */
int xlsx_check_row_files(lxw_workbook *wb, struct sg_error *err);

/* The finished file reads back: each member inflates with its CRC
 * right, each sheet ends with its closing tag (SG_ERR_IO otherwise).
 * The sheets streamed in layout streamed (NULL: none) are only
 * listed: they were checked as they were written. */
int xlsx_verify_file(const char *path, const struct xlsx_layout *streamed,
		     struct sg_error *err);

#endif
