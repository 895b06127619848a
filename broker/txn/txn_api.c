/*
 * txn_api.c - the transaction coordinator's request handlers:
 * AddPartitionsToTxn (v0-3), AddOffsetsToTxn (v0-3), EndTxn (v0-3),
 * DescribeTransactions (v0) and ListTransactions (v0), with Kafka 3.4's
 * checks before the coordinator is asked (an empty transactional id is
 * INVALID_REQUEST; partitions that do not exist are UNKNOWN_TOPIC_OR_PARTITION
 * and the others OPERATION_NOT_ATTEMPTED) and its answer to old versions
 * (PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v2, KIP-588).
 */
#include <stdlib.h>
#include <string.h>

#include "broker_int.h"
#include "group/group_int.h"
#include "txn.h"

int16_t sl_txn_fenced_for(int16_t err, int16_t version, int16_t first_fenced_version)
{
    return err == SL_ERR_PRODUCER_FENCED && version < first_fenced_version ? SL_ERR_INVALID_PRODUCER_EPOCH : err;
}

/* ---- AddPartitionsToTxn ---- */

void sl_broker_handle_add_partitions_to_txn(sl_broker_req_t *req)
{
    const sl_AddPartitionsToTxnRequest_t *areq = req->body;
    sl_arena_t *arena = &req->arena;
    sl_AddPartitionsToTxnResponse_t resp;
    sl_AddPartitionsToTxnResponse_init(&resp);
    int32_t nt = SL_MAX(areq->Topics.count, 0), total = 0;
    resp.Results.items = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *resp.Results.items);
    bool ok = resp.Results.items != NULL;
    for (int32_t i = 0; ok && i < nt; i++)
        total += SL_MAX(areq->Topics.items[i].Partitions.count, 0);
    sl_txn_tp_t *tps = ok ? sl_arena_calloc(arena, (size_t)total + 1, sizeof *tps) : NULL;
    if (!tps) {
        sl_broker_req_close(req, "no memory for the AddPartitionsToTxn response (arena limit)");
        return;
    }
    /* Kafka answers every partition: missing ones first decide */
    bool missing = false;
    int32_t k = 0;
    resp.Results.count = nt;
    for (int32_t i = 0; i < nt; i++) {
        const sl_AddPartitionsToTxnRequest_AddPartitionsToTxnTopic_t *t = &areq->Topics.items[i];
        sl_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_t *r = &resp.Results.items[i];
        sl_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_init(r);
        r->Name = t->Name;
        int32_t np = SL_MAX(t->Partitions.count, 0);
        r->Results.items = sl_arena_calloc(arena, (size_t)np + 1, sizeof *r->Results.items);
        char *name = t->Name.len >= 0 ? sl_arena_strndup(arena, t->Name.ptr ? t->Name.ptr : "", (size_t)t->Name.len)
                                      : NULL;
        if (!r->Results.items || (t->Name.len >= 0 && !name)) {
            sl_broker_req_close(req, "no memory for the AddPartitionsToTxn response (arena limit)");
            return;
        }
        r->Results.count = np;
        for (int32_t j = 0; j < np; j++) {
            sl_AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult_t *pr = &r->Results.items[j];
            sl_AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult_init(pr);
            pr->PartitionIndex = t->Partitions.items[j];
            sl_partition_t *part = NULL;
            if (!name || sl_broker_partition_get(req->broker, name, (size_t)t->Name.len, pr->PartitionIndex,
                                                 &part) != SL_OK) {
                pr->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                missing = true;
            } else {
                sl_partition_unref(part);
                tps[k].topic = name;
                tps[k].partition = pr->PartitionIndex;
                k++;
            }
        }
    }
    int16_t err = 0;
    if (areq->TransactionalId.len <= 0)
        err = SL_ERR_INVALID_REQUEST;
    else if (missing)
        err = SL_ERR_OPERATION_NOT_ATTEMPTED;
    else
        err = sl_txn_coord_add(req->broker, areq->TransactionalId, areq->ProducerId, areq->ProducerEpoch, tps, k);
    err = sl_txn_fenced_for(err, req->hdr.api_version, 2);
    for (int32_t i = 0; i < nt; i++) {
        sl_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_t *r = &resp.Results.items[i];
        for (int32_t j = 0; j < r->Results.count; j++)
            if (!missing || r->Results.items[j].ErrorCode == 0)
                r->Results.items[j].ErrorCode = err;
    }
    sl_broker_req_reply(req, &resp);
}

/* ---- AddOffsetsToTxn ---- */

void sl_broker_handle_add_offsets_to_txn(sl_broker_req_t *req)
{
    const sl_AddOffsetsToTxnRequest_t *areq = req->body;
    sl_AddOffsetsToTxnResponse_t resp;
    sl_AddOffsetsToTxnResponse_init(&resp);
    const char *offsets = SL_TOPIC_CONSUMER_OFFSETS;
    sl_topic_t *topic = sl_broker_topic_get(req->broker, offsets, strlen(offsets));
    int32_t nparts = topic ? sl_topic_partition_count(req->broker, topic) : 0;
    if (topic)
        sl_topic_unref(topic);
    if (areq->TransactionalId.len <= 0) {
        resp.ErrorCode = SL_ERR_INVALID_REQUEST;
    } else if (areq->GroupId.len < 0) {
        resp.ErrorCode = SL_ERR_INVALID_GROUP_ID;
    } else if (nparts <= 0) {
        resp.ErrorCode = SL_ERR_COORDINATOR_NOT_AVAILABLE;
    } else {
        sl_txn_tp_t tp = {
            .topic = (char *)offsets,
            .partition = sl_coord_partition_for(areq->GroupId.ptr ? areq->GroupId.ptr : "",
                                                (size_t)areq->GroupId.len, nparts),
        };
        resp.ErrorCode = sl_txn_coord_add(req->broker, areq->TransactionalId, areq->ProducerId, areq->ProducerEpoch,
                                          &tp, 1);
    }
    resp.ErrorCode = sl_txn_fenced_for(resp.ErrorCode, req->hdr.api_version, 2);
    sl_broker_req_reply(req, &resp);
}

/* ---- EndTxn ---- */

void sl_broker_handle_end_txn(sl_broker_req_t *req)
{
    const sl_EndTxnRequest_t *ereq = req->body;
    sl_EndTxnResponse_t resp;
    sl_EndTxnResponse_init(&resp);
    if (ereq->TransactionalId.len <= 0)
        resp.ErrorCode = SL_ERR_INVALID_REQUEST;
    else
        resp.ErrorCode = sl_txn_coord_end(req->broker, ereq->TransactionalId, ereq->ProducerId,
                                          ereq->ProducerEpoch, ereq->Committed);
    resp.ErrorCode = sl_txn_fenced_for(resp.ErrorCode, req->hdr.api_version, 2);
    sl_broker_req_reply(req, &resp);
}

/* ---- DescribeTransactions ---- */

static sl_kstr_t adup(sl_arena_t *arena, const char *s, bool *ok)
{
    char *c = sl_arena_strndup(arena, s, strlen(s));
    *ok = *ok && c != NULL;
    return c ? sl_kstr(c) : sl_kstr("");
}

/* Fills d from t (strings copied to arena); false on no memory. */
static bool describe_fill(sl_DescribeTransactionsResponse_TransactionState_t *d, const sl_txn_t *t,
                          sl_arena_t *arena)
{
    bool ok = true;
    d->TransactionState = sl_kstr(sl_txn_state_name(t->state));
    d->TransactionTimeoutMs = t->timeout_ms;
    d->TransactionStartTimeMs = t->start_ts;
    d->ProducerId = t->producer_id;
    d->ProducerEpoch = t->producer_epoch;
    d->Topics.items = sl_arena_calloc(arena, (size_t)t->nparts + 1, sizeof *d->Topics.items);
    if (!d->Topics.items)
        return false;
    int32_t nt = 0;
    for (int32_t i = 0; i < t->nparts && ok; i++) {
        int32_t j = 0;
        while (j < nt && strcmp(d->Topics.items[j].Topic.ptr, t->parts[i].topic) != 0)
            j++;
        sl_DescribeTransactionsResponse_TopicData_t *td = &d->Topics.items[j];
        if (j == nt) {
            sl_DescribeTransactionsResponse_TopicData_init(td);
            td->Topic = adup(arena, t->parts[i].topic, &ok);
            td->Partitions.items = sl_arena_calloc(arena, (size_t)t->nparts, sizeof *td->Partitions.items);
            ok = ok && td->Partitions.items;
            nt++;
        }
        if (ok)
            td->Partitions.items[td->Partitions.count++] = t->parts[i].partition;
    }
    d->Topics.count = nt;
    return ok;
}

void sl_broker_handle_describe_transactions(sl_broker_req_t *req)
{
    const sl_DescribeTransactionsRequest_t *dreq = req->body;
    sl_arena_t *arena = &req->arena;
    sl_DescribeTransactionsResponse_t resp;
    sl_DescribeTransactionsResponse_init(&resp);
    int32_t n = SL_MAX(dreq->TransactionalIds.count, 0);
    resp.TransactionStates.items = sl_arena_calloc(arena, (size_t)n + 1, sizeof *resp.TransactionStates.items);
    bool ok = resp.TransactionStates.items != NULL;
    resp.TransactionStates.count = ok ? n : 0;
    for (int32_t i = 0; ok && i < n; i++) {
        sl_DescribeTransactionsResponse_TransactionState_t *d = &resp.TransactionStates.items[i];
        sl_DescribeTransactionsResponse_TransactionState_init(d);
        d->TransactionalId = dreq->TransactionalIds.items[i];
        d->TransactionState = sl_kstr("");
        sl_txn_t t;
        d->ErrorCode = d->TransactionalId.len < 0 ? SL_ERR_INVALID_REQUEST
                                                  : sl_txn_coord_describe(req->broker, d->TransactionalId, &t);
        if (d->TransactionalId.len < 0)
            sl_txn_init(&t);
        if (!d->ErrorCode)
            ok = describe_fill(d, &t, arena);
        sl_txn_free(&t);
    }
    if (!ok) {
        sl_broker_req_close(req, "no memory for the DescribeTransactions response (arena limit)");
        return;
    }
    sl_broker_req_reply(req, &resp);
}

/* ---- ListTransactions ---- */

void sl_broker_handle_list_transactions(sl_broker_req_t *req)
{
    const sl_ListTransactionsRequest_t *lreq = req->body;
    sl_arena_t *arena = &req->arena;
    sl_ListTransactionsResponse_t resp;
    sl_ListTransactionsResponse_init(&resp);
    int32_t nf = SL_MAX(lreq->StateFilters.count, 0), np = SL_MAX(lreq->ProducerIdFilters.count, 0);
    /* known state filters as a bit set; the unknown ones are echoed */
    uint32_t states = 0;
    resp.UnknownStateFilters.items = sl_arena_calloc(arena, (size_t)nf + 1, sizeof *resp.UnknownStateFilters.items);
    sl_txn_listed_t *ls = NULL;
    int16_t err = 0;
    int32_t n = resp.UnknownStateFilters.items ? sl_txn_coord_list(req->broker, &ls, &err) : -1;
    if (n < 0) {
        sl_broker_req_close(req, "no memory for the ListTransactions response");
        return;
    }
    for (int32_t i = 0; i < nf; i++) {
        sl_kstr_t f = lreq->StateFilters.items[i];
        int st = f.len >= 0 ? sl_txn_state_parse(f.ptr ? f.ptr : "", (size_t)f.len) : -1;
        if (st >= 0)
            states |= 1u << st;
        else
            resp.UnknownStateFilters.items[resp.UnknownStateFilters.count++] = f;
    }
    resp.ErrorCode = err; /* while loading Kafka lists nothing */
    resp.TransactionStates.items = sl_arena_calloc(arena, (size_t)n + 1, sizeof *resp.TransactionStates.items);
    bool ok = resp.TransactionStates.items != NULL;
    for (int32_t i = 0; ok && i < n; i++) {
        bool keep = !err && (nf == 0 || (states & (1u << ls[i].state)));
        bool pid_ok = np == 0;
        for (int32_t j = 0; !pid_ok && j < np; j++)
            pid_ok = lreq->ProducerIdFilters.items[j] == ls[i].producer_id;
        if (!keep || !pid_ok)
            continue;
        sl_ListTransactionsResponse_TransactionState_t *ts =
            &resp.TransactionStates.items[resp.TransactionStates.count];
        sl_ListTransactionsResponse_TransactionState_init(ts);
        ts->TransactionalId = adup(arena, ls[i].id, &ok);
        ts->ProducerId = ls[i].producer_id;
        ts->TransactionState = sl_kstr(sl_txn_state_name(ls[i].state));
        resp.TransactionStates.count++;
    }
    for (int32_t i = 0; i < n; i++)
        free(ls[i].id);
    free(ls);
    if (!ok) {
        sl_broker_req_close(req, "no memory for the ListTransactions response (arena limit)");
        return;
    }
    sl_broker_req_reply(req, &resp);
}
