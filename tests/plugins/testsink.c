/*
 * testsink.c - a test-only sink: writes a plain-text account of what it
 * was given (sections, blocks, table rows, charts, files), fails on
 * request, and "verifies" a file by reporting each line starting "BAD".
 * It lets tests drive the sink host without Excel or archives.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_plugin.h"

struct testsink_config {
	char *out;
	char *fail;             /* "open", "write" or "finish" */
	char *token;            /* secret */
};

struct testsink_state {
	const struct sg_host *host;
	const struct testsink_config *config;
	char path[4096];
	FILE *fp;
};

static const struct sg_option testsink_options[] = {
	{ "out", SG_OPT_STRING, 0, "testsink.txt", "the output file",
	  offsetof(struct testsink_config, out) },
	{ "fail", SG_OPT_STRING, 0, NULL, "fail at open, write or finish",
	  offsetof(struct testsink_config, fail) },
	{ "token", SG_OPT_STRING, SG_OPT_SECRET, NULL, "a secret",
	  offsetof(struct testsink_config, token) },
};

static int testsink_fails(const struct testsink_state *s, const char *at)
{
	return s->config->fail != NULL && strcmp(s->config->fail, at) == 0;
}

static int testsink_open(void **state, const void *config, const char *arg,
			 const struct sg_host *host, struct sg_error *err)
{
	struct testsink_state *s = calloc(1, sizeof(*s));
	const struct testsink_config *c = config;

	if (s == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	s->host = host;
	s->config = c;
	if (arg != NULL)
		snprintf(s->path, sizeof(s->path), "%s", arg);
	else if (c->out[0] == '/')
		snprintf(s->path, sizeof(s->path), "%s", c->out);
	else
		snprintf(s->path, sizeof(s->path), "%s/%s",
			 host->config_dir(host->ctx), c->out);
	if (testsink_fails(s, "open")) {
		free(s);
		return sg_error_set(err, SG_ERR_CONFIG, "failing at open as "
				    "asked");
	}
	*state = s;
	return SG_OK;
}

static void testsink_value(FILE *fp, const struct sg_value *v)
{
	switch (v->type) {
	case SG_VAL_NONE: fputs("-", fp); break;
	case SG_VAL_NA: fputs("n/a", fp); break;
	case SG_VAL_INT: fprintf(fp, "%lld", v->integer); break;
	case SG_VAL_NUMBER:
	case SG_VAL_PERCENT: fprintf(fp, "%g", v->number); break;
	case SG_VAL_TIME:
	case SG_VAL_DATE: fprintf(fp, "@%lld", (long long)v->time); break;
	case SG_VAL_MONEY:
		fprintf(fp, "%s %s", v->text, v->unit ? v->unit : "");
		break;
	default: fputs(v->text ? v->text : "(null)", fp); break;
	}
}

struct testsink_row {
	FILE *fp;
	size_t columns;
};

static int testsink_row(void *arg, const struct sg_value *cells,
			struct sg_error *err)
{
	struct testsink_row *r = arg;
	size_t i;

	(void)err;
	fputs("  row:", r->fp);
	for (i = 0; i < r->columns; i++) {
		fputc(' ', r->fp);
		testsink_value(r->fp, &cells[i]);
	}
	fputc('\n', r->fp);
	return 0;
}

static int testsink_report(FILE *fp, const char *what,
			   const struct sg_report *rep, struct sg_error *err)
{
	size_t i, j;
	int rc = SG_OK;

	fprintf(fp, "%s %s: %s\n", what, rep->key, rep->title);
	for (i = 0; rc == SG_OK && i < rep->section_count; i++) {
		const struct sg_section *sec = &rep->sections[i];

		fprintf(fp, "section %s: %s\n", sec->key, sec->title);
		for (j = 0; rc == SG_OK && j < sec->block_count; j++) {
			const struct sg_block *b = &sec->blocks[j];
			struct testsink_row r = { fp, 0 };

			if (b->type == SG_BLOCK_TABLE) {
				fprintf(fp, " table %s (%zu columns)\n",
					b->table->key,
					b->table->column_count);
				r.columns = b->table->column_count;
				rc = b->table->rows(b->table, testsink_row,
						    &r, err);
			} else if (b->type == SG_BLOCK_CHART) {
				fprintf(fp, " chart %s of %s\n", b->chart->key,
					b->chart->table->key);
			} else {
				fprintf(fp, " text %s\n", b->text);
			}
		}
	}
	return rc;
}

static int testsink_write(void *state, const struct sg_sink_input *in,
			  struct sg_error *err)
{
	struct testsink_state *s = state;
	size_t i;
	int rc = SG_OK;

	if (testsink_fails(s, "write"))
		return sg_error_set(err, SG_ERR_INTERNAL, "failing at write "
				    "as asked");
	s->fp = fopen(s->path, "w");
	if (s->fp == NULL)
		return sg_error_set_at(err, SG_ERR_SINK, s->path, 0, 0,
				       "cannot write: %s", strerror(errno));
	if (in->report != NULL)
		rc = testsink_report(s->fp, "report", in->report, err);
	if (rc == SG_OK && in->data != NULL)
		rc = testsink_report(s->fp, "data", in->data, err);
	for (i = 0; rc == SG_OK && i < in->file_count; i++)
		fprintf(s->fp, "file %s\n", in->files[i].name);
	if (rc == SG_OK && in->facts_json != NULL)
		fprintf(s->fp, "facts %s\n", in->facts_json);
	s->host->log(s->host->ctx, SG_LOG_INFO, "wrote %s", s->path);
	return rc;
}

static int testsink_finish(void *state, struct sg_error *err)
{
	struct testsink_state *s = state;
	int rc = fclose(s->fp);

	s->fp = NULL;
	if (testsink_fails(s, "finish"))
		return sg_error_set(err, SG_ERR_IO, "failing at finish as "
				    "asked");
	if (rc != 0)
		return sg_error_set_at(err, SG_ERR_SINK, s->path, 0, 0,
				       "cannot write: %s", strerror(errno));
	return SG_OK;
}

static int testsink_verify(void *state, const char *path,
			   sg_problem_fn problem, void *arg,
			   struct sg_error *err)
{
	char line[512];
	FILE *fp = fopen(path, "r");

	(void)state;
	if (fp == NULL)
		return sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				       "cannot read: %s", strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "BAD", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			problem(arg, line);
		}
	fclose(fp);
	return SG_OK;
}

static void testsink_close(void *state)
{
	struct testsink_state *s = state;

	if (s->fp != NULL)
		fclose(s->fp);
	free(s);
}

static const struct sg_plugin testsink_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SINK,
	.name = "testsink",
	.version = "1.0",
	.description = "test sink: a plain-text account of its input",
	.options = testsink_options,
	.option_count = sizeof(testsink_options) /
			sizeof(testsink_options[0]),
	.config_size = sizeof(struct testsink_config),
	.open = testsink_open,
	.write = testsink_write,
	.finish = testsink_finish,
	.close = testsink_close,
	.verify = testsink_verify,
	.sink_needs = SG_SINK_NEEDS_REPORT | SG_SINK_NEEDS_DATA,
};

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

const struct sg_plugin *sg_plugin_entry(void)
{
	return &testsink_plugin;
}
