# DatagenSource (datagen.c): generated records, Confluent datagen's keys. The
# Nexmark quickstarts compile the benchmark's generator (bench/nexmark/gen.c)
# into the plugin.
sl_connect_plugin(datagen ${SL_CONNECT_PLUGIN_DIR} connectors/datagen.c
                  connectors/datagen_quickstarts.c connectors/datagen_nexmark.c
                  ${PROJECT_SOURCE_DIR}/bench/nexmark/gen.c)
target_include_directories(datagen PRIVATE ${PROJECT_SOURCE_DIR}/bench/nexmark)
target_link_libraries(datagen PRIVATE m)
