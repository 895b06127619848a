/*
 * bench_broker.c - the broker benchmark driver: one program, librdkafka's
 * public C API only, pointed at any Kafka-compatible broker by bootstrap
 * address and named by a label, so bench/run.sh measures sluiced and its
 * peers with the same code and the same client settings.
 *
 *   bench_broker produce  -b HOST:PORT -l LABEL -t TOPIC -s BYTES -p N -d SECONDS [-a ACKS]
 *   bench_broker consume  -b HOST:PORT -l LABEL -t TOPIC -p N -d SECONDS
 *   bench_broker latency  -b HOST:PORT -l LABEL -t TOPIC -s BYTES -p N -d SECONDS -r MSGS_PER_S
 *   bench_broker freeport            prints a free 127.0.0.1 TCP port
 *   bench_broker wait HOST:PORT [-d SECONDS]   waits until HOST:PORT accepts connections
 *
 * Common options: -c (create the topic with CreateTopics), -C name=value (a
 * topic config for -c), -X name=value (any librdkafka property), -L linger.ms.
 * The modes themselves are in broker_produce.c, broker_consume.c and
 * broker_latency.c; the shared client set-up in broker_setup.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker_int.h"

static void usage(FILE *out)
{
    fputs("usage: bench_broker produce|consume|latency -b HOST:PORT -l LABEL -t TOPIC\n"
          "                    [-s BYTES] [-p PARTITIONS] [-d SECONDS] [-a ACKS] [-r MSGS_PER_S]\n"
          "                    [-L LINGER_MS] [-c] [-C topic.config=value]... [-X rdkafka.prop=value]...\n"
          "       bench_broker freeport\n"
          "       bench_broker wait HOST:PORT [-d SECONDS]\n",
          out);
}

/* Binds 127.0.0.1:0 and prints the port the kernel chose. Another process can
 * take it before our caller does; run.sh's wait step catches that. */
static int mode_freeport(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        fprintf(stderr, "bench_broker freeport: %s\n", strerror(errno));
        return 1;
    }
    printf("%u\n", ntohs(sa.sin_port));
    close(fd);
    return 0;
}

static int try_connect(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    int ok = -1;
    for (ai = res; ai && ok != 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        ok = connect(fd, ai->ai_addr, ai->ai_addrlen);
        close(fd);
    }
    freeaddrinfo(res);
    return ok;
}

static int mode_wait(const char *hostport, double seconds)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host) {
        fprintf(stderr, "bench_broker wait: want HOST:PORT, got '%s'\n", hostport);
        return 2;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    int64_t deadline = sl_time_mono_ns() + (int64_t)(seconds * 1e9);
    while (try_connect(host, colon + 1) != 0) {
        if (sl_time_mono_ns() > deadline) {
            fprintf(stderr, "bench_broker wait: nothing accepts connections on %s after %.0f s\n",
                    hostport, seconds);
            return 1;
        }
        nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
    }
    return 0;
}

static int parse_int(const char *s, int lo, int hi, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "bench_broker: %s wants %d..%d, got '%s'\n", what, lo, hi, s);
        exit(2);
    }
    return (int)v;
}

static double parse_double(const char *s, double lo, double hi, const char *what)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= lo && v <= hi)) {
        fprintf(stderr, "bench_broker: %s wants %g..%g, got '%s'\n", what, lo, hi, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *mode = argv[1];
    if (strcmp(mode, "-h") == 0 || strcmp(mode, "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(mode, "freeport") == 0)
        return mode_freeport();
    if (strcmp(mode, "wait") != 0 && strcmp(mode, "produce") != 0 && strcmp(mode, "consume") != 0 &&
        strcmp(mode, "latency") != 0) {
        fprintf(stderr, "bench_broker: unknown mode '%s'\n", mode);
        usage(stderr);
        return 2;
    }

    bb_opts_t o = {.label = "broker", .size = 100, .partitions = 1, .seconds = 3, .acks = "1",
                   .linger_ms = -1};
    static const struct option opts[] = {
        {"bootstrap", required_argument, NULL, 'b'}, {"label", required_argument, NULL, 'l'},
        {"topic", required_argument, NULL, 't'},     {"size", required_argument, NULL, 's'},
        {"partitions", required_argument, NULL, 'p'}, {"seconds", required_argument, NULL, 'd'},
        {"acks", required_argument, NULL, 'a'},      {"rate", required_argument, NULL, 'r'},
        {"linger", required_argument, NULL, 'L'},    {"create", no_argument, NULL, 'c'},
        {"topic-config", required_argument, NULL, 'C'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "b:l:t:s:p:d:a:r:L:cC:X:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': o.bootstrap = optarg; break;
        case 'l': o.label = optarg; break;
        case 't': o.topic = optarg; break;
        case 's': o.size = parse_int(optarg, 24, 1000000, "--size"); break;
        case 'p': o.partitions = parse_int(optarg, 1, 1000, "--partitions"); break;
        case 'd': o.seconds = parse_double(optarg, 0.1, 600, "--seconds"); break;
        case 'a': o.acks = optarg; break;
        case 'r': o.rate = parse_double(optarg, 1, 1e8, "--rate"); break;
        case 'L': o.linger_ms = parse_int(optarg, 0, 10000, "--linger"); break;
        case 'c': o.create = true; break;
        case 'C':
        case 'X': {
            const char **arr = c == 'C' ? o.topic_cfg : o.client_cfg;
            int *n = c == 'C' ? &o.n_topic_cfg : &o.n_client_cfg;
            if (*n == BB_MAX_KV || !strchr(optarg, '=')) {
                fprintf(stderr, "bench_broker: -%c wants name=value (at most %d), got '%s'\n", c,
                        BB_MAX_KV, optarg);
                return 2;
            }
            arr[(*n)++] = optarg;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }

    if (strcmp(mode, "wait") == 0) {
        if (optind >= argc) {
            usage(stderr);
            return 2;
        }
        return mode_wait(argv[optind], o.seconds);
    }
    if (!o.bootstrap || !o.topic) {
        fprintf(stderr, "bench_broker %s: -b HOST:PORT and -t TOPIC are required\n", mode);
        return 2;
    }
    if (strcmp(mode, "produce") == 0)
        return bb_produce(&o);
    if (strcmp(mode, "consume") == 0)
        return bb_consume(&o);
    if (o.rate <= 0) {
        fprintf(stderr, "bench_broker latency: -r MSGS_PER_S is required\n");
        return 2;
    }
    return bb_latency(&o);
}
