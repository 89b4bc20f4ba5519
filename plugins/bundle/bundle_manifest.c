/*
 * bundle_manifest.c - the given files read in blocks, and the two files
 * that describe a bundle: manifest.json (the facts, every file's size
 * and SHA-256) and SHA256SUMS, built in anonymous temporary files.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "bundle_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <locale.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util/sg_path.h"
#include "sg_time.h"

/* ---- hashing ---- */

int bundle_hash_begin(EVP_MD_CTX **md, struct sg_error *err)
{
	*md = EVP_MD_CTX_new();
	if (*md == NULL)
		return bundle_nomem(err);
	if (EVP_DigestInit_ex(*md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(*md);
		*md = NULL;
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "SHA-256 is not available from "
				    "libcrypto");
	}
	return SG_OK;
}

void bundle_hash_end(EVP_MD_CTX *md, unsigned char *sha)
{
	unsigned int n = 32;

	EVP_DigestFinal_ex(md, sha, &n);
	EVP_MD_CTX_free(md);
}

void bundle_reader_init(struct bundle_reader *r)
{
	r->path = NULL;
	r->fd = -1;
	r->unpack = NULL;
}

void bundle_reader_close(struct bundle_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	bundle_packed_end(r);
	bundle_reader_init(r);
}

int bundle_reader_open(struct bundle_reader *r, const struct bundle_entry *e,
		       struct sg_error *err)
{
	struct stat sb;

	if (r->path != NULL && strcmp(r->path, e->path) == 0)
		return SG_OK;
	bundle_reader_close(r);
	r->fd = open(e->path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0,
				       "cannot read %s for the bundle: %s",
				       e->name, strerror(errno));
	if (fstat(r->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		bundle_reader_close(r);
		return sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0,
				       "cannot bundle %s: not a regular file",
				       e->name);
	}
	r->path = e->path;
	return SG_OK;
}

long bundle_read(struct bundle_reader *r, const struct bundle_entry *e,
		 uint64_t at, unsigned char *buf, size_t want,
		 struct sg_error *err)
{
	ssize_t n;

	if (e->packed)
		return bundle_packed_read(r, e, at, buf, want, err);
	if (bundle_reader_open(r, e, err) != SG_OK)
		return -1;
	if (e->slice) {
		if (at >= e->size)
			return 0;
		if (want > e->size - at)
			want = (size_t)(e->size - at);
	}
	do
		n = pread(r->fd, buf, want, (off_t)(e->offset + at));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0, "cannot read "
				"%s for the bundle: %s", e->name,
				strerror(errno));
		return -1;
	}
	if (n == 0 && e->slice) {
		sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0, "cannot read "
				"%s for the bundle: the file ends before its "
				"%llu bytes from byte %llu", e->name,
				(unsigned long long)e->size,
				(unsigned long long)e->offset);
		return -1;
	}
	return (long)n;
}

/* A packed file's size as it is now, which must be the size it was
 * given with. */
static int bundle_packed_sized(struct bundle_entry *e, uint64_t now,
			       struct sg_error *err)
{
	e->packed_size = now;
	if (now == e->given_packed_size)
		return SG_OK;
	return sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0,
			       "%s changed after it was written (%llu bytes, "
			       "not %llu); write the bundle again once "
			       "nothing writes to it", e->name,
			       (unsigned long long)now,
			       (unsigned long long)e->given_packed_size);
}

int bundle_size_file(struct bundle_reader *r, struct bundle_entry *e,
		     struct sg_error *err)
{
	struct stat sb;
	int rc;

	if (e->slice)
		return SG_OK;
	rc = bundle_reader_open(r, e, err);
	if (rc == SG_OK && fstat(r->fd, &sb) != 0)
		rc = sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0,
				     "cannot read %s for the bundle: %s",
				     e->name, strerror(errno));
	if (rc == SG_OK && e->packed)
		rc = bundle_packed_sized(e, (uint64_t)sb.st_size, err);
	else if (rc == SG_OK)
		e->size = (uint64_t)sb.st_size;
	return rc;
}

/* ---- manifest.json and SHA256SUMS ---- */

/* Writes len bytes to f and into the hash. */
static int bundle_put(FILE *f, EVP_MD_CTX *md, const char *s, size_t len)
{
	if (len == 0)
		return 0;
	if (md != NULL)
		EVP_DigestUpdate(md, s, len);
	return fwrite(s, 1, len, f) == len ? 0 : -1;
}

static int bundle_puts(FILE *f, EVP_MD_CTX *md, const char *s)
{
	return bundle_put(f, md, s, strlen(s));
}

/* Writes a JSON value as jansson prints it with a 2-space indent, every
 * line after the first indented by two more spaces (JSON text never
 * holds a raw newline inside a string). */
static int bundle_put_json(FILE *f, EVP_MD_CTX *md, const json_t *v)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS |
				JSON_ENCODE_ANY);
	const char *p, *nl;
	int rc = 0;

	if (text == NULL)
		return -1;
	for (p = text; rc == 0 && *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL) {
			rc = bundle_puts(f, md, p);
			break;
		}
		rc = bundle_put(f, md, p, (size_t)(nl - p + 1));
		if (rc == 0)
			rc = bundle_puts(f, md, "  ");
	}
	free(text);
	return rc;
}

static int bundle_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The "files" list of the manifest, at the indent of a top-level key. */
static int bundle_put_files(FILE *f, EVP_MD_CTX *md,
			    struct bundle_entry **order, size_t count)
{
	char hex[65], num[32];
	json_t *name;
	size_t i, listed = 0;
	int rc = 0;

	for (i = 0; i < count; i++)
		listed += order[i]->tmp == NULL;
	if (listed == 0)
		return bundle_puts(f, md, "[]");
	rc = bundle_puts(f, md, "[\n");
	for (i = 0; rc == 0 && i < count; i++) {
		const struct bundle_entry *e = order[i];

		if (e->tmp != NULL)
			continue;
		listed--;
		name = json_string(e->name);
		if (name == NULL)
			return -1;
		bundle_hex(e->sha, hex);
		snprintf(num, sizeof(num), "%llu",
			 (unsigned long long)e->size);
		rc = bundle_puts(f, md, "    {\n      \"name\": ");
		if (rc == 0)
			rc = bundle_put_json(f, md, name);
		json_decref(name);
		if (rc == 0)
			rc = bundle_puts(f, md, ",\n      \"sha256\": \"");
		if (rc == 0)
			rc = bundle_puts(f, md, hex);
		if (rc == 0)
			rc = bundle_puts(f, md, "\",\n      \"size\": ");
		if (rc == 0)
			rc = bundle_puts(f, md, num);
		if (rc == 0)
			rc = bundle_puts(f, md, listed > 0 ? "\n    },\n" :
					 "\n    }\n");
	}
	if (rc == 0)
		rc = bundle_puts(f, md, "  ]");
	return rc;
}

/*
 * Writes manifest.json into man->tmp: the facts with "files" added,
 * keys sorted, 2-space indent, a final newline: what jansson prints for
 * the same object, without building the file list as a JSON tree.
 */
int bundle_manifest(struct bundle_entry *man, json_t *facts,
		    struct bundle_entry **order, size_t count,
		    struct sg_error *err)
{
	const char **keys = NULL, *key;
	EVP_MD_CTX *md = NULL;
	size_t n = 0, i;
	json_t *v, *k;
	int rc, bad = 0;

	keys = malloc((json_object_size(facts) + 1) * sizeof(*keys));
	if (keys == NULL)
		return bundle_nomem(err);
	json_object_foreach(facts, key, v)
		keys[n++] = key;
	keys[n++] = "files";
	qsort(keys, n, sizeof(*keys), bundle_key_cmp);
	rc = bundle_hash_begin(&md, err);
	if (rc != SG_OK)
		goto out;
	errno = 0;
	bad |= bundle_puts(man->tmp, md, "{\n");
	for (i = 0; i < n && !bad; i++) {
		bad |= bundle_puts(man->tmp, md, "  ");
		k = json_string(keys[i]);
		bad |= k == NULL || bundle_put_json(man->tmp, md, k);
		json_decref(k);
		bad |= bundle_puts(man->tmp, md, ": ");
		if (strcmp(keys[i], "files") == 0)
			bad |= bundle_put_files(man->tmp, md, order, count);
		else
			bad |= bundle_put_json(man->tmp, md,
					       json_object_get(facts,
							       keys[i]));
		bad |= bundle_puts(man->tmp, md, i + 1 < n ? ",\n" : "\n");
	}
	bad |= bundle_puts(man->tmp, md, "}\n");
	if (bad || fflush(man->tmp) != 0) {
		rc = sg_error_set(err, SG_ERR_IO, "cannot write "
				  "manifest.json to a temporary file: %s "
				  "(check the room left in /tmp)",
				  errno != 0 ? strerror(errno) :
				  "out of memory");
		goto out;
	}
	man->size = (uint64_t)ftello(man->tmp);
	bundle_hash_end(md, man->sha);
	md = NULL;
out:
	EVP_MD_CTX_free(md);
	free(keys);
	return rc;
}

/* Writes SHA256SUMS into sums->tmp: a line per file but itself. */
int bundle_sums(struct bundle_entry *sums, struct bundle_entry **order,
		size_t count, struct sg_error *err)
{
	EVP_MD_CTX *md = NULL;
	char hex[65];
	size_t i;
	int rc, bad = 0;

	rc = bundle_hash_begin(&md, err);
	if (rc != SG_OK)
		return rc;
	for (i = 0; i < count && !bad; i++) {
		if (order[i] == sums)
			continue;
		bundle_hex(order[i]->sha, hex);
		bad |= bundle_puts(sums->tmp, md, hex);
		bad |= bundle_puts(sums->tmp, md, "  ");
		bad |= bundle_puts(sums->tmp, md, order[i]->name);
		bad |= bundle_puts(sums->tmp, md, "\n");
	}
	if (bad || fflush(sums->tmp) != 0) {
		EVP_MD_CTX_free(md);
		return sg_error_set(err, SG_ERR_IO, "cannot write "
				    "SHA256SUMS to a temporary file: %s "
				    "(check the room left in /tmp)",
				    strerror(errno));
	}
	sums->size = (uint64_t)ftello(sums->tmp);
	bundle_hash_end(md, sums->sha);
	return SG_OK;
}
