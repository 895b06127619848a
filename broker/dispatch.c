/*
 * dispatch.c - the broker's dispatch table (api key, versions served,
 * handler) and the ApiVersions handler that advertises exactly that table.
 *
 * Version ranges are chosen per API, within Kafka 3.4's (checked by
 * broker_dispatch_test):
 *   Produce 0-9      advertised from v0 because librdkafka (<= 2.11) only
 *                    compresses with gzip/snappy/lz4 for brokers that accept
 *                    Produce v0; v0-v2 carry magic 0/1 message sets, which
 *                    are answered per partition with
 *                    UNSUPPORTED_FOR_MESSAGE_FORMAT (docs/COMPATIBILITY.md).
 *   Fetch 4-12       v4 is the first that can carry record batches v2 (we
 *                    never down-convert); v13 (topic ids only) not yet.
 *   FindCoordinator  this node for groups (key type 0) and transactions (1).
 *   Transactions     AddPartitionsToTxn 0-3, AddOffsetsToTxn 0-3, EndTxn 0-3,
 *                    DescribeTransactions 0, ListTransactions 0 (txn/);
 *                    WriteTxnMarkers is not served: markers are written
 *                    in-process on one node.
 *   Groups           JoinGroup 0-9, SyncGroup 0-5, Heartbeat 0-4, LeaveGroup
 *                    0-5, OffsetCommit 0-8, OffsetFetch 0-8, DescribeGroups
 *                    0-5, ListGroups 0-4, DeleteGroups 0-2, OffsetDelete 0
 *                    (group/).
 */
#include <string.h>

#include "broker_int.h"

void sl_broker_handle_txn_offset_commit(sl_broker_req_t *req); /* group/group_api.c */

/* Admin code adds its entries here (and its handler prototypes in
 * broker_int.h), one line per API. */
const sl_broker_api_t sl_broker_apis[SL_BROKER_API_SLOTS] = {
    [SL_APIKEY_PRODUCE] = {SL_APIKEY_PRODUCE, 0, 9, sl_broker_handle_produce},
    [SL_APIKEY_FETCH] = {SL_APIKEY_FETCH, 4, 12, sl_broker_handle_fetch},
    [SL_APIKEY_LIST_OFFSETS] = {SL_APIKEY_LIST_OFFSETS, 0, 7, sl_broker_handle_list_offsets},
    [SL_APIKEY_METADATA] = {SL_APIKEY_METADATA, 0, 12, sl_broker_handle_metadata},
    [SL_APIKEY_OFFSET_COMMIT] = {SL_APIKEY_OFFSET_COMMIT, 0, 8, sl_broker_handle_offset_commit},
    [SL_APIKEY_OFFSET_FETCH] = {SL_APIKEY_OFFSET_FETCH, 0, 8, sl_broker_handle_offset_fetch},
    [SL_APIKEY_FIND_COORDINATOR] = {SL_APIKEY_FIND_COORDINATOR, 0, 4, sl_broker_handle_find_coordinator},
    [SL_APIKEY_JOIN_GROUP] = {SL_APIKEY_JOIN_GROUP, 0, 9, sl_broker_handle_join_group},
    [SL_APIKEY_HEARTBEAT] = {SL_APIKEY_HEARTBEAT, 0, 4, sl_broker_handle_heartbeat},
    [SL_APIKEY_LEAVE_GROUP] = {SL_APIKEY_LEAVE_GROUP, 0, 5, sl_broker_handle_leave_group},
    [SL_APIKEY_SYNC_GROUP] = {SL_APIKEY_SYNC_GROUP, 0, 5, sl_broker_handle_sync_group},
    [SL_APIKEY_DESCRIBE_GROUPS] = {SL_APIKEY_DESCRIBE_GROUPS, 0, 5, sl_broker_handle_describe_groups},
    [SL_APIKEY_LIST_GROUPS] = {SL_APIKEY_LIST_GROUPS, 0, 4, sl_broker_handle_list_groups},
    [SL_APIKEY_API_VERSIONS] = {SL_APIKEY_API_VERSIONS, 0, 3, sl_broker_handle_api_versions},
    [SL_APIKEY_CREATE_TOPICS] = {SL_APIKEY_CREATE_TOPICS, 0, 7, sl_broker_handle_create_topics},
    [SL_APIKEY_DELETE_TOPICS] = {SL_APIKEY_DELETE_TOPICS, 0, 6, sl_broker_handle_delete_topics},
    [SL_APIKEY_DELETE_RECORDS] = {SL_APIKEY_DELETE_RECORDS, 0, 2, sl_broker_handle_delete_records},
    [SL_APIKEY_INIT_PRODUCER_ID] = {SL_APIKEY_INIT_PRODUCER_ID, 0, 4, sl_broker_handle_init_producer_id},
    [SL_APIKEY_OFFSET_FOR_LEADER_EPOCH] = {SL_APIKEY_OFFSET_FOR_LEADER_EPOCH, 0, 4,
                                           sl_broker_handle_offset_for_leader_epoch},
    [SL_APIKEY_DESCRIBE_CONFIGS] = {SL_APIKEY_DESCRIBE_CONFIGS, 0, 4, sl_broker_handle_describe_configs},
    [SL_APIKEY_ALTER_CONFIGS] = {SL_APIKEY_ALTER_CONFIGS, 0, 2, sl_broker_handle_alter_configs},
    [SL_APIKEY_CREATE_PARTITIONS] = {SL_APIKEY_CREATE_PARTITIONS, 0, 3, sl_broker_handle_create_partitions},
    [SL_APIKEY_DELETE_GROUPS] = {SL_APIKEY_DELETE_GROUPS, 0, 2, sl_broker_handle_delete_groups},
    [SL_APIKEY_OFFSET_DELETE] = {SL_APIKEY_OFFSET_DELETE, 0, 0, sl_broker_handle_offset_delete},
    [SL_APIKEY_INCREMENTAL_ALTER_CONFIGS] = {SL_APIKEY_INCREMENTAL_ALTER_CONFIGS, 0, 1,
                                             sl_broker_handle_incremental_alter_configs},
    [SL_APIKEY_DESCRIBE_CLUSTER] = {SL_APIKEY_DESCRIBE_CLUSTER, 0, 0, sl_broker_handle_describe_cluster},
    [SL_APIKEY_ADD_PARTITIONS_TO_TXN] = {SL_APIKEY_ADD_PARTITIONS_TO_TXN, 0, 3,
                                         sl_broker_handle_add_partitions_to_txn},
    [SL_APIKEY_ADD_OFFSETS_TO_TXN] = {SL_APIKEY_ADD_OFFSETS_TO_TXN, 0, 3, sl_broker_handle_add_offsets_to_txn},
    [SL_APIKEY_END_TXN] = {SL_APIKEY_END_TXN, 0, 3, sl_broker_handle_end_txn},
    [SL_APIKEY_TXN_OFFSET_COMMIT] = {SL_APIKEY_TXN_OFFSET_COMMIT, 0, 3, sl_broker_handle_txn_offset_commit},
    [SL_APIKEY_DESCRIBE_TRANSACTIONS] = {SL_APIKEY_DESCRIBE_TRANSACTIONS, 0, 0,
                                         sl_broker_handle_describe_transactions},
    [SL_APIKEY_LIST_TRANSACTIONS] = {SL_APIKEY_LIST_TRANSACTIONS, 0, 0, sl_broker_handle_list_transactions},
};

const sl_broker_api_t *sl_broker_api_find(int16_t api_key)
{
    if (api_key < 0 || api_key >= SL_BROKER_API_SLOTS || !sl_broker_apis[api_key].handler)
        return NULL;
    return &sl_broker_apis[api_key];
}

sl_err_t sl_broker_api_versions_fill(sl_ApiVersionsResponse_t *resp, sl_arena_t *arena, int16_t error)
{
    sl_ApiVersionsResponse_init(resp);
    resp->ErrorCode = error;
    size_t n = 0;
    for (size_t k = 0; k < SL_BROKER_API_SLOTS; k++)
        n += sl_broker_apis[k].handler != NULL;
    resp->ApiKeys.items = sl_arena_calloc(arena, n ? n : 1, sizeof *resp->ApiKeys.items);
    if (!resp->ApiKeys.items)
        return SL_ERR_NOMEM;
    resp->ApiKeys.count = 0;
    for (size_t k = 0; k < SL_BROKER_API_SLOTS; k++) {
        const sl_broker_api_t *api = &sl_broker_apis[k];
        if (!api->handler)
            continue;
        sl_ApiVersionsResponse_ApiVersion_t *av = &resp->ApiKeys.items[resp->ApiKeys.count++];
        sl_ApiVersionsResponse_ApiVersion_init(av);
        av->ApiKey = api->api_key;
        av->MinVersion = api->min_version;
        av->MaxVersion = api->max_version;
    }
    return SL_OK;
}

/* Kafka's rule for ClientSoftwareName/Version (v3+):
 * [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? */
static bool software_field_ok(sl_kstr_t s)
{
    if (s.len <= 0)
        return false;
    for (int32_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        bool inner = c == '-' || c == '.';
        if (!alnum && !(inner && i > 0 && i < s.len - 1))
            return false;
    }
    return true;
}

/* The worker calls this with body NULL and version 0 when the client asked
 * for a version we do not serve (KIP-511: the v0 answer carries
 * UNSUPPORTED_VERSION and the list, so the client can pick a version). */
void sl_broker_handle_api_versions(sl_broker_req_t *req)
{
    const sl_ApiVersionsRequest_t *avreq = req->body;
    int16_t error = 0;
    if (!avreq)
        error = SL_ERR_UNSUPPORTED_VERSION;
    else if (req->hdr.api_version >= 3 &&
             (!software_field_ok(avreq->ClientSoftwareName) || !software_field_ok(avreq->ClientSoftwareVersion)))
        error = SL_ERR_INVALID_REQUEST;
    sl_ApiVersionsResponse_t resp;
    if (sl_broker_api_versions_fill(&resp, &req->arena, error) != SL_OK) {
        sl_broker_req_close(req, "no memory for the ApiVersions response");
        return;
    }
    sl_broker_req_reply(req, &resp);
}
