/*
 * sg_time.c - ISO-8601 and strptime-style parsing into UTC seconds, time
 * zones from fixed offsets or TZif files, and UTC formatting.
 *
 * Nothing here touches the process's TZ, locale, timegm(), mktime() or
 * strptime(): they depend on the environment and would read the same text
 * differently on two machines.  Calendar arithmetic uses Howard Hinnant's
 * days_from_civil / civil_from_days, exact for every proleptic Gregorian
 * year.
 */
#include "sg_time.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* How much of a text an error message quotes. */
#define TIME_QUOTE_MAX 64
/* A TZif file larger than this is refused (real ones are under 4 KiB). */
#define TIME_TZIF_MAX (1024L * 1024L)
/* Bounds on TZif counts, far above any real zone. */
#define TIME_TZIF_COUNT_MAX 100000u
#define TIME_ZONE_NAME_MAX 255
#define TIME_PATH_MAX 4096
/* Transitions examined around one local time (a few days' worth). */
#define TIME_WINDOW_MAX 32
/* Offsets are far below this; a local time is looked at +- this much. */
#define TIME_WINDOW_SECONDS (2 * 86400)
/* Local times beyond +-2^60 s (36 billion years) are clamped to it. */
#define TIME_LOCAL_LIMIT ((int64_t)1 << 60)

#define TIME_ISO_EXAMPLE "ISO-8601 like 2026-11-02T16:45:00Z"

/* A rule date of a POSIX TZ string: Jn, n or Mm.w.d. */
enum time_rule_kind {
	TIME_RULE_JULIAN1,  /* Jn: 1..365, February 29 never counted */
	TIME_RULE_JULIAN0,  /* n: 0..365, February 29 counted */
	TIME_RULE_MWD       /* Mm.w.d: day d of week w of month m */
};

struct time_rule_date {
	enum time_rule_kind kind;
	int n;
	int month;
	int week;
	int wday;
	long time;  /* seconds after local midnight, may be < 0 or > 24 h */
};

/* The footer rule of a TZif file: times after the last transition. */
struct time_rule {
	long std_off;  /* seconds east of UTC */
	long dst_off;
	int has_dst;
	struct time_rule_date start;
	struct time_rule_date end;
};

struct sg_zone {
	int fixed;
	long offset;          /* the fixed offset, seconds east */
	size_t count;         /* transitions */
	int64_t *when;        /* UTC instants, ascending */
	long *after;          /* offset in effect from when[i] */
	long before;          /* offset before the first transition */
	int has_rule;
	struct time_rule rule;
};

/* ---------------------------------------------------------------- */
/* Calendar                                                          */

int64_t sg_days_from_civil(int64_t year, unsigned month, unsigned day)
{
	int64_t y = year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = month > 2 ? (int64_t)month - 3 : (int64_t)month + 9;
	int64_t doy = (153 * mp + 2) / 5 + (int64_t)day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void sg_civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
	int64_t era, doe, yoe, y, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	*year = y + (m <= 2);
	*month = (int)m;
	*day = (int)d;
}

static int time_is_leap(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int time_days_in_month(int64_t year, int month)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (month == 2 && time_is_leap(year))
		return 29;
	return days[month - 1];
}

int64_t sg_time_day(sg_time t)
{
	/* Floor division: C's '/' truncates towards zero. */
	return t / 86400 - (t % 86400 < 0);
}

/* Writes val (>= 0) as exactly width digits. */
static void time_put(char *buf, int64_t val, int width)
{
	while (width-- > 0) {
		buf[width] = (char)('0' + val % 10);
		val /= 10;
	}
}

char *sg_time_format_iso(sg_time t, char *buf)
{
	int64_t day, year, rem;
	int month, mday;

	/* Years outside 0000-9999 do not fit the layout: clamp. */
	if (t < -62167219200LL)
		t = -62167219200LL;          /* 0000-01-01T00:00:00Z */
	if (t > 253402300799LL)
		t = 253402300799LL;          /* 9999-12-31T23:59:59Z */
	day = sg_time_day(t);
	rem = t - day * 86400;
	sg_civil_from_days(day, &year, &month, &mday);
	memcpy(buf, "0000-00-00T00:00:00Z", SG_TIME_ISO_SIZE);
	time_put(buf, year, 4);
	time_put(buf + 5, month, 2);
	time_put(buf + 8, mday, 2);
	time_put(buf + 11, rem / 3600, 2);
	time_put(buf + 14, rem / 60 % 60, 2);
	time_put(buf + 17, rem % 60, 2);
	return buf;
}

char *sg_time_format_date(sg_time t, char *buf)
{
	char iso[SG_TIME_ISO_SIZE];

	sg_time_format_iso(t, iso);
	memcpy(buf, iso, 10);
	buf[10] = '\0';
	return buf;
}

/* ---------------------------------------------------------------- */
/* Small text helpers                                                */

static int time_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f';
}

static int time_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char time_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static void time_trim(const char **text, size_t *len)
{
	const char *p = *text;
	size_t n = *len;

	while (n > 0 && time_is_space(p[0])) {
		p++;
		n--;
	}
	while (n > 0 && time_is_space(p[n - 1]))
		n--;
	*text = p;
	*len = n;
}

#define TIME_QUOTE_SIZE (TIME_QUOTE_MAX * 4 + 8)

/*
 * Reads between min and max digits at *p (before end) into *val; returns
 * the number of digits read, or 0 when fewer than min are there.
 */
static int time_digits(const char **p, const char *end, int min, int max,
		       long *val)
{
	const char *s = *p;
	long v = 0;
	int n = 0;

	while (s < end && n < max && time_is_digit(*s)) {
		v = v * 10 + (*s - '0');
		s++;
		n++;
	}
	if (n < min)
		return 0;
	*p = s;
	*val = v;
	return n;
}

/*
 * Reads an offset after its sign has been seen: hh:mm or hhmm, or also
 * a bare hh when allow_hh.  Returns 0 on success with *off in seconds
 * east, -1 when the form does not match, -2 when a value is out of
 * range.
 */
static int time_offset_body(const char **p, const char *end, int sign,
			    int allow_hh, long *off)
{
	const char *s = *p;
	long hh, mm = 0;

	if (time_digits(&s, end, 2, 2, &hh) == 0)
		return -1;
	if (s < end && *s == ':') {
		s++;
		if (time_digits(&s, end, 2, 2, &mm) == 0)
			return -1;
	} else if (time_digits(&s, end, 2, 2, &mm) == 0) {
		if (!allow_hh)
			return -1;
		mm = 0;
	}
	if (hh > 23 || mm > 59)
		return -2;
	*p = s;
	*off = sign * (hh * 3600 + mm * 60);
	return 0;
}

/* ---------------------------------------------------------------- */
/* ISO-8601                                                          */

static int time_iso_fail(struct sg_error *err, const char *text, size_t len,
			 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int time_iso_fail(struct sg_error *err, const char *text, size_t len,
			 const char *fmt, ...)
{
	char quoted[TIME_QUOTE_SIZE];
	char why[256];
	va_list ap;

	if (err == NULL)
		return SG_ERR_PARSE;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return sg_error_set(err, SG_ERR_PARSE,
			    "cannot read \"%s\" as a time: %s (expected "
			    TIME_ISO_EXAMPLE ")",
			    sg_quote(text, len, TIME_QUOTE_MAX, quoted,
				     sizeof(quoted)), why);
}

/* Two ASCII digits at p, or -1. */
static int time_two(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/*
 * The forms exports repeat millions of times, "YYYY-MM-DD" and
 * "YYYY-MM-DDTHH:MM:SSZ", read without the general parser.  Returns 1 with
 * *out set when text is one of them and valid; 0 sends the text to the
 * general parser (which also words the error).
 */
static int time_iso_fast(sg_time *out, const char *t, size_t len)
{
	int hi, lo, month, day, hour = 0, minute = 0, second = 0;
	int64_t year;

	if (len != 10 && !(len == 20 && t[10] == 'T' && t[19] == 'Z'))
		return 0;
	hi = time_two(t);
	lo = time_two(t + 2);
	month = time_two(t + 5);
	day = time_two(t + 8);
	if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1 ||
	    t[4] != '-' || t[7] != '-')
		return 0;
	year = hi * 100 + lo;
	if (day > time_days_in_month(year, month))
		return 0;
	if (len == 20) {
		hour = time_two(t + 11);
		minute = time_two(t + 14);
		second = time_two(t + 17);
		if (hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
		    second < 0 || second > 59 || t[13] != ':' || t[16] != ':')
			return 0;
	}
	*out = sg_days_from_civil(year, (unsigned)month, (unsigned)day) *
		86400 + hour * 3600 + minute * 60 + second;
	return 1;
}

int sg_time_parse_iso(sg_time *out, const char *text, size_t len,
		      int default_offset_ok, long default_offset,
		      struct sg_error *err)
{
	const char *p, *end, *orig = text;
	size_t orig_len = text == NULL ? 0 : len;
	long year, month, day, hour, minute, second = 0, off;
	int64_t local;
	int rc;

	if (text == NULL)
		len = 0;
	time_trim(&text, &len);
	if (time_iso_fast(out, text, len))
		return SG_OK;
	p = text;
	end = text + len;
	if (len == 0)
		return time_iso_fail(err, orig, orig_len, "the text is empty");
	if (time_digits(&p, end, 4, 4, &year) == 0)
		return time_iso_fail(err, orig, orig_len,
				     "it does not start with a 4-digit year");
	if (p == end || *p != '-')
		return time_iso_fail(err, orig, orig_len,
				     "expected '-' after the year");
	p++;
	if (time_digits(&p, end, 2, 2, &month) == 0)
		return time_iso_fail(err, orig, orig_len,
				     "expected a 2-digit month after the "
				     "year");
	if (p == end || *p != '-')
		return time_iso_fail(err, orig, orig_len,
				     "expected '-' after the month");
	p++;
	if (time_digits(&p, end, 2, 2, &day) == 0)
		return time_iso_fail(err, orig, orig_len,
				     "expected a 2-digit day after the month");
	if (month < 1 || month > 12)
		return time_iso_fail(err, orig, orig_len,
				     "month %ld is out of range", month);
	if (day < 1 || day > time_days_in_month(year, (int)month))
		return time_iso_fail(err, orig, orig_len,
				     "day %ld is out of range for %04ld-%02ld",
				     day, year, month);
	local = sg_days_from_civil(year, (unsigned)month, (unsigned)day) *
		86400;
	if (p == end) {
		/* A bare date is midnight UTC, whatever the default zone. */
		*out = local;
		return SG_OK;
	}
	if (*p != 'T' && *p != ' ')
		return time_iso_fail(err, orig, orig_len,
				     "expected 'T' or a space after the date");
	p++;
	if (time_digits(&p, end, 2, 2, &hour) == 0)
		return time_iso_fail(err, orig, orig_len,
				     "expected a 2-digit hour after the date");
	if (p == end || *p != ':')
		return time_iso_fail(err, orig, orig_len,
				     "expected ':' after the hour");
	p++;
	if (time_digits(&p, end, 2, 2, &minute) == 0)
		return time_iso_fail(err, orig, orig_len,
				     "expected 2-digit minutes after the "
				     "hour");
	if (p < end && *p == ':') {
		p++;
		if (time_digits(&p, end, 2, 2, &second) == 0)
			return time_iso_fail(err, orig, orig_len,
					     "expected 2-digit seconds after "
					     "the minutes");
		if (p < end && (*p == '.' || *p == ',')) {
			long ignored;

			/* Fractional seconds are truncated (§10 rule 1). */
			p++;
			if (time_digits(&p, end, 1, 1, &ignored) == 0)
				return time_iso_fail(err, orig, orig_len,
						     "expected digits after "
						     "the decimal point");
			while (p < end && time_is_digit(*p))
				p++;
		}
	}
	if (hour > 23)
		return time_iso_fail(err, orig, orig_len,
				     "hour %ld is out of range", hour);
	if (minute > 59)
		return time_iso_fail(err, orig, orig_len,
				     "minute %ld is out of range", minute);
	if (second > 59)
		return time_iso_fail(err, orig, orig_len,
				     "second %ld is out of range", second);
	local += hour * 3600 + minute * 60 + second;
	if (p == end) {
		if (!default_offset_ok)
			return time_iso_fail(err, orig, orig_len,
					     "it has no time zone: add Z or "
					     "an offset like +02:00");
		*out = local - default_offset;
		return SG_OK;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
		off = 0;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;

		p++;
		rc = time_offset_body(&p, end, sign, 0, &off);
		if (rc == -2)
			return time_iso_fail(err, orig, orig_len,
					     "the offset is out of range");
		if (rc != 0)
			return time_iso_fail(err, orig, orig_len,
					     "expected an offset like +02:00 "
					     "or +0200");
	} else {
		char quoted[TIME_QUOTE_SIZE];

		return time_iso_fail(err, orig, orig_len,
				     "unexpected \"%s\" after the time",
				     sg_quote(p, (size_t)(end - p),
					      TIME_QUOTE_MAX, quoted,
					      sizeof(quoted)));
	}
	if (p != end) {
		char quoted[TIME_QUOTE_SIZE];

		return time_iso_fail(err, orig, orig_len,
				     "unexpected \"%s\" after the time zone",
				     sg_quote(p, (size_t)(end - p),
					      TIME_QUOTE_MAX, quoted,
					      sizeof(quoted)));
	}
	*out = local - off;
	return SG_OK;
}

/* ---------------------------------------------------------------- */
/* POSIX TZ rule strings (the TZif footer)                           */

/* Reads [+-]hh[:mm[:ss]] into seconds; max_hh bounds the hours. */
static int time_rule_hms(const char **p, const char *end, long max_hh,
			 long *out)
{
	const char *s = *p;
	long hh, mm = 0, ss = 0;
	int sign = 1;

	if (s < end && (*s == '+' || *s == '-')) {
		sign = *s == '-' ? -1 : 1;
		s++;
	}
	if (time_digits(&s, end, 1, 3, &hh) == 0 || hh > max_hh)
		return -1;
	if (s < end && *s == ':') {
		s++;
		if (time_digits(&s, end, 1, 2, &mm) == 0 || mm > 59)
			return -1;
		if (s < end && *s == ':') {
			s++;
			if (time_digits(&s, end, 1, 2, &ss) == 0 || ss > 59)
				return -1;
		}
	}
	*p = s;
	*out = sign * (hh * 3600 + mm * 60 + ss);
	return 0;
}

/* Skips a zone abbreviation: letters, or anything between < and >. */
static int time_rule_name(const char **p, const char *end)
{
	const char *s = *p;

	if (s < end && *s == '<') {
		s++;
		while (s < end && *s != '>')
			s++;
		if (s == end)
			return -1;
		*p = s + 1;
		return 0;
	}
	while (s < end && ((*s >= 'A' && *s <= 'Z') ||
			   (*s >= 'a' && *s <= 'z')))
		s++;
	if (s - *p < 3)
		return -1;
	*p = s;
	return 0;
}

static int time_rule_date(const char **p, const char *end,
			  struct time_rule_date *d)
{
	const char *s = *p;
	long a, b, c;

	if (s < end && *s == 'M') {
		s++;
		if (time_digits(&s, end, 1, 2, &a) == 0 || a < 1 || a > 12)
			return -1;
		if (s == end || *s != '.')
			return -1;
		s++;
		if (time_digits(&s, end, 1, 1, &b) == 0 || b < 1 || b > 5)
			return -1;
		if (s == end || *s != '.')
			return -1;
		s++;
		if (time_digits(&s, end, 1, 1, &c) == 0 || c > 6)
			return -1;
		d->kind = TIME_RULE_MWD;
		d->month = (int)a;
		d->week = (int)b;
		d->wday = (int)c;
	} else if (s < end && *s == 'J') {
		s++;
		if (time_digits(&s, end, 1, 3, &a) == 0 || a < 1 || a > 365)
			return -1;
		d->kind = TIME_RULE_JULIAN1;
		d->n = (int)a;
	} else {
		if (time_digits(&s, end, 1, 3, &a) == 0 || a > 365)
			return -1;
		d->kind = TIME_RULE_JULIAN0;
		d->n = (int)a;
	}
	d->time = 7200;
	if (s < end && *s == '/') {
		s++;
		/* RFC 8536 allows -167..167 hours here. */
		if (time_rule_hms(&s, end, 167, &d->time) != 0)
			return -1;
	}
	*p = s;
	return 0;
}

/*
 * Parses a POSIX TZ string such as "GMT0BST,M3.5.0/1,M10.5.0".  Returns 0
 * with *rule set, or -1 when it is not understood.
 */
static int time_rule_parse(const char *s, const char *end,
			   struct time_rule *rule)
{
	long off;

	memset(rule, 0, sizeof(*rule));
	if (time_rule_name(&s, end) != 0)
		return -1;
	if (time_rule_hms(&s, end, 24, &off) != 0)
		return -1;
	/* POSIX offsets count west of UTC. */
	rule->std_off = -off;
	if (s == end)
		return 0;
	if (time_rule_name(&s, end) != 0)
		return -1;
	rule->has_dst = 1;
	rule->dst_off = rule->std_off + 3600;
	if (s < end && *s != ',') {
		if (time_rule_hms(&s, end, 24, &off) != 0)
			return -1;
		rule->dst_off = -off;
	}
	if (s == end) {
		/* No dates given: POSIX leaves them to the system; use the
		 * common US rule as glibc does. */
		rule->start.kind = TIME_RULE_MWD;
		rule->start.month = 3;
		rule->start.week = 2;
		rule->start.time = 7200;
		rule->end.kind = TIME_RULE_MWD;
		rule->end.month = 11;
		rule->end.week = 1;
		rule->end.time = 7200;
		return 0;
	}
	if (*s != ',')
		return -1;
	s++;
	if (time_rule_date(&s, end, &rule->start) != 0)
		return -1;
	if (s == end || *s != ',')
		return -1;
	s++;
	if (time_rule_date(&s, end, &rule->end) != 0)
		return -1;
	return s == end ? 0 : -1;
}

/* The local day number on which a rule date falls in year. */
static int64_t time_rule_day(const struct time_rule_date *d, int64_t year)
{
	int64_t first = sg_days_from_civil(year, 1, 1);
	int64_t mfirst;
	int dow, mday, mdays;

	switch (d->kind) {
	case TIME_RULE_JULIAN1:
		return first + d->n - 1 +
		       (time_is_leap(year) && d->n >= 60 ? 1 : 0);
	case TIME_RULE_JULIAN0:
		return first + d->n;
	case TIME_RULE_MWD:
	default:
		break;
	}
	mfirst = sg_days_from_civil(year, (unsigned)d->month, 1);
	/* 1970-01-01 was a Thursday (4). */
	dow = (int)(((mfirst + 4) % 7 + 7) % 7);
	mday = 1 + (d->wday - dow + 7) % 7 + (d->week - 1) * 7;
	mdays = time_days_in_month(year, d->month);
	while (mday > mdays)
		mday -= 7;
	return mfirst + mday - 1;
}

/*
 * The rule's transitions of years year-1 .. year+1 (six, each with the
 * offset it starts), sorted by instant.
 */
static void time_rule_transitions(const struct time_rule *r, int64_t year,
				  int64_t when[6], long off[6])
{
	int i, j, n = 0;

	for (i = -1; i <= 1; i++) {
		int64_t y = year + i;

		when[n] = time_rule_day(&r->start, y) * 86400 +
			  r->start.time - r->std_off;
		off[n++] = r->dst_off;
		when[n] = time_rule_day(&r->end, y) * 86400 + r->end.time -
			  r->dst_off;
		off[n++] = r->std_off;
	}
	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && when[j - 1] > when[j]; j--) {
			int64_t tw = when[j];
			long to = off[j];

			when[j] = when[j - 1];
			off[j] = off[j - 1];
			when[j - 1] = tw;
			off[j - 1] = to;
		}
	}
}

static int64_t time_year_of(sg_time t)
{
	int64_t year;
	int month, day;

	sg_civil_from_days(sg_time_day(t), &year, &month, &day);
	return year;
}

static long time_rule_offset(const struct time_rule *r, sg_time t)
{
	int64_t when[6];
	long off[6];
	long result;
	int i;

	if (!r->has_dst)
		return r->std_off;
	time_rule_transitions(r, time_year_of(t + r->std_off), when, off);
	/* t precedes all six only for odd rules; the offset before the
	 * first transition is then the one it ends. */
	result = off[0] == r->dst_off ? r->std_off : r->dst_off;
	for (i = 0; i < 6; i++) {
		if (when[i] <= t)
			result = off[i];
	}
	return result;
}

/* The first rule transition strictly after t (has_dst only). */
static int64_t time_rule_next(const struct time_rule *r, sg_time t,
			      long *off_after)
{
	int64_t when[6];
	long off[6];
	int64_t year = time_year_of(t + r->std_off);
	int i, k;

	for (k = 0; k < 3; k++) {
		time_rule_transitions(r, year + k, when, off);
		for (i = 0; i < 6; i++) {
			if (when[i] > t) {
				*off_after = off[i];
				return when[i];
			}
		}
	}
	*off_after = r->std_off;
	return INT64_MAX;
}

/* ---------------------------------------------------------------- */
/* Zones                                                             */

/* The offset (seconds east) in effect at UTC instant t. */
static long time_zone_offset(const struct sg_zone *z, sg_time t)
{
	size_t lo, hi;

	if (z->fixed)
		return z->offset;
	if (z->count == 0)
		return z->has_rule ? time_rule_offset(&z->rule, t) :
		       z->before;
	if (t < z->when[0])
		return z->before;
	if (t >= z->when[z->count - 1] && z->has_rule)
		return time_rule_offset(&z->rule, t);
	/* Last transition at or before t. */
	lo = 0;
	hi = z->count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->when[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->after[lo];
}

/*
 * The first transition strictly after t, with the offset it starts;
 * INT64_MAX when there is none.
 */
static int64_t time_zone_next(const struct sg_zone *z, sg_time t,
			      long *off_after)
{
	size_t lo, hi;

	if (z->fixed)
		return INT64_MAX;
	if (z->count > 0 && t < z->when[z->count - 1]) {
		lo = 0;
		hi = z->count - 1;
		/* Smallest index with when > t. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (z->when[mid] > t)
				hi = mid;
			else
				lo = mid + 1;
		}
		*off_after = z->after[lo];
		return z->when[lo];
	}
	if (z->has_rule && z->rule.has_dst)
		return time_rule_next(&z->rule, t, off_after);
	return INT64_MAX;
}

sg_time sg_zone_to_utc(const struct sg_zone *zone, sg_time local)
{
	int64_t when[TIME_WINDOW_MAX + 1];
	long off[TIME_WINDOW_MAX + 1];
	int64_t from, to, t, best = 0;
	int n = 0, i, found = 0;

	if (zone == NULL)
		return local;
	/* Far outside any calendar in use: clamp, so nothing overflows. */
	if (local < -TIME_LOCAL_LIMIT)
		local = -TIME_LOCAL_LIMIT;
	if (local > TIME_LOCAL_LIMIT)
		local = TIME_LOCAL_LIMIT;
	if (zone->fixed)
		return local - zone->offset;
	/*
	 * The instants that can show this local time lie within a day or
	 * so of it.  List the offsets in effect over that window as
	 * intervals [when[i], when[i + 1]) with offset off[i] (when[0] is
	 * the window's start, standing for "before").
	 */
	from = local - TIME_WINDOW_SECONDS;
	to = local + TIME_WINDOW_SECONDS;
	when[0] = from;
	off[0] = time_zone_offset(zone, from);
	t = from;
	while (n < TIME_WINDOW_MAX) {
		long next_off;
		int64_t next = time_zone_next(zone, t, &next_off);

		if (next > to)
			break;
		n++;
		when[n] = next;
		off[n] = next_off;
		t = next;
	}
	/* Every interval whose offset maps local into it is a reading;
	 * the earliest instant wins (fall back: the first pass). */
	for (i = 0; i <= n; i++) {
		int64_t u = local - off[i];

		if (i > 0 && u < when[i])
			continue;
		if (i < n && u >= when[i + 1])
			continue;
		if (!found || u < best)
			best = u;
		found = 1;
	}
	if (found)
		return best;
	/* In a gap (spring forward): keep the offset from before it, which
	 * moves the wall clock forward by the gap's length. */
	for (i = 0; i < n; i++) {
		if (local >= when[i + 1] + off[i] &&
		    local < when[i + 1] + off[i + 1])
			return local - off[i];
	}
	return local - off[0];
}

void sg_zone_free(struct sg_zone *zone)
{
	if (zone == NULL)
		return;
	free(zone->when);
	free(zone->after);
	free(zone);
}

/* Bounds-checked big-endian reader over a TZif image. */
struct time_reader {
	const unsigned char *data;
	size_t len;
	size_t pos;
};

static int time_need(const struct time_reader *r, size_t n)
{
	return n <= r->len && r->pos <= r->len - n;
}

static uint32_t time_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t time_be64(const unsigned char *p)
{
	uint64_t v = (uint64_t)time_be32(p) << 32 | time_be32(p + 4);

	return (int64_t)v;
}

struct time_tzif_header {
	int version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int time_tzif_header(struct time_reader *r,
			    struct time_tzif_header *h)
{
	const unsigned char *p;

	if (!time_need(r, 44))
		return -1;
	p = r->data + r->pos;
	if (memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = p[4] == 0 ? 1 : p[4] - '0';
	h->isutcnt = time_be32(p + 20);
	h->isstdcnt = time_be32(p + 24);
	h->leapcnt = time_be32(p + 28);
	h->timecnt = time_be32(p + 32);
	h->typecnt = time_be32(p + 36);
	h->charcnt = time_be32(p + 40);
	if (h->isutcnt > TIME_TZIF_COUNT_MAX ||
	    h->isstdcnt > TIME_TZIF_COUNT_MAX ||
	    h->leapcnt > TIME_TZIF_COUNT_MAX ||
	    h->timecnt > TIME_TZIF_COUNT_MAX ||
	    h->typecnt > 256 ||
	    h->charcnt > TIME_TZIF_COUNT_MAX)
		return -1;
	r->pos += 44;
	return 0;
}

static size_t time_tzif_block(const struct time_tzif_header *h,
			      size_t time_size)
{
	return (size_t)h->timecnt * time_size + h->timecnt +
	       (size_t)h->typecnt * 6 + h->charcnt +
	       (size_t)h->leapcnt * (time_size + 4) + h->isstdcnt +
	       h->isutcnt;
}

static int time_tzif_bad(const char **why, const char *reason)
{
	*why = reason;
	return SG_ERR_CONFIG;
}

/*
 * Parses a TZif image (RFC 8536) into z.  Returns SG_OK, SG_ERR_NOMEM, or
 * SG_ERR_CONFIG with *why set to a short reason.
 */
static int time_tzif_parse(struct sg_zone *z, const unsigned char *data,
			   size_t len, const char **why)
{
	struct time_reader r = {data, len, 0};
	struct time_tzif_header h;
	const unsigned char *times, *idx, *types;
	size_t time_size = 4, block, i;
	long offsets[256];

	if (time_tzif_header(&r, &h) != 0)
		return time_tzif_bad(why, "not a TZif file");
	if (h.version >= 2) {
		/* Skip the 32-bit data; the 64-bit block follows. */
		block = time_tzif_block(&h, 4);
		if (!time_need(&r, block))
			return time_tzif_bad(why, "truncated TZif file");
		r.pos += block;
		if (time_tzif_header(&r, &h) != 0)
			return time_tzif_bad(why, "bad second TZif header");
		time_size = 8;
	}
	block = time_tzif_block(&h, time_size);
	if (!time_need(&r, block))
		return time_tzif_bad(why, "truncated TZif file");
	if (h.typecnt == 0)
		return time_tzif_bad(why, "the zone has no local time types");
	if (h.leapcnt != 0)
		return time_tzif_bad(why, "the zone counts leap seconds "
				     "(use the zone without right/)");
	times = r.data + r.pos;
	idx = times + (size_t)h.timecnt * time_size;
	types = idx + h.timecnt;
	for (i = 0; i < h.typecnt; i++) {
		int32_t off = (int32_t)time_be32(types + i * 6);

		if (off < -25 * 3600 || off > 26 * 3600)
			return time_tzif_bad(why, "a UT offset is out of "
					     "range");
		offsets[i] = off;
	}
	r.pos += block;
	z->before = offsets[0];
	z->count = h.timecnt;
	if (h.timecnt > 0) {
		z->when = malloc(h.timecnt * sizeof(*z->when));
		z->after = malloc(h.timecnt * sizeof(*z->after));
		if (z->when == NULL || z->after == NULL)
			return SG_ERR_NOMEM;
	}
	for (i = 0; i < h.timecnt; i++) {
		if (time_size == 8)
			z->when[i] = time_be64(times + i * 8);
		else
			z->when[i] = (int32_t)time_be32(times + i * 4);
		if (i > 0 && z->when[i] <= z->when[i - 1])
			return time_tzif_bad(why, "transition times are not "
					     "ascending");
		if (idx[i] >= h.typecnt)
			return time_tzif_bad(why, "a transition names an "
					     "unknown type");
		z->after[i] = offsets[idx[i]];
	}
	if (h.version >= 2 && time_need(&r, 1) && r.data[r.pos] == '\n') {
		const char *s = (const char *)r.data + r.pos + 1;
		const char *end = memchr(s, '\n', r.len - r.pos - 1);

		if (end == NULL)
			return time_tzif_bad(why, "unterminated TZif "
					     "footer");
		if (end > s) {
			if (time_rule_parse(s, end, &z->rule) != 0)
				return time_tzif_bad(why, "unreadable TZ rule "
						     "in the TZif footer");
			z->has_rule = 1;
		}
	}
	return SG_OK;
}

/*
 * Reads a whole regular file of at most TIME_TZIF_MAX bytes.  Returns 0
 * or an errno value.
 */
static int time_read_file(const char *path, unsigned char **out,
			  size_t *out_len)
{
	unsigned char *buf = NULL;
	struct stat st;
	size_t len = 0, size, got;
	FILE *f;
	int rc = 0;

	f = fopen(path, "rb");
	if (f == NULL)
		return errno ? errno : EIO;
	if (fstat(fileno(f), &st) != 0) {
		rc = errno ? errno : EIO;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = EINVAL;
		goto out;
	}
	if (st.st_size > TIME_TZIF_MAX) {
		rc = EFBIG;
		goto out;
	}
	/* One byte more than the size tells a file that grew. */
	size = (size_t)st.st_size + 1;
	buf = malloc(size);
	if (buf == NULL) {
		rc = ENOMEM;
		goto out;
	}
	while (len < size) {
		got = fread(buf + len, 1, size - len, f);
		if (got == 0)
			break;
		len += got;
	}
	if (ferror(f))
		rc = errno ? errno : EIO;
	else if (len == size)
		rc = EFBIG;
out:
	fclose(f);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

static int time_zone_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > TIME_ZONE_NAME_MAX || name[0] == '/' ||
	    strstr(name, "..") != NULL)
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      time_is_digit(c) || c == '/' || c == '_' || c == '-' ||
		      c == '+' || c == '.'))
			return 0;
	}
	return 1;
}

static int time_ascii_ieq(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		if (time_lower(*a) != time_lower(*b))
			return 0;
		a++;
		b++;
	}
	return *a == *b;
}

#define TIME_ZONE_EXAMPLE \
	"expected UTC, an offset like +02:00 or an IANA name like " \
	"Europe/London"

int sg_zone_open(struct sg_zone **out, const char *name, struct sg_error *err)
{
	char quoted[TIME_QUOTE_SIZE];
	char path[TIME_PATH_MAX];
	struct sg_zone *z = NULL;
	unsigned char *data = NULL;
	const char *dir, *why;
	size_t data_len = 0;
	int rc = SG_OK, sys;

	*out = NULL;
	if (name == NULL)
		name = "";
	sg_quote(name, strlen(name), TIME_QUOTE_MAX, quoted, sizeof(quoted));
	z = calloc(1, sizeof(*z));
	if (z == NULL)
		return sg_error_set(err, SG_ERR_NOMEM,
				    "out of memory opening zone \"%s\"",
				    quoted);
	if (time_ascii_ieq(name, "UTC") || time_ascii_ieq(name, "Z") ||
	    time_ascii_ieq(name, "GMT")) {
		z->fixed = 1;
		goto out;
	}
	if (name[0] == '+' || name[0] == '-') {
		const char *p = name + 1, *end = name + strlen(name);
		int sign = name[0] == '-' ? -1 : 1;

		if (time_offset_body(&p, end, sign, 1, &z->offset) != 0 ||
		    p != end) {
			rc = sg_error_set(err, SG_ERR_CONFIG,
					  "time zone \"%s\" is not a valid "
					  "offset (expected +hh:mm, +hhmm or "
					  "+hh, hours 00-23)", quoted);
			goto out;
		}
		z->fixed = 1;
		goto out;
	}
	if (!time_zone_name_ok(name)) {
		rc = sg_error_set(err, SG_ERR_CONFIG,
				  "time zone \"%s\" is not a valid zone name "
				  "(%s)", quoted, TIME_ZONE_EXAMPLE);
		goto out;
	}
	dir = getenv("TZDIR");
	if (dir == NULL || dir[0] == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		rc = sg_error_set(err, SG_ERR_CONFIG,
				  "time zone \"%s\": the path is too long",
				  quoted);
		goto out;
	}
	sys = time_read_file(path, &data, &data_len);
	if (sys == ENOMEM) {
		rc = sg_error_set(err, SG_ERR_NOMEM,
				  "out of memory reading time zone \"%s\"",
				  quoted);
		goto out;
	}
	if (sys != 0) {
		rc = sg_error_set(err, SG_ERR_CONFIG,
				  "unknown time zone \"%s\": %s: %s (%s)",
				  quoted, path, strerror(sys),
				  TIME_ZONE_EXAMPLE);
		goto out;
	}
	why = "";
	rc = time_tzif_parse(z, data, data_len, &why);
	if (rc == SG_ERR_NOMEM) {
		rc = sg_error_set(err, SG_ERR_NOMEM,
				  "out of memory reading time zone \"%s\"",
				  quoted);
		goto out;
	}
	if (rc != SG_OK) {
		rc = sg_error_set(err, SG_ERR_CONFIG,
				  "time zone \"%s\": %s: %s", quoted, path,
				  why);
		goto out;
	}
out:
	free(data);
	if (rc != SG_OK) {
		sg_zone_free(z);
		return rc;
	}
	*out = z;
	return SG_OK;
}

/* ---------------------------------------------------------------- */
/* strptime-style formats                                            */

struct time_fmt {
	long year;
	int have_year;
	int two_digit_year;
	long month, day, yday;
	int have_month, have_day, have_yday;
	long hour, hour12, minute, second;
	int have_hour12, have_ampm, pm;
	int have_offset;
	long offset;
	/* for messages */
	const char *text;
	size_t text_len;
	const char *format;
};

static int time_fmt_fail(struct sg_error *err, const struct time_fmt *st,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int time_fmt_fail(struct sg_error *err, const struct time_fmt *st,
			 const char *fmt, ...)
{
	char quoted[TIME_QUOTE_SIZE];
	char qformat[TIME_QUOTE_SIZE];
	char why[300];
	va_list ap;

	if (err == NULL)
		return SG_ERR_PARSE;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return sg_error_set(err, SG_ERR_PARSE,
			    "cannot read \"%s\" as a time with format \"%s\": "
			    "%s",
			    sg_quote(st->text, st->text_len, TIME_QUOTE_MAX,
				     quoted, sizeof(quoted)),
			    sg_quote(st->format, strlen(st->format),
				     TIME_QUOTE_MAX, qformat, sizeof(qformat)),
			    why);
}

/* Fails with "expected WHAT at "REST"". */
static int time_fmt_expected(struct sg_error *err, const struct time_fmt *st,
			     const char *what, const char *p,
			     const char *end)
{
	char rest[TIME_QUOTE_SIZE];

	if (p == end)
		return time_fmt_fail(err, st, "expected %s at the end of the "
				     "text", what);
	return time_fmt_fail(err, st, "expected %s at \"%s\"", what,
			     sg_quote(p, (size_t)(end - p), TIME_QUOTE_MAX,
				      rest, sizeof(rest)));
}

static const char *const time_month_names[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};

/* Matches an English month name, full or three letters, any case. */
static int time_fmt_month_name(const char **p, const char *end, long *month)
{
	size_t avail = (size_t)(end - *p);
	int i;

	for (i = 0; i < 12; i++) {
		const char *name = time_month_names[i];
		size_t n = strlen(name), k;

		for (k = 0; k < n && k < avail; k++) {
			if (time_lower((*p)[k]) != name[k])
				break;
		}
		if (k == n || k >= 3) {
			/* Full name, else the three-letter abbreviation. */
			*p += k == n ? n : 3;
			*month = i + 1;
			return 0;
		}
	}
	return -1;
}

/* Matches word (lower case) ignoring case. */
static int time_fmt_word(const char **p, const char *end, const char *word)
{
	size_t n = strlen(word), k;

	if ((size_t)(end - *p) < n)
		return -1;
	for (k = 0; k < n; k++) {
		if (time_lower((*p)[k]) != word[k])
			return -1;
	}
	*p += n;
	return 0;
}

static int time_fmt_number(struct time_fmt *st, const char **p,
			   const char *end, int min, int max, long lo,
			   long hi, const char *what, long *val,
			   struct sg_error *err)
{
	const char *start = *p;

	if (time_digits(p, end, min, max, val) == 0)
		return time_fmt_expected(err, st, what, start, end);
	if (*val < lo || *val > hi)
		return time_fmt_fail(err, st, "%s %ld is out of range",
				     what, *val);
	return SG_OK;
}

static int time_fmt_match(struct time_fmt *st, const char *f,
			  const char **pp, const char *end, int depth,
			  struct sg_error *err);

static int time_fmt_conversion(struct time_fmt *st, char conv,
			       const char **pp, const char *end, int depth,
			       struct sg_error *err)
{
	const char *p = *pp;
	long v;
	int rc = SG_OK;

	switch (conv) {
	case 'Y':
		rc = time_fmt_number(st, &p, end, 4, 4, 0, 9999,
				     "a 4-digit year (%Y)", &st->year, err);
		st->have_year = 1;
		st->two_digit_year = 0;
		break;
	case 'y':
		rc = time_fmt_number(st, &p, end, 1, 2, 0, 99,
				     "a 2-digit year (%y)", &st->year, err);
		st->have_year = 1;
		st->two_digit_year = 1;
		break;
	case 'm':
		rc = time_fmt_number(st, &p, end, 1, 2, 1, 12,
				     "a month (%m)", &st->month, err);
		st->have_month = 1;
		break;
	case 'e':
		while (p < end && *p == ' ')
			p++;
		/* fall through */
	case 'd':
		rc = time_fmt_number(st, &p, end, 1, 2, 1, 31,
				     "a day of the month", &st->day, err);
		st->have_day = 1;
		break;
	case 'j':
		rc = time_fmt_number(st, &p, end, 1, 3, 1, 366,
				     "a day of the year (%j)", &st->yday, err);
		st->have_yday = 1;
		break;
	case 'H':
		rc = time_fmt_number(st, &p, end, 1, 2, 0, 23,
				     "an hour (%H)", &st->hour, err);
		st->have_hour12 = 0;
		break;
	case 'I':
		rc = time_fmt_number(st, &p, end, 1, 2, 1, 12,
				     "an hour 1-12 (%I)", &st->hour12, err);
		st->have_hour12 = 1;
		break;
	case 'M':
		rc = time_fmt_number(st, &p, end, 1, 2, 0, 59,
				     "minutes (%M)", &st->minute, err);
		break;
	case 'S':
		rc = time_fmt_number(st, &p, end, 1, 2, 0, 59,
				     "seconds (%S)", &st->second, err);
		break;
	case 'f':
		/* Fractional seconds are truncated (§10 rule 1). */
		if (time_digits(&p, end, 1, 1, &v) == 0)
			return time_fmt_expected(err, st,
						 "fraction digits (%f)", p,
						 end);
		while (p < end && time_is_digit(*p))
			p++;
		break;
	case 'p':
		if (time_fmt_word(&p, end, "am") == 0) {
			st->pm = 0;
		} else if (time_fmt_word(&p, end, "pm") == 0) {
			st->pm = 1;
		} else {
			return time_fmt_expected(err, st, "AM or PM (%p)", p,
						 end);
		}
		st->have_ampm = 1;
		break;
	case 'b':
	case 'B':
	case 'h':
		if (time_fmt_month_name(&p, end, &st->month) != 0)
			return time_fmt_expected(err, st,
						 "an English month name (%b)",
						 p, end);
		st->have_month = 1;
		break;
	case 'z':
		if (p < end && (*p == 'Z' || *p == 'z')) {
			p++;
			st->offset = 0;
		} else if (p < end && (*p == '+' || *p == '-')) {
			const char *s = p + 1;
			int sign = *p == '-' ? -1 : 1;
			int orc = time_offset_body(&s, end, sign, 1,
						   &st->offset);

			if (orc == -2)
				return time_fmt_fail(err, st, "the offset is "
						     "out of range");
			if (orc != 0)
				return time_fmt_expected(err, st,
							 "an offset like "
							 "+02:00 (%z)", p,
							 end);
			p = s;
		} else {
			return time_fmt_expected(err, st,
						 "an offset like +02:00 (%z)",
						 p, end);
		}
		st->have_offset = 1;
		break;
	case 'Z':
		if (time_fmt_word(&p, end, "utc") != 0 &&
		    time_fmt_word(&p, end, "gmt") != 0)
			return time_fmt_expected(err, st, "UTC or GMT (%Z)",
						 p, end);
		st->have_offset = 1;
		st->offset = 0;
		break;
	case 'T':
		rc = time_fmt_match(st, "%H:%M:%S", &p, end, depth + 1, err);
		break;
	case 'D':
		rc = time_fmt_match(st, "%m/%d/%y", &p, end, depth + 1, err);
		break;
	case 'F':
		rc = time_fmt_match(st, "%Y-%m-%d", &p, end, depth + 1, err);
		break;
	case '%':
		if (p == end || *p != '%')
			return time_fmt_expected(err, st, "'%'", p, end);
		p++;
		break;
	default:
		if (conv == '\0')
			return time_fmt_fail(err, st, "the format ends with "
					     "a lone '%%'");
		return time_fmt_fail(err, st, "the format uses %%%c, which "
				     "is not supported (use %%Y %%y %%m %%d "
				     "%%e %%H %%I %%M %%S %%p %%b %%B %%j "
				     "%%f %%z %%Z %%T %%D %%F %%%%)", conv);
	}
	if (rc == SG_OK)
		*pp = p;
	return rc;
}

static int time_fmt_match(struct time_fmt *st, const char *f,
			  const char **pp, const char *end, int depth,
			  struct sg_error *err)
{
	const char *p = *pp;
	int rc;

	if (depth > 2)
		return time_fmt_fail(err, st, "the format nests too deeply");
	while (*f != '\0') {
		if (time_is_space(*f)) {
			while (time_is_space(*f))
				f++;
			while (p < end && time_is_space(*p))
				p++;
			continue;
		}
		if (*f == '%') {
			rc = time_fmt_conversion(st, f[1], &p, end, depth,
						 err);
			if (rc != SG_OK)
				return rc;
			f += 2;
			continue;
		}
		if (p == end || *p != *f) {
			char lit[4] = {'\'', *f, '\'', '\0'};

			return time_fmt_expected(err, st, lit, p, end);
		}
		p++;
		f++;
	}
	*pp = p;
	return SG_OK;
}

int sg_time_parse_format(sg_time *out, const char *text, size_t len,
			 const char *format, const struct sg_zone *zone,
			 struct sg_error *err)
{
	struct time_fmt st;
	const char *p, *end;
	int64_t year, local;
	long hour;
	int rc;

	memset(&st, 0, sizeof(st));
	if (text == NULL)
		len = 0;
	st.text = text;
	st.text_len = len;
	st.format = format == NULL ? "" : format;
	time_trim(&text, &len);
	p = text;
	end = text + len;
	if (len == 0)
		return time_fmt_fail(err, &st, "the text is empty");
	rc = time_fmt_match(&st, st.format, &p, end, 0, err);
	if (rc != SG_OK)
		return rc;
	if (p != end) {
		char rest[TIME_QUOTE_SIZE];

		return time_fmt_fail(err, &st, "unexpected \"%s\" after the "
				     "end of the format",
				     sg_quote(p, (size_t)(end - p),
					      TIME_QUOTE_MAX, rest,
					      sizeof(rest)));
	}
	if (!st.have_year)
		return time_fmt_fail(err, &st, "the format gives no year "
				     "(%%Y or %%y)");
	year = st.year;
	if (st.two_digit_year)
		year += st.year < 69 ? 2000 : 1900;
	if (st.have_month || st.have_day) {
		if (!st.have_month)
			return time_fmt_fail(err, &st, "the format gives a "
					     "day but no month");
		if (!st.have_day)
			return time_fmt_fail(err, &st, "the format gives a "
					     "month but no day");
		if (st.day > time_days_in_month(year, (int)st.month))
			return time_fmt_fail(err, &st, "day %ld is out of "
					     "range for %04d-%02ld", st.day,
					     (int)year, st.month);
	} else if (st.have_yday) {
		long left = st.yday;
		int m = 1;

		if (left > (time_is_leap(year) ? 366 : 365))
			return time_fmt_fail(err, &st, "day of the year %ld "
					     "is out of range for %04d",
					     st.yday, (int)year);
		while (left > time_days_in_month(year, m)) {
			left -= time_days_in_month(year, m);
			m++;
		}
		st.month = m;
		st.day = left;
	} else {
		return time_fmt_fail(err, &st, "the format gives no month "
				     "and day (%%m %%d, %%b %%d or %%j)");
	}
	if (st.have_hour12 && !st.have_ampm)
		return time_fmt_fail(err, &st, "the format uses %%I without "
				     "%%p, so AM and PM cannot be told apart");
	if (st.have_ampm && !st.have_hour12)
		return time_fmt_fail(err, &st, "the format uses %%p without "
				     "%%I");
	hour = st.hour;
	if (st.have_hour12)
		hour = st.hour12 % 12 + (st.pm ? 12 : 0);
	local = sg_days_from_civil(year, (unsigned)st.month,
				   (unsigned)st.day) * 86400 +
		hour * 3600 + st.minute * 60 + st.second;
	if (st.have_offset)
		*out = local - st.offset;
	else
		*out = sg_zone_to_utc(zone, local);
	return SG_OK;
}
