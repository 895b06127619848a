# FindSnappy: the snappy compression library, which Debian ships without a
# pkg-config file. Defines Snappy_FOUND, Snappy_INCLUDE_DIR, Snappy_LIBRARY
# and the imported target Snappy::snappy.
find_path(Snappy_INCLUDE_DIR NAMES snappy-c.h)
find_library(Snappy_LIBRARY NAMES snappy)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Snappy REQUIRED_VARS Snappy_LIBRARY Snappy_INCLUDE_DIR)

if(Snappy_FOUND AND NOT TARGET Snappy::snappy)
  add_library(Snappy::snappy UNKNOWN IMPORTED GLOBAL)
  set_target_properties(Snappy::snappy PROPERTIES
    IMPORTED_LOCATION "${Snappy_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Snappy_INCLUDE_DIR}")
endif()
mark_as_advanced(Snappy_INCLUDE_DIR Snappy_LIBRARY)
