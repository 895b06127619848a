# The aggregate part's tests: the window arithmetic alone, then tables,
# aggregations, windows and suppression through the test driver; user
# objects (SL_V_PTR) read from stores by merges, windows and joins.
sl_unit_test(window_math_test SOURCES window_math_test.c LIBS sluice-streams)
foreach(t aggregate table windowed suppress ptr_values)
  sl_unit_test(${t}_test SOURCES ${t}_test.c agg_util.c LIBS sluice-streams)
endforeach()
