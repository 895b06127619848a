/*
 * producer_init.c - InitProducerId (v0-4).
 *
 * Without a transactional id Kafka 3.4 always hands out a new producer id
 * with epoch 0, whatever producer id and epoch a v3+ request carries (an
 * idempotent producer bumps its epoch itself, KIP-360, and asks for a new
 * id only when it must): so do we. With a transactional id the request
 * goes to the transaction coordinator (broker/txn/), after Kafka's checks:
 * an empty id is INVALID_REQUEST, a transaction.timeout.ms that is not
 * positive or above transaction.max.timeout.ms is
 * INVALID_TRANSACTION_TIMEOUT, and a producer id given without an epoch
 * (or the reverse) is INVALID_REQUEST. PRODUCER_FENCED is answered
 * INVALID_PRODUCER_EPOCH before v4 (KIP-588).
 */
#include "producer_int.h"
#include "txn/txn.h"

void sl_broker_handle_init_producer_id(sl_broker_req_t *req)
{
    const sl_InitProducerIdRequest_t *ireq = req->body;
    sl_InitProducerIdResponse_t resp;
    sl_InitProducerIdResponse_init(&resp);
    resp.ProducerId = -1;
    resp.ProducerEpoch = -1;
    bool exp_pid = ireq->ProducerId != -1, exp_epoch = ireq->ProducerEpoch != -1;
    if (ireq->TransactionalId.len == 0) {
        resp.ErrorCode = SL_ERR_INVALID_REQUEST; /* Kafka's answer to an empty id */
    } else if (ireq->TransactionalId.len > 0) {
        int32_t max_timeout = req->broker->cfg->transaction_max_timeout_ms;
        if (ireq->TransactionTimeoutMs <= 0 || ireq->TransactionTimeoutMs > max_timeout)
            resp.ErrorCode = SL_ERR_INVALID_TRANSACTION_TIMEOUT;
        else if (exp_pid != exp_epoch)
            resp.ErrorCode = SL_ERR_INVALID_REQUEST;
        else
            resp.ErrorCode = sl_txn_coord_init_pid(req->broker, ireq->TransactionalId, ireq->TransactionTimeoutMs,
                                                   ireq->ProducerId, ireq->ProducerEpoch, &resp.ProducerId,
                                                   &resp.ProducerEpoch);
        resp.ErrorCode = sl_txn_fenced_for(resp.ErrorCode, req->hdr.api_version, 4);
        if (resp.ErrorCode) {
            resp.ProducerId = -1;
            resp.ProducerEpoch = -1;
        }
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
