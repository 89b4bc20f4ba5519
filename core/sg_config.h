/*
 * sg_config.h - the rules config (DESIGN §4): pipeline, stages, criteria,
 * segments, placeholders, forecast, review, data, pilot, ledger, and the
 * raw sources/sinks sections (each validated by its plugin's option table
 * through sg_options_fill()).
 *
 * Loading is strict: invalid JSON, an unknown key at any level, a repeated
 * stage id, an undefined criterion, a negative duration or a wrong type is
 * refused with the file, the JSON path ($.stages[1].exit_criteria[0]) and
 * what is wrong.
 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/sg_error.h"
#include "util/sg_missing.h"
#include "util/sg_time.h"

/* A duration in days as written (fractional allowed) and in seconds. */
struct sg_days {
	int present;
	double days;
	int64_t seconds;        /* round(days * 86400) */
};

struct sg_criterion {
	char *id;
	char *label;            /* the id when no label is given */
	int buyer_only;         /* default 1 */
	struct sg_days max_age;
};

struct sg_stage {
	char *id;
	char *label;            /* the id when no label is given */
	int order;              /* position in stages[] */
	struct sg_days max_age;
	char *forecast_category; /* NULL: none */
	size_t *exit_criteria;  /* indices into config->criteria */
	size_t exit_criteria_count;
	char **required_fields;
	size_t required_field_count;
	int closed, won, enter_from_any;
};

/* One segment's stage-age limits: limits[i] applies to stages[i] when
 * present. */
struct sg_segment {
	char *value;
	struct sg_days *limits; /* stage_count entries */
};

struct sg_config {
	char *path;             /* as given */
	char *dir;              /* folder relative paths resolve against */
	char *pipeline_id, *pipeline_label; /* NULL: no "pipeline" key
					       (every pipeline in scope) */

	struct sg_stage *stages;
	size_t stage_count;
	struct sg_criterion *criteria;
	size_t criterion_count;

	char *segment_field;    /* NULL: no segments */
	struct sg_segment *segments;
	size_t segment_count;

	char **placeholder_words;
	struct sg_placeholders placeholders; /* view of placeholder_words */

	char **review_categories;
	size_t review_category_count;

	double review_sla_hours; /* default 48 */
	int64_t review_sla_seconds;
	char *default_assignee; /* default "revops" */

	struct sg_days stale_after; /* data.stale_after_hours, in hours:
				       .days holds hours here */

	int pilot_present;
	sg_time pilot_start;
	int pilot_days;         /* default 30 */
	int baseline_days;      /* default 90 */

	char *ledger_path;      /* resolved against dir; NULL: none set */

	json_t *sources;        /* object or NULL; owned */
	json_t *sinks;          /* object or NULL; owned */
	char *text_sha256;      /* hex SHA-256 of the file's bytes */
};

/*
 * Loads and validates the config at path.  Returns SG_OK with a config the
 * caller frees with sg_config_free(), or SG_ERR_IO / SG_ERR_CONFIG with
 * err->path set to the file and the message starting with the JSON path.
 */
int sg_config_load(struct sg_config **out, const char *path,
		   struct sg_error *err);

/* Same from a text already in memory; name stands for the file. */
int sg_config_load_text(struct sg_config **out, const char *name,
			const char *dir, const char *text, size_t len,
			struct sg_error *err);

/* Accepts NULL. */
void sg_config_free(struct sg_config *config);

/* Index of the stage with this id (exact, after trimming), or -1. */
int sg_config_stage_index(const struct sg_config *config, const char *id,
			  size_t len);

/* Index of the criterion with this id, or -1. */
int sg_config_criterion_index(const struct sg_config *config,
			      const char *id);

/* Nonzero when category is one of forecast.review_categories. */
int sg_config_is_review_category(const struct sg_config *config,
				 const char *category);

/*
 * The stage-age limit for stage index s for an opportunity whose segment
 * value is segment (NULL or "" for none): the segment's limit when it sets
 * one, else the stage's own.  Returns a borrowed duration; present == 0
 * means no limit.
 */
const struct sg_days *sg_config_max_age(const struct sg_config *config,
					size_t s, const char *segment);

/* Resolves a path relative to the config's folder; caller frees. */
char *sg_config_resolve_path(const struct sg_config *config,
			     const char *path);

#endif
