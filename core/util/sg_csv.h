/*
 * sg_csv.h - a streaming RFC 4180 reader.
 *
 * Reads records from a file descriptor in large blocks: quoted fields with
 * embedded commas, doubled quotes and newlines, an optional UTF-8 BOM,
 * CRLF or LF line ends, a last line without a line break.  Blank lines are
 * skipped.  Each field is handed out NUL-terminated, with quotes removed,
 * pointing into the reader's buffer: valid until the next call.
 * Every field and record is bounded (SG_CSV_FIELD_MAX) so a runaway quote
 * is an error, not an exhausted memory.
 */
#ifndef SG_CSV_H
#define SG_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "sg_error.h"

#define SG_CSV_RECORD_MAX (16u * 1024u * 1024u)
#define SG_CSV_FIELDS_MAX 4096

struct sg_csv;

/* One record: fields[i] is NUL-terminated, lens[i] its length. */
struct sg_csv_record {
	char **fields;
	size_t *lens;
	size_t count;
	long line;  /* physical line on which the record starts (1-based) */
};

/*
 * Opens path for reading.  path names the file in error messages.
 * Returns SG_OK, SG_ERR_IO (naming the file and the system's reason) or
 * SG_ERR_NOMEM.
 */
int sg_csv_open(struct sg_csv **out, const char *path, struct sg_error *err);

/*
 * Reads an in-memory text (borrowed until sg_csv_free) as CSV; name is used
 * in messages.
 */
int sg_csv_open_memory(struct sg_csv **out, const char *name,
		       const char *text, size_t len, struct sg_error *err);

/*
 * The file is in encoding (NULL or "utf-8": as it is; "windows-1252",
 * "iso-8859-1", "utf-16" with a byte order mark) and converted to UTF-8
 * as it is read; a byte not of that encoding is an SG_ERR_PARSE naming
 * its offset.  Before the first sg_csv_next().  SG_ERR_CONFIG for
 * another name.  Text read as UTF-8 is checked: a field that is not is
 * an SG_ERR_PARSE naming the line, the field and the byte.
 */
int sg_csv_set_encoding(struct sg_csv *csv, const char *encoding,
			struct sg_error *err);

/*
 * Reads the next record into *rec.  Returns 1 when a record was read, 0 at
 * the end, or a negative status: SG_ERR_PARSE for an unterminated quote, a
 * character after a closing quote, or a record over the bound (with path,
 * line and column set), SG_ERR_IO for a read error.
 */
int sg_csv_next(struct sg_csv *csv, struct sg_csv_record *rec,
		struct sg_error *err);

/* The path given at open. */
const char *sg_csv_path(const struct sg_csv *csv);

/* Bytes consumed so far (for progress). */
unsigned long long sg_csv_offset(const struct sg_csv *csv);

/* Accepts NULL. */
void sg_csv_free(struct sg_csv *csv);

/*
 * Writes s as one CSV field (RFC 4180): as it is, or in double quotes with
 * each quote doubled when it holds a comma, a quote or a line break.  put
 * writes n bytes of p (returns SG_OK to go on); its status is returned.
 */
typedef int (*sg_csv_put_fn)(void *arg, const char *p, size_t n);
int sg_csv_write_field(const char *s, sg_csv_put_fn put, void *arg);

/* sg_csv_write_field() into a stdio stream (its errors show in ferror). */
void sg_csv_fput_field(FILE *fp, const char *s);

/*
 * One CSV line built in memory and handed to the stream in one call (a
 * line longer than the buffer in several): the fields as
 * sg_csv_write_field() writes them, separated by commas.  Errors show in
 * the stream's ferror.
 */
struct sg_csv_line {
	FILE *fp;
	size_t len;
	char buf[4096];
};
void sg_csv_line_begin(struct sg_csv_line *line, FILE *fp);
/* Appends a field (NULL: an empty one), after a comma unless first. */
void sg_csv_line_field(struct sg_csv_line *line, const char *s, int first);
/* Ends the line ("\n") and writes what is left of it. */
void sg_csv_line_end(struct sg_csv_line *line);

#endif
