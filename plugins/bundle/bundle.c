/*
 * bundle.c - the bundle sink: an evidence archive (.tar.gz, .tar.zst or
 * .zip, by the output's name) holding the files the host gives it, a
 * manifest.json (the facts and every file's size and SHA-256) and a
 * SHA256SUMS that `sha256sum -c` accepts (docs/bundle.md).
 *
 * Everything sits under one top folder named after the facts' as_of.
 * The same files and facts give a byte-identical archive: entries in
 * name order, mtime as_of, owner 0:0 without names, fixed modes, no
 * compressor time stamp.  Files are hashed and copied in blocks, never
 * loaded whole; the manifest and SHA256SUMS are built in anonymous
 * temporary files, so memory grows only with the number of files.  The
 * archive is written to a temporary file beside the output and renamed
 * into place by finish().
 *
 * verify() reads an archive of any of the three formats (by content),
 * hashes every entry while streaming it and reports each difference
 * between the entries, the manifest and SHA256SUMS.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

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

#include "sg_plugin.h"
#include "util/sg_path.h"
#include "sg_time.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define BUNDLE_BLOCK (64u * 1024u)
#define BUNDLE_FACTS_MAX (16u * 1024u * 1024u)
/* The most of manifest.json or SHA256SUMS verify() holds in memory. */
#define BUNDLE_TEXT_MAX (256u * 1024u * 1024u)
#define BUNDLE_NAME_MAX 4096u
#define BUNDLE_TOP_PREFIX "stageguard-evidence-"
#define BUNDLE_MANIFEST "manifest.json"
#define BUNDLE_SUMS "SHA256SUMS"
#define BUNDLE_SUFFIXES ".tar.gz, .tgz, .tar.zst or .zip"

enum bundle_format {
	BUNDLE_TGZ = 1,
	BUNDLE_TZST,
	BUNDLE_ZIP
};

struct bundle_config {
	char *out;
};

static const struct sg_option bundle_options[] = {
	{"out", SG_OPT_STRING, 0, "evidence.tar.gz",
	 "The archive to write.  Its name picks the format: .tar.gz or .tgz "
	 "(gzip), .tar.zst (zstd) or .zip.  A relative path is relative to "
	 "the config file's folder; --out FILE overrides it.",
	 offsetof(struct bundle_config, out)},
};

/* One file of the archive: given (path set) or made here (tmp set). */
struct bundle_entry {
	const char *name;       /* inside the top folder */
	const char *path;       /* a given file on disk */
	FILE *tmp;              /* manifest.json, SHA256SUMS */
	uint64_t size;
	unsigned char sha[32];
};

struct bundle_state {
	const struct sg_host *host;
	char *path;             /* the output */
	int format;             /* enum bundle_format */
	char *tmp;              /* the archive being written, until renamed */
	int written;            /* write() succeeded */
};

/* One regular file read back by verify(). */
struct bundle_seen {
	char *name;             /* as read; then inside the top folder */
	size_t order;           /* position in the archive */
	int dir;                /* a folder (dropped once placed) */
	uint64_t size;
	unsigned char sha[32];
	int listed;             /* in the manifest */
};

/* One file the manifest lists. */
struct bundle_listed {
	const char *name;       /* borrowed from the manifest's JSON */
	uint64_t size;
	unsigned char sha[32];
	int in_sums;            /* line number in SHA256SUMS, 0: none */
};

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

static int bundle_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

static void bundle_hex(const unsigned char *sha, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[sha[i] >> 4];
		hex[2 * i + 1] = digits[sha[i] & 15];
	}
	hex[64] = '\0';
}

/* Reads 64 lowercase hex digits; -1 when text is not that. */
static int bundle_unhex(const char *text, size_t len, unsigned char *sha)
{
	size_t i;
	int v[2], k;

	if (len != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		for (k = 0; k < 2; k++) {
			char c = text[2 * i + (size_t)k];

			if (c >= '0' && c <= '9')
				v[k] = c - '0';
			else if (c >= 'a' && c <= 'f')
				v[k] = c - 'a' + 10;
			else
				return -1;
		}
		sha[i] = (unsigned char)(v[0] << 4 | v[1]);
	}
	return 0;
}

static int bundle_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The format an output name asks for; 0 when none. */
static int bundle_format_of(const char *path)
{
	if (bundle_ends_with(path, ".tar.gz") ||
	    bundle_ends_with(path, ".tgz"))
		return BUNDLE_TGZ;
	if (bundle_ends_with(path, ".tar.zst"))
		return BUNDLE_TZST;
	if (bundle_ends_with(path, ".zip"))
		return BUNDLE_ZIP;
	return 0;
}

/* The length of the valid UTF-8 sequence at s, or 0. */
static size_t bundle_utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07u;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

static const char bundle_why_dotdot[] = "a \"..\" path component";

/*
 * Why name is unsafe as a relative name inside the archive, or NULL
 * when it is safe: relative, '/'-separated, no empty, "." or ".."
 * component, no backslash, no control character, valid UTF-8.
 */
static const char *bundle_name_problem(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t i = 0, start = 0, n;

	if (name[0] == '\0')
		return "the name is empty";
	if (name[0] == '/')
		return "an absolute path";
	if (strlen(name) > BUNDLE_NAME_MAX)
		return "the name is too long";
	for (;;) {
		if (s[i] == '/' || s[i] == '\0') {
			n = i - start;
			if (n == 0)
				return "an empty path component";
			if (n == 1 && s[start] == '.')
				return "a \".\" path component";
			if (n == 2 && s[start] == '.' && s[start + 1] == '.')
				return bundle_why_dotdot;
			if (s[i] == '\0')
				return NULL;
			start = ++i;
			continue;
		}
		if (s[i] == '\\')
			return "a backslash";
		if (s[i] < 0x20 || s[i] == 0x7f)
			return "a control character";
		n = bundle_utf8_len(s + i);
		if (n == 0)
			return "not valid UTF-8";
		i += n;
	}
}

static void bundle_close(void *state)
{
	struct bundle_state *st = state;

	if (st == NULL)
		return;
	/* An archive never renamed into place is not left behind. */
	if (st->tmp != NULL)
		unlink(st->tmp);
	free(st->tmp);
	free(st->path);
	free(st);
}

static int bundle_open(void **state, const void *config, const char *arg,
		       const struct sg_host *host, struct sg_error *err)
{
	const struct bundle_config *cfg = config;
	const char *out, *base;
	struct bundle_state *st;
	int rc;

	*state = NULL;
	if (host == NULL || host->version < 1 ||
	    host->size < offsetof(struct sg_host, config_dir) +
	    sizeof(host->config_dir))
		return sg_error_set(err, SG_ERR_PLUGIN,
				    "the host table is too old");
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return bundle_nomem(err);
	st->host = host;
	if (arg != NULL) {
		st->path = strdup(arg);
	} else {
		out = cfg != NULL && cfg->out != NULL && cfg->out[0] != '\0' ?
			cfg->out : "evidence.tar.gz";
		base = host->config_dir != NULL ?
			host->config_dir(host->ctx) : NULL;
		st->path = sg_path_join(base, out);
	}
	if (st->path == NULL) {
		rc = bundle_nomem(err);
		goto fail;
	}
	st->format = bundle_format_of(st->path);
	if (st->format == 0) {
		rc = sg_error_set_at(err, SG_ERR_CONFIG, st->path, 0, 0,
				     "the bundle's name must end in "
				     BUNDLE_SUFFIXES " (that picks the "
				     "format); set \"out\" under sinks.bundle "
				     "or give --out with one of them");
		goto fail;
	}
	*state = st;
	return SG_OK;
fail:
	bundle_close(st);
	return rc;
}

/*
 * libarchive converts names through the locale's character set, and in
 * the C locale a name that is not ASCII cannot be converted (3.6.2 then
 * even crashes formatting its message).  Names are UTF-8 here, so the
 * calling thread uses the C.UTF-8 character set while an archive is
 * written or read: the bytes do not depend on the user's locale, and the
 * process's locale is left alone.  Returns 0 when no UTF-8 locale exists.
 */
static locale_t bundle_utf8_begin(locale_t *old)
{
	locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

	if (loc == (locale_t)0)
		return (locale_t)0;
	*old = uselocale(loc);
	return loc;
}

static void bundle_utf8_end(locale_t loc, locale_t old)
{
	if (loc == (locale_t)0)
		return;
	uselocale(old);
	freelocale(loc);
}

static int bundle_is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* ---- hashing ---- */

static int bundle_hash_begin(EVP_MD_CTX **md, struct sg_error *err)
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

static void bundle_hash_end(EVP_MD_CTX *md, unsigned char *sha)
{
	unsigned int n = 32;

	EVP_DigestFinal_ex(md, sha, &n);
	EVP_MD_CTX_free(md);
}

/* Hashes the given file e->path in blocks, filling size and sha. */
static int bundle_hash_file(struct bundle_entry *e, unsigned char *buf,
			    struct sg_error *err)
{
	EVP_MD_CTX *md = NULL;
	struct stat sb;
	ssize_t n;
	int fd, rc;

	fd = open(e->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0,
				       "cannot read %s for the bundle: %s",
				       e->name, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc = sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0,
				     "cannot bundle %s: not a regular file",
				     e->name);
		goto out;
	}
	rc = bundle_hash_begin(&md, err);
	if (rc != SG_OK)
		goto out;
	e->size = 0;
	for (;;) {
		n = read(fd, buf, BUNDLE_BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0,
					     "cannot read %s for the bundle: "
					     "%s", e->name, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		e->size += (uint64_t)n;
	}
	bundle_hash_end(md, e->sha);
	md = NULL;
out:
	EVP_MD_CTX_free(md);
	close(fd);
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
static int bundle_manifest(struct bundle_entry *man, json_t *facts,
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
static int bundle_sums(struct bundle_entry *sums, struct bundle_entry **order,
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

/* ---- the input ---- */

static int bundle_entry_cmp(const void *a, const void *b)
{
	const struct bundle_entry *x = *(const struct bundle_entry *const *)a;
	const struct bundle_entry *y = *(const struct bundle_entry *const *)b;

	return strcmp(x->name, y->name);
}

/* Nonzero when a file is named exactly name (order sorted by name). */
static int bundle_has_name(struct bundle_entry **order, size_t count,
			   const char *name)
{
	struct bundle_entry key, *kp = &key;

	key.name = name;
	return bsearch(&kp, order, count, sizeof(*order),
		       bundle_entry_cmp) != NULL;
}

/* Refuses two files of one name, and a file named like a folder of
 * another ("a" and "a/b"). */
static int bundle_check_names(struct bundle_entry **order, size_t count,
			      struct sg_error *err)
{
	char *dir;
	size_t i, j, len;

	for (i = 0; i + 1 < count; i++)
		if (strcmp(order[i]->name, order[i + 1]->name) == 0)
			return sg_error_set(err, SG_ERR_SINK,
					    "the file name \"%s\" is "
					    "given twice",
					    order[i]->name);
	for (i = 0; i < count; i++) {
		len = strlen(order[i]->name);
		dir = strdup(order[i]->name);
		if (dir == NULL)
			return bundle_nomem(err);
		for (j = 0; j < len; j++) {
			if (dir[j] != '/')
				continue;
			dir[j] = '\0';
			if (bundle_has_name(order, count, dir)) {
				sg_error_set(err, SG_ERR_SINK,
					     "\"%s\" is both a file "
					     "and the folder of \"%s\"", dir,
					     order[i]->name);
				free(dir);
				return SG_ERR_SINK;
			}
			dir[j] = '/';
		}
		free(dir);
	}
	return SG_OK;
}

/* Parses the facts: a JSON object with "as_of" an ISO-8601 time and no
 * "files" (the bundle adds it). */
static int bundle_facts(const char *text, json_t **facts, sg_time *as_of,
			struct sg_error *err)
{
	struct sg_error terr;
	json_error_t jerr;
	json_t *v;
	int rc;

	*facts = NULL;
	if (text == NULL || text[0] == '\0')
		return sg_error_set(err, SG_ERR_SINK,
				    "the input has no facts (the "
				    "JSON object the manifest is made of); "
				    "the host must give facts_json");
	if (strlen(text) > BUNDLE_FACTS_MAX)
		return sg_error_set(err, SG_ERR_SINK,
				    "the facts are larger than %u "
				    "bytes", BUNDLE_FACTS_MAX);
	*facts = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (*facts == NULL)
		return sg_error_set(err, SG_ERR_SINK,
				    "the facts are not valid JSON "
				    "(line %d, column %d: %s)", jerr.line,
				    jerr.column, jerr.text);
	if (!json_is_object(*facts)) {
		rc = sg_error_set(err, SG_ERR_SINK,
				  "the facts must be a JSON object");
		goto fail;
	}
	if (json_object_get(*facts, "files") != NULL) {
		rc = sg_error_set(err, SG_ERR_SINK,
				  "the facts must not have \"files\" "
				  "(the bundle lists the files itself)");
		goto fail;
	}
	v = json_object_get(*facts, "as_of");
	if (!json_is_string(v)) {
		rc = sg_error_set(err, SG_ERR_SINK,
				  "the facts have no \"as_of\" time "
				  "(an ISO-8601 string); it names the "
				  "bundle's folder and dates its entries");
		goto fail;
	}
	sg_error_clear(&terr);
	if (sg_time_parse_iso(as_of, json_string_value(v),
			      json_string_length(v), 0, 0, &terr) != SG_OK) {
		rc = sg_error_set(err, SG_ERR_SINK, "the facts' "
				  "\"as_of\": %s", terr.message);
		goto fail;
	}
	return SG_OK;
fail:
	json_decref(*facts);
	*facts = NULL;
	return rc;
}

/* "stageguard-evidence-20261125T120000Z" */
static void bundle_top_name(sg_time as_of, char *buf, size_t size)
{
	char iso[SG_TIME_ISO_SIZE], compact[SG_TIME_ISO_SIZE];
	size_t i, j = 0;

	sg_time_format_iso(as_of, iso);
	for (i = 0; iso[i] != '\0'; i++)
		if (iso[i] != '-' && iso[i] != ':')
			compact[j++] = iso[i];
	compact[j] = '\0';
	snprintf(buf, size, BUNDLE_TOP_PREFIX "%s", compact);
}

/* ---- writing the archive ---- */

struct bundle_writer {
	struct bundle_state *st;
	struct archive *a;
	struct archive_entry *ae;
	const char *top;
	sg_time as_of;
	unsigned char *buf;
	unsigned long long done, total;
};

static int bundle_archive_error(struct bundle_writer *w, const char *what,
				struct sg_error *err)
{
	const char *msg = archive_error_string(w->a);

	return sg_error_set_at(err, SG_ERR_IO, w->st->path, 0, 0,
			       "cannot write the bundle (%s): %s; check that "
			       "the folder exists, is writable and has room",
			       what, msg != NULL ? msg : "unknown error");
}

/* Writes the header of a folder or file entry "top/name". */
static int bundle_header(struct bundle_writer *w, const char *name,
			 size_t len, int dir, uint64_t size,
			 struct sg_error *err)
{
	size_t tl = strlen(w->top);
	char *full;
	int rc = SG_OK;

	full = malloc(tl + len + 3);
	if (full == NULL)
		return bundle_nomem(err);
	memcpy(full, w->top, tl);
	full[tl] = '/';
	memcpy(full + tl + 1, name, len);
	full[tl + 1 + len] = '\0';
	if (dir && len > 0)
		strcat(full, "/");
	archive_entry_clear(w->ae);
	archive_entry_set_pathname_utf8(w->ae, full);
	archive_entry_set_filetype(w->ae, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(w->ae, dir ? 0755 : 0644);
	archive_entry_set_size(w->ae, dir ? 0 : (la_int64_t)size);
	archive_entry_set_mtime(w->ae, (time_t)w->as_of, 0);
	archive_entry_set_uid(w->ae, 0);
	archive_entry_set_gid(w->ae, 0);
	if (archive_write_header(w->a, w->ae) != ARCHIVE_OK)
		rc = bundle_archive_error(w, full, err);
	free(full);
	return rc;
}

/* Copies one file's bytes into the archive, hashing them again: a file
 * that changed since it was hashed for the manifest is an error. */
static int bundle_copy(struct bundle_writer *w, struct bundle_entry *e,
		       struct sg_error *err)
{
	const char *where = e->path != NULL ? e->path : e->name;
	unsigned char sha[32];
	EVP_MD_CTX *md = NULL;
	uint64_t size = 0;
	ssize_t n;
	int fd = -1, rc;

	if (e->path != NULL) {
		fd = open(e->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0,
					       "cannot read %s for the "
					       "%s", e->name,
					       strerror(errno));
	} else {
		rewind(e->tmp);
	}
	rc = bundle_hash_begin(&md, err);
	if (rc != SG_OK)
		goto out;
	for (;;) {
		if (fd >= 0) {
			n = read(fd, w->buf, BUNDLE_BLOCK);
			if (n < 0 && errno == EINTR)
				continue;
		} else {
			n = (ssize_t)fread(w->buf, 1, BUNDLE_BLOCK, e->tmp);
			if (n == 0 && ferror(e->tmp))
				n = -1;
		}
		if (n < 0) {
			rc = sg_error_set_at(err, SG_ERR_IO, where, 0, 0,
					     "cannot read %s for the bundle: "
					     "%s", e->name, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (size + (uint64_t)n > e->size)
			break;
		EVP_DigestUpdate(md, w->buf, (size_t)n);
		size += (uint64_t)n;
		if (archive_write_data(w->a, w->buf, (size_t)n) != n) {
			rc = bundle_archive_error(w, e->name, err);
			goto out;
		}
		w->done += (unsigned long long)n;
		if (w->st->host->progress != NULL)
			w->st->host->progress(w->st->host->ctx, "bundle",
					      w->done, w->total);
	}
	bundle_hash_end(md, sha);
	md = NULL;
	if (size != e->size || memcmp(sha, e->sha, sizeof(sha)) != 0)
		rc = sg_error_set_at(err, SG_ERR_IO, where, 0, 0,
				     "%s changed while it was being bundled; "
				     "write the bundle again once nothing "
				     "writes to it", e->name);
out:
	EVP_MD_CTX_free(md);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The length of the folder part of name ("a/b/c" -> 3), 0 for none. */
static size_t bundle_dir_len(const char *name)
{
	const char *slash = strrchr(name, '/');

	return slash != NULL ? (size_t)(slash - name) : 0;
}

/* Writes every entry: the top folder, then the files in name order,
 * each folder just before its first file. */
static int bundle_entries(struct bundle_writer *w,
			  struct bundle_entry **order, size_t count,
			  struct sg_error *err)
{
	const struct sg_host *h = w->st->host;
	const char *name, *prev = NULL;
	size_t i, j, dl;
	int rc;

	rc = bundle_header(w, "", 0, 1, 0, err);
	for (i = 0; rc == SG_OK && i < count; i++) {
		if (h->cancelled != NULL && h->cancelled(h->ctx))
			return sg_error_set(err, SG_ERR_CANCELLED,
					    "cancelled");
		name = order[i]->name;
		dl = bundle_dir_len(name);
		for (j = 0; rc == SG_OK && j < dl; j++) {
			if (name[j] != '/')
				continue;
			/* Folders already written are shared with the
			 * previous name: names in order keep a folder's
			 * files together. */
			if (prev != NULL && strncmp(prev, name, j + 1) == 0)
				continue;
			rc = bundle_header(w, name, j, 1, 0, err);
		}
		if (rc == SG_OK && dl > 0 &&
		    (prev == NULL || strncmp(prev, name, dl + 1) != 0))
			rc = bundle_header(w, name, dl, 1, 0, err);
		if (rc == SG_OK)
			rc = bundle_header(w, name, strlen(name), 0,
					   order[i]->size, err);
		if (rc == SG_OK)
			rc = bundle_copy(w, order[i], err);
		prev = name;
	}
	return rc;
}

/* Opens the archive on fd with the state's format, reproducibly. */
static int bundle_archive_open(struct bundle_writer *w, int fd,
			       struct sg_error *err)
{
	struct archive *a = w->a;
	int r;

	if (w->st->format == BUNDLE_ZIP) {
		r = archive_write_set_format_zip(a);
		if (r == ARCHIVE_OK)
			r = archive_write_set_options(
				a, "zip:compression=deflate,"
				"zip:hdrcharset=UTF-8");
	} else {
		/* ustar headers, a pax header only for what ustar cannot
		 * hold (a long or non-ASCII name, a huge file). */
		r = archive_write_set_format_pax_restricted(a);
		if (r == ARCHIVE_OK && w->st->format == BUNDLE_TGZ) {
			r = archive_write_add_filter_gzip(a);
			/* No time stamp in the gzip header. */
			if (r == ARCHIVE_OK)
				r = archive_write_set_options(
					a, "gzip:!timestamp");
		} else if (r == ARCHIVE_OK) {
			r = archive_write_add_filter_zstd(a);
		}
	}
	if (r == ARCHIVE_OK)
		r = archive_write_open_fd(a, fd);
	if (r != ARCHIVE_OK)
		return bundle_archive_error(w, "opening", err);
	return SG_OK;
}

/* Creates the temporary file beside the output: ".NAME.XXXXXX". */
static int bundle_tmp_create(struct bundle_state *st, int *fd,
			     struct sg_error *err)
{
	const char *slash = strrchr(st->path, '/');
	size_t dl = slash != NULL ? (size_t)(slash - st->path) + 1 : 0;
	char dir[SG_ERROR_PATH_MAX];

	st->tmp = malloc(strlen(st->path) + 9);
	if (st->tmp == NULL)
		return bundle_nomem(err);
	memcpy(st->tmp, st->path, dl);
	sprintf(st->tmp + dl, ".%s.XXXXXX", st->path + dl);
	*fd = mkstemp(st->tmp);
	if (*fd < 0) {
		int e = errno;

		free(st->tmp);
		st->tmp = NULL;
		if (dl == 0)
			snprintf(dir, sizeof(dir), ".");
		else
			snprintf(dir, sizeof(dir), "%.*s",
				 dl > 1 ? (int)dl - 1 : 1, st->path);
		return sg_error_set_at(err, SG_ERR_IO, dir, 0, 0,
				       "cannot create the bundle %s here: "
				       "%s; check that the folder exists and "
				       "is writable", st->path + dl,
				       strerror(e));
	}
	/* mkstemp() makes 0600; a bundle is meant to be handed on. */
	fchmod(*fd, 0644);
	return SG_OK;
}

static int bundle_write_utf8(struct bundle_state *st,
			     const struct sg_sink_input *input, int utf8,
			     struct sg_error *err);

static int bundle_write(void *state, const struct sg_sink_input *input,
			struct sg_error *err)
{
	locale_t loc, old = (locale_t)0;
	int rc;

	loc = bundle_utf8_begin(&old);
	rc = bundle_write_utf8(state, input, loc != (locale_t)0, err);
	bundle_utf8_end(loc, old);
	return rc;
}

/* write() in the C.UTF-8 character set (utf8 nonzero) or without. */
static int bundle_write_utf8(struct bundle_state *st,
			     const struct sg_sink_input *input, int utf8,
			     struct sg_error *err)
{
	struct bundle_entry *entries = NULL, **order = NULL, *man, *sums;
	struct bundle_writer w;
	const char *why;
	json_t *facts = NULL;
	char top[64];
	sg_time as_of = 0;
	size_t i, n = 0;
	int rc, fd = -1;

	memset(&w, 0, sizeof(w));
	if (st->written || st->tmp != NULL)
		return sg_error_set(err, SG_ERR_SINK,
				    "write() was already called; one "
				    "bundle is written per open()");
	if (input == NULL || input->size < offsetof(struct sg_sink_input,
						    facts_json) +
	    sizeof(input->facts_json))
		return sg_error_set(err, SG_ERR_SINK,
				    "the input is missing or too old");
	if (input->files == NULL || input->file_count == 0)
		return sg_error_set(err, SG_ERR_SINK,
				    "the input has no files to "
				    "archive; the host must give the "
				    "evidence files");
	rc = bundle_facts(input->facts_json, &facts, &as_of, err);
	if (rc != SG_OK)
		return rc;
	n = input->file_count + 2;
	entries = calloc(n, sizeof(*entries));
	order = calloc(n, sizeof(*order));
	w.buf = malloc(BUNDLE_BLOCK);
	w.ae = archive_entry_new();
	if (entries == NULL || order == NULL || w.buf == NULL ||
	    w.ae == NULL) {
		rc = bundle_nomem(err);
		goto out;
	}
	for (i = 0; i < input->file_count; i++) {
		const struct sg_sink_file *f = &input->files[i];

		if (f->name == NULL || f->path == NULL) {
			rc = sg_error_set(err, SG_ERR_SINK,
					  "file %zu of the input has "
					  "no name or no path", i + 1);
			goto out;
		}
		why = bundle_name_problem(f->name);
		if (why != NULL) {
			rc = sg_error_set(err, SG_ERR_SINK,
					  "unsafe file name \"%.200s\""
					  ": %s; a name must be relative, "
					  "'/'-separated, without \".\", "
					  "\"..\" or empty parts", f->name,
					  why);
			goto out;
		}
		if (!utf8 && !bundle_is_ascii(f->name)) {
			rc = sg_error_set(err, SG_ERR_SINK,
					  "the file name \"%.200s\" "
					  "is not ASCII and this system has "
					  "no C.UTF-8 locale to write it with",
					  f->name);
			goto out;
		}
		if (strcmp(f->name, BUNDLE_MANIFEST) == 0 ||
		    strcmp(f->name, BUNDLE_SUMS) == 0) {
			rc = sg_error_set(err, SG_ERR_SINK,
					  "the file name \"%s\" is "
					  "the bundle's own; rename the file",
					  f->name);
			goto out;
		}
		entries[i].name = f->name;
		entries[i].path = f->path;
		order[i] = &entries[i];
	}
	man = &entries[n - 2];
	sums = &entries[n - 1];
	man->name = BUNDLE_MANIFEST;
	sums->name = BUNDLE_SUMS;
	man->tmp = tmpfile();
	sums->tmp = tmpfile();
	if (man->tmp == NULL || sums->tmp == NULL) {
		rc = sg_error_set(err, SG_ERR_IO, "cannot create a "
				  "temporary file: %s (check /tmp)",
				  strerror(errno));
		goto out;
	}
	order[n - 2] = man;
	order[n - 1] = sums;
	qsort(order, n, sizeof(*order), bundle_entry_cmp);
	rc = bundle_check_names(order, n, err);
	if (rc != SG_OK)
		goto out;
	for (i = 0; i < input->file_count; i++) {
		rc = bundle_hash_file(&entries[i], w.buf, err);
		if (rc != SG_OK)
			goto out;
		w.total += entries[i].size;
	}
	rc = bundle_manifest(man, facts, order, n, err);
	if (rc == SG_OK)
		rc = bundle_sums(sums, order, n, err);
	if (rc != SG_OK)
		goto out;
	w.total += man->size + sums->size;
	bundle_top_name(as_of, top, sizeof(top));
	w.st = st;
	w.top = top;
	w.as_of = as_of;
	rc = bundle_tmp_create(st, &fd, err);
	if (rc != SG_OK)
		goto out;
	w.a = archive_write_new();
	if (w.a == NULL) {
		rc = bundle_nomem(err);
		goto out;
	}
	rc = bundle_archive_open(&w, fd, err);
	if (rc == SG_OK)
		rc = bundle_entries(&w, order, n, err);
	if (rc == SG_OK && archive_write_close(w.a) != ARCHIVE_OK)
		rc = bundle_archive_error(&w, "closing", err);
	if (rc == SG_OK && fsync(fd) != 0)
		rc = sg_error_set_at(err, SG_ERR_IO, st->tmp, 0, 0,
				     "cannot write the bundle: %s; check "
				     "the room on the disk", strerror(errno));
	if (rc == SG_OK)
		st->written = 1;
out:
	if (w.a != NULL)
		archive_write_free(w.a);
	if (fd >= 0 && close(fd) != 0 && rc == SG_OK)
		rc = sg_error_set_at(err, SG_ERR_IO, st->tmp, 0, 0,
				     "cannot write the bundle: %s",
				     strerror(errno));
	if (rc != SG_OK && st->tmp != NULL) {
		unlink(st->tmp);
		free(st->tmp);
		st->tmp = NULL;
	}
	for (i = 0; entries != NULL && i < n; i++)
		if (entries[i].tmp != NULL)
			fclose(entries[i].tmp);
	archive_entry_free(w.ae);
	free(w.buf);
	free(order);
	free(entries);
	json_decref(facts);
	return rc;
}

static int bundle_finish(void *state, struct sg_error *err)
{
	struct bundle_state *st = state;

	if (!st->written || st->tmp == NULL)
		return sg_error_set_at(err, SG_ERR_SINK, st->path, 0, 0,
				       "nothing to finish: no bundle "
				       "was written");
	if (rename(st->tmp, st->path) != 0) {
		int e = errno;

		unlink(st->tmp);
		free(st->tmp);
		st->tmp = NULL;
		return sg_error_set_at(err, SG_ERR_IO, st->path, 0, 0,
				       "cannot put the bundle in place: %s; "
				       "check that the name is not a folder "
				       "and the folder is writable",
				       strerror(e));
	}
	free(st->tmp);
	st->tmp = NULL;
	st->host->log(st->host->ctx, SG_LOG_INFO, "wrote %s", st->path);
	return SG_OK;
}

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
	if (bundle_name_problem(path) == bundle_why_dotdot) {
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

/* Records one entry; reads a file's bytes: hashes them, keeps those of
 * the first "X/manifest.json" and "X/SHA256SUMS". */
static int bundle_read_entry(struct bundle_check *c, struct archive *a,
			     const char *archive, const char *path, int dir,
			     struct sg_error *err)
{
	struct bundle_seen *s;
	EVP_MD_CTX *md = NULL;
	const void *block;
	size_t size;
	la_int64_t offset;
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
	bundle_hash_end(md, s->sha);
	md = NULL;
out:
	EVP_MD_CTX_free(md);
	return rc;
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

	a = archive_read_new();
	if (a == NULL)
		return bundle_nomem(err);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip_seekable(a);
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
		rc = bundle_read_entry(c, a, path, name, type == AE_IFDIR,
				       err);
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
			      jerr.column, jerr.text);
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

	qsort(c->seen, c->seen_count, sizeof(*c->seen), bundle_seen_cmp);
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

static int bundle_verify(void *state, const char *path,
			 sg_problem_fn problem, void *arg,
			 struct sg_error *err)
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
	return rc;
}

static const struct sg_plugin bundle_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SINK,
	.name = "bundle",
	.version = PACKAGE_VERSION,
	.description = "Writes a verifiable evidence archive (.tar.gz, "
		".tar.zst or .zip) with a manifest and SHA256SUMS",
	.options = bundle_options,
	.option_count = sizeof(bundle_options) / sizeof(bundle_options[0]),
	.config_size = sizeof(struct bundle_config),
	.open = bundle_open,
	.pull = NULL,
	.write = bundle_write,
	.finish = bundle_finish,
	.close = bundle_close,
	.stream_count = NULL,
	.pull_stream = NULL,
	.verify = bundle_verify,
	.sink_needs = SG_SINK_NEEDS_FILES,
};

/* The plugin's one exported symbol: its constant descriptor. */
const struct sg_plugin *sg_plugin_entry(void)
{
	return &bundle_plugin;
}
