/* csv.c: to be written */
#include "sg_plugin.h"
__attribute__((visibility("default"))) const struct sg_plugin *sg_plugin_entry(void);
const struct sg_plugin *sg_plugin_entry(void) { return NULL; }
