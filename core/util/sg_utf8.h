/*
 * sg_utf8.h - is it UTF-8?  Every text the tool takes in (CSV fields,
 * notes, names) must be, or JSON, SQLite and the reports would each
 * fail in their own way; this says where it is not.
 */
#ifndef SG_UTF8_H
#define SG_UTF8_H

#include <stddef.h>

/*
 * The length of the valid UTF-8 prefix of the n bytes at s: n when all
 * of it is valid.  Overlong forms, surrogates and code points past
 * U+10FFFF are invalid (RFC 3629); NUL is valid here (callers that take
 * C strings refuse it on their own).
 */
size_t sg_utf8_valid_prefix(const char *s, size_t n);

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0. */
size_t sg_utf8_sequence(const unsigned char *s, size_t n);

#endif
