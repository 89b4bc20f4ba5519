/*
 * sg_zone.c - time zones: a fixed offset, or a TZif file from the system's
 * zoneinfo (its transitions and the POSIX TZ rule of its footer), and a
 * local time turned into UTC.  Nothing here reads the process's TZ.
 */
#include "sg_time_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sg_error.h"

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
	if (sg_time_digits(&s, end, 1, 3, &hh) == 0 || hh > max_hh)
		return -1;
	if (s < end && *s == ':') {
		s++;
		if (sg_time_digits(&s, end, 1, 2, &mm) == 0 || mm > 59)
			return -1;
		if (s < end && *s == ':') {
			s++;
			if (sg_time_digits(&s, end, 1, 2, &ss) == 0 || ss > 59)
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
		if (sg_time_digits(&s, end, 1, 2, &a) == 0 || a < 1 || a > 12)
			return -1;
		if (s == end || *s != '.')
			return -1;
		s++;
		if (sg_time_digits(&s, end, 1, 1, &b) == 0 || b < 1 || b > 5)
			return -1;
		if (s == end || *s != '.')
			return -1;
		s++;
		if (sg_time_digits(&s, end, 1, 1, &c) == 0 || c > 6)
			return -1;
		d->kind = TIME_RULE_MWD;
		d->month = (int)a;
		d->week = (int)b;
		d->wday = (int)c;
	} else if (s < end && *s == 'J') {
		s++;
		if (sg_time_digits(&s, end, 1, 3, &a) == 0 || a < 1 || a > 365)
			return -1;
		d->kind = TIME_RULE_JULIAN1;
		d->n = (int)a;
	} else {
		if (sg_time_digits(&s, end, 1, 3, &a) == 0 || a > 365)
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
		       (sg_time_is_leap(year) && d->n >= 60 ? 1 : 0);
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
	mdays = sg_time_days_in_month(year, d->month);
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
		      sg_time_is_digit(c) || c == '/' || c == '_' || c == '-' ||
		      c == '+' || c == '.'))
			return 0;
	}
	return 1;
}

static int time_ascii_ieq(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		if (sg_time_lower(*a) != sg_time_lower(*b))
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

		if (sg_time_offset_body(&p, end, sign, 1, &z->offset) != 0 ||
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
