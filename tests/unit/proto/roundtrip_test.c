/* roundtrip_test.c - every generated message (requests, responses, headers,
 * data schemas) at every valid version: filled with pseudo-random values
 * through the reflection descriptors, encoded, decoded, compared field by
 * field, re-encoded and compared byte for byte. Seeds are fixed (derived from
 * message name, version and round), so a failure names a reproducible case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

/* Sum over all 144 Kafka 3.4 schemas of (max valid version - min + 1),
 * counted from the schema files independently of the generator. */
#define EXPECTED_MESSAGES 144
#define EXPECTED_PAIRS 559
#define ROUNDS 4

typedef struct rng {
    uint64_t s;
} rng_t;

static uint64_t rng_next(rng_t *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint32_t rng_below(rng_t *r, uint32_t n) { return (uint32_t)(rng_next(r) % n); }

static uint64_t seed_for(const char *name, int16_t version, int round)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    return h ^ ((uint64_t)(uint16_t)version << 32) ^ (uint64_t)round;
}

static void fill_struct(rng_t *r, sl_arena_t *a, const sl_struct_desc_t *sd, void *m, int16_t v);

static void fill_value(rng_t *r, sl_arena_t *a, const sl_field_desc_t *f, void *p, int16_t v)
{
    switch ((sl_kind_t)f->kind) {
    case SL_K_BOOL:
        *(bool *)p = rng_next(r) & 1;
        break;
    case SL_K_INT8:
        *(int8_t *)p = (int8_t)rng_next(r);
        break;
    case SL_K_INT16:
        *(int16_t *)p = (int16_t)rng_next(r);
        break;
    case SL_K_UINT16:
        *(uint16_t *)p = (uint16_t)rng_next(r);
        break;
    case SL_K_INT32:
        *(int32_t *)p = (int32_t)rng_next(r);
        break;
    case SL_K_UINT32:
        *(uint32_t *)p = (uint32_t)rng_next(r);
        break;
    case SL_K_INT64:
        *(int64_t *)p = (int64_t)rng_next(r);
        break;
    case SL_K_FLOAT64:
        *(double *)p = (double)(int32_t)rng_next(r) / 8.0;
        break;
    case SL_K_UUID:
        for (int i = 0; i < 16; i++)
            ((sl_uuid_t *)p)->b[i] = (uint8_t)rng_next(r);
        break;
    case SL_K_STRING: {
        sl_kstr_t *s = p;
        /* Elements of string arrays are never null. */
        if (!f->array && sl_vrange_has(f->nullable, v) && rng_below(r, 4) == 0) {
            *s = sl_kstr_null();
            break;
        }
        int32_t n = (int32_t)rng_below(r, 9);
        char *c = sl_arena_alloc(a, (size_t)n + 1);
        assert_non_null(c);
        for (int32_t i = 0; i < n; i++)
            c[i] = (char)(' ' + rng_below(r, 95));
        c[n] = '\0';
        *s = sl_kstr_n(c, n);
        break;
    }
    case SL_K_BYTES:
    case SL_K_RECORDS: {
        sl_kbytes_t *b = p;
        if (!f->array && sl_vrange_has(f->nullable, v) && rng_below(r, 4) == 0) {
            b->ptr = NULL;
            b->len = -1;
            break;
        }
        int32_t n = (int32_t)rng_below(r, 12);
        uint8_t *c = sl_arena_alloc(a, (size_t)n);
        assert_non_null(c);
        for (int32_t i = 0; i < n; i++)
            c[i] = (uint8_t)rng_next(r);
        b->ptr = n ? c : NULL;
        b->len = n;
        break;
    }
    case SL_K_STRUCT:
        f->sdesc->init(p);
        fill_struct(r, a, f->sdesc, p, v);
        break;
    }
}

static size_t elem_size(const sl_field_desc_t *f)
{
    return f->kind == SL_K_STRUCT ? f->sdesc->size : sl_kind_size((sl_kind_t)f->kind);
}

static void fill_struct(rng_t *r, sl_arena_t *a, const sl_struct_desc_t *sd, void *m, int16_t v)
{
    for (uint32_t i = 0; i < sd->nfields; i++) {
        const sl_field_desc_t *f = &sd->fields[i];
        char *p = (char *)m + f->offset;
        if (!sl_vrange_has(f->versions, v))
            continue; /* stays at its default */
        if (!f->array) {
            fill_value(r, a, f, p, v);
            continue;
        }
        sl_array_t *arr = (sl_array_t *)p;
        if (sl_vrange_has(f->nullable, v) && rng_below(r, 4) == 0) {
            arr->count = -1;
            arr->items = NULL;
            continue;
        }
        arr->count = (int32_t)rng_below(r, 4);
        size_t es = elem_size(f);
        arr->items = arr->count ? sl_arena_calloc(a, (size_t)arr->count, es) : NULL;
        for (int32_t k = 0; k < arr->count; k++)
            fill_value(r, a, f, (char *)arr->items + (size_t)k * es, v);
    }
}

/* Compares two messages field by field; fails the test naming the path. */
static void compare_struct(const sl_struct_desc_t *sd, const void *x, const void *y, int16_t v, const char *where);

/* where names the value: "FetchRequest v12 round 1.Topics[0].Partitions". */
static void compare_value(const sl_field_desc_t *f, const void *x, const void *y, int16_t v, const char *where)
{
    switch ((sl_kind_t)f->kind) {
    case SL_K_STRING: {
        const sl_kstr_t *a = x, *b = y;
        if (a->len != b->len || (a->len > 0 && memcmp(a->ptr, b->ptr, (size_t)a->len) != 0))
            fail_msg("%s: string differs (%d vs %d bytes)", where, a->len, b->len);
        return;
    }
    case SL_K_BYTES:
    case SL_K_RECORDS: {
        const sl_kbytes_t *a = x, *b = y;
        if (a->len != b->len || (a->len > 0 && memcmp(a->ptr, b->ptr, (size_t)a->len) != 0))
            fail_msg("%s: bytes differ (%d vs %d bytes)", where, a->len, b->len);
        return;
    }
    case SL_K_STRUCT:
        compare_struct(f->sdesc, x, y, v, where);
        return;
    case SL_K_BOOL:
        if (*(const bool *)x != *(const bool *)y)
            fail_msg("%s: bool differs", where);
        return;
    default:
        if (memcmp(x, y, sl_kind_size((sl_kind_t)f->kind)) != 0)
            fail_msg("%s: value differs", where);
        return;
    }
}

static void compare_struct(const sl_struct_desc_t *sd, const void *x, const void *y, int16_t v, const char *where)
{
    for (uint32_t i = 0; i < sd->nfields; i++) {
        const sl_field_desc_t *f = &sd->fields[i];
        if (!sl_vrange_has(f->versions, v))
            continue;
        const char *px = (const char *)x + f->offset, *py = (const char *)y + f->offset;
        char path[512];
        snprintf(path, sizeof(path), "%s.%s", where, f->name);
        if (!f->array) {
            compare_value(f, px, py, v, path);
            continue;
        }
        const sl_array_t *ax = (const sl_array_t *)px, *ay = (const sl_array_t *)py;
        if (ax->count != ay->count)
            fail_msg("%s: array count %d vs %d", path, ax->count, ay->count);
        size_t es = elem_size(f);
        for (int32_t k = 0; k < ax->count; k++) {
            char epath[600];
            snprintf(epath, sizeof(epath), "%s[%d]", path, k);
            compare_value(f, (const char *)ax->items + (size_t)k * es, (const char *)ay->items + (size_t)k * es, v,
                          epath);
        }
    }
}

/* One message at one version: fill, encode, decode, compare, re-encode. */
static void roundtrip_one(const sl_msg_desc_t *md, int16_t v, int round)
{
    sl_arena_t arena;
    sl_buf_t b1 = SL_BUF_INIT, b2 = SL_BUF_INIT;
    rng_t r = {seed_for(md->name, v, round)};
    char where[128];
    snprintf(where, sizeof(where), "%s v%d round %d", md->name, v, round);

    sl_arena_init(&arena, 0, 0);
    void *m1 = sl_arena_zalloc(&arena, md->size);
    void *m2 = sl_arena_zalloc(&arena, md->size);
    assert_non_null(m1);
    assert_non_null(m2);
    md->init(m1);
    if (round > 0) /* round 0 checks the defaults alone */
        fill_struct(&r, &arena, md->root, m1, v);

    sl_err_t err = md->encode(&b1, v, m1);
    if (err != SL_OK)
        fail_msg("%s: encode: %s", where, sl_err_name(err));
    sl_rd_t rd;
    sl_rd_init(&rd, b1.data, b1.len);
    err = md->decode(&rd, v, &arena, m2);
    if (err != SL_OK)
        fail_msg("%s: decode: %s", where, sl_err_name(err));
    if (sl_rd_left(&rd) != 0)
        fail_msg("%s: decode left %zu of %zu bytes", where, sl_rd_left(&rd), b1.len);
    compare_struct(md->root, m1, m2, v, where);
    err = md->encode(&b2, v, m2);
    if (err != SL_OK)
        fail_msg("%s: re-encode: %s", where, sl_err_name(err));
    if (b1.len != b2.len || (b1.len && memcmp(b1.data, b2.data, b1.len) != 0))
        fail_msg("%s: re-encoded bytes differ (%zu vs %zu)", where, b1.len, b2.len);
    sl_buf_free(&b1);
    sl_buf_free(&b2);
    sl_arena_fini(&arena);
}

static void roundtrip_every_message_every_version(void **state)
{
    (void)state;
    size_t pairs = 0;
    assert_int_equal(sl_msg_count(), EXPECTED_MESSAGES);
    for (size_t i = 0; i < sl_msg_count(); i++) {
        const sl_msg_desc_t *md = sl_msg_at(i);
        for (int16_t v = md->versions.lo; v <= md->versions.hi; v++) {
            for (int round = 0; round < ROUNDS; round++)
                roundtrip_one(md, v, round);
            pairs++;
        }
    }
    printf("round-tripped %zu message/version pairs (%d rounds each) over %zu messages\n", pairs, ROUNDS,
           sl_msg_count());
    assert_int_equal(pairs, EXPECTED_PAIRS);
}

/* The api table agrees with the message descriptors it points to. */
static void api_table_matches_message_descriptors(void **state)
{
    (void)state;
    size_t n = sl_api_count();
    assert_int_equal(n, 68);
    for (size_t i = 0; i < n; i++) {
        const sl_api_t *api = sl_api_at(i);
        assert_ptr_equal(sl_api_get(api->key), api);
        assert_int_equal(api->request->api_key, api->key);
        assert_int_equal(api->response->api_key, api->key);
        assert_int_equal(api->request->type, SL_MSG_REQUEST);
        assert_int_equal(api->response->type, SL_MSG_RESPONSE);
        assert_int_equal(api->request->versions.lo, api->min_version);
        assert_int_equal(api->request->versions.hi, api->max_version);
        if (api->flex_version >= 0)
            assert_int_equal(api->request->flexible.lo, api->flex_version);
        assert_ptr_equal(sl_msg_find(api->request->name), api->request);
        assert_ptr_equal(sl_msg_find(api->response->name), api->response);
    }
    assert_null(sl_api_at(n));
    assert_null(sl_api_get(-1));
    assert_null(sl_api_get(10000));
    assert_string_equal(sl_api_get(0)->name, "Produce");
    assert_string_equal(sl_api_get(18)->name, "ApiVersions");
    assert_int_equal(sl_api_get(1)->flex_version, 12);
    assert_int_equal(sl_api_get(17)->flex_version, -1);
    assert_true(sl_api_get(18)->listeners & SL_LISTENER_BROKER);
    assert_non_null(sl_msg_find("ConsumerProtocolSubscription"));
    assert_non_null(sl_msg_find("RequestHeader"));
    assert_null(sl_msg_find("NoSuchRequest"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_every_message_every_version),
        cmocka_unit_test(api_table_matches_message_descriptors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
