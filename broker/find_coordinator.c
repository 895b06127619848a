/*
 * find_coordinator.c - FindCoordinator (v0-v4) until consumer groups and
 * transactions exist: every key is answered COORDINATOR_NOT_AVAILABLE, which
 * clients treat as "retry later". It is served at all because librdkafka
 * (<= 2.11) enables lz4 only for brokers that advertise FindCoordinator
 * (docs/COMPATIBILITY.md). The groups milestone replaces this file.
 */
#include "broker_int.h"

/* Kafka's CoordinatorType: GROUP 0, TRANSACTION 1. */
static int16_t key_error(int8_t key_type)
{
    return key_type == 0 || key_type == 1 ? SL_ERR_COORDINATOR_NOT_AVAILABLE : SL_ERR_INVALID_REQUEST;
}

void sl_broker_handle_find_coordinator(sl_broker_req_t *req)
{
    const sl_FindCoordinatorRequest_t *freq = req->body;
    sl_FindCoordinatorResponse_t resp;
    sl_FindCoordinatorResponse_init(&resp);
    int16_t error = key_error(freq->KeyType);
    if (req->hdr.api_version < 4) {
        resp.ErrorCode = error;
        resp.ErrorMessage = sl_kstr(sl_err_str(error));
        resp.NodeId = -1;
        resp.Host = sl_kstr("");
        resp.Port = -1;
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
            c->NodeId = -1;
            c->Host = sl_kstr("");
            c->Port = -1;
            c->ErrorCode = error;
            c->ErrorMessage = sl_kstr(sl_err_str(error));
        }
    }
    sl_broker_req_reply(req, &resp);
}
