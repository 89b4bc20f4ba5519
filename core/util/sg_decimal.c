/*
 * sg_decimal.c - exact decimal amounts as integer units at a scale.
 *
 * No floating point anywhere: every step is integer arithmetic with an
 * overflow check, so an amount is either read exactly or refused.
 */
#include "sg_decimal.h"

#include <stdio.h>
#include <string.h>

/* How much of a text an error message quotes. */
#define DEC_QUOTE_MAX 64
#define DEC_QUOTE_SIZE (DEC_QUOTE_MAX * 4 + 8)
#define DEC_EXAMPLE "a plain decimal like 12000.50 or -3"

static int dec_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f';
}

static int dec_fail(struct sg_error *err, const char *text, size_t len,
		    const char *why)
{
	char quoted[DEC_QUOTE_SIZE];

	if (err == NULL)
		return SG_ERR_PARSE;
	return sg_error_set(err, SG_ERR_PARSE,
			    "cannot read \"%s\" as an amount: %s (expected "
			    DEC_EXAMPLE ")",
			    sg_quote(text, len, DEC_QUOTE_MAX, quoted,
				     sizeof(quoted)), why);
}

int sg_decimal_parse(struct sg_decimal *out, const char *text, size_t len,
		     struct sg_error *err)
{
	/* 2^63: the magnitude of INT64_MIN. */
	const uint64_t limit_neg = (uint64_t)INT64_MAX + 1;
	const char *p, *end;
	uint64_t mag = 0, limit;
	int negative = 0, scale = 0, digits = 0, point = 0;

	if (text == NULL)
		len = 0;
	p = text;
	end = text + len;
	while (p < end && dec_is_space(*p))
		p++;
	while (end > p && dec_is_space(end[-1]))
		end--;
	if (p == end)
		return dec_fail(err, text, len, "the text is empty");
	if (*p == '+' || *p == '-') {
		negative = *p == '-';
		p++;
	}
	limit = negative ? limit_neg : (uint64_t)INT64_MAX;
	for (; p < end; p++) {
		unsigned d;

		if (*p == '.') {
			if (point)
				return dec_fail(err, text, len,
						"it has two decimal points");
			point = 1;
			continue;
		}
		if (*p < '0' || *p > '9') {
			if (*p == ',')
				return dec_fail(err, text, len,
						"thousands separators are not "
						"allowed");
			if (*p == 'e' || *p == 'E')
				return dec_fail(err, text, len,
						"exponents are not allowed");
			return dec_fail(err, text, len,
					"it holds a character that is not a "
					"digit or a decimal point");
		}
		d = (unsigned)(*p - '0');
		digits++;
		if (point && scale >= SG_DECIMAL_MAX_SCALE) {
			/* Digits past the maximum scale must be zeros:
			 * they are dropped, nothing is rounded. */
			if (d != 0)
				return dec_fail(err, text, len,
						"more than 6 digits after the "
						"decimal point");
			continue;
		}
		if (mag > (limit - d) / 10)
			return dec_fail(err, text, len,
					"the amount is too large");
		mag = mag * 10 + d;
		if (point)
			scale++;
	}
	if (digits == 0)
		return dec_fail(err, text, len, "it has no digits");
	if (negative)
		out->units = mag == limit_neg ? INT64_MIN : -(int64_t)mag;
	else
		out->units = (int64_t)mag;
	out->scale = scale;
	return SG_OK;
}

int sg_decimal_is_zero(const struct sg_decimal *d)
{
	return d->units == 0;
}

int sg_decimal_add(struct sg_decimal *a, const struct sg_decimal *b,
		   struct sg_error *err)
{
	int64_t x = a->units, y = b->units, sum;
	int scale = a->scale > b->scale ? a->scale : b->scale;
	int i;

	for (i = a->scale; i < scale; i++) {
		if (__builtin_mul_overflow(x, 10, &x))
			goto overflow;
	}
	for (i = b->scale; i < scale; i++) {
		if (__builtin_mul_overflow(y, 10, &y))
			goto overflow;
	}
	if (__builtin_add_overflow(x, y, &sum))
		goto overflow;
	a->units = sum;
	a->scale = scale;
	return SG_OK;
overflow:
	return sg_error_set(err, SG_ERR_PARSE,
			    "the sum of the amounts is too large");
}

char *sg_decimal_format(const struct sg_decimal *d, char *buf, size_t size)
{
	char tmp[SG_DECIMAL_TEXT_SIZE + 24];
	uint64_t mag;
	size_t n = 0, i, len;
	int scale = d->scale, k;

	if (size == 0)
		return buf;
	if (scale < 0)
		scale = 0;
	if (scale > 18)
		scale = 18;
	mag = d->units < 0 ? (uint64_t)0 - (uint64_t)d->units :
	      (uint64_t)d->units;
	/* Digits in reverse, at least scale + 1 of them. */
	for (k = 0; mag > 0 || k <= scale; k++) {
		if (k == scale && scale > 0)
			tmp[n++] = '.';
		tmp[n++] = (char)('0' + mag % 10);
		mag /= 10;
	}
	if (d->units < 0)
		tmp[n++] = '-';
	len = n < size - 1 ? n : size - 1;
	for (i = 0; i < len; i++)
		buf[i] = tmp[n - 1 - i];
	buf[len] = '\0';
	return buf;
}
