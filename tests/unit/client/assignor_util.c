/* assignor_util.c - the group model of the assignor tests (assignor_util.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assignor_util.h"

void tg_init(tgroup_t *g)
{
    memset(g, 0, sizeof(*g));
    sl_arena_init(&g->arena, 0, 0);
    g->generation = 1;
}

void tg_fini(tgroup_t *g)
{
    sl_arena_fini(&g->arena);
}

void tg_topic(tgroup_t *g, const char *name, int32_t partitions)
{
    assert_true(g->topic_count < TG_MAX_TOPICS);
    g->topics[g->topic_count].name = sl_arena_strndup(&g->arena, name, strlen(name));
    g->topics[g->topic_count++].partitions = partitions;
}

size_t tg_member(tgroup_t *g, const char *id, const char *instance_id, const char *topics)
{
    assert_true(g->member_count < TG_MAX_MEMBERS);
    sl_asg_member_t *m = &g->members[g->member_count];
    memset(m, 0, sizeof(*m));
    m->member_id = sl_arena_strndup(&g->arena, id, strlen(id));
    m->group_instance_id = instance_id ? sl_arena_strndup(&g->arena, instance_id, strlen(instance_id)) : NULL;
    sl_asg_subscription_init(&m->sub);
    const char **list = sl_arena_calloc(&g->arena, TG_MAX_TOPICS, sizeof(*list));
    size_t n = 0;
    for (const char *p = topics; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        list[n++] = sl_arena_strndup(&g->arena, p, len);
        p += len + (e ? 1 : 0);
    }
    m->sub.topics = list;
    m->sub.topic_count = n;
    return g->member_count++;
}

void tg_remove(tgroup_t *g, size_t i)
{
    g->members[i] = g->members[g->member_count - 1];
    g->out[i] = g->out[g->member_count - 1];
    g->member_count--;
}

int tg_find(const tgroup_t *g, const char *id)
{
    for (size_t i = 0; i < g->member_count; i++)
        if (strcmp(g->members[i].member_id, id) == 0)
            return (int)i;
    return -1;
}

static bool subscribes(const sl_asg_member_t *m, const char *topic)
{
    for (size_t i = 0; i < m->sub.topic_count; i++)
        if (strcmp(m->sub.topics[i], topic) == 0)
            return true;
    return false;
}

static int32_t topic_parts(const tgroup_t *g, const char *topic)
{
    for (size_t t = 0; t < g->topic_count; t++)
        if (strcmp(g->topics[t].name, topic) == 0)
            return g->topics[t].partitions;
    return -1;
}

void tg_assign(tgroup_t *g, const sl_assignor_t *a)
{
    assert_int_equal(a->assign(g->members, g->member_count, g->topics, g->topic_count, &g->arena, g->out), SL_OK);
    for (size_t m = 0; m < g->member_count; m++) {
        for (size_t i = 0; i < g->out[m].count; i++) {
            const sl_asg_tp_t *tp = &g->out[m].parts[i];
            assert_true(subscribes(&g->members[m], tp->topic));
            assert_true(tp->partition >= 0 && tp->partition < topic_parts(g, tp->topic));
            if (i > 0) { /* sorted: topic, then partition */
                int c = strcmp(g->out[m].parts[i - 1].topic, tp->topic);
                assert_true(c < 0 || (c == 0 && g->out[m].parts[i - 1].partition < tp->partition));
            }
            assert_int_equal(tg_owner(g, tp->topic, tp->partition), (int)m);
        }
    }
}

void tg_adopt(tgroup_t *g)
{
    g->generation++;
    for (size_t m = 0; m < g->member_count; m++) {
        g->members[m].sub.owned = g->out[m].parts;
        g->members[m].sub.owned_count = g->out[m].count;
        g->members[m].sub.generation = g->generation;
    }
}

/* -1 none; asserts a partition is never given twice */
int tg_owner(const tgroup_t *g, const char *topic, int32_t partition)
{
    int who = -1;
    for (size_t m = 0; m < g->member_count; m++)
        for (size_t i = 0; i < g->out[m].count; i++)
            if (g->out[m].parts[i].partition == partition && strcmp(g->out[m].parts[i].topic, topic) == 0) {
                assert_int_equal(who, -1);
                who = (int)m;
            }
    return who;
}

size_t tg_assigned(const tgroup_t *g)
{
    size_t n = 0;
    for (size_t m = 0; m < g->member_count; m++)
        n += g->out[m].count;
    return n;
}

size_t tg_assignable(const tgroup_t *g)
{
    size_t n = 0;
    for (size_t t = 0; t < g->topic_count; t++)
        for (size_t m = 0; m < g->member_count; m++)
            if (subscribes(&g->members[m], g->topics[t].name)) {
                n += (size_t)SL_MAX(g->topics[t].partitions, 0);
                break;
            }
    return n;
}

bool tg_balanced(const tgroup_t *g)
{
    for (size_t h = 0; h < g->member_count; h++)
        for (size_t l = 0; l < g->member_count; l++) {
            if (g->out[h].count < g->out[l].count + 2)
                continue;
            for (size_t i = 0; i < g->out[h].count; i++)
                if (subscribes(&g->members[l], g->out[h].parts[i].topic))
                    return false;
        }
    return true;
}

const char *tg_str(const tgroup_t *g, size_t i, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t j = 0; j < g->out[i].count && k < len; j++)
        k += (size_t)snprintf(buf + k, len - k, "%s%s-%d", j ? "," : "", g->out[i].parts[j].topic,
                              (int)g->out[i].parts[j].partition);
    return buf;
}

void tg_expect(const tgroup_t *g, const char *id, const char *want)
{
    char buf[1024];
    int i = tg_find(g, id);
    assert_true(i >= 0);
    assert_string_equal(tg_str(g, (size_t)i, buf, sizeof(buf)), want);
}

/* The next item of s up to sep (or the end) into buf; NULL after the last. */
static const char *next_item(const char *s, char sep, char *buf, size_t len)
{
    if (!*s)
        return NULL;
    const char *e = strchr(s, sep);
    size_t n = e ? (size_t)(e - s) : strlen(s);
    assert_true(n < len);
    memcpy(buf, s, n);
    buf[n] = 0;
    return e ? e + 1 : s + n;
}

/* Splits "left<sep>right" in place; right points into item. */
static char *split(char *item, char sep)
{
    char *at = strchr(item, sep);
    assert_non_null(at);
    *at = 0;
    return at + 1;
}

void tg_setup(tgroup_t *g, const char *topics, const char *members)
{
    char item[256];
    tg_init(g);
    for (const char *p = topics; (p = next_item(p, ',', item, sizeof(item))) != NULL;) {
        const char *count = split(item, ':');
        tg_topic(g, item, (int32_t)atoi(count));
    }
    for (const char *p = members; (p = next_item(p, ';', item, sizeof(item))) != NULL;) {
        const char *sub = split(item, '=');
        char *instance = strchr(item, '/');
        if (instance)
            *instance++ = 0;
        tg_member(g, item, instance, sub);
    }
}

void tg_own(tgroup_t *g, size_t m, const sl_asg_tp_t *owned, size_t n, int32_t generation)
{
    g->members[m].sub.owned = owned;
    g->members[m].sub.owned_count = n;
    g->members[m].sub.generation = generation;
}

void tg_case(const sl_assignor_t *a, const char *topics, const char *members, const char *want)
{
    char item[256];
    tgroup_t g;
    tg_setup(&g, topics, members);
    tg_assign(&g, a);
    for (const char *p = want; (p = next_item(p, ';', item, sizeof(item))) != NULL;) {
        const char *parts = split(item, '=');
        tg_expect(&g, item, parts);
    }
    tg_fini(&g);
}
