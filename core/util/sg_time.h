/*
 * sg_time.h - UTC instants as integer seconds, parsed from the forms the
 * contract allows (DESIGN §3, §10 rules 1-3) or from an explicit
 * strptime-style format in a stated zone (the csv mapping).
 */
#ifndef SG_TIME_H
#define SG_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

typedef int64_t sg_time;

/* The absent time (an optional time that is empty or missing). */
#define SG_TIME_NONE INT64_MIN

/* Length of an ISO-8601 UTC text "YYYY-MM-DDTHH:MM:SSZ" plus NUL. */
#define SG_TIME_ISO_SIZE 21

/*
 * Parses an ISO-8601 instant: a bare date (midnight UTC), or a date and a
 * time separated by 'T' or a space, seconds optional, fractional seconds
 * truncated, then 'Z', 'z', +hh:mm, +hhmm, -hh:mm or -hhmm.  A date-time
 * without a zone is an error unless default_offset_ok is nonzero, in which
 * case default_offset (seconds east of UTC) applies.  text need not be
 * NUL-terminated.  Returns SG_OK and sets *out, or SG_ERR_PARSE with a
 * message quoting the text.
 */
int sg_time_parse_iso(sg_time *out, const char *text, size_t len,
		      int default_offset_ok, long default_offset,
		      struct sg_error *err);

/*
 * A time zone for local times: a fixed offset or an IANA name.  Resolving
 * an IANA name reads the system zone database (TZif files under
 * /usr/share/zoneinfo or $TZDIR) once, at open, and then converts without
 * touching the process's TZ.
 */
struct sg_zone;

/*
 * Opens a zone: "UTC", "Z", a fixed offset ("+02:00", "-0500"), or an IANA
 * name ("Europe/London").  Returns SG_OK and a zone the caller frees with
 * sg_zone_free(), or SG_ERR_CONFIG naming the zone.
 */
int sg_zone_open(struct sg_zone **out, const char *name, struct sg_error *err);
/* Accepts NULL. */
void sg_zone_free(struct sg_zone *zone);

/*
 * Converts a local civil time (seconds since the epoch as if it were UTC)
 * in zone to UTC.  A time in a gap (spring forward) maps forward by the
 * gap; an ambiguous time (fall back) takes the earlier instant.
 */
sg_time sg_zone_to_utc(const struct sg_zone *zone, sg_time local);

/*
 * Parses text against a strptime-style format in zone.  Supported
 * conversions: %Y %y %m %d %e %H %I %M %S %p %b %B %j %f (fraction,
 * ignored) %z (an offset in the text, which overrides zone) %Z (the word
 * UTC or GMT) %T %D %F %% and literal characters; white space in the
 * format matches any run of white space.  The whole text must be consumed.
 * Returns SG_OK or SG_ERR_PARSE quoting the text and the format.
 */
int sg_time_parse_format(sg_time *out, const char *text, size_t len,
			 const char *format, const struct sg_zone *zone,
			 struct sg_error *err);

/*
 * An HTTP date (RFC 9110 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"),
 * as a Date header gives the server's clock.  Returns SG_OK, or
 * SG_ERR_PARSE for NULL or any other text.
 */
int sg_time_parse_http_date(sg_time *out, const char *text,
			    struct sg_error *err);

/* Days since 1970-01-01 for a proleptic Gregorian date (any year). */
int64_t sg_days_from_civil(int64_t year, unsigned month, unsigned day);

/* The proleptic Gregorian date of a day number (any year). */
void sg_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

/* The UTC day number (floor division) of an instant. */
int64_t sg_time_day(sg_time t);

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into buf (>= SG_TIME_ISO_SIZE). */
char *sg_time_format_iso(sg_time t, char *buf);

/* Writes the UTC date of t as "YYYY-MM-DD" into buf (>= 11 bytes). */
char *sg_time_format_date(sg_time t, char *buf);

#endif
