/*
 * ledger_task_refs.c - the id a write-back sink gave each exception's
 * task in a CRM (see sg_ledger.h), committed as soon as it is known: the
 * task exists in the CRM whatever happens to the run afterwards.
 */
#include "ledger_db.h"

#include <stdlib.h>
#include <string.h>

static int task_ref_text(sqlite3_stmt *stmt, char **out, struct sg_error *err)
{
	const char *text = ledger_col_text(stmt, 0);

	*out = text != NULL ? strdup(text) : NULL;
	if (text != NULL && *out == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	return SG_OK;
}

/* Runs a one-value lookup: *out is the value, or NULL without a row. */
static int task_ref_lookup(struct sg_ledger *ledger, const char *sql,
			   const char *a, const char *b, char **out,
			   struct sg_error *err)
{
	sqlite3_stmt *stmt;
	int rc, step;

	*out = NULL;
	rc = ledger_prepare(ledger, sql, &stmt, err);
	if (rc != SG_OK)
		return rc;
	ledger_bind_text(stmt, 1, a);
	ledger_bind_text(stmt, 2, b);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		rc = task_ref_text(stmt, out, err);
	else if (step != SQLITE_DONE)
		rc = ledger_fail(ledger, err, "cannot read a task reference");
	sqlite3_finalize(stmt);
	return rc;
}

int sg_ledger_task_ref_get(struct sg_ledger *ledger, const char *sink,
			   const char *exception_id, char **ref,
			   struct sg_error *err)
{
	return task_ref_lookup(ledger, "SELECT ref FROM task_refs"
			       " WHERE sink = ?1 AND exception_id = ?2",
			       sink, exception_id, ref, err);
}

int sg_ledger_task_ref_find(struct sg_ledger *ledger, const char *sink,
			    const char *ref, char **exception_id,
			    struct sg_error *err)
{
	return task_ref_lookup(ledger, "SELECT exception_id FROM task_refs"
			       " WHERE sink = ?1 AND ref = ?2 AND ref <> ''"
			       " ORDER BY exception_id LIMIT 1",
			       sink, ref, exception_id, err);
}

static int task_ref_exception_known(struct sg_ledger *ledger,
				    const char *exception_id,
				    struct sg_error *err)
{
	char *id = NULL;
	int rc = task_ref_lookup(ledger, "SELECT id FROM exceptions"
				 " WHERE id = ?1 AND ?2 IS NULL",
				 exception_id, NULL, &id, err);

	if (rc == SG_OK && id == NULL)
		rc = sg_error_set(err, SG_ERR_NOTFOUND, "no exception %.100s "
				  "in the ledger", exception_id);
	free(id);
	return rc;
}

int sg_ledger_task_ref_put(struct sg_ledger *ledger, const char *sink,
			   const char *exception_id, const char *ref,
			   sg_time at, struct sg_error *err)
{
	static const char put[] =
		"INSERT INTO task_refs (sink, exception_id, ref, recorded_at)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sink, exception_id)"
		" DO UPDATE SET ref = excluded.ref,"
		" recorded_at = excluded.recorded_at";
	static const char drop[] =
		"DELETE FROM task_refs WHERE sink = ?1 AND exception_id = ?2";
	sqlite3_stmt *stmt;
	int rc;

	if (ref != NULL && strlen(ref) > SG_TASK_REF_MAX)
		return sg_error_set(err, SG_ERR_PLUGIN, "a task reference "
				    "holds at most %d bytes", SG_TASK_REF_MAX);
	rc = task_ref_exception_known(ledger, exception_id, err);
	if (rc == SG_OK)
		rc = ledger_prepare(ledger, ref != NULL ? put : drop, &stmt,
				    err);
	if (rc != SG_OK)
		return rc;
	ledger_bind_text(stmt, 1, sink);
	ledger_bind_text(stmt, 2, exception_id);
	if (ref != NULL) {
		ledger_bind_text(stmt, 3, ref);
		ledger_bind_time(stmt, 4, at);
	}
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = ledger_fail(ledger, err, "cannot keep a task reference");
	sqlite3_finalize(stmt);
	return rc;
}
