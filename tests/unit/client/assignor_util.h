/* assignor_util.h - a small group model for the assignor tests: members
 * with subscriptions and owned partitions, the assignors run over it, and
 * the checks every assignment must pass (each partition to at most one
 * member, only subscribed topics, Java's balance rule); small fixed cases
 * are written as text (tg_case). */
#ifndef SL_TEST_ASSIGNOR_UTIL_H
#define SL_TEST_ASSIGNOR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assignor.h"

#define TG_MAX_MEMBERS 64
#define TG_MAX_TOPICS 16
#define TG_MAX_PARTS 4096

typedef struct tgroup {
    sl_arena_t arena;            /* results and member copies */
    sl_asg_topic_t topics[TG_MAX_TOPICS];
    size_t topic_count;
    sl_asg_member_t members[TG_MAX_MEMBERS];
    size_t member_count;
    sl_asg_assignment_t out[TG_MAX_MEMBERS];
    int32_t generation;
} tgroup_t;

void tg_init(tgroup_t *g);
void tg_fini(tgroup_t *g);
void tg_topic(tgroup_t *g, const char *name, int32_t partitions);
/* Adds a member subscribed to a comma-separated topic list; returns its index. */
size_t tg_member(tgroup_t *g, const char *id, const char *instance_id, const char *topics);
/* Removes member i (the last one takes its place). */
void tg_remove(tgroup_t *g, size_t i);
/* The index of the member with this id, or -1. */
int tg_find(const tgroup_t *g, const char *id);
/* Runs the assignor; asserts SL_OK and the basic checks. */
void tg_assign(tgroup_t *g, const sl_assignor_t *a);
/* Makes every member own what it was just assigned, in a new generation. */
void tg_adopt(tgroup_t *g);
/* The member assigned topic/partition, or -1. */
int tg_owner(const tgroup_t *g, const char *topic, int32_t partition);
/* Partitions assigned in all, and the number of (topic, partition) pairs of
 * subscribed topics. */
size_t tg_assigned(const tgroup_t *g);
size_t tg_assignable(const tgroup_t *g);
/* Java's isBalanced: no member could take a partition of a member with at
 * least two more. */
bool tg_balanced(const tgroup_t *g);
/* "t-0,t-1" of member i's assignment, into buf. */
const char *tg_str(const tgroup_t *g, size_t i, char *buf, size_t len);
/* Asserts that member id is assigned want (as tg_str writes it). */
void tg_expect(const tgroup_t *g, const char *id, const char *want);
/* tg_init, then topics and members from text, in the order given: topics
 * "t1:3,t2:2" (name:count), members "c1=t1;c2=t1,t2"
 * (id[/instance_id]=subscription). */
void tg_setup(tgroup_t *g, const char *topics, const char *members);
/* Member m claims owned[0..n) (borrowed) from generation. */
void tg_own(tgroup_t *g, size_t m, const sl_asg_tp_t *owned, size_t n, int32_t generation);
/* One case from text: tg_setup, the assignor run, and want
 * "c1=t1-0;c2=t1-1,t2-0" (each member's tg_str; members left out are not
 * checked). */
void tg_case(const sl_assignor_t *a, const char *topics, const char *members, const char *want);

#endif
