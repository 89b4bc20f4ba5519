/*
 * check_sink.c - the sink host (core/sg_sink.c): a sink's options come
 * from the config's "sinks" section or its defaults, the command line's
 * output wins, it sees the input it was given, and its failures keep
 * what the user can fix and become "sink failed" (exit 4) otherwise.
 * Driven with the test-only sink tests/plugins/testsink.c.
 */
#include <unistd.h>

#include "sg_config.h"
#include "sg_loader.h"
#include "sg_sink.h"
#include "sg_test.h"

static char tmpdir[] = "/tmp/sg-check-sink-XXXXXX";

static struct sg_registry *test_registry(void)
{
	struct sg_registry *r = NULL;
	struct sg_error err;
	char dir[4096];

	sg_test_build_path("tests/plugins/.libs", dir, sizeof(dir));
	ck_assert_int_eq(sg_registry_open(&r, dir, &err), SG_OK);
	return r;
}

/* A one-section report: a heading, a two-column table and a chart. */
static const struct sg_column test_columns[] = {
	{ "stage", "Stage", SG_VAL_TEXT, SG_ROLE_PLAIN, 0 },
	{ "count", "Count", SG_VAL_INT, SG_ROLE_PLAIN, 0 },
};

static int test_rows(const struct sg_table *t, sg_row_fn row, void *arg,
		     struct sg_error *err)
{
	struct sg_value cells[2];
	int rc;

	(void)t;
	memset(cells, 0, sizeof(cells));
	cells[0].type = SG_VAL_TEXT;
	cells[0].text = "discovery";
	cells[1].type = SG_VAL_INT;
	cells[1].integer = 3;
	rc = row(arg, cells, err);
	if (rc != 0)
		return rc;
	cells[0].text = "=proposal";
	cells[1].type = SG_VAL_NONE;
	return row(arg, cells, err);
}

static const struct sg_table test_table = {
	"ages", "Stage ages", NULL, test_columns, 2, 0, test_rows, NULL
};
static const size_t test_series[] = { 1 };
static const struct sg_chart test_chart = {
	"ages_chart", "Ages", SG_CHART_COLUMN, &test_table, 0, test_series, 1,
	NULL, NULL
};
static const struct sg_block test_blocks[] = {
	{ SG_BLOCK_HEADING, "Stage ages", NULL, NULL },
	{ SG_BLOCK_TABLE, NULL, &test_table, NULL },
	{ SG_BLOCK_CHART, NULL, NULL, &test_chart },
};
static const struct sg_section test_sections[] = {
	{ "ages", "Ages", test_blocks, 3 },
};
static const struct sg_report test_report = {
	"leadership", "Test report", 1793491200, test_sections, 1
};

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static struct sg_config *test_config(const char *sinks)
{
	struct sg_config *c = NULL;
	struct sg_error err;
	char text[1024];
	int n = snprintf(text, sizeof(text), "{\"stages\": [{\"id\": \"a\"}], "
			 "\"sinks\": %s}", sinks);

	ck_assert_int_eq(sg_config_load_text(&c, "test.json", tmpdir, text,
					     (size_t)n, &err), SG_OK);
	return c;
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_write_with_arg)
{
	struct sg_registry *r = test_registry();
	struct sg_sink_input in = { .size = sizeof(in),
				    .report = &test_report };
	struct sg_sink_options opts = { .name = "testsink" };
	struct sg_error err;
	char path[4200];

	snprintf(path, sizeof(path), "%s/out.txt", tmpdir);
	opts.arg = path;
	ck_assert_int_eq(sg_sink_write(NULL, r, &opts, &in, &err), SG_OK);
	ck_assert_str_eq(slurp(path),
			 "report leadership: Test report\n"
			 "section ages: Ages\n"
			 " text Stage ages\n"
			 " table ages (2 columns)\n"
			 "  row: discovery 3\n"
			 "  row: =proposal -\n"
			 " chart ages_chart of ages\n");
	sg_registry_free(r);
}
END_TEST

START_TEST(test_config_section_is_used)
{
	struct sg_registry *r = test_registry();
	struct sg_config *c = test_config("{\"testsink\": {\"out\": "
					  "\"from-config.txt\"}}");
	const char *files[] = { "b.txt" };
	struct sg_sink_file f = { .name = files[0], .path = "/nowhere/b.txt" };
	struct sg_sink_input in = { .size = sizeof(in), .files = &f,
				    .file_count = 1,
				    .facts_json = "{\"as_of\": 1}" };
	struct sg_sink_options opts = { .name = "testsink" };
	struct sg_error err;
	char path[4200];

	ck_assert_int_eq(sg_sink_write(c, r, &opts, &in, &err), SG_OK);
	snprintf(path, sizeof(path), "%s/from-config.txt", tmpdir);
	ck_assert_str_eq(slurp(path), "file b.txt\nfacts {\"as_of\": 1}\n");
	sg_config_free(c);
	sg_registry_free(r);
}
END_TEST

static int write_failing(const char *at, struct sg_error *err)
{
	struct sg_registry *r = test_registry();
	char sinks[300];
	struct sg_config *c;
	struct sg_sink_input in = { .size = sizeof(in),
				    .report = &test_report };
	struct sg_sink_options opts = { .name = "testsink" };
	int rc;

	snprintf(sinks, sizeof(sinks), "{\"testsink\": {\"fail\": \"%s\", "
		 "\"token\": \"s3cret\"}}", at);
	c = test_config(sinks);
	rc = sg_sink_write(c, r, &opts, &in, err);
	sg_config_free(c);
	sg_registry_free(r);
	return rc;
}

START_TEST(test_failures_are_sink_failures)
{
	struct sg_error err;

	ck_assert_int_eq(write_failing("write", &err), SG_ERR_SINK);
	ck_assert_str_eq(err.message, "testsink: failing at write as asked");
	ck_assert_int_eq(sg_error_exit_status(err.code), 4);
	ck_assert_int_eq(write_failing("finish", &err), SG_ERR_SINK);
	ck_assert_ptr_nonnull(strstr(err.message, "failing at finish"));
	ck_assert_ptr_null(strstr(err.message, "s3cret"));
}
END_TEST

START_TEST(test_config_errors_keep_their_code)
{
	struct sg_error err;
	struct sg_registry *r = test_registry();
	struct sg_config *c = test_config("{\"testsink\": {\"outt\": 1}}");
	struct sg_sink_input in = { .size = sizeof(in),
				    .report = &test_report };
	struct sg_sink_options opts = { .name = "testsink" };

	ck_assert_int_eq(write_failing("open", &err), SG_ERR_CONFIG);
	ck_assert_str_eq(err.message, "testsink: failing at open as asked");
	ck_assert_int_eq(sg_sink_write(c, r, &opts, &in, &err),
			 SG_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "$.sinks.testsink"));
	ck_assert_ptr_nonnull(strstr(err.path, "test.json"));
	opts.name = "nosuchsink";
	ck_assert_int_eq(sg_sink_write(c, r, &opts, &in, &err),
			 SG_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "nosuchsink"));
	sg_config_free(c);
	sg_registry_free(r);
}
END_TEST

struct problems {
	char text[512];
	int count;
};

static void collect(void *arg, const char *problem)
{
	struct problems *p = arg;

	strncat(p->text, problem, sizeof(p->text) - strlen(p->text) - 2);
	strcat(p->text, ";");
	p->count++;
}

START_TEST(test_verify)
{
	struct sg_registry *r = test_registry();
	struct sg_sink_options opts = { .name = "testsink" };
	struct problems p = { "", 0 };
	struct sg_error err;
	char path[4200];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/v.txt", tmpdir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("good\nBAD one\nfine\nBAD two\n", fp);
	fclose(fp);
	ck_assert_int_eq(sg_sink_verify(r, &opts, path, collect, &p, &err),
			 SG_OK);
	ck_assert_int_eq(p.count, 2);
	ck_assert_str_eq(p.text, "BAD one;BAD two;");
	snprintf(path, sizeof(path), "%s/missing.txt", tmpdir);
	ck_assert_int_eq(sg_sink_verify(r, &opts, path, collect, &p, &err),
			 SG_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.message, "testsink: cannot read"));
	sg_registry_free(r);
}
END_TEST

static Suite *sink_suite(void)
{
	Suite *s = suite_create("sink");
	TCase *tc = tcase_create("host");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_write_with_arg);
	tcase_add_test(tc, test_config_section_is_used);
	tcase_add_test(tc, test_failures_are_sink_failures);
	tcase_add_test(tc, test_config_errors_keep_their_code);
	tcase_add_test(tc, test_verify);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sg_test_run(sink_suite());
}
