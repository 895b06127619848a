/*
 * datagen_quickstarts.c - DatagenSource's record shapes and the three
 * quickstarts shaped like Confluent's datagen ones (same field names,
 * types and value ranges; the key is the key field's value as a string):
 *
 *   users      registertime (int64, 2017-02 .. 2018-02 in ms), userid
 *              (User_1..9), regionid (Region_1..9), gender (MALE, FEMALE,
 *              OTHER); key userid
 *   pageviews  viewtime (int64, 1 + 10 x the record's index), userid
 *              (User_1..9), pageid (Page_1..99); key viewtime
 *   orders     ordertime (int64, as registertime), orderid (int32, the
 *              record's index), itemid (Item_1..999), orderunits (float64,
 *              0.1 .. 10), address (struct: city City_1..99, state
 *              State_1..99, zipcode int64 10000..99999); key orderid
 *
 * plus the per-poll cache of schemas and field names, and dg_generate.
 */
#include <stdio.h>
#include <string.h>

#include "datagen_int.h"

static const dg_field_t users_f[] = {
    {"registertime", SL_CT_INT64, 0}, {"userid", SL_CT_STRING, 0},
    {"regionid", SL_CT_STRING, 0},    {"gender", SL_CT_STRING, 0},
};
static const dg_field_t pageviews_f[] = {
    {"viewtime", SL_CT_INT64, 0}, {"userid", SL_CT_STRING, 0}, {"pageid", SL_CT_STRING, 0},
};
static const dg_field_t orders_f[] = {
    {"ordertime", SL_CT_INT64, 0},    {"orderid", SL_CT_INT32, 0},
    {"itemid", SL_CT_STRING, 0},      {"orderunits", SL_CT_FLOAT64, 0},
    {"address", SL_CT_STRUCT, DG_S_ADDRESS},
};
static const dg_field_t address_f[] = {
    {"city", SL_CT_STRING, 0}, {"state", SL_CT_STRING, 0}, {"zipcode", SL_CT_INT64, 0},
};
/* Nexmark's fields, in the order bench/nexmark/gen.c writes them. */
static const dg_field_t person_f[] = {
    {"id", SL_CT_INT64, 0},         {"name", SL_CT_STRING, 0},  {"emailAddress", SL_CT_STRING, 0},
    {"creditCard", SL_CT_STRING, 0}, {"city", SL_CT_STRING, 0}, {"state", SL_CT_STRING, 0},
    {"dateTime", SL_CT_INT64, 0},   {"extra", SL_CT_STRING, 0},
};
static const dg_field_t auction_f[] = {
    {"id", SL_CT_INT64, 0},      {"itemName", SL_CT_STRING, 0}, {"description", SL_CT_STRING, 0},
    {"initialBid", SL_CT_INT64, 0}, {"reserve", SL_CT_INT64, 0}, {"dateTime", SL_CT_INT64, 0},
    {"expires", SL_CT_INT64, 0}, {"seller", SL_CT_INT64, 0},    {"category", SL_CT_INT64, 0},
    {"extra", SL_CT_STRING, 0},
};
static const dg_field_t bid_f[] = {
    {"auction", SL_CT_INT64, 0},  {"bidder", SL_CT_INT64, 0}, {"price", SL_CT_INT64, 0},
    {"channel", SL_CT_STRING, 0}, {"url", SL_CT_STRING, 0},   {"dateTime", SL_CT_INT64, 0},
    {"extra", SL_CT_STRING, 0},
};

#define DG_SHAPE(n, f) {n, f, sizeof(f) / sizeof((f)[0])}
const dg_shape_t dg_shapes[DG_S_COUNT] = {
    [DG_S_USERS] = DG_SHAPE("ksql.users", users_f),
    [DG_S_PAGEVIEWS] = DG_SHAPE("ksql.pageviews", pageviews_f),
    [DG_S_ORDERS] = DG_SHAPE("ksql.orders", orders_f),
    [DG_S_ADDRESS] = DG_SHAPE("ksql.address", address_f),
    [DG_S_PERSON] = DG_SHAPE("nexmark.person", person_f),
    [DG_S_AUCTION] = DG_SHAPE("nexmark.auction", auction_f),
    [DG_S_BID] = DG_SHAPE("nexmark.bid", bid_f),
};

static const char *const quickstarts[DG_Q_COUNT] = {
    "users", "pageviews", "orders", "nexmark", "nexmark.person", "nexmark.auction", "nexmark.bid",
};

int dg_quickstart_parse(const char *name)
{
    for (int q = 0; q < DG_Q_COUNT; q++)
        if (name && !strcmp(name, quickstarts[q]))
            return q;
    return -1;
}

const char *dg_quickstart_name(int q)
{
    return q >= 0 && q < DG_Q_COUNT ? quickstarts[q] : "?";
}

int dg_quickstart_shape(int q)
{
    static const int shapes[DG_Q_COUNT] = {DG_S_USERS, DG_S_PAGEVIEWS, DG_S_ORDERS, -1,
                                           DG_S_PERSON, DG_S_AUCTION, DG_S_BID};
    return q >= 0 && q < DG_Q_COUNT ? shapes[q] : -1;
}

void dg_cache_reset(dg_cache_t *c, sl_connect_mem_t *mem)
{
    memset(c, 0, sizeof(*c));
    c->mem = mem;
}

const sl_cschema_t *dg_schema(dg_cache_t *c, int shape)
{
    if (c->schema[shape])
        return c->schema[shape];
    const dg_shape_t *sh = &dg_shapes[shape];
    sl_cschema_t *st = dg_host->schema_new(c->mem, SL_CT_STRUCT, 0, sh->name);
    if (!st)
        return NULL;
    for (size_t i = 0; i < sh->count; i++) {
        const dg_field_t *f = &sh->fields[i];
        const sl_cschema_t *fs = f->type == SL_CT_STRUCT
                                     ? dg_schema(c, f->sub)
                                     : dg_host->schema_new(c->mem, f->type, 0, NULL);
        c->names[shape][i] = dg_host->val_string(c->mem, f->name, strlen(f->name));
        if (!fs || !c->names[shape][i] || dg_host->schema_add_field(c->mem, st, f->name, fs))
            return NULL;
    }
    c->schema[shape] = st;
    return st;
}

sl_cvalue_t *dg_struct(dg_cache_t *c, int shape, const sl_cvalue_t *const *vals)
{
    if (!dg_schema(c, shape))
        return NULL;
    sl_cvalue_t *st = dg_host->val_new(c->mem, SL_CT_STRUCT);
    if (!st)
        return NULL;
    for (size_t i = 0; i < dg_shapes[shape].count; i++)
        if (!vals[i] || dg_host->val_put(c->mem, st, c->names[shape][i], vals[i]))
            return NULL;
    return st;
}

sl_cvalue_t *dg_text(dg_cache_t *c, const sl_cvalue_t *v)
{
    char s[48];
    int len;
    switch (v->type) {
    case SL_CT_STRING:
        return dg_host->val_string(c->mem, v->u.bytes.ptr, v->u.bytes.len);
    case SL_CT_FLOAT64:
        len = snprintf(s, sizeof(s), "%.17g", v->u.f);
        break;
    default:   /* the integers: a key field is never a struct */
        len = snprintf(s, sizeof(s), "%lld", (long long)v->u.i);
        break;
    }
    return dg_host->val_string(c->mem, s, (size_t)len);
}

uint64_t dg_mix(uint64_t seed, uint64_t index)
{
    uint64_t z = seed + (index + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* One record's random numbers: a splitmix64 stream from dg_mix. */
typedef struct rng {
    uint64_t s;
} rng_t;

static uint64_t next(rng_t *r)
{
    r->s = dg_mix(r->s, 0);
    return r->s;
}

/* A number in [lo, hi]. */
static int64_t range(rng_t *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next(r) % (uint64_t)(hi - lo + 1));
}

/* A STRING value "<prefix><n>". */
static sl_cvalue_t *numbered(dg_cache_t *c, const char *prefix, int64_t n)
{
    char s[48];
    int len = snprintf(s, sizeof(s), "%s%lld", prefix, (long long)n);
    return dg_host->val_string(c->mem, s, (size_t)len);
}

/* Confluent's registertime and ordertime range (ms). */
#define DG_TIME_MIN 1487715775521LL
#define DG_TIME_MAX 1519273364600LL

static int users(dg_cache_t *c, rng_t *r, dg_rec_t *out)
{
    static const char *const genders[] = {"MALE", "FEMALE", "OTHER"};
    const char *g = genders[next(r) % 3];
    const sl_cvalue_t *v[4] = {
        dg_host->val_int(c->mem, SL_CT_INT64, range(r, DG_TIME_MIN, DG_TIME_MAX)),
        numbered(c, "User_", range(r, 1, 9)),
        numbered(c, "Region_", range(r, 1, 9)),
        dg_host->val_string(c->mem, g, strlen(g)),
    };
    out->shape = DG_S_USERS;
    out->key = v[1] ? dg_host->val_string(c->mem, v[1]->u.bytes.ptr, v[1]->u.bytes.len) : NULL;
    out->value = dg_struct(c, DG_S_USERS, v);
    return out->key && out->value ? SL_CONNECT_OK : SL_CONNECT_ENOMEM;
}

static int pageviews(dg_cache_t *c, rng_t *r, uint64_t index, dg_rec_t *out)
{
    int64_t viewtime = 1 + (int64_t)index * 10;
    const sl_cvalue_t *v[3] = {
        dg_host->val_int(c->mem, SL_CT_INT64, viewtime),
        numbered(c, "User_", range(r, 1, 9)),
        numbered(c, "Page_", range(r, 1, 99)),
    };
    out->shape = DG_S_PAGEVIEWS;
    out->key = numbered(c, "", viewtime);
    out->value = dg_struct(c, DG_S_PAGEVIEWS, v);
    return out->key && out->value ? SL_CONNECT_OK : SL_CONNECT_ENOMEM;
}

static int orders(dg_cache_t *c, rng_t *r, uint64_t index, dg_rec_t *out)
{
    int32_t orderid = (int32_t)(index & 0x7fffffff);
    const sl_cvalue_t *a[3] = {
        numbered(c, "City_", range(r, 1, 99)),
        numbered(c, "State_", range(r, 1, 99)),
        dg_host->val_int(c->mem, SL_CT_INT64, range(r, 10000, 99999)),
    };
    double units = 0.1 + (double)(next(r) >> 11) / 9007199254740992.0 * 9.9;
    const sl_cvalue_t *v[5] = {
        dg_host->val_int(c->mem, SL_CT_INT64, range(r, DG_TIME_MIN, DG_TIME_MAX)),
        dg_host->val_int(c->mem, SL_CT_INT32, orderid),
        numbered(c, "Item_", range(r, 1, 999)),
        dg_host->val_float(c->mem, SL_CT_FLOAT64, units),
        dg_struct(c, DG_S_ADDRESS, a),
    };
    out->shape = DG_S_ORDERS;
    out->key = numbered(c, "", orderid);
    out->value = dg_struct(c, DG_S_ORDERS, v);
    return out->key && out->value ? SL_CONNECT_OK : SL_CONNECT_ENOMEM;
}

int dg_generate(sl_connect_ctx_t *ctx, dg_cache_t *c, int q, uint64_t seed, uint64_t index,
                dg_rec_t *out)
{
    rng_t r = {dg_mix(seed, index)};
    out->topic = NULL;
    switch (q) {
    case DG_Q_USERS:
        return users(c, &r, out);
    case DG_Q_PAGEVIEWS:
        return pageviews(c, &r, index, out);
    case DG_Q_ORDERS:
        return orders(c, &r, index, out);
    default:
        return dg_nexmark(ctx, c, q, seed, index, out);
    }
}
