/*
 * probe_disk.c - the disk's own synced write speed: for each SIZE, append
 * SIZE bytes to a new file in DIR and fdatasync it, again and again for
 * SECONDS, as a broker does when every append must be on disk before it
 * answers (flush.messages=1). DIR should be the directory the broker's log
 * lives in, so the same file system and device are measured. Appends grow
 * the file, as a log segment grows, so each sync also carries the new size.
 *
 *   probe_disk DIR SECONDS SIZE...
 *
 * Prints one "result probe=disk size=... writes=... seconds=... writes_s=...
 * mb_s=..." line per size. The file is removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"

static int probe(const char *dir, double seconds, size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/probe_disk.%d.tmp", dir, (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    uint8_t *buf = malloc(size);
    if (fd < 0 || !buf) {
        fprintf(stderr, "probe_disk: %s: %s\n", path, strerror(errno));
        free(buf);
        return -1;
    }
    for (size_t i = 0; i < size; i++)
        buf[i] = (uint8_t)(i * 2654435761u >> 13);
    uint64_t writes = 0;
    int rc = 0;
    int64_t t0 = sl_time_mono_ns(), end = t0 + (int64_t)(seconds * 1e9), now = t0;
    while (rc == 0 && now < end) {
        size_t off = 0;
        while (rc == 0 && off < size) {
            ssize_t n = write(fd, buf + off, size - off);
            if (n < 0 && errno != EINTR)
                rc = -1;
            off += n > 0 ? (size_t)n : 0;
        }
        if (rc == 0 && fdatasync(fd) != 0)
            rc = -1;
        writes++;
        now = sl_time_mono_ns();
    }
    if (rc)
        fprintf(stderr, "probe_disk: %s: %s\n", path, strerror(errno));
    close(fd);
    unlink(path);
    free(buf);
    double secs = (double)(now - t0) / 1e9;
    if (rc == 0)
        printf("result probe=disk size=%zu writes=%" PRIu64 " seconds=%.3f writes_s=%.0f mb_s=%.2f\n", size,
               writes, secs, (double)writes / secs, (double)writes * (double)size / secs / 1e6);
    fflush(stdout);
    return rc;
}

int main(int argc, char **argv)
{
    double seconds = argc > 2 ? atof(argv[2]) : 0;
    if (argc < 4 || !(seconds > 0 && seconds <= 600)) {
        fprintf(stderr, "usage: probe_disk DIR SECONDS SIZE...\n");
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        char *end;
        long size = strtol(argv[i], &end, 10);
        if (*end != '\0' || size < 1 || size > (256L << 20)) {
            fprintf(stderr, "probe_disk: SIZE wants 1..268435456, got '%s'\n", argv[i]);
            return 2;
        }
        if (probe(argv[1], seconds, (size_t)size) != 0)
            return 1;
    }
    return 0;
}
