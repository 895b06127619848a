/*
 * conf_test.c - the client's configuration: Kafka 3.4 defaults, value
 * checks, unknown keys, the parsed view, idempotence's rules and
 * bootstrap.servers parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core_int.h"

static void test_defaults(void **state)
{
    (void)state;
    sl_conf_t *c = sl_conf_new();
    assert_non_null(c);
    assert_string_equal(sl_conf_get(c, "bootstrap.servers"), "localhost:9092");
    assert_string_equal(sl_conf_get(c, "acks"), "all");
    assert_string_equal(sl_conf_get(c, "enable.idempotence"), "true");
    assert_string_equal(sl_conf_get(c, "partition.assignment.strategy"), "range,cooperative-sticky");
    assert_null(sl_conf_get(c, "transactional.id"));
    assert_null(sl_conf_get(c, "no.such.key"));
    sl_cl_conf_t p;
    char err[256];
    assert_int_equal(sl_cl_conf_parse(c, &p, err, sizeof err), SL_OK);
    assert_int_equal(p.request_timeout_ms, 30000);
    assert_int_equal(p.retry_backoff_ms, 100);
    assert_int_equal(p.reconnect_backoff_ms, 50);
    assert_int_equal(p.reconnect_backoff_max_ms, 1000);
    assert_int_equal(p.connect_timeout_ms, 10000);
    assert_int_equal(p.metadata_max_age_ms, 300000);
    assert_int_equal(p.receive_max_bytes, 104857600);
    assert_int_equal(p.acks, -1);
    assert_int_equal(p.linger_ms, 0);
    assert_int_equal(p.batch_size, 16384);
    assert_int_equal(p.buffer_memory, 33554432);
    assert_int_equal(p.max_block_ms, 60000);
    assert_int_equal(p.compression, 0);
    assert_true(p.idempotence);
    assert_int_equal(p.max_in_flight, 5);
    assert_int_equal(p.retries, 2147483647);
    assert_int_equal(p.delivery_timeout_ms, 120000);
    assert_int_equal(p.max_request_size, 1048576);
    assert_false(p.partitioner_ignore_keys);
    assert_null(p.transactional_id);
    assert_int_equal(p.transaction_timeout_ms, 60000);
    assert_null(p.group_id);
    assert_null(p.group_instance_id);
    assert_int_equal(p.auto_offset_reset, SL_OFFSET_END);
    assert_true(p.auto_commit);
    assert_false(p.read_committed);
    assert_true(p.check_crcs);
    assert_int_equal(p.auto_commit_interval_ms, 5000);
    assert_int_equal(p.session_timeout_ms, 45000);
    assert_int_equal(p.heartbeat_interval_ms, 3000);
    assert_int_equal(p.max_poll_interval_ms, 300000);
    assert_string_equal(p.assignors, "range,cooperative-sticky");
    assert_int_equal(p.fetch_min_bytes, 1);
    assert_int_equal(p.fetch_max_wait_ms, 500);
    assert_int_equal(p.fetch_max_bytes, 52428800);
    assert_int_equal(p.max_partition_fetch_bytes, 1048576);
    assert_string_equal(p.client_id, "sluice");
    sl_cl_conf_fini(&p);
    sl_conf_free(c);
}

static void expect_bad(sl_conf_t *c, const char *key, const char *value, const char *needle)
{
    char err[256] = "";
    assert_int_equal(sl_conf_set(c, key, value, err, sizeof err), SL_ERR_CONFIG);
    if (!strstr(err, needle))
        fail_msg("%s=%s: message \"%s\" lacks \"%s\"", key, value, err, needle);
}

static void test_bad_values(void **state)
{
    (void)state;
    sl_conf_t *c = sl_conf_new();
    expect_bad(c, "no.such.key", "1", "unknown configuration key \"no.such.key\"");
    expect_bad(c, "linger.ms", "soon", "linger.ms");
    expect_bad(c, "linger.ms", "-1", "out of range");
    expect_bad(c, "linger.ms", "99999999999", "out of range");
    expect_bad(c, "max.in.flight.requests.per.connection", "0", "out of range");
    expect_bad(c, "acks", "2", "acks");
    expect_bad(c, "enable.idempotence", "yes", "true or false");
    expect_bad(c, "compression.type", "brotli", "compression.type");
    expect_bad(c, "auto.offset.reset", "smallest", "auto.offset.reset");
    expect_bad(c, "isolation.level", "serializable", "isolation.level");
    expect_bad(c, "partition.assignment.strategy", "range,magic", "magic");
    expect_bad(c, "partition.assignment.strategy", " , ", "empty");
    expect_bad(c, "bootstrap.servers", "", "bootstrap.servers");
    expect_bad(c, "bootstrap.servers", "host", "host:port");
    expect_bad(c, "bootstrap.servers", "host:0", "1-65535");
    expect_bad(c, "bootstrap.servers", "host:70000", "1-65535");
    expect_bad(c, "bootstrap.servers", "host:9x", "1-65535");
    expect_bad(c, "bootstrap.servers", "[::1:9092", "[ipv6]:port");
    expect_bad(c, "bootstrap.servers", "::1:9092", "host:port");
    expect_bad(c, "receive.message.max.bytes", "10", "out of range");
    /* A bad value leaves the old one. */
    assert_string_equal(sl_conf_get(c, "linger.ms"), "0");
    char err[256];
    assert_int_equal(sl_conf_set(c, "linger.ms", " 5 ", err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(c, "acks", "ALL", err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(c, "enable.auto.commit", "FALSE", err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(c, "compression.type", "zstd", err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(c, "auto.offset.reset", "earliest", err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(c, "isolation.level", "read_committed", err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(c, "partition.assignment.strategy", " roundrobin , range", err,
                                 sizeof err),
                     SL_OK);
    sl_cl_conf_t p;
    assert_int_equal(sl_cl_conf_parse(c, &p, err, sizeof err), SL_OK);
    assert_int_equal(p.linger_ms, 5);
    assert_int_equal(p.acks, -1);
    assert_false(p.auto_commit);
    assert_int_equal(p.compression, 4);
    assert_int_equal(p.auto_offset_reset, SL_OFFSET_BEGINNING);
    assert_true(p.read_committed);
    assert_string_equal(p.assignors, "roundrobin,range");
    sl_cl_conf_fini(&p);
    /* dup keeps everything */
    sl_conf_t *d = sl_conf_dup(c);
    assert_string_equal(sl_conf_get(d, "linger.ms"), " 5 ");
    sl_conf_free(d);
    sl_conf_free(c);
}

static sl_err_t parse_with(const char *const *kv, sl_cl_conf_t *p, char *err, size_t errlen)
{
    sl_conf_t *c = sl_conf_new();
    for (size_t i = 0; kv[i]; i += 2)
        assert_int_equal(sl_conf_set(c, kv[i], kv[i + 1], err, errlen), SL_OK);
    sl_err_t e = sl_cl_conf_parse(c, p, err, errlen);
    sl_conf_free(c);
    return e;
}

static void test_idempotence(void **state)
{
    (void)state;
    sl_cl_conf_t p;
    char err[256];
    /* acks=1 alone turns idempotence off silently (Java 3.2+). */
    const char *a1[] = {"acks", "1", NULL};
    assert_int_equal(parse_with(a1, &p, err, sizeof err), SL_OK);
    assert_false(p.idempotence);
    assert_int_equal(p.acks, 1);
    sl_cl_conf_fini(&p);
    /* ... but not when idempotence was asked for. */
    const char *a2[] = {"acks", "0", "enable.idempotence", "true", NULL};
    assert_int_equal(parse_with(a2, &p, err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "acks"));
    const char *a3[] = {"max.in.flight.requests.per.connection", "6", NULL};
    assert_int_equal(parse_with(a3, &p, err, sizeof err), SL_OK);
    assert_false(p.idempotence);
    sl_cl_conf_fini(&p);
    const char *a4[] = {"max.in.flight.requests.per.connection", "6", "enable.idempotence", "TRUE", NULL};
    assert_int_equal(parse_with(a4, &p, err, sizeof err), SL_ERR_CONFIG);
    const char *a5[] = {"retries", "0", "enable.idempotence", "true", NULL};
    assert_int_equal(parse_with(a5, &p, err, sizeof err), SL_ERR_CONFIG);
    /* a transactional producer needs idempotence and acks=all */
    const char *a6[] = {"transactional.id", "tx", "enable.idempotence", "false", NULL};
    assert_int_equal(parse_with(a6, &p, err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "transactional.id"));
    const char *a7[] = {"transactional.id", "tx", "acks", "1", NULL};
    assert_int_equal(parse_with(a7, &p, err, sizeof err), SL_ERR_CONFIG);
    const char *a8[] = {"transactional.id", "tx", NULL};
    assert_int_equal(parse_with(a8, &p, err, sizeof err), SL_OK);
    assert_true(p.idempotence);
    assert_string_equal(p.transactional_id, "tx");
    sl_cl_conf_fini(&p);
    /* explicit false with acks=all is fine */
    const char *a9[] = {"enable.idempotence", "false", NULL};
    assert_int_equal(parse_with(a9, &p, err, sizeof err), SL_OK);
    assert_false(p.idempotence);
    sl_cl_conf_fini(&p);
}

static void test_delivery_timeout(void **state)
{
    (void)state;
    sl_cl_conf_t p;
    char err[256];
    const char *a1[] = {"delivery.timeout.ms", "1000", NULL};
    assert_int_equal(parse_with(a1, &p, err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "delivery.timeout.ms"));
    const char *a2[] = {"linger.ms", "100000", NULL};
    assert_int_equal(parse_with(a2, &p, err, sizeof err), SL_OK);
    assert_int_equal(p.delivery_timeout_ms, 130000);
    sl_cl_conf_fini(&p);
}

static void test_heartbeat(void **state)
{
    (void)state;
    sl_cl_conf_t p;
    char err[256];
    const char *a1[] = {"group.id", "g", "heartbeat.interval.ms", "45000", NULL};
    assert_int_equal(parse_with(a1, &p, err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "session.timeout.ms"));
    /* no group: nothing to check */
    const char *a2[] = {"heartbeat.interval.ms", "45000", NULL};
    assert_int_equal(parse_with(a2, &p, err, sizeof err), SL_OK);
    sl_cl_conf_fini(&p);
    const char *a3[] = {"group.id", " ", "group.instance.id", "i-1", NULL};
    assert_int_equal(parse_with(a3, &p, err, sizeof err), SL_OK);
    assert_null(p.group_id); /* blank is none */
    assert_string_equal(p.group_instance_id, "i-1");
    sl_cl_conf_fini(&p);
}

static void test_bootstrap(void **state)
{
    (void)state;
    sl_cl_addr_t *a;
    size_t n;
    char err[256];
    assert_int_equal(sl_cl_bootstrap_parse(" h1:1, [::1]:9092 ,10.0.0.1:65535,", &a, &n, err, sizeof err),
                     SL_OK);
    assert_int_equal(n, 3);
    assert_string_equal(a[0].host, "h1");
    assert_int_equal(a[0].port, 1);
    assert_string_equal(a[1].host, "::1");
    assert_int_equal(a[1].port, 9092);
    assert_string_equal(a[2].host, "10.0.0.1");
    assert_int_equal(a[2].port, 65535);
    free(a);
    assert_int_equal(sl_cl_bootstrap_parse(",,", &a, &n, err, sizeof err), SL_ERR_CONFIG);
    assert_null(a);
    assert_int_equal(sl_cl_bootstrap_parse("[]:1", &a, &n, err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_cl_bootstrap_parse(":1", &a, &n, err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_cl_bootstrap_parse("h: 1", &a, &n, err, sizeof err), SL_ERR_CONFIG);
    char longhost[400];
    memset(longhost, 'h', sizeof longhost - 8);
    strcpy(longhost + sizeof longhost - 8, ":9092");
    assert_int_equal(sl_cl_bootstrap_parse(longhost, &a, &n, err, sizeof err), SL_ERR_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_idempotence),
        cmocka_unit_test(test_delivery_timeout),
        cmocka_unit_test(test_heartbeat),
        cmocka_unit_test(test_bootstrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
