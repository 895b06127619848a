/*
 * broker.c - the broker's life cycle: log dirs (created, locked against a
 * second broker), meta.properties (node id and cluster id, as Kafka writes
 * them), the clean-shutdown marker, loading the registry, starting and
 * stopping the network threads, and closing everything in order. The
 * group coordinator opens as the network threads start, after the
 * registry (it creates and loads __consumer_offsets), and closes before
 * the registry.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker_int.h"

/* mkdir -p. SL_OK or SL_ERR_IO (errno kept). */
static sl_err_t mkdirs(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return SL_ERR_IO;
    }
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return SL_ERR_IO;
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return SL_ERR_IO;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return SL_ERR_IO;
    }
    return SL_OK;
}

static void fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Writes text to path atomically: temp file, fsync, rename, fsync dir. */
static sl_err_t write_atomic(const char *dir, const char *name, const char *text)
{
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return SL_ERR_IO;
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            errno = e;
            return SL_ERR_IO;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return SL_ERR_IO;
    }
    fsync_dir(dir);
    return SL_OK;
}

/* Kafka's cluster id: a random uuid in URL-safe base64 without padding
 * (22 characters). */
static void make_cluster_id(char out[32])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    sl_uuid_t id;
    sl_broker_random_uuid(&id);
    size_t o = 0;
    for (size_t i = 0; i < 16; i += 3) {
        uint32_t v = (uint32_t)id.b[i] << 16;
        if (i + 1 < 16)
            v |= (uint32_t)id.b[i + 1] << 8;
        if (i + 2 < 16)
            v |= id.b[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < 16)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < 16)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
}

/* Reads meta.properties of every log dir, checks they agree with each other
 * and with node.id, and writes it where missing. */
static sl_err_t meta_properties(sl_broker_t *broker, char *errbuf, size_t errlen)
{
    const sl_broker_config_t *cfg = broker->cfg;
    char cluster[32] = "";
    const char *cluster_from = NULL;
    bool missing[SL_CONFIG_MAX_LOG_DIRS] = {false};
    for (int d = 0; d < cfg->n_log_dirs; d++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/meta.properties", cfg->log_dirs[d]);
        if (access(path, F_OK) != 0) {
            missing[d] = true;
            broker->fresh_dirs++;
            continue;
        }
        sl_props_t *props;
        char why[512];
        if (sl_props_load(path, &props, why, sizeof why) != SL_OK) {
            snprintf(errbuf, errlen, "cannot read %s: %s", path, why);
            return SL_ERR_IO;
        }
        const char *cid = sl_props_get(props, "cluster.id");
        const char *nid = sl_props_get(props, "node.id");
        if (!nid)
            nid = sl_props_get(props, "broker.id");
        sl_err_t err = SL_OK;
        if (!cid || !*cid || strlen(cid) >= sizeof cluster) {
            snprintf(errbuf, errlen, "%s: no valid cluster.id", path);
            err = SL_ERR_CONFIG;
        } else if (cluster_from && strcmp(cid, cluster) != 0) {
            snprintf(errbuf, errlen, "cluster.id %s in %s does not match %s in %s/meta.properties", cid, path,
                     cluster, cluster_from);
            err = SL_ERR_CONFIG;
        } else if (nid && strtoll(nid, NULL, 10) != cfg->node_id) {
            snprintf(errbuf, errlen, "configured node.id %d does not match the stored node.id %s in %s",
                     cfg->node_id, nid, path);
            err = SL_ERR_CONFIG;
        } else if (!cluster_from) {
            snprintf(cluster, sizeof cluster, "%s", cid);
            cluster_from = cfg->log_dirs[d];
        }
        sl_props_free(props);
        if (err != SL_OK)
            return err;
    }
    if (!cluster_from)
        make_cluster_id(cluster);
    snprintf(broker->cluster_id, sizeof broker->cluster_id, "%s", cluster);
    for (int d = 0; d < cfg->n_log_dirs; d++) {
        if (!missing[d])
            continue;
        char text[512];
        snprintf(text, sizeof text,
                 "#\n# sluiced: identity of this log dir. Do not edit.\n#\nversion=0\nbroker.id=%d\nnode.id=%d\n"
                 "cluster.id=%s\n",
                 cfg->node_id, cfg->node_id, cluster);
        if (write_atomic(cfg->log_dirs[d], "meta.properties", text) != SL_OK) {
            snprintf(errbuf, errlen, "cannot write %s/meta.properties: %s", cfg->log_dirs[d], strerror(errno));
            return SL_ERR_IO;
        }
    }
    return SL_OK;
}

static void marker_path(const char *dir, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/.sluice/clean_shutdown", dir);
}

/* true when every log dir has its marker; removes them all (so a crash from
 * now on is seen as one at the next start). */
static bool take_clean_markers(const sl_broker_config_t *cfg)
{
    bool clean = true;
    for (int d = 0; d < cfg->n_log_dirs; d++) {
        char path[4200];
        marker_path(cfg->log_dirs[d], path, sizeof path);
        if (access(path, F_OK) != 0)
            clean = false;
    }
    for (int d = 0; d < cfg->n_log_dirs; d++) {
        char path[4200], dir[4200];
        marker_path(cfg->log_dirs[d], path, sizeof path);
        if (unlink(path) == 0) {
            snprintf(dir, sizeof dir, "%s/.sluice", cfg->log_dirs[d]);
            fsync_dir(dir);
        } else if (errno != ENOENT) {
            SL_WARN(SL_BROKER_LOG, "cannot remove %s: %s", path, strerror(errno));
        }
    }
    return clean;
}

static void write_clean_markers(const sl_broker_config_t *cfg)
{
    for (int d = 0; d < cfg->n_log_dirs; d++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/.sluice", cfg->log_dirs[d]);
        if (mkdirs(dir) != SL_OK || write_atomic(dir, "clean_shutdown", "") != SL_OK)
            SL_ERROR(SL_BROKER_LOG, "cannot write the clean-shutdown marker in %s: %s", dir, strerror(errno));
    }
}

static sl_err_t lock_dir(sl_broker_t *broker, int d, const char *dir, char *errbuf, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
        return SL_ERR_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        snprintf(errbuf, errlen, "cannot lock %s: %s", path,
                 e == EWOULDBLOCK ? "another broker is using this log dir" : strerror(e));
        return SL_ERR_IO;
    }
    broker->lock_fds[d] = fd;
    return SL_OK;
}

static void unlock_dirs(sl_broker_t *broker)
{
    for (int d = 0; d < SL_CONFIG_MAX_LOG_DIRS; d++) {
        if (broker->lock_fds[d] >= 0)
            close(broker->lock_fds[d]);
        broker->lock_fds[d] = -1;
    }
}

/* What Metadata tells clients to connect to: advertised.listeners, else the
 * listener's host unless it is a wildcard, else this machine's name (Kafka
 * uses the canonical host name there). Port 0: the bound port, known once
 * the listeners are open. */
static void advertised(sl_broker_t *broker)
{
    const sl_broker_config_t *cfg = broker->cfg;
    const char *host = cfg->advertised_host[0] ? cfg->advertised_host : cfg->listener_host;
    uint16_t port = cfg->advertised_host[0] ? cfg->advertised_port : cfg->listener_port;
    if (!host[0] || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) {
        if (gethostname(broker->adv_host, sizeof broker->adv_host) != 0 || !broker->adv_host[0])
            snprintf(broker->adv_host, sizeof broker->adv_host, "localhost");
        broker->adv_host[sizeof broker->adv_host - 1] = '\0';
    } else {
        snprintf(broker->adv_host, sizeof broker->adv_host, "%s", host);
    }
    broker->adv_port = port;
}

static void broker_free(sl_broker_t *broker)
{
    pthread_rwlock_destroy(&broker->reg_lock);
    pthread_mutex_destroy(&broker->admin_mu);
    sl_map_fini(&broker->topics, NULL);
    sl_map_fini(&broker->topic_ids, NULL);
    free(broker->dir_load);
    free(broker->workers);
    free(broker);
}

sl_err_t sl_broker_open(const sl_broker_config_t *cfg, sl_broker_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (cfg->n_log_dirs < 1 || cfg->n_log_dirs > SL_CONFIG_MAX_LOG_DIRS) {
        snprintf(errbuf, errlen, "log.dirs: between 1 and %d directories are needed", SL_CONFIG_MAX_LOG_DIRS);
        return SL_ERR_CONFIG;
    }
    sl_broker_t *broker = calloc(1, sizeof *broker);
    int *load = calloc((size_t)cfg->n_log_dirs, sizeof *load);
    if (!broker || !load) {
        free(broker);
        free(load);
        return SL_ERR_NOMEM;
    }
    broker->cfg = cfg;
    broker->node_id = cfg->node_id;
    broker->dir_load = load;
    for (int d = 0; d < SL_CONFIG_MAX_LOG_DIRS; d++)
        broker->lock_fds[d] = -1;
    advertised(broker);
    /* Writers (topic changes) must not starve behind a steady stream of
     * lookups from the network threads. */
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&broker->reg_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_mutex_init(&broker->admin_mu, NULL);
    sl_map_init(&broker->topics);
    sl_map_init(&broker->topic_ids);
    atomic_init(&broker->stopping, false);

    sl_err_t err = SL_OK;
    for (int d = 0; d < cfg->n_log_dirs && err == SL_OK; d++) {
        char meta[4200];
        snprintf(meta, sizeof meta, "%s/.sluice", cfg->log_dirs[d]);
        if (mkdirs(cfg->log_dirs[d]) != SL_OK || mkdirs(meta) != SL_OK) {
            snprintf(errbuf, errlen, "log dir %s: cannot create it: %s", cfg->log_dirs[d], strerror(errno));
            err = SL_ERR_IO;
        } else {
            err = lock_dir(broker, d, cfg->log_dirs[d], errbuf, errlen);
        }
    }
    if (err == SL_OK)
        err = meta_properties(broker, errbuf, errlen);
    if (err != SL_OK) {
        unlock_dirs(broker);
        broker_free(broker);
        return err;
    }

    /* A log dir without meta.properties is new: nothing there to recover. */
    bool fresh = broker->fresh_dirs == cfg->n_log_dirs;
    bool clean = take_clean_markers(cfg) || fresh;
    int64_t t0 = sl_time_mono_ms();
    size_t topics, partitions, failed;
    err = sl_broker_registry_load(broker, clean, &topics, &partitions, &failed);
    if (err != SL_OK) {
        snprintf(errbuf, errlen, "cannot load the topic metadata in %s/.sluice: %s", cfg->log_dirs[0],
                 sl_err_str(err));
        sl_broker_registry_close(broker);
        unlock_dirs(broker);
        broker_free(broker);
        return SL_ERR_IO;
    }
    SL_INFO(SL_BROKER_LOG, "loaded %zu topics, %zu partitions in %" PRId64 " ms after %s%s", topics, partitions,
            sl_time_mono_ms() - t0,
            fresh ? "a first start" : clean ? "a clean shutdown" : "an unclean shutdown (logs recovered)",
            failed ? "; some could not be loaded (see above)" : "");
    *out = broker;
    return SL_OK;
}

sl_err_t sl_broker_close(sl_broker_t *broker)
{
    if (!broker)
        return SL_OK;
    for (int i = 0; i < broker->nworkers; i++)
        sl_broker_worker_free(broker->workers[i]);
    broker->nworkers = 0;
    sl_txn_coord_close(broker);
    sl_coord_close(broker);
    sl_err_t err = sl_broker_registry_close(broker);
    if (err == SL_OK)
        write_clean_markers(broker->cfg);
    else
        SL_ERROR(SL_BROKER_LOG, "some logs did not close cleanly; they will be recovered at the next start");
    unlock_dirs(broker);
    broker_free(broker);
    return err;
}

/* SO_REUSEPORT lets any process of the same user join a port group, so a
 * second broker started on our port would silently share our connections.
 * Before joining the group, check that nobody listens there: a plain bind
 * (no SO_REUSEPORT) fails with EADDRINUSE when someone does, whatever
 * options they used. A tiny race remains against a process binding between
 * this check and our listeners; every sluiced checks, so two brokers cannot
 * both pass. SL_OK or SL_ERR_IO (logged). */
static sl_err_t port_free(const char *host, uint16_t port)
{
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host && *host ? host : NULL, service, &hints, &ai) != 0 || !ai)
        return SL_OK; /* the listener reports a bad host itself */
    sl_err_t err = SL_OK;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno == EADDRINUSE) {
            SL_ERROR(SL_BROKER_LOG, "cannot listen on %s:%u: Address already in use", host && *host ? host : "*",
                     port);
            err = SL_ERR_IO;
        }
        close(fd);
    }
    freeaddrinfo(ai);
    return err;
}

sl_err_t sl_broker_start(sl_broker_t *broker, const char *host, uint16_t port, int n)
{
    if (port != 0 && port_free(host, port) != SL_OK)
        return SL_ERR_IO;
    /* Before the first request: __consumer_offsets and __transaction_state
     * exist and their loading has begun. (Brokers opened without network
     * threads, as unit tests do, have no coordinators.) */
    if (sl_coord_open(broker) != SL_OK || sl_txn_coord_open(broker) != SL_OK)
        return SL_ERR_NOMEM;
    if (n < 1)
        n = 1;
    broker->workers = calloc((size_t)n, sizeof *broker->workers);
    if (!broker->workers)
        return SL_ERR_NOMEM;
    sl_err_t err = SL_OK;
    for (int i = 0; i < n && err == SL_OK; i++) {
        err = sl_broker_worker_new(broker, i, host, port, &broker->workers[i]);
        if (err == SL_OK) {
            broker->nworkers++;
            if (port == 0) /* the others join the port the first one got */
                port = sl_broker_worker_port(broker->workers[i]);
        }
    }
    broker->port = port;
    if (broker->adv_port == 0)
        broker->adv_port = port;
    for (int i = 0; i < broker->nworkers && err == SL_OK; i++)
        err = sl_broker_worker_start(broker->workers[i]);
    if (err != SL_OK)
        sl_broker_stop(broker);
    return err;
}

void sl_broker_stop(sl_broker_t *broker)
{
    atomic_store(&broker->stopping, true);
    /* Every thread first gets the stop request, then each is joined, so
     * they wind down in parallel. */
    for (int i = 0; i < broker->nworkers; i++)
        if (broker->workers[i]->started)
            sl_broker_worker_begin_stop(broker->workers[i]);
    for (int i = 0; i < broker->nworkers; i++)
        sl_broker_worker_join(broker->workers[i]);
}
