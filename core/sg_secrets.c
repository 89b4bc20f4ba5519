/*
 * sg_secrets.c - the process's registry of values to redact (see
 * sg_secrets.h).
 */
#include "sg_secrets.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sg_url.h"

struct secret {
	char *value;
	size_t len;
};

static pthread_rwlock_t secrets_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct secret *secrets;
static size_t secrets_len, secrets_cap;
static atomic_size_t secrets_registered;

/* Adds one value under the write lock; duplicates are dropped. */
static int secrets_push(const char *value, size_t len)
{
	size_t i;
	char *copy;

	for (i = 0; i < secrets_len; i++)
		if (secrets[i].len == len &&
		    memcmp(secrets[i].value, value, len) == 0)
			return SG_OK;
	if (secrets_len == secrets_cap) {
		size_t cap = secrets_cap ? secrets_cap * 2 : 8;
		struct secret *grown = realloc(secrets, cap * sizeof(*grown));

		if (grown == NULL)
			return SG_ERR_NOMEM;
		secrets = grown;
		secrets_cap = cap;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return SG_ERR_NOMEM;
	memcpy(copy, value, len);
	copy[len] = '\0';
	secrets[secrets_len].value = copy;
	secrets[secrets_len].len = len;
	secrets_len++;
	atomic_store(&secrets_registered, secrets_len);
	return SG_OK;
}

int sg_secrets_add(const char *value, struct sg_error *err)
{
	size_t len = value ? strlen(value) : 0;
	size_t encoded_len;
	char *encoded = NULL;
	int rc;

	if (value == NULL || len < SG_SECRET_MIN || len > SG_SECRET_MAX)
		return sg_error_set(err, SG_ERR_PLUGIN, "a secret to redact "
				    "must hold %d to %d bytes (this one has "
				    "%zu)", SG_SECRET_MIN, SG_SECRET_MAX,
				    len);
	encoded_len = sg_url_encode(NULL, 0, value);
	if (encoded_len != len) {
		encoded = malloc(encoded_len + 1);
		if (encoded == NULL)
			return sg_error_set(err, SG_ERR_NOMEM, "out of memory "
					    "registering a secret");
		sg_url_encode(encoded, encoded_len + 1, value);
	}
	pthread_rwlock_wrlock(&secrets_lock);
	rc = secrets_push(value, len);
	if (rc == SG_OK && encoded != NULL)
		rc = secrets_push(encoded, encoded_len);
	pthread_rwlock_unlock(&secrets_lock);
	free(encoded);
	if (rc != SG_OK)
		return sg_error_set(err, rc, "out of memory registering a "
				    "secret");
	return SG_OK;
}

size_t sg_secrets_count(void)
{
	return atomic_load(&secrets_registered);
}

/*
 * The length of the registered value starting at text[0], the longest
 * when several do, or 0.  A text that ends inside a value (a message cut
 * by its buffer) matches too, so no prefix of a secret is ever shown.
 * Called under the read lock.
 */
static size_t secret_at(const char *text, size_t left)
{
	size_t i, best = 0;

	for (i = 0; i < secrets_len; i++) {
		const struct secret *s = &secrets[i];
		size_t n = s->len <= left ? s->len : left;

		if (s->value[0] != text[0] || n < SG_SECRET_MIN)
			continue;
		if (memcmp(text, s->value, n) == 0 && n > best)
			best = n;
	}
	return best;
}

int sg_secrets_found(const char *text, size_t len)
{
	size_t i;
	int found = 0;

	if (text == NULL || sg_secrets_count() == 0)
		return 0;
	pthread_rwlock_rdlock(&secrets_lock);
	for (i = 0; i < len && !found; i++)
		found = secret_at(text + i, len - i) > 0;
	pthread_rwlock_unlock(&secrets_lock);
	return found;
}

char *sg_secrets_redact(const char *text, char *out, size_t size)
{
	size_t len, used = 0, i = 0;

	if (size == 0)
		return out;
	if (text == NULL)
		text = "";
	len = strlen(text);
	if (sg_secrets_count() == 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memmove(out, text, n);
		out[n] = '\0';
		return out;
	}
	pthread_rwlock_rdlock(&secrets_lock);
	while (i < len && used + 1 < size) {
		size_t matched = secret_at(text + i, len - i);

		if (matched > 0) {
			size_t mark = strlen(SG_SECRET_MARK);

			if (mark > size - 1 - used)
				mark = size - 1 - used;
			memcpy(out + used, SG_SECRET_MARK, mark);
			used += mark;
			i += matched;
		} else {
			out[used++] = text[i++];
		}
	}
	pthread_rwlock_unlock(&secrets_lock);
	out[used] = '\0';
	return out;
}

void sg_secrets_redact_in_place(char *buf, size_t size)
{
	char *copy;

	if (buf == NULL || size == 0 || sg_secrets_count() == 0 ||
	    !sg_secrets_found(buf, strlen(buf)))
		return;
	copy = strdup(buf);
	if (copy == NULL) {
		/* Better no text than a secret. */
		snprintf(buf, size, "%s", SG_SECRET_MARK);
		return;
	}
	sg_secrets_redact(copy, buf, size);
	free(copy);
}

void sg_secrets_redact_error(struct sg_error *err)
{
	if (err == NULL)
		return;
	sg_secrets_redact_in_place(err->message, sizeof(err->message));
	sg_secrets_redact_in_place(err->path, sizeof(err->path));
}

void sg_secrets_clear(void)
{
	size_t i;

	pthread_rwlock_wrlock(&secrets_lock);
	for (i = 0; i < secrets_len; i++)
		free(secrets[i].value);
	free(secrets);
	secrets = NULL;
	secrets_len = secrets_cap = 0;
	atomic_store(&secrets_registered, 0);
	pthread_rwlock_unlock(&secrets_lock);
}
