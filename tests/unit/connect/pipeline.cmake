# The record pipeline (connect/pipeline*.c, xform*.c): converters, each
# transform and predicate, error tolerance; no broker needed.
sl_unit_test(connect_pipeline_test SOURCES pipeline_test.c LIBS sluice-connect)
sl_unit_test(connect_xform_test SOURCES xform_test.c LIBS sluice-connect)
