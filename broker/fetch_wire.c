/*
 * fetch_wire.c - the Fetch response frame (v4-v12) written by hand, so that
 * a partition's record bytes can be left out of the buffer and sent from its
 * segment file with sendfile. Everything else is byte for byte what the
 * generated encoder writes (broker_fetch_test compares the two for every
 * version); the generated encoder stays the reference and the fallback.
 *
 * Not written here (never set by this broker): the v12 tagged fields
 * DivergingEpoch, CurrentLeader and SnapshotId, and v13's topic ids.
 */
#include "broker_int.h"

static void put_len(sl_buf_t *out, bool flex, int32_t len)
{
    if (flex)
        sl_buf_put_uvarint(out, (uint32_t)(len + 1)); /* -1 (null) becomes 0 */
    else
        sl_buf_put_i32(out, len);
}

static void put_string(sl_buf_t *out, bool flex, sl_kstr_t s)
{
    int32_t len = SL_MAX(s.len, 0);
    if (flex)
        sl_buf_put_uvarint(out, (uint32_t)len + 1);
    else
        sl_buf_put_i16(out, (int16_t)len);
    sl_buf_put(out, s.ptr, (size_t)len);
}

sl_err_t sl_broker_fetch_encode(sl_buf_t *out, int16_t version, int32_t correlation_id, const sl_FetchResponse_t *resp,
                                size_t *holes, size_t *nholes)
{
    if (version < 4 || version > 12)
        return SL_ERR_UNSUPPORTED_VERSION;
    bool flex = version >= 12;
    size_t start = out->len;
    int64_t hole_bytes = 0;
    *nholes = 0;
    sl_buf_put_i32(out, 0); /* size, patched below */
    sl_buf_put_i32(out, correlation_id);
    if (flex)
        sl_buf_put_uvarint(out, 0); /* response header v1: no tagged fields */
    sl_buf_put_i32(out, resp->ThrottleTimeMs);
    if (version >= 7) {
        sl_buf_put_i16(out, resp->ErrorCode);
        sl_buf_put_i32(out, resp->SessionId);
    }
    put_len(out, flex, SL_MAX(resp->Responses.count, 0));
    for (int32_t i = 0; i < resp->Responses.count; i++) {
        const sl_FetchResponse_FetchableTopicResponse_t *rt = &resp->Responses.items[i];
        if (rt->Topic.len > INT16_MAX)
            return SL_ERR_INVAL;
        put_string(out, flex, rt->Topic);
        put_len(out, flex, SL_MAX(rt->Partitions.count, 0));
        for (int32_t j = 0; j < rt->Partitions.count; j++) {
            const sl_FetchResponse_PartitionData_t *pr = &rt->Partitions.items[j];
            sl_buf_put_i32(out, pr->PartitionIndex);
            sl_buf_put_i16(out, pr->ErrorCode);
            sl_buf_put_i64(out, pr->HighWatermark);
            sl_buf_put_i64(out, pr->LastStableOffset);
            if (version >= 5)
                sl_buf_put_i64(out, pr->LogStartOffset);
            put_len(out, flex, pr->AbortedTransactions.count < 0 ? -1 : pr->AbortedTransactions.count);
            for (int32_t k = 0; k < pr->AbortedTransactions.count; k++) {
                sl_buf_put_i64(out, pr->AbortedTransactions.items[k].ProducerId);
                sl_buf_put_i64(out, pr->AbortedTransactions.items[k].FirstOffset);
                if (flex)
                    sl_buf_put_uvarint(out, 0);
            }
            if (version >= 11)
                sl_buf_put_i32(out, pr->PreferredReadReplica);
            else if (pr->PreferredReadReplica != -1)
                return SL_ERR_UNSUPPORTED;
            put_len(out, flex, pr->Records.len < 0 ? -1 : pr->Records.len);
            if (pr->Records.len > 0 && !pr->Records.ptr) {
                /* A hole: these bytes come from a file, right here. */
                holes[(*nholes)++] = out->len - start;
                hole_bytes += pr->Records.len;
            } else if (pr->Records.len > 0) {
                sl_buf_put(out, pr->Records.ptr, (size_t)pr->Records.len);
            }
            if (flex)
                sl_buf_put_uvarint(out, 0); /* partition tagged fields */
        }
        if (flex)
            sl_buf_put_uvarint(out, 0); /* topic tagged fields */
    }
    if (flex)
        sl_buf_put_uvarint(out, 0);
    if (sl_buf_err(out) != SL_OK)
        return SL_ERR_NOMEM;
    int64_t size = (int64_t)(out->len - start - 4) + hole_bytes;
    if (size > INT32_MAX)
        return SL_ERR_TOO_LARGE;
    sl_buf_set_i32(out, start, (int32_t)size);
    return SL_OK;
}
