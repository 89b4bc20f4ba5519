/*
 * sg_missing.h - the one "missing value" rule of DESIGN §4 and §10 rule 4.
 *
 * A value is missing when absent or empty after trimming, when it holds no
 * letter and no digit (Unicode-aware), when it equals a placeholder
 * (case-insensitively, trimmed), or, for an amount, when it is zero.
 */
#ifndef SG_MISSING_H
#define SG_MISSING_H

#include <stddef.h>

/* A borrowed list of placeholder words (from the rules config). */
struct sg_placeholders {
	const char *const *words;
	size_t count;
};

/*
 * Nonzero when text (len bytes, may be NULL) is missing.  is_amount adds
 * the zero-amount rule: a text that parses as a decimal equal to zero.
 * placeholders may be NULL (no placeholders).
 */
int sg_value_is_missing(const char *text, size_t len,
			const struct sg_placeholders *placeholders,
			int is_amount);

/* Returns text with leading and trailing ASCII white space skipped; *len
 * is updated to the trimmed length. */
const char *sg_trim(const char *text, size_t *len);

#endif
