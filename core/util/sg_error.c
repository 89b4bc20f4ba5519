#include "sg_error.h"

#include <stdio.h>
#include <string.h>

void sg_error_clear(struct sg_error *err)
{
	if (err == NULL)
		return;
	err->code = SG_OK;
	err->message[0] = '\0';
	err->path[0] = '\0';
	err->line = 0;
	err->column = 0;
	err->http_status = 0;
}

int sg_error_vset(struct sg_error *err, int code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return code;
}

int sg_error_set(struct sg_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sg_error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int sg_error_set_at(struct sg_error *err, int code, const char *path,
		    long line, int column, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	sg_error_vset(err, code, fmt, ap);
	va_end(ap);
	snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
	err->line = line;
	err->column = column;
	return code;
}

int sg_error_prefix(struct sg_error *err, const char *fmt, ...)
{
	char prefix[SG_ERROR_MESSAGE_MAX];
	size_t prefix_len, message_len;
	va_list ap;

	if (err == NULL)
		return SG_ERR_INTERNAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	prefix_len = strlen(prefix);
	message_len = strlen(err->message);
	/* Keep the prefix whole; the message loses its tail if too long. */
	if (prefix_len + message_len >= sizeof(err->message))
		message_len = sizeof(err->message) - 1 - prefix_len;
	memmove(err->message + prefix_len, err->message, message_len);
	memcpy(err->message, prefix, prefix_len);
	err->message[prefix_len + message_len] = '\0';
	return err->code;
}

const char *sg_status_name(int code)
{
	static const char *const names[] = {
		"ok", "nomem", "io", "parse", "config", "usage", "plugin",
		"source", "sink", "ledger", "http", "stale", "cancelled",
		"notfound", "refused", "internal"
	};
	int index = -code;

	if (index < 0 || index >= (int)(sizeof(names) / sizeof(names[0])))
		return "unknown";
	return names[index];
}

const char *sg_error_format(const struct sg_error *err, char *buf, size_t size)
{
	if (err->path[0] != '\0' && err->line > 0 && err->column > 0)
		snprintf(buf, size, "%s:%ld:%d: %s", err->path, err->line,
			 err->column, err->message);
	else if (err->path[0] != '\0' && err->line > 0)
		snprintf(buf, size, "%s:%ld: %s", err->path, err->line,
			 err->message);
	else if (err->path[0] != '\0')
		snprintf(buf, size, "%s: %s", err->path, err->message);
	else
		snprintf(buf, size, "%s", err->message);
	return buf;
}

int sg_error_exit_status(int code)
{
	switch (code) {
	case SG_OK:
		return 0;
	case SG_ERR_IO:
	case SG_ERR_PARSE:
	case SG_ERR_CONFIG:
	case SG_ERR_USAGE:
	case SG_ERR_PLUGIN:
	case SG_ERR_NOTFOUND:
	case SG_ERR_REFUSED:
		return 2;
	case SG_ERR_STALE:
		return 3;
	case SG_ERR_SOURCE:
	case SG_ERR_SINK:
	case SG_ERR_HTTP:
		return 4;
	default:
		return 1;
	}
}

const char *sg_json_reason(const char *text, char *buf, size_t size)
{
	const char *near = text != NULL ? strstr(text, " near ") : NULL;
	size_t n = text == NULL ? 0 : near != NULL ? (size_t)(near - text) :
		   strlen(text);

	if (size == 0)
		return buf;
	if (n >= size)
		n = size - 1;
	if (text != NULL)
		memcpy(buf, text, n);
	buf[n] = '\0';
	return buf;
}

const char *sg_quote(const char *text, size_t len, size_t max, char *buf,
		     size_t size)
{
	size_t i, o = 0;

	if (size == 0)
		return buf;
	if (text == NULL)
		len = 0;
	for (i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)text[i];

		if (o + 8 >= size)
			break;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x",
					      c);
		} else {
			buf[o++] = (char)c;
		}
	}
	if (i < len && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}
