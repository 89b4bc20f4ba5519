/*
 * ledger_state.c - what plugins keep between runs (a sync cursor, a
 * checkpoint): one text value per plugin and key, written inside the run
 * that set it, so a run that dies leaves the state as it was.
 */
#include "ledger_db.h"

#include <string.h>

static int state_invalid(const struct sg_plugin_state_entry *e,
			 const char *why, struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_PLUGIN, "plugin %.100s: state key "
			    "\"%.100s\": %s", e->plugin ? e->plugin : "?",
			    e->key ? e->key : "", why);
}

/* Checked again here: the ledger never holds a key it cannot give back. */
static int state_check(const struct sg_plugin_state_entry *e,
		       struct sg_error *err)
{
	if (e->plugin == NULL || e->plugin[0] == '\0')
		return state_invalid(e, "no plugin named", err);
	if (e->key == NULL || e->key[0] == '\0' ||
	    strlen(e->key) > SG_PLUGIN_STATE_KEY_MAX)
		return state_invalid(e, "a key is 1 to 256 bytes", err);
	if (e->value != NULL && strlen(e->value) > SG_PLUGIN_STATE_VALUE_MAX)
		return state_invalid(e, "a value holds at most 64 KiB", err);
	return SG_OK;
}

int ledger_record_state(struct sg_ledger *ledger,
			const struct sg_run_record *run, struct sg_error *err)
{
	static const char put[] =
		"INSERT INTO plugin_state (plugin, key, value, run_id)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (plugin, key) DO UPDATE"
		" SET value = excluded.value, run_id = excluded.run_id";
	static const char drop[] =
		"DELETE FROM plugin_state WHERE plugin = ?1 AND key = ?2";
	sqlite3_stmt *s_put = NULL, *s_drop = NULL, *s;
	size_t i;
	int rc = SG_OK;

	if (run->state_count == 0)
		return SG_OK;
	rc = ledger_prepare(ledger, put, &s_put, err);
	if (rc == SG_OK)
		rc = ledger_prepare(ledger, drop, &s_drop, err);
	for (i = 0; rc == SG_OK && i < run->state_count; i++) {
		const struct sg_plugin_state_entry *e = &run->state[i];

		rc = state_check(e, err);
		if (rc != SG_OK)
			break;
		s = e->value != NULL ? s_put : s_drop;
		sqlite3_reset(s);
		ledger_bind_text(s, 1, e->plugin);
		ledger_bind_text(s, 2, e->key);
		if (e->value != NULL) {
			ledger_bind_text(s, 3, e->value);
			ledger_bind_text(s, 4, run->id);
		}
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = ledger_fail(ledger, err, "cannot keep a plugin's "
					 "state");
	}
	sqlite3_finalize(s_put);
	sqlite3_finalize(s_drop);
	return rc;
}

struct state_each {
	int (*fn)(void *arg, const char *key, const char *value,
		  struct sg_error *err);
	void *arg;
};

static int state_row(void *arg, sqlite3_stmt *stmt, struct sg_error *err)
{
	const struct state_each *e = arg;

	return e->fn(e->arg, ledger_col_text(stmt, 0),
		     ledger_col_text(stmt, 1), err);
}

int sg_ledger_each_plugin_state(struct sg_ledger *ledger, const char *plugin,
				int (*fn)(void *arg, const char *key,
					  const char *value,
					  struct sg_error *err),
				void *arg, struct sg_error *err)
{
	static const char sql[] =
		"SELECT key, value FROM plugin_state WHERE plugin = ?1"
		" ORDER BY key";
	struct state_each e = { fn, arg };
	sqlite3_stmt *stmt;
	int rc = ledger_prepare(ledger, sql, &stmt, err), step = SQLITE_DONE;

	if (rc != SG_OK)
		return rc;
	ledger_bind_text(stmt, 1, plugin);
	while (rc == SG_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW)
		rc = state_row(&e, stmt, err);
	if (rc == SG_OK && step != SQLITE_DONE)
		rc = ledger_fail(ledger, err, "cannot read a plugin's state");
	sqlite3_finalize(stmt);
	return rc;
}
