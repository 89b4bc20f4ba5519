/*
 * sg_tasks.h - what the CRM task sinks share: the body of a review task
 * (the note, what is missing, and the line that names the exception, by
 * which a task whose creation timed out is found again), and walking the
 * review tasks in batches, each looked up first when an earlier create's
 * outcome is unknown.
 */
#ifndef SG_TASKS_H
#define SG_TASKS_H

#include "sg_plugin.h"

/* The line a task's body ends with: "stageguard-exception: ID". */
#define SG_TASK_MARK "stageguard-exception:"

/* The body of t's task (malloc'd; NULL out of memory). */
char *sg_task_body(const struct sg_sink_task *t);

/* The exception id a body carries, into out (size bytes): 1, or 0 when
 * there is none or it does not fit. */
int sg_task_body_exception(const char *body, char *out, size_t size);

/*
 * Every review task of input: one whose create's outcome is unknown
 * (t->ref is "") is looked up first (look_up sets *found); the others
 * are handed to create in batches of at most batch.  The first error
 * stops the walk and is returned.
 */
int sg_task_batches(const struct sg_sink_input *input, size_t batch,
		    int (*look_up)(void *arg, const struct sg_sink_task *t,
				   int *found, struct sg_error *err),
		    int (*create)(void *arg,
				  const struct sg_sink_task *const *tasks,
				  size_t n, struct sg_error *err),
		    void *arg, struct sg_error *err);

/* What sg_task_decide() did with a CRM task's disposition. */
enum sg_task_verdict {
	SG_TASK_NOT_OURS = 0,   /* no exception has this task: not ours */
	SG_TASK_RECORDED,       /* recorded as `review decide` would */
	SG_TASK_REFUSED         /* refused (decided before...): logged */
};

/*
 * Records the disposition a CRM task carries (task_ref: the CRM's id of
 * the task; by: who, as the CRM names them; at: when, as the CRM writes
 * it, read by parse_time only once the task is known to be ours) for
 * the exception the task was made for.  *verdict says what happened; a
 * refusal is no error.  Returns SG_OK, the time's error naming the
 * task, or the host's error.
 */
int sg_task_decide(const struct sg_host *host, const char *task_ref,
		   const char *disposition, const char *by, const char *at,
		   int (*parse_time)(const char *text, sg_time *out,
				     struct sg_error *err),
		   int *verdict, struct sg_error *err);

#endif
