# tests of gate: one proposed move judged from JSON (Check program and
# the CLI script with the fixture moves of tests/fixtures/gate/)
check_PROGRAMS += tests/check_gate
TESTS += tests/check_gate tests/cli/gate.sh
tests_check_gate_SOURCES = tests/check_gate.c
tests_check_gate_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_gate_LDADD = $(SG_TEST_LDADD)
