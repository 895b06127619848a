/*
 * admin_int.h - the broker's admin APIs (admin_*.c), split in two layers:
 *
 *   sl_admin_<api>()            builds the whole response of one request from
 *                               its decoded body: the Kafka 3.4 behaviour,
 *                               per-resource errors and messages, in the
 *                               request's version. No connection involved, so
 *                               tests call these on a broker opened on a temp
 *                               directory and check the response structs.
 *   sl_broker_handle_<api>()    the dispatch-table handlers (broker_int.h):
 *                               call the builder with the request's arena and
 *                               reply, or close the connection when the arena
 *                               runs out.
 *
 * Common rules for every builder:
 *   - broker, req and arena are borrowed. *resp is filled in (its init is
 *     done here); its strings and arrays point into req (the request frame)
 *     and into arena, so it is valid while both are.
 *   - version is the request's version; fields the version lacks are left at
 *     their defaults so the encoder accepts the response.
 *   - Every resource (topic, partition, config resource) gets its own answer,
 *     in request order; bad input of any kind gives an error code (with a
 *     message where the version has the field), never a failure.
 *   - Returns SL_OK, or SL_ERR_NOMEM when arena is exhausted (the handler then
 *     closes the connection; work already done, such as a created topic,
 *     stays done, as when Kafka's answer is lost on the wire).
 *   - Thread: any (network threads in sluiced). Admin changes block on
 *     broker->admin_mu and disk I/O inside the registry calls; DeleteRecords
 *     and OffsetForLeaderEpoch take part->mu around their log calls. Nothing
 *     here holds a lock across another call of the registry.
 *
 * Where Sluice answers differently from Kafka, and why:
 *   - Timeouts (CreateTopics, DeleteTopics, CreatePartitions, DeleteRecords)
 *     are accepted and ignored: every change is complete when the answer is
 *     sent, so no REQUEST_TIMED_OUT even for a timeout of 0 (KRaft answers
 *     the same way; ZooKeeper-mode Kafka said REQUEST_TIMED_OUT there).
 *   - Bad topic config values in AlterConfigs / IncrementalAlterConfigs are
 *     INVALID_CONFIG (as KRaft), not ZooKeeper-mode's INVALID_REQUEST.
 *   - There are no dynamic broker configs: altering a BROKER resource with
 *     any config is INVALID_REQUEST ("cannot update these configs
 *     dynamically"), which Kafka answers for its static keys; BROKER_LOGGER
 *     resources are INVALID_REQUEST too.
 */
#ifndef SL_BROKER_ADMIN_INT_H
#define SL_BROKER_ADMIN_INT_H

#include "broker_int.h"

/* The leader epoch of every partition on this single node: nothing ever
 * moves leadership, so the first epoch is the only one. */
#define SL_ADMIN_LEADER_EPOCH 0

/* Kafka's ConfigResource.Type ids. */
enum {
    SL_ADMIN_RES_TOPIC = 2,
    SL_ADMIN_RES_BROKER = 4,
    SL_ADMIN_RES_BROKER_LOGGER = 8,
};

/* Kafka's AlterConfigOp.OpType ids (IncrementalAlterConfigs). */
enum {
    SL_ADMIN_OP_SET = 0,
    SL_ADMIN_OP_DELETE = 1,
    SL_ADMIN_OP_APPEND = 2,
    SL_ADMIN_OP_SUBTRACT = 3,
};

/* Operations on the cluster resource allowed without an authorizer, as
 * Kafka's bit field (1 << AclOperation code): CREATE 5, ALTER 7, DESCRIBE 8,
 * CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12. */
#define SL_ADMIN_CLUSTER_OPS \
    ((1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12))

/* ---- admin_topics.c ---------------------------------------------------- */

/* CreateTopics v0-7. */
sl_err_t sl_broker_admin_create_topics(sl_broker_t *broker, int16_t version, const sl_CreateTopicsRequest_t *req,
                                sl_arena_t *arena, sl_CreateTopicsResponse_t *resp);
/* DeleteTopics v0-6 (v6: by name or by topic id). */
sl_err_t sl_broker_admin_delete_topics(sl_broker_t *broker, int16_t version, const sl_DeleteTopicsRequest_t *req,
                                sl_arena_t *arena, sl_DeleteTopicsResponse_t *resp);
/* CreatePartitions v0-3. */
sl_err_t sl_broker_admin_create_partitions(sl_broker_t *broker, int16_t version, const sl_CreatePartitionsRequest_t *req,
                                    sl_arena_t *arena, sl_CreatePartitionsResponse_t *resp);

/* ---- admin_configs.c --------------------------------------------------- */

/* DescribeConfigs v0-4: TOPIC and BROKER resources. */
sl_err_t sl_broker_admin_describe_configs(sl_broker_t *broker, int16_t version, const sl_DescribeConfigsRequest_t *req,
                                   sl_arena_t *arena, sl_DescribeConfigsResponse_t *resp);
/* AlterConfigs v0-2: replaces a topic's overrides with the given set. */
sl_err_t sl_broker_admin_alter_configs(sl_broker_t *broker, int16_t version, const sl_AlterConfigsRequest_t *req,
                                sl_arena_t *arena, sl_AlterConfigsResponse_t *resp);
/* IncrementalAlterConfigs v0-1: SET, DELETE, APPEND, SUBTRACT on a topic's
 * overrides. */
sl_err_t sl_admin_incremental_alter_configs(sl_broker_t *broker, int16_t version,
                                            const sl_IncrementalAlterConfigsRequest_t *req, sl_arena_t *arena,
                                            sl_IncrementalAlterConfigsResponse_t *resp);

/* ---- admin_records.c --------------------------------------------------- */

/* DeleteRecords v0-2: offset -1 means the high watermark (log end). */
sl_err_t sl_broker_admin_delete_records(sl_broker_t *broker, int16_t version, const sl_DeleteRecordsRequest_t *req,
                                 sl_arena_t *arena, sl_DeleteRecordsResponse_t *resp);
/* OffsetForLeaderEpoch v0-4, with every partition at SL_ADMIN_LEADER_EPOCH. */
sl_err_t sl_admin_offset_for_leader_epoch(sl_broker_t *broker, int16_t version,
                                          const sl_OffsetForLeaderEpochRequest_t *req, sl_arena_t *arena,
                                          sl_OffsetForLeaderEpochResponse_t *resp);

/* ---- admin_cluster.c --------------------------------------------------- */

/* DescribeCluster v0: this node, the cluster id, this node as controller. */
sl_err_t sl_broker_admin_describe_cluster(sl_broker_t *broker, int16_t version, const sl_DescribeClusterRequest_t *req,
                                   sl_arena_t *arena, sl_DescribeClusterResponse_t *resp);

/* ---- admin_util.c: small helpers shared by the admin files ------------- */

/* A message formatted into arena, as a Kafka string; a null string when the
 * arena is out of memory (messages are optional on the wire). */
sl_kstr_t sl_admin_msg(sl_arena_t *arena, const char *fmt, ...) SL_PRINTF(2, 3);
/* A copy of the C string s in arena as a Kafka string (null for s NULL or
 * no memory). */
sl_kstr_t sl_admin_str(sl_arena_t *arena, const char *s);
/* Writes s into buf (size n) for a message: at most max bytes of it, with
 * control and non-ASCII bytes as \xHH, "..." when cut. Returns buf. */
const char *sl_admin_quote(char *buf, size_t n, sl_kstr_t s, size_t max);
/* true when all 16 bytes are zero (Kafka's ZERO_UUID). */
bool sl_admin_uuid_is_zero(const sl_uuid_t *id);
/* Parses a broker resource name: "" gives *is_default true; a decimal
 * integer equal to the node id gives false. Anything else fills msg and
 * returns false, as Kafka's INVALID_REQUEST messages. */
bool sl_admin_broker_name_ok(const sl_broker_t *broker, sl_kstr_t name, bool *is_default, char *msg, size_t n);
/* The handlers' tail: err SL_OK replies with resp (sl_broker_req_reply);
 * anything else closes the connection with a log line naming the api.
 * Thread: req's worker. */
void sl_admin_finish(sl_broker_req_t *req, sl_err_t err, const void *resp);
/* The text for a per-resource error: msg when it is not empty, else the
 * error's sentence. */
const char *sl_admin_why(sl_err_t err, const char *msg);

#endif /* SL_BROKER_ADMIN_INT_H */
