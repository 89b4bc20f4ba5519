/*
 * sg_test_table.h - table tests: every row checked inside one test (one
 * fork per table keeps sanitizer runs fast), each failing row printed on
 * stderr, then one failure quoting the first.
 */
#ifndef SG_TEST_TABLE_H
#define SG_TEST_TABLE_H

#include <check.h>
#include <stdarg.h>
#include <stdio.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static char row_first[512];

static int row_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), unused));

static int row_fail(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "row failed: %s\n", line);
	if (row_first[0] == '\0')
		snprintf(row_first, sizeof(row_first), "%s", line);
	return 1;
}

#define TABLE_DONE(fails, total) \
	ck_assert_msg((fails) == 0, "%d of %d rows failed; first: %s", \
		      (fails), (int)(total), row_first)

#endif
