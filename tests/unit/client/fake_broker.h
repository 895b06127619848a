/*
 * fake_broker.h - a scripted Kafka broker for the client's unit tests.
 *
 * sl_fb_new(n) starts a thread with its own event loop and n listeners on
 * 127.0.0.1 (ephemeral ports): nodes 0..n-1 of one fake cluster. Every
 * request is decoded with proto/ and first offered to the test's handler
 * (sl_fb_set_handler); what the handler leaves to the broker
 * (SL_FB_DEFAULT) is answered by the built-in logic:
 *
 *   ApiVersions  the ranges of proto/'s table, changed per key with
 *                sl_fb_set_api; a request above sl_fb_set_apiversions_max
 *                gets UNSUPPORTED_VERSION in a v0 body (KIP-511), as Kafka
 *   Metadata     every node (127.0.0.1 and its port; node 0 is the
 *                controller; cluster id "fake-cluster"), and the asked
 *                topics from the cluster description (sl_fb_topic_set,
 *                sl_fb_topic_leader, sl_fb_topic_error); an unknown topic
 *                is UNKNOWN_TOPIC_OR_PARTITION, or created with one
 *                partition led by node 0 when sl_fb_set_auto_create is on
 *                and the request allows it
 *   others       the connection is closed (a test that sends them must
 *                answer them in its handler)
 *
 * The handler runs on the fake broker's thread with no fake-broker lock
 * held, so it may call every sl_fb_* function except sl_fb_free,
 * sl_fb_node_down and sl_fb_node_up (those wait for that thread). It gets
 * the decoded request and an arena for building the answer, and returns
 * what to do:
 *
 *   SL_FB_REPLY    send reply.body (a sl_<Api>Response_t of the request's
 *                  api, in the arena or static) in the request's version,
 *                  after reply.delay_ms if set (the connection reads no
 *                  further requests meanwhile, so answers stay in order)
 *   SL_FB_DEFAULT  the built-in answer above (after delay_ms if set)
 *   SL_FB_IGNORE   no answer at all (for timeouts)
 *   SL_FB_DROP     close the connection without answering
 *   SL_FB_GARBAGE  answer with the right correlation id and bytes that do
 *                  not decode as the response
 *   SL_FB_RAW      answer with the right correlation id followed by the
 *                  bytes of the sl_fb_raw_t that reply.body points to
 *                  (copied), whatever they are
 *
 * Counters (sl_fb_count) say how many requests of an api key arrived, and
 * sl_fb_connections how many connections were accepted, to check retries
 * and reconnects. sl_fb_node_down closes a node's listener and every
 * connection to it (a stopped broker); sl_fb_node_up listens again on the
 * same port. All calls are thread-safe.
 *
 * Use: `sl_unit_test(x SOURCES x.c LIBS sl-client-fake-broker sluice-client)`
 * (the target is defined in tests/unit/client/core.cmake, which is read
 * before the other parts' fragments); it also carries client_util.h, whose
 * cu_send / cu_wait_io / cu_core run requests and checks on a core's I/O
 * thread with bounded waits.
 */
#ifndef SL_TEST_FAKE_BROKER_H
#define SL_TEST_FAKE_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "base.h"
#include "proto.h"

typedef struct sl_fb sl_fb_t;

typedef enum sl_fb_action {
    SL_FB_DEFAULT = 0,
    SL_FB_REPLY,
    SL_FB_IGNORE,
    SL_FB_DROP,
    SL_FB_GARBAGE,
    SL_FB_RAW,
} sl_fb_action_t;

typedef struct sl_fb_req {
    int node;                /* which node received it */
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    const void *body;        /* the decoded sl_<Api>Request_t; valid during the call */
    sl_arena_t *arena;       /* for the answer; reset after it is sent */
} sl_fb_req_t;

typedef struct sl_fb_reply {
    sl_fb_action_t action;
    const void *body;        /* SL_FB_REPLY: the sl_<Api>Response_t */
    int delay_ms;            /* SL_FB_REPLY / SL_FB_DEFAULT: answer this much later */
} sl_fb_reply_t;

/* SL_FB_RAW's body: the bytes to send after the correlation id. */
typedef struct sl_fb_raw {
    const void *bytes;
    size_t len;
} sl_fb_raw_t;

typedef sl_fb_reply_t sl_fb_handler_fn(sl_fb_t *fb, const sl_fb_req_t *req, void *arg);

/* Starts a fake cluster of nodes brokers (1..8). NULL on failure (logged). */
sl_fb_t *sl_fb_new(int nodes);
/* Stops the thread, closes everything, frees. Accepts NULL. */
void sl_fb_free(sl_fb_t *fb);

/* The port of node, and "127.0.0.1:p0,127.0.0.1:p1,..." (static in fb). */
uint16_t sl_fb_port(sl_fb_t *fb, int node);
const char *sl_fb_bootstrap(sl_fb_t *fb);

/* fn(fb, req, arg) for every request (NULL: built-in answers only). */
void sl_fb_set_handler(sl_fb_t *fb, sl_fb_handler_fn *fn, void *arg);

/* The range advertised for api_key (min > max: not advertised). */
void sl_fb_set_api(sl_fb_t *fb, int16_t api_key, int16_t min, int16_t max);
/* The highest ApiVersions version understood (default: proto's). */
void sl_fb_set_apiversions_max(sl_fb_t *fb, int16_t max);

/* Creates or replaces topic with partitions partitions, partition i led by
 * node i % nodes, leader epoch 0. */
void sl_fb_topic_set(sl_fb_t *fb, const char *topic, int partitions);
/* Moves a partition's leader (-1: none) and sets its leader epoch. */
void sl_fb_topic_leader(sl_fb_t *fb, const char *topic, int partition, int32_t leader, int32_t epoch);
/* Makes the topic answer err in Metadata (0 clears). */
void sl_fb_topic_error(sl_fb_t *fb, const char *topic, int16_t err);
/* Metadata may create unknown topics (one partition on node 0) when the
 * request allows it. Default off. */
void sl_fb_set_auto_create(sl_fb_t *fb, bool on);

/* Requests of api_key received so far (all nodes; -1: every api). */
int sl_fb_count(sl_fb_t *fb, int16_t api_key);
/* Connections accepted so far (all nodes). */
int sl_fb_connections(sl_fb_t *fb);

/* Stops / restarts a node (see the top). Called from the test's thread. */
void sl_fb_node_down(sl_fb_t *fb, int node);
bool sl_fb_node_up(sl_fb_t *fb, int node);

#endif /* SL_TEST_FAKE_BROKER_H */
