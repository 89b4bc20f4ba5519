/*
 * sg_csv.c - a streaming RFC 4180 reader.
 *
 * The reader keeps one buffer of input (SG_CSV_BLOCK at first) and parses
 * records in place: commas and line ends become NULs, a quoted field loses
 * its quotes and its doubled quotes are compacted where they stand.  A
 * record that runs past the end of the buffer is resumed, not restarted:
 * the parse state (current field, compaction point, line) lives in struct
 * sg_csv, the unfinished record moves to the front of the buffer and the
 * buffer grows only when one record no longer fits, up to
 * SG_CSV_RECORD_MAX.
 *
 * The hot path is an unquoted field: a vector scan for the next comma or
 * line feed.  Quotes matter only at the start of a field; a quote inside an
 * unquoted field is kept as a character, as most readers do.
 */
#include "sg_csv.h"
#include "sg_utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The first buffer size and the size of each read. */
#define SG_CSV_BLOCK (4u * 1024u * 1024u)
/* Bytes kept readable after the data so that a vector load never leaves
 * the allocation; one of them holds the NUL after a last field. */
#define SG_CSV_PAD 128u
#define SG_CSV_NONE ((size_t)-1)

enum csv_state {
	CSV_S_RECORD = 0,       /* between records: blank lines are skipped */
	CSV_S_FIELD,            /* at the start of a field */
	CSV_S_UNQUOTED,         /* inside an unquoted field */
	CSV_S_QUOTED,           /* inside a quoted field */
	CSV_S_CLOSED            /* just after a closing quote */
};

/* What one scan step ended with. */
enum csv_scan {
	CSV_SCAN_RECORD = 1,    /* a whole record is ready */
	CSV_SCAN_MORE = 0,      /* the buffer ran out: read more */
	CSV_SCAN_END = 2,       /* end of input, no record */
	CSV_SCAN_FIELD = 3      /* at a field start for the general path */
};

struct sg_csv {
	int fd;                 /* -1 for an in-memory text */
	const char *mem;        /* the in-memory text, borrowed */
	size_t mem_len, mem_off;

	char *buf;
	size_t cap;             /* usable bytes (the allocation adds PAD) */
	size_t len;             /* valid bytes in buf */
	size_t block;           /* most bytes asked of one read */
	int eof;
	int started;            /* the BOM check is done */
	unsigned long long base; /* input offset of buf[0] */

	/* The parse state, as offsets into buf so that a move keeps it. */
	int state;
	size_t pos;             /* next byte to look at */
	size_t rec;             /* start of the current record */
	size_t wpos;            /* compaction point of a quoted field */
	size_t nfields;         /* finished fields of the current record */
	size_t *fbeg, *flen;
	size_t fcap;
	long line;              /* physical line of pos */
	long rec_line;          /* line on which the record started */
	long quote_line;        /* line on which the quoted field started */

	char **fields;          /* handed out in struct sg_csv_record */
	size_t *lens;

	char *path;

	/* A file in another encoding, converted to UTF-8 as it is read:
	 * raw holds input not yet converted. */
	iconv_t conv;           /* (iconv_t)-1: the input is UTF-8 */
	const char *encoding;   /* its name, for messages */
	char *raw;
	size_t raw_len;
	int raw_eof;
	unsigned long long raw_off; /* input bytes before raw[0] */
};

#define SG_CSV_RAW_BLOCK (256u * 1024u)

/* Test seam: declared here and in tests/sg_csv_test.h only. */
int sg_csv_set_block_size(struct sg_csv *csv, size_t size);

static int csv_new(struct sg_csv **out, const char *path,
		   struct sg_error *err)
{
	struct sg_csv *csv;

	*out = NULL;
	csv = calloc(1, sizeof(*csv));
	if (csv == NULL)
		goto nomem;
	csv->fd = -1;
	csv->path = strdup(path != NULL ? path : "");
	csv->block = SG_CSV_BLOCK;
	csv->cap = SG_CSV_BLOCK;
	/* The buffer itself comes with the first read. */
	csv->fcap = 64;
	csv->fbeg = malloc(csv->fcap * sizeof(*csv->fbeg));
	csv->flen = malloc(csv->fcap * sizeof(*csv->flen));
	csv->fields = malloc(csv->fcap * sizeof(*csv->fields));
	csv->lens = malloc(csv->fcap * sizeof(*csv->lens));
	if (csv->path == NULL || csv->fbeg == NULL ||
	    csv->flen == NULL || csv->fields == NULL || csv->lens == NULL) {
		sg_csv_free(csv);
		goto nomem;
	}
	csv->line = 1;
	csv->wpos = SG_CSV_NONE;
	csv->conv = (iconv_t)-1;
	*out = csv;
	return SG_OK;
nomem:
	return sg_error_set_at(err, SG_ERR_NOMEM, path, 0, 0,
			       "out of memory opening the CSV reader");
}

int sg_csv_open(struct sg_csv **out, const char *path, struct sg_error *err)
{
	struct sg_csv *csv;
	struct stat sb;
	int rc, fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				       "cannot open: %s", strerror(errno));
	rc = csv_new(&csv, path, err);
	if (rc != SG_OK) {
		close(fd);
		return rc;
	}
	csv->fd = fd;
	/* A small file gets a buffer of its size, not the 4 MiB block,
	 * which is cleared on allocation (review imports, owners.csv). */
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (unsigned long long)sb.st_size + 64 < SG_CSV_BLOCK)
		csv->cap = csv->block = (size_t)sb.st_size + 64;
#if defined(POSIX_FADV_SEQUENTIAL)
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	*out = csv;
	return SG_OK;
}

int sg_csv_open_memory(struct sg_csv **out, const char *name,
		       const char *text, size_t len, struct sg_error *err)
{
	struct sg_csv *csv;
	int rc;

	rc = csv_new(&csv, name, err);
	if (rc != SG_OK)
		return rc;
	csv->mem = text;
	csv->mem_len = text != NULL ? len : 0;
	*out = csv;
	return SG_OK;
}

/*
 * Test seam: sets the buffer's first size and the read size (at least 1
 * byte) so that tests can make records cross buffer boundaries.  Only
 * before the first sg_csv_next(); returns SG_OK, or SG_ERR_INTERNAL
 * after it.
 */
int sg_csv_set_block_size(struct sg_csv *csv, size_t size)
{
	if (csv->buf != NULL)
		return SG_ERR_INTERNAL;
	if (size < 1)
		size = 1;
	if (size > SG_CSV_RECORD_MAX)
		size = SG_CSV_RECORD_MAX;
	csv->cap = size;
	csv->block = size;
	return SG_OK;
}

void sg_csv_free(struct sg_csv *csv)
{
	if (csv == NULL)
		return;
	if (csv->fd >= 0)
		close(csv->fd);
	if (csv->conv != (iconv_t)-1)
		iconv_close(csv->conv);
	free(csv->raw);
	free(csv->buf);
	free(csv->fbeg);
	free(csv->flen);
	free(csv->fields);
	free(csv->lens);
	free(csv->path);
	free(csv);
}

const char *sg_csv_path(const struct sg_csv *csv)
{
	return csv->path;
}

unsigned long long sg_csv_offset(const struct sg_csv *csv)
{
	return csv->base + csv->pos;
}

/* Makes room for one more field. */
static int csv_grow_fields(struct sg_csv *csv, struct sg_error *err)
{
	size_t n = csv->fcap * 2;
	size_t *fbeg, *flen, *lens;
	char **fields;

	if (csv->fcap >= SG_CSV_FIELDS_MAX)
		return sg_error_set_at(err, SG_ERR_PARSE, csv->path,
				       csv->rec_line, SG_CSV_FIELDS_MAX + 1,
				       "too many fields in one record "
				       "(the most is %d)", SG_CSV_FIELDS_MAX);
	if (n > SG_CSV_FIELDS_MAX)
		n = SG_CSV_FIELDS_MAX;
	fbeg = realloc(csv->fbeg, n * sizeof(*fbeg));
	if (fbeg != NULL)
		csv->fbeg = fbeg;
	flen = realloc(csv->flen, n * sizeof(*flen));
	if (flen != NULL)
		csv->flen = flen;
	fields = realloc(csv->fields, n * sizeof(*fields));
	if (fields != NULL)
		csv->fields = fields;
	lens = realloc(csv->lens, n * sizeof(*lens));
	if (lens != NULL)
		csv->lens = lens;
	if (fbeg == NULL || flen == NULL || fields == NULL || lens == NULL)
		return sg_error_set_at(err, SG_ERR_NOMEM, csv->path,
				       csv->rec_line, 0,
				       "out of memory reading a record");
	csv->fcap = n;
	return SG_OK;
}

/* Reads up to n bytes into dst; returns the count, 0 at the end, or -1
 * with errno set. */
static ssize_t csv_read_input(struct sg_csv *csv, char *dst, size_t n)
{
	ssize_t got;

	if (csv->fd < 0) {
		size_t left = csv->mem_len - csv->mem_off;

		if (n > left)
			n = left;
		if (n > 0)
			memcpy(dst, csv->mem + csv->mem_off, n);
		csv->mem_off += n;
		return (ssize_t)n;
	}
	do {
		got = read(csv->fd, dst, n);
	} while (got < 0 && errno == EINTR);
	return got;
}

/* Input bytes into raw, after those left over. */
static int csv_read_raw(struct sg_csv *csv, struct sg_error *err)
{
	ssize_t got = csv_read_input(csv, csv->raw + csv->raw_len,
				     SG_CSV_RAW_BLOCK - csv->raw_len);

	if (got < 0)
		return sg_error_set_at(err, SG_ERR_IO, csv->path, 0, 0,
				       "read error: %s", strerror(errno));
	if (got == 0)
		csv->raw_eof = 1;
	csv->raw_len += (size_t)got;
	return SG_OK;
}

/*
 * Up to n bytes of the input as UTF-8 into dst: as read, or converted
 * from the file's encoding.  The number of bytes, 0 at the end, or a
 * status (the input is not in its encoding, or a read error).
 */
static ssize_t csv_read(struct sg_csv *csv, char *dst, size_t n,
			struct sg_error *err)
{
	char *out = dst;
	size_t out_left = n;

	if (csv->conv == (iconv_t)-1) {
		ssize_t got = csv_read_input(csv, dst, n);

		return got >= 0 ? got :
		       sg_error_set_at(err, SG_ERR_IO, csv->path, 0, 0,
				       "read error: %s", strerror(errno));
	}
	while (out == dst) {
		char *in = csv->raw;
		size_t in_left = csv->raw_len, r;
		int rc;

		if (in_left == 0 && csv->raw_eof)
			break;
		r = in_left > 0 ? iconv(csv->conv, &in, &in_left, &out,
					&out_left) : 0;
		if (r == (size_t)-1 && errno == EILSEQ)
			return sg_error_set_at(err, SG_ERR_PARSE, csv->path,
					       0, 0, "the byte 0x%02X at byte "
					       "%llu is not %s text: is the "
					       "file in another encoding?",
					       (unsigned char)*in,
					       csv->raw_off +
					       (unsigned long long)(in -
								    csv->raw),
					       csv->encoding);
		csv->raw_off += (unsigned long long)(in - csv->raw);
		memmove(csv->raw, in, in_left);
		csv->raw_len = in_left;
		if (r == (size_t)-1 && errno == E2BIG)
			break;
		if (csv->raw_eof && csv->raw_len > 0)
			return sg_error_set_at(err, SG_ERR_PARSE, csv->path,
					       0, 0, "the file ends in the "
					       "middle of a %s character "
					       "(byte %llu): it is cut short",
					       csv->encoding, csv->raw_off);
		rc = csv_read_raw(csv, err);
		if (rc != SG_OK)
			return rc;
	}
	return (ssize_t)(out - dst);
}

/* The iconv names of the encodings a CSV file may be in besides UTF-8. */
static const char *csv_iconv_name(const char *encoding)
{
	static const char *const names[][2] = {
		{ "windows-1252", "WINDOWS-1252" },
		{ "iso-8859-1", "ISO-8859-1" },
		{ "utf-16", "UTF-16" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(encoding, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

int sg_csv_set_encoding(struct sg_csv *csv, const char *encoding,
			struct sg_error *err)
{
	const char *name;
	int rc;

	if (encoding == NULL || strcmp(encoding, "utf-8") == 0)
		return SG_OK;
	name = csv_iconv_name(encoding);
	if (name == NULL)
		return sg_error_set_at(err, SG_ERR_CONFIG, csv->path, 0, 0,
				       "unknown encoding \"%.40s\": use "
				       "utf-8, windows-1252, iso-8859-1 or "
				       "utf-16", encoding);
	if (csv->buf != NULL || csv->conv != (iconv_t)-1)
		return SG_ERR_INTERNAL;
	csv->raw = malloc(SG_CSV_RAW_BLOCK);
	if (csv->raw == NULL)
		return sg_error_set_at(err, SG_ERR_NOMEM, csv->path, 0, 0,
				       "out of memory");
	csv->conv = iconv_open("UTF-8", name);
	if (csv->conv == (iconv_t)-1)
		return sg_error_set_at(err, SG_ERR_CONFIG, csv->path, 0, 0,
				       "this system cannot convert %s: %s",
				       encoding, strerror(errno));
	csv->encoding = encoding;
	/* Without a byte order mark UTF-16 could be either order. */
	while (strcmp(encoding, "utf-16") == 0 && csv->raw_len < 2 &&
	       !csv->raw_eof)
		if ((rc = csv_read_raw(csv, err)) != SG_OK)
			return rc;
	if (strcmp(encoding, "utf-16") == 0 && csv->raw_len > 0 &&
	    (csv->raw_len < 2 ||
	     !(((unsigned char)csv->raw[0] == 0xff &&
		(unsigned char)csv->raw[1] == 0xfe) ||
	       ((unsigned char)csv->raw[0] == 0xfe &&
		(unsigned char)csv->raw[1] == 0xff))))
		return sg_error_set_at(err, SG_ERR_PARSE, csv->path, 0, 0,
				       "the file does not start with a UTF-16 "
				       "byte order mark (FF FE or FE FF), as "
				       "Excel's \"Unicode Text\" does");
	return SG_OK;
}

/*
 * Moves the unfinished record (or, between records, the unread rest) to the
 * front of the buffer, grows the buffer when the record fills it, and reads
 * more.  Sets eof at the end of input.
 */
static int csv_fill(struct sg_csv *csv, struct sg_error *err)
{
	size_t keep_from, i, room, want;
	ssize_t got;

	keep_from = csv->state == CSV_S_RECORD ? csv->pos : csv->rec;
	if (keep_from > 0) {
		memmove(csv->buf, csv->buf + keep_from, csv->len - keep_from);
		csv->len -= keep_from;
		csv->pos -= keep_from;
		csv->base += keep_from;
		if (csv->state != CSV_S_RECORD) {
			csv->rec -= keep_from;
			for (i = 0; i <= csv->nfields && i < csv->fcap; i++)
				csv->fbeg[i] -= keep_from;
			if (csv->wpos != SG_CSV_NONE)
				csv->wpos -= keep_from;
		}
	}
	/* A converted character may need 4 bytes: never ask for fewer. */
	if (csv->cap - csv->len < 4) {
		size_t ncap;
		char *nbuf;

		if (csv->cap >= SG_CSV_RECORD_MAX)
			return sg_error_set_at(err, SG_ERR_PARSE, csv->path,
					       csv->rec_line, 0,
					       "record too large (more than "
					       "%u bytes)",
					       (unsigned)SG_CSV_RECORD_MAX);
		ncap = csv->cap * 2;
		if (ncap > SG_CSV_RECORD_MAX)
			ncap = SG_CSV_RECORD_MAX;
		nbuf = realloc(csv->buf, ncap + SG_CSV_PAD);
		if (nbuf == NULL)
			return sg_error_set_at(err, SG_ERR_NOMEM, csv->path,
					       csv->rec_line, 0,
					       "out of memory reading a "
					       "record of %zu bytes",
					       csv->len);
		memset(nbuf + csv->cap + SG_CSV_PAD, 0, ncap - csv->cap);
		csv->buf = nbuf;
		csv->cap = ncap;
	}
	room = csv->cap - csv->len;
	want = room < csv->block ? room : csv->block;
	if (want < 4)
		want = room;    /* room for one converted character */
	got = csv_read(csv, csv->buf + csv->len, want, err);
	if (got < 0)
		return (int)got;
	if (got == 0)
		csv->eof = 1;
	csv->len += (size_t)got;
	return SG_OK;
}

/*
 * A window of 64 input bytes starting at base, with a bit set in mask for
 * each comma and line feed; bits at or after the end of the data are
 * clear.  Scanning unquoted fields reuses one window for several short
 * fields.  Bytes at or after the scan position are never modified while a
 * window is in use (NULs and compaction only land behind it).
 */
struct csv_window {
	size_t base;
	uint64_t mask;
	int valid;
};

static inline uint64_t csv_mask64(const char *b, size_t p, size_t len)
{
	uint64_t m;
#if defined(__SSE2__)
	const __m128i comma = _mm_set1_epi8(',');
	const __m128i lf = _mm_set1_epi8('\n');
	int i;

	m = 0;
	for (i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
					    (b + p + 16 * (size_t)i));
		unsigned bits = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, comma),
				     _mm_cmpeq_epi8(v, lf)));

		m |= (uint64_t)bits << (16 * i);
	}
#else
	size_t i;

	m = 0;
	for (i = 0; i < 64; i++)
		if (b[p + i] == ',' || b[p + i] == '\n')
			m |= (uint64_t)1 << i;
#endif
	if (len - p < 64)
		m &= ((uint64_t)1 << (len - p)) - 1u;
	return m;
}

/* The first position at or after p holding a comma or a line feed, or
 * len. */
static inline size_t csv_find_unquoted(const char *b, size_t p, size_t len,
				       struct csv_window *w)
{
	uint64_t m;

	for (;;) {
		if (w->valid && p >= w->base && p - w->base < 64) {
			m = w->mask & (~(uint64_t)0 << (p - w->base));
			if (m != 0)
				return w->base + (size_t)__builtin_ctzll(m);
			p = w->base + 64;
		}
		if (p >= len)
			return len;
		w->base = p;
		w->mask = csv_mask64(b, p, len);
		w->valid = 1;
	}
}

/* The first position at or after p holding a quote or a line feed, or
 * len. */
static inline size_t csv_find_quoted(const char *b, size_t p, size_t len)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i lf = _mm_set1_epi8('\n');

	while (p < len) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
					    (b + p));
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, quote),
				     _mm_cmpeq_epi8(v, lf)));

		if (len - p < 16)
			m &= (1u << (len - p)) - 1u;
		if (m != 0)
			return p + (size_t)__builtin_ctz(m);
		p += 16;
	}
	return len;
#else
	while (p < len && b[p] != '"' && b[p] != '\n')
		p++;
	return p;
#endif
}

/* Ends the current field at offset end (exclusive). */
static inline void csv_end_field(struct sg_csv *csv, size_t end)
{
	csv->buf[end] = '\0';
	csv->flen[csv->nfields] = end - csv->fbeg[csv->nfields];
	csv->nfields++;
}

/*
 * The hot path: unquoted fields from p on, with the state in locals (a
 * store into the buffer may alias anything reached through csv).  Returns
 * CSV_SCAN_RECORD or CSV_SCAN_MORE (csv->pos set), or CSV_SCAN_FIELD with *pp
 * at the start of a field that needs the general path (a quote, the end
 * of the data, or a full field table).
 */
static int csv_scan_unquoted(struct sg_csv *csv, size_t *pp,
			     struct csv_window *win)
{
	char *b = csv->buf;
	size_t len = csv->len, fcap = csv->fcap;
	size_t *fbeg = csv->fbeg, *flen = csv->flen;
	size_t nf = csv->nfields, p = *pp, q;

	for (;;) {
		q = csv_find_unquoted(b, p, len, win);
		if (q >= len) {
			if (!csv->eof) {
				csv->nfields = nf;
				csv->pos = len;
				return CSV_SCAN_MORE;
			}
			/* The last line has no line break. */
			if (q > fbeg[nf] && b[q - 1] == '\r')
				q--;
			b[q] = '\0';
			flen[nf] = q - fbeg[nf];
			csv->nfields = nf + 1;
			csv->pos = len;
			csv->state = CSV_S_RECORD;
			return CSV_SCAN_RECORD;
		}
		if (b[q] == ',') {
			b[q] = '\0';
			flen[nf] = q - fbeg[nf];
			nf++;
			p = q + 1;
			if (p < len && b[p] != '"' && nf < fcap) {
				fbeg[nf] = p;
				continue;
			}
			csv->nfields = nf;
			*pp = p;
			return CSV_SCAN_FIELD;
		}
		/* A line feed, maybe after a carriage return. */
		csv->pos = q + 1;
		csv->line++;
		if (q > fbeg[nf] && b[q - 1] == '\r')
			q--;
		b[q] = '\0';
		flen[nf] = q - fbeg[nf];
		csv->nfields = nf + 1;
		csv->state = CSV_S_RECORD;
		return CSV_SCAN_RECORD;
	}
}

/*
 * Parses from csv->pos until a record is complete, the buffer runs out, or
 * the input ends.  Returns a csv_scan value or a negative status.
 */
static int csv_scan(struct sg_csv *csv, struct sg_error *err)
{
	char *b = csv->buf;
	size_t len = csv->len;
	size_t p = csv->pos;
	size_t q;
	struct csv_window win = {0, 0, 0};
	int rc;

	for (;;) {
		switch (csv->state) {
		case CSV_S_RECORD:
			if (p >= len) {
				csv->pos = p;
				return csv->eof ? CSV_SCAN_END : CSV_SCAN_MORE;
			}
			if (b[p] == '\n') {
				p++;
				csv->line++;
				continue;
			}
			if (b[p] == '\r') {
				if (p + 1 >= len && !csv->eof) {
					csv->pos = p;
					return CSV_SCAN_MORE;
				}
				if (p + 1 >= len) {
					p++;
					continue;
				}
				if (b[p + 1] == '\n') {
					p += 2;
					csv->line++;
					continue;
				}
			}
			csv->rec = p;
			csv->rec_line = csv->line;
			csv->nfields = 0;
			csv->state = CSV_S_FIELD;
			continue;
		case CSV_S_FIELD:
			if (csv->nfields >= csv->fcap) {
				rc = csv_grow_fields(csv, err);
				if (rc != SG_OK)
					return rc;
			}
			if (p >= len && !csv->eof) {
				csv->pos = p;
				return CSV_SCAN_MORE;
			}
			if (p < len && b[p] == '"') {
				csv->quote_line = csv->line;
				p++;
				csv->fbeg[csv->nfields] = p;
				csv->wpos = SG_CSV_NONE;
				csv->state = CSV_S_QUOTED;
				continue;
			}
			csv->fbeg[csv->nfields] = p;
			csv->state = CSV_S_UNQUOTED;
			continue;
		case CSV_S_UNQUOTED:
			rc = csv_scan_unquoted(csv, &p, &win);
			if (rc != CSV_SCAN_FIELD)
				return rc;
			csv->state = CSV_S_FIELD;
			continue;
		case CSV_S_QUOTED:
			q = csv_find_quoted(b, p, len);
			/* Keep the text up to q (compacted if need be). */
			if (csv->wpos != SG_CSV_NONE && q > p) {
				memmove(b + csv->wpos, b + p, q - p);
				csv->wpos += q - p;
			}
			p = q;
			if (q >= len) {
				if (csv->eof)
					return sg_error_set_at(
						err, SG_ERR_PARSE, csv->path,
						csv->quote_line,
						(int)csv->nfields + 1,
						"unterminated quoted field "
						"(the quote opened on line "
						"%ld)", csv->quote_line);
				csv->pos = p;
				return CSV_SCAN_MORE;
			}
			if (b[q] == '\n') {
				csv->line++;
				if (csv->wpos != SG_CSV_NONE)
					b[csv->wpos++] = '\n';
				p = q + 1;
				continue;
			}
			/* A quote: doubled, or the closing one. */
			if (q + 1 >= len && !csv->eof) {
				csv->pos = p;
				return CSV_SCAN_MORE;
			}
			if (q + 1 < len && b[q + 1] == '"') {
				if (csv->wpos == SG_CSV_NONE)
					csv->wpos = q + 1;
				else
					b[csv->wpos++] = '"';
				p = q + 2;
				continue;
			}
			csv_end_field(csv, csv->wpos != SG_CSV_NONE ?
				      csv->wpos : q);
			csv->wpos = SG_CSV_NONE;
			p = q + 1;
			csv->state = CSV_S_CLOSED;
			continue;
		case CSV_S_CLOSED:
			if (p >= len) {
				if (!csv->eof) {
					csv->pos = p;
					return CSV_SCAN_MORE;
				}
				csv->pos = p;
				csv->state = CSV_S_RECORD;
				return CSV_SCAN_RECORD;
			}
			if (b[p] == ',') {
				p++;
				csv->state = CSV_S_FIELD;
				continue;
			}
			if (b[p] == '\n') {
				csv->pos = p + 1;
				csv->line++;
				csv->state = CSV_S_RECORD;
				return CSV_SCAN_RECORD;
			}
			if (b[p] == '\r') {
				if (p + 1 >= len && !csv->eof) {
					csv->pos = p;
					return CSV_SCAN_MORE;
				}
				if (p + 1 >= len) {
					csv->pos = p + 1;
					csv->state = CSV_S_RECORD;
					return CSV_SCAN_RECORD;
				}
				if (b[p + 1] == '\n') {
					csv->pos = p + 2;
					csv->line++;
					csv->state = CSV_S_RECORD;
					return CSV_SCAN_RECORD;
				}
			}
			if ((unsigned char)b[p] >= 0x20 &&
			    (unsigned char)b[p] < 0x7f)
				return sg_error_set_at(
					err, SG_ERR_PARSE, csv->path,
					csv->rec_line, (int)csv->nfields,
					"character '%c' after the closing "
					"quote of field %zu", b[p],
					csv->nfields);
			return sg_error_set_at(
				err, SG_ERR_PARSE, csv->path, csv->rec_line,
				(int)csv->nfields,
				"character 0x%02x after the closing quote of "
				"field %zu", (unsigned char)b[p],
				csv->nfields);
		default:
			return sg_error_set(err, SG_ERR_INTERNAL,
					    "%s: bad reader state", csv->path);
		}
	}
}

/* Skips a UTF-8 byte order mark at the very start of the input. */
/*
 * A file whose first line ends in a carriage return alone (classic Mac
 * OS, some exporters) would read as one endless header line and fail as
 * "a column appears twice": it is named for what it is.
 */
static int csv_check_line_ends(const struct sg_csv *csv,
			       struct sg_error *err)
{
	size_t i;

	for (i = csv->pos; i < csv->len; i++) {
		if (csv->buf[i] == '\n' || csv->buf[i] == '"')
			return SG_OK;
		if (csv->buf[i] != '\r')
			continue;
		if (i + 1 == csv->len || csv->buf[i + 1] == '\n')
			return SG_OK;
		return sg_error_set_at(err, SG_ERR_PARSE, csv->path, 1, 0,
				       "the lines end with a carriage return "
				       "alone (CR, as classic Mac OS wrote "
				       "them), not LF or CRLF: save the file "
				       "with Windows (CRLF) or Unix (LF) line "
				       "ends");
	}
	return SG_OK;
}

static int csv_start(struct sg_csv *csv, struct sg_error *err)
{
	int rc;

	/* calloc: the pad and any unused tail are always initialized. */
	if (csv->buf == NULL)
		csv->buf = calloc(1, csv->cap + SG_CSV_PAD);
	if (csv->buf == NULL)
		return sg_error_set_at(err, SG_ERR_NOMEM, csv->path, 0, 0,
				       "out of memory for the read buffer");
	while (csv->len < 3 && !csv->eof) {
		rc = csv_fill(csv, err);
		if (rc != SG_OK)
			return rc;
	}
	if (csv->len >= 3 && (unsigned char)csv->buf[0] == 0xef &&
	    (unsigned char)csv->buf[1] == 0xbb &&
	    (unsigned char)csv->buf[2] == 0xbf)
		csv->pos = 3;
	csv->started = 1;
	return csv_check_line_ends(csv, err);
}

/* Field i is UTF-8 (converted text is, by construction). */
static int csv_check_utf8(const struct sg_csv *csv, size_t i,
			  struct sg_error *err)
{
	const unsigned char *f = (const unsigned char *)csv->fields[i];
	size_t n = csv->lens[i], k, at;

	if (csv->conv != (iconv_t)-1)
		return SG_OK;
	/* Most fields are ASCII: 16 bytes a step, the pad after the data
	 * keeping every load inside the buffer. */
	for (k = 0; k < n; k += 16) {
#if defined(__SSE2__)
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_loadu_si128(
			(const __m128i *)(const void *)(f + k)));

		if (n - k < 16)
			mask &= (1u << (n - k)) - 1u;
		if (mask != 0)
			break;
#else
		size_t j, end = n - k < 16 ? n : k + 16;

		for (j = k; j < end && f[j] < 0x80; j++)
			;
		if (j < end)
			break;
#endif
	}
	if (k >= n)
		return SG_OK;
	at = k + sg_utf8_valid_prefix(csv->fields[i] + k, n - k);
	if (at == n)
		return SG_OK;
	return sg_error_set_at(err, SG_ERR_PARSE, csv->path, csv->rec_line,
			       (int)i + 1, "the byte 0x%02X after %zu bytes of "
			       "the field is not UTF-8: save the file as "
			       "UTF-8, or name its encoding (the csv "
			       "source's \"encoding\": windows-1252, "
			       "iso-8859-1 or utf-16)", f[at], at);
}

int sg_csv_next(struct sg_csv *csv, struct sg_csv_record *rec,
		struct sg_error *err)
{
	size_t i;
	int rc;

	if (!csv->started) {
		rc = csv_start(csv, err);
		if (rc != SG_OK)
			return rc;
	}
	for (;;) {
		rc = csv_scan(csv, err);
		if (rc < 0)
			return rc;
		if (rc == CSV_SCAN_END)
			return 0;
		if (rc == CSV_SCAN_RECORD)
			break;
		if (csv->state != CSV_S_RECORD &&
		    csv->len - csv->rec >= SG_CSV_RECORD_MAX)
			return sg_error_set_at(err, SG_ERR_PARSE, csv->path,
					       csv->rec_line, 0,
					       "record too large (more than "
					       "%u bytes)",
					       (unsigned)SG_CSV_RECORD_MAX);
		rc = csv_fill(csv, err);
		if (rc != SG_OK)
			return rc;
	}
	for (i = 0; i < csv->nfields; i++) {
		const char *nul;

		csv->fields[i] = csv->buf + csv->fbeg[i];
		csv->lens[i] = csv->flen[i];
		/* Every reader takes a field as a C string: a NUL inside it
		 * would cut the value short without a word. */
		nul = csv->lens[i] > 0 ? memchr(csv->fields[i], '\0',
						csv->lens[i]) : NULL;
		if (nul != NULL)
			return sg_error_set_at(err, SG_ERR_PARSE, csv->path,
					       csv->rec_line, (int)i + 1,
					       "a NUL byte inside the field, "
					       "after %zu bytes: the file is "
					       "not text (saved as UTF-16? "
					       "damaged?)",
					       (size_t)(nul - csv->fields[i]));
		rc = csv_check_utf8(csv, i, err);
		if (rc != SG_OK)
			return rc;
	}
	rec->fields = csv->fields;
	rec->lens = csv->lens;
	rec->count = csv->nfields;
	rec->line = csv->rec_line;
	return 1;
}

/* ---- writing ---- */

int sg_csv_write_field(const char *s, sg_csv_put_fn put, void *arg)
{
	const char *q;
	int rc;

	if (s == NULL)
		return SG_OK;
	if (strpbrk(s, ",\"\r\n") == NULL)
		return put(arg, s, strlen(s));
	rc = put(arg, "\"", 1);
	for (q = strchr(s, '"'); rc == SG_OK && q != NULL;
	     q = strchr(s, '"')) {
		rc = put(arg, s, (size_t)(q - s) + 1);
		if (rc == SG_OK)
			rc = put(arg, "\"", 1);
		s = q + 1;
	}
	if (rc == SG_OK)
		rc = put(arg, s, strlen(s));
	if (rc == SG_OK)
		rc = put(arg, "\"", 1);
	return rc;
}

static int csv_put_stdio(void *arg, const char *p, size_t n)
{
	fwrite(p, 1, n, arg);
	return SG_OK;
}

/* ---- lines ---- */

void sg_csv_line_begin(struct sg_csv_line *line, FILE *fp)
{
	line->fp = fp;
	line->len = 0;
}

static int csv_line_put(void *arg, const char *p, size_t n)
{
	struct sg_csv_line *line = arg;

	if (n > sizeof(line->buf) - line->len) {
		fwrite(line->buf, 1, line->len, line->fp);
		line->len = 0;
		if (n > sizeof(line->buf)) {
			fwrite(p, 1, n, line->fp);
			return SG_OK;
		}
	}
	memcpy(line->buf + line->len, p, n);
	line->len += n;
	return SG_OK;
}

/* A hundred million fields make a million opportunities' inputs: one
 * scan finds both the end of a plain field and whether it needs quotes,
 * and a field costs a copy, not stdio calls. */
/* The bytes that end a field's plain run: its end, and those that make
 * it quoted. */
static const unsigned char csv_line_stops[256] = {
	['\0'] = 1, [','] = 1, ['"'] = 1, ['\r'] = 1, ['\n'] = 1,
};

void sg_csv_line_field(struct sg_csv_line *line, const char *s, int first)
{
	size_t n, room;
	char *out;

	if (!first)
		csv_line_put(line, ",", 1);
	if (s == NULL)
		return;
	/* Copied as it is scanned, by a table, not strcspn() and a copy:
	 * most fields are a few bytes long, where a call's setup costs
	 * more than the bytes (a bundle's inputs at a million
	 * opportunities are 60 million fields).  Copied bytes count only
	 * once the field ends plain within the line's room. */
	out = line->buf + line->len;
	room = sizeof(line->buf) - line->len;
	for (n = 0; n < room && !csv_line_stops[(unsigned char)s[n]]; n++)
		out[n] = s[n];
	if (n < room && s[n] == '\0') {
		line->len += n;
		return;
	}
	while (!csv_line_stops[(unsigned char)s[n]])
		n++;
	if (s[n] == '\0')
		csv_line_put(line, s, n);
	else
		sg_csv_write_field(s, csv_line_put, line);
}

void sg_csv_line_end(struct sg_csv_line *line)
{
	csv_line_put(line, "\n", 1);
	fwrite(line->buf, 1, line->len, line->fp);
	line->len = 0;
}

void sg_csv_fput_field(FILE *fp, const char *s)
{
	sg_csv_write_field(s, csv_put_stdio, fp);
}
