/*
 * sg_options.c - a plugin's option table applied to its config section
 * (DESIGN §2, §10 rule 46): validation, defaults, help and redaction from
 * the one declarative table.
 */
#include "sg_options.h"
#include "sg_secrets.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define OPT_QUOTE_MAX 64
#define OPT_QUOTE_SIZE (OPT_QUOTE_MAX * 4 + 8)
#define OPT_PATH_MAX 512
#define OPT_HELP_WIDTH 79
#define OPT_INFO_MAX 28         /* widest DEFAULT/flags column */

/* Writes json_path followed by .key, or ["key"] when key is not a plain
 * word, into buf. */
static void opt_key_path(char *buf, size_t size, const char *json_path,
			 const char *key)
{
	char q[OPT_QUOTE_SIZE];
	size_t i;
	int plain = key[0] != '\0';

	for (i = 0; key[i] != '\0'; i++) {
		if (!isalnum((unsigned char)key[i]) && key[i] != '_' &&
		    key[i] != '-')
			plain = 0;
	}
	sg_quote(key, strlen(key), OPT_QUOTE_MAX, q, sizeof(q));
	if (plain) {
		snprintf(buf, size, "%s.%s", json_path, q);
		return;
	}
	/* sg_quote() escapes what would end the string. */
	snprintf(buf, size, "%s[\"%s\"]", json_path, q);
}

static int opt_fail(struct sg_error *err, int code, const char *path,
		    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Sets code with the message "PATH: what"; the file is the caller's to
 * add, so err->path is cleared. */
static int opt_fail(struct sg_error *err, int code, const char *path,
		    const char *fmt, ...)
{
	char msg[SG_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path == NULL)
		return sg_error_set_at(err, code, "", 0, 0, "%s", msg);
	return sg_error_set_at(err, code, "", 0, 0, "%s: %s", path, msg);
}

static const char *opt_type_name(int type)
{
	switch (type) {
	case SG_OPT_STRING:
		return "string";
	case SG_OPT_INT:
		return "int";
	case SG_OPT_DOUBLE:
		return "double";
	case SG_OPT_BOOL:
		return "bool";
	case SG_OPT_JSON:
		return "json";
	default:
		return "?";
	}
}

static size_t opt_field_size(int type)
{
	switch (type) {
	case SG_OPT_STRING:
	case SG_OPT_JSON:
		return sizeof(char *);
	case SG_OPT_INT:
		return sizeof(long long);
	case SG_OPT_DOUBLE:
		return sizeof(double);
	case SG_OPT_BOOL:
		return sizeof(int);
	default:
		return 0;
	}
}

/* Nonzero when the option's field lies inside the plugin's struct: a
 * descriptor is data from a shared object, checked before it is used. */
static int opt_field_ok(const struct sg_plugin *plugin,
			const struct sg_option *o)
{
	size_t size = opt_field_size(o->type);

	return o->name != NULL && size > 0 &&
		o->offset <= plugin->config_size &&
		size <= plugin->config_size - o->offset;
}

static int opt_json_int(json_t *v, long long *out)
{
	double d;

	if (json_is_integer(v)) {
		*out = (long long)json_integer_value(v);
		return 1;
	}
	if (!json_is_real(v))
		return 0;
	/* A real written as 3.0 is integral; 3.5 is not. */
	d = json_real_value(v);
	if (d != floor(d) || d < -9.2e18 || d > 9.2e18)
		return 0;
	*out = (long long)d;
	return 1;
}

/* Stores v (a JSON value of the option's type) into the field. */
static int opt_store_json(void *field, const struct sg_option *o, json_t *v,
			  const char *path, struct sg_error *err)
{
	char *s;
	long long ll;

	switch (o->type) {
	case SG_OPT_STRING:
		if (!json_is_string(v))
			return opt_fail(err, SG_ERR_CONFIG, path,
					"expected a string");
		s = strdup(json_string_value(v));
		if (s == NULL)
			goto nomem;
		memcpy(field, &s, sizeof(s));
		return SG_OK;
	case SG_OPT_INT:
		if (!opt_json_int(v, &ll))
			return opt_fail(err, SG_ERR_CONFIG, path,
					"expected an integer");
		memcpy(field, &ll, sizeof(ll));
		return SG_OK;
	case SG_OPT_DOUBLE: {
		double d;

		if (!json_is_number(v))
			return opt_fail(err, SG_ERR_CONFIG, path,
					"expected a number");
		d = json_number_value(v);
		memcpy(field, &d, sizeof(d));
		return SG_OK;
	}
	case SG_OPT_BOOL: {
		int b;

		if (!json_is_boolean(v))
			return opt_fail(err, SG_ERR_CONFIG, path,
					"expected a boolean");
		b = json_is_true(v);
		memcpy(field, &b, sizeof(b));
		return SG_OK;
	}
	case SG_OPT_JSON:
		s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
			       JSON_ENCODE_ANY);
		if (s == NULL)
			goto nomem;
		memcpy(field, &s, sizeof(s));
		return SG_OK;
	default:
		return opt_fail(err, SG_ERR_PLUGIN, path,
				"option has an unknown type %d", o->type);
	}
nomem:
	return opt_fail(err, SG_ERR_NOMEM, path, "out of memory");
}

/* Converts the option's default text by its type into the field. */
static int opt_store_default(void *field, const struct sg_plugin *plugin,
			     const struct sg_option *o, struct sg_error *err)
{
	const char *text = o->default_value;
	char *end, *s;
	json_t *v;
	int rc;

	switch (o->type) {
	case SG_OPT_STRING:
		s = strdup(text);
		if (s == NULL)
			return opt_fail(err, SG_ERR_NOMEM, NULL,
					"out of memory");
		memcpy(field, &s, sizeof(s));
		return SG_OK;
	case SG_OPT_INT: {
		long long ll;

		errno = 0;
		ll = strtoll(text, &end, 10);
		if (errno != 0 || end == text || *end != '\0')
			break;
		memcpy(field, &ll, sizeof(ll));
		return SG_OK;
	}
	case SG_OPT_DOUBLE: {
		double d;

		errno = 0;
		d = strtod(text, &end);
		if (errno != 0 || end == text || *end != '\0' || !isfinite(d))
			break;
		memcpy(field, &d, sizeof(d));
		return SG_OK;
	}
	case SG_OPT_BOOL: {
		int b;

		if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
			b = 1;
		else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
			b = 0;
		else
			break;
		memcpy(field, &b, sizeof(b));
		return SG_OK;
	}
	case SG_OPT_JSON:
		v = json_loads(text, JSON_DECODE_ANY, NULL);
		if (v == NULL)
			break;
		rc = opt_store_json(field, o, v, NULL, err);
		json_decref(v);
		return rc;
	default:
		break;
	}
	return opt_fail(err, SG_ERR_PLUGIN, NULL,
			"plugin \"%s\": option \"%s\": default \"%s\" is not "
			"a valid %s", plugin->name ? plugin->name : "?",
			o->name, text, opt_type_name(o->type));
}

/* "name1, name2, ..." of the table, for messages. */
static void opt_valid_list(char *buf, size_t size,
			   const struct sg_plugin *plugin)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < plugin->option_count && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%s", i > 0 ? ", " : "",
			      plugin->options[i].name);
}

static const struct sg_option *opt_find(const struct sg_plugin *plugin,
					const char *name)
{
	size_t i;

	for (i = 0; i < plugin->option_count; i++) {
		if (strcmp(plugin->options[i].name, name) == 0)
			return &plugin->options[i];
	}
	return NULL;
}

/* Whether o must be given in role, and in which words if only there. */
static int opt_required(const struct sg_option *o, unsigned role,
			const char **why)
{
	*why = "";
	if (o->flags & SG_OPT_REQUIRED)
		return 1;
	if ((o->flags & SG_OPT_SOURCE_REQUIRED) && role == SG_PLUGIN_SOURCE) {
		*why = " (required as a source)";
		return 1;
	}
	if ((o->flags & SG_OPT_SINK_REQUIRED) && role == SG_PLUGIN_SINK) {
		*why = " (required as a sink)";
		return 1;
	}
	return 0;
}

/* Every secret option's value is redacted from whatever the process
 * writes from now on (sg_secrets.h); one too short to redact is left. */
static void opt_register_secrets(const void *out,
				 const struct sg_plugin *plugin)
{
	size_t i;

	for (i = 0; i < plugin->option_count; i++) {
		const struct sg_option *o = &plugin->options[i];
		const char *value;

		if (!(o->flags & SG_OPT_SECRET) ||
		    (o->type != SG_OPT_STRING && o->type != SG_OPT_JSON))
			continue;
		memcpy(&value, (const char *)out + o->offset, sizeof(value));
		if (value != NULL && strlen(value) >= SG_SECRET_MIN)
			sg_secrets_add(value, NULL);
	}
}

int sg_options_fill(void *out, const struct sg_plugin *plugin,
		    json_t *section, const char *json_path,
		    struct sg_error *err)
{
	return sg_options_fill_as(out, plugin, section, json_path, 0, err);
}

int sg_options_fill_as(void *out, const struct sg_plugin *plugin,
		       json_t *section, const char *json_path, unsigned role,
		       struct sg_error *err)
{
	const char *why;
	char path[OPT_PATH_MAX], list[SG_ERROR_MESSAGE_MAX / 2];
	char q[OPT_QUOTE_SIZE];
	const struct sg_option *o;
	const char *key;
	json_t *v;
	size_t i;
	int rc = SG_OK;

	if (json_path == NULL)
		json_path = "$";
	for (i = 0; i < plugin->option_count; i++) {
		if (!opt_field_ok(plugin, &plugin->options[i]))
			return opt_fail(err, SG_ERR_PLUGIN, NULL,
					"plugin \"%s\": option %zu does not "
					"fit its config struct",
					plugin->name ? plugin->name : "?", i);
	}
	if (section != NULL && !json_is_object(section))
		return opt_fail(err, SG_ERR_CONFIG, json_path,
				"expected an object");

	/* Unknown keys first: a typo is the likeliest mistake. */
	if (section != NULL) {
		json_object_foreach(section, key, v) {
			if (opt_find(plugin, key) != NULL)
				continue;
			opt_key_path(path, sizeof(path), json_path, key);
			if (plugin->option_count == 0)
				return opt_fail(err, SG_ERR_CONFIG, path,
						"unknown option \"%s\" (this "
						"plugin takes no options)",
						sg_quote(key, strlen(key),
							 OPT_QUOTE_MAX, q,
							 sizeof(q)));
			opt_valid_list(list, sizeof(list), plugin);
			return opt_fail(err, SG_ERR_CONFIG, path,
					"unknown option \"%s\" (valid "
					"options: %s)",
					sg_quote(key, strlen(key),
						 OPT_QUOTE_MAX, q, sizeof(q)),
					list);
		}
	}

	for (i = 0; i < plugin->option_count; i++) {
		void *field;

		o = &plugin->options[i];
		field = (char *)out + o->offset;
		v = section != NULL ? json_object_get(section, o->name) : NULL;
		if (v != NULL) {
			opt_key_path(path, sizeof(path), json_path, o->name);
			rc = opt_store_json(field, o, v, path, err);
		} else if (opt_required(o, role, &why)) {
			rc = opt_fail(err, SG_ERR_CONFIG, json_path,
				      "missing required option \"%s\"%s",
				      o->name, why);
		} else if (o->default_value != NULL) {
			rc = opt_store_default(field, plugin, o, err);
		}
		if (rc != SG_OK)
			break;
	}
	if (rc != SG_OK)
		sg_options_release(out, plugin);
	else
		opt_register_secrets(out, plugin);
	return rc;
}

void sg_options_release(void *out, const struct sg_plugin *plugin)
{
	size_t i;

	if (out == NULL || plugin == NULL)
		return;
	for (i = 0; i < plugin->option_count; i++) {
		const struct sg_option *o = &plugin->options[i];
		char *s;

		if (o->type != SG_OPT_STRING && o->type != SG_OPT_JSON)
			continue;
		if (!opt_field_ok(plugin, o))
			continue;
		memcpy(&s, (char *)out + o->offset, sizeof(s));
		free(s);
		s = NULL;
		memcpy((char *)out + o->offset, &s, sizeof(s));
	}
}

/* The DEFAULT/flags column: "required", "secret", "default: X". */
static void opt_info(char *buf, size_t size, const struct sg_option *o)
{
	size_t n = 0;

	buf[0] = '\0';
	if (o->flags & SG_OPT_REQUIRED)
		n += snprintf(buf + n, size - n, "required");
	else if (o->flags & SG_OPT_SOURCE_REQUIRED)
		n += snprintf(buf + n, size - n, "required as a source");
	else if (o->flags & SG_OPT_SINK_REQUIRED)
		n += snprintf(buf + n, size - n, "required as a sink");
	if (o->default_value != NULL && n < size)
		n += snprintf(buf + n, size - n, "%sdefault: %s",
			      n > 0 ? ", " : "",
			      o->default_value[0] != '\0' ?
			      o->default_value : "\"\"");
	if ((o->flags & SG_OPT_SECRET) && n < size)
		snprintf(buf + n, size - n, "%ssecret", n > 0 ? ", " : "");
}

/* Prints text wrapped at OPT_HELP_WIDTH, continuation lines indented to
 * column indent; the first line starts at column col. */
static void opt_wrap(FILE *fp, const char *text, size_t col, size_t indent)
{
	size_t width = OPT_HELP_WIDTH > indent + 20 ?
		OPT_HELP_WIDTH - indent : 20;
	size_t room = OPT_HELP_WIDTH > col ? OPT_HELP_WIDTH - col : 1;
	const char *p = text;

	while (*p == ' ')
		p++;
	while (*p != '\0') {
		size_t len = strlen(p), cut = len;

		if (len > room) {
			/* Break at the last space that fits, or after a
			 * word longer than the line. */
			for (cut = room; cut > 0 && p[cut] != ' '; cut--)
				;
			if (cut == 0)
				for (cut = room; p[cut] != '\0' &&
				     p[cut] != ' '; cut++)
					;
		}
		fprintf(fp, "%.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
		if (*p != '\0')
			fprintf(fp, "%*s", (int)indent, "");
		room = width;
	}
}

void sg_options_print_help(FILE *fp, const struct sg_plugin *plugin)
{
	char info[256];
	size_t i, name_w = 4, info_w = 0, col, len;

	if (plugin->option_count == 0) {
		fprintf(fp, "  (no options)\n");
		return;
	}
	for (i = 0; i < plugin->option_count; i++) {
		const struct sg_option *o = &plugin->options[i];

		len = strlen(o->name);
		if (len > name_w)
			name_w = len;
		opt_info(info, sizeof(info), o);
		len = strlen(info);
		if (len > info_w && len <= OPT_INFO_MAX)
			info_w = len;
	}
	col = 2 + name_w + 2 + 6 + 2 + info_w + 2;
	for (i = 0; i < plugin->option_count; i++) {
		const struct sg_option *o = &plugin->options[i];
		const char *help = o->help != NULL ? o->help : "";
		size_t indent = col <= OPT_HELP_WIDTH - 20 ? col : 8;
		char row[512];

		opt_info(info, sizeof(info), o);
		snprintf(row, sizeof(row), "  %-*s  %-6s  %s", (int)name_w,
			 o->name, opt_type_name(o->type), info);
		len = strlen(row);
		while (len > 0 && row[len - 1] == ' ')
			row[--len] = '\0';
		if (help[0] == '\0') {
			fprintf(fp, "%s\n", row);
		} else if (strlen(info) <= info_w && indent == col) {
			fprintf(fp, "%-*s", (int)col, row);
			opt_wrap(fp, help, col, col);
		} else {
			/* A long default or name: the help on the next
			 * lines. */
			fprintf(fp, "%s\n%*s", row, (int)indent, "");
			opt_wrap(fp, help, indent, indent);
		}
	}
}

json_t *sg_options_redact(const struct sg_plugin *plugin, json_t *section)
{
	json_t *copy;
	size_t i;

	if (section == NULL)
		return NULL;
	copy = json_deep_copy(section);
	if (copy == NULL || !json_is_object(copy))
		return copy;
	for (i = 0; i < plugin->option_count; i++) {
		const struct sg_option *o = &plugin->options[i];

		if (!(o->flags & SG_OPT_SECRET))
			continue;
		if (json_object_get(copy, o->name) == NULL)
			continue;
		if (json_object_set_new(copy, o->name,
					json_string("<redacted>")) != 0) {
			/* Never hand back an unredacted copy. */
			json_decref(copy);
			return NULL;
		}
	}
	return copy;
}
