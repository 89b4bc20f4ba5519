/*
 * sg_gate.c - one proposed stage move judged with the checks of DESIGN §5
 * (`stageguard gate`, §8).  The input is read into the same model the
 * sources fill, so the gate and the daily check can never disagree on a
 * rule: the gate only chooses which exceptions decide.
 */
#include "sg_gate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/sg_canonical.h"
#include "util/sg_decimal.h"
#include "util/sg_missing.h"

/* What one input is being read with. */
struct gate_in {
	const struct sg_config *config;
	const char *name;       /* the input in messages */
	struct sg_error *err;
	struct sg_model *model;
	const char *opp_id;     /* trimmed copy in opp_id_buf */
	char *opp_id_buf;
	sg_time at;
};

/* The keys of the input itself; the keys of its records are the columns
 * of the canonical files (sg_canonical.h). */
static const char *const gate_top_keys[] = {
	"opportunity", "history", "evidence", "activities", "owners",
	"field_history", "to_stage", "at", NULL
};

/* For gate_record(): a record that may hold any key. */
#define GATE_ANY_KEY (-1)

/* Fails with a message that starts with the JSON path (path.key). */
static int gate_bad(struct gate_in *g, const char *path, const char *key,
		    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int gate_bad(struct gate_in *g, const char *path, const char *key,
		    const char *fmt, ...)
{
	char msg[SG_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sg_error_set_at(g->err, SG_ERR_PARSE, g->name, 0, 0,
			       "%s%s%s: %s", path, key ? "." : "",
			       key ? key : "", msg);
}

static int gate_nomem(struct gate_in *g)
{
	return sg_error_set(g->err, SG_ERR_NOMEM, "out of memory");
}

static int gate_in_list(const char *key, const char *const *keys)
{
	size_t i;

	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* "a, b, c" for an unknown-key message. */
static void gate_join(const char *const *keys, char *buf, size_t size)
{
	size_t used = 0, i;

	buf[0] = '\0';
	for (i = 0; keys[i] != NULL && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s",
				 i ? ", " : "", keys[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/*
 * Checks a record's keys against the columns of canonical file (an enum
 * sg_canonical_file, or GATE_ANY_KEY) and turns every scalar value into a
 * string, so that the readers below see strings only: numbers as written
 * by the shortest exact form jansson keeps (integers exactly, reals with
 * 15 significant digits), true/false as words, null as "".  An object or
 * array value is refused.
 */
static int gate_record(struct gate_in *g, json_t *obj, const char *path,
		       int file)
{
	void *it;

	for (it = json_object_iter(obj); it != NULL;
	     it = json_object_iter_next(obj, it)) {
		const char *key = json_object_iter_key(it);
		json_t *v = json_object_iter_value(it);
		char num[64], list[256];
		const char *text;

		if (file != GATE_ANY_KEY &&
		    sg_canonical_find_column(file, key) < 0) {
			sg_canonical_column_names(file, list, sizeof(list));
			return gate_bad(g, path, key, "unknown key (expected "
					"one of: %s)", list);
		}
		switch (json_typeof(v)) {
		case JSON_STRING:
			continue;
		case JSON_INTEGER:
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			text = num;
			break;
		case JSON_REAL:
			snprintf(num, sizeof(num), "%.15g",
				 json_real_value(v));
			text = num;
			break;
		case JSON_TRUE:
			text = "true";
			break;
		case JSON_FALSE:
			text = "false";
			break;
		case JSON_NULL:
			text = "";
			break;
		default:
			return gate_bad(g, path, key, "expected a string, a "
					"number or null, not %s",
					json_is_object(v) ? "an object" :
					"an array");
		}
		if (json_object_iter_set_new(obj, it, json_string(text)) != 0)
			return gate_nomem(g);
	}
	return SG_OK;
}

/* A member's text after gate_record(): "" when absent. */
static const char *gate_get(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

/* Nonzero when the member is absent or empty after trimming. */
static int gate_empty(const json_t *obj, const char *key)
{
	const char *s = gate_get(obj, key);
	size_t len = strlen(s);

	sg_trim(s, &len);
	return len == 0;
}

/* A required text member: present and not empty after trimming. */
static int gate_required(struct gate_in *g, const json_t *obj,
			 const char *path, const char *key, const char **out)
{
	if (json_object_get(obj, key) == NULL)
		return gate_bad(g, path, key, "missing (it is required)");
	if (gate_empty(obj, key))
		return gate_bad(g, path, key, "empty (it is required)");
	*out = gate_get(obj, key);
	return SG_OK;
}

/*
 * A time member (DESIGN §10 rules 2-3).  An optional time that is empty
 * or missing by the §4 rule is absent; a required one must be there; any
 * other text must parse.
 */
static int gate_time(struct gate_in *g, const json_t *obj, const char *path,
		     const char *key, int required, sg_time *out)
{
	const char *s = gate_get(obj, key), *t;
	size_t len = strlen(s);
	struct sg_error terr;

	*out = SG_TIME_NONE;
	t = sg_trim(s, &len);
	if (len == 0) {
		if (!required)
			return SG_OK;
		return gate_bad(g, path, key, "%s (it is required)",
				json_object_get(obj, key) ? "empty" :
				"missing");
	}
	if (!required &&
	    sg_value_is_missing(t, len, &g->config->placeholders, 0))
		return SG_OK;
	sg_error_clear(&terr);
	if (sg_time_parse_iso(out, t, len, 0, 0, &terr) != SG_OK)
		return gate_bad(g, path, key, "%s", terr.message);
	return SG_OK;
}

/* A party as the csv source reads it (DESIGN §10 rule 8): activities take
 * buyer, seller, system or empty; evidence buyer, seller, unknown or
 * empty. */
static int gate_party(struct gate_in *g, const json_t *obj, const char *path,
		      int evidence, int *out)
{
	const char *s = gate_get(obj, "party"), *t;
	size_t len = strlen(s);

	t = sg_trim(s, &len);
	if (sg_party_from_text(t, len, evidence, out) != 0)
		return gate_bad(g, path, "party", "unknown party \"%.60s\" "
				"(expected %s)", s, sg_party_expected(evidence));
	return SG_OK;
}

/* An activity type; an unknown type is `other` (rule 8). */
static int gate_activity_type(const json_t *obj)
{
	const char *s = gate_get(obj, "type"), *t;
	size_t len = strlen(s);

	t = sg_trim(s, &len);
	return sg_activity_type_from_text(t, len);
}

/* A record's own opportunity_id, when given, must name the opportunity. */
static int gate_same_opp(struct gate_in *g, const json_t *obj,
			 const char *path)
{
	const char *s = gate_get(obj, "opportunity_id"), *t;
	size_t len = strlen(s);

	t = sg_trim(s, &len);
	if (len == 0)
		return SG_OK;
	if (len == strlen(g->opp_id) && memcmp(t, g->opp_id, len) == 0)
		return SG_OK;
	return gate_bad(g, path, "opportunity_id", "\"%.60s\" is not the "
			"opportunity judged (\"%.60s\"); leave it out",
			s, g->opp_id);
}

/* The elements of an optional array member; NULL when absent or null. */
static int gate_array(struct gate_in *g, json_t *root, const char *key,
		      json_t **out)
{
	json_t *a = json_object_get(root, key);

	*out = NULL;
	if (a == NULL || json_is_null(a))
		return SG_OK;
	if (!json_is_array(a))
		return gate_bad(g, "$", key, "expected an array");
	*out = a;
	return SG_OK;
}

/* Element i of an array member, checked to be an object whose keys are
 * columns of canonical file, and normalized; path receives "$.key[i]". */
static int gate_element(struct gate_in *g, json_t *array, const char *key,
			size_t i, int file, char *path, size_t path_size,
			json_t **out)
{
	json_t *e = json_array_get(array, i);

	snprintf(path, path_size, "$.%s[%zu]", key, i);
	if (!json_is_object(e))
		return gate_bad(g, path, NULL, "expected an object");
	*out = e;
	return gate_record(g, e, path, file);
}

/* Reads a history entry (without adding it). */
static int gate_event(struct gate_in *g, const json_t *e, const char *path,
		      struct sg_rec_stage_event *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = gate_same_opp(g, e, path);
	if (rc == SG_OK)
		rc = gate_required(g, e, path, "to_stage", &r->to_stage);
	if (rc == SG_OK)
		rc = gate_time(g, e, path, "changed_at", 1, &r->changed_at);
	if (rc != SG_OK)
		return rc;
	r->opportunity_id = g->opp_id;
	r->from_stage = gate_get(e, "from_stage");
	r->changed_by = gate_get(e, "changed_by");
	r->source = gate_get(e, "source");
	return SG_OK;
}

/* Trimmed text equality. */
static int gate_same_text(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	a = sg_trim(a, &la);
	b = sg_trim(b, &lb);
	return la == lb && memcmp(a, b, la) == 0;
}

/*
 * Reads the history: checks every entry and finds the current stage by
 * history (the to_stage of the latest entry, later entries winning ties,
 * as the model sorts); *last is NULL for an empty history.
 */
static int gate_scan_history(struct gate_in *g, json_t *history,
			     const char **last)
{
	struct sg_rec_stage_event r;
	sg_time latest = SG_TIME_NONE;
	char path[64];
	size_t i;
	int rc;

	*last = NULL;
	for (i = 0; history != NULL && i < json_array_size(history); i++) {
		json_t *e;

		rc = gate_element(g, history, "history", i,
				  SG_CANON_STAGE_HISTORY, path, sizeof(path),
				  &e);
		if (rc == SG_OK)
			rc = gate_event(g, e, path, &r);
		if (rc != SG_OK)
			return rc;
		if (*last == NULL || r.changed_at >= latest) {
			latest = r.changed_at;
			*last = r.to_stage;
		}
	}
	return SG_OK;
}

/* An amount: empty, a plain decimal, or missing by the rules (a
 * placeholder); anything else is an error (rule 3). */
static int gate_amount(struct gate_in *g, const json_t *o, const char **out)
{
	const char *s = gate_get(o, "amount"), *t;
	size_t len = strlen(s);
	struct sg_decimal d;
	struct sg_error terr;

	*out = s;
	t = sg_trim(s, &len);
	if (len == 0)
		return SG_OK;
	sg_error_clear(&terr);
	if (sg_decimal_parse(&d, t, len, &terr) == SG_OK ||
	    sg_value_is_missing(t, len, &g->config->placeholders, 1))
		return SG_OK;
	return gate_bad(g, "$.opportunity", "amount", "\"%.60s\" is not a "
			"plain decimal (digits, an optional point; no "
			"separators, symbols or exponent)", s);
}

/*
 * The stage the model holds as the opportunity's current stage after the
 * move: to_stage, unless the snapshot's own stage contradicts both the
 * history and the proposed move, in which case that stage is kept so that
 * the checks pause the move with stage_mismatch.
 */
static const char *gate_model_stage(const json_t *o, const char *last,
				    const char *to_stage)
{
	const char *given = gate_get(o, "stage");

	if (gate_empty(o, "stage") || gate_same_text(given, to_stage) ||
	    (last != NULL && gate_same_text(given, last)))
		return to_stage;
	return given;
}

static int gate_opportunity(struct gate_in *g, const json_t *o,
			    const char *stage)
{
	struct sg_rec_opportunity r;
	struct sg_field *extra = NULL;
	size_t n = 0;
	void *it;
	int rc;

	memset(&r, 0, sizeof(r));
	r.id = g->opp_id;
	r.name = gate_get(o, "name");
	r.pipeline = gate_get(o, "pipeline");
	r.stage = stage;
	r.owner_id = gate_get(o, "owner_id");
	r.currency = gate_get(o, "currency");
	r.forecast_category = gate_get(o, "forecast_category");
	r.next_step = gate_get(o, "next_step");
	rc = gate_amount(g, o, &r.amount);
	if (rc == SG_OK)
		rc = gate_time(g, o, "$.opportunity", "close_date", 0,
			       &r.close_date);
	if (rc == SG_OK)
		rc = gate_time(g, o, "$.opportunity", "created_at", 0,
			       &r.created_at);
	if (rc == SG_OK)
		rc = gate_time(g, o, "$.opportunity", "next_step_date", 0,
			       &r.next_step_date);
	if (rc != SG_OK)
		return rc;
	if (json_object_size(o) > 0) {
		extra = calloc(json_object_size(o), sizeof(*extra));
		if (extra == NULL)
			return gate_nomem(g);
	}
	/* Keys that are not model fields are extra fields (a segment...). */
	for (it = json_object_iter((json_t *)o); it != NULL;
	     it = json_object_iter_next((json_t *)o, it)) {
		const char *key = json_object_iter_key(it);

		if (sg_canonical_find_column(SG_CANON_OPPORTUNITIES, key) >= 0)
			continue;
		extra[n].name = key;
		extra[n].value = json_string_value(json_object_iter_value(it));
		n++;
	}
	r.extra = extra;
	r.extra_count = n;
	rc = sg_model_add_opportunity(g->model, &r, NULL, g->err);
	free(extra);
	return rc;
}

static int gate_add_history(struct gate_in *g, json_t *history)
{
	struct sg_rec_stage_event r;
	char path[64];
	size_t i;
	int rc;

	for (i = 0; history != NULL && i < json_array_size(history); i++) {
		json_t *e = json_array_get(history, i);

		snprintf(path, sizeof(path), "$.history[%zu]", i);
		rc = gate_event(g, e, path, &r);
		if (rc == SG_OK)
			rc = sg_model_add_stage_event(g->model, &r, NULL,
						      g->err);
		if (rc != SG_OK)
			return rc;
	}
	return SG_OK;
}

static int gate_add_evidence(struct gate_in *g, json_t *array)
{
	struct sg_rec_evidence r;
	char path[64];
	size_t i;
	int rc;

	for (i = 0; array != NULL && i < json_array_size(array); i++) {
		json_t *e;

		memset(&r, 0, sizeof(r));
		rc = gate_element(g, array, "evidence", i,
				  SG_CANON_EVIDENCE, path, sizeof(path), &e);
		if (rc == SG_OK)
			rc = gate_same_opp(g, e, path);
		if (rc == SG_OK)
			rc = gate_required(g, e, path, "criterion",
					   &r.criterion);
		if (rc == SG_OK)
			rc = gate_party(g, e, path, 1, &r.party);
		if (rc == SG_OK)
			rc = gate_time(g, e, path, "observed_at", 1,
				       &r.observed_at);
		if (rc != SG_OK)
			return rc;
		r.opportunity_id = g->opp_id;
		r.value = gate_get(e, "value");
		r.ref = gate_get(e, "ref");
		rc = sg_model_add_evidence(g->model, &r, NULL, g->err);
		if (rc != SG_OK)
			return rc;
	}
	return SG_OK;
}

static int gate_add_activities(struct gate_in *g, json_t *array)
{
	struct sg_rec_activity r;
	char path[64];
	size_t i;
	int rc;

	for (i = 0; array != NULL && i < json_array_size(array); i++) {
		json_t *e;

		memset(&r, 0, sizeof(r));
		rc = gate_element(g, array, "activities", i,
				  SG_CANON_ACTIVITIES, path, sizeof(path), &e);
		if (rc == SG_OK)
			rc = gate_same_opp(g, e, path);
		if (rc == SG_OK)
			rc = gate_party(g, e, path, 0, &r.party);
		if (rc == SG_OK)
			rc = gate_time(g, e, path, "occurred_at", 1,
				       &r.occurred_at);
		if (rc != SG_OK)
			return rc;
		r.id = gate_get(e, "id");
		r.opportunity_id = g->opp_id;
		r.type = gate_activity_type(e);
		r.actor = gate_get(e, "actor");
		r.subject = gate_get(e, "subject");
		rc = sg_model_add_activity(g->model, &r, NULL, g->err);
		if (rc != SG_OK)
			return rc;
	}
	return SG_OK;
}

static int gate_add_changes(struct gate_in *g, json_t *array)
{
	struct sg_rec_field_change r;
	char path[64];
	size_t i;
	int rc;

	for (i = 0; array != NULL && i < json_array_size(array); i++) {
		json_t *e;

		memset(&r, 0, sizeof(r));
		rc = gate_element(g, array, "field_history", i,
				  SG_CANON_FIELD_HISTORY, path, sizeof(path),
				  &e);
		if (rc == SG_OK)
			rc = gate_same_opp(g, e, path);
		if (rc == SG_OK)
			rc = gate_required(g, e, path, "field", &r.field);
		if (rc == SG_OK)
			rc = gate_time(g, e, path, "changed_at", 1,
				       &r.changed_at);
		if (rc != SG_OK)
			return rc;
		r.opportunity_id = g->opp_id;
		r.old_value = gate_get(e, "old_value");
		r.new_value = gate_get(e, "new_value");
		rc = sg_model_add_field_change(g->model, &r, NULL, g->err);
		if (rc != SG_OK)
			return rc;
	}
	return SG_OK;
}

static int gate_add_owners(struct gate_in *g, json_t *array)
{
	struct sg_rec_owner r;
	char path[64];
	size_t i;
	int rc;

	for (i = 0; array != NULL && i < json_array_size(array); i++) {
		json_t *e;

		memset(&r, 0, sizeof(r));
		rc = gate_element(g, array, "owners", i, SG_CANON_OWNERS,
				  path, sizeof(path), &e);
		if (rc == SG_OK)
			rc = gate_required(g, e, path, "id", &r.id);
		if (rc != SG_OK)
			return rc;
		r.name = gate_get(e, "name");
		r.email = gate_get(e, "email");
		r.manager_id = gate_get(e, "manager_id");
		r.team = gate_get(e, "team");
		rc = sg_model_add_owner(g->model, &r, NULL, g->err);
		if (rc != SG_OK)
			return rc;
	}
	return SG_OK;
}

/* A top-level text member (to_stage, at): a string, a number or null. */
static int gate_top_text(struct gate_in *g, json_t *root, const char *key,
			 const char **out)
{
	json_t *v = json_object_get(root, key);

	*out = "";
	if (v == NULL || json_is_null(v))
		return SG_OK;
	if (!json_is_string(v))
		return gate_bad(g, "$", key, "expected a string");
	*out = json_string_value(v);
	return SG_OK;
}

/* Checks the top level and reads opportunity id, to_stage and at. */
static int gate_top(struct gate_in *g, json_t *root, json_t **opp,
		    const char **to_stage, sg_time now)
{
	char list[256];
	const char *at, *t;
	size_t len;
	void *it;
	int rc;

	if (!json_is_object(root))
		return gate_bad(g, "$", NULL, "expected a JSON object with "
				"\"opportunity\" and \"to_stage\"");
	for (it = json_object_iter(root); it != NULL;
	     it = json_object_iter_next(root, it)) {
		const char *key = json_object_iter_key(it);

		if (gate_in_list(key, gate_top_keys))
			continue;
		gate_join(gate_top_keys, list, sizeof(list));
		return gate_bad(g, "$", key, "unknown key (expected one of: "
				"%s)", list);
	}
	*opp = json_object_get(root, "opportunity");
	if (*opp == NULL)
		return gate_bad(g, "$", "opportunity", "missing (it is "
				"required)");
	if (!json_is_object(*opp))
		return gate_bad(g, "$", "opportunity", "expected an object");
	rc = gate_record(g, *opp, "$.opportunity", GATE_ANY_KEY);
	if (rc == SG_OK)
		rc = gate_required(g, *opp, "$.opportunity", "id", &t);
	if (rc != SG_OK)
		return rc;
	len = strlen(t);
	t = sg_trim(t, &len);
	g->opp_id_buf = malloc(len + 1);
	if (g->opp_id_buf == NULL)
		return gate_nomem(g);
	memcpy(g->opp_id_buf, t, len);
	g->opp_id_buf[len] = '\0';
	g->opp_id = g->opp_id_buf;

	rc = gate_top_text(g, root, "to_stage", to_stage);
	if (rc != SG_OK)
		return rc;
	if (json_object_get(root, "to_stage") == NULL)
		return gate_bad(g, "$", "to_stage", "missing (it is "
				"required)");
	len = strlen(*to_stage);
	sg_trim(*to_stage, &len);
	if (len == 0)
		return gate_bad(g, "$", "to_stage", "empty (it is required)");

	rc = gate_top_text(g, root, "at", &at);
	if (rc != SG_OK)
		return rc;
	len = strlen(at);
	t = sg_trim(at, &len);
	g->at = now;
	if (len > 0) {
		struct sg_error terr;

		sg_error_clear(&terr);
		if (sg_time_parse_iso(&g->at, t, len, 0, 0, &terr) != SG_OK)
			return gate_bad(g, "$", "at", "%s", terr.message);
	}
	return SG_OK;
}

/* Builds the model: the opportunity, its records, the proposed move. */
static int gate_build(struct gate_in *g, json_t *root, sg_time now,
		      int *is_move)
{
	json_t *opp = NULL, *history = NULL, *evidence = NULL;
	json_t *activities = NULL, *changes = NULL, *owners = NULL;
	struct sg_rec_stage_event move;
	const char *to_stage = "", *last = NULL;
	int rc;

	rc = gate_top(g, root, &opp, &to_stage, now);
	if (rc == SG_OK)
		rc = gate_array(g, root, "history", &history);
	if (rc == SG_OK)
		rc = gate_array(g, root, "evidence", &evidence);
	if (rc == SG_OK)
		rc = gate_array(g, root, "activities", &activities);
	if (rc == SG_OK)
		rc = gate_array(g, root, "field_history", &changes);
	if (rc == SG_OK)
		rc = gate_array(g, root, "owners", &owners);
	if (rc == SG_OK)
		rc = gate_scan_history(g, history, &last);
	if (rc != SG_OK)
		return rc;
	*is_move = last == NULL || !gate_same_text(last, to_stage);

	rc = sg_model_new(&g->model, g->config, g->err);
	if (rc == SG_OK)
		rc = gate_opportunity(g, opp, gate_model_stage(opp, last,
							       to_stage));
	if (rc == SG_OK)
		rc = gate_add_history(g, history);
	if (rc != SG_OK)
		return rc;
	/* The proposed move: the last event, at `at`, from the current stage
	 * by history (none when there is no history: a creation). */
	memset(&move, 0, sizeof(move));
	move.opportunity_id = g->opp_id;
	move.from_stage = last != NULL ? last : "";
	move.to_stage = to_stage;
	move.changed_at = g->at;
	move.changed_by = "";
	move.source = "gate";
	rc = sg_model_add_stage_event(g->model, &move, NULL, g->err);
	if (rc == SG_OK)
		rc = gate_add_evidence(g, evidence);
	if (rc == SG_OK)
		rc = gate_add_activities(g, activities);
	if (rc == SG_OK)
		rc = gate_add_changes(g, changes);
	if (rc == SG_OK)
		rc = gate_add_owners(g, owners);
	if (rc == SG_OK)
		rc = sg_model_finish(g->model, g->err);
	return rc;
}

int sg_gate_read(char **out, size_t *len, FILE *in, size_t max,
		 const char *name, struct sg_error *err)
{
	size_t cap = 0, used = 0, n;
	char *buf = NULL, *grown;
	int rc = SG_OK;

	*out = NULL;
	*len = 0;
	if (name == NULL)
		name = "input";
	for (;;) {
		/* Room for one byte past max (to tell "too large" from
		 * "exactly max") and the NUL; used <= max here. */
		if (used + 1 >= cap) {
			size_t want = cap ? cap * 2 : 8192;

			if (want > max + 2)
				want = max + 2;
			grown = realloc(buf, want);
			if (grown == NULL) {
				rc = sg_error_set(err, SG_ERR_NOMEM,
						  "out of memory");
				goto out;
			}
			buf = grown;
			cap = want;
		}
		n = fread(buf + used, 1, cap - 1 - used, in);
		used += n;
		if (used > max) {
			rc = sg_error_set_at(err, SG_ERR_PARSE, name, 0, 0,
					     "$: the input is larger than %zu "
					     "bytes; send one move per call",
					     max);
			goto out;
		}
		if (n == 0) {
			if (ferror(in)) {
				rc = sg_error_set_at(err, SG_ERR_IO, name, 0,
						     0, "cannot be read: %s",
						     strerror(errno));
				goto out;
			}
			break;
		}
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	buf = NULL;
out:
	free(buf);
	return rc;
}

int sg_gate_new(struct sg_gate **out, const struct sg_config *config,
		const char *text, size_t len, sg_time now, const char *name,
		struct sg_error *err)
{
	struct gate_in g;
	struct sg_gate *gate = NULL;
	struct sg_check_window window;
	struct sg_model_view view;
	json_error_t jerr;
	char why[JSON_ERROR_TEXT_LENGTH];
	json_t *root = NULL;
	int rc, is_move = 1;

	*out = NULL;
	memset(&g, 0, sizeof(g));
	g.config = config;
	g.name = name != NULL ? name : "input";
	g.err = err;
	if (len > SG_GATE_INPUT_MAX)
		return gate_bad(&g, "$", NULL, "the input is larger than %zu "
				"bytes; send one move per call",
				SG_GATE_INPUT_MAX);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rc = gate_bad(&g, "$", NULL, "not valid JSON: %s (line %d, "
			      "column %d)", sg_json_reason(jerr.text, why,
							   sizeof(why)),
			      jerr.line,
			      jerr.column);
		goto out;
	}
	rc = gate_build(&g, root, now, &is_move);
	if (rc != SG_OK)
		goto out;
	gate = calloc(1, sizeof(*gate));
	if (gate == NULL) {
		rc = gate_nomem(&g);
		goto out;
	}
	sg_exceptions_init(&gate->exceptions);
	gate->model = g.model;
	g.model = NULL;
	gate->at = g.at;
	gate->is_move = is_move;
	/* Only the proposed move (and anything else at that second) is
	 * judged; the state checks run at the same instant. */
	memset(&window, 0, sizeof(window));
	window.since = g.at - 1;
	window.as_of = g.at;
	rc = sg_checks_run(&gate->exceptions, gate->model, &window, err);
	if (rc != SG_OK)
		goto out;
	sg_model_view(gate->model, &view);
	gate->in_scope = view.opp_count == 1 && view.opps[0].in_scope;
	gate->verdict = sg_gate_verdict(&gate->exceptions, gate->at);
	*out = gate;
	gate = NULL;
out:
	sg_gate_free(gate);
	sg_model_free(g.model);
	free(g.opp_id_buf);
	json_decref(root);
	return rc;
}

void sg_gate_free(struct sg_gate *gate)
{
	if (gate == NULL)
		return;
	sg_exceptions_release(&gate->exceptions);
	sg_model_free(gate->model);
	free(gate);
}

int sg_gate_decides(const struct sg_exception *ex, sg_time at)
{
	if (ex->type == SG_EX_DATA_QUALITY)
		return 1;
	return ex->is_move && ex->event_at == at;
}

int sg_gate_verdict(const struct sg_exceptions *list, sg_time at)
{
	int verdict = SG_VERDICT_ALLOW;
	size_t i;

	for (i = 0; i < list->count; i++) {
		const struct sg_exception *ex = &list->items[i];

		if (sg_gate_decides(ex, at) && ex->verdict > verdict)
			verdict = ex->verdict;
	}
	return verdict == SG_VERDICT_FLAG ? SG_VERDICT_ALLOW : verdict;
}

int sg_gate_exit_status(int verdict)
{
	switch (verdict) {
	case SG_VERDICT_REVIEW:
		return SG_GATE_EXIT_REVIEW;
	case SG_VERDICT_BLOCK:
		return SG_GATE_EXIT_BLOCK;
	case SG_VERDICT_PAUSE:
		return SG_GATE_EXIT_PAUSE;
	default:
		return SG_GATE_EXIT_ALLOW;
	}
}

json_t *sg_gate_to_json(const struct sg_gate *gate)
{
	json_t *obj = json_object(), *list = json_array();
	size_t i;

	if (obj == NULL || list == NULL)
		goto fail;
	for (i = 0; i < gate->exceptions.count; i++) {
		const struct sg_exception *ex = &gate->exceptions.items[i];
		struct sg_routing routing;
		json_t *one;

		sg_exception_route(ex, gate->model, gate->at, &routing);
		one = sg_exception_to_json(ex, gate->model, &routing,
					   gate->at);
		if (one == NULL || json_array_append_new(list, one) != 0)
			goto fail;
	}
	if (json_object_set_new(obj, "verdict", json_string(
		sg_verdict_name(gate->verdict))) != 0)
		goto fail;
	if (json_object_set_new(obj, "exceptions", list) != 0) {
		list = NULL;
		goto fail;
	}
	return obj;
fail:
	json_decref(list);
	json_decref(obj);
	return NULL;
}
