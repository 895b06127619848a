/*
 * group_rebalance.c - how long a consumer group takes to rebalance when a
 * member joins and when one leaves.
 *
 * A group of o->members consumers (one rd_kafka_t each, all in this process,
 * polled round-robin from this thread every millisecond) subscribes to a
 * topic of o->partitions partitions and settles. Then, o->reps times:
 *   join:  one more consumer subscribes; the time runs from its subscribe
 *          call to the last rebalance callback after which every partition
 *          has exactly one owner and every member owns at least one (the
 *          newcomer included);
 *   leave: that consumer closes (rd_kafka_consumer_close: revoke, LeaveGroup);
 *          the time runs from the close call to the last rebalance callback
 *          after which the remaining members own every partition again.
 * Each step starts after a random pause of up to PAUSE_MS (the group kept
 * served), so that repetitions sample the members' heartbeat cycle.
 * "Last" means no further callback came within QUIET_MS: under the
 * cooperative protocol a rebalance takes two rounds (revoke, then assign),
 * and every member gets a callback, possibly empty, at the end of each.
 * Ownership is what the rebalance callbacks hand to assign/unassign, so the
 * figure includes what the client needs to notice the rebalance (a
 * Heartbeat answered REBALANCE_IN_PROGRESS: heartbeat.interval.ms matters)
 * and to rejoin and sync.
 *
 * The group id is new on every run, so brokers that keep groups do not mix
 * runs. Every wait is bounded (STEP_TIMEOUT_S).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "group_int.h"

enum { QUIET_MS = 500, PAUSE_MS = 1000, STEP_TIMEOUT_S = 60 };

typedef struct rb_state rb_state_t;

typedef struct member {
    rb_state_t *st;
    rd_kafka_t *rk;          /* NULL: not a member now */
    int idx;
    int nparts;              /* partitions it owns */
} member_t;

struct rb_state {
    const gb_opts_t *o;
    member_t *m;             /* o->members + 1 slots: the last is the one joining and leaving */
    int *owner;              /* per partition: owning member's index, -1 if none */
    int owned;               /* partitions with an owner */
    int64_t t_cb;            /* when the last rebalance callback ran */
    uint64_t callbacks, conflicts, errors;
    char group[128];
};

static void own(rb_state_t *st, int32_t p, int idx)
{
    int prev = st->owner[p];
    if (prev == idx)
        return;
    if (prev >= 0) {
        st->conflicts++; /* handed out twice: should never happen */
        st->m[prev].nparts--;
    } else {
        st->owned++;
    }
    st->owner[p] = idx;
    st->m[idx].nparts++;
}

static void disown(rb_state_t *st, int32_t p, int idx)
{
    if (st->owner[p] != idx)
        return;
    st->owner[p] = -1;
    st->owned--;
    st->m[idx].nparts--;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    member_t *m = opaque;
    rb_state_t *st = m->st;
    bool assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (!assign && err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        if (!st->errors++)
            fprintf(stderr, "bench_group rebalance: member %d: %s\n", m->idx, rd_kafka_err2str(err));
        rd_kafka_assign(rk, NULL);
        return;
    }
    rd_kafka_error_t *e = NULL;
    rd_kafka_resp_err_t re = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (coop)
        e = assign ? rd_kafka_incremental_assign(rk, parts) : rd_kafka_incremental_unassign(rk, parts);
    else
        re = rd_kafka_assign(rk, assign ? parts : NULL);
    if (e || re) {
        if (!st->errors++)
            fprintf(stderr, "bench_group rebalance: member %d: %s: %s\n", m->idx, assign ? "assign" : "revoke",
                    e ? rd_kafka_error_string(e) : rd_kafka_err2str(re));
        if (e)
            rd_kafka_error_destroy(e);
    }
    for (int i = 0; i < parts->cnt; i++) {
        int32_t p = parts->elems[i].partition;
        if (strcmp(parts->elems[i].topic, st->o->bb.topic) != 0 || p < 0 || p >= st->o->bb.partitions)
            continue;
        if (assign)
            own(st, p, m->idx);
        else
            disown(st, p, m->idx);
    }
    st->callbacks++;
    st->t_cb = sl_time_mono_ns();
}

static void member_start(rb_state_t *st, int idx)
{
    const gb_opts_t *o = st->o;
    member_t *m = &st->m[idx];
    char group_kv[160], assignor_kv[160];
    snprintf(group_kv, sizeof group_kv, "group.id=%s", st->group);
    snprintf(assignor_kv, sizeof assignor_kv, "partition.assignment.strategy=%s", o->assignor);
    /* Nothing is consumed: no commits, start at the end. */
    const char *extra[] = {group_kv, assignor_kv, "enable.auto.commit=false", "auto.offset.reset=latest"};
    rd_kafka_conf_t *conf = bb_conf_new(&o->bb, extra, (int)SL_ARRAY_LEN(extra));
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_opaque(conf, m);
    m->st = st;
    m->idx = idx;
    m->nparts = 0;
    m->rk = bb_client_new(RD_KAFKA_CONSUMER, conf);
    rd_kafka_poll_set_consumer(m->rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, o->bb.topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(m->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err && !st->errors++)
        fprintf(stderr, "bench_group rebalance: member %d: subscribe: %s\n", idx, rd_kafka_err2str(err));
}

/* Closes member idx (its revoke callback runs inside the close) and drops
 * whatever it still owned. */
static void member_stop(rb_state_t *st, int idx)
{
    member_t *m = &st->m[idx];
    if (!m->rk)
        return;
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(m->rk);
    if (err && !st->errors++)
        fprintf(stderr, "bench_group rebalance: member %d: close: %s\n", idx, rd_kafka_err2str(err));
    for (int32_t p = 0; p < st->o->bb.partitions; p++)
        disown(st, p, idx);
    rd_kafka_destroy(m->rk);
    m->rk = NULL;
}

/* Every partition has an owner and every member owns one or more. */
static bool balanced(const rb_state_t *st)
{
    if (st->owned != st->o->bb.partitions)
        return false;
    for (int i = 0; i <= st->o->members; i++)
        if (st->m[i].rk && st->m[i].nparts == 0)
            return false;
    return true;
}

/* Serves every member's queue once (rebalance callbacks run here). */
static void poll_all(rb_state_t *st)
{
    for (int i = 0; i <= st->o->members; i++) {
        if (!st->m[i].rk)
            continue;
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(st->m[i].rk, 0);
        if (msg)
            rd_kafka_message_destroy(msg);
    }
}

/* Keeps the group served for a random 0..PAUSE_MS: a step started right
 * after the previous one settled would always fall at the same point of the
 * members' heartbeat cycle, and every repetition would measure that one
 * point instead of sampling the cycle. */
static void pause_random(rb_state_t *st)
{
    int64_t end = sl_time_mono_ns() + (int64_t)(random() % PAUSE_MS) * 1000000;
    while (sl_time_mono_ns() < end) {
        poll_all(st);
        nanosleep(&(struct timespec){.tv_nsec = 1000 * 1000}, NULL);
    }
}

/* Polls every member until the group is balanced and no callback came for
 * QUIET_MS. The time of the last callback in *t_done. 0, or -1 on timeout. */
static int settle(rb_state_t *st, const char *what, int64_t *t_done)
{
    int64_t deadline = sl_time_mono_ns() + STEP_TIMEOUT_S * (int64_t)1000000000;
    for (;;) {
        poll_all(st);
        int64_t now = sl_time_mono_ns();
        if (balanced(st) && now - st->t_cb >= QUIET_MS * (int64_t)1000000) {
            *t_done = st->t_cb;
            return 0;
        }
        if (now > deadline) {
            fprintf(stderr, "bench_group rebalance: %s on %s: not balanced after %d s (%d of %d partitions owned)\n",
                    what, st->o->bb.label, STEP_TIMEOUT_S, st->owned, st->o->bb.partitions);
            return -1;
        }
        nanosleep(&(struct timespec){.tv_nsec = 1000 * 1000}, NULL);
    }
}

/* "p50 min max" of v[0..n) and the values themselves, for the result line. */
static void summary(char *buf, size_t len, const char *name, double *v, int n)
{
    char list[512];
    size_t off = 0;
    list[0] = '\0';
    for (int i = 0; i < n && off < sizeof list; i++)
        off += (size_t)snprintf(list + off, sizeof list - off, "%s%.0f", i ? "," : "", v[i]);
    double p50 = gb_quantile(v, (size_t)n, 0.5);
    snprintf(buf, len, "%s_ms_p50=%.0f %s_ms_min=%.0f %s_ms_max=%.0f %s_ms=%s", name, p50, name, v[0], name,
             v[n - 1], name, list);
}

int gb_rebalance(const gb_opts_t *o)
{
    if (o->bb.partitions < o->members + 1) {
        fprintf(stderr, "bench_group rebalance: want at least members + 1 partitions\n");
        return 2;
    }
    /* Topic set-up with a client of its own, outside the group. */
    bb_opts_t plain = o->bb;
    plain.n_client_cfg = 0; /* -X is meant for the consumers */
    rd_kafka_t *admin = bb_client_new(RD_KAFKA_PRODUCER, bb_conf_new(&plain, NULL, 0));
    int rc = bb_topic_prepare(admin, &o->bb);
    rd_kafka_destroy(admin);
    if (rc != 0)
        return 1;

    rb_state_t st = {.o = o};
    st.m = calloc((size_t)o->members + 1, sizeof *st.m);
    st.owner = malloc((size_t)o->bb.partitions * sizeof *st.owner);
    double *join = calloc((size_t)o->reps, sizeof *join), *leave = calloc((size_t)o->reps, sizeof *leave);
    if (!st.m || !st.owner || !join || !leave) {
        fprintf(stderr, "bench_group rebalance: out of memory\n");
        return 1;
    }
    for (int32_t p = 0; p < o->bb.partitions; p++)
        st.owner[p] = -1;
    snprintf(st.group, sizeof st.group, "bench-%s-%d-%" PRId64, o->assignor, (int)getpid(), sl_time_wall_ms());

    int64_t t0 = sl_time_mono_ns(), t_done;
    for (int i = 0; i < o->members; i++)
        member_start(&st, i);
    rc = settle(&st, "forming the group", &t_done);
    fprintf(stderr, "bench_group rebalance: %s: %d members formed %s in %.0f ms\n", o->bb.label, o->members,
            o->assignor, (double)(t_done - t0) / 1e6);

    bb_clock_t clk;
    bb_clock_start(&clk);
    int done = 0;
    srandom((unsigned)getpid());
    for (; rc == 0 && done < o->reps; done++) {
        pause_random(&st);
        t0 = sl_time_mono_ns();
        member_start(&st, o->members);
        if ((rc = settle(&st, "a member joining", &t_done)) != 0)
            break;
        join[done] = (double)(t_done - t0) / 1e6;
        pause_random(&st);
        t0 = sl_time_mono_ns();
        member_stop(&st, o->members);
        if ((rc = settle(&st, "a member leaving", &t_done)) != 0)
            break;
        leave[done] = (double)(t_done - t0) / 1e6;
    }
    double cores = bb_clock_cores(&clk);
    for (int i = 0; i <= o->members; i++)
        member_stop(&st, i);

    if (done > 0 && rc == 0) {
        char js[700], ls[700];
        summary(js, sizeof js, "join", join, done);
        summary(ls, sizeof ls, "leave", leave, done);
        bb_opts_t shown = o->bb;
        shown.size = 0;
        bb_result(&shown, "rebalance",
                  "assignor=%s members=%d reps=%d %s %s callbacks=%" PRIu64 " conflicts=%" PRIu64
                  " errors=%" PRIu64 " client_cores=%.2f",
                  o->assignor, o->members, done, js, ls, st.callbacks, st.conflicts, st.errors, cores);
    }
    free(join);
    free(leave);
    free(st.owner);
    free(st.m);
    return rc == 0 && st.conflicts == 0 && st.errors == 0 ? 0 : 1;
}
