/*
 * sg_host.h - what the source host (sg_source.c) and the sink host
 * (sg_sink.c) do alike for the plugins they run.
 */
#ifndef SG_HOST_H
#define SG_HOST_H

#include <jansson.h>
#include <stdarg.h>

/*
 * Prints a plugin's log line to standard error as
 * "stageguard: PLUGIN: LEVEL: message" when level is at most verbose
 * (enum sg_log_level); an unknown level counts as info.  The line
 * passes through redaction (sg_secrets.h) and is cut at 4 KiB.
 */
void sg_host_vlog(const char *plugin, int verbose, int level,
		  const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
void sg_host_log(const char *plugin, int verbose, int level,
		 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * getenv for a plugin.  What one of its *_env options names (a key ending
 * in "_env" of section, the plugin's config section; may be NULL) is a
 * credential, so that value is registered as a secret (sg_secrets.h)
 * before the plugin sees it; any other variable (a tuning knob) is not,
 * or its digits would be redacted from every record.  A value too short
 * to redact is still handed over.
 */
const char *sg_host_getenv(const char *name, json_t *section);

/*
 * Asks running plugins to stop: their waits and transfers end, and the
 * host's cancelled() says so (safe to call from a signal handler).
 */
void sg_host_request_cancel(void);

/* Nonzero once sg_host_request_cancel() was called. */
int sg_host_cancel_requested(void);

#endif
