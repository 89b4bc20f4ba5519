/*
 * sg_test.h - small helpers shared by the Check programs.
 */
#ifndef SG_TEST_H
#define SG_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A path under the build tree (top_builddir from the test environment,
 * else the current folder). */
static inline const char *sg_test_build_path(const char *rel, char *buf,
					     size_t size)
{
	const char *top = getenv("top_builddir");

	snprintf(buf, size, "%s/%s", top ? top : ".", rel);
	return buf;
}

/* A path under the source tree. */
static inline const char *sg_test_src_path(const char *rel, char *buf,
					   size_t size)
{
	const char *top = getenv("top_srcdir");

	snprintf(buf, size, "%s/%s", top ? top : SG_SOURCE_DIR, rel);
	return buf;
}

/* Runs suite with the usual runner; returns the process exit status.
 * CK_RUN_SUITE / CK_RUN_CASE select what runs (see Check's manual). */
static inline int sg_test_run(Suite *suite)
{
	SRunner *runner = srunner_create(suite);
	int failed;

	srunner_set_fork_status(runner, CK_FORK);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
