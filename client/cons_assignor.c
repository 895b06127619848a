/*
 * cons_assignor.c - an application's own partition assignor
 * (sl_consumer_set_assignor, client.h): the definition kept for the group,
 * and the adapters between the public types an application sees and the
 * consumer protocol's internal ones (assignor.h). cons_group.c calls them
 * where it calls a built-in assignor: the member's user data and the
 * leader's assignment on the I/O thread, the assignment's user data handed
 * to the application as an event run inside sl_consumer_poll().
 */
#include <stdlib.h>
#include <string.h>

#include "assignor.h"
#include "consumer_int.h"

struct cons_custom {
    sl_assignor_t base;       /* name, eager; assign/user_data unused */
    sl_assignor_def_t def;    /* name points at base.name's copy,
                               * protocol_type at ptype */
    char *ptype;              /* the protocol type, "consumer" by default */
};

typedef struct set_arg {
    sl_consumer_t *c;
    cons_custom_t *custom;
    sl_err_t err;
} set_arg_t;

static void set_fn(sl_cl_t *cl, void *arg)
{
    (void)cl;
    set_arg_t *a = arg;
    if (a->c->subscribed || a->c->tps) {
        a->err = SL_ERR_STATE;
        return;
    }
    a->err = sl_cons_group_set_custom(a->c, a->custom);
    if (!a->err)
        a->custom = NULL;
}

sl_err_t sl_consumer_set_assignor(sl_consumer_t *c, const sl_assignor_def_t *def)
{
    if (!c || !def || !def->name || !def->name[0] || strlen(def->name) > 255 || !def->assign)
        return SL_ERR_INVAL;
    if (def->protocol_type && (!def->protocol_type[0] || strlen(def->protocol_type) > 255))
        return SL_ERR_INVAL;
    if (!c->conf->group_id)
        return SL_ERR_INVAL;
    cons_custom_t *cu = calloc(1, sizeof(*cu));
    char *name = strdup(def->name);
    char *ptype = strdup(def->protocol_type ? def->protocol_type : "consumer");
    if (!cu || !name || !ptype) {
        free(cu);
        free(name);
        free(ptype);
        return SL_ERR_NOMEM;
    }
    cu->def = *def;
    cu->def.name = name;
    cu->def.protocol_type = ptype;
    cu->ptype = ptype;
    cu->base.name = name;
    cu->base.cooperative = false;
    set_arg_t a = {.c = c, .custom = cu};
    sl_err_t err = sl_cons_closed(c) ? SL_ERR_STATE : sl_cl_call(c->cl, set_fn, &a);
    if (!err)
        err = a.err;
    sl_cons_custom_free(a.custom);
    return err;
}

void sl_cons_custom_free(cons_custom_t *cu)
{
    if (!cu)
        return;
    free((char *)cu->base.name);
    free(cu->ptype);
    free(cu);
}

const sl_assignor_t *sl_cons_custom_assignor(const cons_custom_t *cu)
{
    return &cu->base;
}

const char *sl_cons_custom_protocol_type(const cons_custom_t *cu)
{
    return cu->ptype;
}

sl_err_t sl_cons_custom_user_data(const cons_custom_t *cu, sl_buf_t *buf, const sl_asg_tp_t *owned, size_t n,
                                  int32_t generation)
{
    if (!cu->def.user_data)
        return SL_OK;
    /* sl_asg_tp_t and sl_assignor_tp_t are the same pair; copied anyway so
     * neither header depends on the other's layout. */
    sl_assignor_tp_t *tps = calloc(n ? n : 1, sizeof(*tps));
    if (!tps)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        tps[i].topic = owned[i].topic;
        tps[i].partition = owned[i].partition;
    }
    sl_err_t err = cu->def.user_data(buf, tps, n, generation, cu->def.arg);
    free(tps);
    if (!err && buf->err)
        err = buf->err;
    if (!err && buf->len > INT32_MAX)
        err = SL_ERR_INVAL;
    return err;
}

/* Checks what the application's assign() returned and turns it into the
 * protocol's assignment: every partition of a known topic, handed once,
 * to a member subscribing to its topic. */
static sl_err_t result_check(const sl_asg_member_t *members, size_t mn, const sl_asg_topic_t *topics, size_t nt,
                             const sl_assignor_result_t *res, sl_arena_t *arena, sl_asg_assignment_t *out)
{
    for (size_t m = 0; m < mn; m++) {
        sl_asg_assignment_init(&out[m]);
        if (res[m].count && !res[m].parts)
            return SL_ERR_INVAL;
        if (res[m].user_data_len > 0 && !res[m].user_data)
            return SL_ERR_INVAL;
        sl_asg_tp_t *parts = sl_arena_calloc(arena, res[m].count ? res[m].count : 1, sizeof(*parts));
        if (!parts)
            return SL_ERR_NOMEM;
        for (size_t i = 0; i < res[m].count; i++) {
            const sl_assignor_tp_t *tp = &res[m].parts[i];
            const char *topic = NULL;
            for (size_t k = 0; k < nt && !topic; k++)
                if (tp->topic && strcmp(tp->topic, topics[k].name) == 0 && tp->partition >= 0 &&
                    tp->partition < topics[k].partitions)
                    topic = topics[k].name;
            bool subscribed = false;
            for (size_t k = 0; topic && k < members[m].sub.topic_count && !subscribed; k++)
                subscribed = strcmp(members[m].sub.topics[k], topic) == 0;
            if (!subscribed)
                return SL_ERR_INVAL;
            parts[i].topic = topic;
            parts[i].partition = tp->partition;
        }
        out[m].parts = parts;
        out[m].count = res[m].count;
        out[m].user_data = res[m].user_data_len >= 0 ? res[m].user_data : NULL;
        out[m].user_data_len = res[m].user_data_len >= 0 && res[m].user_data ? res[m].user_data_len : -1;
        if (!out[m].user_data && res[m].user_data_len == 0) {
            out[m].user_data = (const uint8_t *)"";
            out[m].user_data_len = 0;
        }
    }
    /* Each partition at most once. */
    for (size_t m = 0; m < mn; m++)
        for (size_t i = 0; i < out[m].count; i++)
            for (size_t m2 = m; m2 < mn; m2++)
                for (size_t j = m2 == m ? i + 1 : 0; j < out[m2].count; j++)
                    if (out[m].parts[i].topic == out[m2].parts[j].topic &&
                        out[m].parts[i].partition == out[m2].parts[j].partition)
                        return SL_ERR_INVAL;
    return SL_OK;
}

sl_err_t sl_cons_custom_assign(const cons_custom_t *cu, const sl_asg_member_t *members, size_t mn,
                               const sl_asg_topic_t *topics, size_t nt, sl_arena_t *arena, sl_asg_assignment_t *out)
{
    sl_assignor_member_t *pm = sl_arena_calloc(arena, mn ? mn : 1, sizeof(*pm));
    sl_assignor_topic_t *pt = sl_arena_calloc(arena, nt ? nt : 1, sizeof(*pt));
    sl_assignor_result_t *res = sl_arena_calloc(arena, mn ? mn : 1, sizeof(*res));
    if (!pm || !pt || !res)
        return SL_ERR_NOMEM;
    for (size_t m = 0; m < mn; m++) {
        pm[m].member_id = members[m].member_id;
        pm[m].group_instance_id = members[m].group_instance_id;
        pm[m].topics = members[m].sub.topics;
        pm[m].topic_count = members[m].sub.topic_count;
        pm[m].user_data = members[m].sub.user_data;
        pm[m].user_data_len = members[m].sub.user_data ? members[m].sub.user_data_len : -1;
        res[m].user_data_len = -1;
    }
    for (size_t k = 0; k < nt; k++) {
        pt[k].name = topics[k].name;
        pt[k].partitions = topics[k].partitions;
    }
    sl_err_t err = cu->def.assign(pm, mn, pt, nt, arena, res, cu->def.arg);
    if (!err)
        err = result_check(members, mn, topics, nt, res, arena, out);
    return err;
}

/* ---- the assignment's user data, to the application ---------------------- */

typedef struct asg_ev {
    sl_cl_event_t ev;
    sl_consumer_t *c;
    const cons_custom_t *cu;
    sl_assignor_tp_t *parts;
    size_t n;
    uint8_t *user_data;
    int32_t user_data_len;
    int32_t generation;
    sl_arena_t arena;
} asg_ev_t;

static void asg_ev_run(sl_cl_event_t *e, void *arg)
{
    (void)arg;
    asg_ev_t *ev = (asg_ev_t *)e;
    ev->cu->def.on_assignment(ev->c, ev->parts, ev->n, ev->user_data, ev->user_data_len, ev->generation,
                              ev->cu->def.arg);
}

static void asg_ev_free(sl_cl_event_t *e)
{
    asg_ev_t *ev = (asg_ev_t *)e;
    sl_arena_fini(&ev->arena);
    free(ev);
}

sl_err_t sl_cons_custom_assigned(sl_consumer_t *c, const cons_custom_t *cu, const sl_asg_assignment_t *a,
                                 int32_t generation)
{
    if (!cu->def.on_assignment)
        return SL_OK;
    asg_ev_t *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return SL_ERR_NOMEM;
    sl_arena_init(&ev->arena, 0, 0);
    ev->parts = sl_arena_calloc(&ev->arena, a->count ? a->count : 1, sizeof(*ev->parts));
    bool ok = ev->parts != NULL;
    for (size_t i = 0; ok && i < a->count; i++) {
        ev->parts[i].topic = sl_arena_strndup(&ev->arena, a->parts[i].topic, strlen(a->parts[i].topic));
        ev->parts[i].partition = a->parts[i].partition;
        ok = ev->parts[i].topic != NULL;
    }
    ev->user_data_len = a->user_data ? a->user_data_len : -1;
    if (ok && a->user_data && a->user_data_len > 0) {
        ev->user_data = sl_arena_memdup(&ev->arena, a->user_data, (size_t)a->user_data_len);
        ok = ev->user_data != NULL;
    } else if (ok && a->user_data) {
        ev->user_data = (uint8_t *)sl_arena_alloc(&ev->arena, 1);
        ok = ev->user_data != NULL;
    }
    if (!ok) {
        asg_ev_free(&ev->ev);
        return SL_ERR_NOMEM;
    }
    ev->n = a->count;
    ev->c = c;
    ev->cu = cu;
    ev->generation = generation;
    ev->ev.run = asg_ev_run;
    ev->ev.free = asg_ev_free;
    sl_cons_event_push(c, &ev->ev);
    return SL_OK;
}
