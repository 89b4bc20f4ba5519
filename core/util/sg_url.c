/*
 * sg_url.c - percent-encoding and URLs built piece by piece (sg_url.h).
 */
#include "sg_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int url_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

size_t sg_url_encode(char *out, size_t size, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	size_t n = 0;
	char enc[3];
	int i, w;

	for (; *p != '\0'; p++) {
		if (url_unreserved(*p)) {
			enc[0] = (char)*p;
			w = 1;
		} else {
			enc[0] = '%';
			enc[1] = hex[*p >> 4];
			enc[2] = hex[*p & 15];
			w = 3;
		}
		for (i = 0; i < w; i++, n++)
			if (n + 1 < size)
				out[n] = enc[i];
	}
	if (size > 0)
		out[n < size ? n : size - 1] = '\0';
	return n;
}

/* Room for more bytes and a NUL. */
static int url_reserve(struct sg_url *u, size_t more)
{
	size_t want = u->len + more + 1, cap = u->cap ? u->cap : 64;
	char *grown;

	if (u->failed)
		return -1;
	if (want <= u->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	grown = realloc(u->s, cap);
	if (grown == NULL) {
		u->failed = 1;
		return -1;
	}
	u->s = grown;
	u->cap = cap;
	return 0;
}

static int url_put(struct sg_url *u, const char *text, size_t len)
{
	if (url_reserve(u, len) != 0)
		return -1;
	memcpy(u->s + u->len, text, len);
	u->len += len;
	u->s[u->len] = '\0';
	return 0;
}

static int url_put_encoded(struct sg_url *u, const char *text)
{
	size_t need = sg_url_encode(NULL, 0, text);

	if (url_reserve(u, need) != 0)
		return -1;
	sg_url_encode(u->s + u->len, need + 1, text);
	u->len += need;
	return 0;
}

int sg_url_init(struct sg_url *u, const char *base)
{
	memset(u, 0, sizeof(*u));
	if (base == NULL)
		base = "";
	u->has_query = strchr(base, '?') != NULL;
	return url_put(u, base, strlen(base));
}

int sg_url_add_segment(struct sg_url *u, const char *segment)
{
	if (u->has_query)
		return -1;
	if (url_put(u, "/", 1) != 0)
		return -1;
	return url_put_encoded(u, segment);
}

int sg_url_add_param(struct sg_url *u, const char *key, const char *value)
{
	char sep = u->has_query ? '&' : '?';

	if (url_put(u, &sep, 1) != 0 || url_put_encoded(u, key) != 0 ||
	    url_put(u, "=", 1) != 0 || url_put_encoded(u, value) != 0)
		return -1;
	u->has_query = 1;
	return 0;
}

const char *sg_url_text(const struct sg_url *u)
{
	return u->s != NULL ? u->s : "";
}

void sg_url_release(struct sg_url *u)
{
	free(u->s);
	memset(u, 0, sizeof(*u));
}

char *sg_url_form(const char *const *pairs, size_t count)
{
	size_t need = 1, i, used = 0;
	char *body;

	for (i = 0; i + 1 < count; i += 2)
		need += strlen(pairs[i]) +
			sg_url_encode(NULL, 0, pairs[i + 1]) + 2;
	body = malloc(need);
	if (body == NULL)
		return NULL;
	body[0] = '\0';
	for (i = 0; i + 1 < count; i += 2) {
		used += (size_t)snprintf(body + used, need - used, "%s%s=",
					 i ? "&" : "", pairs[i]);
		used += sg_url_encode(body + used, need - used, pairs[i + 1]);
	}
	return body;
}
