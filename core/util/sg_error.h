/*
 * sg_error.h - status codes and the caller-owned error record.
 *
 * Every function that can fail returns an int status (SG_OK or a negative
 * code) and fills a struct sg_error passed as its last argument.  The
 * message lives in a fixed buffer so that reporting an out-of-memory error
 * needs no allocation, and the record crosses the plugin ABI unchanged.
 * Codes are only ever appended, never reused.
 */
#ifndef SG_ERROR_H
#define SG_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum sg_status {
	SG_OK = 0,
	SG_ERR_NOMEM = -1,     /* allocation failed */
	SG_ERR_IO = -2,        /* a file could not be opened, read or written */
	SG_ERR_PARSE = -3,     /* input text is malformed (CSV, JSON, time...) */
	SG_ERR_CONFIG = -4,    /* the rules or plugin configuration is invalid */
	SG_ERR_USAGE = -5,     /* the command line is wrong */
	SG_ERR_PLUGIN = -6,    /* a plugin could not be loaded or refused */
	SG_ERR_SOURCE = -7,    /* a source failed while pulling */
	SG_ERR_SINK = -8,      /* a sink failed while writing */
	SG_ERR_LEDGER = -9,    /* the ledger database failed */
	SG_ERR_HTTP = -10,     /* an HTTP exchange failed */
	SG_ERR_STALE = -11,    /* the source snapshot is too old: run paused */
	SG_ERR_CANCELLED = -12,/* the run was cancelled */
	SG_ERR_NOTFOUND = -13, /* a named thing does not exist */
	SG_ERR_REFUSED = -14,  /* a request was refused (e.g. second disposition) */
	SG_ERR_INTERNAL = -15  /* a bug: an invariant did not hold */
};

#define SG_ERROR_MESSAGE_MAX 512
#define SG_ERROR_PATH_MAX 256

/*
 * Where and why something failed.  line and column are 0 when unknown;
 * column is the 1-based field number of a CSV record.  http_status is 0
 * when no HTTP exchange was involved.
 */
struct sg_error {
	int code;
	char message[SG_ERROR_MESSAGE_MAX];
	char path[SG_ERROR_PATH_MAX];
	long line;
	int column;
	int http_status;
};

/* Resets err to "no error".  err may be NULL. */
void sg_error_clear(struct sg_error *err);

/*
 * Sets err's code and message (printf-style) and returns code, so that a
 * failing function can end with `return sg_error_set(err, ...)`.  err may
 * be NULL, in which case only code is returned.
 */
int sg_error_set(struct sg_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int sg_error_vset(struct sg_error *err, int code, const char *fmt, va_list ap);

/*
 * Like sg_error_set() and also records the position: path, line and the
 * 1-based column (0 when not applicable).
 */
int sg_error_set_at(struct sg_error *err, int code, const char *path,
		    long line, int column, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/*
 * Prefixes err's message with context ("hubspot: page 7: ") while keeping
 * its code and position; returns the code.
 */
int sg_error_prefix(struct sg_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A short constant name for a status ("ok", "nomem", "parse", ...). */
const char *sg_status_name(int code);

/*
 * Writes err as one line a user can act on: "PATH:LINE:COL: message" (the
 * parts that are known) into buf; returns buf.
 */
const char *sg_error_format(const struct sg_error *err, char *buf, size_t size);

/* The process exit status for an error code (DESIGN §8). */
int sg_error_exit_status(int code);

/*
 * The reason of a JSON parse error as jansson words it, without the input
 * it quotes ("invalid token near 'abc'" -> "invalid token"): a config or
 * an API answer can hold a secret there.  Into buf; returns buf.
 */
const char *sg_json_reason(const char *text, char *buf, size_t size);

/*
 * text[0..len) made safe to show in a message: quotes and backslashes
 * escaped, control bytes written \xNN, cut after max bytes and marked
 * "...".  Writes into buf (size * 4 + 8 bytes hold any text of max bytes)
 * and returns it.  NULL text is "".
 */
const char *sg_quote(const char *text, size_t len, size_t max, char *buf,
		     size_t size);

#endif
