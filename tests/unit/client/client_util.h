/*
 * client_util.h - helpers for the core's unit tests: send one request on a
 * core's I/O thread and wait (bounded) for its callback from the test's
 * thread, run a function there, and poll a condition there until it holds.
 */
#ifndef SL_TEST_CLIENT_UTIL_H
#define SL_TEST_CLIENT_UTIL_H

#include "client_int.h"

/* One request and, once its callback ran, its outcome. inspect (may be
 * NULL) runs inside the callback on success, to look at the response. */
typedef struct cu_req {
    sl_cl_req_t req;
    void (*inspect)(sl_cl_t *cl, const void *resp, int16_t version, void *arg);
    void *inspect_arg;
    /* results */
    bool done;
    sl_err_t err;
    int16_t version;
} cu_req_t;

/* Sends r->req on cl's I/O thread and waits up to wait_ms for the callback;
 * fails the test if it does not come. Returns the callback's err. */
sl_err_t cu_send(sl_cl_t *cl, cu_req_t *r, int wait_ms);

/* Calls pred(cl, arg) on the I/O thread every 10 ms until it returns true;
 * false when wait_ms passed first. */
typedef bool cu_pred_fn(sl_cl_t *cl, void *arg);
bool cu_wait_io(sl_cl_t *cl, cu_pred_fn *pred, void *arg, int wait_ms);

/* A core for the fake broker at bootstrap with small timeouts and backoffs,
 * plus the given extra key=value pairs (NULL-terminated list). */
sl_cl_t *cu_core(const char *bootstrap, const char *const *extra);

void cu_sleep_ms(int ms);

#endif
