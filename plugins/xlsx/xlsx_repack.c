/*
 * xlsx_repack.c - the rows the sink wrote itself (xlsx_stream.c) put into
 * the workbook libxlsxwriter wrote around them.
 *
 * libxlsxwriter's file is a zip (APPNOTE.TXT) whose sheets with streamed
 * rows hold only the rows above the list.  The workbook is copied member
 * by member into a new file: every member as it is, byte for byte, but
 * those sheets, each made of three raw deflate pieces that join into one
 * stream: the sheet's XML up to </sheetData> (its <dimension> grown to the
 * rows below), compressed here and ended on a byte boundary; the streamed
 * rows as the workers compressed them; the rest of the sheet, ending the
 * stream.  Their CRC-32s are joined with crc32_combine().  The central
 * directory follows with the new offsets.
 *
 * A workbook past 4 GiB would need ZIP64, which libxlsxwriter is not
 * asked to write either: it is refused with a message.
 */
#include "xlsx_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/sg_path.h"

#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_CENTRAL_SIG 0x02014b50u
#define ZIP_END_SIG 0x06054b50u
#define ZIP_LOCAL_LEN 30u
#define ZIP_CENTRAL_LEN 46u
#define ZIP_END_LEN 22u
#define ZIP_COMMENT_MAX 65535u
#define ZIP_FLAG_DESCRIPTOR 0x0008u
#define ZIP_DEFLATED 8u
#define ZIP_MAX32 0xFFFFFFFFull
#define XLSX_COPY_BLOCK (1u << 20)
#define XLSX_PART_NAME 64u

struct zip_member {
	size_t central;         /* offset of its entry in the directory */
	size_t central_len;
	uint64_t offset;        /* of its local header, in the source */
	uint64_t end;           /* where its bytes end in the source */
	uint64_t packed, raw;
	uint32_t crc;
	uint16_t flags, method;
	struct xlsx_sheet *sheet;   /* with streamed rows, or NULL */
	/* In the new file: */
	uint64_t new_offset, new_packed, new_raw;
	uint32_t new_crc;
};

struct zip_job {
	struct xlsx_ctx *cx;
	int src, dst;
	uint64_t src_size, dst_pos;
	unsigned char *dir;     /* the source's central directory */
	size_t dir_len;
	unsigned char end[ZIP_END_LEN];
	size_t end_comment;
	struct zip_member *members;
	size_t count;
	unsigned char *block;   /* XLSX_COPY_BLOCK bytes for copying */
	struct sg_error *err;
};

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static int zip_bad(struct zip_job *z, const char *what)
{
	return sg_error_set(z->err, SG_ERR_SINK, "the workbook libxlsxwriter "
			    "wrote cannot be read back as a zip: %s (a bug, or "
			    "the file changed while it was written)", what);
}

static int zip_io(struct zip_job *z, const char *what, int e)
{
	return sg_error_set(z->err, SG_ERR_IO, "cannot %s the workbook: %s; "
			    "check the free space of the folder %s", what,
			    strerror(e), z->cx->path);
}

static int zip_read(struct zip_job *z, void *buf, size_t len, uint64_t at)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = pread(z->src, p, len, (off_t)at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return zip_io(z, "read back", errno);
		if (n == 0)
			return zip_bad(z, "it ends early");
		p += n;
		at += (uint64_t)n;
		len -= (size_t)n;
	}
	return SG_OK;
}

static int zip_write(struct zip_job *z, const void *buf, size_t len)
{
	int e = sg_write_all(z->dst, buf, len);

	if (e != 0)
		return zip_io(z, "write", e);
	z->dst_pos += (uint64_t)len;
	return SG_OK;
}

/* Finds the end record and reads the central directory. */
static int zip_read_directory(struct zip_job *z)
{
	unsigned char tail[ZIP_END_LEN + ZIP_COMMENT_MAX];
	size_t tail_len, i;
	uint64_t dir_at;
	struct stat sb;
	int rc;

	if (fstat(z->src, &sb) != 0)
		return zip_io(z, "read back", errno);
	z->src_size = (uint64_t)sb.st_size;
	if (z->src_size < ZIP_END_LEN)
		return zip_bad(z, "it is too short");
	tail_len = z->src_size < sizeof(tail) ? (size_t)z->src_size :
		   sizeof(tail);
	rc = zip_read(z, tail, tail_len, z->src_size - tail_len);
	if (rc != SG_OK)
		return rc;
	for (i = tail_len - ZIP_END_LEN + 1; i-- > 0;)
		if (get32(tail + i) == ZIP_END_SIG &&
		    i + ZIP_END_LEN + get16(tail + i + 20) == tail_len)
			break;
	if (i == (size_t)-1)
		return zip_bad(z, "no end of central directory");
	memcpy(z->end, tail + i, ZIP_END_LEN);
	z->end_comment = get16(z->end + 20);
	z->dir_len = get32(z->end + 12);
	dir_at = get32(z->end + 16);
	if (get16(z->end + 10) == 0xFFFF || dir_at == ZIP_MAX32 ||
	    dir_at + z->dir_len > z->src_size)
		return zip_bad(z, "a ZIP64 or damaged central directory");
	z->dir = malloc(z->dir_len > 0 ? z->dir_len : 1);
	if (z->dir == NULL)
		return sg_error_set(z->err, SG_ERR_NOMEM, "out of memory");
	return zip_read(z, z->dir, z->dir_len, dir_at);
}

struct xlsx_sheet *xlsx_streamed_sheet(const struct xlsx_layout *L,
				       const char *name, size_t len)
{
	char part[XLSX_PART_NAME];
	size_t i;

	for (i = 0; i < xlsx_layout_sheet_count(L); i++) {
		struct xlsx_sheet *sh = xlsx_layout_sheet(L, i);
		int n;

		if (sh->stream == NULL)
			continue;
		n = snprintf(part, sizeof(part), "xl/worksheets/sheet%u.xml",
			     sh->part);
		if ((size_t)n == len && memcmp(part, name, len) == 0)
			return sh;
	}
	return NULL;
}

static int zip_by_offset(const void *a, const void *b)
{
	const struct zip_member *x = *(struct zip_member *const *)a;
	const struct zip_member *y = *(struct zip_member *const *)b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Lists the members; each one's bytes end where the next one's start. */
static int zip_list_members(struct zip_job *z)
{
	size_t at = 0, n = get16(z->end + 10), i, found = 0;
	struct zip_member **order;

	z->members = calloc(n > 0 ? n : 1, sizeof(*z->members));
	order = calloc(n > 0 ? n : 1, sizeof(*order));
	if (z->members == NULL || order == NULL) {
		free(order);
		return sg_error_set(z->err, SG_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		struct zip_member *m = &z->members[i];
		const unsigned char *e = z->dir + at;
		size_t len;

		if (at + ZIP_CENTRAL_LEN > z->dir_len ||
		    get32(e) != ZIP_CENTRAL_SIG)
			break;
		len = ZIP_CENTRAL_LEN + (size_t)get16(e + 28) +
		      get16(e + 30) + get16(e + 32);
		if (at + len > z->dir_len)
			break;
		m->central = at;
		m->central_len = len;
		m->flags = get16(e + 8);
		m->method = get16(e + 10);
		m->crc = get32(e + 16);
		m->packed = get32(e + 20);
		m->raw = get32(e + 24);
		m->offset = get32(e + 42);
		m->sheet = xlsx_streamed_sheet(&z->cx->layout,
					       (const char *)e + 46,
					       get16(e + 28));
		found += m->sheet != NULL;
		order[i] = m;
		at += len;
	}
	z->count = i;
	if (i < n) {
		free(order);
		return zip_bad(z, "a damaged central directory entry");
	}
	qsort(order, n, sizeof(*order), zip_by_offset);
	for (i = 0; i < n; i++)
		order[i]->end = i + 1 < n ? order[i + 1]->offset :
				get32(z->end + 16);
	free(order);
	if (found != xlsx_streamed_count(&z->cx->layout))
		return zip_bad(z, "a sheet with rows of its own is missing");
	return SG_OK;
}

static int zip_copy_range(struct zip_job *z, uint64_t from, uint64_t to)
{
	while (from < to) {
		size_t n = to - from < XLSX_COPY_BLOCK ?
			   (size_t)(to - from) : XLSX_COPY_BLOCK;
		int rc = zip_read(z, z->block, n, from);

		if (rc == SG_OK)
			rc = zip_write(z, z->block, n);
		if (rc != SG_OK)
			return rc;
		from += n;
	}
	return SG_OK;
}

/* A growing buffer of bytes. */
struct zip_buf {
	unsigned char *data;
	size_t len, cap;
};

static int zip_buf_room(struct zip_buf *b, size_t need)
{
	unsigned char *grown;
	size_t cap = b->cap > 0 ? b->cap : 4096;

	if (b->len + need <= b->cap)
		return 0;
	while (cap < b->len + need)
		cap *= 2;
	grown = realloc(b->data, cap);
	if (grown == NULL)
		return -1;
	b->data = grown;
	b->cap = cap;
	return 0;
}

/* The member's data inflated: libxlsxwriter's XML of the sheet. */
static int zip_inflate_member(struct zip_job *z, const struct zip_member *m,
			      uint64_t data_at, struct zip_buf *xml)
{
	unsigned char *packed;
	z_stream zs;
	int r;

	if (m->method != ZIP_DEFLATED)
		return zip_bad(z, "a sheet is not deflated");
	if (m->packed > m->end - data_at || m->raw > SIZE_MAX / 2)
		return zip_bad(z, "a sheet's size does not fit its place");
	packed = malloc(m->packed > 0 ? (size_t)m->packed : 1);
	if (packed == NULL || zip_buf_room(xml, (size_t)m->raw + 1) != 0) {
		free(packed);
		return sg_error_set(z->err, SG_ERR_NOMEM, "out of memory");
	}
	r = zip_read(z, packed, (size_t)m->packed, data_at);
	if (r != SG_OK) {
		free(packed);
		return r;
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK) {
		free(packed);
		return sg_error_set(z->err, SG_ERR_NOMEM, "out of memory");
	}
	zs.next_in = packed;
	zs.avail_in = (uInt)m->packed;
	zs.next_out = xml->data;
	zs.avail_out = (uInt)m->raw + 1;
	r = inflate(&zs, Z_FINISH);
	xml->len = (size_t)zs.total_out;
	inflateEnd(&zs);
	free(packed);
	if (r != Z_STREAM_END || xml->len != m->raw ||
	    crc32(crc32(0L, Z_NULL, 0), xml->data, (uInt)xml->len) != m->crc)
		return zip_bad(z, "a sheet does not inflate to its size and "
			       "CRC");
	xml->data[xml->len] = '\0';
	return SG_OK;
}

/* The last occurrence of needle in hay[0, len). */
static const unsigned char *zip_find_last(const unsigned char *hay,
					  size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	if (len < n)
		return NULL;
	for (i = len - n + 1; i-- > 0;)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* The range libxlsxwriter's <dimension> would give had it written the
 * streamed cells too: its own grown to hold them. */
static int zip_dimension(const struct xlsx_stream *s, const char *ref,
			 size_t ref_len, char *out)
{
	char old[LXW_MAX_CELL_RANGE_LENGTH];
	const char *colon;
	lxw_row_t r0, r1, sr0, sr1;
	lxw_col_t c0, c1, sc0, sc1;
	int any;

	if (ref_len == 0 || ref_len >= sizeof(old))
		return -1;
	memcpy(old, ref, ref_len);
	old[ref_len] = '\0';
	r0 = lxw_name_to_row(old);
	c0 = lxw_name_to_col(old);
	colon = strchr(old, ':');
	r1 = colon != NULL ? lxw_name_to_row_2(old) : r0;
	c1 = colon != NULL ? lxw_name_to_col_2(old) : c0;
	xlsx_stream_extent(s, &any, &sr0, &sc0, &sr1, &sc1);
	if (any) {
		r0 = sr0 < r0 ? sr0 : r0;
		c0 = sc0 < c0 ? sc0 : c0;
		r1 = sr1 > r1 ? sr1 : r1;
		c1 = sc1 > c1 ? sc1 : c1;
	}
	lxw_rowcol_to_range(out, r0, c0, r1, c1);
	return 0;
}

/* Deflates len bytes into out with zs; flush Z_SYNC_FLUSH or Z_FINISH
 * on the last piece, Z_NO_FLUSH before. */
static int zip_deflate_piece(z_stream *zs, const void *data, size_t len,
			     int flush, struct zip_buf *out)
{
	int r;

	zs->next_in = (unsigned char *)data;
	zs->avail_in = (uInt)len;
	do {
		if (zip_buf_room(out, 64 * 1024) != 0)
			return -1;
		zs->next_out = out->data + out->len;
		zs->avail_out = (uInt)(out->cap - out->len);
		r = deflate(zs, flush);
		out->len = out->cap - zs->avail_out;
		if (r == Z_STREAM_ERROR)
			return -1;
	} while (zs->avail_in > 0 || zs->avail_out == 0);
	return 0;
}

/* The sheet's XML before the rows (dimension replaced) and after them,
 * each compressed: head ends on a byte boundary, tail ends the stream. */
static int zip_compress_around(struct zip_job *z, struct zip_member *m,
			       const struct zip_buf *xml, struct zip_buf *head,
			       struct zip_buf *tail, uLong *crc_head,
			       uLong *crc_tail, size_t *raw_head,
			       size_t *raw_tail)
{
	static const char dim_tag[] = "<dimension ref=\"";
	const unsigned char *dim, *ref_end, *close;
	char ref[LXW_MAX_CELL_RANGE_LENGTH];
	const unsigned char *x = xml->data;
	z_stream zs;
	int bad;

	dim = (const unsigned char *)strstr((const char *)x, dim_tag);
	close = zip_find_last(x, xml->len, "</sheetData>");
	if (dim == NULL || close == NULL || close < dim)
		return zip_bad(z, "a sheet has no <dimension> or </sheetData>");
	dim += sizeof(dim_tag) - 1;
	ref_end = memchr(dim, '"', (size_t)(close - dim));
	if (ref_end == NULL ||
	    zip_dimension(m->sheet->stream, (const char *)dim,
			  (size_t)(ref_end - dim), ref) != 0)
		return zip_bad(z, "a sheet's <dimension> cannot be read");
	*crc_head = crc32(0L, Z_NULL, 0);
	*crc_head = crc32(*crc_head, x, (uInt)(dim - x));
	*crc_head = crc32(*crc_head, (const unsigned char *)ref,
			  (uInt)strlen(ref));
	*crc_head = crc32(*crc_head, ref_end, (uInt)(close - ref_end));
	*raw_head = (size_t)(dim - x) + strlen(ref) +
		    (size_t)(close - ref_end);
	*raw_tail = xml->len - (size_t)(close - x);
	*crc_tail = crc32(crc32(0L, Z_NULL, 0), close, (uInt)*raw_tail);
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return sg_error_set(z->err, SG_ERR_NOMEM, "out of memory");
	bad = zip_deflate_piece(&zs, x, (size_t)(dim - x), Z_NO_FLUSH,
				head) != 0 ||
	      zip_deflate_piece(&zs, ref, strlen(ref), Z_NO_FLUSH,
				head) != 0 ||
	      zip_deflate_piece(&zs, ref_end, (size_t)(close - ref_end),
				Z_SYNC_FLUSH, head) != 0 ||
	      deflateReset(&zs) != Z_OK ||
	      zip_deflate_piece(&zs, close, *raw_tail, Z_FINISH, tail) != 0;
	deflateEnd(&zs);
	if (bad)
		return sg_error_set(z->err, SG_ERR_NOMEM, "out of memory");
	return SG_OK;
}

/* Copies the streamed rows' compressed bytes from their file. */
static int zip_copy_rows(struct zip_job *z, FILE *rows,
			 unsigned long long len)
{
	if (fseek(rows, 0, SEEK_SET) != 0)
		return zip_io(z, "read the rows of", errno);
	while (len > 0) {
		size_t n = len < XLSX_COPY_BLOCK ? (size_t)len :
			   XLSX_COPY_BLOCK;
		int rc;

		if (fread(z->block, 1, n, rows) != n)
			return zip_io(z, "read the rows of",
				      ferror(rows) ? errno : EIO);
		rc = zip_write(z, z->block, n);
		if (rc != SG_OK)
			return rc;
		len -= n;
	}
	return SG_OK;
}

static int zip_too_big(struct zip_job *z)
{
	return sg_error_set(z->err, SG_ERR_SINK, "the workbook would be "
			    "larger than 4 GiB, more than a zip without "
			    "ZIP64 holds; report on a shorter pilot window "
			    "or fewer opportunities");
}

/* Writes the sheet m with its streamed rows. */
static int zip_splice(struct zip_job *z, struct zip_member *m)
{
	unsigned char local[ZIP_LOCAL_LEN];
	struct zip_buf xml = {0}, head = {0}, tail = {0};
	uLong crc_head = 0, crc_tail = 0;
	size_t raw_head = 0, raw_tail = 0, name_extra;
	unsigned long rows_crc;
	unsigned long long rows_raw, rows_packed;
	FILE *rows;
	int rc;

	rc = zip_read(z, local, sizeof(local), m->offset);
	if (rc != SG_OK)
		return rc;
	if (get32(local) != ZIP_LOCAL_SIG)
		return zip_bad(z, "a member's local header is missing");
	name_extra = (size_t)get16(local + 26) + get16(local + 28);
	rc = zip_inflate_member(z, m, m->offset + ZIP_LOCAL_LEN + name_extra,
				&xml);
	if (rc == SG_OK)
		rc = zip_compress_around(z, m, &xml, &head, &tail, &crc_head,
					 &crc_tail, &raw_head, &raw_tail);
	free(xml.data);
	if (rc != SG_OK)
		goto out;
	xlsx_stream_packed(m->sheet->stream, &rows, &rows_crc, &rows_raw,
			   &rows_packed);
	m->new_crc = (uint32_t)crc32_combine(
		crc32_combine(crc_head, rows_crc, (z_off_t)rows_raw),
		crc_tail, (z_off_t)raw_tail);
	m->new_raw = raw_head + rows_raw + raw_tail;
	m->new_packed = head.len + rows_packed + tail.len;
	if (m->new_raw >= ZIP_MAX32 || m->new_packed >= ZIP_MAX32) {
		rc = zip_too_big(z);
		goto out;
	}
	put16(local + 6, (uint16_t)(get16(local + 6) & ~ZIP_FLAG_DESCRIPTOR));
	put32(local + 14, m->new_crc);
	put32(local + 18, (uint32_t)m->new_packed);
	put32(local + 22, (uint32_t)m->new_raw);
	rc = zip_write(z, local, sizeof(local));
	if (rc == SG_OK)
		rc = zip_copy_range(z, m->offset + ZIP_LOCAL_LEN,
				    m->offset + ZIP_LOCAL_LEN + name_extra);
	if (rc == SG_OK)
		rc = zip_write(z, head.data, head.len);
	if (rc == SG_OK)
		rc = zip_copy_rows(z, rows, rows_packed);
	if (rc == SG_OK)
		rc = zip_write(z, tail.data, tail.len);
out:
	free(head.data);
	free(tail.data);
	return rc;
}

/* The central directory with the new offsets, and its end record. */
static int zip_write_directory(struct zip_job *z)
{
	uint64_t dir_at = z->dst_pos;
	size_t i;
	int rc;

	for (i = 0; i < z->count; i++) {
		struct zip_member *m = &z->members[i];
		unsigned char *e = z->dir + m->central;

		if (m->new_offset >= ZIP_MAX32)
			return zip_too_big(z);
		put32(e + 42, (uint32_t)m->new_offset);
		if (m->sheet != NULL) {
			put16(e + 8, (uint16_t)(m->flags &
						~ZIP_FLAG_DESCRIPTOR));
			put32(e + 16, m->new_crc);
			put32(e + 20, (uint32_t)m->new_packed);
			put32(e + 24, (uint32_t)m->new_raw);
		}
		rc = zip_write(z, e, m->central_len);
		if (rc != SG_OK)
			return rc;
	}
	if (dir_at >= ZIP_MAX32)
		return zip_too_big(z);
	put32(z->end + 12, (uint32_t)(z->dst_pos - dir_at));
	put32(z->end + 16, (uint32_t)dir_at);
	rc = zip_write(z, z->end, ZIP_END_LEN);
	if (rc == SG_OK && z->end_comment > 0)
		rc = zip_copy_range(z, z->src_size - z->end_comment,
				    z->src_size);
	return rc;
}

size_t xlsx_streamed_count(const struct xlsx_layout *L)
{
	size_t i, n = 0;

	for (i = 0; i < xlsx_layout_sheet_count(L); i++)
		n += xlsx_layout_sheet(L, i)->stream != NULL;
	return n;
}

int xlsx_repack(struct xlsx_ctx *cx, int src_fd, int dst_fd,
		struct sg_error *err)
{
	struct zip_job z;
	size_t i;
	int rc;

	memset(&z, 0, sizeof(z));
	z.cx = cx;
	z.src = src_fd;
	z.dst = dst_fd;
	z.err = err;
	z.block = malloc(XLSX_COPY_BLOCK);
	if (z.block == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	rc = zip_read_directory(&z);
	if (rc == SG_OK)
		rc = zip_list_members(&z);
	for (i = 0; rc == SG_OK && i < z.count; i++) {
		struct zip_member *m = &z.members[i];

		m->new_offset = z.dst_pos;
		if (m->sheet != NULL)
			rc = zip_splice(&z, m);
		else
			rc = zip_copy_range(&z, m->offset, m->end);
	}
	if (rc == SG_OK)
		rc = zip_write_directory(&z);
	free(z.block);
	free(z.dir);
	free(z.members);
	return rc;
}
