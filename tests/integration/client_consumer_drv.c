/*
 * client_consumer_drv.c - drives Sluice's consumer for client_consumer.py.
 *
 *   client_consumer_drv BOOTSTRAP [key=value ...] -- COMMAND ...
 *
 * Settings before "--" go to sl_conf_set. Commands run in order:
 *   assign:TOPIC:P@OFF,P@OFF...  OFF: a number, beginning, end or stored
 *   subscribe:TOPIC[,TOPIC...]
 *   read:N:MS        poll until N messages came (any partition) or MS
 *                    passed without one; prints each
 *   idle:MS          poll until MS pass with no message
 *   drain:N:MS       as read, printing only "DRAINED n bytes ms" at the end
 *   seek:TOPIC:P:OFF
 *   pause:TOPIC:P / resume:TOPIC:P
 *   commit / commit_async
 *   commit_at:TOPIC:P:OFF
 *   committed:TOPIC:P  prints "COMMITTED topic p offset"
 *   position         prints "POS topic p offset" for the assignment
 *   sleep:MS         sleeps without polling
 *   close
 * Output lines (stdout): "MSG topic p offset key value" (key/value as
 * text, "-" for null), "ERR code name topic p", "ASSIGNED topic p",
 * "REVOKED topic p", "LOST topic p", "COMMIT_CB err n", "READ n".
 * Exit status 0, or 1 when a call fails (the call and error on stderr).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

static void die(const char *what, sl_err_t err)
{
    fprintf(stderr, "%s: %s (%s)\n", what, sl_err_name(err), sl_err_str(err));
    exit(1);
}

static void on_rebalance(sl_consumer_t *c, sl_rebalance_kind_t kind, const sl_tp_offset_t *parts, size_t n,
                         void *arg)
{
    (void)c;
    (void)arg;
    const char *k = kind == SL_REBALANCE_ASSIGNED ? "ASSIGNED" : kind == SL_REBALANCE_REVOKED ? "REVOKED" : "LOST";
    for (size_t i = 0; i < n; i++)
        printf("%s %s %d\n", k, parts[i].topic, (int)parts[i].partition);
    fflush(stdout);
}

static void on_commit(sl_consumer_t *c, sl_err_t err, const sl_tp_offset_t *offsets, size_t n, void *arg)
{
    (void)c;
    (void)offsets;
    (void)arg;
    printf("COMMIT_CB %s %zu\n", sl_err_name(err), n);
    fflush(stdout);
}

static void print_bytes(const void *p, int32_t len)
{
    if (len < 0) {
        fputs("-", stdout);
        return;
    }
    fwrite(p, 1, (size_t)len, stdout);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls until want messages came or idle_ms passed without one; quiet:
 * count only. */
static long read_msgs(sl_consumer_t *c, long want, int idle_ms, bool quiet)
{
    long got = 0;
    long long bytes = 0;
    int64_t start = now_ms();
    int64_t last = start;
    while ((want < 0 || got < want) && now_ms() - last < idle_ms) {
        sl_message_t *m = NULL;
        sl_err_t err = sl_consumer_poll(c, 100, &m);
        if (err == SL_ERR_TIMEOUT)
            continue;
        if (err)
            die("poll", err);
        last = now_ms();
        if (quiet && !m->err) {
            bytes += m->value_len > 0 ? m->value_len : 0;
            got++;
        } else if (m->err) {
            printf("ERR %d %s %s %d\n", (int)m->err, sl_err_name(m->err), m->topic ? m->topic : "-",
                   (int)m->partition);
        } else {
            printf("MSG %s %d %lld ", m->topic, (int)m->partition, (long long)m->offset);
            print_bytes(m->key, m->key_len);
            fputc(' ', stdout);
            print_bytes(m->value, m->value_len);
            fputc('\n', stdout);
            got++;
        }
        sl_message_free(m);
    }
    if (quiet)
        printf("DRAINED %ld %lld %lld\n", got, bytes, (long long)(last - start));
    printf("READ %ld\n", got);
    fflush(stdout);
    return got;
}

static int64_t parse_offset(const char *s)
{
    if (strcmp(s, "beginning") == 0)
        return SL_OFFSET_BEGINNING;
    if (strcmp(s, "end") == 0)
        return SL_OFFSET_END;
    if (strcmp(s, "stored") == 0)
        return SL_OFFSET_STORED;
    return strtoll(s, NULL, 10);
}

/* "TOPIC:P[:OFF]" split in place. */
static void split_tp(char *s, const char **topic, int32_t *p, const char **rest)
{
    char *c1 = strchr(s, ':');
    if (!c1) {
        fprintf(stderr, "bad partition spec %s\n", s);
        exit(2);
    }
    *c1 = '\0';
    *topic = s;
    char *c2 = strchr(c1 + 1, ':');
    if (c2)
        *c2 = '\0';
    *p = (int32_t)atoi(c1 + 1);
    *rest = c2 ? c2 + 1 : NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s BOOTSTRAP [key=value ...] -- COMMAND ...\n", argv[0]);
        return 2;
    }
    char errbuf[256];
    sl_conf_t *conf = sl_conf_new();
    if (sl_conf_set(conf, "bootstrap.servers", argv[1], errbuf, sizeof(errbuf)))
        return fprintf(stderr, "%s\n", errbuf), 2;
    int i = 2;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq)
            return fprintf(stderr, "bad setting %s\n", argv[i]), 2;
        *eq = '\0';
        if (sl_conf_set(conf, argv[i], eq + 1, errbuf, sizeof(errbuf)))
            return fprintf(stderr, "%s\n", errbuf), 2;
    }
    sl_consumer_t *c;
    sl_err_t err = sl_consumer_new(conf, on_rebalance, NULL, &c, errbuf, sizeof(errbuf));
    sl_conf_free(conf);
    if (err)
        return fprintf(stderr, "sl_consumer_new: %s\n", errbuf), 1;
    sl_consumer_set_commit_cb(c, on_commit, NULL);
    for (i++; i < argc; i++) {
        char *cmd = argv[i];
        char *arg = strchr(cmd, ':');
        if (arg)
            *arg++ = '\0';
        const char *topic, *rest;
        int32_t p;
        if (strcmp(cmd, "assign") == 0) {
            char *colon = strchr(arg, ':');
            *colon = '\0';
            sl_tp_offset_t parts[256];
            size_t n = 0;
            for (char *tok = strtok(colon + 1, ","); tok && n < 256; tok = strtok(NULL, ",")) {
                char *at = strchr(tok, '@');
                memset(&parts[n], 0, sizeof(parts[n]));
                parts[n].topic = arg;
                parts[n].partition = atoi(tok);
                parts[n].offset = at ? parse_offset(at + 1) : SL_OFFSET_STORED;
                parts[n].leader_epoch = -1;
                n++;
            }
            if ((err = sl_consumer_assign(c, parts, n)))
                die("assign", err);
        } else if (strcmp(cmd, "subscribe") == 0) {
            const char *topics[64];
            size_t n = 0;
            for (char *tok = strtok(arg, ","); tok && n < 64; tok = strtok(NULL, ","))
                topics[n++] = tok;
            if ((err = sl_consumer_subscribe(c, topics, n)))
                die("subscribe", err);
        } else if (strcmp(cmd, "read") == 0) {
            char *colon = strchr(arg, ':');
            read_msgs(c, atol(arg), colon ? atoi(colon + 1) : 10000, false);
        } else if (strcmp(cmd, "drain") == 0) {
            char *colon = strchr(arg, ':');
            read_msgs(c, atol(arg), colon ? atoi(colon + 1) : 10000, true);
        } else if (strcmp(cmd, "idle") == 0) {
            read_msgs(c, -1, atoi(arg), false);
        } else if (strcmp(cmd, "seek") == 0) {
            split_tp(arg, &topic, &p, &rest);
            if ((err = sl_consumer_seek(c, topic, p, parse_offset(rest))))
                die("seek", err);
        } else if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0) {
            split_tp(arg, &topic, &p, &rest);
            sl_tp_offset_t tp = {.topic = topic, .partition = p};
            err = cmd[0] == 'p' ? sl_consumer_pause(c, &tp, 1) : sl_consumer_resume(c, &tp, 1);
            if (err)
                die(cmd, err);
        } else if (strcmp(cmd, "commit") == 0 || strcmp(cmd, "commit_async") == 0) {
            if ((err = sl_consumer_commit(c, NULL, 0, cmd[6] == '_')))
                die(cmd, err);
        } else if (strcmp(cmd, "commit_at") == 0) {
            split_tp(arg, &topic, &p, &rest);
            sl_tp_offset_t tp = {.topic = topic, .partition = p, .offset = atoll(rest), .leader_epoch = -1};
            if ((err = sl_consumer_commit(c, &tp, 1, false)))
                die("commit_at", err);
        } else if (strcmp(cmd, "committed") == 0) {
            split_tp(arg, &topic, &p, &rest);
            sl_tp_offset_t tp = {.topic = topic, .partition = p, .leader_epoch = -1};
            if ((err = sl_consumer_committed(c, &tp, 1, 10000)))
                die("committed", err);
            printf("COMMITTED %s %d %lld %s\n", topic, (int)p, (long long)tp.offset, sl_err_name(tp.err));
        } else if (strcmp(cmd, "position") == 0) {
            sl_arena_t arena;
            sl_arena_init(&arena, 0, 0);
            sl_tp_offset_t *parts;
            size_t n;
            if ((err = sl_consumer_assignment(c, &arena, &parts, &n)))
                die("assignment", err);
            for (size_t k = 0; k < n; k++)
                printf("POS %s %d %lld\n", parts[k].topic, (int)parts[k].partition, (long long)parts[k].offset);
            sl_arena_fini(&arena);
        } else if (strcmp(cmd, "sleep") == 0) {
            usleep((useconds_t)atoi(arg) * 1000);
        } else if (strcmp(cmd, "close") == 0) {
            if ((err = sl_consumer_close(c)))
                die("close", err);
        } else {
            fprintf(stderr, "unknown command %s\n", cmd);
            return 2;
        }
        fflush(stdout);
    }
    sl_consumer_free(c);
    return 0;
}
