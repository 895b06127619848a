/*
 * eos.c - exactly_once_v2: one transactional producer per stream thread
 * (transactional.id "<application.id>-<process id>-<thread>", stable for
 * an instance that keeps its state directory, so a restart fences the
 * instance it replaces). Everything a thread's tasks write between two
 * commits - sink records, changelog records, repartition records - and the
 * input offsets they consumed go into one transaction, with the consumer's
 * group metadata so the group coordinator fences a zombie of an older
 * generation (KIP-447). A transaction is begun lazily, before the first
 * record, punctuation or flush after a commit.
 */
#include "app_int.h"

#define EOS_TIMEOUT_MS 60000

sl_err_t sl_eos_init(sl_sthread_t *th)
{
    sl_err_t err = sl_producer_init_transactions(th->producer, EOS_TIMEOUT_MS);
    if (err)
        SL_ERROR(SL_APP_LOG, "%s: init_transactions (%s): %s", th->name, th->txn_id, sl_err_name(err));
    return err;
}

sl_err_t sl_eos_begin(sl_sthread_t *th)
{
    if (th->txn_open)
        return SL_OK;
    sl_err_t err = sl_producer_begin_transaction(th->producer);
    if (err)
        SL_ERROR(SL_APP_LOG, "%s: begin_transaction: %s", th->name, sl_err_name(err));
    else
        th->txn_open = true;
    return err;
}

sl_err_t sl_eos_commit(sl_sthread_t *th, const sl_tp_offset_t *offsets, size_t n)
{
    if (!th->txn_open)
        return SL_OK;
    sl_err_t err = SL_OK;
    if (n) {
        sl_group_meta_t meta;
        err = sl_consumer_group_metadata(th->consumer, &meta);
        if (!err)
            err = sl_producer_send_offsets_to_transaction(th->producer, offsets, n, &meta, EOS_TIMEOUT_MS);
        if (err)
            SL_ERROR(SL_APP_LOG, "%s: send_offsets_to_transaction: %s", th->name, sl_err_name(err));
    }
    if (!err) {
        err = sl_producer_commit_transaction(th->producer, EOS_TIMEOUT_MS);
        if (err)
            SL_ERROR(SL_APP_LOG, "%s: commit_transaction: %s", th->name, sl_err_name(err));
    }
    if (!err && th->dr_err)
        err = th->dr_err;
    if (err) {
        sl_eos_abort(th);
        return err;
    }
    th->txn_open = false;
    return SL_OK;
}

void sl_eos_abort(sl_sthread_t *th)
{
    if (!th->txn_open)
        return;
    sl_err_t err = sl_producer_abort_transaction(th->producer, EOS_TIMEOUT_MS);
    if (err)
        SL_WARN(SL_APP_LOG, "%s: abort_transaction: %s", th->name, sl_err_name(err));
    else
        SL_INFO(SL_APP_LOG, "%s: transaction aborted", th->name);
    th->txn_open = false;
}
