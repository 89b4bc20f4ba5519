/*
 * hubspot_engagements.c - a deal's activities and evidence from HubSpot:
 * the emails, calls, meetings, notes and tasks associated with the
 * pilot's deals, each given a party by the documented signals (the rule
 * is in docs/connectors/hubspot.md), and evidence from a custom object
 * associated with the deals or from deal properties whose history says
 * who gave the value.
 */
#include "hubspot_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What stageguard's own review tasks start with: never read back as a
 * seller's activity. */
#define HUBSPOT_TASK_MARK "stageguard review"

/* The engagement objects, in the order they are read. */
static const struct hubspot_kind {
	const char *object;
	int type;               /* enum sg_activity_type */
	const char *properties; /* asked for */
	const char *subject;    /* the property shown as the subject */
} hubspot_kinds[] = {
	{ "emails", SG_ACT_EMAIL, "hs_timestamp,hs_email_direction,"
	  "hs_email_subject,hs_email_from_email,hubspot_owner_id",
	  "hs_email_subject" },
	{ "calls", SG_ACT_CALL, "hs_timestamp,hs_call_direction,"
	  "hs_call_title,hubspot_owner_id", "hs_call_title" },
	{ "meetings", SG_ACT_MEETING, "hs_timestamp,hs_meeting_source,"
	  "hs_meeting_title,hubspot_owner_id", "hs_meeting_title" },
	{ "notes", SG_ACT_NOTE, "hs_timestamp,hs_object_source,"
	  "hubspot_owner_id", NULL },
	{ "tasks", SG_ACT_TASK, "hs_timestamp,hs_object_source,"
	  "hs_task_subject,hubspot_owner_id", "hs_task_subject" },
};

#define HUBSPOT_KINDS (sizeof(hubspot_kinds) / sizeof(hubspot_kinds[0]))

static const char *hubspot_text(json_t *obj, const char *property)
{
	const char *v = property != NULL ?
		json_string_value(json_object_get(json_object_get(
			obj, "properties"), property)) : NULL;

	return v != NULL ? v : "";
}

static int hubspot_is(const char *value, const char *word)
{
	return strcmp(value, word) == 0;
}

/*
 * Who an engagement comes from: the buyer when it came in (an email
 * received, an inbound call, a meeting booked through the public
 * meetings link, a forwarded email from someone who is no owner); the
 * system when an automation or integration logged a note or task; else
 * the seller who logged it.
 */
static int hubspot_party(const struct hubspot_state *s, int type, json_t *o)
{
	const char *v;

	switch (type) {
	case SG_ACT_EMAIL:
		v = hubspot_text(o, "hs_email_direction");
		if (hubspot_is(v, "INCOMING_EMAIL"))
			return SG_PARTY_BUYER;
		if (hubspot_is(v, "FORWARDED_EMAIL"))
			return json_object_get(s->owner_emails, hubspot_text(
				o, "hs_email_from_email")) != NULL ?
			       SG_PARTY_SELLER : SG_PARTY_BUYER;
		return SG_PARTY_SELLER;
	case SG_ACT_CALL:
		return hubspot_is(hubspot_text(o, "hs_call_direction"),
				  "INBOUND") ? SG_PARTY_BUYER :
					       SG_PARTY_SELLER;
	case SG_ACT_MEETING:
		return hubspot_is(hubspot_text(o, "hs_meeting_source"),
				  "MEETINGS_PUBLIC") ? SG_PARTY_BUYER :
						       SG_PARTY_SELLER;
	default:
		v = hubspot_text(o, "hs_object_source");
		return hubspot_is(v, "AUTOMATION") ||
		       hubspot_is(v, "INTEGRATION") ? SG_PARTY_SYSTEM :
						      SG_PARTY_SELLER;
	}
}

/* The pilot's deals an object is associated with (those emitted). */
static json_t *hubspot_deal_links(json_t *o)
{
	return json_object_get(json_object_get(json_object_get(
		o, "associations"), "deals"), "results");
}

/* A review task the sink wrote: never read back as activity. */
static int hubspot_own_task(const struct hubspot_kind *k, json_t *o)
{
	return k->type == SG_ACT_TASK &&
	       strncmp(hubspot_text(o, k->subject), HUBSPOT_TASK_MARK,
		       strlen(HUBSPOT_TASK_MARK)) == 0;
}

int hubspot_is_own_task(size_t kind, json_t *o)
{
	return hubspot_own_task(&hubspot_kinds[kind], o);
}

const char *hubspot_kind_subject(size_t kind)
{
	return hubspot_kinds[kind].subject;
}

static int hubspot_emit_activity(struct hubspot_state *s,
				 const struct hubspot_kind *k, json_t *o,
				 struct sg_error *err)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *subject = hubspot_text(o, k->subject);
	struct sg_rec_activity a;
	json_t *link;
	size_t i;
	int rc;

	if (id == NULL)
		return sg_error_set(err, SG_ERR_SOURCE, "%s, page "
				    "%u: a record without an id", k->object,
				    s->page + 1);
	if (hubspot_own_task(k, o))
		return SG_OK;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.type = k->type;
	a.party = hubspot_party(s, k->type, o);
	a.actor = hubspot_text(o, k->type == SG_ACT_EMAIL ?
			       "hs_email_from_email" : "hubspot_owner_id");
	a.subject = subject;
	rc = hubspot_time(hubspot_text(o, "hs_timestamp"), &a.occurred_at,
			  err);
	if (rc != SG_OK)
		return sg_error_prefix(err, "%s %s: hs_timestamp: ",
				       k->object, id);
	json_array_foreach(hubspot_deal_links(o), i, link) {
		a.opportunity_id = json_string_value(json_object_get(link,
								     "id"));
		if (a.opportunity_id == NULL ||
		    json_object_get(s->deals, a.opportunity_id) == NULL)
			continue;
		rc = s->host->emit_activity(s->host->ctx, &a, NULL, err);
		if (rc != SG_OK)
			return rc;
		sg_snapshot_activity(s->snapshot, &a);
	}
	return SG_OK;
}

size_t hubspot_kind_count(void)
{
	return HUBSPOT_KINDS;
}

const char *hubspot_kind_object(size_t kind)
{
	return hubspot_kinds[kind].object;
}

const char *hubspot_kind_properties(size_t kind)
{
	return hubspot_kinds[kind].properties;
}

int hubspot_emit_engagements(struct hubspot_state *s, size_t kind,
			     json_t *results, struct sg_error *err)
{
	size_t i;
	int rc = SG_OK;

	for (i = 0; i < json_array_size(results) && rc == SG_OK; i++)
		rc = hubspot_emit_activity(s, &hubspot_kinds[kind],
					   json_array_get(results, i), err);
	return rc;
}

static int hubspot_emit_activities(struct hubspot_state *s, json_t *results,
				   struct sg_error *err)
{
	return hubspot_emit_engagements(s, s->kind, results, err);
}

int hubspot_pull_activities(struct hubspot_state *s, struct sg_error *err)
{
	const struct hubspot_kind *k = &hubspot_kinds[s->kind];
	char path[64];
	const char *params[] = { "limit", "100", "archived", "false",
				 "properties", k->properties,
				 "associations", "deals" };
	int rc;

	snprintf(path, sizeof(path), "/crm/v3/objects/%s", k->object);
	rc = hubspot_list_page(s, path, params, 8, k->object,
			       hubspot_emit_activities, err);
	if (rc == 0 && s->kind + 1 < HUBSPOT_KINDS) {
		/* The next kind, from its first page. */
		s->kind++;
		s->page = 0;
		json_object_clear(s->seen_cursors);
		return 1;
	}
	return rc;
}

/* --- Evidence as a custom object. --- */

/* A member of the evidence_object option: the property holding it. */
static const char *hubspot_ev_prop(const struct hubspot_state *s,
				   const char *part)
{
	return json_string_value(json_object_get(s->evidence_object, part));
}

static int hubspot_emit_evidence_record(struct hubspot_state *s, json_t *o,
					struct sg_error *err)
{
	const char *party = hubspot_text(o, hubspot_ev_prop(s, "party"));
	const char *id = json_string_value(json_object_get(o, "id"));
	struct sg_rec_evidence e;
	json_t *link;
	size_t i;
	int rc;

	memset(&e, 0, sizeof(e));
	e.criterion = hubspot_text(o, hubspot_ev_prop(s, "criterion"));
	e.value = hubspot_text(o, hubspot_ev_prop(s, "value"));
	e.ref = hubspot_text(o, hubspot_ev_prop(s, "ref"));
	if (sg_party_from_text(party, strlen(party), 1, &e.party) != 0)
		return sg_error_set(err, SG_ERR_SOURCE, "evidence "
				    "%s: party \"%.40s\" is not one of %s",
				    id ? id : "?", party,
				    sg_party_expected(1));
	rc = hubspot_time(hubspot_text(o, hubspot_ev_prop(s, "observed_at")),
			  &e.observed_at, err);
	if (rc != SG_OK)
		return sg_error_prefix(err, "evidence %s: ",
				       id ? id : "?");
	json_array_foreach(hubspot_deal_links(o), i, link) {
		e.opportunity_id = json_string_value(json_object_get(link,
								     "id"));
		if (e.opportunity_id == NULL ||
		    json_object_get(s->deals, e.opportunity_id) == NULL)
			continue;
		rc = s->host->emit_evidence(s->host->ctx, &e, NULL, err);
		if (rc != SG_OK)
			return rc;
		sg_snapshot_evidence(s->snapshot, &e);
	}
	return SG_OK;
}

int hubspot_emit_evidence_records(struct hubspot_state *s, json_t *results,
				  struct sg_error *err)
{
	size_t i;
	int rc = SG_OK;

	for (i = 0; i < json_array_size(results) && rc == SG_OK; i++)
		rc = hubspot_emit_evidence_record(s, json_array_get(results, i),
						  err);
	return rc;
}

char *hubspot_evidence_fields(const struct hubspot_state *s)
{
	static const char *const parts[] = { "criterion", "value", "party",
					     "observed_at", "ref" };
	char *props = NULL;
	size_t i;

	for (i = 0; i < 5; i++)
		if (hubspot_ev_prop(s, parts[i]) != NULL &&
		    hubspot_list_add(&props, hubspot_ev_prop(s, parts[i])) != 0) {
			free(props);
			return NULL;
		}
	return props != NULL ? props : strdup("hs_object_id");
}

int hubspot_pull_evidence(struct hubspot_state *s, struct sg_error *err)
{
	char path[300], *props;
	const char *params[8];
	int rc;

	if (s->evidence_object == NULL)
		return 0;
	props = hubspot_evidence_fields(s);
	if (props == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	snprintf(path, sizeof(path), "/crm/v3/objects/%s",
		 hubspot_ev_prop(s, "object"));
	params[0] = "limit";
	params[1] = "100";
	params[2] = "properties";
	params[3] = props;
	params[4] = "associations";
	params[5] = "deals";
	rc = hubspot_list_page(s, path, params, 6, "evidence",
			       hubspot_emit_evidence_records, err);
	free(props);
	return rc;
}

/* --- Evidence as deal properties. --- */

/* Who set a property, from its history's source: a form the buyer filled
 * or the buyer's own email is the buyer; a person in the CRM the seller;
 * anything else unknown. */
static int hubspot_source_party(const char *source)
{
	if (hubspot_is(source, "FORM") || hubspot_is(source, "EMAIL"))
		return SG_PARTY_BUYER;
	if (hubspot_is(source, "CRM_UI") || hubspot_is(source, "MOBILE_IOS") ||
	    hubspot_is(source, "MOBILE_ANDROID"))
		return SG_PARTY_SELLER;
	return SG_PARTY_UNKNOWN;
}

int hubspot_emit_deal_evidence(struct hubspot_state *s, json_t *deal,
			       const char *id, struct sg_error *err)
{
	const char *criterion;
	json_t *property;
	int rc = SG_OK;

	json_object_foreach(s->evidence_properties, criterion, property) {
		json_t *hist = json_object_get(json_object_get(
			deal, "propertiesWithHistory"),
			json_string_value(property));
		size_t n = json_array_size(hist), i;

		for (i = n; i-- > 0 && rc == SG_OK;) {
			json_t *h = json_array_get(hist, i);
			const char *value = json_string_value(json_object_get(
				h, "value"));
			const char *source = json_string_value(
				json_object_get(h, "sourceType"));
			struct sg_rec_evidence e;

			memset(&e, 0, sizeof(e));
			e.opportunity_id = id;
			e.criterion = criterion;
			e.value = value != NULL ? value : "";
			e.party = hubspot_source_party(source ? source : "");
			e.ref = json_string_value(property);
			rc = hubspot_time(json_string_value(json_object_get(
				h, "timestamp")), &e.observed_at, err);
			if (rc == SG_OK)
				rc = s->host->emit_evidence(s->host->ctx, &e,
							    NULL, err);
			if (rc == SG_OK)
				sg_snapshot_evidence(s->snapshot, &e);
		}
		if (rc != SG_OK)
			return sg_error_prefix(err, "deal %s, %s "
					       "history: ", id,
					       json_string_value(property));
	}
	return rc;
}
