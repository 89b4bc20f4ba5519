/*
 * sg_host.h - what the source host (sg_source.c) and the sink host
 * (sg_sink.c) do alike for the plugins they run.
 */
#ifndef SG_HOST_H
#define SG_HOST_H

#include <stdarg.h>

/*
 * Prints a plugin's log line to standard error as
 * "stageguard: PLUGIN: LEVEL: message" when level is at most verbose
 * (enum sg_log_level); an unknown level counts as info.
 */
void sg_host_vlog(const char *plugin, int verbose, int level,
		  const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

#endif
