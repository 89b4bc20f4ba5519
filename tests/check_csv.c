/*
 * check_csv.c - the csv source plugin (plugins/csv/csv.c, csv_mapping.c),
 * linked into this program and driven through its descriptor with a fake
 * host that renders every emitted record as one line of text.
 *
 * Run one suite or case with CK_RUN_SUITE=csv CK_RUN_CASE=mapping.
 * Tests on the real exports under $SG_SHARED_DATA skip with a message when
 * the folder is absent.
 */
#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sg_plugin.h"
#include "sg_missing.h"
#include "sg_time.h"

#ifndef SG_SOURCE_DIR
#define SG_SOURCE_DIR "."
#endif

const struct sg_plugin *sg_plugin_entry(void);

/* ---- the fake host ---- */

struct sink {
	char *text;
	size_t len, cap;
	size_t opps, events, changes, activities, evidence, owners, snapshots;
	size_t emits;
	size_t fail_at;          /* fail the n-th emit (1-based); 0: never */
	int cancel;
	const char *config_dir;
	size_t progress_calls;
	size_t block_max;        /* most emits seen in one pull */
	size_t block_emits;
	int quiet;               /* count only, render nothing */
};

static void sink_add(struct sink *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sink_add(struct sink *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->quiet)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(s->text + s->len, s->cap - s->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			ck_abort_msg("vsnprintf failed");
		if (s->len + (size_t)n < s->cap)
			break;
		s->cap = (s->len + (size_t)n + 1) * 2;
		s->text = realloc(s->text, s->cap);
		if (s->text == NULL)
			ck_abort_msg("out of memory");
	}
	s->len += (size_t)n;
}

static const char *tm(sg_time t, char *buf)
{
	if (t == SG_TIME_NONE)
		return "-";
	return sg_time_format_iso(t, buf);
}

static const char *base(const struct sg_where *w)
{
	const char *slash;

	/* Plain checks: Check marks every passing assertion, which is slow
	 * once per record. */
	if (w == NULL || w->path == NULL || w->line < 1)
		ck_abort_msg("an emit without a position");
	slash = strrchr(w->path, '/');
	return slash != NULL ? slash + 1 : w->path;
}

static int emitted(struct sink *s, struct sg_error *err)
{
	s->emits++;
	s->block_emits++;
	if (s->fail_at != 0 && s->emits == s->fail_at)
		return sg_error_set(err, SG_ERR_SOURCE, "fake host refused");
	return SG_OK;
}

static const char *party_name(int p)
{
	static const char *const names[] = {
		"none", "buyer", "seller", "system", "unknown"
	};

	if (p < 0 || p > 4)
		ck_abort_msg("party %d", p);
	return names[p];
}

static const char *type_name(int t)
{
	static const char *const names[] = {
		"other", "email", "call", "meeting", "note", "task", "document"
	};

	if (t < 0 || t > 6)
		ck_abort_msg("activity type %d", t);
	return names[t];
}

static int fake_opportunity(void *ctx, const struct sg_rec_opportunity *r,
			    const struct sg_where *w, struct sg_error *err)
{
	struct sink *s = ctx;
	char b1[32], b2[32], b3[32];
	size_t i;

	s->opps++;
	sink_add(s, "opp %s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|", r->id,
		 r->name, r->pipeline, r->stage, r->owner_id, r->amount,
		 r->currency, tm(r->close_date, b1), r->forecast_category,
		 tm(r->created_at, b2), r->next_step,
		 tm(r->next_step_date, b3));
	for (i = 0; i < r->extra_count; i++)
		sink_add(s, "%s%s=%s", i > 0 ? ";" : "", r->extra[i].name,
			 r->extra[i].value);
	sink_add(s, " @%s:%ld\n", base(w), w->line);
	return emitted(s, err);
}

static int fake_stage_event(void *ctx, const struct sg_rec_stage_event *r,
			    const struct sg_where *w, struct sg_error *err)
{
	struct sink *s = ctx;
	char b[32];

	s->events++;
	sink_add(s, "ev %s|%s|%s|%s|%s|%s @%s:%ld\n", r->opportunity_id,
		 r->from_stage, r->to_stage, tm(r->changed_at, b),
		 r->changed_by, r->source, base(w), w->line);
	return emitted(s, err);
}

static int fake_field_change(void *ctx, const struct sg_rec_field_change *r,
			     const struct sg_where *w, struct sg_error *err)
{
	struct sink *s = ctx;
	char b[32];

	s->changes++;
	sink_add(s, "fc %s|%s|%s|%s|%s @%s:%ld\n", r->opportunity_id,
		 r->field, r->old_value, r->new_value, tm(r->changed_at, b),
		 base(w), w->line);
	return emitted(s, err);
}

static int fake_activity(void *ctx, const struct sg_rec_activity *r,
			 const struct sg_where *w, struct sg_error *err)
{
	struct sink *s = ctx;
	char b[32];

	s->activities++;
	sink_add(s, "act %s|%s|%s|%s|%s|%s|%s @%s:%ld\n", r->id,
		 r->opportunity_id, type_name(r->type), party_name(r->party),
		 tm(r->occurred_at, b), r->actor, r->subject, base(w),
		 w->line);
	return emitted(s, err);
}

static int fake_evidence(void *ctx, const struct sg_rec_evidence *r,
			 const struct sg_where *w, struct sg_error *err)
{
	struct sink *s = ctx;
	char b[32];

	s->evidence++;
	sink_add(s, "evi %s|%s|%s|%s|%s|%s @%s:%ld\n", r->opportunity_id,
		 r->criterion, r->value, party_name(r->party),
		 tm(r->observed_at, b), r->ref, base(w), w->line);
	return emitted(s, err);
}

static int fake_owner(void *ctx, const struct sg_rec_owner *r,
		      const struct sg_where *w, struct sg_error *err)
{
	struct sink *s = ctx;

	s->owners++;
	sink_add(s, "own %s|%s|%s|%s|%s @%s:%ld\n", r->id, r->name, r->email,
		 r->manager_id, r->team, base(w), w->line);
	return emitted(s, err);
}

static int fake_snapshot(void *ctx, const struct sg_rec_snapshot *r,
			 struct sg_error *err)
{
	struct sink *s = ctx;
	char b[32];

	s->snapshots++;
	sink_add(s, "snap %s %s\n", tm(r->extracted_at, b), r->source);
	return emitted(s, err);
}

static void fake_log(void *ctx, int level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

static void fake_progress(void *ctx, const char *what,
			  unsigned long long done, unsigned long long total)
{
	struct sink *s = ctx;

	if (what == NULL || done > total)
		ck_abort_msg("progress %llu of %llu", done, total);
	s->progress_calls++;
}

static int fake_cancelled(void *ctx)
{
	return ((struct sink *)ctx)->cancel;
}

static const char *fake_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static int fake_is_missing(void *ctx, const char *value, int is_amount)
{
	static const char *const words[] = {"tbd", "n/a", "none", "unknown"};
	struct sg_placeholders ph = {words, 4};

	(void)ctx;
	return sg_value_is_missing(value, value != NULL ? strlen(value) : 0,
				   &ph, is_amount);
}

static const char *fake_config_dir(void *ctx)
{
	return ((struct sink *)ctx)->config_dir;
}

static struct sg_host fake_host(struct sink *s)
{
	struct sg_host h;

	memset(&h, 0, sizeof(h));
	h.version = SG_HOST_VERSION;
	h.size = sizeof(h);
	h.ctx = s;
	h.emit_opportunity = fake_opportunity;
	h.emit_stage_event = fake_stage_event;
	h.emit_field_change = fake_field_change;
	h.emit_activity = fake_activity;
	h.emit_evidence = fake_evidence;
	h.emit_owner = fake_owner;
	h.emit_snapshot = fake_snapshot;
	h.log = fake_log;
	h.progress = fake_progress;
	h.cancelled = fake_cancelled;
	h.getenv = fake_getenv;
	h.is_missing = fake_is_missing;
	h.config_dir = fake_config_dir;
	return h;
}

/* ---- driving the plugin ---- */

static void set_option(void *cfg, const struct sg_plugin *p,
		       const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < p->option_count; i++) {
		if (strcmp(p->options[i].name, name) != 0)
			continue;
		*(const char **)(void *)((char *)cfg + p->options[i].offset) =
			value;
		return;
	}
	ck_abort_msg("no option %s", name);
}

/*
 * Opens the plugin with options dir and mapping (either may be NULL) and
 * arg, and pulls until done: pull(), then each stream in turn, as the
 * host does on one thread.  Returns the first failing status or SG_OK;
 * *pulls counts pull() and pull_stream() calls.
 */
static int load_ex(struct sink *s, const char *dir, const char *mapping,
		   const char *arg, struct sg_error *err, size_t *pulls)
{
	const struct sg_plugin *p = sg_plugin_entry();
	struct sg_host h = fake_host(s);
	void *cfg, *state = NULL;
	size_t n = 0;
	unsigned stream, streams;
	int rc;

	sg_error_clear(err);
	cfg = calloc(1, p->config_size);
	ck_assert_ptr_nonnull(cfg);
	set_option(cfg, p, "dir", dir);
	set_option(cfg, p, "mapping", mapping);
	rc = p->open(&state, cfg, arg, &h, err);
	if (rc != SG_OK) {
		ck_assert_ptr_null(state);
		free(cfg);
		return rc;
	}
	for (stream = 0, streams = 0; stream <= streams; stream++) {
		for (;;) {
			s->block_emits = 0;
			rc = stream == 0 ? p->pull(state, err) :
				p->pull_stream(state, stream - 1, err);
			n++;
			if (s->block_emits > s->block_max)
				s->block_max = s->block_emits;
			if (rc <= 0)
				break;
			if (rc != 1 || n > 1000000)
				ck_abort_msg("pull %zu returned %d", n, rc);
		}
		if (rc < 0)
			break;
		if (stream == 0)
			streams = p->stream_count(state);
	}
	p->close(state);
	free(cfg);
	if (pulls != NULL)
		*pulls = n;
	return rc < 0 ? rc : SG_OK;
}

static int load(struct sink *s, const char *dir, const char *mapping,
		struct sg_error *err)
{
	return load_ex(s, dir, mapping, NULL, err, NULL);
}

static void sink_free(struct sink *s)
{
	free(s->text);
	memset(s, 0, sizeof(*s));
}

static const char *fixture(const char *name)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/tests/fixtures/csv/%s",
		 SG_SOURCE_DIR, name);
	return path;
}

/* The mapping of a config file (sources.csv.mapping), compact JSON. */
static char *mapping_of(const char *config)
{
	char path[1024];
	json_error_t jerr;
	json_t *root, *m;
	char *text;

	snprintf(path, sizeof(path), "%s/configs/%s", SG_SOURCE_DIR, config);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		ck_abort_msg("%s:%d: %s", path, jerr.line, jerr.text);
	m = json_object_get(json_object_get(json_object_get(root, "sources"),
					    "csv"), "mapping");
	ck_assert_ptr_nonnull(m);
	text = json_dumps(m, JSON_COMPACT);
	ck_assert_ptr_nonnull(text);
	json_decref(root);
	return text;
}

/* A fresh temporary folder (static buffer). */
static const char *tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/check_csv.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), fp), strlen(text));
	fclose(fp);
}

/* A folder with minimal valid required files. */
static const char *minimal(void)
{
	const char *dir = tmpdir();

	put(dir, "opportunities.csv", "id,stage\nO1,discovery\n");
	put(dir, "stage_history.csv",
	    "opportunity_id,to_stage,changed_at\n"
	    "O1,discovery,2026-10-01T00:00:00Z\n");
	return dir;
}

/* Formats err as FILE:LINE:COL: message with FILE's folder dropped. */
static const char *where_msg(const struct sg_error *err)
{
	static char buf[1024];
	const char *slash = strrchr(err->path, '/');

	snprintf(buf, sizeof(buf), "%s:%ld:%d: %s",
		 slash != NULL ? slash + 1 : err->path, err->line,
		 err->column, err->message);
	return buf;
}

#define ASSERT_HAS(hay, needle)                                          \
	do {                                                              \
		if (strstr((hay), (needle)) == NULL)                      \
			ck_abort_msg("\"%s\" not found in:\n%s", (needle), \
				     (hay));                              \
	} while (0)

/* ---- canonical layout ---- */

START_TEST(test_descriptor)
{
	const struct sg_plugin *p = sg_plugin_entry();

	ck_assert_uint_eq(p->abi_version, SG_PLUGIN_ABI_VERSION);
	ck_assert_uint_eq(p->kind, SG_PLUGIN_SOURCE);
	ck_assert_str_eq(p->name, "csv");
	ck_assert_uint_eq(p->option_count, 2);
	ck_assert_str_eq(p->options[0].name, "dir");
	ck_assert_int_eq(p->options[0].type, SG_OPT_STRING);
	ck_assert_str_eq(p->options[1].name, "mapping");
	ck_assert_int_eq(p->options[1].type, SG_OPT_JSON);
	ck_assert_ptr_nonnull(p->open);
	ck_assert_ptr_nonnull(p->pull);
	ck_assert_ptr_nonnull(p->close);
	ck_assert_ptr_null(p->write);
}
END_TEST

static const char canonical_expect[] =
	"snap 2026-10-25T06:00:00Z fixture\n"
	"own u1|Ann Seller|ann@example.com|m1|East @owners.csv:2\n"
	"own u2|Bob Seller||m1|West @owners.csv:3\n"
	"own m1|Mia Manager|mia@example.com|| @owners.csv:4\n"
	"opp O1|Acme, Inc. renewal|default|proposal|u1|12000.50|USD|"
	"2026-12-15T00:00:00Z|best_case|2026-10-01T09:00:00Z|"
	"Call CFO\r\nabout \"budget\"|2026-11-20T00:00:00Z|"
	"segment=enterprise;region=EMEA @opportunities.csv:2\n"
	"opp O2|Globex|default|discovery|u2|0|EUR|-|pipeline|"
	"2026-10-05T08:30:00Z||-|segment=smb;region= @opportunities.csv:4\n"
	"opp O3|Initech||closed_won|u1|tbd|USD|-|closed|"
	"2026-09-01T08:00:00Z|n/a|-|segment=;region= @opportunities.csv:5\n"
	"ev O1||discovery|2026-10-01T09:00:00Z|u1|crm @stage_history.csv:2\n"
	"ev O1|discovery|proposal|2026-10-20T10:00:00Z|u1|crm "
	"@stage_history.csv:3\n"
	"ev O2||discovery|2026-10-05T08:30:00Z|u2|crm @stage_history.csv:4\n"
	"ev O3||closed_won|2026-09-01T00:00:00Z|u1|import, manual "
	"@stage_history.csv:6\n"
	"fc O1|close_date|2026-11-30|2026-12-15|2026-10-21T12:00:00Z "
	"@field_history.csv:2\n"
	"fc O1|amount||12000.50|2026-10-02T05:00:00Z @field_history.csv:3\n"
	"act A1|O1|email|buyer|2026-10-21T08:00:00Z|jane@acme.example|"
	"Re: pricing, v2 @activities.csv:2\n"
	"act A2|O1|other|seller|2026-10-22T08:00:00Z|u1|Demo "
	"@activities.csv:3\n"
	"act A3|O2|call|none|2026-10-06T08:00:00Z|u2| @activities.csv:4\n"
	"act A4|O2|meeting|system|2026-10-07T08:00:00Z||Auto "
	"@activities.csv:5\n"
	"act A5|O1|document|seller|2026-10-08T08:00:00Z|u1|Proposal.pdf "
	"@activities.csv:6\n"
	"evi O1|budget_confirmed|yes|buyer|2026-10-20T10:00:00Z|email:123 "
	"@evidence.csv:2\n"
	"evi O1|decision_path|CFO signs|unknown|2026-10-19T00:00:00Z| "
	"@evidence.csv:3\n"
	"evi O2|pain_confirmed|yes|unknown|2026-10-06T00:00:00Z| "
	"@evidence.csv:4\n"
	"evi O2|pain_confirmed|no|seller|2026-10-07T00:00:00Z|call notes "
	"@evidence.csv:5\n";

START_TEST(test_canonical_all_files)
{
	struct sink s = {0};
	struct sg_error err;
	size_t pulls = 0;

	ck_assert_int_eq(load_ex(&s, fixture("canonical"), NULL, NULL, &err,
				 &pulls), SG_OK);
	ck_assert_str_eq(s.text, canonical_expect);
	ck_assert_uint_eq(s.owners, 3);
	ck_assert_uint_eq(s.opps, 3);
	ck_assert_uint_eq(s.events, 4);
	/* One block per file at least. */
	ck_assert_uint_ge(pulls, 6);
	ck_assert_uint_ge(s.progress_calls, 6);
	sink_free(&s);
	/* An empty mapping is the canonical layout. */
	ck_assert_int_eq(load(&s, fixture("canonical"), "{}", &err), SG_OK);
	ck_assert_str_eq(s.text, canonical_expect);
	sink_free(&s);
	ck_assert_int_eq(load(&s, fixture("canonical"), "null", &err), SG_OK);
	ck_assert_str_eq(s.text, canonical_expect);
	sink_free(&s);
}
END_TEST

START_TEST(test_optional_files_absent)
{
	struct sink s = {0};
	struct sg_error err;

	ck_assert_int_eq(load(&s, minimal(), NULL, &err), SG_OK);
	ck_assert_str_eq(s.text,
			 "opp O1|||discovery||||-||-||-| "
			 "@opportunities.csv:2\n"
			 "ev O1||discovery|2026-10-01T00:00:00Z|| "
			 "@stage_history.csv:2\n");
	sink_free(&s);
}
END_TEST

START_TEST(test_dir_resolution)
{
	struct sink s = {0};
	struct sg_error err;
	char parent[1024];
	const char *dir = minimal();
	const char *slash = strrchr(dir, '/');

	/* A relative dir resolves against the config's folder. */
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
	s.config_dir = parent;
	ck_assert_int_eq(load(&s, slash + 1, NULL, &err), SG_OK);
	ck_assert_uint_eq(s.opps, 1);
	sink_free(&s);
	/* The argument (--source csv:DIR) overrides the option. */
	ck_assert_int_eq(load_ex(&s, "/nonexistent", NULL, dir, &err, NULL),
			 SG_OK);
	ck_assert_uint_eq(s.opps, 1);
	sink_free(&s);
	/* Neither: a config error. */
	ck_assert_int_eq(load(&s, NULL, NULL, &err), SG_ERR_CONFIG);
	ASSERT_HAS(err.message, "--source csv:DIR");
	/* A folder that is not there. */
	ck_assert_int_eq(load(&s, "/nonexistent/data", NULL, &err),
			 SG_ERR_IO);
	ck_assert_str_eq(err.path, "/nonexistent/data");
	/* A file, not a folder. */
	ck_assert_int_eq(load(&s, fixture("canonical/owners.csv"), NULL,
			      &err), SG_ERR_IO);
	ASSERT_HAS(err.message, "not a folder");
	sink_free(&s);
}
END_TEST

START_TEST(test_missing_required_file)
{
	struct sink s = {0};
	struct sg_error err;
	const char *dir = tmpdir();

	put(dir, "opportunities.csv", "id,stage\nO1,x\n");
	ck_assert_int_eq(load(&s, dir, NULL, &err), SG_ERR_IO);
	ASSERT_HAS(err.path, "/stage_history.csv");
	ASSERT_HAS(err.message, "No such file");
	/* Nothing was emitted before the refusal. */
	ck_assert_uint_eq(s.emits, 0);
	dir = tmpdir();
	put(dir, "stage_history.csv", "opportunity_id,to_stage,changed_at\n");
	ck_assert_int_eq(load(&s, dir, NULL, &err), SG_ERR_IO);
	ASSERT_HAS(err.path, "/opportunities.csv");
	sink_free(&s);
}
END_TEST

START_TEST(test_blocks)
{
	/* Big files are emitted in blocks, one per pull. */
	struct sink s = {0};
	struct sg_error err;
	const char *dir = tmpdir();
	size_t n = 20000, i, pulls = 0, len = 0;
	char *text = malloc(n * 40 + 64);

	ck_assert_ptr_nonnull(text);
	len += (size_t)sprintf(text, "id,stage,amount\n");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "O%zu,discovery,%zu.25\n",
				       i, i);
	put(dir, "opportunities.csv", text);
	put(dir, "stage_history.csv", "opportunity_id,to_stage,changed_at\n");
	s.quiet = 1;
	ck_assert_int_eq(load_ex(&s, dir, NULL, NULL, &err, &pulls), SG_OK);
	ck_assert_uint_eq(s.opps, n);
	ck_assert_uint_ge(pulls, 3);
	ck_assert_uint_le(s.block_max, 8192);
	free(text);
	sink_free(&s);
}
END_TEST

START_TEST(test_host_refusal_and_cancel)
{
	struct sink s = {0};
	struct sg_error err;

	s.fail_at = 5;
	ck_assert_int_eq(load(&s, fixture("canonical"), NULL, &err),
			 SG_ERR_SOURCE);
	ck_assert_str_eq(err.message, "fake host refused");
	ck_assert_uint_eq(s.emits, 5);
	sink_free(&s);
	s.cancel = 1;
	ck_assert_int_eq(load(&s, fixture("canonical"), NULL, &err),
			 SG_ERR_CANCELLED);
	ck_assert_uint_eq(s.emits, 0);
	sink_free(&s);
}
END_TEST

/* ---- refusals of the canonical layout ---- */

/* Loads a minimal folder with name replaced by text; expects code and an
 * error reading FILE:LINE:COL: ... containing want. */
static void expect_error(const char *name, const char *text, int code,
			 const char *want)
{
	struct sink s = {0};
	struct sg_error err;
	const char *dir = minimal();

	put(dir, name, text);
	ck_assert_int_eq(load(&s, dir, NULL, &err), code);
	ASSERT_HAS(where_msg(&err), want);
	sink_free(&s);
}

START_TEST(test_malformed_rows)
{
	expect_error("stage_history.csv",
		     "opportunity_id,to_stage,changed_at\n"
		     "O1,a,2026-10-01T00:00:00Z\n"
		     "O1,b\n", SG_ERR_PARSE,
		     "stage_history.csv:3:0: the record has 2 fields but the "
		     "header has 3");
	expect_error("opportunities.csv",
		     "id,stage\nO1,x,extra\n", SG_ERR_PARSE,
		     "opportunities.csv:2:0: the record has 3 fields");
	expect_error("evidence.csv",
		     "opportunity_id,criterion,party,observed_at\n"
		     "O1,c,buyer,\"2026-10-01\"x\n", SG_ERR_PARSE,
		     "evidence.csv:2:4: character 'x' after the closing "
		     "quote");
	expect_error("activities.csv",
		     "opportunity_id,party,occurred_at,subject\n"
		     "O1,buyer,2026-10-01,\"open\n\n", SG_ERR_PARSE,
		     "activities.csv:2:4: unterminated quoted field");
	expect_error("owners.csv", "", SG_ERR_PARSE,
		     "owners.csv:1:0: the file is empty");
}
END_TEST

START_TEST(test_bad_times)
{
	expect_error("stage_history.csv",
		     "opportunity_id,to_stage,changed_at\n"
		     "O1,a,2026-13-01T00:00:00Z\n", SG_ERR_PARSE,
		     "stage_history.csv:2:3: column \"changed_at\": ");
	/* A date-time without a zone, and no mapping to state one. */
	expect_error("stage_history.csv",
		     "opportunity_id,to_stage,changed_at\n"
		     "O1,a,2026-10-01 10:00:00\n", SG_ERR_PARSE,
		     "stage_history.csv:2:3: column \"changed_at\": ");
	expect_error("stage_history.csv",
		     "opportunity_id,to_stage,changed_at\n"
		     "O1,a, \n", SG_ERR_PARSE,
		     "stage_history.csv:2:3: column \"changed_at\": the time "
		     "is empty");
	/* A placeholder is not a time either where one is required. */
	expect_error("field_history.csv",
		     "opportunity_id,field,new_value,changed_at\n"
		     "O1,amount,5,tbd\n", SG_ERR_PARSE,
		     "field_history.csv:2:4: column \"changed_at\"");
	expect_error("opportunities.csv",
		     "id,stage,close_date\nO1,x,31/12/2026\n", SG_ERR_PARSE,
		     "opportunities.csv:2:3: column \"close_date\": ");
	expect_error("activities.csv",
		     "opportunity_id,party,occurred_at\nO1,buyer,\n",
		     SG_ERR_PARSE,
		     "activities.csv:2:3: column \"occurred_at\": the time is "
		     "empty");
	expect_error("evidence.csv",
		     "opportunity_id,criterion,party,observed_at\n"
		     "O1,c,buyer,yesterday\n", SG_ERR_PARSE,
		     "evidence.csv:2:4: column \"observed_at\"");
}
END_TEST

START_TEST(test_bad_amount)
{
	expect_error("opportunities.csv",
		     "id,stage,amount\nO1,x,\"$1,000\"\n", SG_ERR_PARSE,
		     "opportunities.csv:2:3: column \"amount\": amount "
		     "\"$1,000\" is not a plain decimal");
	expect_error("opportunities.csv",
		     "id,amount,stage\nO1,12,x\nO2,abc,x\n", SG_ERR_PARSE,
		     "opportunities.csv:3:2: column \"amount\": amount "
		     "\"abc\" is not a plain decimal");
}
END_TEST

START_TEST(test_amounts_passed)
{
	/* Zero, placeholders and punctuation pass through for the core to
	 * judge; a plain decimal with spaces is accepted as written. */
	struct sink s = {0};
	struct sg_error err;
	const char *dir = minimal();

	put(dir, "opportunities.csv",
	    "id,stage,amount\nO1,x,0\nO2,x,TBD\nO3,x,-\nO4,x, 12.5 \nO5,x,\n"
	    "O6,x,-3\n");
	ck_assert_int_eq(load(&s, dir, NULL, &err), SG_OK);
	ASSERT_HAS(s.text, "opp O1|||x||0|");
	ASSERT_HAS(s.text, "opp O2|||x||TBD|");
	ASSERT_HAS(s.text, "opp O3|||x||-|");
	ASSERT_HAS(s.text, "opp O4|||x|| 12.5 |");
	ASSERT_HAS(s.text, "opp O5|||x|||");
	ASSERT_HAS(s.text, "opp O6|||x||-3|");
	sink_free(&s);
}
END_TEST

START_TEST(test_columns)
{
	/* Unknown columns: extra in opportunities, an error elsewhere. */
	expect_error("stage_history.csv",
		     "opportunity_id,to_stage,changed_at,note\n", SG_ERR_PARSE,
		     "stage_history.csv:1:4: column \"note\": unknown column");
	expect_error("owners.csv", "id,name,phone\n", SG_ERR_PARSE,
		     "owners.csv:1:3: column \"phone\": unknown column");
	/* Missing required columns, each file. */
	expect_error("opportunities.csv", "id,name\n", SG_ERR_PARSE,
		     "opportunities.csv:1:0: missing required column "
		     "\"stage\"");
	expect_error("stage_history.csv", "opportunity_id,to_stage\n",
		     SG_ERR_PARSE, "stage_history.csv:1:0: missing required "
		     "column \"changed_at\"");
	expect_error("field_history.csv",
		     "opportunity_id,field,changed_at\n", SG_ERR_PARSE,
		     "field_history.csv:1:0: missing required column "
		     "\"new_value\"");
	expect_error("activities.csv", "opportunity_id,occurred_at\n",
		     SG_ERR_PARSE, "activities.csv:1:0: missing required "
		     "column \"party\"");
	expect_error("evidence.csv",
		     "opportunity_id,criterion,observed_at,value\n",
		     SG_ERR_PARSE, "evidence.csv:1:0: missing required column "
		     "\"party\"");
	expect_error("owners.csv", "name\n", SG_ERR_PARSE,
		     "owners.csv:1:0: missing required column \"id\"");
	/* The header's columns listed, and the close one suggested. */
	expect_error("opportunities.csv", "id,name,STAGE\n", SG_ERR_PARSE,
		     "opportunities.csv:1:0: missing required column "
		     "\"stage\"; the header has: \"id\", \"name\", "
		     "\"STAGE\" (did you mean \"STAGE\"?)");
	expect_error("stage_history.csv",
		     "opportunity_id,to_stage,changed_a\n", SG_ERR_PARSE,
		     "stage_history.csv:1:3: column \"changed_a\": unknown "
		     "column (the columns of stage_history.csv are: "
		     "opportunity_id, from_stage, to_stage, changed_at, "
		     "changed_by, source); did you mean \"changed_at\"?");
	expect_error("owners.csv", "name,email\n", SG_ERR_PARSE,
		     "owners.csv:1:0: missing required column \"id\"; the "
		     "header has: \"name\", \"email\"");
	/* A column twice. */
	expect_error("opportunities.csv", "id,stage,id\n", SG_ERR_PARSE,
		     "opportunities.csv:1:3: column \"id\" appears twice");
	expect_error("opportunities.csv", "id,stage,x,x\n", SG_ERR_PARSE,
		     "opportunities.csv:1:4: column \"x\" appears twice");
	expect_error("opportunities.csv", "id,stage,\n", SG_ERR_PARSE,
		     "opportunities.csv:1:3: field 3 of the header has no "
		     "column name");
}
END_TEST

START_TEST(test_parties)
{
	expect_error("activities.csv",
		     "opportunity_id,party,occurred_at\n"
		     "O1,prospect,2026-10-01\n", SG_ERR_PARSE,
		     "activities.csv:2:2: column \"party\": unknown party "
		     "\"prospect\"");
	expect_error("activities.csv",
		     "opportunity_id,party,occurred_at\n"
		     "O1,unknown,2026-10-01\n", SG_ERR_PARSE,
		     "activities.csv:2:2: column \"party\": unknown party");
	expect_error("evidence.csv",
		     "opportunity_id,criterion,party,observed_at\n"
		     "O1,c,system,2026-10-01\n", SG_ERR_PARSE,
		     "evidence.csv:2:3: column \"party\": unknown party "
		     "\"system\" (expected buyer, seller, unknown or empty)");
}
END_TEST

START_TEST(test_snapshot_errors)
{
	expect_error("snapshot.json", "{\"extracted_at\": ", SG_ERR_PARSE,
		     "snapshot.json:1:");
	expect_error("snapshot.json", "{\"source\": \"x\"}", SG_ERR_PARSE,
		     "\"extracted_at\" must be");
	expect_error("snapshot.json",
		     "{\"extracted_at\": \"2026-10-01 10:00\"}", SG_ERR_PARSE,
		     "snapshot.json:0:0: \"extracted_at\": ");
	expect_error("snapshot.json", "[]", SG_ERR_PARSE,
		     "expected a JSON object");
}
END_TEST

/* ---- a file read as two halves ---- */

/*
 * activities.csv for O1 whose middle falls inside a quoted field holding
 * line feeds, doubled quotes and commas, with a quote inside an unquoted
 * field (a literal: it opens nothing) before it.  bad, when not NULL,
 * replaces row 70 (line 70 + 100 of the file: the quoted field spans 101
 * lines), in the second half.
 */
static char *split_activities(const char *bad)
{
	size_t cap = 64 * 1024, len = 0;
	char *t = malloc(cap);
	int i, k;

	ck_assert_ptr_nonnull(t);
	len += (size_t)snprintf(t + len, cap - len, "id,opportunity_id,type,"
				"party,occurred_at,subject\n");
	for (i = 1; i <= 80; i++) {
		if (bad != NULL && i == 70) {
			len += (size_t)snprintf(t + len, cap - len, "%s\n",
						bad);
			continue;
		}
		len += (size_t)snprintf(t + len, cap - len,
					"a%d,O1,%s,buyer,"
					"2026-10-01T00:%02d:00Z,", i,
					i % 2 ? "email" : "call", i % 60);
		if (i == 7)
			len += (size_t)snprintf(t + len, cap - len,
						"a 5\" screen \"x\"\n");
		else if (i != 40)
			len += (size_t)snprintf(t + len, cap - len,
						"subject %d\r\n", i);
		if (i != 40)
			continue;
		t[len++] = '"';
		for (k = 0; k < 100; k++)
			len += (size_t)snprintf(t + len, cap - len,
						"line %d of \"\"it\"\", "
						"with a comma\n", k);
		len += (size_t)snprintf(t + len, cap - len, "end\"\n");
	}
	return t;
}

/* The streams the plugin offers for dir. */
static unsigned stream_count_of(const char *dir)
{
	const struct sg_plugin *p = sg_plugin_entry();
	struct sink s = {0};
	struct sg_host h = fake_host(&s);
	struct sg_error err;
	void *cfg, *state = NULL;
	unsigned n;

	cfg = calloc(1, p->config_size);
	ck_assert_ptr_nonnull(cfg);
	set_option(cfg, p, "dir", dir);
	ck_assert_int_eq(p->open(&state, cfg, NULL, &h, &err), SG_OK);
	while (p->pull(state, &err) > 0)
		;
	n = p->stream_count(state);
	p->close(state);
	free(cfg);
	sink_free(&s);
	return n;
}

/* Pulls dir and counts the activities each stream emits into
 * per_stream (room for 8); returns the stream count. */
static unsigned activities_per_stream(const char *dir, size_t *per_stream)
{
	const struct sg_plugin *p = sg_plugin_entry();
	struct sink s = {0};
	struct sg_host h = fake_host(&s);
	struct sg_error err;
	void *cfg, *state = NULL;
	unsigned n, i;
	int rc;

	cfg = calloc(1, p->config_size);
	ck_assert_ptr_nonnull(cfg);
	set_option(cfg, p, "dir", dir);
	ck_assert_int_eq(p->open(&state, cfg, NULL, &h, &err), SG_OK);
	while ((rc = p->pull(state, &err)) > 0)
		;
	ck_assert_int_eq(rc, 0);
	n = p->stream_count(state);
	ck_assert_uint_le(n, 8);
	for (i = 0; i < n; i++) {
		size_t before = s.activities;

		while ((rc = p->pull_stream(state, i, &err)) > 0)
			;
		ck_assert_int_eq(rc, 0);
		per_stream[i] = s.activities - before;
	}
	p->close(state);
	free(cfg);
	sink_free(&s);
	return n;
}

/* Loads dir read whole, then split, and checks both give the same records
 * at the same lines, or the same error (and, with counted, that the split
 * made its streams). */
static void same_split_and_whole_ex(const char *dir, int code, int counted)
{
	struct sink whole = {0}, split = {0};
	struct sg_error werr, serr;
	char wmsg[1024];

	/* Four later kinds (two absent), two of them split in two. */
	unsetenv("SG_CSV_SPLIT_MIN");
	if (counted)
		ck_assert_uint_eq(stream_count_of(dir), 4);
	ck_assert_int_eq(load(&whole, dir, NULL, &werr), code);
	snprintf(wmsg, sizeof(wmsg), "%s", where_msg(&werr));
	setenv("SG_CSV_SPLIT_MIN", "1", 1);
	if (counted)
		ck_assert_uint_eq(stream_count_of(dir), 6);
	ck_assert_int_eq(load(&split, dir, NULL, &serr), code);
	if (code == SG_OK) {
		ck_assert_uint_eq(split.activities, whole.activities);
		ck_assert_str_eq(split.text, whole.text);
	} else {
		ck_assert_str_eq(where_msg(&serr), wmsg);
	}
	unsetenv("SG_CSV_SPLIT_MIN");
	sink_free(&whole);
	sink_free(&split);
}

static void same_split_and_whole(const char *dir, int code)
{
	same_split_and_whole_ex(dir, code, 1);
}

START_TEST(test_split_at_quoted_newline)
{
	const char *dir = minimal();
	char *text = split_activities(NULL);
	struct sink s = {0};
	struct sg_error err;
	size_t per_stream[8];

	put(dir, "activities.csv", text);
	same_split_and_whole(dir, SG_OK);
	/* The halves come first: stage history (streams 0 and 1), then
	 * activities (2 and 3), each half with its share. */
	setenv("SG_CSV_SPLIT_MIN", "1", 1);
	ck_assert_uint_eq(activities_per_stream(dir, per_stream), 6);
	ck_assert_uint_eq(per_stream[0] + per_stream[1], 0);
	ck_assert_uint_eq(per_stream[2], 40);
	ck_assert_uint_eq(per_stream[3], 40);
	/* The record after the quoted field, in the second half, keeps the
	 * line it is on. */
	setenv("SG_CSV_SPLIT_MIN", "1", 1);
	ck_assert_int_eq(load(&s, dir, NULL, &err), SG_OK);
	ck_assert_uint_eq(s.activities, 80);
	ASSERT_HAS(s.text, "act a7|O1|email|buyer|2026-10-01T00:07:00Z||"
		   "a 5\" screen \"x\" @activities.csv:8\n");
	ASSERT_HAS(s.text, "|2026-10-01T00:41:00Z||subject 41 "
		   "@activities.csv:142\n");
	ASSERT_HAS(s.text, "|2026-10-01T00:20:00Z||subject 80 "
		   "@activities.csv:181\n");
	sink_free(&s);
	free(text);
}
END_TEST

START_TEST(test_split_near_blank_lines)
{
	const char *dir = minimal();
	char text[8192], dots[128];
	size_t len, pad;
	int i;

	memset(dots, '.', sizeof(dots));

	/* Records followed by blank lines (LF and CRLF): wherever the
	 * middle falls, each record is read once, at its own line. */
	for (pad = 0; pad < 60; pad++) {
		len = (size_t)snprintf(text, sizeof(text),
				       "opportunity_id,party,occurred_at,"
				       "subject\n\n");
		for (i = 1; i <= 16; i++)
			len += (size_t)snprintf(
				text + len, sizeof(text) - len,
				"O1,buyer,2026-10-%02d,%.*ss%d%s", i,
				i == 1 ? (int)pad : 0, dots, i,
				i % 3 ? "\n\n" : "\r\n\r\n");
		put(dir, "activities.csv", text);
		same_split_and_whole_ex(dir, SG_OK, 0);
	}
}
END_TEST

START_TEST(test_split_errors_name_whole_file_lines)
{
	static const char *const bad[] = {
		/* a bad value: line 171 */
		"a70,O1,email,nobody,2026-10-01T00:10:00Z,x",
		"a70,O1,email,buyer,not a time,x",
		"a70,O1,email,buyer",
		/* the reader's own errors */
		"a70,O1,email,buyer,2026-10-01T00:10:00Z,\"x\"y",
		"a70,O1,email,buyer,2026-10-01T00:10:00Z,\"open",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *dir = minimal();
		char *text = split_activities(bad[i]);

		put(dir, "activities.csv", text);
		same_split_and_whole(dir, SG_ERR_PARSE);
		free(text);
	}
}
END_TEST

START_TEST(test_split_first_error_wins)
{
	const char *dir = minimal();
	char *text = split_activities("a70,O1,email,nobody,2026-10-01,x");
	struct sink s = {0};
	struct sg_error err;
	char *first = strstr(text, "a3,O1,email,buyer");

	/* A bad party in the first half too: the first half's error is the
	 * one a single reader meets first. */
	ck_assert_ptr_nonnull(first);
	memcpy(first + strlen("a3,O1,email,"), "xxxxx", 5);
	put(dir, "activities.csv", text);
	same_split_and_whole(dir, SG_ERR_PARSE);
	setenv("SG_CSV_SPLIT_MIN", "1", 1);
	ck_assert_int_eq(load(&s, dir, NULL, &err), SG_ERR_PARSE);
	ASSERT_HAS(where_msg(&err), "activities.csv:4:4: column \"party\"");
	sink_free(&s);
	free(text);
}
END_TEST

/* ---- the mapping ---- */

/* Opens a minimal folder with mapping; expects SG_ERR_CONFIG whose
 * message contains want. */
static void expect_config_error(const char *mapping, const char *want)
{
	struct sink s = {0};
	struct sg_error err;

	ck_assert_int_eq(load(&s, minimal(), mapping, &err), SG_ERR_CONFIG);
	ASSERT_HAS(err.message, want);
	ck_assert_uint_eq(s.emits, 0);
	sink_free(&s);
}

START_TEST(test_mapping_validation)
{
	expect_config_error("{\"file\": 1}",
			    "$.sources.csv.mapping.file: unknown key");
	expect_config_error("[1]",
			    "$.sources.csv.mapping: expected an object");
	expect_config_error("{\"files\": ",
			    "$.sources.csv.mapping: not valid JSON");
	expect_config_error(
		"{\"files\": {\"opportunities\": {\"file\": \"o.csv\", "
		"\"columns\": {\"id\": \"Id\", \"stage\": \"S\", "
		"\"foo\": \"F\"}}}}",
		"$.sources.csv.mapping.files.opportunities.columns.foo: "
		"unknown field \"foo\"");
	expect_config_error(
		"{\"files\": {\"deals\": {\"file\": \"o.csv\"}}}",
		"$.sources.csv.mapping.files.deals: unknown file");
	expect_config_error(
		"{\"files\": {\"opportunities\": {\"columns\": {}}}}",
		"$.sources.csv.mapping.files.opportunities: \"file\" is "
		"required");
	expect_config_error(
		"{\"files\": {\"opportunities\": {\"file\": \"o.csv\", "
		"\"columns\": {\"id\": \"Id\"}}}}",
		"$.sources.csv.mapping.files.opportunities.columns: the "
		"required field \"stage\" of opportunities is not mapped");
	expect_config_error(
		"{\"files\": {\"stage_history\": [{\"file\": \"h.csv\", "
		"\"columns\": {\"opportunity_id\": \"O\", "
		"\"to_stage\": \"S\", "
		"\"changed_at\": \"T\"}}, {\"file\": \"h.csv\", \"columns\": "
		"{\"opportunity_id\": \"O\", \"to_stage\": \"S\"}}]}}",
		"$.sources.csv.mapping.files.stage_history[1].columns: the "
		"required field \"changed_at\"");
	expect_config_error(
		"{\"files\": {\"stage_history\": []}}",
		"$.sources.csv.mapping.files.stage_history: the list is "
		"empty");
	expect_config_error(
		"{\"files\": {\"owners\": {\"file\": \"o.csv\", "
		"\"columns\": {\"id\": {\"col\": \"x\"}}}}}",
		"$.sources.csv.mapping.files.owners.columns.id.col: unknown "
		"key");
	expect_config_error(
		"{\"files\": {\"owners\": {\"file\": \"o.csv\", "
		"\"columns\": {\"id\": 5}}}}",
		"$.sources.csv.mapping.files.owners.columns.id: expected a "
		"column name");
	expect_config_error(
		"{\"files\": {\"owners\": {\"file\": \"o.csv\", "
		"\"columns\": {\"id\": \"\"}}}}",
		"$.sources.csv.mapping.files.owners.columns.id: must not be "
		"empty");
	expect_config_error(
		"{\"files\": {\"owners\": {\"file\": \"o.csv\", "
		"\"extra\": \"rest\", \"columns\": {\"id\": \"I\"}}}}",
		"$.sources.csv.mapping.files.owners.extra: unknown key");
	expect_config_error(
		"{\"files\": {\"opportunities\": {\"file\": \"o.csv\", "
		"\"extra\": \"some\", \"columns\": {\"id\": \"I\", "
		"\"stage\": \"S\"}}}}",
		"$.sources.csv.mapping.files.opportunities.extra: expected "
		"\"rest\", \"none\" or a list");
	expect_config_error(
		"{\"files\": {\"stage_history\": {\"file\": \"h.csv\", "
		"\"derive_from_stage\": true, \"columns\": "
		"{\"opportunity_id\": \"O\", \"to_stage\": \"S\", "
		"\"from_stage\": \"F\", \"changed_at\": \"T\"}}}}",
		"$.sources.csv.mapping.files.stage_history.columns.from_stage:"
		" from_stage cannot be mapped when derive_from_stage is true");
	expect_config_error(
		"{\"files\": {\"stage_history\": {\"file\": \"h.csv\", "
		"\"derive_from_stage\": \"yes\"}}}",
		"$.sources.csv.mapping.files.stage_history.derive_from_stage:"
		" expected true or false");
	expect_config_error(
		"{\"files\": {\"stage_history\": {\"file\": \"h.csv\", "
		"\"skip_if_empty\": [\"changed_by\"], \"columns\": "
		"{\"opportunity_id\": \"O\", \"to_stage\": \"S\", "
		"\"changed_at\": \"T\"}}}}",
		"$.sources.csv.mapping.files.stage_history.skip_if_empty[0]: "
		"the field \"changed_by\" is not mapped");
	expect_config_error(
		"{\"files\": {\"stage_history\": {\"file\": \"h.csv\", "
		"\"skip_if_empty\": [\"when\"]}}}",
		"$.sources.csv.mapping.files.stage_history.skip_if_empty[0]: "
		"unknown field \"when\"");
	expect_config_error(
		"{\"stages\": {\"Closed Won\": 3}}",
		"$.sources.csv.mapping.stages[\"Closed Won\"]: expected a "
		"string");
	expect_config_error(
		"{\"stages\": {\" \": \"x\"}}",
		"a stage label must not be empty");
	expect_config_error(
		"{\"times\": {\"stage_history.to_stage\": {}}}",
		"$.sources.csv.mapping.times[\"stage_history.to_stage\"]: "
		"\"to_stage\" is not a time field of stage_history");
	expect_config_error(
		"{\"times\": {\"sometimes\": {}}}",
		"$.sources.csv.mapping.times.sometimes: unknown key");
	expect_config_error(
		"{\"times\": {\"default\": {\"fmt\": \"%d\"}}}",
		"$.sources.csv.mapping.times.default.fmt: unknown key");
	expect_config_error(
		"{\"times\": {\"default\": {\"format\": \"%d/%m/%Y %H:%M\"}}}",
		"$.sources.csv.mapping.times.default: the format \"%d/%m/%Y "
		"%H:%M\" reads a time of day but no \"zone\"");
	expect_config_error(
		"{\"times\": {\"default\": {\"format\": \"%d/%m/%Q\"}}}",
		"$.sources.csv.mapping.times.default.format: the format "
		"\"%d/%m/%Q\" uses %Q");
	expect_config_error(
		"{\"times\": {\"default\": {\"zone\": \"Mars/Olympus\"}}}",
		"$.sources.csv.mapping.times.default.zone: ");
	expect_config_error(
		"{\"files\": {\"evidence\": {\"file\": \"e.csv\", \"times\": "
		"{\"changed_at\": {}}}}}",
		"$.sources.csv.mapping.files.evidence.times.changed_at: "
		"\"changed_at\" is not a time field of evidence");
}
END_TEST

START_TEST(test_mapping_constants_and_extra)
{
	struct sink s = {0};
	struct sg_error err;
	const char *dir = tmpdir();

	put(dir, "Deals.csv",
	    "Deal Id,Title,Stage Label,Value,Region,Notes, Owner \n"
	    "D1,First,Won it,100,EU,n1,o1\n"
	    "D2,Second,Lost,,US,n2,o2\n");
	put(dir, "History.csv",
	    "Deal,Stage,When,Ignored column\n"
	    "D1,Open,2026-01-02T03:04:05Z,x\n");
	put(dir, "stage_history.csv", "opportunity_id,to_stage,changed_at\n");
	ck_assert_int_eq(load(&s, dir,
		"{\"files\": {"
		"\"opportunities\": {\"file\": \"Deals.csv\", \"columns\": {"
		"\"id\": \"Deal Id\", \"name\": {\"column\": \"Title\"}, "
		"\"stage\": \"Stage Label\", \"amount\": \"Value\", "
		"\"owner_id\": \"Owner\", "
		"\"currency\": {\"const\": \"EUR\"}, "
		"\"pipeline\": {\"const\": \"\"}}, \"extra\": \"rest\"},"
		"\"stage_history\": {\"file\": \"History.csv\", \"columns\": {"
		"\"opportunity_id\": \"Deal\", \"to_stage\": \"Stage\", "
		"\"changed_at\": \"When\", "
		"\"source\": {\"const\": \"export\"}}}},"
		"\"stages\": {\"Won it\": \"closed_won\", "
		"\"Open\": \"open\"}}",
		&err), SG_OK);
	ck_assert_str_eq(s.text,
		"opp D1|First||closed_won|o1|100|EUR|-||-||-|Region=EU;"
		"Notes=n1 @Deals.csv:2\n"
		"opp D2|Second||Lost|o2||EUR|-||-||-|Region=US;Notes=n2 "
		"@Deals.csv:3\n"
		"ev D1||open|2026-01-02T03:04:05Z||export @History.csv:2\n");
	sink_free(&s);
	/* extra: a list, and none. */
	ck_assert_int_eq(load(&s, dir,
		"{\"files\": {"
		"\"opportunities\": {\"file\": \"Deals.csv\", \"columns\": {"
		"\"id\": \"Deal Id\", \"stage\": \"Stage Label\"}, "
		"\"extra\": [\"Notes\", \"Value\"]},"
		"\"stage_history\": {\"file\": \"History.csv\", \"columns\": {"
		"\"opportunity_id\": \"Deal\", \"to_stage\": \"Stage\", "
		"\"changed_at\": \"When\"}}}}", &err), SG_OK);
	ASSERT_HAS(s.text, "opp D1|||Won it||||-||-||-|Notes=n1;Value=100 "
		   "@Deals.csv:2\n");
	sink_free(&s);
	ck_assert_int_eq(load(&s, dir,
		"{\"files\": {"
		"\"opportunities\": {\"file\": \"Deals.csv\", \"columns\": {"
		"\"id\": \"Deal Id\", \"stage\": \"Stage Label\"}, "
		"\"extra\": \"none\"},"
		"\"stage_history\": {\"file\": \"History.csv\", \"columns\": {"
		"\"opportunity_id\": \"Deal\", \"to_stage\": \"Stage\", "
		"\"changed_at\": \"When\"}}}}", &err), SG_OK);
	ASSERT_HAS(s.text, "opp D1|||Won it||||-||-||-| @Deals.csv:2\n");
	sink_free(&s);
	/* A column the mapping names must be in the header, once. */
	ck_assert_int_eq(load(&s, dir,
		"{\"files\": {"
		"\"opportunities\": {\"file\": \"Deals.csv\", \"columns\": {"
		"\"id\": \"Deal Id\", \"stage\": \"StageName\"}}}}", &err),
		SG_ERR_PARSE);
	ASSERT_HAS(where_msg(&err), "Deals.csv:1:0: missing column "
		   "\"StageName\" (the mapping reads opportunities.stage "
		   "from it)");
	ck_assert_int_eq(load(&s, dir,
		"{\"files\": {"
		"\"opportunities\": {\"file\": \"Deals.csv\", \"columns\": {"
		"\"id\": \"Deal Id\", \"stage\": \"Stage Label\"}, "
		"\"extra\": [\"Nope\"]}}}", &err), SG_ERR_PARSE);
	ASSERT_HAS(where_msg(&err), "missing column \"Nope\"");
	/* A mapped file that is not there. */
	ck_assert_int_eq(load(&s, dir,
		"{\"files\": {"
		"\"opportunities\": {\"file\": \"Gone.csv\", \"columns\": {"
		"\"id\": \"Deal Id\", \"stage\": \"Stage Label\"}}}}", &err),
		SG_ERR_IO);
	ASSERT_HAS(err.path, "/Gone.csv");
	sink_free(&s);
}
END_TEST

START_TEST(test_mapping_renamed_canonical)
{
	/* A file without "columns" is in the canonical layout under
	 * another name. */
	struct sink s = {0};
	struct sg_error err;
	const char *dir = minimal();

	put(dir, "ev.csv", "opportunity_id,criterion,party,observed_at\n"
	    "O1,c,buyer,2026-10-01\n");
	ck_assert_int_eq(load(&s, dir,
		"{\"files\": {\"evidence\": {\"file\": \"ev.csv\"}}}", &err),
		SG_OK);
	ASSERT_HAS(s.text, "evi O1|c||buyer|2026-10-01T00:00:00Z| @ev.csv:2");
	sink_free(&s);
}
END_TEST

START_TEST(test_mapping_times)
{
	struct sink s = {0};
	struct sg_error err;
	const char *dir = tmpdir();
	const char *map =
		"{\"files\": {"
		"\"opportunities\": {\"file\": \"Opp.csv\", \"columns\": {"
		"\"id\": \"Id\", \"stage\": \"S\", \"created_at\": \"C\", "
		"\"close_date\": \"D\"}},"
		"\"stage_history\": {\"file\": \"Hist.csv\", \"columns\": {"
		"\"opportunity_id\": \"Id\", \"to_stage\": \"S\", "
		"\"changed_at\": \"T\"}}},"
		"\"times\": {\"default\": {\"format\": \"%m/%d/%y\"}, "
		"\"stage_history.changed_at\": {\"format\": "
		"\"%m/%d/%y %I:%M %p\", \"zone\": \"America/Los_Angeles\"}, "
		"\"opportunities.created_at\": {\"zone\": \"+02:00\"}}}";

	put(dir, "Opp.csv", "Id,S,C,D\n"
	    "A,x,2026-02-23 10:00,02/03/24\n"
	    "B,x,2026-02-23T10:00:00Z,\n");
	put(dir, "Hist.csv", "Id,S,T\n"
	    "A,x,02/23/26 08:55 PM\n"
	    "A,y,07/01/26 12:05 AM\n");
	ck_assert_int_eq(load(&s, dir, map, &err), SG_OK);
	ck_assert_str_eq(s.text,
		"opp A|||x||||2024-02-03T00:00:00Z||2026-02-23T08:00:00Z|"
		"|-| @Opp.csv:2\n"
		"opp B|||x||||-||2026-02-23T10:00:00Z||-| @Opp.csv:3\n"
		/* PST is UTC-8, PDT UTC-7. */
		"ev A||x|2026-02-24T04:55:00Z|| @Hist.csv:2\n"
		"ev A||y|2026-07-01T07:05:00Z|| @Hist.csv:3\n");
	sink_free(&s);
	/* A value that does not match its format. */
	put(dir, "Hist.csv", "Id,S,T\nA,x,02/23/26 08:55 PM\n"
	    "A,y,2026-07-01 00:05\n");
	ck_assert_int_eq(load(&s, dir, map, &err), SG_ERR_PARSE);
	ck_assert_str_eq(where_msg(&err),
		"Hist.csv:3:3: column \"T\" (stage_history.changed_at): "
		"\"2026-07-01 00:05\" does not match the format "
		"\"%m/%d/%y %I:%M %p\"");
	sink_free(&s);
	put(dir, "Hist.csv", "Id,S,T\nA,x,02/23/26 08:55 PM\n");
	put(dir, "Opp.csv", "Id,S,C,D\nA,x,,13/01/24\n");
	ck_assert_int_eq(load(&s, dir, map, &err), SG_ERR_PARSE);
	ck_assert_str_eq(where_msg(&err),
		"Opp.csv:2:4: column \"D\" (opportunities.close_date): "
		"\"13/01/24\" does not match the format \"%m/%d/%y\"");
	sink_free(&s);
	/* Day-first dates (a Salesforce UK export): no guessing. */
	put(dir, "Opp.csv", "Id,S,C,D\nA,x,,02/07/2022\n");
	ck_assert_int_eq(load(&s, dir,
		"{\"files\": {"
		"\"opportunities\": {\"file\": \"Opp.csv\", \"columns\": {"
		"\"id\": \"Id\", \"stage\": \"S\", \"close_date\": \"D\"}, "
		"\"times\": {\"close_date\": {\"format\": \"%d/%m/%Y\"}}},"
		"\"stage_history\": {\"file\": \"Hist.csv\", \"columns\": {"
		"\"opportunity_id\": \"Id\", \"to_stage\": \"S\", "
		"\"changed_at\": \"T\"}, \"times\": {\"changed_at\": {"
		"\"format\": \"%m/%d/%y %I:%M %p\", \"zone\": \"-08:00\"}}}}}",
		&err), SG_OK);
	ck_assert_str_eq(s.text,
		"opp A|||x||||2022-07-02T00:00:00Z||-||-|C= @Opp.csv:2\n"
		"ev A||x|2026-02-24T04:55:00Z|| @Hist.csv:2\n");
	sink_free(&s);
}
END_TEST

START_TEST(test_derive_from_stage)
{
	struct sink s = {0};
	struct sg_error err;
	char *map = mapping_of("salesforce-report.json");

	ck_assert_int_eq(load(&s, fixture("sf-report"), map, &err), SG_OK);
	ck_assert_str_eq(s.text,
		"opp 006A|seize e-services||closed_lost|005U1|454160||"
		"2022-03-24T00:00:00Z|Pipeline|2022-03-14T00:00:00Z||-|"
		"IsDeleted=FALSE;LastModifiedDate=02/03/2022 16:11 "
		"@Opportunity.csv:2\n"
		"opp 006B|extend, virtual||negotiation|005U2|||"
		"2022-05-11T00:00:00Z|Pipeline|2022-05-01T00:00:00Z||-|"
		"IsDeleted=FALSE;LastModifiedDate=02/03/2022 16:11 "
		"@Opportunity.csv:3\n"
		"opp 006C|grow||closed_won|005U1|1000||2022-07-31T00:00:00Z|"
		"Closed|2022-07-02T00:00:00Z||-|IsDeleted=FALSE;"
		"LastModifiedDate= @Opportunity.csv:4\n"
		/* Sorted by time per opportunity; a repeat is passed on
		 * with the same from and to (an event, not a move). */
		"ev 006A||prospecting|2022-03-02T00:00:00Z||salesforce-report "
		"@Opportunity History.csv:3\n"
		"ev 006A|prospecting|prospecting|2022-03-02T00:00:00Z||"
		"salesforce-report @Opportunity History.csv:4\n"
		"ev 006A|prospecting|negotiation|2022-04-06T00:00:00Z||"
		"salesforce-report @Opportunity History.csv:2\n"
		"ev 006A|negotiation|closed_lost|2022-07-07T00:00:00Z||"
		"salesforce-report @Opportunity History.csv:5\n"
		"ev 006B||qualification|2022-03-13T00:00:00Z||"
		"salesforce-report @Opportunity History.csv:6\n"
		"ev 006B|qualification|qualification|2022-03-20T00:00:00Z||"
		"salesforce-report @Opportunity History.csv:7\n"
		"ev 006B|qualification|negotiation|2022-03-21T00:00:00Z||"
		"salesforce-report @Opportunity History.csv:8\n"
		"ev 006C||closed_won|2022-07-02T00:00:00Z||salesforce-report "
		"@Opportunity History.csv:9\n");
	sink_free(&s);
	free(map);
}
END_TEST

START_TEST(test_derive_same_time_keeps_order)
{
	/* Ties keep file order; a stage that comes back after another is
	 * a move again; a repeat is passed on as an event from and to the
	 * same stage. */
	struct sink s = {0};
	struct sg_error err;
	const char *dir = tmpdir();

	put(dir, "o.csv", "Id,S\nA,x\n");
	put(dir, "h.csv", "Id,S,T\n"
	    "A,a,2026-01-01\nA,b,2026-01-01\nA,b,2026-01-02\n"
	    "A,a,2026-01-03\nA,a,2026-01-03\nB,z,2026-01-01\n");
	ck_assert_int_eq(load(&s, dir,
		"{\"files\": {"
		"\"opportunities\": {\"file\": \"o.csv\", \"columns\": {"
		"\"id\": \"Id\", \"stage\": \"S\"}},"
		"\"stage_history\": {\"file\": \"h.csv\", "
		"\"derive_from_stage\": true, \"columns\": {"
		"\"opportunity_id\": \"Id\", \"to_stage\": \"S\", "
		"\"changed_at\": \"T\"}}}}", &err), SG_OK);
	ck_assert_str_eq(s.text,
		"opp A|||x||||-||-||-| @o.csv:2\n"
		"ev A||a|2026-01-01T00:00:00Z|| @h.csv:2\n"
		"ev A|a|b|2026-01-01T00:00:00Z|| @h.csv:3\n"
		"ev A|b|b|2026-01-02T00:00:00Z|| @h.csv:4\n"
		"ev A|b|a|2026-01-03T00:00:00Z|| @h.csv:5\n"
		"ev A|a|a|2026-01-03T00:00:00Z|| @h.csv:6\n"
		"ev B||z|2026-01-01T00:00:00Z|| @h.csv:7\n");
	sink_free(&s);
	/* A canonical derived file must not carry from_stage itself. */
	put(dir, "h.csv", "opportunity_id,from_stage,to_stage,changed_at\n");
	ck_assert_int_eq(load(&s, dir,
		"{\"files\": {"
		"\"opportunities\": {\"file\": \"o.csv\", \"columns\": {"
		"\"id\": \"Id\", \"stage\": \"S\"}},"
		"\"stage_history\": {\"file\": \"h.csv\", "
		"\"derive_from_stage\": true}}}", &err), SG_ERR_PARSE);
	ASSERT_HAS(where_msg(&err), "h.csv:1:2: column \"from_stage\"");
	sink_free(&s);
}
END_TEST

START_TEST(test_spec_list_skip_if_empty)
{
	struct sink s = {0};
	struct sg_error err;
	char *map = mapping_of("maven-crm.json");

	ck_assert_int_eq(load(&s, fixture("maven"), map, &err), SG_OK);
	ck_assert_str_eq(s.text,
		"own Ada Agent|Ada Agent||Mona Manager|Central "
		"@sales_teams.csv:2\n"
		"own Ben Broker|Ben Broker||Mona Manager|East "
		"@sales_teams.csv:3\n"
		"own Cy Closer|Cy Closer||Otto Overseer|West "
		"@sales_teams.csv:4\n"
		"opp M0000001|||won|Ada Agent|1200|USD|2017-03-01T00:00:00Z||"
		"-||-|product=Widget Basic;account=Northwind;"
		"engage_date=2016-10-20 @sales_pipeline.csv:2\n"
		"opp M0000002|||lost|Ben Broker|0|USD|2017-03-07T00:00:00Z||"
		"-||-|product=Widget Pro;account=Contoso;"
		"engage_date=2016-10-25 @sales_pipeline.csv:3\n"
		"opp M0000003|||engaging|Ada Agent||USD|-||-||-|"
		"product=Widget Pro;account=;engage_date=2016-12-01 "
		"@sales_pipeline.csv:4\n"
		"opp M0000004|||prospecting|Cy Closer||USD|-||-||-|"
		"product=Widget Max;account=;engage_date= "
		"@sales_pipeline.csv:5\n"
		"ev M0000001||engaging|2016-10-20T00:00:00Z|Ada Agent|"
		"maven-engage_date @sales_pipeline.csv:2\n"
		"ev M0000002||engaging|2016-10-25T00:00:00Z|Ben Broker|"
		"maven-engage_date @sales_pipeline.csv:3\n"
		"ev M0000003||engaging|2016-12-01T00:00:00Z|Ada Agent|"
		"maven-engage_date @sales_pipeline.csv:4\n"
		"ev M0000001|engaging|won|2017-03-01T00:00:00Z|Ada Agent|"
		"maven-close_date @sales_pipeline.csv:2\n"
		"ev M0000002|engaging|lost|2017-03-07T00:00:00Z|Ben Broker|"
		"maven-close_date @sales_pipeline.csv:3\n");
	sink_free(&s);
	free(map);
}
END_TEST

START_TEST(test_hubspot_export)
{
	struct sink s = {0};
	struct sg_error err;
	char *map = mapping_of("hubspot-deals.json");

	ck_assert_int_eq(load(&s, fixture("hubspot-export"), map, &err),
			 SG_OK);
	ck_assert_str_eq(s.text,
		"opp 9001|Acme expansion|Sales Pipeline|presentationscheduled|"
		"Jane Doe|12000||2026-12-15T00:00:00Z||2026-10-01T09:00:00Z|"
		"Send proposal|-|Deal Type=newbusiness @deals.csv:2\n"
		"opp 9002|Globex, pilot|Sales Pipeline|closedwon|John Roe|"
		"5000.50||2026-11-01T00:00:00Z||2026-09-15T08:00:00Z||-|"
		"Deal Type=existingbusiness @deals.csv:3\n"
		"opp 9003|Partner deal|Partner Pipeline|Partner Stage|"
		"Jane Doe|"
		"||-||2026-10-02T10:00:00Z||-|Deal Type= @deals.csv:4\n"
		"ev 9001||appointmentscheduled|2026-10-01T09:00:00Z||"
		"hubspot-export @deals.csv:2\n"
		"ev 9002||appointmentscheduled|2026-09-15T08:00:00Z||"
		"hubspot-export @deals.csv:3\n"
		"ev 9001||qualifiedtobuy|2026-10-10T14:30:00Z||hubspot-export "
		"@deals.csv:2\n"
		"ev 9001||presentationscheduled|2026-10-20T11:15:00Z||"
		"hubspot-export @deals.csv:2\n"
		"ev 9002||contractsent|2026-10-01T10:00:00Z||hubspot-export "
		"@deals.csv:3\n"
		"ev 9002||closedwon|2026-10-30T16:45:00Z||hubspot-export "
		"@deals.csv:3\n");
	sink_free(&s);
	free(map);
}
END_TEST

/* ---- the real exports, read in place ---- */

static const char *shared(const char *name)
{
	static char path[1024];
	const char *root = getenv("SG_SHARED_DATA");
	struct stat sb;

	if (root == NULL || root[0] == '\0')
		snprintf(path, sizeof(path), "%s/../shared/data/%s",
			 SG_SOURCE_DIR, name);
	else
		snprintf(path, sizeof(path), "%s/%s", root, name);
	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		printf("SKIP: %s is absent; the test on that export did not "
		       "run\n", path);
		return NULL;
	}
	return path;
}

START_TEST(test_real_preppin)
{
	struct sink s = {0};
	struct sg_error err;
	const char *dir = shared("sf-preppin-2022w23");
	char *map;

	if (dir == NULL)
		return;
	map = mapping_of("salesforce-report.json");
	ck_assert_int_eq(load(&s, dir, map, &err), SG_OK);
	/* 219 opportunities; 584 history rows, every one an event (107
	 * of them repeat the stage before them: events, not moves). */
	ck_assert_uint_eq(s.opps, 219);
	ck_assert_uint_eq(s.events, 584);
	ck_assert_uint_eq(s.owners + s.activities + s.evidence + s.changes +
			  s.snapshots, 0);
	/* 45 columns, 9 mapped: 36 extra fields. */
	ASSERT_HAS(s.text, "opp 0068d000002OrZqAAK|seize dot-com e-services|"
		   "|closed_lost|0058d000002C3D2AAK|454160||"
		   "2022-03-24T00:00:00Z|Pipeline|2022-03-14T00:00:00Z||-|"
		   "IsDeleted=FALSE;AccountId=0018d000007K0NXAA0;");
	/* Listed out of order in the file, emitted in time order. */
	ASSERT_HAS(s.text, "ev 0068d000002OrbYAAS||negotiation|"
		   "2022-04-06T00:00:00Z||salesforce-report "
		   "@Opportunity History.csv:2\n"
		   "ev 0068d000002OrbYAAS|negotiation|prospecting|"
		   "2022-07-02T00:00:00Z||salesforce-report "
		   "@Opportunity History.csv:3\n"
		   "ev 0068d000002OrbYAAS|prospecting|closed_won|"
		   "2022-07-07T00:00:00Z||salesforce-report "
		   "@Opportunity History.csv:4\n");
	sink_free(&s);
	free(map);
}
END_TEST

START_TEST(test_real_maven)
{
	struct sink s = {0};
	struct sg_error err;
	const char *dir = shared("maven-crm");
	char *map;

	if (dir == NULL)
		return;
	map = mapping_of("maven-crm.json");
	s.quiet = 1;
	ck_assert_int_eq(load(&s, dir, map, &err), SG_OK);
	/* 8,800 deals; 8,300 engage dates and 6,711 close dates; 35
	 * agents. */
	ck_assert_uint_eq(s.opps, 8800);
	ck_assert_uint_eq(s.events, 8300 + 6711);
	ck_assert_uint_eq(s.owners, 35);
	sink_free(&s);
	free(map);
}
END_TEST

START_TEST(test_real_pbi)
{
	/* US report export: 2-digit years, 12-hour clock, local time. */
	struct sink s = {0};
	struct sg_error err;
	const char *dir = shared("sf-devorg-pbi");

	if (dir == NULL)
		return;
	ck_assert_int_eq(load(&s, dir,
		"{\"files\": {"
		"\"opportunities\": {\"file\": \"Opportunity.csv\", "
		"\"columns\": {\"id\": \"Id\", \"name\": \"Name\", "
		"\"stage\": \"StageName\", \"amount\": \"Amount\", "
		"\"close_date\": \"CloseDate\", \"created_at\": "
		"\"CreatedDate\"}},"
		"\"stage_history\": {\"file\": \"OpportunityHistory.csv\", "
		"\"derive_from_stage\": true, \"columns\": {"
		"\"opportunity_id\": \"OpportunityId\", \"to_stage\": "
		"\"StageName\", \"changed_at\": \"CreatedDate\", "
		"\"changed_by\": \"CreatedById\"}}},"
		"\"stages\": {\"Closed Won\": \"closed_won\", "
		"\"Closed Lost\": \"closed_lost\"},"
		"\"times\": {\"default\": {\"format\": \"%m/%d/%y\"}, "
		"\"stage_history.changed_at\": {\"format\": "
		"\"%m/%d/%y %I:%M %p\", \"zone\": \"America/Los_Angeles\"}}}",
		&err), SG_OK);
	ck_assert_uint_eq(s.opps, 36);
	ck_assert_uint_eq(s.events, 48);
	/* Closed Lost is listed before Closed Won in the file. */
	ASSERT_HAS(s.text, "ev 006bm00000LKJNbAAP||closed_won|"
		   "2026-02-24T04:55:00Z|005bm00000NCJmQAAX| "
		   "@OpportunityHistory.csv:19\n"
		   "ev 006bm00000LKJNbAAP|closed_won|closed_lost|"
		   "2026-03-08T04:59:00Z|005bm00000NCJmQAAX| "
		   "@OpportunityHistory.csv:18\n");
	sink_free(&s);
}
END_TEST

static Suite *csv_suite(void)
{
	Suite *s = suite_create("csv");
	TCase *tc;

	tc = tcase_create("canonical");
	tcase_add_test(tc, test_descriptor);
	tcase_add_test(tc, test_canonical_all_files);
	tcase_add_test(tc, test_optional_files_absent);
	tcase_add_test(tc, test_dir_resolution);
	tcase_add_test(tc, test_missing_required_file);
	tcase_add_test(tc, test_blocks);
	tcase_add_test(tc, test_host_refusal_and_cancel);
	tcase_add_test(tc, test_amounts_passed);
	suite_add_tcase(s, tc);

	tc = tcase_create("refusals");
	tcase_add_test(tc, test_malformed_rows);
	tcase_add_test(tc, test_bad_times);
	tcase_add_test(tc, test_bad_amount);
	tcase_add_test(tc, test_columns);
	tcase_add_test(tc, test_parties);
	tcase_add_test(tc, test_snapshot_errors);
	tcase_add_test(tc, test_split_at_quoted_newline);
	tcase_add_test(tc, test_split_near_blank_lines);
	tcase_add_test(tc, test_split_errors_name_whole_file_lines);
	tcase_add_test(tc, test_split_first_error_wins);
	suite_add_tcase(s, tc);

	tc = tcase_create("mapping");
	tcase_add_test(tc, test_mapping_validation);
	tcase_add_test(tc, test_mapping_constants_and_extra);
	tcase_add_test(tc, test_mapping_renamed_canonical);
	tcase_add_test(tc, test_mapping_times);
	tcase_add_test(tc, test_derive_from_stage);
	tcase_add_test(tc, test_derive_same_time_keeps_order);
	tcase_add_test(tc, test_spec_list_skip_if_empty);
	tcase_add_test(tc, test_hubspot_export);
	suite_add_tcase(s, tc);

	tc = tcase_create("real");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_real_preppin);
	tcase_add_test(tc, test_real_maven);
	tcase_add_test(tc, test_real_pbi);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(csv_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
