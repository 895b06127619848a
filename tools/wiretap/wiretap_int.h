/*
 * wiretap_int.h - private to sluice-wiretap: the in-memory topics it answers
 * from and the JSON dump of decoded messages.
 */
#ifndef SL_WIRETAP_INT_H
#define SL_WIRETAP_INT_H

#include <stdio.h>

#include "base.h"
#include "proto.h"

/* Prints m (a decoded struct of msg, at version) as one JSON object, record
 * batches opened record by record. */
void wiretap_dump(FILE *out, const sl_msg_desc_t *msg, const void *m, int16_t version);

#endif
