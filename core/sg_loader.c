/*
 * sg_loader.c - finding, loading and checking plugins (see sg_loader.h).
 */
#include "sg_loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct sg_registry {
	struct sg_loaded_plugin *plugins;
	size_t count, capacity;
	char **problems;
	size_t problem_count;
};

static char *dup_text(const char *text)
{
	size_t len = strlen(text) + 1;
	char *copy = malloc(len);

	if (copy != NULL)
		memcpy(copy, text, len);
	return copy;
}

/* The module's name: the file's basename without ".so". */
static void module_name(const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 3 && strcmp(base + len - 3, ".so") == 0)
		len -= 3;
	if (len >= size)
		len = size - 1;
	memcpy(out, base, len);
	out[len] = '\0';
}

static int check_descriptor(const struct sg_plugin *p, const char *path,
			    struct sg_error *err)
{
	char expected[256];
	const struct sg_option *o;
	size_t i;

	/* abi_version is the only field safe to read before this check. */
	if (p->abi_version != SG_PLUGIN_ABI_VERSION)
		return sg_error_set_at(err, SG_ERR_PLUGIN, path, 0, 0,
				       "plugin ABI version %u, this stageguard "
				       "needs %u: rebuild the plugin against "
				       "this version's sg_plugin.h",
				       p->abi_version, SG_PLUGIN_ABI_VERSION);
	module_name(path, expected, sizeof(expected));
	if (p->name == NULL || strcmp(p->name, expected) != 0)
		return sg_error_set_at(err, SG_ERR_PLUGIN, path, 0, 0,
				       "the plugin calls itself \"%s\" but its "
				       "file is named \"%s\": a plugin's name "
				       "must equal its file's basename",
				       p->name ? p->name : "(null)", expected);
	if ((p->kind & (SG_PLUGIN_SOURCE | SG_PLUGIN_SINK)) == 0 ||
	    p->description == NULL || p->open == NULL || p->close == NULL ||
	    ((p->kind & SG_PLUGIN_SOURCE) && p->pull == NULL) ||
	    ((p->kind & SG_PLUGIN_SINK) &&
	     (p->write == NULL || p->finish == NULL ||
	      p->sink_needs == 0)))
		return sg_error_set_at(err, SG_ERR_PLUGIN, path, 0, 0,
				       "the plugin's descriptor is incomplete "
				       "(kind, description, a callback its "
				       "kind needs, or a sink's sink_needs "
				       "is missing)");
	for (i = 0; i < p->option_count; i++) {
		o = &p->options[i];
		if (o->name == NULL || o->type < SG_OPT_STRING ||
		    o->type > SG_OPT_JSON || o->offset >= p->config_size)
			return sg_error_set_at(err, SG_ERR_PLUGIN, path, 0, 0,
					       "option %zu of the plugin's "
					       "table is malformed", i + 1);
	}
	return SG_OK;
}

int sg_plugin_load_file(struct sg_loaded_plugin *out, const char *path,
			struct sg_error *err)
{
	void *handle;
	sg_plugin_entry_fn entry;
	const struct sg_plugin *plugin;
	int rc;

	dlerror();
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL)
		return sg_error_set_at(err, SG_ERR_PLUGIN, path, 0, 0,
				       "cannot load the plugin: %s (run `ldd "
				       "%s` to see which library is missing)",
				       dlerror(), path);
	/* POSIX allows converting the void * of dlsym to a function. */
	*(void **)&entry = dlsym(handle, SG_PLUGIN_ENTRY_SYMBOL);
	if (entry == NULL) {
		dlclose(handle);
		return sg_error_set_at(err, SG_ERR_PLUGIN, path, 0, 0,
				       "not a stageguard plugin: it exports "
				       "no %s symbol", SG_PLUGIN_ENTRY_SYMBOL);
	}
	plugin = entry();
	if (plugin == NULL) {
		dlclose(handle);
		return sg_error_set_at(err, SG_ERR_PLUGIN, path, 0, 0,
				       "the plugin's %s returned no "
				       "descriptor", SG_PLUGIN_ENTRY_SYMBOL);
	}
	rc = check_descriptor(plugin, path, err);
	if (rc != SG_OK) {
		dlclose(handle);
		return rc;
	}
	out->plugin = plugin;
	out->path = dup_text(path);
	if (out->path == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	/* The handle stays open for the life of the process: plugins are
	 * never unloaded during a run. */
	return SG_OK;
}

static int registry_has(const struct sg_registry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (strcmp(r->plugins[i].plugin->name, name) == 0)
			return 1;
	return 0;
}

static int add_problem(struct sg_registry *r, const struct sg_error *e)
{
	char line[SG_ERROR_MESSAGE_MAX + SG_ERROR_PATH_MAX + 32];
	char **grown = realloc(r->problems,
			       (r->problem_count + 1) * sizeof(*grown));

	if (grown == NULL)
		return SG_ERR_NOMEM;
	r->problems = grown;
	sg_error_format(e, line, sizeof(line));
	r->problems[r->problem_count] = dup_text(line);
	if (r->problems[r->problem_count] == NULL)
		return SG_ERR_NOMEM;
	r->problem_count++;
	return SG_OK;
}

static int add_plugin(struct sg_registry *r, const char *path)
{
	struct sg_loaded_plugin loaded;
	struct sg_error e;
	char name[256];

	module_name(path, name, sizeof(name));
	if (registry_has(r, name))
		return SG_OK;   /* an earlier folder of the path wins */
	sg_error_clear(&e);
	if (sg_plugin_load_file(&loaded, path, &e) != SG_OK)
		return e.code == SG_ERR_NOMEM ? SG_ERR_NOMEM :
			add_problem(r, &e);
	if (r->count == r->capacity) {
		size_t capacity = r->capacity ? r->capacity * 2 : 8;
		struct sg_loaded_plugin *grown =
			realloc(r->plugins, capacity * sizeof(*grown));

		if (grown == NULL) {
			free(loaded.path);
			return SG_ERR_NOMEM;
		}
		r->plugins = grown;
		r->capacity = capacity;
	}
	r->plugins[r->count++] = loaded;
	return SG_OK;
}

static int is_module(const char *name)
{
	size_t len = strlen(name);

	return len > 3 && strcmp(name + len - 3, ".so") == 0 &&
	       strncmp(name, "lib", 3) != 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every module of one folder, in name order. */
static int scan_dir(struct sg_registry *r, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	char **names = NULL;
	size_t count = 0, i;
	int rc = SG_OK;

	if (d == NULL)
		return SG_OK;   /* a folder of the path may not exist */
	while ((entry = readdir(d)) != NULL) {
		char **grown;

		if (!is_module(entry->d_name))
			continue;
		grown = realloc(names, (count + 1) * sizeof(*names));
		if (grown == NULL) {
			rc = SG_ERR_NOMEM;
			break;
		}
		names = grown;
		names[count] = dup_text(entry->d_name);
		if (names[count] == NULL) {
			rc = SG_ERR_NOMEM;
			break;
		}
		count++;
	}
	closedir(d);
	if (count > 0)
		qsort(names, count, sizeof(*names), compare_names);
	for (i = 0; i < count && rc == SG_OK; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *path = malloc(len);

		if (path == NULL) {
			rc = SG_ERR_NOMEM;
			break;
		}
		snprintf(path, len, "%s/%s", dir, names[i]);
		rc = add_plugin(r, path);
		free(path);
	}
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* The build tree keeps each module in plugins/NAME/.libs/. */
static int scan_build_tree(struct sg_registry *r, const char *plugins_dir)
{
	DIR *d = opendir(plugins_dir);
	struct dirent *entry;
	int rc = SG_OK;

	if (d == NULL)
		return SG_OK;
	while (rc == SG_OK && (entry = readdir(d)) != NULL) {
		char libs[4096];

		if (entry->d_name[0] == '.')
			continue;
		snprintf(libs, sizeof(libs), "%s/%s/.libs", plugins_dir,
			 entry->d_name);
		rc = scan_dir(r, libs);
	}
	closedir(d);
	return rc;
}

static int scan_path_list(struct sg_registry *r, const char *list)
{
	char *copy = dup_text(list), *dir, *save = NULL;
	int rc = SG_OK;

	if (copy == NULL)
		return SG_ERR_NOMEM;
	for (dir = strtok_r(copy, ":", &save); dir != NULL && rc == SG_OK;
	     dir = strtok_r(NULL, ":", &save))
		rc = scan_dir(r, dir);
	free(copy);
	return rc;
}

static int compare_plugins(const void *a, const void *b)
{
	const struct sg_loaded_plugin *x = a, *y = b;

	return strcmp(x->plugin->name, y->plugin->name);
}

int sg_registry_open(struct sg_registry **out, const char *extra_dir,
		     struct sg_error *err)
{
	struct sg_registry *r = calloc(1, sizeof(*r));
	const char *env = getenv("STAGEGUARD_PLUGIN_PATH");
	int rc = SG_OK;

	if (r == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	if (extra_dir != NULL)
		rc = scan_dir(r, extra_dir);
	if (rc == SG_OK && env != NULL && env[0] != '\0')
		rc = scan_path_list(r, env);
	if (rc == SG_OK)
		rc = scan_build_tree(r, SG_BUILD_PLUGIN_DIR);
	if (rc == SG_OK)
		rc = scan_dir(r, SG_PKGLIBDIR);
	if (rc != SG_OK) {
		sg_registry_free(r);
		return sg_error_set(err, SG_ERR_NOMEM,
				    "out of memory while loading plugins");
	}
	if (r->count > 0)
		qsort(r->plugins, r->count, sizeof(*r->plugins),
		      compare_plugins);
	*out = r;
	return SG_OK;
}

void sg_registry_free(struct sg_registry *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->count; i++)
		free(r->plugins[i].path);
	for (i = 0; i < r->problem_count; i++)
		free(r->problems[i]);
	free(r->plugins);
	free(r->problems);
	free(r);
}

const struct sg_loaded_plugin *sg_registry_find(const struct sg_registry *r,
						const char *name,
						unsigned kind,
						struct sg_error *err)
{
	char found[512] = "";
	size_t i, used = 0;

	for (i = 0; i < r->count; i++) {
		const struct sg_plugin *p = r->plugins[i].plugin;

		if (strcmp(p->name, name) == 0 && (p->kind & kind))
			return &r->plugins[i];
	}
	for (i = 0; i < r->problem_count; i++) {
		char needle[300];

		snprintf(needle, sizeof(needle), "/%s.so", name);
		if (strstr(r->problems[i], needle) != NULL) {
			sg_error_set(err, SG_ERR_PLUGIN, "%s", r->problems[i]);
			return NULL;
		}
	}
	for (i = 0; i < r->count && used + 2 < sizeof(found); i++) {
		if (!(r->plugins[i].plugin->kind & kind))
			continue;
		used += (size_t)snprintf(found + used, sizeof(found) - used,
					 "%s%s", used ? ", " : "",
					 r->plugins[i].plugin->name);
	}
	sg_error_set(err, SG_ERR_PLUGIN,
		     "no %s plugin named \"%s\" (found: %s); see `stageguard "
		     "plugins` and --plugin-dir / STAGEGUARD_PLUGIN_PATH",
		     kind == SG_PLUGIN_SINK ? "sink" : "source", name,
		     found[0] ? found : "none");
	return NULL;
}

const struct sg_loaded_plugin *sg_registry_list(const struct sg_registry *r,
						size_t *count)
{
	*count = r->count;
	return r->plugins;
}

const char *const *sg_registry_problems(const struct sg_registry *r,
					size_t *count)
{
	*count = r->problem_count;
	return (const char *const *)r->problems;
}
