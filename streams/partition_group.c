/*
 * partition_group.c - the order a stream thread processes a batch of polled
 * records in, as Kafka Streams' PartitionGroup picks them: records of one
 * partition keep their offset order, and among the partitions' next
 * records the one with the smallest timestamp goes first. A stream and a
 * table read together (a join) thus see the table rows older than a stream
 * record before it, whatever order the fetches brought them in. Pure: no
 * I/O, no state.
 */
#include <stdint.h>
#include <stdlib.h>

#include "app_int.h"

sl_err_t sl_pg_order(const int32_t *part, const int64_t *ts, size_t n, size_t *order)
{
    if (!n)
        return SL_OK;
    size_t *next = malloc(n * sizeof(*next));
    size_t *head = malloc(n * sizeof(*head));
    size_t *tail = malloc(n * sizeof(*tail));
    sl_err_t err = next && head && tail ? SL_OK : SL_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n && !err; i++) {
        next[i] = SIZE_MAX;
        size_t j = 0;
        while (j < k && part[head[j]] != part[i])
            j++;
        if (j == k)
            head[k++] = i;
        else
            next[tail[j]] = i;
        tail[j] = i;
    }
    for (size_t o = 0; o < n && !err; o++) {
        /* the head with the smallest timestamp; a tie goes to the one
         * polled first */
        size_t best = SIZE_MAX;
        for (size_t j = 0; j < k; j++)
            if (head[j] != SIZE_MAX &&
                (best == SIZE_MAX || ts[head[j]] < ts[head[best]] ||
                 (ts[head[j]] == ts[head[best]] && head[j] < head[best])))
                best = j;
        order[o] = head[best];
        head[best] = next[head[best]];
    }
    free(next);
    free(head);
    free(tail);
    return err;
}
