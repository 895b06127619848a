/*
 * addr.c - socket addresses: resolving host:port for listeners and outgoing
 * connections, formatting a peer for logs, socket options every TCP
 * connection gets.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "net_int.h"

void net_addr_format(const struct sockaddr *sa, char *out, size_t outlen)
{
    char ip[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in4->sin_addr, ip, sizeof(ip));
        snprintf(out, outlen, "%s:%u", ip, (unsigned)ntohs(in4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        snprintf(out, outlen, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
    } else {
        snprintf(out, outlen, "(family %d)", (int)sa->sa_family);
    }
}

sl_err_t net_addr_resolve(const char *host, uint16_t port, bool passive, struct addrinfo **out)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    if (!host || !*host) {
        if (!passive)
            return SL_ERR_INVAL;
        host = "0.0.0.0";
    }
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
    int rc = getaddrinfo(host, portstr, &hints, out);
    if (rc != 0) {
        *out = NULL;
        SL_WARN(NET_LOG, "cannot resolve %s:%u: %s", host, (unsigned)port, gai_strerror(rc));
        return SL_ERR_INVAL;
    }
    return SL_OK;
}

void net_set_nodelay(int fd)
{
    int one = 1;
    /* Kafka requests and replies are whole frames; Nagle would only delay
     * the last segment of each. Failure is harmless. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}
