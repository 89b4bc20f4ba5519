/*
 * ledger_inputs.c - the records each run kept (sg_kept.h): chunks stored
 * once under their SHA-256, the chunks of a run in order, and the latest
 * run that kept any.
 */
#include "ledger_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the records a run judged ---- */

int sg_ledger_put_input_chunk(struct sg_ledger *ledger, const char *sha256,
			      const void *data, size_t size, size_t raw_size,
			      size_t records, struct sg_error *err)
{
	static const char sql[] =
		"INSERT INTO input_chunks (sha256, raw_size, records, data)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sha256) DO NOTHING";
	sqlite3_stmt *stmt;
	int own = sqlite3_get_autocommit(ledger->db), rc;

	/* A chunk counts only once a run that refers to it commits, with a
	 * full sync that covers it too: its own commit need not sync. */
	if (own) {
		rc = ledger_exec(ledger, "PRAGMA synchronous = NORMAL",
				 "cannot store the inputs", err);
		if (rc != SG_OK)
			return rc;
	}
	rc = ledger_prepare(ledger, sql, &stmt, err);
	if (rc == SG_OK) {
		ledger_bind_text(stmt, 1, sha256);
		ledger_bind_count(stmt, 2, raw_size);
		ledger_bind_count(stmt, 3, records);
		sqlite3_bind_blob64(stmt, 4, data, size, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			rc = ledger_fail(ledger, err, "cannot store the inputs");
		sqlite3_finalize(stmt);
	}
	if (own && ledger_exec(ledger, "PRAGMA synchronous = FULL",
			       "cannot set synchronous writes",
			       rc == SG_OK ? err : NULL) != SG_OK &&
	    rc == SG_OK)
		rc = SG_ERR_LEDGER;
	return rc;
}

int sg_ledger_inputs_run(struct sg_ledger *ledger, sg_time at,
			 char run_id[33], sg_time *as_of, int *found,
			 struct sg_error *err)
{
	static const char sql[] =
		"SELECT r.id, r.as_of FROM runs r WHERE r.as_of <= ?1"
		" AND EXISTS (SELECT 1 FROM run_inputs i WHERE i.run_id = r.id)"
		" ORDER BY r.as_of DESC, r.seq DESC LIMIT 1";
	sqlite3_stmt *stmt;
	int rc = ledger_prepare(ledger, sql, &stmt, err), step;

	*found = 0;
	if (rc != SG_OK)
		return rc;
	ledger_bind_time(stmt, 1, at);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		snprintf(run_id, 33, "%s", ledger_col_text(stmt, 0));
		*as_of = ledger_col_time(stmt, 1);
		*found = 1;
	} else if (step != SQLITE_DONE) {
		rc = ledger_fail(ledger, err, "cannot read the runs");
	}
	sqlite3_finalize(stmt);
	return rc;
}

int sg_ledger_each_input_chunk(struct sg_ledger *ledger, const char *run_id,
			       int (*fn)(void *arg, unsigned part,
					 const char *sha256, const void *data,
					 size_t size, struct sg_error *err),
			       void *arg, struct sg_error *err)
{
	static const char sql[] =
		"SELECT i.part, i.sha256, c.data FROM run_inputs i"
		" JOIN input_chunks c ON c.sha256 = i.sha256"
		" WHERE i.run_id = ?1 ORDER BY i.part, i.seq";
	sqlite3_stmt *stmt;
	int rc = ledger_prepare(ledger, sql, &stmt, err), step = SQLITE_DONE;

	if (rc != SG_OK)
		return rc;
	ledger_bind_text(stmt, 1, run_id);
	while (rc == SG_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		sqlite3_int64 part = sqlite3_column_int64(stmt, 0);

		if (part < 0 || part > 65535) {
			rc = sg_error_set_at(err, SG_ERR_LEDGER, ledger->path,
					     0, 0, "ledger: run %s names input "
					     "part %lld; the ledger is "
					     "damaged", run_id,
					     (long long)part);
			break;
		}
		rc = fn(arg, (unsigned)part, ledger_col_text(stmt, 1),
			sqlite3_column_blob(stmt, 2),
			(size_t)sqlite3_column_bytes(stmt, 2), err);
	}
	if (rc == SG_OK && step != SQLITE_DONE)
		rc = ledger_fail(ledger, err, "cannot read the run's inputs");
	sqlite3_finalize(stmt);
	return rc;
}
