/*
 * sg_decimal.h - exact decimal amounts, never floats.
 *
 * An amount is an integer count of units at a scale (the number of digits
 * after the point as written): "12000.50" is 1200050 at scale 2.  Keeping
 * the written scale lets output reproduce the input exactly.
 */
#ifndef SG_DECIMAL_H
#define SG_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

#define SG_DECIMAL_MAX_SCALE 6
/* Enough for "-9223372036854775808" with a point and NUL. */
#define SG_DECIMAL_TEXT_SIZE 32

struct sg_decimal {
	int64_t units;
	int scale;
};

/*
 * Parses a plain decimal: optional sign, digits, optional point and at most
 * SG_DECIMAL_MAX_SCALE digits, surrounding white space allowed.  No
 * thousands separators, currency symbols or exponents ("$1,000" and "abc"
 * are errors).  Returns SG_OK or SG_ERR_PARSE quoting the text.
 */
int sg_decimal_parse(struct sg_decimal *out, const char *text, size_t len,
		     struct sg_error *err);

/* Nonzero when the amount is zero at any scale. */
int sg_decimal_is_zero(const struct sg_decimal *d);

/*
 * Adds b to a exactly, raising the result to the larger scale.  Returns
 * SG_OK or SG_ERR_PARSE on overflow.
 */
int sg_decimal_add(struct sg_decimal *a, const struct sg_decimal *b,
		   struct sg_error *err);

/* Writes d at its own scale ("12000.50", "-3", "0.007"); returns buf. */
char *sg_decimal_format(const struct sg_decimal *d, char *buf, size_t size);

#endif
