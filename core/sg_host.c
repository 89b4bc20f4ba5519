/*
 * sg_host.c - what the source and sink hosts do alike (sg_host.h).
 */
#include "sg_host.h"

#include <stdio.h>

#include "sg_plugin.h"

void sg_host_vlog(const char *plugin, int verbose, int level,
		  const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info",
					     "debug" };

	if (level < SG_LOG_ERROR || level > SG_LOG_DEBUG)
		level = SG_LOG_INFO;
	if (level > verbose)
		return;
	fprintf(stderr, "stageguard: %s: %s: ", plugin, names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}
