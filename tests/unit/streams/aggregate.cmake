# The aggregate part's tests: the window arithmetic alone, then tables,
# aggregations, windows and suppression through the test driver.
sl_unit_test(window_math_test SOURCES window_math_test.c LIBS sluice-streams)
foreach(t aggregate table windowed suppress)
  sl_unit_test(${t}_test SOURCES ${t}_test.c agg_util.c LIBS sluice-streams)
endforeach()
