/*
 * loader.c - connector plugins loaded from connect.plugin.path: dlopen with
 * RTLD_LOCAL, one entry symbol, the ABI version checked before anything
 * else in the descriptor is read, init() run once. A refused plugin is
 * unloaded and its reason kept; the others load all the same.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "connect_int.h"

typedef struct plugin_slot {
    void *dl;                         /* dlopen handle */
    char *file;
    const sl_connect_plugin_t *desc;
} plugin_slot_t;

struct sl_connect_plugins {
    plugin_slot_t *slots;
    size_t count, cap;
    char **errors;
    size_t error_count, error_cap;
};

static sl_err_t add_error(sl_connect_plugins_t *ps, const char *file, const char *why)
{
    SL_WARN("connect", "plugin %s refused: %s", file, why);
    char **n = sl_connect_array_grow(ps->errors, ps->error_count, &ps->error_cap, sizeof(*n), 4);
    if (!n)
        return SL_ERR_NOMEM;
    ps->errors = n;
    size_t len = strlen(file) + strlen(why) + 3;
    char *e = malloc(len);
    if (!e)
        return SL_ERR_NOMEM;
    snprintf(e, len, "%s: %s", file, why);
    ps->errors[ps->error_count++] = e;
    return SL_OK;
}

/* The reason desc cannot be used, or NULL when it can. */
static const char *desc_problem(const sl_connect_plugin_t *d, char *buf, size_t len)
{
    if (d->abi_version != SL_CONNECT_ABI_VERSION) {
        snprintf(buf, len, "plugin ABI version %u, this worker speaks version %u",
                 (unsigned)d->abi_version, (unsigned)SL_CONNECT_ABI_VERSION);
        return buf;
    }
    if (!d->class_name || !*d->class_name)
        return "the descriptor has no class_name";
    if (d->kind == SL_CONNECT_SOURCE) {
        if (!d->source || !d->source->start || !d->source->poll || !d->source->stop)
            return "a source without source task start, poll and stop";
    } else if (d->kind == SL_CONNECT_SINK) {
        if (!d->sink || !d->sink->start || !d->sink->put || !d->sink->flush || !d->sink->stop)
            return "a sink without sink task start, put, flush and stop";
    } else {
        return "kind is neither SL_CONNECT_SOURCE nor SL_CONNECT_SINK";
    }
    if (d->config_def_count && !d->config_defs)
        return "config_def_count without config_defs";
    for (size_t i = 0; i < d->config_def_count; i++)
        if (!d->config_defs[i].name || d->config_defs[i].type < SL_CFG_STRING ||
            d->config_defs[i].type > SL_CFG_PASSWORD)
            return "a config definition without a name or with an unknown type";
    return NULL;
}

/* Loads one file; a refusal is recorded, only out-of-memory fails. */
static sl_err_t load_file(sl_connect_plugins_t *ps, const char *file)
{
    char why[512];
    void *dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *e = dlerror();
        snprintf(why, sizeof(why), "cannot load: %s", e ? e : "dlopen failed");
        return add_error(ps, file, why);
    }
    dlerror();
    void *sym = dlsym(dl, SL_CONNECT_ENTRY_SYMBOL);
    if (!sym) {
        snprintf(why, sizeof(why), "no entry symbol %s: not a Sluice Connect plugin",
                 SL_CONNECT_ENTRY_SYMBOL);
        dlclose(dl);
        return add_error(ps, file, why);
    }
    sl_connect_entry_fn *entry;
    memcpy(&entry, &sym, sizeof(entry)); /* object pointer to function pointer */
    const sl_connect_plugin_t *d = entry(sl_connect_host());
    const char *problem = d ? desc_problem(d, why, sizeof(why))
                            : SL_CONNECT_ENTRY_SYMBOL " returned no descriptor";
    if (!problem)
        for (size_t i = 0; i < ps->count; i++)
            if (strcmp(ps->slots[i].desc->class_name, d->class_name) == 0) {
                snprintf(why, sizeof(why), "class %s is loaded already from %s",
                         d->class_name, ps->slots[i].file);
                problem = why;
                break;
            }
    if (problem) {
        if (problem != why)
            snprintf(why, sizeof(why), "%s", problem);
        dlclose(dl);
        return add_error(ps, file, why);
    }
    if (d->init) {
        char ebuf[256] = "";
        int rc = d->init(ebuf, sizeof(ebuf));
        if (rc) {
            snprintf(why, sizeof(why), "init of %s failed (%s): %s", d->class_name,
                     sl_err_name(rc), *ebuf ? ebuf : "no reason given");
            dlclose(dl);
            return add_error(ps, file, why);
        }
    }
    plugin_slot_t *slots = sl_connect_array_grow(ps->slots, ps->count, &ps->cap, sizeof(*slots), 8);
    if (!slots)
        goto nomem;
    ps->slots = slots;
    char *fcopy = strdup(file);
    if (!fcopy)
        goto nomem;
    ps->slots[ps->count++] = (plugin_slot_t){dl, fcopy, d};
    SL_INFO("connect", "loaded plugin %s (%s, version %s) from %s", d->class_name,
            d->kind == SL_CONNECT_SOURCE ? "source" : "sink", d->version ? d->version : "-", file);
    return SL_OK;
nomem:
    if (d->fini)
        d->fini();
    dlclose(dl);
    return SL_ERR_NOMEM;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Loads the *.so of dir in name order (so loading is repeatable). */
static sl_err_t load_dir(sl_connect_plugins_t *ps, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return SL_ERR_NOENT;
    char **names = NULL;
    size_t n = 0, cap = 0;
    sl_err_t err = SL_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!ends_with(de->d_name, ".so"))
            continue;
        char **nn = sl_connect_array_grow(names, n, &cap, sizeof(*nn), 16);
        if (!nn) {
            err = SL_ERR_NOMEM;
            break;
        }
        names = nn;
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        if (!(names[n] = malloc(len))) {
            err = SL_ERR_NOMEM;
            break;
        }
        snprintf(names[n++], len, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n; i++) {
        if (!err)
            err = load_file(ps, names[i]);
        free(names[i]);
    }
    free(names);
    return err;
}

sl_err_t sl_connect_plugins_load(const char *path, sl_connect_plugins_t **out, char *errbuf,
                                 size_t errlen)
{
    *out = NULL;
    sl_connect_plugins_t *ps = calloc(1, sizeof(*ps));
    char *copy = strdup(path ? path : "");
    if (!ps || !copy) {
        free(ps);
        free(copy);
        return SL_ERR_NOMEM;
    }
    sl_err_t err = SL_OK;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",:", &save); item && !err; item = strtok_r(NULL, ",:", &save)) {
        while (*item == ' ')
            item++;
        struct stat st;
        if (stat(item, &st) != 0) {
            if (errbuf)
                snprintf(errbuf, errlen, "connect.plugin.path: %s does not exist", item);
            err = SL_ERR_NOENT;
        } else if (S_ISDIR(st.st_mode)) {
            err = load_dir(ps, item);
            if (err == SL_ERR_NOENT && errbuf)
                snprintf(errbuf, errlen, "connect.plugin.path: cannot read directory %s", item);
        } else {
            err = load_file(ps, item);
        }
    }
    free(copy);
    if (err) {
        sl_connect_plugins_free(ps);
        return err;
    }
    *out = ps;
    return SL_OK;
}

void sl_connect_plugins_free(sl_connect_plugins_t *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->count; i++) {
        if (ps->slots[i].desc->fini)
            ps->slots[i].desc->fini();
        dlclose(ps->slots[i].dl);
        free(ps->slots[i].file);
    }
    for (size_t i = 0; i < ps->error_count; i++)
        free(ps->errors[i]);
    free(ps->errors);
    free(ps->slots);
    free(ps);
}

size_t sl_connect_plugins_count(const sl_connect_plugins_t *ps)
{
    return ps->count;
}

const sl_connect_plugin_t *sl_connect_plugins_at(const sl_connect_plugins_t *ps, size_t i,
                                                 const char **file)
{
    if (i >= ps->count)
        return NULL;
    if (file)
        *file = ps->slots[i].file;
    return ps->slots[i].desc;
}

/* Whether want names cls: cls, clsConnector, or either after a '.'. */
static bool class_matches(const char *cls, const char *want)
{
    const char *dot = strrchr(want, '.');
    const char *base = dot ? dot + 1 : want;
    size_t n = strlen(cls);
    if (strncmp(base, cls, n) != 0)
        return false;
    return base[n] == '\0' || strcmp(base + n, "Connector") == 0;
}

const sl_connect_plugin_t *sl_connect_plugins_find(const sl_connect_plugins_t *ps,
                                                   const char *class_name)
{
    if (!class_name)
        return NULL;
    for (size_t i = 0; i < ps->count; i++)
        if (class_matches(ps->slots[i].desc->class_name, class_name))
            return ps->slots[i].desc;
    return NULL;
}

size_t sl_connect_plugins_error_count(const sl_connect_plugins_t *ps)
{
    return ps->error_count;
}

const char *sl_connect_plugins_error_at(const sl_connect_plugins_t *ps, size_t i)
{
    return i < ps->error_count ? ps->errors[i] : NULL;
}
