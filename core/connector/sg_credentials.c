/*
 * sg_credentials.c - connector options and OAuth token requests (see the
 * header).
 */
#include "sg_credentials.h"

#include <stdlib.h>
#include <string.h>

#include "sg_url.h"

const char *sg_credential(const struct sg_host *host, const char *value,
			  const char *env)
{
	if (value != NULL && value[0] != '\0')
		return value;
	value = env != NULL && env[0] != '\0' ?
		host->getenv(host->ctx, env) : NULL;
	/* A variable set to nothing is no value. */
	return value != NULL && value[0] != '\0' ? value : NULL;
}

int sg_json_names(const char *text, const char *name, json_t **out,
		  struct sg_error *err)
{
	const char *key;
	json_t *value;

	*out = text != NULL ? json_loads(text, 0, NULL) : json_object();
	if (!json_is_object(*out))
		return sg_error_set(err, SG_ERR_CONFIG, "%s: expected an "
				    "object of names", name);
	json_object_foreach(*out, key, value)
		if (!json_is_string(value))
			return sg_error_set(err, SG_ERR_CONFIG, "%s.%s: expected "
					    "a text", name, key);
	return SG_OK;
}

int sg_token_post(const struct sg_host *host, const char *base_url,
		  const char *path, const char *const *pairs, size_t count,
		  long timeout_ms, struct sg_http_response *resp,
		  struct sg_error *err)
{
	struct sg_http_header form = { "Content-Type",
				       "application/x-www-form-urlencoded" };
	struct sg_http_request req;
	char *body = sg_url_form(pairs, count);
	char *url = malloc(strlen(base_url) + strlen(path) + 1);
	int rc;

	if (body == NULL || url == NULL) {
		free(body);
		free(url);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	strcpy(url, base_url);
	strcat(url, path);
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.method = "POST";
	req.url = url;
	req.headers = &form;
	req.header_count = 1;
	req.body = body;
	req.body_len = strlen(body);
	req.max_retries = 3;
	req.timeout_ms = timeout_ms;
	rc = host->http(host->ctx, &req, resp, err);
	free(body);
	free(url);
	return rc;
}
