/*
 * check_http.c - the HTTP client (core/sg_http.c) against the loopback
 * test server (tests/http_server.py): headers, kept-alive connections,
 * gzip, retries and their waits, the classify and refresh hooks,
 * deadlines, cancellation, pacing, bounded and streamed bodies,
 * redaction, and the per-endpoint counts.
 */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_http.h"
#include "sg_secrets.h"
#include "sg_test_http.h"

static struct sg_test_server server;
static struct sg_http_client *client;
static volatile int cancel_now;

static int test_cancelled(void *ctx)
{
	(void)ctx;
	return cancel_now;
}

static void setup(void)
{
	struct sg_http_setup hs;
	struct sg_error err;

	sg_test_server_start(&server);
	memset(&hs, 0, sizeof(hs));
	hs.name = "test";
	hs.cancelled = test_cancelled;
	cancel_now = 0;
	ck_assert_int_eq(sg_http_client_new(&client, &hs, &err), SG_OK);
}

static void teardown(void)
{
	sg_http_client_free(client);
	sg_test_server_stop(&server);
	sg_secrets_clear();
}

/* A GET of base + path_query with small waits and a short deadline. */
static void request_for(struct sg_http_request *req, char *url, size_t size,
			const char *path_query)
{
	snprintf(url, size, "%s%s", server.base, path_query);
	memset(req, 0, sizeof(*req));
	req->size = sizeof(*req);
	req->method = "GET";
	req->url = url;
	req->max_retries = 3;
	req->timeout_ms = 20000;
	req->backoff_ms = 10;
}

static int get(const char *path_query, struct sg_http_response *resp,
	       struct sg_error *err)
{
	struct sg_http_request req;
	char url[512];

	request_for(&req, url, sizeof(url), path_query);
	return sg_http_perform(client, &req, resp, err);
}

/* The body as JSON (the test fails when it is not). */
static json_t *body_json(const struct sg_http_response *resp)
{
	json_error_t jerr;
	json_t *doc = json_loadb(resp->body, resp->body_len, 0, &jerr);

	ck_assert_msg(doc != NULL, "not JSON: %s", resp->body);
	return doc;
}

/* How many requests the server had for path with key. */
static long server_count(const char *path, const char *key)
{
	struct sg_http_response resp;
	struct sg_error err;
	char pq[256];
	json_t *doc;
	long n;

	snprintf(pq, sizeof(pq), "/count?path=%s&key=%s", path, key);
	ck_assert_int_eq(get(pq, &resp, &err), SG_OK);
	doc = body_json(&resp);
	n = (long)json_integer_value(json_object_get(doc, "count"));
	json_decref(doc);
	sg_http_response_free(&resp);
	return n;
}

START_TEST(test_get_sends_the_usual_headers)
{
	struct sg_http_header extra[] = { { "X-Probe", "42" } };
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char url[512];
	json_t *doc, *headers;
	const char *ua, *enc;

	request_for(&req, url, sizeof(url), "/echo");
	req.headers = extra;
	req.header_count = 1;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err), SG_OK);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_uint_eq(resp.attempts, 1);
	ck_assert_str_eq(sg_http_header(&resp, "content-type"),
			 "application/json");
	ck_assert_ptr_null(sg_http_header(&resp, "X-Nothing"));
	doc = body_json(&resp);
	headers = json_object_get(doc, "headers");
	ua = json_string_value(json_object_get(headers, "User-Agent"));
	enc = json_string_value(json_object_get(headers, "Accept-Encoding"));
	ck_assert_ptr_nonnull(ua);
	ck_assert_int_eq(strncmp(ua, "stageguard/", 11), 0);
	ck_assert_ptr_nonnull(enc);
	ck_assert_ptr_nonnull(strstr(enc, "gzip"));
	ck_assert_str_eq(json_string_value(json_object_get(headers,
							    "X-Probe")),
			 "42");
	json_decref(doc);
	sg_http_response_free(&resp);
}
END_TEST

START_TEST(test_connection_is_kept_alive)
{
	struct sg_http_response a, b;
	struct sg_error err;
	json_t *da, *db;

	ck_assert_int_eq(get("/echo", &a, &err), SG_OK);
	ck_assert_int_eq(get("/echo", &b, &err), SG_OK);
	da = body_json(&a);
	db = body_json(&b);
	/* The same client port: the second request used the same TCP
	 * connection. */
	ck_assert_int_eq(json_integer_value(json_object_get(da, "port")),
			 json_integer_value(json_object_get(db, "port")));
	json_decref(da);
	json_decref(db);
	sg_http_response_free(&a);
	sg_http_response_free(&b);
}
END_TEST

START_TEST(test_gzip_body_is_decoded)
{
	struct sg_http_response resp;
	struct sg_error err;
	json_t *doc;

	ck_assert_int_eq(get("/gzip?bytes=100000", &resp, &err), SG_OK);
	ck_assert_str_eq(sg_http_header(&resp, "Content-Encoding"), "gzip");
	doc = body_json(&resp);
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(doc,
								   "fill"))),
			  100000);
	json_decref(doc);
	sg_http_response_free(&resp);
}
END_TEST

START_TEST(test_retry_after_seconds_and_date)
{
	struct sg_http_response resp;
	struct sg_error err;

	ck_assert_int_eq(get("/flaky?key=s&fail=1&status=429&retry_after=1",
			     &resp, &err), SG_OK);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_uint_eq(resp.attempts, 2);
	sg_http_response_free(&resp);
	ck_assert_int_eq(get("/flaky?key=d&fail=1&status=503&"
			     "retry_after=date%2B1", &resp, &err), SG_OK);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_uint_eq(resp.attempts, 2);
	sg_http_response_free(&resp);
}
END_TEST

START_TEST(test_retry_after_values)
{
	/* 2026-12-06T10:00:00Z */
	long long now = 1796551200LL;

	ck_assert_int_eq(sg_http_retry_after_ms("120", now), 120000);
	ck_assert_int_eq(sg_http_retry_after_ms(" 0", now), 0);
	ck_assert_int_eq(sg_http_retry_after_ms("Sun, 06 Dec 2026 10:00:30 "
						"GMT", now), 30000);
	ck_assert_int_eq(sg_http_retry_after_ms("Sun, 06 Dec 2026 09:00:00 "
						"GMT", now), 0);
	ck_assert_int_eq(sg_http_retry_after_ms("soon", now), -1);
	ck_assert_int_eq(sg_http_retry_after_ms("12abc", now), -1);
	ck_assert_int_eq(sg_http_retry_after_ms(NULL, now), -1);
}
END_TEST

START_TEST(test_retries_run_out)
{
	struct sg_http_response resp;
	struct sg_error err;

	ck_assert_int_eq(get("/flaky?key=x&fail=9&status=503", &resp, &err),
			 SG_ERR_HTTP);
	ck_assert_int_eq(err.http_status, 503);
	ck_assert_ptr_nonnull(strstr(err.message, "HTTP 503 after 4 "
				     "attempts"));
	ck_assert_ptr_nonnull(strstr(err.message, "try again later"));
	ck_assert_ptr_null(resp.body);
	ck_assert_int_eq(server_count("/flaky", "x"), 4);
}
END_TEST

START_TEST(test_html_error_page_is_named)
{
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char url[512];

	request_for(&req, url, sizeof(url), "/html503?key=h&fail=9");
	req.max_retries = 0;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_HTTP);
	ck_assert_ptr_nonnull(strstr(err.message, "an HTML page"));
	ck_assert_ptr_null(strstr(err.message, "<html>"));
}
END_TEST

START_TEST(test_dropped_connection_is_retried)
{
	struct sg_http_response resp;
	struct sg_error err;

	ck_assert_int_eq(get("/drop?key=c&fail=2", &resp, &err), SG_OK);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_uint_eq(resp.attempts, 3);
	sg_http_response_free(&resp);
}
END_TEST

/* Salesforce: a 403 REQUEST_LIMIT_EXCEEDED for concurrency is worth a
 * retry, the daily cap is not; HubSpot's DAILY 429 is final. */
static int limit_verdict(void *arg, const struct sg_http_response *resp,
			 char *why, size_t size)
{
	(void)arg;
	if (resp->status == 403 &&
	    strstr(resp->body, "ConcurrentPerOrgLongTxn") != NULL)
		return SG_HTTP_RETRY;
	if (resp->status == 403 || (resp->status == 429 &&
				    strstr(resp->body, "DAILY") != NULL)) {
		snprintf(why, size, "the daily API limit is reached: try "
			 "tomorrow");
		return SG_HTTP_FINAL;
	}
	return resp->status >= 500 ? SG_HTTP_RETRY : SG_HTTP_ACCEPT;
}

START_TEST(test_classify_hook_decides)
{
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char url[512];

	request_for(&req, url, sizeof(url),
		    "/limit?key=k1&fail=2&kind=concurrent");
	req.classify = limit_verdict;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err), SG_OK);
	ck_assert_uint_eq(resp.attempts, 3);
	sg_http_response_free(&resp);

	request_for(&req, url, sizeof(url), "/limit?key=k2&fail=2&kind=daily");
	req.classify = limit_verdict;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_HTTP);
	ck_assert_int_eq(err.http_status, 403);
	ck_assert_ptr_nonnull(strstr(err.message, "daily API limit"));
	ck_assert_int_eq(server_count("/limit", "k2"), 1);

	request_for(&req, url, sizeof(url), "/daily?key=k3");
	req.classify = limit_verdict;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_HTTP);
	ck_assert_int_eq(err.http_status, 429);
	ck_assert_int_eq(server_count("/daily", "k3"), 1);
}
END_TEST

/* A plugin's credentials: the token and the header pointing at it. */
struct credentials {
	char bearer[128];
	struct sg_http_header header;
	int refreshes;
};

static int fetch_token(struct credentials *c, struct sg_error *err)
{
	struct sg_http_request req;
	struct sg_http_response resp;
	char url[512];
	json_t *doc;
	int rc;

	request_for(&req, url, sizeof(url), "/token");
	req.method = "POST";
	req.body = "grant_type=refresh_token";
	req.body_len = strlen(req.body);
	rc = sg_http_perform(client, &req, &resp, err);
	if (rc != SG_OK)
		return rc;
	doc = body_json(&resp);
	snprintf(c->bearer, sizeof(c->bearer), "Bearer %s",
		 json_string_value(json_object_get(doc, "access_token")));
	json_decref(doc);
	sg_http_response_free(&resp);
	c->header.name = "Authorization";
	c->header.value = c->bearer;
	return SG_OK;
}

static int session_verdict(void *arg, const struct sg_http_response *resp,
			   char *why, size_t size)
{
	(void)arg;
	(void)why;
	(void)size;
	return resp->status == 401 ? SG_HTTP_REFRESH : SG_HTTP_ACCEPT;
}

static int refresh_token(void *arg, struct sg_error *err)
{
	struct credentials *c = arg;

	c->refreshes++;
	return fetch_token(c, err);
}

static void protected_request(struct sg_http_request *req, char *url,
			      size_t size, struct credentials *c)
{
	request_for(req, url, size, "/protected");
	req->headers = &c->header;
	req->header_count = 1;
	req->classify = session_verdict;
	req->refresh = refresh_token;
	req->arg = c;
}

START_TEST(test_expired_session_is_refreshed_once)
{
	struct credentials c = { .refreshes = 0 };
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char url[512];

	ck_assert_int_eq(fetch_token(&c, &err), SG_OK);
	ck_assert_int_eq(get("/expire", &resp, &err), SG_OK);
	sg_http_response_free(&resp);
	protected_request(&req, url, sizeof(url), &c);
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err), SG_OK);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_uint_eq(resp.attempts, 2);
	ck_assert_int_eq(c.refreshes, 1);
	sg_http_response_free(&resp);
}
END_TEST

static int refresh_to_nothing(void *arg, struct sg_error *err)
{
	struct credentials *c = arg;

	(void)err;
	c->refreshes++;
	snprintf(c->bearer, sizeof(c->bearer), "Bearer still-wrong");
	return SG_OK;
}

START_TEST(test_refused_twice_is_final)
{
	struct credentials c = { .refreshes = 0 };
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char url[512];

	snprintf(c.bearer, sizeof(c.bearer), "Bearer wrong");
	c.header.name = "Authorization";
	c.header.value = c.bearer;
	protected_request(&req, url, sizeof(url), &c);
	req.refresh = refresh_to_nothing;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_HTTP);
	ck_assert_int_eq(err.http_status, 401);
	ck_assert_int_eq(c.refreshes, 1);
	ck_assert_ptr_nonnull(strstr(err.message, "again after renewing"));
	ck_assert_ptr_nonnull(strstr(err.message, "INVALID_SESSION_ID"));
}
END_TEST

START_TEST(test_deadline_covers_the_exchange)
{
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char url[512];

	request_for(&req, url, sizeof(url), "/slow?ms=3000");
	req.timeout_ms = 300;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_HTTP);
	ck_assert_ptr_nonnull(strstr(err.message, "deadline"));

	/* A wait the server asks for that ends past the deadline is not
	 * started. */
	request_for(&req, url, sizeof(url),
		    "/flaky?key=p&fail=1&status=429&retry_after=600");
	req.timeout_ms = 5000;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_HTTP);
	ck_assert_ptr_nonnull(strstr(err.message, "past the exchange's "
				     "deadline"));
	ck_assert_int_eq(err.http_status, 429);
}
END_TEST

static void *cancel_soon(void *arg)
{
	struct timespec ts = { 0, 200000000L };

	(void)arg;
	nanosleep(&ts, NULL);
	cancel_now = 1;
	return NULL;
}

/* The server asks for an hour's wait: only a cancellation that ends the
 * wait at once lets this test finish inside Check's timeout. */
START_TEST(test_cancellation_ends_a_wait)
{
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char url[512];
	pthread_t thread;

	request_for(&req, url, sizeof(url),
		    "/flaky?key=w&fail=1&status=503&retry_after=3600");
	req.timeout_ms = 7200000;
	ck_assert_int_eq(pthread_create(&thread, NULL, cancel_soon, NULL), 0);
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_CANCELLED);
	pthread_join(thread, NULL);

	/* And one in the middle of a transfer. */
	cancel_now = 0;
	request_for(&req, url, sizeof(url), "/slow?ms=3600000");
	req.timeout_ms = 7200000;
	ck_assert_int_eq(pthread_create(&thread, NULL, cancel_soon, NULL), 0);
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_CANCELLED);
	pthread_join(thread, NULL);
}
END_TEST

struct paced_worker {
	int requests;
	int failures;
};

static void *paced_requests(void *arg)
{
	struct paced_worker *w = arg;
	struct sg_http_response resp;
	struct sg_error err;
	int i;

	for (i = 0; i < w->requests; i++) {
		if (get("/paced?key=pace", &resp, &err) != SG_OK)
			w->failures++;
		sg_http_response_free(&resp);
	}
	return NULL;
}

/* 3 requests in any 400 ms, two threads sharing the pace: the server
 * never sees 4 arrivals closer than the window (less a margin for the
 * way from client to server). */
START_TEST(test_pace_is_shared_by_threads)
{
	struct paced_worker a = { 4, 0 }, b = { 4, 0 };
	struct sg_http_response resp;
	struct sg_error err;
	pthread_t thread;
	json_t *doc, *hits;
	size_t i;

	ck_assert_int_eq(sg_http_client_pace(client, NULL, 3, 400, &err),
			 SG_OK);
	ck_assert_int_eq(pthread_create(&thread, NULL, paced_requests, &a),
			 0);
	paced_requests(&b);
	pthread_join(thread, NULL);
	ck_assert_int_eq(a.failures + b.failures, 0);
	ck_assert_int_eq(sg_http_client_pace(client, NULL, 0, 0, &err),
			 SG_OK);
	ck_assert_int_eq(get("/hits?key=pace", &resp, &err), SG_OK);
	doc = body_json(&resp);
	hits = json_object_get(doc, "hits");
	ck_assert_uint_eq(json_array_size(hits), 8);
	for (i = 3; i < json_array_size(hits); i++) {
		double gap = json_real_value(json_array_get(hits, i)) -
			     json_real_value(json_array_get(hits, i - 3));

		ck_assert_msg(gap >= 0.35, "4 requests within %.3f s", gap);
	}
	json_decref(doc);
	sg_http_response_free(&resp);
}
END_TEST

START_TEST(test_named_pace_and_refusals)
{
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char url[512];

	ck_assert_int_eq(sg_http_client_pace(client, "search", 0, 1000, &err),
			 SG_OK);
	ck_assert_int_eq(sg_http_client_pace(client, "search", 5, 0, &err),
			 SG_ERR_PLUGIN);
	ck_assert_int_eq(sg_http_client_pace(client, NULL, 200000, 10, &err),
			 SG_ERR_PLUGIN);
	ck_assert_int_eq(sg_http_client_pace(client, "search", 2, 100000,
					     &err), SG_OK);
	/* Two go at once; the third would wait 100 s, past its deadline. */
	request_for(&req, url, sizeof(url), "/echo");
	req.pace = "search";
	req.timeout_ms = 2000;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err), SG_OK);
	sg_http_response_free(&resp);
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err), SG_OK);
	sg_http_response_free(&resp);
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_HTTP);
	ck_assert_ptr_nonnull(strstr(err.message, "pace"));
	/* Requests not naming it are not held. */
	ck_assert_int_eq(get("/echo", &resp, &err), SG_OK);
	sg_http_response_free(&resp);
}
END_TEST

START_TEST(test_oversized_body_is_final)
{
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char url[512];

	request_for(&req, url, sizeof(url), "/big?key=b&bytes=5000");
	req.max_body = 1000;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_HTTP);
	ck_assert_ptr_nonnull(strstr(err.message, "larger than 1000 bytes"));
	ck_assert_int_eq(server_count("/big", "b"), 1);
	request_for(&req, url, sizeof(url), "/big?key=b&bytes=1000");
	req.max_body = 1000;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err), SG_OK);
	ck_assert_uint_eq(resp.body_len, 1000);
	sg_http_response_free(&resp);
}
END_TEST

struct lines {
	size_t bytes, lines, stop_after;
};

static int count_lines(void *arg, const char *data, size_t len,
		       struct sg_error *err)
{
	struct lines *l = arg;
	size_t i;

	for (i = 0; i < len; i++)
		l->lines += data[i] == '\n';
	l->bytes += len;
	if (l->stop_after > 0 && l->bytes >= l->stop_after)
		return sg_error_set(err, SG_ERR_PARSE, "line %zu is not CSV",
				    l->lines);
	return SG_OK;
}

START_TEST(test_body_streams_to_a_callback)
{
	struct lines l = { 0, 0, 0 };
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char url[512];

	request_for(&req, url, sizeof(url), "/stream?lines=20000");
	req.on_body = count_lines;
	req.arg = &l;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err), SG_OK);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_uint_eq(resp.body_len, 0);
	ck_assert_uint_eq(l.lines, 20000);
	sg_http_response_free(&resp);

	/* The callback's error ends the exchange, code and words kept. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 1;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "is not CSV"));

	/* An error answer is kept for the caller, not streamed. */
	memset(&l, 0, sizeof(l));
	request_for(&req, url, sizeof(url), "/nothing-here");
	req.on_body = count_lines;
	req.arg = &l;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err), SG_OK);
	ck_assert_int_eq(resp.status, 404);
	ck_assert_uint_eq(l.bytes, 0);
	ck_assert_ptr_nonnull(strstr(resp.body, "OBJECT_NOT_FOUND"));
	sg_http_response_free(&resp);
}
END_TEST

START_TEST(test_secrets_never_in_messages)
{
	static const char token[] = "tok-Secret/Value+42";
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char url[512];

	ck_assert_int_eq(sg_secrets_add(token, &err), SG_OK);
	/* The token in a query string, percent-encoded, to a closed port. */
	snprintf(url, sizeof(url), "http://127.0.0.1:1/x?access_token="
		 "tok-Secret%%2FValue%%2B42");
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.method = "GET";
	req.url = url;
	req.timeout_ms = 2000;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_HTTP);
	ck_assert_ptr_null(strstr(err.message, "Secret"));
	ck_assert_ptr_nonnull(strstr(err.message, "access_token=<redacted>"));

	/* An error body that quotes a secret. */
	ck_assert_int_eq(sg_secrets_add("try again later", &err), SG_OK);
	request_for(&req, url, sizeof(url), "/flaky?key=r&fail=9");
	req.max_retries = 0;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_HTTP);
	ck_assert_ptr_null(strstr(err.message, "try again later"));
	ck_assert_ptr_nonnull(strstr(err.message, "<redacted>"));
}
END_TEST

START_TEST(test_malformed_requests_are_refused)
{
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char url[512];

	request_for(&req, url, sizeof(url), "/echo");
	req.size = 0;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "sizeof"));
	request_for(&req, url, sizeof(url), "/echo");
	req.url = NULL;
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_PLUGIN);
	/* A plugin built when the request ended at timeout_ms: the newer
	 * fields read as zero. */
	request_for(&req, url, sizeof(url), "/echo");
	req.size = offsetof(struct sg_http_request, backoff_ms);
	req.on_body = count_lines;      /* past size: ignored */
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err), SG_OK);
	ck_assert_uint_gt(resp.body_len, 0);
	sg_http_response_free(&resp);
	/* Not http or https. */
	request_for(&req, url, sizeof(url), "");
	req.url = "file:///etc/passwd";
	ck_assert_int_eq(sg_http_perform(client, &req, &resp, &err),
			 SG_ERR_HTTP);
}
END_TEST

START_TEST(test_summary_per_endpoint)
{
	struct sg_http_response resp;
	struct sg_error err;
	char line[512], *text = NULL;
	size_t size = 0;
	FILE *out;

	ck_assert_int_eq(get("/echo", &resp, &err), SG_OK);
	sg_http_response_free(&resp);
	ck_assert_int_eq(get("/flaky?key=m&fail=1&status=503", &resp, &err),
			 SG_OK);
	sg_http_response_free(&resp);
	out = open_memstream(&text, &size);
	ck_assert_ptr_nonnull(out);
	sg_http_client_summary(client, out);
	fclose(out);
	snprintf(line, sizeof(line), "stageguard: test: GET %s/echo: 1 "
		 "requests, 0 retries", server.base);
	ck_assert_msg(strstr(text, line) != NULL, "%s", text);
	snprintf(line, sizeof(line), "GET %s/flaky: 2 requests, 1 retries",
		 server.base);
	ck_assert_msg(strstr(text, line) != NULL, "%s", text);
	free(text);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("client");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_get_sends_the_usual_headers);
	tcase_add_test(tc, test_connection_is_kept_alive);
	tcase_add_test(tc, test_gzip_body_is_decoded);
	tcase_add_test(tc, test_retry_after_seconds_and_date);
	tcase_add_test(tc, test_retry_after_values);
	tcase_add_test(tc, test_retries_run_out);
	tcase_add_test(tc, test_html_error_page_is_named);
	tcase_add_test(tc, test_dropped_connection_is_retried);
	tcase_add_test(tc, test_classify_hook_decides);
	tcase_add_test(tc, test_expired_session_is_refreshed_once);
	tcase_add_test(tc, test_refused_twice_is_final);
	tcase_add_test(tc, test_deadline_covers_the_exchange);
	tcase_add_test(tc, test_cancellation_ends_a_wait);
	tcase_add_test(tc, test_pace_is_shared_by_threads);
	tcase_add_test(tc, test_named_pace_and_refusals);
	tcase_add_test(tc, test_oversized_body_is_final);
	tcase_add_test(tc, test_body_streams_to_a_callback);
	tcase_add_test(tc, test_secrets_never_in_messages);
	tcase_add_test(tc, test_malformed_requests_are_refused);
	tcase_add_test(tc, test_summary_per_endpoint);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sg_test_run(http_suite());
}
