/*
 * sg_canonical_records.h - the records of the common model
 * (sg_plugin_records.h) as rows of the canonical CSV layout, both ways.
 *
 * A connector keeps what it pulled as a canonical folder (its snapshot)
 * and reads it back when it merges a later, incremental pull into it or
 * resumes a pull that stopped.  The reader is strict on purpose: it reads
 * what the writer wrote (the canonical header in order, UTC ISO-8601
 * times, the party and type words), not a person's export, which is the
 * csv source's work, with its mappings and zones.
 */
#ifndef SG_CANONICAL_RECORDS_H
#define SG_CANONICAL_RECORDS_H

#include <stdio.h>

#include "sg_canonical.h"
#include "sg_error.h"
#include "sg_plugin_records.h"

/* Each writes one row of its file to fp; errors show in ferror(fp).
 * Opportunities write their extra values in order, after the canonical
 * columns: the header must have named the same extras. */
void sg_canonical_put_owner(FILE *fp, const struct sg_rec_owner *o);
void sg_canonical_put_opportunity(FILE *fp,
				  const struct sg_rec_opportunity *o);
void sg_canonical_put_stage_event(FILE *fp,
				  const struct sg_rec_stage_event *e);
void sg_canonical_put_field_change(FILE *fp,
				   const struct sg_rec_field_change *c);
void sg_canonical_put_activity(FILE *fp, const struct sg_rec_activity *a);
void sg_canonical_put_evidence(FILE *fp, const struct sg_rec_evidence *e);

/* One row read back: `as` holds the member of the file's kind. */
struct sg_canonical_record {
	int file;               /* enum sg_canonical_file */
	long line;              /* where the row starts */
	union {
		struct sg_rec_owner owner;
		struct sg_rec_opportunity opportunity;
		struct sg_rec_stage_event stage_event;
		struct sg_rec_field_change field_change;
		struct sg_rec_activity activity;
		struct sg_rec_evidence evidence;
	} as;
};

struct sg_canonical_reader;

/*
 * Opens file (enum sg_canonical_file) of the canonical folder dir and
 * reads its header, which must be the file's columns in canonical order
 * (opportunities.csv: then any extra field names).  Returns SG_OK,
 * SG_ERR_IO (naming the file; errno is kept, ENOENT for a missing one),
 * SG_ERR_PARSE for another header, or SG_ERR_NOMEM.
 */
int sg_canonical_reader_open(struct sg_canonical_reader **out,
			     const char *dir, int file, struct sg_error *err);

/*
 * Reads the next row into *rec; its strings and extras point into the
 * reader, valid until the next call.  Returns 1 for a row, 0 at the end,
 * or SG_ERR_PARSE naming the file, line and column (a row of another
 * width, a time that is no UTC ISO-8601 instant, an unknown party).
 */
int sg_canonical_reader_next(struct sg_canonical_reader *r,
			     struct sg_canonical_record *rec,
			     struct sg_error *err);

/* The extra field names of opportunities.csv (count in *count). */
const char *const *sg_canonical_reader_extras(
	const struct sg_canonical_reader *r, size_t *count);

/* Accepts NULL. */
void sg_canonical_reader_free(struct sg_canonical_reader *r);

#endif
