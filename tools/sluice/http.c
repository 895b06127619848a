/*
 * http.c - the small HTTP/1.1 client `sluice sql` and `sluice connect` talk
 * to the SQL service and the Connect worker with: one request per
 * connection (Connection: close), with or without a Content-Length body,
 * the status line and headers read back, then the body read whole or line
 * by line as it arrives, plain, Content-Length-delimited or chunked.
 * Every wait is a poll(2) with a deadline, and a signal (Ctrl-C) ends the
 * wait when the caller's flag says so. Sizes are bounded: a header block
 * of 64 KiB, a line of 16 MiB, a whole body of 64 MiB.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sluice.h"

#define HTTP_MAX_HEAD (64 * 1024)
#define HTTP_MAX_LINE (16 * 1024 * 1024)
#define HTTP_MAX_BODY (64 * 1024 * 1024)

static void set_err(sluice_http_t *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(sluice_http_t *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->error, sizeof h->error, fmt, ap);
    va_end(ap);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool sluice_http_parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen, char *why,
                           size_t whylen)
{
    const char *p = url;
    if (strncmp(p, "http://", 7) == 0) {
        p += 7;
    } else if (strstr(p, "://")) {
        snprintf(why, whylen, "only http:// URLs are supported");
        return false;
    }
    size_t n = strcspn(p, "/");
    const char *colon = memchr(p, ':', n);
    size_t hl = colon ? (size_t)(colon - p) : n;
    if (hl == 0 || hl >= hostlen) {
        snprintf(why, whylen, "expected http://HOST[:PORT]");
        return false;
    }
    memcpy(host, p, hl);
    host[hl] = '\0';
    if (colon) {
        size_t pl = n - hl - 1;
        if (pl == 0 || pl >= portlen || pl > 5 || strspn(colon + 1, "0123456789") < pl) {
            snprintf(why, whylen, "the port must be a number");
            return false;
        }
        memcpy(port, colon + 1, pl);
        port[pl] = '\0';
    } else {
        snprintf(port, portlen, "80");
    }
    return true;
}

/* Waits until fd is ready for events or the deadline (-1: none) passes.
 * false with h->error set on timeout or interruption. */
static bool wait_fd(sluice_http_t *h, short events, int64_t deadline)
{
    for (;;) {
        if (h->interrupted && *h->interrupted) {
            set_err(h, "interrupted");
            h->was_interrupted = true;
            return false;
        }
        int tmo = -1;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            if (left <= 0) {
                set_err(h, "timed out");
                return false;
            }
            tmo = left > 1000 ? 1000 : (int)left;
        } else {
            tmo = 1000;
        }
        struct pollfd pfd = {.fd = h->fd, .events = events};
        int r = poll(&pfd, 1, tmo);
        if (r > 0)
            return true;
        if (r < 0 && errno != EINTR) {
            set_err(h, "poll: %s", strerror(errno));
            return false;
        }
    }
}

/* More raw bytes into h->raw; 0 at end of stream, -1 on error. */
static int fill(sluice_http_t *h, int64_t deadline)
{
    if (h->rlen == h->roff) {
        h->rlen = h->roff = 0;
    } else if (h->roff > 0) {
        memmove(h->raw, h->raw + h->roff, h->rlen - h->roff);
        h->rlen -= h->roff;
        h->roff = 0;
    }
    if (h->rlen == sizeof h->raw) {
        set_err(h, "the response's header block is too long");
        return -1;
    }
    if (!wait_fd(h, POLLIN, deadline))
        return -1;
    ssize_t n = recv(h->fd, h->raw + h->rlen, sizeof h->raw - h->rlen, 0);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return fill(h, deadline);
        set_err(h, "reading the response: %s", strerror(errno));
        return -1;
    }
    h->rlen += (size_t)n;
    return n == 0 ? 0 : 1;
}

/* One CRLF- or LF-ended line of the raw stream (the head, chunk sizes),
 * without its end, into out. */
static bool raw_line(sluice_http_t *h, char *out, size_t outlen, int64_t deadline)
{
    for (;;) {
        char *nl = memchr(h->raw + h->roff, '\n', h->rlen - h->roff);
        if (nl) {
            size_t n = (size_t)(nl - (h->raw + h->roff));
            size_t m = n && nl[-1] == '\r' ? n - 1 : n;
            if (m >= outlen) {
                set_err(h, "a response header line is too long");
                return false;
            }
            memcpy(out, h->raw + h->roff, m);
            out[m] = '\0';
            h->roff += n + 1;
            return true;
        }
        int r = fill(h, deadline);
        if (r <= 0) {
            if (r == 0)
                set_err(h, "the server closed the connection in the middle of the response");
            return false;
        }
    }
}

static bool send_all(sluice_http_t *h, const char *p, size_t n, int64_t deadline)
{
    while (n) {
        if (!wait_fd(h, POLLOUT, deadline))
            return false;
        ssize_t w = send(h->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            set_err(h, "sending the request: %s", strerror(errno));
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool connect_to(sluice_http_t *h, const char *host, const char *port)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g != 0) {
        set_err(h, "cannot resolve %s: %s", host, gai_strerror(g));
        return false;
    }
    int last = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            h->fd = fd;
            freeaddrinfo(ai);
            return true;
        }
        last = errno;
        close(fd);
    }
    freeaddrinfo(ai);
    set_err(h, "cannot connect to %s:%s: %s", host, port, strerror(last));
    return false;
}

bool sluice_http_request(sluice_http_t *h, const char *method, const char *url, const char *path,
                         const char *accept, const char *body, int timeout_ms)
{
    volatile sig_atomic_t *intr = h->interrupted;
    memset(h, 0, sizeof *h);
    h->interrupted = intr;
    h->fd = -1;
    char host[256], port[16], why[128];
    if (!sluice_http_parse_url(url, host, sizeof host, port, sizeof port, why, sizeof why)) {
        set_err(h, "%s: %s", url, why);
        return false;
    }
    int64_t deadline = now_ms() + timeout_ms;
    if (!connect_to(h, host, port))
        return false;
    size_t blen = body ? strlen(body) : 0;
    char head[4096];
    int hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: sluice\r\n%s"
                      "Accept: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                      method, path, host, port, body ? "Content-Type: application/json\r\n" : "", accept, blen);
    if (hn < 0 || (size_t)hn >= sizeof head) {
        set_err(h, "request line too long");
        return false;
    }
    if (!send_all(h, head, (size_t)hn, deadline) || (body && !send_all(h, body, blen, deadline)))
        return false;
    char line[8192];
    if (!raw_line(h, line, sizeof line, deadline))
        return false;
    int major, minor, status;
    if (sscanf(line, "HTTP/%d.%d %d", &major, &minor, &status) != 3) {
        set_err(h, "not an HTTP response: '%.100s'", line);
        return false;
    }
    h->status = status;
    h->remaining = -1;
    size_t total = 0;
    for (;;) {
        if (!raw_line(h, line, sizeof line, deadline))
            return false;
        if (!line[0])
            break;
        total += strlen(line);
        if (total > HTTP_MAX_HEAD) {
            set_err(h, "the response's headers are too long");
            return false;
        }
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (strcasecmp(line, "Content-Length") == 0)
            h->remaining = strtoll(v, NULL, 10);
        else if (strcasecmp(line, "Transfer-Encoding") == 0 && strstr(v, "chunked"))
            h->chunked = true;
        else if (strcasecmp(line, "Content-Type") == 0)
            snprintf(h->content_type, sizeof h->content_type, "%s", v);
    }
    if (h->chunked)
        h->remaining = 0; /* bytes left in the current chunk */
    return true;
}

bool sluice_http_post(sluice_http_t *h, const char *url, const char *path, const char *accept, const char *body,
                      int timeout_ms)
{
    return sluice_http_request(h, "POST", url, path, accept, body, timeout_ms);
}

/* Up to max body bytes into out; 0 at the end of the body, -1 on error. */
static ssize_t body_read(sluice_http_t *h, char *out, size_t max, int64_t deadline)
{
    if (h->done)
        return 0;
    if (h->chunked && h->remaining == 0) {
        char line[256];
        if (h->chunk_seen && !raw_line(h, line, sizeof line, deadline)) /* the CRLF after a chunk */
            return -1;
        if (!raw_line(h, line, sizeof line, deadline))
            return -1;
        char *end;
        long long n = strtoll(line, &end, 16);
        if (end == line || n < 0) {
            set_err(h, "bad chunk size '%.40s'", line);
            return -1;
        }
        h->chunk_seen = true;
        if (n == 0) {
            h->done = true;
            return 0;
        }
        h->remaining = n;
    }
    if (!h->chunked && h->remaining == 0) {
        h->done = true;
        return 0;
    }
    if (h->roff == h->rlen) {
        int r = fill(h, deadline);
        if (r < 0)
            return -1;
        if (r == 0) {
            if (h->chunked || h->remaining > 0) {
                set_err(h, "the server closed the connection in the middle of the response");
                return -1;
            }
            h->done = true;
            return 0;
        }
    }
    size_t n = h->rlen - h->roff;
    if (n > max)
        n = max;
    if (h->remaining >= 0 && (int64_t)n > h->remaining)
        n = (size_t)h->remaining;
    memcpy(out, h->raw + h->roff, n);
    h->roff += n;
    if (h->remaining > 0)
        h->remaining -= (int64_t)n;
    return (ssize_t)n;
}

int sluice_http_line(sluice_http_t *h, char **line, int timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    *line = NULL;
    for (;;) {
        char *nl = h->body ? memchr(h->body + h->boff, '\n', h->blen - h->boff) : NULL;
        if (nl || (h->done && h->boff < h->blen)) {
            size_t n = nl ? (size_t)(nl - (h->body + h->boff)) : h->blen - h->boff;
            char *s = malloc(n + 1);
            if (!s) {
                set_err(h, "out of memory");
                return -1;
            }
            memcpy(s, h->body + h->boff, n);
            s[n] = '\0';
            if (n && s[n - 1] == '\r')
                s[n - 1] = '\0';
            h->boff += nl ? n + 1 : n;
            *line = s;
            return 1;
        }
        if (h->done)
            return 0;
        if (h->boff > 0) {
            memmove(h->body, h->body + h->boff, h->blen - h->boff);
            h->blen -= h->boff;
            h->boff = 0;
        }
        if (h->bcap - h->blen < 4096) {
            size_t cap = h->bcap ? h->bcap * 2 : 65536;
            if (cap > HTTP_MAX_LINE + 65536) {
                set_err(h, "a line of the response is longer than %d bytes", HTTP_MAX_LINE);
                return -1;
            }
            char *b = realloc(h->body, cap);
            if (!b) {
                set_err(h, "out of memory");
                return -1;
            }
            h->body = b;
            h->bcap = cap;
        }
        ssize_t r = body_read(h, h->body + h->blen, h->bcap - h->blen, deadline);
        if (r < 0)
            return -1;
        h->blen += (size_t)r;
    }
}

char *sluice_http_body(sluice_http_t *h, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        if (h->bcap - h->blen < 4096) {
            size_t cap = h->bcap ? h->bcap * 2 : 65536;
            if (cap > HTTP_MAX_BODY) {
                set_err(h, "the response is longer than %d bytes", HTTP_MAX_BODY);
                return NULL;
            }
            char *b = realloc(h->body, cap);
            if (!b) {
                set_err(h, "out of memory");
                return NULL;
            }
            h->body = b;
            h->bcap = cap;
        }
        ssize_t r = body_read(h, h->body + h->blen, h->bcap - h->blen - 1, deadline);
        if (r < 0)
            return NULL;
        if (r == 0)
            break;
        h->blen += (size_t)r;
    }
    h->body[h->blen] = '\0';
    char *out = h->body;
    h->body = NULL;
    h->blen = h->bcap = h->boff = 0;
    return out;
}

void sluice_http_close(sluice_http_t *h)
{
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    free(h->body);
    h->body = NULL;
}
