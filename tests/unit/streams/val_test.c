/*
 * val_test.c - sl_val_t: constructors with and without record memory,
 * equality across types, the readable form.
 */
#include <string.h>

#include <jansson.h>

#include "core_util.h"
#include "streams_int.h"

/* The constructors taking a ctx are tested inside a processor: the ctx
 * only exists while a record is processed. */
static int g_checked;

static void check_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    (void)state;
    (void)key;
    (void)value;
    char buf[128];
    char src[] = "abc";
    sl_val_t s = sl_val_str(ctx, src);
    src[0] = 'X'; /* a copy, not a reference */
    assert_int_equal(s.type, SL_V_STRING);
    assert_int_equal(s.u.bytes.len, 3);
    assert_string_equal((const char *)s.u.bytes.ptr, "abc");
    sl_val_t sn = sl_val_strn(ctx, "hello world", 5);
    assert_string_equal((const char *)sn.u.bytes.ptr, "hello"); /* NUL added */
    sl_val_t b = sl_val_bytes(ctx, "\x00\x01\xff", 3);
    assert_int_equal(b.type, SL_V_BYTES);
    assert_string_equal(sl_val_format(&b, buf, sizeof(buf)), "0001ff");
    sl_val_t e = sl_val_bytes(ctx, NULL, 0);
    assert_int_equal(e.type, SL_V_BYTES);
    assert_int_equal(e.u.bytes.len, 0);
    sl_val_t p = sl_val_printf(ctx, "%s-%d", "n", 42);
    assert_string_equal((const char *)p.u.bytes.ptr, "n-42");
    char big[300];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    sl_val_t pb = sl_val_printf(ctx, "%s", big);
    assert_int_equal(pb.u.bytes.len, 299);

    /* JSON: the reference is released with the record */
    sl_val_t j = sl_val_json(ctx, json_pack("{s:i}", "a", 1));
    assert_int_equal(j.type, SL_V_JSON);
    assert_string_equal(sl_val_format(&j, buf, sizeof(buf)), "{\"a\":1}");
    sl_val_t jn = sl_val_json(ctx, NULL);
    assert_true(sl_val_is_null(&jn));

    sl_val_t k = sl_val_str_ref("key", 3);
    sl_val_t w = sl_val_windowed(ctx, &k, 100, 200);
    assert_int_equal(w.type, SL_V_WINDOWED);
    assert_string_equal(sl_val_format(&w, buf, sizeof(buf)), "[key@100/200]");
    sl_val_t w2 = sl_val_windowed(ctx, &s, 100, 200);
    assert_false(sl_val_equal(&w, &w2));
    sl_val_t s3 = sl_val_str_ref("key", 3);
    sl_val_t w3 = sl_val_windowed(ctx, &s3, 100, 200);
    assert_true(sl_val_equal(&w, &w3));
    sl_val_t w4 = sl_val_windowed(ctx, &s3, 100, 300);
    assert_false(sl_val_equal(&w, &w4));
    void *mem = sl_ctx_alloc(ctx, 1000);
    assert_non_null(mem);
    memset(mem, 1, 1000);
    assert_ptr_equal(sl_ctx_arena(ctx) != NULL, 1);
    g_checked++;
}

static const sl_processor_def_t check_def = {NULL, check_process, NULL};

static void check_topology(sl_builder_t *b)
{
    sl_stream_t *in = sl_builder_stream(b, NULL, "in", SL_STRING, SL_STRING);
    sl_stream_process(in, NULL, &check_def, NULL, NULL, 0);
}

static void test_ctx_constructors(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(check_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    g_checked = 0;
    assert_int_equal(cu_pipe(d, "in", "k", "v", 1), SL_OK);
    assert_int_equal(cu_pipe(d, "in", "k", "v", 2), SL_OK);
    assert_int_equal(g_checked, 2);
    sl_driver_free(d);
    sl_topology_free(t);
}

static void test_equal(void **state)
{
    (void)state;
    sl_val_t n1 = sl_val_null(), n2 = sl_val_null();
    assert_true(sl_val_equal(&n1, &n2));
    assert_true(sl_val_equal(NULL, &n1));
    sl_val_t a = sl_val_str_ref("x", 1), b = sl_val_str_ref("x", 1), c = sl_val_str_ref("y", 1);
    assert_true(sl_val_equal(&a, &b));
    assert_false(sl_val_equal(&a, &c));
    assert_false(sl_val_equal(&a, &n1));
    sl_val_t bx = sl_val_bytes_ref("x", 1);
    assert_false(sl_val_equal(&a, &bx)); /* different types */
    sl_val_t i1 = sl_val_i64(5), i2 = sl_val_i64(5), i3 = sl_val_i32(5);
    assert_true(sl_val_equal(&i1, &i2));
    assert_false(sl_val_equal(&i1, &i3));
    sl_val_t f1 = sl_val_f64(0.5), f2 = sl_val_f64(0.5);
    assert_true(sl_val_equal(&f1, &f2));
    json_t *j1 = json_pack("[i,s]", 1, "a"), *j2 = json_pack("[i,s]", 1, "a");
    sl_val_t v1 = {SL_V_JSON, {{0, 0}}}, v2 = {SL_V_JSON, {{0, 0}}};
    v1.u.json = j1;
    v2.u.json = j2;
    assert_true(sl_val_equal(&v1, &v2));
    json_decref(j1);
    json_decref(j2);
    int obj;
    sl_val_t p1 = sl_val_ptr(&obj), p2 = sl_val_ptr(&obj);
    assert_true(sl_val_equal(&p1, &p2));
}

static void test_format(void **state)
{
    (void)state;
    char buf[64];
    sl_val_t v = sl_val_null();
    assert_string_equal(sl_val_format(&v, buf, sizeof(buf)), "null");
    assert_string_equal(sl_val_format(NULL, buf, sizeof(buf)), "null");
    v = sl_val_i32(-7);
    assert_string_equal(sl_val_format(&v, buf, sizeof(buf)), "-7");
    v = sl_val_i64(INT64_MIN);
    assert_string_equal(sl_val_format(&v, buf, sizeof(buf)), "-9223372036854775808");
    v = sl_val_f64(0.1);
    assert_string_equal(sl_val_format(&v, buf, sizeof(buf)), "0.1");
    v = sl_val_f64(1.0 / 3.0);
    assert_string_equal(sl_val_format(&v, buf, sizeof(buf)), "0.33333333333333331");
    v = sl_val_str_ref("hello", 5);
    assert_string_equal(sl_val_format(&v, buf, sizeof(buf)), "hello");
    /* always NUL-terminated, cut to the buffer */
    char small[4];
    assert_string_equal(sl_val_format(&v, small, sizeof(small)), "hel");
    json_t *j = json_pack("{s:s}", "long", "0123456789012345678901234567890123456789");
    sl_val_t jv = {SL_V_JSON, {{0, 0}}};
    jv.u.json = j;
    assert_int_equal(strlen(sl_val_format(&jv, small, sizeof(small))), 3);
    assert_string_equal(small, "{\"l");
    json_decref(j);
    sl_val_t inner = sl_val_i64(9);
    sl_val_t w = {SL_V_WINDOWED, {{0, 0}}};
    w.u.win.key = &inner;
    w.u.win.start = 0;
    w.u.win.end = 10;
    assert_string_equal(sl_val_format(&w, buf, sizeof(buf)), "[9@0/10]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctx_constructors),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
