/*
 * ledger_record.c - a run recorded in one transaction: its row, the
 * chunks of records it kept, each exception (new: its row, review task
 * and exception_raised event; known: its sighting), the run_completed
 * event and a companion's writes, or nothing at all.
 */
#include "ledger_db.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_hash.h"

#define LEDGER_KILL_ENV "STAGEGUARD_TEST_KILL_AFTER"
/* ---- recording a run ---- */

/* The statements of one recording, prepared once, reused for each row. */
struct ledger_stmts {
	sqlite3_int64 next_seq;         /* of the next exception_raised */
	sqlite3_stmt *insert_run;
	sqlite3_stmt *insert_input;
	sqlite3_stmt *find_exception;
	sqlite3_stmt *insert_exception;
	sqlite3_stmt *update_exception;
	sqlite3_stmt *finish_run;
	sqlite3_stmt *insert_completed;
};

/* Statement texts, in the order of struct ledger_stmts. */
static const char *const ledger_stmt_sql[] = {
	"INSERT INTO runs (id, seq, started_at, finished_at, as_of, since,"
	" source, snapshot_at, config_sha256, tool_version, opportunities,"
	" evaluated, paused, exceptions, new_exceptions)"
	" VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM runs), ?2, ?3,"
	" ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0, 0)",

	"INSERT INTO run_inputs (run_id, part, seq, sha256)"
	" VALUES (?1, ?2, ?3, ?4)",

	"SELECT 1 FROM exceptions WHERE id = ?1",

	"INSERT INTO exceptions (id, type, verdict, opportunity_id,"
	" opportunity_name, owner_id, assignee, from_stage, to_stage, stage,"
	" event_at, detected_at, due_at, first_seen, first_run, detail, note,"
	" raised_seq)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	" ?14, ?15, ?16, ?17, ?18)",

	/* last_seen never moves back (a run replayed at an earlier as-of). */
	"INSERT INTO sightings (exception_id, last_seen, last_run)"
	" SELECT ?1, ?2, ?3 WHERE ?2 >= (SELECT first_seen FROM exceptions"
	"  WHERE id = ?1)"
	" ON CONFLICT (exception_id) DO UPDATE SET"
	" last_seen = excluded.last_seen, last_run = excluded.last_run"
	" WHERE excluded.last_seen >= sightings.last_seen",

	"UPDATE runs SET exceptions = ?2, new_exceptions = ?3 WHERE id = ?1",

	"INSERT INTO event_rows (type, at, run_id, detail)"
	" VALUES ('run_completed', ?1, ?2, json_object('as_of', ?3,"
	" 'opportunities', ?4, 'evaluated', ?5, 'paused', ?6,"
	" 'exceptions', ?7, 'new_exceptions', ?8, 'seen_again', ?9,"
	" 'tasks_created', ?10))",
};

#define LEDGER_STMT_COUNT \
	(sizeof(ledger_stmt_sql) / sizeof(ledger_stmt_sql[0]))

static sqlite3_stmt **ledger_stmt_slot(struct ledger_stmts *stmts, size_t i)
{
	sqlite3_stmt **slots[] = {
		&stmts->insert_run, &stmts->insert_input,
		&stmts->find_exception,
		&stmts->insert_exception,
		&stmts->update_exception,
		&stmts->finish_run,
		&stmts->insert_completed,
	};

	return slots[i];
}

static int ledger_prepare_all(struct sg_ledger *ledger,
			      struct ledger_stmts *stmts,
			      struct sg_error *err)
{
	size_t i;

	for (i = 0; i < LEDGER_STMT_COUNT; i++) {
		if (sqlite3_prepare_v3(ledger->db, ledger_stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT,
				       ledger_stmt_slot(stmts, i),
				       NULL) != SQLITE_OK)
			return ledger_fail(ledger, err,
					   "cannot prepare the recording");
	}
	return SG_OK;
}

static void ledger_finalize_all(struct ledger_stmts *stmts)
{
	size_t i;

	for (i = 0; i < LEDGER_STMT_COUNT; i++) {
		sqlite3_finalize(*ledger_stmt_slot(stmts, i));
		*ledger_stmt_slot(stmts, i) = NULL;
	}
}

/* Steps a statement that returns no row, then resets it. */
static int ledger_step(struct sg_ledger *ledger, sqlite3_stmt *stmt,
		       const char *what, struct sg_error *err)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE) {
		rc = ledger_fail(ledger, err, what);
		sqlite3_reset(stmt);
		return rc;
	}
	sqlite3_reset(stmt);
	return SG_OK;
}

static int ledger_check_record(const struct sg_exception_record *rec,
			       size_t index, struct sg_error *err)
{
	const char *lacking = NULL;
	size_t n = rec->details ? strlen(rec->details) : 0;

	if (rec->id == NULL)
		lacking = "id";
	else if (rec->type == NULL)
		lacking = "type";
	else if (rec->verdict == NULL)
		lacking = "verdict";
	else if (rec->opportunity_id == NULL)
		lacking = "opportunity_id";
	else if (rec->assignee == NULL)
		lacking = "assignee";
	else if (rec->detected_at == SG_TIME_NONE)
		lacking = "detected_at";
	else if (rec->due_at == SG_TIME_NONE)
		lacking = "due_at";
	else if (n < 2 || rec->details[0] != '{' || rec->details[n - 1] != '}')
		lacking = "details (a JSON object)";
	if (lacking == NULL)
		return SG_OK;
	return sg_error_set(err, SG_ERR_INTERNAL, "ledger: exception %zu "
			    "(id %.100s) has no %s", index,
			    rec->id ? rec->id : "?", lacking);
}

/*
 * The test hook: the number of exceptions after which to die, or -1.
 * Only a plain non-negative decimal counts.
 */
static long ledger_kill_after(void)
{
	const char *text = getenv(LEDGER_KILL_ENV);
	char *end;
	long n;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	n = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return n;
}

/* The run id: 32 hex of SHA-256 of as-of, start, config and source. */
static int ledger_run_id(struct sg_run_record *run, struct sg_error *err)
{
	static const char format[] = "%lld\n%lld\n%s\n%s";
	char hex[SG_SHA256_HEX_SIZE], *text;
	int n, rc;

	n = snprintf(NULL, 0, format, (long long)run->as_of,
		     (long long)run->started_at, run->config_sha256,
		     run->source);
	if (n < 0)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "ledger: cannot form the run id");
	text = malloc((size_t)n + 1);
	if (text == NULL)
		return sg_error_set(err, SG_ERR_NOMEM,
				    "ledger: out of memory");
	snprintf(text, (size_t)n + 1, format, (long long)run->as_of,
		 (long long)run->started_at, run->config_sha256, run->source);
	rc = sg_sha256_hex(text, (size_t)n, hex);
	free(text);
	if (rc != SG_OK)
		return sg_error_set(err, rc, "ledger: SHA-256 failed");
	memcpy(run->id, hex, 32);
	run->id[32] = '\0';
	return SG_OK;
}

static int ledger_check_run(const struct sg_run_record *run,
			    struct sg_error *err)
{
	if (run->started_at == SG_TIME_NONE || run->finished_at == SG_TIME_NONE
	    || run->as_of == SG_TIME_NONE)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "ledger: a run needs started_at, "
				    "finished_at and as_of");
	if (run->source == NULL || run->config_sha256 == NULL ||
	    run->tool_version == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "ledger: a run needs source, "
				    "config_sha256 and tool_version");
	return SG_OK;
}

static int ledger_insert_run(struct sg_ledger *ledger,
			     struct ledger_stmts *st,
			     const struct sg_run_record *run,
			     struct sg_error *err)
{
	sqlite3_stmt *s = st->insert_run;

	ledger_bind_text(s, 1, run->id);
	ledger_bind_time(s, 2, run->started_at);
	ledger_bind_time(s, 3, run->finished_at);
	ledger_bind_time(s, 4, run->as_of);
	ledger_bind_time(s, 5, run->since);
	ledger_bind_text(s, 6, run->source);
	ledger_bind_time(s, 7, run->snapshot_at);
	ledger_bind_text(s, 8, run->config_sha256);
	ledger_bind_text(s, 9, run->tool_version);
	ledger_bind_count(s, 10, run->opportunities);
	ledger_bind_count(s, 11, run->evaluated);
	ledger_bind_count(s, 12, run->paused);
	if (sqlite3_step(s) != SQLITE_DONE) {
		int rc;

		if (sqlite3_extended_errcode(ledger->db) ==
		    SQLITE_CONSTRAINT_PRIMARYKEY)
			rc = sg_error_set_at(err, SG_ERR_LEDGER, ledger->path,
					     0, 0, "ledger: run %s is already "
					     "recorded: a run with the same "
					     "as-of, config and source started "
					     "in the same second; nothing was "
					     "changed; run it again a second "
					     "later (or with another start "
					     "time, if SOURCE_DATE_EPOCH fixes "
					     "it)", run->id);
		else
			rc = ledger_fail(ledger, err, "cannot record the run");
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return SG_OK;
}

/*
 * A sighting's last_seen never moves back, nor before the exception's
 * first_seen (a run replayed at an earlier as-of, --allow-backdated).
 * The usual run is the latest: then no exception was first seen after
 * it, and the sighting need not read the exception's row, a random read
 * of a table of hundreds of megabytes for each exception seen again.
 */
static const char ledger_sight_latest_sql[] =
	"INSERT INTO sightings (exception_id, last_seen, last_run)"
	" VALUES (?1, ?2, ?3)"
	" ON CONFLICT (exception_id) DO UPDATE SET"
	" last_seen = excluded.last_seen, last_run = excluded.last_run"
	" WHERE excluded.last_seen >= sightings.last_seen";

static int ledger_pick_sighting(struct sg_ledger *ledger,
				struct ledger_stmts *st,
				const struct sg_run_record *run,
				struct sg_error *err)
{
	sqlite3_stmt *s;
	int rc, later;

	rc = ledger_prepare(ledger, "SELECT EXISTS (SELECT 1 FROM runs"
			    " WHERE as_of > ?1)", &s, err);
	if (rc != SG_OK)
		return rc;
	ledger_bind_time(s, 1, run->as_of);
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = ledger_fail(ledger, err, "cannot read the runs");
		sqlite3_finalize(s);
		return rc;
	}
	later = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (later)
		return SG_OK;
	rc = ledger_prepare(ledger, ledger_sight_latest_sql, &s, err);
	if (rc != SG_OK)
		return rc;
	sqlite3_finalize(st->update_exception);
	st->update_exception = s;
	return SG_OK;
}

/* The seq the next event gets: after every event there is or was (the
 * events table counts with AUTOINCREMENT). */
static int ledger_next_event_seq(struct sg_ledger *ledger, sqlite3_int64 *out,
				 struct sg_error *err)
{
	static const char sql[] =
		"SELECT max(coalesce((SELECT max(seq) FROM event_rows), 0),"
		/* The WHERE lets max() read the partial index's end
		 * instead of every exception (0.4 s at 1M). */
		" coalesce((SELECT max(raised_seq) FROM exceptions"
		"  WHERE raised_seq IS NOT NULL), 0),"
		" coalesce((SELECT seq FROM sqlite_sequence"
		"  WHERE name = 'event_rows'), 0)) + 1";
	sqlite3_stmt *stmt;
	int rc = ledger_prepare(ledger, sql, &stmt, err);

	if (rc != SG_OK)
		return rc;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*out = sqlite3_column_int64(stmt, 0);
	else
		rc = ledger_fail(ledger, err, "cannot read the events");
	sqlite3_finalize(stmt);
	return rc;
}

/* The chunks of the records the run judged, in order. */
static int ledger_insert_inputs(struct sg_ledger *ledger,
				struct ledger_stmts *st,
				const struct sg_run_record *run,
				struct sg_error *err)
{
	sqlite3_stmt *s = st->insert_input;
	size_t i;
	int rc = SG_OK;

	for (i = 0; rc == SG_OK && i < run->input_count; i++) {
		ledger_bind_text(s, 1, run->id);
		sqlite3_bind_int64(s, 2, run->inputs[i].part);
		sqlite3_bind_int64(s, 3, run->inputs[i].seq);
		ledger_bind_text(s, 4, run->inputs[i].sha256);
		rc = ledger_step(ledger, s, "cannot record the run's inputs",
				 err);
	}
	return rc;
}

/* Turns "ledger: what: ..." into "ledger: exception ID: what: ...". */
static void ledger_name_exception(struct sg_error *err, const char *id)
{
	static const char head[] = "ledger: ";
	size_t n = sizeof(head) - 1;

	if (err == NULL || strncmp(err->message, head, n) != 0)
		return;
	memmove(err->message, err->message + n, strlen(err->message + n) + 1);
	sg_error_prefix(err, "ledger: exception %.100s: ", id);
}

/* Whether the ledger already holds the exception id. */
static int ledger_known(struct sg_ledger *ledger, struct ledger_stmts *st,
			const char *id, int *known, struct sg_error *err)
{
	sqlite3_stmt *s = st->find_exception;
	int rc;

	ledger_bind_text(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = ledger_fail(ledger, err, "cannot look up an exception");
		sqlite3_reset(s);
		return rc;
	}
	*known = rc == SQLITE_ROW;
	sqlite3_reset(s);
	return SG_OK;
}

/*
 * Which of the feed's ids, asked in id order, the ledger holds.  When the
 * ledger holds at most LEDGER_WALK_RATIO times as many exceptions as the
 * feed (a daily run), its ids are walked alongside in one scan of their
 * index instead of a lookup each: at a million opportunities half a
 * million lookups take a few tenths of a second more than the walk.
 */
#define LEDGER_WALK_RATIO 8

struct ledger_walk {
	sqlite3_stmt *scan;     /* NULL: a lookup each */
	const char *at;         /* the ledger's id the walk stands on */
	int done;
};

static int ledger_walk_begin(struct sg_ledger *ledger, struct ledger_walk *k,
			     size_t feed_count, const char *first_id,
			     struct sg_error *err)
{
	sqlite3_stmt *s;
	sqlite3_int64 rows = 0;
	int rc;

	memset(k, 0, sizeof(*k));
	if (feed_count == 0)
		return SG_OK;
	rc = ledger_prepare(ledger, "SELECT coalesce(max(rowid), 0) FROM"
			    " exceptions", &s, err);
	if (rc != SG_OK)
		return rc;
	if (sqlite3_step(s) == SQLITE_ROW)
		rows = sqlite3_column_int64(s, 0);
	else
		rc = ledger_fail(ledger, err, "cannot count the exceptions");
	sqlite3_finalize(s);
	if (rc != SG_OK ||
	    (uint64_t)rows > (uint64_t)feed_count * LEDGER_WALK_RATIO)
		return rc;
	rc = ledger_prepare(ledger, "SELECT id FROM exceptions WHERE id >= ?1"
			    " ORDER BY id", &k->scan, err);
	if (rc == SG_OK)
		ledger_bind_text(k->scan, 1, first_id);
	return rc;
}

static int ledger_walk_known(struct sg_ledger *ledger,
			     struct ledger_stmts *st, struct ledger_walk *k,
			     const char *id, int *known, struct sg_error *err)
{
	int step;

	if (k->scan == NULL)
		return ledger_known(ledger, st, id, known, err);
	while (!k->done && (k->at == NULL || strcmp(k->at, id) < 0)) {
		step = sqlite3_step(k->scan);
		if (step == SQLITE_ROW) {
			k->at = (const char *)sqlite3_column_text(k->scan, 0);
			continue;
		}
		k->at = NULL;
		k->done = 1;
		if (step != SQLITE_DONE)
			return ledger_fail(ledger, err, "cannot look up the "
					   "exceptions");
	}
	*known = k->at != NULL && strcmp(k->at, id) == 0;
	return SG_OK;
}

/* An exception seen again: its sighting moves forward. */
static int ledger_see_again(struct sg_ledger *ledger, struct ledger_stmts *st,
			    const struct sg_run_record *run, const char *id,
			    struct sg_run_outcome *done, struct sg_error *err)
{
	sqlite3_stmt *s = st->update_exception;
	int rc;

	ledger_bind_text(s, 1, id);
	ledger_bind_time(s, 2, run->as_of);
	ledger_bind_text(s, 3, run->id);
	rc = ledger_step(ledger, s, "cannot update an exception", err);
	if (rc == SG_OK)
		done->seen_again++;
	return rc;
}

/* A new exception: its row (with its open review task), which is also
 * its exception_raised event (seq raised_seq). */
static int ledger_insert_new(struct sg_ledger *ledger, struct ledger_stmts *st,
			     const struct sg_run_record *run,
			     const struct sg_exception_record *rec,
			     struct sg_error *err)
{
	sqlite3_stmt *s = st->insert_exception;

	ledger_bind_text(s, 1, rec->id);
	ledger_bind_text(s, 2, rec->type);
	ledger_bind_text(s, 3, rec->verdict);
	ledger_bind_text(s, 4, rec->opportunity_id);
	ledger_bind_text(s, 5, rec->opportunity_name);
	ledger_bind_text(s, 6, rec->owner_id);
	ledger_bind_text(s, 7, rec->assignee);
	ledger_bind_text(s, 8, rec->from_stage);
	ledger_bind_text(s, 9, rec->to_stage);
	ledger_bind_text(s, 10, rec->stage);
	ledger_bind_time(s, 11, rec->event_at);
	ledger_bind_time(s, 12, rec->detected_at);
	ledger_bind_time(s, 13, rec->due_at);
	ledger_bind_time(s, 14, run->as_of);
	ledger_bind_text(s, 15, run->id);
	ledger_bind_text(s, 16, rec->details);
	ledger_bind_text(s, 17, rec->note);
	sqlite3_bind_int64(s, 18, st->next_seq++);
	return ledger_step(ledger, s, "cannot record an exception", err);
}

/* What the second pass does with exception i. */
enum { LEDGER_KNOWN = 0, LEDGER_NEW = 1, LEDGER_AGAIN = 2 };

/* Exception i of the feed, named by its id. */
struct ledger_ref {
	uint64_t prefix;        /* ledger_id_prefix(id) */
	const char *id;
	size_t index;
};

/* The first 8 bytes of id (NULs past its end) as a big-endian number:
 * two prefixes compare as strcmp compares those bytes, so most of a
 * sort's comparisons need not follow the pointers (0.3 s of strcmp at
 * half a million exceptions). */
static uint64_t ledger_id_prefix(const char *id)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8; i++) {
		v = v << 8 | (unsigned char)id[i];
		if (id[i] == '\0') {
			v <<= 8 * (7 - i);
			break;
		}
	}
	return v;
}

/* By id, then by place in the feed (an id raised twice in one run is
 * new at its first place only). */
static int ledger_ref_cmp(const void *a, const void *b)
{
	const struct ledger_ref *x = a, *y = b;
	int c;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	c = strcmp(x->id, y->id);
	if (c != 0)
		return c;
	return (x->index > y->index) - (x->index < y->index);
}

/*
 * The feed's exceptions sorted by id (NULL with err set when out of
 * memory or an id is missing).  Ids are hashes: in feed order every
 * lookup and every sighting lands at a random place of its index, in id
 * order they walk it from one end to the other.
 */
static struct ledger_ref *ledger_by_id(const struct sg_exception_feed *feed,
				       struct sg_error *err)
{
	struct ledger_ref *refs;
	size_t i;

	refs = malloc((feed->count ? feed->count : 1) * sizeof(*refs));
	if (refs == NULL) {
		sg_error_set(err, SG_ERR_NOMEM, "ledger: out of memory");
		return NULL;
	}
	for (i = 0; i < feed->count; i++) {
		refs[i].id = feed->id(feed->arg, i);
		refs[i].index = i;
		if (refs[i].id == NULL) {
			free(refs);
			sg_error_set(err, SG_ERR_INTERNAL, "ledger: exception "
				     "%zu has no id", i);
			return NULL;
		}
		refs[i].prefix = ledger_id_prefix(refs[i].id);
	}
	qsort(refs, feed->count, sizeof(*refs), ledger_ref_cmp);
	return refs;
}

/* Exception i, not in the ledger yet: asked of the feed in full,
 * checked and inserted. */
static int ledger_record_new(struct sg_ledger *ledger, struct ledger_stmts *st,
			     const struct sg_run_record *run,
			     const struct sg_exception_feed *feed, size_t i,
			     struct sg_run_outcome *done, struct sg_error *err)
{
	struct sg_exception_record rec;
	int rc;

	rc = feed->record(feed->arg, i, &rec, err);
	if (rc == SG_OK)
		rc = ledger_check_record(&rec, i, err);
	if (rc == SG_OK)
		rc = ledger_insert_new(ledger, st, run, &rec, err);
	if (rc == SG_OK) {
		done->new_exceptions++;
		done->tasks_created++;
	} else if (rc == SG_ERR_LEDGER) {
		ledger_name_exception(err, feed->id(feed->arg, i));
	}
	return rc;
}

/*
 * The new exceptions' exception_raised events are read from them
 * (raised_seq, schema 7), not stored: the events that take their seq
 * from AUTOINCREMENT (corrections, the run's end, dispositions) must
 * come after them, so the table's counter is moved past their seqs.
 */
static int ledger_skip_raised(struct sg_ledger *ledger,
			      const struct ledger_stmts *st,
			      struct sg_error *err)
{
	char sql[320];
	long long last = (long long)st->next_seq - 1;

	if (last <= 0)
		return SG_OK;
	snprintf(sql, sizeof(sql),
		 "UPDATE sqlite_sequence SET seq = %lld"
		 " WHERE name = 'event_rows' AND seq < %lld;"
		 "INSERT INTO sqlite_sequence (name, seq)"
		 " SELECT 'event_rows', %lld WHERE NOT EXISTS"
		 " (SELECT 1 FROM sqlite_sequence WHERE name = 'event_rows')",
		 last, last, last);
	return ledger_exec(ledger, sql, "cannot count the events", err);
}

/* Tells the feed which exceptions the second pass will ask for. */
static int ledger_tell_new(const struct sg_exception_feed *feed,
			   const unsigned char *what, struct sg_error *err)
{
	size_t *order, i, n = 0;
	int rc;

	if (feed->will_ask == NULL)
		return SG_OK;
	order = malloc((feed->count ? feed->count : 1) * sizeof(*order));
	if (order == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "ledger: out of memory");
	for (i = 0; i < feed->count; i++)
		if (what[i] == LEDGER_NEW)
			order[n++] = i;
	rc = feed->will_ask(feed->arg, order, n, err);
	free(order);
	return rc;
}

/*
 * Records the feed's exceptions in two passes: in id order, the known
 * ones have their sighting moved (and the new ones are marked); then, in
 * the feed's order, the new ones are inserted, so their rows and events
 * come in the order the checks raised them.  kill_after > 0 (tests
 * only) kills the process once that many exceptions are written.
 */
static int ledger_record_all(struct sg_ledger *ledger, struct ledger_stmts *st,
			     const struct sg_run_record *run,
			     const struct sg_exception_feed *feed,
			     long kill_after, struct sg_run_outcome *done,
			     struct sg_error *err)
{
	struct ledger_ref *refs = ledger_by_id(feed, err);
	struct ledger_walk walk;
	unsigned char *what, prev = LEDGER_KNOWN;
	size_t i, handled = 0;
	int rc = SG_OK, known;

	if (refs == NULL)
		return err->code;
	what = malloc(feed->count ? feed->count : 1);
	if (what == NULL) {
		free(refs);
		return sg_error_set(err, SG_ERR_NOMEM, "ledger: out of memory");
	}
	rc = ledger_walk_begin(ledger, &walk, feed->count,
			       feed->count > 0 ? refs[0].id : "", err);
	for (i = 0; rc == SG_OK && i < feed->count; i++) {
		known = 0;
		if (i > 0 && strcmp(refs[i].id, refs[i - 1].id) == 0) {
			/* A repeat is seen again once its first place is
			 * inserted. */
			what[refs[i].index] = prev == LEDGER_KNOWN ?
				LEDGER_KNOWN : LEDGER_AGAIN;
		} else {
			rc = ledger_walk_known(ledger, st, &walk, refs[i].id,
					       &known, err);
			what[refs[i].index] = known ? LEDGER_KNOWN : LEDGER_NEW;
		}
		prev = what[refs[i].index];
		if (rc == SG_OK && prev == LEDGER_KNOWN) {
			rc = ledger_see_again(ledger, st, run, refs[i].id,
					      done, err);
			handled++;
		}
		if (rc == SG_ERR_LEDGER)
			ledger_name_exception(err, refs[i].id);
		/* Tests only: die mid-transaction to prove atomicity. */
		if (kill_after > 0 && handled == (size_t)kill_after)
			raise(SIGKILL);
	}
	sqlite3_finalize(walk.scan);
	if (rc == SG_OK)
		rc = ledger_tell_new(feed, what, err);
	for (i = 0; rc == SG_OK && i < feed->count; i++) {
		if (what[i] == LEDGER_KNOWN)
			continue;
		if (what[i] == LEDGER_NEW)
			rc = ledger_record_new(ledger, st, run, feed, i, done,
					       err);
		else if ((rc = ledger_see_again(ledger, st, run,
						feed->id(feed->arg, i), done,
						err)) == SG_ERR_LEDGER)
			ledger_name_exception(err, feed->id(feed->arg, i));
		if (kill_after > 0 && ++handled == (size_t)kill_after)
			raise(SIGKILL);
	}
	free(what);
	free(refs);
	return rc;
}

static int ledger_finish_run(struct sg_ledger *ledger,
			     struct ledger_stmts *st,
			     const struct sg_run_record *run, size_t count,
			     const struct sg_run_outcome *outcome,
			     struct sg_error *err)
{
	char as_of[SG_TIME_ISO_SIZE];
	sqlite3_stmt *s = st->finish_run;
	int rc;

	ledger_bind_text(s, 1, run->id);
	ledger_bind_count(s, 2, count);
	ledger_bind_count(s, 3, outcome->new_exceptions);
	rc = ledger_step(ledger, s, "cannot record the run", err);
	if (rc != SG_OK)
		return rc;
	s = st->insert_completed;
	sg_time_format_iso(run->as_of, as_of);
	ledger_bind_time(s, 1, run->finished_at);
	ledger_bind_text(s, 2, run->id);
	ledger_bind_text(s, 3, as_of);
	ledger_bind_count(s, 4, run->opportunities);
	ledger_bind_count(s, 5, run->evaluated);
	ledger_bind_count(s, 6, run->paused);
	ledger_bind_count(s, 7, count);
	ledger_bind_count(s, 8, outcome->new_exceptions);
	ledger_bind_count(s, 9, outcome->seen_again);
	ledger_bind_count(s, 10, outcome->tasks_created);
	return ledger_step(ledger, s, "cannot record an event", err);
}

int sg_ledger_record_run(struct sg_ledger *ledger, struct sg_run_record *run,
			 const struct sg_exception_feed *exceptions,
			 struct sg_run_outcome *outcome, struct sg_error *err)
{
	struct ledger_stmts st;
	struct sg_run_outcome done;
	size_t count = exceptions != NULL ? exceptions->count : 0;
	long kill_after;
	int rc;

	memset(&st, 0, sizeof(st));
	memset(&done, 0, sizeof(done));
	if (outcome != NULL)
		memset(outcome, 0, sizeof(*outcome));
	rc = ledger_check_run(run, err);
	if (rc != SG_OK)
		return rc;
	rc = ledger_run_id(run, err);
	if (rc != SG_OK)
		return rc;
	kill_after = ledger_kill_after();
	rc = ledger_prepare_all(ledger, &st, err);
	if (rc != SG_OK)
		goto out;
	rc = ledger_exec(ledger, "PRAGMA cache_size = " LEDGER_CACHE_RECORD,
			 "cannot set the cache size", err);
	if (rc == SG_OK)
		rc = ledger_exec(ledger, "BEGIN IMMEDIATE",
				 "cannot start recording the run", err);
	if (rc == SG_OK)
		rc = ledger_next_event_seq(ledger, &st.next_seq, err);
	if (rc != SG_OK)
		goto out;
	rc = ledger_pick_sighting(ledger, &st, run, err);
	if (rc == SG_OK)
		rc = ledger_insert_run(ledger, &st, run, err);
	if (rc == SG_OK)
		rc = ledger_insert_inputs(ledger, &st, run, err);
	if (rc == SG_OK)
		rc = ledger_record_state(ledger, run, err);
	if (rc != SG_OK)
		goto out;
	if (kill_after == 0)
		raise(SIGKILL);
	if (exceptions != NULL) {
		rc = ledger_record_all(ledger, &st, run, exceptions, kill_after,
				       &done, err);
		if (rc != SG_OK)
			goto out;
	}
	rc = ledger_skip_raised(ledger, &st, err);
	if (rc == SG_OK)
		rc = ledger_finish_run(ledger, &st, run, count, &done, err);
	if (rc != SG_OK)
		goto out;
	if (run->before_commit != NULL) {
		rc = run->before_commit(ledger, run->before_commit_arg, err);
		if (rc != SG_OK)
			goto out;
	}
	rc = ledger_exec(ledger, "COMMIT", "cannot commit the run", err);
	if (rc != SG_OK)
		goto out;
	if (outcome != NULL)
		*outcome = done;
out:
	if (rc != SG_OK)
		ledger_rollback(ledger);
	ledger_finalize_all(&st);
	/* The outputs that follow read; their memory is the model's. */
	sqlite3_exec(ledger->db, "PRAGMA cache_size = " LEDGER_CACHE_READ,
		     NULL, NULL, NULL);
	return rc;
}

