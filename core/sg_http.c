/*
 * sg_http.c - the HTTP client the host offers plugins (see sg_http.h).
 *
 * One exchange is a loop of attempts: take a pace slot, send, and let the
 * request's classify hook (or the default) say what the answer means.  A
 * RETRY waits Retry-After or a jittered backoff; a REFRESH renews the
 * credentials once; everything waits in short slices so a cancellation
 * ends it at once, and nothing waits past the exchange's deadline.
 */
#include "config.h"
#include "sg_http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "sg_host.h"
#include "sg_secrets.h"

#define HTTP_POOL_MAX 8                 /* idle handles kept */
#define HTTP_HEADERS_MAX (256u * 1024u) /* a header block */
#define HTTP_ERROR_BODY_MAX (1024u * 1024u) /* kept beside on_body */
#define HTTP_CONNECT_MS 15000L
#define HTTP_WAIT_SLICE_NS 20000000LL   /* how soon a wait sees Ctrl-C */
#define HTTP_PACE_MAX 100000u
#define HTTP_ENDPOINTS_MAX 256
#define HTTP_SNIPPET 200                /* body bytes quoted in errors */
#define NS_PER_MS 1000000LL

struct http_pace {
	char *name;             /* NULL: the default pace */
	unsigned requests;
	long long interval_ns;
	long long *sent;        /* ring of the last `requests` send times */
	unsigned next, filled;
};

/* Counts for one endpoint (method, host, path with ids folded). */
struct http_endpoint {
	char key[256];
	unsigned long long requests, retries, refreshes, failures;
	unsigned long long bytes_in, bytes_out;
	long long waited_ns;
};

struct sg_http_client {
	struct sg_http_setup setup;
	pthread_mutex_t lock;   /* pool, paces, endpoints, rng */
	CURL *pool[HTTP_POOL_MAX];
	size_t pooled;
	CURLSH *share;          /* DNS and TLS sessions across handles */
	pthread_mutex_t share_lock;
	struct http_pace *paces;
	size_t pace_count;
	struct http_endpoint *endpoints;
	size_t endpoint_count;
	uint64_t rng;
	char user_agent[64];
	char *ca_file, *ca_path;
};

/* One attempt's answer as it arrives. */
struct http_attempt {
	CURL *curl;
	const struct sg_http_request *req;
	char *body, *head;
	size_t body_len, body_cap, head_len, head_cap;
	size_t body_limit;
	int decided, streaming, overflow, stream_failed;
	size_t streamed;
	struct sg_error stream_err;
	struct sg_http_client *client;
	char curl_error[CURL_ERROR_SIZE];
};

/* Where one exchange stands. */
struct http_exchange {
	struct sg_http_request req;
	char url[1024];         /* redacted, for messages */
	long long started, deadline;
	long long backoff_ms;
	unsigned attempts, retries;
	int refreshed;
	size_t endpoint;
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void curl_global_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *curl, curl_lock_data data,
		       curl_lock_access access, void *user)
{
	(void)curl;
	(void)data;
	(void)access;
	pthread_mutex_lock(&((struct sg_http_client *)user)->share_lock);
}

static void share_unlock(CURL *curl, curl_lock_data data, void *user)
{
	(void)curl;
	(void)data;
	pthread_mutex_unlock(&((struct sg_http_client *)user)->share_lock);
}

static char *env_copy(const char *name)
{
	const char *value = getenv(name);

	return value != NULL && value[0] != '\0' ? strdup(value) : NULL;
}

int sg_http_client_new(struct sg_http_client **out,
		       const struct sg_http_setup *setup,
		       struct sg_error *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct sg_http_client *c;

	*out = NULL;
	pthread_once(&once, curl_global_once);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory "
				    "starting the HTTP client");
	c->setup = *setup;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->share_lock, NULL);
	if (getrandom(&c->rng, sizeof(c->rng), 0) != sizeof(c->rng))
		c->rng = (uint64_t)now_ns() ^ (uint64_t)(uintptr_t)c;
	snprintf(c->user_agent, sizeof(c->user_agent), "stageguard/%s",
		 PACKAGE_VERSION);
	/* libcurl's tool reads these; the library does not. */
	c->ca_file = env_copy("CURL_CA_BUNDLE");
	if (c->ca_file == NULL)
		c->ca_file = env_copy("SSL_CERT_FILE");
	c->ca_path = env_copy("SSL_CERT_DIR");
	c->share = curl_share_init();
	if (c->share != NULL) {
		curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
		curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC,
				  share_unlock);
		curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
		curl_share_setopt(c->share, CURLSHOPT_SHARE,
				  CURL_LOCK_DATA_DNS);
		curl_share_setopt(c->share, CURLSHOPT_SHARE,
				  CURL_LOCK_DATA_SSL_SESSION);
	}
	*out = c;
	return SG_OK;
}

void sg_http_client_free(struct sg_http_client *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->pooled; i++)
		curl_easy_cleanup(c->pool[i]);
	if (c->share != NULL)
		curl_share_cleanup(c->share);
	for (i = 0; i < c->pace_count; i++) {
		free(c->paces[i].name);
		free(c->paces[i].sent);
	}
	free(c->paces);
	free(c->endpoints);
	free(c->ca_file);
	free(c->ca_path);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->share_lock);
	free(c);
}

/* --- Handles: each keeps its connections alive between exchanges. --- */

static CURL *pool_take(struct sg_http_client *c)
{
	CURL *curl = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->pooled > 0)
		curl = c->pool[--c->pooled];
	pthread_mutex_unlock(&c->lock);
	return curl != NULL ? curl : curl_easy_init();
}

static void pool_give(struct sg_http_client *c, CURL *curl)
{
	pthread_mutex_lock(&c->lock);
	if (c->pooled < HTTP_POOL_MAX) {
		c->pool[c->pooled++] = curl;
		curl = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (curl != NULL)
		curl_easy_cleanup(curl);
}

/* --- Pacing: a sliding window of send times per pace. --- */

static int same_name(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static struct http_pace *pace_find(struct sg_http_client *c,
				   const char *name)
{
	size_t i;

	for (i = 0; i < c->pace_count; i++)
		if (same_name(c->paces[i].name, name))
			return &c->paces[i];
	return NULL;
}

static int pace_fill(struct http_pace *p, unsigned requests,
		     long interval_ms)
{
	long long *sent = calloc(requests, sizeof(*sent));

	if (sent == NULL)
		return SG_ERR_NOMEM;
	free(p->sent);
	p->sent = sent;
	p->requests = requests;
	p->interval_ns = interval_ms * NS_PER_MS;
	p->next = p->filled = 0;
	return SG_OK;
}

static void pace_remove(struct sg_http_client *c, struct http_pace *p)
{
	free(p->name);
	free(p->sent);
	*p = c->paces[--c->pace_count];
}

static int pace_add(struct sg_http_client *c, const char *name,
		    unsigned requests, long interval_ms)
{
	struct http_pace *grown, *p;

	grown = realloc(c->paces, (c->pace_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return SG_ERR_NOMEM;
	c->paces = grown;
	p = &c->paces[c->pace_count];
	memset(p, 0, sizeof(*p));
	if (name != NULL && (p->name = strdup(name)) == NULL)
		return SG_ERR_NOMEM;
	if (pace_fill(p, requests, interval_ms) != SG_OK) {
		free(p->name);
		return SG_ERR_NOMEM;
	}
	c->pace_count++;
	return SG_OK;
}

int sg_http_client_pace(struct sg_http_client *c, const char *name,
			unsigned requests, long interval_ms,
			struct sg_error *err)
{
	struct http_pace *p;
	int rc = SG_OK;

	if (requests > HTTP_PACE_MAX || (requests > 0 && interval_ms < 1))
		return sg_error_set(err, SG_ERR_PLUGIN, "a pace of %u "
				    "requests per %ld ms cannot be kept: "
				    "1 to %u requests per 1 ms or more",
				    requests, interval_ms, HTTP_PACE_MAX);
	pthread_mutex_lock(&c->lock);
	p = pace_find(c, name);
	if (requests == 0) {
		if (p != NULL)
			pace_remove(c, p);
	} else if (p != NULL) {
		rc = pace_fill(p, requests, interval_ms);
	} else {
		rc = pace_add(c, name, requests, interval_ms);
	}
	pthread_mutex_unlock(&c->lock);
	if (rc != SG_OK)
		return sg_error_set(err, rc, "out of memory setting a pace");
	return SG_OK;
}

/* When the pace lets the next request go (now if it may). */
static long long pace_ready_at(const struct http_pace *p, long long now)
{
	long long oldest;

	if (p == NULL || p->filled < p->requests)
		return now;
	oldest = p->sent[p->next];
	return oldest + p->interval_ns > now ? oldest + p->interval_ns : now;
}

static void pace_record(struct http_pace *p, long long now)
{
	if (p == NULL)
		return;
	p->sent[p->next] = now;
	p->next = (p->next + 1) % p->requests;
	if (p->filled < p->requests)
		p->filled++;
}

/* --- Waiting: in short slices, so cancellation ends it at once. --- */

static int is_cancelled(const struct sg_http_client *c)
{
	return c->setup.cancelled != NULL && c->setup.cancelled(c->setup.ctx);
}

static int wait_until(const struct sg_http_client *c, long long when)
{
	for (;;) {
		long long left;
		struct timespec ts;

		if (is_cancelled(c))
			return SG_ERR_CANCELLED;
		left = when - now_ns();
		if (left <= 0)
			return SG_OK;
		if (left > HTTP_WAIT_SLICE_NS)
			left = HTTP_WAIT_SLICE_NS;
		ts.tv_sec = left / 1000000000LL;
		ts.tv_nsec = left % 1000000000LL;
		nanosleep(&ts, NULL);
	}
}

static int cancelled_error(const struct http_exchange *x,
			   struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_CANCELLED, "%s %s: cancelled",
			    x->req.method, x->url);
}

/* A request that changes things may have been carried out even though
 * no answer came: the message says so, so a plugin (and a person)
 * looks before sending it again. */
static const char *maybe_done(const struct http_exchange *x)
{
	const char *m = x->req.method;

	return x->attempts > 0 && strcmp(m, "GET") != 0 &&
	       strcmp(m, "HEAD") != 0 ? "; the server may have acted on it" :
					"";
}

static int deadline_error(const struct http_exchange *x, const char *what,
			  struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_HTTP, "%s %s: %s within the "
			    "exchange's deadline of %.1f s (%u attempts)%s; "
			    "try again later or raise the plugin's timeout",
			    x->req.method, x->url, what,
			    (double)(x->deadline - x->started) / 1e9,
			    x->attempts, maybe_done(x));
}

/* Takes a slot of the default pace and of the request's own. */
static int pace_take(struct sg_http_client *c, struct http_exchange *x,
		     struct sg_error *err)
{
	for (;;) {
		long long now = now_ns(), ready;
		struct http_pace *all, *own;
		int rc;

		pthread_mutex_lock(&c->lock);
		all = pace_find(c, NULL);
		own = x->req.pace != NULL ? pace_find(c, x->req.pace) : NULL;
		ready = pace_ready_at(all, now);
		if (pace_ready_at(own, now) > ready)
			ready = pace_ready_at(own, now);
		if (ready <= now) {
			pace_record(all, now);
			pace_record(own, now);
			pthread_mutex_unlock(&c->lock);
			return SG_OK;
		}
		pthread_mutex_unlock(&c->lock);
		if (ready > x->deadline)
			return deadline_error(x, "no send slot of the pace",
					      err);
		rc = wait_until(c, ready);
		if (rc != SG_OK)
			return cancelled_error(x, err);
	}
}

/* --- Counts per endpoint. --- */

/* "GET https://api.hubapi.com/crm/v3/objects/deals/{id}": the query
 * dropped and path segments holding a digit folded. */
static void endpoint_key(const char *method, const char *url, char *key,
			 size_t size)
{
	const char *p = strstr(url, "://");
	size_t used;

	used = (size_t)snprintf(key, size, "%s ", method);
	p = p != NULL ? strchr(p + 3, '/') : NULL;
	if (used >= size)
		return;
	snprintf(key + used, size - used, "%.*s",
		 (int)(p != NULL ? (size_t)(p - url) : strcspn(url, "?#")),
		 url);
	used = strlen(key);
	while (p != NULL && *p == '/' && used + 1 < size) {
		size_t n = strcspn(p + 1, "/?#");
		/* "v3" and "v62.0" are versions, not ids. */
		int version = n >= 2 && p[1] == 'v' &&
			      strspn(p + 2, "0123456789.") == n - 1;
		int id = !version && strcspn(p + 1, "0123456789") < n;

		snprintf(key + used, size - used, "/%.*s", id ? 4 : (int)n,
			 id ? "{id}" : p + 1);
		used = strlen(key);
		p += 1 + n;
	}
}

static size_t endpoint_of(struct sg_http_client *c, const char *method,
			  const char *url)
{
	char key[256];
	size_t i;

	endpoint_key(method, url, key, sizeof(key));
	sg_secrets_redact_in_place(key, sizeof(key));
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->endpoint_count; i++)
		if (strcmp(c->endpoints[i].key, key) == 0)
			break;
	if (i == c->endpoint_count && i < HTTP_ENDPOINTS_MAX) {
		struct http_endpoint *grown = realloc(c->endpoints,
			(i + 1) * sizeof(*grown));

		if (grown != NULL) {
			c->endpoints = grown;
			memset(&grown[i], 0, sizeof(grown[i]));
			snprintf(grown[i].key, sizeof(grown[i].key), "%s",
				 key);
			c->endpoint_count++;
		}
	}
	if (i == c->endpoint_count)
		i = (size_t)-1;  /* past the limit: not counted */
	pthread_mutex_unlock(&c->lock);
	return i;
}

enum endpoint_count { COUNT_REQUEST, COUNT_RETRY, COUNT_REFRESH,
		      COUNT_FAILURE };

static void endpoint_count(struct sg_http_client *c, size_t i, int what,
			   unsigned long long in, unsigned long long out,
			   long long waited)
{
	struct http_endpoint *e;

	if (i == (size_t)-1)
		return;
	pthread_mutex_lock(&c->lock);
	e = &c->endpoints[i];
	e->requests += what == COUNT_REQUEST;
	e->retries += what == COUNT_RETRY;
	e->refreshes += what == COUNT_REFRESH;
	e->failures += what == COUNT_FAILURE;
	e->bytes_in += in;
	e->bytes_out += out;
	e->waited_ns += waited;
	pthread_mutex_unlock(&c->lock);
}

void sg_http_client_summary(struct sg_http_client *c, FILE *out)
{
	size_t i;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->endpoint_count; i++) {
		const struct http_endpoint *e = &c->endpoints[i];

		fprintf(out, "stageguard: %s: %s: %llu requests, %llu "
			"retries, %llu refreshes, %llu failed, waited %.1f s, "
			"%llu bytes in, %llu out\n", c->setup.name, e->key,
			e->requests, e->retries, e->refreshes, e->failures,
			(double)e->waited_ns / 1e9, e->bytes_in,
			e->bytes_out);
	}
	pthread_mutex_unlock(&c->lock);
}

/* --- One attempt. --- */

static int buffer_add(char **data, size_t *len, size_t *cap,
		      const char *add, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t grow = *cap ? *cap : 16384;
		char *grown;

		while (grow < *len + n + 1)
			grow *= 2;
		grown = realloc(*data, grow);
		if (grown == NULL)
			return -1;
		*data = grown;
		*cap = grow;
	}
	memcpy(*data + *len, add, n);
	*len += n;
	(*data)[*len] = '\0';
	return 0;
}

/* Decides at the first body byte whether it streams: only a 2xx body
 * goes to on_body; an error answer is kept for classify. */
static void attempt_decide(struct http_attempt *a)
{
	long status = 0;
	size_t max = a->req->max_body ? a->req->max_body : SG_HTTP_BODY_MAX;

	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
	a->streaming = a->req->on_body != NULL && status >= 200 &&
		       status < 300;
	if (a->req->on_body != NULL && !a->streaming &&
	    max > HTTP_ERROR_BODY_MAX)
		max = HTTP_ERROR_BODY_MAX;
	a->body_limit = max;
	a->decided = 1;
}

static size_t attempt_body(char *ptr, size_t size, size_t n, void *user)
{
	struct http_attempt *a = user;
	size_t len = size * n;

	if (!a->decided)
		attempt_decide(a);
	if (a->streaming) {
		if (a->streamed + len > a->body_limit) {
			a->overflow = 1;
			return 0;
		}
		if (a->req->on_body(a->req->arg, ptr, len,
				    &a->stream_err) != SG_OK) {
			a->stream_failed = 1;
			return 0;
		}
		a->streamed += len;
		return len;
	}
	if (a->body_len + len > a->body_limit) {
		a->overflow = 1;
		return 0;       /* makes curl fail the transfer */
	}
	if (buffer_add(&a->body, &a->body_len, &a->body_cap, ptr, len) != 0)
		return 0;
	return len;
}

static size_t attempt_header(char *ptr, size_t size, size_t n, void *user)
{
	struct http_attempt *a = user;
	size_t len = size * n;

	/* A new status line (after 100 Continue): its headers only. */
	if (len >= 5 && memcmp(ptr, "HTTP/", 5) == 0)
		a->head_len = 0;
	if (a->head_len + len > HTTP_HEADERS_MAX)
		return 0;
	if (buffer_add(&a->head, &a->head_len, &a->head_cap, ptr, len) != 0)
		return 0;
	return len;
}

static int attempt_progress(void *user, curl_off_t dltotal, curl_off_t dlnow,
			    curl_off_t ultotal, curl_off_t ulnow)
{
	struct http_attempt *a = user;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return is_cancelled(a->client);
}

static struct curl_slist *attempt_headers(const struct sg_http_request *req)
{
	struct curl_slist *list = NULL, *grown;
	size_t i;

	/* Big POST bodies go at once, without a 100-continue round trip. */
	list = curl_slist_append(NULL, "Expect:");
	for (i = 0; list != NULL && i < req->header_count; i++) {
		const struct sg_http_header *h = &req->headers[i];
		size_t n = strlen(h->name) + strlen(h->value) + 3;
		char *line = malloc(n);

		if (line == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		snprintf(line, n, "%s: %s", h->name, h->value);
		grown = curl_slist_append(list, line);
		free(line);
		if (grown == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = grown;
	}
	return list;
}

static void attempt_method(CURL *curl, const struct sg_http_request *req)
{
	if (strcmp(req->method, "GET") == 0 && req->body == NULL) {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
		return;
	}
	if (strcmp(req->method, "POST") != 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body != NULL || strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body ? req->body_len : 0));
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
				 req->body ? req->body : "");
	}
}

static void attempt_setup(struct sg_http_client *c, struct http_attempt *a,
			  long timeout_ms)
{
	CURL *curl = a->curl;
	const struct sg_http_request *req = a->req;
	curl_off_t max = req->max_body ? req->max_body : SG_HTTP_BODY_MAX;

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	attempt_method(curl, req);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, a->curl_error);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout_ms < HTTP_CONNECT_MS ? timeout_ms :
							HTTP_CONNECT_MS);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
			 (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(curl, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, max);
	if (c->ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
	if (c->ca_path != NULL)
		curl_easy_setopt(curl, CURLOPT_CAPATH, c->ca_path);
	if (c->share != NULL)
		curl_easy_setopt(curl, CURLOPT_SHARE, c->share);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, attempt_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, attempt_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, attempt_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, a);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
}

static void attempt_release(struct http_attempt *a)
{
	free(a->body);
	free(a->head);
	a->body = a->head = NULL;
	a->body_len = a->body_cap = a->head_len = a->head_cap = 0;
}

/*
 * Parses a raw header block into name/value pairs.  One allocation holds
 * the array and the text, so freeing the array frees both.
 */
static int parse_fields(const char *head, struct sg_http_header **out,
			size_t *count)
{
	size_t len = head ? strlen(head) : 0, n = 0, lines = 1, i;
	struct sg_http_header *fields;
	char *text, *line, *next;

	for (i = 0; i < len; i++)
		lines += head[i] == '\n';
	fields = malloc(lines * sizeof(*fields) + len + 1);
	if (fields == NULL)
		return -1;
	text = (char *)(fields + lines);
	memcpy(text, head ? head : "", len + 1);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		char *colon, *end, *value;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		end = line + strlen(line);
		while (end > line && (end[-1] == '\r' || end[-1] == ' '))
			*--end = '\0';
		colon = strchr(line, ':');
		if (colon == NULL)
			continue;       /* the status line, the blank end */
		*colon = '\0';
		for (value = colon + 1; *value == ' ' || *value == '\t';)
			value++;
		fields[n].name = line;
		fields[n].value = value;
		n++;
	}
	*out = fields;
	*count = n;
	return 0;
}

const char *sg_http_header(const struct sg_http_response *resp,
			   const char *name)
{
	size_t i;

	if (resp == NULL || name == NULL)
		return NULL;
	for (i = 0; i < resp->field_count; i++)
		if (strcasecmp(resp->fields[i].name, name) == 0)
			return resp->fields[i].value;
	return NULL;
}

/* Moves the attempt's answer into resp (the caller's on ACCEPT, a
 * scratch one for classify). */
static int attempt_answer(struct http_attempt *a,
			  const struct http_exchange *x,
			  struct sg_http_response *resp)
{
	struct sg_http_header *fields;

	memset(resp, 0, sizeof(*resp));
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (parse_fields(a->head, &fields, &resp->field_count) != 0)
		return SG_ERR_NOMEM;
	if (a->body == NULL && buffer_add(&a->body, &a->body_len,
					  &a->body_cap, "", 0) != 0) {
		free(fields);
		return SG_ERR_NOMEM;
	}
	if (a->head == NULL && buffer_add(&a->head, &a->head_len,
					  &a->head_cap, "", 0) != 0) {
		free(fields);
		return SG_ERR_NOMEM;
	}
	resp->fields = fields;
	resp->body = a->body;
	resp->body_len = a->body_len;
	resp->headers = a->head;
	resp->attempts = x->attempts;
	a->body = a->head = NULL;
	a->body_len = a->body_cap = a->head_len = a->head_cap = 0;
	return SG_OK;
}

void sg_http_response_free(struct sg_http_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	free(resp->headers);
	free((void *)resp->fields);
	memset(resp, 0, sizeof(*resp));
}

/* --- Verdicts and waits. --- */

static int default_verdict(const struct sg_http_response *resp)
{
	if (resp->status == 408 || resp->status == 429 || resp->status >= 500)
		return SG_HTTP_RETRY;
	return SG_HTTP_ACCEPT;
}

static int curl_retryable(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

long sg_http_retry_after_ms(const char *value, long long now)
{
	char *end;
	long long seconds;
	time_t when;

	if (value == NULL)
		return -1;
	while (*value == ' ')
		value++;
	if (*value >= '0' && *value <= '9') {
		seconds = strtoll(value, &end, 10);
		while (*end == ' ')
			end++;
		if (*end != '\0' || seconds > 86400LL * 366)
			return -1;
		return (long)(seconds * 1000);
	}
	when = curl_getdate(value, NULL);
	if (when == (time_t)-1)
		return -1;
	return when <= now ? 0 : (long)((when - now) * 1000LL);
}

/* How long to wait before the next attempt: Retry-After when the answer
 * gives one, else a full-jitter exponential backoff. */
static long long retry_wait_ns(struct sg_http_client *c,
			       struct http_exchange *x,
			       const struct sg_http_response *resp)
{
	long after = -1;
	long long cap, wait;
	uint64_t r;

	if (resp != NULL)
		after = sg_http_retry_after_ms(sg_http_header(resp,
							      "Retry-After"),
					       (long long)time(NULL));
	if (after >= 0)
		return (long long)after * NS_PER_MS;
	cap = x->backoff_ms << (x->retries < 16 ? x->retries : 16);
	if (cap > SG_HTTP_BACKOFF_CAP_MS || cap <= 0)
		cap = SG_HTTP_BACKOFF_CAP_MS;
	pthread_mutex_lock(&c->lock);
	/* splitmix64 */
	r = (c->rng += 0x9e3779b97f4a7c15ULL);
	pthread_mutex_unlock(&c->lock);
	r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ULL;
	r = (r ^ (r >> 27)) * 0x94d049bb133111ebULL;
	r ^= r >> 31;
	wait = (long long)(r % (uint64_t)(cap + 1));
	return wait * NS_PER_MS;
}

/* What an answer says, for a message: the classify hook's words, else the
 * start of the body (an HTML page is named, not quoted). */
static void answer_reason(const struct sg_http_response *resp,
			  const char *why, char *out, size_t size)
{
	char quoted[HTTP_SNIPPET * 4 + 8];
	size_t len;

	if (why != NULL && why[0] != '\0') {
		snprintf(out, size, "%s", why);
	} else if (resp == NULL || resp->body_len == 0) {
		snprintf(out, size, "no body");
	} else if (resp->body[0] == '<') {
		snprintf(out, size, "an HTML page of %zu bytes (a proxy or "
			 "gateway answered, not the API)", resp->body_len);
	} else {
		len = resp->body_len;
		snprintf(out, size, "%s",
			 sg_quote(resp->body, len, HTTP_SNIPPET, quoted,
				  sizeof(quoted)));
	}
	sg_secrets_redact_in_place(out, size);
}

static int status_error(const struct http_exchange *x,
			const struct sg_http_response *resp, const char *why,
			const char *how, struct sg_error *err)
{
	char reason[512];

	answer_reason(resp, why, reason, sizeof(reason));
	sg_error_set(err, SG_ERR_HTTP, "%s %s: HTTP %ld%s: %s", x->req.method,
		     x->url, resp->status, how, reason);
	if (err != NULL)
		err->http_status = (int)resp->status;
	return SG_ERR_HTTP;
}

static void trace(struct sg_http_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void trace(struct sg_http_client *c, const char *fmt, ...)
{
	va_list ap;

	if (c->setup.verbose < SG_LOG_DEBUG)
		return;
	va_start(ap, fmt);
	sg_host_vlog(c->setup.name, c->setup.verbose, SG_LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/*
 * Waits before attempt x->attempts + 1; SG_OK to send again, or the
 * error that ends the exchange (no retries left, past the deadline,
 * cancelled).  what names the failure for messages.
 */
static int retry_or_fail(struct sg_http_client *c, struct http_exchange *x,
			 const struct sg_http_response *resp,
			 const char *what, int failure, struct sg_error *err)
{
	long long wait, until;
	int rc;

	if ((int)x->retries >= x->req.max_retries)
		return failure;
	wait = retry_wait_ns(c, x, resp);
	until = now_ns() + wait;
	if (until > x->deadline)
		return sg_error_set(err, SG_ERR_HTTP, "%s %s: %s; the next "
				    "attempt would be %.1f s away, past the "
				    "exchange's deadline (%u attempts)",
				    x->req.method, x->url, what,
				    (double)wait / 1e9, x->attempts);
	trace(c, "%s %s: %s; attempt %u in %.2f s", x->req.method, x->url,
	      what, x->attempts + 1, (double)wait / 1e9);
	x->retries++;
	endpoint_count(c, x->endpoint, COUNT_RETRY, 0, 0, wait);
	rc = wait_until(c, until);
	if (rc != SG_OK)
		return cancelled_error(x, err);
	sg_error_clear(err);
	return SG_OK;
}

/* A transfer that did not complete. */
static int transfer_failed(struct sg_http_client *c, struct http_exchange *x,
			   struct http_attempt *a, CURLcode code,
			   struct sg_error *err)
{
	char reason[CURL_ERROR_SIZE + 64];
	int failure;

	if (code == CURLE_ABORTED_BY_CALLBACK || is_cancelled(c))
		return cancelled_error(x, err);
	if (a->stream_failed) {
		if (err != NULL)
			*err = a->stream_err;
		return a->stream_err.code != SG_OK ? a->stream_err.code :
						     SG_ERR_PLUGIN;
	}
	if (a->overflow || code == CURLE_FILESIZE_EXCEEDED)
		return sg_error_set(err, SG_ERR_HTTP, "%s %s: the answer is "
				    "larger than %zu bytes; not retried",
				    x->req.method, x->url,
				    a->req->max_body ? a->req->max_body :
						       SG_HTTP_BODY_MAX);
	snprintf(reason, sizeof(reason), "%s",
		 a->curl_error[0] ? a->curl_error : curl_easy_strerror(code));
	sg_secrets_redact_in_place(reason, sizeof(reason));
	if (code == CURLE_OPERATION_TIMEDOUT &&
	    now_ns() >= x->deadline - HTTP_WAIT_SLICE_NS)
		return deadline_error(x, "no answer", err);
	failure = sg_error_set(err, SG_ERR_HTTP, "%s %s: %s (%u attempts)",
			       x->req.method, x->url, reason, x->attempts);
	if (a->streamed > 0)
		return sg_error_set(err, SG_ERR_HTTP, "%s %s: %s after %zu "
				    "bytes of the answer were read; not "
				    "retried", x->req.method, x->url, reason,
				    a->streamed);
	if (!curl_retryable(code))
		return failure;
	if (now_ns() >= x->deadline)
		return deadline_error(x, "no answer", err);
	return retry_or_fail(c, x, NULL, reason, failure, err);
}

/* Runs the classify hook; an unknown verdict is final. */
static int classify(const struct http_exchange *x,
		    const struct sg_http_response *resp, char *why,
		    size_t size)
{
	int verdict;

	why[0] = '\0';
	if (x->req.classify == NULL)
		return default_verdict(resp);
	verdict = x->req.classify(x->req.arg, resp, why, size);
	if (verdict < SG_HTTP_ACCEPT || verdict > SG_HTTP_FINAL) {
		snprintf(why, size, "the plugin's classify hook gave an "
			 "unknown verdict %d", verdict);
		return SG_HTTP_FINAL;
	}
	return verdict;
}

/* A completed answer: 1 to send again, 0 accepted (resp filled), or an
 * error. */
static int answered(struct sg_http_client *c, struct http_exchange *x,
		    struct http_attempt *a, struct sg_http_response *resp,
		    struct sg_error *err)
{
	char why[256], what[320];
	int verdict, rc;

	rc = attempt_answer(a, x, resp);
	if (rc != SG_OK)
		return sg_error_set(err, rc, "%s %s: out of memory reading "
				    "the answer", x->req.method, x->url);
	verdict = classify(x, resp, why, sizeof(why));
	if (verdict == SG_HTTP_ACCEPT)
		return 0;
	if (verdict == SG_HTTP_REFRESH && x->req.refresh != NULL &&
	    !x->refreshed) {
		x->refreshed = 1;
		endpoint_count(c, x->endpoint, COUNT_REFRESH, 0, 0, 0);
		trace(c, "%s %s: HTTP %ld; renewing the credentials",
		      x->req.method, x->url, resp->status);
		sg_http_response_free(resp);
		rc = x->req.refresh(x->req.arg, err);
		if (rc != SG_OK) {
			sg_secrets_redact_error(err);
			return sg_error_prefix(err, "%s %s: renewing the "
					       "credentials: ", x->req.method,
					       x->url);
		}
		return 1;
	}
	if (verdict == SG_HTTP_REFRESH) {
		rc = status_error(x, resp, why, x->refreshed ?
				  " again after renewing the credentials" :
				  " and the plugin cannot renew them", err);
	} else if (verdict == SG_HTTP_FINAL) {
		rc = status_error(x, resp, why, "", err);
	} else {
		char how[48];

		snprintf(how, sizeof(how), " after %u attempts", x->attempts);
		snprintf(what, sizeof(what), "HTTP %ld", resp->status);
		rc = status_error(x, resp, why, how, err);
		rc = retry_or_fail(c, x, resp, what, rc, err);
		if (rc == SG_OK)
			rc = 1;
	}
	sg_http_response_free(resp);
	return rc;
}

static int exchange_start(struct http_exchange *x,
			  const struct sg_http_request *req,
			  struct sg_error *err)
{
	size_t n;

	memset(x, 0, sizeof(*x));
	if (req == NULL || req->size == 0)
		return sg_error_set(err, SG_ERR_PLUGIN, "an HTTP request "
				    "without its size: set req.size = "
				    "sizeof(struct sg_http_request)");
	n = req->size < sizeof(x->req) ? req->size : sizeof(x->req);
	memcpy(&x->req, req, n);
	if (x->req.method == NULL || x->req.url == NULL)
		return sg_error_set(err, SG_ERR_PLUGIN, "an HTTP request "
				    "without a method or URL");
	sg_secrets_redact(x->req.url, x->url, sizeof(x->url));
	x->started = now_ns();
	x->deadline = x->started + (x->req.timeout_ms > 0 ?
				    x->req.timeout_ms :
				    SG_HTTP_DEADLINE_MS) * NS_PER_MS;
	x->backoff_ms = x->req.backoff_ms > 0 ? x->req.backoff_ms : 1000;
	return SG_OK;
}

/* One send: 1 to send again, 0 accepted, or an error. */
static int attempt_once(struct sg_http_client *c, struct http_exchange *x,
			CURL *curl, struct sg_http_response *resp,
			struct sg_error *err)
{
	struct http_attempt a;
	struct curl_slist *headers;
	long long left, sent;
	curl_off_t in = 0;
	CURLcode code;
	long status = 0;
	int rc;

	rc = pace_take(c, x, err);
	if (rc != SG_OK)
		return rc;
	left = (x->deadline - now_ns()) / NS_PER_MS;
	if (left <= 0)
		return deadline_error(x, "no answer", err);
	memset(&a, 0, sizeof(a));
	a.curl = curl;
	a.req = &x->req;
	a.client = c;
	headers = attempt_headers(&x->req);
	if (headers == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "%s %s: out of memory",
				    x->req.method, x->url);
	attempt_setup(c, &a, (long)left);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	x->attempts++;
	sent = now_ns();
	code = curl_easy_perform(curl);
	curl_slist_free_all(headers);
	curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &in);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	endpoint_count(c, x->endpoint, COUNT_REQUEST, (unsigned long long)in,
		       x->req.body ? x->req.body_len : 0, 0);
	trace(c, "%s %s -> %s%ld in %lld ms, %lld bytes (attempt %u)",
	      x->req.method, x->url, code == CURLE_OK ? "" : "failed, ",
	      code == CURLE_OK ? status : (long)code,
	      (now_ns() - sent) / NS_PER_MS, (long long)in, x->attempts);
	if (code != CURLE_OK)
		rc = transfer_failed(c, x, &a, code, err);
	else
		rc = answered(c, x, &a, resp, err);
	if (rc == SG_OK && code != CURLE_OK)
		rc = 1;         /* waited: send again */
	attempt_release(&a);
	return rc;
}

int sg_http_perform(struct sg_http_client *c,
		    const struct sg_http_request *req,
		    struct sg_http_response *resp, struct sg_error *err)
{
	struct http_exchange x;
	CURL *curl;
	int rc;

	memset(resp, 0, sizeof(*resp));
	rc = exchange_start(&x, req, err);
	if (rc != SG_OK)
		return rc;
	curl = pool_take(c);
	if (curl == NULL)
		return sg_error_set(err, SG_ERR_HTTP, "%s %s: cannot start "
				    "libcurl", x.req.method, x.url);
	x.endpoint = endpoint_of(c, x.req.method, x.req.url);
	do {
		rc = attempt_once(c, &x, curl, resp, err);
	} while (rc == 1);
	pool_give(c, curl);
	if (rc != SG_OK) {
		endpoint_count(c, x.endpoint, COUNT_FAILURE, 0, 0, 0);
		sg_http_response_free(resp);
		sg_secrets_redact_error(err);
	}
	return rc;
}
