/*
 * consumer_protocol.c - ConsumerProtocolSubscription and
 * ConsumerProtocolAssignment (assignor.h) between the wire, through the
 * generated structs of proto/, and the flat structs the consumer, the admin
 * and the assignors use: an int16 version, then the body of that version.
 */
#include <stddef.h>
#include <string.h>

#include "assignor.h"

void sl_asg_subscription_init(sl_asg_subscription_t *sub)
{
    memset(sub, 0, sizeof(*sub));
    sub->user_data_len = -1;
    sub->generation = -1;
}

void sl_asg_assignment_init(sl_asg_assignment_t *a)
{
    memset(a, 0, sizeof(*a));
    a->user_data_len = -1;
}

/* ---- encoding ------------------------------------------------------------ */

/* Where the generated topic partition entries of the two messages keep
 * their topic and partitions, so one routine builds and reads both. */
typedef struct tp_layout {
    size_t size, topic_off, parts_off;
} tp_layout_t;

#define TP_LAYOUT(T) {sizeof(T), offsetof(T, Topic), offsetof(T, Partitions)}
static const tp_layout_t sub_tp = TP_LAYOUT(sl_ConsumerProtocolSubscription_TopicPartition_t);
static const tp_layout_t assignment_tp = TP_LAYOUT(sl_ConsumerProtocolAssignment_TopicPartition_t);

static sl_kstr_t *tp_topic(const tp_layout_t *l, void *ents, size_t i)
{
    return (sl_kstr_t *)(void *)((char *)ents + i * l->size + l->topic_off);
}

static sl_int32_array_t *tp_parts(const tp_layout_t *l, void *ents, size_t i)
{
    return (sl_int32_array_t *)(void *)((char *)ents + i * l->size + l->parts_off);
}

static sl_err_t kstr_of(const char *s, sl_kstr_t *out)
{
    if (!s)
        return SL_ERR_INVAL;
    size_t n = strlen(s);
    if (n > INT16_MAX)
        return SL_ERR_INVAL;
    *out = sl_kstr_n(s, (int32_t)n);
    return SL_OK;
}

static sl_err_t kbytes_of(const uint8_t *p, int32_t len, sl_kbytes_t *out)
{
    if (len < -1 || (len > 0 && !p))
        return SL_ERR_INVAL;
    out->ptr = len < 0 ? NULL : p;
    out->len = len < 0 ? -1 : len;
    return SL_OK;
}

/* Groups tps[0..n) by topic (first-appearance order) into entries allocated
 * from tmp. */
static sl_err_t group_by_topic(const sl_asg_tp_t *tps, size_t n, const tp_layout_t *l, sl_arena_t *tmp,
                               void **out, int32_t *count)
{
    *out = NULL;
    *count = 0;
    if (n == 0)
        return SL_OK;
    if (!tps || n > INT32_MAX)
        return SL_ERR_INVAL;
    void *ents = sl_arena_calloc(tmp, n, l->size);
    int32_t *parts = sl_arena_calloc(tmp, n, sizeof(*parts));
    bool *done = sl_arena_calloc(tmp, n, sizeof(*done));
    if (!ents || !parts || !done)
        return SL_ERR_NOMEM;
    int32_t ne = 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        sl_int32_array_t *ep = tp_parts(l, ents, (size_t)ne);
        sl_err_t err = kstr_of(tps[i].topic, tp_topic(l, ents, (size_t)ne++));
        if (err != SL_OK)
            return err;
        ep->items = &parts[used];
        /* partitions x topics steps: fine for one member's list */
        for (size_t j = i; j < n; j++) {
            if (!done[j] && tps[j].topic && strcmp(tps[j].topic, tps[i].topic) == 0) {
                parts[used++] = tps[j].partition;
                ep->count++;
                done[j] = true;
            }
        }
    }
    *out = ents;
    *count = ne;
    return SL_OK;
}

sl_err_t sl_asg_tps_put(sl_buf_t *buf, const sl_asg_tp_t *tps, size_t n)
{
    sl_arena_t tmp;
    sl_arena_init(&tmp, 0, 0);
    void *ents;
    int32_t count;
    sl_err_t err = group_by_topic(tps, n, &assignment_tp, &tmp, &ents, &count);
    if (err == SL_OK) {
        sl_buf_put_i32(buf, count);
        for (int32_t i = 0; i < count; i++) {
            const sl_kstr_t *topic = tp_topic(&assignment_tp, ents, (size_t)i);
            const sl_int32_array_t *parts = tp_parts(&assignment_tp, ents, (size_t)i);
            sl_buf_put_i16(buf, (int16_t)topic->len);
            sl_buf_put(buf, topic->ptr, (size_t)topic->len);
            sl_buf_put_i32(buf, parts->count);
            for (int32_t j = 0; j < parts->count; j++)
                sl_buf_put_i32(buf, parts->items[j]);
        }
        err = sl_buf_err(buf);
    }
    sl_arena_fini(&tmp);
    return err;
}

static sl_err_t sub_to_wire(const sl_asg_subscription_t *sub, sl_arena_t *tmp, sl_ConsumerProtocolSubscription_t *m)
{
    sl_ConsumerProtocolSubscription_init(m);
    if (sub->topic_count > INT32_MAX || (sub->topic_count && !sub->topics))
        return SL_ERR_INVAL;
    if (sub->topic_count) {
        m->Topics.items = sl_arena_calloc(tmp, sub->topic_count, sizeof(*m->Topics.items));
        if (!m->Topics.items)
            return SL_ERR_NOMEM;
    }
    m->Topics.count = (int32_t)sub->topic_count;
    for (size_t i = 0; i < sub->topic_count; i++) {
        sl_err_t err = kstr_of(sub->topics[i], &m->Topics.items[i]);
        if (err != SL_OK)
            return err;
    }
    sl_err_t err = kbytes_of(sub->user_data, sub->user_data_len, &m->UserData);
    if (err != SL_OK)
        return err;
    void *ents;
    err = group_by_topic(sub->owned, sub->owned_count, &sub_tp, tmp, &ents, &m->OwnedPartitions.count);
    if (err != SL_OK)
        return err;
    m->OwnedPartitions.items = ents;
    m->GenerationId = sub->generation;
    if (sub->rack) {
        err = kstr_of(sub->rack, &m->RackId);
        if (err != SL_OK)
            return err;
    }
    return SL_OK;
}

static sl_err_t assignment_to_wire(const sl_asg_assignment_t *a, sl_arena_t *tmp, sl_ConsumerProtocolAssignment_t *m)
{
    sl_ConsumerProtocolAssignment_init(m);
    void *ents;
    sl_err_t err = group_by_topic(a->parts, a->count, &assignment_tp, tmp, &ents, &m->AssignedPartitions.count);
    if (err != SL_OK)
        return err;
    m->AssignedPartitions.items = ents;
    return kbytes_of(a->user_data, a->user_data_len, &m->UserData);
}

/* Writes the version then the message; buf is cut back on error. */
static sl_err_t put_versioned(sl_buf_t *buf, int16_t version, const void *m,
                              sl_err_t (*enc)(sl_buf_t *, int16_t, const void *))
{
    size_t start = buf->len;
    sl_buf_put_i16(buf, version);
    sl_err_t err = sl_buf_err(buf);
    if (err == SL_OK)
        err = enc(buf, version, m);
    if (err != SL_OK && sl_buf_err(buf) == SL_OK)
        buf->len = start;
    return err;
}

static sl_err_t enc_sub(sl_buf_t *buf, int16_t version, const void *m)
{
    return sl_ConsumerProtocolSubscription_encode(buf, version, m);
}

static sl_err_t enc_assignment(sl_buf_t *buf, int16_t version, const void *m)
{
    return sl_ConsumerProtocolAssignment_encode(buf, version, m);
}

sl_err_t sl_asg_subscription_encode(sl_buf_t *buf, int16_t version, const sl_asg_subscription_t *sub)
{
    if (version < 0 || version > SL_ASG_PROTO_VERSION_MAX)
        return SL_ERR_UNSUPPORTED_VERSION;
    sl_arena_t tmp;
    sl_arena_init(&tmp, 0, 0);
    sl_ConsumerProtocolSubscription_t m;
    sl_err_t err = sub_to_wire(sub, &tmp, &m);
    if (err == SL_OK)
        err = put_versioned(buf, version, &m, enc_sub);
    sl_arena_fini(&tmp);
    return err;
}

sl_err_t sl_asg_assignment_encode(sl_buf_t *buf, int16_t version, const sl_asg_assignment_t *a)
{
    if (version < 0 || version > SL_ASG_PROTO_VERSION_MAX)
        return SL_ERR_UNSUPPORTED_VERSION;
    sl_arena_t tmp;
    sl_arena_init(&tmp, 0, 0);
    sl_ConsumerProtocolAssignment_t m;
    sl_err_t err = assignment_to_wire(a, &tmp, &m);
    if (err == SL_OK)
        err = put_versioned(buf, version, &m, enc_assignment);
    sl_arena_fini(&tmp);
    return err;
}

/* ---- decoding ------------------------------------------------------------ */

/* A NUL-terminated copy of a decoded string; NULL strings and strings with
 * a NUL inside are refused (no topic, rack or id may hold one). */
static sl_err_t copy_str(sl_kstr_t s, sl_arena_t *arena, const char **out)
{
    if (s.len < 0 || (s.len > 0 && memchr(s.ptr, 0, (size_t)s.len)))
        return SL_ERR_PARSE;
    *out = sl_kstr_dup(arena, s);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

static sl_err_t copy_bytes(sl_kbytes_t b, sl_arena_t *arena, const uint8_t **p, int32_t *len)
{
    *p = NULL;
    *len = -1;
    if (b.len < 0)
        return SL_OK;
    *p = sl_arena_memdup(arena, b.len ? (const void *)b.ptr : "", (size_t)b.len);
    if (!*p)
        return SL_ERR_NOMEM;
    *len = b.len;
    return SL_OK;
}

/* Flattens decoded topic partition entries into one array. */
static sl_err_t flatten(void *ents, int32_t count, const tp_layout_t *l, sl_arena_t *arena,
                        const sl_asg_tp_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t total = 0;
    for (int32_t i = 0; i < count; i++)
        total += (size_t)SL_MAX(tp_parts(l, ents, (size_t)i)->count, 0);
    sl_asg_tp_t *tps = sl_arena_calloc(arena, total ? total : 1, sizeof(*tps));
    if (!tps)
        return SL_ERR_NOMEM;
    size_t k = 0;
    for (int32_t i = 0; i < count; i++) {
        const char *topic;
        sl_err_t err = copy_str(*tp_topic(l, ents, (size_t)i), arena, &topic);
        if (err != SL_OK)
            return err;
        const sl_int32_array_t *parts = tp_parts(l, ents, (size_t)i);
        for (int32_t j = 0; j < parts->count; j++) {
            if (parts->items[j] < 0)
                return SL_ERR_PARSE;
            tps[k].topic = topic;
            tps[k++].partition = parts->items[j];
        }
    }
    *out = tps;
    *n = k;
    return SL_OK;
}

/* Reads the version; newer versions are read as the newest known. */
static sl_err_t read_version(sl_rd_t *rd, int16_t *version)
{
    int16_t v = sl_rd_i16(rd);
    if (!sl_rd_ok(rd))
        return rd->err;
    if (v < 0)
        return SL_ERR_PARSE;
    *version = SL_MIN(v, (int16_t)SL_ASG_PROTO_VERSION_MAX);
    return SL_OK;
}

static sl_err_t sub_from_wire(const sl_ConsumerProtocolSubscription_t *m, sl_arena_t *arena, sl_asg_subscription_t *out)
{
    if (m->Topics.count > 0) {
        const char **topics = sl_arena_calloc(arena, (size_t)m->Topics.count, sizeof(*topics));
        if (!topics)
            return SL_ERR_NOMEM;
        for (int32_t i = 0; i < m->Topics.count; i++) {
            sl_err_t err = copy_str(m->Topics.items[i], arena, &topics[i]);
            if (err != SL_OK)
                return err;
        }
        out->topics = topics;
        out->topic_count = (size_t)m->Topics.count;
    }
    sl_err_t err = copy_bytes(m->UserData, arena, &out->user_data, &out->user_data_len);
    if (err == SL_OK)
        err = flatten(m->OwnedPartitions.items, m->OwnedPartitions.count, &sub_tp, arena, &out->owned,
                      &out->owned_count);
    if (err != SL_OK)
        return err;
    out->generation = m->GenerationId;
    if (m->RackId.len >= 0)
        err = copy_str(m->RackId, arena, &out->rack);
    return err;
}

sl_err_t sl_asg_subscription_decode(const void *p, size_t n, sl_arena_t *arena, sl_asg_subscription_t *out)
{
    sl_asg_subscription_init(out);
    sl_rd_t rd;
    sl_rd_init(&rd, p, n);
    int16_t version = 0;
    sl_err_t err = read_version(&rd, &version);
    sl_ConsumerProtocolSubscription_t m;
    sl_ConsumerProtocolSubscription_init(&m);
    if (err == SL_OK)
        err = sl_ConsumerProtocolSubscription_decode(&rd, version, arena, &m);
    if (err == SL_OK)
        err = sub_from_wire(&m, arena, out);
    if (err != SL_OK)
        sl_asg_subscription_init(out);
    return err;
}

sl_err_t sl_asg_assignment_decode(const void *p, size_t n, sl_arena_t *arena, sl_asg_assignment_t *out)
{
    sl_asg_assignment_init(out);
    if (n == 0)
        return SL_OK;
    sl_rd_t rd;
    sl_rd_init(&rd, p, n);
    int16_t version = 0;
    sl_err_t err = read_version(&rd, &version);
    sl_ConsumerProtocolAssignment_t m;
    sl_ConsumerProtocolAssignment_init(&m);
    if (err == SL_OK)
        err = sl_ConsumerProtocolAssignment_decode(&rd, version, arena, &m);
    if (err == SL_OK)
        err = flatten(m.AssignedPartitions.items, m.AssignedPartitions.count, &assignment_tp, arena, &out->parts,
                      &out->count);
    if (err == SL_OK)
        err = copy_bytes(m.UserData, arena, &out->user_data, &out->user_data_len);
    if (err != SL_OK)
        sl_asg_assignment_init(out);
    return err;
}
