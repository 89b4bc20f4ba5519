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
#include <unistd.h>

#include "sg_canonical.h"
#include "sg_canonical_records.h"
#include "sg_path.h"

struct hubspot_snapshot {
	char *dir;              /* where the snapshot is kept */
	char *tmp;              /* where this pull writes it */
	FILE *files[SG_CANON_FILE_COUNT];
	sg_time extracted_at;
	int committed;
};

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

int hubspot_snapshot_start(struct hubspot_state *s, sg_time extracted_at,
			   struct sg_error *err)
{
	const char *base = s->host->config_dir(s->host->ctx);
	struct hubspot_snapshot *snap;
	const char **extras;
	size_t n;
	int f;

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
	snap->dir = s->config->snapshot_dir[0] == '/' ?
		strdup(s->config->snapshot_dir) :
		sg_path_join(base, s->config->snapshot_dir);
	n = snap->dir ? strlen(snap->dir) + 32 : 0;
	snap->tmp = snap->dir ? malloc(n) : NULL;
	if (snap->tmp == NULL) {
		free(extras);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	snprintf(snap->tmp, n, "%s.new-%ld", snap->dir, (long)getpid());
	hubspot_remove_tree(snap->tmp);
	if (mkdir(snap->tmp, 0777) != 0) {
		free(extras);
		return hubspot_snap_io(snap->tmp, "create the folder", err);
	}
	n = hubspot_snap_extras(s, extras);
	for (f = 0; f < SG_CANON_FILE_COUNT; f++) {
		char *path = sg_path_join(snap->tmp,
					  sg_canonical_file(f)->file);

		snap->files[f] = path ? fopen(path, "w") : NULL;
		if (snap->files[f] == NULL) {
			int rc = hubspot_snap_io(path ? path : snap->tmp,
						 "create a file", err);

			free(path);
			free(extras);
			return rc;
		}
		free(path);
		sg_canonical_write_header(snap->files[f], f,
					  f == SG_CANON_OPPORTUNITIES ?
					  extras : NULL,
					  f == SG_CANON_OPPORTUNITIES ? n : 0);
	}
	free(extras);
	return SG_OK;
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
			 "\"hubspot\"}\n",
			 sg_time_format_iso(snap->extracted_at, t)) < 0 ||
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
	/* A pull that did not complete leaves the last snapshot alone. */
	if (!snap->committed) {
		struct sg_error ignored;

		hubspot_snap_close_files(snap, &ignored);
		if (snap->tmp != NULL)
			hubspot_remove_tree(snap->tmp);
	}
	free(snap->dir);
	free(snap->tmp);
	free(snap);
}
