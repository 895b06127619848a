/*
 * timer.c - the loop's timers: a slab of timer slots (so an id names a slot
 * plus a generation, and cancelling is a lookup, not a search) and a binary
 * min-heap of slot indexes ordered by (deadline, seq).
 */
#include <stdlib.h>
#include <string.h>

#include "net_int.h"

void net_timers_init(net_timers_t *t)
{
    memset(t, 0, sizeof(*t));
    t->free_head = NET_TIMER_NONE;
}

void net_timers_fini(net_timers_t *t)
{
    free(t->slots);
    free(t->heap);
    net_timers_init(t);
}

static bool before(const net_timers_t *t, uint32_t a, uint32_t b)
{
    const net_timer_t *x = &t->slots[t->heap[a]], *y = &t->slots[t->heap[b]];
    return x->deadline < y->deadline || (x->deadline == y->deadline && x->seq < y->seq);
}

static void heap_swap(net_timers_t *t, uint32_t a, uint32_t b)
{
    uint32_t s = t->heap[a];
    t->heap[a] = t->heap[b];
    t->heap[b] = s;
    t->slots[t->heap[a]].heap_idx = a;
    t->slots[t->heap[b]].heap_idx = b;
}

static void sift_up(net_timers_t *t, uint32_t i)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!before(t, i, parent))
            break;
        heap_swap(t, i, parent);
        i = parent;
    }
}

static void sift_down(net_timers_t *t, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->nheap && before(t, l, m))
            m = l;
        if (r < t->nheap && before(t, r, m))
            m = r;
        if (m == i)
            break;
        heap_swap(t, i, m);
        i = m;
    }
}

/* Room for one more entry is reserved by the caller (heap_cap >= nslots). */
static void heap_push(net_timers_t *t, uint32_t slot)
{
    uint32_t i = t->nheap++;
    t->heap[i] = slot;
    t->slots[slot].heap_idx = i;
    sift_up(t, i);
}

static void heap_remove(net_timers_t *t, uint32_t i)
{
    uint32_t slot = t->heap[i];
    uint32_t last = --t->nheap;
    if (i != last) {
        heap_swap(t, i, last);
        sift_down(t, i);
        sift_up(t, i);
    }
    t->slots[slot].heap_idx = NET_TIMER_NONE;
}

static void slot_free(net_timers_t *t, uint32_t slot)
{
    t->slots[slot].gen = 0;
    t->slots[slot].next_free = t->free_head;
    t->free_head = slot;
}

static sl_err_t slot_alloc(net_timers_t *t, uint32_t *out)
{
    if (t->free_head == NET_TIMER_NONE) {
        if (t->nslots >= NET_TIMER_NONE / 2)
            return SL_ERR_NOMEM;
        uint32_t n = t->nslots ? t->nslots * 2 : 16;
        net_timer_t *slots = realloc(t->slots, (size_t)n * sizeof(*slots));
        if (!slots)
            return SL_ERR_NOMEM;
        t->slots = slots;
        uint32_t *heap = realloc(t->heap, (size_t)n * sizeof(*heap));
        if (!heap)
            return SL_ERR_NOMEM; /* slots grew, harmless */
        t->heap = heap;
        t->heap_cap = n;
        for (uint32_t i = n; i-- > t->nslots;) {
            memset(&slots[i], 0, sizeof(slots[i]));
            slots[i].heap_idx = NET_TIMER_NONE;
            slots[i].next_free = t->free_head;
            t->free_head = i;
        }
        t->nslots = n;
    }
    *out = t->free_head;
    t->free_head = t->slots[*out].next_free;
    return SL_OK;
}

static sl_timer_id_t make_id(uint32_t gen, uint32_t slot)
{
    return ((uint64_t)gen << 32) | slot;
}

/* The slot an id names, or NET_TIMER_NONE if the id is stale or bogus. */
static uint32_t lookup(const net_timers_t *t, sl_timer_id_t id)
{
    uint32_t slot = (uint32_t)id, gen = (uint32_t)(id >> 32);
    if (gen == 0 || slot >= t->nslots || t->slots[slot].gen != gen)
        return NET_TIMER_NONE;
    return slot;
}

sl_err_t sl_loop_timer_add(sl_loop_t *loop, int64_t ms, bool repeat, sl_timer_fn *fn, void *arg,
                           sl_timer_id_t *id)
{
    if (id)
        *id = 0;
    if (ms < 0 || !fn)
        return SL_ERR_INVAL;
    net_timers_t *t = &loop->timers;
    uint32_t slot;
    sl_err_t err = slot_alloc(t, &slot);
    if (err)
        return err;
    if (++t->gen == 0)
        t->gen = 1;
    net_timer_t *tm = &t->slots[slot];
    int64_t now = sl_time_mono_ms();
    tm->deadline = ms > INT64_MAX - now ? INT64_MAX : now + ms;
    tm->interval = ms;
    tm->seq = t->seq++;
    tm->fn = fn;
    tm->arg = arg;
    tm->gen = t->gen;
    tm->repeat = repeat;
    heap_push(t, slot);
    if (id)
        *id = make_id(tm->gen, slot);
    return SL_OK;
}

bool sl_loop_timer_cancel(sl_loop_t *loop, sl_timer_id_t id)
{
    net_timers_t *t = &loop->timers;
    uint32_t slot = lookup(t, id);
    if (slot == NET_TIMER_NONE)
        return false;
    if (t->slots[slot].heap_idx != NET_TIMER_NONE)
        heap_remove(t, t->slots[slot].heap_idx);
    slot_free(t, slot);
    return true;
}

int64_t net_timers_next_ms(const net_timers_t *t, int64_t now)
{
    if (t->nheap == 0)
        return -1;
    int64_t d = t->slots[t->heap[0]].deadline;
    return d <= now ? 0 : d - now;
}

void net_timers_run(sl_loop_t *loop, int64_t now)
{
    net_timers_t *t = &loop->timers;
    /* Timers armed (or re-armed) from here on wait for the next iteration,
     * so a 0 ms repeating timer cannot hold the loop. */
    uint64_t seq_limit = t->seq;
    while (t->nheap > 0) {
        uint32_t slot = t->heap[0];
        net_timer_t *tm = &t->slots[slot];
        if (tm->deadline > now || tm->seq >= seq_limit)
            break;
        sl_timer_fn *fn = tm->fn;
        void *arg = tm->arg;
        sl_timer_id_t id = make_id(tm->gen, slot);
        heap_remove(t, 0);
        if (tm->repeat) {
            tm->deadline = tm->interval > INT64_MAX - now ? INT64_MAX : now + tm->interval;
            tm->seq = t->seq++;
            heap_push(t, slot);
        } else {
            slot_free(t, slot);
        }
        fn(loop, id, arg); /* may add or cancel timers: tm is stale now */
    }
}
