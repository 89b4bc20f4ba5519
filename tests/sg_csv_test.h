/*
 * sg_csv_test.h - test-only seams of the CSV reader (core/util/sg_csv.c).
 * Not part of the public API: only tests include this.
 */
#ifndef SG_CSV_TEST_H
#define SG_CSV_TEST_H

#include <stddef.h>

struct sg_csv;

/*
 * Sets the reader's first buffer size and its read size (at least 1 byte)
 * so that records cross buffer boundaries.  Call before the first
 * sg_csv_next().  Returns SG_OK, or SG_ERR_INTERNAL after it.
 */
int sg_csv_set_block_size(struct sg_csv *csv, size_t size);

#endif
