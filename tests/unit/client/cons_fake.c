/*
 * cons_fake.c - see cons_fake.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cons_fake.h"

world_t W;

void cf_log_append(plog_t *l, int partition, size_t value_size)
{
    sl_batch_builder_t b;
    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    o.base_offset = l->next;
    char v[4096];
    int n = snprintf(v, sizeof v, "p%d-%lld", partition, (long long)l->next);
    if (value_size > (size_t)n && value_size < sizeof v) {
        memset(v + n, '.', value_size - (size_t)n);
        n = (int)value_size;
    }
    l->pos[l->next] = l->data.len;
    assert_int_equal(sl_batch_builder_begin(&b, &l->data, &o), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1000 + l->next, NULL, -1, v, n, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    l->next++;
}

void cf_world_init(int records, int64_t log_start, size_t value_size)
{
    memset(&W, 0, sizeof W);
    pthread_mutex_init(&W.mu, NULL);
    W.value_size = value_size;
    for (int p = 0; p < NPART; p++) {
        sl_buf_init(&W.log[p].data);
        for (int i = 0; i < records; i++)
            cf_log_append(&W.log[p], p, value_size);
        W.log[p].start = log_start;
    }
}

void cf_world_fini(void)
{
    for (int p = 0; p < NPART; p++)
        sl_buf_free(&W.log[p].data);
    pthread_mutex_destroy(&W.mu);
}

static size_t batch_end(const plog_t *l, int64_t o)
{
    return o + 1 < l->next ? l->pos[o + 1] : l->data.len;
}

static void fill_partition(sl_fb_t *fb, const sl_fb_req_t *req, const sl_FetchRequest_FetchPartition_t *fp,
                           sl_FetchResponse_PartitionData_t *pd)
{
    sl_FetchResponse_PartitionData_init(pd);
    pd->PartitionIndex = fp->Partition;
    if (fp->Partition < 0 || fp->Partition >= NPART) {
        pd->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    plog_t *l = &W.log[fp->Partition];
    pd->HighWatermark = l->next;
    pd->LastStableOffset = l->next;
    pd->LogStartOffset = l->start;
    if (fp->Partition == 0 && W.not_leader > 0) {
        W.not_leader--;
        W.p0_moved = true;
        pd->ErrorCode = SL_ERR_NOT_LEADER_OR_FOLLOWER;
        sl_fb_topic_leader(fb, "t", 0, 1, 1);
        return;
    }
    /* Once moved, node 0 is no longer p0's leader: only a consumer that
     * learnt the new leader from Metadata gets its records. */
    if (fp->Partition == 0 && W.p0_moved && req->node != 1) {
        pd->ErrorCode = SL_ERR_NOT_LEADER_OR_FOLLOWER;
        return;
    }
    if (fp->FetchOffset < l->start || fp->FetchOffset > l->next) {
        pd->ErrorCode = SL_ERR_OFFSET_OUT_OF_RANGE;
        return;
    }
    if (fp->FetchOffset == l->next)
        return;
    /* Whole batches up to PartitionMaxBytes, at least one (KIP-74). */
    size_t from = l->pos[fp->FetchOffset];
    int64_t o = fp->FetchOffset;
    size_t end = batch_end(l, o++);
    while (o < l->next && batch_end(l, o) - from <= (size_t)fp->PartitionMaxBytes)
        end = batch_end(l, o++);
    size_t len = end - from;
    if (W.cut && len > 10) {
        W.cut = false;
        len -= 10;
    }
    uint8_t *copy = sl_arena_memdup(req->arena, l->data.data + from, len);
    pd->Records.ptr = copy;
    pd->Records.len = (int32_t)len;
}

sl_fb_reply_t cf_handler(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    (void)arg;
    sl_fb_reply_t r = {SL_FB_DEFAULT, NULL, 0};
    pthread_mutex_lock(&W.mu);
    if (req->api_key == 1) {
        if (W.drop > 0) {
            W.drop--;
            r.action = SL_FB_DROP;
            goto out;
        }
        if (W.garbage > 0) {
            W.garbage--;
            r.action = SL_FB_GARBAGE;
            goto out;
        }
        const sl_FetchRequest_t *f = req->body;
        sl_FetchResponse_t *res = sl_arena_zalloc(req->arena, sizeof(*res));
        sl_FetchResponse_init(res);
        res->Responses.count = f->Topics.count;
        res->Responses.items = sl_arena_calloc(req->arena, (size_t)f->Topics.count + 1, sizeof(*res->Responses.items));
        for (int32_t t = 0; t < f->Topics.count; t++) {
            sl_FetchResponse_FetchableTopicResponse_t *tr = &res->Responses.items[t];
            sl_FetchResponse_FetchableTopicResponse_init(tr);
            tr->Topic = f->Topics.items[t].Topic;
            tr->Partitions.count = f->Topics.items[t].Partitions.count;
            tr->Partitions.items = sl_arena_calloc(req->arena, (size_t)tr->Partitions.count + 1,
                                                   sizeof(*tr->Partitions.items));
            for (int32_t i = 0; i < tr->Partitions.count; i++)
                fill_partition(fb, req, &f->Topics.items[t].Partitions.items[i], &tr->Partitions.items[i]);
        }
        r.action = SL_FB_REPLY;
        r.body = res;
    } else if (req->api_key == 2) {
        const sl_ListOffsetsRequest_t *lr = req->body;
        sl_ListOffsetsResponse_t *res = sl_arena_zalloc(req->arena, sizeof(*res));
        sl_ListOffsetsResponse_init(res);
        res->Topics.count = lr->Topics.count;
        res->Topics.items = sl_arena_calloc(req->arena, (size_t)lr->Topics.count + 1, sizeof(*res->Topics.items));
        for (int32_t t = 0; t < lr->Topics.count; t++) {
            sl_ListOffsetsResponse_ListOffsetsTopicResponse_t *tr = &res->Topics.items[t];
            sl_ListOffsetsResponse_ListOffsetsTopicResponse_init(tr);
            tr->Name = lr->Topics.items[t].Name;
            tr->Partitions.count = lr->Topics.items[t].Partitions.count;
            tr->Partitions.items = sl_arena_calloc(req->arena, (size_t)tr->Partitions.count + 1,
                                                   sizeof(*tr->Partitions.items));
            for (int32_t i = 0; i < tr->Partitions.count; i++) {
                const sl_ListOffsetsRequest_ListOffsetsPartition_t *lp = &lr->Topics.items[t].Partitions.items[i];
                sl_ListOffsetsResponse_ListOffsetsPartitionResponse_t *pr = &tr->Partitions.items[i];
                sl_ListOffsetsResponse_ListOffsetsPartitionResponse_init(pr);
                pr->PartitionIndex = lp->PartitionIndex;
                plog_t *l = &W.log[lp->PartitionIndex % NPART];
                pr->Offset = lp->Timestamp == -2 ? l->start : l->next;
                pr->Timestamp = -1;
            }
        }
        r.action = SL_FB_REPLY;
        r.body = res;
    }
out:
    pthread_mutex_unlock(&W.mu);
    return r;
}

sl_fb_t *cf_fb_start(sl_fb_handler_fn *fn)
{
    sl_fb_t *fb = sl_fb_new(2);
    assert_non_null(fb);
    sl_fb_topic_set(fb, "t", NPART);   /* p0 on node 0, p1 on node 1 */
    sl_fb_set_handler(fb, fn ? fn : cf_handler, NULL);
    return fb;
}

sl_consumer_t *cf_consumer(sl_fb_t *fb, const char *const *extra, sl_rebalance_fn *rb, void *rb_arg)
{
    sl_conf_t *conf = sl_conf_new();
    char err[256];
    const char *base[] = {"bootstrap.servers", sl_fb_bootstrap(fb), "reconnect.backoff.ms", "20",
                          "reconnect.backoff.max.ms", "100", "retry.backoff.ms", "20",
                          "request.timeout.ms", "3000", "fetch.max.wait.ms", "50", NULL};
    for (size_t i = 0; base[i]; i += 2)
        assert_int_equal(sl_conf_set(conf, base[i], base[i + 1], err, sizeof err), SL_OK);
    for (size_t i = 0; extra && extra[i]; i += 2)
        assert_int_equal(sl_conf_set(conf, extra[i], extra[i + 1], err, sizeof err), SL_OK);
    sl_consumer_t *c = NULL;
    assert_int_equal(sl_consumer_new(conf, rb, rb_arg, &c, err, sizeof err), SL_OK);
    sl_conf_free(conf);
    return c;
}

void cf_assign(sl_consumer_t *c, int64_t off0, int64_t off1)
{
    sl_tp_offset_t parts[2] = {{.topic = "t", .partition = 0, .offset = off0, .leader_epoch = -1},
                               {.topic = "t", .partition = 1, .offset = off1, .leader_epoch = -1}};
    assert_int_equal(sl_consumer_assign(c, parts, off1 == SL_OFFSET_INVALID ? 1 : 2), SL_OK);
}

/* Polls up to want messages (within 20 s: generous for a loaded
 * machine; it returns as soon as want came); next[p] is the offset expected
 * next per partition and is advanced. Returns how many came; error events
 * are counted in *errs with the last one in *last_err. */
int cf_poll_n(sl_consumer_t *c, int want, int64_t *next, int *errs, sl_err_t *last_err)
{
    int got = 0;
    int64_t until = sl_time_mono_ms() + 20000;
    while (got < want && sl_time_mono_ms() < until) {
        sl_message_t *m = NULL;
        sl_err_t err = sl_consumer_poll(c, 100, &m);
        if (err == SL_ERR_TIMEOUT)
            continue;
        assert_int_equal(err, SL_OK);
        if (m->err) {
            if (errs)
                (*errs)++;
            if (last_err)
                *last_err = m->err;
            sl_message_free(m);
            continue;
        }
        assert_string_equal(m->topic, "t");
        assert_true(m->partition >= 0 && m->partition < NPART);
        assert_int_equal(m->offset, next[m->partition]);
        char want_v[32];
        int n = snprintf(want_v, sizeof want_v, "p%d-%lld", (int)m->partition, (long long)m->offset);
        assert_true(m->value_len >= n);
        assert_memory_equal(m->value, want_v, (size_t)n);
        assert_null(m->key);
        next[m->partition]++;
        got++;
        sl_message_free(m);
    }
    return got;
}

int64_t cf_position(sl_consumer_t *c, int p)
{
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    sl_tp_offset_t *parts;
    size_t n;
    assert_int_equal(sl_consumer_assignment(c, &a, &parts, &n), SL_OK);
    int64_t pos = SL_OFFSET_INVALID;
    for (size_t i = 0; i < n; i++)
        if (parts[i].partition == p)
            pos = parts[i].offset;
    sl_arena_fini(&a);
    return pos;
}

