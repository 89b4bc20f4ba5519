/*
 * csv.c - the csv source: a folder in the canonical CSV layout (DESIGN §3),
 * or a CRM's own export read through a mapping (docs/csv-mapping.md).
 *
 * pull() reads snapshot.json, then each input file in the order owners,
 * opportunities, stage_history, field_history, activities, evidence, and
 * emits at most CSV_BLOCK_RECORDS records per call.  Records are emitted
 * with pointers into the reader's buffer (borrowed for the emit call), so
 * the canonical path allocates nothing per row.  A large file is read as
 * two halves (csv_split.c); what the files share is in csv_int.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sg_plugin.h"
#include "util/sg_path.h"
#include "sg_csv.h"
#include "sg_decimal.h"
#include "sg_missing.h"
#include "sg_time.h"
#include "csv_mapping.h"
#include "csv_int.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif



__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

int csv_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

/* Copies len bytes of s into the arena, NUL-terminated. */
static const char *csv_arena_copy(struct csv_cursor *st, const char *s,
				  size_t len)
{
	struct csv_chunk *c = st->arena;
	char *out;

	if (c == NULL || c->cap - c->used < len + 1) {
		size_t cap = len + 1 > CSV_ARENA_CHUNK ? len + 1 :
			CSV_ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->next = st->arena;
		c->used = 0;
		c->cap = cap;
		st->arena = c;
	}
	out = c->data + c->used;
	memcpy(out, s, len);
	out[len] = '\0';
	c->used += len + 1;
	return out;
}

static void csv_arena_free(struct csv_cursor *st)
{
	struct csv_chunk *c = st->arena, *next;

	while (c != NULL) {
		next = c->next;
		free(c);
		c = next;
	}
	st->arena = NULL;
}

/* Closes the file being read and forgets its header. */
static void csv_file_close(struct csv_cursor *st)
{
	size_t i;

	sg_csv_free(st->csv);
	st->csv = NULL;
	if (st->data != NULL)
		munmap(st->data, st->data_len);
	st->data = NULL;
	for (i = 0; i < st->header_count; i++)
		free(st->header[i]);
	free(st->header);
	st->header = NULL;
	st->header_count = 0;
	free(st->extra_idx);
	st->extra_idx = NULL;
	free(st->extra);
	st->extra = NULL;
	st->extra_count = 0;
}

/* Releases what a cursor holds (not the cursor itself). */
static void csv_cursor_release(struct csv_cursor *cu)
{
	csv_file_close(cu);
	free(cu->rows);
	cu->rows = NULL;
	csv_arena_free(cu);
}

static void csv_close(void *state)
{
	struct csv_state *st = state;
	size_t i;

	if (st == NULL)
		return;
	if (st->scanner_started)
		pthread_join(st->scanner, NULL);
	for (i = 0; i < st->split_count; i++) {
		if (st->splits[i].map != NULL)
			munmap(st->splits[i].map, st->splits[i].map_len);
		pthread_mutex_destroy(&st->splits[i].lock);
		pthread_cond_destroy(&st->splits[i].cond);
	}
	free(st->splits);
	csv_cursor_release(&st->head);
	for (i = 0; i < st->stream_count; i++)
		csv_cursor_release(&st->streams[i]);
	free(st->streams);
	if (st->paths != NULL && st->map != NULL)
		for (i = 0; i < st->map->spec_count; i++)
			free(st->paths[i]);
	free(st->paths);
	csv_mapping_free(st->map);
	sg_pipeline_guess_free(st->guess);
	free(st->dir);
	free(st);
}

void csv_cursor_init(struct csv_cursor *cu,
		     const struct csv_state *st, size_t first,
		     size_t end)
{
	memset(cu, 0, sizeof(*cu));
	cu->host = st->host;
	cu->guess = st->guess;
	cu->map = st->map;
	cu->paths = st->paths;
	cu->spec = first;
	cu->spec_end = end;
}

/*
 * Every stage the mapping translates a label to is a stage of the
 * config: a typo there would turn each of its opportunities into an
 * unknown_stage pause, found only after a run.  (Drafting a config with
 * init --from, there are no stages yet to check against.)
 */
static int csv_check_stage_targets(const struct csv_state *st,
				   struct sg_error *err)
{
	const struct sg_host *h = st->host;
	const struct sg_rules *rules;
	char known[256];
	size_t i, j, n;

	if (h->size < offsetof(struct sg_host, rules) + sizeof(h->rules) ||
	    h->rules == NULL || st->guess != NULL)
		return SG_OK;
	rules = h->rules(h->ctx);
	if (rules == NULL || rules->stage_count == 0)
		return SG_OK;
	for (i = 0; i < st->map->stage_count; i++) {
		for (j = 0; j < rules->stage_count; j++)
			if (strcmp(rules->stages[j].id,
				   st->map->stage_ids[i]) == 0)
				break;
		if (j < rules->stage_count)
			continue;
		for (j = 0, n = 0; j < rules->stage_count &&
		     n < sizeof(known); j++)
			n += (size_t)snprintf(known + n, sizeof(known) - n,
					      "%s%s", j > 0 ? ", " : "",
					      rules->stages[j].id);
		return sg_error_set(err, SG_ERR_CONFIG, CSV_MAPPING_PATH
				    ".stages.\"%.80s\": \"%.80s\" is no stage "
				    "of the config (its stages are: %s)",
				    st->map->stage_labels[i],
				    st->map->stage_ids[i], known);
	}
	return SG_OK;
}

static int csv_open(void **state, const void *config, const char *arg,
		    const struct sg_host *host, struct sg_error *err)
{
	const struct csv_config *cfg = config;
	struct csv_state *st;
	const char *dir = NULL, *base;
	struct stat sb;
	size_t i;
	int rc;

	*state = NULL;
	if (host == NULL || host->version < 1 ||
	    host->size < offsetof(struct sg_host, config_dir) +
	    sizeof(host->config_dir))
		return sg_error_set(err, SG_ERR_PLUGIN,
				    "csv: the host table is too old");
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return csv_nomem(err);
	st->host = host;
	/* Asked to describe the pipeline: the stage histories are
	 * gathered while they are read. */
	if (host->size >= offsetof(struct sg_host, describing) +
	    sizeof(host->describing) && host->describing != NULL &&
	    host->describing(host->ctx) &&
	    sg_pipeline_guess_new(&st->guess) != SG_OK) {
		rc = csv_nomem(err);
		goto fail;
	}
	if (arg != NULL && arg[0] != '\0') {
		st->dir = strdup(arg);
	} else if (cfg != NULL && cfg->dir != NULL && cfg->dir[0] != '\0') {
		dir = cfg->dir;
		base = host->config_dir != NULL ?
			host->config_dir(host->ctx) : NULL;
		st->dir = dir[0] == '/' ? strdup(dir) : sg_path_join(base, dir);
	} else {
		rc = sg_error_set(err, SG_ERR_CONFIG,
				  "no folder to read: set \"dir\" under "
				  "sources.csv in the config, or use --source "
				  "csv:DIR");
		goto fail;
	}
	if (st->dir == NULL) {
		rc = csv_nomem(err);
		goto fail;
	}
	if (stat(st->dir, &sb) != 0) {
		rc = sg_error_set_at(err, SG_ERR_IO, st->dir, 0, 0,
				     "cannot read the folder: %s",
				     strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		rc = sg_error_set_at(err, SG_ERR_IO, st->dir, 0, 0,
				     "cannot read the folder: not a folder");
		goto fail;
	}
	rc = csv_mapping_new(&st->map, cfg != NULL ? cfg->mapping : NULL,
			     CSV_MAPPING_PATH, err);
	if (rc == SG_OK)
		rc = csv_check_stage_targets(st, err);
	if (rc != SG_OK)
		goto fail;
	st->paths = calloc(st->map->spec_count + 1, sizeof(*st->paths));
	if (st->paths == NULL) {
		rc = csv_nomem(err);
		goto fail;
	}
	/* Every file that must be there is checked now, before anything is
	 * emitted. */
	for (i = 0; i < st->map->spec_count; i++) {
		const struct csv_spec *spec = &st->map->specs[i];
		const struct sg_canon_file *def =
			sg_canonical_file(spec->kind);
		/* A file the mapping names must exist. */
		int required = !spec->canonical || def->required ||
			strcmp(spec->file, def->file) != 0;

		st->paths[i] = sg_path_join(st->dir, spec->file);
		if (st->paths[i] == NULL) {
			rc = csv_nomem(err);
			goto fail;
		}
		if (stat(st->paths[i], &sb) == 0) {
			if (!S_ISDIR(sb.st_mode))
				continue;
			rc = sg_error_set_at(err, SG_ERR_IO, st->paths[i], 0,
					     0, "cannot read %s: a folder",
					     def->kind);
			goto fail;
		}
		if (!required && errno == ENOENT) {
			free(st->paths[i]);
			st->paths[i] = NULL;
			continue;
		}
		rc = sg_error_set_at(err, SG_ERR_IO, st->paths[i], 0, 0,
				     "cannot read %s: %s", def->kind,
				     strerror(errno));
		goto fail;
	}
	rc = csv_make_cursors(st, err);
	if (rc != SG_OK)
		goto fail;
	/* The split files are scanned while pull() reads the opportunities
	 * (on this thread when no other can be had). */
	if (st->split_count > 0) {
		if (pthread_create(&st->scanner, NULL, csv_scanner, st) == 0)
			st->scanner_started = 1;
		else
			csv_scanner(st);
	}
	*state = st;
	return SG_OK;
fail:
	csv_close(st);
	return rc;
}

/* Reads snapshot.json when the folder has one. */
static int csv_snapshot(struct csv_state *st, struct sg_error *err)
{
	struct sg_rec_snapshot snap;
	struct sg_error terr;
	json_error_t jerr;
	char why[JSON_ERROR_TEXT_LENGTH];
	json_t *root = NULL, *v;
	struct stat sb;
	char *path;
	int rc;

	path = sg_path_join(st->dir, "snapshot.json");
	if (path == NULL)
		return csv_nomem(err);
	if (stat(path, &sb) != 0) {
		rc = errno == ENOENT ? SG_OK :
			sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
					"cannot read: %s", strerror(errno));
		goto out;
	}
	if (sb.st_size > CSV_SNAPSHOT_MAX) {
		rc = sg_error_set_at(err, SG_ERR_PARSE, path, 0, 0,
				     "too large (more than %d bytes)",
				     CSV_SNAPSHOT_MAX);
		goto out;
	}
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rc = sg_error_set_at(err, SG_ERR_PARSE, path, jerr.line,
				     jerr.column > 0 ? jerr.column : 0,
				     "not valid JSON: %s",
				     sg_json_reason(jerr.text, why,
						    sizeof(why)));
		goto out;
	}
	if (!json_is_object(root)) {
		rc = sg_error_set_at(err, SG_ERR_PARSE, path, 0, 0,
				     "expected a JSON object with "
				     "\"extracted_at\" and \"source\"");
		goto out;
	}
	v = json_object_get(root, "extracted_at");
	if (!json_is_string(v)) {
		rc = sg_error_set_at(err, SG_ERR_PARSE, path, 0, 0,
				     "\"extracted_at\" must be an ISO-8601 "
				     "time (a string)");
		goto out;
	}
	sg_error_clear(&terr);
	rc = sg_time_parse_iso(&snap.extracted_at, json_string_value(v),
			       json_string_length(v), 0, 0, &terr);
	if (rc != SG_OK) {
		rc = sg_error_set_at(err, SG_ERR_PARSE, path, 0, 0,
				     "\"extracted_at\": %s", terr.message);
		goto out;
	}
	v = json_object_get(root, "source");
	if (v != NULL && !json_is_string(v)) {
		rc = sg_error_set_at(err, SG_ERR_PARSE, path, 0, 0,
				     "\"source\" must be a string");
		goto out;
	}
	snap.source = v != NULL ? json_string_value(v) : "";
	rc = st->host->emit_snapshot(st->host->ctx, &snap, err);
out:
	json_decref(root);
	free(path);
	return rc;
}

/* Adds header column i as an extra field of opportunities. */
static int csv_add_extra(struct csv_cursor *st, const char *path, size_t i,
			 struct sg_error *err)
{
	size_t j;

	for (j = 0; j < st->extra_count; j++)
		if (strcmp(st->header[st->extra_idx[j]], st->header[i]) == 0)
			return sg_error_set_at(
				err, SG_ERR_PARSE, path, 1, (int)i + 1,
				"column \"%s\" appears twice in the header "
				"(fields %zu and %zu)", st->header[i],
				st->extra_idx[j] + 1, i + 1);
	st->extra_idx[st->extra_count++] = i;
	return SG_OK;
}

/* Edit distance of a and b, ignoring case; large for long names. */
static size_t csv_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[65];

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = d[0], up;

		d[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = diag + (tolower((unsigned char)a[i - 1]) !=
					      tolower((unsigned char)b[j - 1]));

			up = d[j];
			if (up + 1 < best)
				best = up + 1;
			if (d[j - 1] + 1 < best)
				best = d[j - 1] + 1;
			diag = up;
			d[j] = best;
		}
	}
	return d[lb];
}

/*
 * What a missing column's message adds: the columns the header does have
 * and, when one is close (a case or a typo away), the suggestion.
 */
static const char *csv_header_hint(const struct csv_cursor *st,
				   const char *name, char *buf, size_t size)
{
	size_t i, n = 0, best = (size_t)-1, limit = strlen(name) / 3 + 1;
	const char *closest = NULL;

	n += (size_t)snprintf(buf, size, "; the header has:");
	for (i = 0; i < st->header_count && n < size; i++) {
		size_t dist = csv_distance(name, st->header[i]);

		n += (size_t)snprintf(buf + n, size - n, "%s \"%.60s\"",
				      i > 0 ? "," : "", st->header[i]);
		if (dist <= limit && dist < best) {
			best = dist;
			closest = st->header[i];
		}
	}
	/* Else a header that holds the name ("Stage_name" for "stage"). */
	for (i = 0; closest == NULL && i < st->header_count; i++)
		if (strcasestr(st->header[i], name) != NULL)
			closest = st->header[i];
	if (closest != NULL && n < size)
		snprintf(buf + n, size - n, " (did you mean \"%.60s\"?)",
			 closest);
	return buf;
}

/* A column a canonical file does not have: its columns listed, and the
 * one it is a case or a typo away from suggested. */
static int csv_unknown_column(const struct csv_cursor *st,
			      const struct sg_canon_file *def, int kind,
			      const char *path, size_t i, struct sg_error *err)
{
	const char *name = st->header[i], *closest = NULL;
	size_t j, dist, best = strlen(name) / 3 + 2;
	char list[512];

	for (j = 0; j < def->column_count; j++) {
		dist = csv_distance(name, def->columns[j].name);
		if (dist < best) {
			best = dist;
			closest = def->columns[j].name;
		}
	}
	return sg_error_set_at(err, SG_ERR_PARSE, path, 1, (int)i + 1,
			       "column \"%s\": unknown column (the columns of "
			       "%s are: %s)%s%s%s", name, def->file,
			       sg_canonical_column_names(kind, list,
							 sizeof(list)),
			       closest != NULL ? "; did you mean \"" : "",
			       closest != NULL ? closest : "",
			       closest != NULL ? "\"?" : "");
}

/* Binds the header of a canonical file: known columns to fields, other
 * columns to extra fields (opportunities) or an error. */
static int csv_bind_canonical(struct csv_cursor *st,
			      const struct csv_spec *spec, const char *path,
			      struct sg_error *err)
{
	const struct sg_canon_file *def = sg_canonical_file(spec->kind);
	size_t i;
	int f, rc;

	for (i = 0; i < st->header_count; i++) {
		f = sg_canonical_find_column(spec->kind, st->header[i]);
		if (f >= 0) {
			if (st->col[f] >= 0)
				return sg_error_set_at(
					err, SG_ERR_PARSE, path, 1,
					(int)i + 1,
					"column \"%s\" appears twice in the "
					"header (fields %d and %zu)",
					st->header[i], st->col[f] + 1, i + 1);
			st->col[f] = (int)i;
			continue;
		}
		if (spec->kind != SG_CANON_OPPORTUNITIES)
			return csv_unknown_column(st, def, spec->kind, path, i,
						  err);
		if (st->header[i][0] == '\0')
			return sg_error_set_at(err, SG_ERR_PARSE, path, 1,
					       (int)i + 1,
					       "field %zu of the header has "
					       "no column name", i + 1);
		rc = csv_add_extra(st, path, i, err);
		if (rc != SG_OK)
			return rc;
	}
	for (i = 0; i < def->column_count; i++)
		if ((def->columns[i].flags & SG_CANON_REQUIRED) &&
		    st->col[i] < 0) {
			char hint[SG_ERROR_MESSAGE_MAX / 2];

			return sg_error_set_at(
				err, SG_ERR_PARSE, path, 1, 0,
				"missing required column \"%s\"%s",
				def->columns[i].name,
				csv_header_hint(st, def->columns[i].name,
						hint, sizeof(hint)));
		}
	if (spec->derive_from_stage && st->col[SG_EVENT_FROM_STAGE] >= 0)
		return sg_error_set_at(err, SG_ERR_PARSE, path, 1,
				       st->col[SG_EVENT_FROM_STAGE] + 1,
				       "column \"from_stage\": the mapping "
				       "derives from_stage "
				       "(derive_from_stage), so the file "
				       "must not have this column");
	return SG_OK;
}

/* The header column named name: its index, -1 when absent, or -2 (err
 * set) when it appears twice. */
static int csv_find_column(struct csv_cursor *st, const char *name,
			   const char *path, const char *what,
			   struct sg_error *err)
{
	size_t i;
	int found = -1;

	for (i = 0; i < st->header_count; i++) {
		if (strcmp(st->header[i], name) != 0)
			continue;
		if (found >= 0) {
			sg_error_set_at(err, SG_ERR_PARSE, path, 1,
					(int)i + 1,
					"column \"%s\" (%s) appears twice in "
					"the header (fields %d and %zu)",
					name, what, found + 1, i + 1);
			return -2;
		}
		found = (int)i;
	}
	if (found < 0) {
		char hint[SG_ERROR_MESSAGE_MAX / 2];

		sg_error_set_at(err, SG_ERR_PARSE, path, 1, 0,
				"missing column \"%s\" (the mapping reads %s "
				"from it)%s", name, what,
				csv_header_hint(st, name, hint, sizeof(hint)));
	}
	return found;
}

/* Binds the header of a mapped file to the columns the mapping names. */
static int csv_bind_mapped(struct csv_cursor *st, const struct csv_spec *spec,
			   const char *path, struct sg_error *err)
{
	const struct sg_canon_file *def = sg_canonical_file(spec->kind);
	unsigned char *used = NULL;
	char what[96];
	size_t i, j;
	int c, rc = SG_OK;

	used = calloc(st->header_count + 1, 1);
	if (used == NULL)
		return csv_nomem(err);
	for (i = 0; i < def->column_count; i++) {
		if (spec->src[i].type != CSV_SRC_COLUMN)
			continue;
		snprintf(what, sizeof(what), "%s.%s", def->kind,
			 def->columns[i].name);
		c = csv_find_column(st, spec->src[i].text, path, what, err);
		if (c < 0) {
			rc = SG_ERR_PARSE;
			goto out;
		}
		st->col[i] = c;
		used[c] = 1;
	}
	if (spec->kind != SG_CANON_OPPORTUNITIES)
		goto out;
	if (spec->extra == CSV_EXTRA_REST) {
		for (i = 0; i < st->header_count; i++) {
			if (used[i] || st->header[i][0] == '\0')
				continue;
			rc = csv_add_extra(st, path, i, err);
			if (rc != SG_OK)
				goto out;
		}
	} else if (spec->extra == CSV_EXTRA_LIST) {
		for (j = 0; j < spec->extra_count; j++) {
			c = csv_find_column(st, spec->extra_cols[j], path,
					    "an extra field", err);
			if (c < 0) {
				rc = SG_ERR_PARSE;
				goto out;
			}
			rc = csv_add_extra(st, path, (size_t)c, err);
			if (rc != SG_OK)
				goto out;
		}
	}
out:
	free(used);
	return rc;
}

/* Opens the file of the current spec and binds its header. */
static int csv_file_open(struct csv_cursor *st, struct sg_error *err)
{
	const struct csv_spec *spec = &st->map->specs[st->spec];
	const char *path = st->paths[st->spec];
	struct sg_csv_record rec;
	struct stat sb;
	size_t i, len;
	const char *name;
	int rc;

	for (i = 0; i < SG_CANON_COLUMNS_MAX; i++) {
		st->col[i] = -1;
		st->tcache[i].valid = 0;
	}
	rc = sg_csv_open(&st->csv, path, err);
	if (rc == SG_OK)
		rc = sg_csv_set_encoding(st->csv, spec->encoding, err);
	if (rc != SG_OK)
		return rc;
	st->size = stat(path, &sb) == 0 ?
		(unsigned long long)sb.st_size : 0;
	rc = sg_csv_next(st->csv, &rec, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return sg_error_set_at(err, SG_ERR_PARSE, path, 1, 0,
				       "the file is empty: expected a header "
				       "row naming the columns");
	st->header = calloc(rec.count, sizeof(*st->header));
	st->extra_idx = calloc(rec.count, sizeof(*st->extra_idx));
	st->extra = calloc(rec.count, sizeof(*st->extra));
	if (st->header == NULL || st->extra_idx == NULL || st->extra == NULL)
		return csv_nomem(err);
	for (i = 0; i < rec.count; i++) {
		len = rec.lens[i];
		name = sg_trim(rec.fields[i], &len);
		st->header[i] = strndup(name, len);
		if (st->header[i] == NULL)
			return csv_nomem(err);
		st->header_count = i + 1;
	}
	rc = spec->canonical ? csv_bind_canonical(st, spec, path, err) :
		csv_bind_mapped(st, spec, path, err);
	if (rc != SG_OK)
		return rc;
	for (i = 0; i < st->extra_count; i++)
		st->extra[i].name = st->header[st->extra_idx[i]];
	st->cur = spec;
	st->def = sg_canonical_file(spec->kind);
	for (i = 0; i < st->def->column_count; i++) {
		st->flags[i] = st->def->columns[i].flags;
		if (spec->src[i].type == CSV_SRC_CONST)
			st->fixed[i].s = spec->src[i].text;
		else
			st->fixed[i].s = "";
		st->fixed[i].len = strlen(st->fixed[i].s);
	}
	return SG_OK;
}

/* Names field f of the current file for a message: the column, and the
 * field it feeds when the names differ. */
static const char *csv_colname(const struct csv_cursor *st, int f, char *buf,
			       size_t size)
{
	const struct csv_spec *spec = &st->map->specs[st->spec];
	const struct sg_canon_file *def = sg_canonical_file(spec->kind);
	const char *field = def->columns[f].name;

	if (st->col[f] >= 0 &&
	    strcmp(st->header[st->col[f]], field) != 0)
		snprintf(buf, size, "column \"%s\" (%s.%s)",
			 st->header[st->col[f]], def->kind, field);
	else if (st->col[f] >= 0)
		snprintf(buf, size, "column \"%s\"", field);
	else
		snprintf(buf, size, "%s.%s (a constant)", def->kind, field);
	return buf;
}

/* Sets err for a bad value of field f on the row at line. */
static int csv_bad(const struct csv_cursor *st, int f, long line,
		   struct sg_error *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int csv_bad(const struct csv_cursor *st, int f, long line,
		   struct sg_error *err, const char *fmt, ...)
{
	char name[192], what[SG_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sg_error_set_at(err, SG_ERR_PARSE, st->paths[st->spec], line,
			       st->col[f] + 1, "%s: %s",
			       csv_colname(st, f, name, sizeof(name)), what);
}

/* Quotes at most 80 bytes of a value for a message. */
static const char *csv_quote(const struct csv_value *v, char *buf,
			     size_t size)
{
	size_t n = v->len < 80 ? v->len : 80;

	snprintf(buf, size, "%.*s%s", (int)n, v->s, v->len > n ? "..." : "");
	return buf;
}

/* Reads time field f; absent optional times are SG_TIME_NONE. */
static int csv_time_parse(const struct csv_cursor *st, int f,
			  const struct csv_value *v, long line, sg_time *out,
			  struct sg_error *err)
{
	const struct csv_time_rule *rule = st->cur->time[f];
	unsigned flags = st->flags[f];
	struct sg_error terr;
	const char *t = v->s;
	char quoted[128];
	size_t len = v->len;
	sg_time local;
	int rc;

	/* A time starts with a digit; anything else may be blank. */
	if (len == 0 || !(t[0] >= '0' && t[0] <= '9'))
		t = sg_trim(v->s, &len);
	if (len == 0) {
		*out = SG_TIME_NONE;
		if (flags & SG_CANON_TIME_REQ)
			return csv_bad(st, f, line, err,
				       "the time is empty (it is required)");
		return SG_OK;
	}
	if (!(flags & SG_CANON_TIME_REQ) &&
	    st->host->is_missing(st->host->ctx, v->s, 0)) {
		*out = SG_TIME_NONE;
		return SG_OK;
	}
	sg_error_clear(&terr);
	if (rule != NULL && rule->format != NULL) {
		rc = sg_time_parse_format(out, t, len, rule->format,
					  rule->zone, &terr);
		if (rc != SG_OK)
			return csv_bad(st, f, line, err,
				       "\"%s\" does not match the format "
				       "\"%s\"", csv_quote(v, quoted,
							   sizeof(quoted)),
				       rule->format);
		return SG_OK;
	}
	rc = sg_time_parse_iso(out, t, len, 0, 0, &terr);
	if (rc != SG_OK && rule != NULL && rule->zone != NULL) {
		/* A local date-time in the zone the mapping states. */
		struct sg_error lerr;

		sg_error_clear(&lerr);
		if (sg_time_parse_iso(&local, t, len, 1, 0, &lerr) == SG_OK) {
			*out = sg_zone_to_utc(rule->zone, local);
			return SG_OK;
		}
	}
	if (rc != SG_OK)
		return sg_error_set_at(err, SG_ERR_PARSE, st->paths[st->spec],
				       line, st->col[f] + 1, "%s: %s",
				       csv_colname(st, f, quoted,
						   sizeof(quoted)),
				       terr.message);
	return SG_OK;
}

/* Reads time field f of row (a time cache hit skips the parse). */
static int csv_time(struct csv_cursor *st, const struct csv_value *row,
		    int f, long line, sg_time *out, struct sg_error *err)
{
	const struct csv_value *v = &row[f];
	struct csv_tcache *c = &st->tcache[f];
	int rc;

	/* Times differ at the end first (seconds, day): test that byte
	 * before the whole text. */
	if (c->valid && c->len == v->len && v->len > 1 &&
	    c->text[v->len - 2] == v->s[v->len - 2] &&
	    memcmp(c->text, v->s, v->len) == 0) {
		*out = c->value;
		return SG_OK;
	}
	rc = csv_time_parse(st, f, v, line, out, err);
	if (rc == SG_OK && v->len <= CSV_TCACHE_MAX) {
		memcpy(c->text, v->s, v->len);
		c->len = v->len;
		c->value = *out;
		c->valid = 1;
	}
	return rc;
}

/* Checks amount field f of row: empty, a plain decimal (zero included:
 * the core judges it missing), or missing by the rules (a placeholder). */
static int csv_amount(const struct csv_cursor *st,
		      const struct csv_value *row, int f, long line,
		      struct sg_error *err)
{
	const struct csv_value *v = &row[f];
	struct sg_decimal d;
	struct sg_error terr;
	char quoted[128];
	size_t len = v->len;
	const char *t = sg_trim(v->s, &len);

	if (len == 0)
		return SG_OK;
	sg_error_clear(&terr);
	if (sg_decimal_parse(&d, t, len, &terr) == SG_OK ||
	    st->host->is_missing(st->host->ctx, v->s, 1))
		return SG_OK;
	return csv_bad(st, f, line, err, "amount \"%s\" is not a plain "
		       "decimal", csv_quote(v, quoted, sizeof(quoted)));
}

/* A stage: the mapping's stage id for a label, else the text as is. */
static const char *csv_stage(const struct csv_cursor *st,
			     const struct csv_value *v)
{
	size_t len = v->len;
	const char *t, *id;

	if (st->map->stage_count == 0)
		return v->s;
	t = sg_trim(v->s, &len);
	id = csv_mapping_stage(st->map, t, len);
	return id != NULL ? id : v->s;
}

static int csv_activity_type(const struct csv_value *v)
{
	size_t len = v->len;
	const char *t = sg_trim(v->s, &len);

	return sg_activity_type_from_text(t, len);
}

/* Party field f of row: activities take buyer, seller, system or empty;
 * evidence buyer, seller, unknown or empty. */
static int csv_party(const struct csv_cursor *st,
		     const struct csv_value *row, int f, long line,
		     int evidence, int *out, struct sg_error *err)
{
	const struct csv_value *v = &row[f];
	size_t len = v->len;
	const char *t = sg_trim(v->s, &len);
	char quoted[128];

	if (sg_party_from_text(t, len, evidence, out) == 0)
		return SG_OK;
	return csv_bad(st, f, line, err, "unknown party \"%s\" (expected %s)",
		       csv_quote(v, quoted, sizeof(quoted)),
		       sg_party_expected(evidence));
}

/* Keeps a stage_history row for derive_from_stage. */
static int csv_keep_row(struct csv_cursor *st,
			const struct sg_rec_stage_event *ev, long line,
			struct sg_error *err)
{
	struct csv_derived *row;

	if (st->nrows == st->rows_cap) {
		size_t cap = st->rows_cap == 0 ? 1024 : st->rows_cap * 2;
		struct csv_derived *rows;

		rows = realloc(st->rows, cap * sizeof(*rows));
		if (rows == NULL)
			return csv_nomem(err);
		st->rows = rows;
		st->rows_cap = cap;
	}
	row = &st->rows[st->nrows];
	row->v.opportunity_id = csv_arena_copy(st, ev->opportunity_id,
					       strlen(ev->opportunity_id));
	row->v.stage = csv_arena_copy(st, ev->to_stage, strlen(ev->to_stage));
	row->changed_by = csv_arena_copy(st, ev->changed_by,
					 strlen(ev->changed_by));
	row->source = csv_arena_copy(st, ev->source, strlen(ev->source));
	if (row->v.opportunity_id == NULL || row->v.stage == NULL ||
	    row->changed_by == NULL || row->source == NULL)
		return csv_nomem(err);
	row->v.at = ev->changed_at;
	row->v.seq = st->nrows;
	row->line = line;
	st->nrows++;
	return SG_OK;
}

static int csv_owner_row(struct csv_cursor *st, const struct csv_value *v,
			 const struct sg_where *where, struct sg_error *err)
{
	const struct sg_host *h = st->host;
	struct sg_rec_owner r;

	r.id = v[SG_OWNER_ID].s;
	r.name = v[SG_OWNER_NAME].s;
	r.email = v[SG_OWNER_EMAIL].s;
	r.manager_id = v[SG_OWNER_MANAGER_ID].s;
	r.team = v[SG_OWNER_TEAM].s;
	return h->emit_owner(h->ctx, &r, where, err);
}

/* rec gives the extra fields: the columns no field reads. */
static int csv_opportunity_row(struct csv_cursor *st,
			       const struct csv_value *v,
			       const struct sg_csv_record *rec,
			       const struct sg_where *where,
			       struct sg_error *err)
{
	const struct sg_host *h = st->host;
	struct sg_rec_opportunity r;
	long line = rec->line;
	size_t i;
	int rc;

	r.id = v[SG_OPP_ID].s;
	r.name = v[SG_OPP_NAME].s;
	r.pipeline = v[SG_OPP_PIPELINE].s;
	r.stage = csv_stage(st, &v[SG_OPP_STAGE]);
	r.owner_id = v[SG_OPP_OWNER_ID].s;
	rc = csv_amount(st, v, SG_OPP_AMOUNT, line, err);
	if (rc != SG_OK)
		return rc;
	r.amount = v[SG_OPP_AMOUNT].s;
	r.currency = v[SG_OPP_CURRENCY].s;
	rc = csv_time(st, v, SG_OPP_CLOSE_DATE, line, &r.close_date, err);
	if (rc != SG_OK)
		return rc;
	r.forecast_category = v[SG_OPP_FORECAST_CATEGORY].s;
	rc = csv_time(st, v, SG_OPP_CREATED_AT, line, &r.created_at, err);
	if (rc != SG_OK)
		return rc;
	r.next_step = v[SG_OPP_NEXT_STEP].s;
	rc = csv_time(st, v, SG_OPP_NEXT_STEP_DATE, line, &r.next_step_date,
		      err);
	if (rc != SG_OK)
		return rc;
	for (i = 0; i < st->extra_count; i++)
		st->extra[i].value = rec->fields[st->extra_idx[i]];
	r.extra = st->extra;
	r.extra_count = st->extra_count;
	if (st->guess != NULL &&
	    sg_pipeline_guess_current(st->guess, r.stage,
				      r.forecast_category) != SG_OK)
		return csv_nomem(err);
	return h->emit_opportunity(h->ctx, &r, where, err);
}

/* With derive_from_stage the row is kept, not emitted. */
static int csv_stage_event_row(struct csv_cursor *st,
			       const struct csv_value *v,
			       const struct sg_where *where,
			       struct sg_error *err)
{
	const struct sg_host *h = st->host;
	struct sg_rec_stage_event r;
	int rc;

	r.opportunity_id = v[SG_EVENT_OPPORTUNITY_ID].s;
	r.from_stage = csv_stage(st, &v[SG_EVENT_FROM_STAGE]);
	r.to_stage = csv_stage(st, &v[SG_EVENT_TO_STAGE]);
	rc = csv_time(st, v, SG_EVENT_CHANGED_AT, where->line, &r.changed_at,
		      err);
	if (rc != SG_OK)
		return rc;
	r.changed_by = v[SG_EVENT_CHANGED_BY].s;
	r.source = v[SG_EVENT_SOURCE].s;
	if (st->cur->derive_from_stage)
		return csv_keep_row(st, &r, where->line, err);
	if (st->guess != NULL &&
	    sg_pipeline_guess_event(st->guess, r.opportunity_id, r.from_stage,
				    r.to_stage, r.changed_at) != SG_OK)
		return csv_nomem(err);
	return h->emit_stage_event(h->ctx, &r, where, err);
}

static int csv_field_change_row(struct csv_cursor *st,
				const struct csv_value *v,
				const struct sg_where *where,
				struct sg_error *err)
{
	const struct sg_host *h = st->host;
	struct sg_rec_field_change r;
	int rc;

	r.opportunity_id = v[SG_CHANGE_OPPORTUNITY_ID].s;
	r.field = v[SG_CHANGE_FIELD].s;
	r.old_value = v[SG_CHANGE_OLD_VALUE].s;
	r.new_value = v[SG_CHANGE_NEW_VALUE].s;
	rc = csv_time(st, v, SG_CHANGE_CHANGED_AT, where->line,
		      &r.changed_at, err);
	if (rc != SG_OK)
		return rc;
	return h->emit_field_change(h->ctx, &r, where, err);
}

static int csv_activity_row(struct csv_cursor *st, const struct csv_value *v,
			    const struct sg_where *where,
			    struct sg_error *err)
{
	const struct sg_host *h = st->host;
	struct sg_rec_activity r;
	int rc;

	r.id = v[SG_ACTIVITY_ID].s;
	r.opportunity_id = v[SG_ACTIVITY_OPPORTUNITY_ID].s;
	r.type = csv_activity_type(&v[SG_ACTIVITY_TYPE]);
	rc = csv_party(st, v, SG_ACTIVITY_PARTY, where->line, 0, &r.party,
		       err);
	if (rc != SG_OK)
		return rc;
	rc = csv_time(st, v, SG_ACTIVITY_OCCURRED_AT, where->line,
		      &r.occurred_at, err);
	if (rc != SG_OK)
		return rc;
	r.actor = v[SG_ACTIVITY_ACTOR].s;
	r.subject = v[SG_ACTIVITY_SUBJECT].s;
	return h->emit_activity(h->ctx, &r, where, err);
}

static int csv_evidence_row(struct csv_cursor *st, const struct csv_value *v,
			    const struct sg_where *where,
			    struct sg_error *err)
{
	const struct sg_host *h = st->host;
	struct sg_rec_evidence r;
	int rc;

	r.opportunity_id = v[SG_EVIDENCE_OPPORTUNITY_ID].s;
	r.criterion = v[SG_EVIDENCE_CRITERION].s;
	r.value = v[SG_EVIDENCE_VALUE].s;
	rc = csv_party(st, v, SG_EVIDENCE_PARTY, where->line, 1, &r.party,
		       err);
	if (rc != SG_OK)
		return rc;
	rc = csv_time(st, v, SG_EVIDENCE_OBSERVED_AT, where->line,
		      &r.observed_at, err);
	if (rc != SG_OK)
		return rc;
	r.ref = v[SG_EVIDENCE_REF].s;
	return h->emit_evidence(h->ctx, &r, where, err);
}

/* Converts and emits one row of the current file (or keeps it for
 * derive_from_stage).  v is indexed by the file's column enum. */
static int csv_row(struct csv_cursor *st, const struct sg_csv_record *rec,
		   struct sg_error *err)
{
	const struct csv_spec *spec = st->cur;
	struct csv_value v[SG_CANON_COLUMNS_MAX];
	struct sg_where where;
	size_t i, len, n = st->def->column_count;
	int c;

	if (rec->count != st->header_count)
		return sg_error_set_at(err, SG_ERR_PARSE, st->paths[st->spec],
				       rec->line, 0,
				       "the record has %zu fields but the "
				       "header has %zu", rec->count,
				       st->header_count);
	for (i = 0; i < n; i++) {
		c = st->col[i];
		if (c >= 0) {
			v[i].s = rec->fields[c];
			v[i].len = rec->lens[c];
		} else {
			v[i] = st->fixed[i];
		}
	}
	for (i = 0; spec->skip_if_empty != 0 && i < n; i++) {
		if (!(spec->skip_if_empty & (1u << i)))
			continue;
		len = v[i].len;
		sg_trim(v[i].s, &len);
		if (len == 0)
			return SG_OK;
	}
	where.path = st->paths[st->spec];
	where.line = rec->line;
	switch (spec->kind) {
	case SG_CANON_OWNERS:
		return csv_owner_row(st, v, &where, err);
	case SG_CANON_OPPORTUNITIES:
		return csv_opportunity_row(st, v, rec, &where, err);
	case SG_CANON_STAGE_HISTORY:
		return csv_stage_event_row(st, v, &where, err);
	case SG_CANON_FIELD_HISTORY:
		return csv_field_change_row(st, v, &where, err);
	case SG_CANON_ACTIVITIES:
		return csv_activity_row(st, v, &where, err);
	case SG_CANON_EVIDENCE:
		return csv_evidence_row(st, v, &where, err);
	default:
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "csv: bad file kind");
	}
}

/* Emits up to a block of derived stage events; sets *done at the end. */
static int csv_emit_derived(struct csv_cursor *st, int *done,
			    struct sg_error *err)
{
	const struct sg_host *h = st->host;
	struct sg_rec_stage_event r;
	struct sg_where where;
	size_t end = st->next_row + CSV_BLOCK_RECORDS, k;
	int rc;

	if (end > st->nrows)
		end = st->nrows;
	where.path = st->paths[st->spec];
	for (k = st->next_row; k < end; k++) {
		const struct csv_derived *row = &st->rows[k];

		/* A row that repeats the stage before it is passed on: the
		 * core judges it an event that is not a move. */
		r.opportunity_id = row->v.opportunity_id;
		r.from_stage = sg_stage_value_from(st->rows, sizeof(*row), k);
		r.to_stage = row->v.stage;
		r.changed_at = row->v.at;
		r.changed_by = row->changed_by;
		r.source = row->source;
		where.line = row->line;
		if (st->guess != NULL &&
		    sg_pipeline_guess_event(st->guess, r.opportunity_id,
					    r.from_stage, r.to_stage,
					    r.changed_at) != SG_OK)
			return csv_nomem(err);
		rc = h->emit_stage_event(h->ctx, &r, &where, err);
		if (rc != SG_OK)
			return rc;
	}
	st->next_row = end;
	*done = end >= st->nrows;
	return SG_OK;
}

/* Gives back the pages of a mapped half that were read (the reader
 * copies blocks out of the mapping), so that they do not count as the
 * process's memory. */
static void csv_drop_read(struct csv_cursor *st)
{
	size_t page = 1u << 21, upto;

	if (st->data == NULL || st->csv == NULL)
		return;
	upto = (size_t)(st->split->at - st->split->map_from +
			sg_csv_offset(st->csv));
	/* Keep the block the reader may still copy from. */
	upto = upto > (8u << 20) ? (upto - (8u << 20)) & ~(page - 1) : 0;
	if (upto > st->data_dropped) {
		(void)madvise((char *)st->data + st->data_dropped,
			      upto - st->data_dropped, MADV_DONTNEED);
		st->data_dropped = upto;
	}
}

static void csv_progress(struct csv_cursor *st)
{
	const struct csv_spec *spec = &st->map->specs[st->spec];
	unsigned long long from = st->half == 2 ? st->split->at : 0;

	csv_drop_read(st);
	if (st->host->progress != NULL && st->csv != NULL)
		st->host->progress(st->host->ctx, spec->file,
				   from + sg_csv_offset(st->csv), st->size);
}

/* Moves on to the next spec, releasing what the current one held. */
static void csv_next_spec(struct csv_cursor *st)
{
	csv_file_close(st);
	free(st->rows);
	st->rows = NULL;
	st->nrows = 0;
	st->rows_cap = 0;
	st->next_row = 0;
	st->derive_ready = 0;
	csv_arena_free(st);
	st->spec++;
}

/* Reads one block from a cursor: 1 while more follows, 0 at its end. */
static int csv_cursor_pull(struct csv_cursor *st, struct sg_error *err)
{
	const struct csv_spec *spec;
	struct sg_csv_record rec;
	size_t n;
	int rc, done = 0;

	if (st->host->cancelled != NULL && st->host->cancelled(st->host->ctx))
		return sg_error_set(err, SG_ERR_CANCELLED, "cancelled");
	while (st->spec < st->spec_end && st->paths[st->spec] == NULL)
		st->spec++;
	if (st->spec >= st->spec_end)
		return 0;
	spec = &st->map->specs[st->spec];
	if (spec->derive_from_stage && st->derive_ready) {
		rc = csv_emit_derived(st, &done, err);
		if (rc != SG_OK)
			return rc;
		if (done)
			csv_next_spec(st);
		return st->spec < st->spec_end ? 1 : 0;
	}
	if (st->csv == NULL) {
		rc = csv_file_open(st, err);
		if (rc != SG_OK)
			return rc;
		if (st->half != 0) {
			rc = csv_half_begin(st, err);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				csv_next_spec(st);
				return st->spec < st->spec_end ? 1 : 0;
			}
		}
	}
	/* A derived file is read whole (it is sorted before emitting). */
	for (n = 0; spec->derive_from_stage || n < CSV_BLOCK_RECORDS; n++) {
		/* The first half ends where the second begins. */
		if (st->half == 1 && st->split->ok &&
		    sg_csv_offset(st->csv) >= st->split->at)
			rc = 0;
		else
			rc = sg_csv_next(st->csv, &rec, err);
		if (rc < 0 && st->half == 2)
			csv_reproduce_error(st->paths[st->spec], err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			csv_progress(st);
			if (spec->derive_from_stage) {
				sg_stage_values_sort(st->rows, st->nrows,
						     sizeof(*st->rows));
				st->derive_ready = 1;
				csv_file_close(st);
				return 1;
			}
			csv_next_spec(st);
			return st->spec < st->spec_end ? 1 : 0;
		}
		rec.line += st->line_base;
		rc = csv_row(st, &rec, err);
		if (rc != SG_OK)
			return rc;
	}
	csv_progress(st);
	return 1;
}

/* The snapshot, owners and opportunities, in that order. */
static int csv_pull(void *state, struct sg_error *err)
{
	struct csv_state *st = state;
	int rc;

	if (st->host->cancelled != NULL && st->host->cancelled(st->host->ctx))
		return sg_error_set(err, SG_ERR_CANCELLED, "cancelled");
	if (!st->snapshot_done) {
		st->snapshot_done = 1;
		rc = csv_snapshot(st, err);
		if (rc != SG_OK)
			return rc;
	}
	return csv_cursor_pull(&st->head, err);
}

/* Each later canonical file (stage history, field history, activities,
 * evidence) is a stream of its own. */
static unsigned csv_stream_count(void *state)
{
	return ((struct csv_state *)state)->stream_count;
}

static int csv_pull_stream(void *state, unsigned stream,
			   struct sg_error *err)
{
	struct csv_state *st = state;
	struct csv_cursor *cu;
	int rc;

	if (stream >= st->stream_count)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "csv: no stream %u", stream);
	cu = &st->streams[stream];
	rc = csv_cursor_pull(cu, err);
	if (cu->half == 1 && rc <= 0)
		csv_split_first_done(cu->split, rc == 0 ? 1 : -1);
	if (cu->half == 2 && rc < 0)
		csv_split_wait_first(cu);
	return rc;
}

/* The pipeline guessed from the histories read (sg_pipeline_guess.h). */
static int csv_describe(void *state, struct sg_pipeline_description *out,
			struct sg_error *err)
{
	struct csv_state *st = state;

	if (st->guess == NULL)
		return sg_error_set(err, SG_ERR_PLUGIN, "csv: describe() "
				    "without host->describing() at open");
	if (sg_pipeline_guess_describe(st->guess, out) != SG_OK)
		return csv_nomem(err);
	return SG_OK;
}

static const struct sg_plugin csv_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SOURCE,
	.name = "csv",
	.version = PACKAGE_VERSION,
	.description = "Reads a folder of CSV files: the canonical layout "
		"or a CRM export through a mapping",
	.options = csv_options,
	.option_count = sizeof(csv_options) / sizeof(csv_options[0]),
	.config_size = sizeof(struct csv_config),
	.open = csv_open,
	.pull = csv_pull,
	.write = NULL,
	.finish = NULL,
	.close = csv_close,
	.stream_count = csv_stream_count,
	.pull_stream = csv_pull_stream,
	.describe = csv_describe,
};

/* The plugin's one exported symbol: its constant descriptor. */
const struct sg_plugin *sg_plugin_entry(void)
{
	return &csv_plugin;
}
