/*
 * find_coordinator.c - FindCoordinator (v0-v4): this node coordinates every
 * consumer group (key type 0; a single-node cluster), answered with the
 * advertised host and port Metadata gives, and every transactional id (key
 * type 1) while the transaction coordinator serves (else
 * COORDINATOR_NOT_AVAILABLE, which clients retry). An empty key and other
 * key types are INVALID_REQUEST.
 */
#include "broker_int.h"
#include "txn/txn.h"

/* Kafka's CoordinatorType: GROUP 0, TRANSACTION 1. */
static int16_t key_error(int8_t key_type, sl_kstr_t key)
{
    if (key_type != 0 && key_type != 1)
        return SL_ERR_INVALID_REQUEST;
    if (key.len <= 0)
        return SL_ERR_INVALID_REQUEST;
    return key_type == 1 && !sl_txn_coord_available() ? SL_ERR_COORDINATOR_NOT_AVAILABLE : 0;
}

static void fill(const sl_broker_t *broker, int16_t error, int32_t *node, sl_kstr_t *host, int32_t *port,
                 int16_t *err, sl_kstr_t *msg)
{
    *err = error;
    if (error) {
        *msg = sl_kstr(sl_err_str(error));
        *node = -1;
        *host = sl_kstr("");
        *port = -1;
    } else {
        *msg = sl_kstr_null();
        *node = broker->node_id;
        *host = sl_kstr(broker->adv_host);
        *port = broker->adv_port;
    }
}

void sl_broker_handle_find_coordinator(sl_broker_req_t *req)
{
    const sl_FindCoordinatorRequest_t *freq = req->body;
    sl_FindCoordinatorResponse_t resp;
    sl_FindCoordinatorResponse_init(&resp);
    if (req->hdr.api_version < 4) {
        fill(req->broker, key_error(freq->KeyType, freq->Key), &resp.NodeId, &resp.Host, &resp.Port,
             &resp.ErrorCode, &resp.ErrorMessage);
    } else {
        int32_t nk = SL_MAX(freq->CoordinatorKeys.count, 0);
        resp.Coordinators.items = sl_arena_calloc(&req->arena, (size_t)nk + 1, sizeof *resp.Coordinators.items);
        if (!resp.Coordinators.items) {
            sl_broker_req_close(req, "no memory for the FindCoordinator response (arena limit)");
            return;
        }
        resp.Coordinators.count = nk;
        for (int32_t i = 0; i < nk; i++) {
            sl_FindCoordinatorResponse_Coordinator_t *c = &resp.Coordinators.items[i];
            sl_FindCoordinatorResponse_Coordinator_init(c);
            c->Key = freq->CoordinatorKeys.items[i];
            fill(req->broker, key_error(freq->KeyType, c->Key), &c->NodeId, &c->Host, &c->Port, &c->ErrorCode,
                 &c->ErrorMessage);
        }
    }
    sl_broker_req_reply(req, &resp);
}
