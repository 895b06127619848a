/* time.c - monotonic and wall clocks (clock_gettime). */
#include <time.h>

#include "base.h"

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    /* Cannot fail for these clocks on Linux; a zero struct is the fallback. */
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sl_time_mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
int64_t sl_time_mono_us(void) { return clock_ns(CLOCK_MONOTONIC) / 1000; }
int64_t sl_time_mono_ms(void) { return clock_ns(CLOCK_MONOTONIC) / 1000000; }
int64_t sl_time_wall_ms(void) { return clock_ns(CLOCK_REALTIME) / 1000000; }
