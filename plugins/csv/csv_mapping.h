/*
 * csv_mapping.h - the csv source's view of its input: the canonical files
 * and their fields (DESIGN §3, §10 rule 6), and the optional mapping that
 * reads a CRM's own export instead (docs/csv-mapping.md).
 *
 * Internal to the csv plugin; nothing here is exported.
 */
#ifndef CSV_MAPPING_H
#define CSV_MAPPING_H

#include <stddef.h>

#include "sg_error.h"
#include "sg_time.h"

/* The canonical files, in the order the source reads them. */
enum csv_kind {
	CSV_OWNERS = 0,
	CSV_OPPORTUNITIES,
	CSV_STAGE_HISTORY,
	CSV_FIELD_HISTORY,
	CSV_ACTIVITIES,
	CSV_EVIDENCE,
	CSV_KIND_COUNT
};

/* The most fields of one canonical file. */
#define CSV_FIELDS_MAX 12

/* What a canonical field holds. */
#define CSV_F_REQUIRED 0x01u   /* the column must be present */
#define CSV_F_TIME 0x02u       /* a time; empty or missing is absent */
#define CSV_F_TIME_REQ 0x04u   /* a time that must be given */
#define CSV_F_AMOUNT 0x08u     /* a plain decimal or a missing value */
#define CSV_F_STAGE 0x10u      /* a stage: labels go through "stages" */

struct csv_field_def {
	const char *name;
	unsigned flags;
};

struct csv_kind_def {
	const char *name;       /* "opportunities" */
	const char *file;       /* "opportunities.csv" */
	int required;           /* the file must exist */
	const struct csv_field_def *fields;
	size_t field_count;
};

/* The definition of a canonical file (kind < CSV_KIND_COUNT). */
const struct csv_kind_def *csv_kind_def(int kind);

/* The index of field name in kind, or -1. */
int csv_field_index(int kind, const char *name);

/* Writes the field names of kind ("id, name, ...") into buf; returns
 * buf. */
const char *csv_field_names(int kind, char *buf, size_t size);

/* How a time column is read: ISO-8601 when format is NULL; zone applies
 * to a date-time without an offset (NULL: such a time is an error). */
struct csv_time_rule {
	char *format;
	struct sg_zone *zone;
	char *zone_name;
};

enum csv_source_type {
	CSV_SRC_NONE = 0,       /* not given: the empty string */
	CSV_SRC_COLUMN,         /* a column of the file, by header name */
	CSV_SRC_CONST           /* the same text on every row */
};

struct csv_source {
	int type;
	char *text;             /* column name or constant */
};

enum csv_extra_mode {
	CSV_EXTRA_REST = 0,     /* every column no field reads */
	CSV_EXTRA_NONE,
	CSV_EXTRA_LIST
};

/* One input file feeding one canonical file. */
struct csv_spec {
	int kind;               /* enum csv_kind */
	int canonical;          /* the canonical layout: header-driven */
	char *file;             /* relative to the folder (or absolute) */
	struct csv_source src[CSV_FIELDS_MAX];
	/* The rule for each time field (NULL: strict ISO-8601). */
	const struct csv_time_rule *time[CSV_FIELDS_MAX];
	int extra;              /* enum csv_extra_mode (opportunities) */
	char **extra_cols;
	size_t extra_count;
	int derive_from_stage;  /* stage_history: from the previous row */
	unsigned skip_if_empty; /* bit i: skip a row whose field i is empty */
};

struct csv_mapping {
	struct csv_spec *specs; /* in reading order (by kind, then list) */
	size_t spec_count;
	char **stage_labels, **stage_ids;
	size_t stage_count;
	struct csv_time_rule **rules; /* owned, referenced by specs */
	size_t rule_count;
};

/*
 * Builds the mapping from its JSON text (NULL, "", "null" or "{}": the
 * canonical layout).  Files the mapping does not name are read in the
 * canonical layout.  json_path names the option in messages
 * ("$.sources.csv.mapping").  Returns SG_OK, SG_ERR_CONFIG naming the JSON
 * path of what is wrong, or SG_ERR_NOMEM.
 */
int csv_mapping_new(struct csv_mapping **out, const char *json,
		    const char *json_path, struct sg_error *err);

void csv_mapping_free(struct csv_mapping *map);

/*
 * The config stage id for a label (len bytes, trimmed by the caller), or
 * NULL when the mapping does not translate it.  Borrowed.
 */
const char *csv_mapping_stage(const struct csv_mapping *map,
			      const char *label, size_t len);

#endif
