/*
 * sg_hash.c - SHA-256 through libcrypto's EVP interface.
 */
#include "sg_hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <pthread.h>

/* Read size for hashing a file. */
#define HASH_BLOCK (64u * 1024u)

/*
 * The SHA-256 implementation, fetched once: EVP_sha256() makes libcrypto
 * look it up again at every digest start, which costs about as much as
 * hashing a short id.  Kept for the life of the process.
 */
static EVP_MD *hash_md;
static pthread_once_t hash_md_once = PTHREAD_ONCE_INIT;

static void hash_fetch_md(void)
{
	hash_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *hash_sha256(void)
{
	if (pthread_once(&hash_md_once, hash_fetch_md) != 0 ||
	    hash_md == NULL)
		return EVP_sha256();
	return hash_md;
}

struct sg_sha256 {
	EVP_MD_CTX *ctx;
	int finished;
};

static void hash_hex(const unsigned char *digest, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

int sg_sha256_new(struct sg_sha256 **out, struct sg_error *err)
{
	struct sg_sha256 *h;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return sg_error_set(err, SG_ERR_NOMEM,
				    "out of memory starting a SHA-256 digest");
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL) {
		free(h);
		return sg_error_set(err, SG_ERR_NOMEM,
				    "out of memory starting a SHA-256 digest");
	}
	if (EVP_DigestInit_ex(h->ctx, hash_sha256(), NULL) != 1) {
		sg_sha256_free(h);
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "libcrypto cannot start a SHA-256 digest");
	}
	*out = h;
	return SG_OK;
}

int sg_sha256_update(struct sg_sha256 *h, const void *data, size_t len,
		     struct sg_error *err)
{
	if (h->finished)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "SHA-256 digest updated after it was "
				    "finished");
	if (len == 0)
		return SG_OK;
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "libcrypto failed in a SHA-256 update");
	return SG_OK;
}

int sg_sha256_final_hex(struct sg_sha256 *h, char out[65],
			struct sg_error *err)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	out[0] = '\0';
	if (h->finished)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "SHA-256 digest finished twice");
	h->finished = 1;
	if (EVP_DigestFinal_ex(h->ctx, digest, &len) != 1 || len != 32)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "libcrypto failed finishing a SHA-256 "
				    "digest");
	hash_hex(digest, len, out);
	return SG_OK;
}

void sg_sha256_free(struct sg_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int sg_sha256_hex(const void *data, size_t len, char out[65])
{
	struct sg_sha256 *h = NULL;
	int rc;

	out[0] = '\0';
	rc = sg_sha256_new(&h, NULL);
	if (rc != SG_OK)
		return rc;
	rc = sg_sha256_update(h, data, len, NULL);
	if (rc == SG_OK)
		rc = sg_sha256_final_hex(h, out, NULL);
	sg_sha256_free(h);
	return rc;
}

int sg_sha256_file_hex(const char *path, char out[65], struct sg_error *err)
{
	struct sg_sha256 *h = NULL;
	unsigned char *buf = NULL;
	FILE *f = NULL;
	size_t got;
	int rc;

	out[0] = '\0';
	f = fopen(path, "rb");
	if (f == NULL) {
		rc = sg_error_set(err, SG_ERR_IO, "cannot open %s: %s", path,
				  strerror(errno));
		goto out;
	}
	buf = malloc(HASH_BLOCK);
	if (buf == NULL) {
		rc = sg_error_set(err, SG_ERR_NOMEM,
				  "out of memory hashing %s", path);
		goto out;
	}
	rc = sg_sha256_new(&h, err);
	if (rc != SG_OK)
		goto out;
	for (;;) {
		got = fread(buf, 1, HASH_BLOCK, f);
		if (got > 0) {
			rc = sg_sha256_update(h, buf, got, err);
			if (rc != SG_OK)
				goto out;
		}
		if (got < HASH_BLOCK)
			break;
	}
	if (ferror(f)) {
		rc = sg_error_set(err, SG_ERR_IO, "cannot read %s: %s", path,
				  strerror(errno ? errno : EIO));
		goto out;
	}
	rc = sg_sha256_final_hex(h, out, err);
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	sg_sha256_free(h);
	return rc;
}

void sg_id_hex16(const char *const *parts, size_t count, char out[17])
{
	static const char sep = 0x1f;
	struct sg_sha256 *h = NULL;
	char hex[SG_SHA256_HEX_SIZE];
	size_t i;
	int rc;

	rc = sg_sha256_new(&h, NULL);
	for (i = 0; rc == SG_OK && i < count; i++) {
		const char *part = parts[i] != NULL ? parts[i] : "";

		if (i > 0)
			rc = sg_sha256_update(h, &sep, 1, NULL);
		if (rc == SG_OK)
			rc = sg_sha256_update(h, part, strlen(part), NULL);
	}
	if (rc == SG_OK)
		rc = sg_sha256_final_hex(h, hex, NULL);
	sg_sha256_free(h);
	if (rc != SG_OK) {
		/* Only out of memory gets here (see the header). */
		fputs("stageguard: cannot compute a SHA-256 id (out of "
		      "memory)\n", stderr);
		abort();
	}
	memcpy(out, hex, 16);
	out[16] = '\0';
}
