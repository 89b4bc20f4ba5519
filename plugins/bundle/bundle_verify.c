/*
 * bundle_verify.c - verify(): an archive of any of the three formats read
 * back by content, every entry hashed while it streams, and each
 * difference between the entries, the manifest and SHA256SUMS reported.
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

/* ---- verify ---- */

struct bundle_check {
	sg_problem_fn problem;
	void *arg;
	unsigned long problems;
	char *top;              /* the top folder, once known */
	struct bundle_seen *seen;
	size_t seen_count, seen_cap;
	char *manifest, *sums;  /* their bytes, NUL-terminated */
	size_t manifest_len, sums_len;
	int manifest_big, sums_big;
	size_t manifest_at, sums_at; /* 1 + their index in seen; 0: none */
	const struct bundle_seen *manifest_seen;
	/* The sizes the manifest lists, by the entry's path in the archive
	 * ("top/name"), read before the files: NULL without a usable one. */
	json_t *listed_sizes;
	size_t listed_top;      /* the length of its "top/" */
};

static void bundle_report(struct bundle_check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bundle_report(struct bundle_check *c, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	c->problems++;
	c->problem(c->arg, text);
}

static int bundle_seen_cmp(const void *a, const void *b)
{
	const struct bundle_seen *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r != 0)
		return r;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The first file of the archive named name, or NULL (seen sorted). */
static struct bundle_seen *bundle_seen_find(struct bundle_check *c,
					    const char *name)
{
	size_t lo = 0, hi = c->seen_count, mid;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = strcmp(c->seen[mid].name, name);
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->seen_count && strcmp(c->seen[lo].name, name) == 0)
		return &c->seen[lo];
	return NULL;
}

/*
 * Cleans an entry's path in place (a leading "./", as `tar -czf x.tar.gz
 * .` writes, names the same place; a folder's trailing '/' is dropped)
 * and returns it, or NULL for an entry to pass over: an absolute path or
 * one with a ".." part (reported), or the folder "." itself.
 */
static char *bundle_entry_path(struct bundle_check *c, char *path, int dir)
{
	size_t len;

	while (path[0] == '.' && path[1] == '/' && path[2] != '\0')
		memmove(path, path + 2, strlen(path + 2) + 1);
	len = strlen(path);
	if (dir && len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	if (dir && strcmp(path, ".") == 0)
		return NULL;
	if (path[0] == '/') {
		bundle_report(c, "%s: an absolute path: it would be written "
			      "outside the folder it is extracted in", path);
		return NULL;
	}
	if (bundle_name_problem(path) == bundle_why_dotdot()) {
		bundle_report(c, "%s: escapes the folder it is extracted in "
			      "(a \"..\" path component)", path);
		return NULL;
	}
	return path;
}

/* Nonzero when path is "X/name" for one folder X. */
static int bundle_is_top_file(const char *path, const char *name)
{
	const char *slash = strchr(path, '/');

	return slash != NULL && slash != path &&
		strcmp(slash + 1, name) == 0;
}

/* Appends to *buf the block, while it fits in BUNDLE_TEXT_MAX. */
static int bundle_keep(char **buf, size_t *len, int *big, const void *data,
		       size_t size)
{
	char *p;

	if (*big)
		return 0;
	if (*len + size > BUNDLE_TEXT_MAX) {
		*big = 1;
		free(*buf);
		*buf = NULL;
		*len = 0;
		return 0;
	}
	p = realloc(*buf, *len + size + 1);
	if (p == NULL)
		return -1;
	memcpy(p + *len, data, size);
	*len += size;
	p[*len] = '\0';
	*buf = p;
	return 0;
}

/* Hashes count zero bytes: a hole of a sparse member, which extraction
 * writes as zeros. */
static void bundle_hash_zeros(EVP_MD_CTX *md, uint64_t count)
{
	static const unsigned char zeros[BUNDLE_BLOCK];

	while (count > 0) {
		size_t n = count < sizeof(zeros) ? (size_t)count : sizeof(zeros);

		EVP_DigestUpdate(md, zeros, n);
		count -= n;
	}
}

/*
 * What the manifest lists for the entry at path, -1 when it lists
 * nothing there (or no manifest was read first).  An entry whose size
 * differs from it is reported without being read: a member "of 0 bytes"
 * can extract to gigabytes.
 */
static long long bundle_listed_size(const struct bundle_check *c,
				    const char *path)
{
	json_t *v = c->listed_sizes != NULL ?
		    json_object_get(c->listed_sizes, path) : NULL;

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* Records one entry; reads a file's bytes as extraction would write them
 * (holes as zeros): hashes them, keeps those of the first
 * "X/manifest.json" and "X/SHA256SUMS". */
static int bundle_read_entry(struct bundle_check *c, struct archive *a,
			     struct archive_entry *ae, const char *archive,
			     const char *path, int dir, struct sg_error *err)
{
	struct bundle_seen *s;
	EVP_MD_CTX *md = NULL;
	const void *block;
	size_t size;
	la_int64_t offset;
	long long listed;
	int64_t declared = archive_entry_size_is_set(ae) ?
			   archive_entry_size(ae) : -1;
	int r, rc, keep = 0;

	if (c->seen_count == c->seen_cap) {
		size_t cap = c->seen_cap == 0 ? 64 : c->seen_cap * 2;

		s = realloc(c->seen, cap * sizeof(*s));
		if (s == NULL)
			return bundle_nomem(err);
		c->seen = s;
		c->seen_cap = cap;
	}
	s = &c->seen[c->seen_count];
	memset(s, 0, sizeof(*s));
	s->name = strdup(path);
	if (s->name == NULL)
		return bundle_nomem(err);
	s->order = c->seen_count++;
	s->dir = dir;
	if (dir)
		return SG_OK;
	if (c->manifest_at == 0 && bundle_is_top_file(path, BUNDLE_MANIFEST)) {
		keep = 1;
		c->manifest_at = c->seen_count;
	} else if (c->sums_at == 0 && bundle_is_top_file(path, BUNDLE_SUMS)) {
		keep = 2;
		c->sums_at = c->seen_count;
	}
	if (archive_entry_sparse_count(ae) > 0)
		bundle_report(c, "%s: a sparse file (a stageguard bundle has "
			      "none; its holes are read as the zeros "
			      "extraction writes)", path);
	listed = keep == 0 ? bundle_listed_size(c, path) : -1;
	/* Named as the manifest names it, like every other difference. */
	if (listed >= 0 && declared >= 0 && declared != listed) {
		bundle_report(c, "%s: size differs from the manifest (%lld "
			      "bytes, the manifest says %lld)",
			      path + c->listed_top, (long long)declared,
			      listed);
		s->reported = 1;
		return SG_OK;
	}
	rc = bundle_hash_begin(&md, err);
	if (rc != SG_OK)
		return rc;
	/* An empty manifest or SHA256SUMS is still there. */
	if ((keep == 1 && bundle_keep(&c->manifest, &c->manifest_len,
				      &c->manifest_big, "", 0) != 0) ||
	    (keep == 2 && bundle_keep(&c->sums, &c->sums_len, &c->sums_big,
				      "", 0) != 0)) {
		rc = bundle_nomem(err);
		goto out;
	}
	for (;;) {
		r = archive_read_data_block(a, &block, &size, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			const char *msg = archive_error_string(a);

			rc = sg_error_set_at(err, SG_ERR_PARSE, archive, 0, 0,
					     "cannot read %s: %s: the archive "
					     "is truncated or damaged", path,
					     msg != NULL ? msg : "read error");
			goto out;
		}
		if (offset < 0 || (uint64_t)offset < s->size)
			offset = (la_int64_t)s->size;
		if (listed >= 0 &&
		    (uint64_t)offset + size > (uint64_t)listed) {
			bundle_report(c, "%s: more than the %lld bytes the "
				      "manifest lists; not read further",
				      path + c->listed_top, listed);
			s->reported = 1;
			goto out;
		}
		bundle_hash_zeros(md, (uint64_t)offset - s->size);
		s->size = (uint64_t)offset;
		if (size == 0)
			continue;
		EVP_DigestUpdate(md, block, size);
		s->size += size;
		if ((keep == 1 && bundle_keep(&c->manifest, &c->manifest_len,
					      &c->manifest_big, block,
					      size) != 0) ||
		    (keep == 2 && bundle_keep(&c->sums, &c->sums_len,
					      &c->sums_big, block,
					      size) != 0)) {
			rc = bundle_nomem(err);
			goto out;
		}
	}
	/* A hole at the end: extraction makes the file its full size. */
	if (declared > 0 && (uint64_t)declared > s->size &&
	    (listed < 0 || declared <= listed)) {
		bundle_hash_zeros(md, (uint64_t)declared - s->size);
		s->size = (uint64_t)declared;
	}
	bundle_hash_end(md, s->sha);
	md = NULL;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

/* A reader of the three formats, by content; NULL out of memory. */
static struct archive *bundle_reader(void)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		return NULL;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip_seekable(a);
	return a;
}

/* The sizes of the first "X/manifest.json", by path: "X/name". */
static json_t *bundle_sizes_of(const char *manifest_path, const char *text,
			       size_t len)
{
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *files = json_object_get(root, "files"), *f, *sizes;
	size_t top = strcspn(manifest_path, "/"), i;
	char key[4096];

	sizes = json_is_array(files) ? json_object() : NULL;
	json_array_foreach(files, i, f) {
		const char *name = json_string_value(json_object_get(f,
								     "name"));
		json_t *size = json_object_get(f, "size");

		if (sizes == NULL || name == NULL || !json_is_integer(size) ||
		    json_integer_value(size) < 0 ||
		    (size_t)snprintf(key, sizeof(key), "%.*s/%s", (int)top,
				     manifest_path, name) >= sizeof(key))
			continue;
		json_object_set(sizes, key, size);
	}
	json_decref(root);
	return sizes;
}

/*
 * Finds the manifest before the files are read, so each is checked
 * against its listed size first (a bundle lists its files in name
 * order, the manifest among them): headers only, up to the manifest.
 * Nothing is reported here; the full read reports what is wrong.
 */
static void bundle_read_listed_sizes(struct bundle_check *c,
				     const char *path)
{
	struct archive *a = bundle_reader();
	struct archive_entry *ae;
	const char *p;
	char *text = NULL, *copy;
	size_t len = 0;
	int big = 0, found = 0;

	if (a == NULL ||
	    archive_read_open_filename(a, path, BUNDLE_BLOCK) != ARCHIVE_OK) {
		archive_read_free(a);
		return;
	}
	while (!found && archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		const void *block;
		size_t size;
		la_int64_t offset;

		p = archive_entry_pathname(ae);
		copy = p != NULL ? strdup(p) : NULL;
		while (copy != NULL && copy[0] == '.' && copy[1] == '/' &&
		       copy[2] != '\0')
			memmove(copy, copy + 2, strlen(copy + 2) + 1);
		if (copy != NULL && archive_entry_filetype(ae) == AE_IFREG &&
		    bundle_is_top_file(copy, BUNDLE_MANIFEST)) {
			found = 1;
			while (archive_read_data_block(a, &block, &size,
						       &offset) == ARCHIVE_OK)
				if (bundle_keep(&text, &len, &big, block,
						size) != 0)
					big = 1;
			if (text != NULL && !big)
				c->listed_sizes = bundle_sizes_of(copy, text,
								  len);
			c->listed_top = strcspn(copy, "/") + 1;
		}
		free(copy);
	}
	free(text);
	archive_read_free(a);
}

/* Reads every entry of the archive. */
static int bundle_read_all(struct bundle_check *c, const char *path,
			   struct sg_error *err)
{
	struct archive *a;
	struct archive_entry *ae;
	const char *p;
	char *copy = NULL, *name;
	int r, rc = SG_OK, type;

	a = bundle_reader();
	if (a == NULL)
		return bundle_nomem(err);
	if (archive_read_open_filename(a, path, BUNDLE_BLOCK) != ARCHIVE_OK) {
		const char *msg = archive_error_string(a);
		int e = archive_errno(a);

		if (e == ENOENT || e == EACCES || e == EISDIR || e == EIO)
			rc = sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
					     "cannot read the bundle: %s",
					     strerror(e));
		else
			rc = sg_error_set_at(err, SG_ERR_PARSE, path, 0, 0,
					     "cannot read the bundle: %s: "
					     "it is not a .tar.gz, .tar.zst "
					     "or .zip archive, or it is "
					     "truncated or damaged",
					     msg != NULL ? msg : "read error");
		goto out;
	}
	for (;;) {
		r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			const char *msg = archive_error_string(a);

			rc = sg_error_set_at(err, SG_ERR_PARSE, path, 0, 0,
					     "cannot read the bundle: %s: "
					     "it is not a .tar.gz, .tar.zst "
					     "or .zip archive, or it is "
					     "truncated or damaged",
					     msg != NULL ? msg : "read error");
			goto out;
		}
		p = archive_entry_pathname_utf8(ae);
		if (p == NULL)
			p = archive_entry_pathname(ae);
		if (p == NULL) {
			bundle_report(c, "an entry without a readable name");
			continue;
		}
		free(copy);
		copy = strdup(p);
		if (copy == NULL) {
			rc = bundle_nomem(err);
			goto out;
		}
		type = archive_entry_filetype(ae);
		name = bundle_entry_path(c, copy, type == AE_IFDIR);
		if (name == NULL)
			continue;
		if (archive_entry_hardlink(ae) != NULL ||
		    (type != AE_IFREG && type != AE_IFDIR)) {
			bundle_report(c, "%s: not a regular file or folder "
				      "(a link or a device could point "
				      "anywhere)", name);
			continue;
		}
		rc = bundle_read_entry(c, a, ae, path, name,
				       type == AE_IFDIR, err);
		if (rc != SG_OK)
			goto out;
	}
out:
	free(copy);
	archive_read_free(a);
	return rc;
}

/*
 * Puts what was read in its place: the top folder is the one holding the
 * manifest (else the first entry's); every entry outside it, or with an
 * unsafe name inside it, is reported and dropped, folders are dropped,
 * and the files keep their names inside the top folder.
 */
static int bundle_place(struct bundle_check *c, struct sg_error *err)
{
	const char *why, *first, *rest;
	struct bundle_seen *s;
	size_t i, j = 0, tl;

	if (c->seen_count == 0)
		return SG_OK;
	first = c->manifest_at != 0 ? c->seen[c->manifest_at - 1].name :
		c->seen[0].name;
	tl = strcspn(first, "/");
	c->top = strndup(first, tl);
	if (c->top == NULL)
		return bundle_nomem(err);
	for (i = 0; i < c->seen_count; i++) {
		s = &c->seen[i];
		rest = NULL;
		why = NULL;
		if (strncmp(s->name, c->top, tl) != 0 ||
		    (s->name[tl] != '\0' && s->name[tl] != '/'))
			bundle_report(c, "%s: outside the top folder %s/",
				      s->name, c->top);
		else if (s->name[tl] == '\0' && !s->dir)
			bundle_report(c, "%s: the top folder is a file",
				      s->name);
		else if (s->name[tl] == '/' && !s->dir)
			rest = s->name + tl + 1;
		/* Folders, the top one included, are not reported. */
		if (rest != NULL)
			why = bundle_name_problem(rest);
		if (why != NULL)
			bundle_report(c, "%s: an unsafe name (%s)", s->name,
				      why);
		if (rest == NULL || why != NULL) {
			if (i + 1 == c->sums_at) {
				free(c->sums);
				c->sums = NULL;
				c->sums_big = 0;
			}
			free(s->name);
			continue;
		}
		memmove(s->name, s->name + tl + 1, strlen(s->name + tl));
		c->seen[j++] = *s;
	}
	c->seen_count = j;
	return SG_OK;
}

/* Reads the manifest's file list; NULL (reported) when unusable. */
static json_t *bundle_manifest_read(struct bundle_check *c,
				    struct bundle_listed **out, size_t *count,
				    int *nomem)
{
	struct bundle_listed *l;
	json_error_t jerr;
	char why[JSON_ERROR_TEXT_LENGTH];
	json_t *root, *files, *f, *v;
	size_t i, n = 0;
	const char *hex;

	*out = NULL;
	*count = 0;
	*nomem = 0;
	if (c->manifest_big) {
		bundle_report(c, BUNDLE_MANIFEST ": larger than %u bytes; "
			      "not checked", BUNDLE_TEXT_MAX);
		return NULL;
	}
	root = json_loadb(c->manifest, c->manifest_len,
			  JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		bundle_report(c, BUNDLE_MANIFEST ": does not parse as JSON "
			      "(line %d, column %d: %s)", jerr.line,
			      jerr.column, sg_json_reason(jerr.text, why,
							  sizeof(why)));
		return NULL;
	}
	files = json_object_get(root, "files");
	if (!json_is_object(root) || !json_is_array(files)) {
		bundle_report(c, BUNDLE_MANIFEST ": has no \"files\" list");
		json_decref(root);
		return NULL;
	}
	l = calloc(json_array_size(files) + 1, sizeof(*l));
	if (l == NULL) {
		*nomem = 1;
		json_decref(root);
		return NULL;
	}
	json_array_foreach(files, i, f) {
		v = json_object_get(f, "name");
		if (!json_is_string(v)) {
			bundle_report(c, BUNDLE_MANIFEST ": files[%zu] has "
				      "no \"name\"", i);
			continue;
		}
		l[n].name = json_string_value(v);
		v = json_object_get(f, "size");
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			bundle_report(c, BUNDLE_MANIFEST ": files[%zu] (%s) "
				      "has no \"size\"", i, l[n].name);
			continue;
		}
		l[n].size = (uint64_t)json_integer_value(v);
		v = json_object_get(f, "sha256");
		hex = json_string_value(v);
		if (hex == NULL ||
		    bundle_unhex(hex, strlen(hex), l[n].sha) != 0) {
			bundle_report(c, BUNDLE_MANIFEST ": files[%zu] (%s) "
				      "has no \"sha256\" of 64 lowercase hex "
				      "digits", i, l[n].name);
			continue;
		}
		n++;
	}
	*out = l;
	*count = n;
	return root;
}

static int bundle_listed_cmp(const void *a, const void *b)
{
	const struct bundle_listed *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static struct bundle_listed *bundle_listed_find(struct bundle_listed *l,
						size_t n, const char *name)
{
	struct bundle_listed key;

	key.name = name;
	return bsearch(&key, l, n, sizeof(*l), bundle_listed_cmp);
}

/* Checks each line of SHA256SUMS against the manifest (or, without a
 * usable manifest, against the content). */
static void bundle_check_sums(struct bundle_check *c,
			      struct bundle_listed *l, size_t n, int usable,
			      int *manifest_line)
{
	struct bundle_listed *e;
	struct bundle_seen *s;
	unsigned char sha[32];
	char *line = c->sums, *nl, *name;
	long no = 0;

	while (line != NULL && *line != '\0') {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		no++;
		if (strlen(line) < 67 || bundle_unhex(line, 64, sha) != 0 ||
		    line[64] != ' ' || (line[65] != ' ' && line[65] != '*')) {
			bundle_report(c, BUNDLE_SUMS ": line %ld is not "
				      "\"<64 hex digits>  <name>\"", no);
			line = nl != NULL ? nl + 1 : NULL;
			continue;
		}
		name = line + 66;
		if (strcmp(name, BUNDLE_MANIFEST) == 0) {
			if (*manifest_line != 0)
				bundle_report(c, BUNDLE_SUMS ": line %ld: "
					      "%s is listed again (line "
					      "%d)", no, name,
					      *manifest_line);
			else if (c->manifest_seen == NULL)
				bundle_report(c, BUNDLE_SUMS ": line %ld: "
					      "%s is not in the archive",
					      no, name);
			else if (memcmp(sha, c->manifest_seen->sha, 32) != 0)
				bundle_report(c, BUNDLE_SUMS ": line %ld: "
					      "the SHA-256 of %s differs "
					      "from its content", no, name);
			if (*manifest_line == 0)
				*manifest_line = (int)no;
		} else if (usable) {
			e = bundle_listed_find(l, n, name);
			if (e == NULL)
				bundle_report(c, BUNDLE_SUMS ": line %ld: "
					      "%s is not in the manifest",
					      no, name);
			else if (e->in_sums != 0)
				bundle_report(c, BUNDLE_SUMS ": line %ld: "
					      "%s is listed again (line "
					      "%d)", no, name, e->in_sums);
			else if (memcmp(sha, e->sha, 32) != 0)
				bundle_report(c, BUNDLE_SUMS ": line %ld: "
					      "the SHA-256 of %s differs "
					      "from the manifest", no, name);
			if (e != NULL && e->in_sums == 0)
				e->in_sums = (int)no;
		} else {
			s = bundle_seen_find(c, name);
			if (s == NULL)
				bundle_report(c, BUNDLE_SUMS ": line %ld: "
					      "%s is not in the archive",
					      no, name);
			else if (memcmp(sha, s->sha, 32) != 0)
				bundle_report(c, BUNDLE_SUMS ": line %ld: "
					      "the SHA-256 of %s differs "
					      "from its content", no, name);
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
}

/* Compares what was read: manifest, files, SHA256SUMS. */
static int bundle_compare(struct bundle_check *c, struct sg_error *err)
{
	struct bundle_listed *l = NULL, *e;
	struct bundle_seen *s;
	json_t *root = NULL;
	size_t i, j, n = 0;
	int usable = 0, nomem = 0, manifest_line = 0;

	/* An archive with no entries has no list to sort (qsort wants
	 * one, even empty). */
	if (c->seen_count > 1)
		qsort(c->seen, c->seen_count, sizeof(*c->seen),
		      bundle_seen_cmp);
	for (i = 0; i < c->seen_count; i = j) {
		for (j = i + 1; j < c->seen_count &&
		     strcmp(c->seen[i].name, c->seen[j].name) == 0; j++)
			;
		if (j - i > 1)
			bundle_report(c, "%s: appears %zu times in the "
				      "archive", c->seen[i].name, j - i);
	}
	c->manifest_seen = bundle_seen_find(c, BUNDLE_MANIFEST);
	if (c->manifest_seen == NULL) {
		bundle_report(c, BUNDLE_MANIFEST " is missing");
	} else {
		root = bundle_manifest_read(c, &l, &n, &nomem);
		if (nomem)
			return bundle_nomem(err);
		usable = root != NULL;
	}
	if (c->sums == NULL && !c->sums_big)
		bundle_report(c, BUNDLE_SUMS " is missing");
	if (usable) {
		if (n > 1)
			qsort(l, n, sizeof(*l), bundle_listed_cmp);
		for (i = 0; i < n; i++) {
			if (i > 0 && strcmp(l[i - 1].name, l[i].name) == 0) {
				bundle_report(c, BUNDLE_MANIFEST ": %s is "
					      "listed twice", l[i].name);
				continue;
			}
			s = bundle_seen_find(c, l[i].name);
			if (s == NULL) {
				bundle_report(c, "%s: listed in the manifest "
					      "but missing from the archive",
					      l[i].name);
				continue;
			}
			s->listed = 1;
			if (s->reported)
				continue;       /* said when it was read */
			if (s->size != l[i].size)
				bundle_report(c, "%s: size differs from the "
					      "manifest (%llu bytes, the "
					      "manifest says %llu)",
					      l[i].name,
					      (unsigned long long)s->size,
					      (unsigned long long)l[i].size);
			else if (memcmp(s->sha, l[i].sha, 32) != 0)
				bundle_report(c, "%s: SHA-256 differs from "
					      "the manifest", l[i].name);
		}
		for (i = 0; i < c->seen_count; i++) {
			s = &c->seen[i];
			if (s->listed || strcmp(s->name, BUNDLE_SUMS) == 0 ||
			    strcmp(s->name, BUNDLE_MANIFEST) == 0 ||
			    (i > 0 && strcmp(c->seen[i - 1].name,
					     s->name) == 0))
				continue;
			bundle_report(c, "%s: in the archive but not in the "
				      "manifest", s->name);
		}
	}
	if (c->sums_big) {
		bundle_report(c, BUNDLE_SUMS ": larger than %u bytes; not "
			      "checked", BUNDLE_TEXT_MAX);
	} else if (c->sums != NULL) {
		bundle_check_sums(c, l, n, usable, &manifest_line);
		for (i = 0; usable && i < n; i++) {
			e = &l[i];
			if (e->in_sums == 0 &&
			    (i == 0 || strcmp(l[i - 1].name, e->name) != 0))
				bundle_report(c, "%s: missing from "
					      BUNDLE_SUMS, e->name);
		}
		if (manifest_line == 0 && c->manifest_seen != NULL)
			bundle_report(c, BUNDLE_MANIFEST ": missing from "
				      BUNDLE_SUMS);
	}
	free(l);
	json_decref(root);
	return SG_OK;
}

int bundle_verify(void *state, const char *path, sg_problem_fn problem,
		  void *arg, struct sg_error *err)
{
	struct bundle_check c;
	locale_t loc, old = (locale_t)0;
	size_t i;
	int rc;

	(void)state;
	if (path == NULL || problem == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "verify() needs a path and a "
				    "problem callback");
	memset(&c, 0, sizeof(c));
	c.problem = problem;
	c.arg = arg;
	loc = bundle_utf8_begin(&old);
	bundle_read_listed_sizes(&c, path);
	rc = bundle_read_all(&c, path, err);
	bundle_utf8_end(loc, old);
	if (rc == SG_OK)
		rc = bundle_place(&c, err);
	if (rc == SG_OK)
		rc = bundle_compare(&c, err);
	for (i = 0; i < c.seen_count; i++)
		free(c.seen[i].name);
	free(c.seen);
	free(c.manifest);
	free(c.sums);
	free(c.top);
	json_decref(c.listed_sizes);
	return rc;
}
