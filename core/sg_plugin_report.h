/*
 * sg_plugin_report.h - the renderer-neutral report a sink plugin is given:
 * typed values, columns, tables whose rows are pushed, charts, blocks,
 * sections.  Part of the plugin ABI: include sg_plugin.h, which includes
 * this.
 */
#ifndef SG_PLUGIN_REPORT_H
#define SG_PLUGIN_REPORT_H

#include <stddef.h>

#include "util/sg_error.h"
#include "util/sg_time.h"

/* --- Sink input: what a run produced, as a const view. ---
 *
 * reports/ decides what a report says; a sink decides how it looks.  A
 * report is renderer-neutral: sections (a workbook's sheets) holding
 * headings, paragraphs, titled tables with typed columns, and charts
 * whose series are columns of a table of the same report.  Table rows are
 * pushed to the sink one at a time (rows()), so a sink that streams (an
 * xlsx in constant-memory mode, a JSON lines file) writes half a million
 * rows in bounded memory.  rows() may be called more than once; each call
 * yields the same rows in the same order. */

/* The type of one value.  A column declares the type of its cells, or
 * SG_VAL_MIXED when each cell says (a measure may be a count, a ratio or
 * an amount); a cell is always either of its own stated type or NONE. */
enum sg_value_type {
	SG_VAL_NONE = 0,        /* empty: no value (JSON null) */
	SG_VAL_NA,              /* not applicable ("n/a"; JSON null) */
	SG_VAL_TEXT,            /* text from anywhere, the CRM included:
				 * always written as text, never a formula */
	SG_VAL_INT,             /* .integer */
	SG_VAL_NUMBER,          /* .number */
	SG_VAL_PERCENT,         /* .number, a ratio: 0.25 is 25 % */
	SG_VAL_MONEY,           /* .text the exact decimal ("1200.50"),
				 * .number the same as a double, .unit the
				 * ISO currency code or NULL */
	SG_VAL_TIME,            /* .time, UTC, second precision */
	SG_VAL_DATE,            /* .time, midnight UTC of the day */
	SG_VAL_JSON,            /* .text, one JSON value: machine outputs
				 * embed it, people's outputs show it */
	SG_VAL_MIXED = 100      /* columns only: each cell says */
};

struct sg_value {
	int type;               /* enum sg_value_type */
	const char *text;
	long long integer;
	double number;
	sg_time time;
	const char *unit;       /* MONEY: currency; NUMBER: "days", "hours" */
};

/* What a column means to a reader, so a renderer can present it. */
enum sg_column_role {
	SG_ROLE_PLAIN = 0,
	SG_ROLE_ID,             /* an identifier: never reformatted */
	SG_ROLE_VERDICT,        /* allow / review / block / pause: coloured */
	SG_ROLE_NOTE,           /* long prose: wrapped */
	SG_ROLE_STATUS          /* a state a reader scans for ("overdue") */
};

struct sg_column {
	const char *key;        /* machine name: "opportunity_id" */
	const char *title;      /* a reader's name: "Opportunity" */
	int type;               /* enum sg_value_type, or SG_VAL_MIXED */
	int role;               /* enum sg_column_role */
	unsigned width;         /* characters; 0: the renderer decides */
};

/* Table flags. */
#define SG_TABLE_LIST 0x1u      /* a record list a reader filters and
				 * scrolls: header frozen, autofilter */

struct sg_table;

/* Called once per row; cells[i] is the value of column i, valid during
 * the call.  A nonzero return stops rows() and is returned by it. */
typedef int (*sg_row_fn)(void *arg, const struct sg_value *cells,
			 struct sg_error *err);

struct sg_table {
	const char *key;        /* machine name, unique in the report */
	const char *title;
	const char *note;       /* optional paragraph shown with the table */
	const struct sg_column *columns;
	size_t column_count;
	unsigned flags;         /* SG_TABLE_* */
	/* Pushes every row to row(); returns SG_OK, row()'s nonzero return
	 * or a negative status with err set. */
	int (*rows)(const struct sg_table *table, sg_row_fn row, void *arg,
		    struct sg_error *err);
	void *ctx;              /* the producer's, for rows() */
};

enum sg_chart_type {
	SG_CHART_COLUMN = 1,    /* vertical bars, series side by side */
	SG_CHART_BAR,           /* horizontal bars */
	SG_CHART_LINE
};

struct sg_chart {
	const char *key;
	const char *title;
	int type;               /* enum sg_chart_type */
	const struct sg_table *table; /* the data: a table of this report */
	size_t category_column; /* the labels along the axis */
	const size_t *value_columns; /* one series each, named by title */
	size_t value_count;
	const char *x_title, *y_title; /* axis titles; NULL for none */
};

enum sg_block_type {
	SG_BLOCK_HEADING = 1,   /* .text */
	SG_BLOCK_TEXT,          /* .text: a paragraph of plain prose */
	SG_BLOCK_TABLE,         /* .table */
	SG_BLOCK_CHART          /* .chart */
};

struct sg_block {
	int type;               /* enum sg_block_type */
	const char *text;
	const struct sg_table *table;
	const struct sg_chart *chart;
};

/* A section: one sheet of a workbook, one chapter of a document. */
struct sg_section {
	const char *key;        /* machine name: "exceptions" */
	const char *title;      /* at most 31 characters (a sheet name) */
	const struct sg_block *blocks;
	size_t block_count;
};

struct sg_report {
	const char *key;        /* "leadership", "metrics" */
	const char *title;
	sg_time as_of;          /* what the report is as of; also the time a
				 * renderer stamps on its output, so the same
				 * ledger gives byte-identical files */
	const struct sg_section *sections;
	size_t section_count;
};

#endif
