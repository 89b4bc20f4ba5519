/*
 * csv_mapping.c - the canonical files of the csv source and the mapping
 * that reads a CRM's export in their place (docs/csv-mapping.md).
 */
#include "csv_mapping.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_missing.h"

#define CSV_PATH_MAX 512

static const struct csv_field_def csv_owner_fields[] = {
	{"id", CSV_F_REQUIRED},
	{"name", 0},
	{"email", 0},
	{"manager_id", 0},
	{"team", 0},
};

static const struct csv_field_def csv_opportunity_fields[] = {
	{"id", CSV_F_REQUIRED},
	{"name", 0},
	{"pipeline", 0},
	{"stage", CSV_F_REQUIRED | CSV_F_STAGE},
	{"owner_id", 0},
	{"amount", CSV_F_AMOUNT},
	{"currency", 0},
	{"close_date", CSV_F_TIME},
	{"forecast_category", 0},
	{"created_at", CSV_F_TIME},
	{"next_step", 0},
	{"next_step_date", CSV_F_TIME},
};

static const struct csv_field_def csv_stage_event_fields[] = {
	{"opportunity_id", CSV_F_REQUIRED},
	{"from_stage", CSV_F_STAGE},
	{"to_stage", CSV_F_REQUIRED | CSV_F_STAGE},
	{"changed_at", CSV_F_REQUIRED | CSV_F_TIME | CSV_F_TIME_REQ},
	{"changed_by", 0},
	{"source", 0},
};

static const struct csv_field_def csv_field_change_fields[] = {
	{"opportunity_id", CSV_F_REQUIRED},
	{"field", CSV_F_REQUIRED},
	{"old_value", 0},
	{"new_value", CSV_F_REQUIRED},
	{"changed_at", CSV_F_REQUIRED | CSV_F_TIME | CSV_F_TIME_REQ},
};

static const struct csv_field_def csv_activity_fields[] = {
	{"id", 0},
	{"opportunity_id", CSV_F_REQUIRED},
	{"type", 0},
	{"party", CSV_F_REQUIRED},
	{"occurred_at", CSV_F_REQUIRED | CSV_F_TIME | CSV_F_TIME_REQ},
	{"actor", 0},
	{"subject", 0},
};

static const struct csv_field_def csv_evidence_fields[] = {
	{"opportunity_id", CSV_F_REQUIRED},
	{"criterion", CSV_F_REQUIRED},
	{"value", 0},
	{"party", CSV_F_REQUIRED},
	{"observed_at", CSV_F_REQUIRED | CSV_F_TIME | CSV_F_TIME_REQ},
	{"ref", 0},
};

#define CSV_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct csv_kind_def csv_kinds[CSV_KIND_COUNT] = {
	{"owners", "owners.csv", 0, csv_owner_fields,
	 CSV_COUNT(csv_owner_fields)},
	{"opportunities", "opportunities.csv", 1, csv_opportunity_fields,
	 CSV_COUNT(csv_opportunity_fields)},
	{"stage_history", "stage_history.csv", 1, csv_stage_event_fields,
	 CSV_COUNT(csv_stage_event_fields)},
	{"field_history", "field_history.csv", 0, csv_field_change_fields,
	 CSV_COUNT(csv_field_change_fields)},
	{"activities", "activities.csv", 0, csv_activity_fields,
	 CSV_COUNT(csv_activity_fields)},
	{"evidence", "evidence.csv", 0, csv_evidence_fields,
	 CSV_COUNT(csv_evidence_fields)},
};

const struct csv_kind_def *csv_kind_def(int kind)
{
	if (kind < 0 || kind >= CSV_KIND_COUNT)
		return NULL;
	return &csv_kinds[kind];
}

int csv_field_index(int kind, const char *name)
{
	const struct csv_kind_def *def = csv_kind_def(kind);
	size_t i;

	if (def == NULL)
		return -1;
	for (i = 0; i < def->field_count; i++)
		if (strcmp(def->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int csv_kind_index(const char *name)
{
	int k;

	for (k = 0; k < CSV_KIND_COUNT; k++)
		if (strcmp(csv_kinds[k].name, name) == 0)
			return k;
	return -1;
}

/* Writes base.key, or base["key"] when key is not a plain name. */
static void csv_path_key(char *out, size_t size, const char *base,
			 const char *key)
{
	size_t i;
	int n, plain = key[0] != '\0' && !(key[0] >= '0' && key[0] <= '9');

	for (i = 0; key[i] != '\0' && plain; i++) {
		char c = key[i];

		plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_';
	}
	/* A path too long for the buffer is cut: it only names a place. */
	if (plain)
		n = snprintf(out, size, "%s.%s", base, key);
	else
		n = snprintf(out, size, "%s[\"%s\"]", base, key);
	if (n < 0)
		out[0] = '\0';
}

static void csv_path_index(char *out, size_t size, const char *base,
			   size_t index)
{
	if (snprintf(out, size, "%s[%zu]", base, index) < 0)
		out[0] = '\0';
}

const char *csv_field_names(int kind, char *buf, size_t size)
{
	const struct csv_kind_def *def = csv_kind_def(kind);
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < def->field_count && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i > 0 ? ", " : "",
					 def->fields[i].name);
	return buf;
}

static const char *csv_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static int csv_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM,
			    "out of memory reading the csv mapping");
}

/* A string value that must not be empty. */
static int csv_get_string(const json_t *v, const char *path,
			  const char **out, struct sg_error *err)
{
	if (!json_is_string(v))
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: expected a string, found %s", path,
				    csv_type_name(v));
	if (json_string_length(v) == 0)
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: must not be empty", path);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: must not contain a NUL character",
				    path);
	*out = json_string_value(v);
	return SG_OK;
}

/*
 * Checks a strptime-style format against the conversions sg_time
 * supports; sets *time_of_day when it reads an hour, minute, second or
 * AM/PM, and *offset when it reads %z.
 */
static int csv_check_format(const char *format, const char *path,
			    int *time_of_day, int *offset,
			    struct sg_error *err)
{
	const char *p;

	*time_of_day = 0;
	*offset = 0;
	for (p = format; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		switch (*p) {
		case 'H': case 'I': case 'M': case 'S': case 'p': case 'T':
			*time_of_day = 1;
			break;
		case 'z':
			*offset = 1;
			break;
		case 'Y': case 'y': case 'm': case 'd': case 'e': case 'b':
		case 'B': case 'j': case 'f': case 'Z': case 'D': case 'F':
		case '%':
			break;
		case '\0':
			return sg_error_set(err, SG_ERR_CONFIG,
					    "%s: the format \"%s\" ends with "
					    "a lone %%", path, format);
		default:
			return sg_error_set(err, SG_ERR_CONFIG,
					    "%s: the format \"%s\" uses %%%c, "
					    "which is not supported (use %%Y "
					    "%%y %%m %%d %%e %%H %%I %%M %%S "
					    "%%p %%b %%B %%j %%f %%z %%Z %%T "
					    "%%D %%F %%%%)", path, format, *p);
		}
	}
	return SG_OK;
}

static void csv_time_rule_free(struct csv_time_rule *rule)
{
	if (rule == NULL)
		return;
	free(rule->format);
	free(rule->zone_name);
	sg_zone_free(rule->zone);
	free(rule);
}

/* Parses {"format": ..., "zone": ...} into a rule owned by map. */
static int csv_parse_time_rule(struct csv_mapping *map, const json_t *v,
			       const char *path,
			       const struct csv_time_rule **out,
			       struct sg_error *err)
{
	struct csv_time_rule *rule = NULL, **rules;
	const char *key, *format = NULL, *zone = NULL;
	char sub[CSV_PATH_MAX];
	json_t *item;
	int rc, time_of_day = 0, offset = 0;

	if (!json_is_object(v))
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: expected an object with \"format\" "
				    "and/or \"zone\", found %s", path,
				    csv_type_name(v));
	json_object_foreach((json_t *)v, key, item) {
		csv_path_key(sub, sizeof(sub), path, key);
		if (strcmp(key, "format") == 0)
			rc = csv_get_string(item, sub, &format, err);
		else if (strcmp(key, "zone") == 0)
			rc = csv_get_string(item, sub, &zone, err);
		else
			rc = sg_error_set(err, SG_ERR_CONFIG,
					  "%s: unknown key (valid keys: "
					  "format, zone)", sub);
		if (rc != SG_OK)
			return rc;
	}
	if (format != NULL) {
		csv_path_key(sub, sizeof(sub), path, "format");
		rc = csv_check_format(format, sub, &time_of_day, &offset, err);
		if (rc != SG_OK)
			return rc;
		if (time_of_day && !offset && zone == NULL)
			return sg_error_set(err, SG_ERR_CONFIG,
					    "%s: the format \"%s\" reads a "
					    "time of day but no \"zone\" is "
					    "given: state the zone the times "
					    "are in (\"UTC\", \"+02:00\", "
					    "\"Europe/Paris\")", path, format);
	}
	rule = calloc(1, sizeof(*rule));
	if (rule == NULL)
		return csv_nomem(err);
	rules = realloc(map->rules, (map->rule_count + 1) * sizeof(*rules));
	if (rules == NULL) {
		free(rule);
		return csv_nomem(err);
	}
	map->rules = rules;
	map->rules[map->rule_count++] = rule;
	if (format != NULL) {
		rule->format = strdup(format);
		if (rule->format == NULL)
			return csv_nomem(err);
	}
	/* A format reads its own text; without a stated zone its times are
	 * dates (midnight UTC) or carry an offset (%z). */
	if (zone == NULL && format != NULL)
		zone = "UTC";
	if (zone != NULL) {
		rule->zone_name = strdup(zone);
		if (rule->zone_name == NULL)
			return csv_nomem(err);
		rc = sg_zone_open(&rule->zone, zone, err);
		if (rc != SG_OK) {
			csv_path_key(sub, sizeof(sub), path, "zone");
			return sg_error_prefix(err, "%s: ", sub);
		}
	}
	*out = rule;
	return SG_OK;
}

/* The index of time field name in kind, or -1 with err set. */
static int csv_time_field(int kind, const char *name, const char *path,
			  struct sg_error *err)
{
	const struct csv_kind_def *def = csv_kind_def(kind);
	char list[256];
	size_t i, used = 0;
	int f = csv_field_index(kind, name);

	if (f >= 0 && (def->fields[f].flags & CSV_F_TIME))
		return f;
	list[0] = '\0';
	for (i = 0; i < def->field_count; i++)
		if (def->fields[i].flags & CSV_F_TIME)
			used += (size_t)snprintf(list + used,
						 sizeof(list) - used, "%s%s",
						 used > 0 ? ", " : "",
						 def->fields[i].name);
	sg_error_set(err, SG_ERR_CONFIG,
		     "%s: \"%s\" is not a time field of %s (time fields: %s)",
		     path, name, def->name, list);
	return -1;
}

/* One entry of "columns": "Column", {"column": "Column"} or
 * {"const": "text"}. */
static int csv_parse_source(const json_t *v, const char *path,
			    struct csv_source *src, struct sg_error *err)
{
	const char *key, *text = NULL;
	json_t *item;
	char sub[CSV_PATH_MAX];
	int rc;

	if (json_is_string(v)) {
		rc = csv_get_string(v, path, &text, err);
		if (rc != SG_OK)
			return rc;
		src->type = CSV_SRC_COLUMN;
	} else if (json_is_object(v) && json_object_size(v) == 1) {
		json_object_foreach((json_t *)v, key, item) {
			csv_path_key(sub, sizeof(sub), path, key);
			if (strcmp(key, "column") == 0) {
				rc = csv_get_string(item, sub, &text, err);
				src->type = CSV_SRC_COLUMN;
			} else if (strcmp(key, "const") == 0) {
				if (!json_is_string(item))
					return sg_error_set(
						err, SG_ERR_CONFIG,
						"%s: expected a string, found "
						"%s", sub,
						csv_type_name(item));
				text = json_string_value(item);
				src->type = CSV_SRC_CONST;
				rc = SG_OK;
			} else {
				rc = sg_error_set(err, SG_ERR_CONFIG,
						  "%s: unknown key (valid "
						  "keys: column, const)", sub);
			}
			if (rc != SG_OK)
				return rc;
		}
	} else {
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: expected a column name or an object "
				    "{\"column\": NAME} or {\"const\": TEXT}, "
				    "found %s", path, csv_type_name(v));
	}
	src->text = strdup(text);
	if (src->text == NULL)
		return csv_nomem(err);
	return SG_OK;
}

static int csv_parse_extra(const json_t *v, const char *path,
			   struct csv_spec *spec, struct sg_error *err)
{
	char sub[CSV_PATH_MAX];
	const char *name;
	json_t *item;
	size_t i;
	int rc;

	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "rest") == 0) {
			spec->extra = CSV_EXTRA_REST;
			return SG_OK;
		}
		if (strcmp(json_string_value(v), "none") == 0) {
			spec->extra = CSV_EXTRA_NONE;
			return SG_OK;
		}
	}
	if (!json_is_array(v))
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: expected \"rest\", \"none\" or a "
				    "list of column names", path);
	spec->extra = CSV_EXTRA_LIST;
	spec->extra_cols = calloc(json_array_size(v) + 1,
				  sizeof(*spec->extra_cols));
	if (spec->extra_cols == NULL)
		return csv_nomem(err);
	json_array_foreach(v, i, item) {
		csv_path_index(sub, sizeof(sub), path, i);
		rc = csv_get_string(item, sub, &name, err);
		if (rc != SG_OK)
			return rc;
		spec->extra_cols[i] = strdup(name);
		if (spec->extra_cols[i] == NULL)
			return csv_nomem(err);
		spec->extra_count = i + 1;
	}
	return SG_OK;
}

/* Resets spec to the canonical layout of kind. */
static void csv_spec_init(struct csv_spec *spec, int kind)
{
	memset(spec, 0, sizeof(*spec));
	spec->kind = kind;
	spec->canonical = 1;
	spec->extra = CSV_EXTRA_REST;
}

static void csv_spec_clear(struct csv_spec *spec)
{
	size_t i;

	free(spec->file);
	for (i = 0; i < CSV_FIELDS_MAX; i++)
		free(spec->src[i].text);
	for (i = 0; i < spec->extra_count; i++)
		free(spec->extra_cols[i]);
	free(spec->extra_cols);
}

/* Adds a spec to map; returns it (zeroed for kind) or NULL. */
static struct csv_spec *csv_add_spec(struct csv_mapping *map, int kind)
{
	struct csv_spec *specs;

	specs = realloc(map->specs, (map->spec_count + 1) * sizeof(*specs));
	if (specs == NULL)
		return NULL;
	map->specs = specs;
	csv_spec_init(&map->specs[map->spec_count], kind);
	return &map->specs[map->spec_count++];
}

/* Parses one file spec of kind at path. */
static int csv_parse_spec(struct csv_mapping *map, int kind, const json_t *v,
			  const char *path, struct sg_error *err)
{
	const struct csv_kind_def *def = csv_kind_def(kind);
	struct csv_spec *spec;
	const char *key, *file = NULL, *fname;
	char sub[CSV_PATH_MAX], sub2[CSV_PATH_MAX], list[256];
	json_t *item, *columns = NULL, *times = NULL, *skip = NULL;
	json_t *elem;
	size_t i;
	int rc, f;

	if (!json_is_object(v))
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: expected an object with \"file\" "
				    "and \"columns\", found %s", path,
				    csv_type_name(v));
	spec = csv_add_spec(map, kind);
	if (spec == NULL)
		return csv_nomem(err);
	json_object_foreach((json_t *)v, key, item) {
		csv_path_key(sub, sizeof(sub), path, key);
		rc = SG_OK;
		if (strcmp(key, "file") == 0) {
			rc = csv_get_string(item, sub, &file, err);
		} else if (strcmp(key, "columns") == 0) {
			if (!json_is_object(item))
				rc = sg_error_set(err, SG_ERR_CONFIG,
						  "%s: expected an object, "
						  "found %s", sub,
						  csv_type_name(item));
			columns = item;
		} else if (strcmp(key, "extra") == 0 &&
			   kind == CSV_OPPORTUNITIES) {
			rc = csv_parse_extra(item, sub, spec, err);
		} else if (strcmp(key, "derive_from_stage") == 0 &&
			   kind == CSV_STAGE_HISTORY) {
			if (!json_is_boolean(item))
				rc = sg_error_set(err, SG_ERR_CONFIG,
						  "%s: expected true or "
						  "false, found %s", sub,
						  csv_type_name(item));
			spec->derive_from_stage = json_is_true(item);
		} else if (strcmp(key, "skip_if_empty") == 0) {
			if (!json_is_array(item))
				rc = sg_error_set(err, SG_ERR_CONFIG,
						  "%s: expected a list of "
						  "field names, found %s", sub,
						  csv_type_name(item));
			skip = item;
		} else if (strcmp(key, "times") == 0) {
			if (!json_is_object(item))
				rc = sg_error_set(err, SG_ERR_CONFIG,
						  "%s: expected an object, "
						  "found %s", sub,
						  csv_type_name(item));
			times = item;
		} else {
			rc = sg_error_set(err, SG_ERR_CONFIG,
					  "%s: unknown key (valid keys: file, "
					  "columns, %sskip_if_empty, times)",
					  sub,
					  kind == CSV_OPPORTUNITIES ?
					  "extra, " :
					  kind == CSV_STAGE_HISTORY ?
					  "derive_from_stage, " : "");
		}
		if (rc != SG_OK)
			return rc;
	}
	if (file == NULL)
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: \"file\" is required (the export's "
				    "file name, relative to the folder)",
				    path);
	spec->file = strdup(file);
	if (spec->file == NULL)
		return csv_nomem(err);
	csv_path_key(sub, sizeof(sub), path, "columns");
	if (columns != NULL) {
		spec->canonical = 0;
		json_object_foreach(columns, key, item) {
			csv_path_key(sub2, sizeof(sub2), sub, key);
			f = csv_field_index(kind, key);
			if (f < 0)
				return sg_error_set(
					err, SG_ERR_CONFIG,
					"%s: unknown field \"%s\" (the fields "
					"of %s are: %s)", sub2, key, def->name,
					csv_field_names(kind, list,
						       sizeof(list)));
			rc = csv_parse_source(item, sub2, &spec->src[f], err);
			if (rc != SG_OK)
				return rc;
		}
		for (i = 0; i < def->field_count; i++)
			if ((def->fields[i].flags & CSV_F_REQUIRED) &&
			    spec->src[i].type == CSV_SRC_NONE)
				return sg_error_set(
					err, SG_ERR_CONFIG,
					"%s: the required field \"%s\" of %s "
					"is not mapped", sub,
					def->fields[i].name, def->name);
	} else if (spec->extra == CSV_EXTRA_LIST ||
		   spec->extra == CSV_EXTRA_NONE) {
		csv_path_key(sub, sizeof(sub), path, "extra");
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: \"extra\" needs \"columns\" (without "
				    "them the file is in the canonical "
				    "layout)", sub);
	}
	if (spec->derive_from_stage &&
	    spec->src[1].type != CSV_SRC_NONE) {
		csv_path_key(sub, sizeof(sub), path, "columns");
		csv_path_key(sub2, sizeof(sub2), sub, "from_stage");
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: from_stage cannot be mapped when "
				    "derive_from_stage is true", sub2);
	}
	if (skip != NULL) {
		csv_path_key(sub, sizeof(sub), path, "skip_if_empty");
		json_array_foreach(skip, i, elem) {
			csv_path_index(sub2, sizeof(sub2), sub, i);
			rc = csv_get_string(elem, sub2, &fname, err);
			if (rc != SG_OK)
				return rc;
			f = csv_field_index(kind, fname);
			if (f < 0)
				return sg_error_set(
					err, SG_ERR_CONFIG,
					"%s: unknown field \"%s\" (the fields "
					"of %s are: %s)", sub2, fname,
					def->name,
					csv_field_names(kind, list,
						       sizeof(list)));
			if (!spec->canonical &&
			    spec->src[f].type == CSV_SRC_NONE)
				return sg_error_set(
					err, SG_ERR_CONFIG,
					"%s: the field \"%s\" is not mapped, "
					"so every row would be skipped", sub2,
					fname);
			spec->skip_if_empty |= 1u << f;
		}
	}
	if (times != NULL) {
		csv_path_key(sub, sizeof(sub), path, "times");
		json_object_foreach(times, key, item) {
			csv_path_key(sub2, sizeof(sub2), sub, key);
			f = csv_time_field(kind, key, sub2, err);
			if (f < 0)
				return SG_ERR_CONFIG;
			rc = csv_parse_time_rule(map, item, sub2,
						 &spec->time[f], err);
			if (rc != SG_OK)
				return rc;
		}
	}
	return SG_OK;
}

static int csv_parse_files(struct csv_mapping *map, const json_t *files,
			   const char *path, struct sg_error *err)
{
	const char *key;
	char sub[CSV_PATH_MAX], sub2[CSV_PATH_MAX];
	json_t *item, *elem;
	size_t i;
	int rc, kind;

	if (!json_is_object(files))
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: expected an object, found %s", path,
				    csv_type_name(files));
	/* Read in canonical order, whatever the order of the keys. */
	for (kind = 0; kind < CSV_KIND_COUNT; kind++) {
		item = json_object_get(files, csv_kinds[kind].name);
		csv_path_key(sub, sizeof(sub), path, csv_kinds[kind].name);
		if (item == NULL) {
			struct csv_spec *spec = csv_add_spec(map, kind);

			if (spec == NULL)
				return csv_nomem(err);
			spec->file = strdup(csv_kinds[kind].file);
			if (spec->file == NULL)
				return csv_nomem(err);
			continue;
		}
		if (!json_is_array(item)) {
			rc = csv_parse_spec(map, kind, item, sub, err);
			if (rc != SG_OK)
				return rc;
			continue;
		}
		if (json_array_size(item) == 0)
			return sg_error_set(err, SG_ERR_CONFIG,
					    "%s: the list is empty", sub);
		json_array_foreach(item, i, elem) {
			csv_path_index(sub2, sizeof(sub2), sub, i);
			rc = csv_parse_spec(map, kind, elem, sub2, err);
			if (rc != SG_OK)
				return rc;
		}
	}
	json_object_foreach((json_t *)files, key, item) {
		if (csv_kind_index(key) < 0) {
			csv_path_key(sub, sizeof(sub), path, key);
			return sg_error_set(err, SG_ERR_CONFIG,
					    "%s: unknown file (valid keys: "
					    "owners, opportunities, "
					    "stage_history, field_history, "
					    "activities, evidence)", sub);
		}
	}
	return SG_OK;
}

static int csv_parse_stages(struct csv_mapping *map, const json_t *stages,
			    const char *path, struct sg_error *err)
{
	const char *key, *id, *label;
	char sub[CSV_PATH_MAX];
	json_t *item;
	size_t n, len;
	int rc;

	if (!json_is_object(stages))
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: expected an object (label -> stage "
				    "id), found %s", path,
				    csv_type_name(stages));
	n = json_object_size(stages);
	map->stage_labels = calloc(n + 1, sizeof(char *));
	map->stage_ids = calloc(n + 1, sizeof(char *));
	if (map->stage_labels == NULL || map->stage_ids == NULL)
		return csv_nomem(err);
	json_object_foreach((json_t *)stages, key, item) {
		csv_path_key(sub, sizeof(sub), path, key);
		rc = csv_get_string(item, sub, &id, err);
		if (rc != SG_OK)
			return rc;
		len = strlen(key);
		label = sg_trim(key, &len);
		if (len == 0)
			return sg_error_set(err, SG_ERR_CONFIG,
					    "%s: a stage label must not be "
					    "empty", sub);
		map->stage_labels[map->stage_count] = strndup(label, len);
		map->stage_ids[map->stage_count] = strdup(id);
		map->stage_count++;
		if (map->stage_labels[map->stage_count - 1] == NULL ||
		    map->stage_ids[map->stage_count - 1] == NULL)
			return csv_nomem(err);
	}
	return SG_OK;
}

/* Top-level "times": "default" and "FILE.FIELD" rules. */
static int csv_parse_times(struct csv_mapping *map, const json_t *times,
			   const char *path,
			   const struct csv_time_rule *by_field
			   [CSV_KIND_COUNT][CSV_FIELDS_MAX],
			   const struct csv_time_rule **fallback,
			   struct sg_error *err)
{
	const char *key, *dot;
	char sub[CSV_PATH_MAX], kind_name[64];
	json_t *item;
	int rc, kind, f;

	if (!json_is_object(times))
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: expected an object, found %s", path,
				    csv_type_name(times));
	json_object_foreach((json_t *)times, key, item) {
		csv_path_key(sub, sizeof(sub), path, key);
		if (strcmp(key, "default") == 0) {
			rc = csv_parse_time_rule(map, item, sub, fallback,
						 err);
			if (rc != SG_OK)
				return rc;
			continue;
		}
		dot = strchr(key, '.');
		kind = -1;
		if (dot != NULL && (size_t)(dot - key) < sizeof(kind_name)) {
			memcpy(kind_name, key, (size_t)(dot - key));
			kind_name[dot - key] = '\0';
			kind = csv_kind_index(kind_name);
		}
		if (kind < 0)
			return sg_error_set(err, SG_ERR_CONFIG,
					    "%s: unknown key (valid keys: "
					    "\"default\" and FILE.FIELD, e.g. "
					    "\"stage_history.changed_at\")",
					    sub);
		f = csv_time_field(kind, dot + 1, sub, err);
		if (f < 0)
			return SG_ERR_CONFIG;
		rc = csv_parse_time_rule(map, item, sub, &by_field[kind][f],
					 err);
		if (rc != SG_OK)
			return rc;
	}
	return SG_OK;
}

static int csv_parse_root(struct csv_mapping *map, const json_t *root,
			  const char *json_path, struct sg_error *err)
{
	const struct csv_time_rule *by_field[CSV_KIND_COUNT][CSV_FIELDS_MAX];
	const struct csv_time_rule *fallback = NULL;
	const json_t *files = NULL, *stages = NULL, *times = NULL;
	const char *key;
	char sub[CSV_PATH_MAX];
	json_t *item;
	size_t s, i;
	int rc, kind;

	memset(by_field, 0, sizeof(by_field));
	if (root != NULL && !json_is_object(root))
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: expected an object, found %s",
				    json_path, csv_type_name(root));
	if (root != NULL) {
		json_object_foreach((json_t *)root, key, item) {
			csv_path_key(sub, sizeof(sub), json_path, key);
			if (strcmp(key, "files") == 0)
				files = item;
			else if (strcmp(key, "stages") == 0)
				stages = item;
			else if (strcmp(key, "times") == 0)
				times = item;
			else
				return sg_error_set(err, SG_ERR_CONFIG,
						    "%s: unknown key (valid "
						    "keys: files, stages, "
						    "times)", sub);
		}
	}
	if (times != NULL) {
		csv_path_key(sub, sizeof(sub), json_path, "times");
		rc = csv_parse_times(map, times, sub, by_field, &fallback,
				     err);
		if (rc != SG_OK)
			return rc;
	}
	if (stages != NULL) {
		csv_path_key(sub, sizeof(sub), json_path, "stages");
		rc = csv_parse_stages(map, stages, sub, err);
		if (rc != SG_OK)
			return rc;
	}
	csv_path_key(sub, sizeof(sub), json_path, "files");
	if (files != NULL) {
		rc = csv_parse_files(map, files, sub, err);
		if (rc != SG_OK)
			return rc;
	} else {
		for (kind = 0; kind < CSV_KIND_COUNT; kind++) {
			struct csv_spec *spec = csv_add_spec(map, kind);

			if (spec == NULL)
				return csv_nomem(err);
			spec->file = strdup(csv_kinds[kind].file);
			if (spec->file == NULL)
				return csv_nomem(err);
		}
	}
	/* A spec's own rule, else FILE.FIELD, else "default". */
	for (s = 0; s < map->spec_count; s++) {
		struct csv_spec *spec = &map->specs[s];
		const struct csv_kind_def *def = csv_kind_def(spec->kind);

		for (i = 0; i < def->field_count; i++) {
			if (!(def->fields[i].flags & CSV_F_TIME) ||
			    spec->time[i] != NULL)
				continue;
			spec->time[i] = by_field[spec->kind][i] != NULL ?
				by_field[spec->kind][i] : fallback;
		}
	}
	return SG_OK;
}

int csv_mapping_new(struct csv_mapping **out, const char *json,
		    const char *json_path, struct sg_error *err)
{
	struct csv_mapping *map;
	json_t *root = NULL;
	json_error_t jerr;
	int rc;

	*out = NULL;
	map = calloc(1, sizeof(*map));
	if (map == NULL)
		return csv_nomem(err);
	if (json != NULL && json[0] != '\0') {
		root = json_loads(json,
				  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
				  &jerr);
		if (root == NULL) {
			rc = sg_error_set(err, SG_ERR_CONFIG,
					  "%s: not valid JSON: %s", json_path,
					  jerr.text);
			goto out;
		}
		if (json_is_null(root)) {
			json_decref(root);
			root = NULL;
		}
	}
	rc = csv_parse_root(map, root, json_path, err);
out:
	json_decref(root);
	if (rc != SG_OK) {
		csv_mapping_free(map);
		return rc;
	}
	*out = map;
	return SG_OK;
}

void csv_mapping_free(struct csv_mapping *map)
{
	size_t i;

	if (map == NULL)
		return;
	for (i = 0; i < map->spec_count; i++)
		csv_spec_clear(&map->specs[i]);
	free(map->specs);
	for (i = 0; i < map->stage_count; i++) {
		free(map->stage_labels[i]);
		free(map->stage_ids[i]);
	}
	free(map->stage_labels);
	free(map->stage_ids);
	for (i = 0; i < map->rule_count; i++)
		csv_time_rule_free(map->rules[i]);
	free(map->rules);
	free(map);
}

const char *csv_mapping_stage(const struct csv_mapping *map,
			      const char *label, size_t len)
{
	size_t i;

	for (i = 0; i < map->stage_count; i++)
		if (strncmp(map->stage_labels[i], label, len) == 0 &&
		    map->stage_labels[i][len] == '\0')
			return map->stage_ids[i];
	return NULL;
}
