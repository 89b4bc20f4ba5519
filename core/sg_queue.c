/*
 * sg_queue.c - a queue of work items between threads, bounded by bytes
 * (sg_queue.h).
 */
#include "sg_queue.h"

int sg_queue_init(struct sg_queue *q, size_t max_bytes)
{
	q->head = q->tail = NULL;
	q->queued = 0;
	q->max = max_bytes;
	q->closed = q->stopped = 0;
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		return -1;
	if (pthread_cond_init(&q->changed, NULL) != 0) {
		pthread_mutex_destroy(&q->lock);
		return -1;
	}
	return 0;
}

void sg_queue_destroy(struct sg_queue *q)
{
	pthread_cond_destroy(&q->changed);
	pthread_mutex_destroy(&q->lock);
}

int sg_queue_push(struct sg_queue *q, struct sg_queue_link *item,
		  size_t size)
{
	int rc = 0;

	item->next = NULL;
	item->size = size;
	pthread_mutex_lock(&q->lock);
	while (q->queued > q->max && !q->stopped)
		pthread_cond_wait(&q->changed, &q->lock);
	if (q->stopped) {
		rc = -1;
	} else {
		if (q->tail != NULL)
			q->tail->next = item;
		else
			q->head = item;
		q->tail = item;
		q->queued += size;
		pthread_cond_broadcast(&q->changed);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

struct sg_queue_link *sg_queue_pop(struct sg_queue *q)
{
	struct sg_queue_link *item;

	pthread_mutex_lock(&q->lock);
	while (q->head == NULL && !q->closed)
		pthread_cond_wait(&q->changed, &q->lock);
	item = q->head;
	if (item != NULL) {
		q->head = item->next;
		if (q->head == NULL)
			q->tail = NULL;
	}
	pthread_mutex_unlock(&q->lock);
	return item;
}

void sg_queue_done(struct sg_queue *q, size_t size)
{
	pthread_mutex_lock(&q->lock);
	q->queued -= size;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

void sg_queue_close(struct sg_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

void sg_queue_stop(struct sg_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stopped = 1;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

int sg_queue_stopped(struct sg_queue *q)
{
	int stopped;

	pthread_mutex_lock(&q->lock);
	stopped = q->stopped;
	pthread_mutex_unlock(&q->lock);
	return stopped;
}

struct sg_queue_link *sg_queue_take_all(struct sg_queue *q)
{
	struct sg_queue_link *all;

	pthread_mutex_lock(&q->lock);
	all = q->head;
	q->head = q->tail = NULL;
	q->queued = 0;
	pthread_mutex_unlock(&q->lock);
	return all;
}
