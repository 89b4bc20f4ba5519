/*
 * check_time.c - ISO-8601 and strptime-style parsing, zones, formatting
 * (core/util/sg_time.c).
 *
 * Run one suite or case with CK_RUN_SUITE=time CK_RUN_CASE=iso_reject;
 * tests fork unless CK_FORK=no (for a debugger).
 * Zone cases read the system zone database (/usr/share/zoneinfo, tzdata);
 * when a zone is absent they print "SKIP" and pass.  Synthetic TZif files
 * are written to a mkdtemp directory and read through $TZDIR.
 */
#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sg_time.h"
#include "sg_test_table.h"

/* Parses iso (must succeed) and returns it as UTC text. */
static const char *iso_utc(sg_time t, char *buf)
{
	return sg_time_format_iso(t, buf);
}

/* A local civil time written "YYYY-MM-DDTHH:MM:SS", as seconds. */
static sg_time local_of(const char *text)
{
	struct sg_error err;
	sg_time t = 0;
	int rc;

	sg_error_clear(&err);
	rc = sg_time_parse_iso(&t, text, strlen(text), 1, 0, &err);
	ck_assert_msg(rc == SG_OK, "local %s: %s", text, err.message);
	return t;
}

/* ------------------------------------------------------------------ */
/* ISO-8601                                                             */

static const struct {
	const char *text;
	const char *utc;
} iso_ok[] = {
	{"2026-11-02T16:45:00Z", "2026-11-02T16:45:00Z"},
	{"2026-11-02T16:45:00z", "2026-11-02T16:45:00Z"},
	{"2026-11-02 16:45:00Z", "2026-11-02T16:45:00Z"},
	{"2026-11-02T16:45Z", "2026-11-02T16:45:00Z"},
	{"2026-11-02T16:45:00.999Z", "2026-11-02T16:45:00Z"},
	{"2026-11-02T16:45:59.999999999Z", "2026-11-02T16:45:59Z"},
	{"2026-11-02T16:45:00,5Z", "2026-11-02T16:45:00Z"},
	{"2026-11-02T16:45:00.123+02:00", "2026-11-02T14:45:00Z"},
	{"2026-11-02T16:45:00+0200", "2026-11-02T14:45:00Z"},
	{"2026-11-02T16:45+02:00", "2026-11-02T14:45:00Z"},
	{"2026-11-02T16:45:00-05:00", "2026-11-02T21:45:00Z"},
	{"2026-11-02T16:45:00-0530", "2026-11-02T22:15:00Z"},
	{"2026-11-02T16:45:00+05:45", "2026-11-02T11:00:00Z"},
	{"2026-11-02T16:45:00-00:00", "2026-11-02T16:45:00Z"},
	{"2026-11-02T00:30:00+01:00", "2026-11-01T23:30:00Z"},
	{"2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00Z"},
	{"2026-11-02", "2026-11-02T00:00:00Z"},
	{"  2026-11-02T16:45:00Z \t", "2026-11-02T16:45:00Z"},
	{"2024-02-29", "2024-02-29T00:00:00Z"},
	{"2000-02-29T12:00:00Z", "2000-02-29T12:00:00Z"},
	{"2026-02-28T23:59:59Z", "2026-02-28T23:59:59Z"},
	{"2026-04-30", "2026-04-30T00:00:00Z"},
	{"1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"},
	{"1900-01-01", "1900-01-01T00:00:00Z"},
	{"0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"},
	{"9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"},
};

START_TEST(test_iso_accept)
{
	struct sg_error err;
	char buf[SG_TIME_ISO_SIZE];
	size_t i;
	int fails = 0;

	for (i = 0; i < N_ELEMS(iso_ok); i++) {
		const char *text = iso_ok[i].text;
		sg_time t = 0;

		sg_error_clear(&err);
		if (sg_time_parse_iso(&t, text, strlen(text), 0, 0, &err) !=
		    SG_OK)
			fails += row_fail("%s: %s", text, err.message);
		else if (strcmp(iso_utc(t, buf), iso_ok[i].utc) != 0)
			fails += row_fail("%s: got %s, want %s", text, buf,
					  iso_ok[i].utc);
	}
	TABLE_DONE(fails, N_ELEMS(iso_ok));
}
END_TEST

static const struct {
	const char *text;
	sg_time seconds;
} iso_seconds[] = {
	{"1970-01-01T00:00:00Z", 0},
	{"1970-01-01", 0},
	{"1969-12-31T23:59:59Z", -1},
	{"1969-12-31", -86400},
	{"1900-01-01", -2208988800LL},
	{"0000-01-01T00:00:00Z", -62167219200LL},
	{"9999-12-31T23:59:59Z", 253402300799LL},
	{"2026-11-02T16:45:00Z", 1793637900LL},
	{"2038-01-19T03:14:08Z", 2147483648LL},
};

START_TEST(test_iso_seconds)
{
	struct sg_error err;
	size_t i;
	int fails = 0;

	for (i = 0; i < N_ELEMS(iso_seconds); i++) {
		const char *text = iso_seconds[i].text;
		sg_time t = 0;

		sg_error_clear(&err);
		if (sg_time_parse_iso(&t, text, strlen(text), 0, 0, &err) !=
		    SG_OK)
			fails += row_fail("%s: %s", text, err.message);
		else if (t != iso_seconds[i].seconds)
			fails += row_fail("%s: got %lld", text, (long long)t);
	}
	TABLE_DONE(fails, N_ELEMS(iso_seconds));
}
END_TEST

static const struct {
	const char *text;
	const char *why;
} iso_bad[] = {
	{"", "the text is empty"},
	{"   ", "the text is empty"},
	{"2026-13-01", "month 13 is out of range"},
	{"2026-00-10", "month 0 is out of range"},
	{"2026-02-29", "day 29 is out of range for 2026-02"},
	{"1900-02-29", "day 29 is out of range for 1900-02"},
	{"2026-04-31", "day 31 is out of range for 2026-04"},
	{"2026-11-00", "day 0 is out of range"},
	{"2026-11-32T00:00:00Z", "day 32 is out of range"},
	{"2026-11-02T24:00:00Z", "hour 24 is out of range"},
	{"2026-11-02T16:60:00Z", "minute 60 is out of range"},
	{"2026-11-02T16:45:60Z", "second 60 is out of range"},
	{"2026-11-02T16:45:00", "no time zone"},
	{"2026-11-02T16:45", "no time zone"},
	{"2026-11-02 16:45:00.5", "no time zone"},
	{"2026-11-02 16:45:00 Z", "unexpected \" Z\" after the time"},
	{"2026-11-02T16:45:00+02", "expected an offset like +02:00"},
	{"2026-11-02T16:45:00+2:00", "expected an offset like +02:00"},
	{"2026-11-02T16:45:00+02:0", "expected an offset like +02:00"},
	{"2026-11-02T16:45:00+24:00", "the offset is out of range"},
	{"2026-11-02T16:45:00+02:60", "the offset is out of range"},
	{"2026-11-02T16:45:00Zjunk", "unexpected \"junk\" after the time "
				     "zone"},
	{"2026-11-02T16:45:00Z x", "unexpected \" x\" after the time zone"},
	{"2026-11-02T16:45:00+02:00:00", "after the time zone"},
	{"2026-11-02X16:45:00Z", "expected 'T' or a space after the date"},
	{"2026-11-02t16:45:00Z", "expected 'T' or a space after the date"},
	{"2026-11-02Z", "expected 'T' or a space after the date"},
	{"2026-11-02T", "expected a 2-digit hour"},
	{"2026-11-02T1:45:00Z", "expected a 2-digit hour"},
	{"2026-11-02T16:5:00Z", "expected 2-digit minutes"},
	{"2026-11-02T16:45:0Z", "expected 2-digit seconds"},
	{"2026-11-02T1645Z", "expected ':' after the hour"},
	{"2026-11-02T16:45:00.Z", "expected digits after the decimal point"},
	{"26-11-02", "4-digit year"},
	{"abc", "4-digit year"},
	{"02/11/2026", "4-digit year"},
	{"+2026-11-02", "4-digit year"},
	{"2026/11/02", "expected '-' after the year"},
	{"20261102T164500Z", "expected '-' after the year"},
	{"2026-1-02", "expected a 2-digit month"},
	{"2026-11-2", "expected a 2-digit day"},
	{"2026-11", "expected '-' after the month"},
	{"2026-11-02 garbage", "expected a 2-digit hour"},
};

START_TEST(test_iso_reject)
{
	struct sg_error err;
	size_t i;
	int fails = 0;

	for (i = 0; i < N_ELEMS(iso_bad); i++) {
		const char *text = iso_bad[i].text;
		sg_time t = 42;
		int rc;

		sg_error_clear(&err);
		rc = sg_time_parse_iso(&t, text, strlen(text), 0, 0, &err);
		if (rc != SG_ERR_PARSE || err.code != SG_ERR_PARSE)
			fails += row_fail("%s: rc %d", text, rc);
		else if (t != 42)
			fails += row_fail("%s: *out changed", text);
		else if (strstr(err.message, iso_bad[i].why) == NULL)
			fails += row_fail("%s: message \"%s\" lacks \"%s\"",
					  text, err.message, iso_bad[i].why);
		else if (strstr(err.message, "expected ISO-8601 like "
				"2026-11-02T16:45:00Z") == NULL)
			fails += row_fail("%s: %s", text, err.message);
	}
	TABLE_DONE(fails, N_ELEMS(iso_bad));
}
END_TEST

START_TEST(test_iso_message)
{
	struct sg_error err;
	char long_text[300];
	sg_time t;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_time_parse_iso(&t, "2026-13-01", 10, 0, 0, &err),
			 SG_ERR_PARSE);
	ck_assert_str_eq(err.message,
			 "cannot read \"2026-13-01\" as a time: month 13 is "
			 "out of range (expected ISO-8601 like "
			 "2026-11-02T16:45:00Z)");

	/* Long texts are quoted in part; control bytes are escaped. */
	memset(long_text, 'x', sizeof(long_text));
	ck_assert_int_eq(sg_time_parse_iso(&t, long_text, sizeof(long_text),
					   0, 0, &err), SG_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "xxx...\""));
	ck_assert_ptr_null(strstr(err.message,
				  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
	ck_assert_int_eq(sg_time_parse_iso(&t, "20\"26\n", 6, 0, 0, &err),
			 SG_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "\"20\\\"26\\x0a\""));

	/* NULL text is empty, not a crash. */
	ck_assert_int_eq(sg_time_parse_iso(&t, NULL, 5, 0, 0, &err),
			 SG_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "empty"));
	/* err may be NULL. */
	ck_assert_int_eq(sg_time_parse_iso(&t, "x", 1, 0, 0, NULL),
			 SG_ERR_PARSE);
}
END_TEST

START_TEST(test_iso_not_terminated)
{
	const char text[] = "2026-11-02T16:45:00Zgarbage";
	struct sg_error err;
	char buf[SG_TIME_ISO_SIZE];
	sg_time t = 0;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_time_parse_iso(&t, text, 20, 0, 0, &err), SG_OK);
	ck_assert_str_eq(iso_utc(t, buf), "2026-11-02T16:45:00Z");
	ck_assert_int_eq(sg_time_parse_iso(&t, text, 10, 0, 0, &err), SG_OK);
	ck_assert_str_eq(iso_utc(t, buf), "2026-11-02T00:00:00Z");
	ck_assert_int_eq(sg_time_parse_iso(&t, text, 21, 0, 0, &err),
			 SG_ERR_PARSE);
}
END_TEST

START_TEST(test_iso_default_offset)
{
	struct sg_error err;
	char buf[SG_TIME_ISO_SIZE];
	sg_time t = 0;

	sg_error_clear(&err);
	/* A zone-less date-time takes the stated offset. */
	ck_assert_int_eq(sg_time_parse_iso(&t, "2026-11-02T16:45:00", 19, 1,
					   3600, &err), SG_OK);
	ck_assert_str_eq(iso_utc(t, buf), "2026-11-02T15:45:00Z");
	ck_assert_int_eq(sg_time_parse_iso(&t, "2026-11-02 16:45", 16, 1,
					   -18000, &err), SG_OK);
	ck_assert_str_eq(iso_utc(t, buf), "2026-11-02T21:45:00Z");
	/* An explicit zone wins over the default. */
	ck_assert_int_eq(sg_time_parse_iso(&t, "2026-11-02T16:45:00Z", 20, 1,
					   3600, &err), SG_OK);
	ck_assert_str_eq(iso_utc(t, buf), "2026-11-02T16:45:00Z");
	/* A bare date stays midnight UTC. */
	ck_assert_int_eq(sg_time_parse_iso(&t, "2026-11-02", 10, 1, 3600,
					   &err), SG_OK);
	ck_assert_str_eq(iso_utc(t, buf), "2026-11-02T00:00:00Z");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Calendar and output                                                  */

START_TEST(test_days_from_civil)
{
	int64_t y;
	unsigned m, d;
	int64_t expect = sg_days_from_civil(1600, 1, 1);

	ck_assert_int_eq(sg_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(sg_days_from_civil(1969, 12, 31), -1);
	ck_assert_int_eq(sg_days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(sg_days_from_civil(0, 1, 1), -719528);
	ck_assert_int_eq(sg_days_from_civil(-1, 12, 31), -719529);
	/* Every day from 1600 to 2400 follows the previous one. */
	for (y = 1600; y < 2400; y++) {
		for (m = 1; m <= 12; m++) {
			static const unsigned mdays[12] = {
				31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
			};
			unsigned n = mdays[m - 1];

			if (m == 2 && ((y % 4 == 0 && y % 100 != 0) ||
				       y % 400 == 0))
				n = 29;
			for (d = 1; d <= n; d++) {
				/* A plain test: ck_assert in a loop this
				 * long costs a checkpoint write each. */
				if (sg_days_from_civil(y, m, d) != expect)
					ck_abort_msg("%lld-%u-%u",
						     (long long)y, m, d);
				expect++;
			}
		}
	}
}
END_TEST

START_TEST(test_time_day)
{
	ck_assert_int_eq(sg_time_day(0), 0);
	ck_assert_int_eq(sg_time_day(86399), 0);
	ck_assert_int_eq(sg_time_day(86400), 1);
	ck_assert_int_eq(sg_time_day(-1), -1);
	ck_assert_int_eq(sg_time_day(-86400), -1);
	ck_assert_int_eq(sg_time_day(-86401), -2);
	ck_assert_int_eq(sg_time_day(1793637900LL), 20759);
	/* No overflow at the extremes. */
	ck_assert(sg_time_day(SG_TIME_NONE) < 0);
	ck_assert(sg_time_day(INT64_MAX) > 0);
}
END_TEST

START_TEST(test_format_output)
{
	char buf[SG_TIME_ISO_SIZE];
	char date[11];

	ck_assert_str_eq(sg_time_format_iso(0, buf), "1970-01-01T00:00:00Z");
	ck_assert_str_eq(sg_time_format_iso(-1, buf), "1969-12-31T23:59:59Z");
	ck_assert_str_eq(sg_time_format_iso(951782400LL, buf),
			 "2000-02-29T00:00:00Z");
	ck_assert_str_eq(sg_time_format_iso(1793637900LL, buf),
			 "2026-11-02T16:45:00Z");
	ck_assert_str_eq(sg_time_format_date(1793637900LL, date),
			 "2026-11-02");
	ck_assert_str_eq(sg_time_format_date(-1, date), "1969-12-31");
	ck_assert_str_eq(sg_time_format_date(-86400, date), "1969-12-31");
	ck_assert_str_eq(sg_time_format_date(-86401, date), "1969-12-30");
	/* Out of the 4-digit range: clamped, never overflowing buf. */
	ck_assert_str_eq(sg_time_format_iso(INT64_MAX, buf),
			 "9999-12-31T23:59:59Z");
	ck_assert_str_eq(sg_time_format_iso(SG_TIME_NONE, buf),
			 "0000-01-01T00:00:00Z");
}
END_TEST

START_TEST(test_round_trip)
{
	struct sg_error err;
	char buf[SG_TIME_ISO_SIZE];
	sg_time t, back;

	sg_error_clear(&err);
	/* Every 7 hours 13 minutes over 1960-2040 formats and re-parses. */
	for (t = -315619200LL; t < 2208988800LL; t += 7 * 3600 + 13 * 60) {
		sg_time_format_iso(t, buf);
		if (sg_time_parse_iso(&back, buf, strlen(buf), 0, 0, &err) !=
		    SG_OK || back != t)
			ck_abort_msg("%lld: %s read back as %lld (%s)",
				     (long long)t, buf, (long long)back,
				     err.message);
	}
}
END_TEST

/* In any order, a day again, one of a few hundred, one that shares its
 * slot of the formatter's dates (1,024 days apart) or any other: what
 * gmtime_r() and strftime() say. */
START_TEST(test_format_matches_gmtime)
{
	char buf[SG_TIME_ISO_SIZE], want[64];
	unsigned long long x = 7;
	time_t tt;
	struct tm tm;
	sg_time t = 0;
	int i;

	for (i = 0; i < 200000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		if ((x >> 62) == 0)     /* the same day, another second */
			t = sg_time_day(t) * 86400 + (sg_time)((x >> 20) %
							      86400);
		else if ((x >> 62) == 1)        /* its slot, another day */
			t += ((x >> 30) & 1 ? 1024 : -1024) * 86400LL;
		else if ((x >> 62) == 2)        /* within 300 days */
			t = 1700000000LL + (sg_time)((x >> 20) %
						     (300 * 86400));
		else
			t = (sg_time)((x >> 16) % 6000000000ULL) -
			    2000000000LL;
		tt = (time_t)t;
		ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (strcmp(sg_time_format_iso(t, buf), want) != 0)
			ck_abort_msg("%lld: %s, not %s", (long long)t, buf,
				     want);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Zones                                                                */

/* Opens a system zone, or returns NULL after printing a SKIP line. */
static struct sg_zone *system_zone(const char *name)
{
	struct sg_zone *z = NULL;
	struct sg_error err;

	sg_error_clear(&err);
	if (sg_zone_open(&z, name, &err) != SG_OK) {
		fprintf(stderr, "SKIP: zone %s not available (%s); install "
			"tzdata\n", name, err.message);
		return NULL;
	}
	return z;
}

static const struct {
	const char *zone;
	const char *local;
	const char *utc;
} zone_cases[] = {
	/* London: gap 2026-03-29 01:00-02:00, overlap 2026-10-25 01:00 */
	{"Europe/London", "2026-01-15T12:00:00", "2026-01-15T12:00:00Z"},
	{"Europe/London", "2026-07-01T12:00:00", "2026-07-01T11:00:00Z"},
	{"Europe/London", "2026-03-29T00:59:59", "2026-03-29T00:59:59Z"},
	{"Europe/London", "2026-03-29T01:00:00", "2026-03-29T01:00:00Z"},
	{"Europe/London", "2026-03-29T01:30:00", "2026-03-29T01:30:00Z"},
	{"Europe/London", "2026-03-29T01:59:59", "2026-03-29T01:59:59Z"},
	{"Europe/London", "2026-03-29T02:00:00", "2026-03-29T01:00:00Z"},
	{"Europe/London", "2026-10-25T00:59:59", "2026-10-24T23:59:59Z"},
	{"Europe/London", "2026-10-25T01:00:00", "2026-10-25T00:00:00Z"},
	{"Europe/London", "2026-10-25T01:30:00", "2026-10-25T00:30:00Z"},
	{"Europe/London", "2026-10-25T01:59:59", "2026-10-25T00:59:59Z"},
	{"Europe/London", "2026-10-25T02:00:00", "2026-10-25T02:00:00Z"},
	/* British Standard Time: +1 all year 1968-1971 */
	{"Europe/London", "1970-06-01T12:00:00", "1970-06-01T11:00:00Z"},
	{"Europe/London", "1969-12-31T23:00:00", "1969-12-31T22:00:00Z"},
	/* After the table (TZif footer rule, or the fat table's tail) */
	{"Europe/London", "2050-03-27T01:30:00", "2050-03-27T01:30:00Z"},
	{"Europe/London", "2050-06-01T12:00:00", "2050-06-01T11:00:00Z"},
	{"Europe/London", "2050-10-30T01:30:00", "2050-10-30T00:30:00Z"},
	/* New York: gap 2026-03-08 02:00-03:00, overlap 2026-11-01 01:00 */
	{"America/New_York", "2026-01-15T12:00:00", "2026-01-15T17:00:00Z"},
	{"America/New_York", "2026-07-01T12:00:00", "2026-07-01T16:00:00Z"},
	{"America/New_York", "2026-03-08T01:59:59", "2026-03-08T06:59:59Z"},
	{"America/New_York", "2026-03-08T02:00:00", "2026-03-08T07:00:00Z"},
	{"America/New_York", "2026-03-08T02:30:00", "2026-03-08T07:30:00Z"},
	{"America/New_York", "2026-03-08T03:00:00", "2026-03-08T07:00:00Z"},
	{"America/New_York", "2026-11-01T00:59:59", "2026-11-01T04:59:59Z"},
	{"America/New_York", "2026-11-01T01:00:00", "2026-11-01T05:00:00Z"},
	{"America/New_York", "2026-11-01T01:30:00", "2026-11-01T05:30:00Z"},
	{"America/New_York", "2026-11-01T02:00:00", "2026-11-01T07:00:00Z"},
	{"America/New_York", "1960-07-01T12:00:00", "1960-07-01T16:00:00Z"},
	{"America/New_York", "1800-01-01T00:00:00", "1800-01-01T04:56:02Z"},
	{"America/New_York", "2050-03-13T02:30:00", "2050-03-13T07:30:00Z"},
	{"America/New_York", "2050-07-01T12:00:00", "2050-07-01T16:00:00Z"},
	{"America/New_York", "2050-11-06T01:30:00", "2050-11-06T05:30:00Z"},
	/* Southern hemisphere: the overlap in April, the gap in October */
	{"Australia/Sydney", "2026-04-05T02:30:00", "2026-04-04T15:30:00Z"},
	{"Australia/Sydney", "2026-10-04T02:30:00", "2026-10-03T16:30:00Z"},
	{"Australia/Sydney", "2050-04-03T02:30:00", "2050-04-02T15:30:00Z"},
	{"Australia/Sydney", "2050-10-02T02:30:00", "2050-10-01T16:30:00Z"},
	/* Fixed offsets and UTC */
	{"UTC", "2026-03-29T01:30:00", "2026-03-29T01:30:00Z"},
	{"Z", "2026-03-29T01:30:00", "2026-03-29T01:30:00Z"},
	{"gmt", "2026-03-29T01:30:00", "2026-03-29T01:30:00Z"},
	{"+02:00", "2026-03-29T01:30:00", "2026-03-28T23:30:00Z"},
	{"-0500", "2026-03-29T01:30:00", "2026-03-29T06:30:00Z"},
	{"+05:30", "2026-03-29T01:30:00", "2026-03-28T20:00:00Z"},
	{"-03", "2026-03-29T01:30:00", "2026-03-29T04:30:00Z"},
	{"Etc/UTC", "2026-03-29T01:30:00", "2026-03-29T01:30:00Z"},
};

START_TEST(test_zone_convert)
{
	char buf[SG_TIME_ISO_SIZE];
	size_t i;
	int fails = 0;

	for (i = 0; i < N_ELEMS(zone_cases); i++) {
		struct sg_zone *z = system_zone(zone_cases[i].zone);

		if (z == NULL)
			continue;
		iso_utc(sg_zone_to_utc(z, local_of(zone_cases[i].local)),
			buf);
		if (strcmp(buf, zone_cases[i].utc) != 0)
			fails += row_fail("%s %s: got %s, want %s",
					  zone_cases[i].zone,
					  zone_cases[i].local, buf,
					  zone_cases[i].utc);
		sg_zone_free(z);
	}
	TABLE_DONE(fails, N_ELEMS(zone_cases));
}
END_TEST

static const struct {
	const char *name;
	const char *why;
} zone_bad[] = {
	{"", "not a valid zone name"},
	{"../etc/passwd", "not a valid zone name"},
	{"/etc/passwd", "not a valid zone name"},
	{"Europe/../Europe/London", "not a valid zone name"},
	{"Europe/London\n", "not a valid zone name"},
	{"Europe/Lon don", "not a valid zone name"},
	{"Nowhere/City", "unknown time zone \"Nowhere/City\""},
	{"+25:00", "not a valid offset"},
	{"+2:00", "not a valid offset"},
	{"+02:0", "not a valid offset"},
	{"+02:00x", "not a valid offset"},
	{"+02:60", "not a valid offset"},
	{"-", "not a valid offset"},
	{"UTC+2", "unknown time zone"},
};

START_TEST(test_zone_reject)
{
	struct sg_error err;
	size_t i;
	int fails = 0;

	for (i = 0; i < N_ELEMS(zone_bad); i++) {
		struct sg_zone *z = (struct sg_zone *)1;
		int rc;

		sg_error_clear(&err);
		rc = sg_zone_open(&z, zone_bad[i].name, &err);
		if (rc != SG_ERR_CONFIG || z != NULL)
			fails += row_fail("%s: rc %d", zone_bad[i].name, rc);
		else if (strstr(err.message, zone_bad[i].why) == NULL)
			fails += row_fail("%s: %s", zone_bad[i].name,
					  err.message);
		if (rc == SG_OK)
			sg_zone_free(z);
	}
	TABLE_DONE(fails, N_ELEMS(zone_bad));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Synthetic TZif files under a private $TZDIR                          */

static char tz_dir[64];

static void tz_setup(void)
{
	strcpy(tz_dir, "/tmp/check_time_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tz_dir));
	ck_assert_int_eq(setenv("TZDIR", tz_dir, 1), 0);
}

static void tz_teardown(void)
{
	char cmd[128];

	/* The directory holds only files this test wrote. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tz_dir);
	unsetenv("TZDIR");
}

struct tzif_spec {
	int version;              /* 1 or 2 */
	size_t ntrans;
	const int64_t *trans;
	const unsigned char *idx;
	size_t ntypes;
	const int32_t *offs;
	uint32_t leapcnt;
	const char *footer;       /* v2 only; NULL writes none */
};

static void put32(FILE *f, uint32_t v)
{
	unsigned char b[4] = {
		(unsigned char)(v >> 24), (unsigned char)(v >> 16),
		(unsigned char)(v >> 8), (unsigned char)v
	};

	ck_assert_int_eq(fwrite(b, 1, 4, f), 4);
}

static void put64(FILE *f, int64_t v)
{
	put32(f, (uint32_t)((uint64_t)v >> 32));
	put32(f, (uint32_t)v);
}

static void tzif_header(FILE *f, int version, uint32_t leapcnt,
			uint32_t timecnt, uint32_t typecnt, uint32_t charcnt)
{
	char pad[15] = {0};

	fputs("TZif", f);
	fputc(version == 1 ? 0 : '0' + version, f);
	ck_assert_int_eq(fwrite(pad, 1, 15, f), 15);
	put32(f, 0);
	put32(f, 0);
	put32(f, leapcnt);
	put32(f, timecnt);
	put32(f, typecnt);
	put32(f, charcnt);
}

static void tzif_block(FILE *f, const struct tzif_spec *s, int wide)
{
	size_t i;

	for (i = 0; i < s->ntrans; i++) {
		if (wide)
			put64(f, s->trans[i]);
		else
			put32(f, (uint32_t)(int32_t)s->trans[i]);
	}
	for (i = 0; i < s->ntrans; i++)
		fputc(s->idx[i], f);
	for (i = 0; i < s->ntypes; i++) {
		put32(f, (uint32_t)s->offs[i]);
		fputc(0, f);
		fputc(0, f);
	}
	fputs("XXX", f);
	fputc(0, f);
	for (i = 0; i < s->leapcnt; i++) {
		if (wide)
			put64(f, 78796800);
		else
			put32(f, 78796800);
		put32(f, 1);
	}
}

static void tzif_write(const char *name, const struct tzif_spec *s)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tz_dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	if (s->version == 1) {
		tzif_header(f, 1, s->leapcnt, (uint32_t)s->ntrans,
			    (uint32_t)s->ntypes, 4);
		tzif_block(f, s, 0);
	} else {
		/* A slim file: an empty version 1 block. */
		tzif_header(f, s->version, 0, 0, 0, 0);
		tzif_header(f, s->version, s->leapcnt, (uint32_t)s->ntrans,
			    (uint32_t)s->ntypes, 4);
		tzif_block(f, s, 1);
		if (s->footer != NULL)
			fprintf(f, "\n%s\n", s->footer);
	}
	ck_assert_int_eq(fclose(f), 0);
}

static void write_raw(const char *name, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tz_dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Writes a rule-only zone (no transitions, one type) named name. */
static struct sg_zone *rule_zone(const char *name, int32_t std_off,
				 const char *footer)
{
	struct tzif_spec s = {2, 0, NULL, NULL, 1, &std_off, 0, footer};
	struct sg_zone *z = NULL;
	struct sg_error err;

	sg_error_clear(&err);
	tzif_write(name, &s);
	ck_assert_msg(sg_zone_open(&z, name, &err) == SG_OK, "%s: %s", name,
		      err.message);
	return z;
}

static void expect_local(const struct sg_zone *z, const char *local,
			 const char *utc)
{
	char buf[SG_TIME_ISO_SIZE];

	iso_utc(sg_zone_to_utc(z, local_of(local)), buf);
	ck_assert_msg(strcmp(buf, utc) == 0, "%s: got %s, want %s", local,
		      buf, utc);
}

START_TEST(test_rule_us)
{
	struct sg_zone *z = rule_zone("US", -18000, "EST5EDT,M3.2.0,M11.1.0");

	expect_local(z, "2026-01-15T12:00:00", "2026-01-15T17:00:00Z");
	expect_local(z, "2026-07-01T12:00:00", "2026-07-01T16:00:00Z");
	expect_local(z, "2026-03-08T01:59:59", "2026-03-08T06:59:59Z");
	expect_local(z, "2026-03-08T02:30:00", "2026-03-08T07:30:00Z");
	expect_local(z, "2026-03-08T03:00:00", "2026-03-08T07:00:00Z");
	expect_local(z, "2026-11-01T00:59:59", "2026-11-01T04:59:59Z");
	expect_local(z, "2026-11-01T01:30:00", "2026-11-01T05:30:00Z");
	expect_local(z, "2026-11-01T02:00:00", "2026-11-01T07:00:00Z");
	expect_local(z, "2050-03-13T02:30:00", "2050-03-13T07:30:00Z");
	expect_local(z, "2050-11-06T01:30:00", "2050-11-06T05:30:00Z");
	expect_local(z, "1969-07-01T12:00:00", "1969-07-01T16:00:00Z");
	sg_zone_free(z);
}
END_TEST

START_TEST(test_rule_forms)
{
	struct sg_zone *z;

	/* Jn never counts February 29: J60 is March 1 every year. */
	z = rule_zone("J1", 0, "AAA0BBB,J60/2,J300/2");
	expect_local(z, "2024-03-01T01:59:00", "2024-03-01T01:59:00Z");
	expect_local(z, "2024-03-01T03:00:00", "2024-03-01T02:00:00Z");
	expect_local(z, "2024-02-29T12:00:00", "2024-02-29T12:00:00Z");
	sg_zone_free(z);
	/* n counts from 0 and counts February 29: 59 is Feb 29 in 2024. */
	z = rule_zone("J0", 0, "AAA0BBB,59/2,300/2");
	expect_local(z, "2024-02-29T03:00:00", "2024-02-29T02:00:00Z");
	expect_local(z, "2023-03-01T03:00:00", "2023-03-01T02:00:00Z");
	expect_local(z, "2023-02-28T03:00:00", "2023-02-28T03:00:00Z");
	sg_zone_free(z);
	/* Quoted names, fractional offsets, no DST. */
	z = rule_zone("Fixed", 12600, "<+0330>-3:30");
	expect_local(z, "2026-06-01T12:00:00", "2026-06-01T08:30:00Z");
	expect_local(z, "1950-06-01T12:00:00", "1950-06-01T08:30:00Z");
	sg_zone_free(z);
	/* Southern hemisphere with an explicit DST offset and times. */
	z = rule_zone("Syd", 36000, "AEST-10AEDT-11,M10.1.0,M4.1.0/3");
	expect_local(z, "2026-04-05T02:30:00", "2026-04-04T15:30:00Z");
	expect_local(z, "2026-10-04T02:30:00", "2026-10-03T16:30:00Z");
	expect_local(z, "2026-01-15T12:00:00", "2026-01-15T01:00:00Z");
	expect_local(z, "2026-07-15T12:00:00", "2026-07-15T02:00:00Z");
	sg_zone_free(z);
	/* A transition time past 24 h (RFC 8536 extension). */
	z = rule_zone("Late", 0, "AAA0BBB,M3.5.0/25,M10.5.0/25");
	expect_local(z, "2026-03-30T00:30:00", "2026-03-30T00:30:00Z");
	expect_local(z, "2026-03-30T02:00:00", "2026-03-30T01:00:00Z");
	sg_zone_free(z);
}
END_TEST

/* The footer rules agree with the system's full tables, hour by hour. */
static void cross_check(const char *sys, const char *footer,
			int32_t std_off, int from_year, int to_year)
{
	struct sg_zone *a, *b;
	sg_time l, end;

	/* The system zone from the system directory, not $TZDIR. */
	unsetenv("TZDIR");
	a = system_zone(sys);
	ck_assert_int_eq(setenv("TZDIR", tz_dir, 1), 0);
	if (a == NULL)
		return;
	b = rule_zone("Cross", std_off, footer);
	l = sg_days_from_civil(from_year, 1, 1) * 86400;
	end = sg_days_from_civil(to_year, 1, 1) * 86400;
	for (; l < end; l += 1800) {
		sg_time ua = sg_zone_to_utc(a, l), ub = sg_zone_to_utc(b, l);

		if (ua != ub)
			ck_abort_msg("%s at local %lld: table %lld, rule "
				     "%lld", sys, (long long)l, (long long)ua,
				     (long long)ub);
	}
	sg_zone_free(a);
	sg_zone_free(b);
}

START_TEST(test_rule_cross_check)
{
	cross_check("America/New_York", "EST5EDT,M3.2.0,M11.1.0", -18000,
		    2008, 2037);
	cross_check("Europe/London", "GMT0BST,M3.5.0/1,M10.5.0", 0, 1997,
		    2037);
	cross_check("Australia/Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3",
		    36000, 2009, 2037);
}
END_TEST

START_TEST(test_tzif_v1)
{
	static const int64_t trans[] = {1000000000, 1100000000};
	static const unsigned char idx[] = {1, 0};
	static const int32_t offs[] = {0, 3600};
	struct tzif_spec s = {1, 2, trans, idx, 2, offs, 0, NULL};
	struct sg_zone *z = NULL;
	struct sg_error err;

	sg_error_clear(&err);
	tzif_write("V1", &s);
	ck_assert_msg(sg_zone_open(&z, "V1", &err) == SG_OK, "%s",
		      err.message);
	ck_assert_int_eq(sg_zone_to_utc(z, 5), 5);
	ck_assert_int_eq(sg_zone_to_utc(z, -5), -5);
	ck_assert_int_eq(sg_zone_to_utc(z, 1000000000 - 1), 999999999);
	/* the gap [1e9, 1e9 + 1 h) of local time: forward */
	ck_assert_int_eq(sg_zone_to_utc(z, 1000001800), 1000001800);
	ck_assert_int_eq(sg_zone_to_utc(z, 1000003600), 1000000000);
	ck_assert_int_eq(sg_zone_to_utc(z, 1050000000), 1049996400);
	/* the overlap before 1.1e9: the earlier instant */
	ck_assert_int_eq(sg_zone_to_utc(z, 1100001800), 1099998200);
	ck_assert_int_eq(sg_zone_to_utc(z, 1100003600), 1100003600);
	ck_assert_int_eq(sg_zone_to_utc(z, 2000000000), 2000000000);
	sg_zone_free(z);
}
END_TEST

START_TEST(test_tzif_table_then_rule)
{
	/* EST from 1970; the footer governs after the one transition. */
	static const int64_t trans[] = {0};
	static const unsigned char idx[] = {1};
	static const int32_t offs[] = {-17762, -18000};
	struct tzif_spec s = {3, 1, trans, idx, 2, offs, 0,
			      "EST5EDT,M3.2.0,M11.1.0"};
	struct sg_zone *z = NULL;
	struct sg_error err;

	sg_error_clear(&err);
	tzif_write("Mixed", &s);
	ck_assert_msg(sg_zone_open(&z, "Mixed", &err) == SG_OK, "%s",
		      err.message);
	expect_local(z, "1960-01-01T00:00:00", "1960-01-01T04:56:02Z");
	expect_local(z, "2030-07-01T12:00:00", "2030-07-01T16:00:00Z");
	expect_local(z, "2030-12-01T12:00:00", "2030-12-01T17:00:00Z");
	sg_zone_free(z);
}
END_TEST

START_TEST(test_tzif_bad)
{
	static const int64_t two[] = {2000, 1000};
	static const unsigned char idx_ok[] = {0, 0};
	static const unsigned char idx_bad[] = {0, 7};
	static const int64_t asc[] = {1000, 2000};
	static const int32_t offs[] = {0};
	static const int32_t huge[] = {30 * 3600};
	const struct {
		const char *name;
		struct tzif_spec spec;
		const char *why;
	} cases[] = {
		{"Leap", {2, 0, NULL, NULL, 1, offs, 1, NULL},
		 "leap seconds"},
		{"Order", {2, 2, two, idx_ok, 1, offs, 0, NULL},
		 "not ascending"},
		{"Index", {2, 2, asc, idx_bad, 1, offs, 0, NULL},
		 "unknown type"},
		{"Huge", {2, 0, NULL, NULL, 1, huge, 0, NULL},
		 "out of range"},
		{"Footer", {2, 0, NULL, NULL, 1, offs, 0, "???"},
		 "unreadable TZ rule"},
		{"Footer2", {2, 0, NULL, NULL, 1, offs, 0, "EST5EDT,M13.1.0,"
			     "M11.1.0"}, "unreadable TZ rule"},
		{"NoTypes", {2, 0, NULL, NULL, 0, offs, 0, NULL},
		 "no local time types"},
	};
	struct sg_error err;
	size_t i;

	for (i = 0; i < N_ELEMS(cases); i++) {
		struct sg_zone *z = (struct sg_zone *)1;

		sg_error_clear(&err);
		tzif_write(cases[i].name, &cases[i].spec);
		ck_assert_int_eq(sg_zone_open(&z, cases[i].name, &err),
				 SG_ERR_CONFIG);
		ck_assert_ptr_null(z);
		ck_assert_msg(strstr(err.message, cases[i].why) != NULL,
			      "%s: %s", cases[i].name, err.message);
		ck_assert_ptr_nonnull(strstr(err.message, cases[i].name));
	}
}
END_TEST

START_TEST(test_tzif_bad_bytes)
{
	const struct {
		const char *name;
		const char *data;
		size_t len;
		const char *why;
	} cases[] = {
		{"Empty", "", 0, "not a TZif file"},
		{"Text", "Europe/London\n", 14, "not a TZif file"},
		{"Short", "TZif2", 5, "not a TZif file"},
	};
	struct sg_error err;
	size_t i;

	for (i = 0; i < N_ELEMS(cases); i++) {
		struct sg_zone *z = NULL;

		sg_error_clear(&err);
		write_raw(cases[i].name, cases[i].data, cases[i].len);
		ck_assert_int_eq(sg_zone_open(&z, cases[i].name, &err),
				 SG_ERR_CONFIG);
		ck_assert_ptr_null(z);
		ck_assert_msg(strstr(err.message, cases[i].why) != NULL,
			      "%s: %s", cases[i].name, err.message);
	}
}
END_TEST

START_TEST(test_tzif_truncated)
{
	struct sg_zone *z = NULL;
	struct sg_error err;
	char path[256];
	FILE *f;
	int version;

	/* Headers that promise data the file does not hold. */
	for (version = 1; version <= 2; version++) {
		sg_error_clear(&err);
		snprintf(path, sizeof(path), "%s/Trunc", tz_dir);
		f = fopen(path, "wb");
		ck_assert_ptr_nonnull(f);
		tzif_header(f, version, 0, 5, 1, 4);
		fputs("0123456789", f);
		ck_assert_int_eq(fclose(f), 0);
		ck_assert_int_eq(sg_zone_open(&z, "Trunc", &err),
				 SG_ERR_CONFIG);
		ck_assert_ptr_null(z);
		ck_assert_msg(strstr(err.message, "truncated TZif file") !=
			      NULL, "%s", err.message);
	}
}
END_TEST

START_TEST(test_tzif_unterminated_footer)
{
	static const int32_t off = 0;
	struct tzif_spec s = {2, 0, NULL, NULL, 1, &off, 0, NULL};
	struct sg_zone *z = NULL;
	struct sg_error err;
	char path[256];
	FILE *f;

	sg_error_clear(&err);
	tzif_write("Unterm", &s);
	snprintf(path, sizeof(path), "%s/Unterm", tz_dir);
	f = fopen(path, "ab");
	ck_assert_ptr_nonnull(f);
	fputs("\nGMT0", f);
	fclose(f);
	ck_assert_int_eq(sg_zone_open(&z, "Unterm", &err), SG_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "unterminated"));
}
END_TEST

START_TEST(test_zone_directory)
{
	struct sg_zone *z = NULL;
	struct sg_error err;
	char sub[128];

	sg_error_clear(&err);
	snprintf(sub, sizeof(sub), "%s/Region", tz_dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(sg_zone_open(&z, "Region", &err), SG_ERR_CONFIG);
	ck_assert_ptr_null(z);
	ck_assert_msg(strstr(err.message, "unknown time zone \"Region\"") !=
		      NULL, "%s", err.message);
	/* A missing file names the path it looked for. */
	ck_assert_int_eq(sg_zone_open(&z, "Region/City", &err),
			 SG_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, tz_dir));
	ck_assert_ptr_nonnull(strstr(err.message, "Europe/London"));
}
END_TEST

START_TEST(test_zone_free_null)
{
	sg_zone_free(NULL);
	/* A NULL zone is UTC for conversions. */
	ck_assert_int_eq(sg_zone_to_utc(NULL, 12345), 12345);
}
END_TEST

/* ------------------------------------------------------------------ */
/* strptime-style formats                                               */

static const struct {
	const char *text;
	const char *format;
	const char *zone;     /* NULL: no zone (UTC) */
	const char *utc;
} fmt_ok[] = {
	{"7/2/2022", "%m/%d/%Y", "UTC", "2022-07-02T00:00:00Z"},
	{"07/02/2022", "%m/%d/%Y", NULL, "2022-07-02T00:00:00Z"},
	{"2/7/2022", "%d/%m/%Y", "UTC", "2022-07-02T00:00:00Z"},
	{"29/02/2024", "%d/%m/%Y", NULL, "2024-02-29T00:00:00Z"},
	{"02/07/2022 14:05", "%d/%m/%Y %H:%M", NULL, "2022-07-02T14:05:00Z"},
	{"02/07/2022    14:05", "%d/%m/%Y %H:%M", NULL,
	 "2022-07-02T14:05:00Z"},
	{"02/07/202214:05", "%d/%m/%Y %H:%M", NULL, "2022-07-02T14:05:00Z"},
	{" 02/07/2022 ", "%d/%m/%Y", NULL, "2022-07-02T00:00:00Z"},
	{"7/2/22 3:04 PM", "%m/%d/%y %I:%M %p", NULL, "2022-07-02T15:04:00Z"},
	{"7/2/22 12:00 AM", "%m/%d/%y %I:%M %p", NULL,
	 "2022-07-02T00:00:00Z"},
	{"7/2/22 12:00 PM", "%m/%d/%y %I:%M %p", NULL,
	 "2022-07-02T12:00:00Z"},
	{"7/2/22 12:30 am", "%m/%d/%y %I:%M %p", NULL,
	 "2022-07-02T00:30:00Z"},
	{"7/2/22 11:59 pm", "%m/%d/%y %I:%M %p", NULL,
	 "2022-07-02T23:59:00Z"},
	{"7/2/22 1:00 Am", "%m/%d/%y %I:%M %p", NULL, "2022-07-02T01:00:00Z"},
	{"7/2/22 01:00:09PM", "%m/%d/%y %I:%M:%S%p", NULL,
	 "2022-07-02T13:00:09Z"},
	{"1/1/68", "%m/%d/%y", NULL, "2068-01-01T00:00:00Z"},
	{"1/1/69", "%m/%d/%y", NULL, "1969-01-01T00:00:00Z"},
	{"1/1/99", "%m/%d/%y", NULL, "1999-01-01T00:00:00Z"},
	{"1/1/00", "%m/%d/%y", NULL, "2000-01-01T00:00:00Z"},
	{"1/1/5", "%m/%d/%y", NULL, "2005-01-01T00:00:00Z"},
	{"2 Jul 2022", "%d %b %Y", NULL, "2022-07-02T00:00:00Z"},
	{"2 July 2022", "%d %B %Y", NULL, "2022-07-02T00:00:00Z"},
	{"2 JULY 2022", "%d %B %Y", NULL, "2022-07-02T00:00:00Z"},
	{"2 jul 2022", "%d %B %Y", NULL, "2022-07-02T00:00:00Z"},
	{"Sep 30, 2022", "%b %d, %Y", NULL, "2022-09-30T00:00:00Z"},
	{"September 30, 2022", "%b %d, %Y", NULL, "2022-09-30T00:00:00Z"},
	{"30-May-2022", "%d-%b-%Y", NULL, "2022-05-30T00:00:00Z"},
	{"2022-07-02T14:05:06Z", "%Y-%m-%dT%H:%M:%S%z", "America/New_York",
	 "2022-07-02T14:05:06Z"},
	{"2022-07-02T14:05:06+02:00", "%Y-%m-%dT%H:%M:%S%z", NULL,
	 "2022-07-02T12:05:06Z"},
	{"2022-07-02T14:05:06+0200", "%Y-%m-%dT%H:%M:%S%z", NULL,
	 "2022-07-02T12:05:06Z"},
	{"2022-07-02T14:05:06-05", "%Y-%m-%dT%H:%M:%S%z", NULL,
	 "2022-07-02T19:05:06Z"},
	{"2022-07-02 14:05:06 UTC", "%F %T %Z", "+05:00",
	 "2022-07-02T14:05:06Z"},
	{"2022-07-02 14:05:06 gmt", "%F %T %Z", NULL, "2022-07-02T14:05:06Z"},
	{"2022-07-02 14:05:06.789", "%F %T.%f", NULL, "2022-07-02T14:05:06Z"},
	{"2022/183", "%Y/%j", NULL, "2022-07-02T00:00:00Z"},
	{"2024/366", "%Y/%j", NULL, "2024-12-31T00:00:00Z"},
	{"2024/60", "%Y/%j", NULL, "2024-02-29T00:00:00Z"},
	{"07/02/22", "%D", NULL, "2022-07-02T00:00:00Z"},
	{"100% 2022-07-02", "100%% %F", NULL, "2022-07-02T00:00:00Z"},
	{"7/ 2/2022", "%m/%e/%Y", NULL, "2022-07-02T00:00:00Z"},
	{"20220702", "%Y%m%d", NULL, "2022-07-02T00:00:00Z"},
	{"20220702143000", "%Y%m%d%H%M%S", NULL, "2022-07-02T14:30:00Z"},
	/* In a zone: a bare date is midnight there */
	{"11/02/2026", "%m/%d/%Y", "America/New_York", "2026-11-02T05:00:00Z"},
	{"02/11/2026", "%d/%m/%Y", "Europe/London", "2026-11-02T00:00:00Z"},
	{"02/07/2026", "%d/%m/%Y", "Europe/London", "2026-07-01T23:00:00Z"},
	{"03/29/2026 01:30", "%m/%d/%Y %H:%M", "Europe/London",
	 "2026-03-29T01:30:00Z"},
	{"10/25/2026 01:30", "%m/%d/%Y %H:%M", "Europe/London",
	 "2026-10-25T00:30:00Z"},
	{"3/8/26 2:30 AM", "%m/%d/%y %I:%M %p", "America/New_York",
	 "2026-03-08T07:30:00Z"},
	{"11/1/26 1:30 AM", "%m/%d/%y %I:%M %p", "America/New_York",
	 "2026-11-01T05:30:00Z"},
	{"2026-11-02 10:00", "%Y-%m-%d %H:%M", "+05:30",
	 "2026-11-02T04:30:00Z"},
	{"2026-11-02 10:00", "%Y-%m-%d %H:%M", "-0800",
	 "2026-11-02T18:00:00Z"},
	/* %z in the text overrides the zone */
	{"2026-11-02 10:00 +00:00", "%Y-%m-%d %H:%M %z", "America/New_York",
	 "2026-11-02T10:00:00Z"},
	{"1/1/1960", "%m/%d/%Y", "America/New_York", "1960-01-01T05:00:00Z"},
};

START_TEST(test_format_accept)
{
	struct sg_error err;
	char buf[SG_TIME_ISO_SIZE];
	size_t i;
	int fails = 0;

	for (i = 0; i < N_ELEMS(fmt_ok); i++) {
		struct sg_zone *zone = NULL;
		sg_time t = 0;

		sg_error_clear(&err);
		if (fmt_ok[i].zone != NULL) {
			zone = system_zone(fmt_ok[i].zone);
			if (zone == NULL)
				continue;
		}
		if (sg_time_parse_format(&t, fmt_ok[i].text,
					 strlen(fmt_ok[i].text),
					 fmt_ok[i].format, zone, &err) !=
		    SG_OK)
			fails += row_fail("%s with %s: %s", fmt_ok[i].text,
					  fmt_ok[i].format, err.message);
		else if (strcmp(iso_utc(t, buf), fmt_ok[i].utc) != 0)
			fails += row_fail("%s with %s: got %s, want %s",
					  fmt_ok[i].text, fmt_ok[i].format,
					  buf, fmt_ok[i].utc);
		sg_zone_free(zone);
	}
	TABLE_DONE(fails, N_ELEMS(fmt_ok));
}
END_TEST

static const struct {
	const char *text;
	const char *format;
	const char *why;
} fmt_bad[] = {
	{"", "%F", "the text is empty"},
	{"7/2/22", "%m/%d/%Y", "expected a 4-digit year (%Y) at \"22\""},
	{"7/2/2022", "%m/%d/%y", "unexpected \"22\" after the end of the "
				 "format"},
	{"13/2/2022", "%m/%d/%Y", "a month (%m) 13 is out of range"},
	{"0/2/2022", "%m/%d/%Y", "a month (%m) 0 is out of range"},
	{"2/30/2022", "%m/%d/%Y", "day 30 is out of range for 2022-02"},
	{"2/29/2023", "%m/%d/%Y", "day 29 is out of range for 2023-02"},
	{"4/31/2022", "%m/%d/%Y", "day 31 is out of range"},
	{"4/32/2022", "%m/%d/%Y", "32 is out of range"},
	{"7/2/2022 13:00 PM", "%m/%d/%Y %I:%M %p", "1-12 (%I) 13 is out of "
						   "range"},
	{"7/2/2022 0:00 AM", "%m/%d/%Y %I:%M %p", "0 is out of range"},
	{"7/2/2022 3:00", "%m/%d/%Y %I:%M", "%I without %p"},
	{"7/2/2022 3:00 XM", "%m/%d/%Y %I:%M %p", "expected AM or PM (%p)"},
	{"7/2/2022 3:00", "%m/%d/%Y %I:%M %p", "expected AM or PM (%p) at "
					       "the end"},
	{"7/2/2022 15:00 PM", "%m/%d/%Y %H:%M %p", "%p without %I"},
	{"7/2/2022 24:00", "%m/%d/%Y %H:%M", "an hour (%H) 24 is out of "
					     "range"},
	{"7/2/2022 23:60", "%m/%d/%Y %H:%M", "minutes (%M) 60 is out of "
					     "range"},
	{"2022-07-02 14:05:60", "%F %H:%M:%S", "seconds (%S) 60 is out of "
					       "range"},
	{"2 Jly 2022", "%d %b %Y", "expected an English month name"},
	{"2 Sept 2022", "%d %b %Y", "(%Y) at \"t 2022\""},
	{"2022-07-02", "%Y-%m", "unexpected \"-02\""},
	{"2022-07", "%Y-%m", "month but no day"},
	{"2022 02", "%Y %d", "day but no month"},
	{"14:05", "%H:%M", "no year"},
	{"2022", "%Y", "no month and day"},
	{"2023/366", "%Y/%j", "day of the year 366 is out of range for 2023"},
	{"2023/0", "%Y/%j", "0 is out of range"},
	{"2022-07-02", "%F %Q", "%Q, which is not supported"},
	{"2022-07-02", "%F%", "lone '%'"},
	{"2022-07-02 EST", "%F %Z", "expected UTC or GMT (%Z)"},
	{"2022-07-02 +25:00", "%F %z", "the offset is out of range"},
	{"2022-07-02 +2", "%F %z", "expected an offset like +02:00 (%z)"},
	{"2022-07-02 ", "%F %z", "expected an offset like +02:00 (%z) at "
				 "the end"},
	{"2022-07-02x", "%F", "unexpected \"x\""},
	{"2022/07/02", "%F", "expected '-' at \"/07/02\""},
	{"2022-07-02 14:05:06.", "%F %T.%f", "fraction digits"},
	{"20227-02", "%Y-%m", "expected '-' at \"7-02\""},
	{"x7/2/2022", "%m/%d/%Y", "expected a month (%m) at \"x7/2/2022\""},
	{"100 2022-07-02", "100%% %F", "expected '%'"},
};

START_TEST(test_format_reject)
{
	struct sg_error err;
	size_t i;
	int fails = 0;

	for (i = 0; i < N_ELEMS(fmt_bad); i++) {
		sg_time t = 42;
		int rc;

		sg_error_clear(&err);
		rc = sg_time_parse_format(&t, fmt_bad[i].text,
					  strlen(fmt_bad[i].text),
					  fmt_bad[i].format, NULL, &err);
		if (rc != SG_ERR_PARSE || t != 42)
			fails += row_fail("%s with %s: rc %d",
					  fmt_bad[i].text, fmt_bad[i].format,
					  rc);
		else if (strstr(err.message, fmt_bad[i].why) == NULL ||
			 strstr(err.message, "with format \"") == NULL)
			fails += row_fail("%s with %s: message \"%s\" lacks "
					  "\"%s\"", fmt_bad[i].text,
					  fmt_bad[i].format, err.message,
					  fmt_bad[i].why);
	}
	TABLE_DONE(fails, N_ELEMS(fmt_bad));
}
END_TEST

START_TEST(test_format_message)
{
	struct sg_error err;
	sg_time t;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_time_parse_format(&t, "7/2/22", 6, "%m/%d/%Y",
					      NULL, &err), SG_ERR_PARSE);
	ck_assert_str_eq(err.message,
			 "cannot read \"7/2/22\" as a time with format "
			 "\"%m/%d/%Y\": expected a 4-digit year (%Y) at "
			 "\"22\"");
	/* Not NUL-terminated: only len bytes are read. */
	ck_assert_int_eq(sg_time_parse_format(&t, "7/2/2022junk", 8,
					      "%m/%d/%Y", NULL, &err), SG_OK);
	ck_assert_int_eq(t, 1656720000LL);
	/* NULL text and NULL format fail cleanly. */
	ck_assert_int_eq(sg_time_parse_format(&t, NULL, 3, "%F", NULL, &err),
			 SG_ERR_PARSE);
	ck_assert_int_eq(sg_time_parse_format(&t, "2022", 4, NULL, NULL,
					      &err), SG_ERR_PARSE);
	ck_assert_int_eq(sg_time_parse_format(&t, "x", 1, "%F", NULL, NULL),
			 SG_ERR_PARSE);
}
END_TEST

/* ------------------------------------------------------------------ */

/* A Date header: the server's clock, whatever the weekday says. */
START_TEST(test_http_date)
{
	struct sg_error err;
	sg_time t;

	ck_assert_int_eq(sg_time_parse_http_date(&t, "Sun, 06 Nov 1994 "
						 "08:49:37 GMT", &err), SG_OK);
	ck_assert_int_eq(t, 784111777);
	ck_assert_int_eq(sg_time_parse_http_date(&t, "Mon, 07 Dec 2026 "
						 "01:15:00 GMT", &err), SG_OK);
	ck_assert_int_eq(t, 1796606100);
	ck_assert_int_eq(sg_time_parse_http_date(&t, "2026-12-07", &err),
			 SG_ERR_PARSE);
	ck_assert_int_eq(sg_time_parse_http_date(&t, NULL, &err),
			 SG_ERR_PARSE);
	ck_assert_int_eq(sg_time_parse_http_date(&t, "Sun, 06 Nov 1994",
						 &err), SG_ERR_PARSE);
}
END_TEST

static Suite *time_suite(void)
{
	Suite *s = suite_create("time");
	TCase *tc;

	tc = tcase_create("iso_accept");
	tcase_add_test(tc, test_iso_accept);
	tcase_add_test(tc, test_iso_seconds);
	tcase_add_test(tc, test_iso_not_terminated);
	tcase_add_test(tc, test_iso_default_offset);
	suite_add_tcase(s, tc);

	tc = tcase_create("iso_reject");
	tcase_add_test(tc, test_iso_reject);
	tcase_add_test(tc, test_iso_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("calendar");
	tcase_add_test(tc, test_days_from_civil);
	tcase_add_test(tc, test_time_day);
	tcase_add_test(tc, test_format_output);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_format_matches_gmtime);
	suite_add_tcase(s, tc);

	tc = tcase_create("zone_system");
	tcase_add_test(tc, test_zone_convert);
	tcase_add_test(tc, test_zone_reject);
	tcase_add_test(tc, test_zone_free_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("zone_tzif");
	tcase_add_checked_fixture(tc, tz_setup, tz_teardown);
	tcase_add_test(tc, test_rule_us);
	tcase_add_test(tc, test_rule_forms);
	tcase_add_test(tc, test_tzif_v1);
	tcase_add_test(tc, test_tzif_table_then_rule);
	tcase_add_test(tc, test_tzif_bad);
	tcase_add_test(tc, test_tzif_bad_bytes);
	tcase_add_test(tc, test_tzif_truncated);
	tcase_add_test(tc, test_tzif_unterminated_footer);
	tcase_add_test(tc, test_zone_directory);
	suite_add_tcase(s, tc);

	/* Compares private rule zones with the system tables: needs both
	 * $TZDIR (for the rule zone) and the system directory. */
	tc = tcase_create("zone_cross_check");
	tcase_add_checked_fixture(tc, tz_setup, tz_teardown);
	tcase_add_test(tc, test_rule_cross_check);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("format_accept");
	tcase_add_test(tc, test_format_accept);
	suite_add_tcase(s, tc);

	tc = tcase_create("format_reject");
	tcase_add_test(tc, test_format_reject);
	tcase_add_test(tc, test_format_message);
	tcase_add_test(tc, test_http_date);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(time_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
