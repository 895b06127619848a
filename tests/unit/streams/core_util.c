/*
 * core_util.c - the streams core's test helpers (core_util.h).
 */
#include "core_util.h"

#include <string.h>

sl_topology_t *cu_build(void (*fn)(sl_builder_t *))
{
    sl_topology_t *t = NULL;
    char err[512] = "";
    sl_err_t rc = sl_topology_from(fn, &t, err, sizeof(err));
    if (rc != SL_OK)
        fail_msg("topology build failed: %s (%s)", err, sl_err_name(rc));
    assert_non_null(t);
    return t;
}

sl_err_t cu_build_error(void (*fn)(sl_builder_t *), char *msg, size_t len)
{
    sl_topology_t *t = NULL;
    sl_err_t rc = sl_topology_from(fn, &t, msg, len);
    assert_int_not_equal(rc, SL_OK);
    assert_null(t);
    return rc;
}

sl_driver_t *cu_driver(const sl_topology_t *t, const char *props)
{
    sl_driver_t *d = NULL;
    char err[512] = "";
    sl_err_t rc = sl_driver_new(t, props, 0, &d, err, sizeof(err));
    if (rc != SL_OK)
        fail_msg("driver failed: %s (%s)", err, sl_err_name(rc));
    return d;
}

sl_err_t cu_pipe(sl_driver_t *d, const char *topic, const char *key, const char *value, int64_t ts)
{
    sl_val_t k = key != NULL ? sl_val_str_ref(key, strlen(key)) : sl_val_null();
    sl_val_t v = value != NULL ? sl_val_str_ref(value, strlen(value)) : sl_val_null();
    return sl_driver_pipe(d, topic, &k, &v, ts, SL_STRING, SL_STRING);
}

static void check_str(const char *what, const sl_val_t *got, const char *want)
{
    char buf[256];
    if (want == NULL) {
        if (!sl_val_is_null(got))
            fail_msg("%s: expected null, got \"%s\"", what, sl_val_format(got, buf, sizeof(buf)));
        return;
    }
    if (sl_val_is_null(got))
        fail_msg("%s: expected \"%s\", got null", what, want);
    assert_int_equal(got->type, SL_V_STRING);
    if (got->u.bytes.len != strlen(want) || memcmp(got->u.bytes.ptr, want, got->u.bytes.len) != 0)
        fail_msg("%s: expected \"%s\", got \"%s\"", what, want, sl_val_format(got, buf, sizeof(buf)));
}

void cu_expect(sl_driver_t *d, const char *topic, const char *key, const char *value, int64_t ts)
{
    sl_out_record_t r;
    sl_err_t rc = sl_driver_read(d, topic, SL_STRING, SL_STRING, &r);
    if (rc != SL_OK)
        fail_msg("%s: expected (%s, %s), got %s", topic, key ? key : "null", value ? value : "null",
                 sl_err_name(rc));
    check_str("key", &r.key, key);
    check_str("value", &r.value, value);
    if (ts >= 0)
        assert_int_equal(r.timestamp, ts);
}

void cu_expect_empty(sl_driver_t *d, const char *topic)
{
    size_t n = sl_driver_queue_size(d, topic);
    if (n != 0) {
        sl_out_record_t r;
        char kb[128], vb[128];
        assert_int_equal(sl_driver_read(d, topic, SL_STRING, SL_STRING, &r), SL_OK);
        fail_msg("%s: expected nothing more, %zu left, next (%s, %s)", topic, n,
                 sl_val_format(&r.key, kb, sizeof(kb)), sl_val_format(&r.value, vb, sizeof(vb)));
    }
}
