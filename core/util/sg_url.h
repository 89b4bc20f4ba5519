/*
 * sg_url.h - URLs for the CRM connectors: percent-encoding (RFC 3986: all
 * but the unreserved A-Z a-z 0-9 - . _ ~) and a URL built piece by piece,
 * path segments and query parameters each encoded, so a value holding
 * '&', '=', '/' or spaces can never change the request's shape.
 */
#ifndef SG_URL_H
#define SG_URL_H

#include <stddef.h>

/*
 * Writes text percent-encoded into out (size bytes, NUL-terminated when
 * size > 0) and returns the length the whole encoding needs, as snprintf
 * does: a result >= size means out was cut.
 */
size_t sg_url_encode(char *out, size_t size, const char *text);

/*
 * An application/x-www-form-urlencoded body (an OAuth token request):
 * count / 2 name, value pairs, each value percent-encoded.  malloc'd;
 * NULL out of memory.
 */
char *sg_url_form(const char *const *pairs, size_t count);

/* A URL being built; start with sg_url_init() and the base. */
struct sg_url {
	char *s;
	size_t len, cap;
	int has_query;          /* a '?' is in s */
	int failed;             /* out of memory: every call after fails */
};

/* Starts with base as given ("https://api.hubapi.com"); a base that
 * already has a query gets the next parameters with '&'.  0, or -1 out
 * of memory. */
int sg_url_init(struct sg_url *u, const char *base);

/* Appends "/" and the segment encoded ("a/b" becomes "a%2Fb"): -1
 * after a query was started or out of memory. */
int sg_url_add_segment(struct sg_url *u, const char *segment);

/* Appends "?key=value" or "&key=value", both encoded.  0 or -1. */
int sg_url_add_param(struct sg_url *u, const char *key, const char *value);

/* The URL so far (never NULL after a successful init). */
const char *sg_url_text(const struct sg_url *u);

/* Accepts a URL never initialized only when zeroed. */
void sg_url_release(struct sg_url *u);

#endif
