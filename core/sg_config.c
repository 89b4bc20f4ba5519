/*
 * sg_config.c - loading and validating the rules config (DESIGN §4, §10
 * rules 5, 32, 46).
 *
 * The file is parsed by jansson with duplicate keys refused, then walked
 * once with a JSON path kept alongside, so that every refusal names the
 * file, the path ($.stages[1].exit_criteria[0]) and what is wrong.  Every
 * object's keys are checked against the keys it may hold.
 */
#include "sg_config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_hash.h"

/* Bounds on what a config may hold. */
#define CFG_MAX_BYTES (4L * 1024 * 1024)
#define CFG_PATH_MAX 200
#define CFG_MAX_DAYS 1000000.0       /* about 2700 years */
#define CFG_MAX_HOURS (CFG_MAX_DAYS * 24.0)
#define CFG_MAX_PILOT_DAYS 3660      /* ten years */
#define CFG_QUOTE_MAX 64
#define CFG_QUOTE_SIZE (CFG_QUOTE_MAX * 4 + 8)

struct cfg_ctx {
	const char *name;
	struct sg_error *err;
	char path[CFG_PATH_MAX];
	size_t len;
};

static const char *const cfg_top_keys[] = {
	"pipeline", "stages", "criteria", "segments", "placeholders",
	"forecast", "review", "data", "pilot", "ledger", "sources", "sinks"
};
static const char *const cfg_pipeline_keys[] = { "id", "label" };
static const char *const cfg_stage_keys[] = {
	"id", "label", "max_age_days", "forecast_category", "exit_criteria",
	"required_fields", "closed", "won", "enter_from_any"
};
static const char *const cfg_criterion_keys[] = {
	"label", "buyer_only", "max_age_days"
};
static const char *const cfg_segments_keys[] = { "field", "max_age_days" };
static const char *const cfg_forecast_keys[] = { "review_categories" };
static const char *const cfg_review_keys[] = {
	"sla_hours", "default_assignee"
};
static const char *const cfg_data_keys[] = { "stale_after_hours" };
static const char *const cfg_pilot_keys[] = {
	"start", "days", "baseline_days"
};

#define CFG_N(a) (sizeof(a) / sizeof((a)[0]))

static int cfg_fail(struct cfg_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets SG_ERR_CONFIG with the file and the current JSON path. */
static int cfg_fail(struct cfg_ctx *c, const char *fmt, ...)
{
	char msg[SG_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sg_error_set_at(c->err, SG_ERR_CONFIG, c->name, 0, 0, "%s: %s",
			       c->path, msg);
}

static int cfg_nomem(struct cfg_ctx *c)
{
	return sg_error_set_at(c->err, SG_ERR_NOMEM, c->name, 0, 0,
			       "out of memory while reading the config");
}

static void cfg_append(struct cfg_ctx *c, const char *text)
{
	size_t n = strlen(text);

	if (c->len + n >= sizeof(c->path)) {
		/* An absurdly deep or long path: keep what fits, marked. */
		n = sizeof(c->path) - 1 - c->len;
		memcpy(c->path + c->len, text, n);
		c->len += n;
		c->path[c->len] = '\0';
		if (c->len >= 3)
			memcpy(c->path + c->len - 3, "...", 3);
		return;
	}
	memcpy(c->path + c->len, text, n + 1);
	c->len += n;
}

/* Appends .key (or ["key"] when key is not a plain word) to the path;
 * returns the length to restore with cfg_pop(). */
static size_t cfg_push_key(struct cfg_ctx *c, const char *key)
{
	/* A quote or backslash takes two bytes: a key of CFG_QUOTE_MAX of
	 * them, "[\"", "...", "\"]" and the NUL (found by fuzzing). */
	char buf[2 * CFG_QUOTE_MAX + 16];
	size_t old = c->len, i, n = 0;
	int plain = key[0] != '\0';

	for (i = 0; key[i] != '\0'; i++) {
		if (!isalnum((unsigned char)key[i]) && key[i] != '_' &&
		    key[i] != '-')
			plain = 0;
	}
	if (plain) {
		buf[n++] = '.';
		for (i = 0; key[i] != '\0' && i < CFG_QUOTE_MAX; i++)
			buf[n++] = key[i];
		if (key[i] != '\0') {
			memcpy(buf + n, "...", 3);
			n += 3;
		}
	} else {
		buf[n++] = '[';
		buf[n++] = '"';
		for (i = 0; key[i] != '\0' && i < CFG_QUOTE_MAX; i++) {
			unsigned char ch = (unsigned char)key[i];

			if (ch == '"' || ch == '\\')
				buf[n++] = '\\';
			buf[n++] = iscntrl(ch) ? '?' : (char)ch;
		}
		if (key[i] != '\0') {
			memcpy(buf + n, "...", 3);
			n += 3;
		}
		buf[n++] = '"';
		buf[n++] = ']';
	}
	buf[n] = '\0';
	cfg_append(c, buf);
	return old;
}

static size_t cfg_push_index(struct cfg_ctx *c, size_t index)
{
	char buf[32];
	size_t old = c->len;

	snprintf(buf, sizeof(buf), "[%zu]", index);
	cfg_append(c, buf);
	return old;
}

static void cfg_pop(struct cfg_ctx *c, size_t old)
{
	c->len = old;
	c->path[old] = '\0';
}

/* Refuses any key of obj that is not in keys, listing the valid ones. */
static int cfg_check_keys(struct cfg_ctx *c, json_t *obj,
			  const char *const *keys, size_t count)
{
	const char *key;
	json_t *value;
	char list[SG_ERROR_MESSAGE_MAX / 2], q[CFG_QUOTE_SIZE];
	size_t i, n;

	json_object_foreach(obj, key, value) {
		for (i = 0; i < count; i++) {
			if (strcmp(key, keys[i]) == 0)
				break;
		}
		if (i < count)
			continue;
		list[0] = '\0';
		n = 0;
		for (i = 0; i < count && n < sizeof(list); i++)
			n += snprintf(list + n, sizeof(list) - n, "%s%s",
				      i > 0 ? ", " : "", keys[i]);
		cfg_push_key(c, key);
		return cfg_fail(c, "unknown key \"%s\" (valid keys: %s)",
				sg_quote(key, strlen(key), CFG_QUOTE_MAX, q,
					 sizeof(q)), list);
	}
	return SG_OK;
}

static const char *cfg_type_name(int type)
{
	switch (type) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "a number";
	}
}

/* Checks value's type at the current path. */
static int cfg_expect(struct cfg_ctx *c, json_t *value, int type)
{
	int ok;

	switch (type) {
	case JSON_TRUE:
	case JSON_FALSE:
		ok = json_is_boolean(value);
		break;
	case JSON_REAL:
	case JSON_INTEGER:
		ok = json_is_number(value);
		break;
	default:
		ok = json_typeof(value) == (json_type)type;
		break;
	}
	if (!ok)
		return cfg_fail(c, "expected %s", cfg_type_name(type));
	return SG_OK;
}

/*
 * Looks key up in obj and checks its type.  Sets *value to the member or
 * NULL when absent; refuses an absent key when required.  On success the
 * path is left pointing at the member (when present); the caller pops.
 */
static int cfg_member(struct cfg_ctx *c, json_t *obj, const char *key,
		      int type, int required, json_t **value, size_t *old)
{
	char q[CFG_QUOTE_SIZE];

	*old = c->len;
	*value = json_object_get(obj, key);
	if (*value == NULL) {
		if (required)
			return cfg_fail(c, "missing required key \"%s\"",
					sg_quote(key, strlen(key),
						 CFG_QUOTE_MAX, q, sizeof(q)));
		return SG_OK;
	}
	cfg_push_key(c, key);
	return cfg_expect(c, *value, type);
}

/* A string member, copied into *out (NULL when absent). */
static int cfg_string(struct cfg_ctx *c, json_t *obj, const char *key,
		      int required, int nonempty, char **out)
{
	json_t *v;
	size_t old;
	int rc;

	*out = NULL;
	rc = cfg_member(c, obj, key, JSON_STRING, required, &v, &old);
	if (rc != SG_OK || v == NULL)
		goto out;
	if (nonempty && json_string_length(v) == 0) {
		rc = cfg_fail(c, "must not be empty");
		goto out;
	}
	*out = strdup(json_string_value(v));
	if (*out == NULL)
		rc = cfg_nomem(c);
out:
	if (rc == SG_OK)
		cfg_pop(c, old);
	return rc;
}

static int cfg_bool(struct cfg_ctx *c, json_t *obj, const char *key,
		    int fallback, int *out)
{
	json_t *v;
	size_t old;
	int rc;

	*out = fallback;
	rc = cfg_member(c, obj, key, JSON_TRUE, 0, &v, &old);
	if (rc != SG_OK)
		return rc;
	if (v != NULL)
		*out = json_is_true(v);
	cfg_pop(c, old);
	return SG_OK;
}

/* A duration: a number >= 0 and at most max, in units of unit seconds. */
static int cfg_duration(struct cfg_ctx *c, json_t *obj, const char *key,
			double unit, double max, struct sg_days *out)
{
	json_t *v;
	size_t old;
	double d;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cfg_member(c, obj, key, JSON_REAL, 0, &v, &old);
	if (rc != SG_OK)
		return rc;
	if (v == NULL)
		return SG_OK;
	d = json_number_value(v);
	if (d < 0)
		return cfg_fail(c, "must not be negative (got %g)", d);
	if (d > max)
		return cfg_fail(c, "is too large (got %g, at most %g)", d,
				max);
	out->present = 1;
	out->days = d;
	out->seconds = (int64_t)llround(d * unit);
	cfg_pop(c, old);
	return SG_OK;
}

/* A positive whole number of days, at most CFG_MAX_PILOT_DAYS. */
static int cfg_count(struct cfg_ctx *c, json_t *obj, const char *key,
		     int fallback, int *out)
{
	json_t *v;
	size_t old;
	double d;
	int rc;

	*out = fallback;
	rc = cfg_member(c, obj, key, JSON_REAL, 0, &v, &old);
	if (rc != SG_OK)
		return rc;
	if (v == NULL)
		return SG_OK;
	d = json_number_value(v);
	if (d != floor(d) || d < 1 || d > CFG_MAX_PILOT_DAYS)
		return cfg_fail(c, "expected a whole number of days from 1 "
				"to %d (got %g)", CFG_MAX_PILOT_DAYS, d);
	*out = (int)d;
	cfg_pop(c, old);
	return SG_OK;
}

/* An array of strings, copied (count 0 and NULL when absent). */
static int cfg_strings(struct cfg_ctx *c, json_t *obj, const char *key,
		       int nonempty, char ***out, size_t *count)
{
	json_t *v, *item;
	size_t old, i, n;
	char **list;
	int rc;

	*out = NULL;
	*count = 0;
	rc = cfg_member(c, obj, key, JSON_ARRAY, 0, &v, &old);
	if (rc != SG_OK || v == NULL)
		return rc;
	n = json_array_size(v);
	if (n == 0) {
		cfg_pop(c, old);
		return SG_OK;
	}
	list = calloc(n, sizeof(*list));
	if (list == NULL)
		return cfg_nomem(c);
	*out = list;
	json_array_foreach(v, i, item) {
		size_t mark = cfg_push_index(c, i);

		rc = cfg_expect(c, item, JSON_STRING);
		if (rc != SG_OK)
			return rc;
		if (nonempty && json_string_length(item) == 0)
			return cfg_fail(c, "must not be empty");
		list[i] = strdup(json_string_value(item));
		if (list[i] == NULL)
			return cfg_nomem(c);
		*count = i + 1;
		cfg_pop(c, mark);
	}
	cfg_pop(c, old);
	return SG_OK;
}

/* Nonzero when s begins or ends with ASCII white space. */
static int cfg_padded(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && (isspace((unsigned char)s[0]) ||
			 isspace((unsigned char)s[n - 1]));
}

/* An identifier (stage id, criterion id, segment value): not empty, no
 * white space around it, since data values are matched after trimming. */
static int cfg_check_id(struct cfg_ctx *c, const char *id, const char *what)
{
	if (id[0] == '\0')
		return cfg_fail(c, "%s must not be empty", what);
	if (cfg_padded(id))
		return cfg_fail(c, "%s must not begin or end with white space",
				what);
	return SG_OK;
}

static int cfg_pipeline(struct cfg_ctx *c, struct sg_config *cfg, json_t *root)
{
	json_t *v;
	size_t old;
	int rc;

	rc = cfg_member(c, root, "pipeline", JSON_OBJECT, 0, &v, &old);
	if (rc != SG_OK || v == NULL)
		return rc;
	rc = cfg_check_keys(c, v, cfg_pipeline_keys, CFG_N(cfg_pipeline_keys));
	if (rc == SG_OK)
		rc = cfg_string(c, v, "id", 1, 1, &cfg->pipeline_id);
	if (rc == SG_OK)
		rc = cfg_string(c, v, "label", 0, 0, &cfg->pipeline_label);
	if (rc != SG_OK)
		return rc;
	if (cfg->pipeline_label == NULL || cfg->pipeline_label[0] == '\0') {
		free(cfg->pipeline_label);
		cfg->pipeline_label = strdup(cfg->pipeline_id);
		if (cfg->pipeline_label == NULL)
			return cfg_nomem(c);
	}
	cfg_pop(c, old);
	return SG_OK;
}

/* Sets *label to the given label or, when absent or empty, the id. */
static int cfg_label(struct cfg_ctx *c, json_t *obj, const char *id,
		     char **label)
{
	int rc = cfg_string(c, obj, "label", 0, 0, label);

	if (rc != SG_OK)
		return rc;
	if (*label == NULL || (*label)[0] == '\0') {
		free(*label);
		*label = strdup(id);
		if (*label == NULL)
			return cfg_nomem(c);
	}
	return SG_OK;
}

static int cfg_criteria(struct cfg_ctx *c, struct sg_config *cfg, json_t *root)
{
	json_t *v, *item;
	const char *key;
	size_t old, n, mark;
	int rc;

	rc = cfg_member(c, root, "criteria", JSON_OBJECT, 0, &v, &old);
	if (rc != SG_OK || v == NULL)
		return rc;
	n = json_object_size(v);
	if (n > 0) {
		cfg->criteria = calloc(n, sizeof(*cfg->criteria));
		if (cfg->criteria == NULL)
			return cfg_nomem(c);
	}
	/* jansson keeps insertion order: criteria stay in config order. */
	json_object_foreach(v, key, item) {
		struct sg_criterion *cr = &cfg->criteria[cfg->criterion_count];

		mark = cfg_push_key(c, key);
		rc = cfg_check_id(c, key, "a criterion id");
		if (rc == SG_OK)
			rc = cfg_expect(c, item, JSON_OBJECT);
		if (rc == SG_OK)
			rc = cfg_check_keys(c, item, cfg_criterion_keys,
					    CFG_N(cfg_criterion_keys));
		if (rc != SG_OK)
			return rc;
		cr->id = strdup(key);
		if (cr->id == NULL)
			return cfg_nomem(c);
		cfg->criterion_count++;
		rc = cfg_label(c, item, key, &cr->label);
		if (rc == SG_OK)
			rc = cfg_bool(c, item, "buyer_only", 1,
				      &cr->buyer_only);
		if (rc == SG_OK)
			rc = cfg_duration(c, item, "max_age_days", 86400.0,
					  CFG_MAX_DAYS, &cr->max_age);
		if (rc != SG_OK)
			return rc;
		cfg_pop(c, mark);
	}
	cfg_pop(c, old);
	return SG_OK;
}

static int cfg_exit_criteria(struct cfg_ctx *c, struct sg_config *cfg,
			     json_t *obj, struct sg_stage *st)
{
	json_t *v, *item;
	size_t old, i, n, mark;
	char q[CFG_QUOTE_SIZE];
	int rc, index;

	rc = cfg_member(c, obj, "exit_criteria", JSON_ARRAY, 0, &v, &old);
	if (rc != SG_OK || v == NULL)
		return rc;
	n = json_array_size(v);
	if (n > 0) {
		st->exit_criteria = calloc(n, sizeof(*st->exit_criteria));
		if (st->exit_criteria == NULL)
			return cfg_nomem(c);
	}
	json_array_foreach(v, i, item) {
		mark = cfg_push_index(c, i);
		rc = cfg_expect(c, item, JSON_STRING);
		if (rc != SG_OK)
			return rc;
		index = sg_config_criterion_index(cfg,
						  json_string_value(item));
		if (index < 0)
			return cfg_fail(c, "criterion \"%s\" is not defined "
					"in $.criteria",
					sg_quote(json_string_value(item),
						 json_string_length(item),
						 CFG_QUOTE_MAX, q, sizeof(q)));
		st->exit_criteria[i] = (size_t)index;
		st->exit_criteria_count = i + 1;
		cfg_pop(c, mark);
	}
	cfg_pop(c, old);
	return SG_OK;
}

static int cfg_stage(struct cfg_ctx *c, struct sg_config *cfg, json_t *obj,
		     size_t index)
{
	struct sg_stage *st = &cfg->stages[index];
	char q[CFG_QUOTE_SIZE];
	size_t j, old;
	int rc;

	st->order = (int)index;
	rc = cfg_expect(c, obj, JSON_OBJECT);
	if (rc == SG_OK)
		rc = cfg_check_keys(c, obj, cfg_stage_keys,
				    CFG_N(cfg_stage_keys));
	if (rc == SG_OK)
		rc = cfg_string(c, obj, "id", 1, 0, &st->id);
	if (rc != SG_OK)
		return rc;
	old = cfg_push_key(c, "id");
	rc = cfg_check_id(c, st->id, "a stage id");
	if (rc != SG_OK)
		return rc;
	for (j = 0; j < index; j++) {
		if (strcmp(cfg->stages[j].id, st->id) == 0)
			return cfg_fail(c, "duplicate stage id \"%s\" (first "
					"at $.stages[%zu].id)",
					sg_quote(st->id, strlen(st->id),
						 CFG_QUOTE_MAX, q, sizeof(q)),
					j);
	}
	cfg_pop(c, old);
	rc = cfg_label(c, obj, st->id, &st->label);
	if (rc == SG_OK)
		rc = cfg_duration(c, obj, "max_age_days", 86400.0,
				  CFG_MAX_DAYS, &st->max_age);
	if (rc == SG_OK)
		rc = cfg_string(c, obj, "forecast_category", 0, 0,
				&st->forecast_category);
	if (rc != SG_OK)
		return rc;
	if (st->forecast_category != NULL &&
	    st->forecast_category[0] == '\0') {
		/* An empty category is no category. */
		free(st->forecast_category);
		st->forecast_category = NULL;
	}
	rc = cfg_exit_criteria(c, cfg, obj, st);
	if (rc == SG_OK)
		rc = cfg_strings(c, obj, "required_fields", 1,
				 &st->required_fields,
				 &st->required_field_count);
	if (rc == SG_OK)
		rc = cfg_bool(c, obj, "closed", 0, &st->closed);
	if (rc == SG_OK)
		rc = cfg_bool(c, obj, "won", 0, &st->won);
	if (rc == SG_OK)
		rc = cfg_bool(c, obj, "enter_from_any", 0,
			      &st->enter_from_any);
	return rc;
}

static int cfg_stages(struct cfg_ctx *c, struct sg_config *cfg, json_t *root)
{
	json_t *v, *item;
	size_t old, i, n, mark;
	int rc;

	rc = cfg_member(c, root, "stages", JSON_ARRAY, 1, &v, &old);
	if (rc != SG_OK)
		return rc;
	n = json_array_size(v);
	if (n == 0)
		return cfg_fail(c, "expected at least one stage");
	if (n > INT32_MAX)
		return cfg_fail(c, "too many stages");
	cfg->stages = calloc(n, sizeof(*cfg->stages));
	if (cfg->stages == NULL)
		return cfg_nomem(c);
	json_array_foreach(v, i, item) {
		mark = cfg_push_index(c, i);
		cfg->stage_count = i + 1;
		rc = cfg_stage(c, cfg, item, i);
		if (rc != SG_OK)
			return rc;
		cfg_pop(c, mark);
	}
	cfg_pop(c, old);
	return SG_OK;
}

/* One segment: {"stage_id": days, ...}. */
static int cfg_segment(struct cfg_ctx *c, struct sg_config *cfg,
		       const char *value, json_t *limits,
		       struct sg_segment *seg)
{
	const char *key;
	json_t *item;
	char q[CFG_QUOTE_SIZE];
	int rc, s;

	rc = cfg_check_id(c, value, "a segment value");
	if (rc == SG_OK)
		rc = cfg_expect(c, limits, JSON_OBJECT);
	if (rc != SG_OK)
		return rc;
	seg->value = strdup(value);
	seg->limits = calloc(cfg->stage_count, sizeof(*seg->limits));
	if (seg->value == NULL || seg->limits == NULL)
		return cfg_nomem(c);
	json_object_foreach(limits, key, item) {
		size_t mark = c->len;

		s = sg_config_stage_index(cfg, key, strlen(key));
		if (s < 0 || strcmp(cfg->stages[s].id, key) != 0) {
			cfg_push_key(c, key);
			return cfg_fail(c, "stage \"%s\" is not defined in "
					"$.stages", sg_quote(key, strlen(key),
							     CFG_QUOTE_MAX, q,
							     sizeof(q)));
		}
		rc = cfg_duration(c, limits, key, 86400.0, CFG_MAX_DAYS,
				  &seg->limits[s]);
		if (rc != SG_OK)
			return rc;
		cfg_pop(c, mark);
	}
	return SG_OK;
}

static int cfg_segments(struct cfg_ctx *c, struct sg_config *cfg, json_t *root)
{
	json_t *v, *limits = NULL, *item;
	const char *key;
	size_t old, old2 = 0, n, mark;
	int rc;

	rc = cfg_member(c, root, "segments", JSON_OBJECT, 0, &v, &old);
	if (rc != SG_OK || v == NULL)
		return rc;
	rc = cfg_check_keys(c, v, cfg_segments_keys,
			    CFG_N(cfg_segments_keys));
	if (rc == SG_OK)
		rc = cfg_string(c, v, "field", 1, 1, &cfg->segment_field);
	if (rc == SG_OK)
		rc = cfg_member(c, v, "max_age_days", JSON_OBJECT, 0,
				&limits, &old2);
	if (rc != SG_OK || limits == NULL)
		goto out;
	n = json_object_size(limits);
	if (n > 0) {
		cfg->segments = calloc(n, sizeof(*cfg->segments));
		if (cfg->segments == NULL)
			return cfg_nomem(c);
	}
	json_object_foreach(limits, key, item) {
		mark = cfg_push_key(c, key);
		cfg->segment_count++;
		rc = cfg_segment(c, cfg, key, item,
				 &cfg->segments[cfg->segment_count - 1]);
		if (rc != SG_OK)
			return rc;
		cfg_pop(c, mark);
	}
	cfg_pop(c, old2);
out:
	if (rc == SG_OK)
		cfg_pop(c, old);
	return rc;
}

static int cfg_placeholders(struct cfg_ctx *c, struct sg_config *cfg,
			    json_t *root)
{
	size_t count;
	int rc;

	/* Rule 5: without the key there are no placeholders. */
	rc = cfg_strings(c, root, "placeholders", 0, &cfg->placeholder_words,
			 &count);
	cfg->placeholders.words = (const char *const *)cfg->placeholder_words;
	cfg->placeholders.count = count;
	return rc;
}

static int cfg_forecast(struct cfg_ctx *c, struct sg_config *cfg, json_t *root)
{
	json_t *v;
	size_t old;
	int rc;

	rc = cfg_member(c, root, "forecast", JSON_OBJECT, 0, &v, &old);
	if (rc != SG_OK || v == NULL)
		return rc;
	rc = cfg_check_keys(c, v, cfg_forecast_keys, CFG_N(cfg_forecast_keys));
	if (rc == SG_OK)
		rc = cfg_strings(c, v, "review_categories", 1,
				 &cfg->review_categories,
				 &cfg->review_category_count);
	if (rc == SG_OK)
		cfg_pop(c, old);
	return rc;
}

static int cfg_review(struct cfg_ctx *c, struct sg_config *cfg, json_t *root)
{
	struct sg_days sla;
	json_t *v;
	size_t old;
	int rc;

	memset(&sla, 0, sizeof(sla));
	cfg->review_sla_hours = 48;
	cfg->review_sla_seconds = 48 * 3600;
	rc = cfg_member(c, root, "review", JSON_OBJECT, 0, &v, &old);
	if (rc != SG_OK)
		return rc;
	if (v != NULL) {
		rc = cfg_check_keys(c, v, cfg_review_keys,
				    CFG_N(cfg_review_keys));
		if (rc == SG_OK)
			rc = cfg_duration(c, v, "sla_hours", 3600.0,
					  CFG_MAX_HOURS, &sla);
		if (rc == SG_OK)
			rc = cfg_string(c, v, "default_assignee", 0, 1,
					&cfg->default_assignee);
		if (rc != SG_OK)
			return rc;
		if (sla.present) {
			cfg->review_sla_hours = sla.days;
			cfg->review_sla_seconds = sla.seconds;
		}
		cfg_pop(c, old);
	}
	if (cfg->default_assignee == NULL) {
		cfg->default_assignee = strdup("revops");
		if (cfg->default_assignee == NULL)
			return cfg_nomem(c);
	}
	return SG_OK;
}

static int cfg_data(struct cfg_ctx *c, struct sg_config *cfg, json_t *root)
{
	json_t *v;
	size_t old;
	int rc;

	rc = cfg_member(c, root, "data", JSON_OBJECT, 0, &v, &old);
	if (rc != SG_OK || v == NULL)
		return rc;
	rc = cfg_check_keys(c, v, cfg_data_keys, CFG_N(cfg_data_keys));
	if (rc == SG_OK)
		rc = cfg_duration(c, v, "stale_after_hours", 3600.0,
				  CFG_MAX_HOURS, &cfg->stale_after);
	if (rc == SG_OK)
		cfg_pop(c, old);
	return rc;
}

static int cfg_pilot(struct cfg_ctx *c, struct sg_config *cfg, json_t *root)
{
	struct sg_error terr;
	json_t *v, *start;
	size_t old, old2;
	int rc;

	cfg->pilot_days = 30;
	cfg->baseline_days = 90;
	cfg->pilot_start = SG_TIME_NONE;
	rc = cfg_member(c, root, "pilot", JSON_OBJECT, 0, &v, &old);
	if (rc != SG_OK || v == NULL)
		return rc;
	rc = cfg_check_keys(c, v, cfg_pilot_keys, CFG_N(cfg_pilot_keys));
	if (rc == SG_OK)
		rc = cfg_member(c, v, "start", JSON_STRING, 1, &start, &old2);
	if (rc != SG_OK)
		return rc;
	sg_error_clear(&terr);
	rc = sg_time_parse_iso(&cfg->pilot_start, json_string_value(start),
			       json_string_length(start), 0, 0, &terr);
	if (rc != SG_OK)
		return cfg_fail(c, "%s", terr.message);
	cfg_pop(c, old2);
	rc = cfg_count(c, v, "days", 30, &cfg->pilot_days);
	if (rc == SG_OK)
		rc = cfg_count(c, v, "baseline_days", 90, &cfg->baseline_days);
	if (rc != SG_OK)
		return rc;
	cfg->pilot_present = 1;
	cfg_pop(c, old);
	return SG_OK;
}

static int cfg_ledger(struct cfg_ctx *c, struct sg_config *cfg, json_t *root)
{
	char *ledger;
	int rc;

	rc = cfg_string(c, root, "ledger", 0, 1, &ledger);
	if (rc != SG_OK || ledger == NULL)
		return rc;
	cfg->ledger_path = sg_config_resolve_path(cfg, ledger);
	free(ledger);
	if (cfg->ledger_path == NULL)
		return cfg_nomem(c);
	return SG_OK;
}

/* sources / sinks: an object of objects, each validated later by its
 * plugin's option table (sg_options_fill). */
static int cfg_plugins(struct cfg_ctx *c, json_t *root, const char *key,
		       json_t **out)
{
	json_t *v, *item;
	const char *name;
	size_t old, mark;
	int rc;

	*out = NULL;
	rc = cfg_member(c, root, key, JSON_OBJECT, 0, &v, &old);
	if (rc != SG_OK || v == NULL)
		return rc;
	json_object_foreach(v, name, item) {
		mark = cfg_push_key(c, name);
		if (name[0] == '\0')
			return cfg_fail(c, "a plugin name must not be empty");
		rc = cfg_expect(c, item, JSON_OBJECT);
		if (rc != SG_OK)
			return rc;
		cfg_pop(c, mark);
	}
	*out = json_incref(v);
	cfg_pop(c, old);
	return SG_OK;
}

static int cfg_parse(struct cfg_ctx *c, struct sg_config *cfg, json_t *root)
{
	int rc;

	rc = cfg_expect(c, root, JSON_OBJECT);
	if (rc == SG_OK)
		rc = cfg_check_keys(c, root, cfg_top_keys,
				    CFG_N(cfg_top_keys));
	if (rc == SG_OK)
		rc = cfg_pipeline(c, cfg, root);
	/* Criteria first: stages name them. */
	if (rc == SG_OK)
		rc = cfg_criteria(c, cfg, root);
	/* Stages before segments: segments name them. */
	if (rc == SG_OK)
		rc = cfg_stages(c, cfg, root);
	if (rc == SG_OK)
		rc = cfg_segments(c, cfg, root);
	if (rc == SG_OK)
		rc = cfg_placeholders(c, cfg, root);
	if (rc == SG_OK)
		rc = cfg_forecast(c, cfg, root);
	if (rc == SG_OK)
		rc = cfg_review(c, cfg, root);
	if (rc == SG_OK)
		rc = cfg_data(c, cfg, root);
	if (rc == SG_OK)
		rc = cfg_pilot(c, cfg, root);
	if (rc == SG_OK)
		rc = cfg_ledger(c, cfg, root);
	if (rc == SG_OK)
		rc = cfg_plugins(c, root, "sources", &cfg->sources);
	if (rc == SG_OK)
		rc = cfg_plugins(c, root, "sinks", &cfg->sinks);
	return rc;
}

/* The folder of path: "." when it has none, "/" for a file at the root. */
static char *cfg_folder(const char *path)
{
	const char *slash = path != NULL ? strrchr(path, '/') : NULL;
	size_t n;
	char *dir;

	if (slash == NULL)
		return strdup(".");
	n = (size_t)(slash - path);
	while (n > 0 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return strdup("/");
	dir = malloc(n + 1);
	if (dir == NULL)
		return NULL;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return dir;
}

int sg_config_load_text(struct sg_config **out, const char *name,
			const char *dir, const char *text, size_t len,
			struct sg_error *err)
{
	struct sg_config *cfg;
	struct cfg_ctx c;
	json_error_t jerr;
	char why[JSON_ERROR_TEXT_LENGTH];
	json_t *root = NULL;
	char hash[SG_SHA256_HEX_SIZE];
	int rc;

	*out = NULL;
	if (name == NULL)
		name = "<config>";
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.err = err;
	c.path[0] = '$';
	c.len = 1;

	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return cfg_nomem(&c);
	cfg->pilot_start = SG_TIME_NONE;
	cfg->path = strdup(name);
	cfg->dir = dir != NULL ? strdup(dir) : cfg_folder(name);
	if (cfg->path == NULL || cfg->dir == NULL) {
		rc = cfg_nomem(&c);
		goto out;
	}
	rc = sg_sha256_hex(text, len, hash);
	if (rc != SG_OK) {
		sg_error_set_at(err, rc, name, 0, 0,
				"cannot compute the config's SHA-256");
		goto out;
	}
	cfg->text_sha256 = strdup(hash);
	if (cfg->text_sha256 == NULL) {
		rc = cfg_nomem(&c);
		goto out;
	}

	/* A UTF-8 byte order mark (left by some editors) is skipped. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		len -= 3;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rc = sg_error_set_at(err, SG_ERR_CONFIG, name,
				     jerr.line > 0 ? jerr.line : 0,
				     jerr.column > 0 ? jerr.column : 0,
				     "invalid JSON: %s",
				     sg_json_reason(jerr.text, why,
						    sizeof(why)));
		goto out;
	}
	rc = cfg_parse(&c, cfg, root);
out:
	json_decref(root);
	if (rc != SG_OK) {
		sg_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return SG_OK;
}

int sg_config_load(struct sg_config **out, const char *path,
		   struct sg_error *err)
{
	FILE *fp;
	char *text = NULL, *grown, *dir = NULL;
	size_t len = 0, cap = 0, n;
	int rc;

	*out = NULL;
	fp = fopen(path, "rb");
	if (fp == NULL)
		return sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				       "cannot open the config file: %s",
				       strerror(errno));
	for (;;) {
		if (len == cap) {
			if (cap >= CFG_MAX_BYTES) {
				rc = sg_error_set_at(err, SG_ERR_CONFIG, path,
						     0, 0, "the config file "
						     "is larger than %ld "
						     "bytes", CFG_MAX_BYTES);
				goto out;
			}
			cap = cap == 0 ? 8192 : cap * 2;
			/* One byte more than the limit tells "too large". */
			if (cap > CFG_MAX_BYTES)
				cap = CFG_MAX_BYTES + 1;
			grown = realloc(text, cap);
			if (grown == NULL) {
				rc = sg_error_set_at(err, SG_ERR_NOMEM, path,
						     0, 0, "out of memory "
						     "reading the config");
				goto out;
			}
			text = grown;
		}
		n = fread(text + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		rc = sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				     "cannot read the config file: %s",
				     strerror(errno));
		goto out;
	}
	if (len > CFG_MAX_BYTES) {
		rc = sg_error_set_at(err, SG_ERR_CONFIG, path, 0, 0,
				     "the config file is larger than %ld "
				     "bytes", CFG_MAX_BYTES);
		goto out;
	}
	dir = cfg_folder(path);
	if (dir == NULL) {
		rc = sg_error_set_at(err, SG_ERR_NOMEM, path, 0, 0,
				     "out of memory reading the config");
		goto out;
	}
	rc = sg_config_load_text(out, path, dir, text != NULL ? text : "",
				 len, err);
out:
	fclose(fp);
	free(text);
	free(dir);
	return rc;
}

static void cfg_free_strings(char **list, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(list[i]);
	free(list);
}

void sg_config_free(struct sg_config *config)
{
	size_t i;

	if (config == NULL)
		return;
	free(config->path);
	free(config->dir);
	free(config->pipeline_id);
	free(config->pipeline_label);
	for (i = 0; i < config->stage_count; i++) {
		struct sg_stage *st = &config->stages[i];

		free(st->id);
		free(st->label);
		free(st->forecast_category);
		free(st->exit_criteria);
		cfg_free_strings(st->required_fields,
				 st->required_field_count);
	}
	free(config->stages);
	for (i = 0; i < config->criterion_count; i++) {
		free(config->criteria[i].id);
		free(config->criteria[i].label);
	}
	free(config->criteria);
	free(config->segment_field);
	for (i = 0; i < config->segment_count; i++) {
		free(config->segments[i].value);
		free(config->segments[i].limits);
	}
	free(config->segments);
	cfg_free_strings(config->placeholder_words,
			 config->placeholders.count);
	cfg_free_strings(config->review_categories,
			 config->review_category_count);
	free(config->default_assignee);
	free(config->ledger_path);
	json_decref(config->sources);
	json_decref(config->sinks);
	free(config->text_sha256);
	free(config);
}

int sg_config_stage_index(const struct sg_config *config, const char *id,
			  size_t len)
{
	size_t i;

	if (config == NULL || id == NULL)
		return -1;
	id = sg_trim(id, &len);
	for (i = 0; i < config->stage_count; i++) {
		const char *sid = config->stages[i].id;

		if (sid != NULL && strlen(sid) == len &&
		    memcmp(sid, id, len) == 0)
			return (int)i;
	}
	return -1;
}

int sg_config_criterion_index(const struct sg_config *config,
			      const char *id)
{
	size_t i;

	if (config == NULL || id == NULL)
		return -1;
	for (i = 0; i < config->criterion_count; i++) {
		if (strcmp(config->criteria[i].id, id) == 0)
			return (int)i;
	}
	return -1;
}

int sg_config_is_review_category(const struct sg_config *config,
				 const char *category)
{
	size_t i;

	if (config == NULL || category == NULL)
		return 0;
	for (i = 0; i < config->review_category_count; i++) {
		if (strcmp(config->review_categories[i], category) == 0)
			return 1;
	}
	return 0;
}

const struct sg_days *sg_config_max_age(const struct sg_config *config,
					size_t s, const char *segment)
{
	static const struct sg_days none;
	size_t i, len;

	if (config == NULL || s >= config->stage_count)
		return &none;
	if (segment != NULL && config->segment_count > 0) {
		len = strlen(segment);
		segment = sg_trim(segment, &len);
		for (i = 0; len > 0 && i < config->segment_count; i++) {
			const struct sg_segment *seg = &config->segments[i];

			if (strlen(seg->value) == len &&
			    memcmp(seg->value, segment, len) == 0) {
				if (seg->limits[s].present)
					return &seg->limits[s];
				break;
			}
		}
	}
	return &config->stages[s].max_age;
}

char *sg_config_resolve_path(const struct sg_config *config,
			     const char *path)
{
	const char *dir;
	size_t dlen, plen;
	char *out;

	if (path == NULL)
		return NULL;
	dir = config != NULL && config->dir != NULL ? config->dir : ".";
	if (path[0] == '/' || strcmp(dir, ".") == 0 || dir[0] == '\0')
		return strdup(path);
	dlen = strlen(dir);
	plen = strlen(path);
	out = malloc(dlen + 1 + plen + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, dir, dlen);
	/* No doubled slash after a folder given as "data/" or "/". */
	if (dir[dlen - 1] != '/')
		out[dlen++] = '/';
	memcpy(out + dlen, path, plen + 1);
	return out;
}
