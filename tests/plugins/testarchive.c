/*
 * testarchive.c - a test-only archiving sink that says neither
 * SG_SINK_FILES_WHEN_READY nor SG_SINK_FILES_PACKED: it lists each file
 * it is given with the size it has on disk and whether it came packed,
 * so a test can check that such a sink is given finished, plain files
 * (tests/cli/bundle_packed.sh).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sg_plugin.h"

struct testarchive_config {
	char *out;
};

struct testarchive_state {
	const struct sg_host *host;
	char path[4096];
};

static const struct sg_option testarchive_options[] = {
	{ "out", SG_OPT_STRING, 0, "testarchive.txt", "the output file",
	  offsetof(struct testarchive_config, out) },
};

static int testarchive_open(void **state, const void *config,
			    const char *arg, const struct sg_host *host,
			    struct sg_error *err)
{
	const struct testarchive_config *c = config;
	struct testarchive_state *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	s->host = host;
	if (arg != NULL || c->out[0] == '/')
		snprintf(s->path, sizeof(s->path), "%s",
			 arg != NULL ? arg : c->out);
	else
		snprintf(s->path, sizeof(s->path), "%s/%s",
			 host->config_dir(host->ctx), c->out);
	*state = s;
	return SG_OK;
}

static int testarchive_write(void *state, const struct sg_sink_input *in,
			     struct sg_error *err)
{
	struct testarchive_state *s = state;
	struct stat sb;
	FILE *fp = fopen(s->path, "w");
	size_t i;
	int rc = SG_OK;

	if (fp == NULL)
		return sg_error_set_at(err, SG_ERR_SINK, s->path, 0, 0,
				       "cannot write: %s", strerror(errno));
	for (i = 0; rc == SG_OK && i < in->file_count; i++) {
		if (stat(in->files[i].path, &sb) != 0)
			rc = sg_error_set_at(err, SG_ERR_SINK,
					     in->files[i].path, 0, 0,
					     "cannot read: %s",
					     strerror(errno));
		else
			fprintf(fp, "%s %lld packed=%d\n", in->files[i].name,
				(long long)sb.st_size, in->files[i].packed);
	}
	if (fclose(fp) != 0 && rc == SG_OK)
		rc = sg_error_set_at(err, SG_ERR_SINK, s->path, 0, 0,
				     "cannot write: %s", strerror(errno));
	return rc;
}

static int testarchive_finish(void *state, struct sg_error *err)
{
	(void)state;
	(void)err;
	return SG_OK;
}

static void testarchive_close(void *state)
{
	free(state);
}

static const struct sg_plugin testarchive_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SINK,
	.name = "testarchive",
	.version = "1.0",
	.description = "test sink: lists the files an archive is given",
	.options = testarchive_options,
	.option_count = sizeof(testarchive_options) /
			sizeof(testarchive_options[0]),
	.config_size = sizeof(struct testarchive_config),
	.open = testarchive_open,
	.write = testarchive_write,
	.finish = testarchive_finish,
	.close = testarchive_close,
	.sink_needs = SG_SINK_NEEDS_FILES,
};

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

const struct sg_plugin *sg_plugin_entry(void)
{
	return &testarchive_plugin;
}
