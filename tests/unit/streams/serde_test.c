/*
 * serde_test.c - the built-in serdes write Kafka's bytes (UTF-8 strings,
 * big-endian int32/int64/double, compact JSON) and read them back; bad
 * bytes are SL_ERR_PARSE; the auto serde round-trips every value type;
 * windowed keys in the time and session formats; sl_serde_write; a record
 * with unreadable bytes is skipped by the task (or fails it under
 * logAndFail).
 */
#include <string.h>

#include <jansson.h>

#include "core_util.h"
#include "streams_int.h"

static sl_arena_t g_arena;

static int setup(void **state)
{
    (void)state;
    sl_arena_init(&g_arena, 1024, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl_serde_release(&g_arena);
    sl_arena_fini(&g_arena);
    return 0;
}

/* Writes v with s, checks the bytes, reads them back and checks equality. */
static void round_trip(const sl_serde_t *s, const sl_val_t *v, const void *want, size_t want_len)
{
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_serde_write(s, v, &b), 0);
    if (want != NULL) {
        assert_int_equal(b.len, want_len);
        assert_memory_equal(b.data, want, want_len);
    }
    sl_val_t back;
    assert_int_equal(s->de(b.data != NULL ? b.data : (const uint8_t *)"", b.len, &g_arena, &back, s->arg), SL_OK);
    assert_true(sl_val_equal(v, &back));
    sl_buf_free(&b);
}

static void expect_parse_error(const sl_serde_t *s, const void *p, size_t n)
{
    sl_val_t out;
    assert_int_equal(s->de(p, n, &g_arena, &out, s->arg), SL_ERR_PARSE);
}

static void test_kafka_formats(void **state)
{
    (void)state;
    sl_val_t v = sl_val_str_ref("h\xc3\xa9llo", 6);
    round_trip(SL_STRING, &v, "h\xc3\xa9llo", 6);
    v = sl_val_str_ref("", 0);
    round_trip(SL_STRING, &v, "", 0);
    v = sl_val_bytes_ref("\x00\xff\x10", 3);
    round_trip(SL_BYTES, &v, "\x00\xff\x10", 3);
    v = sl_val_i32(0x01020304);
    round_trip(SL_I32, &v, "\x01\x02\x03\x04", 4);
    v = sl_val_i32(-1);
    round_trip(SL_I32, &v, "\xff\xff\xff\xff", 4);
    v = sl_val_i64(1);
    round_trip(SL_I64, &v, "\x00\x00\x00\x00\x00\x00\x00\x01", 8);
    v = sl_val_i64(INT64_MIN);
    round_trip(SL_I64, &v, "\x80\x00\x00\x00\x00\x00\x00\x00", 8);
    v = sl_val_i64(-2);
    round_trip(SL_I64, &v, "\xff\xff\xff\xff\xff\xff\xff\xfe", 8);
    v = sl_val_f64(1.5);
    round_trip(SL_F64, &v, "\x3f\xf8\x00\x00\x00\x00\x00\x00", 8);
    v = sl_val_f64(-0.0);
    round_trip(SL_F64, &v, "\x80\x00\x00\x00\x00\x00\x00\x00", 8);

    json_t *j = json_pack("{s:[i,i],s:n}", "a", 1, 2, "b");
    v.type = SL_V_JSON;
    v.u.json = j;
    round_trip(SL_JSON, &v, "{\"a\":[1,2],\"b\":null}", 20);
    json_decref(j);
    j = json_string("just a string");
    v.u.json = j;
    round_trip(SL_JSON, &v, "\"just a string\"", 15);
    json_decref(j);

    /* a string read back is NUL-terminated in the arena */
    sl_val_t out;
    assert_int_equal(SL_STRING->de((const uint8_t *)"abcdef", 3, &g_arena, &out, NULL), SL_OK);
    assert_string_equal((const char *)out.u.bytes.ptr, "abc");
}

static void test_bad_bytes(void **state)
{
    (void)state;
    expect_parse_error(SL_I32, "\x01\x02\x03", 3);
    expect_parse_error(SL_I32, "\x01\x02\x03\x04\x05", 5);
    expect_parse_error(SL_I64, "\x01", 1);
    expect_parse_error(SL_I64, "", 0);
    expect_parse_error(SL_F64, "\x01\x02\x03\x04", 4);
    expect_parse_error(SL_JSON, "{\"a\":", 5);
    expect_parse_error(SL_JSON, "", 0);
    expect_parse_error(SL_AUTO, "", 0);
    expect_parse_error(SL_AUTO, "\x63", 1);             /* unknown tag */
    expect_parse_error(SL_AUTO, "\x04\x00\x01", 3);     /* an int64 cut short */
    expect_parse_error(SL_AUTO, "\x07\x00\x00\x00\x00\x00\x00\x00\x00", 9); /* a pointer */
    expect_parse_error(SL_AUTO, "\x00\x01", 2);         /* null with bytes */
    /* a windowed key inside a windowed key */
    uint8_t nested[40] = {SL_V_WINDOWED};
    nested[17] = SL_V_WINDOWED;
    expect_parse_error(SL_AUTO, nested, sizeof(nested));
    expect_parse_error(SL_AUTO, nested, 10);

    /* writing a value of the wrong type */
    sl_buf_t b = SL_BUF_INIT;
    sl_val_t s = sl_val_str_ref("x", 1);
    assert_int_equal(sl_serde_write(SL_I64, &s, &b), SL_ERR_INVAL);
    sl_val_t i = sl_val_i32(1);
    assert_int_equal(sl_serde_write(SL_I64, &i, &b), SL_ERR_INVAL);
    assert_int_equal(sl_serde_write(SL_STRING, &i, &b), SL_ERR_INVAL);
    int obj;
    sl_val_t p = sl_val_ptr(&obj);
    assert_int_equal(sl_serde_write(SL_AUTO, &p, &b), SL_ERR_INVAL);
    /* a null writes nothing */
    sl_val_t n = sl_val_null();
    size_t before = b.len;
    assert_int_equal(sl_serde_write(SL_STRING, &n, &b), 1);
    assert_int_equal(sl_serde_write(SL_STRING, NULL, &b), 1);
    assert_int_equal(b.len, before);
    sl_buf_free(&b);
}

static void test_auto(void **state)
{
    (void)state;
    sl_val_t v = sl_val_str_ref("word", 4);
    round_trip(SL_AUTO, &v, "\x02word", 5);
    v = sl_val_bytes_ref("\x01", 1);
    round_trip(SL_AUTO, &v, "\x01\x01", 2);
    v = sl_val_i32(7);
    round_trip(SL_AUTO, &v, "\x03\x00\x00\x00\x07", 5);
    v = sl_val_i64(7);
    round_trip(SL_AUTO, &v, NULL, 0);
    v = sl_val_f64(2.25);
    round_trip(SL_AUTO, &v, NULL, 0);
    json_t *j = json_pack("[s]", "x");
    v.type = SL_V_JSON;
    v.u.json = j;
    round_trip(SL_AUTO, &v, "\x06[\"x\"]", 6);
    json_decref(j);
    sl_val_t key = sl_val_str_ref("k", 1);
    v.type = SL_V_WINDOWED;
    v.u.win.key = &key;
    v.u.win.start = 1000;
    v.u.win.end = 2000;
    round_trip(SL_AUTO, &v, NULL, 0);
}

static void test_windowed(void **state)
{
    (void)state;
    sl_windowed_serde_t tw, sw;
    const sl_serde_t *time_serde = sl_serde_windowed_init(&tw, SL_STRING, 500, false);
    const sl_serde_t *session_serde = sl_serde_windowed_init(&sw, SL_STRING, 0, true);
    sl_val_t key = sl_val_str_ref("ab", 2);
    sl_val_t v = {SL_V_WINDOWED, {{0, 0}}};
    v.u.win.key = &key;
    v.u.win.start = 1000;
    v.u.win.end = 1500;
    /* time windows: key, start (8 bytes big-endian); the end from the size */
    round_trip(time_serde, &v, "ab\x00\x00\x00\x00\x00\x00\x03\xe8", 10);
    /* a plain key serde given a windowed key writes the same */
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_serde_write(SL_STRING, &v, &b), 0);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data, "ab\x00\x00\x00\x00\x00\x00\x03\xe8", 10);
    sl_buf_free(&b);
    /* session windows: key, end, start */
    v.u.win.end = 1200;
    round_trip(session_serde, &v, "ab\x00\x00\x00\x00\x00\x00\x04\xb0\x00\x00\x00\x00\x00\x00\x03\xe8", 18);
    expect_parse_error(time_serde, "abc", 3);
    expect_parse_error(session_serde, "abcdefghijklmno", 15);
    /* an inner serde's error comes through */
    sl_windowed_serde_t iw;
    const sl_serde_t *int_windows = sl_serde_windowed_init(&iw, SL_I32, 10, false);
    expect_parse_error(int_windows, "\x01\x00\x00\x00\x00\x00\x00\x00\x01", 9);
}

/* JSON values read into an arena are released with it (ASan would report
 * a leak otherwise). */
static void test_json_release(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    sl_val_t v;
    for (int i = 0; i < 100; i++)
        assert_int_equal(SL_JSON->de((const uint8_t *)"{\"x\":[1,2,3]}", 13, &a, &v, NULL), SL_OK);
    assert_int_equal(v.type, SL_V_JSON);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(v.u.json, "x"), 2)), 3);
    sl_serde_release(&a);
    sl_arena_fini(&a);
}

/* --- through a task ------------------------------------------------------------ */

static SL_TOPOLOGY(longs_topology)
{
    SL_STREAM(in, "in", SL_STRING, SL_I64);
    SL_TO(in, "out", NULL, NULL);
}

static void test_skipped_records(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(longs_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    sl_val_t k = sl_val_str_ref("k", 1);
    sl_val_t bad = sl_val_bytes_ref("\x01\x02\x03", 3);
    sl_val_t good = sl_val_i64(42);
    /* logAndContinue: logged and skipped, the next record goes on */
    assert_int_equal(sl_driver_pipe(d, "in", &k, &bad, 1, SL_STRING, SL_BYTES), SL_OK);
    assert_int_equal(sl_driver_queue_size(d, "out"), 0);
    assert_int_equal(sl_driver_pipe(d, "in", &k, &good, 2, SL_STRING, SL_I64), SL_OK);
    sl_out_record_t r;
    assert_int_equal(sl_driver_read(d, "out", SL_STRING, SL_I64, &r), SL_OK);
    assert_int_equal(r.value.type, SL_V_I64);
    assert_int_equal(r.value.u.i64, 42);
    /* read with the wrong serde: the reader's error */
    assert_int_equal(sl_driver_pipe(d, "in", &k, &good, 3, SL_STRING, SL_I64), SL_OK);
    assert_int_equal(sl_driver_read(d, "out", SL_STRING, SL_I32, &r), SL_ERR_PARSE);
    sl_driver_free(d);

    d = cu_driver(t, "default.deserialization.exception.handler=logAndFail\n");
    assert_int_equal(sl_driver_pipe(d, "in", &k, &bad, 1, SL_STRING, SL_BYTES), SL_ERR_PARSE);
    assert_int_equal(sl_driver_pipe(d, "in", &k, &good, 2, SL_STRING, SL_I64), SL_OK);
    assert_int_equal(sl_driver_queue_size(d, "out"), 1);
    sl_driver_free(d);

    char err[256] = "";
    assert_int_equal(sl_driver_new(t, "default.deserialization.exception.handler=ignore", 0, &d, err, sizeof(err)),
                     SL_ERR_CONFIG);
    assert_non_null(strstr(err, "default.deserialization.exception.handler"));
    sl_topology_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kafka_formats), cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_auto),          cmocka_unit_test(test_windowed),
        cmocka_unit_test(test_json_release),  cmocka_unit_test(test_skipped_records),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
