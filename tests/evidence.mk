# tests of core/sg_evidence.c: the csv plugin (build tree) and the test
# plugin testsrc (a secret option) are loaded through the registry.
check_PROGRAMS += tests/check_evidence
TESTS += tests/check_evidence
tests_check_evidence_SOURCES = tests/check_evidence.c
tests_check_evidence_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_evidence_LDADD = $(SG_TEST_LDADD) $(JANSSON_LIBS)

# tests of core/sg_packed.c: files written as gzip members for a bundle.
check_PROGRAMS += tests/check_packed
TESTS += tests/check_packed
tests_check_packed_SOURCES = tests/check_packed.c
tests_check_packed_CFLAGS = $(SG_TEST_CFLAGS) $(ZLIB_CFLAGS)
tests_check_packed_LDADD = $(SG_TEST_LDADD) $(ZLIB_LIBS)
