/*
 * metrics.c - the metrics sink: the pilot's measures and the measurement
 * events as files a warehouse or a BI tool loads (DESIGN §1, §7):
 *
 *   metrics.json   the host's one JSON document of the pilot's measures
 *                  (input->data_json: what `stageguard metrics --compare
 *                  --format json` prints), or {"as_of"} without a pilot
 *   metrics.csv    the comparison table, or without one the pilot or the
 *                  baseline table (RFC 4180 quoting); empty when none is
 *                  present
 *   events.jsonl   one compact JSON object per row of the events table;
 *                  empty when there are none
 *
 * The tables come from input->data (struct sg_report), found by key in
 * any section.  Rows are streamed from rows() straight to the files, so
 * half a million events never sit in memory.  write() fills temporary
 * files in the output folder; finish() renames them into place, so a
 * failed write leaves the previous files as they were.  The output is a
 * function of the input alone (the as-of comes from the report), so the
 * same ledger gives byte-identical files.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "sg_plugin.h"
#include "util/sg_csv.h"
#include "util/sg_path.h"
#include "sg_time.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define MX_JSON_FLAGS (JSON_REAL_PRECISION(15))
/* A CSV cell that is not text (a number, a time) fits in this. */
#define MX_CELL_MAX 64

struct metrics_config {
	char *dir;
};

static const struct sg_option mx_options[] = {
	{"dir", SG_OPT_STRING, 0, "metrics",
	 "The folder metrics.json, metrics.csv and events.jsonl are written "
	 "into (created when missing, one level).  A relative path is "
	 "relative to the config file's folder; the output the command "
	 "line names overrides it, as given.",
	 offsetof(struct metrics_config, dir)},
};

enum mx_file_index {
	MX_FILE_JSON = 0,
	MX_FILE_CSV,
	MX_FILE_EVENTS,
	MX_FILE_COUNT
};

static const char *const mx_file_names[MX_FILE_COUNT] = {
	"metrics.json", "metrics.csv", "events.jsonl"
};

struct mx_file {
	char *path;             /* the final name */
	char *tmp;              /* the temporary file, NULL when none */
	int lock_fd;            /* holds its lock until the rename; -1 */
	FILE *fp;
};

struct metrics_state {
	const struct sg_host *host;
	char *dir;
	int written;            /* write() succeeded: finish() renames */
	int finished;
	struct mx_file files[MX_FILE_COUNT];
};

/* How rows are written. */
enum mx_row_mode {
	MX_ROWS_CSV = 0,
	MX_ROWS_JSONL
};

struct mx_rows {
	struct mx_file *file;
	const struct sg_table *table;
	int mode;               /* enum mx_row_mode */
	unsigned long long count;
};

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

static int mx_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

/* The temporary file's lock let go (after its rename, or its removal). */
static void mx_unlock(struct mx_file *f)
{
	if (f->lock_fd >= 0)
		close(f->lock_fd);
	f->lock_fd = -1;
}

/* Removes the temporary files left and forgets them. */
static void mx_drop_temps(struct metrics_state *st)
{
	size_t i;

	for (i = 0; i < MX_FILE_COUNT; i++) {
		struct mx_file *f = &st->files[i];

		if (f->fp != NULL)
			fclose(f->fp);
		f->fp = NULL;
		if (f->tmp != NULL)
			unlink(f->tmp);
		free(f->tmp);
		f->tmp = NULL;
		mx_unlock(f);
	}
}

static void mx_close(void *state)
{
	struct metrics_state *st = state;
	size_t i;

	if (st == NULL)
		return;
	mx_drop_temps(st);
	for (i = 0; i < MX_FILE_COUNT; i++)
		free(st->files[i].path);
	free(st->dir);
	free(st);
}

/* Creates dir when it is missing (one level) and checks it is a folder. */
static int mx_make_dir(const char *dir, struct sg_error *err)
{
	struct stat sb;

	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return sg_error_set_at(err, SG_ERR_IO, dir, 0, 0,
				       "cannot create the output folder: %s",
				       strerror(errno));
	if (stat(dir, &sb) != 0)
		return sg_error_set_at(err, SG_ERR_IO, dir, 0, 0,
				       "cannot use the output folder: %s",
				       strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return sg_error_set_at(err, SG_ERR_IO, dir, 0, 0,
				       "cannot use the output folder: it is "
				       "not a folder");
	return SG_OK;
}

static int mx_open(void **state, const void *config, const char *arg,
		   const struct sg_host *host, struct sg_error *err)
{
	const struct metrics_config *cfg = config;
	const char *dir, *base;
	struct metrics_state *st;
	size_t i;
	int rc;

	*state = NULL;
	if (host == NULL || host->version < 1 ||
	    host->size < offsetof(struct sg_host, config_dir) +
	    sizeof(host->config_dir))
		return sg_error_set(err, SG_ERR_PLUGIN,
				    "the host table is too old");
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return mx_nomem(err);
	for (i = 0; i < MX_FILE_COUNT; i++)
		st->files[i].lock_fd = -1;
	st->host = host;
	if (arg != NULL && arg[0] != '\0') {
		st->dir = strdup(arg);
	} else {
		dir = cfg != NULL && cfg->dir != NULL && cfg->dir[0] != '\0' ?
			cfg->dir : "metrics";
		base = host->config_dir != NULL ?
			host->config_dir(host->ctx) : NULL;
		st->dir = sg_path_join(base, dir);
	}
	if (st->dir == NULL) {
		rc = mx_nomem(err);
		goto fail;
	}
	for (i = 0; i < MX_FILE_COUNT; i++) {
		st->files[i].path = sg_path_join(st->dir, mx_file_names[i]);
		if (st->files[i].path == NULL) {
			rc = mx_nomem(err);
			goto fail;
		}
	}
	rc = mx_make_dir(st->dir, err);
	if (rc != SG_OK)
		goto fail;
	*state = st;
	return SG_OK;
fail:
	mx_close(st);
	return rc;
}

/* Opens a new temporary file next to f's final name, ".NAME.XXXXXX",
 * locked until the rename (sg_path_output_temp()). */
static int mx_temp_open(struct mx_file *f, struct sg_error *err)
{
	int fd;

	if (sg_path_output_ok(f->path, err) != SG_OK)
		return err->code;
	free(f->tmp);
	mx_unlock(f);
	if (sg_path_output_temp(f->path, &f->tmp, &fd, err) != SG_OK)
		return sg_error_prefix(err, "cannot write: ");
	/* The stream closes its descriptor before the rename: a second
	 * one keeps the lock. */
	f->lock_fd = dup(fd);
	f->fp = f->lock_fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f->fp == NULL) {
		close(fd);
		return mx_nomem(err);
	}
	return SG_OK;
}

static int mx_put(struct mx_file *f, const char *s, size_t len,
		  struct sg_error *err)
{
	if (len > 0 && fwrite(s, 1, len, f->fp) != len)
		return sg_error_set_at(err, SG_ERR_IO, f->path, 0, 0,
				       "cannot write: %s", strerror(errno));
	return SG_OK;
}

static int mx_puts(struct mx_file *f, const char *s, struct sg_error *err)
{
	return mx_put(f, s, strlen(s), err);
}

/* Flushes and closes the temporary file (the data is complete). */
static int mx_temp_close(struct mx_file *f, struct sg_error *err)
{
	FILE *fp = f->fp;
	int bad;

	f->fp = NULL;
	bad = ferror(fp);
	if (fclose(fp) != 0 || bad)
		return sg_error_set_at(err, SG_ERR_IO, f->path, 0, 0,
				       "cannot write: %s",
				       errno ? strerror(errno) :
				       "write error");
	return SG_OK;
}

/* The table with this key in any section of r, or NULL. */
static const struct sg_table *mx_find(const struct sg_report *r,
				      const char *key)
{
	size_t s, b;

	for (s = 0; s < r->section_count; s++) {
		const struct sg_section *sec = &r->sections[s];

		for (b = 0; b < sec->block_count; b++) {
			const struct sg_block *blk = &sec->blocks[b];

			if (blk->type == SG_BLOCK_TABLE &&
			    blk->table != NULL && blk->table->key != NULL &&
			    strcmp(blk->table->key, key) == 0)
				return blk->table;
		}
	}
	return NULL;
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t mx_utf8_len(const unsigned char *s, size_t n)
{
	unsigned cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	cp = s[0] & (0x7fu >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * A JSON string of text.  Text is UTF-8 by the plugin contract; should a
 * CRM's text carry a stray byte, it is written as U+FFFD rather than
 * losing the row.
 */
static json_t *mx_string(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text), i = 0, o = 0, k;
	json_t *out;
	char *fixed;

	out = json_stringn(text, n);
	if (out != NULL)
		return out;
	fixed = malloc(n * 3 + 1);
	if (fixed == NULL)
		return NULL;
	while (i < n) {
		k = s[i] == 0 ? 0 : mx_utf8_len(s + i, n - i);
		if (k == 0) {
			memcpy(fixed + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(fixed + o, s + i, k);
		o += k;
		i += k;
	}
	out = json_stringn(fixed, o);
	free(fixed);
	return out;
}

/* Names a cell in a message. */
static int mx_cell_error(struct mx_rows *rows, size_t col, int code,
			 const char *what, struct sg_error *err)
{
	const struct sg_column *c = &rows->table->columns[col];

	return sg_error_set_at(err, code, rows->file->path, 0, 0,
			       "table \"%s\", row %llu, column \"%s\": %s",
			       rows->table->key, rows->count + 1,
			       c->key != NULL ? c->key : "?", what);
}

/* The JSON of one cell: a new reference in *out. */
static int mx_value_json(struct mx_rows *rows, size_t col,
			 const struct sg_value *v, json_t **out,
			 struct sg_error *err)
{
	char buf[SG_TIME_ISO_SIZE];
	json_error_t jerr;
	char why[JSON_ERROR_TEXT_LENGTH];
	json_t *j = NULL, *amount, *unit;

	switch (v->type) {
	case SG_VAL_NONE:
	case SG_VAL_NA:
		j = json_null();
		break;
	case SG_VAL_TEXT:
		j = v->text != NULL ? mx_string(v->text) : json_null();
		break;
	case SG_VAL_INT:
		j = json_integer(v->integer);
		break;
	case SG_VAL_NUMBER:
	case SG_VAL_PERCENT:
		j = isfinite(v->number) ? json_real(v->number) : json_null();
		break;
	case SG_VAL_MONEY:
		amount = v->text != NULL ? mx_string(v->text) : json_null();
		unit = v->unit != NULL ? mx_string(v->unit) : json_null();
		j = json_object();
		if (j == NULL || amount == NULL || unit == NULL ||
		    json_object_set_new(j, "amount", amount) != 0 ||
		    json_object_set_new(j, "currency", unit) != 0) {
			json_decref(j);
			return mx_nomem(err);
		}
		break;
	case SG_VAL_TIME:
	case SG_VAL_DATE:
		if (v->time == SG_TIME_NONE)
			j = json_null();
		else if (v->type == SG_VAL_TIME)
			j = json_string(sg_time_format_iso(v->time, buf));
		else
			j = json_string(sg_time_format_date(v->time, buf));
		break;
	case SG_VAL_JSON:
		if (v->text == NULL) {
			j = json_null();
			break;
		}
		j = json_loads(v->text, JSON_DECODE_ANY, &jerr);
		if (j == NULL) {
			char what[300];

			snprintf(what, sizeof(what), "not valid JSON: %s",
				 sg_json_reason(jerr.text, why, sizeof(why)));
			return mx_cell_error(rows, col, SG_ERR_SINK, what,
					     err);
		}
		break;
	default:
		return mx_cell_error(rows, col, SG_ERR_SINK,
				     "a value of an unknown type", err);
	}
	if (j == NULL)
		return mx_nomem(err);
	*out = j;
	return SG_OK;
}

/* A JSON real as jansson writes it at precision 15, for CSV. */
static const char *mx_number_text(double d, char *buf, size_t size)
{
	if (!isfinite(d))
		return "";
	snprintf(buf, size, "%.15g", d);
	return buf;
}

/* The text of a cell in metrics.csv. */
static const char *mx_value_text(const struct sg_value *v, char *buf,
				 size_t size)
{
	switch (v->type) {
	case SG_VAL_NA:
		return "n/a";
	case SG_VAL_TEXT:
	case SG_VAL_MONEY:
	case SG_VAL_JSON:
		return v->text != NULL ? v->text : "";
	case SG_VAL_INT:
		snprintf(buf, size, "%lld", v->integer);
		return buf;
	case SG_VAL_NUMBER:
	case SG_VAL_PERCENT:
		return mx_number_text(v->number, buf, size);
	case SG_VAL_TIME:
		return v->time == SG_TIME_NONE ? "" :
			sg_time_format_iso(v->time, buf);
	case SG_VAL_DATE:
		return v->time == SG_TIME_NONE ? "" :
			sg_time_format_date(v->time, buf);
	default:
		return "";
	}
}

/* Where a CSV field's bytes go: the file, its first error kept. */
struct mx_field {
	struct mx_file *f;
	struct sg_error *err;
};

static int mx_field_put(void *arg, const char *p, size_t n)
{
	struct mx_field *x = arg;

	return mx_put(x->f, p, n, x->err);
}

/* Writes one CSV field, quoted when it holds a comma, quote or break. */
static int mx_csv_field(struct mx_file *f, const char *s,
			struct sg_error *err)
{
	struct mx_field x = { f, err };

	return sg_csv_write_field(s, mx_field_put, &x);
}

/* Writes json (dumped with flags) with every line break followed by
 * indent spaces. */
static int mx_put_json(struct mx_file *f, const json_t *json, size_t flags,
		       size_t indent, struct sg_error *err)
{
	static const char spaces[] = "        ";
	char *text = json_dumps(json, flags | JSON_ENCODE_ANY);
	const char *s, *nl;
	int rc = SG_OK;

	if (text == NULL)
		return mx_nomem(err);
	s = text;
	for (nl = strchr(s, '\n'); rc == SG_OK && nl != NULL;
	     nl = strchr(s, '\n')) {
		rc = mx_put(f, s, (size_t)(nl - s) + 1, err);
		if (rc == SG_OK)
			rc = mx_put(f, spaces, indent, err);
		s = nl + 1;
	}
	if (rc == SG_OK)
		rc = mx_puts(f, s, err);
	free(text);
	return rc;
}

static int mx_row_json(struct mx_rows *rows, const struct sg_value *cells,
		       struct sg_error *err)
{
	const struct sg_table *t = rows->table;
	json_t *obj, *v;
	size_t i;
	int rc = SG_OK;

	obj = json_object();
	if (obj == NULL)
		return mx_nomem(err);
	for (i = 0; i < t->column_count && rc == SG_OK; i++) {
		rc = mx_value_json(rows, i, &cells[i], &v, err);
		if (rc == SG_OK &&
		    json_object_set_new(obj, t->columns[i].key, v) != 0)
			rc = mx_nomem(err);
	}
	if (rc == SG_OK) {
		rc = mx_put_json(rows->file, obj,
				 JSON_COMPACT | MX_JSON_FLAGS, 0, err);
		if (rc == SG_OK)
			rc = mx_put(rows->file, "\n", 1, err);
	}
	json_decref(obj);
	return rc;
}

static int mx_row_csv(struct mx_rows *rows, const struct sg_value *cells,
		      struct sg_error *err)
{
	char buf[MX_CELL_MAX];
	size_t i;
	int rc = SG_OK;

	for (i = 0; i < rows->table->column_count && rc == SG_OK; i++) {
		if (cells[i].type < SG_VAL_NONE ||
		    cells[i].type > SG_VAL_JSON)
			return mx_cell_error(rows, i, SG_ERR_SINK,
					     "a value of an unknown type",
					     err);
		if (i > 0)
			rc = mx_put(rows->file, ",", 1, err);
		if (rc == SG_OK)
			rc = mx_csv_field(rows->file,
					  mx_value_text(&cells[i], buf,
							sizeof(buf)), err);
	}
	if (rc == SG_OK)
		rc = mx_put(rows->file, "\n", 1, err);
	return rc;
}

/* rows()'s callback: one row into the file. */
static int mx_row(void *arg, const struct sg_value *cells,
		  struct sg_error *err)
{
	struct mx_rows *rows = arg;
	int rc;

	if (rows->mode == MX_ROWS_CSV)
		rc = mx_row_csv(rows, cells, err);
	else
		rc = mx_row_json(rows, cells, err);
	if (rc == SG_OK)
		rows->count++;
	return rc;
}

/* Checks a table is usable before its rows are asked for. */
static int mx_check_table(const struct sg_table *t, const char *path,
			  struct sg_error *err)
{
	size_t i;

	if (t->rows == NULL || (t->column_count > 0 && t->columns == NULL))
		return sg_error_set_at(err, SG_ERR_SINK, path, 0, 0,
				       "table \"%s\" has no rows() or no "
				       "columns", t->key);
	for (i = 0; i < t->column_count; i++)
		if (t->columns[i].key == NULL ||
		    t->columns[i].key[0] == '\0')
			return sg_error_set_at(err, SG_ERR_SINK, path, 0, 0,
					       "table \"%s\": column %zu has "
					       "no key", t->key, i + 1);
	return SG_OK;
}

/* Pushes every row of t into f. */
static int mx_table_rows(struct mx_file *f, const struct sg_table *t,
			 int mode, unsigned long long *count,
			 struct sg_error *err)
{
	struct mx_rows rows;
	int rc;

	rc = mx_check_table(t, f->path, err);
	if (rc != SG_OK)
		return rc;
	memset(&rows, 0, sizeof(rows));
	rows.file = f;
	rows.table = t;
	rows.mode = mode;
	rc = t->rows(t, mx_row, &rows, err);
	if (rc > 0)
		rc = sg_error_set_at(err, SG_ERR_SINK, f->path, 0, 0,
				     "table \"%s\": rows() stopped with %d",
				     t->key, rc);
	if (count != NULL)
		*count = rows.count;
	return rc;
}

/* metrics.json: the host's document of the pilot's measures (the shape
 * `metrics --compare --format json` prints), or only the as-of without a
 * pilot. */
static int mx_write_json(struct metrics_state *st,
			 const struct sg_sink_input *input,
			 struct sg_error *err)
{
	struct mx_file *f = &st->files[MX_FILE_JSON];
	const struct sg_report *data = input->data;
	char asof[SG_TIME_ISO_SIZE + 2];
	int rc;

	if (input->size >= offsetof(struct sg_sink_input, data_json) +
	    sizeof(input->data_json) && input->data_json != NULL)
		return mx_puts(f, input->data_json, err);
	if (data->as_of == SG_TIME_NONE)
		snprintf(asof, sizeof(asof), "null");
	else
		snprintf(asof, sizeof(asof), "\"%s\"",
			 sg_time_format_iso(data->as_of, asof + 1));
	rc = mx_puts(f, "{\n  \"as_of\": ", err);
	if (rc == SG_OK)
		rc = mx_puts(f, asof, err);
	if (rc == SG_OK)
		rc = mx_puts(f, "\n}\n", err);
	return rc;
}

static int mx_write_csv(struct metrics_state *st, const struct sg_report *data,
			struct sg_error *err)
{
	struct mx_file *f = &st->files[MX_FILE_CSV];
	const struct sg_table *t;
	size_t i;
	int rc;

	t = mx_find(data, "comparison");
	if (t == NULL)
		t = mx_find(data, "pilot");
	if (t == NULL)
		t = mx_find(data, "baseline");
	if (t == NULL) {
		if (st->host->log != NULL)
			st->host->log(st->host->ctx, SG_LOG_INFO,
				      "%s: no comparison, pilot or baseline "
				      "table: written empty", f->path);
		return SG_OK;
	}
	rc = mx_check_table(t, f->path, err);
	for (i = 0; rc == SG_OK && i < t->column_count; i++) {
		if (i > 0)
			rc = mx_put(f, ",", 1, err);
		if (rc == SG_OK)
			rc = mx_csv_field(f, t->columns[i].key, err);
	}
	if (rc == SG_OK)
		rc = mx_put(f, "\n", 1, err);
	if (rc == SG_OK)
		rc = mx_table_rows(f, t, MX_ROWS_CSV, NULL, err);
	return rc;
}

static int mx_write_events(struct metrics_state *st,
			   const struct sg_report *data,
			   struct sg_error *err)
{
	const struct sg_table *t = mx_find(data, "events");

	if (t == NULL)
		return SG_OK;
	return mx_table_rows(&st->files[MX_FILE_EVENTS], t, MX_ROWS_JSONL,
			     NULL, err);
}

static int mx_write(void *state, const struct sg_sink_input *input,
		    struct sg_error *err)
{
	struct metrics_state *st = state;
	const struct sg_report *data;
	size_t i;
	int rc = SG_OK;

	if (input == NULL || input->size < offsetof(struct sg_sink_input,
						     data) +
	    sizeof(input->data) || input->data == NULL)
		return sg_error_set(err, SG_ERR_SINK,
				    "no data tables to write (the metrics "
				    "sink writes the tables of the metrics "
				    "report: comparison, baseline, pilot, "
				    "weekly, events)");
	if (st->written || st->finished)
		return sg_error_set(err, SG_ERR_SINK,
				    "write() called twice");
	data = input->data;
	for (i = 0; i < MX_FILE_COUNT && rc == SG_OK; i++)
		rc = mx_temp_open(&st->files[i], err);
	if (rc == SG_OK)
		rc = mx_write_json(st, input, err);
	if (rc == SG_OK)
		rc = mx_write_csv(st, data, err);
	if (rc == SG_OK)
		rc = mx_write_events(st, data, err);
	for (i = 0; i < MX_FILE_COUNT && rc == SG_OK; i++)
		rc = mx_temp_close(&st->files[i], err);
	if (rc != SG_OK) {
		mx_drop_temps(st);
		return rc;
	}
	st->written = 1;
	return SG_OK;
}

static int mx_finish(void *state, struct sg_error *err)
{
	struct metrics_state *st = state;
	size_t i;

	if (!st->written)
		return sg_error_set(err, SG_ERR_SINK,
				    "nothing was written to finish");
	for (i = 0; i < MX_FILE_COUNT; i++) {
		struct mx_file *f = &st->files[i];

		if (rename(f->tmp, f->path) != 0) {
			int e = errno;

			mx_drop_temps(st);
			return sg_error_set_at(err, SG_ERR_IO, f->path, 0, 0,
					       "cannot write: %s",
					       strerror(e));
		}
		free(f->tmp);
		f->tmp = NULL;
		mx_unlock(f);
	}
	st->written = 0;
	st->finished = 1;
	st->host->log(st->host->ctx, SG_LOG_INFO, "wrote %s/{metrics.json,"
		      "metrics.csv,events.jsonl}", st->dir);
	return SG_OK;
}

static const struct sg_plugin mx_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SINK,
	.name = "metrics",
	.version = PACKAGE_VERSION,
	.description = "Writes the pilot's measures (metrics.json, "
		"metrics.csv) and the measurement events (events.jsonl) for "
		"a warehouse or a BI tool",
	.options = mx_options,
	.option_count = sizeof(mx_options) / sizeof(mx_options[0]),
	.config_size = sizeof(struct metrics_config),
	.open = mx_open,
	.pull = NULL,
	.write = mx_write,
	.finish = mx_finish,
	.close = mx_close,
	.stream_count = NULL,
	.pull_stream = NULL,
	.verify = NULL,
	.sink_needs = SG_SINK_NEEDS_DATA,
};

/* The plugin's one exported symbol: its constant descriptor. */
const struct sg_plugin *sg_plugin_entry(void)
{
	return &mx_plugin;
}
