/*
 * ledger_inputs.c - the records each run kept (sg_kept.h): chunks stored
 * once under their SHA-256, the chunks of a run in order, and the latest
 * run that kept any.
 */
#include "ledger_db.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the records a run judged ---- */

int sg_ledger_put_input_chunk(struct sg_ledger *ledger, const char *sha256,
			      const char *raw_sha256, const void *data,
			      size_t size, size_t raw_size, size_t records,
			      struct sg_error *err)
{
	static const char sql[] =
		"INSERT INTO input_chunks (sha256, raw_size, records, data,"
		" raw_sha256) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (sha256) DO UPDATE SET raw_sha256 ="
		" excluded.raw_sha256 WHERE input_chunks.raw_sha256 IS NULL"
		" AND excluded.raw_sha256 IS NOT NULL";
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
		ledger_bind_text(stmt, 5, raw_sha256);
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

int sg_ledger_each_input_key(struct sg_ledger *ledger,
			     int (*fn)(void *arg, const char *raw_sha256,
				       size_t raw_size, const char *sha256,
				       size_t size, struct sg_error *err),
			     void *arg, struct sg_error *err)
{
	static const char sql[] =
		"SELECT raw_sha256, raw_size, sha256, length(data)"
		" FROM input_chunks WHERE raw_sha256 IS NOT NULL";
	sqlite3_stmt *stmt;
	int rc = ledger_prepare(ledger, sql, &stmt, err), step;

	if (rc != SG_OK)
		return rc;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		rc = fn(arg, ledger_col_text(stmt, 0),
			ledger_col_count(stmt, 1), ledger_col_text(stmt, 2),
			ledger_col_count(stmt, 3), err);
		if (rc != SG_OK)
			break;
	}
	if (rc == SG_OK && step != SQLITE_DONE)
		rc = ledger_fail(ledger, err, "cannot read the kept chunks");
	sqlite3_finalize(stmt);
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

static int inputs_damaged(struct sg_ledger *ledger, const char *run_id,
			  const char *what, struct sg_error *err)
{
	return sg_error_set_at(err, SG_ERR_LEDGER, ledger->path, 0, 0,
			       "ledger: run %s %s; the ledger is damaged: "
			       "restore it from a backup, or pass --source "
			       "to read the source again", run_id, what);
}

static int inputs_grow(struct sg_input_chunk_info **chunks, size_t *cap,
		       size_t count, struct sg_error *err)
{
	struct sg_input_chunk_info *grown;
	size_t want = *cap ? *cap * 2 : 256;

	if (count < *cap)
		return SG_OK;
	grown = realloc(*chunks, want * sizeof(*grown));
	if (grown == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	*chunks = grown;
	*cap = want;
	return SG_OK;
}

int sg_ledger_input_chunks(struct sg_ledger *ledger, const char *run_id,
			   struct sg_input_chunk_info **chunks, size_t *count,
			   struct sg_error *err)
{
	static const char sql[] =
		"SELECT i.part, i.seq, i.sha256, length(c.data), c.raw_size"
		" FROM run_inputs i"
		" LEFT JOIN input_chunks c ON c.sha256 = i.sha256"
		" WHERE i.run_id = ?1 ORDER BY i.part, i.seq";
	struct sg_input_chunk_info *info;
	sqlite3_stmt *stmt;
	size_t cap = 0, n = 0;
	int rc = ledger_prepare(ledger, sql, &stmt, err), step = SQLITE_DONE;

	*chunks = NULL;
	*count = 0;
	if (rc != SG_OK)
		return rc;
	ledger_bind_text(stmt, 1, run_id);
	while (rc == SG_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		sqlite3_int64 part = sqlite3_column_int64(stmt, 0);
		sqlite3_int64 seq = sqlite3_column_int64(stmt, 1);
		const char *sha = ledger_col_text(stmt, 2);

		if (part < 0 || part > 65535 || seq < 0 || seq > UINT32_MAX) {
			rc = inputs_damaged(ledger, run_id, "names an input "
					    "chunk out of place", err);
			break;
		}
		if (sqlite3_column_type(stmt, 3) == SQLITE_NULL ||
		    strlen(sha) != 64) {
			rc = inputs_damaged(ledger, run_id, "names an input "
					    "chunk the ledger does not hold",
					    err);
			break;
		}
		rc = inputs_grow(chunks, &cap, n, err);
		if (rc != SG_OK)
			break;
		info = &(*chunks)[n++];
		info->ref.part = (unsigned)part;
		info->ref.seq = (unsigned)seq;
		memcpy(info->ref.sha256, sha, sizeof(info->ref.sha256));
		info->size = (size_t)sqlite3_column_int64(stmt, 3);
		info->raw_size = (size_t)sqlite3_column_int64(stmt, 4);
	}
	if (rc == SG_OK && step != SQLITE_DONE)
		rc = ledger_fail(ledger, err, "cannot read the run's inputs");
	sqlite3_finalize(stmt);
	if (rc != SG_OK) {
		free(*chunks);
		*chunks = NULL;
		return rc;
	}
	*count = n;
	return SG_OK;
}

int sg_ledger_read_input_chunks(struct sg_ledger *ledger,
				const struct sg_input_chunk_info *chunks,
				size_t count,
				int (*fn)(void *arg, size_t index,
					  const void *data, size_t size,
					  struct sg_error *err),
				void *arg, struct sg_error *err)
{
	static const char sql[] =
		"SELECT data FROM input_chunks WHERE sha256 = ?1";
	sqlite3_stmt *stmt;
	size_t i;
	int rc = ledger_prepare(ledger, sql, &stmt, err), step;

	for (i = 0; rc == SG_OK && i < count; i++) {
		sqlite3_reset(stmt);
		ledger_bind_text(stmt, 1, chunks[i].ref.sha256);
		step = sqlite3_step(stmt);
		if (step == SQLITE_ROW)
			rc = fn(arg, i, sqlite3_column_blob(stmt, 0),
				(size_t)sqlite3_column_bytes(stmt, 0), err);
		else if (step == SQLITE_DONE)
			rc = sg_error_set_at(err, SG_ERR_LEDGER, ledger->path,
					     0, 0, "ledger: input chunk "
					     "%.16s... is missing; the ledger "
					     "is damaged: restore it from a "
					     "backup, or pass --source to "
					     "read the source again",
					     chunks[i].ref.sha256);
		else
			rc = ledger_fail(ledger, err, "cannot read the run's "
					 "inputs");
	}
	if (stmt != NULL)
		sqlite3_finalize(stmt);
	return rc;
}
