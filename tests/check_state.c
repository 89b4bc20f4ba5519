/*
 * check_state.c - the state a plugin keeps between runs, as a pull sees
 * it (core/sg_state.c): read from the ledger, the plugin's own changes
 * first, removals, the refusals, and the changes handed to the run.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_state.h"
#include "sg_test_ledger.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_state.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A ledger whose one run left hubspot's cursor and after keys. */
static struct sg_ledger *ledger_with_state(void)
{
	static const struct sg_plugin_state_entry kept[] = {
		{ "hubspot", "cursor", "c1" },
		{ "hubspot", "after", "a1" },
		{ "other", "cursor", "x" },
	};
	struct sg_run_record run;
	struct sg_run_outcome outcome;
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	char path[128];

	snprintf(path, sizeof(path), "%s/l.db", dir);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_open(&ledger, path, &err), SG_OK);
	memset(&run, 0, sizeof(run));
	run.as_of = 1795000000;
	run.started_at = run.finished_at = run.as_of;
	run.since = SG_TIME_NONE;
	run.snapshot_at = SG_TIME_NONE;
	run.source = "hubspot";
	run.config_sha256 = "0123456789abcdef0123456789abcdef"
			    "0123456789abcdef0123456789abcdef";
	run.tool_version = "0";
	run.state = kept;
	run.state_count = 3;
	ck_assert_int_eq(sg_test_record_run(ledger, &run, NULL, 0, &outcome,
					    &err), SG_OK);
	return ledger;
}

START_TEST(test_reads_the_last_run)
{
	struct sg_ledger *ledger = ledger_with_state();
	const struct sg_plugin_state_entry *changes;
	struct sg_state *st;
	struct sg_error err;
	size_t n;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_state_load(&st, ledger, "hubspot", &err), SG_OK);
	ck_assert_str_eq(sg_state_get(st, "cursor"), "c1");
	ck_assert_str_eq(sg_state_get(st, "after"), "a1");
	ck_assert_ptr_null(sg_state_get(st, "missing"));
	sg_state_changes(st, &changes, &n);
	ck_assert_uint_eq(n, 0);
	sg_state_free(st);
	sg_ledger_close(ledger);
}
END_TEST

/* The plugin's own changes win; a value got stays valid after a put
 * replaces it; the changes list has one entry per key, its last value. */
START_TEST(test_changes)
{
	struct sg_ledger *ledger = ledger_with_state();
	const struct sg_plugin_state_entry *changes;
	struct sg_state *st;
	struct sg_error err;
	const char *before;
	size_t n;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_state_load(&st, ledger, "hubspot", &err), SG_OK);
	ck_assert_int_eq(sg_state_put(st, "cursor", "c2", &err), SG_OK);
	before = sg_state_get(st, "cursor");
	ck_assert_int_eq(sg_state_put(st, "cursor", "c3", &err), SG_OK);
	ck_assert_str_eq(before, "c2");
	ck_assert_str_eq(sg_state_get(st, "cursor"), "c3");
	ck_assert_int_eq(sg_state_put(st, "after", NULL, &err), SG_OK);
	ck_assert_ptr_null(sg_state_get(st, "after"));
	sg_state_changes(st, &changes, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(changes[0].plugin, "hubspot");
	ck_assert_str_eq(changes[0].key, "cursor");
	ck_assert_str_eq(changes[0].value, "c3");
	ck_assert_str_eq(changes[1].key, "after");
	ck_assert_ptr_null(changes[1].value);
	sg_state_free(st);
	sg_ledger_close(ledger);
}
END_TEST

/* Without a ledger there is nothing to read; changes still count for
 * the pull. */
START_TEST(test_without_ledger)
{
	struct sg_state *st;
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_state_load(&st, NULL, "csv", &err), SG_OK);
	ck_assert_ptr_null(sg_state_get(st, "cursor"));
	ck_assert_int_eq(sg_state_put(st, "cursor", "1", &err), SG_OK);
	ck_assert_str_eq(sg_state_get(st, "cursor"), "1");
	sg_state_free(st);
	sg_state_free(NULL);
	ck_assert_ptr_null(sg_state_get(NULL, "cursor"));
}
END_TEST

START_TEST(test_refusals)
{
	struct sg_state *st;
	struct sg_error err;
	char *big;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_state_load(&st, NULL, "csv", &err), SG_OK);
	ck_assert_int_eq(sg_state_put(st, "", "v", &err), SG_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "csv: state key"));
	ck_assert_int_eq(sg_state_put(st, NULL, "v", &err), SG_ERR_PLUGIN);
	ck_assert_int_eq(sg_state_put(st, "k", "caf\xe9", &err),
			 SG_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "UTF-8"));
	big = malloc(SG_PLUGIN_STATE_VALUE_MAX + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', SG_PLUGIN_STATE_VALUE_MAX + 1);
	big[SG_PLUGIN_STATE_VALUE_MAX + 1] = '\0';
	ck_assert_int_eq(sg_state_put(st, "k", big, &err), SG_ERR_PLUGIN);
	big[SG_PLUGIN_STATE_VALUE_MAX] = '\0';
	ck_assert_int_eq(sg_state_put(st, "k", big, &err), SG_OK);
	memset(big, 'k', SG_PLUGIN_STATE_KEY_MAX + 1);
	big[SG_PLUGIN_STATE_KEY_MAX + 1] = '\0';
	ck_assert_int_eq(sg_state_put(st, big, "v", &err), SG_ERR_PLUGIN);
	free(big);
	ck_assert_ptr_null(sg_state_get(st, ""));
	sg_state_free(st);
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reads_the_last_run);
	tcase_add_test(tc, test_changes);
	tcase_add_test(tc, test_without_ledger);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(state_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
