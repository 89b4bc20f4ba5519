/*
 * fuzz_review.c - libFuzzer target: `stageguard review import FILE`
 * (core/store/review_import.c, sg_review_import()): a manager's CSV of
 * dispositions read, every row judged against the ledger and the other
 * rows, then recorded all or nothing.
 *
 * Input: the CSV file's bytes.  The ledger lives in a scratch folder and
 * holds one recorded run of four exceptions (ids abcdef01, abcdef02,
 * abc99900, f0000001), made once per process.  So that every input meets
 * the same ledger (a finding must reproduce from its input alone) and no
 * input pays for a durable write, a commit hook turns the import's COMMIT
 * into a rollback: an import whose every row is good runs to its last
 * statement and then fails with SG_ERR_LEDGER ("cannot commit"), which
 * here stands for "would have been recorded".
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_config.h"
#include "ledger_db.h"
#include "sg_ledger.h"
#include "sg_test_ledger.h"
#include "sg_model.h"
#include "sg_review.h"
#include "sg_fuzz.h"

/* 2026-11-02T00:00:00Z: the run's as-of and every detection. */
#define FZ_AS_OF ((sg_time)1793577600)
#define FZ_DAY ((sg_time)86400)

static struct sg_ledger *fz_ledger;
static char fz_csv_path[4200];

/* No import is ever recorded: see the file's comment. */
static int fz_no_commit(void *arg)
{
	(void)arg;
	return 1;
}

static void fz_ledger_close(void)
{
	sg_ledger_close(fz_ledger);
	fz_ledger = NULL;
}

/* One exception of the run as the checks write it (DESIGN §8). */
static json_t *fz_exception(const char *id, const char *type,
			    const char *verdict, const char *opp,
			    const char *from, const char *to,
			    const char *event_at, const char *due_at)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?,"
			 " s:s, s:s, s:s, s:s, s:s}",
			 "id", id, "type", type, "verdict", verdict,
			 "opportunity_id", opp, "opportunity_name", "Acme",
			 "owner_id", "u1", "assignee", "mgr1",
			 "from_stage", from, "to_stage", to,
			 "stage", to != NULL ? to : "discovery",
			 "event_at", event_at,
			 "detected_at", "2026-11-02T00:00:00Z",
			 "due_at", due_at,
			 "note", "Moved without the buyer's evidence.");
}

/* Exits: a ledger that cannot be made is no finding of an input. */
static void fz_setup_failed(const char *what, const struct sg_error *err)
{
	fprintf(stderr, "fuzz_review: %s: %s\n", what, err->message);
	exit(2);
}

/* Makes the ledger with its one run, once per process. */
static void fz_setup(void)
{
	struct sg_ledger_exception list[4];
	struct sg_run_record run;
	struct sg_error err;
	const char *dir = sg_fuzz_tmpdir("review");
	char path[4200];
	size_t i;

	list[0].json = fz_exception("abcdef01", "missing_evidence", "block",
				    "O1", "discovery", "qualification",
				    "2026-10-30T00:00:00Z",
				    "2026-11-04T00:00:00Z");
	list[1].json = fz_exception("abcdef02", "forecast_impact", "review",
				    "O1", "discovery", "qualification",
				    "2026-10-30T00:00:00Z",
				    "2026-11-04T00:00:00Z");
	list[2].json = fz_exception("abc99900", "regression", "review", "O2",
				    "qualification", "discovery",
				    "2026-11-01T00:00:00Z",
				    "2026-11-03T00:00:00Z");
	list[3].json = fz_exception("f0000001", "stage_age", "flag", "O3",
				    NULL, NULL, "2026-09-23T00:00:00Z",
				    "2026-11-05T00:00:00Z");
	for (i = 0; i < 4; i++)
		if (list[i].json == NULL)
			abort();
	snprintf(path, sizeof(path), "%s/stageguard.db", dir);
	snprintf(fz_csv_path, sizeof(fz_csv_path), "%s/decisions.csv", dir);
	sg_error_clear(&err);
	if (sg_ledger_open(&fz_ledger, path, &err) != SG_OK)
		fz_setup_failed("the ledger", &err);
	atexit(fz_ledger_close);
	memset(&run, 0, sizeof(run));
	run.as_of = FZ_AS_OF;
	run.started_at = FZ_AS_OF + 60;
	run.finished_at = FZ_AS_OF + 120;
	run.since = SG_TIME_NONE;
	run.source = "csv:data/";
	run.snapshot_at = SG_TIME_NONE;
	run.config_sha256 = "00";
	run.tool_version = "fuzz";
	if (sg_test_record_run(fz_ledger, &run, list, 4, NULL, &err) != SG_OK)
		fz_setup_failed("the run", &err);
	for (i = 0; i < 4; i++)
		json_decref(list[i].json);
	sqlite3_commit_hook(fz_ledger->db, fz_no_commit, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_review_problems problems = {NULL, 0};
	struct sg_error err;
	size_t recorded = 99, i;
	int rc;

	if (fz_ledger == NULL)
		fz_setup();
	sg_fuzz_write(fz_csv_path, data, size);
	sg_error_clear(&err);
	rc = sg_review_import(fz_ledger, fz_csv_path, FZ_AS_OF + 5 * FZ_DAY,
			      &recorded, &problems, &err);
	sg_fuzz_check_error(rc, &err);
	/* SG_OK only for a file of no rows: a commit with nothing in it. */
	SG_FUZZ_ASSERT(rc == SG_OK || rc == SG_ERR_LEDGER ||
		       rc == SG_ERR_REFUSED || rc == SG_ERR_PARSE ||
		       rc == SG_ERR_NOMEM, "a documented status");
	SG_FUZZ_ASSERT(recorded == 0, "the commit hook keeps every import "
		       "out of the ledger");
	SG_FUZZ_ASSERT((rc == SG_ERR_REFUSED) == (problems.count > 0),
		       "bad rows are listed exactly when refused");
	for (i = 0; i < problems.count; i++)
		SG_FUZZ_ASSERT(problems.lines[i] != NULL &&
			       strncmp(problems.lines[i], fz_csv_path,
				       strlen(fz_csv_path)) == 0,
			       "a bad row is named FILE:LINE: reason");
	SG_FUZZ_ASSERT(sqlite3_get_autocommit(fz_ledger->db) != 0,
		       "no transaction is left open");
	sg_review_problems_release(&problems);
	return 0;
}
