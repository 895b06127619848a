/*
 * core_util.h - helpers for the streams core's tests: build a topology
 * from a DSL function, run it in the test driver, pipe and expect string
 * records. Every helper asserts (cmocka) instead of returning errors.
 */
#ifndef SL_CORE_UTIL_H
#define SL_CORE_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "streams.h"

/* Builds fn's topology (asserts success). */
sl_topology_t *cu_build(void (*fn)(sl_builder_t *));
/* The build error of fn's topology (asserts failure), message in msg. */
sl_err_t cu_build_error(void (*fn)(sl_builder_t *), char *msg, size_t len);
/* A driver on t with props (NULL: defaults), wall clock at 0. */
sl_driver_t *cu_driver(const sl_topology_t *t, const char *props);
/* Pipes a string key (NULL: null) and value (NULL: null) with timestamp. */
sl_err_t cu_pipe(sl_driver_t *d, const char *topic, const char *key, const char *value, int64_t ts);
/* Reads the next record of topic as strings and checks key and value
 * (NULL: null expected) and, when ts >= 0, the timestamp. */
void cu_expect(sl_driver_t *d, const char *topic, const char *key, const char *value, int64_t ts);
/* Asserts that topic has nothing left to read. */
void cu_expect_empty(sl_driver_t *d, const char *topic);

#endif /* SL_CORE_UTIL_H */
