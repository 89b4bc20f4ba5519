/*
 * check_deflate.c - raw deflate on worker threads (core/util/sg_deflate.c):
 * the stream inflates back to the input at every size around the block
 * boundary, its CRC and length are the input's, its bytes do not depend
 * on the thread count or on how the input is cut, a stream ended open
 * joins with deflate data that follows it, and a failing put() ends the
 * stream with its errno.  In gzip members, each block is a gzip member
 * of its own that gunzips to that block, stored when its bytes are
 * deflated already.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sg_deflate.h"

/* The compressed bytes, gathered; put() fails with fail_errno once
 * fail_after calls have succeeded (never when fail_after < 0). */
struct sink {
	unsigned char *data;
	size_t len, cap;
	int calls, fail_after, fail_errno;
};

static int sink_put(void *arg, const void *data, size_t len)
{
	struct sink *s = arg;

	if (s->fail_after >= 0 && s->calls++ >= s->fail_after)
		return s->fail_errno;
	if (s->len + len > s->cap) {
		s->cap = (s->len + len) * 2;
		s->data = realloc(s->data, s->cap);
		ck_assert_ptr_nonnull(s->data);
	}
	memcpy(s->data + s->len, data, len);
	s->len += len;
	return 0;
}

/* size bytes of text-like input with random stretches: compressible, and
 * different in every block. */
static unsigned char *make_input(size_t size)
{
	static const char words[] = "opportunity stage evidence buyer "
				    "seller review note forecast ";
	unsigned char *in = malloc(size ? size : 1);
	unsigned long x = 12345;
	size_t i;

	ck_assert_ptr_nonnull(in);
	for (i = 0; i < size; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		in[i] = (x >> 60) < 3 ? (unsigned char)(x >> 33) :
			(unsigned char)words[(i / 3) % (sizeof(words) - 1)];
	}
	return in;
}

/* Compresses in as pieces of piece bytes (all at once when 0) on
 * workers threads, as one raw stream or (members) as gzip members;
 * returns the compressed bytes in s. */
static void compress_all(struct sink *s, const unsigned char *in,
			 size_t size, size_t workers, size_t piece,
			 int members, unsigned long *crc,
			 unsigned long long *total)
{
	struct sg_deflate *d;
	struct sg_error err;
	size_t off = 0, n;

	memset(s, 0, sizeof(*s));
	s->fail_after = -1;
	sg_error_clear(&err);
	ck_assert_int_eq(members ?
			 sg_deflate_new_gzip_members(&d, 1, workers, sink_put,
						     s, &err) :
			 sg_deflate_new(&d, -1, workers, sink_put, s, &err),
			 SG_OK);
	while (off < size) {
		n = piece == 0 || piece > size - off ? size - off : piece;
		ck_assert_int_eq(sg_deflate_write(d, in + off, n), 0);
		off += n;
	}
	ck_assert_int_eq(sg_deflate_finish(d), 0);
	*crc = sg_deflate_crc(d);
	*total = sg_deflate_total_in(d);
	sg_deflate_free(d);
}

static void deflate_all(struct sink *s, const unsigned char *in, size_t size,
			size_t workers, size_t piece, unsigned long *crc,
			unsigned long long *total)
{
	compress_all(s, in, size, workers, piece, 0, crc, total);
}

/* The raw stream inflates to exactly want. */
static void assert_inflates_to(const struct sink *s, const unsigned char *want,
			       size_t size)
{
	unsigned char *out = malloc(size + 1);
	z_stream zs;
	int r;

	ck_assert_ptr_nonnull(out);
	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(inflateInit2(&zs, -15), Z_OK);
	zs.next_in = s->data;
	zs.avail_in = (uInt)s->len;
	zs.next_out = out;
	zs.avail_out = (uInt)size + 1;
	r = inflate(&zs, Z_FINISH);
	ck_assert_int_eq(r, Z_STREAM_END);
	ck_assert_uint_eq(zs.avail_in, 0);
	ck_assert_uint_eq(zs.total_out, size);
	ck_assert(memcmp(out, want, size) == 0);
	inflateEnd(&zs);
	free(out);
}

static const size_t sizes[] = {
	0, 1, 1000, SG_DEFLATE_BLOCK - 1, SG_DEFLATE_BLOCK,
	SG_DEFLATE_BLOCK + 1, 3 * SG_DEFLATE_BLOCK + 12345
};

START_TEST(test_round_trip)
{
	size_t size = sizes[_i];
	unsigned char *in = make_input(size);
	unsigned long crc;
	unsigned long long total;
	struct sink s;

	deflate_all(&s, in, size, 2, 0, &crc, &total);
	assert_inflates_to(&s, in, size);
	ck_assert_uint_eq(crc, crc32(crc32(0L, Z_NULL, 0), in, (uInt)size));
	ck_assert_uint_eq(total, size);
	/* Compressed, not stored: the input repeats its words. */
	if (size >= SG_DEFLATE_BLOCK)
		ck_assert_uint_lt(s.len, size / 2);
	free(s.data);
	free(in);
}
END_TEST

/* Random bytes do not shrink: each block is stored, a little larger
 * than its input, and still fits (raw stream and gzip members). */
START_TEST(test_incompressible_input)
{
	size_t size = 3 * SG_DEFLATE_BLOCK + 777, i;
	unsigned char *in = malloc(size);
	unsigned long crc, x = 99;
	unsigned long long total;
	struct sink s;
	gzFile gz;
	char path[] = "/tmp/check_deflate.XXXXXX";
	unsigned char *back = malloc(size + 1);
	int fd;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(back);
	for (i = 0; i < size; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		in[i] = (unsigned char)(x >> 56);
	}
	deflate_all(&s, in, size, 2, 0, &crc, &total);
	assert_inflates_to(&s, in, size);
	ck_assert_uint_ge(s.len, size);
	free(s.data);
	compress_all(&s, in, size, 2, 0, 1, &crc, &total);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s.data, s.len), (ssize_t)s.len);
	close(fd);
	gz = gzopen(path, "rb");
	ck_assert_ptr_nonnull(gz);
	ck_assert_int_eq(gzread(gz, back, (unsigned)size + 1), (int)size);
	gzclose(gz);
	unlink(path);
	ck_assert(memcmp(back, in, size) == 0);
	free(s.data);
	free(back);
	free(in);
}
END_TEST

/* One thread or four, the whole input at once or in odd pieces: the same
 * bytes. */
START_TEST(test_same_bytes_whatever_the_threads)
{
	size_t size = 3 * SG_DEFLATE_BLOCK + 12345;
	unsigned char *in = make_input(size);
	unsigned long crc1, crc2, crc3;
	unsigned long long t1, t2, t3;
	struct sink one, four, pieces;

	deflate_all(&one, in, size, 1, 0, &crc1, &t1);
	deflate_all(&four, in, size, 4, 0, &crc2, &t2);
	deflate_all(&pieces, in, size, 3, 77777, &crc3, &t3);
	ck_assert_uint_eq(one.len, four.len);
	ck_assert(memcmp(one.data, four.data, one.len) == 0);
	ck_assert_uint_eq(one.len, pieces.len);
	ck_assert(memcmp(one.data, pieces.data, one.len) == 0);
	ck_assert_uint_eq(crc1, crc2);
	ck_assert_uint_eq(crc1, crc3);
	free(one.data);
	free(four.data);
	free(pieces.data);
	free(in);
}
END_TEST

/* put() fails (a full disk): the stream says so and stops. */
START_TEST(test_put_failure)
{
	size_t size = 4 * SG_DEFLATE_BLOCK;
	unsigned char *in = make_input(size);
	struct sg_deflate *d;
	struct sg_error err;
	struct sink s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.fail_after = 1;
	s.fail_errno = ENOSPC;
	sg_error_clear(&err);
	ck_assert_int_eq(sg_deflate_new(&d, 6, 2, sink_put, &s, &err), SG_OK);
	rc = sg_deflate_write(d, in, size);
	if (rc == 0)
		rc = sg_deflate_finish(d);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(sg_deflate_error(d), strerror(ENOSPC));
	sg_deflate_free(d);
	free(s.data);
	free(in);
}
END_TEST

/* A stream ended open (no final block) joins with deflate data made
 * apart after it: the two inflate as one stream, the way a workbook's
 * sheet is spliced from its rows and the XML around them. */
START_TEST(test_open_end_joins)
{
	size_t size = 2 * SG_DEFLATE_BLOCK + 999;
	static const char tail[] = "</sheetData><pageMargins/></worksheet>";
	unsigned char *in = make_input(size + sizeof(tail) - 1);
	unsigned char out[256];
	struct sg_deflate *d;
	struct sg_error err;
	struct sink s;
	z_stream zs;

	memcpy(in + size, tail, sizeof(tail) - 1);
	memset(&s, 0, sizeof(s));
	s.fail_after = -1;
	sg_error_clear(&err);
	ck_assert_int_eq(sg_deflate_new(&d, 6, 2, sink_put, &s, &err), SG_OK);
	ck_assert_int_eq(sg_deflate_write(d, in, size), 0);
	ck_assert_int_eq(sg_deflate_finish_open(d), 0);
	ck_assert_uint_eq(sg_deflate_total_in(d), size);
	ck_assert_uint_eq(sg_deflate_crc(d),
			  crc32(crc32(0L, Z_NULL, 0), in, (uInt)size));
	sg_deflate_free(d);
	/* The rest, compressed on its own with zlib and ended. */
	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)tail;
	zs.avail_in = sizeof(tail) - 1;
	zs.next_out = out;
	zs.avail_out = sizeof(out);
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	sink_put(&s, out, sizeof(out) - zs.avail_out);
	deflateEnd(&zs);
	assert_inflates_to(&s, in, size + sizeof(tail) - 1);
	free(s.data);
	free(in);
}
END_TEST

/* Gzip members: each is a whole gzip member (header, deflate, CRC and
 * length) holding the next block of the input, one per block begun (one
 * for an empty input); the bytes do not depend on the threads. */
START_TEST(test_gzip_members)
{
	size_t size = sizes[_i], at = 0, members = 0;
	unsigned char *in = make_input(size);
	unsigned char *out = malloc(SG_DEFLATE_BLOCK + 1);
	unsigned long crc;
	unsigned long long total;
	struct sink s, one;
	z_stream zs;
	size_t got;

	ck_assert_ptr_nonnull(out);
	compress_all(&s, in, size, 2, 0, 1, &crc, &total);
	ck_assert_uint_eq(total, size);
	ck_assert_uint_gt(s.len, 0);
	while (at < s.len) {
		ck_assert_uint_ge(s.len - at, 18);
		/* No name, no time stamp. */
		ck_assert_int_eq(s.data[at], 0x1f);
		ck_assert_int_eq(s.data[at + 1], 0x8b);
		ck_assert_int_eq(s.data[at + 3], 0);
		ck_assert(memcmp(s.data + at + 4, "\0\0\0\0", 4) == 0);
		memset(&zs, 0, sizeof(zs));
		ck_assert_int_eq(inflateInit2(&zs, 16 + 15), Z_OK);
		zs.next_in = s.data + at;
		zs.avail_in = (uInt)(s.len - at);
		zs.next_out = out;
		zs.avail_out = SG_DEFLATE_BLOCK + 1;
		ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
		got = zs.total_out;
		ck_assert_uint_eq(got, size - members * SG_DEFLATE_BLOCK <
				  SG_DEFLATE_BLOCK ?
				  size - members * SG_DEFLATE_BLOCK :
				  SG_DEFLATE_BLOCK);
		ck_assert(memcmp(out, in + members * SG_DEFLATE_BLOCK,
				 got) == 0);
		at += zs.total_in;
		inflateEnd(&zs);
		members++;
	}
	ck_assert_uint_eq(at, s.len);
	ck_assert_uint_eq(members, size == 0 ? 1 :
			  (size + SG_DEFLATE_BLOCK - 1) / SG_DEFLATE_BLOCK);
	compress_all(&one, in, size, 1, 77777, 1, &crc, &total);
	ck_assert_uint_eq(one.len, s.len);
	ck_assert(memcmp(one.data, s.data, s.len) == 0);
	free(one.data);
	free(s.data);
	free(out);
	free(in);
}
END_TEST

/* Bytes like deflated ones (a workbook's) at in[from, to): random, but
 * of 224 values only, so deflating still gains a little (2%). */
static void fill_random(unsigned char *in, size_t from, size_t to)
{
	unsigned long x = 4242;

	for (; from < to; from++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		in[from] = (unsigned char)((x >> 32) % 224);
	}
}

/* Gunzips the member at s->data + at into out (room for a block); its
 * compressed length. */
static size_t gunzip_member(const struct sink *s, size_t at,
			    unsigned char *out, size_t *got)
{
	z_stream zs;
	size_t used;

	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(inflateInit2(&zs, 16 + 15), Z_OK);
	zs.next_in = s->data + at;
	zs.avail_in = (uInt)(s->len - at);
	zs.next_out = out;
	zs.avail_out = SG_DEFLATE_BLOCK + 1;
	ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
	*got = zs.total_out;
	used = zs.total_in;
	inflateEnd(&zs);
	return used;
}

/* A block of bytes deflated already is stored, costing no CPU to shrink
 * by 2%; a text block and a block where such bytes meet text are
 * deflated. */
START_TEST(test_gzip_members_store_deflated_bytes)
{
	size_t size = 3 * SG_DEFLATE_BLOCK, at = 0, len[3], got, i;
	unsigned char *in = make_input(size);
	unsigned char *out = malloc(SG_DEFLATE_BLOCK + 1);
	unsigned long crc;
	unsigned long long total;
	struct sink s;

	ck_assert_ptr_nonnull(out);
	fill_random(in, 0, SG_DEFLATE_BLOCK);
	fill_random(in, 2 * SG_DEFLATE_BLOCK, 2 * SG_DEFLATE_BLOCK +
		    SG_DEFLATE_BLOCK * 3 / 4);
	compress_all(&s, in, size, 2, 0, 1, &crc, &total);
	for (i = 0; i < 3; i++) {
		len[i] = gunzip_member(&s, at, out, &got);
		ck_assert_uint_eq(got, SG_DEFLATE_BLOCK);
		ck_assert(memcmp(out, in + i * SG_DEFLATE_BLOCK, got) == 0);
		at += len[i];
	}
	ck_assert_uint_eq(at, s.len);
	/* Stored: the block, 5 bytes a stored block of at most 65535, the
	 * gzip header and trailer (18); the first deflate block's type is
	 * 00. */
	ck_assert_uint_eq(len[0], SG_DEFLATE_BLOCK +
			  5 * ((SG_DEFLATE_BLOCK + 65534) / 65535) + 18);
	ck_assert_int_eq(s.data[10] & 6, 0);
	ck_assert_uint_lt(len[1], SG_DEFLATE_BLOCK * 3 / 4);
	ck_assert_uint_lt(len[2], SG_DEFLATE_BLOCK - SG_DEFLATE_BLOCK / 16);
	free(s.data);
	free(out);
	free(in);
}
END_TEST

/* A flush ends the block being filled as a member and writes every
 * block out, so bytes put next come right after them; the stream goes
 * on in blocks counted from the flush.  Raw streams refuse it. */
START_TEST(test_gzip_members_flush)
{
	size_t a = SG_DEFLATE_BLOCK + 1000, b = 2 * SG_DEFLATE_BLOCK;
	unsigned char *in = make_input(a + b);
	unsigned char *out = malloc(SG_DEFLATE_BLOCK + 1);
	static const char marker[] = "between";
	struct sg_deflate *d;
	struct sg_error err;
	struct sink s;
	size_t at = 0, got, expect[] = { SG_DEFLATE_BLOCK, 1000 };
	size_t k;

	ck_assert_ptr_nonnull(out);
	memset(&s, 0, sizeof(s));
	s.fail_after = -1;
	sg_error_clear(&err);
	ck_assert_int_eq(sg_deflate_new_gzip_members(&d, 1, 2, sink_put, &s,
						     &err), SG_OK);
	ck_assert_int_eq(sg_deflate_write(d, in, a), 0);
	ck_assert_int_eq(sg_deflate_flush(d), 0);
	ck_assert_int_eq(sg_deflate_flush(d), 0);   /* nothing to end */
	ck_assert_int_eq(sink_put(&s, marker, sizeof(marker)), 0);
	ck_assert_int_eq(sg_deflate_write(d, in + a, b), 0);
	ck_assert_int_eq(sg_deflate_finish(d), 0);
	sg_deflate_free(d);
	for (k = 0; k < 2; k++) {
		at += gunzip_member(&s, at, out, &got);
		ck_assert_uint_eq(got, expect[k]);
		ck_assert(memcmp(out, in + (k ? SG_DEFLATE_BLOCK : 0),
				 got) == 0);
	}
	ck_assert(memcmp(s.data + at, marker, sizeof(marker)) == 0);
	at += sizeof(marker);
	for (k = 0; k < 2; k++) {
		at += gunzip_member(&s, at, out, &got);
		ck_assert_uint_eq(got, SG_DEFLATE_BLOCK);
		ck_assert(memcmp(out, in + a + k * SG_DEFLATE_BLOCK,
				 got) == 0);
	}
	ck_assert_uint_eq(at, s.len);
	free(s.data);

	memset(&s, 0, sizeof(s));
	s.fail_after = -1;
	ck_assert_int_eq(sg_deflate_new(&d, 1, 1, sink_put, &s, &err), SG_OK);
	ck_assert_int_eq(sg_deflate_flush(d), -1);
	sg_deflate_free(d);
	free(s.data);
	free(out);
	free(in);
}
END_TEST

START_TEST(test_free_accepts_null)
{
	sg_deflate_free(NULL);
}
END_TEST

static Suite *deflate_suite(void)
{
	Suite *s = suite_create("deflate");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_incompressible_input);
	tcase_add_loop_test(tc, test_round_trip, 0,
			    (int)(sizeof(sizes) / sizeof(sizes[0])));
	tcase_add_test(tc, test_same_bytes_whatever_the_threads);
	tcase_add_test(tc, test_put_failure);
	tcase_add_test(tc, test_open_end_joins);
	tcase_add_loop_test(tc, test_gzip_members, 0,
			    (int)(sizeof(sizes) / sizeof(sizes[0])));
	tcase_add_test(tc, test_gzip_members_store_deflated_bytes);
	tcase_add_test(tc, test_gzip_members_flush);
	tcase_add_test(tc, test_free_accepts_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(deflate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
