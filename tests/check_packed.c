/*
 * check_packed.c - core/sg_packed.c: a file past one block is written as
 * gzip members of a block each, a shorter one plain; the size, packed
 * size and SHA-256 are those of the bytes; how the bytes are cut into
 * writes does not change the file; a write that fails is reported with
 * the file's name.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "sg_hash.h"
#include "sg_packed.h"

/* size bytes of text-like input. */
static unsigned char *make_input(size_t size)
{
	static const char words[] = "stage,buyer,evidence,2026-11-25,";
	unsigned char *in = malloc(size ? size : 1);
	unsigned long x = 99;
	size_t i;

	ck_assert_ptr_nonnull(in);
	for (i = 0; i < size; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		in[i] = (x >> 61) == 0 ? (unsigned char)('a' + (x >> 40) % 26) :
			(unsigned char)words[i % (sizeof(words) - 1)];
	}
	return in;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	char *data;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fstat(fileno(f), &sb), 0);
	data = malloc((size_t)sb.st_size + 1);
	ck_assert_ptr_nonnull(data);
	*len = fread(data, 1, (size_t)sb.st_size, f);
	ck_assert_uint_eq(*len, (size_t)sb.st_size);
	fclose(f);
	return data;
}

/* Writes in as pieces of piece bytes (0: one fwrite) into path. */
static void write_packed(const char *path, const unsigned char *in,
			 size_t size, size_t piece,
			 struct sg_packed_result *res)
{
	struct sg_packed *p;
	struct sg_error err;
	FILE *fp;
	size_t off = 0, n;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_packed_open(&p, &fp, path, &err), SG_OK);
	while (off < size) {
		n = piece == 0 || piece > size - off ? size - off : piece;
		ck_assert_uint_eq(fwrite(in + off, 1, n, fp), n);
		off += n;
	}
	ck_assert_int_eq(sg_packed_close(p, res, &err), SG_OK);
}

/* The members of data inflate to want, a block each but the last. */
static void assert_members(const unsigned char *data, size_t len,
			   const unsigned char *want, size_t size)
{
	unsigned char *out = malloc(SG_PACKED_BLOCK + 1);
	size_t at = 0, done = 0, members = 0;
	z_stream zs;

	ck_assert_ptr_nonnull(out);
	while (at < len) {
		memset(&zs, 0, sizeof(zs));
		ck_assert_int_eq(inflateInit2(&zs, 16 + 15), Z_OK);
		zs.next_in = (unsigned char *)data + at;
		zs.avail_in = (uInt)(len - at);
		zs.next_out = out;
		zs.avail_out = SG_PACKED_BLOCK + 1;
		ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
		ck_assert_uint_eq(zs.total_out, size - done < SG_PACKED_BLOCK ?
				  size - done : SG_PACKED_BLOCK);
		ck_assert(memcmp(out, want + done, zs.total_out) == 0);
		done += zs.total_out;
		at += zs.total_in;
		inflateEnd(&zs);
		members++;
	}
	ck_assert_uint_eq(done, size);
	ck_assert_uint_eq(members, (size + SG_PACKED_BLOCK - 1) /
			  SG_PACKED_BLOCK);
	free(out);
}

static const size_t sizes[] = {
	0, 1, 5000, SG_PACKED_BLOCK, SG_PACKED_BLOCK + 1,
	3 * SG_PACKED_BLOCK + 777
};

START_TEST(test_packed_or_plain)
{
	size_t size = sizes[_i], len, len2;
	unsigned char *in = make_input(size);
	char path[] = "/tmp/check_packed.XXXXXX", hex[65], *data, *again;
	struct sg_packed_result res, res2;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	write_packed(path, in, size, 0, &res);
	data = read_all(path, &len);
	ck_assert_uint_eq(res.size, size);
	ck_assert_uint_eq(res.packed_size, len);
	ck_assert_int_eq(sg_sha256_hex(in, size, hex), 0);
	ck_assert_str_eq(res.sha256, hex);
	ck_assert_int_eq(res.packed, size > SG_PACKED_BLOCK);
	if (res.packed) {
		assert_members((unsigned char *)data, len, in, size);
		ck_assert_uint_lt(len, size);
	} else {
		ck_assert_uint_eq(len, size);
		ck_assert(size == 0 || memcmp(data, in, size) == 0);
	}
	/* Other writes (small, odd-sized) give the same file. */
	write_packed(path, in, size, 4093, &res2);
	again = read_all(path, &len2);
	ck_assert_uint_eq(len2, len);
	ck_assert(len == 0 || memcmp(again, data, len) == 0);
	ck_assert_str_eq(res2.sha256, res.sha256);
	unlink(path);
	free(again);
	free(data);
	free(in);
}
END_TEST

/* A full disk, found while writing a member or at close (plain). */
START_TEST(test_write_failure_named)
{
	size_t size = _i ? 2 * SG_PACKED_BLOCK + 5 : 100;
	unsigned char *in = make_input(size);
	struct sg_packed_result res;
	struct sg_packed *p;
	struct sg_error err;
	FILE *fp;

	if (access("/dev/full", W_OK) != 0) {
		free(in);
		return;
	}
	sg_error_clear(&err);
	ck_assert_int_eq(sg_packed_open(&p, &fp, "/dev/full", &err), SG_OK);
	fwrite(in, 1, size, fp);
	ck_assert_int_eq(sg_packed_close(p, &res, &err), SG_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.message, "cannot write"));
	ck_assert_ptr_nonnull(strstr(err.message, "No space left"));
	ck_assert_str_eq(err.path, "/dev/full");
	ck_assert_uint_eq(res.size, 0);
	free(in);
}
END_TEST

START_TEST(test_open_failure_named)
{
	struct sg_packed *p;
	struct sg_error err;
	FILE *fp;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_packed_open(&p, &fp, "/nonexistent/dir/f.csv",
					&err), SG_ERR_IO);
	ck_assert_ptr_null(p);
	ck_assert_ptr_null(fp);
	ck_assert_str_eq(err.path, "/nonexistent/dir/f.csv");
	ck_assert_ptr_nonnull(strstr(err.message, "No such file"));
	ck_assert_int_eq(sg_packed_close(NULL, &(struct sg_packed_result){0},
					 &err), SG_OK);
}
END_TEST

static Suite *packed_suite(void)
{
	Suite *s = suite_create("packed");
	TCase *tc = tcase_create("packed");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_packed_or_plain, 0,
			    sizeof(sizes) / sizeof(sizes[0]));
	tcase_add_loop_test(tc, test_write_failure_named, 0, 2);
	tcase_add_test(tc, test_open_failure_named);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(packed_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
