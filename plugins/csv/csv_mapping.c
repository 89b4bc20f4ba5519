/*
 * csv_mapping.c - the mapping that reads a CRM's export in place of the
 * canonical files (sg_canonical.h, docs/csv-mapping.md).
 */
#include "csv_mapping.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_missing.h"

#define CSV_PATH_MAX 512

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
	const struct sg_canon_file *def = sg_canonical_file(kind);
	char list[256];
	size_t i, used = 0;
	int f = sg_canonical_find_column(kind, name);

	if (f >= 0 && (def->columns[f].flags & SG_CANON_TIME))
		return f;
	list[0] = '\0';
	for (i = 0; i < def->column_count; i++)
		if (def->columns[i].flags & SG_CANON_TIME)
			used += (size_t)snprintf(list + used,
						 sizeof(list) - used, "%s%s",
						 used > 0 ? ", " : "",
						 def->columns[i].name);
	sg_error_set(err, SG_ERR_CONFIG,
		     "%s: \"%s\" is not a time field of %s (time fields: %s)",
		     path, name, def->kind, list);
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
	for (i = 0; i < SG_CANON_COLUMNS_MAX; i++)
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

/* Adds a spec reading kind in the canonical layout under its canonical
 * file name. */
static int csv_add_canonical(struct csv_mapping *map, int kind,
			     struct sg_error *err)
{
	struct csv_spec *spec = csv_add_spec(map, kind);

	if (spec == NULL)
		return csv_nomem(err);
	spec->file = strdup(sg_canonical_file(kind)->file);
	if (spec->file == NULL)
		return csv_nomem(err);
	spec->encoding = map->encoding;
	return SG_OK;
}

/* The encodings a file may be in (sg_csv_set_encoding()): Excel on
 * Windows saves CSV in the ANSI code page or as "Unicode Text". */
static const char *const csv_encodings[] = {
	"utf-8", "windows-1252", "iso-8859-1", "utf-16"
};

/* "encoding" at path: *out the static name (NULL for utf-8). */
static int csv_parse_encoding(const json_t *v, const char *path,
			      const char **out, struct sg_error *err)
{
	const char *text = json_string_value(v);
	size_t i;

	for (i = 0; text != NULL && i < sizeof(csv_encodings) /
	     sizeof(csv_encodings[0]); i++)
		if (strcmp(text, csv_encodings[i]) == 0) {
			*out = i == 0 ? NULL : csv_encodings[i];
			return SG_OK;
		}
	return sg_error_set(err, SG_ERR_CONFIG, "%s: expected one of "
			    "\"utf-8\", \"windows-1252\", \"iso-8859-1\", "
			    "\"utf-16\" (with a byte order mark)", path);
}

/* Parses one file spec of kind at path. */
static int csv_parse_spec(struct csv_mapping *map, int kind, const json_t *v,
			  const char *path, struct sg_error *err)
{
	const struct sg_canon_file *def = sg_canonical_file(kind);
	struct csv_spec *spec;
	const char *key, *file = NULL, *fname;
	char sub[CSV_PATH_MAX], sub2[CSV_PATH_MAX], list[256];
	json_t *item, *columns = NULL, *times = NULL, *skip = NULL;
	json_t *elem;
	size_t i;
	int has_encoding = 0;
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
		} else if (strcmp(key, "encoding") == 0) {
			rc = csv_parse_encoding(item, sub, &spec->encoding,
						err);
			has_encoding = 1;
		} else if (strcmp(key, "columns") == 0) {
			if (!json_is_object(item))
				rc = sg_error_set(err, SG_ERR_CONFIG,
						  "%s: expected an object, "
						  "found %s", sub,
						  csv_type_name(item));
			columns = item;
		} else if (strcmp(key, "extra") == 0 &&
			   kind == SG_CANON_OPPORTUNITIES) {
			rc = csv_parse_extra(item, sub, spec, err);
		} else if (strcmp(key, "derive_from_stage") == 0 &&
			   kind == SG_CANON_STAGE_HISTORY) {
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
					  "columns, encoding, %sskip_if_empty, "
					  "times)",
					  sub,
					  kind == SG_CANON_OPPORTUNITIES ?
					  "extra, " :
					  kind == SG_CANON_STAGE_HISTORY ?
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
	if (!has_encoding)
		spec->encoding = map->encoding;
	csv_path_key(sub, sizeof(sub), path, "columns");
	if (columns != NULL) {
		spec->canonical = 0;
		json_object_foreach(columns, key, item) {
			csv_path_key(sub2, sizeof(sub2), sub, key);
			f = sg_canonical_find_column(kind, key);
			if (f < 0)
				return sg_error_set(
					err, SG_ERR_CONFIG,
					"%s: unknown field \"%s\" (the fields "
					"of %s are: %s)", sub2, key, def->kind,
					sg_canonical_column_names(
						kind, list, sizeof(list)));
			rc = csv_parse_source(item, sub2, &spec->src[f], err);
			if (rc != SG_OK)
				return rc;
		}
		for (i = 0; i < def->column_count; i++)
			if ((def->columns[i].flags & SG_CANON_REQUIRED) &&
			    spec->src[i].type == CSV_SRC_NONE)
				return sg_error_set(
					err, SG_ERR_CONFIG,
					"%s: the required field \"%s\" of %s "
					"is not mapped", sub,
					def->columns[i].name, def->kind);
	} else if (spec->extra == CSV_EXTRA_LIST ||
		   spec->extra == CSV_EXTRA_NONE) {
		csv_path_key(sub, sizeof(sub), path, "extra");
		return sg_error_set(err, SG_ERR_CONFIG,
				    "%s: \"extra\" needs \"columns\" (without "
				    "them the file is in the canonical "
				    "layout)", sub);
	}
	if (spec->derive_from_stage &&
	    spec->src[SG_EVENT_FROM_STAGE].type != CSV_SRC_NONE) {
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
			f = sg_canonical_find_column(kind, fname);
			if (f < 0)
				return sg_error_set(
					err, SG_ERR_CONFIG,
					"%s: unknown field \"%s\" (the fields "
					"of %s are: %s)", sub2, fname,
					def->kind,
					sg_canonical_column_names(
						kind, list, sizeof(list)));
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

/* Writes the canonical kind names ("owners, opportunities, ...") into
 * buf; returns buf. */
static const char *csv_kind_names(char *buf, size_t size)
{
	size_t used = 0;
	int kind, n;

	buf[0] = '\0';
	for (kind = 0; kind < SG_CANON_FILE_COUNT && used < size; kind++) {
		n = snprintf(buf + used, size - used, "%s%s",
			     kind > 0 ? ", " : "",
			     sg_canonical_file(kind)->kind);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
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
	for (kind = 0; kind < SG_CANON_FILE_COUNT; kind++) {
		const char *name = sg_canonical_file(kind)->kind;

		item = json_object_get(files, name);
		csv_path_key(sub, sizeof(sub), path, name);
		if (item == NULL) {
			rc = csv_add_canonical(map, kind, err);
			if (rc != SG_OK)
				return rc;
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
		if (sg_canonical_find_kind(key) < 0) {
			csv_path_key(sub, sizeof(sub), path, key);
			return sg_error_set(err, SG_ERR_CONFIG,
					    "%s: unknown file (valid keys: "
					    "%s)", sub, csv_kind_names(
						    sub2, sizeof(sub2)));
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
			   [SG_CANON_FILE_COUNT][SG_CANON_COLUMNS_MAX],
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
			kind = sg_canonical_find_kind(kind_name);
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
	const struct csv_time_rule
		*by_field[SG_CANON_FILE_COUNT][SG_CANON_COLUMNS_MAX];
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
			rc = SG_OK;
			if (strcmp(key, "files") == 0)
				files = item;
			else if (strcmp(key, "stages") == 0)
				stages = item;
			else if (strcmp(key, "times") == 0)
				times = item;
			else if (strcmp(key, "encoding") == 0)
				rc = csv_parse_encoding(item, sub,
							&map->encoding, err);
			else
				return sg_error_set(err, SG_ERR_CONFIG,
						    "%s: unknown key (valid "
						    "keys: files, stages, "
						    "times, encoding)", sub);
			if (rc != SG_OK)
				return rc;
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
		for (kind = 0; kind < SG_CANON_FILE_COUNT; kind++) {
			rc = csv_add_canonical(map, kind, err);
			if (rc != SG_OK)
				return rc;
		}
	}
	/* A spec's own rule, else FILE.FIELD, else "default". */
	for (s = 0; s < map->spec_count; s++) {
		struct csv_spec *spec = &map->specs[s];
		const struct sg_canon_file *def =
			sg_canonical_file(spec->kind);

		for (i = 0; i < def->column_count; i++) {
			if (!(def->columns[i].flags & SG_CANON_TIME) ||
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
	char why[JSON_ERROR_TEXT_LENGTH];
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
					  sg_json_reason(jerr.text, why,
							 sizeof(why)));
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
