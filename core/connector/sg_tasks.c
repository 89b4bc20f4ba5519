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
