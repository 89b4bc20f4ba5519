#include "cli.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The length of the UTF-8 sequence at p (1 to 4), or 0 when the bytes
 * there are no valid sequence (overlong forms and surrogates included). */
static size_t utf8_length(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] > 0x9f))
			return 0;
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80 || (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

void cli_put_text(FILE *out, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	while (*p != '\0') {
		size_t n = utf8_length(p);
		/* C1 controls (U+0080..U+009F) are as dangerous as C0. */
		int control = (n == 1 && (*p < 0x20 || *p == 0x7f)) ||
			      (n == 2 && p[0] == 0xc2 && p[1] < 0xa0);

		if (n == 0 || control) {
			fprintf(out, "\\x%02x", *p);
			p++;
			continue;
		}
		fwrite(p, 1, n, out);
		p += n;
	}
}

/* A growable text buffer for one chunk of JSON lines. */
struct line_buf {
	char *text;
	size_t len, cap;
};

/* One chunk of exceptions to format as JSON lines. */
struct jsonl_chunk {
	const struct cli_session *s;
	const struct sg_exception *items;
	size_t count;
	struct line_buf out;
	int rc;
};

static void *format_chunk(void *arg)
{
	struct jsonl_chunk *c = arg;
	struct sg_routing routing;
	size_t i;

	c->out.len = 0;
	c->rc = SG_OK;
	for (i = 0; i < c->count && c->rc == SG_OK; i++) {
		/* Routing depends on the opportunity alone, and an
		 * opportunity's exceptions are listed together. */
		if (i == 0 || c->items[i].opp != c->items[i - 1].opp)
			sg_exception_route(&c->items[i], c->s->model,
					   c->s->window.as_of, &routing);
		c->rc = sg_exception_append_jsonl(&c->out.text, &c->out.len,
						  &c->out.cap, &c->items[i],
						  c->s->model, &routing,
						  c->s->window.as_of);
	}
	return NULL;
}

#define JSONL_CHUNK 4096

/*
 * Formatting an exception (its note and JSON) costs far more than writing
 * it, so two threads format alternate chunks and the lines are written in
 * order.
 */
static int print_jsonl(FILE *out, const struct cli_session *s,
		       const struct sg_exceptions *list, struct sg_error *err)
{
	struct jsonl_chunk chunk[2];
	size_t at = 0;
	int rc = SG_OK, k;

	memset(chunk, 0, sizeof(chunk));
	while (at < list->count && rc == SG_OK) {
		pthread_t helper;
		int threaded;

		for (k = 0; k < 2; k++) {
			size_t left = list->count - at;

			chunk[k].s = s;
			chunk[k].items = list->items + at;
			chunk[k].count = left < JSONL_CHUNK ? left : JSONL_CHUNK;
			at += chunk[k].count;
		}
		threaded = chunk[1].count > 0 &&
			pthread_create(&helper, NULL, format_chunk,
				       &chunk[1]) == 0;
		format_chunk(&chunk[0]);
		if (threaded)
			pthread_join(helper, NULL);
		else
			format_chunk(&chunk[1]);
		for (k = 0; k < 2 && rc == SG_OK; k++) {
			rc = chunk[k].rc;
			if (rc == SG_OK && chunk[k].out.len > 0 &&
			    fwrite(chunk[k].out.text, 1, chunk[k].out.len,
				   out) != chunk[k].out.len)
				rc = SG_ERR_IO;
		}
	}
	free(chunk[0].out.text);
	free(chunk[1].out.text);
	if (rc == SG_ERR_NOMEM)
		return sg_error_set(err, rc, "out of memory");
	if (rc != SG_OK)
		return sg_error_set(err, rc, "cannot write the exceptions");
	return SG_OK;
}

/* A short description of what an exception judged. */
static void describe_move(const struct sg_exception *ex,
			  const struct sg_model *m, const char *opp_stage,
			  char *buf, size_t size)
{
	if (ex->is_move && ex->from_stage != 0)
		snprintf(buf, size, "%s -> %s", sg_model_str(m, ex->from_stage),
			 sg_model_str(m, ex->to_stage));
	else if (ex->is_move)
		snprintf(buf, size, "created in %s",
			 sg_model_str(m, ex->to_stage));
	else if (ex->stage != 0)
		snprintf(buf, size, "in %s", sg_model_str(m, ex->stage));
	else
		snprintf(buf, size, "in %s", opp_stage);
}

static void describe_detail(const struct sg_exception *ex,
			    const struct sg_model *m, char *buf, size_t size)
{
	const struct sg_config *config;
	struct sg_model_view view;
	size_t used = 0;
	uint32_t i;

	sg_model_view(m, &view);
	config = view.config;
	buf[0] = '\0';
	switch (ex->type) {
	case SG_EX_MISSING_EVIDENCE:
		for (i = 0; i < ex->list_count && used + 1 < size; i++)
			used += (size_t)snprintf(
				buf + used, size - used, "%s%s",
				i ? ", " : "missing ",
				config->criteria[ex->list[i]].id);
		break;
	case SG_EX_REQUIRED_FIELD: {
		const char *stage = sg_model_str(m, ex->stage);
		int s = sg_config_stage_index(config, stage, strlen(stage));

		for (i = 0; s >= 0 && i < ex->list_count && used + 1 < size;
		     i++)
			used += (size_t)snprintf(
				buf + used, size - used, "%s%s",
				i ? ", " : "missing ",
				config->stages[s].required_fields[ex->list[i]]);
		break;
	}
	case SG_EX_SKIPPED_STAGE:
		for (i = 0; i < ex->list_count && used + 1 < size; i++)
			used += (size_t)snprintf(
				buf + used, size - used, "%s%s",
				i ? ", " : "skipped ",
				config->stages[ex->list[i]].id);
		break;
	case SG_EX_SELLER_ONLY:
		snprintf(buf, size, "%u seller activities, no buyer signal",
			 ex->seller_activities);
		break;
	case SG_EX_FORECAST_IMPACT:
		snprintf(buf, size, "%s -> %s%s%s%s%s",
			 ex->from_category ? ex->from_category : "none",
			 ex->to_category ? ex->to_category : "none",
			 ex->amount ? ", " : "", ex->amount ? ex->amount : "",
			 ex->currency ? " " : "",
			 ex->currency ? ex->currency : "");
		break;
	case SG_EX_STAGE_AGE:
		snprintf(buf, size, "%lld.%lld days (limit %g)",
			 (long long)(ex->age_tenths / 10),
			 (long long)(ex->age_tenths % 10), ex->max_age_days);
		break;
	case SG_EX_NO_NEXT_STEP:
		snprintf(buf, size, "next step %s",
			 ex->next_step_reason == SG_NNS_MISSING ? "missing"
								: "overdue");
		break;
	case SG_EX_DATA_QUALITY:
		for (i = 0; i < SG_DQ_REASON_COUNT && used + 1 < size; i++)
			if (ex->dq_reasons & (1u << i))
				used += (size_t)snprintf(
					buf + used, size - used, "%s%s",
					used ? ", " : "", sg_dq_reason_name(i));
		break;
	default:
		break;
	}
}

static int print_text(FILE *out, const struct cli_session *s,
		      const struct sg_exceptions *list)
{
	size_t counts[SG_EX_TYPE_COUNT] = { 0 };
	char since[SG_TIME_ISO_SIZE], as_of[SG_TIME_ISO_SIZE];
	size_t i;
	int t;

	fprintf(out, "Window %s .. %s: %u opportunities evaluated, %u paused, "
		"%zu exceptions\n\n",
		s->window.since == SG_TIME_NONE ? "(start of history)" :
		sg_time_format_iso(s->window.since, since),
		sg_time_format_iso(s->window.as_of, as_of), list->evaluated,
		list->paused, list->count);
	if (list->count > 0)
		fprintf(out, "%-20s %-17s %-7s %-10s %-34s %-12s %s\n",
			"OPPORTUNITY", "TYPE", "VERDICT", "DATE", "MOVE",
			"ASSIGNEE", "DETAIL");
	for (i = 0; i < list->count; i++) {
		const struct sg_exception *ex = &list->items[i];
		struct sg_routing routing;
		struct sg_model_view view;
		char move[160], detail[256], date[16];

		sg_model_view(s->model, &view);
		sg_exception_route(ex, s->model, s->window.as_of, &routing);
		describe_move(ex, s->model, view.opps[ex->opp].stage, move,
			      sizeof(move));
		describe_detail(ex, s->model, detail, sizeof(detail));
		counts[ex->type]++;
		fprintf(out, "%-20.20s %-17s %-7s %-10s %-34.34s %-12.12s %s\n",
			sg_model_str(s->model, view.opps[ex->opp].id),
			sg_exception_type_name(ex->type),
			sg_verdict_name(ex->verdict),
			sg_time_format_date(ex->event_at, date), move,
			routing.assignee, detail);
	}
	fprintf(out, "\n%-22s %7s\n", "EXCEPTION TYPE", "COUNT");
	for (t = 0; t < SG_EX_TYPE_COUNT; t++)
		fprintf(out, "%-22s %7zu\n", sg_exception_type_name(t),
			counts[t]);
	fprintf(out, "%-22s %7zu\n", "total", list->count);
	return SG_OK;
}

int cli_print_exceptions(FILE *out, const struct cli_session *s,
			 const struct sg_exceptions *list, const char *format,
			 struct sg_error *err)
{
	if (format == NULL || strcmp(format, "text") == 0)
		return print_text(out, s, list);
	if (strcmp(format, "jsonl") == 0)
		return print_jsonl(out, s, list, err);
	return sg_error_set(err, SG_ERR_USAGE,
			    "--format %s: expected text or jsonl", format);
}
