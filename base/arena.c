/*
 * arena.c - bump allocator. Memory comes in chunks of chunk_size bytes; an
 * allocation too big for an ordinary chunk gets a chunk of its own, linked
 * behind the current head so the head's free space is not wasted. Every
 * allocation is rounded up to 16 bytes, and the limit is checked against the
 * rounded total, so a limit really bounds the memory untrusted input can take.
 */
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_CHUNK 4096

struct sl_arena_chunk {
    sl_arena_chunk_t *next;
    size_t cap;   /* usable bytes after the header */
    size_t off;   /* bytes used */
    size_t pad_;  /* keeps the header a multiple of 16 bytes */
};

_Static_assert(sizeof(sl_arena_chunk_t) % ARENA_ALIGN == 0, "chunk header must keep data aligned");

static inline uint8_t *chunk_data(sl_arena_chunk_t *c) { return (uint8_t *)(c + 1); }

void sl_arena_init(sl_arena_t *arena, size_t chunk_size, size_t limit)
{
    if (chunk_size == 0)
        chunk_size = ARENA_DEFAULT_CHUNK;
    /* Keep ordinary chunks a multiple of the alignment so offsets stay aligned. */
    if (chunk_size < ARENA_ALIGN)
        chunk_size = ARENA_ALIGN;
    chunk_size &= ~(size_t)(ARENA_ALIGN - 1);
    arena->head = NULL;
    arena->chunk_size = chunk_size;
    arena->used = 0;
    arena->limit = limit;
}

static sl_arena_chunk_t *chunk_new(size_t cap)
{
    if (cap > SIZE_MAX - sizeof(sl_arena_chunk_t))
        return NULL;
    /* malloc aligns to max_align_t (16 on the platforms we build for). */
    sl_arena_chunk_t *c = malloc(sizeof(*c) + cap);
    if (!c)
        return NULL;
    c->next = NULL;
    c->cap = cap;
    c->off = 0;
    c->pad_ = 0;
    return c;
}

void *sl_arena_alloc(sl_arena_t *arena, size_t n)
{
    if (n > SIZE_MAX - (ARENA_ALIGN - 1))
        return NULL;
    /* n == 0 still takes one aligned slot so the pointer is unique. */
    size_t need = n == 0 ? ARENA_ALIGN : (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (arena->limit && (need > arena->limit || arena->used > arena->limit - need))
        return NULL;

    sl_arena_chunk_t *h = arena->head;
    if (h && h->cap - h->off >= need) {
        void *p = chunk_data(h) + h->off;
        h->off += need;
        arena->used += need;
        return p;
    }
    if (need > arena->chunk_size / 4) {
        /* Big: its own chunk. Behind the head when there is one, so the head
         * keeps serving small allocations. */
        sl_arena_chunk_t *c = chunk_new(need);
        if (!c)
            return NULL;
        c->off = need;
        if (h) {
            c->next = h->next;
            h->next = c;
        } else {
            arena->head = c;
        }
        arena->used += need;
        return chunk_data(c);
    }
    sl_arena_chunk_t *c = chunk_new(arena->chunk_size);
    if (!c)
        return NULL;
    c->next = h;
    arena->head = c;
    c->off = need;
    arena->used += need;
    return chunk_data(c);
}

void *sl_arena_zalloc(sl_arena_t *arena, size_t n)
{
    void *p = sl_arena_alloc(arena, n);
    if (p && n)
        memset(p, 0, n);
    return p;
}

void *sl_arena_calloc(sl_arena_t *arena, size_t n, size_t sz)
{
    size_t total;
    if (__builtin_mul_overflow(n, sz, &total))
        return NULL;
    return sl_arena_zalloc(arena, total);
}

char *sl_arena_strndup(sl_arena_t *arena, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *d = sl_arena_alloc(arena, len + 1);
    if (!d)
        return NULL;
    if (len)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void *sl_arena_memdup(sl_arena_t *arena, const void *p, size_t n)
{
    void *d = sl_arena_alloc(arena, n);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

void sl_arena_reset(sl_arena_t *arena)
{
    /* Keep one ordinary-sized chunk; oversized ones are rarely reusable. */
    sl_arena_chunk_t *keep = NULL;
    sl_arena_chunk_t *c = arena->head;
    while (c) {
        sl_arena_chunk_t *next = c->next;
        if (!keep && c->cap == arena->chunk_size) {
            keep = c;
        } else {
            free(c);
        }
        c = next;
    }
    if (keep) {
        keep->next = NULL;
        keep->off = 0;
    }
    arena->head = keep;
    arena->used = 0;
}

void sl_arena_fini(sl_arena_t *arena)
{
    if (!arena)
        return;
    sl_arena_chunk_t *c = arena->head;
    while (c) {
        sl_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    arena->head = NULL;
    arena->used = 0;
}

size_t sl_arena_used(const sl_arena_t *arena) { return arena->used; }
