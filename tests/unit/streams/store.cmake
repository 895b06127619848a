# The store part's tests: the byte-level stores and the task's LMDB
# environment (store_int.h), the record cache, checkpoints, the typed calls
# of streams.h.
foreach(t kv window session cache checkpoint api)
  sl_unit_test(store_${t}_test SOURCES store_${t}_test.c store_fixture.c LIBS sluice-streams)
endforeach()
