/*
 * sg_missing.c - the one "missing value" rule (DESIGN §4, §10 rule 4).
 *
 * Called for every field of every record, so it allocates nothing and
 * reads each byte at most a few times.
 */
#include "sg_missing.h"

#include <stdint.h>
#include <string.h>

static int missing_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f';
}

const char *sg_trim(const char *text, size_t *len)
{
	size_t n;

	if (text == NULL) {
		*len = 0;
		return text;
	}
	n = *len;
	while (n > 0 && missing_is_space(*text)) {
		text++;
		n--;
	}
	while (n > 0 && missing_is_space(text[n - 1]))
		n--;
	*len = n;
	return text;
}

/*
 * Non-ASCII code points that are punctuation, symbols or spaces, not
 * letters or digits: Latin-1 punctuation and signs, general punctuation
 * through miscellaneous symbols and arrows, CJK punctuation, vertical and
 * small forms, and the fullwidth ASCII punctuation.  U+FEFF (a stray byte
 * order mark) and U+FFFD (the replacement character) are not letters
 * either.  Everything else outside ASCII counts as a letter or digit:
 * better to keep a value in a script we do not know than to call it
 * missing.
 */
static const struct {
	uint32_t lo, hi;
} missing_not_alnum[] = {
	{0x0080, 0x00BF}, {0x00D7, 0x00D7}, {0x00F7, 0x00F7},
	{0x2000, 0x2BFF}, {0x3000, 0x303F}, {0xFE10, 0xFE6F},
	{0xFEFF, 0xFEFF}, {0xFF00, 0xFF0F}, {0xFF1A, 0xFF20},
	{0xFF3B, 0xFF40}, {0xFF5B, 0xFF65}, {0xFFFD, 0xFFFD}
};

static int missing_cp_is_alnum(uint32_t cp)
{
	size_t i;

	for (i = 0; i < sizeof(missing_not_alnum) /
			sizeof(missing_not_alnum[0]); i++) {
		if (cp < missing_not_alnum[i].lo)
			return 1;
		if (cp <= missing_not_alnum[i].hi)
			return 0;
	}
	return 1;
}

/*
 * Decodes one UTF-8 sequence at p (n > 0 bytes available).  Returns its
 * length and sets *cp, or returns 1 with *cp = UINT32_MAX for a byte that
 * does not start a valid sequence (overlong forms, surrogates and values
 * past U+10FFFF are invalid).
 */
static size_t missing_utf8(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0], min;
	size_t need, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		goto invalid;
	}
	if (n < need)
		goto invalid;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			goto invalid;
		c = c << 6 | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		goto invalid;
	*cp = c;
	return need;
invalid:
	*cp = UINT32_MAX;
	return 1;
}

/* Nonzero when text holds at least one letter or digit. */
static int missing_has_alnum(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		uint32_t cp;

		if (c < 0x80) {
			if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z'))
				return 1;
			i++;
			continue;
		}
		i += missing_utf8(p + i, len - i, &cp);
		if (cp != UINT32_MAX && missing_cp_is_alnum(cp))
			return 1;
	}
	return 0;
}

static int missing_ieq(const char *a, const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char x = (unsigned char)a[i];
		unsigned char y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

static int missing_is_placeholder(const char *text, size_t len,
				  const struct sg_placeholders *ph)
{
	size_t i;

	for (i = 0; i < ph->count; i++) {
		const char *word = ph->words[i];
		size_t wlen;

		if (word == NULL)
			continue;
		wlen = strlen(word);
		word = sg_trim(word, &wlen);
		if (wlen == len && missing_ieq(text, word, len))
			return 1;
	}
	return 0;
}

/*
 * Nonzero when the (trimmed) text is a decimal that sg_decimal_parse()
 * reads as zero: an optional sign, then only zeros around at most one
 * point, with at least one digit ("0", "-0", "0.00", ".0", "0.").  Any
 * amount that parses and equals zero has exactly this shape, so no
 * parsing or error message is needed.
 */
static int missing_is_zero_amount(const char *text, size_t len)
{
	size_t i = 0;
	int digits = 0, point = 0;

	if (len > 0 && (text[0] == '+' || text[0] == '-'))
		i = 1;
	for (; i < len; i++) {
		if (text[i] == '0') {
			digits++;
		} else if (text[i] == '.' && !point) {
			point = 1;
		} else {
			return 0;
		}
	}
	return digits > 0;
}

int sg_value_is_missing(const char *text, size_t len,
			const struct sg_placeholders *placeholders,
			int is_amount)
{
	if (text == NULL)
		return 1;
	text = sg_trim(text, &len);
	if (len == 0)
		return 1;
	if (!missing_has_alnum(text, len))
		return 1;
	if (placeholders != NULL &&
	    missing_is_placeholder(text, len, placeholders))
		return 1;
	if (is_amount && missing_is_zero_amount(text, len))
		return 1;
	return 0;
}
