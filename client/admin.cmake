# The admin part of libsluice-client: sl_admin_* of client.h (admin_int.h
# says how the calls run on the core's I/O thread).
list(APPEND SL_CLIENT_SRCS
  ${CMAKE_CURRENT_LIST_DIR}/admin.c
  ${CMAKE_CURRENT_LIST_DIR}/admin_topics.c
  ${CMAKE_CURRENT_LIST_DIR}/admin_configs.c
  ${CMAKE_CURRENT_LIST_DIR}/admin_offsets.c
  ${CMAKE_CURRENT_LIST_DIR}/admin_groups.c)
