/*
 * datagen_nexmark.c - DatagenSource's Nexmark quickstarts through the
 * benchmark's generator (bench/nexmark/gen.c, compiled into the plugin):
 * its event number decides the kind (1 person, 3 auctions, 46 bids of
 * every 50) and, with the generator's random state set from the seed and
 * that number, every field, so any event is made alone. The generator
 * writes JSON text; its fields (numbers and strings without escapes) are
 * read back into a struct in the order the shape lists them.
 *
 *   nexmark          event index -> topics person, auction and bid
 *   nexmark.person   the index-th person, and so on for auctions and bids
 *
 * Keys: the person's or auction's id as a string; bids have none.
 * dateTime starts at a fixed instant (2026-01-01T00:00Z) and advances 0.1
 * ms an event, so it is as deterministic as the rest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "datagen_int.h"
#include "gen.h"

#define DG_NX_BASE_MS 1767225600000LL

/* The event number of the index-th event of quickstart q (Nexmark's
 * proportions: event 50k is a person, 50k+1..3 auctions, the rest bids). */
static uint64_t event_of(int q, uint64_t index)
{
    switch (q) {
    case DG_Q_NX_PERSON:
        return index * 50;
    case DG_Q_NX_AUCTION:
        return index / 3 * 50 + 1 + index % 3;
    case DG_Q_NX_BID:
        return index / 46 * 50 + 4 + index % 46;
    default:
        return index;
    }
}

/* Reads the generator's JSON object json into vals (one per field of
 * shape). -1 when it is not what the shape says. */
static int parse(dg_cache_t *c, const char *json, int shape, const sl_cvalue_t **vals)
{
    const dg_shape_t *sh = &dg_shapes[shape];
    const char *p = json;
    if (*p++ != '{')
        return -1;
    for (size_t i = 0; i < sh->count; i++) {
        const dg_field_t *f = &sh->fields[i];
        size_t nl = strlen(f->name);
        if (*p != '"' || strncmp(p + 1, f->name, nl) || p[1 + nl] != '"' || p[2 + nl] != ':')
            return -1;
        p += 3 + nl;
        if (f->type == SL_CT_STRING) {
            const char *end = *p == '"' ? strchr(p + 1, '"') : NULL;
            if (!end || memchr(p + 1, '\\', (size_t)(end - p - 1)))
                return -1;
            vals[i] = dg_host->val_string(c->mem, p + 1, (size_t)(end - p - 1));
            p = end + 1;
        } else {
            char *end;
            errno = 0;
            long long n = strtoll(p, &end, 10);
            if (errno || end == p)
                return -1;
            vals[i] = dg_host->val_int(c->mem, f->type, n);
            p = end;
        }
        if (*p++ != (i + 1 < sh->count ? ',' : '}'))
            return -1;
    }
    return *p ? -1 : 0;
}

int dg_nexmark(sl_connect_ctx_t *ctx, dg_cache_t *c, int q, uint64_t seed, uint64_t index,
               dg_rec_t *out)
{
    /* ~1 KiB of generator state: per record on the stack, none kept. */
    nx_gen_t g;
    nx_event_t ev;
    uint64_t id = event_of(q, index);
    nx_gen_init(&g, dg_mix(seed, id), DG_NX_BASE_MS);
    g.next_id = id;
    nx_gen_next(&g, &ev);
    out->shape = ev.kind == NX_PERSON    ? DG_S_PERSON
                 : ev.kind == NX_AUCTION ? DG_S_AUCTION
                                         : DG_S_BID;
    out->topic = ev.topic;
    const sl_cvalue_t *vals[DG_MAX_FIELDS] = {0};
    if (parse(c, ev.value, out->shape, vals)) {
        dg_host->set_error(ctx, "the Nexmark generator wrote an unexpected %s: %.200s", ev.topic,
                           ev.value);
        return SL_CONNECT_EIO;
    }
    out->key = ev.kind == NX_BID ? NULL : dg_host->val_string(c->mem, ev.key, strlen(ev.key));
    out->value = dg_struct(c, out->shape, vals);
    return out->value && (ev.kind == NX_BID || out->key) ? SL_CONNECT_OK : SL_CONNECT_ENOMEM;
}
