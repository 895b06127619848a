/*
 * config_server_test.c - server settings: Kafka's defaults, every key
 * parsed, precedence between related keys, overrides, the exact message of
 * each kind of bad value, warnings for unknown keys, stock Kafka files, the
 * help text, broker DescribeConfigs entries, and random input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

/* ---- helpers ----------------------------------------------------------- */

static char logbuf[65536];
static size_t loglen;

static void sink(void *ctx, sl_log_level_t level, const char *line, size_t len)
{
    (void)ctx;
    (void)level;
    if (loglen + len + 2 < sizeof logbuf) {
        memcpy(logbuf + loglen, line, len);
        loglen += len;
        logbuf[loglen++] = '\n';
        logbuf[loglen] = '\0';
    }
}

static void log_capture(void)
{
    loglen = 0;
    logbuf[0] = '\0';
    sl_log_set_level(SL_LOG_DEBUG);
    sl_log_set_sink(sink, NULL);
}

static void log_release(void)
{
    sl_log_set_sink(NULL, NULL);
    sl_log_set_level(SL_LOG_INFO);
}

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sl-cfgtest-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/server.properties", dir);
    log_capture();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    log_release();
    return 0;
}

static void write_file(const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Loads text as the file; returns the error; errbuf in err. */
static sl_err_t load_text(const char *text, sl_broker_config_t *cfg, char *err, size_t errlen)
{
    write_file(text, strlen(text));
    return sl_broker_config_load(path, NULL, 0, cfg, err, errlen);
}

static void load_ok(const char *text, sl_broker_config_t *cfg)
{
    char err[512] = "";
    sl_err_t e = load_text(text, cfg, err, sizeof err);
    if (e != SL_OK)
        fail_msg("load failed: %s (%s)", err, sl_err_name(e));
}

/* Loads text and checks the message is exactly "<path>:<rest>". */
static void expect_error(const char *text, const char *rest)
{
    sl_broker_config_t cfg;
    char err[1024], want[1024];
    assert_int_equal(load_text(text, &cfg, err, sizeof err), SL_ERR_CONFIG);
    snprintf(want, sizeof want, "%s:%s", path, rest);
    assert_string_equal(err, want);
    assert_null(cfg.given);
    sl_broker_config_free(&cfg);
}

/* ---- defaults and parsing --------------------------------------------- */

static void defaults_equal_kafka(void **state)
{
    (void)state;
    sl_broker_config_t c;
    char err[256];
    assert_int_equal(sl_broker_config_load(NULL, NULL, 0, &c, err, sizeof err), SL_OK);
    assert_int_equal(c.node_id, 0);
    assert_string_equal(c.listener_host, "127.0.0.1");
    assert_int_equal(c.listener_port, 9092);
    assert_string_equal(c.advertised_host, "127.0.0.1");
    assert_int_equal(c.advertised_port, 9092);
    assert_int_equal(c.n_log_dirs, 1);
    assert_string_equal(c.log_dirs[0], "/tmp/kafka-logs");
    assert_int_equal(c.num_partitions, 1);
    assert_int_equal(c.default_replication_factor, 1);
    assert_int_equal(c.min_insync_replicas, 1);
    assert_true(c.auto_create_topics_enable);
    assert_true(c.delete_topic_enable);
    assert_int_equal(c.message_max_bytes, 1048588);
    assert_int_equal(c.socket_request_max_bytes, 104857600);
    assert_int_equal(c.log_segment_bytes, 1073741824);
    assert_int_equal(c.log_roll_ms, 168LL * 3600 * 1000);
    assert_int_equal(c.log_retention_ms, 168LL * 3600 * 1000);
    assert_int_equal(c.log_retention_bytes, -1);
    assert_int_equal(c.log_retention_check_interval_ms, 300000);
    assert_true(c.log_flush_interval_messages == INT64_MAX);
    assert_true(c.log_flush_interval_ms == INT64_MAX);
    assert_int_equal(c.log_index_interval_bytes, 4096);
    assert_int_equal(c.log_index_size_max_bytes, 10485760);
    assert_false(c.log_append_time);
    assert_string_equal(c.log_cleanup_policy, "delete");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(c.num_network_threads, cpus < 1 ? 1 : cpus);
    assert_int_equal(c.connections_max_idle_ms, 600000);
    assert_non_null(c.given);
    assert_int_equal(sl_props_count(c.given), 0);
    sl_broker_config_free(&c);
    assert_null(c.given);
    sl_broker_config_free(&c);
    sl_broker_config_free(NULL);
}

static void every_key_parsed(void **state)
{
    (void)state;
    sl_broker_config_t c;
    load_ok("node.id=7\n"
            "listeners=PLAINTEXT://10.1.2.3:19092\n"
            "advertised.listeners=PLAINTEXT://broker7.example:29092\n"
            "log.dirs=/a, /b ,/c\n"
            "num.partitions=6\n"
            "default.replication.factor=3\n"
            "min.insync.replicas=2\n"
            "auto.create.topics.enable=FALSE\n"
            "delete.topic.enable=false\n"
            "message.max.bytes=2000000\n"
            "socket.request.max.bytes=50000000\n"
            "log.segment.bytes=14\n"
            "log.roll.ms=60000\n"
            "log.retention.ms=-1\n"
            "log.retention.bytes=123456789012\n"
            "log.retention.check.interval.ms=1000\n"
            "log.flush.interval.messages=1\n"
            "log.flush.interval.ms=250\n"
            "log.index.interval.bytes=0\n"
            "log.index.size.max.bytes=4\n"
            "log.message.timestamp.type=LogAppendTime\n"
            "log.cleanup.policy=compact, delete\n"
            "num.network.threads=5\n"
            "connections.max.idle.ms=-1\n",
            &c);
    assert_int_equal(c.node_id, 7);
    assert_string_equal(c.listener_host, "10.1.2.3");
    assert_int_equal(c.listener_port, 19092);
    assert_string_equal(c.advertised_host, "broker7.example");
    assert_int_equal(c.advertised_port, 29092);
    assert_int_equal(c.n_log_dirs, 3);
    assert_string_equal(c.log_dirs[0], "/a");
    assert_string_equal(c.log_dirs[1], "/b");
    assert_string_equal(c.log_dirs[2], "/c");
    assert_int_equal(c.num_partitions, 6);
    assert_int_equal(c.default_replication_factor, 3);
    assert_int_equal(c.min_insync_replicas, 2);
    assert_false(c.auto_create_topics_enable);
    assert_false(c.delete_topic_enable);
    assert_int_equal(c.message_max_bytes, 2000000);
    assert_int_equal(c.socket_request_max_bytes, 50000000);
    assert_int_equal(c.log_segment_bytes, 14);
    assert_int_equal(c.log_roll_ms, 60000);
    assert_int_equal(c.log_retention_ms, -1);
    assert_int_equal(c.log_retention_bytes, 123456789012LL);
    assert_int_equal(c.log_retention_check_interval_ms, 1000);
    assert_int_equal(c.log_flush_interval_messages, 1);
    assert_int_equal(c.log_flush_interval_ms, 250);
    assert_int_equal(c.log_index_interval_bytes, 0);
    assert_int_equal(c.log_index_size_max_bytes, 4);
    assert_true(c.log_append_time);
    assert_string_equal(c.log_cleanup_policy, "compact,delete");
    assert_int_equal(c.num_network_threads, 5);
    assert_int_equal(c.connections_max_idle_ms, -1);
    /* given keeps canonical text */
    assert_string_equal(sl_props_get(c.given, "auto.create.topics.enable"), "false");
    assert_string_equal(sl_props_get(c.given, "log.dirs"), "/a,/b,/c");
    assert_null(strstr(logbuf, "WARN"));
    sl_broker_config_free(&c);
}

static void values_are_trimmed_and_signed(void **state)
{
    (void)state;
    sl_broker_config_t c;
    load_ok("num.partitions=  +12   \nlog.cleanup.policy=compact,compact, delete,delete\n"
            "auto.create.topics.enable = True\t\n",
            &c);
    assert_int_equal(c.num_partitions, 12);
    assert_string_equal(sl_props_get(c.given, "num.partitions"), "12");
    assert_string_equal(c.log_cleanup_policy, "compact,delete");
    assert_true(c.auto_create_topics_enable);
    sl_broker_config_free(&c);
    load_ok("log.cleanup.policy=\n", &c);
    assert_string_equal(c.log_cleanup_policy, "");
    sl_broker_config_free(&c);
}

/* ---- precedence -------------------------------------------------------- */

static void retention_ms_beats_minutes_beats_hours(void **state)
{
    (void)state;
    sl_broker_config_t c;
    load_ok("log.retention.hours=1\nlog.retention.minutes=2\nlog.retention.ms=3\n", &c);
    assert_int_equal(c.log_retention_ms, 3);
    sl_broker_config_free(&c);
    load_ok("log.retention.hours=1\nlog.retention.minutes=2\n", &c);
    assert_int_equal(c.log_retention_ms, 120000);
    sl_broker_config_free(&c);
    load_ok("log.retention.hours=24\n", &c);
    assert_int_equal(c.log_retention_ms, 86400000);
    sl_broker_config_free(&c);
    load_ok("log.retention.hours=-1\n", &c);
    assert_int_equal(c.log_retention_ms, -1);
    sl_broker_config_free(&c);
    load_ok("log.retention.minutes=-1\nlog.retention.hours=5\n", &c);
    assert_int_equal(c.log_retention_ms, -1);
    sl_broker_config_free(&c);
    /* An int of hours that does not fit 32 bits of ms still fits 64. */
    load_ok("log.retention.hours=2147483647\n", &c);
    assert_int_equal(c.log_retention_ms, 2147483647LL * 3600000);
    sl_broker_config_free(&c);
}

static void roll_ms_beats_hours(void **state)
{
    (void)state;
    sl_broker_config_t c;
    load_ok("log.roll.hours=2\nlog.roll.ms=500\n", &c);
    assert_int_equal(c.log_roll_ms, 500);
    sl_broker_config_free(&c);
    load_ok("log.roll.hours=2\n", &c);
    assert_int_equal(c.log_roll_ms, 7200000);
    sl_broker_config_free(&c);
}

static void flush_ms_falls_back_to_scheduler_interval(void **state)
{
    (void)state;
    sl_broker_config_t c;
    load_ok("log.flush.scheduler.interval.ms=2000\n", &c);
    assert_int_equal(c.log_flush_interval_ms, 2000);
    sl_broker_config_free(&c);
    load_ok("log.flush.scheduler.interval.ms=2000\nlog.flush.interval.ms=10\n", &c);
    assert_int_equal(c.log_flush_interval_ms, 10);
    sl_broker_config_free(&c);
}

static void broker_id_is_an_alias_of_node_id(void **state)
{
    (void)state;
    sl_broker_config_t c;
    load_ok("broker.id=4\n", &c);
    assert_int_equal(c.node_id, 4);
    sl_broker_config_free(&c);
    load_ok("node.id=5\n", &c);
    assert_int_equal(c.node_id, 5);
    sl_broker_config_free(&c);
    load_ok("broker.id=6\nnode.id=6\n", &c);
    assert_int_equal(c.node_id, 6);
    sl_broker_config_free(&c);
    char rest[512];
    snprintf(rest, sizeof rest, "2: node.id=2: differs from broker.id=1 (%s:1); give one of them", path);
    expect_error("broker.id=1\nnode.id=2\n", rest);
}

static void log_dirs_beats_log_dir(void **state)
{
    (void)state;
    sl_broker_config_t c;
    load_ok("log.dir=/one\nlog.dirs=/two\n", &c);
    assert_int_equal(c.n_log_dirs, 1);
    assert_string_equal(c.log_dirs[0], "/two");
    sl_broker_config_free(&c);
    load_ok("log.dir=/one\n", &c);
    assert_string_equal(c.log_dirs[0], "/one");
    sl_broker_config_free(&c);
    load_ok("log.dirs=./data\n", &c);
    assert_string_equal(c.log_dirs[0], "./data");
    sl_broker_config_free(&c);
}

static void overrides_apply_after_the_file(void **state)
{
    (void)state;
    sl_broker_config_t c;
    char err[512];
    write_file("num.partitions=3\nlog.retention.hours=5\n", 39);
    const char *ov[] = {"num.partitions=9", " log.retention.ms = 1000", "num.partitions=10", "x.empty="};
    log_capture();
    assert_int_equal(sl_broker_config_load(path, ov, 4, &c, err, sizeof err), SL_OK);
    assert_int_equal(c.num_partitions, 10);
    assert_int_equal(c.log_retention_ms, 1000);
    assert_non_null(strstr(logbuf, "--override:4: unknown key 'x.empty' (ignored)"));
    sl_broker_config_free(&c);

    /* Overrides without a file. */
    const char *ov2[] = {"listeners=PLAINTEXT://127.0.0.1:0"};
    assert_int_equal(sl_broker_config_load(NULL, ov2, 1, &c, err, sizeof err), SL_OK);
    assert_int_equal(c.listener_port, 0);
    assert_int_equal(c.advertised_port, 0);
    sl_broker_config_free(&c);
}

static void override_errors_are_clear(void **state)
{
    (void)state;
    sl_broker_config_t c;
    char err[512];
    const char *bad1[] = {"num.partitions=2", "num.partitions"};
    assert_int_equal(sl_broker_config_load(NULL, bad1, 2, &c, err, sizeof err), SL_ERR_CONFIG);
    assert_string_equal(err, "--override:2: 'num.partitions': expected KEY=VALUE");
    const char *bad2[] = {" =5"};
    assert_int_equal(sl_broker_config_load(NULL, bad2, 1, &c, err, sizeof err), SL_ERR_CONFIG);
    assert_string_equal(err, "--override:1: ' =5': the key before '=' is empty");
    const char *bad3[] = {"log.segment.bytes=13"};
    assert_int_equal(sl_broker_config_load(NULL, bad3, 1, &c, err, sizeof err), SL_ERR_CONFIG);
    assert_string_equal(err, "--override:1: log.segment.bytes=13: must be at least 14");
    /* An override replaces a bad file value before it is checked. */
    write_file("num.partitions=zero\n", 20);
    const char *fix[] = {"num.partitions=2"};
    assert_int_equal(sl_broker_config_load(path, fix, 1, &c, err, sizeof err), SL_OK);
    assert_int_equal(c.num_partitions, 2);
    sl_broker_config_free(&c);
}

/* ---- bad values -------------------------------------------------------- */

static void bad_values_give_file_line_key_value_why(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *why;
    } cases[] = {
        {"num.partitions=abc", "num.partitions=abc: not a whole number"},
        {"num.partitions=0", "num.partitions=0: must be at least 1"},
        {"num.partitions=1.5", "num.partitions=1.5: not a whole number"},
        {"num.partitions=0x10", "num.partitions=0x10: not a whole number"},
        {"num.partitions=", "num.partitions=: not a whole number"},
        {"num.partitions=2147483648", "num.partitions=2147483648: out of range for a 32-bit integer"},
        {"log.retention.bytes=99999999999999999999", "log.retention.bytes=99999999999999999999: out of range for a 64-bit integer"},
        {"message.max.bytes=-1", "message.max.bytes=-1: must be at least 0"},
        {"log.segment.bytes=13", "log.segment.bytes=13: must be at least 14"},
        {"log.segment.bytes=4294967296", "log.segment.bytes=4294967296: out of range for a 32-bit integer"},
        {"log.index.size.max.bytes=3", "log.index.size.max.bytes=3: must be at least 4"},
        {"log.roll.ms=0", "log.roll.ms=0: must be at least 1"},
        {"log.roll.hours=0", "log.roll.hours=0: must be at least 1"},
        {"log.retention.ms=-2", "log.retention.ms=-2: must be at least -1"},
        {"log.retention.check.interval.ms=0", "log.retention.check.interval.ms=0: must be at least 1"},
        {"log.flush.interval.messages=0", "log.flush.interval.messages=0: must be at least 1"},
        {"min.insync.replicas=0", "min.insync.replicas=0: must be at least 1"},
        {"default.replication.factor=40000", "default.replication.factor=40000: must be between 1 and 32767"},
        {"num.network.threads=0", "num.network.threads=0: must be between 1 and 4096"},
        {"node.id=-1", "node.id=-1: must be at least 0"},
        {"connections.max.idle.ms=3000000000", "connections.max.idle.ms=3000000000: must be between -1 and 2147483647"},
        {"auto.create.topics.enable=yes", "auto.create.topics.enable=yes: must be true or false"},
        {"log.message.timestamp.type=createtime",
         "log.message.timestamp.type=createtime: 'createtime' is not one of: CreateTime, LogAppendTime"},
        {"log.cleanup.policy=delete,archive", "log.cleanup.policy=delete,archive: 'archive' is not one of: compact, delete"},
        {"log.cleanup.policy=delete,,compact", "log.cleanup.policy=delete,,compact: empty item in the list"},
        {"compression.type=brotli",
         "compression.type=brotli: 'brotli' is not one of: uncompressed, zstd, lz4, snappy, gzip, producer"},
        {"log.cleaner.min.cleanable.ratio=1.5", "log.cleaner.min.cleanable.ratio=1.5: must be between 0 and 1"},
        {"log.cleaner.min.cleanable.ratio=nan", "log.cleaner.min.cleanable.ratio=nan: not a number"},
        {"log.message.format.version=banana", "log.message.format.version=banana: not a Kafka release such as 2.8 or 3.0-IV1"},
        {"log.dirs=", "log.dirs=: must not be empty"},
        {"log.dirs=/a,/a", "log.dirs=/a,/a: directory /a is listed twice"},
        {"listeners=PLAINTEXT:/127.0.0.1:9092",
         "listeners=PLAINTEXT:/127.0.0.1:9092: expected NAME://HOST:PORT, such as PLAINTEXT://127.0.0.1:9092"},
        {"listeners=PLAINTEXT://127.0.0.1", "listeners=PLAINTEXT://127.0.0.1: missing :PORT after the host"},
        {"listeners=PLAINTEXT://127.0.0.1:65536", "listeners=PLAINTEXT://127.0.0.1:65536: port must be a number from 0 to 65535"},
        {"listeners=PLAINTEXT://127.0.0.1:-1", "listeners=PLAINTEXT://127.0.0.1:-1: port must be a number from 0 to 65535"},
        {"listeners=PLAINTEXT://127.0.0.1:x", "listeners=PLAINTEXT://127.0.0.1:x: port must be a number from 0 to 65535"},
        {"listeners=PLAINTEXT://bad host:9092", "listeners=PLAINTEXT://bad host:9092: host is not a valid name or address"},
        {"listeners=PLAINTEXT://[::1:9092", "listeners=PLAINTEXT://[::1:9092: IPv6 host must be written [ADDRESS]:PORT"},
        {"listeners=", "listeners=: empty listener; expected NAME://HOST:PORT"},
        {"listeners=SSL://127.0.0.1:9093", "listeners=SSL://127.0.0.1:9093: listener SSL uses SSL: only PLAINTEXT is supported so far"},
        {"listeners=SASL_PLAINTEXT://:9093",
         "listeners=SASL_PLAINTEXT://:9093: listener SASL_PLAINTEXT uses SASL_PLAINTEXT: only PLAINTEXT is supported so far"},
        {"listeners=INTERNAL://127.0.0.1:9093",
         "listeners=INTERNAL://127.0.0.1:9093: listener INTERNAL has no security protocol in listener.security.protocol.map"},
        {"listeners=PLAINTEXT://127.0.0.1:1,PLAINTEXT://127.0.0.1:2",
         "listeners=PLAINTEXT://127.0.0.1:1,PLAINTEXT://127.0.0.1:2: listener name PLAINTEXT appears twice"},
        {"listeners=PLAINTEXT://0.0.0.0:9092",
         "listeners=PLAINTEXT://0.0.0.0:9092: listening on 0.0.0.0 needs advertised.listeners naming an address clients can reach"},
        {"advertised.listeners=PLAINTEXT://0.0.0.0:9092",
         "advertised.listeners=PLAINTEXT://0.0.0.0:9092: 0.0.0.0 cannot be advertised: clients cannot connect to it; name a routable host"},
        {"advertised.listeners=OTHER://h:1", "advertised.listeners=OTHER://h:1: listener OTHER is not in listeners"},
        {"listener.security.protocol.map=PLAINTEXT:TLS",
         "listener.security.protocol.map=PLAINTEXT:TLS: 'TLS' is not one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"},
        {"num.partitions=\\u0001", "num.partitions=\\x01: not a whole number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512], rest[1024];
        snprintf(text, sizeof text, "# comment\n\n%s\n", cases[i].line);
        snprintf(rest, sizeof rest, "3: %s", cases[i].why);
        expect_error(text, rest);
    }
}

static void file_syntax_and_io_errors(void **state)
{
    (void)state;
    sl_broker_config_t c;
    char err[512], want[600];
    assert_int_equal(sl_broker_config_load("/nonexistent/dir/server.properties", NULL, 0, &c, err, sizeof err),
                     SL_ERR_IO);
    assert_string_equal(err, "/nonexistent/dir/server.properties: No such file or directory");
    assert_null(c.given);
    assert_int_equal(load_text("a=1\nb=\\u12\n", &c, err, sizeof err), SL_ERR_CONFIG);
    snprintf(want, sizeof want, "%s:2:", path);
    assert_memory_equal(err, want, strlen(want));
}

static void long_values_are_cut_in_messages(void **state)
{
    (void)state;
    char text[2100];
    memcpy(text, "num.partitions=", 15);
    memset(text + 15, '9', 2000);
    strcpy(text + 2015, "x\n");
    sl_broker_config_t c;
    char err[1024];
    assert_int_equal(load_text(text, &c, err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "9999..."));
    assert_true(strlen(err) < 400);
}

/* ---- unknown and ignored keys ----------------------------------------- */

static void unknown_key_warns_with_file_and_line(void **state)
{
    (void)state;
    sl_broker_config_t c;
    log_capture();
    load_ok("num.partitions=2\n\nfrobnicate.level=3\nlog.retention.hour=5\n", &c);
    char want[512];
    snprintf(want, sizeof want, "WARN  [config] %s:3: unknown key 'frobnicate.level' (ignored)\n", path);
    assert_non_null(strstr(logbuf, want));
    snprintf(want, sizeof want,
             "WARN  [config] %s:4: unknown key 'log.retention.hour' (ignored); did you mean log.retention.hours?", path);
    assert_non_null(strstr(logbuf, want));
    /* kept, and the typo has no effect */
    assert_string_equal(sl_props_get(c.given, "frobnicate.level"), "3");
    assert_int_equal(c.log_retention_ms, 168LL * 3600000);
    sl_broker_config_free(&c);
}

static void ignored_kafka_keys_give_one_info_line(void **state)
{
    (void)state;
    sl_broker_config_t c;
    log_capture();
    load_ok("num.io.threads=8\nzookeeper.connect=localhost:2181\nssl.keystore.password=hunter2\n", &c);
    assert_null(strstr(logbuf, "WARN"));
    assert_non_null(strstr(logbuf, "INFO  [config]"));
    assert_non_null(strstr(logbuf, "accepted, no effect in Sluice: num.io.threads, zookeeper.connect, "
                                   "ssl.keystore.password"));
    assert_null(strstr(logbuf, "hunter2"));
    sl_broker_config_free(&c);
}

/* Kafka 3.4's config/server.properties (ZooKeeper mode), comments shortened. */
static const char kafka_server_properties[] =
    "# Licensed to the Apache Software Foundation (ASF) under one or more\n"
    "# see kafka.server.KafkaConfig for additional details and defaults\n"
    "\n"
    "############################# Server Basics #############################\n"
    "\n"
    "# The id of the broker. This must be set to a unique integer for each broker.\n"
    "broker.id=0\n"
    "\n"
    "############################# Socket Server Settings #############################\n"
    "\n"
    "#listeners=PLAINTEXT://:9092\n"
    "#advertised.listeners=PLAINTEXT://your.host.name:9092\n"
    "#listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL\n"
    "\n"
    "num.network.threads=3\n"
    "num.io.threads=8\n"
    "socket.send.buffer.bytes=102400\n"
    "socket.receive.buffer.bytes=102400\n"
    "socket.request.max.bytes=104857600\n"
    "\n"
    "############################# Log Basics #############################\n"
    "\n"
    "log.dirs=/tmp/kafka-logs\n"
    "num.partitions=1\n"
    "num.recovery.threads.per.data.dir=1\n"
    "\n"
    "############################# Internal Topic Settings  #############################\n"
    "offsets.topic.replication.factor=1\n"
    "transaction.state.log.replication.factor=1\n"
    "transaction.state.log.min.isr=1\n"
    "\n"
    "############################# Log Flush Policy #############################\n"
    "#log.flush.interval.messages=10000\n"
    "#log.flush.interval.ms=1000\n"
    "\n"
    "############################# Log Retention Policy #############################\n"
    "log.retention.hours=168\n"
    "#log.retention.bytes=1073741824\n"
    "log.segment.bytes=1073741824\n"
    "log.retention.check.interval.ms=300000\n"
    "\n"
    "############################# Zookeeper #############################\n"
    "zookeeper.connect=localhost:2181\n"
    "zookeeper.connection.timeout.ms=18000\n"
    "\n"
    "############################# Group Coordinator Settings #############################\n"
    "group.initial.rebalance.delay.ms=0\n";

static void stock_kafka_server_properties_loads(void **state)
{
    (void)state;
    sl_broker_config_t c;
    log_capture();
    load_ok(kafka_server_properties, &c);
    assert_null(strstr(logbuf, "WARN"));
    assert_null(strstr(logbuf, "ERROR"));
    assert_int_equal(c.node_id, 0);
    assert_int_equal(c.num_network_threads, 3);
    assert_string_equal(c.log_dirs[0], "/tmp/kafka-logs");
    assert_int_equal(c.log_retention_ms, 168LL * 3600000);
    assert_int_equal(c.log_segment_bytes, 1073741824);
    assert_string_equal(c.listener_host, "127.0.0.1");
    sl_broker_config_free(&c);
}

/* Kafka 3.4's config/kraft/server.properties, comments dropped. */
static void stock_kraft_server_properties_loads(void **state)
{
    (void)state;
    sl_broker_config_t c;
    log_capture();
    load_ok("process.roles=broker,controller\n"
            "node.id=1\n"
            "controller.quorum.voters=1@localhost:9093\n"
            "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n"
            "inter.broker.listener.name=PLAINTEXT\n"
            "advertised.listeners=PLAINTEXT://localhost:9092\n"
            "controller.listener.names=CONTROLLER\n"
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,"
            "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL\n"
            "num.network.threads=3\n"
            "num.io.threads=8\n"
            "socket.send.buffer.bytes=102400\n"
            "socket.receive.buffer.bytes=102400\n"
            "socket.request.max.bytes=104857600\n"
            "log.dirs=/tmp/kraft-combined-logs\n"
            "num.partitions=1\n"
            "num.recovery.threads.per.data.dir=1\n"
            "offsets.topic.replication.factor=1\n"
            "transaction.state.log.replication.factor=1\n"
            "transaction.state.log.min.isr=1\n"
            "log.retention.hours=168\n"
            "log.segment.bytes=1073741824\n"
            "log.retention.check.interval.ms=300000\n",
            &c);
    assert_int_equal(c.node_id, 1);
    assert_string_equal(c.listener_host, "0.0.0.0");
    assert_int_equal(c.listener_port, 9092);
    assert_string_equal(c.advertised_host, "localhost");
    assert_int_equal(c.advertised_port, 9092);
    assert_non_null(strstr(logbuf, "WARN  [config] listener PLAINTEXT has no host: listening on every interface"));
    assert_non_null(strstr(logbuf, "listener CONTROLLER is a KRaft controller listener: skipped"));
    sl_broker_config_free(&c);
}

/* The sample shipped in config/ (tests run in tests/unit/broker). */
static void sample_server_properties_loads(void **state)
{
    (void)state;
    sl_broker_config_t c;
    char err[512] = "";
    log_capture();
    sl_err_t e = sl_broker_config_load("../../../config/server.properties", NULL, 0, &c, err, sizeof err);
    if (e)
        fail_msg("%s", err);
    assert_null(strstr(logbuf, "WARN"));
    assert_string_equal(c.listener_host, "127.0.0.1");
    assert_int_equal(c.listener_port, 9092);
    assert_int_equal(c.n_log_dirs, 1);
    assert_string_equal(c.log_dirs[0], "./data");
    assert_int_equal(c.log_retention_ms, 168LL * 3600000);
    sl_broker_config_free(&c);
}

/* ---- listeners --------------------------------------------------------- */

static void listener_forms(void **state)
{
    (void)state;
    sl_broker_config_t c;
    /* empty host: every interface, advertised as this machine's name */
    log_capture();
    load_ok("listeners=PLAINTEXT://:9093\n", &c);
    assert_string_equal(c.listener_host, "0.0.0.0");
    assert_int_equal(c.listener_port, 9093);
    char hn[256] = "";
    gethostname(hn, sizeof hn);
    assert_string_equal(c.advertised_host, hn[0] ? hn : "localhost");
    assert_int_equal(c.advertised_port, 9093);
    assert_non_null(strstr(logbuf, "WARN"));
    sl_broker_config_free(&c);
    /* 0.0.0.0 with an advertised address */
    load_ok("listeners=PLAINTEXT://0.0.0.0:9092\nadvertised.listeners=PLAINTEXT://kafka.local:19092\n", &c);
    assert_string_equal(c.listener_host, "0.0.0.0");
    assert_string_equal(c.advertised_host, "kafka.local");
    assert_int_equal(c.advertised_port, 19092);
    sl_broker_config_free(&c);
    /* IPv6, lower-case name, protocol map naming a custom listener */
    load_ok("listeners=client://[::1]:9092\nlistener.security.protocol.map=CLIENT:PLAINTEXT\n", &c);
    assert_string_equal(c.listener_host, "::1");
    assert_string_equal(c.advertised_host, "::1");
    sl_broker_config_free(&c);
    /* Only a controller listener: nothing left for clients. */
    char rest[512];
    snprintf(rest, sizeof rest, "1: listeners=CONTROLLER://:9093: no client listener (every listener is a "
                                "controller listener)");
    expect_error("listeners=CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n"
                 "listener.security.protocol.map=CONTROLLER:PLAINTEXT\n",
                 rest);
    /* With the default listeners, a map that breaks them is blamed. */
    expect_error("# x\nlistener.security.protocol.map=PLAINTEXT:SSL\n",
                 "2: listener.security.protocol.map=PLAINTEXT:SSL: listener PLAINTEXT uses SSL: only PLAINTEXT "
                 "is supported so far");
    sl_broker_config_t d;
    char err[512];
    const char *ov[] = {"controller.listener.names=PLAINTEXT"};
    assert_int_equal(sl_broker_config_load(NULL, ov, 1, &d, err, sizeof err), SL_ERR_CONFIG);
    assert_string_equal(err, "(defaults): listeners=PLAINTEXT://127.0.0.1:9092: no client listener (every "
                             "listener is a controller listener)");
    expect_error("listeners=A://h:1,B://h:2\nlistener.security.protocol.map=A:PLAINTEXT,B:PLAINTEXT\n",
                 "1: listeners=A://h:1,B://h:2: only one client listener is supported so far (A and B given)");
}

/* ---- help and describe ------------------------------------------------- */

static void help_lists_every_key_with_default(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    sl_broker_config_help(f);
    fclose(f);
    static const char *const keys[] = {
        "node.id=0", "broker.id=0", "listeners=PLAINTEXT://127.0.0.1:9092", "advertised.listeners=(none)",
        "log.dirs=(none)", "log.dir=/tmp/kafka-logs", "num.partitions=1", "default.replication.factor=1",
        "min.insync.replicas=1", "auto.create.topics.enable=true", "delete.topic.enable=true",
        "message.max.bytes=1048588", "socket.request.max.bytes=104857600", "log.segment.bytes=1073741824",
        "log.roll.ms=(none)", "log.roll.hours=168", "log.retention.ms=(none)", "log.retention.minutes=(none)",
        "log.retention.hours=168", "log.retention.bytes=-1", "log.retention.check.interval.ms=300000",
        "log.flush.interval.messages=9223372036854775807", "log.flush.interval.ms=(none)",
        "log.index.interval.bytes=4096", "log.index.size.max.bytes=10485760",
        "log.message.timestamp.type=CreateTime", "log.cleanup.policy=delete",
        "num.network.threads=(online CPUs)", "connections.max.idle.ms=600000",
        "Server basics", "Socket server settings", "Log basics", "Log flush policy", "Log retention policy",
        "zookeeper.", "num.io.threads",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(text, keys[i]))
            fail_msg("help lacks %s", keys[i]);
    /* Every key line is followed by a help line (up to the ignored list). */
    char *end = strstr(text, "\nAccepted for compatibility");
    assert_non_null(end);
    *end = '\0';
    for (char *p = strstr(text, "\n  "); p; p = strstr(p + 1, "\n  ")) {
        if (p[3] == ' ')
            continue;
        char *nl = strchr(p + 1, '\n');
        assert_non_null(nl);
        assert_memory_equal(nl, "\n      ", 7);
        assert_true(nl[7] != ' ' && nl[7] != '\n');
    }
    free(text);
}

typedef struct seen {
    int n;
    char names[128][64];
    char values[128][128];
    int null_value[128];
    sl_cfg_source_t sources[128];
    sl_cfg_type_t types[128];
    bool ro[128], sens[128];
} seen_t;

static void collect(void *arg, const sl_config_entry_t *e)
{
    seen_t *s = arg;
    assert_true(s->n < 128);
    snprintf(s->names[s->n], 64, "%s", e->name);
    snprintf(s->values[s->n], 128, "%s", e->value ? e->value : "");
    s->null_value[s->n] = e->value == NULL;
    s->sources[s->n] = e->source;
    s->types[s->n] = e->type;
    s->ro[s->n] = e->read_only;
    s->sens[s->n] = e->sensitive;
    assert_non_null(e->doc);
    assert_true(strlen(e->doc) > 0);
    s->n++;
}

static int find(const seen_t *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return i;
    fail_msg("no entry %s", name);
    return -1;
}

static void broker_describe_sources_and_values(void **state)
{
    (void)state;
    sl_broker_config_t c;
    load_ok("num.partitions=4\nbroker.id=3\nzookeeper.connect=zk:2181\nsasl.jaas.config=secret stuff\n"
            "unknown.thing=1\n",
            &c);
    static seen_t s;
    memset(&s, 0, sizeof s);
    sl_broker_config_describe(&c, collect, &s);
    int i = find(&s, "num.partitions");
    assert_string_equal(s.values[i], "4");
    assert_int_equal(s.sources[i], SL_CFG_SRC_STATIC_BROKER);
    assert_int_equal(s.types[i], SL_CFG_INT);
    assert_true(s.ro[i]);
    i = find(&s, "log.retention.hours");
    assert_string_equal(s.values[i], "168");
    assert_int_equal(s.sources[i], SL_CFG_SRC_DEFAULT);
    i = find(&s, "log.retention.ms");
    assert_true(s.null_value[i]);
    assert_int_equal(s.types[i], SL_CFG_LONG);
    i = find(&s, "node.id");
    assert_string_equal(s.values[i], "3");
    i = find(&s, "log.cleanup.policy");
    assert_int_equal(s.types[i], SL_CFG_LIST);
    i = find(&s, "auto.create.topics.enable");
    assert_int_equal(s.types[i], SL_CFG_BOOLEAN);
    i = find(&s, "zookeeper.connect");
    assert_string_equal(s.values[i], "zk:2181");
    assert_int_equal(s.sources[i], SL_CFG_SRC_STATIC_BROKER);
    i = find(&s, "sasl.jaas.config");
    assert_true(s.null_value[i]);
    assert_true(s.sens[i]);
    assert_int_equal(s.types[i], SL_CFG_PASSWORD);
    for (int j = 0; j < s.n; j++)
        assert_string_not_equal(s.names[j], "unknown.thing");
    sl_broker_config_free(&c);
}

/* ---- untrusted input --------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static void random_bytes_never_crash(void **state)
{
    (void)state;
    sl_log_set_level(SL_LOG_OFF);
    static const char alphabet[] = "=:#!\\ \n\r\t.,/[]-+0123456789abcdeflistenrsPLAINTEXT\xc3\xa9\x80\x00";
    static const char *const keys[] = {
        "listeners=", "advertised.listeners=", "log.dirs=", "num.partitions=", "log.retention.ms=",
        "log.cleanup.policy=", "listener.security.protocol.map=", "controller.listener.names=",
        "log.cleaner.min.cleanable.ratio=", "node.id=", "broker.id=", "log.message.format.version=",
    };
    char buf[600];
    int ok = 0;
    for (int iter = 0; iter < 1500; iter++) {
        size_t len = 0;
        if (iter % 2 == 0) {
            /* raw random bytes */
            len = next_rand() % sizeof buf;
            for (size_t i = 0; i < len; i++)
                buf[i] = (char)(iter % 4 == 0 ? next_rand() : (uint32_t)alphabet[next_rand() % (sizeof alphabet - 1)]);
        } else {
            /* known keys with random values */
            int lines = 1 + next_rand() % 4;
            for (int l = 0; l < lines && len < sizeof buf - 100; l++) {
                const char *k = keys[next_rand() % (sizeof keys / sizeof keys[0])];
                memcpy(buf + len, k, strlen(k));
                len += strlen(k);
                int vl = next_rand() % 40;
                for (int i = 0; i < vl; i++)
                    buf[len++] = alphabet[next_rand() % (sizeof alphabet - 1)];
                buf[len++] = '\n';
            }
        }
        write_file(buf, len);
        sl_broker_config_t c;
        char err[512];
        sl_err_t e = sl_broker_config_load(path, NULL, 0, &c, err, sizeof err);
        assert_true(e == SL_OK || e == SL_ERR_CONFIG);
        if (e == SL_OK) {
            ok++;
            static seen_t s;
            memset(&s, 0, sizeof s);
            sl_broker_config_describe(&c, collect, &s);
            assert_true(c.n_log_dirs >= 1);
        } else {
            assert_true(strlen(err) > 0);
        }
        sl_broker_config_free(&c);
    }
    assert_true(ok > 0);
    sl_log_set_level(SL_LOG_DEBUG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(defaults_equal_kafka, setup, teardown),
        cmocka_unit_test_setup_teardown(every_key_parsed, setup, teardown),
        cmocka_unit_test_setup_teardown(values_are_trimmed_and_signed, setup, teardown),
        cmocka_unit_test_setup_teardown(retention_ms_beats_minutes_beats_hours, setup, teardown),
        cmocka_unit_test_setup_teardown(roll_ms_beats_hours, setup, teardown),
        cmocka_unit_test_setup_teardown(flush_ms_falls_back_to_scheduler_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(broker_id_is_an_alias_of_node_id, setup, teardown),
        cmocka_unit_test_setup_teardown(log_dirs_beats_log_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(overrides_apply_after_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(override_errors_are_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_values_give_file_line_key_value_why, setup, teardown),
        cmocka_unit_test_setup_teardown(file_syntax_and_io_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(long_values_are_cut_in_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_key_warns_with_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(ignored_kafka_keys_give_one_info_line, setup, teardown),
        cmocka_unit_test_setup_teardown(stock_kafka_server_properties_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(stock_kraft_server_properties_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(sample_server_properties_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(listener_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(help_lists_every_key_with_default, setup, teardown),
        cmocka_unit_test_setup_teardown(broker_describe_sources_and_values, setup, teardown),
        cmocka_unit_test_setup_teardown(random_bytes_never_crash, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
