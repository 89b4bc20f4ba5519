/* badabi.c - a test-only plugin built for another ABI version. */
#include "sg_plugin.h"

static const struct sg_plugin badabi_plugin = {
	.abi_version = 100, /* no version stageguard will reach soon */
	.kind = SG_PLUGIN_SOURCE,
	.name = "badabi",
};

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

const struct sg_plugin *sg_plugin_entry(void)
{
	return &badabi_plugin;
}
