/*
 * sg_exception.h - one exception: its type and verdict (DESIGN §5), its
 * routing (§6), its review note, its JSON object (§8), and the record
 * the ledger keeps of it.
 */
#ifndef SG_EXCEPTION_H
#define SG_EXCEPTION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_model.h"

enum sg_exception_type {
	SG_EX_MISSING_EVIDENCE = 0,
	SG_EX_REQUIRED_FIELD,
	SG_EX_SKIPPED_STAGE,
	SG_EX_REGRESSION,
	SG_EX_SELLER_ONLY,
	SG_EX_FORECAST_IMPACT,
	SG_EX_STAGE_AGE,
	SG_EX_NO_NEXT_STEP,
	SG_EX_DATA_QUALITY,
	SG_EX_TYPE_COUNT
};

/* Verdicts in rising severity. */
enum sg_verdict {
	SG_VERDICT_ALLOW = 0,
	SG_VERDICT_FLAG,
	SG_VERDICT_REVIEW,
	SG_VERDICT_BLOCK,
	SG_VERDICT_PAUSE
};

/* Contract names: "missing_evidence", ...; "flag", "review", ... */
const char *sg_exception_type_name(int type);
const char *sg_verdict_name(int verdict);
/* The type with this name, or -1. */
int sg_exception_type_from_name(const char *name);
/* The verdict of a type (fixed by the contract). */
int sg_exception_type_verdict(int type);

#define SG_EXCEPTION_ID_SIZE 17 /* 16 hex digits and NUL */

/* Dump exception JSON with JSON_REAL_PRECISION(15) (or these flags) so
 * that age_days prints with one decimal (20.3, not 20.300000000000001). */
#define SG_EXCEPTION_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

enum sg_next_step_reason { SG_NNS_MISSING = 1, SG_NNS_OVERDUE = 2 };

/* Fields are ordered and sized, and the details of the types share their
 * room, so that an exception takes 80 bytes: the measures' replay holds
 * every exception of the history at once (4.3 million at a million
 * opportunities).  Read a detail only for its type. */
struct sg_exception {
	char id[SG_EXCEPTION_ID_SIZE];
	uint8_t type;           /* enum sg_exception_type */
	uint8_t verdict;        /* enum sg_verdict */
	uint8_t is_move;        /* judges a stage event (from/to/event_at) */
	uint8_t next_step_reason; /* no_next_step: enum sg_next_step_reason */
	uint32_t opp;           /* index into the model's opportunities */
	sg_sym from_stage;      /* 0: null (creation, or not a move) */
	sg_sym to_stage;        /* 0: null (not a move) */
	sg_sym stage;           /* to_stage for moves, current stage else
				   (0 when never interned: the opportunity's
				   stage text is the current stage) */
	sg_time event_at;       /* changed_at, entered time, or as-of */

	/* Details, by type. */
	union {
		/* missing_evidence: list is missing[] and list2 present[]
		 * (indices into config->criteria); required_field: list
		 * is fields[] (indices into the to-stage's
		 * required_fields); skipped_stage: list is skipped[]
		 * (stage indices). */
		struct {
			uint32_t *list;
			uint32_t *list2;
			uint32_t list_count;
			uint32_t list2_count;
		};
		/* forecast_impact */
		struct {
			const char *from_category, *to_category; /* config's;
								    NULL: none */
			const char *amount;     /* at the move; NULL when
						   missing; held by the
						   list */
			const char *currency;   /* at the move; NULL when
						   missing */
		};
		/* stage_age */
		struct {
			int64_t age_tenths;     /* age in tenths of a day */
			double max_age_days;    /* the limit applied */
		};
		uint32_t seller_activities;     /* seller_only */
		unsigned dq_reasons;            /* data_quality: bit i is
						   enum sg_dq_reason i */
	};
};

/* Routing of one exception (DESIGN §6). */
struct sg_routing {
	const char *assignee;   /* owner's manager, else the default */
	sg_time detected_at;
	sg_time due_at;         /* detected_at + review.sla_hours */
};

void sg_exception_route(const struct sg_exception *ex,
			const struct sg_model *model, sg_time detected_at,
			struct sg_routing *out);

/*
 * Writes the review note: a few plain sentences a manager can act on
 * without the CRM open.  Returns a malloc'd string, or NULL on memory.
 */
char *sg_exception_note(const struct sg_exception *ex,
			const struct sg_model *model, sg_time as_of);

/*
 * Builds the JSON object of DESIGN §8 (id, type, verdict, opportunity_id,
 * owner_id, assignee, from_stage, to_stage, stage, event_at, detected_at,
 * due_at, the detail fields of the type, note).  Returns a new reference
 * or NULL on memory.
 */
json_t *sg_exception_to_json(const struct sg_exception *ex,
			     const struct sg_model *model,
			     const struct sg_routing *routing, sg_time as_of);

/*
 * Appends the exception as one JSON line: the bytes json_dumps() gives
 * for sg_exception_to_json() with SG_EXCEPTION_JSON_FLAGS, then a line
 * feed, written without building the object.  *text is a malloc'd buffer
 * of *cap bytes holding *len bytes (NULL, 0, 0 to start), grown as
 * needed; the caller frees it.  Returns SG_OK, or SG_ERR_NOMEM when
 * memory ran out or sg_exception_to_json() would fail (*len unchanged).
 */
int sg_exception_append_jsonl(char **text, size_t *len, size_t *cap,
			      const struct sg_exception *ex,
			      const struct sg_model *model,
			      const struct sg_routing *routing,
			      sg_time as_of);

/*
 * An exception as the ledger keeps it: the members of its JSON object
 * (DESIGN §8) as typed fields.  Strings are borrowed; NULL stands for
 * null.  details is the JSON object of the type's own members, in the
 * order of §8 ("{}" for a type without any), e.g.
 * {"missing":["pain_confirmed"],"present":[]}.
 */
struct sg_exception_record {
	const char *id, *type, *verdict;
	const char *opportunity_id, *opportunity_name, *owner_id, *assignee;
	const char *from_stage, *to_stage, *stage;
	sg_time event_at, detected_at, due_at;
	const char *details;
	const char *note;
};

/* A growing text that a record's strings are written into. */
struct sg_text {
	char *s;
	size_t len, cap;
};

/* Frees the text and empties it; accepts NULL and a zeroed text. */
void sg_text_release(struct sg_text *t);

/* Appends n bytes of s, keeping out NUL-terminated: SG_OK or
 * SG_ERR_NOMEM (out unchanged). */
int sg_text_append(struct sg_text *out, const char *s, size_t n);

/* Appends s as a JSON string escaped as jansson's json_dumps() escapes
 * it, or null for NULL: SG_OK, SG_ERR_NOMEM, or SG_ERR_PARSE when s is
 * not UTF-8, which jansson would refuse (out unchanged on failure). */
int sg_text_append_json_string(struct sg_text *out, const char *s);

/*
 * Fills rec with the exception as of as_of, routed by routing.  The
 * details and the note are written into scratch (emptied first) and rec
 * points into it and into the model, so rec is valid until scratch
 * changes or the model is freed.  Returns SG_OK, SG_ERR_NOMEM, or
 * SG_ERR_PARSE when a text of the model is not UTF-8 (the JSON could not
 * hold it).
 */
int sg_exception_record_fill(struct sg_exception_record *rec,
			     struct sg_text *scratch,
			     const struct sg_exception *ex,
			     const struct sg_model *model,
			     const struct sg_routing *routing, sg_time as_of);

/*
 * Appends the record's JSON object (DESIGN §8, compact, the bytes of
 * `check --format jsonl` without the line feed) to out, which stays
 * NUL-terminated.  Returns SG_OK,
 * SG_ERR_NOMEM, or SG_ERR_PARSE when details is not a JSON object's text
 * or a text is not UTF-8.
 */
int sg_exception_record_append_json(struct sg_text *out,
				    const struct sg_exception_record *rec);

#endif
