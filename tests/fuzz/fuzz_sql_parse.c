/*
 * fuzz_sql_parse.c - libFuzzer target: any bytes as SQL text for
 * sl_sql_parse, as the REST service and the CLI hand it user input. Must
 * never crash, overflow the stack or read out of bounds; a failure must
 * come with a message. Memory is bounded by the arena's limit.
 */
#include <stdint.h>
#include <stdlib.h>

#include "ast_int.h"
#include "sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 64u << 20);
    sl_sql_list_t *stmts = NULL;
    sl_sql_error_t err;
    sl_err_t rc = sl_sql_parse(&arena, (const char *)data, size, &stmts, &err);
    if (rc == SL_OK && !stmts)
        abort();
    if (rc != SL_OK && rc != SL_ERR_NOMEM && err.message[0] == '\0')
        abort();
    sl_sql_statement_end((const char *)data, size);
    sl_arena_fini(&arena);
    return 0;
}
