/*
 * produce.c - Produce (v0-v9): validation of each partition's records as
 * Kafka's broker does it (ProduceRequest.validateRecords, then the log's
 * analyzeAndValidateRecords and LogValidator), the append under the
 * partition mutex, and the ack: at once, after the group commit's fsync when
 * flush.messages asks for one, or never (acks=0).
 *
 * Choices where Kafka 3.x differs or has more machinery (docs/COMPATIBILITY.md):
 *   - v0-v2 carry magic 0/1 message sets, which Kafka up-converts; here each
 *     partition gets UNSUPPORTED_FOR_MESSAGE_FORMAT. Produce is advertised
 *     from v0 anyway, because librdkafka needs that to use compression.
 *   - Transactional batches (txn_int.h) pass the same sequence and epoch
 *     checks as idempotent ones (an old epoch: INVALID_PRODUCER_EPOCH, as
 *     Kafka 3.4 answers every Produce version since KIP-588); the first one
 *     of a producer on the partition opens its transaction there (the LSO
 *     stops at it until the coordinator's marker). As in Kafka 3.4 (before
 *     KIP-890), nobody checks that the partition was added to the
 *     transaction. Control batches from clients are INVALID_RECORD (the
 *     strict validation), a transactional batch without a producer id too;
 *     a plain batch of a producer whose transaction is open on the
 *     partition is INVALID_TXN_STATE (Kafka's ProducerAppendInfo).
 *   - Idempotent batches (producer id >= 0) are checked against the
 *     partition's producer state (producer_int.h: Kafka 3.4's sequence and
 *     epoch rules); a duplicate of one of the producer's last 5 batches is
 *     answered with its original base offset and not appended.
 *   - A partition whose name is illegal gets INVALID_TOPIC_EXCEPTION; so
 *     does one of an internal topic (__consumer_offsets): only the broker
 *     writes there (Kafka: "Cannot append to internal topic").
 */
#include <stdio.h>
#include <string.h>

#include "broker_int.h"
#include "producer_int.h"

typedef sl_ProduceResponse_PartitionProduceResponse_t resp_part_t;

/* Partitions of a deferred produce waiting for their fsync. */
typedef struct produce_wait {
    const sl_partition_t *part;
    resp_part_t *pr;
} produce_wait_t;

typedef struct produce_ctx {
    sl_ProduceResponse_t resp;
    produce_wait_t *waits;
    size_t nwaits;
    bool acks0;
    bool appended;  /* something was appended (for the test hook) */
} produce_ctx_t;

/* Maps a records.h error to what Kafka puts on the wire for it. */
static int16_t wire_error(sl_err_t err)
{
    switch (err) {
    case SL_ERR_TRUNCATED:
    case SL_ERR_PARSE:
    case SL_ERR_CRC:
    case SL_ERR_COMPRESSION:
    case SL_ERR_CORRUPT_MESSAGE:
        return SL_ERR_CORRUPT_MESSAGE;
    case SL_ERR_TOO_LARGE:
        return SL_ERR_MESSAGE_TOO_LARGE;
    case SL_ERR_NOMEM:
        return SL_ERR_UNKNOWN_SERVER_ERROR;
    default:
        return sl_err_wire(err);
    }
}

int16_t sl_broker_produce_check(int16_t version, const uint8_t *records, int32_t len, const sl_topic_config_t *tcfg,
                                sl_buf_t *scratch, int32_t *nrecords, char *msg, size_t msglen)
{
    *nrecords = 0;
    if (msglen)
        msg[0] = '\0';
    if (version < 3) {
        snprintf(msg, msglen, "Produce v%d carries magic 0/1 message sets, which this broker does not store", version);
        return SL_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT;
    }
    if (!records || len <= 0) {
        snprintf(msg, msglen, "Produce requests with version %d must have at least one record batch per partition",
                 version);
        return SL_ERR_INVALID_RECORD;
    }
    sl_batch_iter_t it;
    sl_batch_t batch;
    sl_batch_iter_init(&it, records, (size_t)len);
    sl_err_t err = sl_batch_iter_next(&it, &batch);
    if (err == SL_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT) {
        snprintf(msg, msglen, "Produce requests with version %d are only allowed to contain record batches with "
                              "magic version 2", version);
        return SL_ERR_INVALID_RECORD;
    }
    if (err != SL_OK) {
        snprintf(msg, msglen, "%s", it.errmsg[0] ? it.errmsg : "the records are not a whole record batch");
        return SL_ERR_CORRUPT_MESSAGE;
    }
    if (sl_batch_compression(&batch) == SL_COMPRESSION_ZSTD && version < 7) {
        snprintf(msg, msglen, "Produce requests with version %d are not allowed to use ZStandard compression",
                 version);
        return SL_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    sl_batch_t next;
    if (sl_batch_iter_next(&it, &next) != SL_ERR_NOENT) {
        snprintf(msg, msglen, "Produce requests with version %d are only allowed to contain exactly one record "
                              "batch per partition", version);
        return SL_ERR_INVALID_RECORD;
    }
    if (sl_batch_is_transactional(&batch) && batch.producer_id < 0) {
        snprintf(msg, msglen, "A transactional record batch must carry a producer id");
        return SL_ERR_INVALID_RECORD;
    }
    if (batch.size > (size_t)tcfg->max_message_bytes) {
        snprintf(msg, msglen, "The record batch of %zu bytes is larger than max.message.bytes (%d)", batch.size,
                 tcfg->max_message_bytes);
        return SL_ERR_MESSAGE_TOO_LARGE;
    }
    if ((int64_t)len > tcfg->segment_bytes) {
        snprintf(msg, msglen, "The records (%d bytes) are larger than segment.bytes (%lld)", len,
                 (long long)tcfg->segment_bytes);
        return SL_ERR_RECORD_LIST_TOO_LARGE;
    }
    /* A compressed batch may expand: bounded, so a bomb fails here. */
    size_t max_out = SL_MAX((size_t)64 << 20, 2 * (size_t)tcfg->max_message_bytes);
    err = sl_batch_validate(&batch, SL_BATCH_VALIDATE_STRICT, scratch, max_out, msg, msglen);
    if (err != SL_OK)
        return wire_error(err);
    if (tcfg->compact) {
        /* Kafka: a compacted topic keeps records by key, so each needs one. */
        sl_record_iter_t rit;
        sl_record_t rec;
        err = sl_record_iter_init(&rit, &batch, scratch, max_out);
        while (err == SL_OK && (err = sl_record_iter_next(&rit, &rec)) == SL_OK) {
            if (!rec.key) {
                snprintf(msg, msglen, "Compacted topic cannot accept message without key");
                return SL_ERR_INVALID_RECORD;
            }
        }
        if (err != SL_ERR_NOENT)
            return wire_error(err);
    }
    *nrecords = batch.record_count;
    return 0;
}

/* The producer fields of a validated batch's header. */
typedef struct producer_hdr {
    int64_t producer_id;
    int16_t epoch;
    int32_t first_seq;
    int32_t last_offset_delta;
    int64_t max_timestamp;             /* CreateTime: the producer's clock */
    bool transactional;
} producer_hdr_t;

static void producer_hdr_read(const uint8_t *data, int32_t len, producer_hdr_t *h)
{
    sl_rd_t rd;
    sl_rd_init(&rd, data, (size_t)len);
    sl_rd_skip(&rd, SL_BATCH_OFF_ATTRIBUTES);
    h->transactional = (sl_rd_i16(&rd) & SL_BATCH_ATTR_TRANSACTIONAL) != 0;
    h->last_offset_delta = sl_rd_i32(&rd);
    sl_rd_skip(&rd, 8); /* base timestamp */
    h->max_timestamp = sl_rd_i64(&rd);
    h->producer_id = sl_rd_i64(&rd);
    h->epoch = sl_rd_i16(&rd);
    h->first_seq = sl_rd_i32(&rd);
    if (rd.err != SL_OK)
        h->producer_id = -1; /* cannot happen: the batch was validated */
}

/* The sequence check of an idempotent batch, part->mu held: 0 (append, or
 * *dup with the original batch in *orig) or a Kafka error code. *stp gets
 * the partition's producer state, rebuilt from the log on first use. */
static int16_t producer_check(sl_partition_t *part, const producer_hdr_t *h, sl_producer_state_t **stp, bool *dup,
                              sl_producer_batch_t *orig, char *msg, size_t msglen)
{
    sl_producer_state_t *st;
    sl_err_t err = sl_producer_state_ensure(part, &st);
    if (err != SL_OK) {
        snprintf(msg, msglen, err == SL_ERR_NOMEM ? "no memory for the producer state"
                                                  : "the producer state could not be read from the log");
        return err == SL_ERR_NOMEM ? SL_ERR_UNKNOWN_SERVER_ERROR : SL_ERR_KAFKA_STORAGE_ERROR;
    }
    *stp = st;
    int16_t code = sl_producer_state_check(st, h->producer_id, h->epoch, h->first_seq, h->last_offset_delta, dup,
                                           orig, msg, msglen);
    const sl_producer_entry_t *e = sl_producer_state_find(st, h->producer_id);
    if (code == 0 && !*dup && !h->transactional && e && e->txn_first_offset >= 0) {
        /* Kafka 3.4's ProducerAppendInfo: no plain write inside a transaction. */
        snprintf(msg, msglen, "Expected transactional write from producer %lld at offset %lld",
                 (long long)h->producer_id, (long long)sl_log_end_offset(part->log));
        return SL_ERR_INVALID_TXN_STATE;
    }
    return code;
}

/* Appends one validated batch, unless it is an idempotent producer's
 * duplicate or out of sequence. Fills pr (and msg on refusal); true when an
 * fsync must come before the ack (the partition is then marked dirty on
 * this worker). *appended is set when the batch went into the log. */
static bool append(sl_broker_req_t *req, sl_partition_t *part, uint8_t *data, int32_t len, resp_part_t *pr,
                   bool *appended, char *msg, size_t msglen)
{
    bool flush = false;
    sl_log_append_info_t info;
    producer_hdr_t ph;
    producer_hdr_read(data, len, &ph);
    sl_producer_state_t *st = NULL;
    bool dup = false;
    sl_producer_batch_t orig;
    sl_partition_lock(part);
    if (!part->log) {
        pr->ErrorCode = part->offline ? SL_ERR_KAFKA_STORAGE_ERROR : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if (ph.producer_id >= 0 &&
               (pr->ErrorCode = producer_check(part, &ph, &st, &dup, &orig, msg, msglen)) != 0) {
        /* refused: pr->ErrorCode and msg say why */
    } else if (dup) {
        /* Kafka 3.4: a success carrying the original batch's offset. */
        pr->BaseOffset = orig.first_offset;
        pr->LogAppendTimeMs = -1;
        pr->LogStartOffset = sl_log_start_offset(part->log);
        flush = sl_log_unflushed_messages(part->log) >= part->cfg.flush_messages;
        SL_DEBUG(SL_BROKER_LOG, "%s-%d: duplicate batch of producer %lld (epoch %d, sequence %d) at offset %lld",
                 part->topic->name, part->index, (long long)ph.producer_id, ph.epoch, ph.first_seq,
                 (long long)orig.first_offset);
    } else {
        sl_err_t err = sl_log_append(part->log, data, (size_t)len, 0, sl_time_wall_ms(), &info);
        if (err == SL_OK) {
            *appended = true;
            /* The producer's last timestamp is the batch's max timestamp, as
             * Kafka keeps it (and as the rebuild from the log reads it). */
            int64_t ts = info.log_append_time >= 0 ? info.log_append_time : ph.max_timestamp;
            if (st && sl_producer_state_update_at(st, ph.producer_id, ph.epoch, ph.first_seq, ph.last_offset_delta,
                                                  info.base_offset, info.last_offset, ts) != SL_OK)
                st->loaded = false; /* no memory: rebuild from the log next time */
            else if (st && ph.transactional)
                sl_producer_state_txn_begin(st, ph.producer_id, info.base_offset);
            pr->BaseOffset = info.base_offset;
            pr->LogAppendTimeMs = info.log_append_time;
            pr->LogStartOffset = sl_log_start_offset(part->log);
            sl_partition_wake_waiters_locked(part);
            flush = sl_log_unflushed_messages(part->log) >= part->cfg.flush_messages;
        } else if (err == SL_ERR_CORRUPT_MESSAGE) {
            pr->ErrorCode = SL_ERR_CORRUPT_MESSAGE;
        } else {
            SL_ERROR(SL_BROKER_LOG, "append to %s-%d failed: %s", part->topic->name, part->index,
                     sl_log_errmsg(part->log));
            pr->ErrorCode = SL_ERR_KAFKA_STORAGE_ERROR;
        }
    }
    sl_partition_unlock(part);
    if (flush && sl_broker_worker_mark_dirty(req->worker, part) != SL_OK) {
        /* Without memory to group it, flush here. */
        sl_partition_lock(part);
        if (part->log && sl_log_flush(part->log, sl_time_wall_ms()) != SL_OK)
            pr->ErrorCode = SL_ERR_KAFKA_STORAGE_ERROR;
        sl_partition_unlock(part);
        flush = false;
    }
    return flush;
}

static bool any_error(const sl_ProduceResponse_t *resp)
{
    for (int32_t i = 0; i < resp->Responses.count; i++) {
        const sl_ProduceResponse_TopicProduceResponse_t *tr = &resp->Responses.items[i];
        for (int32_t j = 0; j < tr->PartitionResponses.count; j++)
            if (tr->PartitionResponses.items[j].ErrorCode)
                return true;
    }
    return false;
}

/* Sends the answer: none for acks=0, except that Kafka closes the
 * connection when an acks=0 produce failed, so the producer notices. */
static void answer(sl_broker_req_t *req, produce_ctx_t *ctx)
{
    if (ctx->appended && !ctx->acks0 && sl_producer_test_drop_now())
        sl_broker_req_close(req, "test hook SLUICE_TEST_DROP_AFTER_APPEND: produce appended, answer dropped");
    else if (!ctx->acks0)
        sl_broker_req_reply(req, &ctx->resp);
    else if (any_error(&ctx->resp))
        sl_broker_req_close(req, "an acks=0 produce failed");
    else
        sl_broker_req_finish(req);
}

static void produce_flushed(sl_broker_req_t *req)
{
    produce_ctx_t *ctx = req->ctx;
    for (size_t i = 0; i < ctx->nwaits; i++) {
        if (sl_broker_worker_flush_error(req->worker, ctx->waits[i].part) != SL_OK) {
            ctx->waits[i].pr->ErrorCode = SL_ERR_KAFKA_STORAGE_ERROR;
            ctx->waits[i].pr->BaseOffset = -1;
        }
    }
    answer(req, ctx);
}

static void produce_cancel(sl_broker_req_t *req)
{
    SL_UNUSED(req); /* everything lives in the arena; the worker unlinks it */
}

void sl_broker_handle_produce(sl_broker_req_t *req)
{
    sl_broker_t *broker = req->broker;
    sl_ProduceRequest_t *preq = req->body;
    int16_t version = req->hdr.api_version;
    sl_arena_t *arena = &req->arena;
    produce_ctx_t *ctx = sl_arena_zalloc(arena, sizeof *ctx);
    if (!ctx)
        goto nomem;
    sl_ProduceResponse_init(&ctx->resp);
    ctx->acks0 = preq->Acks == 0;
    bool acks_ok = preq->Acks == 0 || preq->Acks == 1 || preq->Acks == -1;
    int32_t nt = SL_MAX(preq->TopicData.count, 0);
    size_t nparts = 0;
    for (int32_t i = 0; i < nt; i++)
        nparts += (size_t)SL_MAX(preq->TopicData.items[i].PartitionData.count, 0);
    ctx->resp.Responses.items = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *ctx->resp.Responses.items);
    ctx->waits = sl_arena_calloc(arena, nparts + 1, sizeof *ctx->waits);
    if (!ctx->resp.Responses.items || !ctx->waits)
        goto nomem;
    ctx->resp.Responses.count = nt;
    sl_buf_t *scratch = sl_broker_worker_scratch(req->worker);

    for (int32_t i = 0; i < nt; i++) {
        sl_ProduceRequest_TopicProduceData_t *td = &preq->TopicData.items[i];
        sl_ProduceResponse_TopicProduceResponse_t *tr = &ctx->resp.Responses.items[i];
        sl_ProduceResponse_TopicProduceResponse_init(tr);
        tr->Name = td->Name;
        int32_t np = SL_MAX(td->PartitionData.count, 0);
        tr->PartitionResponses.items = sl_arena_calloc(arena, (size_t)np + 1, sizeof *tr->PartitionResponses.items);
        if (!tr->PartitionResponses.items)
            goto nomem;
        tr->PartitionResponses.count = np;
        size_t name_len = (size_t)SL_MAX(td->Name.len, 0);
        char why[256];
        bool name_ok = sl_topic_name_check(td->Name.ptr ? td->Name.ptr : "", name_len, why, sizeof why) == SL_OK;
        sl_topic_t *topic = name_ok ? sl_broker_topic_get(broker, td->Name.ptr, name_len) : NULL;
        for (int32_t j = 0; j < np; j++) {
            sl_ProduceRequest_PartitionProduceData_t *pd = &td->PartitionData.items[j];
            resp_part_t *pr = &tr->PartitionResponses.items[j];
            sl_ProduceResponse_PartitionProduceResponse_init(pr);
            pr->Index = pd->Index;
            pr->BaseOffset = -1;
            char msg[200] = "";
            sl_partition_t *part = topic ? sl_topic_partition(broker, topic, pd->Index) : NULL;
            if (!acks_ok) {
                pr->ErrorCode = SL_ERR_INVALID_REQUIRED_ACKS;
            } else if (!name_ok || sl_topic_is_internal(td->Name.ptr, name_len)) {
                pr->ErrorCode = SL_ERR_INVALID_TOPIC_EXCEPTION;
            } else if (!part) {
                pr->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else {
                sl_topic_config_t tcfg;
                sl_partition_lock(part);
                tcfg = part->cfg;
                sl_partition_unlock(part);
                int32_t nrecords;
                pr->ErrorCode = sl_broker_produce_check(version, pd->Records.ptr, pd->Records.len, &tcfg, scratch,
                                                        &nrecords, msg, sizeof msg);
                if (pr->ErrorCode == 0 && preq->Acks == -1 && tcfg.min_insync_replicas > 1) {
                    snprintf(msg, sizeof msg, "min.insync.replicas is %d but this single broker is the only replica",
                             tcfg.min_insync_replicas);
                    pr->ErrorCode = SL_ERR_NOT_ENOUGH_REPLICAS;
                }
                /* The request owns its frame: the batch is patched in place. */
                if (pr->ErrorCode == 0 &&
                    append(req, part, (uint8_t *)pd->Records.ptr, pd->Records.len, pr, &ctx->appended, msg,
                           sizeof msg)) {
                    ctx->waits[ctx->nwaits].part = part;
                    ctx->waits[ctx->nwaits].pr = pr;
                    ctx->nwaits++;
                }
            }
            if (pr->ErrorCode) {
                pr->BaseOffset = -1;
                if (msg[0]) {
                    pr->ErrorMessage = sl_kstr(sl_arena_strndup(arena, msg, strlen(msg)));
                    SL_DEBUG(SL_BROKER_LOG, "produce to %.*s-%d refused: %s: %s", (int)SL_MIN(name_len, 249),
                             td->Name.ptr, pd->Index, sl_err_name(pr->ErrorCode), msg);
                }
            }
        }
        sl_topic_unref(topic);
    }
    if (scratch->cap > SL_BROKER_KEEP_BUF_MAX)
        sl_buf_free(scratch);

    if (ctx->nwaits > 0) {
        sl_broker_req_defer(req, produce_cancel, NULL, ctx);
        sl_broker_worker_flush_wait(req->worker, req, produce_flushed);
        return;
    }
    req->ctx = ctx;
    answer(req, ctx);
    return;
nomem:
    sl_broker_req_close(req, "no memory for the Produce response (arena limit)");
}
