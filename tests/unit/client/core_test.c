/*
 * core_test.c - the core's thread and calls: posts run in order on the I/O
 * thread, sl_cl_call waits for its function and refuses the I/O thread,
 * events are served on the calling thread, and freeing the core answers
 * pending requests with SL_ERR_CLOSED.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client_util.h"
#include "fake_broker.h"

typedef struct order {
    pthread_t io;
    int seen[64];
    int n;
    sl_err_t call_from_io;
} order_t;

static order_t g_order;

static void record(sl_cl_t *cl, void *arg)
{
    (void)cl;
    g_order.io = pthread_self();
    g_order.seen[g_order.n++] = (int)(intptr_t)arg;
}

static void nested_call(sl_cl_t *cl, void *arg)
{
    (void)arg;
    g_order.call_from_io = sl_cl_call(cl, record, (void *)(intptr_t)99);
}

static void test_post_and_call(void **state)
{
    (void)state;
    memset(&g_order, 0, sizeof g_order);
    sl_cl_t *cl = cu_core("127.0.0.1:1", NULL);
    for (int i = 0; i < 20; i++)
        assert_int_equal(sl_cl_post(cl, record, (void *)(intptr_t)i), SL_OK);
    assert_int_equal(sl_cl_call(cl, record, (void *)(intptr_t)20), SL_OK);
    assert_int_equal(g_order.n, 21);
    for (int i = 0; i <= 20; i++)
        assert_int_equal(g_order.seen[i], i);
    assert_false(pthread_equal(g_order.io, pthread_self()));
    assert_int_equal(sl_cl_call(cl, nested_call, NULL), SL_OK);
    assert_int_equal(g_order.call_from_io, SL_ERR_STATE);
    assert_int_equal(g_order.n, 21);
    assert_int_equal(sl_cl_post(cl, NULL, NULL), SL_ERR_INVAL);
    int owner;
    sl_cl_set_owner(cl, &owner);
    assert_ptr_equal(sl_cl_owner(cl), &owner);
    assert_int_equal(sl_cl_conf(cl)->reconnect_backoff_ms, 20);
    sl_cl_free(cl);
    sl_cl_free(NULL);
}

static void test_new_bad_conf(void **state)
{
    (void)state;
    char err[256] = "";
    sl_conf_t *c = sl_conf_new();
    assert_int_equal(sl_conf_set(c, "acks", "0", err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(c, "enable.idempotence", "true", err, sizeof err), SL_OK);
    sl_cl_t *cl = (sl_cl_t *)1;
    assert_int_equal(sl_cl_new(c, "x", &cl, err, sizeof err), SL_ERR_CONFIG);
    assert_null(cl);
    assert_true(strlen(err) > 0);
    sl_conf_free(c);
}

/* ---- events ---- */

typedef struct tev {
    sl_cl_event_t ev;
    int *ran;
    int *freed;
    pthread_t *thread;
} tev_t;

static void tev_run(sl_cl_event_t *ev, void *arg)
{
    tev_t *t = (tev_t *)ev;
    (*t->ran)++;
    *t->thread = pthread_self();
    assert_ptr_equal(arg, (void *)0x1234);
}

static void tev_free(sl_cl_event_t *ev)
{
    tev_t *t = (tev_t *)ev;
    (*t->freed)++;
    free(t);
}

static int g_ran, g_freed;
static pthread_t g_thread;

static void push_events(sl_cl_t *cl, void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < n; i++) {
        tev_t *t = calloc(1, sizeof *t);
        t->ev.run = tev_run;
        t->ev.free = tev_free;
        t->ran = &g_ran;
        t->freed = &g_freed;
        t->thread = &g_thread;
        sl_cl_event_push(cl, &t->ev);
    }
}

static void *waker(void *arg)
{
    cu_sleep_ms(50);
    sl_cl_events_wake(arg);
    return NULL;
}

static void test_events(void **state)
{
    (void)state;
    g_ran = g_freed = 0;
    sl_cl_t *cl = cu_core("127.0.0.1:1", NULL);
    assert_int_equal(sl_cl_events_serve(cl, 0, 0, (void *)0x1234), 0);
    assert_int_equal(sl_cl_events_serve(cl, 20, 0, (void *)0x1234), 0);
    assert_int_equal(sl_cl_post(cl, push_events, (void *)(intptr_t)5), SL_OK);
    /* waits for the first, then runs what is queued, at most max */
    int got = sl_cl_events_serve(cl, 5000, 2, (void *)0x1234);
    assert_true(got >= 1 && got <= 2);
    for (int i = 0; i < 100 && g_ran < 5; i++)
        sl_cl_events_serve(cl, 100, 0, (void *)0x1234);
    assert_int_equal(g_ran, 5);
    assert_int_equal(g_freed, 5);
    assert_true(pthread_equal(g_thread, pthread_self()));
    /* a wake ends a wait without an event */
    pthread_t t;
    pthread_create(&t, NULL, waker, cl);
    int64_t t0 = sl_time_mono_ms();
    assert_int_equal(sl_cl_events_serve(cl, 10000, 0, (void *)0x1234), 0);
    assert_true(sl_time_mono_ms() - t0 < 9000);
    pthread_join(t, NULL);
    /* events never served are freed with the core */
    assert_int_equal(sl_cl_call(cl, push_events, (void *)(intptr_t)3), SL_OK);
    sl_cl_free(cl);
    assert_int_equal(g_ran, 5);
    assert_int_equal(g_freed, 8);
}

/* ---- closing with requests pending ---- */

typedef struct pending {
    int called;
    sl_err_t err;
} pending_t;

static void pending_cb(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    (void)cl;
    (void)version;
    (void)resp;
    pending_t *p = arg;
    p->called++;
    p->err = err;
    /* a retry from inside the callback is refused while closing */
    static sl_ListGroupsRequest_t body;
    sl_ListGroupsRequest_init(&body);
    sl_cl_req_t req = {.api_key = 16, .max_version = -1, .body = &body, .node_id = SL_CL_NODE_ANY};
    assert_int_equal(sl_cl_send(cl, &req, pending_cb, arg), SL_ERR_CLOSED);
}

static sl_ListGroupsRequest_t g_lg;

static void send_pending(sl_cl_t *cl, void *arg)
{
    sl_ListGroupsRequest_init(&g_lg);
    sl_cl_req_t req = {.api_key = 16, .max_version = -1, .body = &g_lg, .node_id = SL_CL_NODE_ANY,
                       .timeout_ms = 60000};
    assert_int_equal(sl_cl_send(cl, &req, pending_cb, arg), SL_OK);
}

static sl_fb_reply_t ignore_all(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    (void)fb;
    (void)arg;
    sl_fb_reply_t r = {req->api_key == 16 ? SL_FB_IGNORE : SL_FB_DEFAULT, NULL, 0};
    return r;
}

static void test_free_answers_closed(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    assert_non_null(fb);
    sl_fb_set_handler(fb, ignore_all, NULL);
    sl_cl_t *cl = cu_core(sl_fb_bootstrap(fb), NULL);
    pending_t p = {0, SL_OK};
    assert_int_equal(sl_cl_call(cl, send_pending, &p), SL_OK);
    for (int i = 0; i < 500 && sl_fb_count(fb, 16) == 0; i++)
        cu_sleep_ms(10);
    assert_int_equal(sl_fb_count(fb, 16), 1);
    sl_cl_free(cl);
    assert_int_equal(p.called, 1);
    assert_int_equal(p.err, SL_ERR_CLOSED);
    sl_fb_free(fb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_and_call),
        cmocka_unit_test(test_new_bad_conf),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_free_answers_closed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
