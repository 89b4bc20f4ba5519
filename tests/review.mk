# tests of review: the review queue, measurement events, stage_corrected
check_PROGRAMS += tests/check_review
TESTS += tests/check_review tests/cli/review.sh tests/cli/events.sh
tests_check_review_SOURCES = tests/check_review.c
tests_check_review_CFLAGS = $(SG_TEST_CFLAGS) $(SQLITE_CFLAGS)
tests_check_review_LDADD = $(SG_TEST_LDADD) $(SQLITE_LIBS) $(JANSSON_LIBS)
