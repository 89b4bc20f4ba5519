/*
 * sg_pull_progress.c - the records and pages of a network pull on a
 * terminal (see sg_pull_progress.h).
 */
#include "sg_pull_progress.h"

#include <string.h>
#include <time.h>

/* Redrawn at most this often: a terminal is slow, a person reads slower. */
#define PROGRESS_EVERY_NS 250000000LL

static const char *const kind_names[SG_PULL_KINDS] = {
	"opportunities", "stage events", "field changes", "activities",
	"evidence", "owners"
};

static long long progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void sg_pull_progress_init(struct sg_pull_progress *p, const char *name,
			   FILE *out)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->out = out;
	pthread_mutex_init(&p->lock, NULL);
}

/* Under the lock. */
static void progress_draw(struct sg_pull_progress *p)
{
	int i, shown = 0;

	fprintf(p->out, "\r%s:", p->name);
	for (i = 0; i < SG_PULL_KINDS; i++) {
		if (p->records[i] == 0)
			continue;
		fprintf(p->out, "%s %llu %s", shown ? "," : "",
			p->records[i], kind_names[i]);
		shown = 1;
	}
	fprintf(p->out, "%s %llu pages   ", shown ? ";" : "", p->pages);
	fflush(p->out);
	p->drawn = 1;
}

static void progress_maybe_draw(struct sg_pull_progress *p)
{
	long long now = progress_now();

	if (now - p->last_ns >= PROGRESS_EVERY_NS && p->pages > 0) {
		p->last_ns = now;
		progress_draw(p);
	}
}

void sg_pull_progress_record(struct sg_pull_progress *p, int kind)
{
	if (p->out == NULL || kind < 0 || kind >= SG_PULL_KINDS)
		return;
	pthread_mutex_lock(&p->lock);
	p->records[kind]++;
	/* The clock is read once per 256 records: a fast file source must
	 * not pay for it. */
	if ((p->records[kind] & 255) == 0)
		progress_maybe_draw(p);
	pthread_mutex_unlock(&p->lock);
}

void sg_pull_progress_page(struct sg_pull_progress *p)
{
	if (p->out == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->pages++;
	progress_maybe_draw(p);
	pthread_mutex_unlock(&p->lock);
}

void sg_pull_progress_end(struct sg_pull_progress *p)
{
	if (p->out != NULL && p->pages > 0) {
		pthread_mutex_lock(&p->lock);
		progress_draw(p);
		fputc('\n', p->out);
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_destroy(&p->lock);
}
