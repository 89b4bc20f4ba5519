/*
 * sg_loader.h - finding and loading plugins (DESIGN §2).
 *
 * Plugins are found in, in order: --plugin-dir, $STAGEGUARD_PLUGIN_PATH
 * (colon-separated), the build tree, the installed pkglibdir.  The first
 * plugin of a name wins.  A module is dlopen'ed, its sg_plugin_entry is
 * called, and its ABI version is checked before any other field is read.
 * Modules are never dlclose'd while the registry lives.
 */
#ifndef SG_LOADER_H
#define SG_LOADER_H

#include <stddef.h>

#include "sg_plugin.h"

struct sg_loaded_plugin {
	const struct sg_plugin *plugin;
	char *path;             /* the module file */
};

struct sg_registry;

/*
 * Scans the search path (extra_dir may be NULL) and loads every module
 * found.  Modules that fail to load are remembered as problems (see
 * sg_registry_problems()) so `stageguard plugins` can show them; they are
 * not an error here.  Returns SG_OK or SG_ERR_NOMEM.
 */
int sg_registry_open(struct sg_registry **out, const char *extra_dir,
		     struct sg_error *err);
/* Accepts NULL. */
void sg_registry_free(struct sg_registry *registry);

/*
 * Loads one module file and checks it.  A dlopen failure, a missing entry
 * symbol, an entry returning NULL, a wrong ABI version, a name that is not
 * the file's basename or an incomplete descriptor is SG_ERR_PLUGIN with a
 * message naming the file and the reason (and, for dlopen, how to
 * diagnose it).
 */
int sg_plugin_load_file(struct sg_loaded_plugin *out, const char *path,
			struct sg_error *err);

/* The plugin of this name and kind (SG_PLUGIN_SOURCE or _SINK), or NULL
 * with SG_ERR_PLUGIN set in err (listing the plugins found, and any load
 * problem of a module with that name). */
const struct sg_loaded_plugin *sg_registry_find(const struct sg_registry *r,
						const char *name,
						unsigned kind,
						struct sg_error *err);

/* All loaded plugins, sorted by name. */
const struct sg_loaded_plugin *sg_registry_list(const struct sg_registry *r,
						size_t *count);

/* Modules that failed to load: one message each. */
const char *const *sg_registry_problems(const struct sg_registry *r,
					size_t *count);

#endif
