/*
 * sg_redact.h - the records a source emits, with the registered secrets
 * (sg_secrets.h) redacted before the model and the kept inputs see them,
 * so no ledger text, report or bundle made from them can show one.
 *
 * Each call returns the record to use: r itself when no secret is
 * registered or none occurs in it (the common case costs one atomic
 * load), else copy, filled with r's values and redacted texts owned by
 * red.  Release red after the record was used.  red->failed is set when
 * memory ran out (the record returned is then r's copy, unredacted: the
 * caller must not use it).
 */
#ifndef SG_REDACT_H
#define SG_REDACT_H

#include "sg_plugin.h"

struct sg_redacted {
	char **texts;
	size_t count, cap;
	struct sg_field *extra;
	int failed;
};

const struct sg_rec_opportunity *
sg_redact_opportunity(const struct sg_rec_opportunity *r,
		      struct sg_rec_opportunity *copy,
		      struct sg_redacted *red);
const struct sg_rec_stage_event *
sg_redact_stage_event(const struct sg_rec_stage_event *r,
		      struct sg_rec_stage_event *copy,
		      struct sg_redacted *red);
const struct sg_rec_field_change *
sg_redact_field_change(const struct sg_rec_field_change *r,
		       struct sg_rec_field_change *copy,
		       struct sg_redacted *red);
const struct sg_rec_activity *
sg_redact_activity(const struct sg_rec_activity *r,
		   struct sg_rec_activity *copy, struct sg_redacted *red);
const struct sg_rec_evidence *
sg_redact_evidence(const struct sg_rec_evidence *r,
		   struct sg_rec_evidence *copy, struct sg_redacted *red);
const struct sg_rec_owner *
sg_redact_owner(const struct sg_rec_owner *r, struct sg_rec_owner *copy,
		struct sg_redacted *red);
const struct sg_rec_snapshot *
sg_redact_snapshot(const struct sg_rec_snapshot *r,
		   struct sg_rec_snapshot *copy, struct sg_redacted *red);
const struct sg_where *sg_redact_where(const struct sg_where *w,
				       struct sg_where *copy,
				       struct sg_redacted *red);

/* Frees what red holds.  Accepts a zeroed red. */
void sg_redacted_release(struct sg_redacted *red);

#endif
