/*
 * wiretap.c - sluice-wiretap: a Kafka-speaking listener that shows, and can
 * record, every request a real client sends.
 *
 * It answers just enough for producers and consumers to go on talking:
 * ApiVersions, Metadata (every topic asked for exists, with --partitions
 * partitions led by this listener), Produce (batches kept in memory with
 * offsets assigned), ListOffsets and Fetch (served from memory, long-polling
 * up to MaxWaitMs). Everything else is printed and the connection closed. It
 * keeps nothing on disk except, with --record DIR, each request frame as
 * received: that is how the golden bytes in tests/unit/proto/data/ were taken.
 * It is a protocol inspection tool, not a broker.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "net.h"
#include "wiretap_int.h"

#define WT_MAX_WAIT_MS 1000 /* longest Fetch long-poll we hold */

typedef struct wt_part {
    sl_buf_t log;         /* batches with offsets assigned, back to back */
    int64_t next_offset;  /* high watermark */
} wt_part_t;

typedef struct wt_topic {
    char *name;
    sl_uuid_t id;
    int32_t nparts;
    wt_part_t *parts;
} wt_topic_t;

typedef struct wt {
    sl_loop_t *loop;
    sl_listener_t *lst;
    sl_map_t topics;          /* name -> wt_topic_t */
    const char *record_dir;   /* NULL: do not record */
    uint64_t seq;             /* requests seen, for record file names */
    int32_t nparts;           /* partitions of a new topic */
    const char *host;
    uint16_t port;
    bool quiet;
} wt_t;

typedef struct wt_conn {
    wt_t *wt;
    sl_conn_t *conn;
    sl_buf_t held;            /* a Fetch frame waiting for data or its timer */
    sl_timer_id_t timer;
} wt_conn_t;

/* The APIs answered, with Kafka 3.4's full version ranges. Produce must be
 * advertised from v0 even though only record batches v2 (Produce v3+) are
 * accepted: librdkafka up to 2.11 checks gzip, snappy and lz4 support by asking
 * whether the broker takes Produce v0, and lz4 by asking whether it takes
 * FindCoordinator, and silently sends uncompressed batches otherwise. Older
 * message formats get an error per partition; FindCoordinator is answered
 * COORDINATOR_NOT_AVAILABLE (there are no groups here). */
static const struct wt_api {
    int16_t key, min, max;
} wt_apis[] = {
    {0, 0, 9},   /* Produce */
    {1, 0, 13},  /* Fetch */
    {2, 0, 7},   /* ListOffsets */
    {3, 0, 12},  /* Metadata */
    {10, 0, 4},  /* FindCoordinator */
    {18, 0, 3},  /* ApiVersions */
};

static volatile sig_atomic_t wt_signalled;

static const struct wt_api *wt_api_find(int16_t key)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(wt_apis); i++)
        if (wt_apis[i].key == key)
            return &wt_apis[i];
    return NULL;
}

static wt_topic_t *wt_topic_get(wt_t *wt, const char *name, size_t len, bool create)
{
    wt_topic_t *t = sl_map_get(&wt->topics, name, len);
    if (t || !create)
        return t;
    t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->name = strndup(name, len);
    t->nparts = wt->nparts;
    t->parts = calloc((size_t)t->nparts, sizeof *t->parts);
    /* A stable topic id derived from the name, so recaptures stay equal. */
    uint64_t h1 = sl_hash_bytes(name, len), h2 = sl_hash_bytes(&h1, sizeof h1);
    memcpy(t->id.b, &h1, 8);
    memcpy(t->id.b + 8, &h2, 8);
    if (!t->name || !t->parts || sl_map_put(&wt->topics, name, len, t, NULL) != SL_OK) {
        free(t->name);
        free(t->parts);
        free(t);
        return NULL;
    }
    return t;
}

static wt_topic_t *wt_topic_by_id(wt_t *wt, const sl_uuid_t *id)
{
    size_t it = 0;
    const void *k;
    size_t kl;
    void *v;
    while (sl_map_next(&wt->topics, &it, &k, &kl, &v)) {
        wt_topic_t *t = v;
        if (memcmp(t->id.b, id->b, 16) == 0)
            return t;
    }
    return NULL;
}

static void wt_topic_free(void *p)
{
    wt_topic_t *t = p;
    for (int32_t i = 0; i < t->nparts; i++)
        sl_buf_free(&t->parts[i].log);
    free(t->parts);
    free(t->name);
    free(t);
}

static void wt_record(wt_t *wt, const sl_request_t *req, const uint8_t *frame, size_t len)
{
    char path[4096];
    const char *api = req->api ? req->api->name : "Unknown";
    snprintf(path, sizeof path, "%s/%04" PRIu64 "-%s-v%d.bin", wt->record_dir, wt->seq, api,
             req->hdr.api_version);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(frame, 1, len, f) != len)
        SL_WARN("wiretap", "cannot record %s: %s", path, strerror(errno));
    if (f)
        fclose(f);
}

static void wt_send(wt_conn_t *wc, const sl_request_t *req, const void *body)
{
    sl_buf_t out = SL_BUF_INIT;
    sl_err_t err = sl_response_encode(&out, req->hdr.api_key, req->hdr.api_version,
                                      req->hdr.correlation_id, body);
    if (err == SL_OK)
        sl_conn_send(wc->conn, out.data, out.len);
    else
        SL_ERROR("wiretap", "cannot encode %s response v%d: %s", req->api->name, req->hdr.api_version,
                 sl_err_name(err));
    sl_buf_free(&out);
}

/* ---- ApiVersions ---------------------------------------------------- */

static void wt_api_versions(wt_conn_t *wc, sl_request_t *req, sl_arena_t *arena, int16_t error)
{
    sl_ApiVersionsResponse_t resp;
    sl_ApiVersionsResponse_init(&resp);
    resp.ErrorCode = error;
    resp.ApiKeys.count = (int32_t)SL_ARRAY_LEN(wt_apis);
    resp.ApiKeys.items = sl_arena_calloc(arena, SL_ARRAY_LEN(wt_apis), sizeof *resp.ApiKeys.items);
    if (!resp.ApiKeys.items)
        return;
    for (size_t i = 0; i < SL_ARRAY_LEN(wt_apis); i++) {
        resp.ApiKeys.items[i].ApiKey = wt_apis[i].key;
        resp.ApiKeys.items[i].MinVersion = wt_apis[i].min;
        resp.ApiKeys.items[i].MaxVersion = wt_apis[i].max;
    }
    wt_send(wc, req, &resp);
}

/* ---- Metadata ------------------------------------------------------- */

static bool wt_metadata_topic(wt_t *wt, sl_arena_t *arena, wt_topic_t *t,
                              sl_MetadataResponse_MetadataResponseTopic_t *rt)
{
    sl_MetadataResponse_MetadataResponseTopic_init(rt);
    rt->Name = sl_kstr(t->name);
    rt->TopicId = t->id;
    rt->Partitions.count = t->nparts;
    rt->Partitions.items = sl_arena_calloc(arena, (size_t)t->nparts, sizeof *rt->Partitions.items);
    int32_t *node = sl_arena_alloc(arena, sizeof *node);
    if (!rt->Partitions.items || !node)
        return false;
    *node = 0;
    for (int32_t p = 0; p < t->nparts; p++) {
        sl_MetadataResponse_MetadataResponsePartition_t *rp = &rt->Partitions.items[p];
        sl_MetadataResponse_MetadataResponsePartition_init(rp);
        rp->PartitionIndex = p;
        rp->LeaderId = 0;
        rp->LeaderEpoch = 0;
        rp->ReplicaNodes.count = rp->IsrNodes.count = 1;
        rp->ReplicaNodes.items = rp->IsrNodes.items = node;
    }
    SL_UNUSED(wt);
    return true;
}

static void wt_metadata(wt_conn_t *wc, sl_request_t *req, sl_arena_t *arena)
{
    wt_t *wt = wc->wt;
    sl_MetadataRequest_t *mreq = req->body;
    sl_MetadataResponse_t resp;
    sl_MetadataResponse_init(&resp);
    sl_MetadataResponse_MetadataResponseBroker_t *broker = sl_arena_zalloc(arena, sizeof *broker);
    if (!broker)
        return;
    sl_MetadataResponse_MetadataResponseBroker_init(broker);
    broker->NodeId = 0;
    broker->Host = sl_kstr(wt->host);
    broker->Port = wt->port;
    resp.Brokers.count = 1;
    resp.Brokers.items = broker;
    resp.ClusterId = sl_kstr("sluice-wiretap");
    resp.ControllerId = 0;

    /* A null list (v1+) or an empty one in v0 asks for every topic. */
    bool all = mreq->Topics.count < 0 || (req->hdr.api_version == 0 && mreq->Topics.count == 0);
    if (!all)
        for (int32_t i = 0; i < mreq->Topics.count; i++) {
            sl_kstr_t name = mreq->Topics.items[i].Name;
            if (name.len > 0)
                wt_topic_get(wt, name.ptr, (size_t)name.len, true);
        }
    size_t n = all ? sl_map_count(&wt->topics) : (size_t)mreq->Topics.count;
    resp.Topics.items = sl_arena_calloc(arena, n ? n : 1, sizeof *resp.Topics.items);
    if (!resp.Topics.items)
        return;
    resp.Topics.count = 0;
    size_t it = 0;
    const void *k;
    size_t kl;
    void *v;
    for (size_t i = 0; i < n; i++) {
        wt_topic_t *t = NULL;
        if (all) {
            if (!sl_map_next(&wt->topics, &it, &k, &kl, &v))
                break;
            t = v;
        } else {
            sl_kstr_t name = mreq->Topics.items[i].Name;
            t = name.len > 0 ? wt_topic_get(wt, name.ptr, (size_t)name.len, false) : NULL;
        }
        sl_MetadataResponse_MetadataResponseTopic_t *rt = &resp.Topics.items[resp.Topics.count];
        if (!t) {
            sl_MetadataResponse_MetadataResponseTopic_init(rt);
            rt->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            rt->Name = mreq->Topics.items[i].Name;
        } else if (!wt_metadata_topic(wt, arena, t, rt)) {
            return;
        }
        resp.Topics.count++;
    }
    wt_send(wc, req, &resp);
}

/* ---- Produce -------------------------------------------------------- */

static int16_t wt_append(wt_part_t *part, sl_kbytes_t records)
{
    if (records.len <= 0)
        return SL_ERR_CORRUPT_MESSAGE;
    sl_batch_iter_t it;
    sl_batch_t batch;
    sl_err_t err;
    sl_buf_t scratch = SL_BUF_INIT;
    size_t start = part->log.len;
    int64_t next = part->next_offset;
    sl_batch_iter_init(&it, records.ptr, (size_t)records.len);
    while ((err = sl_batch_iter_next(&it, &batch)) == SL_OK) {
        err = sl_batch_validate(&batch, SL_BATCH_VALIDATE_STRICT, &scratch, 0, NULL, 0);
        if (err != SL_OK)
            break;
        uint8_t *copy = sl_buf_put_space(&part->log, batch.size);
        if (!copy) {
            err = SL_ERR_NOMEM;
            break;
        }
        memcpy(copy, batch.data, batch.size);
        sl_batch_assign_offsets(copy, batch.size, next, 0);
        next += (int64_t)batch.last_offset_delta + 1;
    }
    sl_buf_free(&scratch);
    if (err != SL_ERR_NOENT) {
        part->log.len = start; /* all or nothing per partition */
        if (part->log.err == SL_ERR_NOMEM)
            sl_buf_reset(&part->log);
        SL_WARN("wiretap", "produce refused: %s %s", sl_err_name(err), it.errmsg);
        return sl_err_wire(err);
    }
    part->next_offset = next;
    return 0;
}

static void wt_produce(wt_conn_t *wc, sl_request_t *req, sl_arena_t *arena)
{
    sl_ProduceRequest_t *preq = req->body;
    sl_ProduceResponse_t resp;
    sl_ProduceResponse_init(&resp);
    int32_t nt = SL_MAX(preq->TopicData.count, 0);
    resp.Responses.count = nt;
    resp.Responses.items = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *resp.Responses.items);
    if (!resp.Responses.items)
        return;
    for (int32_t i = 0; i < nt; i++) {
        sl_ProduceRequest_TopicProduceData_t *td = &preq->TopicData.items[i];
        sl_ProduceResponse_TopicProduceResponse_t *tr = &resp.Responses.items[i];
        sl_ProduceResponse_TopicProduceResponse_init(tr);
        tr->Name = td->Name;
        wt_topic_t *t = wt_topic_get(wc->wt, td->Name.ptr, (size_t)SL_MAX(td->Name.len, 0), true);
        int32_t np = SL_MAX(td->PartitionData.count, 0);
        tr->PartitionResponses.count = np;
        tr->PartitionResponses.items = sl_arena_calloc(arena, (size_t)np + 1, sizeof *tr->PartitionResponses.items);
        if (!tr->PartitionResponses.items)
            return;
        for (int32_t j = 0; j < np; j++) {
            sl_ProduceRequest_PartitionProduceData_t *pd = &td->PartitionData.items[j];
            sl_ProduceResponse_PartitionProduceResponse_t *pr = &tr->PartitionResponses.items[j];
            sl_ProduceResponse_PartitionProduceResponse_init(pr);
            pr->Index = pd->Index;
            if (!t || pd->Index < 0 || pd->Index >= t->nparts) {
                pr->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            wt_part_t *part = &t->parts[pd->Index];
            pr->BaseOffset = part->next_offset;
            pr->LogStartOffset = 0;
            pr->ErrorCode = wt_append(part, pd->Records);
            if (pr->ErrorCode)
                pr->BaseOffset = -1;
        }
    }
    if (preq->Acks != 0) /* acks=0: Kafka sends no response at all */
        wt_send(wc, req, &resp);
}

/* ---- ListOffsets ---------------------------------------------------- */

static void wt_list_offsets(wt_conn_t *wc, sl_request_t *req, sl_arena_t *arena)
{
    sl_ListOffsetsRequest_t *lreq = req->body;
    sl_ListOffsetsResponse_t resp;
    sl_ListOffsetsResponse_init(&resp);
    int32_t nt = SL_MAX(lreq->Topics.count, 0);
    resp.Topics.count = nt;
    resp.Topics.items = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *resp.Topics.items);
    if (!resp.Topics.items)
        return;
    for (int32_t i = 0; i < nt; i++) {
        sl_ListOffsetsRequest_ListOffsetsTopic_t *lt = &lreq->Topics.items[i];
        sl_ListOffsetsResponse_ListOffsetsTopicResponse_t *rt = &resp.Topics.items[i];
        sl_ListOffsetsResponse_ListOffsetsTopicResponse_init(rt);
        rt->Name = lt->Name;
        wt_topic_t *t = wt_topic_get(wc->wt, lt->Name.ptr, (size_t)SL_MAX(lt->Name.len, 0), false);
        int32_t np = SL_MAX(lt->Partitions.count, 0);
        rt->Partitions.count = np;
        rt->Partitions.items = sl_arena_calloc(arena, (size_t)np + 1, sizeof *rt->Partitions.items);
        if (!rt->Partitions.items)
            return;
        for (int32_t j = 0; j < np; j++) {
            sl_ListOffsetsRequest_ListOffsetsPartition_t *lp = &lt->Partitions.items[j];
            sl_ListOffsetsResponse_ListOffsetsPartitionResponse_t *rp = &rt->Partitions.items[j];
            sl_ListOffsetsResponse_ListOffsetsPartitionResponse_init(rp);
            rp->PartitionIndex = lp->PartitionIndex;
            if (!t || lp->PartitionIndex < 0 || lp->PartitionIndex >= t->nparts) {
                rp->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            /* -2 earliest, -1 latest; a real timestamp gets the latest too. */
            rp->Offset = lp->Timestamp == -2 ? 0 : t->parts[lp->PartitionIndex].next_offset;
            rp->Timestamp = -1;
        }
    }
    wt_send(wc, req, &resp);
}

/* ---- Fetch ---------------------------------------------------------- */

/* The stored batches of part from the one holding offset, at most max_bytes
 * (but at least one batch, as Kafka does). */
static sl_kbytes_t wt_read(const wt_part_t *part, int64_t offset, int32_t max_bytes)
{
    sl_kbytes_t out = {NULL, 0};
    sl_batch_iter_t it;
    sl_batch_t batch;
    sl_batch_iter_init(&it, part->log.data, part->log.len);
    while (sl_batch_iter_next(&it, &batch) == SL_OK) {
        if (sl_batch_last_offset(&batch) < offset)
            continue;
        if (!out.ptr)
            out.ptr = batch.data;
        else if ((size_t)out.len + batch.size > (size_t)SL_MAX(max_bytes, 0))
            break;
        out.len += (int32_t)batch.size;
    }
    return out;
}

static void wt_fetch_answer(wt_conn_t *wc, sl_request_t *req, sl_arena_t *arena, bool may_wait)
{
    sl_FetchRequest_t *freq = req->body;
    sl_FetchResponse_t resp;
    sl_FetchResponse_init(&resp);
    int32_t nt = SL_MAX(freq->Topics.count, 0);
    size_t total = 0;
    resp.Responses.count = nt;
    resp.Responses.items = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *resp.Responses.items);
    if (!resp.Responses.items)
        return;
    for (int32_t i = 0; i < nt; i++) {
        sl_FetchRequest_FetchTopic_t *ft = &freq->Topics.items[i];
        sl_FetchResponse_FetchableTopicResponse_t *rt = &resp.Responses.items[i];
        sl_FetchResponse_FetchableTopicResponse_init(rt);
        rt->Topic = ft->Topic;
        rt->TopicId = ft->TopicId;
        wt_topic_t *t = req->hdr.api_version >= 13
                            ? wt_topic_by_id(wc->wt, &ft->TopicId)
                            : wt_topic_get(wc->wt, ft->Topic.ptr, (size_t)SL_MAX(ft->Topic.len, 0), false);
        int32_t np = SL_MAX(ft->Partitions.count, 0);
        rt->Partitions.count = np;
        rt->Partitions.items = sl_arena_calloc(arena, (size_t)np + 1, sizeof *rt->Partitions.items);
        if (!rt->Partitions.items)
            return;
        for (int32_t j = 0; j < np; j++) {
            sl_FetchRequest_FetchPartition_t *fp = &ft->Partitions.items[j];
            sl_FetchResponse_PartitionData_t *rp = &rt->Partitions.items[j];
            sl_FetchResponse_PartitionData_init(rp);
            rp->PartitionIndex = fp->Partition;
            if (!t || fp->Partition < 0 || fp->Partition >= t->nparts) {
                rp->ErrorCode = req->hdr.api_version >= 13 ? SL_ERR_UNKNOWN_TOPIC_ID
                                                           : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            wt_part_t *part = &t->parts[fp->Partition];
            rp->HighWatermark = rp->LastStableOffset = part->next_offset;
            rp->LogStartOffset = 0;
            if (fp->FetchOffset > part->next_offset) {
                rp->ErrorCode = SL_ERR_OFFSET_OUT_OF_RANGE;
                continue;
            }
            rp->Records = wt_read(part, fp->FetchOffset, fp->PartitionMaxBytes);
            total += (size_t)rp->Records.len;
        }
    }
    if (total == 0 && may_wait && freq->MaxWaitMs > 0) {
        /* Nothing yet: hold the request (reads paused, so replies stay in
         * order) and answer from the timer, as a long poll. */
        return;
    }
    wt_send(wc, req, &resp);
}

/* ---- FindCoordinator ---------------------------------------------- */

static void wt_find_coordinator(wt_conn_t *wc, sl_request_t *req, sl_arena_t *arena)
{
    sl_FindCoordinatorRequest_t *freq = req->body;
    sl_FindCoordinatorResponse_t resp;
    sl_FindCoordinatorResponse_init(&resp);
    resp.ErrorCode = SL_ERR_COORDINATOR_NOT_AVAILABLE;
    int32_t nk = SL_MAX(freq->CoordinatorKeys.count, 0);
    resp.Coordinators.count = nk;
    resp.Coordinators.items = sl_arena_calloc(arena, (size_t)nk + 1, sizeof *resp.Coordinators.items);
    if (!resp.Coordinators.items)
        return;
    for (int32_t i = 0; i < nk; i++) {
        sl_FindCoordinatorResponse_Coordinator_init(&resp.Coordinators.items[i]);
        resp.Coordinators.items[i].Key = freq->CoordinatorKeys.items[i];
        resp.Coordinators.items[i].ErrorCode = SL_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    wt_send(wc, req, &resp);
}

/* ---- Dispatch ------------------------------------------------------- */

static void wt_handle(wt_conn_t *wc, const uint8_t *frame, size_t len, bool held);

static void wt_held_timer(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    wt_conn_t *wc = arg;
    SL_UNUSED(loop);
    SL_UNUSED(id);
    wc->timer = 0;
    sl_buf_t held = wc->held;
    sl_buf_init(&wc->held);
    wt_handle(wc, held.data, held.len, true);
    sl_buf_free(&held);
    sl_conn_resume_read(wc->conn);
}

static void wt_handle(wt_conn_t *wc, const uint8_t *frame, size_t len, bool held)
{
    wt_t *wt = wc->wt;
    sl_arena_t arena;
    sl_request_t req;
    sl_arena_init(&arena, 0, 64u << 20);
    sl_err_t err = sl_request_decode(frame, len, &arena, &req);
    if (!held) {
        wt->seq++;
        if (wt->record_dir && req.hdr_ok)
            wt_record(wt, &req, frame, len);
        if (!wt->quiet) {
            printf("conn %" PRIu64 " corr %" PRId32 " %s v%d client ", sl_conn_id(wc->conn), req.hdr.correlation_id,
                   req.api ? req.api->name : "?", req.hdr.api_version);
            if (req.hdr.client_id.len >= 0)
                printf("\"%.*s\"", (int)req.hdr.client_id.len, req.hdr.client_id.ptr);
            else
                printf("null");
            if (err == SL_OK) {
                putchar(' ');
                wiretap_dump(stdout, req.api->request, req.body, req.hdr.api_version);
            } else {
                printf(" decode error: %s", sl_err_name(err));
            }
            putchar('\n');
            fflush(stdout);
        }
    }
    if (!req.hdr_ok) {
        sl_conn_close(wc->conn, false);
    } else if (req.hdr.api_key == 18 && (err == SL_OK || err == SL_ERR_UNSUPPORTED_VERSION)) {
        if (err != SL_OK)
            req.hdr.api_version = 0; /* KIP-511: answer a too-new client in v0 */
        wt_api_versions(wc, &req, &arena, (int16_t)err);
    } else if (err != SL_OK || !wt_api_find(req.hdr.api_key)) {
        SL_WARN("wiretap", "closing conn %" PRIu64 ": %s v%d not answered (%s)", sl_conn_id(wc->conn),
                req.api ? req.api->name : "unknown api", req.hdr.api_version, sl_err_name(err));
        sl_conn_close(wc->conn, true);
    } else {
        switch (req.hdr.api_key) {
        case 0: wt_produce(wc, &req, &arena); break;
        case 2: wt_list_offsets(wc, &req, &arena); break;
        case 3: wt_metadata(wc, &req, &arena); break;
        case 10: wt_find_coordinator(wc, &req, &arena); break;
        case 1: {
            sl_FetchRequest_t *freq = req.body;
            size_t before = sl_conn_out_pending(wc->conn);
            wt_fetch_answer(wc, &req, &arena, !held);
            if (!held && sl_conn_out_pending(wc->conn) == before && freq->MaxWaitMs > 0 &&
                sl_buf_err(&wc->held) == SL_OK) {
                sl_buf_put(&wc->held, frame, len);
                sl_conn_pause_read(wc->conn);
                sl_loop_timer_add(wt->loop, SL_MIN(freq->MaxWaitMs, WT_MAX_WAIT_MS), false, wt_held_timer, wc,
                                  &wc->timer);
            }
            break;
        }
        }
    }
    sl_arena_fini(&arena);
}

static void wt_on_frame(sl_conn_t *conn, void *user, const uint8_t *frame, size_t len)
{
    SL_UNUSED(conn);
    wt_handle(user, frame, len, false);
}

static void wt_on_close(sl_conn_t *conn, void *user, sl_err_t reason)
{
    wt_conn_t *wc = user;
    SL_UNUSED(conn);
    SL_UNUSED(reason);
    if (!wc || wc == (void *)wc->wt)
        return;
    if (wc->timer)
        sl_loop_timer_cancel(wc->wt->loop, wc->timer);
    sl_buf_free(&wc->held);
    free(wc);
}

static void wt_on_accept(sl_listener_t *lst, sl_conn_t *conn, void *arg)
{
    SL_UNUSED(lst);
    wt_conn_t *wc = calloc(1, sizeof *wc);
    if (!wc) {
        sl_conn_close(conn, false);
        return;
    }
    wc->wt = arg;
    wc->conn = conn;
    sl_conn_set_user(conn, wc);
}

static void wt_check_signal(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(id);
    SL_UNUSED(arg);
    if (wt_signalled)
        sl_loop_stop(loop);
}

static void wt_on_signal(int sig)
{
    SL_UNUSED(sig);
    wt_signalled = 1;
}

static void wt_usage(FILE *out)
{
    fputs("usage: sluice-wiretap [--listen HOST:PORT] [--partitions N] [--record DIR] [--quiet]\n"
          "\n"
          "Answers Kafka clients just enough (ApiVersions, Metadata, Produce, ListOffsets,\n"
          "Fetch, all in memory; FindCoordinator with an error) to print every request they send, decoded, one JSON line\n"
          "per request. --record DIR also writes each request frame to DIR.\n"
          "Defaults: --listen 127.0.0.1:9092 --partitions 1.\n",
          out);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},   {"partitions", required_argument, NULL, 'p'},
        {"record", required_argument, NULL, 'r'},   {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    wt_t wt = {.nparts = 1, .host = "127.0.0.1", .port = 9092};
    char hostbuf[256];
    int c;
    while ((c = getopt_long(argc, argv, "l:p:r:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'l': {
            const char *colon = strrchr(optarg, ':');
            char *end;
            long port = colon ? strtol(colon + 1, &end, 10) : -1;
            if (!colon || *end || port < 0 || port > 65535 || (size_t)(colon - optarg) >= sizeof hostbuf) {
                fprintf(stderr, "sluice-wiretap: --listen wants HOST:PORT, got '%s'\n", optarg);
                return 2;
            }
            memcpy(hostbuf, optarg, (size_t)(colon - optarg));
            hostbuf[colon - optarg] = '\0';
            wt.host = hostbuf;
            wt.port = (uint16_t)port;
            break;
        }
        case 'p': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 10000) {
                fprintf(stderr, "sluice-wiretap: --partitions wants 1..10000, got '%s'\n", optarg);
                return 2;
            }
            wt.nparts = (int32_t)n;
            break;
        }
        case 'r': wt.record_dir = optarg; break;
        case 'q': wt.quiet = true; break;
        case 'h': wt_usage(stdout); return 0;
        default: wt_usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        wt_usage(stderr);
        return 2;
    }
    if (wt.record_dir && mkdir(wt.record_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "sluice-wiretap: cannot create %s: %s\n", wt.record_dir, strerror(errno));
        return 1;
    }
    sl_map_init(&wt.topics);
    if (sl_loop_new(&wt.loop) != SL_OK)
        return 1;
    sl_listener_opts_t lopts = {.on_accept = wt_on_accept, .arg = &wt};
    lopts.conn.on_frame = wt_on_frame;
    lopts.conn.on_close = wt_on_close;
    if (sl_listener_open(wt.loop, wt.host, wt.port, &lopts, &wt.lst) != SL_OK) {
        fprintf(stderr, "sluice-wiretap: cannot listen on %s:%u\n", wt.host, wt.port);
        sl_loop_free(wt.loop);
        return 1;
    }
    wt.port = sl_listener_port(wt.lst);
    signal(SIGINT, wt_on_signal);
    signal(SIGTERM, wt_on_signal);
    signal(SIGPIPE, SIG_IGN);
    sl_loop_timer_add(wt.loop, 100, true, wt_check_signal, NULL, NULL);
    SL_INFO("wiretap", "listening on %s:%u", wt.host, wt.port);
    sl_loop_run(wt.loop);
    sl_listener_close(wt.lst);
    sl_loop_free(wt.loop);
    sl_map_fini(&wt.topics, wt_topic_free);
    return 0;
}
