/*
 * check_csvreader.c - the streaming RFC 4180 reader (core/util/sg_csv.c).
 *
 * Run one suite or case with CK_RUN_SUITE=csvreader CK_RUN_CASE=quoted.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_csv.h"
#include "sg_csv_test.h"

/* A growing text used to render what a reader returned. */
struct text {
	char *s;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		if (t->s == NULL)
			ck_abort_msg("out of memory");
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void text_addf(struct text *t, const char *fmt, long v)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), fmt, v);

	text_add(t, buf, (size_t)n);
}

/*
 * Reads all of input with the given block size (0: the default) and
 * renders the records as "LINE:[f1][f2]\n"; on an error, appends
 * "ERR code path:line:col\n" and stops.  Returns the rendering (caller
 * frees) and the error in *err.
 */
static char *render_in(const char *input, size_t len, size_t block,
		       const char *encoding, struct sg_error *err);

static char *render(const char *input, size_t len, size_t block,
		    struct sg_error *err)
{
	return render_in(input, len, block, NULL, err);
}

/* render() of a file in encoding (sg_csv_set_encoding). */
static char *render_in(const char *input, size_t len, size_t block,
		       const char *encoding, struct sg_error *err)
{
	struct sg_csv *csv = NULL;
	struct sg_csv_record rec;
	struct text t = {NULL, 0, 0};
	size_t i;
	int rc;

	text_add(&t, "", 0);
	sg_error_clear(err);
	ck_assert_int_eq(sg_csv_open_memory(&csv, "mem.csv", input, len, err),
			 SG_OK);
	if (block > 0)
		ck_assert_int_eq(sg_csv_set_block_size(csv, block), SG_OK);
	rc = sg_csv_set_encoding(csv, encoding, err);
	if (rc != SG_OK) {
		text_addf(&t, "ERR %ld ", rc);
		text_add(&t, err->path, strlen(err->path));
		text_add(&t, "\n", 1);
		sg_csv_free(csv);
		return t.s;
	}
	for (;;) {
		rc = sg_csv_next(csv, &rec, err);
		if (rc == 0)
			break;
		if (rc < 0) {
			text_addf(&t, "ERR %ld ", rc);
			text_add(&t, err->path, strlen(err->path));
			text_addf(&t, ":%ld", err->line);
			text_addf(&t, ":%ld\n", err->column);
			break;
		}
		/* Check marks every passing assertion: keep them out of
		 * loops over records. */
		if (rc != 1)
			ck_abort_msg("sg_csv_next returned %d", rc);
		text_addf(&t, "%ld:", rec.line);
		for (i = 0; i < rec.count; i++) {
			/* Every field is NUL-terminated at its length. */
			if (strlen(rec.fields[i]) != rec.lens[i])
				ck_abort_msg("field %zu: length %zu, NUL at "
					     "%zu", i, rec.lens[i],
					     strlen(rec.fields[i]));
			text_add(&t, "[", 1);
			text_add(&t, rec.fields[i], rec.lens[i]);
			text_add(&t, "]", 1);
		}
		text_add(&t, "\n", 1);
	}
	sg_csv_free(csv);
	return t.s;
}

/* Renders input at the default block size and at every block size from 1
 * to 2 * its length, and checks they all agree with expect. */
static void check_all_blocks(const char *input, const char *expect)
{
	struct sg_error err;
	size_t len = strlen(input), block;
	char *got;

	got = render(input, len, 0, &err);
	ck_assert_str_eq(got, expect);
	free(got);
	for (block = 1; block <= 2 * len + 2; block++) {
		got = render(input, len, block, &err);
		if (strcmp(got, expect) != 0)
			ck_abort_msg("block %zu: got\n%s\nexpected\n%s", block,
				     got, expect);
		free(got);
	}
}

/* A NUL byte inside a field is an error at its line and column, never a
 * value cut short (issue 12, item 4): plain and quoted, at any block. */
START_TEST(test_nul_in_field)
{
	static const char plain[] = "id,name\nopp-00\0 000001,Acme\n";
	static const char quoted[] = "id,name\nO1,\"Ac\0me\"\n";
	struct sg_error err;
	size_t block;
	char *got;

	for (block = 0; block <= sizeof(plain); block++) {
		got = render(plain, sizeof(plain) - 1, block, &err);
		ck_assert_str_eq(got, "1:[id][name]\nERR -3 mem.csv:2:1\n");
		free(got);
	}
	ck_assert_ptr_nonnull(strstr(err.message, "NUL byte"));
	ck_assert_ptr_nonnull(strstr(err.message, "after 6 bytes"));
	got = render(quoted, sizeof(quoted) - 1, 0, &err);
	ck_assert_str_eq(got, "1:[id][name]\nERR -3 mem.csv:2:2\n");
	free(got);
}
END_TEST

/* Text that is not UTF-8 is an error naming the line, the field and the
 * byte (issue 12, item 3), at any block size: a Latin-1 byte, an
 * overlong form, a surrogate, a sequence cut short. */
START_TEST(test_not_utf8)
{
	static const char *const bad[] = {
		"id,name\nO1,caf\xe9\n", "id,name\nO1,\xc0\xaf\n",
		"id,name\nO1,\xed\xa0\x80\n", "id,name\nO1,ab\xe2\x82\n",
		"id,name\nO1,\"x\xff\"\n",
	};
	struct sg_error err;
	size_t i, block;
	char *got;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (block = 0; block <= strlen(bad[i]); block++) {
			got = render(bad[i], strlen(bad[i]), block, &err);
			if (strcmp(got, "1:[id][name]\nERR -3 mem.csv:2:2\n"))
				ck_abort_msg("%zu at block %zu: %s", i, block,
					     got);
			free(got);
		}
	got = render(bad[0], strlen(bad[0]), 0, &err);
	free(got);
	ck_assert_ptr_nonnull(strstr(err.message, "the byte 0xE9 after 3 "
				     "bytes of the field is not UTF-8"));
	ck_assert_ptr_nonnull(strstr(err.message, "\"encoding\""));
	/* Past the first 16 bytes of a field, and right at its end. */
	got = render("a\n0123456789abcdefghij\xe9\n", 24, 0, &err);
	ck_assert_str_eq(got, "1:[a]\nERR -3 mem.csv:2:1\n");
	free(got);
	ck_assert_ptr_nonnull(strstr(err.message, "after 20 bytes"));
	got = render("a\n0123456789abcde\xe9,x\n", 21, 0, &err);
	ck_assert_str_eq(got, "1:[a]\nERR -3 mem.csv:2:1\n");
	free(got);
	/* A non-ASCII byte just after a field is not the field's. */
	check_all_blocks("a,b\n0123456789abcdef,\xc3\xa9\n",
			 "1:[a][b]\n2:[0123456789abcdef][\xc3\xa9]\n");
	/* Four-byte sequences and the last code point are UTF-8. */
	check_all_blocks("a,\xf0\x9f\x98\x80\n\xf4\x8f\xbf\xbf,b\n",
			 "1:[a][\xf0\x9f\x98\x80]\n2:[\xf4\x8f\xbf\xbf][b]\n");
}
END_TEST

/* A file in another encoding is converted as it is read, whatever the
 * block size (a character never split): Windows-1252 (the euro sign
 * and the curly quote), ISO-8859-1, UTF-16 in both byte orders. */
START_TEST(test_encodings)
{
	static const char cp1252[] = "name,amount\ncaf\xe9 \x80,\x93x\x94\n";
	static const char latin1[] = "name\ncaf\xe9\n";
	static const char utf16le[] = "\xff\xfe" "a\0,\0\xe9\0\n\0\x3d\xd8"
				      "\x00\xde,\0b\0\n\0";
	static const char utf16be[] = "\xfe\xff\0a\0,\0\xe9\0\n";
	static const char *const want1252 =
		"1:[name][amount]\n2:[caf\xc3\xa9 \xe2\x82\xac]"
		"[\xe2\x80\x9cx\xe2\x80\x9d]\n";
	struct sg_error err;
	size_t block;
	char *got;

	for (block = 0; block <= sizeof(cp1252); block++) {
		got = render_in(cp1252, sizeof(cp1252) - 1, block,
				"windows-1252", &err);
		if (strcmp(got, want1252) != 0)
			ck_abort_msg("windows-1252 at block %zu: %s", block,
				     got);
		free(got);
		got = render_in(utf16le, sizeof(utf16le) - 1, block,
				"utf-16", &err);
		if (strcmp(got, "1:[a][\xc3\xa9]\n2:[\xf0\x9f\x98\x80]"
			   "[b]\n") != 0)
			ck_abort_msg("utf-16 at block %zu: %s", block, got);
		free(got);
	}
	got = render_in(latin1, sizeof(latin1) - 1, 0, "iso-8859-1", &err);
	ck_assert_str_eq(got, "1:[name]\n2:[caf\xc3\xa9]\n");
	free(got);
	got = render_in(utf16be, sizeof(utf16be) - 1, 0, "utf-16", &err);
	ck_assert_str_eq(got, "1:[a][\xc3\xa9]\n");
	free(got);
}
END_TEST

/* What conversion refuses: a byte the code page does not define, UTF-16
 * without its byte order mark or cut in a character, a name it does
 * not know. */
START_TEST(test_encoding_errors)
{
	struct sg_error err;
	char *got;

	got = render_in("a,b\nc,\x81\n", 8, 0, "windows-1252", &err);
	ck_assert_str_eq(got, "ERR -3 mem.csv:0:0\n");
	ck_assert_ptr_nonnull(strstr(err.message, "the byte 0x81 at byte 6 "
				     "is not windows-1252 text"));
	free(got);
	got = render_in("a\0,\0", 4, 0, "utf-16", &err);
	ck_assert_ptr_nonnull(strstr(err.message, "byte order mark"));
	free(got);
	got = render_in("\xff\xfe" "a\0\n", 5, 0, "utf-16", &err);
	ck_assert_ptr_nonnull(strstr(err.message, "cut short"));
	free(got);
	got = render_in("a\n", 2, 0, "ebcdic", &err);
	ck_assert_str_eq(got, "ERR -4 mem.csv\n");
	ck_assert_ptr_nonnull(strstr(err.message, "unknown encoding"));
	free(got);
}
END_TEST

START_TEST(test_simple_lf)
{
	check_all_blocks("id,name\n1,Acme\n2,Globex\n",
			 "1:[id][name]\n2:[1][Acme]\n3:[2][Globex]\n");
}
END_TEST

START_TEST(test_crlf)
{
	check_all_blocks("id,name\r\n1,Acme\r\n2,\r\n",
			 "1:[id][name]\n2:[1][Acme]\n3:[2][]\n");
}
END_TEST

/* Lines ended by CR alone are named as such, not read as one line
 * (the check looks at the first block read, 4 MiB in real use). */
START_TEST(test_cr_only_line_ends)
{
	struct sg_error err;
	char *got;

	got = render("id,name\rO1,Acme\rO2,Globex\r", 27, 0, &err);
	ck_assert_str_eq(got, "ERR -3 mem.csv:1:0\n");
	free(got);
	ck_assert_ptr_nonnull(strstr(err.message, "carriage return alone"));
	/* A CR at the very end, or before LF, is a line end as ever. */
	check_all_blocks("id\r", "1:[id]\n");
	check_all_blocks("id\r\nx\r\n", "1:[id]\n2:[x]\n");
}
END_TEST

START_TEST(test_no_final_newline)
{
	check_all_blocks("a,b\n1,2", "1:[a][b]\n2:[1][2]\n");
	check_all_blocks("a,b\r\n1,2", "1:[a][b]\n2:[1][2]\n");
	/* A carriage return at the very end is a line end too. */
	check_all_blocks("a,b\r\n1,2\r", "1:[a][b]\n2:[1][2]\n");
	check_all_blocks("a,b\n1,\"x\"", "1:[a][b]\n2:[1][x]\n");
	check_all_blocks("a,b\n1,\"x\"\r", "1:[a][b]\n2:[1][x]\n");
	check_all_blocks("a,b\n1,", "1:[a][b]\n2:[1][]\n");
}
END_TEST

START_TEST(test_bom)
{
	check_all_blocks("\xef\xbb\xbfid,name\n1,x\n",
			 "1:[id][name]\n2:[1][x]\n");
	/* Only at the very start. */
	check_all_blocks("id\n\xef\xbb\xbfx\n", "1:[id]\n2:[\xef\xbb\xbfx]\n");
	/* A BOM and nothing else. */
	check_all_blocks("\xef\xbb\xbf", "");
	/* Part of a BOM is a character cut short: not UTF-8. */
	check_all_blocks("\xef\xbb", "ERR -3 mem.csv:1:1\n");
}
END_TEST

START_TEST(test_blank_lines)
{
	check_all_blocks("\n\na,b\n\n1,2\r\n\r\n\n3,4\n\n",
			 "3:[a][b]\n5:[1][2]\n8:[3][4]\n");
	check_all_blocks("", "");
	check_all_blocks("\n", "");
	check_all_blocks("\r\n\r\n", "");
	/* A line with only a space is a record, not a blank line. */
	check_all_blocks("a\n \n", "1:[a]\n2:[ ]\n");
}
END_TEST

START_TEST(test_quoted)
{
	check_all_blocks(
		"id,note\n"
		"1,\"Acme, Inc.\"\n"
		"2,\"say \"\"hi\"\"\"\n"
		"3,\"two\nlines\"\n"
		"4,\"\"\n"
		"5,\"\"\"\"\n"
		"6,\"crlf\r\nkept\",x\n"
		"7,\"a\"\"\",\"\"\"b\"\n",
		"1:[id][note]\n"
		"2:[1][Acme, Inc.]\n"
		"3:[2][say \"hi\"]\n"
		"4:[3][two\nlines]\n"
		"6:[4][]\n"
		"7:[5][\"]\n"
		"8:[6][crlf\r\nkept][x]\n"
		"10:[7][a\"][\"b]\n");
}
END_TEST

START_TEST(test_quoted_crlf_ends)
{
	check_all_blocks("\"a\",\"b\"\r\n\"c\"\r\n\r\n\"d\n\"\r\ne\r\n",
			 "1:[a][b]\n2:[c]\n4:[d\n]\n6:[e]\n");
	/* A quoted field starting a record right after a blank line. */
	check_all_blocks("x\n\n\"\"\n", "1:[x]\n3:[]\n");
}
END_TEST

START_TEST(test_quote_inside_unquoted)
{
	/* A quote inside an unquoted field is kept as a character. */
	check_all_blocks("a,12\" screen,b\"\"c\n",
			 "1:[a][12\" screen][b\"\"c]\n");
}
END_TEST

START_TEST(test_empty_fields)
{
	check_all_blocks(",,\n,\n\"\",\n", "1:[][][]\n2:[][]\n3:[][]\n");
}
END_TEST

START_TEST(test_utf8)
{
	check_all_blocks("name\n\"Zoë, Müller\"\n日本\n",
			 "1:[name]\n2:[Zoë, Müller]\n3:[日本]\n");
}
END_TEST

START_TEST(test_long_fields)
{
	/* Fields longer than a vector step, around the step's edges. */
	char input[4096], expect[4096];
	size_t n, i;

	for (n = 0; n < 70; n += 7) {
		char field[128];

		for (i = 0; i < n; i++)
			field[i] = (char)('a' + (char)(i % 26));
		field[n] = '\0';
		snprintf(input, sizeof(input),
			 "%s,\"%s\",%s\n\"%s\"\"%s\",x\r\n", field, field,
			 field, field, field);
		snprintf(expect, sizeof(expect),
			 "1:[%s][%s][%s]\n2:[%s\"%s][x]\n", field, field,
			 field, field, field);
		check_all_blocks(input, expect);
	}
}
END_TEST

START_TEST(test_unterminated_quote)
{
	struct sg_error err;
	char *got;

	got = render("id,note\n1,\"open\n\nstill open\n",
		     strlen("id,note\n1,\"open\n\nstill open\n"), 0, &err);
	ck_assert_str_eq(got, "1:[id][note]\nERR -3 mem.csv:2:2\n");
	ck_assert_int_eq(err.code, SG_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "unterminated"));
	ck_assert_ptr_nonnull(strstr(err.message, "line 2"));
	free(got);
	/* Whatever the block size. */
	check_all_blocks("a\n\n\"x\ny", "1:[a]\nERR -3 mem.csv:3:1\n");
}
END_TEST

START_TEST(test_after_closing_quote)
{
	struct sg_error err;
	char *got;

	got = render("a,b\n1,\"x\"y,z\n", strlen("a,b\n1,\"x\"y,z\n"), 0,
		     &err);
	ck_assert_str_eq(got, "1:[a][b]\nERR -3 mem.csv:2:2\n");
	ck_assert_ptr_nonnull(strstr(err.message, "'y'"));
	ck_assert_ptr_nonnull(strstr(err.message, "closing quote"));
	free(got);
	check_all_blocks("a\n\"x\" \n", "1:[a]\nERR -3 mem.csv:2:1\n");
	check_all_blocks("a\n\"x\"\rz\n", "1:[a]\nERR -3 mem.csv:2:1\n");
	/* The record's first line is named, not the quote's last. */
	check_all_blocks("a\n\"x\n\ny\"!\n", "1:[a]\nERR -3 mem.csv:2:1\n");
}
END_TEST

START_TEST(test_too_many_fields)
{
	struct sg_error err;
	size_t n = SG_CSV_FIELDS_MAX;
	char *input = malloc(2 * n + 8), *got;
	size_t i;

	ck_assert_ptr_nonnull(input);
	/* Exactly the limit is fine. */
	for (i = 0; i < n; i++) {
		input[2 * i] = 'x';
		input[2 * i + 1] = ',';
	}
	input[2 * n - 1] = '\n';
	input[2 * n] = '\0';
	got = render(input, strlen(input), 0, &err);
	ck_assert_uint_eq(strlen(got), 2 + 3 * n + 1);
	free(got);
	/* One more is refused. */
	input[2 * n - 1] = ',';
	input[2 * n] = 'y';
	input[2 * n + 1] = '\n';
	input[2 * n + 2] = '\0';
	got = render(input, strlen(input), 0, &err);
	ck_assert_str_eq(got, "ERR -3 mem.csv:1:4097\n");
	ck_assert_ptr_nonnull(strstr(err.message, "too many fields"));
	free(got);
	free(input);
}
END_TEST

START_TEST(test_record_too_large)
{
	struct sg_error err;
	size_t n = SG_CSV_RECORD_MAX + 16;
	char *input = malloc(n + 16), *got;

	ck_assert_ptr_nonnull(input);
	memcpy(input, "a\n\"", 3);
	memset(input + 3, 'x', n - 3);
	memcpy(input + n, "\"\n", 3);
	got = render(input, n + 2, 0, &err);
	ck_assert_str_eq(got, "1:[a]\nERR -3 mem.csv:2:0\n");
	ck_assert_ptr_nonnull(strstr(err.message, "too large"));
	free(got);
	/* Unquoted, starting from a tiny buffer. */
	input[2] = 'x';
	got = render(input, n + 2, 1024, &err);
	ck_assert_str_eq(got, "1:[a]\nERR -3 mem.csv:2:0\n");
	free(got);
	free(input);
}
END_TEST

START_TEST(test_large_record_grows)
{
	/* A record bigger than the first buffer but under the limit. */
	struct sg_error err;
	size_t n = 3 * 1024 * 1024, i;
	char *input = malloc(n + 64);
	struct sg_csv *csv;
	struct sg_csv_record rec;

	ck_assert_ptr_nonnull(input);
	memcpy(input, "h1,h2\n\"", 7);
	memset(input + 7, 'q', n);
	memcpy(input + 7 + n, "\",end\nz,z\n", 10);
	ck_assert_int_eq(sg_csv_open_memory(&csv, "big", input, n + 17, &err),
			 SG_OK);
	ck_assert_int_eq(sg_csv_set_block_size(csv, 4096), SG_OK);
	ck_assert_int_eq(sg_csv_next(csv, &rec, &err), 1);
	/* Too late to change the buffer. */
	ck_assert_int_eq(sg_csv_set_block_size(csv, 1), SG_ERR_INTERNAL);
	ck_assert_str_eq(rec.fields[1], "h2");
	ck_assert_int_eq(sg_csv_next(csv, &rec, &err), 1);
	ck_assert_uint_eq(rec.count, 2);
	ck_assert_uint_eq(rec.lens[0], n);
	for (i = 0; i < n; i++)
		if (rec.fields[0][i] != 'q')
			ck_abort_msg("byte %zu", i);
	ck_assert_str_eq(rec.fields[1], "end");
	ck_assert_int_eq(sg_csv_next(csv, &rec, &err), 1);
	ck_assert_int_eq(rec.line, 3);
	ck_assert_str_eq(rec.fields[0], "z");
	ck_assert_int_eq(sg_csv_next(csv, &rec, &err), 0);
	ck_assert_uint_eq(sg_csv_offset(csv), n + 17);
	sg_csv_free(csv);
	free(input);
}
END_TEST

/* Writes text to DIR/name in a fresh temporary folder; returns the path
 * (static). */
static const char *write_temp(const char *name, const char *text,
			      size_t len)
{
	static char path[512];
	char dir[] = "/tmp/check_csvreader.XXXXXX";
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

START_TEST(test_file_open_error)
{
	struct sg_error err;
	struct sg_csv *csv = (struct sg_csv *)&err;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_csv_open(&csv, "/nonexistent/x.csv", &err),
			 SG_ERR_IO);
	ck_assert_ptr_null(csv);
	ck_assert_str_eq(err.path, "/nonexistent/x.csv");
	ck_assert_ptr_nonnull(strstr(err.message, "No such file"));
}
END_TEST

START_TEST(test_file_read_error)
{
	/* A folder opens but cannot be read. */
	struct sg_error err;
	struct sg_csv *csv;
	struct sg_csv_record rec;

	ck_assert_int_eq(sg_csv_open(&csv, "/", &err), SG_OK);
	ck_assert_int_eq(sg_csv_next(csv, &rec, &err), SG_ERR_IO);
	ck_assert_str_eq(err.path, "/");
	sg_csv_free(csv);
}
END_TEST

START_TEST(test_file_many_blocks)
{
	/* A file of several default blocks: records cross real buffer
	 * boundaries of the file path. */
	struct sg_error err;
	struct sg_csv *csv;
	struct sg_csv_record rec;
	size_t cap = 12u * 1024u * 1024u, len = 0;
	char *text = malloc(cap);
	const char *path;
	static const char quoted[] = "%ld,name %ld,\"q, \"\"%ld\"\"\nx\"\r\n";
	static const char plain[] = "%ld,name %ld,plain %ld\r\n";
	long i, n = 0, rows, line = 2;
	int rc;

	ck_assert_ptr_nonnull(text);
	len += (size_t)snprintf(text, cap, "\xef\xbb\xbfid,name,note\r\n");
	for (i = 0; len + 200 < cap; i++)
		len += (size_t)snprintf(text + len, cap - len,
					i % 3 == 0 ? quoted : plain, i, i,
					i);
	rows = i;
	path = write_temp("big.csv", text, len);
	ck_assert_int_eq(sg_csv_open(&csv, path, &err), SG_OK);
	ck_assert_int_eq(sg_csv_next(csv, &rec, &err), 1);
	ck_assert_str_eq(rec.fields[0], "id");
	ck_assert_str_eq(rec.fields[2], "note");
	for (;;) {
		char want[64];

		rc = sg_csv_next(csv, &rec, &err);
		if (rc == 0)
			break;
		if (rc != 1 || rec.count != 3 || rec.line != line ||
		    atol(rec.fields[0]) != n)
			ck_abort_msg("record %ld: rc %d, %zu fields, line %ld",
				     n, rc, rec.count, rec.line);
		if (n % 3 == 0) {
			snprintf(want, sizeof(want), "q, \"%ld\"\nx", n);
			line += 2;
		} else {
			snprintf(want, sizeof(want), "plain %ld", n);
			line += 1;
		}
		if (strcmp(rec.fields[2], want) != 0)
			ck_abort_msg("record %ld: \"%s\"", n, rec.fields[2]);
		n++;
	}
	ck_assert_int_eq(n, rows);
	ck_assert_uint_eq(sg_csv_offset(csv), len);
	ck_assert_str_eq(sg_csv_path(csv), path);
	sg_csv_free(csv);
	unlink(path);
	free(text);
}
END_TEST

START_TEST(test_free_null)
{
	sg_csv_free(NULL);
}
END_TEST

static Suite *csvreader_suite(void)
{
	Suite *s = suite_create("csvreader");
	TCase *tc;

	tc = tcase_create("records");
	tcase_add_test(tc, test_simple_lf);
	tcase_add_test(tc, test_nul_in_field);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_no_final_newline);
	tcase_add_test(tc, test_cr_only_line_ends);
	tcase_add_test(tc, test_bom);
	tcase_add_test(tc, test_blank_lines);
	tcase_add_test(tc, test_empty_fields);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_not_utf8);
	tcase_add_test(tc, test_encodings);
	tcase_add_test(tc, test_encoding_errors);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("quoted");
	tcase_add_test(tc, test_quoted);
	tcase_add_test(tc, test_quoted_crlf_ends);
	tcase_add_test(tc, test_quote_inside_unquoted);
	tcase_add_test(tc, test_long_fields);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_unterminated_quote);
	tcase_add_test(tc, test_after_closing_quote);
	tcase_add_test(tc, test_too_many_fields);
	tcase_add_test(tc, test_record_too_large);
	tcase_add_test(tc, test_file_open_error);
	tcase_add_test(tc, test_file_read_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("blocks");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_large_record_grows);
	tcase_add_test(tc, test_file_many_blocks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(csvreader_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
