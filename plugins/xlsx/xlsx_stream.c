/*
 * xlsx_stream.c - the rows of a long list written by the sink itself.
 *
 * libxlsxwriter formats every cell with fprintf and deflates each sheet
 * on one thread when the workbook closes: at half a million rows that is
 * most of a report's time.  A list that ends its sheet is therefore not
 * given to libxlsxwriter cell by cell.  Its rows are written here as the
 * very XML libxlsxwriter 1.1.4 writes in constant-memory mode (inline
 * strings, its escapes, numbers as "%.16G", the same style indexes) and
 * deflated on worker threads (sg_deflate) into a temporary file while
 * the report is still reading them; xlsx_repack.c puts them in the sheet
 * once libxlsxwriter has written the workbook around them.
 * tests/check_xlsx.c writes one table both ways and compares the sheets.
 */
#include "xlsx_int.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/sg_deflate.h"

/* XML gathered before it is handed to the compressor. */
#define XLSX_STREAM_BUF (256u * 1024u)
/* A cell's XML apart from its text: tags, reference, style. */
#define XLSX_CELL_OVERHEAD 96u
/* "_xHHHH_": a control character as libxlsxwriter escapes it. */
#define XLSX_ESCAPE_MAX 7u
#define XLSX_NO_ROW ((lxw_row_t)-1)
/* Columns whose letters are kept; further ones are spelled each time. */
#define XLSX_LETTERS_KEPT 64u
/* Formats whose style index is kept; further ones are looked up. */
#define XLSX_XF_KEPT 16u
/* zlib's fastest (libxlsxwriter's minizip uses its default, 6): on the
 * sheets of exception rows level 1 deflates 1.65 times as fast as level
 * 4, used before, for a workbook 13% larger; report at 1M takes 1-1.5 s
 * less (docs/benchmarks.md, 2026-12-07, sixth session). */
#define XLSX_DEFLATE_LEVEL 1

struct xlsx_stream {
	FILE *file;                 /* the compressed rows */
	int io_errno;               /* a write to it failed */
	struct sg_deflate *deflate;
	char *buf;
	size_t len, cap;
	lxw_row_t open_row;         /* the row whose <row> is open */
	lxw_row_t row_min, row_max;
	lxw_col_t col_min, col_max;
	int any;                    /* a cell was written */
	/* After xlsx_stream_end(): */
	unsigned long crc;
	unsigned long long raw_len, packed_len;
	/* Column letters ("A", "XFD"), made once per column. */
	char letters[XLSX_LETTERS_KEPT][4];
	/* The style indexes of the formats seen (xlsx_xf()). */
	lxw_format *xf_format[XLSX_XF_KEPT];
	int32_t xf_index[XLSX_XF_KEPT];
	size_t xf_count;
};

static int xlsx_stream_put(void *arg, const void *data, size_t len)
{
	struct xlsx_stream *s = arg;

	if (fwrite(data, 1, len, s->file) != len) {
		s->io_errno = errno != 0 ? errno : EIO;
		return s->io_errno;
	}
	s->packed_len += len;
	return 0;
}

/* A temporary file in dir, gone from the folder at once. */
static FILE *xlsx_stream_tmpfile(const char *dir)
{
	char path[4096];
	FILE *f;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/stageguard-rows-XXXXXX",
			     dir) >= sizeof(path))
		return NULL;
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	(void)unlink(path);
	f = fdopen(fd, "w+b");
	if (f == NULL)
		(void)close(fd);
	return f;
}

int xlsx_stream_new(struct xlsx_stream **out, const char *tmpdir,
		    struct sg_error *err)
{
	struct xlsx_stream *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (s == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	s->open_row = XLSX_NO_ROW;
	s->cap = XLSX_STREAM_BUF;
	s->buf = malloc(s->cap);
	s->file = xlsx_stream_tmpfile(tmpdir);
	if (s->buf == NULL || s->file == NULL) {
		int e = errno;

		xlsx_stream_free(s);
		if (e == ENOMEM)
			return sg_error_set(err, SG_ERR_NOMEM,
					    "out of memory");
		return sg_error_set(err, SG_ERR_IO, "cannot make a temporary "
				    "file for a sheet's rows in %s: %s; set "
				    "TMPDIR to a writable folder", tmpdir,
				    strerror(e));
	}
	rc = sg_deflate_new(&s->deflate, XLSX_DEFLATE_LEVEL, 0, xlsx_stream_put,
			    s, err);
	if (rc != SG_OK) {
		xlsx_stream_free(s);
		return rc;
	}
	*out = s;
	return SG_OK;
}

void xlsx_stream_free(struct xlsx_stream *s)
{
	if (s == NULL)
		return;
	sg_deflate_free(s->deflate);
	if (s->file != NULL)
		fclose(s->file);
	free(s->buf);
	free(s);
}

static int xlsx_stream_error(struct xlsx_stream *s, struct sg_error *err)
{
	if (s->io_errno != 0)
		return sg_error_set(err, SG_ERR_IO, "the temporary file of "
				    "its rows could not be written (a full "
				    "disk?); check the free space of TMPDIR "
				    "(%s)", strerror(s->io_errno));
	return sg_error_set(err, SG_ERR_SINK, "cannot compress a sheet's "
			    "rows: %s", sg_deflate_error(s->deflate));
}

static int xlsx_stream_flush(struct xlsx_stream *s, struct sg_error *err)
{
	if (s->len > 0 && sg_deflate_write(s->deflate, s->buf, s->len) != 0)
		return xlsx_stream_error(s, err);
	s->len = 0;
	return SG_OK;
}

/* Room for need more bytes in the buffer. */
static int xlsx_stream_room(struct xlsx_stream *s, size_t need,
			    struct sg_error *err)
{
	char *grown;

	if (s->len + need <= s->cap)
		return SG_OK;
	if (xlsx_stream_flush(s, err) != SG_OK)
		return err->code;
	if (need <= s->cap)
		return SG_OK;
	grown = realloc(s->buf, need);
	if (grown == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	s->buf = grown;
	s->cap = need;
	return SG_OK;
}

static void xlsx_put(struct xlsx_stream *s, const char *text, size_t n)
{
	memcpy(s->buf + s->len, text, n);
	s->len += n;
}

#define XLSX_PUT(s, lit) xlsx_put((s), (lit), sizeof(lit) - 1)

static void xlsx_put_uint(struct xlsx_stream *s, unsigned long long v)
{
	char digits[24];
	size_t n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n > 0)
		s->buf[s->len++] = digits[--n];
}

/* Closes the open row, opens row (libxlsxwriter: <row r="N">, no spans
 * in constant-memory mode) and starts cell col's reference. */
static void xlsx_put_cell_start(struct xlsx_stream *s, lxw_row_t row,
				lxw_col_t col, int32_t xf)
{
	if (row != s->open_row) {
		if (s->open_row != XLSX_NO_ROW)
			XLSX_PUT(s, "</row>");
		XLSX_PUT(s, "<row r=\"");
		xlsx_put_uint(s, (unsigned long long)row + 1);
		XLSX_PUT(s, "\">");
		s->open_row = row;
	}
	if (!s->any || row < s->row_min)
		s->row_min = row;
	if (!s->any || row > s->row_max)
		s->row_max = row;
	if (!s->any || col < s->col_min)
		s->col_min = col;
	if (!s->any || col > s->col_max)
		s->col_max = col;
	s->any = 1;
	XLSX_PUT(s, "<c r=\"");
	if (col < XLSX_LETTERS_KEPT) {
		if (s->letters[col][0] == '\0')
			lxw_col_to_name(s->letters[col], col, 0);
		xlsx_put(s, s->letters[col], strlen(s->letters[col]));
	} else {
		char name[8];

		lxw_col_to_name(name, col, 0);
		xlsx_put(s, name, strlen(name));
	}
	xlsx_put_uint(s, (unsigned long long)row + 1);
	if (xf != 0) {
		XLSX_PUT(s, "\" s=\"");
		xlsx_put_uint(s, (unsigned long long)xf);
	}
	s->buf[s->len++] = '"';
}

/*
 * A format's style index.  libxlsxwriter keeps the index of the first
 * format of each look, but a later format that looks the same is looked
 * up again on every call (a copy of it made, hashed, compared and
 * freed): at a million opportunities a fifth of a second a column.  So
 * the stream remembers the formats it has seen.
 */
static int32_t xlsx_xf(struct xlsx_stream *s, lxw_format *format)
{
	size_t i;

	if (format == NULL)
		return 0;
	for (i = 0; i < s->xf_count; i++)
		if (s->xf_format[i] == format)
			return s->xf_index[i];
	if (s->xf_count == XLSX_XF_KEPT)
		return lxw_format_get_xf_index(format);
	s->xf_format[s->xf_count] = format;
	s->xf_index[s->xf_count] = lxw_format_get_xf_index(format);
	return s->xf_index[s->xf_count++];
}

static int xlsx_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

/* A control character libxlsxwriter writes as "_xHHHH_" (all below
 * 0x20 but tab and newline). */
static int xlsx_is_escaped_control(unsigned char c)
{
	return c >= 0x01 && c < 0x20 && c != 0x09 && c != 0x0A;
}

/* text as libxlsxwriter escapes it: control characters first, then
 * & < > (lxw_escape_control_characters, then lxw_escape_data). */
static void xlsx_put_escaped(struct xlsx_stream *s, const char *text,
			     size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		const char *rep;
		size_t rep_len;

		if (c >= 0x20 && c != '&' && c != '<' && c != '>')
			continue;
		if (c == 0x09 || c == 0x0A)
			continue;
		xlsx_put(s, text + run, i - run);
		run = i + 1;
		if (c == '&') {
			rep = "&amp;";
			rep_len = 5;
		} else if (c == '<') {
			rep = "&lt;";
			rep_len = 4;
		} else if (c == '>') {
			rep = "&gt;";
			rep_len = 4;
		} else {
			char *p = s->buf + s->len;

			p[0] = '_';
			p[1] = 'x';
			p[2] = '0';
			p[3] = '0';
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			p[6] = '_';
			s->len += XLSX_ESCAPE_MAX;
			continue;
		}
		xlsx_put(s, rep, rep_len);
	}
	xlsx_put(s, text + run, n - run);
}

int xlsx_stream_text(struct xlsx_stream *s, lxw_row_t row, lxw_col_t col,
		     const char *text, lxw_format *format,
		     struct sg_error *err)
{
	size_t n = strlen(text);
	int32_t xf;
	int preserve;

	if (n == 0)
		return SG_OK;
	if (xlsx_stream_room(s, n * XLSX_ESCAPE_MAX + XLSX_CELL_OVERHEAD,
			     err) != SG_OK)
		return err->code;
	xf = xlsx_xf(s, format);
	/* The escaped text's ends: an escaped control character starts
	 * and ends with '_', every other byte is itself. */
	preserve = (!xlsx_is_escaped_control((unsigned char)text[0]) &&
		    xlsx_is_space(text[0])) ||
		   (!xlsx_is_escaped_control((unsigned char)text[n - 1]) &&
		    xlsx_is_space(text[n - 1]));
	xlsx_put_cell_start(s, row, col, xf);
	if (preserve)
		XLSX_PUT(s, " t=\"inlineStr\"><is><t xml:space=\"preserve\">");
	else
		XLSX_PUT(s, " t=\"inlineStr\"><is><t>");
	xlsx_put_escaped(s, text, n);
	XLSX_PUT(s, "</t></is></c>");
	return SG_OK;
}

/* Powers of ten that fit in 64 bits. */
static const uint64_t xlsx_pow10[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
	10000000000000000000ULL
};

/*
 * a (1e-4 <= a < 1e15) rounded to 16 significant digits as printf rounds
 * (half to even, on a's exact binary value): *q (10^15 <= *q < 10^16)
 * times 10^(*d - 15).  a is m / 2^s exactly, so a * 10^k is an integer
 * product and a shift, exact in 128 bits (m < 2^53, 10^k < 2^64).
 */
static void xlsx_round16(double a, uint64_t *q, int *d)
{
	int e2, s, k, exp10 = (int)floor(log10(a));
	uint64_t m = (uint64_t)ldexp(frexp(a, &e2), 53), n;
	unsigned __int128 prod, rest, half;

	s = 53 - e2;
	if (exp10 < -4)
		exp10 = -4;
	if (exp10 > 14)
		exp10 = 14;
	for (;;) {
		k = 15 - exp10;
		prod = (unsigned __int128)m * xlsx_pow10[k];
		n = (uint64_t)(prod >> s);
		if (n < xlsx_pow10[15] && exp10 > -4) {
			exp10--;        /* log10() said one too many */
			continue;
		}
		if (n >= xlsx_pow10[16] && exp10 < 14) {
			exp10++;
			continue;
		}
		break;
	}
	rest = prod - ((unsigned __int128)n << s);
	half = (unsigned __int128)1 << (s - 1);
	if (rest > half || (rest == half && (n & 1)))
		n++;
	if (n == xlsx_pow10[16]) {      /* 9.99...95 became 10.0 */
		n = xlsx_pow10[15];
		exp10++;
	}
	*q = n;
	*d = exp10;
}

size_t xlsx_format_number(char *out, double x)
{
	double a = fabs(x);
	char digits[17];
	uint64_t q;
	size_t len = 0, i, last;
	int d;

	if (!(a >= 1e-4 && a < 1e15))
		return (size_t)snprintf(out, XLSX_NUMBER_MAX, "%.16G", x);
	xlsx_round16(a, &q, &d);
	for (i = 16; i-- > 0; q /= 10)
		digits[i] = (char)('0' + q % 10);
	if (x < 0)
		out[len++] = '-';
	/* "%G" at precision 16 with the exponent d in -4..14: fixed
	 * notation with 15 - d decimals, trailing zeros dropped. */
	if (d >= 0) {
		memcpy(out + len, digits, (size_t)d + 1);
		len += (size_t)d + 1;
	} else {
		out[len++] = '0';
	}
	out[len++] = '.';
	last = len;
	for (i = 0; d < 0 && i < (size_t)(-d - 1); i++)
		out[len++] = '0';
	for (i = d >= 0 ? (size_t)d + 1 : 0; i < 16; i++) {
		out[len++] = digits[i];
		if (digits[i] != '0')
			last = len;
	}
	/* Trailing zeros dropped, and the point when none is left. */
	len = out[last - 1] == '.' ? last - 1 : last;
	out[len] = '\0';
	return len;
}

int xlsx_stream_number(struct xlsx_stream *s, lxw_row_t row, lxw_col_t col,
		       double x, lxw_format *format, struct sg_error *err)
{
	char digits[XLSX_NUMBER_MAX];
	size_t n;

	if (xlsx_stream_room(s, XLSX_CELL_OVERHEAD + sizeof(digits), err) !=
	    SG_OK)
		return err->code;
	xlsx_put_cell_start(s, row, col, xlsx_xf(s, format));
	XLSX_PUT(s, "><v>");
	/* A whole number below 1e15 prints the same with "%.16G" as its
	 * digits do; -0 does not ("-0"). */
	if (x > -1e15 && x < 1e15 && x == (double)(long long)x &&
	    !(x == 0 && signbit(x))) {
		if (x < 0) {
			s->buf[s->len++] = '-';
			xlsx_put_uint(s, (unsigned long long)-(long long)x);
		} else {
			xlsx_put_uint(s, (unsigned long long)(long long)x);
		}
	} else {
		n = xlsx_format_number(digits, x);
		xlsx_put(s, digits, n);
	}
	XLSX_PUT(s, "</v></c>");
	return SG_OK;
}

int xlsx_stream_end(struct xlsx_stream *s, struct sg_error *err)
{
	if (s->open_row != XLSX_NO_ROW) {
		if (xlsx_stream_room(s, 8, err) != SG_OK)
			return err->code;
		XLSX_PUT(s, "</row>");
		s->open_row = XLSX_NO_ROW;
	}
	if (xlsx_stream_flush(s, err) != SG_OK)
		return err->code;
	if (sg_deflate_finish_open(s->deflate) != 0)
		return xlsx_stream_error(s, err);
	s->crc = sg_deflate_crc(s->deflate);
	s->raw_len = sg_deflate_total_in(s->deflate);
	sg_deflate_free(s->deflate);
	s->deflate = NULL;
	if (fflush(s->file) != 0 || ferror(s->file)) {
		s->io_errno = errno != 0 ? errno : EIO;
		return xlsx_stream_error(s, err);
	}
	return SG_OK;
}

void xlsx_stream_extent(const struct xlsx_stream *s, int *any,
			lxw_row_t *row_min, lxw_col_t *col_min,
			lxw_row_t *row_max, lxw_col_t *col_max)
{
	*any = s->any;
	*row_min = s->row_min;
	*col_min = s->col_min;
	*row_max = s->row_max;
	*col_max = s->col_max;
}

void xlsx_stream_packed(const struct xlsx_stream *s, FILE **file,
			unsigned long *crc, unsigned long long *raw_len,
			unsigned long long *packed_len)
{
	*file = s->file;
	*crc = s->crc;
	*raw_len = s->raw_len;
	*packed_len = s->packed_len;
}
