/*
 * sg_state.h - what one plugin keeps between runs (a sync cursor, a
 * checkpoint) while a pull runs: the values the last recorded run left,
 * read from the ledger, and the plugin's changes, handed to the ledger
 * with the run that made them (struct sg_run_record.state).  Without a
 * ledger there is nothing to read and the changes are not kept.
 *
 * A source's streams may run on several threads: get and put lock.  A
 * value got stays valid until sg_state_free(), even after a put replaces
 * it.
 */
#ifndef SG_STATE_H
#define SG_STATE_H

#include "sg_ledger.h"

struct sg_state;

/* The state of plugin; ledger NULL: none to read.  *out is NULL on
 * failure. */
int sg_state_load(struct sg_state **out, struct sg_ledger *ledger,
		  const char *plugin, struct sg_error *err);

/* Accepts NULL. */
void sg_state_free(struct sg_state *st);

/* The value of key, the plugin's own change first; NULL when none. */
const char *sg_state_get(struct sg_state *st, const char *key);

/*
 * Sets key (value NULL: removes it).  SG_ERR_PLUGIN when the key is empty
 * or longer than SG_PLUGIN_STATE_KEY_MAX, or the value longer than
 * SG_PLUGIN_STATE_VALUE_MAX or not UTF-8 text.
 */
int sg_state_put(struct sg_state *st, const char *key, const char *value,
		 struct sg_error *err);

/* The changes, one entry per key set (the last value), for the run
 * record; borrowed until sg_state_free(). */
void sg_state_changes(const struct sg_state *st,
		      const struct sg_plugin_state_entry **entries,
		      size_t *count);

#endif
