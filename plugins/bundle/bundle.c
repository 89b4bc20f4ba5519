/*
 * bundle.c - the bundle sink: an evidence archive (.tar.gz, .tar.zst or
 * .zip, by the output's name) holding the files the host gives it, a
 * manifest.json (the facts and every file's size and SHA-256) and a
 * SHA256SUMS that `sha256sum -c` accepts (docs/bundle.md).
 *
 * Everything sits under one top folder named after the facts' as_of.
 * The same files and facts give a byte-identical archive: the files in
 * name order, then manifest.json and SHA256SUMS, mtime as_of, owner 0:0
 * without names, fixed modes, no compressor time stamp.  Each file is
 * read once, in blocks, hashed as it is archived (never loaded whole);
 * the manifest and SHA256SUMS are built afterwards in anonymous
 * temporary files, so memory grows only with the number of files.  The
 * archive is written to a temporary file beside the output and renamed
 * into place by finish().
 *
 * verify() reads an archive of any of the three formats (by content),
 * hashes every entry while streaming it and reports each difference
 * between the entries, the manifest and SHA256SUMS.
 *
 * This file: the descriptor, open/close, the input, writing the archive;
 * bundle_manifest.c reads and describes the files, bundle_verify.c
 * checks an archive (bundle_int.h).
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
#include <openssl/evp.h>
#include <locale.h>
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

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

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

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

int bundle_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

void bundle_hex(const unsigned char *sha, char *hex)
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
int bundle_unhex(const char *text, size_t len, unsigned char *sha)
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

static const char bundle_dotdot[] = "a \"..\" path component";

const char *bundle_why_dotdot(void)
{
	return bundle_dotdot;
}

/*
 * Why name is unsafe as a relative name inside the archive, or NULL
 * when it is safe: relative, '/'-separated, no empty, "." or ".."
 * component, no backslash, no control character, valid UTF-8.
 */
const char *bundle_name_problem(const char *name)
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
				return bundle_dotdot;
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
locale_t bundle_utf8_begin(locale_t *old)
{
	locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

	if (loc == (locale_t)0)
		return (locale_t)0;
	*old = uselocale(loc);
	return loc;
}

void bundle_utf8_end(locale_t loc, locale_t old)
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
	char why[JSON_ERROR_TEXT_LENGTH];
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
				    jerr.column, sg_json_reason(jerr.text, why,
								sizeof(why)));
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
	struct bundle_reader reader;
	struct bundle_gzip *gz;  /* .tar.gz: the compressor */
	int fd;                  /* .tar.zst and .zip: the file */
	int write_errno;         /* their first write error, or 0 */
	uint64_t unsynced;       /* written since its write-out started */
	/* .tar.gz: tar bytes libarchive writes that the output does not
	 * take, a packed file's being put there already compressed. */
	uint64_t skip;
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

/* Reads the next block of e into w->buf: the count, 0 at its end, -1
 * with err set. */
static long bundle_next_block(struct bundle_writer *w, struct bundle_entry *e,
			      uint64_t at, struct sg_error *err)
{
	size_t n;

	if (e->path != NULL)
		return bundle_read(&w->reader, e, at, w->buf, BUNDLE_BLOCK,
				   err);
	n = fread(w->buf, 1, BUNDLE_BLOCK, e->tmp);
	if (n == 0 && ferror(e->tmp)) {
		sg_error_set(err, SG_ERR_IO, "cannot read %s back: %s",
			     e->name, strerror(errno));
		return -1;
	}
	return (long)n;
}

/* Zeros libarchive is given for a packed file's bytes (dropped). */
static const unsigned char bundle_zeros[BUNDLE_BLOCK];

/*
 * A packed file into a .tar.gz: its gzip members are put after its
 * header as they are, and libarchive, which counts an entry's bytes and
 * pads it, is given as many zeros, which bundle_gz_write() drops.  Its
 * size and SHA-256 are the ones given with it.
 */
static int bundle_copy_packed(struct bundle_writer *w, struct bundle_entry *e,
			      struct sg_error *err)
{
	uint64_t left = e->size;
	size_t n;
	int rc = bundle_reader_open(&w->reader, e, err), copied;

	if (rc != SG_OK)
		return rc;
	copied = bundle_gzip_copy(w->gz, w->reader.fd, e->packed_size,
				  w->buf, BUNDLE_BLOCK);
	if (copied == ENODATA)
		return sg_error_set_at(err, SG_ERR_IO, e->path, 0, 0,
				       "%s changed while it was being "
				       "bundled; write the bundle again once "
				       "nothing writes to it", e->name);
	if (copied != 0)
		return sg_error_set_at(err, SG_ERR_IO, w->st->path, 0, 0,
				       "cannot write the bundle: %s; check "
				       "the room on the disk",
				       copied < 0 ? bundle_gzip_error(w->gz) :
				       strerror(copied));
	w->skip = e->size;
	while (left > 0) {
		n = left < BUNDLE_BLOCK ? (size_t)left : BUNDLE_BLOCK;
		if (archive_write_data(w->a, bundle_zeros, n) != (la_ssize_t)n)
			return bundle_archive_error(w, e->name, err);
		left -= n;
	}
	w->done += e->size;
	if (w->st->host->progress != NULL)
		w->st->host->progress(w->st->host->ctx, "bundle", w->done,
				      w->total);
	return SG_OK;
}

/*
 * Copies one entry's bytes into the archive.  A given file is hashed as
 * it is copied, so the manifest holds the SHA-256 of the very bytes
 * archived; its size was taken before its header (a tar header states
 * it first), and a file that has grown or shrunk since is an error.  The
 * bundle's own two files are temporary files no one else can open.
 */
static int bundle_copy(struct bundle_writer *w, struct bundle_entry *e,
		       struct sg_error *err)
{
	const char *where = e->path != NULL ? e->path : e->name;
	EVP_MD_CTX *md = NULL;
	unsigned char given[32];
	uint64_t size = 0;
	long n;
	int rc = SG_OK;

	if (e->packed && w->gz != NULL)
		return bundle_copy_packed(w, e, err);
	memcpy(given, e->sha, sizeof(given));
	if (e->tmp != NULL)
		rewind(e->tmp);
	else
		rc = bundle_hash_begin(&md, err);
	while (rc == SG_OK) {
		n = bundle_next_block(w, e, size, err);
		if (n < 0)
			rc = SG_ERR_IO;
		if (n <= 0 || size + (uint64_t)n > e->size)
			break;
		if (md != NULL)
			EVP_DigestUpdate(md, w->buf, (size_t)n);
		size += (uint64_t)n;
		if (archive_write_data(w->a, w->buf, (size_t)n) != n) {
			rc = bundle_archive_error(w, e->name, err);
			break;
		}
		w->done += (unsigned long long)n;
		if (w->st->host->progress != NULL)
			w->st->host->progress(w->st->host->ctx, "bundle",
					      w->done, w->total);
	}
	if (rc == SG_OK && size != e->size)
		rc = sg_error_set_at(err, SG_ERR_IO, where, 0, 0,
				     "%s changed while it was being bundled; "
				     "write the bundle again once nothing "
				     "writes to it", e->name);
	if (rc == SG_OK && md != NULL) {
		bundle_hash_end(md, e->sha);
		md = NULL;
	}
	EVP_MD_CTX_free(md);
	if (rc == SG_OK && e->packed && memcmp(given, e->sha, 32) != 0)
		rc = sg_error_set_at(err, SG_ERR_IO, where, 0, 0,
				     "%s unpacked is not the file given (its "
				     "SHA-256 differs); write the bundle "
				     "again", e->name);
	return rc;
}

/* The length of the folder part of name ("a/b/c" -> 3), 0 for none. */
static size_t bundle_dir_len(const char *name)
{
	const char *slash = strrchr(name, '/');

	return slash != NULL ? (size_t)(slash - name) : 0;
}

/*
 * Waits until the host has finished a given file (it may still be
 * writing one when write() is called: host->file_ready), then takes its
 * size.  The progress total grows as files are sized.
 */
static int bundle_ready(struct bundle_writer *w, struct bundle_entry *e,
			struct sg_error *err)
{
	const struct sg_host *h = w->st->host;
	int rc = SG_OK;

	if (e->tmp != NULL)
		return SG_OK;
	if (h->size >= offsetof(struct sg_host, file_ready) +
	    sizeof(h->file_ready) && h->file_ready != NULL)
		rc = h->file_ready(h->ctx, e->index, err);
	if (rc == SG_OK)
		rc = bundle_size_file(&w->reader, e, err);
	if (rc == SG_OK)
		w->total += e->size;
	return rc;
}

/* Writes count entries in the order given, each folder of a name just
 * before its first file (*prev: the name written last, NULL at first). */
static int bundle_entries(struct bundle_writer *w,
			  struct bundle_entry **order, size_t count,
			  const char **prev, struct sg_error *err)
{
	const struct sg_host *h = w->st->host;
	const char *name;
	size_t i, j, dl;
	int rc = SG_OK;

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
			if (*prev != NULL && strncmp(*prev, name, j + 1) == 0)
				continue;
			rc = bundle_header(w, name, j, 1, 0, err);
		}
		if (rc == SG_OK && dl > 0 &&
		    (*prev == NULL || strncmp(*prev, name, dl + 1) != 0))
			rc = bundle_header(w, name, dl, 1, 0, err);
		if (rc == SG_OK)
			rc = bundle_ready(w, order[i], err);
		if (rc == SG_OK)
			rc = bundle_header(w, name, strlen(name), 0,
					   order[i]->size, err);
		if (rc == SG_OK)
			rc = bundle_copy(w, order[i], err);
		*prev = name;
	}
	return rc;
}

/*
 * The top folder, the given files in name order (hashed as they are
 * archived), then manifest.json and SHA256SUMS, made from those hashes.
 * order holds every entry in name order, the bundle's two included (the
 * order of the lines of SHA256SUMS and of the manifest's list).
 */
static int bundle_all_entries(struct bundle_writer *w,
			      struct bundle_entry **order, size_t count,
			      struct bundle_entry *man,
			      struct bundle_entry *sums, json_t *facts,
			      struct sg_error *err)
{
	struct bundle_entry **files = malloc(count * sizeof(*files));
	struct bundle_entry *own[2] = { man, sums };
	const char *prev = NULL;
	size_t i, n = 0;
	int rc;

	if (files == NULL)
		return bundle_nomem(err);
	for (i = 0; i < count; i++)
		if (order[i] != man && order[i] != sums)
			files[n++] = order[i];
	rc = bundle_header(w, "", 0, 1, 0, err);
	if (rc == SG_OK)
		rc = bundle_entries(w, files, n, &prev, err);
	if (rc == SG_OK)
		rc = bundle_manifest(man, facts, order, count, err);
	if (rc == SG_OK)
		rc = bundle_sums(sums, order, count, err);
	if (rc == SG_OK) {
		w->total += man->size + sums->size;
		rc = bundle_entries(w, own, 2, &prev, err);
	}
	free(files);
	return rc;
}

/* libarchive's output for a .tar.gz: the tar stream, compressed here
 * on several threads (bundle_gzip.c). */
static la_ssize_t bundle_gz_write(struct archive *a, void *arg,
				  const void *buf, size_t len)
{
	struct bundle_writer *w = arg;
	size_t drop = w->skip < len ? (size_t)w->skip : len;

	w->skip -= drop;
	if (drop < len &&
	    bundle_gzip_write(w->gz, (const char *)buf + drop,
			      len - drop) != 0) {
		archive_set_error(a, EIO, "%s", bundle_gzip_error(w->gz));
		return -1;
	}
	return (la_ssize_t)len;
}

/* libarchive drops what a close callback returns, so the gzip stream
 * is finished after archive_write_close(), where its error is seen
 * (bundle_gz_finish()). */
static int bundle_gz_close(struct archive *a, void *arg)
{
	(void)a;
	(void)arg;
	return ARCHIVE_OK;
}

/* The last compressed blocks written: SG_ERR_IO (a full disk) when they
 * could not be. */
static int bundle_gz_finish(struct bundle_writer *w, struct sg_error *err)
{
	if (w->gz == NULL || bundle_gzip_finish(w->gz) == 0)
		return SG_OK;
	return sg_error_set_at(err, SG_ERR_IO, w->st->path, 0, 0,
			       "cannot write the bundle: %s; check the room "
			       "on the disk", bundle_gzip_error(w->gz));
}

/*
 * libarchive's output for a .tar.zst or a .zip.  A write error is noted
 * and what follows discarded, not returned: libarchive's zip writer
 * leaks an entry's deflate stream when a write fails inside it, so the
 * archive is let run to its end and the error said after
 * (bundle_fd_finish()).
 */
static la_ssize_t bundle_fd_write(struct archive *a, void *arg,
				  const void *buf, size_t len)
{
	struct bundle_writer *w = arg;

	(void)a;
	if (w->write_errno == 0)
		w->write_errno = sg_write_all(w->fd, buf, len);
	if (w->write_errno == 0)
		sg_write_behind(w->fd, &w->unsynced, len);
	return (la_ssize_t)len;
}

static int bundle_fd_finish(struct bundle_writer *w, struct sg_error *err)
{
	if (w->write_errno == 0)
		return SG_OK;
	return sg_error_set_at(err, SG_ERR_IO, w->st->path, 0, 0,
			       "cannot write the bundle: %s; check the room "
			       "on the disk", strerror(w->write_errno));
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
		if (r == ARCHIVE_OK && w->st->format == BUNDLE_TZST)
			r = archive_write_add_filter_zstd(a);
	}
	if (r == ARCHIVE_OK && w->st->format == BUNDLE_TGZ) {
		if (bundle_gzip_new(&w->gz, fd, err) != SG_OK)
			return SG_ERR_IO;
		/* Unblocked: the tar stream reaches bundle_gz_write() as it
		 * is written, so a packed file's members follow its header
		 * (bundle_copy_packed()); no record is padded either, which
		 * a compressed stream does not need. */
		r = archive_write_set_bytes_per_block(a, 0);
		if (r == ARCHIVE_OK)
			r = archive_write_set_bytes_in_last_block(a, 1);
		if (r == ARCHIVE_OK)
			r = archive_write_open(a, w, NULL, bundle_gz_write,
					       bundle_gz_close);
	} else if (r == ARCHIVE_OK) {
		/* As archive_write_open_fd() does for a regular file: the
		 * last block is not padded. */
		w->fd = fd;
		r = archive_write_set_bytes_in_last_block(a, 1);
		if (r == ARCHIVE_OK)
			r = archive_write_open(a, w, NULL, bundle_fd_write,
					       NULL);
	}
	if (r != ARCHIVE_OK)
		return bundle_archive_error(w, "opening", err);
	return SG_OK;
}

/* Creates the temporary file beside the output, ".NAME.XXXXXX", locked
 * while its descriptor is open (sg_path_output_temp()). */
static int bundle_tmp_create(struct bundle_state *st, int *fd,
			     struct sg_error *err)
{
	if (sg_path_output_ok(st->path, err) != SG_OK)
		return err->code;
	if (sg_path_output_temp(st->path, &st->tmp, fd, err) != SG_OK)
		return sg_error_prefix(err, "cannot create the bundle: ");
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

/* A packed file's given size and SHA-256. */
static int bundle_take_packed(struct bundle_entry *e,
			      const struct sg_sink_file *f, size_t i,
			      struct sg_error *err)
{
	if (f->slice ||
	    bundle_unhex(f->sha256, strnlen(f->sha256, sizeof(f->sha256)),
			 e->sha) != 0)
		return sg_error_set(err, SG_ERR_SINK, "file %zu of the input "
				    "(%s) is packed without its SHA-256, or "
				    "as a slice", i + 1, f->name);
	e->packed = 1;
	e->size = f->size;
	e->given_packed_size = f->packed_size;
	return SG_OK;
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
	bundle_reader_init(&w.reader);
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
		entries[i].index = i;
		entries[i].slice = f->slice;
		entries[i].offset = f->slice ? f->offset : 0;
		entries[i].size = f->slice ? f->length : 0;
		if (f->packed) {
			rc = bundle_take_packed(&entries[i], f, i, err);
			if (rc != SG_OK)
				goto out;
		}
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
		rc = bundle_all_entries(&w, order, n, man, sums, facts, err);
	if (rc == SG_OK && archive_write_close(w.a) != ARCHIVE_OK)
		rc = bundle_archive_error(&w, "closing", err);
	if (rc == SG_OK)
		rc = bundle_gz_finish(&w, err);
	if (rc == SG_OK)
		rc = bundle_fd_finish(&w, err);
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
	bundle_reader_close(&w.reader);
	bundle_gzip_free(w.gz);
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
	.sink_needs = SG_SINK_NEEDS_FILES | SG_SINK_FILES_WHEN_READY |
		      SG_SINK_FILES_PACKED,
};

/* The plugin's one exported symbol: its constant descriptor. */
const struct sg_plugin *sg_plugin_entry(void)
{
	return &bundle_plugin;
}
