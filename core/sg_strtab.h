/*
 * sg_strtab.h - an arena of strings and an interner over it.
 *
 * The arena hands out NUL-terminated copies from large chunks, so a
 * million records cost a few hundred allocations, not millions.  The
 * interner maps equal strings to one small integer (sg_sym), 0 being the
 * empty string; symbols are dense, so per-symbol arrays can index by them.
 */
#ifndef SG_STRTAB_H
#define SG_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "util/sg_error.h"

typedef uint32_t sg_sym;

struct sg_arena;
struct sg_strtab;

int sg_arena_new(struct sg_arena **out, size_t chunk_size,
		 struct sg_error *err);
/* Accepts NULL. */
void sg_arena_free(struct sg_arena *arena);

/* A NUL-terminated copy of text[0..len) in the arena; NULL on memory. */
const char *sg_arena_strdup(struct sg_arena *arena, const char *text,
			    size_t len);

/* size bytes aligned for any type; NULL on memory. */
void *sg_arena_alloc(struct sg_arena *arena, size_t size);

/* Bytes handed out so far (for memory figures). */
size_t sg_arena_used(const struct sg_arena *arena);

int sg_strtab_new(struct sg_strtab **out, struct sg_error *err);
/* Accepts NULL. */
void sg_strtab_free(struct sg_strtab *tab);

/*
 * The symbol of text[0..len), interning it when new.  Returns
 * SG_OK with *out set, or SG_ERR_NOMEM.
 */
int sg_strtab_intern(struct sg_strtab *tab, const char *text, size_t len,
		     sg_sym *out);

/* The symbol of text if interned, else 0 (also 0 for ""). */
sg_sym sg_strtab_lookup(const struct sg_strtab *tab, const char *text,
			size_t len);

/* The text of sym (borrowed, valid while the table lives). */
const char *sg_strtab_text(const struct sg_strtab *tab, sg_sym sym);

/* The length of sym's text. */
size_t sg_strtab_length(const struct sg_strtab *tab, sg_sym sym);

/* Number of symbols, including 0. */
size_t sg_strtab_count(const struct sg_strtab *tab);

#endif
