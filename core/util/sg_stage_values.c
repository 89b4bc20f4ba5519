/*
 * sg_stage_values.c - stage events from a history of stage values
 * (sg_stage_values.h).
 */
#include "sg_stage_values.h"

#include <stdlib.h>
#include <string.h>

static int stage_value_cmp(const void *a, const void *b)
{
	const struct sg_stage_value *x = a, *y = b;
	int c = strcmp(x->opportunity_id, y->opportunity_id);

	if (c != 0)
		return c;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void sg_stage_values_sort(void *rows, size_t count, size_t stride)
{
	qsort(rows, count, stride, stage_value_cmp);
}

static const struct sg_stage_value *stage_value_at(const void *rows,
						   size_t stride, size_t k)
{
	return (const struct sg_stage_value *)((const char *)rows +
					       k * stride);
}

const char *sg_stage_value_from(const void *rows, size_t stride, size_t k)
{
	const struct sg_stage_value *row, *prev;

	if (k == 0)
		return "";
	row = stage_value_at(rows, stride, k);
	prev = stage_value_at(rows, stride, k - 1);
	if (strcmp(prev->opportunity_id, row->opportunity_id) != 0)
		return "";
	return prev->stage;
}
