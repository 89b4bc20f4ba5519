/*
 * sg_tasks.c - review task bodies and batches for the task sinks (see
 * the header).
 */
#include "sg_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *sg_task_body(const struct sg_sink_task *t)
{
	size_t need = strlen(t->note) + strlen(t->exception_id) + 64, i;
	size_t used;
	char *text;

	for (i = 0; i < t->missing_count; i++)
		need += strlen(t->missing[i]) + 2;
	text = malloc(need);
	if (text == NULL)
		return NULL;
	used = (size_t)snprintf(text, need, "%s", t->note);
	for (i = 0; i < t->missing_count; i++)
		used += (size_t)snprintf(text + used, need - used, "%s%s",
					 i ? ", " : "\n\nMissing: ",
					 t->missing[i]);
	snprintf(text + used, need - used, "\n\n%s %s", SG_TASK_MARK,
		 t->exception_id);
	return text;
}

int sg_task_body_exception(const char *body, char *out, size_t size)
{
	const char *p = body != NULL ? strstr(body, SG_TASK_MARK) : NULL;
	size_t n;

	if (p == NULL)
		return 0;
	p += strlen(SG_TASK_MARK);
	while (*p == ' ')
		p++;
	n = strcspn(p, " \r\n");
	if (n == 0 || n >= size)
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	return 1;
}

int sg_task_batches(const struct sg_sink_input *input, size_t batch,
		    int (*look_up)(void *arg, const struct sg_sink_task *t,
				   int *found, struct sg_error *err),
		    int (*create)(void *arg,
				  const struct sg_sink_task *const *tasks,
				  size_t n, struct sg_error *err),
		    void *arg, struct sg_error *err)
{
	const struct sg_sink_task **pending;
	size_t i, n = 0;
	int rc = SG_OK, found;

	pending = calloc(batch ? batch : 1, sizeof(*pending));
	if (pending == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	for (i = 0; i < input->task_count && rc == SG_OK; i++) {
		const struct sg_sink_task *t = &input->tasks[i];

		found = 0;
		if (t->ref != NULL)
			rc = look_up(arg, t, &found, err);
		if (rc != SG_OK || found)
			continue;
		pending[n++] = t;
		if (n == batch) {
			rc = create(arg, pending, n, err);
			n = 0;
		}
	}
	if (rc == SG_OK && n > 0)
		rc = create(arg, pending, n, err);
	free(pending);
	return rc;
}

int sg_task_decide(const struct sg_host *host, const char *task_ref,
		   const char *disposition, const char *by, const char *at,
		   int (*parse_time)(const char *text, sg_time *out,
				     struct sg_error *err),
		   int *verdict, struct sg_error *err)
{
	struct sg_sink_decision d;
	char exception[128];
	int rc;

	*verdict = SG_TASK_NOT_OURS;
	rc = host->task_ref_find(host->ctx, task_ref, exception,
				 sizeof(exception), err);
	if (rc <= 0)
		return rc;      /* not a task stageguard made */
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.exception_id = exception;
	d.disposition = disposition;
	d.by = by;
	rc = parse_time(at, &d.at, err);
	if (rc != SG_OK)
		return sg_error_prefix(err, "task %s: its completion time: ",
				       task_ref);
	rc = host->decide(host->ctx, &d, err);
	if (rc == SG_ERR_REFUSED) {
		/* Decided before, in stageguard or an earlier read-back. */
		host->log(host->ctx, SG_LOG_INFO, "task %s: %s", task_ref,
			  err->message);
		sg_error_clear(err);
		*verdict = SG_TASK_REFUSED;
		return SG_OK;
	}
	if (rc == SG_OK)
		*verdict = SG_TASK_RECORDED;
	return rc;
}
