/*
 * batch_patch.c - the broker's in-place edits of a stored batch: assigning
 * the base offset and leader epoch (outside the CRC, so nothing else moves)
 * and stamping LogAppendTime (inside the CRC, so the CRC is redone).
 */
#include "records_int.h"

sl_err_t sl_batch_assign_offsets(void *data, size_t len, int64_t base_offset,
                                 int32_t partition_leader_epoch)
{
    uint8_t *b = data;
    if (!b || len < SL_BATCH_HEADER_SIZE)
        return SL_ERR_INVAL;
    sl_rec_put_u64(b + SL_BATCH_OFF_BASE_OFFSET, (uint64_t)base_offset);
    sl_rec_put_u32(b + SL_BATCH_OFF_LEADER_EPOCH, (uint32_t)partition_leader_epoch);
    return SL_OK;
}

sl_err_t sl_batch_set_log_append_time(void *data, size_t len, int64_t now_ms)
{
    uint8_t *b = data;
    if (!b || len < SL_BATCH_HEADER_SIZE ||
        SL_BATCH_LOG_OVERHEAD + (size_t)sl_rec_get_u32(b + SL_BATCH_OFF_LENGTH) != len)
        return SL_ERR_INVAL;
    b[SL_BATCH_OFF_ATTRIBUTES + 1] |= SL_BATCH_ATTR_LOG_APPEND_TIME;
    sl_rec_put_u64(b + SL_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)now_ms);
    uint32_t crc = sl_crc32c(0, b + SL_BATCH_OFF_ATTRIBUTES, len - SL_BATCH_OFF_ATTRIBUTES);
    sl_rec_put_u32(b + SL_BATCH_OFF_CRC, crc);
    return SL_OK;
}
