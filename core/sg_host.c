/*
 * sg_host.c - what the source and sink hosts do alike (sg_host.h).
 */
#include "sg_host.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_plugin.h"
#include "sg_secrets.h"

/* A log line is cut here: a plugin printing a whole page is a bug, and
 * the line must still pass through redaction as one piece. */
#define HOST_LOG_LINE_MAX 4096

void sg_host_vlog(const char *plugin, int verbose, int level,
		  const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info",
					     "debug" };
	char line[HOST_LOG_LINE_MAX];

	if (level < SG_LOG_ERROR || level > SG_LOG_DEBUG)
		level = SG_LOG_INFO;
	if (level > verbose)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	sg_secrets_redact_in_place(line, sizeof(line));
	fprintf(stderr, "stageguard: %s: %s: %s\n", plugin, names[level],
		line);
}

void sg_host_log(const char *plugin, int verbose, int level,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sg_host_vlog(plugin, verbose, level, fmt, ap);
	va_end(ap);
}

/* Set by a signal handler, read by every thread: a lock-free atomic is
 * both async-signal-safe and free of data races (a volatile
 * sig_atomic_t is only the first). */
static atomic_int host_cancel;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
	       "a signal handler may only touch a lock-free atomic");

void sg_host_request_cancel(void)
{
	atomic_store_explicit(&host_cancel, 1, memory_order_relaxed);
}

int sg_host_cancel_requested(void)
{
	return atomic_load_explicit(&host_cancel, memory_order_relaxed) != 0;
}

/* Does a *_env option of section name the variable? */
static int host_names_env(json_t *section, const char *name)
{
	const char *key;
	json_t *value;

	json_object_foreach(section, key, value) {
		size_t len = strlen(key);

		if (len > 4 && strcmp(key + len - 4, "_env") == 0 &&
		    json_is_string(value) &&
		    strcmp(json_string_value(value), name) == 0)
			return 1;
	}
	return 0;
}

const char *sg_host_getenv(const char *name, json_t *section)
{
	const char *value = getenv(name);

	if (value != NULL && strlen(value) >= SG_SECRET_MIN &&
	    host_names_env(section, name))
		sg_secrets_add(value, NULL);
	return value;
}
