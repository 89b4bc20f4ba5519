# tests of the HTTP client (core/sg_http.c) against the loopback test
# server tests/http_server.py, and of the secrets registry and redaction.
check_PROGRAMS += tests/check_http tests/check_secrets
TESTS += tests/check_http tests/check_secrets
tests_check_http_SOURCES = tests/check_http.c tests/sg_test_http.h \
	tests/sg_test.h
tests_check_http_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_http_LDADD = $(SG_TEST_LDADD) $(JANSSON_LIBS) -lpthread
tests_check_secrets_SOURCES = tests/check_secrets.c tests/sg_test.h
tests_check_secrets_CFLAGS = $(SG_TEST_CFLAGS)
tests_check_secrets_LDADD = $(SG_TEST_LDADD)
EXTRA_DIST += tests/http_server.py
