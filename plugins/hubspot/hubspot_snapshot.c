/*
 * hubspot_snapshot.c - what a pull read, kept as a folder in the
 * canonical CSV layout with snapshot.json (snapshot_dir), so `--source
 * csv:DIR` reproduces the run offline.  Each record is written as it is
 * emitted, with the canonical writer of core/util, into a folder beside
 * the snapshot that takes its place only when the pull completes: a
 * failed pull leaves the last snapshot as it was.
 */
#include "hubspot_int.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sg_canonical.h"
#include "sg_canonical_records.h"
#include "sg_path.h"

struct hubspot_snapshot {
	char *dir;              /* where the snapshot is kept */
	char *tmp;              /* where this pull writes it */
	FILE *files[SG_CANON_FILE_COUNT];
	sg_time extracted_at;
	char pull_id[64];       /* names this pull in snapshot.json */
	int committed;
	int checkpointed;       /* a page is complete: kept if it fails */
};

char *hubspot_snapshot_path(const struct hubspot_state *s)
{
	const char *dir = s->config->snapshot_dir;

	if (dir == NULL || dir[0] == '\0')
		return NULL;
	return dir[0] == '/' ? strdup(dir) :
	       sg_path_join(s->host->config_dir(s->host->ctx), dir);
}

char *hubspot_snapshot_id(const char *dir)
{
	char *path = sg_path_join(dir, "snapshot.json");
	json_t *doc = path ? json_load_file(path, 0, NULL) : NULL;
	const char *id = json_string_value(json_object_get(doc, "pull_id"));
	char *copy = id != NULL ? strdup(id) : NULL;

	json_decref(doc);
	free(path);
	return copy;
}

const char *hubspot_snapshot_pull_id(const struct hubspot_state *s)
{
	return s->snapshot != NULL ? s->snapshot->pull_id : NULL;
}

static int hubspot_snap_io(const char *path, const char *what,
			   struct sg_error *err)
{
	return sg_error_set_at(err, SG_ERR_IO, path, 0, 0, "the "
			       "snapshot: cannot %s: %s", what,
			       strerror(errno));
}

static int hubspot_remove_entry(const char *path, const struct stat *sb,
				int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void hubspot_remove_tree(const char *dir)
{
	nftw(dir, hubspot_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The extra columns of opportunities.csv: the extra fields mapped. */
static size_t hubspot_snap_extras(const struct hubspot_state *s,
				  const char **names)
{
	size_t i, n = 0;

	for (i = 0; i < s->field_count; i++)
		if (s->fields[i].extra)
			names[n++] = s->fields[i].model;
	return n;
}

static int hubspot_snap_close_files(struct hubspot_snapshot *snap,
				    struct sg_error *err);

/* Opens file f of the folder being written: fresh with its header, or
 * (keep >= 0) cut back to keep bytes, for a resumed pull to go on. */
static int hubspot_snap_open(struct hubspot_snapshot *snap, int f,
			     const char *const *extras, size_t n,
			     long long keep, struct sg_error *err)
{
	char *path = sg_path_join(snap->tmp, sg_canonical_file(f)->file);
	int rc = SG_OK;

	if (path == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	if (keep >= 0 && truncate(path, (off_t)keep) != 0)
		rc = hubspot_snap_io(path, "cut back a file to resume", err);
	if (rc == SG_OK) {
		snap->files[f] = fopen(path, keep >= 0 ? "a" : "w");
		if (snap->files[f] == NULL)
			rc = hubspot_snap_io(path, "create a file", err);
	}
	free(path);
	if (rc == SG_OK && keep < 0)
		sg_canonical_write_header(snap->files[f], f,
					  f == SG_CANON_OPPORTUNITIES ?
					  extras : NULL,
					  f == SG_CANON_OPPORTUNITIES ? n : 0);
	return rc;
}

/* A new folder: an unfinished one before it is removed. */
static int hubspot_snap_fresh(struct hubspot_snapshot *snap,
			      const char *const *extras, size_t n,
			      struct sg_error *err)
{
	int f, rc = SG_OK;

	hubspot_remove_tree(snap->tmp);
	if (mkdir(snap->tmp, 0777) != 0)
		return hubspot_snap_io(snap->tmp, "create the folder", err);
	for (f = 0; f < SG_CANON_FILE_COUNT && rc == SG_OK; f++)
		rc = hubspot_snap_open(snap, f, extras, n, -1, err);
	return rc;
}

/* A pull stopped less than this long ago is resumed; an older one is
 * read again from the start. */
#define HUBSPOT_RESUME_MAX_AGE (24 * 3600)

static json_t *hubspot_checkpoint_load(const struct hubspot_snapshot *snap)
{
	char *path = sg_path_join(snap->tmp, "checkpoint.json");
	json_t *cp = path ? json_load_file(path, 0, NULL) : NULL;

	free(path);
	return cp;
}

/*
 * Takes up the pull a checkpoint describes when it was made with these
 * settings and is recent: the files are cut back to their length at the
 * last complete page (the owners are read again), and s->resume says
 * where to go on.  1 when resumed, 0 when not, or an error.
 */
static int hubspot_snap_resume(struct hubspot_state *s,
			       struct hubspot_snapshot *snap,
			       struct sg_error *err)
{
	json_t *cp = hubspot_checkpoint_load(snap), *sizes;
	const char *settings;
	char mine[32];
	int f, rc = SG_OK;

	hubspot_settings_id(s, mine, sizeof(mine));
	settings = json_string_value(json_object_get(cp, "settings"));
	sizes = json_object_get(cp, "sizes");
	if (cp == NULL || settings == NULL || strcmp(settings, mine) != 0 ||
	    json_array_size(sizes) != SG_CANON_FILE_COUNT ||
	    (long long)time(NULL) - json_integer_value(json_object_get(
		    cp, "started")) > HUBSPOT_RESUME_MAX_AGE) {
		json_decref(cp);
		return 0;
	}
	for (f = 0; f < SG_CANON_FILE_COUNT && rc == SG_OK; f++)
		rc = hubspot_snap_open(snap, f, NULL, 0,
				       f == SG_CANON_OWNERS ? -1 :
				       json_integer_value(json_array_get(
					       sizes, f)), err);
	if (rc != SG_OK) {
		json_decref(cp);
		hubspot_snap_close_files(snap, err);
		return rc;
	}
	snap->checkpointed = 1;
	s->resume = cp;
	/* The next sync looks for changes from when this pull began. */
	s->pull_started = (sg_time)json_integer_value(json_object_get(
		cp, "started"));
	return 1;
}

int hubspot_snapshot_checkpoint(struct hubspot_state *s,
				struct sg_error *err)
{
	struct hubspot_snapshot *snap = s->snapshot;
	char settings[32], *path, *tmp;
	json_t *cp, *sizes = json_array();
	int f, rc = SG_OK;

	if (snap == NULL) {
		json_decref(sizes);
		return SG_OK;
	}
	for (f = 0; f < SG_CANON_FILE_COUNT && sizes != NULL; f++) {
		if (fflush(snap->files[f]) != 0)
			rc = hubspot_snap_io(snap->tmp, "write", err);
		json_array_append_new(sizes, json_integer(
			(json_int_t)ftello(snap->files[f])));
	}
	hubspot_settings_id(s, settings, sizeof(settings));
	cp = json_pack("{s:s, s:I, s:i, s:i, s:i, s:s?, s:o}", "settings",
		       settings, "started", (json_int_t)s->pull_started,
		       "phase", s->phase, "kind", (int)s->kind, "page",
		       (int)s->page, "after", s->after, "sizes", sizes);
	path = sg_path_join(snap->tmp, "checkpoint.json");
	tmp = sg_path_join(snap->tmp, "checkpoint.json.new");
	if (cp == NULL || path == NULL || tmp == NULL)
		rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	/* Written aside, then renamed: a checkpoint is whole or absent. */
	else if (rc == SG_OK && (json_dump_file(cp, tmp, JSON_COMPACT) != 0 ||
				 rename(tmp, path) != 0))
		rc = hubspot_snap_io(path, "write the checkpoint", err);
	if (rc == SG_OK)
		snap->checkpointed = 1;
	json_decref(cp);
	free(path);
	free(tmp);
	return rc;
}

const char *hubspot_snapshot_partial(const struct hubspot_state *s)
{
	return s->snapshot != NULL ? s->snapshot->tmp : NULL;
}

int hubspot_snapshot_start(struct hubspot_state *s, sg_time extracted_at,
			   struct sg_error *err)
{
	struct hubspot_snapshot *snap;
	const char **extras;
	size_t n;
	int rc;

	if (s->config->snapshot_dir == NULL || s->config->snapshot_dir[0] ==
	    '\0')
		return SG_OK;
	snap = calloc(1, sizeof(*snap));
	extras = calloc(s->field_count + 1, sizeof(*extras));
	if (snap == NULL || extras == NULL) {
		free(snap);
		free(extras);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	s->snapshot = snap;
	snap->extracted_at = extracted_at;
	/* The time and the process tell two pulls apart. */
	snprintf(snap->pull_id, sizeof(snap->pull_id), "%lld-%ld",
		 (long long)extracted_at, (long)getpid());
	snap->dir = hubspot_snapshot_path(s);
	n = snap->dir ? strlen(snap->dir) + 32 : 0;
	snap->tmp = snap->dir ? malloc(n) : NULL;
	if (snap->tmp == NULL) {
		free(extras);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	/* One name, not one per process: a pull that stops leaves it, with
	 * its checkpoint, for the next to resume. */
	snprintf(snap->tmp, n, "%s.partial", snap->dir);
	n = hubspot_snap_extras(s, extras);
	rc = s->sync == NULL ? hubspot_snap_resume(s, snap, err) : 0;
	if (rc == 0)
		rc = hubspot_snap_fresh(snap, extras, n, err);
	free(extras);
	return rc < 0 ? rc : SG_OK;
}

/* Each record emitted, also written to the snapshot (no-ops without). */
void hubspot_snapshot_opportunity(struct hubspot_state *s,
				  const struct sg_rec_opportunity *o)
{
	if (s->snapshot != NULL)
		sg_canonical_put_opportunity(
			s->snapshot->files[SG_CANON_OPPORTUNITIES], o);
}

void hubspot_snapshot_stage_event(struct hubspot_state *s,
				  const struct sg_rec_stage_event *e)
{
	if (s->snapshot != NULL)
		sg_canonical_put_stage_event(
			s->snapshot->files[SG_CANON_STAGE_HISTORY], e);
}

void hubspot_snapshot_field_change(struct hubspot_state *s,
				   const struct sg_rec_field_change *c)
{
	if (s->snapshot != NULL)
		sg_canonical_put_field_change(
			s->snapshot->files[SG_CANON_FIELD_HISTORY], c);
}

void hubspot_snapshot_activity(struct hubspot_state *s,
			       const struct sg_rec_activity *a)
{
	if (s->snapshot != NULL)
		sg_canonical_put_activity(
			s->snapshot->files[SG_CANON_ACTIVITIES], a);
}

void hubspot_snapshot_evidence(struct hubspot_state *s,
			       const struct sg_rec_evidence *e)
{
	if (s->snapshot != NULL)
		sg_canonical_put_evidence(
			s->snapshot->files[SG_CANON_EVIDENCE], e);
}

void hubspot_snapshot_owner(struct hubspot_state *s,
			    const struct sg_rec_owner *o)
{
	if (s->snapshot != NULL)
		sg_canonical_put_owner(s->snapshot->files[SG_CANON_OWNERS], o);
}

static int hubspot_snap_close_files(struct hubspot_snapshot *snap,
				    struct sg_error *err)
{
	int f, rc = SG_OK;

	for (f = 0; f < SG_CANON_FILE_COUNT; f++) {
		FILE *fp = snap->files[f];

		snap->files[f] = NULL;
		if (fp == NULL)
			continue;
		if ((ferror(fp) | fclose(fp)) != 0 && rc == SG_OK)
			rc = hubspot_snap_io(snap->tmp, "write", err);
	}
	return rc;
}

static int hubspot_snap_meta(struct hubspot_snapshot *snap,
			     struct sg_error *err)
{
	char t[SG_TIME_ISO_SIZE], *path = sg_path_join(snap->tmp,
						       "snapshot.json");
	FILE *fp = path ? fopen(path, "w") : NULL;
	int rc = SG_OK;

	if (fp == NULL)
		rc = hubspot_snap_io(path ? path : snap->tmp,
				     "create snapshot.json", err);
	else if (fprintf(fp, "{\"extracted_at\": \"%s\", \"source\": "
			 "\"hubspot\", \"pull_id\": \"%s\"}\n",
			 sg_time_format_iso(snap->extracted_at, t),
			 snap->pull_id) < 0 ||
		 fclose(fp) != 0)
		rc = hubspot_snap_io(path, "write snapshot.json", err);
	free(path);
	return rc;
}

int hubspot_snapshot_commit(struct hubspot_state *s, struct sg_error *err)
{
	struct hubspot_snapshot *snap = s->snapshot;
	char *old;
	size_t n;
	int rc;

	if (snap == NULL)
		return SG_OK;
	rc = hubspot_snap_close_files(snap, err);
	if (rc == SG_OK)
		rc = hubspot_snap_meta(snap, err);
	if (rc != SG_OK)
		return rc;
	old = sg_path_join(snap->tmp, "checkpoint.json");
	if (old == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	remove(old);
	free(old);
	n = strlen(snap->dir) + 32;
	old = malloc(n);
	if (old == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	/* The old snapshot moves aside, the new one takes its name, then
	 * the old one goes: at every moment one whole snapshot is there. */
	snprintf(old, n, "%s.old-%ld", snap->dir, (long)getpid());
	hubspot_remove_tree(old);
	if (rename(snap->dir, old) != 0 && errno != ENOENT)
		rc = hubspot_snap_io(snap->dir, "move the last snapshot aside",
				     err);
	if (rc == SG_OK && rename(snap->tmp, snap->dir) != 0)
		rc = hubspot_snap_io(snap->dir, "put the snapshot in place",
				     err);
	if (rc == SG_OK) {
		hubspot_remove_tree(old);
		snap->committed = 1;
	}
	free(old);
	return rc;
}

void hubspot_snapshot_free(struct hubspot_snapshot *snap)
{
	if (snap == NULL)
		return;
	/* A pull that did not complete leaves the last snapshot alone,
	 * and what it read of the pipeline for the next to resume. */
	if (!snap->committed) {
		struct sg_error ignored;

		hubspot_snap_close_files(snap, &ignored);
		if (snap->tmp != NULL && !snap->checkpointed)
			hubspot_remove_tree(snap->tmp);
	}
	free(snap->dir);
	free(snap->tmp);
	free(snap);
}
