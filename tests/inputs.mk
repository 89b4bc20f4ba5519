# tests of the records a pull keeps (sg_inputs): round trip, parts,
# content-defined chunks, damaged chunks.
check_PROGRAMS += tests/check_inputs
TESTS += tests/check_inputs
tests_check_inputs_SOURCES = tests/check_inputs.c tests/sg_test.h
tests_check_inputs_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_inputs_LDADD = $(SG_TEST_LDADD)

# the bounded queue the kept records travel through (sg_queue)
check_PROGRAMS += tests/check_queue
TESTS += tests/check_queue
tests_check_queue_SOURCES = tests/check_queue.c
tests_check_queue_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_queue_LDADD = $(SG_TEST_LDADD)
