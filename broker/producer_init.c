/*
 * producer_init.c - InitProducerId (v0-4) for idempotent producers.
 *
 * Without a transactional id Kafka 3.4 always hands out a new producer id
 * with epoch 0, whatever producer id and epoch a v3+ request carries (an
 * idempotent producer bumps its epoch itself, KIP-360, and asks for a new
 * id only when it must): so do we. With a transactional id the answer is
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED until transactions exist: a fatal
 * error for clients, so init_transactions fails at once and says why,
 * rather than retrying COORDINATOR_NOT_AVAILABLE until it times out (an
 * empty transactional id is INVALID_REQUEST, as in Kafka).
 */
#include "producer_int.h"

void sl_broker_handle_init_producer_id(sl_broker_req_t *req)
{
    const sl_InitProducerIdRequest_t *ireq = req->body;
    sl_InitProducerIdResponse_t resp;
    sl_InitProducerIdResponse_init(&resp);
    resp.ProducerId = -1;
    resp.ProducerEpoch = -1;
    if (ireq->TransactionalId.len == 0) {
        resp.ErrorCode = SL_ERR_INVALID_REQUEST; /* Kafka's answer to an empty id */
    } else if (ireq->TransactionalId.len > 0) {
        resp.ErrorCode = SL_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    } else {
        int64_t id;
        if (sl_producer_id_next(req->broker->cfg->log_dirs[0], &id) == SL_OK) {
            resp.ProducerId = id;
            resp.ProducerEpoch = 0;
        } else {
            resp.ErrorCode = SL_ERR_UNKNOWN_SERVER_ERROR;
        }
    }
    sl_broker_req_reply(req, &resp);
}
