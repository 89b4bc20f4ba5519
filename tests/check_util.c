/*
 * check_util.c - exact decimals (core/util/sg_decimal.c), the missing
 * rule (core/util/sg_missing.c) and SHA-256 ids (core/sg_hash.c).
 *
 * Run one suite or case with CK_RUN_SUITE=util CK_RUN_CASE=missing;
 * tests fork unless CK_FORK=no (for a debugger).
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <utime.h>
#include <unistd.h>

#include "sg_csv.h"
#include "sg_decimal.h"
#include "sg_error.h"
#include "sg_hash.h"
#include "sg_missing.h"
#include "sg_path.h"
#include "sg_stage_values.h"
#include "sg_test_table.h"
#include "sg_url.h"
#include "sg_utf8.h"

/* ------------------------------------------------------------------ */
/* Decimals                                                             */

static const struct {
	const char *text;
	int64_t units;
	int scale;
	const char *out;
} dec_ok[] = {
	{"0", 0, 0, "0"},
	{"12.50", 1250, 2, "12.50"},
	{"  12.50 ", 1250, 2, "12.50"},
	{"\t42\n", 42, 0, "42"},
	{"+3", 3, 0, "3"},
	{"-3", -3, 0, "-3"},
	{"12000.50", 1200050, 2, "12000.50"},
	{"0.007", 7, 3, "0.007"},
	{"-0.5", -5, 1, "-0.5"},
	{".5", 5, 1, "0.5"},
	{"-.25", -25, 2, "-0.25"},
	{"5.", 5, 0, "5"},
	{"007", 7, 0, "7"},
	{"-0", 0, 0, "0"},
	{"-0.00", 0, 2, "0.00"},
	{"0.000000", 0, 6, "0.000000"},
	{"1.123456", 1123456, 6, "1.123456"},
	{"1.1234560000", 1123456, 6, "1.123456"},
	{"1.10000000", 1100000, 6, "1.100000"},
	{"9223372036854775807", INT64_MAX, 0, "9223372036854775807"},
	{"-9223372036854775808", INT64_MIN, 0, "-9223372036854775808"},
	{"922337203685477.5807", INT64_MAX, 4, "922337203685477.5807"},
	{"-92233720368547758.08", INT64_MIN, 2, "-92233720368547758.08"},
	{"00000000000000000000000001", 1, 0, "1"},
};

START_TEST(test_decimal_accept)
{
	struct sg_error err;
	char buf[SG_DECIMAL_TEXT_SIZE];
	size_t i;
	int fails = 0;

	for (i = 0; i < N_ELEMS(dec_ok); i++) {
		const char *text = dec_ok[i].text;
		struct sg_decimal d = {99, 99};

		sg_error_clear(&err);
		if (sg_decimal_parse(&d, text, strlen(text), &err) != SG_OK)
			fails += row_fail("%s: %s", text, err.message);
		else if (d.units != dec_ok[i].units ||
			 d.scale != dec_ok[i].scale)
			fails += row_fail("%s: units %lld scale %d", text,
					  (long long)d.units, d.scale);
		else if (strcmp(sg_decimal_format(&d, buf, sizeof(buf)),
				dec_ok[i].out) != 0)
			fails += row_fail("%s: formats as %s", text, buf);
	}
	TABLE_DONE(fails, N_ELEMS(dec_ok));
}
END_TEST

static const struct {
	const char *text;
	const char *why;
} dec_bad[] = {
	{"", "the text is empty"},
	{"   ", "the text is empty"},
	{".", "it has no digits"},
	{"-", "it has no digits"},
	{"+", "it has no digits"},
	{"-.", "it has no digits"},
	{"+-3", "not a digit"},
	{"--3", "not a digit"},
	{"1,000", "thousands separators are not allowed"},
	{"$1,000", "not a digit"},
	{"$5", "not a digit"},
	{"5$", "not a digit"},
	{"1e3", "exponents are not allowed"},
	{"1E3", "exponents are not allowed"},
	{"abc", "not a digit"},
	{"1.2.3", "two decimal points"},
	{"1 000", "not a digit"},
	{"- 5", "not a digit"},
	{"12.5%", "not a digit"},
	{"\xe2\x82\xac" "5", "not a digit"},
	{"0x10", "not a digit"},
	{"5-", "not a digit"},
	{"inf", "not a digit"},
	{"NaN", "not a digit"},
	{"1.1234567", "more than 6 digits after the decimal point"},
	{"1.0000001", "more than 6 digits after the decimal point"},
	{"9223372036854775808", "the amount is too large"},
	{"-9223372036854775809", "the amount is too large"},
	{"99999999999999999999", "the amount is too large"},
	{"922337203685477.5808", "the amount is too large"},
};

START_TEST(test_decimal_reject)
{
	struct sg_error err;
	size_t i;
	int fails = 0;

	for (i = 0; i < N_ELEMS(dec_bad); i++) {
		const char *text = dec_bad[i].text;
		struct sg_decimal d = {99, 1};
		int rc;

		sg_error_clear(&err);
		rc = sg_decimal_parse(&d, text, strlen(text), &err);
		if (rc != SG_ERR_PARSE || err.code != SG_ERR_PARSE)
			fails += row_fail("%s: rc %d", text, rc);
		else if (d.units != 99 || d.scale != 1)
			fails += row_fail("%s: *out changed", text);
		else if (strstr(err.message, dec_bad[i].why) == NULL ||
			 strstr(err.message, "as an amount") == NULL)
			fails += row_fail("%s: message \"%s\" lacks \"%s\"",
					  text, err.message, dec_bad[i].why);
	}
	TABLE_DONE(fails, N_ELEMS(dec_bad));
}
END_TEST

START_TEST(test_decimal_message)
{
	struct sg_decimal d;
	struct sg_error err;
	char long_text[200];

	sg_error_clear(&err);
	ck_assert_int_eq(sg_decimal_parse(&d, "1,000", 5, &err),
			 SG_ERR_PARSE);
	ck_assert_str_eq(err.message,
			 "cannot read \"1,000\" as an amount: thousands "
			 "separators are not allowed (expected a plain "
			 "decimal like 12000.50 or -3)");
	/* Long texts are quoted in part. */
	memset(long_text, '9', sizeof(long_text));
	ck_assert_int_eq(sg_decimal_parse(&d, long_text, sizeof(long_text),
					  &err), SG_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "999...\""));
	/* NULL text, NULL err, and text that is not NUL-terminated. */
	ck_assert_int_eq(sg_decimal_parse(&d, NULL, 4, &err), SG_ERR_PARSE);
	ck_assert_int_eq(sg_decimal_parse(&d, "x", 1, NULL), SG_ERR_PARSE);
	ck_assert_int_eq(sg_decimal_parse(&d, "12.5abc", 4, &err), SG_OK);
	ck_assert_int_eq(d.units, 125);
	ck_assert_int_eq(d.scale, 1);
}
END_TEST

START_TEST(test_decimal_is_zero)
{
	static const char *const zeros[] = {"0", "-0", "0.00", "+0.000000"};
	static const char *const nonzeros[] = {"0.01", "-0.000001", "1"};
	struct sg_decimal d;
	size_t i;

	for (i = 0; i < N_ELEMS(zeros); i++) {
		ck_assert_int_eq(sg_decimal_parse(&d, zeros[i],
						  strlen(zeros[i]), NULL),
				 SG_OK);
		ck_assert_msg(sg_decimal_is_zero(&d), "%s", zeros[i]);
	}
	for (i = 0; i < N_ELEMS(nonzeros); i++) {
		ck_assert_int_eq(sg_decimal_parse(&d, nonzeros[i],
						  strlen(nonzeros[i]), NULL),
				 SG_OK);
		ck_assert_msg(!sg_decimal_is_zero(&d), "%s", nonzeros[i]);
	}
}
END_TEST

static const struct {
	int64_t a_units;
	int a_scale;
	int64_t b_units;
	int b_scale;
	int ok;
	const char *sum;
} dec_sums[] = {
	{15, 1, 225, 2, 1, "3.75"},
	{1, 0, 1, 3, 1, "1.001"},
	{-5, 0, 5, 0, 1, "0"},
	{-5, 0, 500, 2, 1, "0.00"},
	{1234, 2, -1234, 2, 1, "0.00"},
	{-1, 6, 0, 0, 1, "-0.000001"},
	{INT64_MAX - 1, 0, 1, 0, 1, "9223372036854775807"},
	{INT64_MIN + 1, 0, -1, 0, 1, "-9223372036854775808"},
	{922337203685477580LL, 0, 7, 1, 1, "922337203685477580.7"},
	{INT64_MAX, 0, 1, 0, 0, NULL},
	{INT64_MIN, 0, -1, 0, 0, NULL},
	{922337203685477581LL, 0, 1, 1, 0, NULL},
	{1, 6, INT64_MAX, 0, 0, NULL},
	{INT64_MAX / 1000, 0, 1, 6, 0, NULL},
};

START_TEST(test_decimal_add)
{
	struct sg_error err;
	char buf[SG_DECIMAL_TEXT_SIZE];
	size_t i;
	int fails = 0;

	for (i = 0; i < N_ELEMS(dec_sums); i++) {
		struct sg_decimal a = {dec_sums[i].a_units,
				       dec_sums[i].a_scale};
		struct sg_decimal b = {dec_sums[i].b_units,
				       dec_sums[i].b_scale};
		int rc;

		sg_error_clear(&err);
		rc = sg_decimal_add(&a, &b, &err);
		if (dec_sums[i].ok) {
			if (rc != SG_OK)
				fails += row_fail("row %zu: %s", i,
						  err.message);
			else if (strcmp(sg_decimal_format(&a, buf,
							  sizeof(buf)),
					dec_sums[i].sum) != 0)
				fails += row_fail("row %zu: got %s, want %s",
						  i, buf, dec_sums[i].sum);
			continue;
		}
		/* Overflow: refused, a unchanged. */
		if (rc != SG_ERR_PARSE ||
		    strstr(err.message, "too large") == NULL)
			fails += row_fail("row %zu: rc %d: %s", i, rc,
					  err.message);
		else if (a.units != dec_sums[i].a_units ||
			 a.scale != dec_sums[i].a_scale)
			fails += row_fail("row %zu: a changed", i);
	}
	TABLE_DONE(fails, N_ELEMS(dec_sums));
}
END_TEST

START_TEST(test_decimal_format_bounds)
{
	struct sg_decimal d = {1200050, 2};
	struct sg_decimal neg = {-7, 3};
	char buf[SG_DECIMAL_TEXT_SIZE];
	char small[4] = {'x', 'x', 'x', 'x'};

	ck_assert_str_eq(sg_decimal_format(&d, small, sizeof(small)), "120");
	small[0] = 'x';
	ck_assert_str_eq(sg_decimal_format(&d, small, 1), "");
	small[0] = 'x';
	sg_decimal_format(&d, small, 0);
	ck_assert_int_eq(small[0], 'x');
	ck_assert_str_eq(sg_decimal_format(&neg, buf, sizeof(buf)), "-0.007");
}
END_TEST

/* ------------------------------------------------------------------ */
/* The missing rule                                                     */

static const char *const example_words[] = {
	"tbd", "n/a", "na", "none", "-", "?", "xxx", "test", "placeholder",
	"unknown", " Pending ", NULL
};
static const struct sg_placeholders example = {
	example_words, N_ELEMS(example_words)
};

enum { NO_PH, PH };

static const struct {
	const char *text;   /* NULL: absent */
	int placeholders;
	int is_amount;
	int missing;
} miss_cases[] = {
	/* absent, empty, white space */
	{NULL, NO_PH, 0, 1},
	{"", NO_PH, 0, 1},
	{"   ", NO_PH, 0, 1},
	{"\t\r\n\v\f", NO_PH, 0, 1},
	/* ASCII punctuation only */
	{"-", NO_PH, 0, 1},
	{"?", NO_PH, 0, 1},
	{"...", NO_PH, 0, 1},
	{" - / - ", NO_PH, 0, 1},
	{"#!$%&'()*+,./:;<=>@[\\]^_`{|}~\"", NO_PH, 0, 1},
	/* Unicode punctuation, symbols and spaces */
	{"\xe2\x80\x94", NO_PH, 0, 1},                 /* — em dash */
	{" \xe2\x80\x94 ", NO_PH, 0, 1},
	{"\xe2\x80\x93", NO_PH, 0, 1},                 /* – en dash */
	{"\xe2\x80\xa6", NO_PH, 0, 1},                 /* … */
	{"\xe2\x80\xa2", NO_PH, 0, 1},                 /* • */
	{"\xe2\x82\xac", NO_PH, 0, 1},                 /* € */
	{"\xc2\xab\xc2\xbb", NO_PH, 0, 1},             /* «» */
	{"\xc2\xa0", NO_PH, 0, 1},                     /* no-break space */
	{"\xc3\x97\xc3\xb7", NO_PH, 0, 1},             /* ×÷ */
	{"\xe2\x80\x8b", NO_PH, 0, 1},                 /* zero width sp */
	{"\xe3\x80\x82\xe3\x80\x81", NO_PH, 0, 1},     /* 。、 */
	{"\xe3\x80\x80", NO_PH, 0, 1},                 /* ideographic sp */
	{"\xef\xbc\x81", NO_PH, 0, 1},                 /* ！ */
	{"\xef\xbc\x9f", NO_PH, 0, 1},                 /* ？ */
	{"\xef\xbc\xbf", NO_PH, 0, 1},                 /* ＿ */
	{"\xef\xbd\x9b", NO_PH, 0, 1},                 /* ｛ */
	{"\xef\xb8\xb0", NO_PH, 0, 1},                 /* ︰ vertical form */
	{"\xef\xbb\xbf", NO_PH, 0, 1},                 /* byte order mark */
	{"\xef\xbf\xbd", NO_PH, 0, 1},                 /* replacement */
	/* invalid UTF-8 is not a letter */
	{"\xff\xfe", NO_PH, 0, 1},
	{"\xc3", NO_PH, 0, 1},
	{"\xc0\xaf", NO_PH, 0, 1},                     /* overlong '/' */
	{"\xed\xa0\x80", NO_PH, 0, 1},                 /* surrogate */
	{"\xf4\x90\x80\x80", NO_PH, 0, 1},             /* past U+10FFFF */
	{"\xe2\x80", NO_PH, 0, 1},                     /* cut short */
	/* letters and digits in any script are values */
	{"a", NO_PH, 0, 0},
	{"Z", NO_PH, 0, 0},
	{"0", NO_PH, 0, 0},
	{"-0", NO_PH, 0, 0},
	{"\xc3\xbc", NO_PH, 0, 0},                     /* ü */
	{"\xc3\x9c", NO_PH, 0, 0},                     /* Ü */
	{"\xc3\x9f", NO_PH, 0, 0},                     /* ß */
	{"- \xc3\xa9 -", NO_PH, 0, 0},                 /* é */
	{"\xd0\x96", NO_PH, 0, 0},                     /* Ж */
	{"\xe6\x97\xa5\xe6\x9c\xac", NO_PH, 0, 0},     /* 日本 */
	{"\xd9\xa1", NO_PH, 0, 0},                     /* Arabic-Indic 1 */
	{"\xef\xbc\x91", NO_PH, 0, 0},                 /* fullwidth 1 */
	{"\xef\xbc\xa1", NO_PH, 0, 0},                 /* fullwidth A */
	{"\xf0\x9f\x98\x80", NO_PH, 0, 0},             /* emoji: kept */
	{"\xe2\x80\x94" "a", NO_PH, 0, 0},
	{"\xff" "a", NO_PH, 0, 0},
	{"x-", NO_PH, 0, 0},
	/* placeholders: case-insensitive, trimmed on both sides */
	{"tbd", NO_PH, 0, 0},
	{"tbd", PH, 0, 1},
	{"TBD", PH, 0, 1},
	{"  Tbd\t", PH, 0, 1},
	{"N/A", PH, 0, 1},
	{"n/a", PH, 0, 1},
	{"NA", PH, 0, 1},
	{"None", PH, 0, 1},
	{"XXX", PH, 0, 1},
	{"Unknown", PH, 0, 1},
	{"PLACEHOLDER", PH, 0, 1},
	{"pending", PH, 0, 1},
	{" PENDING ", PH, 0, 1},
	{"tbd.", PH, 0, 0},
	{"tbd2", PH, 0, 0},
	{"to be decided", PH, 0, 0},
	{"nan", PH, 0, 0},
	{"n/a!", PH, 0, 0},
	{"testing", PH, 0, 0},
	{"t\xc3\xa9st", PH, 0, 0},
	/* zero amounts */
	{"0", NO_PH, 1, 1},
	{"0.00", NO_PH, 1, 1},
	{"-0", NO_PH, 1, 1},
	{"+0.0", NO_PH, 1, 1},
	{" 0 ", NO_PH, 1, 1},
	{".0", NO_PH, 1, 1},
	{"0.", NO_PH, 1, 1},
	{"000", NO_PH, 1, 1},
	{"0.0000000", NO_PH, 1, 1},
	{"0.01", NO_PH, 1, 0},
	{"100", NO_PH, 1, 0},
	{"10", NO_PH, 1, 0},
	{"-0.000001", NO_PH, 1, 0},
	{"abc", NO_PH, 1, 0},
	{"0,00", NO_PH, 1, 0},
	{"0e0", NO_PH, 1, 0},
	{"$0", NO_PH, 1, 0},
	{"0.0.0", NO_PH, 1, 0},
	{"--0", NO_PH, 1, 0},
	{"tbd", PH, 1, 1},
	{"-", PH, 1, 1},
	{"", NO_PH, 1, 1},
};

START_TEST(test_missing)
{
	size_t i;
	int fails = 0;

	for (i = 0; i < N_ELEMS(miss_cases); i++) {
		const char *text = miss_cases[i].text;
		const struct sg_placeholders *ph =
			miss_cases[i].placeholders == PH ? &example : NULL;
		int got;

		got = sg_value_is_missing(text, text ? strlen(text) : 0, ph,
					  miss_cases[i].is_amount);
		if (!!got != miss_cases[i].missing)
			fails += row_fail("row %zu \"%s\" (amount %d): "
					  "missing %d", i,
					  text ? text : "(null)",
					  miss_cases[i].is_amount, got);
	}
	TABLE_DONE(fails, N_ELEMS(miss_cases));
}
END_TEST

START_TEST(test_missing_bounds)
{
	static const char *const none[] = {NULL};
	static const struct sg_placeholders empty = {none, 0};
	static const struct sg_placeholders nulls = {none, 1};

	/* Only len bytes count. */
	ck_assert(sg_value_is_missing("tbdX", 3, &example, 0));
	ck_assert(!sg_value_is_missing("tbdX", 4, &example, 0));
	ck_assert(sg_value_is_missing("-abc", 1, NULL, 0));
	ck_assert(sg_value_is_missing("0123", 1, NULL, 1));
	ck_assert(!sg_value_is_missing("0123", 2, NULL, 1));
	/* A UTF-8 sequence cut by len is not a letter. */
	ck_assert(sg_value_is_missing("\xc3\xbc", 1, NULL, 0));
	/* A NUL byte is not a letter; no placeholders at all. */
	ck_assert(sg_value_is_missing("\0", 1, NULL, 0));
	ck_assert(!sg_value_is_missing("tbd", 3, &empty, 0));
	ck_assert(!sg_value_is_missing("tbd", 3, &nulls, 0));
	ck_assert(sg_value_is_missing(NULL, 5, &example, 1));
}
END_TEST

/*
 * The zero-amount rule agrees with sg_decimal_parse() on every short text
 * built from the characters that matter.
 */
START_TEST(test_missing_matches_decimal)
{
	static const char alphabet[] = "01.-+ e5";
	const size_t k = sizeof(alphabet) - 1;
	char text[5];
	size_t len, n, total, i;

	for (len = 1; len <= 5; len++) {
		total = 1;
		for (i = 0; i < len; i++)
			total *= k;
		for (n = 0; n < total; n++) {
			struct sg_decimal d;
			size_t v = n;
			int zero, missing;

			for (i = 0; i < len; i++) {
				text[i] = alphabet[v % k];
				v /= k;
			}
			if (sg_value_is_missing(text, len, NULL, 0))
				continue;  /* missing anyway */
			zero = sg_decimal_parse(&d, text, len, NULL) ==
			       SG_OK && sg_decimal_is_zero(&d);
			missing = sg_value_is_missing(text, len, NULL, 1);
			if (!!missing != zero)
				ck_abort_msg("\"%.*s\": missing %d, parses "
					     "as zero %d", (int)len, text,
					     missing, zero);
		}
	}
}
END_TEST

START_TEST(test_trim)
{
	const char *p;
	size_t len;

	len = 7;
	p = sg_trim("  a b  ", &len);
	ck_assert_int_eq(len, 3);
	ck_assert_int_eq(strncmp(p, "a b", 3), 0);
	len = 3;
	p = sg_trim("\t\r\n", &len);
	ck_assert_int_eq(len, 0);
	len = 0;
	p = sg_trim("", &len);
	ck_assert_int_eq(len, 0);
	len = 9;
	p = sg_trim(NULL, &len);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(len, 0);
	/* Non-ASCII space is kept (only ASCII is trimmed). */
	len = 3;
	p = sg_trim("\xc2\xa0x", &len);
	ck_assert_int_eq(len, 3);
}
END_TEST

/* ------------------------------------------------------------------ */
/* SHA-256                                                              */

static const struct {
	const char *text;
	const char *hex;
} sha_vectors[] = {
	{"abc",
	 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"",
	 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
};

START_TEST(test_sha256_vectors)
{
	char out[SG_SHA256_HEX_SIZE];
	size_t i;

	for (i = 0; i < N_ELEMS(sha_vectors); i++) {
		ck_assert_int_eq(sg_sha256_hex(sha_vectors[i].text,
					       strlen(sha_vectors[i].text),
					       out), SG_OK);
		ck_assert_str_eq(out, sha_vectors[i].hex);
	}
}
END_TEST

START_TEST(test_sha256_incremental)
{
	struct sg_sha256 *h = NULL;
	struct sg_error err;
	char block[1000];
	char out[SG_SHA256_HEX_SIZE];
	int i;

	sg_error_clear(&err);
	memset(block, 'a', sizeof(block));
	ck_assert_int_eq(sg_sha256_new(&h, &err), SG_OK);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(sg_sha256_update(h, block, sizeof(block),
						  &err), SG_OK);
	ck_assert_int_eq(sg_sha256_update(h, NULL, 0, &err), SG_OK);
	ck_assert_int_eq(sg_sha256_final_hex(h, out, &err), SG_OK);
	ck_assert_str_eq(out, "cdc76e5c9914fb9281a1c7e284d73e67"
			 "f1809a48a497200e046d39ccc7112cd0");
	/* A finished digest refuses more work. */
	ck_assert_int_eq(sg_sha256_update(h, "x", 1, &err), SG_ERR_INTERNAL);
	ck_assert_int_eq(sg_sha256_final_hex(h, out, &err), SG_ERR_INTERNAL);
	ck_assert_str_eq(out, "");
	sg_sha256_free(h);
	sg_sha256_free(NULL);

	/* Split updates equal one call. */
	ck_assert_int_eq(sg_sha256_new(&h, &err), SG_OK);
	ck_assert_int_eq(sg_sha256_update(h, "a", 1, &err), SG_OK);
	ck_assert_int_eq(sg_sha256_update(h, "bc", 2, &err), SG_OK);
	ck_assert_int_eq(sg_sha256_final_hex(h, out, &err), SG_OK);
	ck_assert_str_eq(out, sha_vectors[0].hex);
	sg_sha256_free(h);
}
END_TEST

static char hash_dir[64];

static void hash_setup(void)
{
	strcpy(hash_dir, "/tmp/check_util_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(hash_dir));
}

static void hash_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", hash_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", hash_dir);
}

START_TEST(test_sha256_file)
{
	struct sg_error err;
	char path[128], out[SG_SHA256_HEX_SIZE], mem[SG_SHA256_HEX_SIZE];
	char *big;
	size_t big_len = 200001, i;
	FILE *f;

	sg_error_clear(&err);
	snprintf(path, sizeof(path), "%s/abc", hash_dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs("abc", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(sg_sha256_file_hex(path, out, &err), SG_OK);
	ck_assert_str_eq(out, sha_vectors[0].hex);

	/* Larger than one read block. */
	big = malloc(big_len);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < big_len; i++)
		big[i] = (char)(i * 7 + i / 251);
	snprintf(path, sizeof(path), "%s/big", hash_dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(big, 1, big_len, f), big_len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(sg_sha256_file_hex(path, out, &err), SG_OK);
	ck_assert_int_eq(sg_sha256_hex(big, big_len, mem), SG_OK);
	ck_assert_str_eq(out, mem);
	free(big);

	/* Empty file. */
	snprintf(path, sizeof(path), "%s/empty", hash_dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(sg_sha256_file_hex(path, out, &err), SG_OK);
	ck_assert_str_eq(out, sha_vectors[1].hex);
}
END_TEST

START_TEST(test_sha256_file_errors)
{
	struct sg_error err;
	char path[128], out[SG_SHA256_HEX_SIZE];

	sg_error_clear(&err);
	snprintf(path, sizeof(path), "%s/absent", hash_dir);
	ck_assert_int_eq(sg_sha256_file_hex(path, out, &err), SG_ERR_IO);
	ck_assert_str_eq(out, "");
	ck_assert_ptr_nonnull(strstr(err.message, path));
	ck_assert_ptr_nonnull(strstr(err.message, "No such file"));

	/* A directory opens but cannot be read. */
	sg_error_clear(&err);
	ck_assert_int_eq(sg_sha256_file_hex(hash_dir, out, &err), SG_ERR_IO);
	ck_assert_str_eq(out, "");
	ck_assert_ptr_nonnull(strstr(err.message, hash_dir));
}
END_TEST

START_TEST(test_id_hex16)
{
	static const char *const ab[] = {"a", "b"};
	static const char *const one[] = {"ab"};
	static const char *const exc[] = {
		"missing_evidence", "006A", "discovery", "proposal",
		"2026-11-02T16:45:00Z"
	};
	static const char *const two_empty[] = {"", ""};
	static const char *const with_null[] = {NULL, NULL};
	char id[SG_ID_HEX_SIZE], again[SG_ID_HEX_SIZE];
	char full[SG_SHA256_HEX_SIZE];

	sg_id_hex16(ab, 2, id);
	ck_assert_str_eq(id, "f04cdced9736a69d");
	ck_assert_int_eq(sg_sha256_hex("a\x1f" "b", 3, full), SG_OK);
	ck_assert_int_eq(strncmp(full, id, 16), 0);
	sg_id_hex16(one, 1, again);
	ck_assert_str_ne(id, again);
	sg_id_hex16(exc, N_ELEMS(exc), id);
	ck_assert_str_eq(id, "82d4d3ff4cf57baf");
	sg_id_hex16(exc, N_ELEMS(exc), again);
	ck_assert_str_eq(id, again);
	sg_id_hex16(NULL, 0, id);
	ck_assert_str_eq(id, "e3b0c44298fc1c14");
	sg_id_hex16(two_empty, 2, id);
	ck_assert_str_eq(id, "ffe679bb831c95b6");
	sg_id_hex16(with_null, 2, id);
	ck_assert_str_eq(id, "ffe679bb831c95b6");
	ck_assert_int_eq(strlen(id), 16);
}
END_TEST

/* An option's relative path resolves against the config's folder. */
START_TEST(test_path_join)
{
	static const struct {
		const char *dir, *file, *want;
	} cases[] = {
		{ "/etc/sg", "out/r.xlsx", "/etc/sg/out/r.xlsx" },
		{ "/etc/sg///", "r.xlsx", "/etc/sg/r.xlsx" },
		{ "/", "r.xlsx", "/r.xlsx" },
		{ "rel", "r.xlsx", "rel/r.xlsx" },
		{ "/etc/sg", "/abs/r.xlsx", "/abs/r.xlsx" },
		{ "", "r.xlsx", "r.xlsx" },
		{ NULL, "r.xlsx", "r.xlsx" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = sg_path_join(cases[i].dir, cases[i].file);

		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, cases[i].want);
		free(got);
	}
}
END_TEST

/* ------------------------------------------------------------------ */

/* ---- messages and CSV fields ---- */

START_TEST(test_quote)
{
	char buf[64];
	const char *ctl = "a\tb\x01" "c";

	ck_assert_str_eq(sg_quote("plain", 5, 64, buf, sizeof(buf)), "plain");
	ck_assert_str_eq(sg_quote("say \"hi\" \\o/", 12, 64, buf,
				  sizeof(buf)), "say \\\"hi\\\" \\\\o/");
	ck_assert_str_eq(sg_quote(ctl, strlen(ctl), 64, buf, sizeof(buf)),
			 "a\\x09b\\x01c");
	ck_assert_str_eq(sg_quote("abcdefgh", 8, 4, buf, sizeof(buf)),
			 "abcd...");
	ck_assert_str_eq(sg_quote(NULL, 3, 64, buf, sizeof(buf)), "");
	/* A buffer too small is cut, never overrun. */
	ck_assert_uint_lt(strlen(sg_quote("abcdefghijklmnop", 16, 64, buf,
					  12)), 12);
}
END_TEST

struct field_buf {
	char text[64];
	size_t len;
};

static int field_put(void *arg, const char *p, size_t n)
{
	struct field_buf *b = arg;

	ck_assert_uint_lt(b->len + n, sizeof(b->text));
	memcpy(b->text + b->len, p, n);
	b->len += n;
	b->text[b->len] = '\0';
	return SG_OK;
}

static const char *field(const char *s, struct field_buf *b)
{
	b->len = 0;
	b->text[0] = '\0';
	ck_assert_int_eq(sg_csv_write_field(s, field_put, b), SG_OK);
	return b->text;
}

START_TEST(test_csv_field)
{
	struct field_buf b;

	ck_assert_str_eq(field("plain", &b), "plain");
	ck_assert_str_eq(field("", &b), "");
	ck_assert_str_eq(field(NULL, &b), "");
	ck_assert_str_eq(field("a,b", &b), "\"a,b\"");
	ck_assert_str_eq(field("say \"hi\"", &b), "\"say \"\"hi\"\"\"");
	ck_assert_str_eq(field("two\nlines", &b), "\"two\nlines\"");
	ck_assert_str_eq(field("cr\r", &b), "\"cr\r\"");
}
END_TEST

/* Lines built in memory: the same fields as sg_csv_write_field()
 * writes, a line or a field longer than the buffer written whole. */
START_TEST(test_csv_line)
{
	static const char *const fields[] = {
		"plain", "", NULL, "a,b", "say \"hi\"", "two\nlines", "cr\r"
	};
	struct sg_csv_line line;
	char *text = NULL, *big;
	size_t size = 0, i, n = sizeof(fields) / sizeof(fields[0]);
	FILE *fp = open_memstream(&text, &size);

	ck_assert_ptr_nonnull(fp);
	sg_csv_line_begin(&line, fp);
	for (i = 0; i < n; i++)
		sg_csv_line_field(&line, fields[i], i == 0);
	sg_csv_line_end(&line);
	/* A row past the buffer, and one field larger than it. */
	big = malloc(3 * sizeof(line.buf) + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 3 * sizeof(line.buf));
	big[3 * sizeof(line.buf)] = '\0';
	sg_csv_line_begin(&line, fp);
	for (i = 0; i < 1000; i++)
		sg_csv_line_field(&line, "field", i == 0);
	sg_csv_line_field(&line, big, 0);
	big[10] = ',';
	sg_csv_line_field(&line, big, 0);
	sg_csv_line_end(&line);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_uint_eq(size, strlen("plain,,,\"a,b\",\"say \"\"hi\"\"\","
				       "\"two\nlines\",\"cr\r\"\n") +
			  1000 * 6 - 1 + 2 * (1 + 3 * sizeof(line.buf)) + 2 +
			  1);
	ck_assert(strncmp(text, "plain,,,\"a,b\",\"say \"\"hi\"\"\","
			  "\"two\nlines\",\"cr\r\"\nfield,field,", 56) == 0);
	ck_assert(strncmp(text + size - 5, "xxx\"\n", 5) == 0);
	ck_assert_int_eq(text[size - 3 * sizeof(line.buf) - 3], '"');
	ck_assert_int_eq(text[size - 3 * sizeof(line.buf) - 2 + 10], ',');
	free(big);
	free(text);
}
END_TEST

/* A history of stage values: sorted per opportunity by time, ties in
 * input order; from is the stage before within the opportunity, "" for
 * its first; a repeat keeps its from equal to its to. */
struct value_row {
	struct sg_stage_value v;
	int line;
};

START_TEST(test_stage_values)
{
	struct value_row rows[] = {
		{ { "B", "won", 300, 0 }, 2 },
		{ { "A", "proposal", 200, 1 }, 3 },
		{ { "A", "discovery", 100, 2 }, 4 },
		{ { "A", "proposal", 200, 3 }, 5 },
		{ { "B", "discovery", 100, 4 }, 6 },
		{ { "A", "discovery", 100, 5 }, 7 },
	};
	static const int lines[] = { 4, 7, 3, 5, 6, 2 };
	static const char *const from[] = {
		"", "discovery", "discovery", "proposal", "", "discovery"
	};
	size_t n = sizeof(rows) / sizeof(rows[0]), k;

	sg_stage_values_sort(rows, n, sizeof(rows[0]));
	for (k = 0; k < n; k++) {
		ck_assert_int_eq(rows[k].line, lines[k]);
		ck_assert_str_eq(sg_stage_value_from(rows, sizeof(rows[0]), k),
				 from[k]);
	}
	/* The repeats: from and to the same stage. */
	ck_assert_str_eq(rows[1].v.stage, "discovery");
	ck_assert_str_eq(rows[3].v.stage, "proposal");
	sg_stage_values_sort(rows, 0, sizeof(rows[0]));
}
END_TEST

/* Percent-encoding keeps only RFC 3986's unreserved characters, and says
 * how long the whole encoding is when the buffer is short. */
/* Outputs go to new paths or regular files, never over a device. */
START_TEST(test_path_output_ok)
{
	char dir[] = "/tmp/check_util.XXXXXX", path[64];
	struct sg_error err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/new.xlsx", dir);
	ck_assert_int_eq(sg_path_output_ok(path, &err), SG_OK);
	fclose(fopen(path, "w"));
	ck_assert_int_eq(sg_path_output_ok(path, &err), SG_OK);
	/* A folder: the writer's rename fails and says so. */
	ck_assert_int_eq(sg_path_output_ok(dir, &err), SG_OK);
	ck_assert_int_eq(sg_path_output_ok("/dev/null", &err), SG_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err.message, "a device"));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(sg_path_output_ok(path, &err), SG_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err.message, "a FIFO"));
	ck_assert_str_eq(err.path, path);
	unlink(path);
	snprintf(path, sizeof(path), "%s/new.xlsx", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* An output's temporary file: beside it, the umask's mode, locked while
 * its descriptor is open; a dead writer's file of the same output
 * (unlocked and settled) is removed first, a live one's kept. */
/* All of a write that a pipe takes in pieces arrives; a full disk and a
 * descriptor not open for writing give their errno. */
START_TEST(test_write_all)
{
	static unsigned char big[300000];
	unsigned char *back = malloc(sizeof(big));
	int fds[2], fd, status;
	size_t i, got = 0;
	ssize_t n;
	pid_t child;

	ck_assert_ptr_nonnull(back);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + i / 251);
	ck_assert_int_eq(pipe(fds), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		close(fds[0]);
		_exit(sg_write_all(fds[1], big, sizeof(big)) == 0 ? 0 : 1);
	}
	close(fds[1]);
	while ((n = read(fds[0], back + got, sizeof(big) - got)) > 0)
		got += (size_t)n;
	close(fds[0]);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(got, sizeof(big));
	ck_assert(memcmp(back, big, sizeof(big)) == 0);
	free(back);
	fd = open("/dev/full", O_WRONLY);
	if (fd >= 0) {
		ck_assert_int_eq(sg_write_all(fd, big, 10), ENOSPC);
		close(fd);
	}
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sg_write_all(fd, big, 10), EBADF);
	ck_assert_int_eq(sg_write_all(fd, big, 0), 0);
	close(fd);
}
END_TEST

/* The bytes written are counted until 32 MiB, when the write-out starts
 * and the count begins again; a file it cannot start (a bad descriptor)
 * is no error: the fsync that follows says it. */
START_TEST(test_write_behind)
{
	uint64_t pending = 0;
	char path[] = "/tmp/sg-behind-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	sg_write_behind(fd, &pending, 10u << 20);
	sg_write_behind(fd, &pending, 10u << 20);
	sg_write_behind(fd, &pending, 10u << 20);
	ck_assert_uint_eq(pending, 30u << 20);
	sg_write_behind(fd, &pending, 2u << 20);
	ck_assert_uint_eq(pending, 0);
	sg_write_behind(fd, &pending, 1);
	ck_assert_uint_eq(pending, 1);
	sg_write_behind(fd, &pending, 64u << 20);
	ck_assert_uint_eq(pending, 0);
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
	pending = 40u << 20;
	sg_write_behind(-1, &pending, 0);
	ck_assert_uint_eq(pending, 0);
}
END_TEST

START_TEST(test_path_output_temp)
{
	char dir[] = "/tmp/check_util.XXXXXX", path[96], stale[128];
	char live[128], *tmp = NULL, *tmp2 = NULL;
	struct utimbuf old = { 1000000000, 1000000000 };
	struct sg_error err;
	struct stat st;
	mode_t mask;
	int fd, fd2, other;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.xlsx", dir);
	snprintf(stale, sizeof(stale), "%s/.r.xlsx.Ab3xY9", dir);
	fclose(fopen(stale, "w"));
	ck_assert_int_eq(utime(stale, &old), 0);
	ck_assert_int_eq(sg_path_output_temp(path, &tmp, &fd, &err), SG_OK);
	ck_assert_int_eq(access(stale, F_OK), -1);
	ck_assert_ptr_nonnull(strstr(tmp, "/.r.xlsx."));
	ck_assert_uint_eq(strlen(strrchr(tmp, '.')), 7);
	mask = umask(022);
	umask(mask);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0666 & ~mask);
	other = open(tmp, O_RDONLY);
	ck_assert_int_eq(flock(other, LOCK_EX | LOCK_NB), -1);
	close(other);
	/* Held: another write of the same output leaves it. */
	snprintf(live, sizeof(live), "%s", tmp);
	ck_assert_int_eq(utime(live, &old), 0);
	ck_assert_int_eq(sg_path_output_temp(path, &tmp2, &fd2, &err), SG_OK);
	ck_assert_int_eq(access(live, F_OK), 0);
	close(fd2);
	unlink(tmp2);
	free(tmp2);
	close(fd);
	unlink(tmp);
	free(tmp);
	snprintf(path, sizeof(path), "%s/none/r.xlsx", dir);
	ck_assert_int_eq(sg_path_output_temp(path, &tmp, &fd, &err), SG_ERR_IO);
	ck_assert_ptr_null(tmp);
	ck_assert_ptr_nonnull(strstr(err.message, "check that the folder "
				     "exists"));
	rmdir(dir);
}
END_TEST

/* An OAuth token request's body: every value encoded, pairs joined. */
START_TEST(test_url_form)
{
	const char *const pairs[] = { "grant_type", "refresh_token",
				      "client_secret", "a&b=c d+e%",
				      "empty", "" };
	char *body = sg_url_form(pairs, 6);

	ck_assert_str_eq(body, "grant_type=refresh_token&client_secret="
			 "a%26b%3Dc%20d%2Be%25&empty=");
	free(body);
	body = sg_url_form(pairs, 0);
	ck_assert_str_eq(body, "");
	free(body);
}
END_TEST

START_TEST(test_url_encode)
{
	char buf[64];

	ck_assert_uint_eq(sg_url_encode(buf, sizeof(buf), "AZaz09-._~"), 10);
	ck_assert_str_eq(buf, "AZaz09-._~");
	ck_assert_uint_eq(sg_url_encode(buf, sizeof(buf), "a b&c=d/e?f"), 21);
	ck_assert_str_eq(buf, "a%20b%26c%3Dd%2Fe%3Ff");
	sg_url_encode(buf, sizeof(buf), "caf\xc3\xa9+%");
	ck_assert_str_eq(buf, "caf%C3%A9%2B%25");
	ck_assert_uint_eq(sg_url_encode(buf, 4, "a b"), 5);
	ck_assert_str_eq(buf, "a%2");
	ck_assert_uint_eq(sg_url_encode(NULL, 0, "x y"), 5);
	ck_assert_uint_eq(sg_url_encode(buf, sizeof(buf), NULL), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* A URL built piece by piece: a value cannot change the request's
 * shape; a base with a query goes on with '&'. */
START_TEST(test_url_build)
{
	struct sg_url u;

	ck_assert_int_eq(sg_url_init(&u, "https://api.example.com/crm/v3"), 0);
	ck_assert_int_eq(sg_url_add_segment(&u, "objects"), 0);
	ck_assert_int_eq(sg_url_add_segment(&u, "deals/../x"), 0);
	ck_assert_int_eq(sg_url_add_param(&u, "limit", "100"), 0);
	ck_assert_int_eq(sg_url_add_param(&u, "after", "a&b=c d"), 0);
	ck_assert_str_eq(sg_url_text(&u), "https://api.example.com/crm/v3/"
			 "objects/deals%2F..%2Fx?limit=100&after=a%26b%3Dc%20d");
	/* No path segment once the query started. */
	ck_assert_int_eq(sg_url_add_segment(&u, "late"), -1);
	sg_url_release(&u);
	ck_assert_int_eq(sg_url_init(&u, "https://x.example/q?SELECT=1"), 0);
	ck_assert_int_eq(sg_url_add_param(&u, "next", ""), 0);
	ck_assert_str_eq(sg_url_text(&u), "https://x.example/q?SELECT=1&next=");
	sg_url_release(&u);
	sg_url_release(&u);
	ck_assert_str_eq(sg_url_text(&u), "");
}
END_TEST

/* ------------------------------------------------------------------ */
/* UTF-8                                                                */

/* A JSON error's reason keeps jansson's words, never the text it
 * quotes. */
START_TEST(test_json_reason)
{
	char buf[64];

	ck_assert_str_eq(sg_json_reason("invalid token near 's3cr3t'", buf,
					sizeof(buf)), "invalid token");
	ck_assert_str_eq(sg_json_reason("end of file expected", buf,
					sizeof(buf)), "end of file expected");
	ck_assert_str_eq(sg_json_reason(NULL, buf, sizeof(buf)), "");
	ck_assert_str_eq(sg_json_reason("a long reason", buf, 7), "a long");
}
END_TEST

/* RFC 3629's boundaries: where the valid prefix of each text ends. */
START_TEST(test_utf8_prefix)
{
	static const struct {
		const char *text;
		size_t valid;
	} cases[] = {
		{ "plain ASCII, longer than eight bytes", 36 },
		{ "caf\xc3\xa9", 5 },
		{ "\xe2\x82\xac euro", 8 },
		{ "\xf0\x9f\x98\x80!", 5 },
		{ "\xf4\x8f\xbf\xbf", 4 },       /* U+10FFFF */
		{ "ab\xf4\x90\x80\x80", 2 },     /* past U+10FFFF */
		{ "ab\xc0\xaf", 2 },               /* overlong '/' */
		{ "ab\xe0\x80\xaf", 2 },          /* overlong, 3 bytes */
		{ "ab\xed\xa0\x80", 2 },          /* a surrogate */
		{ "12345678\xe9", 8 },              /* Latin-1 after a word */
		{ "\xc3", 0 },                      /* cut short */
		{ "\x80", 0 },                      /* a lone continuation */
		{ "\xff", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (sg_utf8_valid_prefix(cases[i].text, strlen(cases[i].text))
		    != cases[i].valid)
			ck_abort_msg("case %zu: valid prefix %zu, expected %zu",
				     i, sg_utf8_valid_prefix(cases[i].text,
					strlen(cases[i].text)), cases[i].valid);
	ck_assert_uint_eq(sg_utf8_valid_prefix("a\0b", 3), 3);
	ck_assert_uint_eq(sg_utf8_valid_prefix(NULL, 0), 0);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("decimal");
	tcase_add_test(tc, test_decimal_accept);
	tcase_add_test(tc, test_decimal_reject);
	tcase_add_test(tc, test_decimal_message);
	tcase_add_test(tc, test_decimal_is_zero);
	tcase_add_test(tc, test_decimal_add);
	tcase_add_test(tc, test_decimal_format_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("missing");
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_missing_bounds);
	tcase_add_test(tc, test_missing_matches_decimal);
	tcase_add_test(tc, test_trim);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_test(tc, test_quote);
	tcase_add_test(tc, test_csv_field);
	tcase_add_test(tc, test_csv_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("path");
	tcase_add_test(tc, test_path_join);
	suite_add_tcase(s, tc);

	tc = tcase_create("url");
	tcase_add_test(tc, test_url_encode);
	tcase_add_test(tc, test_url_form);
	tcase_add_test(tc, test_path_output_ok);
	tcase_add_test(tc, test_path_output_temp);
	tcase_add_test(tc, test_write_all);
	tcase_add_test(tc, test_write_behind);
	tcase_add_test(tc, test_url_build);
	suite_add_tcase(s, tc);

	tc = tcase_create("utf8");
	tcase_add_test(tc, test_utf8_prefix);
	tcase_add_test(tc, test_json_reason);
	suite_add_tcase(s, tc);

	tc = tcase_create("stage values");
	tcase_add_test(tc, test_stage_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("sha256");
	tcase_add_checked_fixture(tc, hash_setup, hash_teardown);
	tcase_add_test(tc, test_sha256_vectors);
	tcase_add_test(tc, test_sha256_incremental);
	tcase_add_test(tc, test_sha256_file);
	tcase_add_test(tc, test_sha256_file_errors);
	tcase_add_test(tc, test_id_hex16);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
