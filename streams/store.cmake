# The store part of libsluice-streams: the task's LMDB environment, the
# key-value, window and session stores, the record cache, the typed store
# calls of streams.h, checkpoints.
list(APPEND SL_STREAMS_SRCS
     ${CMAKE_CURRENT_LIST_DIR}/state.c
     ${CMAKE_CURRENT_LIST_DIR}/store.c
     ${CMAKE_CURRENT_LIST_DIR}/cache.c
     ${CMAKE_CURRENT_LIST_DIR}/store_kv.c
     ${CMAKE_CURRENT_LIST_DIR}/store_window.c
     ${CMAKE_CURRENT_LIST_DIR}/store_session.c
     ${CMAKE_CURRENT_LIST_DIR}/store_api.c
     ${CMAKE_CURRENT_LIST_DIR}/checkpoint.c)
