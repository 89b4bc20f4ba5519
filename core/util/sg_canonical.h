/*
 * sg_canonical.h - the canonical CSV layout (DESIGN §3, §10 rule 6,
 * docs/csv-mapping.md): which files there are, what each is called, which
 * must exist, and their columns in canonical order with what each holds.
 *
 * The one place the layout is written down: the csv source reads it, the
 * evidence writer writes it, the gate takes its columns as JSON keys and
 * the model knows its opportunity fields from it.  Every column has a
 * named index (SG_OPP_AMOUNT...); the table is built from those indexes,
 * so the two cannot disagree.
 *
 * Everything returned here is static and constant: borrowed, never freed.
 */
#ifndef SG_CANONICAL_H
#define SG_CANONICAL_H

#include <stddef.h>
#include <stdio.h>

/* The canonical files, in the order the csv source reads them. */
enum sg_canonical_file {
	SG_CANON_OWNERS = 0,
	SG_CANON_OPPORTUNITIES,
	SG_CANON_STAGE_HISTORY,
	SG_CANON_FIELD_HISTORY,
	SG_CANON_ACTIVITIES,
	SG_CANON_EVIDENCE,
	SG_CANON_FILE_COUNT
};

/* The columns of each file, in canonical order. */
enum sg_canon_owner_col {
	SG_OWNER_ID = 0,
	SG_OWNER_NAME,
	SG_OWNER_EMAIL,
	SG_OWNER_MANAGER_ID,
	SG_OWNER_TEAM,
	SG_OWNER_COL_COUNT
};

enum sg_canon_opportunity_col {
	SG_OPP_ID = 0,
	SG_OPP_NAME,
	SG_OPP_PIPELINE,
	SG_OPP_STAGE,
	SG_OPP_OWNER_ID,
	SG_OPP_AMOUNT,
	SG_OPP_CURRENCY,
	SG_OPP_CLOSE_DATE,
	SG_OPP_FORECAST_CATEGORY,
	SG_OPP_CREATED_AT,
	SG_OPP_NEXT_STEP,
	SG_OPP_NEXT_STEP_DATE,
	SG_OPP_COL_COUNT
};

/* stage_history.csv: one stage event per row. */
enum sg_canon_stage_event_col {
	SG_EVENT_OPPORTUNITY_ID = 0,
	SG_EVENT_FROM_STAGE,
	SG_EVENT_TO_STAGE,
	SG_EVENT_CHANGED_AT,
	SG_EVENT_CHANGED_BY,
	SG_EVENT_SOURCE,
	SG_EVENT_COL_COUNT
};

/* field_history.csv: one field change per row. */
enum sg_canon_field_change_col {
	SG_CHANGE_OPPORTUNITY_ID = 0,
	SG_CHANGE_FIELD,
	SG_CHANGE_OLD_VALUE,
	SG_CHANGE_NEW_VALUE,
	SG_CHANGE_CHANGED_AT,
	SG_CHANGE_COL_COUNT
};

enum sg_canon_activity_col {
	SG_ACTIVITY_ID = 0,
	SG_ACTIVITY_OPPORTUNITY_ID,
	SG_ACTIVITY_TYPE,
	SG_ACTIVITY_PARTY,
	SG_ACTIVITY_OCCURRED_AT,
	SG_ACTIVITY_ACTOR,
	SG_ACTIVITY_SUBJECT,
	SG_ACTIVITY_COL_COUNT
};

enum sg_canon_evidence_col {
	SG_EVIDENCE_OPPORTUNITY_ID = 0,
	SG_EVIDENCE_CRITERION,
	SG_EVIDENCE_VALUE,
	SG_EVIDENCE_PARTY,
	SG_EVIDENCE_OBSERVED_AT,
	SG_EVIDENCE_REF,
	SG_EVIDENCE_COL_COUNT
};

/* The most columns of one canonical file (opportunities). */
#define SG_CANON_COLUMNS_MAX 12

/* What a column holds (flags of struct sg_canon_column). */
#define SG_CANON_REQUIRED 0x01u  /* the column must be present */
#define SG_CANON_TIME 0x02u      /* a time; empty or missing is absent */
#define SG_CANON_TIME_REQ 0x04u  /* a time that must be given */
#define SG_CANON_AMOUNT 0x08u    /* a plain decimal or a missing value */
#define SG_CANON_STAGE 0x10u     /* a stage id (or a label to map) */

struct sg_canon_column {
	const char *name;       /* "close_date": header name and JSON key */
	unsigned flags;         /* SG_CANON_* */
};

struct sg_canon_file {
	const char *kind;       /* "opportunities" */
	const char *file;       /* "opportunities.csv" */
	int required;           /* a source folder must have the file */
	const struct sg_canon_column *columns; /* column_count of them */
	size_t column_count;
};

/* The definition of file (enum sg_canonical_file), or NULL when file is
 * out of range.  Static: never freed. */
const struct sg_canon_file *sg_canonical_file(int file);

/* The file whose kind name is kind ("stage_history"), or -1 when none
 * is (kind may be NULL). */
int sg_canonical_find_kind(const char *kind);

/* The file whose file name is name ("stage_history.csv"), or -1 when
 * none is (name may be NULL). */
int sg_canonical_find_file(const char *name);

/* The index of column name in file (the file's column enum), or -1 when
 * file is out of range or has no such column (name may be NULL). */
int sg_canonical_find_column(int file, const char *name);

/*
 * Writes the column names of file, in canonical order, as "id, name, ..."
 * into buf (size bytes, at least 1); a list too long is cut.  Returns
 * buf, which holds "" when file is out of range.
 */
const char *sg_canonical_column_names(int file, char *buf, size_t size);

/*
 * Writes the header line of file (its columns in canonical order, then
 * extra_count more names, as opportunities.csv has) to fp, each field as
 * RFC 4180 asks.  Write errors show in ferror(fp).
 */
void sg_canonical_write_header(FILE *fp, int file, const char *const *extra,
			       size_t extra_count);

/*
 * Writes one line of file: values[i] is column i of the file's column
 * enum (SG_EVENT_FROM_STAGE...; NULL: empty), then the extra_count extra
 * values.  Write errors show in ferror(fp).
 */
void sg_canonical_write_row(FILE *fp, int file, const char *const *values,
			    const char *const *extra, size_t extra_count);

#endif
