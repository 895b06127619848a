/*
 * example.h - what every streams example program shares: its command line
 * (-b HOST:PORT, -X key=value, --partitions N, --describe, --help and the
 * example's own numeric options), creating the topics it reads and writes
 * when they are missing, and running its topology as an application
 * instance (sl_app_t) until SIGINT or SIGTERM, then closing it cleanly.
 *
 * An example is a topology function plus an ex_def_t describing it; its
 * main() is `return ex_main(&def, argc, argv);`.
 */
#ifndef SL_EXAMPLE_H
#define SL_EXAMPLE_H

#include <stdint.h>

#include "streams.h"

/* An example's own numeric option "--name N": *value is set (it holds the
 * default, shown by --help), checked against [min, max]. */
typedef struct ex_opt {
    const char *name;      /* without the leading "--" */
    const char *help;
    int64_t *value;
    int64_t min;
    int64_t max;
} ex_opt_t;

typedef struct ex_def {
    const char *prog;             /* "sluice-example-wordcount" */
    const char *summary;          /* what it reads, computes and writes */
    const char *app_id;           /* the default application.id */
    void (*topology)(sl_builder_t *b);
    const char *const *topics;    /* NULL-terminated: created when missing */
    const ex_opt_t *opts;         /* ended by a NULL name; NULL: none */
} ex_def_t;

/* Parses the command line, then builds the topology and either prints
 * its description (--describe) or creates the missing topics and runs it
 * until SIGINT/SIGTERM. Returns the process exit status: 0 after a clean
 * shutdown, 1 on a failure (said on stderr), 2 on a bad command line. */
int ex_main(const ex_def_t *def, int argc, char **argv);

/* v (a string or bytes) as the content of a JSON string: quotes and
 * backslashes escaped, control characters as \u00XX; in the record's
 * memory. NULL for another type or when out of memory. */
const char *ex_json_text(sl_ctx_t *ctx, const sl_val_t *v);

#endif
