/*
 * cons_records.c - turns the records of one fetched partition into messages
 * for poll: batches walked in order with records.h's iterators, records
 * before the fetch offset skipped, control batches never returned, and with
 * read_committed the records of aborted transactions dropped with Kafka's
 * consumer rule (the AbortedTransactions list, ordered by first offset,
 * marks a producer aborted from its first offset until its ABORT marker).
 * Pure: no I/O, no locks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer_int.h"

/* One allocation holding the message and every byte it points to. Only the
 * message is zeroed: the caller writes every byte of extra it uses, and
 * zeroing a 1 KiB value first would write it twice. */
static cons_msg_t *msg_alloc(size_t extra)
{
    cons_msg_t *m = malloc(sizeof(*m) + extra);
    if (m)
        memset(m, 0, sizeof(*m));
    return m;
}

cons_msg_t *sl_cons_msg_error(const char *topic, int32_t partition, int64_t offset, sl_err_t err)
{
    size_t tlen = topic ? strlen(topic) : 0;
    cons_msg_t *m = msg_alloc(tlen + 1);
    if (!m)
        return NULL;
    char *t = (char *)(m + 1);
    if (topic)
        memcpy(t, topic, tlen);
    t[tlen] = '\0';
    m->m.topic = topic ? t : NULL;
    m->m.partition = partition;
    m->m.offset = offset;
    m->m.timestamp = -1;
    m->m.key_len = -1;
    m->m.value_len = -1;
    m->m.leader_epoch = -1;
    m->m.err = err;
    return m;
}

void sl_message_free(sl_message_t *msg)
{
    /* The message is the first member of its cons_msg_t allocation. */
    free(msg);
}

void sl_cons_msgs_free(cons_msg_t *head)
{
    while (head) {
        cons_msg_t *next = head->next;
        free(head);
        head = next;
    }
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* A message for rec of batch b: headers array first (aligned), then topic,
 * key, value, header keys (NUL-terminated) and values. */
static cons_msg_t *msg_from_record(const cons_parse_t *p, const sl_batch_t *b, const sl_record_t *rec)
{
    size_t tlen = strlen(p->topic);
    size_t nh = rec->header_count > 0 ? (size_t)rec->header_count : 0;
    size_t klen = rec->key_len > 0 ? (size_t)rec->key_len : 0;
    size_t vlen = rec->value_len > 0 ? (size_t)rec->value_len : 0;
    size_t extra = align8(nh * sizeof(sl_msg_header_t)) + tlen + 1 + klen + vlen;
    sl_header_iter_t hi;
    sl_header_t h;
    sl_header_iter_init(&hi, rec);
    while (sl_header_iter_next(&hi, &h))
        extra += h.key_len + 1 + (h.value_len > 0 ? (size_t)h.value_len : 0);
    cons_msg_t *m = msg_alloc(extra);
    if (!m)
        return NULL;
    sl_msg_header_t *hdrs = (sl_msg_header_t *)(m + 1);
    char *w = (char *)hdrs + align8(nh * sizeof(sl_msg_header_t));
    memcpy(w, p->topic, tlen + 1);
    m->m.topic = w;
    w += tlen + 1;
    m->m.partition = p->partition;
    m->m.offset = rec->offset;
    m->m.timestamp = rec->timestamp;
    m->m.timestamp_type = sl_batch_is_log_append_time(b) ? 1 : 0;
    m->m.leader_epoch = b->partition_leader_epoch;
    m->m.key_len = rec->key_len < 0 ? -1 : rec->key_len;
    if (rec->key_len >= 0) {
        if (klen)
            memcpy(w, rec->key, klen);
        m->m.key = w;
        w += klen;
    }
    m->m.value_len = rec->value_len < 0 ? -1 : rec->value_len;
    if (rec->value_len >= 0) {
        if (vlen)
            memcpy(w, rec->value, vlen);
        m->m.value = w;
        w += vlen;
    }
    size_t i = 0;
    sl_header_iter_init(&hi, rec);
    while (i < nh && sl_header_iter_next(&hi, &h)) {
        if (h.key_len)
            memcpy(w, h.key, h.key_len);
        w[h.key_len] = '\0';
        hdrs[i].key = w;
        w += h.key_len + 1;
        hdrs[i].value_len = h.value_len < 0 ? -1 : h.value_len;
        hdrs[i].value = NULL;
        if (h.value_len >= 0) {
            if (h.value_len)
                memcpy(w, h.value, (size_t)h.value_len);
            hdrs[i].value = w;
            w += h.value_len;
        }
        i++;
    }
    m->m.headers = nh ? hdrs : NULL;
    m->m.header_count = i;
    m->bytes = klen + vlen;
    return m;
}

/* The aborted producers currently open, and the AbortedTransactions list
 * ordered by first offset (Kafka's priority queue). */
typedef struct aborted_state {
    const sl_FetchResponse_AbortedTransaction_t **order;
    int32_t n, next;
    int64_t *pids;
    size_t npids;
} aborted_state_t;

static int cmp_first_offset(const void *a, const void *b)
{
    const sl_FetchResponse_AbortedTransaction_t *x = *(const sl_FetchResponse_AbortedTransaction_t *const *)a;
    const sl_FetchResponse_AbortedTransaction_t *y = *(const sl_FetchResponse_AbortedTransaction_t *const *)b;
    return x->FirstOffset < y->FirstOffset ? -1 : x->FirstOffset > y->FirstOffset;
}

static bool pid_has(const aborted_state_t *a, int64_t pid)
{
    for (size_t i = 0; i < a->npids; i++)
        if (a->pids[i] == pid)
            return true;
    return false;
}

static void pid_del(aborted_state_t *a, int64_t pid)
{
    for (size_t i = 0; i < a->npids; i++)
        if (a->pids[i] == pid) {
            a->pids[i] = a->pids[--a->npids];
            return;
        }
}

/* Every aborted transaction starting at or before last_offset becomes open. */
static void aborted_upto(aborted_state_t *a, int64_t last_offset)
{
    while (a->next < a->n && a->order[a->next]->FirstOffset <= last_offset) {
        int64_t pid = a->order[a->next++]->ProducerId;
        if (!pid_has(a, pid))
            a->pids[a->npids++] = pid;   /* room: npids <= n */
    }
}

static bool batch_is_abort_marker(const sl_batch_t *b)
{
    if (!sl_batch_is_control(b))
        return false;
    sl_record_iter_t it;
    sl_record_t rec;
    int16_t type;
    /* Markers are never compressed; a compressed control batch is not one. */
    if (sl_batch_compression(b) != SL_COMPRESSION_NONE)
        return false;
    if (sl_record_iter_init(&it, b, NULL, 0) != SL_OK || sl_record_iter_next(&it, &rec) != SL_OK)
        return false;
    return sl_control_record_type(&rec, &type) == SL_OK && type == SL_CONTROL_ABORT;
}

static sl_err_t read_batch(cons_parse_t *p, const sl_batch_t *b)
{
    sl_record_iter_t it;
    sl_record_t rec;
    sl_err_t err = sl_record_iter_init(&it, b, p->scratch, p->max_decompressed);
    if (err == SL_OK) {
        while ((err = sl_record_iter_next(&it, &rec)) == SL_OK) {
            if (rec.offset < p->fetch_offset)
                continue;
            cons_msg_t *m = msg_from_record(p, b, &rec);
            if (!m)
                return SL_ERR_NOMEM;
            *p->tail = m;
            p->tail = &m->next;
            p->count++;
            p->bytes += m->bytes;
        }
        if (err == SL_ERR_NOENT)
            return SL_OK;
    }
    snprintf(p->errmsg, sizeof(p->errmsg), "%s [%d] batch at offset %lld: %s", p->topic, (int)p->partition,
             (long long)b->base_offset, it.errmsg[0] ? it.errmsg : sl_err_str(err));
    return err;
}

sl_err_t sl_cons_parse_records(cons_parse_t *p, const void *blob, size_t len)
{
    aborted_state_t ab = {0};
    sl_err_t err = SL_OK;
    p->next_offset = p->fetch_offset;
    p->errmsg[0] = '\0';
    if (p->read_committed && p->aborted_count > 0) {
        ab.n = p->aborted_count;
        ab.order = malloc((size_t)ab.n * sizeof(*ab.order));
        ab.pids = malloc((size_t)ab.n * sizeof(*ab.pids));
        if (!ab.order || !ab.pids) {
            free(ab.order);
            free(ab.pids);
            return SL_ERR_NOMEM;
        }
        for (int32_t i = 0; i < ab.n; i++)
            ab.order[i] = &p->aborted[i];
        qsort(ab.order, (size_t)ab.n, sizeof(*ab.order), cmp_first_offset);
    }
    sl_batch_iter_t bi;
    sl_batch_t b;
    sl_batch_iter_init(&bi, blob, len);
    while ((err = sl_batch_iter_next(&bi, &b)) == SL_OK) {
        int64_t last = sl_batch_last_offset(&b);
        p->whole_batch = true;
        /* Every batch goes through the aborted-transaction bookkeeping,
         * also one wholly before the position (a response may start
         * earlier than asked), so the open set is right afterwards. */
        bool skip = sl_batch_is_control(&b) || last < p->next_offset;
        if (p->read_committed && b.producer_id >= 0) {
            aborted_upto(&ab, last);
            if (batch_is_abort_marker(&b))
                pid_del(&ab, b.producer_id);
            else if (sl_batch_is_transactional(&b) && pid_has(&ab, b.producer_id))
                skip = true;
        }
        if (last < p->next_offset)
            continue;
        if (!skip) {
            err = read_batch(p, &b);
            if (err != SL_OK)
                break;
        }
        p->next_offset = last + 1;
    }
    if (err == SL_ERR_NOENT) {
        err = SL_OK;
    } else if (err == SL_ERR_TRUNCATED) {
        /* The broker cut the response inside a batch: fetch it again. */
        if (bi.pos == 0 && len > 0) {
            snprintf(p->errmsg, sizeof(p->errmsg),
                     "%s [%d] offset %lld: the first batch (%zu bytes fetched) is larger than the fetch size",
                     p->topic, (int)p->partition, (long long)p->fetch_offset, len);
            err = SL_ERR_MESSAGE_TOO_LARGE;
        } else {
            err = SL_OK;
        }
    } else if (err != SL_OK && !p->errmsg[0]) {
        snprintf(p->errmsg, sizeof(p->errmsg), "%s [%d] at offset %lld: %s", p->topic, (int)p->partition,
                 (long long)p->next_offset, bi.errmsg[0] ? bi.errmsg : sl_err_str(err));
    }
    free(ab.order);
    free(ab.pids);
    return err;
}
