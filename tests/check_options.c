/*
 * check_options.c - a plugin option table applied to a config section
 * (DESIGN §2, §10 rule 46): filling, defaults, refusals, help, redaction.
 *
 * Run one case with CK_RUN_CASE=fill (or refusals, help, redact).
 */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_options.h"

struct fake_config {
	char *dir;
	long long count;
	double ratio;
	int flag;
	char *token;
	char *mapping;
};

static const struct sg_option fake_options[] = {
	{ "dir", SG_OPT_STRING, SG_OPT_REQUIRED, NULL,
	  "The folder holding the canonical CSV files.",
	  offsetof(struct fake_config, dir) },
	{ "count", SG_OPT_INT, 0, "10",
	  "How many records to read per block; a long help text that has "
	  "to be wrapped over more than one line of the help output.",
	  offsetof(struct fake_config, count) },
	{ "ratio", SG_OPT_DOUBLE, 0, "0.5", "A fraction.",
	  offsetof(struct fake_config, ratio) },
	{ "flag", SG_OPT_BOOL, 0, "true", "Whether to do it.",
	  offsetof(struct fake_config, flag) },
	{ "token", SG_OPT_STRING, SG_OPT_SECRET, NULL,
	  "API token (prefer token_env).",
	  offsetof(struct fake_config, token) },
	{ "mapping", SG_OPT_JSON, 0, "{}", "File and column mapping.",
	  offsetof(struct fake_config, mapping) },
};

static const struct sg_plugin fake_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SOURCE,
	.name = "fake",
	.version = "1.0",
	.description = "A fake source for tests",
	.options = fake_options,
	.option_count = sizeof(fake_options) / sizeof(fake_options[0]),
	.config_size = sizeof(struct fake_config),
};

#define FAKE_KEYS "dir, count, ratio, flag, token, mapping"

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);

	ck_assert_msg(v != NULL, "test JSON: %s", jerr.text);
	return v;
}

/* Fills from text; returns the status and leaves the struct in *cfg. */
static int fill(struct fake_config *cfg, const char *text,
		struct sg_error *err)
{
	json_t *section = text != NULL ? parse(text) : NULL;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	sg_error_clear(err);
	rc = sg_options_fill(cfg, &fake_plugin, section, "$.sources.fake",
			     err);
	json_decref(section);
	return rc;
}

/* Asserts that text is refused with exactly message and nothing is left
 * allocated in the struct. */
static void refused(const char *text, const char *message)
{
	struct fake_config cfg;
	struct sg_error err;

	ck_assert_int_eq(fill(&cfg, text, &err), SG_ERR_CONFIG);
	ck_assert_int_eq(err.code, SG_ERR_CONFIG);
	ck_assert_str_eq(err.message, message);
	ck_assert_ptr_null(cfg.dir);
	ck_assert_ptr_null(cfg.token);
	ck_assert_ptr_null(cfg.mapping);
}

START_TEST(test_fill_all)
{
	struct fake_config cfg;
	struct sg_error err;

	ck_assert_int_eq(fill(&cfg, "{\"dir\": \"data/\", \"count\": 25,"
			      " \"ratio\": 0.25, \"flag\": false,"
			      " \"token\": \"s3cret\","
			      " \"mapping\": {\"b\": 1, \"a\": [1, 2]}}",
			      &err), SG_OK);
	ck_assert_str_eq(cfg.dir, "data/");
	ck_assert_int_eq(cfg.count, 25);
	ck_assert_double_eq(cfg.ratio, 0.25);
	ck_assert_int_eq(cfg.flag, 0);
	ck_assert_str_eq(cfg.token, "s3cret");
	ck_assert_str_eq(cfg.mapping, "{\"a\":[1,2],\"b\":1}");
	sg_options_release(&cfg, &fake_plugin);
	ck_assert_ptr_null(cfg.dir);
	ck_assert_ptr_null(cfg.token);
	ck_assert_ptr_null(cfg.mapping);
	/* Releasing twice, or nothing, is harmless. */
	sg_options_release(&cfg, &fake_plugin);
	sg_options_release(NULL, &fake_plugin);
}
END_TEST

START_TEST(test_fill_defaults)
{
	struct fake_config cfg;
	struct sg_error err;

	ck_assert_int_eq(fill(&cfg, "{\"dir\": \"in\"}", &err), SG_OK);
	ck_assert_str_eq(cfg.dir, "in");
	ck_assert_int_eq(cfg.count, 10);
	ck_assert_double_eq(cfg.ratio, 0.5);
	ck_assert_int_eq(cfg.flag, 1);
	ck_assert_ptr_null(cfg.token);
	ck_assert_str_eq(cfg.mapping, "{}");
	sg_options_release(&cfg, &fake_plugin);
}
END_TEST

START_TEST(test_fill_numbers)
{
	struct fake_config cfg;
	struct sg_error err;

	/* An integral real is an integer; an integer is a double. */
	ck_assert_int_eq(fill(&cfg, "{\"dir\": \"d\", \"count\": 3.0,"
			      " \"ratio\": 2, \"mapping\": \"x\"}", &err),
			 SG_OK);
	ck_assert_int_eq(cfg.count, 3);
	ck_assert_double_eq(cfg.ratio, 2.0);
	ck_assert_str_eq(cfg.mapping, "\"x\"");
	sg_options_release(&cfg, &fake_plugin);

	ck_assert_int_eq(fill(&cfg, "{\"dir\": \"d\", \"count\": -7,"
			      " \"mapping\": null}", &err), SG_OK);
	ck_assert_int_eq(cfg.count, -7);
	ck_assert_str_eq(cfg.mapping, "null");
	sg_options_release(&cfg, &fake_plugin);
}
END_TEST

START_TEST(test_refusals)
{
	refused("{\"dir\": \"d\", \"colour\": 1}",
		"$.sources.fake.colour: unknown option \"colour\" (valid "
		"options: " FAKE_KEYS ")");
	refused("{\"dir\": \"d\", \"a b\": 1}",
		"$.sources.fake[\"a b\"]: unknown option \"a b\" (valid "
		"options: " FAKE_KEYS ")");
	refused(NULL, "$.sources.fake: missing required option \"dir\"");
	refused("{}", "$.sources.fake: missing required option \"dir\"");
	refused("[]", "$.sources.fake: expected an object");
	refused("{\"dir\": 5}", "$.sources.fake.dir: expected a string");
	refused("{\"dir\": null}", "$.sources.fake.dir: expected a string");
	refused("{\"dir\": \"d\", \"count\": 1.5}",
		"$.sources.fake.count: expected an integer");
	refused("{\"dir\": \"d\", \"count\": \"3\"}",
		"$.sources.fake.count: expected an integer");
	refused("{\"dir\": \"d\", \"count\": 1e30}",
		"$.sources.fake.count: expected an integer");
	refused("{\"dir\": \"d\", \"ratio\": \"x\"}",
		"$.sources.fake.ratio: expected a number");
	refused("{\"dir\": \"d\", \"flag\": 1}",
		"$.sources.fake.flag: expected a boolean");
	/* A failure after a string was filled leaves nothing allocated. */
	refused("{\"dir\": \"d\", \"token\": \"t\", \"mapping\": {},"
		" \"flag\": \"yes\"}",
		"$.sources.fake.flag: expected a boolean");
}
END_TEST

struct bare_config {
	long long n;
};

START_TEST(test_plugin_refusals)
{
	static const struct sg_option bad_default[] = {
		{ "n", SG_OPT_INT, 0, "ten", "n",
		  offsetof(struct bare_config, n) },
	};
	static const struct sg_option bad_offset[] = {
		{ "n", SG_OPT_INT, 0, "1", "n", 64 },
	};
	struct sg_plugin p = fake_plugin;
	struct bare_config cfg;
	struct sg_error err;
	json_t *section = parse("{\"x\": 1}");

	p.name = "bare";
	p.config_size = sizeof(struct bare_config);
	p.options = bad_default;
	p.option_count = 1;
	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(sg_options_fill(&cfg, &p, NULL, "$.sinks.bare",
					 &err), SG_ERR_PLUGIN);
	ck_assert_str_eq(err.message, "plugin \"bare\": option \"n\": "
			 "default \"ten\" is not a valid int");

	p.options = bad_offset;
	ck_assert_int_eq(sg_options_fill(&cfg, &p, NULL, "$.sinks.bare",
					 &err), SG_ERR_PLUGIN);
	ck_assert_str_eq(err.message, "plugin \"bare\": option 0 does not "
			 "fit its config struct");

	p.options = NULL;
	p.option_count = 0;
	ck_assert_int_eq(sg_options_fill(&cfg, &p, NULL, "$.sinks.bare",
					 &err), SG_OK);
	ck_assert_int_eq(sg_options_fill(&cfg, &p, section, "$.sinks.bare",
					 &err), SG_ERR_CONFIG);
	ck_assert_str_eq(err.message, "$.sinks.bare.x: unknown option \"x\" "
			 "(this plugin takes no options)");
	json_decref(section);
}
END_TEST

START_TEST(test_redact)
{
	json_t *section = parse("{\"dir\": \"d\", \"token\": \"s3cret\"}");
	json_t *copy, *none;
	char *text;

	copy = sg_options_redact(&fake_plugin, section);
	ck_assert_ptr_nonnull(copy);
	ck_assert_ptr_ne(copy, section);
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_str_eq(text, "{\"dir\":\"d\",\"token\":\"<redacted>\"}");
	free(text);
	/* The original is untouched. */
	ck_assert_str_eq(json_string_value(json_object_get(section, "token")),
			 "s3cret");
	json_decref(copy);

	/* An absent secret is not added. */
	none = parse("{\"dir\": \"d\"}");
	copy = sg_options_redact(&fake_plugin, none);
	ck_assert_ptr_null(json_object_get(copy, "token"));
	json_decref(copy);
	json_decref(none);
	ck_assert_ptr_null(sg_options_redact(&fake_plugin, NULL));
	json_decref(section);
}
END_TEST

START_TEST(test_help)
{
	char *buf = NULL, *line, *save = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&buf, &size);
	struct sg_plugin none = fake_plugin;

	ck_assert_ptr_nonnull(fp);
	sg_options_print_help(fp, &fake_plugin);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(buf, "  dir "));
	ck_assert_ptr_nonnull(strstr(buf, "  count "));
	ck_assert_ptr_nonnull(strstr(buf, "  ratio "));
	ck_assert_ptr_nonnull(strstr(buf, "  flag "));
	ck_assert_ptr_nonnull(strstr(buf, "  token "));
	ck_assert_ptr_nonnull(strstr(buf, "  mapping "));
	ck_assert_ptr_nonnull(strstr(buf, "required"));
	ck_assert_ptr_nonnull(strstr(buf, "secret"));
	ck_assert_ptr_nonnull(strstr(buf, "default: 10"));
	ck_assert_ptr_nonnull(strstr(buf, "default: {}"));
	ck_assert_ptr_nonnull(strstr(buf, "string"));
	ck_assert_ptr_nonnull(strstr(buf, "double"));
	ck_assert_ptr_nonnull(strstr(buf, "The folder holding the canonical"));
	/* Every line fits 79 columns; the long help is wrapped. */
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(strlen(line) <= 79, "too long: %s", line);
		ck_assert_msg(line[strlen(line) - 1] != ' ', "trailing: %s",
			      line);
	}
	free(buf);

	buf = NULL;
	fp = open_memstream(&buf, &size);
	none.options = NULL;
	none.option_count = 0;
	sg_options_print_help(fp, &none);
	fclose(fp);
	ck_assert_str_eq(buf, "  (no options)\n");
	free(buf);
}
END_TEST

START_TEST(test_help_layout)
{
	static const struct sg_option opts[] = {
		{ "a", SG_OPT_STRING, SG_OPT_REQUIRED, NULL, "First.", 0 },
		{ "bb", SG_OPT_BOOL, 0, "false", "Second.",
		  sizeof(char *) },
	};
	struct sg_plugin p = fake_plugin;
	char *buf = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&buf, &size);

	p.options = opts;
	p.option_count = 2;
	p.config_size = sizeof(char *) + sizeof(int);
	sg_options_print_help(fp, &p);
	fclose(fp);
	ck_assert_str_eq(buf,
			 "  a     string  required        First.\n"
			 "  bb    bool    default: false  Second.\n");
	free(buf);
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc;

	tc = tcase_create("fill");
	tcase_add_test(tc, test_fill_all);
	tcase_add_test(tc, test_fill_defaults);
	tcase_add_test(tc, test_fill_numbers);
	suite_add_tcase(s, tc);

	tc = tcase_create("refusals");
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_plugin_refusals);
	suite_add_tcase(s, tc);

	tc = tcase_create("redact");
	tcase_add_test(tc, test_redact);
	suite_add_tcase(s, tc);

	tc = tcase_create("help");
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_help_layout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(options_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
