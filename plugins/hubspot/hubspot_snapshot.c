/*
 * hubspot_snapshot.c - the HubSpot side of the snapshot folder
 * (core/connector/sg_snapshot.c keeps it): where it is, what shapes its
 * records, and where a pull is when it checkpoints (phase, engagement
 * kind, page, cursor), so a full pull that stops resumes there.
 */
#include "hubspot_int.h"

#include <stdlib.h>
#include <string.h>

#include "sg_path.h"

char *hubspot_snapshot_path(const struct hubspot_state *s)
{
	const char *dir = s->config->snapshot_dir;

	if (dir == NULL || dir[0] == '\0')
		return NULL;
	return dir[0] == '/' ? strdup(dir) :
	       sg_path_join(s->host->config_dir(s->host->ctx), dir);
}

/* What shapes the records a pull writes, as a short hash (FNV-1a): a
 * snapshot or checkpoint taken with other settings is not merged with. */
void hubspot_settings_id(const struct hubspot_state *s, char *out,
			 size_t size)
{
	const char *parts[8];
	char *dumps[4];
	unsigned long long h = 1469598103934665603ULL;
	size_t i;
	const char *p;

	dumps[0] = json_dumps(s->stage_map, JSON_SORT_KEYS | JSON_COMPACT);
	dumps[1] = json_dumps(s->evidence_properties,
			      JSON_SORT_KEYS | JSON_COMPACT);
	dumps[2] = s->evidence_object ?
		json_dumps(s->evidence_object, JSON_SORT_KEYS | JSON_COMPACT) :
		NULL;
	dumps[3] = NULL;
	parts[0] = "1";
	parts[1] = s->config->pipeline;
	parts[2] = s->rules_pipeline;
	parts[3] = s->properties_query;
	parts[4] = s->history_query;
	parts[5] = dumps[0];
	parts[6] = dumps[1];
	parts[7] = dumps[2];
	/* FNV-1a over the parts, each ended by a byte no text has. */
	for (i = 0; i < 8; i++) {
		for (p = parts[i] ? parts[i] : ""; *p != '\0'; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ 0x1f) * 1099511628211ULL;
	}
	for (i = 0; i < 3; i++)
		free(dumps[i]);
	snprintf(out, size, "%016llx", h);
}

int hubspot_snapshot_start(struct hubspot_state *s, sg_time extracted_at,
			   struct sg_error *err)
{
	struct sg_snapshot_spec spec;
	char settings[32], *dir = hubspot_snapshot_path(s);
	const char **extras;
	size_t i, n = 0;
	int rc;

	if (dir == NULL)
		return SG_OK;
	extras = calloc(s->field_count + 1, sizeof(*extras));
	if (extras == NULL) {
		free(dir);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < s->field_count; i++)
		if (s->fields[i].extra)
			extras[n++] = s->fields[i].model;
	hubspot_settings_id(s, settings, sizeof(settings));
	memset(&spec, 0, sizeof(spec));
	spec.dir = dir;
	spec.source = "hubspot";
	spec.extracted_at = extracted_at;
	spec.extras = extras;
	spec.extra_count = n;
	spec.settings = settings;
	spec.may_resume = s->sync == NULL;
	rc = sg_snapshot_start(&s->snapshot, &spec, err);
	free(extras);
	free(dir);
	if (rc == SG_OK && sg_snapshot_resumed(s->snapshot, NULL) != NULL) {
		/* The next sync looks for changes from when it began. */
		s->resume = json_incref(sg_snapshot_resumed(s->snapshot,
							     &s->pull_started));
	}
	return rc;
}

int hubspot_snapshot_checkpoint(struct hubspot_state *s, struct sg_error *err)
{
	json_t *position;
	int rc;

	if (s->snapshot == NULL)
		return SG_OK;
	position = json_pack("{s:i, s:i, s:i, s:s?}", "phase", s->phase,
			     "kind", (int)s->kind, "page", (int)s->page,
			     "after", s->after);
	if (position == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	rc = sg_snapshot_checkpoint(s->snapshot, position, s->pull_started,
				    err);
	json_decref(position);
	return rc;
}
