/*
 * review_import.c - dispositions from a CSV file: every row validated
 * against the ledger and the other rows first, then all recorded in one
 * transaction, or none.
 */
#include "review_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/sg_csv.h"

/* ---- import ---- */

enum rv_column {
	RV_COL_ID = 0,
	RV_COL_DISPOSITION,
	RV_COL_BY,
	RV_COL_AT,
	RV_COL_NOTE,
	RV_COL_TO,
	RV_COL_COUNT
};

static const char *const rv_column_names[RV_COL_COUNT] = {
	"exception_id", "disposition", "decided_by", "decided_at", "note",
	"to",
};

/* Columns 0 .. RV_COL_REQUIRED - 1 must be present. */
#define RV_COL_REQUIRED 4

/* One row of an import file. */
struct rv_row {
	long line;
	char *field[RV_COL_COUNT]; /* trimmed copies; NULL: no column */
	struct sg_review_decision d;
	char *problem;          /* NULL: good so far */
};

void sg_review_problems_release(struct sg_review_problems *problems)
{
	size_t i;

	if (problems == NULL)
		return;
	for (i = 0; i < problems->count; i++)
		free(problems->lines[i]);
	free(problems->lines);
	problems->lines = NULL;
	problems->count = 0;
}

/* A copy of text without leading and trailing blanks; NULL on memory. */
static char *rv_trimmed(const char *text)
{
	size_t len;

	while (*text == ' ' || *text == '\t' || *text == '\r' ||
	       *text == '\n')
		text++;
	len = strlen(text);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
			   text[len - 1] == '\r' || text[len - 1] == '\n'))
		len--;
	return strndup(text, len);
}

/* Sets the row's problem (the first one found wins). */
static int rv_problem(struct rv_row *row, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int rv_problem(struct rv_row *row, const char *fmt, ...)
{
	char buf[SG_ERROR_MESSAGE_MAX];
	va_list ap;

	if (row->problem != NULL)
		return SG_OK;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	row->problem = strdup(buf);
	return row->problem ? SG_OK : SG_ERR_NOMEM;
}

/* Maps header fields to columns; col[c] is the field index or -1. */
static int rv_read_header(const char *path, const struct sg_csv_record *rec,
			  int col[RV_COL_COUNT], struct sg_error *err)
{
	size_t i;
	int c;

	for (c = 0; c < RV_COL_COUNT; c++)
		col[c] = -1;
	for (i = 0; i < rec->count; i++) {
		char *name = rv_trimmed(rec->fields[i]);

		if (name == NULL)
			return rv_nomem(err);
		for (c = 0; c < RV_COL_COUNT; c++)
			if (strcasecmp(name, rv_column_names[c]) == 0)
				break;
		if (c == RV_COL_COUNT || col[c] >= 0) {
			int rc = sg_error_set_at(
				err, SG_ERR_PARSE, path, rec->line,
				(int)i + 1, "%s column \"%.100s\"; the "
				"columns are exception_id, disposition, "
				"decided_by, decided_at, and optionally "
				"note and to", c == RV_COL_COUNT ? "unknown" :
				"repeated", name);

			free(name);
			return rc;
		}
		free(name);
		col[c] = (int)i;
	}
	for (c = 0; c < RV_COL_REQUIRED; c++)
		if (col[c] < 0)
			return sg_error_set_at(err, SG_ERR_PARSE, path,
					       rec->line, 0, "the header "
					       "lacks the %s column "
					       "(required: exception_id, "
					       "disposition, "
					       "decided_by, decided_at)",
					       rv_column_names[c]);
	return SG_OK;
}

/* Copies and checks the fields of one record into row. */
static int rv_read_row(const struct sg_csv_record *rec,
		       const int col[RV_COL_COUNT], size_t header_count,
		       sg_time recorded_at, struct rv_row *row)
{
	struct sg_review_decision *d = &row->d;
	struct sg_error terr;
	int c;

	memset(row, 0, sizeof(*row));
	row->line = rec->line;
	d->at = SG_TIME_NONE;
	d->disposition = -1;
	d->source = "import";
	d->recorded_at = recorded_at;
	for (c = 0; c < RV_COL_COUNT; c++) {
		if (col[c] < 0 || (size_t)col[c] >= rec->count)
			continue;
		row->field[c] = rv_trimmed(rec->fields[col[c]]);
		if (row->field[c] == NULL)
			return SG_ERR_NOMEM;
	}
	if (rec->count != header_count)
		return rv_problem(row, "%zu fields, the header has %zu",
				  rec->count, header_count);
	d->exception_id = row->field[RV_COL_ID];
	d->by = row->field[RV_COL_BY];
	d->note = row->field[RV_COL_NOTE];
	d->to = row->field[RV_COL_TO];
	if (d->exception_id[0] == '\0')
		return rv_problem(row, "exception_id is empty");
	d->disposition =
		sg_disposition_from_name(row->field[RV_COL_DISPOSITION]);
	if (d->disposition < 0)
		return rv_problem(row, "unknown disposition \"%.100s\": "
				  "expected approve, correct, escalate, "
				  "reassign, log or block",
				  row->field[RV_COL_DISPOSITION]);
	if (d->by[0] == '\0')
		return rv_problem(row, "decided_by is empty");
	if (row->field[RV_COL_AT][0] == '\0')
		return rv_problem(row, "decided_at is empty");
	sg_error_clear(&terr);
	if (sg_time_parse_iso(&d->at, row->field[RV_COL_AT],
			      strlen(row->field[RV_COL_AT]), 0, 0,
			      &terr) != SG_OK) {
		d->at = SG_TIME_NONE;
		return rv_problem(row, "decided_at: %s", terr.message);
	}
	return SG_OK;
}

static void rv_rows_free(struct rv_row *rows, size_t n)
{
	size_t i;
	int c;

	for (i = 0; i < n; i++) {
		for (c = 0; c < RV_COL_COUNT; c++)
			free(rows[i].field[c]);
		free(rows[i].problem);
	}
	free(rows);
}

/* Reads every record of the file into *rows (header checked). */
static int rv_read_file(const char *path, sg_time recorded_at,
			struct rv_row **rows, size_t *count,
			struct sg_error *err)
{
	struct sg_csv *csv = NULL;
	struct sg_csv_record rec;
	size_t capacity = 0, header_count = 0;
	int col[RV_COL_COUNT];
	int rc, got;

	*rows = NULL;
	*count = 0;
	rc = sg_csv_open(&csv, path, err);
	if (rc != SG_OK)
		return rc;
	got = sg_csv_next(csv, &rec, err);
	if (got < 0) {
		rc = got;
		goto out;
	}
	if (got == 0) {
		rc = sg_error_set_at(err, SG_ERR_PARSE, path, 0, 0,
				     "empty file: expected a header row "
				     "exception_id,disposition,decided_by,"
				     "decided_at,note");
		goto out;
	}
	rc = rv_read_header(path, &rec, col, err);
	if (rc != SG_OK)
		goto out;
	header_count = rec.count;
	for (;;) {
		got = sg_csv_next(csv, &rec, err);
		if (got != 1)
			break;
		if (*count == capacity) {
			size_t n = capacity ? capacity * 2 : 64;
			struct rv_row *grown;

			if (*count >= SG_REVIEW_IMPORT_ROWS_MAX) {
				rc = sg_error_set_at(
					err, SG_ERR_PARSE, path, rec.line, 0,
					"more than %d rows; split the file",
					SG_REVIEW_IMPORT_ROWS_MAX);
				goto out;
			}
			grown = realloc(*rows, n * sizeof(*grown));
			if (grown == NULL) {
				rc = rv_nomem(err);
				goto out;
			}
			*rows = grown;
			capacity = n;
		}
		rc = rv_read_row(&rec, col, header_count, recorded_at,
				 &(*rows)[*count]);
		(*count)++;
		if (rc != SG_OK) {
			rc = rv_nomem(err);
			goto out;
		}
	}
	if (got < 0)
		rc = got;
out:
	sg_csv_free(csv);
	if (rc != SG_OK) {
		rv_rows_free(*rows, *count);
		*rows = NULL;
		*count = 0;
	}
	return rc;
}

/* Sorting rows by exception id, then line, to find repeated ids. */
static int rv_compare_rows(const void *a, const void *b)
{
	const struct rv_row *x = *(const struct rv_row *const *)a;
	const struct rv_row *y = *(const struct rv_row *const *)b;
	int c = strcmp(x->d.exception_id, y->d.exception_id);

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Marks every row whose exception id an earlier row already names. */
static int rv_mark_repeats(struct rv_row *rows, size_t count,
			   struct sg_error *err)
{
	struct rv_row **order;
	size_t i, n = 0;
	int rc = SG_OK;

	order = malloc((count ? count : 1) * sizeof(*order));
	if (order == NULL)
		return rv_nomem(err);
	for (i = 0; i < count; i++)
		if (rows[i].d.exception_id != NULL &&
		    rows[i].d.exception_id[0] != '\0')
			order[n++] = &rows[i];
	qsort(order, n, sizeof(*order), rv_compare_rows);
	for (i = 1; i < n && rc == SG_OK; i++) {
		size_t first = i;

		while (first > 0 &&
		       strcmp(order[first - 1]->d.exception_id,
			      order[i]->d.exception_id) == 0)
			first--;
		if (first == i)
			continue;
		/* A repeat replaces any other reason: it is the one to fix. */
		free(order[i]->problem);
		order[i]->problem = NULL;
		if (rv_problem(order[i], "exception %.100s is already on line "
			       "%ld; one disposition per exception",
			       order[i]->d.exception_id,
			       order[first]->line) != SG_OK)
			rc = rv_nomem(err);
	}
	free(order);
	return rc;
}

static int rv_collect_problems(const char *path, struct rv_row *rows,
			       size_t count,
			       struct sg_review_problems *problems,
			       struct sg_error *err)
{
	size_t i, n = 0;

	for (i = 0; i < count; i++)
		n += rows[i].problem != NULL;
	if (n == 0)
		return SG_OK;
	problems->lines = calloc(n, sizeof(*problems->lines));
	if (problems->lines == NULL)
		return rv_nomem(err);
	for (i = 0; i < count; i++) {
		int len;
		char *line;

		if (rows[i].problem == NULL)
			continue;
		len = snprintf(NULL, 0, "%s:%ld: %s", path, rows[i].line,
			       rows[i].problem);
		line = len < 0 ? NULL : malloc((size_t)len + 1);
		if (line == NULL)
			return rv_nomem(err);
		snprintf(line, (size_t)len + 1, "%s:%ld: %s", path,
			 rows[i].line, rows[i].problem);
		problems->lines[problems->count++] = line;
	}
	return SG_OK;
}

int sg_review_import(struct sg_ledger *ledger, const char *path,
		     sg_time recorded_at, size_t *recorded,
		     struct sg_review_problems *problems,
		     struct sg_error *err)
{
	struct rv_row *rows = NULL;
	struct rv_stmts st;
	struct rv_state *states = NULL;
	char why[SG_ERROR_MESSAGE_MAX];
	size_t count = 0, i;
	int rc;

	*recorded = 0;
	problems->lines = NULL;
	problems->count = 0;
	memset(&st, 0, sizeof(st));
	rc = rv_read_file(path, recorded_at, &rows, &count, err);
	if (rc != SG_OK)
		return rc;
	rc = rv_mark_repeats(rows, count, err);
	if (rc != SG_OK)
		goto out;
	states = calloc(count ? count : 1, sizeof(*states));
	if (states == NULL) {
		rc = rv_nomem(err);
		goto out;
	}
	rc = rv_stmts_prepare(ledger, &st, err);
	if (rc != SG_OK)
		goto out;
	/* Validation and writes in one write transaction: nothing can
	 * change between judging a row and recording it. */
	rc = ledger_exec(ledger, "BEGIN IMMEDIATE",
		     "cannot start the import", err);
	if (rc != SG_OK)
		goto out;
	for (i = 0; i < count; i++) {
		struct rv_row *row = &rows[i];

		if (row->problem != NULL)
			continue;
		rc = rv_load_state(ledger, &st, row->d.exception_id,
				   &states[i], err);
		if (rc != SG_OK)
			goto out;
		if (rv_judge(&row->d, &states[i], why, sizeof(why)) !=
		    SG_OK && rv_problem(row, "%s", why) != SG_OK) {
			rc = rv_nomem(err);
			goto out;
		}
	}
	rc = rv_collect_problems(path, rows, count, problems, err);
	if (rc != SG_OK)
		goto out;
	if (problems->count > 0) {
		rc = sg_error_set_at(err, SG_ERR_REFUSED, path, 0, 0,
				     "%zu of %zu rows are bad; nothing was "
				     "recorded", problems->count, count);
		goto out;
	}
	for (i = 0; i < count; i++) {
		rc = rv_apply(ledger, &st, &rows[i].d, &states[i], err);
		if (rc != SG_OK) {
			sg_error_prefix(err, "%s:%ld: ", path, rows[i].line);
			goto out;
		}
	}
	rc = ledger_exec(ledger, "COMMIT", "cannot commit the import", err);
	if (rc == SG_OK)
		*recorded = count;
out:
	if (rc != SG_OK)
		ledger_rollback(ledger);
	rv_stmts_finalize(&st);
	if (states != NULL)
		for (i = 0; i < count; i++)
			rv_state_clear(&states[i]);
	free(states);
	rv_rows_free(rows, count);
	return rc;
}
