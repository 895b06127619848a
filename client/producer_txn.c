/*
 * producer_txn.c - the transactional calls of the producer (client.h).
 * Transactions are not implemented yet: with transactional.id set, every
 * call says SL_ERR_UNSUPPORTED and sends are refused (SL_ERR_STATE), so no
 * transactional batch ever reaches a broker outside a transaction; without
 * it, the calls are in the wrong state (SL_ERR_STATE), as the Java client.
 */
#include "producer_int.h"

static sl_err_t txn_unavailable(sl_producer_t *p)
{
    if (!p)
        return SL_ERR_INVAL;
    return p->conf->transactional_id ? SL_ERR_UNSUPPORTED : SL_ERR_STATE;
}

bool sl_prod_txn_send_allowed(sl_producer_t *p)
{
    return p->conf->transactional_id == NULL;
}

sl_err_t sl_producer_init_transactions(sl_producer_t *p, int timeout_ms)
{
    SL_UNUSED(timeout_ms);
    return txn_unavailable(p);
}

sl_err_t sl_producer_begin_transaction(sl_producer_t *p)
{
    return txn_unavailable(p);
}

sl_err_t sl_producer_send_offsets_to_transaction(sl_producer_t *p, const sl_tp_offset_t *offsets, size_t n,
                                                 const sl_group_meta_t *meta, int timeout_ms)
{
    SL_UNUSED(offsets);
    SL_UNUSED(n);
    SL_UNUSED(meta);
    SL_UNUSED(timeout_ms);
    return txn_unavailable(p);
}

sl_err_t sl_producer_commit_transaction(sl_producer_t *p, int timeout_ms)
{
    SL_UNUSED(timeout_ms);
    return txn_unavailable(p);
}

sl_err_t sl_producer_abort_transaction(sl_producer_t *p, int timeout_ms)
{
    SL_UNUSED(timeout_ms);
    return txn_unavailable(p);
}
