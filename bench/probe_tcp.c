/*
 * probe_tcp.c - the loopback TCP ceiling: a sender thread writes CHUNK-byte
 * buffers into a 127.0.0.1 socket as fast as the kernel takes them, a receiver
 * thread reads them into a buffer of the same size and drops them. Bytes
 * received over the time from the first to the last byte is what any broker
 * could at best deliver to a consumer on this machine (both ends here run in
 * user space too, and touch every byte once: copy in, copy out).
 *
 *   probe_tcp [SECONDS] [CHUNK]      defaults 2 s, 262144 bytes
 *
 * Prints "result probe=tcp chunk=... bytes=... seconds=... mb_s=...".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base.h"

typedef struct probe {
    int lfd;
    size_t chunk;
    uint64_t bytes;
    int64_t t_first, t_last;
} probe_t;

static void *receiver(void *arg)
{
    probe_t *p = arg;
    int fd = accept(p->lfd, NULL, NULL);
    uint8_t *buf = malloc(p->chunk);
    if (fd < 0 || !buf) {
        fprintf(stderr, "probe_tcp: accept: %s\n", strerror(errno));
        free(buf);
        return NULL;
    }
    for (;;) {
        ssize_t n = read(fd, buf, p->chunk);
        if (n <= 0)
            break;
        int64_t now = sl_time_mono_ns();
        if (!p->bytes)
            p->t_first = now;
        p->bytes += (uint64_t)n;
        p->t_last = now;
    }
    close(fd);
    free(buf);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    long chunk = argc > 2 ? atol(argv[2]) : 262144;
    if (!(seconds > 0 && seconds <= 600) || chunk < 1 || chunk > (64L << 20)) {
        fprintf(stderr, "usage: probe_tcp [SECONDS (0..600)] [CHUNK (1..64 MiB)]\n");
        return 2;
    }
    probe_t p = {.chunk = (size_t)chunk};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    p.lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (p.lfd < 0 || bind(p.lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(p.lfd, 1) != 0 ||
        getsockname(p.lfd, (struct sockaddr *)&sa, &len) != 0) {
        fprintf(stderr, "probe_tcp: listen: %s\n", strerror(errno));
        return 1;
    }
    pthread_t th;
    if (pthread_create(&th, NULL, receiver, &p) != 0)
        return 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "probe_tcp: connect: %s\n", strerror(errno));
        return 1;
    }
    uint8_t *buf = malloc(p.chunk);
    if (!buf)
        return 1;
    memset(buf, 0x5a, p.chunk);
    int64_t end = sl_time_mono_ns() + (int64_t)(seconds * 1e9);
    while (sl_time_mono_ns() < end) {
        size_t off = 0;
        while (off < p.chunk) {
            ssize_t n = write(fd, buf + off, p.chunk - off);
            if (n < 0 && errno != EINTR) {
                fprintf(stderr, "probe_tcp: write: %s\n", strerror(errno));
                return 1;
            }
            off += n > 0 ? (size_t)n : 0;
        }
    }
    close(fd);
    pthread_join(th, NULL);
    close(p.lfd);
    free(buf);
    double secs = (double)(p.t_last - p.t_first) / 1e9;
    if (secs <= 0) {
        fprintf(stderr, "probe_tcp: nothing received\n");
        return 1;
    }
    printf("result probe=tcp chunk=%zu bytes=%" PRIu64 " seconds=%.3f mb_s=%.2f\n", p.chunk, p.bytes, secs,
           (double)p.bytes / secs / 1e6);
    return 0;
}
