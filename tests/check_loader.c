/*
 * check_loader.c - the plugin loader: a good module loads and describes
 * itself; a wrong ABI, a wrong name, a missing entry point and a file that
 * is no shared object are refused naming the file and the reason.
 */
#include <unistd.h>

#include "sg_loader.h"
#include "sg_test.h"

static const char *plugin_path(const char *name, char *buf, size_t size)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "tests/plugins/.libs/%s.so", name);
	return sg_test_build_path(rel, buf, size);
}

START_TEST(test_good_plugin_loads)
{
	struct sg_loaded_plugin loaded;
	struct sg_error err;
	char path[4096];

	sg_error_clear(&err);
	ck_assert_int_eq(sg_plugin_load_file(&loaded,
					     plugin_path("testsrc", path,
							 sizeof(path)),
					     &err), SG_OK);
	ck_assert_str_eq(loaded.plugin->name, "testsrc");
	ck_assert_uint_eq(loaded.plugin->kind, SG_PLUGIN_SOURCE);
	ck_assert_uint_eq(loaded.plugin->option_count, 5);
	ck_assert_str_eq(loaded.plugin->options[3].name, "token");
	ck_assert(loaded.plugin->options[3].flags & SG_OPT_SECRET);
	ck_assert_str_eq(loaded.path, path);
	free(loaded.path);
}
END_TEST

START_TEST(test_wrong_abi_refused)
{
	struct sg_loaded_plugin loaded;
	struct sg_error err;
	char path[4096], want[32];

	sg_error_clear(&err);
	ck_assert_int_eq(sg_plugin_load_file(&loaded,
					     plugin_path("badabi", path,
							 sizeof(path)),
					     &err), SG_ERR_PLUGIN);
	ck_assert_str_eq(err.path, path);
	ck_assert_ptr_nonnull(strstr(err.message, "plugin ABI version 100"));
	snprintf(want, sizeof(want), "needs %u", SG_PLUGIN_ABI_VERSION);
	ck_assert_ptr_nonnull(strstr(err.message, want));
}
END_TEST

START_TEST(test_wrong_name_refused)
{
	struct sg_loaded_plugin loaded;
	struct sg_error err;
	char path[4096];

	sg_error_clear(&err);
	ck_assert_int_eq(sg_plugin_load_file(&loaded,
					     plugin_path("badname", path,
							 sizeof(path)),
					     &err), SG_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "\"somethingelse\""));
	ck_assert_ptr_nonnull(strstr(err.message, "\"badname\""));
}
END_TEST

START_TEST(test_missing_entry_refused)
{
	struct sg_loaded_plugin loaded;
	struct sg_error err;
	char path[4096];

	sg_error_clear(&err);
	ck_assert_int_eq(sg_plugin_load_file(&loaded,
					     plugin_path("noentry", path,
							 sizeof(path)),
					     &err), SG_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "exports no "
					 "sg_plugin_entry"));
}
END_TEST

START_TEST(test_not_a_shared_object_refused)
{
	struct sg_loaded_plugin loaded;
	struct sg_error err;
	char dir[] = "/tmp/sg-loader-XXXXXX", path[4096];
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/garbage.so", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("this is not an ELF file\n", fp);
	fclose(fp);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_plugin_load_file(&loaded, path, &err),
			 SG_ERR_PLUGIN);
	ck_assert_str_eq(err.path, path);
	ck_assert_ptr_nonnull(strstr(err.message, "cannot load the plugin"));
	ck_assert_ptr_nonnull(strstr(err.message, "ldd"));
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_registry_lists_and_reports)
{
	struct sg_registry *r;
	struct sg_error err;
	char dir[4096];
	const struct sg_loaded_plugin *all;
	const char *const *problems;
	size_t count, problem_count, i;
	int found_testsrc = 0;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_registry_open(&r, sg_test_build_path(
						  "tests/plugins/.libs", dir,
						  sizeof(dir)), &err), SG_OK);
	all = sg_registry_list(r, &count);
	for (i = 0; i < count; i++)
		found_testsrc |= strcmp(all[i].plugin->name, "testsrc") == 0;
	ck_assert(found_testsrc);
	problems = sg_registry_problems(r, &problem_count);
	ck_assert_uint_eq(problem_count, 3);
	ck_assert_ptr_nonnull(strstr(problems[0], "badabi.so"));
	ck_assert_ptr_nonnull(strstr(problems[1], "badname.so"));
	ck_assert_ptr_nonnull(strstr(problems[2], "noentry.so"));
	ck_assert_ptr_nonnull(sg_registry_find(r, "testsrc", SG_PLUGIN_SOURCE,
					       &err));
	ck_assert_ptr_null(sg_registry_find(r, "testsrc", SG_PLUGIN_SINK,
					    &err));
	ck_assert_ptr_null(sg_registry_find(r, "nope", SG_PLUGIN_SOURCE,
					    &err));
	ck_assert_int_eq(err.code, SG_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "no source plugin named "
					 "\"nope\""));
	ck_assert_ptr_nonnull(strstr(err.message, "testsrc"));
	/* Asking for a broken module by name gives its load problem. */
	ck_assert_ptr_null(sg_registry_find(r, "badabi", SG_PLUGIN_SOURCE,
					    &err));
	ck_assert_ptr_nonnull(strstr(err.message, "ABI version"));
	sg_registry_free(r);
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, test_good_plugin_loads);
	tcase_add_test(tc, test_wrong_abi_refused);
	tcase_add_test(tc, test_wrong_name_refused);
	tcase_add_test(tc, test_missing_entry_refused);
	tcase_add_test(tc, test_not_a_shared_object_refused);
	tcase_add_test(tc, test_registry_lists_and_reports);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sg_test_run(loader_suite());
}
