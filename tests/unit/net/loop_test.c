/* loop_test.c - the loop without sockets: file events on pipes, stale events
 * after a descriptor is reused, the before-sleep hook, stop, and the
 * cross-thread calls (wake, post, stop) from a pthread. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "net.h"

static void stop_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(id);
    *(bool *)arg = true;
    sl_loop_stop(loop);
}

/* The loop's run is bounded by this timer whatever the test does. */
static void safety_net(sl_loop_t *loop, bool *fired)
{
    *fired = false;
    assert_int_equal(sl_loop_timer_add(loop, 10000, false, stop_cb, fired, NULL), SL_OK);
}

static void loop_new_and_free(void **state)
{
    (void)state;
    sl_loop_t *loop = NULL;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    assert_non_null(loop);
    assert_true(sl_loop_now_ms(loop) > 0);
    sl_loop_free(loop);
    sl_loop_free(NULL);
}

typedef struct pipe_rec {
    int calls;
    unsigned last_events;
    char last_byte;
} pipe_rec_t;

static void pipe_cb(sl_loop_t *loop, int fd, unsigned events, void *arg)
{
    SL_UNUSED(loop);
    pipe_rec_t *r = arg;
    r->calls++;
    r->last_events = events;
    if (events & SL_EV_READ) {
        char c;
        if (read(fd, &c, 1) == 1)
            r->last_byte = c;
    }
}

static void loop_fd_read_event_delivered_and_masked(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pipe_rec_t r = {0};
    assert_int_equal(sl_loop_fd_add(loop, p[0], SL_EV_READ, pipe_cb, &r), SL_OK);
    assert_int_equal(sl_loop_fd_add(loop, p[0], SL_EV_READ, pipe_cb, &r), SL_ERR_INVAL);
    assert_int_equal(sl_loop_fd_add(loop, -1, SL_EV_READ, pipe_cb, &r), SL_ERR_INVAL);

    assert_int_equal(sl_loop_run_once(loop, 0), SL_OK);
    assert_int_equal(r.calls, 0);

    assert_int_equal(write(p[1], "x", 1), 1);
    assert_int_equal(sl_loop_run_once(loop, 1000), SL_OK);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.last_events, SL_EV_READ);
    assert_int_equal(r.last_byte, 'x');

    /* Masked off: data waits, no calls. */
    assert_int_equal(sl_loop_fd_set(loop, p[0], 0), SL_OK);
    assert_int_equal(write(p[1], "y", 1), 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sl_loop_run_once(loop, 0), SL_OK);
    assert_int_equal(r.calls, 1);
    assert_int_equal(sl_loop_fd_set(loop, p[0], SL_EV_READ), SL_OK);
    assert_int_equal(sl_loop_run_once(loop, 1000), SL_OK);
    assert_int_equal(r.calls, 2);
    assert_int_equal(r.last_byte, 'y');

    sl_loop_fd_del(loop, p[0]);
    sl_loop_fd_del(loop, p[0]); /* no-op */
    assert_int_equal(sl_loop_fd_set(loop, p[0], SL_EV_READ), SL_ERR_INVAL);
    assert_int_equal(write(p[1], "z", 1), 1);
    assert_int_equal(sl_loop_run_once(loop, 0), SL_OK);
    assert_int_equal(r.calls, 2);
    close(p[0]);
    close(p[1]);
    sl_loop_free(loop);
}

static void loop_idle_fd_hangup_does_not_call_back(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pipe_rec_t r = {0};
    assert_int_equal(sl_loop_fd_add(loop, p[0], 0, pipe_cb, &r), SL_OK);
    close(p[1]); /* hang-up on the read end */
    for (int i = 0; i < 3; i++)
        assert_int_equal(sl_loop_run_once(loop, 0), SL_OK);
    assert_int_equal(r.calls, 0);
    /* Watching for reads: the hang-up shows as readable. */
    assert_int_equal(sl_loop_fd_set(loop, p[0], SL_EV_READ), SL_OK);
    assert_int_equal(sl_loop_run_once(loop, 1000), SL_OK);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.last_events, SL_EV_READ);
    sl_loop_fd_del(loop, p[0]);
    close(p[0]);
    sl_loop_free(loop);
}

/* Two readable pipes in one batch; whichever is handled first closes the
 * other and reuses its descriptor numbers for a new pipe. The event already
 * collected for the old descriptor must not reach the new one. */
typedef struct reuse_rec {
    sl_loop_t *loop;
    int a[2], b[2], fresh[2];
    int first_calls;
    int fresh_calls;
    bool reused;
} reuse_rec_t;

static void fresh_cb(sl_loop_t *loop, int fd, unsigned events, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(fd);
    SL_UNUSED(events);
    ((reuse_rec_t *)arg)->fresh_calls++;
}

static void reuse_cb(sl_loop_t *loop, int fd, unsigned events, void *arg)
{
    SL_UNUSED(events);
    reuse_rec_t *r = arg;
    r->first_calls++;
    if (r->first_calls > 1)
        return;
    int *other = fd == r->a[0] ? r->b : r->a;
    int old0 = other[0], old1 = other[1];
    sl_loop_fd_del(loop, other[0]);
    close(other[0]);
    close(other[1]);
    assert_int_equal(pipe(r->fresh), 0);
    r->reused = (r->fresh[0] == old0 || r->fresh[1] == old0 || r->fresh[0] == old1);
    assert_int_equal(sl_loop_fd_add(loop, r->fresh[0], SL_EV_READ, fresh_cb, r), SL_OK);
    assert_int_equal(sl_loop_fd_add(loop, r->fresh[1], SL_EV_READ, fresh_cb, r), SL_OK);
    other[0] = other[1] = -1;
}

static void loop_event_for_reused_fd_is_dropped(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    reuse_rec_t r = {.loop = loop};
    assert_int_equal(pipe(r.a), 0);
    assert_int_equal(pipe(r.b), 0);
    assert_int_equal(sl_loop_fd_add(loop, r.a[0], SL_EV_READ, reuse_cb, &r), SL_OK);
    assert_int_equal(sl_loop_fd_add(loop, r.b[0], SL_EV_READ, reuse_cb, &r), SL_OK);
    assert_int_equal(write(r.a[1], "a", 1), 1);
    assert_int_equal(write(r.b[1], "b", 1), 1);
    /* Let both become ready before the single wait. */
    assert_int_equal(sl_loop_run_once(loop, 1000), SL_OK);
    assert_int_equal(r.first_calls, 1);
    assert_true(r.reused);
    assert_int_equal(r.fresh_calls, 0);
    int *left = r.a[0] >= 0 ? r.a : r.b;
    sl_loop_fd_del(loop, left[0]);
    close(left[0]);
    close(left[1]);
    sl_loop_fd_del(loop, r.fresh[0]);
    sl_loop_fd_del(loop, r.fresh[1]);
    close(r.fresh[0]);
    close(r.fresh[1]);
    sl_loop_free(loop);
}

static void tick_cb(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(id);
    SL_UNUSED(arg);
}

typedef struct sleep_rec {
    int calls;
    int stop_at;
} sleep_rec_t;

static void before_sleep_cb(sl_loop_t *loop, void *arg)
{
    sleep_rec_t *s = arg;
    if (++s->calls == s->stop_at)
        sl_loop_stop(loop);
}

static void loop_before_sleep_runs_once_per_iteration(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    sleep_rec_t s = {.stop_at = -1};
    sl_loop_set_before_sleep(loop, before_sleep_cb, &s);
    for (int i = 0; i < 10; i++)
        assert_int_equal(sl_loop_run_once(loop, 0), SL_OK);
    assert_int_equal(s.calls, 10);

    /* A stop from the hook: run() returns after that iteration without
     * sleeping. A 1 ms ticker makes the iterations. */
    s.calls = 0;
    s.stop_at = 3;
    bool late;
    safety_net(loop, &late);
    sl_timer_id_t ticker;
    assert_int_equal(sl_loop_timer_add(loop, 1, true, tick_cb, NULL, &ticker), SL_OK);
    assert_int_equal(sl_loop_run(loop), SL_OK);
    assert_false(late);
    assert_int_equal(s.calls, 3);

    sl_loop_set_before_sleep(loop, NULL, NULL);
    assert_int_equal(sl_loop_run_once(loop, 0), SL_OK);
    assert_int_equal(s.calls, 3);
    assert_true(sl_loop_timer_cancel(loop, ticker));
    sl_loop_free(loop);
}

static void loop_stop_before_run_returns_promptly_and_is_consumed(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    bool late;
    safety_net(loop, &late);
    sl_loop_stop(loop);
    assert_int_equal(sl_loop_run(loop), SL_OK);
    assert_false(late);
    /* The stop is consumed: the next run goes until something stops it. */
    sleep_rec_t s = {.stop_at = 4};
    sl_loop_set_before_sleep(loop, before_sleep_cb, &s);
    assert_int_equal(sl_loop_timer_add(loop, 1, true, tick_cb, NULL, NULL), SL_OK);
    assert_int_equal(sl_loop_run(loop), SL_OK);
    assert_int_equal(s.calls, 4);
    sl_loop_free(loop);
}

/* ---- cross-thread ---- */

typedef struct xthread {
    sl_loop_t *loop;
    pthread_t loop_thread;
    int wake_calls;
    bool wrong_thread;
    int posted[1000];
    int nposted;
    bool out_of_order;
} xthread_t;

static void wake_cb(sl_loop_t *loop, void *arg)
{
    xthread_t *x = arg;
    if (!pthread_equal(pthread_self(), x->loop_thread))
        x->wrong_thread = true;
    x->wake_calls++;
    sl_loop_stop(loop);
}

static void *waker_main(void *arg)
{
    xthread_t *x = arg;
    sl_loop_wake(x->loop);
    return NULL;
}

static void loop_wake_from_thread_runs_callback_on_loop_thread(void **state)
{
    (void)state;
    xthread_t x = {0};
    assert_int_equal(sl_loop_new(&x.loop), SL_OK);
    x.loop_thread = pthread_self();
    sl_loop_set_wake(x.loop, wake_cb, &x);
    bool late;
    safety_net(x.loop, &late);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waker_main, &x), 0);
    assert_int_equal(sl_loop_run(x.loop), SL_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_false(late);
    assert_int_equal(x.wake_calls, 1);
    assert_false(x.wrong_thread);
    sl_loop_free(x.loop);
}

typedef struct post_item {
    xthread_t *x;
    int n;
} post_item_t;

static post_item_t g_items[1000];

static void post_cb(sl_loop_t *loop, void *arg)
{
    post_item_t *it = arg;
    xthread_t *x = it->x;
    if (!pthread_equal(pthread_self(), x->loop_thread))
        x->wrong_thread = true;
    if (it->n != x->nposted)
        x->out_of_order = true;
    x->posted[x->nposted++] = it->n;
    if (x->nposted == (int)SL_ARRAY_LEN(g_items))
        sl_loop_stop(loop);
}

static void *poster_main(void *arg)
{
    xthread_t *x = arg;
    for (int i = 0; i < (int)SL_ARRAY_LEN(g_items); i++) {
        g_items[i].x = x;
        g_items[i].n = i;
        if (sl_loop_post(x->loop, post_cb, &g_items[i]) != SL_OK)
            break;
    }
    return NULL;
}

static void loop_post_from_thread_runs_all_in_order_on_loop_thread(void **state)
{
    (void)state;
    xthread_t x = {0};
    assert_int_equal(sl_loop_new(&x.loop), SL_OK);
    x.loop_thread = pthread_self();
    bool late;
    safety_net(x.loop, &late);
    assert_int_equal(sl_loop_post(x.loop, NULL, NULL), SL_ERR_INVAL);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, poster_main, &x), 0);
    assert_int_equal(sl_loop_run(x.loop), SL_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_false(late);
    assert_int_equal(x.nposted, (int)SL_ARRAY_LEN(g_items));
    assert_false(x.out_of_order);
    assert_false(x.wrong_thread);
    sl_loop_free(x.loop);
}

static void never_cb(sl_loop_t *loop, void *arg)
{
    SL_UNUSED(loop);
    SL_UNUSED(arg);
    fail_msg("work posted before free ran");
}

static void loop_free_drops_unrun_posts(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(sl_loop_post(loop, never_cb, NULL), SL_OK);
    sl_loop_free(loop); /* ASan: the queue is freed */
}

static void *stopper_main(void *arg)
{
    sl_loop_stop((sl_loop_t *)arg);
    return NULL;
}

static void loop_stop_from_thread_ends_run(void **state)
{
    (void)state;
    sl_loop_t *loop;
    assert_int_equal(sl_loop_new(&loop), SL_OK);
    bool late;
    safety_net(loop, &late);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stopper_main, loop), 0);
    assert_int_equal(sl_loop_run(loop), SL_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_false(late);
    sl_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loop_new_and_free),
        cmocka_unit_test(loop_fd_read_event_delivered_and_masked),
        cmocka_unit_test(loop_idle_fd_hangup_does_not_call_back),
        cmocka_unit_test(loop_event_for_reused_fd_is_dropped),
        cmocka_unit_test(loop_before_sleep_runs_once_per_iteration),
        cmocka_unit_test(loop_stop_before_run_returns_promptly_and_is_consumed),
        cmocka_unit_test(loop_wake_from_thread_runs_callback_on_loop_thread),
        cmocka_unit_test(loop_post_from_thread_runs_all_in_order_on_loop_thread),
        cmocka_unit_test(loop_free_drops_unrun_posts),
        cmocka_unit_test(loop_stop_from_thread_ends_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
