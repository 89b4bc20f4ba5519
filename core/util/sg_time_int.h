/*
 * sg_time_int.h - internal to core/util: what sg_time.c (parsing,
 * calendar) and sg_zone.c (time zones) share.
 */
#ifndef SG_TIME_INT_H
#define SG_TIME_INT_H

#include <stdint.h>

#include "sg_time.h"

/* How much of a text an error message quotes, and the room for it. */
#define TIME_QUOTE_MAX 64
#define TIME_QUOTE_SIZE (TIME_QUOTE_MAX * 4 + 8)

int sg_time_is_leap(int64_t year);

int sg_time_days_in_month(int64_t year, int month);

int sg_time_is_digit(char c);

char sg_time_lower(char c);

/*
 * Reads between min and max digits at *p (before end) into *val; returns
 * the number of digits read, or 0 when fewer than min are there.
 */
int sg_time_digits(const char **p, const char *end, int min, int max,
		   long *val);

/*
 * Reads an offset after its sign has been seen: hh:mm or hhmm, or also
 * a bare hh when allow_hh.  Returns 0 on success with *off in seconds
 * east, -1 when the form does not match, -2 when a value is out of
 * range.
 */
int sg_time_offset_body(const char **p, const char *end, int sign,
			int allow_hh, long *off);

#endif
