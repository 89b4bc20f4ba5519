/*
 * sg_plugin_records.h - the records a source plugin emits (DESIGN §3),
 * and the text forms of their enumerations.  Part of the plugin ABI:
 * include sg_plugin.h, which includes this.
 */
#ifndef SG_PLUGIN_RECORDS_H
#define SG_PLUGIN_RECORDS_H

#include <stddef.h>

#include "util/sg_time.h"

/* --- Records a source emits (DESIGN §3).  Strings are NUL-terminated
 * UTF-8, never NULL (use "" for absent).  Times are UTC seconds, or
 * SG_TIME_NONE when absent.  `where` names the input position for error
 * messages (may be NULL). --- */

struct sg_where {
	const char *path;       /* file or URL */
	long line;              /* 0 when unknown */
};

struct sg_field {
	const char *name;
	const char *value;
};

struct sg_rec_opportunity {
	const char *id, *name, *pipeline, *stage, *owner_id;
	const char *amount;     /* plain decimal text, or a missing value */
	const char *currency;
	sg_time close_date, created_at, next_step_date;
	const char *forecast_category, *next_step;
	const struct sg_field *extra; /* any other field */
	size_t extra_count;
};

struct sg_rec_stage_event {
	const char *opportunity_id;
	const char *from_stage;  /* "" when not given */
	const char *to_stage;
	sg_time changed_at;
	const char *changed_by, *source;
};

struct sg_rec_field_change {
	const char *opportunity_id, *field, *old_value, *new_value;
	sg_time changed_at;
};

enum sg_activity_type {
	SG_ACT_OTHER = 0, SG_ACT_EMAIL, SG_ACT_CALL, SG_ACT_MEETING,
	SG_ACT_NOTE, SG_ACT_TASK, SG_ACT_DOCUMENT
};

enum sg_party {
	SG_PARTY_NONE = 0,     /* activity without a party: neither side */
	SG_PARTY_BUYER,
	SG_PARTY_SELLER,
	SG_PARTY_SYSTEM,
	SG_PARTY_UNKNOWN       /* evidence with an empty party */
};

struct sg_rec_activity {
	const char *id, *opportunity_id;
	int type;               /* enum sg_activity_type */
	int party;              /* enum sg_party */
	sg_time occurred_at;
	const char *actor, *subject;
};

/*
 * The text forms of the two enumerations (DESIGN §10 rule 8), shared by
 * every reader of them: trimmed by the caller, compared ignoring ASCII
 * case.  An activity party is buyer, seller, system or empty (none); an
 * evidence party buyer, seller, unknown or empty (unknown).  Returns 0
 * with *party set, or -1 when the text names no party of that set.
 */
static inline int sg_text_is(const char *text, size_t len, const char *word)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (word[i] == '\0')
			return 0;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return 0;
	}
	return word[len] == '\0';
}

static inline int sg_party_from_text(const char *text, size_t len,
				     int evidence, int *party)
{
	if (len == 0)
		*party = evidence ? SG_PARTY_UNKNOWN : SG_PARTY_NONE;
	else if (sg_text_is(text, len, "buyer"))
		*party = SG_PARTY_BUYER;
	else if (sg_text_is(text, len, "seller"))
		*party = SG_PARTY_SELLER;
	else if (!evidence && sg_text_is(text, len, "system"))
		*party = SG_PARTY_SYSTEM;
	else if (evidence && sg_text_is(text, len, "unknown"))
		*party = SG_PARTY_UNKNOWN;
	else
		return -1;
	return 0;
}

/* What sg_party_from_text() accepts, for a message. */
static inline const char *sg_party_expected(int evidence)
{
	return evidence ? "buyer, seller, unknown or empty" :
			  "buyer, seller, system or empty";
}

/* An activity type; any other text is SG_ACT_OTHER. */
static inline int sg_activity_type_from_text(const char *text, size_t len)
{
	static const char *const names[] = {
		"other", "email", "call", "meeting", "note", "task", "document"
	};
	int type;

	for (type = SG_ACT_EMAIL; type <= SG_ACT_DOCUMENT; type++)
		if (sg_text_is(text, len, names[type]))
			return type;
	return SG_ACT_OTHER;
}

struct sg_rec_evidence {
	const char *opportunity_id, *criterion, *value;
	int party;              /* enum sg_party: BUYER, SELLER or UNKNOWN */
	sg_time observed_at;
	const char *ref;
};

struct sg_rec_owner {
	const char *id, *name, *email, *manager_id, *team;
};

struct sg_rec_snapshot {
	sg_time extracted_at;
	const char *source;
};

#endif
