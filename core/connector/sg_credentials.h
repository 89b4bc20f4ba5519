/*
 * sg_credentials.h - what a CRM connector does with its options and
 * credentials, the same in every one: a secret given directly or through
 * the environment variable another option names, a JSON option of names
 * (field -> property), and the form POST of an OAuth token request.
 */
#ifndef SG_CREDENTIALS_H
#define SG_CREDENTIALS_H

#include <jansson.h>

#include "sg_plugin.h"

/* value when given, else the variable env names (through the host, which
 * registers it as a secret); NULL when neither holds text. */
const char *sg_credential(const struct sg_host *host, const char *value,
			  const char *env);

/* A JSON option that is an object of texts (text NULL: an empty one);
 * *out is a new reference even on error.  SG_ERR_CONFIG naming the
 * option (name) and the key. */
int sg_json_names(const char *text, const char *name, json_t **out,
		  struct sg_error *err);

/*
 * POST base_url + path with count / 2 form pairs (their values encoded),
 * retried on a transient failure: the answer in *resp (the caller frees
 * it with host->http_response_free).  The token answer is the
 * connector's to read.
 */
int sg_token_post(const struct sg_host *host, const char *base_url,
		  const char *path, const char *const *pairs, size_t count,
		  long timeout_ms, struct sg_http_response *resp,
		  struct sg_error *err);

#endif
