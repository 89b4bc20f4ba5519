/*
 * sg_model.h - the common model (DESIGN §3), built for a million
 * opportunities: interned strings, compact arrays sorted by opportunity
 * then time, strings in a chunked arena (no per-record malloc).
 *
 * Life cycle: sg_model_new(), then sg_model_add_*() calls (the host's
 * emit functions call them), an opportunity before the records that name
 * it; a record naming no opportunity added so far is dropped and counted
 * (DESIGN §10 rule 11).  Then sg_model_finish() deduplicates, sorts,
 * indexes and resolves stages.  After finish the model is read-only and
 * its arrays may be read directly.
 *
 * Threads: once every opportunity is added, stage events, field changes,
 * activities and evidence may be added concurrently, one thread per
 * (kind, part); nothing else may.  A part is a numbered share of a kind's
 * records (sg_model_set_parts()): the plain adders add to part 0, the
 * *_to() adders to the part they name, and at finish each kind's records
 * are taken part after part in part order, each part in the order added.
 * So a file read as two halves on two threads, the first half into part
 * p and the second into part p + 1, gives the model one thread reading
 * the whole file would give.
 */
#ifndef SG_MODEL_H
#define SG_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "sg_config.h"
#include "sg_plugin.h"
#include "sg_strtab.h"

#define SG_NO_STAGE (-1)

/* Data-quality reasons, in the order of DESIGN §5 (bit i = reason i). */
enum sg_dq_reason {
	SG_DQ_UNKNOWN_STAGE = 0,
	SG_DQ_NO_HISTORY,
	SG_DQ_STAGE_MISMATCH,
	SG_DQ_FUTURE_EVENT,
	SG_DQ_BEFORE_CREATED,
	SG_DQ_CONTRADICTORY_HISTORY,
	SG_DQ_MISSING_OWNER,
	SG_DQ_DUPLICATE_RECORD,
	SG_DQ_REASON_COUNT
};

/* The reason's contract name ("unknown_stage", ...). */
const char *sg_dq_reason_name(int reason);

struct sg_extra {
	sg_sym name;
	const char *value;
};

struct sg_opportunity {
	sg_sym id;
	const char *name, *pipeline, *stage, *owner_id, *amount, *currency;
	const char *forecast_category, *next_step;
	sg_time close_date, created_at, next_step_date;
	int stage_index;        /* current stage in config, or SG_NO_STAGE */
	uint32_t extra_first, extra_count;     /* into model->extras */
	uint32_t event_first, event_count;     /* into model->events */
	uint32_t change_first, change_count;   /* into model->changes */
	uint32_t activity_first, activity_count;
	uint32_t evidence_first, evidence_count;
	unsigned duplicate : 1;  /* same id twice with different values */
	unsigned in_scope : 1;   /* pipeline empty or equal to config's */
};

/* Record structs are kept small: at a million opportunities every byte
 * of a stage event costs five megabytes.  Ties in time keep input order
 * (the model sorts stably), so no sequence number is stored. */
struct sg_stage_event {
	uint32_t opp;           /* index into model->opps */
	sg_sym from_stage;      /* own from-stage as given; 0 when absent */
	sg_sym to_stage;
	sg_sym changed_by, source;
	int16_t from_index;     /* config index of from_stage, or SG_NO_STAGE */
	int16_t to_index;       /* config index of to_stage, or SG_NO_STAGE */
	sg_time changed_at;
};

struct sg_field_change {
	uint32_t opp;
	sg_sym field;
	sg_time changed_at;
	const char *old_value, *new_value;
};

struct sg_activity {
	uint32_t opp;
	uint8_t type;           /* enum sg_activity_type */
	uint8_t party;          /* enum sg_party */
	sg_time occurred_at;
};

/* The value itself is not kept: the checks need only whether it is
 * missing, and three million evidence texts would cost more than all the
 * other evidence fields together. */
struct sg_evidence {
	uint32_t opp;
	sg_sym criterion;
	sg_time observed_at;
	uint8_t party;          /* enum sg_party */
	uint8_t value_missing;  /* the value is missing by the §4 rule */
};

struct sg_owner {
	sg_sym id;
	const char *name, *email, *team;
	sg_sym manager_id;
};

struct sg_model;

/* Creates an empty model for config (borrowed; must outlive the model). */
int sg_model_new(struct sg_model **out, const struct sg_config *config,
		 struct sg_error *err);
/* Accepts NULL. */
void sg_model_free(struct sg_model *model);

/* Adders: copy what they keep; where may be NULL.  Fail only on memory
 * or on an input the model cannot hold (an empty id). */
int sg_model_add_opportunity(struct sg_model *m,
			     const struct sg_rec_opportunity *r,
			     const struct sg_where *where,
			     struct sg_error *err);
int sg_model_add_stage_event(struct sg_model *m,
			     const struct sg_rec_stage_event *r,
			     const struct sg_where *where,
			     struct sg_error *err);
int sg_model_add_field_change(struct sg_model *m,
			      const struct sg_rec_field_change *r,
			      const struct sg_where *where,
			      struct sg_error *err);
int sg_model_add_activity(struct sg_model *m, const struct sg_rec_activity *r,
			  const struct sg_where *where, struct sg_error *err);
int sg_model_add_evidence(struct sg_model *m, const struct sg_rec_evidence *r,
			  const struct sg_where *where, struct sg_error *err);

/*
 * Makes parts 0 .. count - 1 available to the *_to() adders (part 0
 * always is).  Call it before any concurrent add; it never removes parts.
 * Returns SG_OK or SG_ERR_NOMEM.
 */
int sg_model_set_parts(struct sg_model *m, unsigned count,
		       struct sg_error *err);

/* The adders above, adding to a part of the kind's records (see the file
 * comment); SG_ERR_INTERNAL for a part that was never made available. */
int sg_model_add_stage_event_to(struct sg_model *m, unsigned part,
				const struct sg_rec_stage_event *r,
				const struct sg_where *where,
				struct sg_error *err);
int sg_model_add_field_change_to(struct sg_model *m, unsigned part,
				 const struct sg_rec_field_change *r,
				 const struct sg_where *where,
				 struct sg_error *err);
int sg_model_add_activity_to(struct sg_model *m, unsigned part,
			     const struct sg_rec_activity *r,
			     const struct sg_where *where,
			     struct sg_error *err);
int sg_model_add_evidence_to(struct sg_model *m, unsigned part,
			     const struct sg_rec_evidence *r,
			     const struct sg_where *where,
			     struct sg_error *err);

int sg_model_add_owner(struct sg_model *m, const struct sg_rec_owner *r,
		       const struct sg_where *where, struct sg_error *err);
int sg_model_set_snapshot(struct sg_model *m, const struct sg_rec_snapshot *r,
			  struct sg_error *err);

/* Sorts, deduplicates and indexes; see the file comment. */
int sg_model_finish(struct sg_model *m, struct sg_error *err);

/* --- Read access after finish. --- */

struct sg_model_view {
	const struct sg_config *config;
	const struct sg_opportunity *opps;
	size_t opp_count;
	const struct sg_stage_event *events;  /* sorted (opp, changed_at, seq) */
	size_t event_count;
	const struct sg_field_change *changes; /* sorted (opp, changed_at, seq) */
	size_t change_count;
	const struct sg_activity *activities;  /* sorted (opp, occurred_at) */
	size_t activity_count;
	const struct sg_evidence *evidence;    /* sorted (opp, observed_at) */
	size_t evidence_count;
	const struct sg_extra *extras;
	size_t extra_count;
	const struct sg_owner *owners;
	size_t owner_count;
	int snapshot_present;
	sg_time snapshot_extracted_at;
	const char *snapshot_source;
	/* Records naming opportunity ids that were never emitted, ignored
	 * (DESIGN §10 rule 11). */
	size_t orphan_records;
	/* Identical stage-history rows collapsed (rule 12). */
	size_t duplicate_events;
};

void sg_model_view(const struct sg_model *m, struct sg_model_view *out);

/* The text of a symbol ("" for 0). */
const char *sg_model_str(const struct sg_model *m, sg_sym sym);

/* The symbol of a name (stage, user, field, criterion...) if it was ever
 * interned, else 0.  Opportunity ids are not names. */
sg_sym sg_model_lookup(const struct sg_model *m, const char *text);

/* The owner record with this id, or NULL. */
const struct sg_owner *sg_model_owner(const struct sg_model *m, sg_sym id);

/* The opportunity with this id, as the model holds it (trimmed), or
 * NULL. */
const struct sg_opportunity *sg_model_opportunity(const struct sg_model *m,
						  const char *id);

/*
 * The current value of a named opportunity field (a model field such as
 * "amount" or "next_step", or an extra field), as text; NULL when no file
 * has that field.  Times are written as ISO-8601 UTC into scratch (at
 * least SG_TIME_ISO_SIZE bytes).
 */
const char *sg_model_field_value(const struct sg_model *m,
				 const struct sg_opportunity *opp,
				 const char *field, char *scratch);

/*
 * The value of field at instant t under DESIGN §10 rule 21: with any
 * change of that field in field history, the new_value of the last change
 * at or before t, else the old_value of the first change after t; with no
 * change, the current value (sg_model_field_value()).
 */
const char *sg_model_field_value_at(const struct sg_model *m,
				    const struct sg_opportunity *opp,
				    const char *field, sg_time t,
				    char *scratch);

/* Nonzero when some opportunity record carried this field (a column). */
int sg_model_has_field(const struct sg_model *m, const char *field);

#endif
