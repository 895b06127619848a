/*
 * producer_test.c - the whole producer against the scripted fake broker.
 * The fake's Produce handler keeps one log per partition shared by every
 * node (a cluster after a leader move) and checks producer ids, epochs and
 * sequences as a Kafka broker does (duplicates answered
 * DUPLICATE_SEQUENCE_NUMBER, gaps OUT_OF_ORDER_SEQUENCE_NUMBER), so lost,
 * duplicated or reordered records show in the log. Covered: delivery with
 * offsets, a leader move answered NOT_LEADER_OR_FOLLOWER (no loss, no
 * duplicate), linger and batch.size, acks=0, a broker error that fails only
 * its batch (the epoch bump keeps the rest), delivery.timeout.ms,
 * max.block.ms for a missing topic and for buffer.memory, and free
 * reporting what was left.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "client.h"
#include "fake_broker.h"
#include "proto.h"

#define MAXP 4
#define MAXREC 20000

/* ---- the fake cluster's partition logs ---------------------------------- */

typedef struct plog {
    int leader;
    int32_t values[MAXREC];     /* record i's value as a number */
    int64_t n;
    int64_t pid;
    int16_t epoch;
    int32_t next_seq;
    int32_t recent_first[5], recent_count[5]; /* the last 5 batches appended, as Kafka keeps */
    int recent_n;
    int batches;                /* batches appended */
    int seen;                   /* batches received */
    int max_batch_records;
} plog_t;

typedef struct model {
    pthread_mutex_t mu;
    plog_t parts[MAXP];
    int nparts;
    int produce_requests;
    int produce_batches;
    int max_batch_bytes;
    int16_t epoch_given;        /* InitProducerId: epochs handed out */
    int inits;
    bool ignore_produce;        /* no answer (timeouts) */
    bool append_when_ignoring;  /* acks=0: append, never answer */
    int16_t fail_partition_err; /* every batch of fail_partition gets it */
    int fail_partition;
    int corrupt_nth;            /* partition 0's nth batch (1-based) gets INVALID_RECORD */
    int not_leader_after;       /* after this many batches of partition 0 on
                                 * node 0: move its leader to node 1 */
    /* transactions */
    bool added[MAXP];           /* AddPartitionsToTxn in the current transaction */
    int add_requests, add_offsets, txn_offset_commits, commits, aborts;
    int unadded_produce;        /* transactional batches for partitions not added */
    bool fenced;                /* a newer instance took over: PRODUCER_FENCED */
    int16_t add_err;            /* AddPartitionsToTxn answers every partition so */
    int forget_after;           /* partition 0 forgets the producer after this many batches */
    int lose_answer_of;         /* the nth Produce (1-based) is appended, its answer dropped */
    int garbage_answer_of;      /* the nth Produce (1-based) is appended, answered with garbage */
    sl_fb_t *fb;
} model_t;

static model_t g_m;

static void model_reset(sl_fb_t *fb, int nodes, int nparts)
{
    memset(&g_m, 0, sizeof(g_m));
    pthread_mutex_init(&g_m.mu, NULL);
    g_m.nparts = nparts;
    g_m.fb = fb;
    g_m.fail_partition = -1;
    g_m.not_leader_after = -1;
    for (int i = 0; i < nparts; i++) {
        g_m.parts[i].leader = i % nodes; /* as sl_fb_topic_set */
        g_m.parts[i].pid = -1;
    }
}

static int32_t value_number(const sl_record_t *r)
{
    char buf[32];
    size_t n = r->value_len > 0 ? SL_MIN((size_t)r->value_len, sizeof(buf) - 1) : 0;
    memcpy(buf, r->value, n);
    buf[n] = '\0';
    return (int32_t)atoi(buf + (n > 2 ? 2 : 0)); /* "v-<i>" */
}

/* Kafka's checks of one batch against the partition log, then the append. */
static int16_t append_batch(plog_t *pl, const sl_kbytes_t *recs, int64_t *base)
{
    sl_batch_t b;
    if (sl_batch_peek(recs->ptr, (size_t)recs->len, &b, NULL, 0) != SL_OK)
        return SL_ERR_CORRUPT_MESSAGE;
    if (b.producer_id >= 0) {
        if (pl->pid == -2 && b.base_sequence != 0)
            return SL_ERR_UNKNOWN_PRODUCER_ID; /* its state expired */
        if (b.producer_id != pl->pid || b.producer_epoch != pl->epoch) {
            if (b.producer_id == pl->pid && b.producer_epoch < pl->epoch)
                return SL_ERR_INVALID_PRODUCER_EPOCH;
            if (b.base_sequence != 0)
                return SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
            pl->pid = b.producer_id;
            pl->epoch = b.producer_epoch;
            pl->next_seq = 0;
            pl->recent_n = 0;
        } else if (b.base_sequence != pl->next_seq) {
            for (int k = 0; k < pl->recent_n && k < 5; k++)
                if (b.base_sequence == pl->recent_first[k] && b.record_count == pl->recent_count[k])
                    return SL_ERR_DUPLICATE_SEQUENCE_NUMBER;
            return SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
        }
    }
    sl_buf_t scratch = SL_BUF_INIT;
    sl_record_iter_t it;
    sl_record_t r;
    *base = pl->n;
    if (sl_record_iter_init(&it, &b, &scratch, 0) != SL_OK)
        return SL_ERR_CORRUPT_MESSAGE;
    int32_t cnt = 0;
    while (sl_record_iter_next(&it, &r) == SL_OK && pl->n < MAXREC) {
        pl->values[pl->n++] = value_number(&r);
        cnt++;
    }
    sl_buf_free(&scratch);
    if (b.producer_id >= 0) {
        pl->recent_first[pl->recent_n % 5] = b.base_sequence;
        pl->recent_count[pl->recent_n % 5] = b.record_count;
        pl->recent_n++;
        pl->next_seq = b.base_sequence + b.record_count;
    }
    pl->batches++;
    if (cnt > pl->max_batch_records)
        pl->max_batch_records = cnt;
    return 0;
}

/* FindCoordinator, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit,
 * EndTxn: the transaction coordinator (node 0), NULL for other keys. */
static const void *txn_answer(sl_fb_t *fb, const sl_fb_req_t *req)
{
    sl_arena_t *a = req->arena;
    switch (req->api_key) {
    case 10: {
        const sl_FindCoordinatorRequest_t *q = req->body;
        sl_FindCoordinatorResponse_t *b = sl_arena_zalloc(a, sizeof *b);
        sl_FindCoordinatorResponse_init(b);
        if (req->api_version >= 4) {
            int32_t nk = q->CoordinatorKeys.count;
            sl_FindCoordinatorResponse_Coordinator_t *cs = sl_arena_calloc(a, (size_t)nk + 1, sizeof *cs);
            for (int32_t i = 0; i < nk; i++) {
                sl_FindCoordinatorResponse_Coordinator_init(&cs[i]);
                cs[i].Key = q->CoordinatorKeys.items[i];
                cs[i].NodeId = 0;
                cs[i].Host = sl_kstr("127.0.0.1");
                cs[i].Port = sl_fb_port(fb, 0);
            }
            b->Coordinators.count = nk;
            b->Coordinators.items = cs;
        } else {
            b->NodeId = 0;
            b->Host = sl_kstr("127.0.0.1");
            b->Port = sl_fb_port(fb, 0);
        }
        return b;
    }
    case 24: {
        const sl_AddPartitionsToTxnRequest_t *q = req->body;
        sl_AddPartitionsToTxnResponse_t *b = sl_arena_zalloc(a, sizeof *b);
        sl_AddPartitionsToTxnResponse_init(b);
        b->Results.count = q->Topics.count;
        b->Results.items = sl_arena_calloc(a, (size_t)q->Topics.count + 1, sizeof *b->Results.items);
        pthread_mutex_lock(&g_m.mu);
        g_m.add_requests++;
        for (int32_t i = 0; i < q->Topics.count; i++) {
            sl_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_t *tr = &b->Results.items[i];
            sl_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_init(tr);
            tr->Name = q->Topics.items[i].Name;
            int32_t np = q->Topics.items[i].Partitions.count;
            tr->Results.count = np;
            tr->Results.items = sl_arena_calloc(a, (size_t)np + 1, sizeof *tr->Results.items);
            for (int32_t j = 0; j < np; j++) {
                int32_t id = q->Topics.items[i].Partitions.items[j];
                sl_AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult_init(&tr->Results.items[j]);
                tr->Results.items[j].PartitionIndex = id;
                if (g_m.fenced)
                    tr->Results.items[j].ErrorCode = SL_ERR_PRODUCER_FENCED;
                else if (g_m.add_err)
                    tr->Results.items[j].ErrorCode = g_m.add_err;
                else if (id >= 0 && id < MAXP)
                    g_m.added[id] = true;
            }
        }
        pthread_mutex_unlock(&g_m.mu);
        return b;
    }
    case 25: {
        sl_AddOffsetsToTxnResponse_t *b = sl_arena_zalloc(a, sizeof *b);
        sl_AddOffsetsToTxnResponse_init(b);
        pthread_mutex_lock(&g_m.mu);
        g_m.add_offsets++;
        b->ErrorCode = g_m.fenced ? SL_ERR_PRODUCER_FENCED : 0;
        pthread_mutex_unlock(&g_m.mu);
        return b;
    }
    case 28: {
        const sl_TxnOffsetCommitRequest_t *q = req->body;
        sl_TxnOffsetCommitResponse_t *b = sl_arena_zalloc(a, sizeof *b);
        sl_TxnOffsetCommitResponse_init(b);
        b->Topics.count = q->Topics.count;
        b->Topics.items = sl_arena_calloc(a, (size_t)q->Topics.count + 1, sizeof *b->Topics.items);
        for (int32_t i = 0; i < q->Topics.count; i++) {
            sl_TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic_t *tr = &b->Topics.items[i];
            sl_TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic_init(tr);
            tr->Name = q->Topics.items[i].Name;
            int32_t np = q->Topics.items[i].Partitions.count;
            tr->Partitions.count = np;
            tr->Partitions.items = sl_arena_calloc(a, (size_t)np + 1, sizeof *tr->Partitions.items);
            for (int32_t j = 0; j < np; j++) {
                sl_TxnOffsetCommitResponse_TxnOffsetCommitResponsePartition_init(&tr->Partitions.items[j]);
                tr->Partitions.items[j].PartitionIndex = q->Topics.items[i].Partitions.items[j].PartitionIndex;
            }
        }
        pthread_mutex_lock(&g_m.mu);
        g_m.txn_offset_commits++;
        pthread_mutex_unlock(&g_m.mu);
        return b;
    }
    case 26: {
        const sl_EndTxnRequest_t *q = req->body;
        sl_EndTxnResponse_t *b = sl_arena_zalloc(a, sizeof *b);
        sl_EndTxnResponse_init(b);
        pthread_mutex_lock(&g_m.mu);
        if (g_m.fenced) {
            b->ErrorCode = SL_ERR_PRODUCER_FENCED;
        } else {
            if (q->Committed)
                g_m.commits++;
            else
                g_m.aborts++;
            memset(g_m.added, 0, sizeof(g_m.added));
        }
        pthread_mutex_unlock(&g_m.mu);
        return b;
    }
    }
    return NULL;
}

static sl_fb_reply_t on_request(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    (void)arg;
    sl_fb_reply_t reply = {SL_FB_DEFAULT, NULL, 0};
    const void *txn = txn_answer(fb, req);
    if (txn) {
        reply.action = SL_FB_REPLY;
        reply.body = txn;
        return reply;
    }
    if (req->api_key == 22) { /* InitProducerId */
        const sl_InitProducerIdRequest_t *q = req->body;
        sl_InitProducerIdResponse_t *res = sl_arena_zalloc(req->arena, sizeof(*res));
        sl_InitProducerIdResponse_init(res);
        pthread_mutex_lock(&g_m.mu);
        g_m.inits++;
        res->ProducerId = 4242;
        if (q->TransactionalId.len >= 0)
            res->ProducerEpoch = (int16_t)(g_m.inits - 1); /* each init fences the one before */
        else
            res->ProducerEpoch = q->ProducerId == 4242 ? (int16_t)(q->ProducerEpoch + 1) : 0;
        g_m.epoch_given = res->ProducerEpoch;
        pthread_mutex_unlock(&g_m.mu);
        reply.action = SL_FB_REPLY;
        reply.body = res;
        return reply;
    }
    if (req->api_key != 0)
        return reply;
    const sl_ProduceRequest_t *q = req->body;
    sl_ProduceResponse_t *res = sl_arena_zalloc(req->arena, sizeof(*res));
    sl_ProduceResponse_init(res);
    res->Responses.count = q->TopicData.count;
    res->Responses.items = sl_arena_calloc(req->arena, (size_t)q->TopicData.count, sizeof(*res->Responses.items));
    pthread_mutex_lock(&g_m.mu);
    g_m.produce_requests++;
    bool move_leader = false;
    for (int32_t i = 0; i < q->TopicData.count; i++) {
        const sl_ProduceRequest_TopicProduceData_t *td = &q->TopicData.items[i];
        sl_ProduceResponse_TopicProduceResponse_t *tr = &res->Responses.items[i];
        sl_ProduceResponse_TopicProduceResponse_init(tr);
        tr->Name = td->Name;
        tr->PartitionResponses.count = td->PartitionData.count;
        tr->PartitionResponses.items =
            sl_arena_calloc(req->arena, (size_t)td->PartitionData.count, sizeof(*tr->PartitionResponses.items));
        for (int32_t j = 0; j < td->PartitionData.count; j++) {
            const sl_ProduceRequest_PartitionProduceData_t *pd = &td->PartitionData.items[j];
            sl_ProduceResponse_PartitionProduceResponse_t *pr = &tr->PartitionResponses.items[j];
            sl_ProduceResponse_PartitionProduceResponse_init(pr);
            pr->Index = pd->Index;
            pr->BaseOffset = -1;
            g_m.produce_batches++;
            if (pd->Records.len > g_m.max_batch_bytes)
                g_m.max_batch_bytes = pd->Records.len;
            if (pd->Index < 0 || pd->Index >= g_m.nparts) {
                pr->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            plog_t *pl = &g_m.parts[pd->Index];
            pl->seen++;
            if (pl->leader != req->node) {
                pr->ErrorCode = SL_ERR_NOT_LEADER_OR_FOLLOWER;
                continue;
            }
            if (pd->Index == 0 && g_m.not_leader_after >= 0 && pl->batches >= g_m.not_leader_after) {
                pl->leader = 1;
                move_leader = true;
                pr->ErrorCode = SL_ERR_NOT_LEADER_OR_FOLLOWER;
                continue;
            }
            if (pd->Index == g_m.fail_partition) {
                pr->ErrorCode = g_m.fail_partition_err;
                continue;
            }
            if (pd->Index == 0 && g_m.corrupt_nth > 0 && pl->seen == g_m.corrupt_nth) {
                pr->ErrorCode = SL_ERR_INVALID_RECORD; /* not retriable */
                continue;
            }
            if (g_m.ignore_produce && !g_m.append_when_ignoring)
                continue;
            if (q->TransactionalId.len >= 0) {
                if (g_m.fenced) {
                    pr->ErrorCode = SL_ERR_PRODUCER_FENCED;
                    continue;
                }
                if (!g_m.added[pd->Index])
                    g_m.unadded_produce++;
            }
            if (pd->Index == 0 && g_m.forget_after > 0 && pl->batches == g_m.forget_after) {
                pl->pid = -2;
                g_m.forget_after = 0;
            }
            int64_t base = -1;
            pr->ErrorCode = append_batch(pl, &pd->Records, &base);
            pr->BaseOffset = pr->ErrorCode == 0 ? base : -1;
        }
    }
    bool ignore = g_m.ignore_produce || q->Acks == 0;
    bool lose = g_m.produce_requests == g_m.lose_answer_of;
    bool garbage = g_m.produce_requests == g_m.garbage_answer_of;
    pthread_mutex_unlock(&g_m.mu);
    if (move_leader) {
        sl_fb_topic_leader(fb, "t", 0, 1, 1);
        g_m.not_leader_after = -1;
    }
    reply.action = ignore ? SL_FB_IGNORE : lose ? SL_FB_DROP : garbage ? SL_FB_GARBAGE : SL_FB_REPLY;
    reply.body = res;
    return reply;
}

/* ---- the producer side -------------------------------------------------- */

typedef struct reports {
    pthread_mutex_t mu;
    int n, ok;
    int per_err[8];
    sl_err_t errs[8];
    int nerrs;
    int64_t offset_of[MAXREC];
    int32_t partition_of[MAXREC];
    int twice;
} reports_t;

static reports_t g_r;

static void on_dr(sl_producer_t *p, const sl_message_t *m, void *arg)
{
    (void)p;
    (void)arg;
    int i = (int)(intptr_t)m->opaque;
    g_r.n++;
    if (i >= 0 && i < MAXREC) {
        if (g_r.offset_of[i] != -2)
            g_r.twice++;
        g_r.offset_of[i] = m->err ? -3 : m->offset;
        g_r.partition_of[i] = m->partition;
    }
    if (m->err == SL_OK) {
        g_r.ok++;
        return;
    }
    for (int k = 0; k < g_r.nerrs; k++)
        if (g_r.errs[k] == m->err) {
            g_r.per_err[k]++;
            return;
        }
    if (g_r.nerrs < 8) {
        g_r.errs[g_r.nerrs] = m->err;
        g_r.per_err[g_r.nerrs++] = 1;
    }
}

static int errs_of(sl_err_t err)
{
    for (int k = 0; k < g_r.nerrs; k++)
        if (g_r.errs[k] == err)
            return g_r.per_err[k];
    return 0;
}

static sl_producer_t *new_producer(sl_fb_t *fb, const char *const *extra)
{
    memset(&g_r, 0, sizeof(g_r));
    for (int i = 0; i < MAXREC; i++)
        g_r.offset_of[i] = -2;
    sl_conf_t *conf = sl_conf_new();
    char err[256];
    assert_non_null(conf);
    const char *base[] = {"bootstrap.servers", sl_fb_bootstrap(fb), "reconnect.backoff.ms", "20",
                          "reconnect.backoff.max.ms", "100", "retry.backoff.ms", "20",
                          "request.timeout.ms", "5000", NULL};
    for (size_t i = 0; base[i]; i += 2)
        assert_int_equal(sl_conf_set(conf, base[i], base[i + 1], err, sizeof err), SL_OK);
    for (size_t i = 0; extra && extra[i]; i += 2)
        if (sl_conf_set(conf, extra[i], extra[i + 1], err, sizeof err) != SL_OK)
            fail_msg("%s", err);
    sl_producer_t *p = NULL;
    if (sl_producer_new(conf, on_dr, NULL, &p, err, sizeof err) != SL_OK)
        fail_msg("sl_producer_new: %s", err);
    sl_conf_free(conf);
    return p;
}

static sl_err_t send_one(sl_producer_t *p, const char *topic, int i, int32_t partition, bool keyed)
{
    char v[32], k[32];
    int vl = snprintf(v, sizeof v, "v-%d", i);
    int kl = snprintf(k, sizeof k, "k-%d", i);
    sl_produce_rec_t rec = {.topic = topic, .partition = partition, .key = keyed ? k : NULL,
                            .key_len = keyed ? kl : 0, .value = v, .value_len = vl,
                            .opaque = (void *)(intptr_t)i};
    return sl_producer_send(p, &rec);
}

/* Every record 0..n-1 is in the logs exactly once, in send order within
 * its partition, at the offset its report gave. */
static void check_logs_exact(int n)
{
    static int seen[MAXREC];
    memset(seen, 0, sizeof(seen));
    pthread_mutex_lock(&g_m.mu);
    for (int p = 0; p < g_m.nparts; p++) {
        int32_t last = -1;
        for (int64_t o = 0; o < g_m.parts[p].n; o++) {
            int32_t v = g_m.parts[p].values[o];
            assert_true(v >= 0 && v < n);
            seen[v]++;
            if (v <= last)
                fail_msg("partition %d: record %d after %d (reordered)", p, v, last);
            last = v;
            if (g_r.offset_of[v] != o || g_r.partition_of[v] != p)
                fail_msg("record %d at %d/%lld, reported %d/%lld", v, p, (long long)o, g_r.partition_of[v],
                         (long long)g_r.offset_of[v]);
        }
    }
    pthread_mutex_unlock(&g_m.mu);
    for (int i = 0; i < n; i++)
        if (seen[i] != 1)
            fail_msg("record %d stored %d times", i, seen[i]);
}

static sl_fb_t *cluster(int nodes, int parts)
{
    sl_fb_t *fb = sl_fb_new(nodes);
    assert_non_null(fb);
    sl_fb_topic_set(fb, "t", parts);
    model_reset(fb, nodes, parts);
    sl_fb_set_handler(fb, on_request, NULL);
    return fb;
}

static void delivers_keyed_records_with_offsets(void **state)
{
    (void)state;
    sl_fb_t *fb = cluster(2, 3);
    sl_producer_t *p = new_producer(fb, (const char *const[]){"linger.ms", "2", NULL});
    for (int i = 0; i < 2000; i++)
        assert_int_equal(send_one(p, "t", i, SL_PARTITION_ANY, true), SL_OK);
    assert_int_equal(sl_producer_flush(p, 20000), SL_OK);
    assert_int_equal(sl_producer_outq_len(p), 0);
    assert_int_equal(g_r.ok, 2000);
    assert_int_equal(g_r.twice, 0);
    for (int i = 0; i < 2000; i++) {
        char k[32];
        int kl = snprintf(k, sizeof k, "k-%d", i);
        assert_int_equal(g_r.partition_of[i], sl_murmur2_partition(k, (size_t)kl, 3));
    }
    check_logs_exact(2000);
    assert_int_equal(g_m.inits, 1);
    sl_producer_free(p);
    sl_fb_free(fb);
}

static void leader_move_retries_without_loss_or_duplicates(void **state)
{
    (void)state;
    sl_fb_t *fb = cluster(2, 2);
    g_m.not_leader_after = 3;
    sl_producer_t *p = new_producer(fb, (const char *const[]){"batch.size", "200", NULL});
    for (int i = 0; i < 3000; i++) {
        assert_int_equal(send_one(p, "t", i, i % 2, false), SL_OK);
        if (i % 100 == 0)
            sl_producer_poll(p, 0);
    }
    assert_int_equal(sl_producer_flush(p, 30000), SL_OK);
    assert_int_equal(g_r.ok, 3000);
    assert_int_equal(g_r.twice, 0);
    assert_int_equal(g_m.parts[0].leader, 1); /* the move happened */
    check_logs_exact(3000);
    sl_producer_free(p);
    sl_fb_free(fb);
}

static void linger_and_batch_size_shape_the_batches(void **state)
{
    (void)state;
    sl_fb_t *fb = cluster(1, 1);
    sl_producer_t *p = new_producer(fb, (const char *const[]){"linger.ms", "300000", "batch.size", "1000000",
                                                              NULL});
    for (int i = 0; i < 100; i++)
        assert_int_equal(send_one(p, "t", i, 0, false), SL_OK);
    /* linger.ms holds them back... */
    sl_producer_poll(p, 300);
    assert_int_equal(g_r.n, 0);
    assert_int_equal(sl_producer_outq_len(p), 100);
    /* ...until a flush: then one batch of all 100 goes. */
    assert_int_equal(sl_producer_flush(p, 10000), SL_OK);
    assert_int_equal(g_r.ok, 100);
    assert_int_equal(g_m.parts[0].batches, 1);
    assert_int_equal(g_m.parts[0].max_batch_records, 100);
    sl_producer_free(p);
    sl_fb_free(fb);

    /* batch.size cuts batches. */
    fb = cluster(1, 1);
    p = new_producer(fb, (const char *const[]){"linger.ms", "300000", "batch.size", "1024", NULL});
    char v[100];
    memset(v, 'x', sizeof v);
    for (int i = 0; i < 100; i++) {
        char num[8];
        int nl = snprintf(num, sizeof num, "v-%d", i);
        memcpy(v, num, (size_t)nl);
        v[nl] = '\0'; /* the value's number ends at the NUL; the rest pads */
        sl_produce_rec_t rec = {.topic = "t", .partition = 0, .value = v, .value_len = sizeof v,
                                .opaque = (void *)(intptr_t)i};
        assert_int_equal(sl_producer_send(p, &rec), SL_OK);
    }
    assert_int_equal(sl_producer_flush(p, 10000), SL_OK);
    assert_int_equal(g_r.ok, 100);
    assert_true(g_m.parts[0].batches >= 10);
    assert_true(g_m.max_batch_bytes <= 1024);
    check_logs_exact(100);
    sl_producer_free(p);
    sl_fb_free(fb);
}

static void acks_zero_needs_no_answer(void **state)
{
    (void)state;
    sl_fb_t *fb = cluster(2, 2);
    g_m.append_when_ignoring = true;
    sl_producer_t *p = new_producer(fb, (const char *const[]){"acks", "0", "enable.idempotence", "false", NULL});
    for (int i = 0; i < 500; i++)
        assert_int_equal(send_one(p, "t", i, i % 2, false), SL_OK);
    assert_int_equal(sl_producer_flush(p, 10000), SL_OK);
    assert_int_equal(g_r.ok, 500);
    for (int i = 0; i < 500; i++)
        assert_int_equal(g_r.offset_of[i], -1);
    assert_int_equal(g_m.inits, 0);
    /* The broker got everything (it never answered). */
    for (int tries = 0; tries < 200 && g_m.parts[0].n + g_m.parts[1].n < 500; tries++)
        sl_producer_poll(p, 10);
    assert_int_equal(g_m.parts[0].n + g_m.parts[1].n, 500);
    sl_producer_free(p);
    sl_fb_free(fb);
}

static void a_failed_batch_leaves_the_others_delivered(void **state)
{
    (void)state;
    sl_fb_t *fb = cluster(1, 2);
    g_m.fail_partition = 1;
    g_m.fail_partition_err = SL_ERR_MESSAGE_TOO_LARGE;
    g_m.corrupt_nth = 4; /* a batch in the middle of partition 0's stream */
    sl_producer_t *p = new_producer(fb, (const char *const[]){"batch.size", "150", NULL});
    for (int i = 0; i < 400; i++)
        assert_int_equal(send_one(p, "t", i, i < 300 ? 0 : 1, false), SL_OK);
    assert_int_equal(sl_producer_flush(p, 30000), SL_OK);
    assert_int_equal(g_r.n, 400);
    assert_int_equal(errs_of(SL_ERR_MESSAGE_TOO_LARGE), 100);
    int corrupt = errs_of(SL_ERR_INVALID_RECORD);
    assert_true(corrupt >= 1 && corrupt < 10);
    assert_int_equal(g_r.ok, 300 - corrupt);
    /* Partition 0 holds every other record exactly once, in order; the
     * epoch was bumped after the failed batch. */
    assert_int_equal(g_m.parts[0].n, 300 - corrupt);
    assert_true(g_m.inits >= 2);
    int32_t last = -1;
    for (int64_t o = 0; o < g_m.parts[0].n; o++) {
        assert_true(g_m.parts[0].values[o] > last);
        last = g_m.parts[0].values[o];
        assert_int_equal(g_r.offset_of[last], o);
    }
    sl_producer_free(p);
    sl_fb_free(fb);
}

static void lost_and_garbled_answers_neither_lose_nor_duplicate(void **state)
{
    (void)state;
    sl_fb_t *fb = cluster(1, 1);
    g_m.lose_answer_of = 3;
    g_m.garbage_answer_of = 6;
    sl_producer_t *p = new_producer(fb, (const char *const[]){"batch.size", "300", NULL});
    for (int i = 0; i < 400; i++)
        assert_int_equal(send_one(p, "t", i, 0, false), SL_OK);
    assert_int_equal(sl_producer_flush(p, 30000), SL_OK);
    assert_int_equal(g_r.ok, 400);
    assert_int_equal(g_r.twice, 0);
    /* Each record once in the log; those whose first answer was lost were
     * answered DUPLICATE_SEQUENCE_NUMBER (no offset) on the retry. */
    static int seen[400];
    memset(seen, 0, sizeof seen);
    pthread_mutex_lock(&g_m.mu);
    for (int64_t o = 0; o < g_m.parts[0].n; o++) {
        int32_t v = g_m.parts[0].values[o];
        assert_true(v >= 0 && v < 400);
        seen[v]++;
        assert_true(g_r.offset_of[v] == o || g_r.offset_of[v] == -1);
    }
    pthread_mutex_unlock(&g_m.mu);
    for (int i = 0; i < 400; i++)
        assert_int_equal(seen[i], 1);
    sl_producer_free(p);
    sl_fb_free(fb);
}

static void delivery_timeout_ends_retries(void **state)
{
    (void)state;
    sl_fb_t *fb = cluster(1, 1);
    g_m.ignore_produce = true;
    sl_producer_t *p = new_producer(fb, (const char *const[]){"request.timeout.ms", "300", "delivery.timeout.ms",
                                                              "1000", "linger.ms", "0", NULL});
    for (int i = 0; i < 10; i++)
        assert_int_equal(send_one(p, "t", i, 0, false), SL_OK);
    assert_int_equal(sl_producer_flush(p, 15000), SL_OK);
    assert_int_equal(g_r.n, 10);
    assert_int_equal(g_r.ok, 0);
    assert_int_equal(errs_of(SL_ERR_TIMEOUT), 10);
    sl_producer_free(p);
    sl_fb_free(fb);
}

static void missing_topic_and_full_memory_wait_max_block(void **state)
{
    (void)state;
    sl_fb_t *fb = cluster(1, 1);
    g_m.ignore_produce = true;
    sl_producer_t *p = new_producer(fb, (const char *const[]){"max.block.ms", "200", "buffer.memory", "4096",
                                                              "linger.ms", "0", NULL});
    assert_int_equal(send_one(p, "nope", 0, SL_PARTITION_ANY, true), SL_OK);
    assert_int_equal(sl_producer_poll(p, 5000), 1);
    assert_int_equal(errs_of(SL_ERR_UNKNOWN_TOPIC_OR_PARTITION), 1);
    /* A partition beyond the topic's. */
    assert_int_equal(send_one(p, "t", 1, 5, false), SL_OK);
    assert_int_equal(sl_producer_poll(p, 5000), 1);
    assert_int_equal(errs_of(SL_ERR_UNKNOWN_TOPIC_OR_PARTITION), 2);
    /* The broker never answers: buffer.memory fills, then send says AGAIN. */
    sl_err_t err = SL_OK;
    int sent = 0;
    for (int i = 2; i < 1000 && err == SL_OK; i++) {
        err = send_one(p, "t", i, 0, false);
        sent += err == SL_OK;
    }
    assert_int_equal(err, SL_ERR_AGAIN);
    assert_true(sent > 10);
    assert_int_equal(sl_producer_outq_len(p), (size_t)sent);
    /* Bad arguments. */
    sl_produce_rec_t bad = {.topic = NULL};
    assert_int_equal(sl_producer_send(p, &bad), SL_ERR_INVAL);
    bad.topic = "t";
    bad.value = "x";
    bad.value_len = -5;
    assert_int_equal(sl_producer_send(p, &bad), SL_ERR_INVAL);
    /* Freeing reports what is left as CLOSED. */
    sl_producer_free(p);
    assert_int_equal(errs_of(SL_ERR_CLOSED), sent);
    sl_fb_free(fb);
}

typedef struct hdr_seen {
    int calls;
    size_t count;
    bool keys_ok, values_ok, key_ok;
} hdr_seen_t;

static void on_dr_headers(sl_producer_t *p, const sl_message_t *m, void *arg)
{
    (void)p;
    hdr_seen_t *h = arg;
    h->calls++;
    h->count = m->header_count;
    h->keys_ok = h->values_ok = true;
    for (size_t i = 0; i < m->header_count; i++) {
        char want[32];
        snprintf(want, sizeof want, "h%zu", i);
        if (strcmp(m->headers[i].key, want) != 0)
            h->keys_ok = false;
        if (i % 2 ? m->headers[i].value_len != -1 || m->headers[i].value
                  : m->headers[i].value_len != 3 || memcmp(m->headers[i].value, "val", 3) != 0)
            h->values_ok = false;
    }
    h->key_ok = m->key_len == 3 && memcmp(m->key, "key", 3) == 0 && m->value_len == 5 &&
                memcmp(m->value, "value", 5) == 0 && m->err == SL_OK && m->offset == 0;
}

static void delivery_reports_carry_the_record(void **state)
{
    (void)state;
    sl_fb_t *fb = cluster(1, 1);
    sl_conf_t *conf = sl_conf_new();
    char err[256];
    assert_int_equal(sl_conf_set(conf, "bootstrap.servers", sl_fb_bootstrap(fb), err, sizeof err), SL_OK);
    hdr_seen_t seen = {0};
    sl_producer_t *p = NULL;
    assert_int_equal(sl_producer_new(conf, on_dr_headers, &seen, &p, err, sizeof err), SL_OK);
    sl_conf_free(conf);
    static char names[100][16];
    sl_msg_header_t hs[100];
    for (int i = 0; i < 100; i++) {
        snprintf(names[i], sizeof names[i], "h%d", i);
        hs[i].key = names[i];
        hs[i].value = i % 2 ? NULL : "val";
        hs[i].value_len = i % 2 ? -1 : 3;
    }
    sl_produce_rec_t rec = {.topic = "t", .partition = 0, .key = "key", .key_len = 3, .value = "value",
                            .value_len = 5, .headers = hs, .header_count = 100};
    assert_int_equal(sl_producer_send(p, &rec), SL_OK);
    assert_int_equal(sl_producer_flush(p, 10000), SL_OK);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.count, 100);
    assert_true(seen.keys_ok);
    assert_true(seen.values_ok);
    assert_true(seen.key_ok);
    sl_producer_free(p);
    sl_fb_free(fb);
}

static void a_forgotten_producer_starts_a_new_epoch(void **state)
{
    (void)state;
    sl_fb_t *fb = cluster(1, 1);
    g_m.forget_after = 3;
    sl_producer_t *p = new_producer(fb, (const char *const[]){"batch.size", "200", NULL});
    for (int i = 0; i < 500; i++)
        assert_int_equal(send_one(p, "t", i, 0, false), SL_OK);
    assert_int_equal(sl_producer_flush(p, 20000), SL_OK);
    assert_int_equal(g_r.ok, 500);
    assert_true(g_m.inits >= 2);
    check_logs_exact(500);
    sl_producer_free(p);
    sl_fb_free(fb);
}

static void old_brokers_and_new_topics(void **state)
{
    (void)state;
    /* A broker without Produce v3 (record batch v2) fails the records with
     * UNSUPPORTED_VERSION instead of retrying. */
    sl_fb_t *fb = cluster(1, 1);
    sl_fb_set_api(fb, 0, 0, 2);
    sl_producer_t *p = new_producer(fb, (const char *const[]){"enable.idempotence", "false", NULL});
    for (int i = 0; i < 5; i++)
        assert_int_equal(send_one(p, "t", i, 0, false), SL_OK);
    assert_int_equal(sl_producer_flush(p, 10000), SL_OK);
    assert_int_equal(errs_of(SL_ERR_UNSUPPORTED_VERSION), 5);
    sl_producer_free(p);
    sl_fb_free(fb);
    /* A topic the broker creates when asked (as the Java producer asks). */
    fb = cluster(1, 1);
    sl_fb_set_auto_create(fb, true);
    p = new_producer(fb, NULL);
    assert_int_equal(send_one(p, "fresh", 0, SL_PARTITION_ANY, true), SL_OK);
    assert_int_equal(sl_producer_flush(p, 10000), SL_OK);
    assert_int_equal(g_r.ok, 1);
    assert_int_equal(g_r.partition_of[0], 0);
    sl_producer_free(p);
    sl_fb_free(fb);
}

static void transactions_commit_abort_and_fencing(void **state)
{
    (void)state;
    sl_fb_t *fb = cluster(2, 2);
    sl_producer_t *p = new_producer(fb, (const char *const[]){"transactional.id", "txn-a", NULL});
    /* Out of order. */
    assert_int_equal(send_one(p, "t", 0, 0, false), SL_ERR_STATE);
    assert_int_equal(sl_producer_begin_transaction(p), SL_ERR_STATE);
    assert_int_equal(sl_producer_commit_transaction(p, 1000), SL_ERR_STATE);
    assert_int_equal(sl_producer_init_transactions(p, 10000), SL_OK);
    assert_int_equal(sl_producer_init_transactions(p, 10000), SL_ERR_STATE);
    assert_int_equal(g_m.inits, 1);
    /* A committed transaction with records on both partitions and offsets. */
    assert_int_equal(sl_producer_begin_transaction(p), SL_OK);
    assert_int_equal(sl_producer_begin_transaction(p), SL_ERR_STATE);
    for (int i = 0; i < 50; i++)
        assert_int_equal(send_one(p, "t", i, i % 2, false), SL_OK);
    sl_tp_offset_t off = {.topic = "t", .partition = 1, .offset = 7, .leader_epoch = -1};
    sl_group_meta_t meta = {.group_id = "g", .generation_id = 3, .member_id = "m-1"};
    assert_int_equal(sl_producer_send_offsets_to_transaction(p, &off, 1, &meta, 10000), SL_OK);
    assert_int_equal(sl_producer_commit_transaction(p, 10000), SL_OK);
    assert_int_equal(g_r.ok, 50);
    assert_int_equal(g_m.commits, 1);
    assert_int_equal(g_m.add_offsets, 1);
    assert_int_equal(g_m.txn_offset_commits, 1);
    assert_true(g_m.add_requests >= 1);
    assert_int_equal(g_m.unadded_produce, 0);
    check_logs_exact(50);
    /* An aborted one: added again (a new transaction), then EndTxn(abort). */
    int adds = g_m.add_requests;
    assert_int_equal(sl_producer_begin_transaction(p), SL_OK);
    for (int i = 50; i < 60; i++)
        assert_int_equal(send_one(p, "t", i, 0, false), SL_OK);
    assert_int_equal(sl_producer_flush(p, 10000), SL_OK);
    assert_int_equal(sl_producer_abort_transaction(p, 10000), SL_OK);
    assert_int_equal(g_m.aborts, 1);
    assert_int_equal(g_r.n, 60);
    assert_true(g_m.add_requests > adds);
    assert_int_equal(g_m.unadded_produce, 0);
    /* Records still queued when aborting are dropped and reported STATE. */
    assert_int_equal(sl_producer_begin_transaction(p), SL_OK);
    for (int i = 62; i < 64; i++)
        assert_int_equal(send_one(p, "t", i, 0, false), SL_OK);
    assert_int_equal(sl_producer_abort_transaction(p, 10000), SL_OK);
    assert_int_equal(g_r.n, 62);
    assert_int_equal(g_r.ok + errs_of(SL_ERR_STATE), 62);
    /* An empty transaction needs no EndTxn. */
    assert_int_equal(sl_producer_begin_transaction(p), SL_OK);
    assert_int_equal(sl_producer_commit_transaction(p, 10000), SL_OK);
    assert_int_equal(g_m.commits, 1);
    /* Fenced by a newer instance: fatal. */
    pthread_mutex_lock(&g_m.mu);
    g_m.fenced = true;
    pthread_mutex_unlock(&g_m.mu);
    assert_int_equal(sl_producer_begin_transaction(p), SL_OK);
    assert_int_equal(send_one(p, "t", 60, 1, false), SL_OK);
    sl_err_t err = sl_producer_commit_transaction(p, 10000);
    assert_int_equal(err, SL_ERR_PRODUCER_FENCED);
    assert_int_equal(sl_producer_fatal_error(p), SL_ERR_PRODUCER_FENCED);
    assert_int_equal(send_one(p, "t", 61, 1, false), SL_ERR_STATE);
    assert_int_equal(sl_producer_begin_transaction(p), SL_ERR_PRODUCER_FENCED);
    sl_producer_free(p);
    sl_fb_free(fb);
}

/* Freed while AddPartitionsToTxn waits to be retried (the coordinator
 * said CONCURRENT_TRANSACTIONS, the backoff is long): the record is
 * reported CLOSED and nothing is left behind (ASan). */
static void freed_while_a_transaction_call_backs_off(void **state)
{
    (void)state;
    sl_fb_t *fb = cluster(1, 1);
    g_m.add_err = SL_ERR_CONCURRENT_TRANSACTIONS;
    sl_producer_t *p = new_producer(fb, (const char *const[]){"transactional.id", "txn-b", "retry.backoff.ms",
                                                              "60000", NULL});
    assert_int_equal(sl_producer_init_transactions(p, 10000), SL_OK);
    assert_int_equal(sl_producer_begin_transaction(p), SL_OK);
    assert_int_equal(send_one(p, "t", 0, 0, false), SL_OK);
    for (int i = 0; i < 500; i++) { /* at most 5 s */
        pthread_mutex_lock(&g_m.mu);
        int adds = g_m.add_requests;
        pthread_mutex_unlock(&g_m.mu);
        if (adds > 0)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(g_m.add_requests > 0);
    sl_producer_free(p);
    assert_int_equal(g_r.n, 1);
    assert_int_equal(errs_of(SL_ERR_CLOSED), 1);
    sl_fb_free(fb);
}

int main(void)
{
    sl_log_level_t lvl;
    if (getenv("SLUICE_LOG") && sl_log_parse_level(getenv("SLUICE_LOG"), &lvl) == SL_OK)
        sl_log_set_level(lvl);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delivers_keyed_records_with_offsets),
        cmocka_unit_test(leader_move_retries_without_loss_or_duplicates),
        cmocka_unit_test(linger_and_batch_size_shape_the_batches),
        cmocka_unit_test(acks_zero_needs_no_answer),
        cmocka_unit_test(a_failed_batch_leaves_the_others_delivered),
        cmocka_unit_test(lost_and_garbled_answers_neither_lose_nor_duplicate),
        cmocka_unit_test(delivery_timeout_ends_retries),
        cmocka_unit_test(missing_topic_and_full_memory_wait_max_block),
        cmocka_unit_test(delivery_reports_carry_the_record),
        cmocka_unit_test(a_forgotten_producer_starts_a_new_epoch),
        cmocka_unit_test(old_brokers_and_new_topics),
        cmocka_unit_test(transactions_commit_abort_and_fencing),
        cmocka_unit_test(freed_while_a_transaction_call_backs_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
