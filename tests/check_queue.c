/*
 * check_queue.c - the queue between threads bounded by bytes
 * (core/sg_queue.c): every item arrives once and in order, the producer
 * never gets ahead of the limit, stop releases a waiting producer, close
 * ends the consumer, and what is left can be taken back.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>

#include "sg_queue.h"

#define ITEMS 2000
#define ITEM_BYTES 100
#define LIMIT 1000

struct item {
	struct sg_queue_link link;
	int n;
};

struct consumer {
	struct sg_queue *q;
	int seen, in_order;
	size_t most_queued;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	struct sg_queue_link *link;

	while ((link = sg_queue_pop(c->q)) != NULL) {
		struct item *it = (struct item *)link;

		pthread_mutex_lock(&c->q->lock);
		if (c->q->queued > c->most_queued)
			c->most_queued = c->q->queued;
		pthread_mutex_unlock(&c->q->lock);
		if (it->n != c->seen)
			c->in_order = 0;
		c->seen++;
		sg_queue_done(c->q, link->size);
		free(it);
	}
	return NULL;
}

START_TEST(test_every_item_in_order_within_the_limit)
{
	struct sg_queue q;
	struct consumer c = { &q, 0, 1, 0 };
	pthread_t thread;
	int i;

	ck_assert_int_eq(sg_queue_init(&q, LIMIT), 0);
	ck_assert_int_eq(pthread_create(&thread, NULL, consume, &c), 0);
	for (i = 0; i < ITEMS; i++) {
		struct item *it = malloc(sizeof(*it));

		ck_assert_ptr_nonnull(it);
		it->n = i;
		ck_assert_int_eq(sg_queue_push(&q, &it->link, ITEM_BYTES), 0);
	}
	sg_queue_close(&q);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	ck_assert_int_eq(c.seen, ITEMS);
	ck_assert(c.in_order);
	/* A push waits while more than the limit is queued: at most the
	 * limit plus one item. */
	ck_assert_uint_le(c.most_queued, LIMIT + ITEM_BYTES);
	ck_assert_uint_eq(q.queued, 0);
	sg_queue_destroy(&q);
}
END_TEST

struct producer {
	struct sg_queue *q;
	int refused_at;
};

/* Pushes until refused; nobody consumes, so it soon waits for room. */
static void *produce(void *arg)
{
	struct producer *p = arg;
	int i;

	for (i = 0; i < ITEMS; i++) {
		struct item *it = malloc(sizeof(*it));

		it->n = i;
		if (sg_queue_push(p->q, &it->link, ITEM_BYTES) != 0) {
			free(it);
			p->refused_at = i;
			return NULL;
		}
	}
	return NULL;
}

START_TEST(test_stop_releases_a_waiting_producer)
{
	struct sg_queue q;
	struct producer p = { &q, -1 };
	struct sg_queue_link *link, *next;
	pthread_t thread;
	int left = 0;

	ck_assert_int_eq(sg_queue_init(&q, LIMIT), 0);
	ck_assert_int_eq(pthread_create(&thread, NULL, produce, &p), 0);
	/* Once the producer waits, the queue holds just over the limit. */
	for (;;) {
		size_t queued;

		pthread_mutex_lock(&q.lock);
		queued = q.queued;
		pthread_mutex_unlock(&q.lock);
		if (queued > LIMIT)
			break;
		sched_yield();
	}
	ck_assert(!sg_queue_stopped(&q));
	sg_queue_stop(&q);
	ck_assert(sg_queue_stopped(&q));
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	ck_assert_int_eq(p.refused_at, LIMIT / ITEM_BYTES + 1);
	for (link = sg_queue_take_all(&q); link != NULL; link = next) {
		next = link->next;
		free(link);
		left++;
	}
	ck_assert_int_eq(left, LIMIT / ITEM_BYTES + 1);
	ck_assert_uint_eq(q.queued, 0);
	/* Closed and empty: the consumer ends at once. */
	sg_queue_close(&q);
	ck_assert_ptr_null(sg_queue_pop(&q));
	sg_queue_destroy(&q);
}
END_TEST

static Suite *queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("queue");

	tcase_add_test(tc, test_every_item_in_order_within_the_limit);
	tcase_add_test(tc, test_stop_releases_a_waiting_producer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(queue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
