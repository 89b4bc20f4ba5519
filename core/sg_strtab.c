/*
 * sg_strtab.c - the string arena and the interner (see sg_strtab.h).
 */
#include "sg_strtab.h"

#include "sg_bigmem.h"

#include <stdlib.h>
#include <string.h>

struct sg_arena_chunk {
	struct sg_arena_chunk *next;
	size_t size, used;
	char data[];
};

struct sg_arena {
	struct sg_arena_chunk *head;
	size_t chunk_size;
	size_t used;
};

int sg_arena_new(struct sg_arena **out, size_t chunk_size,
		 struct sg_error *err)
{
	struct sg_arena *arena = calloc(1, sizeof(*arena));

	if (arena == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	arena->chunk_size = chunk_size ? chunk_size : 1u << 20;
	*out = arena;
	return SG_OK;
}

void sg_arena_free(struct sg_arena *arena)
{
	struct sg_arena_chunk *chunk, *next;

	if (arena == NULL)
		return;
	for (chunk = arena->head; chunk != NULL; chunk = next) {
		next = chunk->next;
		sg_big_free(chunk, sizeof(*chunk) + chunk->size);
	}
	free(arena);
}

static void *arena_take(struct sg_arena *arena, size_t size, size_t align)
{
	struct sg_arena_chunk *chunk = arena->head;
	size_t start;

	if (chunk != NULL) {
		start = (chunk->used + align - 1) & ~(align - 1);
		if (start + size <= chunk->size) {
			chunk->used = start + size;
			arena->used += size;
			return chunk->data + start;
		}
	}
	{
		/* A block larger than a chunk gets a chunk of its own. */
		size_t want = size + align > arena->chunk_size ?
			size + align : arena->chunk_size;

		chunk = sg_big_grow(NULL, 0, sizeof(*chunk) + want);
		if (chunk == NULL)
			return NULL;
		chunk->size = want;
		chunk->used = 0;
		chunk->next = arena->head;
		arena->head = chunk;
	}
	start = ((size_t)(uintptr_t)chunk->data % align) == 0 ? 0 :
		align - (size_t)(uintptr_t)chunk->data % align;
	chunk->used = start + size;
	arena->used += size;
	return chunk->data + start;
}

const char *sg_arena_strdup(struct sg_arena *arena, const char *text,
			    size_t len)
{
	char *copy = arena_take(arena, len + 1, 1);

	if (copy == NULL)
		return NULL;
	if (len > 0)
		memcpy(copy, text, len);
	copy[len] = '\0';
	return copy;
}

void *sg_arena_alloc(struct sg_arena *arena, size_t size)
{
	return arena_take(arena, size ? size : 1, sizeof(max_align_t));
}

size_t sg_arena_used(const struct sg_arena *arena)
{
	return arena->used;
}

/* --- interner: open addressing over symbol numbers --- */

struct sg_strtab {
	struct sg_arena *arena;
	const char **texts;     /* by symbol */
	uint32_t *lengths;      /* by symbol */
	uint32_t *hashes;       /* by symbol: saves rehashing on growth */
	size_t count, capacity; /* symbols */
	uint64_t *slots;        /* 0 = empty, else hash << 32 | symbol, so a
				   probe rarely touches the texts */
	size_t slot_mask;
};

static uint32_t strtab_hash(const char *text, size_t len)
{
	/* FNV-1a over 8-byte words with a final mix: fast on short ids. */
	uint64_t h = 0xcbf29ce484222325ull ^ len;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t word;

		memcpy(&word, text + i, 8);
		h = (h ^ word) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

int sg_strtab_new(struct sg_strtab **out, struct sg_error *err)
{
	struct sg_strtab *tab = calloc(1, sizeof(*tab));
	int rc;

	if (tab == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	rc = sg_arena_new(&tab->arena, 4u << 20, err);
	if (rc != SG_OK)
		goto fail;
	tab->capacity = 1024;
	tab->texts = sg_big_grow(NULL, 0, tab->capacity * sizeof(*tab->texts));
	tab->lengths = sg_big_grow(NULL, 0,
				   tab->capacity * sizeof(*tab->lengths));
	tab->hashes = sg_big_grow(NULL, 0,
				  tab->capacity * sizeof(*tab->hashes));
	tab->slot_mask = 2047;
	tab->slots = sg_big_grow(NULL, 0,
				 (tab->slot_mask + 1) * sizeof(*tab->slots));
	if (!tab->texts || !tab->lengths || !tab->hashes || !tab->slots) {
		rc = sg_error_set(err, SG_ERR_NOMEM, "out of memory");
		goto fail;
	}
	tab->texts[0] = "";
	tab->lengths[0] = 0;
	tab->hashes[0] = 0;
	tab->count = 1;
	*out = tab;
	return SG_OK;
fail:
	sg_strtab_free(tab);
	return rc;
}

void sg_strtab_free(struct sg_strtab *tab)
{
	if (tab == NULL)
		return;
	sg_arena_free(tab->arena);
	if (tab->texts != NULL)
		sg_big_free(tab->texts, tab->capacity * sizeof(*tab->texts));
	if (tab->lengths != NULL)
		sg_big_free(tab->lengths,
			    tab->capacity * sizeof(*tab->lengths));
	if (tab->hashes != NULL)
		sg_big_free(tab->hashes, tab->capacity * sizeof(*tab->hashes));
	if (tab->slots != NULL)
		sg_big_free(tab->slots,
			    (tab->slot_mask + 1) * sizeof(*tab->slots));
	free(tab);
}

static int strtab_grow_slots(struct sg_strtab *tab)
{
	size_t mask = tab->slot_mask * 2 + 1;
	uint64_t *slots = sg_big_grow(NULL, 0, (mask + 1) * sizeof(*slots));
	size_t sym;

	if (slots == NULL)
		return SG_ERR_NOMEM;
	for (sym = 1; sym < tab->count; sym++) {
		size_t at = tab->hashes[sym] & mask;

		while (slots[at] != 0)
			at = (at + 1) & mask;
		slots[at] = (uint64_t)tab->hashes[sym] << 32 | sym;
	}
	sg_big_free(tab->slots, (tab->slot_mask + 1) * sizeof(*tab->slots));
	tab->slots = slots;
	tab->slot_mask = mask;
	return SG_OK;
}

static int strtab_grow_symbols(struct sg_strtab *tab)
{
	size_t old = tab->capacity, capacity = old * 2;
	const char **texts;
	uint32_t *lengths, *hashes;

	texts = sg_big_grow(tab->texts, old * sizeof(*texts),
			    capacity * sizeof(*texts));
	if (texts == NULL)
		return SG_ERR_NOMEM;
	tab->texts = texts;
	lengths = sg_big_grow(tab->lengths, old * sizeof(*lengths),
			      capacity * sizeof(*lengths));
	if (lengths == NULL)
		return SG_ERR_NOMEM;
	tab->lengths = lengths;
	hashes = sg_big_grow(tab->hashes, old * sizeof(*hashes),
			     capacity * sizeof(*hashes));
	if (hashes == NULL) {
		/* Keep capacity consistent with the arrays that did grow:
		 * a grown mapping is still valid at its old size. */
		return SG_ERR_NOMEM;
	}
	tab->hashes = hashes;
	tab->capacity = capacity;
	return SG_OK;
}

static size_t strtab_find(const struct sg_strtab *tab, const char *text,
			  size_t len, uint32_t hash)
{
	size_t at = hash & tab->slot_mask;

	for (;;) {
		uint64_t slot = tab->slots[at];
		uint32_t sym = (uint32_t)slot;

		if (slot == 0)
			return at;
		if ((uint32_t)(slot >> 32) == hash &&
		    tab->lengths[sym] == len &&
		    memcmp(tab->texts[sym], text, len) == 0)
			return at;
		at = (at + 1) & tab->slot_mask;
	}
}

int sg_strtab_intern(struct sg_strtab *tab, const char *text, size_t len,
		     sg_sym *out)
{
	uint32_t hash;
	size_t at;
	const char *copy;

	if (len == 0) {
		*out = 0;
		return SG_OK;
	}
	if (len > UINT32_MAX)
		return SG_ERR_NOMEM;
	hash = strtab_hash(text, len);
	at = strtab_find(tab, text, len, hash);
	if (tab->slots[at] != 0) {
		*out = (sg_sym)tab->slots[at];
		return SG_OK;
	}
	if (tab->count >= UINT32_MAX - 1)
		return SG_ERR_NOMEM;
	if (tab->count == tab->capacity && strtab_grow_symbols(tab) != SG_OK)
		return SG_ERR_NOMEM;
	copy = sg_arena_strdup(tab->arena, text, len);
	if (copy == NULL)
		return SG_ERR_NOMEM;
	tab->texts[tab->count] = copy;
	tab->lengths[tab->count] = (uint32_t)len;
	tab->hashes[tab->count] = hash;
	tab->slots[at] = (uint64_t)hash << 32 | tab->count;
	*out = (sg_sym)tab->count;
	tab->count++;
	/* Keep the load factor under one half. */
	if (tab->count * 2 > tab->slot_mask && strtab_grow_slots(tab) != SG_OK)
		return SG_ERR_NOMEM;
	return SG_OK;
}

sg_sym sg_strtab_lookup(const struct sg_strtab *tab, const char *text,
			size_t len)
{
	size_t at;

	if (len == 0)
		return 0;
	at = strtab_find(tab, text, len, strtab_hash(text, len));
	return (sg_sym)tab->slots[at];
}

const char *sg_strtab_text(const struct sg_strtab *tab, sg_sym sym)
{
	return sym < tab->count ? tab->texts[sym] : "";
}

size_t sg_strtab_length(const struct sg_strtab *tab, sg_sym sym)
{
	return sym < tab->count ? tab->lengths[sym] : 0;
}

size_t sg_strtab_count(const struct sg_strtab *tab)
{
	return tab->count;
}
