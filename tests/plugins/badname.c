/* badname.c - a test-only plugin whose name is not its file's name. */
#include "sg_plugin.h"

static void badname_close(void *state)
{
	(void)state;
}

static int badname_open(void **state, const void *config, const char *arg,
			const struct sg_host *host, struct sg_error *err)
{
	(void)state; (void)config; (void)arg; (void)host;
	return sg_error_set(err, SG_ERR_SOURCE, "never opened");
}

static int badname_pull(void *state, struct sg_error *err)
{
	(void)state; (void)err;
	return 0;
}

static const struct sg_plugin badname_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SOURCE,
	.name = "somethingelse",
	.description = "misnamed",
	.open = badname_open,
	.pull = badname_pull,
	.close = badname_close,
};

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

const struct sg_plugin *sg_plugin_entry(void)
{
	return &badname_plugin;
}
