/*
 * sg_state.c - what one plugin keeps between runs, while a pull runs
 * (sg_state.h).  Small by design (a few cursors per plugin): lists
 * searched in order.
 */
#include "sg_state.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A string the state owns; none is freed before the state. */
struct state_text {
	struct state_text *next;
	char s[];
};

struct state_pair {
	const char *key, *value;
};

struct sg_state {
	char *plugin;
	pthread_mutex_t lock;
	struct state_text *texts;
	struct state_pair *loaded;      /* as the last run left it */
	size_t loaded_count, loaded_cap;
	struct sg_plugin_state_entry *changes;
	size_t change_count, change_cap;
};

static int state_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "plugin state: out of memory");
}

/* A copy owned by the state, or NULL without memory. */
static const char *state_keep(struct sg_state *st, const char *s)
{
	size_t n = strlen(s) + 1;
	struct state_text *t = malloc(sizeof(*t) + n);

	if (t == NULL)
		return NULL;
	memcpy(t->s, s, n);
	t->next = st->texts;
	st->texts = t;
	return t->s;
}

static int state_grow(void **items, size_t *cap, size_t count, size_t size)
{
	size_t want = *cap ? *cap * 2 : 8;
	void *grown;

	if (count < *cap)
		return 0;
	grown = realloc(*items, want * size);
	if (grown == NULL)
		return -1;
	*items = grown;
	*cap = want;
	return 0;
}

static int state_loaded(void *arg, const char *key, const char *value,
			struct sg_error *err)
{
	struct sg_state *st = arg;
	struct state_pair *p;

	if (state_grow((void **)&st->loaded, &st->loaded_cap,
		       st->loaded_count, sizeof(*st->loaded)) != 0)
		return state_nomem(err);
	p = &st->loaded[st->loaded_count];
	p->key = state_keep(st, key);
	p->value = state_keep(st, value);
	if (p->key == NULL || p->value == NULL)
		return state_nomem(err);
	st->loaded_count++;
	return SG_OK;
}

int sg_state_load(struct sg_state **out, struct sg_ledger *ledger,
		  const char *plugin, struct sg_error *err)
{
	struct sg_state *st = calloc(1, sizeof(*st));
	int rc = SG_OK;

	*out = NULL;
	if (st == NULL)
		return state_nomem(err);
	pthread_mutex_init(&st->lock, NULL);
	st->plugin = strdup(plugin);
	if (st->plugin == NULL)
		rc = state_nomem(err);
	if (rc == SG_OK && ledger != NULL)
		rc = sg_ledger_each_plugin_state(ledger, plugin, state_loaded,
						 st, err);
	if (rc != SG_OK) {
		sg_state_free(st);
		return rc;
	}
	*out = st;
	return SG_OK;
}

void sg_state_free(struct sg_state *st)
{
	struct state_text *t;

	if (st == NULL)
		return;
	while ((t = st->texts) != NULL) {
		st->texts = t->next;
		free(t);
	}
	free(st->loaded);
	free(st->changes);
	free(st->plugin);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

static struct sg_plugin_state_entry *state_change_of(struct sg_state *st,
						     const char *key)
{
	size_t i;

	for (i = 0; i < st->change_count; i++)
		if (strcmp(st->changes[i].key, key) == 0)
			return &st->changes[i];
	return NULL;
}

const char *sg_state_get(struct sg_state *st, const char *key)
{
	const struct sg_plugin_state_entry *c;
	const char *value = NULL;
	size_t i;

	if (st == NULL || key == NULL)
		return NULL;
	pthread_mutex_lock(&st->lock);
	c = state_change_of(st, key);
	if (c != NULL) {
		value = c->value;
	} else {
		for (i = 0; i < st->loaded_count; i++)
			if (strcmp(st->loaded[i].key, key) == 0)
				value = st->loaded[i].value;
	}
	pthread_mutex_unlock(&st->lock);
	return value;
}

static int state_refuse(const struct sg_state *st, const char *key,
			const char *why, struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_PLUGIN, "%s: state key \"%.100s\": "
			    "%s", st->plugin, key != NULL ? key : "", why);
}

/* The value is text the ledger and a JSON tool can hold. */
static int state_is_text(const char *value)
{
	json_t *j = json_string(value);

	json_decref(j);
	return j != NULL;
}

static int state_check(const struct sg_state *st, const char *key,
		       const char *value, struct sg_error *err)
{
	if (key == NULL || key[0] == '\0' ||
	    strlen(key) > SG_PLUGIN_STATE_KEY_MAX || !state_is_text(key))
		return state_refuse(st, key, "a key is 1 to 256 bytes of "
				    "UTF-8 text", err);
	if (value != NULL && (strlen(value) > SG_PLUGIN_STATE_VALUE_MAX ||
			      !state_is_text(value)))
		return state_refuse(st, key, "a value is at most 64 KiB of "
				    "UTF-8 text", err);
	return SG_OK;
}

int sg_state_put(struct sg_state *st, const char *key, const char *value,
		 struct sg_error *err)
{
	struct sg_plugin_state_entry *c;
	const char *v = NULL;
	int rc;

	if (st == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL, "plugin state: "
				    "none loaded");
	rc = state_check(st, key, value, err);
	if (rc != SG_OK)
		return rc;
	pthread_mutex_lock(&st->lock);
	if (value != NULL && (v = state_keep(st, value)) == NULL) {
		rc = state_nomem(err);
		goto out;
	}
	c = state_change_of(st, key);
	if (c == NULL) {
		if (state_grow((void **)&st->changes, &st->change_cap,
			       st->change_count, sizeof(*st->changes)) != 0) {
			rc = state_nomem(err);
			goto out;
		}
		c = &st->changes[st->change_count];
		c->plugin = st->plugin;
		c->key = state_keep(st, key);
		if (c->key == NULL) {
			rc = state_nomem(err);
			goto out;
		}
		st->change_count++;
	}
	c->value = v;
out:
	pthread_mutex_unlock(&st->lock);
	return rc;
}

void sg_state_changes(const struct sg_state *st,
		      const struct sg_plugin_state_entry **entries,
		      size_t *count)
{
	*entries = st != NULL ? st->changes : NULL;
	*count = st != NULL ? st->change_count : 0;
}
