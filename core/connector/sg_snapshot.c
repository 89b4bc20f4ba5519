/*
 * sg_snapshot.c - a connector's snapshot folder, its checkpoint and its
 * commit (see the header).
 */
#include "sg_snapshot.h"

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

/* A pull stopped less than this long ago is resumed; an older one is
 * read again from the start. */
#define SG_SNAPSHOT_RESUME_MAX_AGE (24 * 3600)

struct sg_snapshot {
	char *dir;              /* where the snapshot is kept */
	char *tmp;              /* where this pull writes it: DIR.partial */
	char *source, *settings;
	FILE *files[SG_CANON_FILE_COUNT];
	sg_time extracted_at;
	char pull_id[64];       /* names this pull in snapshot.json */
	json_t *resumed;        /* the checkpoint taken up, or NULL */
	int committed;
	int checkpointed;       /* a page is complete: kept if it fails */
};

static int snap_io(const char *path, const char *what, struct sg_error *err)
{
	return sg_error_set_at(err, SG_ERR_IO, path, 0, 0, "the snapshot: "
			       "cannot %s: %s", what, strerror(errno));
}

static int snap_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

static int snap_remove_entry(const char *path, const struct stat *sb,
			     int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void snap_remove_tree(const char *dir)
{
	nftw(dir, snap_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int snap_close_files(struct sg_snapshot *snap, struct sg_error *err)
{
	int f, rc = SG_OK;

	for (f = 0; f < SG_CANON_FILE_COUNT; f++) {
		FILE *fp = snap->files[f];

		snap->files[f] = NULL;
		if (fp == NULL)
			continue;
		if ((ferror(fp) | fclose(fp)) != 0 && rc == SG_OK)
			rc = snap_io(snap->tmp, "write", err);
	}
	return rc;
}

/* Opens file f of the folder being written: fresh with its header, or
 * (keep >= 0) cut back to keep bytes, for a resumed pull to go on. */
static int snap_open(struct sg_snapshot *snap, int f,
		     const struct sg_snapshot_spec *spec, long long keep,
		     struct sg_error *err)
{
	char *path = sg_path_join(snap->tmp, sg_canonical_file(f)->file);
	int rc = SG_OK;

	if (path == NULL)
		return snap_nomem(err);
	if (keep >= 0 && truncate(path, (off_t)keep) != 0)
		rc = snap_io(path, "cut back a file to resume", err);
	if (rc == SG_OK) {
		snap->files[f] = fopen(path, keep >= 0 ? "a" : "w");
		if (snap->files[f] == NULL)
			rc = snap_io(path, "create a file", err);
	}
	free(path);
	if (rc == SG_OK && keep < 0)
		sg_canonical_write_header(snap->files[f], f,
					  f == SG_CANON_OPPORTUNITIES ?
					  spec->extras : NULL,
					  f == SG_CANON_OPPORTUNITIES ?
					  spec->extra_count : 0);
	return rc;
}

/* A new folder: an unfinished one before it is removed. */
static int snap_fresh(struct sg_snapshot *snap,
		      const struct sg_snapshot_spec *spec, struct sg_error *err)
{
	int f, rc = SG_OK;

	snap_remove_tree(snap->tmp);
	if (mkdir(snap->tmp, 0777) != 0)
		return snap_io(snap->tmp, "create the folder", err);
	for (f = 0; f < SG_CANON_FILE_COUNT && rc == SG_OK; f++)
		rc = snap_open(snap, f, spec, -1, err);
	return rc;
}

static json_t *snap_checkpoint_load(const struct sg_snapshot *snap)
{
	char *path = sg_path_join(snap->tmp, "checkpoint.json");
	json_t *cp = path ? json_load_file(path, 0, NULL) : NULL;

	free(path);
	return cp;
}

/*
 * Takes up the pull a checkpoint describes when it was made with these
 * settings and is recent: the files are cut back to their length at the
 * last complete page, owners.csv emptied.  1 when resumed, 0 when not,
 * or an error.
 */
static int snap_resume(struct sg_snapshot *snap,
		       const struct sg_snapshot_spec *spec,
		       struct sg_error *err)
{
	json_t *cp = snap_checkpoint_load(snap), *sizes;
	const char *settings;
	int f, rc = SG_OK;

	settings = json_string_value(json_object_get(cp, "settings"));
	sizes = json_object_get(cp, "sizes");
	if (cp == NULL || settings == NULL || spec->settings == NULL ||
	    strcmp(settings, spec->settings) != 0 ||
	    !json_is_object(json_object_get(cp, "position")) ||
	    json_array_size(sizes) != SG_CANON_FILE_COUNT ||
	    (long long)time(NULL) - json_integer_value(json_object_get(
		    cp, "started")) > SG_SNAPSHOT_RESUME_MAX_AGE) {
		json_decref(cp);
		return 0;
	}
	for (f = 0; f < SG_CANON_FILE_COUNT && rc == SG_OK; f++)
		rc = snap_open(snap, f, spec, f == SG_CANON_OWNERS ? -1 :
			       json_integer_value(json_array_get(sizes, f)),
			       err);
	if (rc != SG_OK) {
		json_decref(cp);
		snap_close_files(snap, err);
		return rc;
	}
	snap->checkpointed = 1;
	snap->resumed = cp;
	return 1;
}

static char *snap_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

int sg_snapshot_start(struct sg_snapshot **out,
		      const struct sg_snapshot_spec *spec,
		      struct sg_error *err)
{
	struct sg_snapshot *snap = calloc(1, sizeof(*snap));
	size_t n = strlen(spec->dir) + 16;
	int rc;

	*out = NULL;
	if (snap == NULL)
		return snap_nomem(err);
	snap->dir = strdup(spec->dir);
	snap->tmp = malloc(n);
	snap->source = snap_strdup(spec->source);
	snap->settings = snap_strdup(spec->settings);
	if (snap->dir == NULL || snap->tmp == NULL ||
	    (spec->source != NULL && snap->source == NULL) ||
	    (spec->settings != NULL && snap->settings == NULL)) {
		sg_snapshot_free(snap);
		return snap_nomem(err);
	}
	/* One name, not one per process: a pull that stops leaves it, with
	 * its checkpoint, for the next to resume. */
	snprintf(snap->tmp, n, "%s.partial", spec->dir);
	snap->extracted_at = spec->extracted_at;
	/* The time and the process tell two pulls apart. */
	snprintf(snap->pull_id, sizeof(snap->pull_id), "%lld-%ld",
		 (long long)spec->extracted_at, (long)getpid());
	rc = spec->may_resume ? snap_resume(snap, spec, err) : 0;
	if (rc == 0)
		rc = snap_fresh(snap, spec, err);
	if (rc < 0) {
		sg_snapshot_free(snap);
		return rc;
	}
	*out = snap;
	return SG_OK;
}

json_t *sg_snapshot_resumed(const struct sg_snapshot *snap, sg_time *started)
{
	if (snap == NULL || snap->resumed == NULL)
		return NULL;
	if (started != NULL)
		*started = (sg_time)json_integer_value(json_object_get(
			snap->resumed, "started"));
	return json_object_get(snap->resumed, "position");
}

void sg_snapshot_owner(struct sg_snapshot *snap, const struct sg_rec_owner *o)
{
	if (snap != NULL)
		sg_canonical_put_owner(snap->files[SG_CANON_OWNERS], o);
}

void sg_snapshot_opportunity(struct sg_snapshot *snap,
			     const struct sg_rec_opportunity *o)
{
	if (snap != NULL)
		sg_canonical_put_opportunity(
			snap->files[SG_CANON_OPPORTUNITIES], o);
}

void sg_snapshot_stage_event(struct sg_snapshot *snap,
			     const struct sg_rec_stage_event *e)
{
	if (snap != NULL)
		sg_canonical_put_stage_event(
			snap->files[SG_CANON_STAGE_HISTORY], e);
}

void sg_snapshot_field_change(struct sg_snapshot *snap,
			      const struct sg_rec_field_change *c)
{
	if (snap != NULL)
		sg_canonical_put_field_change(
			snap->files[SG_CANON_FIELD_HISTORY], c);
}

void sg_snapshot_activity(struct sg_snapshot *snap,
			  const struct sg_rec_activity *a)
{
	if (snap != NULL)
		sg_canonical_put_activity(snap->files[SG_CANON_ACTIVITIES], a);
}

void sg_snapshot_evidence(struct sg_snapshot *snap,
			  const struct sg_rec_evidence *e)
{
	if (snap != NULL)
		sg_canonical_put_evidence(snap->files[SG_CANON_EVIDENCE], e);
}

int sg_snapshot_checkpoint(struct sg_snapshot *snap, json_t *position,
			   sg_time started, struct sg_error *err)
{
	char *path, *tmp;
	json_t *cp, *sizes;
	int f, rc = SG_OK;

	if (snap == NULL)
		return SG_OK;
	sizes = json_array();
	for (f = 0; f < SG_CANON_FILE_COUNT && sizes != NULL; f++) {
		if (fflush(snap->files[f]) != 0)
			rc = snap_io(snap->tmp, "write", err);
		json_array_append_new(sizes, json_integer(
			(json_int_t)ftello(snap->files[f])));
	}
	cp = json_pack("{s:s?, s:I, s:O, s:o}", "settings", snap->settings,
		       "started", (json_int_t)started, "position", position,
		       "sizes", sizes);
	path = sg_path_join(snap->tmp, "checkpoint.json");
	tmp = sg_path_join(snap->tmp, "checkpoint.json.new");
	if (cp == NULL || path == NULL || tmp == NULL)
		rc = snap_nomem(err);
	/* Written aside, then renamed: a checkpoint is whole or absent. */
	else if (rc == SG_OK && (json_dump_file(cp, tmp, JSON_COMPACT) != 0 ||
				 rename(tmp, path) != 0))
		rc = snap_io(path, "write the checkpoint", err);
	if (rc == SG_OK)
		snap->checkpointed = 1;
	json_decref(cp);
	free(path);
	free(tmp);
	return rc;
}

static int snap_meta(struct sg_snapshot *snap, struct sg_error *err)
{
	char t[SG_TIME_ISO_SIZE], *path = sg_path_join(snap->tmp,
						       "snapshot.json");
	json_t *meta = json_pack("{s:s, s:s?, s:s}", "extracted_at",
				 sg_time_format_iso(snap->extracted_at, t),
				 "source", snap->source, "pull_id",
				 snap->pull_id);
	int rc = SG_OK;

	if (path == NULL || meta == NULL)
		rc = snap_nomem(err);
	else if (json_dump_file(meta, path, JSON_INDENT(1)) != 0)
		rc = snap_io(path, "write snapshot.json", err);
	json_decref(meta);
	free(path);
	return rc;
}

int sg_snapshot_commit(struct sg_snapshot *snap, struct sg_error *err)
{
	char *old;
	size_t n;
	int rc;

	if (snap == NULL)
		return SG_OK;
	rc = snap_close_files(snap, err);
	if (rc == SG_OK)
		rc = snap_meta(snap, err);
	if (rc != SG_OK)
		return rc;
	old = sg_path_join(snap->tmp, "checkpoint.json");
	if (old == NULL)
		return snap_nomem(err);
	remove(old);
	free(old);
	n = strlen(snap->dir) + 32;
	old = malloc(n);
	if (old == NULL)
		return snap_nomem(err);
	/* The old snapshot moves aside, the new one takes its name, then
	 * the old one goes: at every moment one whole snapshot is there. */
	snprintf(old, n, "%s.old-%ld", snap->dir, (long)getpid());
	snap_remove_tree(old);
	if (rename(snap->dir, old) != 0 && errno != ENOENT)
		rc = snap_io(snap->dir, "move the last snapshot aside", err);
	if (rc == SG_OK && rename(snap->tmp, snap->dir) != 0)
		rc = snap_io(snap->dir, "put the snapshot in place", err);
	if (rc == SG_OK) {
		snap_remove_tree(old);
		snap->committed = 1;
	}
	free(old);
	return rc;
}

void sg_snapshot_discard(struct sg_snapshot *snap)
{
	if (snap != NULL)
		snap->checkpointed = 0;
}

const char *sg_snapshot_pull_id(const struct sg_snapshot *snap)
{
	return snap != NULL ? snap->pull_id : NULL;
}

const char *sg_snapshot_folder(const struct sg_snapshot *snap)
{
	return snap != NULL ? snap->tmp : NULL;
}

void sg_snapshot_free(struct sg_snapshot *snap)
{
	if (snap == NULL)
		return;
	/* A pull that did not complete leaves the last snapshot alone,
	 * and what it read of the pipeline for the next to resume. */
	if (!snap->committed) {
		struct sg_error ignored;

		snap_close_files(snap, &ignored);
		if (snap->tmp != NULL && !snap->checkpointed)
			snap_remove_tree(snap->tmp);
	}
	json_decref(snap->resumed);
	free(snap->dir);
	free(snap->tmp);
	free(snap->source);
	free(snap->settings);
	free(snap);
}

char *sg_snapshot_id(const char *dir)
{
	char *path = sg_path_join(dir, "snapshot.json");
	json_t *doc = path ? json_load_file(path, 0, NULL) : NULL;
	const char *id = json_string_value(json_object_get(doc, "pull_id"));
	char *copy = id != NULL ? strdup(id) : NULL;
	struct stat st;
	int f;

	free(path);
	for (f = 0; copy != NULL && f < SG_CANON_FILE_COUNT; f++) {
		path = sg_path_join(dir, sg_canonical_file(f)->file);
		if (path == NULL || stat(path, &st) != 0) {
			free(copy);
			copy = NULL;
		}
		free(path);
	}
	json_decref(doc);
	return copy;
}
