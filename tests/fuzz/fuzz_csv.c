/*
 * fuzz_csv.c - libFuzzer target: the streaming RFC 4180 reader
 * (core/util/sg_csv.c) in each encoding it converts, and the csv source's
 * mapping parser (plugins/csv/csv_mapping.c), as `check` and `run` meet
 * them with a CRM's export.
 *
 * Input: one selector byte, then the mapping's JSON up to the first
 * newline or NUL byte, then the CSV text.  Bits 0-1 of the selector pick
 * the encoding (UTF-8, windows-1252, utf-16, the mapping's own) and bits
 * 2-7 the reader's block size (1 to 63 bytes, or the whole text at once),
 * so that records cross buffer boundaries as they do in a large file.
 *
 * Beyond "no crash, no leak, no undefined behaviour", each record must
 * keep the reader's contract (sg_csv.h): fields NUL-terminated, without a
 * NUL and valid UTF-8, records starting on later and later lines; and the
 * records written back with sg_csv_write_field() must read back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv_mapping.h"
#include "sg_csv.h"
#include "sg_csv_test.h"
#include "sg_utf8.h"
#include "sg_fuzz.h"

#define FZ_JSON_PATH "$.sources.csv.mapping"
#define FZ_BOM "\xEF\xBB\xBF"

/* A growing byte string. */
struct fz_buf {
	char *p;
	size_t len, cap;
};

static void fz_add(struct fz_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* sg_csv_put_fn into a struct fz_buf. */
static int fz_put(void *arg, const char *p, size_t n)
{
	fz_add(arg, p, n);
	return SG_OK;
}

/* The encoding the selector names (bits 0-1). */
static const char *fz_encoding(uint8_t sel, const struct csv_mapping *map)
{
	switch (sel & 3u) {
	case 1:
		return "windows-1252";
	case 2:
		return "utf-16";
	case 3:
		/* What a mapping that parsed names ("iso-8859-1" among
		 * them), so the mapping's own word reaches the reader. */
		return map != NULL ? map->encoding : NULL;
	default:
		return NULL;
	}
}

/* The record's contract (sg_csv.h); *last_line is the previous start. */
static void fz_check_record(const struct sg_csv_record *rec,
			    long *last_line)
{
	size_t i;

	SG_FUZZ_ASSERT(rec->count >= 1 && rec->count <= SG_CSV_FIELDS_MAX,
		       "a record has 1 to SG_CSV_FIELDS_MAX fields");
	SG_FUZZ_ASSERT(rec->line > *last_line,
		       "each record starts on a later line");
	*last_line = rec->line;
	for (i = 0; i < rec->count; i++) {
		const char *f = rec->fields[i];
		size_t n = rec->lens[i];

		SG_FUZZ_ASSERT(f[n] == '\0', "a field is NUL-terminated");
		SG_FUZZ_ASSERT(memchr(f, '\0', n) == NULL,
			       "a field holds no NUL");
		SG_FUZZ_ASSERT(sg_utf8_valid_prefix(f, n) == n,
			       "a field is UTF-8");
	}
}

/* Appends the record flattened (field count, then each field's length
 * and bytes), so that two readings compare with memcmp. */
static void fz_flatten(struct fz_buf *flat, const struct sg_csv_record *rec)
{
	size_t i;

	fz_add(flat, &rec->count, sizeof(rec->count));
	for (i = 0; i < rec->count; i++) {
		fz_add(flat, &rec->lens[i], sizeof(rec->lens[i]));
		fz_add(flat, rec->fields[i], rec->lens[i]);
	}
}

/* Writes the record back as one CSV line. */
static void fz_write_back(struct fz_buf *out, const struct sg_csv_record *rec)
{
	size_t i;

	for (i = 0; i < rec->count; i++) {
		if (i > 0)
			fz_add(out, ",", 1);
		sg_csv_write_field(rec->fields[i], fz_put, out);
	}
	fz_add(out, "\n", 1);
}

/*
 * Reads all of text in encoding with block (0: the whole text at once;
 * not the reader's default of 4 MiB, which it clears on every open: that
 * would take most of the time), checking every record and giving each
 * field a mapped stage look-up; each record is flattened into flat and,
 * when out is not NULL, written back into it.  A record of one empty
 * field is left out of both: written back it is a blank line, which the
 * reader skips.  Returns the last status of sg_csv_set_encoding() or
 * sg_csv_next() (0 at a clean end).
 */
static int fz_read(const char *text, size_t len, const char *encoding,
		   size_t block, const struct csv_mapping *map,
		   struct fz_buf *flat, struct fz_buf *out)
{
	struct sg_csv *csv = NULL;
	struct sg_csv_record rec;
	struct sg_error err;
	long last_line = 0;
	size_t i;
	int rc;

	sg_error_clear(&err);
	rc = sg_csv_open_memory(&csv, "fuzz.csv", text, len, &err);
	SG_FUZZ_ASSERT(rc == SG_OK || rc == SG_ERR_NOMEM,
		       "opening a text in memory cannot fail on its bytes");
	if (rc != SG_OK)
		return rc;
	SG_FUZZ_ASSERT(sg_csv_set_block_size(csv, block > 0 ? block :
					     len + 1) == SG_OK,
		       "the block size is set before reading");
	rc = sg_csv_set_encoding(csv, encoding, &err);
	sg_fuzz_check_error(rc, &err);
	while (rc == SG_OK && (rc = sg_csv_next(csv, &rec, &err)) == 1) {
		fz_check_record(&rec, &last_line);
		for (i = 0; map != NULL && i < rec.count; i++)
			(void)csv_mapping_stage(map, rec.fields[i],
						rec.lens[i]);
		if (rec.count == 1 && rec.lens[0] == 0) {
			rc = SG_OK;
			continue;
		}
		fz_flatten(flat, &rec);
		if (out != NULL)
			fz_write_back(out, &rec);
		rc = SG_OK;
	}
	sg_fuzz_check_error(rc, &err);
	SG_FUZZ_ASSERT(rc == 0 || rc == SG_ERR_PARSE || rc == SG_ERR_NOMEM,
		       "a text in memory ends, or is not CSV");
	sg_csv_free(csv);
	return rc;
}

/* The mapping parser on its own: a status it documents, its error
 * filled, a mapping exactly when it succeeds. */
static struct csv_mapping *fz_mapping(const char *json)
{
	struct csv_mapping *map = NULL;
	struct sg_error err;
	int rc;

	sg_error_clear(&err);
	rc = csv_mapping_new(&map, json, FZ_JSON_PATH, &err);
	sg_fuzz_check_error(rc, &err);
	SG_FUZZ_ASSERT(rc == SG_OK || rc == SG_ERR_CONFIG ||
		       rc == SG_ERR_NOMEM, "a documented status");
	SG_FUZZ_ASSERT((rc == SG_OK) == (map != NULL),
		       "a mapping exactly on success");
	return map;
}

/* Records written back (out) read back in UTF-8 in block (0: at once)
 * as exactly what was read the first time (flat). */
static void fz_read_back(const struct fz_buf *out, const struct fz_buf *flat,
			 size_t block)
{
	struct fz_buf again = {NULL, 0, 0};

	SG_FUZZ_ASSERT(fz_read(out->p, out->len, NULL, block, NULL, &again,
			       NULL) == 0, "records written back read back");
	SG_FUZZ_ASSERT(again.len == flat->len &&
		       (flat->len == 0 || memcmp(again.p, flat->p,
						 flat->len) == 0),
		       "records written back read back the same");
	free(again.p);
}

/* An exact copy of n bytes, without a terminator: a read past the end
 * is an ASan finding. */
static char *fz_exact(const uint8_t *p, size_t n)
{
	char *s = malloc(n > 0 ? n : 1);

	if (s == NULL)
		abort();
	if (n > 0)
		memcpy(s, p, n);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_buf flat = {NULL, 0, 0}, out = {NULL, 0, 0};
	struct csv_mapping *map;
	const uint8_t *rest, *cut, *end;
	char *json, *text;
	size_t block;
	uint8_t sel;

	if (size < 1)
		return 0;
	sel = data[0];
	block = (size_t)(sel >> 2) < 63 ? (size_t)(sel >> 2) + 1 : 0;
	rest = data + 1;
	end = data + size;
	for (cut = rest; cut < end && *cut != '\n' && *cut != '\0'; cut++)
		;
	json = sg_fuzz_text(rest, (size_t)(cut - rest));
	map = fz_mapping(json);
	if (cut < end)
		cut++;
	text = fz_exact(cut, (size_t)(end - cut));
	/* Written back after a BOM: the reader drops one at the start, and
	 * a first field that itself starts with U+FEFF must stay. */
	fz_add(&out, FZ_BOM, 3);
	fz_read(text, (size_t)(end - cut), fz_encoding(sel, map), block, map,
		&flat, &out);
	/* Whatever was read before an error must survive too. */
	fz_read_back(&out, &flat, 0);
	fz_read_back(&out, &flat, block);
	free(flat.p);
	free(out.p);
	free(text);
	csv_mapping_free(map);
	free(json);
	return 0;
}
