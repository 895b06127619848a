/*
 * group_int.h - what the consumer group benchmark's files share (bench_group:
 * bench_group.c parses the command line, group_rebalance.c and
 * group_commit.c are its two modes). Like bench_broker, it speaks to any
 * Kafka-compatible broker through librdkafka's public C API only and prints
 * one "result ..." line (key=value pairs) on stdout; progress and errors go
 * to stderr. The client set-up is bench_broker's (broker_int.h).
 */
#ifndef SL_BENCH_GROUP_INT_H
#define SL_BENCH_GROUP_INT_H

#include "broker_int.h"

typedef struct gb_opts {
    bb_opts_t bb;            /* bootstrap, label, topic, partitions, seconds,
                              * create, -X client properties */
    int members;             /* rebalance: the stable group's size */
    int reps;                /* rebalance: join/leave cycles measured */
    const char *assignor;    /* partition.assignment.strategy */
} gb_opts_t;

/* Both return the process exit status: 0, or 1 after a message. */
int gb_rebalance(const gb_opts_t *o);
int gb_commit(const gb_opts_t *o);

/* The p-th quantile (0..1) of v[0..n) by nearest rank; sorts v. 0 if n is 0. */
double gb_quantile(double *v, size_t n, double p);

#endif
