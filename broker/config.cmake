# libsluice-broker-config: server.properties, topic configs, DescribeConfigs
# entries and persisted topic metadata (broker/config.h). Included by
# broker/CMakeLists.txt; links sluice-base only.
add_library(sluice-broker-config STATIC
  ${CMAKE_CURRENT_LIST_DIR}/config_meta.c
  ${CMAKE_CURRENT_LIST_DIR}/config_server.c
  ${CMAKE_CURRENT_LIST_DIR}/config_topic.c
  ${CMAKE_CURRENT_LIST_DIR}/config_value.c)
target_include_directories(sluice-broker-config PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(sluice-broker-config PUBLIC sluice-base)
