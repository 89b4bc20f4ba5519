/*
 * sg_review.c - the review queue's names (dispositions, event types),
 * opening a ledger for the review commands, and the SQLite helpers the
 * review files share.  The queue itself: review_queue.c (list, resolve,
 * show), review_decide.c, review_import.c, review_events.c (the event
 * export and stage_corrected events).
 *
 * Writes are single transactions (BEGIN IMMEDIATE ... COMMIT): a refusal
 * or a failure rolls back everything of the request.  Reads that span
 * several statements run inside one read transaction so they see one
 * state of the ledger.
 */
#include "review_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_config.h"

static const char *const rv_disposition_names[SG_DISP_COUNT] = {
	"approve", "correct", "escalate", "reassign", "log", "block",
};

static const char *const rv_event_types[] = {
	"exception_raised", "disposition_recorded", "stage_corrected",
	"run_completed",
};

const char *sg_disposition_name(int disposition)
{
	if (disposition < 0 || disposition >= SG_DISP_COUNT)
		return NULL;
	return rv_disposition_names[disposition];
}

int sg_disposition_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < SG_DISP_COUNT; i++)
		if (strcmp(name, rv_disposition_names[i]) == 0)
			return i;
	return -1;
}

int sg_event_type_known(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < sizeof(rv_event_types) / sizeof(rv_event_types[0]);
	     i++)
		if (strcmp(name, rv_event_types[i]) == 0)
			return 1;
	return 0;
}

/* ---- small helpers ---- */

int rv_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

/* A copy of column i as text into *out (NULL for SQL NULL). */
int rv_col_text(sqlite3_stmt *stmt, int i, char **out)
{
	const unsigned char *text;

	*out = NULL;
	if (sqlite3_column_type(stmt, i) == SQLITE_NULL)
		return SG_OK;
	text = sqlite3_column_text(stmt, i);
	if (text == NULL)
		return SG_ERR_NOMEM;
	*out = strdup((const char *)text);
	return *out ? SG_OK : SG_ERR_NOMEM;
}

/* Column i parsed as a JSON document, or NULL (NULL column, bad JSON). */
json_t *rv_col_json(sqlite3_stmt *stmt, int i)
{
	const char *text;

	if (sqlite3_column_type(stmt, i) == SQLITE_NULL)
		return NULL;
	text = (const char *)sqlite3_column_text(stmt, i);
	return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
}

/* "YYYY-MM-DDTHH:MM:SSZ" or "-" for an absent time. */
const char *rv_iso(sg_time t, char *buf)
{
	if (t == SG_TIME_NONE) {
		strcpy(buf, "-");
		return buf;
	}
	return sg_time_format_iso(t, buf);
}

/* ---- opening ---- */

int sg_review_open_ledger(struct sg_ledger **out, const char *config_path,
			  const char *ledger_path, struct sg_error *err)
{
	struct sg_config *config = NULL;
	const char *path = ledger_path;
	int rc = SG_OK;

	*out = NULL;
	if (path == NULL) {
		rc = sg_config_load(&config, config_path ? config_path :
					     "stageguard.json", err);
		if (rc != SG_OK)
			return rc;
		path = config->ledger_path;
		if (path == NULL) {
			rc = sg_error_set(err, SG_ERR_USAGE, "%s names no "
					  "ledger: add \"ledger\": "
					  "\"stageguard.db\" or pass --ledger "
					  "FILE", config->path);
			goto out;
		}
	}
	if (access(path, F_OK) != 0) {
		rc = sg_error_set_at(err, SG_ERR_NOTFOUND, path, 0, 0,
				     "no ledger here yet; `stageguard run` "
				     "(or `stageguard init`) creates it");
		goto out;
	}
	rc = sg_ledger_open(out, path, err);
out:
	sg_config_free(config);
	return rc;
}
