/*
 * broker_int.h - what the broker benchmark driver's files share: the command
 * line options, the result line every mode prints, and the librdkafka set-up
 * every mode needs (client configuration, topic creation, waiting for leaders).
 *
 * The driver speaks to any Kafka-compatible broker through librdkafka's public
 * C API only, so the same binary measures sluiced, the mock peer and
 * sluice-wiretap. Each mode prints exactly one line starting with "result "
 * (key=value pairs) on stdout for bench/run.sh; progress and errors go to
 * stderr.
 */
#ifndef SL_BENCH_BROKER_INT_H
#define SL_BENCH_BROKER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "base.h"

#define BB_MAX_KV 16

typedef struct bb_opts {
    const char *bootstrap;   /* HOST:PORT of the broker */
    const char *label;       /* name of the broker in result lines */
    const char *topic;
    int size;                /* payload bytes per message */
    int partitions;          /* partitions 0..n-1 are used; the topic may have more */
    double seconds;          /* how long the measured part runs */
    const char *acks;        /* producer acks: "1", "all" */
    int linger_ms;           /* producer linger.ms; -1: the mode's default */
    double rate;             /* latency mode: messages per second */
    bool create;             /* create the topic with CreateTopics first */
    const char *topic_cfg[BB_MAX_KV]; /* "name=value" topic configs for CreateTopics */
    int n_topic_cfg;
    const char *client_cfg[BB_MAX_KV]; /* "name=value" librdkafka properties, applied last */
    int n_client_cfg;
} bb_opts_t;

/* Prints "result label=... mode=... topic=... size=... partitions=..." and the
 * caller's own key=value pairs, one line on stdout. */
void bb_result(const bb_opts_t *o, const char *mode, const char *fmt, ...) SL_PRINTF(3, 4);

/* A client configuration with the settings every mode shares (bootstrap,
 * client.id, TCP_NODELAY as the Java client sets it, quiet logs) and
 * extra[0..n) "name=value" pairs, then the user's --X properties. Exits the
 * process with a message on a bad property. The caller owns the result
 * (rd_kafka_new takes it). */
rd_kafka_conf_t *bb_conf_new(const bb_opts_t *o, const char *const *extra, int n_extra);

/* rd_kafka_new or exit with a message. Takes conf. */
rd_kafka_t *bb_client_new(rd_kafka_type_t type, rd_kafka_conf_t *conf);

/* Creates the topic when o->create (o->partitions partitions, replication 1,
 * o->topic_cfg configs; an existing topic is fine; a broker without
 * CreateTopics gets a warning and the topic is left to auto-creation), then
 * waits up to 15 s until the topic has at least o->partitions partitions, each
 * with a leader. 0 or -1 (message printed). */
int bb_topic_prepare(rd_kafka_t *rk, const bb_opts_t *o);

/* CPU the driver process used over a stretch of wall time (all its threads,
 * librdkafka's included): shows whether the client or the broker is the
 * limit of a figure. */
typedef struct bb_clock {
    int64_t wall_ns;
    double cpu_s;
} bb_clock_t;
void bb_clock_start(bb_clock_t *c);
/* CPU seconds per wall second since bb_clock_start: cores kept busy. */
double bb_clock_cores(const bb_clock_t *c);

/* Fills buf[0..n) with bytes that do not compress (a fixed xorshift stream). */
void bb_fill_payload(uint8_t *buf, size_t n);

int bb_produce(const bb_opts_t *o);
int bb_consume(const bb_opts_t *o);
int bb_latency(const bb_opts_t *o);

#endif
