/*
 * sg_redact.c - emitted records with secrets redacted (see sg_redact.h).
 */
#include "sg_redact.h"

#include <stdlib.h>
#include <string.h>

#include "sg_secrets.h"

/* Replaces *text with a redacted copy when it holds a secret. */
static void redact_text(struct sg_redacted *red, const char **text)
{
	size_t len, size;
	char *out;

	if (*text == NULL || red->failed)
		return;
	len = strlen(*text);
	if (!sg_secrets_found(*text, len))
		return;
	if (red->count == red->cap) {
		size_t cap = red->cap ? red->cap * 2 : 8;
		char **grown = realloc(red->texts, cap * sizeof(*grown));

		if (grown == NULL) {
			red->failed = 1;
			return;
		}
		red->texts = grown;
		red->cap = cap;
	}
	/* Each secret is at least SG_SECRET_MIN bytes and becomes the
	 * mark: this bounds the growth. */
	size = len / SG_SECRET_MIN * sizeof(SG_SECRET_MARK) + len + 1;
	out = malloc(size);
	if (out == NULL) {
		red->failed = 1;
		return;
	}
	sg_secrets_redact(*text, out, size);
	red->texts[red->count++] = out;
	*text = out;
}

static void redact_texts(struct sg_redacted *red, const char **texts[],
			 size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		redact_text(red, texts[i]);
}

#define REDACT(red, ...)                                                  \
	do {                                                              \
		const char **texts_[] = { __VA_ARGS__ };                  \
		redact_texts((red), texts_,                               \
			     sizeof(texts_) / sizeof(texts_[0]));         \
	} while (0)

static void redact_extra(struct sg_redacted *red,
			 const struct sg_field **extra, size_t count)
{
	struct sg_field *copy;
	size_t i;

	if (count == 0 || red->failed)
		return;
	copy = malloc(count * sizeof(*copy));
	if (copy == NULL) {
		red->failed = 1;
		return;
	}
	memcpy(copy, *extra, count * sizeof(*copy));
	for (i = 0; i < count; i++)
		REDACT(red, &copy[i].name, &copy[i].value);
	red->extra = copy;
	*extra = copy;
}

const struct sg_rec_opportunity *
sg_redact_opportunity(const struct sg_rec_opportunity *r,
		      struct sg_rec_opportunity *copy,
		      struct sg_redacted *red)
{
	if (sg_secrets_count() == 0)
		return r;
	*copy = *r;
	REDACT(red, &copy->id, &copy->name, &copy->pipeline, &copy->stage,
	       &copy->owner_id, &copy->amount, &copy->currency,
	       &copy->forecast_category, &copy->next_step);
	redact_extra(red, &copy->extra, copy->extra_count);
	return copy;
}

const struct sg_rec_stage_event *
sg_redact_stage_event(const struct sg_rec_stage_event *r,
		      struct sg_rec_stage_event *copy,
		      struct sg_redacted *red)
{
	if (sg_secrets_count() == 0)
		return r;
	*copy = *r;
	REDACT(red, &copy->opportunity_id, &copy->from_stage,
	       &copy->to_stage, &copy->changed_by, &copy->source);
	return copy;
}

const struct sg_rec_field_change *
sg_redact_field_change(const struct sg_rec_field_change *r,
		       struct sg_rec_field_change *copy,
		       struct sg_redacted *red)
{
	if (sg_secrets_count() == 0)
		return r;
	*copy = *r;
	REDACT(red, &copy->opportunity_id, &copy->field, &copy->old_value,
	       &copy->new_value);
	return copy;
}

const struct sg_rec_activity *
sg_redact_activity(const struct sg_rec_activity *r,
		   struct sg_rec_activity *copy, struct sg_redacted *red)
{
	if (sg_secrets_count() == 0)
		return r;
	*copy = *r;
	REDACT(red, &copy->id, &copy->opportunity_id, &copy->actor,
	       &copy->subject);
	return copy;
}

const struct sg_rec_evidence *
sg_redact_evidence(const struct sg_rec_evidence *r,
		   struct sg_rec_evidence *copy, struct sg_redacted *red)
{
	if (sg_secrets_count() == 0)
		return r;
	*copy = *r;
	REDACT(red, &copy->opportunity_id, &copy->criterion, &copy->value,
	       &copy->ref);
	return copy;
}

const struct sg_rec_owner *
sg_redact_owner(const struct sg_rec_owner *r, struct sg_rec_owner *copy,
		struct sg_redacted *red)
{
	if (sg_secrets_count() == 0)
		return r;
	*copy = *r;
	REDACT(red, &copy->id, &copy->name, &copy->email, &copy->manager_id,
	       &copy->team);
	return copy;
}

const struct sg_rec_snapshot *
sg_redact_snapshot(const struct sg_rec_snapshot *r,
		   struct sg_rec_snapshot *copy, struct sg_redacted *red)
{
	if (sg_secrets_count() == 0)
		return r;
	*copy = *r;
	REDACT(red, &copy->source);
	return copy;
}

const struct sg_where *sg_redact_where(const struct sg_where *w,
				       struct sg_where *copy,
				       struct sg_redacted *red)
{
	if (w == NULL || sg_secrets_count() == 0)
		return w;
	*copy = *w;
	REDACT(red, &copy->path);
	return copy;
}

void sg_redacted_release(struct sg_redacted *red)
{
	size_t i;

	for (i = 0; i < red->count; i++)
		free(red->texts[i]);
	free(red->texts);
	free(red->extra);
	memset(red, 0, sizeof(*red));
}
