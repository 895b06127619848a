/*
 * fetch.c - Fetch (v4-v12): reads each partition through the log, within
 * Kafka's byte limits (KIP-74), and long-polls: a fetch that has fewer than
 * MinBytes waits, without blocking anything else, until an append to one of
 * its partitions wakes it or MaxWaitMs passes.
 *
 * Phases of one evaluation (fetch_eval), run when the request arrives, on
 * every wake-up and at the timeout:
 *   1. per partition, under part->mu: check the offset against the log's
 *      start and end, take a slice of whole batches (sl_log_read) within the
 *      budget and, when the fetch may still wait, link a waiter into the
 *      partition so the next append wakes this request (no append can slip
 *      between the read and the registration);
 *   2. outside the lock: pread the slice into the response buffer;
 *   3. answer when there is an error, enough bytes, no time to wait or the
 *      broker is stopping; otherwise stay deferred (timer armed once).
 *
 * Fetch sessions (KIP-227): this broker creates none. SessionEpoch -1 (no
 * session) and 0 (asks for one) get a full answer with SessionId 0, which
 * tells the client no session was created, so it keeps sending full fetches.
 * An incremental fetch (epoch > 0) names a session that cannot exist:
 * FETCH_SESSION_ID_NOT_FOUND, as Kafka answers for an evicted session.
 *
 * The high watermark is the log end offset (one replica); the last stable
 * offset is the partition's (txn_int.h: the first offset of its oldest
 * open transaction, else the log end), reported at both isolation levels.
 * IsolationLevel 1 (read_committed) reads only batches below it (the read
 * stops at a batch boundary, so file slices stay zero-copy) and lists the
 * aborted transactions overlapping the returned offsets (Kafka's
 * collectAbortedTransactions, from the log's in-memory .txnindex); a
 * long-poll is woken by markers too (they are appends). read_uncommitted
 * reads up to the high watermark and gets a null list.
 *
 * Record bytes: a partition's slice of at least SL_BROKER_SENDFILE_MIN bytes
 * goes from its segment file to the socket with sendfile (the frame is
 * written by fetch_wire.c with a hole there), for at most
 * SL_BROKER_FETCH_MAX_FILES partitions per response, which bounds the
 * descriptors one response holds; smaller or further slices are copied in
 * with pread.
 */
#include <string.h>
#include <unistd.h>

#include "broker_int.h"
#include "txn_int.h"

typedef sl_FetchResponse_PartitionData_t resp_part_t;

typedef struct fetch_part {
    sl_partition_t *part;            /* NULL: unknown topic or partition */
    sl_broker_waiter_t waiter;       /* linked in part->waiters while waiting */
    size_t data_off;                 /* its records in the worker's records buffer */
    int32_t data_len;                /* bytes of records (in the buffer or the slice) */
    sl_log_slice_t slice;            /* fd >= 0: sent from the file, not copied */
} fetch_part_t;

typedef struct fetch_ctx {
    sl_FetchResponse_t resp;
    sl_topic_t **topics;             /* [ntopics] references (NULL: unknown) */
    int32_t ntopics;
    fetch_part_t **parts;            /* per topic, per partition */
    sl_timer_id_t timer;
    int nfiles;                      /* partitions kept as file slices */
} fetch_ctx_t;

void sl_fetch_budget_init(sl_fetch_budget_t *budget, int32_t max_bytes)
{
    budget->left = SL_MAX(0, SL_MIN(max_bytes, SL_BROKER_FETCH_MAX_BYTES));
    budget->min_one = true;
}

int32_t sl_fetch_budget_part(const sl_fetch_budget_t *budget, int32_t partition_max_bytes, bool *min_one)
{
    *min_one = budget->min_one;
    return SL_MAX(0, SL_MIN(partition_max_bytes, budget->left));
}

void sl_fetch_budget_take(sl_fetch_budget_t *budget, int32_t got)
{
    if (got > 0)
        budget->min_one = false; /* only the first partition with data may exceed the limits */
    budget->left = SL_MAX(0, budget->left - SL_MAX(got, 0));
}

static void unlink_waiters(fetch_ctx_t *ctx)
{
    for (int32_t i = 0; i < ctx->ntopics; i++) {
        const sl_FetchResponse_FetchableTopicResponse_t *rt = &ctx->resp.Responses.items[i];
        for (int32_t j = 0; j < rt->Partitions.count; j++) {
            fetch_part_t *fp = &ctx->parts[i][j];
            if (!fp->part)
                continue;
            sl_partition_lock(fp->part);
            sl_list_remove(&fp->waiter.node);
            sl_partition_unlock(fp->part);
        }
    }
}

/* Drops what the request holds outside its arena, except the records. */
/* Closes the file slices kept by the last evaluation. */
static void drop_slices(fetch_ctx_t *ctx)
{
    for (int32_t i = 0; ctx->nfiles > 0 && i < ctx->ntopics; i++) {
        const sl_FetchResponse_FetchableTopicResponse_t *rt = &ctx->resp.Responses.items[i];
        for (int32_t j = 0; j < rt->Partitions.count; j++)
            sl_log_slice_release(&ctx->parts[i][j].slice);
    }
    ctx->nfiles = 0;
}

static void release(sl_broker_req_t *req, fetch_ctx_t *ctx)
{
    if (ctx->timer) {
        sl_loop_timer_cancel(sl_broker_worker_loop(req->worker), ctx->timer);
        ctx->timer = 0;
    }
    drop_slices(ctx);
    unlink_waiters(ctx);
    for (int32_t i = 0; i < ctx->ntopics; i++)
        sl_topic_unref(ctx->topics[i]);
    ctx->ntopics = 0;
}

/* read_committed: the aborted transactions overlapping [from, upto) into
 * pr (request arena). part->mu held. SL_OK or SL_ERR_NOMEM. */
static sl_err_t aborted_list(sl_broker_req_t *req, const sl_log_t *log, int64_t from, int64_t upto,
                             resp_part_t *pr)
{
    size_t cap = 16, n;
    for (;;) {
        sl_log_txn_aborted_t *a = sl_arena_alloc(&req->arena, cap * sizeof *a);
        if (!a)
            return SL_ERR_NOMEM;
        if (sl_log_txn_aborted(log, from, upto, a, cap, &n)) {
            cap *= 4; /* more overlapped: the next try has room (bounded by the log's list) */
            continue;
        }
        pr->AbortedTransactions.count = 0;
        if (n == 0)
            return SL_OK;
        pr->AbortedTransactions.items = sl_arena_calloc(&req->arena, n, sizeof *pr->AbortedTransactions.items);
        if (!pr->AbortedTransactions.items)
            return SL_ERR_NOMEM;
        for (size_t k = 0; k < n; k++) {
            pr->AbortedTransactions.items[k].ProducerId = a[k].producer_id;
            pr->AbortedTransactions.items[k].FirstOffset = a[k].first_offset;
        }
        pr->AbortedTransactions.count = (int32_t)n;
        return SL_OK;
    }
}

/* Reads one partition into pr and data (the worker's records buffer). Returns false when the
 * partition has an error (the fetch then answers at once). */
static bool read_partition(sl_broker_req_t *req, fetch_ctx_t *ctx, sl_buf_t *data,
                           const sl_FetchRequest_FetchPartition_t *fpreq,
                           fetch_part_t *fp, resp_part_t *pr, sl_fetch_budget_t *budget, bool may_wait,
                           bool committed)
{
    sl_partition_t *part = fp->part;
    pr->HighWatermark = pr->LastStableOffset = pr->LogStartOffset = -1;
    fp->data_len = 0;
    if (!part) {
        pr->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return false;
    }
    if (fpreq->CurrentLeaderEpoch > 0) { /* we are at leader epoch 0 forever */
        pr->ErrorCode = SL_ERR_UNKNOWN_LEADER_EPOCH;
        return false;
    }
    bool min_one;
    int32_t max = sl_fetch_budget_part(budget, fpreq->PartitionMaxBytes, &min_one);
    sl_log_slice_t slice = {.fd = -1};
    sl_err_t err = SL_OK;
    sl_partition_lock(part);
    if (!part->log) {
        pr->ErrorCode = part->offline ? SL_ERR_KAFKA_STORAGE_ERROR : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        sl_partition_unlock(part);
        return false;
    }
    int64_t end = sl_log_end_offset(part->log), start = sl_log_start_offset(part->log);
    int64_t lso = sl_txn_partition_lso_locked(part);
    pr->HighWatermark = end;
    pr->LastStableOffset = lso;
    pr->LogStartOffset = start;
    if (fpreq->FetchOffset < start || fpreq->FetchOffset > end) {
        pr->ErrorCode = SL_ERR_OFFSET_OUT_OF_RANGE;
        sl_partition_unlock(part);
        return false;
    }
    int64_t upto = committed ? lso : end;
    if (fpreq->FetchOffset < upto && (max > 0 || min_one))
        err = sl_log_read_upto(part->log, fpreq->FetchOffset, max, min_one, upto, &slice);
    if (err == SL_OK && committed && slice.len > 0)
        err = aborted_list(req, part->log, fpreq->FetchOffset, slice.end_offset, pr);
    if (err == SL_OK && may_wait) {
        fp->waiter.worker = req->worker;
        fp->waiter.req_id = req->id;
        sl_list_remove(&fp->waiter.node);
        sl_list_insert_tail(&part->waiters, &fp->waiter.node);
    }
    if (err != SL_OK && err != SL_ERR_OFFSET_OUT_OF_RANGE)
        SL_ERROR(SL_BROKER_LOG, "fetch from %s-%d at %lld failed: %s", part->topic->name, part->index,
                 (long long)fpreq->FetchOffset, sl_log_errmsg(part->log));
    sl_partition_unlock(part);

    if (err == SL_OK && slice.len >= SL_BROKER_SENDFILE_MIN && ctx->nfiles < SL_BROKER_FETCH_MAX_FILES) {
        fp->slice = slice; /* the descriptor now belongs to fp */
        slice.fd = -1;
        fp->data_len = fp->slice.len;
        ctx->nfiles++;
        sl_fetch_budget_take(budget, fp->data_len);
    } else if (err == SL_OK && slice.len > 0) {
        size_t before = data->len;
        err = sl_log_slice_read(&slice, data);
        if (err == SL_OK) {
            fp->data_off = before;
            fp->data_len = (int32_t)(data->len - before);
            sl_fetch_budget_take(budget, fp->data_len);
        } else {
            data->len = before;
            SL_ERROR(SL_BROKER_LOG, "fetch from %s-%d: reading the segment failed: %s", part->topic->name,
                     part->index, sl_err_name(err));
        }
    }
    sl_log_slice_release(&slice);
    if (err == SL_ERR_OFFSET_OUT_OF_RANGE) { /* retention moved the start meanwhile */
        pr->ErrorCode = SL_ERR_OFFSET_OUT_OF_RANGE;
        return false;
    }
    if (err != SL_OK) {
        pr->ErrorCode = err == SL_ERR_NOMEM ? SL_ERR_UNKNOWN_SERVER_ERROR : SL_ERR_KAFKA_STORAGE_ERROR;
        return false;
    }
    return true;
}

static void answer(sl_broker_req_t *req, fetch_ctx_t *ctx, sl_buf_t *data);

/* One evaluation (see the top). Returns true when the request was answered. */
static bool fetch_eval(sl_broker_req_t *req, fetch_ctx_t *ctx, bool may_wait)
{
    const sl_FetchRequest_t *freq = req->body;
    if (atomic_load(&req->broker->stopping))
        may_wait = false;
    sl_fetch_budget_t budget;
    sl_fetch_budget_init(&budget, freq->MaxBytes);
    /* The records are copied into the reply before this returns, so one
     * buffer per network thread serves every fetch, and keeps its pages. */
    sl_buf_t *data = sl_broker_worker_records(req->worker);
    sl_buf_reset(data);
    bool error = false;
    size_t total = 0;
    for (int32_t i = 0; i < ctx->ntopics; i++) {
        const sl_FetchRequest_FetchTopic_t *ft = &freq->Topics.items[i];
        sl_FetchResponse_FetchableTopicResponse_t *rt = &ctx->resp.Responses.items[i];
        for (int32_t j = 0; j < rt->Partitions.count; j++) {
            resp_part_t *pr = &rt->Partitions.items[j];
            fetch_part_t *fp = &ctx->parts[i][j];
            pr->ErrorCode = 0;
            if (freq->IsolationLevel == 1)
                pr->AbortedTransactions.count = 0;
            if (!read_partition(req, ctx, data, &ft->Partitions.items[j], fp, pr, &budget, may_wait,
                                freq->IsolationLevel == 1))
                error = true;
            total += (size_t)fp->data_len;
        }
    }
    if (sl_buf_err(data) != SL_OK) {
        release(req, ctx);
        sl_buf_free(data);
        sl_broker_req_close(req, "no memory for the Fetch response");
        return true;
    }
    if (may_wait && !error && total < (size_t)SL_MAX(freq->MinBytes, 0)) {
        drop_slices(ctx); /* read again when woken */
        return false;
    }
    answer(req, ctx, data);
    return true;
}

/* Sends the response: the frame written by fetch_wire.c with the kept
 * slices spliced in as file ranges. */
static void answer(sl_broker_req_t *req, fetch_ctx_t *ctx, sl_buf_t *data)
{
    sl_broker_file_part_t files[SL_BROKER_FETCH_MAX_FILES];
    size_t holes[SL_BROKER_FETCH_MAX_FILES];
    size_t nfiles = 0, nholes = 0;
    for (int32_t i = 0; i < ctx->ntopics; i++) {
        sl_FetchResponse_FetchableTopicResponse_t *rt = &ctx->resp.Responses.items[i];
        for (int32_t j = 0; j < rt->Partitions.count; j++) {
            fetch_part_t *fp = &ctx->parts[i][j];
            sl_kbytes_t *records = &rt->Partitions.items[j].Records;
            records->len = fp->data_len;
            records->ptr = NULL; /* NULL with a length: a hole for a file */
            if (fp->slice.fd >= 0) {
                files[nfiles].fd = fp->slice.fd;
                files[nfiles].pos = fp->slice.pos;
                files[nfiles].len = (size_t)fp->slice.len;
                fp->slice.fd = -1; /* given to the reply */
                nfiles++;
            } else if (fp->data_len > 0) {
                records->ptr = data->data + fp->data_off;
            }
        }
    }
    ctx->nfiles = 0;
    sl_buf_t *out = sl_broker_worker_frame(req->worker);
    sl_buf_reset(out);
    sl_err_t err = sl_broker_fetch_encode(out, req->hdr.api_version, req->hdr.correlation_id, &ctx->resp, holes,
                                          &nholes);
    if (err == SL_OK && nholes != nfiles)
        err = SL_ERR_STATE;
    for (size_t k = 0; k < nfiles; k++)
        files[k].at = holes[k];
    release(req, ctx);
    if (err != SL_OK) {
        for (size_t k = 0; k < nfiles; k++)
            close(files[k].fd);
        sl_broker_req_close(req, "cannot encode the Fetch v%d response: %s", req->hdr.api_version,
                            sl_err_name(err));
    } else {
        /* Frees a deferred request, ctx with it. */
        sl_broker_req_reply_frame(req, out->data, out->len, files, nfiles);
    }
    if (data->cap > SL_BROKER_KEEP_BUF_MAX)
        sl_buf_free(data);
    if (out->cap > SL_BROKER_KEEP_BUF_MAX)
        sl_buf_free(out);
}

static void fetch_wake(sl_broker_req_t *req)
{
    fetch_eval(req, req->ctx, true);
}

static void fetch_timeout(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    sl_broker_req_t *req = arg;
    fetch_ctx_t *ctx = req->ctx;
    SL_UNUSED(loop);
    SL_UNUSED(id);
    ctx->timer = 0;
    fetch_eval(req, ctx, false);
}

static void fetch_cancel(sl_broker_req_t *req)
{
    release(req, req->ctx);
}

void sl_broker_handle_fetch(sl_broker_req_t *req)
{
    sl_broker_t *broker = req->broker;
    const sl_FetchRequest_t *freq = req->body;
    sl_arena_t *arena = &req->arena;
    fetch_ctx_t *ctx = sl_arena_zalloc(arena, sizeof *ctx);
    if (!ctx)
        goto nomem;
    sl_FetchResponse_init(&ctx->resp);
    ctx->resp.SessionId = 0;
    if (freq->SessionEpoch > 0) {
        ctx->resp.ErrorCode = SL_ERR_FETCH_SESSION_ID_NOT_FOUND;
        sl_broker_req_reply(req, &ctx->resp);
        return;
    }
    int32_t nt = SL_MAX(freq->Topics.count, 0);
    ctx->resp.Responses.items = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *ctx->resp.Responses.items);
    ctx->topics = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *ctx->topics);
    ctx->parts = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *ctx->parts);
    if (!ctx->resp.Responses.items || !ctx->topics || !ctx->parts)
        goto nomem;
    ctx->resp.Responses.count = nt;
    req->ctx = ctx;
    for (int32_t i = 0; i < nt; i++) {
        const sl_FetchRequest_FetchTopic_t *ft = &freq->Topics.items[i];
        sl_FetchResponse_FetchableTopicResponse_t *rt = &ctx->resp.Responses.items[i];
        sl_FetchResponse_FetchableTopicResponse_init(rt);
        rt->Topic = ft->Topic;
        int32_t np = SL_MAX(ft->Partitions.count, 0);
        rt->Partitions.items = sl_arena_calloc(arena, (size_t)np + 1, sizeof *rt->Partitions.items);
        ctx->parts[i] = sl_arena_calloc(arena, (size_t)np + 1, sizeof *ctx->parts[i]);
        if (!rt->Partitions.items || !ctx->parts[i]) {
            release(req, ctx);
            goto nomem;
        }
        rt->Partitions.count = np;
        sl_topic_t *topic = ft->Topic.len > 0 ? sl_broker_topic_get(broker, ft->Topic.ptr, (size_t)ft->Topic.len)
                                              : NULL;
        ctx->topics[i] = topic;
        ctx->ntopics = i + 1;
        for (int32_t j = 0; j < np; j++) {
            resp_part_t *pr = &rt->Partitions.items[j];
            fetch_part_t *fp = &ctx->parts[i][j];
            sl_FetchResponse_PartitionData_init(pr);
            pr->PartitionIndex = ft->Partitions.items[j].Partition;
            /* read_committed gets a list of aborted transactions (maybe
             * empty), read_uncommitted none, as Kafka sends them. */
            pr->AbortedTransactions.count = freq->IsolationLevel == 1 ? 0 : -1;
            sl_list_init(&fp->waiter.node);
            fp->slice.fd = -1;
            fp->part = topic ? sl_topic_partition(broker, topic, pr->PartitionIndex) : NULL;
        }
    }

    if (fetch_eval(req, ctx, freq->MaxWaitMs > 0))
        return;
    sl_broker_req_defer(req, fetch_cancel, fetch_wake, ctx);
    int64_t wait = SL_MIN(freq->MaxWaitMs, SL_BROKER_FETCH_MAX_WAIT_MS);
    if (sl_loop_timer_add(sl_broker_worker_loop(req->worker), wait, false, fetch_timeout, req, &ctx->timer) !=
        SL_OK)
        fetch_eval(req, ctx, false); /* cannot wait without a timer: answer now */
    return;
nomem:
    sl_broker_req_close(req, "no memory for the Fetch response (arena limit)");
}
