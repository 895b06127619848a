/*
 * records_internal.c - the record bodies the group coordinator keeps in
 * __consumer_offsets, in Kafka's layouts (OffsetCommitKey v0-1,
 * OffsetCommitValue v0-3, GroupMetadataKey v2, GroupMetadataValue v0-3;
 * the flexible v4 values Kafka never writes by default are refused as
 * unsupported), and the rule that places a group on a partition.
 */
#include <string.h>

#include "group_int.h"

/* ---- the partition of a group ---- */

/* The next code point of s[*i..n) as Java's UTF-8 decoder sees it: a
 * malformed sequence (bad lead byte, overlong form, above U+10FFFF, cut
 * short) is one U+FFFD per maximal ill-formed subpart; an encoded
 * surrogate (ED A0..BF xx) is one U+FFFD for its three bytes. */
static uint32_t next_code_point(const uint8_t *s, size_t n, size_t *i)
{
    uint8_t b = s[(*i)++];
    if (b < 0x80)
        return b;
    int more;
    uint32_t cp;
    uint8_t lo = 0x80, hi = 0xBF; /* the first continuation byte's range */
    if (b >= 0xC2 && b <= 0xDF) {
        more = 1;
        cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        more = 2;
        cp = b & 0x0F;
        if (b == 0xE0) {
            lo = 0xA0; /* no overlong forms */
        } else if (b == 0xED) {
            hi = 0x9F; /* no surrogates: Java replaces a whole encoded one */
            if (*i + 1 < n && s[*i] >= 0xA0 && s[*i] <= 0xBF && (s[*i + 1] & 0xC0) == 0x80) {
                *i += 2;
                return 0xFFFD;
            }
        }
    } else if (b >= 0xF0 && b <= 0xF4) {
        more = 3;
        cp = b & 0x07;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return 0xFFFD;
    }
    for (int k = 0; k < more; k++) {
        if (*i >= n)
            return 0xFFFD;
        uint8_t c = s[*i];
        if (c < (k == 0 ? lo : 0x80) || c > (k == 0 ? hi : 0xBF))
            return 0xFFFD; /* c starts the next code point */
        cp = cp << 6 | (c & 0x3F);
        (*i)++;
    }
    return cp;
}

int32_t sl_coord_java_hash(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    uint32_t h = 0; /* Java's int arithmetic wraps */
    size_t i = 0;
    while (i < len) {
        uint32_t cp = next_code_point(p, len, &i);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            h = h * 31 + (0xD800 + (cp >> 10));
            h = h * 31 + (0xDC00 + (cp & 0x3FF));
        } else {
            h = h * 31 + cp;
        }
    }
    return (int32_t)h;
}

int32_t sl_coord_partition_for(const char *group, size_t len, int32_t partitions)
{
    if (partitions <= 0)
        return 0;
    return (int32_t)(((uint32_t)sl_coord_java_hash(group, len) & 0x7fffffffu) % (uint32_t)partitions);
}

/* ---- writing ---- */

/* A non-null string: Kafka's int16 length, then the bytes (longer ones
 * are cut at INT16_MAX; group ids, topics and member ids are far shorter). */
static void put_str(sl_buf_t *out, sl_kstr_t s)
{
    int32_t len = SL_MIN(SL_MAX(s.len, 0), INT16_MAX);
    sl_buf_put_i16(out, (int16_t)len);
    if (len > 0)
        sl_buf_put(out, s.ptr, (size_t)len);
}

static void put_nstr(sl_buf_t *out, sl_kstr_t s)
{
    if (s.len < 0)
        sl_buf_put_i16(out, -1);
    else
        put_str(out, s);
}

static void put_bytes(sl_buf_t *out, sl_kbytes_t b)
{
    int32_t len = SL_MAX(b.len, 0);
    sl_buf_put_i32(out, len);
    if (len > 0)
        sl_buf_put(out, b.ptr, (size_t)len);
}

void sl_coord_offset_key_write(sl_buf_t *out, sl_kstr_t group, sl_kstr_t topic, int32_t partition)
{
    sl_buf_put_i16(out, 1);
    put_str(out, group);
    put_str(out, topic);
    sl_buf_put_i32(out, partition);
}

void sl_coord_offset_value_write(sl_buf_t *out, const sl_offset_t *o)
{
    sl_buf_put_i16(out, 3);
    sl_buf_put_i64(out, o->offset);
    sl_buf_put_i32(out, o->leader_epoch);
    put_str(out, sl_kstr(o->metadata ? o->metadata : "")); /* not nullable: Kafka stores "" */
    sl_buf_put_i64(out, o->commit_ts);
}

void sl_coord_group_key_write(sl_buf_t *out, sl_kstr_t group)
{
    sl_buf_put_i16(out, 2);
    put_str(out, group);
}

void sl_coord_group_value_write(sl_buf_t *out, const sl_group_record_t *g)
{
    sl_buf_put_i16(out, 3);
    put_str(out, g->protocol_type);
    sl_buf_put_i32(out, g->generation);
    put_nstr(out, g->protocol);
    put_nstr(out, g->leader);
    sl_buf_put_i64(out, g->state_ts);
    sl_buf_put_i32(out, g->nmembers);
    for (int32_t i = 0; i < g->nmembers; i++) {
        const sl_group_record_member_t *m = &g->members[i];
        put_str(out, m->member_id);
        put_nstr(out, m->instance_id);
        put_str(out, m->client_id);
        put_str(out, m->client_host);
        sl_buf_put_i32(out, m->rebalance_timeout_ms);
        sl_buf_put_i32(out, m->session_timeout_ms);
        put_bytes(out, m->subscription);
        put_bytes(out, m->assignment);
    }
}

/* ---- reading ---- */

static sl_kstr_t rd_nstr(sl_rd_t *rd)
{
    int16_t len = sl_rd_i16(rd);
    if (len < 0) {
        if (len != -1)
            sl_rd_fail(rd, SL_ERR_PARSE);
        return sl_kstr_null();
    }
    const uint8_t *p = sl_rd_take(rd, (size_t)len);
    return p ? sl_kstr_n((const char *)p, len) : sl_kstr_null();
}

static sl_kstr_t rd_str(sl_rd_t *rd)
{
    sl_kstr_t s = rd_nstr(rd);
    if (s.len < 0)
        sl_rd_fail(rd, SL_ERR_PARSE);
    return s;
}

static sl_kbytes_t rd_bytes(sl_rd_t *rd)
{
    int32_t len = sl_rd_i32(rd);
    sl_kbytes_t b = {(const uint8_t *)"", 0};
    if (len < 0) {
        if (len != -1)
            sl_rd_fail(rd, SL_ERR_PARSE);
        return b; /* a null subscription or assignment reads as empty */
    }
    const uint8_t *p = sl_rd_take(rd, (size_t)len);
    if (p) {
        b.ptr = p;
        b.len = len;
    }
    return b;
}

/* SL_OK when rd was read without error and to its end. */
static sl_err_t rd_done(const sl_rd_t *rd)
{
    return sl_rd_ok(rd) && sl_rd_left(rd) == 0 ? SL_OK : SL_ERR_PARSE;
}

sl_err_t sl_coord_key_read(const void *p, size_t n, sl_coord_key_t *k)
{
    sl_rd_t rd;
    sl_rd_init(&rd, p, n);
    memset(k, 0, sizeof *k);
    k->version = sl_rd_i16(&rd);
    if (!sl_rd_ok(&rd))
        return SL_ERR_PARSE;
    if (k->version == 0 || k->version == 1) {
        k->group = rd_str(&rd);
        k->topic = rd_str(&rd);
        k->partition = sl_rd_i32(&rd);
    } else if (k->version == 2) {
        k->group = rd_str(&rd);
        k->topic = sl_kstr_null();
        k->partition = -1;
    } else {
        return SL_ERR_UNSUPPORTED; /* a transaction log key, or a future one */
    }
    return rd_done(&rd);
}

sl_err_t sl_coord_offset_value_read(const void *p, size_t n, sl_offset_t *o, sl_kstr_t *metadata)
{
    sl_rd_t rd;
    sl_rd_init(&rd, p, n);
    int16_t v = sl_rd_i16(&rd);
    if (!sl_rd_ok(&rd))
        return SL_ERR_PARSE;
    if (v < 0 || v > 3)
        return SL_ERR_UNSUPPORTED;
    memset(o, 0, sizeof *o);
    o->offset = sl_rd_i64(&rd);
    o->leader_epoch = v >= 3 ? sl_rd_i32(&rd) : -1;
    *metadata = rd_nstr(&rd); /* -1 is tolerated: an earlier sluice wrote it */
    o->commit_ts = sl_rd_i64(&rd);
    if (v == 1)
        sl_rd_i64(&rd); /* expireTimestamp: Kafka 2.1+ ignores it too */
    return rd_done(&rd);
}

sl_err_t sl_coord_group_value_read(const void *p, size_t n, sl_arena_t *arena, sl_group_record_t *g)
{
    sl_rd_t rd;
    sl_rd_init(&rd, p, n);
    int16_t v = sl_rd_i16(&rd);
    if (!sl_rd_ok(&rd))
        return SL_ERR_PARSE;
    if (v < 0 || v > 3)
        return SL_ERR_UNSUPPORTED;
    memset(g, 0, sizeof *g);
    g->protocol_type = rd_str(&rd);
    g->generation = sl_rd_i32(&rd);
    g->protocol = rd_nstr(&rd);
    g->leader = rd_nstr(&rd);
    g->state_ts = v >= 2 ? sl_rd_i64(&rd) : -1;
    int32_t nm = sl_rd_i32(&rd);
    if (!sl_rd_ok(&rd) || nm < 0)
        return SL_ERR_PARSE;
    /* each member takes at least 18 bytes (v0): a count the bytes cannot
     * hold is refused before anything is allocated */
    if ((size_t)nm > sl_rd_left(&rd) / 18)
        return SL_ERR_PARSE;
    g->members = sl_arena_calloc(arena, (size_t)nm + 1, sizeof *g->members);
    if (!g->members)
        return SL_ERR_NOMEM;
    for (int32_t i = 0; i < nm && sl_rd_ok(&rd); i++) {
        sl_group_record_member_t *m = &g->members[i];
        m->member_id = rd_str(&rd);
        m->instance_id = v >= 3 ? rd_nstr(&rd) : sl_kstr_null();
        m->client_id = rd_str(&rd);
        m->client_host = rd_str(&rd);
        m->rebalance_timeout_ms = v >= 1 ? sl_rd_i32(&rd) : -1;
        m->session_timeout_ms = sl_rd_i32(&rd);
        if (v == 0)
            m->rebalance_timeout_ms = m->session_timeout_ms;
        m->subscription = rd_bytes(&rd);
        m->assignment = rd_bytes(&rd);
    }
    g->nmembers = nm;
    return rd_done(&rd);
}
