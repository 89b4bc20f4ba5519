/*
 * sg_bigmem.c - large arrays in their own huge-page mappings.
 */
#include "sg_bigmem.h"

#include <sys/mman.h>

static void advise_huge(void *ptr, size_t size)
{
#ifdef MADV_HUGEPAGE
	/* Advice only: a kernel without THP keeps small pages. */
	(void)madvise(ptr, size, MADV_HUGEPAGE);
#else
	(void)ptr;
	(void)size;
#endif
}

void *sg_big_grow(void *ptr, size_t old_size, size_t new_size)
{
	void *block;

	if (new_size == 0)
		new_size = 1;
	if (ptr == NULL) {
		block = mmap(NULL, new_size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	} else {
		if (new_size <= old_size)
			return ptr;
		block = mremap(ptr, old_size, new_size, MREMAP_MAYMOVE);
	}
	if (block == MAP_FAILED)
		return NULL;
	advise_huge(block, new_size);
	return block;
}

void sg_big_free(void *ptr, size_t size)
{
	if (ptr != NULL)
		munmap(ptr, size ? size : 1);
}
