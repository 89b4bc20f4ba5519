/*
 * sg_queue.h - a queue of work items between threads, bounded by the
 * bytes its items hold: a producer waits while the queue holds more than
 * its limit, a consumer waits for the next item.  Used where records go
 * to the ledger on a thread of their own and come back from it on two
 * (sg_kept.c, sg_kept_load.c).
 *
 * Items are the caller's: a struct with a struct sg_queue_link as its
 * first member, allocated by the producer and freed by whoever pops it
 * (or, after sg_queue_stop(), by whoever drains it).
 */
#ifndef SG_QUEUE_H
#define SG_QUEUE_H

#include <pthread.h>
#include <stddef.h>

struct sg_queue_link {
	struct sg_queue_link *next;
	size_t size;            /* the bytes it counts for */
};

struct sg_queue {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct sg_queue_link *head, *tail;
	size_t queued, max;
	int closed;             /* no more items: pop ends once empty */
	int stopped;            /* a failure: pushes are refused */
};

/* Returns 0, or -1 when the lock cannot be made. */
int sg_queue_init(struct sg_queue *q, size_t max_bytes);

/* Frees no item: drain it first (sg_queue_take_all()). */
void sg_queue_destroy(struct sg_queue *q);

/*
 * Appends item counting size bytes, first waiting while the queue holds
 * more than its limit.  Returns 0, or -1 when the queue was stopped (the
 * item is not queued: the caller still owns it).
 */
int sg_queue_push(struct sg_queue *q, struct sg_queue_link *item,
		  size_t size);

/* The next item, waiting for one; NULL once the queue is closed and
 * empty.  Call sg_queue_done() when the item is handled. */
struct sg_queue_link *sg_queue_pop(struct sg_queue *q);

/* The popped item is handled: its bytes leave the count. */
void sg_queue_done(struct sg_queue *q, size_t size);

/* No more items will come. */
void sg_queue_close(struct sg_queue *q);

/* A failure: waiting producers return, later pushes are refused. */
void sg_queue_stop(struct sg_queue *q);

/* Nonzero once sg_queue_stop() was called. */
int sg_queue_stopped(struct sg_queue *q);

/* Unlinks every item left (to free them); the count drops to 0. */
struct sg_queue_link *sg_queue_take_all(struct sg_queue *q);

#endif
