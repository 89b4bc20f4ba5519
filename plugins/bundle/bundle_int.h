/*
 * bundle_int.h - what the bundle sink's files share (not exported: the
 * module is built with -fvisibility=hidden):
 *
 *   bundle.c           the descriptor, open/close, the input, writing the
 *                      archive, write() and finish()
 *   bundle_manifest.c  hashing, manifest.json and SHA256SUMS
 *   bundle_verify.c    verify(): an archive read back and checked
 */
#ifndef BUNDLE_INT_H
#define BUNDLE_INT_H

#include <archive.h>
#include <jansson.h>
#include <locale.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>

#include "sg_plugin.h"

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

/* One file of the archive: given (path set) or made here (tmp set). */
struct bundle_entry {
	const char *name;       /* inside the top folder */
	const char *path;       /* a given file on disk */
	size_t index;           /* a given file's place in input->files */
	int slice;              /* the file is size bytes of path from offset */
	uint64_t offset;
	FILE *tmp;              /* manifest.json, SHA256SUMS */
	uint64_t size;
	unsigned char sha[32];
	/* A packed file (struct sg_sink_file): path holds gzip members;
	 * size and sha are given with it, and given_packed_size, which
	 * packed_size, path's size when sized, must be. */
	int packed;
	uint64_t packed_size, given_packed_size;
};

/* Reads the given files.  The file opened last stays open: many entries
 * can be slices of one file (the review notes). */
struct bundle_reader {
	const char *path;       /* borrowed from the entry; NULL: none */
	int fd;
	/* A packed file is read in order, unpacked (bundle_packed.c). */
	void *unpack;
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
	int reported;           /* its size already found wrong: not read */
};

/* One file the manifest lists. */
struct bundle_listed {
	const char *name;       /* borrowed from the manifest's JSON */
	uint64_t size;
	unsigned char sha[32];
	int in_sums;            /* line number in SHA256SUMS, 0: none */
};

int bundle_nomem(struct sg_error *err);

void bundle_hex(const unsigned char *sha, char *hex);

/* Reads 64 lowercase hex digits; -1 when text is not that. */
int bundle_unhex(const char *text, size_t len, unsigned char *sha);

/*
 * Why name is unsafe as a relative name inside the archive, or NULL
 * when it is safe: relative, '/'-separated, no empty, "." or ".."
 * component, no backslash, no control character, valid UTF-8.
 */
const char *bundle_name_problem(const char *name);

/*
 * libarchive converts names through the locale's character set, and in
 * the C locale a name that is not ASCII cannot be converted (3.6.2 then
 * even crashes formatting its message).  Names are UTF-8 here, so the
 * calling thread uses the C.UTF-8 character set while an archive is
 * written or read: the bytes do not depend on the user's locale, and the
 * process's locale is left alone.  Returns 0 when no UTF-8 locale exists.
 */
locale_t bundle_utf8_begin(locale_t *old);

void bundle_utf8_end(locale_t loc, locale_t old);

/* ---- hashing ---- */
int bundle_hash_begin(EVP_MD_CTX **md, struct sg_error *err);

void bundle_hash_end(EVP_MD_CTX *md, unsigned char *sha);

void bundle_reader_init(struct bundle_reader *r);
void bundle_reader_close(struct bundle_reader *r);

/* Reads up to want bytes of e's, starting at its byte at: the count, 0
 * at its end, -1 with err set. */
long bundle_read(struct bundle_reader *r, const struct bundle_entry *e,
		 uint64_t at, unsigned char *buf, size_t want,
		 struct sg_error *err);

/* Reads up to want bytes of a packed e, unpacked, in order (at is
 * what was read of it so far): the count, 0 at its end, -1 with err set
 * (damaged members). */
long bundle_packed_read(struct bundle_reader *r, const struct bundle_entry *e,
			uint64_t at, unsigned char *buf, size_t want,
			struct sg_error *err);

/* Frees what bundle_packed_read() kept; accepts a reader without it. */
void bundle_packed_end(struct bundle_reader *r);

/* Opens e's file into r (kept open for the next entry of the same
 * path); SG_OK or SG_ERR_IO naming the file. */
int bundle_reader_open(struct bundle_reader *r, const struct bundle_entry *e,
		       struct sg_error *err);

/* Fills a given file's size (a slice has its own), as the file is now:
 * a tar header gives the size before the bytes; a packed file's size is
 * given, its packed_size is filled.  On failure err names the file. */
int bundle_size_file(struct bundle_reader *r, struct bundle_entry *e,
		     struct sg_error *err);

/*
 * Writes manifest.json into man->tmp: the facts with "files" added,
 * keys sorted, 2-space indent, a final newline: what jansson prints for
 * the same object, without building the file list as a JSON tree.
 */
int bundle_manifest(struct bundle_entry *man, json_t *facts,
		    struct bundle_entry **order, size_t count,
		    struct sg_error *err);

/* Writes SHA256SUMS into sums->tmp: a line per file but itself. */
int bundle_sums(struct bundle_entry *sums, struct bundle_entry **order,
		size_t count, struct sg_error *err);

/* What bundle_name_problem() says of a ".." component (compared by
 * address). */
const char *bundle_why_dotdot(void);

/* ---- gzip on several threads (bundle_gzip.c) ---- */

struct bundle_gzip;

/* Starts a gzip file written to fd: a gzip member per 1 MiB of input. */
int bundle_gzip_new(struct bundle_gzip **out, int fd, struct sg_error *err);

/* Compresses size bytes; 0, or -1 (bundle_gzip_error() says why). */
int bundle_gzip_write(struct bundle_gzip *g, const void *data, size_t size);

/*
 * Puts len bytes of in (from its start), gzip members made elsewhere,
 * into the file as they are, after everything compressed so far (which
 * ends as a member of its own).  buf (size bytes) is for when the system
 * cannot copy between the two files itself.  Returns 0; -1 when the
 * compressor failed (bundle_gzip_error()); or an errno: ENODATA when in
 * has fewer than len bytes.
 */
int bundle_gzip_copy(struct bundle_gzip *g, int in, uint64_t len,
		     unsigned char *buf, size_t size);

/* Writes the rest; 0 or -1. */
int bundle_gzip_finish(struct bundle_gzip *g);

const char *bundle_gzip_error(const struct bundle_gzip *g);

/* Stops the threads; accepts NULL. */
void bundle_gzip_free(struct bundle_gzip *g);

/* verify() (bundle_verify.c). */
int bundle_verify(void *state, const char *path, sg_problem_fn problem,
		  void *arg, struct sg_error *err);

#endif
