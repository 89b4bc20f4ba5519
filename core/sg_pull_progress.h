/*
 * sg_pull_progress.h - what a network pull shows a person watching a
 * terminal: one line, redrawn a few times a second, of the records
 * received per kind and the pages (HTTP exchanges) it took.  Shown only
 * once the plugin made an exchange (a file source has its own
 * percentage) and never without a terminal: cron logs stay clean.
 */
#ifndef SG_PULL_PROGRESS_H
#define SG_PULL_PROGRESS_H

#include <pthread.h>
#include <stdio.h>

enum sg_pull_kind {
	SG_PULL_OPPORTUNITY = 0, SG_PULL_STAGE_EVENT, SG_PULL_FIELD_CHANGE,
	SG_PULL_ACTIVITY, SG_PULL_EVIDENCE, SG_PULL_OWNER, SG_PULL_KINDS
};

struct sg_pull_progress {
	const char *name;       /* the plugin */
	FILE *out;              /* NULL: shows nothing */
	unsigned long long records[SG_PULL_KINDS];
	unsigned long long pages;
	long long last_ns;      /* when the line was last drawn */
	int drawn;              /* a line is on the terminal */
	pthread_mutex_t lock;
};

/* Starts the count; out NULL (no terminal, --quiet) shows nothing. */
void sg_pull_progress_init(struct sg_pull_progress *p, const char *name,
			   FILE *out);

/* Counts one record of kind; may redraw the line.  Any thread. */
void sg_pull_progress_record(struct sg_pull_progress *p, int kind);

/* Counts one page; may redraw the line.  Any thread. */
void sg_pull_progress_page(struct sg_pull_progress *p);

/* Draws the final count and ends the line, when one was drawn. */
void sg_pull_progress_end(struct sg_pull_progress *p);

#endif
