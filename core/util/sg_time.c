/*
 * sg_time.c - ISO-8601 and strptime-style parsing into UTC seconds, and
 * UTC formatting.  Time zones (fixed offsets, TZif files) are in
 * sg_zone.c.
 *
 * Nothing here touches the process's TZ, locale, timegm(), mktime() or
 * strptime(): they depend on the environment and would read the same text
 * differently on two machines.  Calendar arithmetic uses Howard Hinnant's
 * days_from_civil / civil_from_days, exact for every proleptic Gregorian
 * year.
 */
#include "sg_time_int.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#define TIME_ISO_EXAMPLE "ISO-8601 like 2026-11-02T16:45:00Z"

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

int sg_time_is_leap(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int sg_time_days_in_month(int64_t year, int month)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (month == 2 && sg_time_is_leap(year))
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

/* Writes val (0-99) as two digits. */
static void time_put2(char *buf, int64_t val)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324"
		"25262728293031323334353637383940414243444546474849"
		"50515253545556575859606162636465666768697071727374"
		"75767778798081828384858687888990919293949596979899";

	memcpy(buf, pairs + 2 * val, 2);
}

/*
 * The calendar dates of the days formatted lately: times come in runs of
 * a few hundred days (a deal's history, a run's exceptions), and finding
 * the date was most of formatting one.  A day's entry is the slot of its
 * number modulo TIME_DATE_SLOTS (every day of any 2.8 years a slot of its
 * own).  A slot is one 64-bit word, so threads share the table without
 * a lock: the day (from 0000-01-01, plus 1; 0: none) in bits 23-44, the
 * year in 9-22, the month in 5-8, the day of the month in 0-4.  Not
 * thread-local storage: plugins are loaded with dlopen, and a thread-
 * local in a loaded library made LeakSanitizer's exit check crash.
 */
#define TIME_DATE_SLOTS 1024u

static _Atomic uint64_t time_date_cache[TIME_DATE_SLOTS];

#define TIME_DAY_0000 (-719528LL)       /* 0000-01-01, in days */

static void time_date_of(int64_t day, int64_t *year, int *month, int *mday)
{
	uint64_t key = (uint64_t)(day - TIME_DAY_0000) + 1, c;
	_Atomic uint64_t *slot = &time_date_cache[key % TIME_DATE_SLOTS];

	c = atomic_load_explicit(slot, memory_order_relaxed);
	if ((c >> 23) == key) {
		*year = (int64_t)((c >> 9) & 0x3fff);
		*month = (int)((c >> 5) & 0xf);
		*mday = (int)(c & 0x1f);
		return;
	}
	sg_civil_from_days(day, year, month, mday);
	c = key << 23 | (uint64_t)*year << 9 | (uint64_t)*month << 5 |
	    (uint64_t)*mday;
	atomic_store_explicit(slot, c, memory_order_relaxed);
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
	time_date_of(day, &year, &month, &mday);
	memcpy(buf, "0000-00-00T00:00:00Z", SG_TIME_ISO_SIZE);
	time_put(buf, year, 4);
	time_put2(buf + 5, month);
	time_put2(buf + 8, mday);
	time_put2(buf + 11, rem / 3600);
	time_put2(buf + 14, rem / 60 % 60);
	time_put2(buf + 17, rem % 60);
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

int sg_time_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

char sg_time_lower(char c)
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


/*
 * Reads between min and max digits at *p (before end) into *val; returns
 * the number of digits read, or 0 when fewer than min are there.
 */
int sg_time_digits(const char **p, const char *end, int min, int max,
		   long *val)
{
	const char *s = *p;
	long v = 0;
	int n = 0;

	while (s < end && n < max && sg_time_is_digit(*s)) {
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
int sg_time_offset_body(const char **p, const char *end, int sign,
			int allow_hh, long *off)
{
	const char *s = *p;
	long hh, mm = 0;

	if (sg_time_digits(&s, end, 2, 2, &hh) == 0)
		return -1;
	if (s < end && *s == ':') {
		s++;
		if (sg_time_digits(&s, end, 2, 2, &mm) == 0)
			return -1;
	} else if (sg_time_digits(&s, end, 2, 2, &mm) == 0) {
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
	if (day > sg_time_days_in_month(year, month))
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
	if (sg_time_digits(&p, end, 4, 4, &year) == 0)
		return time_iso_fail(err, orig, orig_len,
				     "it does not start with a 4-digit year");
	if (p == end || *p != '-')
		return time_iso_fail(err, orig, orig_len,
				     "expected '-' after the year");
	p++;
	if (sg_time_digits(&p, end, 2, 2, &month) == 0)
		return time_iso_fail(err, orig, orig_len,
				     "expected a 2-digit month after the "
				     "year");
	if (p == end || *p != '-')
		return time_iso_fail(err, orig, orig_len,
				     "expected '-' after the month");
	p++;
	if (sg_time_digits(&p, end, 2, 2, &day) == 0)
		return time_iso_fail(err, orig, orig_len,
				     "expected a 2-digit day after the month");
	if (month < 1 || month > 12)
		return time_iso_fail(err, orig, orig_len,
				     "month %ld is out of range", month);
	if (day < 1 || day > sg_time_days_in_month(year, (int)month))
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
	if (sg_time_digits(&p, end, 2, 2, &hour) == 0)
		return time_iso_fail(err, orig, orig_len,
				     "expected a 2-digit hour after the date");
	if (p == end || *p != ':')
		return time_iso_fail(err, orig, orig_len,
				     "expected ':' after the hour");
	p++;
	if (sg_time_digits(&p, end, 2, 2, &minute) == 0)
		return time_iso_fail(err, orig, orig_len,
				     "expected 2-digit minutes after the "
				     "hour");
	if (p < end && *p == ':') {
		p++;
		if (sg_time_digits(&p, end, 2, 2, &second) == 0)
			return time_iso_fail(err, orig, orig_len,
					     "expected 2-digit seconds after "
					     "the minutes");
		if (p < end && (*p == '.' || *p == ',')) {
			long ignored;

			/* Fractional seconds are truncated (§10 rule 1). */
			p++;
			if (sg_time_digits(&p, end, 1, 1, &ignored) == 0)
				return time_iso_fail(err, orig, orig_len,
						     "expected digits after "
						     "the decimal point");
			while (p < end && sg_time_is_digit(*p))
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
		rc = sg_time_offset_body(&p, end, sign, 0, &off);
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
			if (sg_time_lower((*p)[k]) != name[k])
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
		if (sg_time_lower((*p)[k]) != word[k])
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

	if (sg_time_digits(p, end, min, max, val) == 0)
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
		if (sg_time_digits(&p, end, 1, 1, &v) == 0)
			return time_fmt_expected(err, st,
						 "fraction digits (%f)", p,
						 end);
		while (p < end && sg_time_is_digit(*p))
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
			int orc = sg_time_offset_body(&s, end, sign, 1,
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
		if (st.day > sg_time_days_in_month(year, (int)st.month))
			return time_fmt_fail(err, &st, "day %ld is out of "
					     "range for %04d-%02ld", st.day,
					     (int)year, st.month);
	} else if (st.have_yday) {
		long left = st.yday;
		int m = 1;

		if (left > (sg_time_is_leap(year) ? 366 : 365))
			return time_fmt_fail(err, &st, "day of the year %ld "
					     "is out of range for %04d",
					     st.yday, (int)year);
		while (left > sg_time_days_in_month(year, m)) {
			left -= sg_time_days_in_month(year, m);
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

int sg_time_parse_http_date(sg_time *out, const char *text,
			    struct sg_error *err)
{
	const char *comma = text != NULL ? strchr(text, ',') : NULL;

	if (comma == NULL)
		return sg_error_set(err, SG_ERR_PARSE, "not an HTTP date: "
				    "\"%.40s\"", text != NULL ? text : "");
	/* The weekday says nothing the date does not. */
	comma += 1 + strspn(comma + 1, " ");
	return sg_time_parse_format(out, comma, strlen(comma),
				    "%d %b %Y %H:%M:%S %Z", NULL, err);
}
