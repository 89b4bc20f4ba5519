/*
 * salesforce_soql.c - SOQL text built from the config and the data
 * without SOQL injection: values always as literals quoted and escaped
 * the way the SOQL reference documents ("Quoted String Escape
 * Sequences"), field names only as identifier paths.
 */
#include "salesforce_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int salesforce_append(char **buf, const char *text)
{
	size_t had = *buf != NULL ? strlen(*buf) : 0, n = strlen(text);
	char *grown = realloc(*buf, had + n + 1);

	if (grown == NULL)
		return -1;
	memcpy(grown + had, text, n + 1);
	*buf = grown;
	return 0;
}

int salesforce_soql_quote(char **buf, const char *text)
{
	size_t had = *buf != NULL ? strlen(*buf) : 0, i, o;
	char *grown = realloc(*buf, had + strlen(text) * 2 + 3);
	const unsigned char *p = (const unsigned char *)text;

	if (grown == NULL)
		return -1;
	o = had;
	grown[o++] = '\'';
	for (i = 0; p[i] != '\0'; i++) {
		char esc = 0;

		switch (p[i]) {
		case '\'': esc = '\''; break;
		case '"': esc = '"'; break;
		case '\\': esc = '\\'; break;
		case '\n': esc = 'n'; break;
		case '\r': esc = 'r'; break;
		case '\t': esc = 't'; break;
		case '\b': esc = 'b'; break;
		case '\f': esc = 'f'; break;
		default: break;
		}
		if (esc != 0) {
			grown[o++] = '\\';
			grown[o++] = esc;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			/* SOQL has no escape for it: refused, not changed. */
			grown[had] = '\0';
			*buf = grown;
			return -2;
		} else {
			grown[o++] = (char)p[i];
		}
	}
	grown[o++] = '\'';
	grown[o] = '\0';
	*buf = grown;
	return 0;
}

/* A field path: identifiers of letters, digits and underscores, joined
 * by dots, each starting with a letter. */
int salesforce_soql_is_field(const char *name)
{
	const char *p = name;

	if (p == NULL)
		return 0;
	for (;;) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
			return 0;
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		       (*p >= '0' && *p <= '9') || *p == '_')
			p++;
		if (*p == '\0')
			return 1;
		if (*p++ != '.')
			return 0;
	}
}

/* One value as a SOQL literal. */
static int salesforce_literal(char **buf, json_t *v, const char *field,
			      struct sg_error *err)
{
	char num[64];

	if (json_is_string(v)) {
		int q = salesforce_soql_quote(buf, json_string_value(v));

		if (q == -2)
			return sg_error_set(err, SG_ERR_CONFIG,
					    "opportunity_filter.%s: a control "
					    "character SOQL cannot quote",
					    field);
		return q == 0 ? SG_OK : sg_error_set(err, SG_ERR_NOMEM,
						     "out of memory");
	}
	if (json_is_integer(v))
		snprintf(num, sizeof(num), "%lld",
			 (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(num, sizeof(num), "%s", json_is_true(v) ? "true" :
			 "false");
	else if (json_is_null(v))
		snprintf(num, sizeof(num), "null");
	else
		return sg_error_set(err, SG_ERR_CONFIG, "opportunity_filter.%s: "
				    "a value is a text, a number, true, false "
				    "or null", field);
	return salesforce_append(buf, num) == 0 ? SG_OK :
	       sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

static int salesforce_condition(char **buf, const char *field, json_t *v,
				struct sg_error *err)
{
	size_t i;
	int rc = SG_OK;

	if (!salesforce_soql_is_field(field))
		return sg_error_set(err, SG_ERR_CONFIG, "opportunity_filter: "
				    "\"%.80s\" is no field name (letters, "
				    "digits, underscores; a relationship "
				    "with dots)", field);
	if (salesforce_append(buf, field) != 0)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	if (!json_is_array(v))
		return salesforce_append(buf, " = ") == 0 ?
		       salesforce_literal(buf, v, field, err) :
		       sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	if (json_array_size(v) == 0)
		return sg_error_set(err, SG_ERR_CONFIG, "opportunity_filter.%s: "
				    "an empty list matches nothing", field);
	if (salesforce_append(buf, " IN (") != 0)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(v) && rc == SG_OK; i++) {
		if (i > 0 && salesforce_append(buf, ", ") != 0)
			return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
		rc = salesforce_literal(buf, json_array_get(v, i), field, err);
	}
	if (rc == SG_OK && salesforce_append(buf, ")") != 0)
		rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	return rc;
}

int salesforce_soql_filter(json_t *filter, char **out, struct sg_error *err)
{
	const char *field;
	json_t *v;
	int rc = SG_OK, first = 1;

	*out = strdup("");
	if (*out == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	json_object_foreach(filter, field, v) {
		if (rc != SG_OK)
			break;
		if (!first && salesforce_append(out, " AND ") != 0)
			rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
		if (rc == SG_OK)
			rc = salesforce_condition(out, field, v, err);
		first = 0;
	}
	if (rc != SG_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

const char *salesforce_soql_order(const char *q)
{
	const char *order = strstr(q, " ORDER BY "), *p;

	/* The last ORDER BY is the query's own; one before it is inside a
	 * literal or a subquery. */
	while (order != NULL && (p = strstr(order + 1, " ORDER BY ")) != NULL)
		order = p;
	return order;
}

char *salesforce_soql_and(const char *q, const char *condition)
{
	const char *order = salesforce_soql_order(q), *where = NULL, *p;
	char *out;
	size_t n;

	if (order == NULL)
		order = q + strlen(q);
	for (p = q; (p = strstr(p, " WHERE ")) != NULL && p < order; p++)
		where = p;
	n = strlen(q) + strlen(condition) + 8;
	out = malloc(n);
	if (out == NULL)
		return NULL;
	snprintf(out, n, "%.*s %s %s%s", (int)(order - q), q,
		 where != NULL ? "AND" : "WHERE", condition, order);
	return out;
}

char *salesforce_soql_unordered(const char *q)
{
	const char *order = salesforce_soql_order(q);
	size_t n = order != NULL ? (size_t)(order - q) : strlen(q);
	char *out = malloc(n + 1);

	if (out == NULL)
		return NULL;
	memcpy(out, q, n);
	out[n] = '\0';
	return out;
}
