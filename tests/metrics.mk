# tests of the metrics sink: the plugin's code is linked in and driven
# through its descriptor with a fake host (no loader involved).
check_PROGRAMS += tests/check_metrics
TESTS += tests/check_metrics
tests_check_metrics_SOURCES = tests/check_metrics.c plugins/metrics/metrics.c
tests_check_metrics_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_metrics_LDADD = $(SG_TEST_LDADD) $(JANSSON_LIBS)
