/*
 * sg_bigmem.h - large arrays backed by their own mappings.
 *
 * A million-opportunity model holds arrays of hundreds of megabytes.
 * Mapping them directly lets them grow with mremap (no copy) and asks the
 * kernel for transparent huge pages, which cuts the page faults of first
 * touch by a factor of 512 on machines where a fault is costly.
 */
#ifndef SG_BIGMEM_H
#define SG_BIGMEM_H

#include <stddef.h>

/*
 * Grows (or creates, when ptr is NULL and old_size 0) a mapping to
 * new_size bytes, keeping its contents; new bytes are zero.  Returns the
 * possibly moved block, or NULL on failure (the old block is untouched).
 */
void *sg_big_grow(void *ptr, size_t old_size, size_t new_size);

/* Releases a block of size bytes from sg_big_grow(); NULL is fine. */
void sg_big_free(void *ptr, size_t size);

#endif
