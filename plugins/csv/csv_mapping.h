/*
 * csv_mapping.h - the csv source's view of its input: the canonical files
 * (sg_canonical.h, DESIGN §3, §10 rule 6), and the optional mapping that
 * reads a CRM's own export instead (docs/csv-mapping.md).
 *
 * The per-field arrays of a spec are indexed by its file's column enum
 * (SG_OPP_AMOUNT...).  Internal to the csv plugin; nothing here is
 * exported.
 */
#ifndef CSV_MAPPING_H
#define CSV_MAPPING_H

#include <stddef.h>

#include "sg_canonical.h"
#include "sg_error.h"
#include "sg_time.h"

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
	int kind;               /* enum sg_canonical_file */
	int canonical;          /* the canonical layout: header-driven */
	char *file;             /* relative to the folder (or absolute) */
	struct csv_source src[SG_CANON_COLUMNS_MAX];
	/* The rule for each time field (NULL: strict ISO-8601). */
	const struct csv_time_rule *time[SG_CANON_COLUMNS_MAX];
	int extra;              /* enum csv_extra_mode (opportunities) */
	char **extra_cols;
	size_t extra_count;
	int derive_from_stage;  /* stage_history: from the previous row */
	unsigned skip_if_empty; /* bit i: skip a row whose field i is empty */
	const char *encoding;   /* the file's (sg_csv_set_encoding): a
				 * static name, NULL: UTF-8 */
};

struct csv_mapping {
	struct csv_spec *specs; /* in reading order (by kind, then list) */
	size_t spec_count;
	char **stage_labels, **stage_ids;
	size_t stage_count;
	struct csv_time_rule **rules; /* owned, referenced by specs */
	size_t rule_count;
	const char *encoding;   /* "encoding": every file's, NULL: UTF-8 */
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
