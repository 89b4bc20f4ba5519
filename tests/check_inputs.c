/*
 * check_inputs.c - the records a pull emitted, kept as chunks (sg_inputs.h):
 * every field of every record kind survives the round trip, parts keep
 * their order, chunks are cut by content so unchanged records give the
 * same chunks, and a damaged chunk is refused.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sg_inputs.h"
#include "sg_test.h"

static const char rules[] =
	"{\"pipeline\": {\"id\": \"default\"},"
	" \"stages\": [{\"id\": \"discovery\"}, {\"id\": \"proposal\"},"
	"  {\"id\": \"won\", \"closed\": true, \"won\": true}]}";

#define T0 1790000000

/* The chunks a writer stored, copied. */
struct stored {
	struct sg_inputs_chunk chunks[256];
	size_t count;
};

static int store(void *arg, const struct sg_inputs_chunk *c,
		 struct sg_error *err)
{
	struct stored *s = arg;
	void *copy = NULL;

	(void)err;
	ck_assert_uint_lt(s->count, 256);
	if (c->stored) {
		/* Held by the store already: nothing to copy. */
		ck_assert_ptr_null(c->data);
	} else {
		copy = malloc(c->size);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, c->data, c->size);
	}
	s->chunks[s->count] = *c;
	s->chunks[s->count].data = copy;
	s->count++;
	return SG_OK;
}

static void stored_free(struct stored *s)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		free((void *)s->chunks[i].data);
	s->count = 0;
}

static struct sg_config *config;
static struct sg_error err;

static void setup(void)
{
	sg_error_clear(&err);
	ck_assert_int_eq(sg_config_load_text(&config, "rules.json", ".",
					     rules, strlen(rules), &err),
			 SG_OK);
}

static void teardown(void)
{
	sg_config_free(config);
}

static const struct sg_field extras[] = {
	{ "region", "EMEA" }, { "segment", "Grüße \"quoted\"" },
};

/* Emits one of each record kind into w (part 0) and, when m is given,
 * into m as a pull would. */
static void emit_all(struct sg_inputs_writer *w, struct sg_model *m)
{
	struct sg_where where = { "/data/export/opportunities.csv", 7 };
	struct sg_rec_opportunity o = {
		"006A", "Acme renewal", "default", "proposal", "u1",
		"1200.50", "EUR", T0 + 86400, -86400, SG_TIME_NONE,
		"commit", "Call the CFO", extras, 2
	};
	struct sg_rec_stage_event e = {
		"006A", "discovery", "proposal", T0, "u1", "crm"
	};
	struct sg_rec_field_change c = {
		"006A", "amount", "1000", "1200.50", T0 + 60
	};
	struct sg_rec_activity a = {
		"act1", "006A", SG_ACT_MEETING, SG_PARTY_BUYER, T0 - 3600,
		"buyer@acme.example", ""
	};
	struct sg_rec_evidence v = {
		"006A", "pain_confirmed", "yes", SG_PARTY_BUYER, T0 - 7200,
		"mail-42"
	};
	struct sg_rec_owner u = { "u1", "Ana", "ana@x.example", "m1", "EMEA" };
	struct sg_rec_snapshot snap = { T0 + 3600, "crm export" };

	ck_assert_int_eq(sg_inputs_add_opportunity(w, 0, &o, &where, &err),
			 SG_OK);
	ck_assert_int_eq(sg_inputs_add_stage_event(w, 0, &e, &where, &err),
			 SG_OK);
	ck_assert_int_eq(sg_inputs_add_field_change(w, 0, &c, NULL, &err),
			 SG_OK);
	ck_assert_int_eq(sg_inputs_add_activity(w, 0, &a, &where, &err),
			 SG_OK);
	ck_assert_int_eq(sg_inputs_add_evidence(w, 0, &v, &where, &err),
			 SG_OK);
	ck_assert_int_eq(sg_inputs_add_owner(w, 0, &u, &where, &err), SG_OK);
	ck_assert_int_eq(sg_inputs_add_snapshot(w, 0, &snap, &err), SG_OK);
	if (m == NULL)
		return;
	ck_assert_int_eq(sg_model_add_opportunity(m, &o, &where, &err), SG_OK);
	ck_assert_int_eq(sg_model_add_stage_event(m, &e, &where, &err), SG_OK);
	ck_assert_int_eq(sg_model_add_field_change(m, &c, NULL, &err), SG_OK);
	ck_assert_int_eq(sg_model_add_activity(m, &a, &where, &err), SG_OK);
	ck_assert_int_eq(sg_model_add_evidence(m, &v, &where, &err), SG_OK);
	ck_assert_int_eq(sg_model_add_owner(m, &u, &where, &err), SG_OK);
	ck_assert_int_eq(sg_model_set_snapshot(m, &snap, &err), SG_OK);
}

static struct sg_model *replay(const struct stored *s)
{
	struct sg_model *m;
	size_t i;

	ck_assert_int_eq(sg_model_new(&m, config, &err), SG_OK);
	for (i = 0; i < s->count; i++) {
		ck_assert_int_eq(sg_model_set_parts(m, s->chunks[i].part + 1,
						    &err), SG_OK);
		ck_assert_msg(sg_inputs_replay_chunk(m, s->chunks[i].part,
						     s->chunks[i].data,
						     s->chunks[i].size,
						     s->chunks[i].sha256,
						     &err) == SG_OK,
			      "%s", err.message);
	}
	ck_assert_int_eq(sg_model_finish(m, &err), SG_OK);
	return m;
}

START_TEST(test_round_trip)
{
	struct stored s = { .count = 0 };
	struct sg_inputs_writer *w;
	struct sg_model *direct, *back;
	struct sg_model_view a, b;
	const struct sg_opportunity *o;
	char scratch[SG_TIME_ISO_SIZE + 16];

	ck_assert_int_eq(sg_model_new(&direct, config, &err), SG_OK);
	ck_assert_int_eq(sg_inputs_writer_new(&w, store, &s, &err), SG_OK);
	emit_all(w, direct);
	ck_assert_int_eq(sg_inputs_writer_finish(w, &err), SG_OK);
	ck_assert_int_eq(sg_model_finish(direct, &err), SG_OK);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_uint_eq(s.chunks[0].records, 7);
	back = replay(&s);
	sg_model_view(direct, &a);
	sg_model_view(back, &b);
	ck_assert_uint_eq(b.opp_count, 1);
	ck_assert_uint_eq(b.event_count, a.event_count);
	ck_assert_uint_eq(b.change_count, 1);
	ck_assert_uint_eq(b.activity_count, 1);
	ck_assert_uint_eq(b.evidence_count, 1);
	ck_assert_uint_eq(b.owner_count, 1);
	ck_assert_uint_eq(b.extra_count, 2);
	ck_assert(b.snapshot_present);
	ck_assert_int_eq(b.snapshot_extracted_at, T0 + 3600);
	ck_assert_str_eq(b.snapshot_source, "crm export");
	o = &b.opps[0];
	ck_assert_str_eq(o->name, "Acme renewal");
	ck_assert_str_eq(o->amount, "1200.50");
	ck_assert_str_eq(o->next_step, "Call the CFO");
	ck_assert_int_eq(o->close_date, T0 + 86400);
	ck_assert_int_eq(o->created_at, -86400);     /* before 1970 */
	ck_assert_int_eq(o->next_step_date, SG_TIME_NONE);
	ck_assert_str_eq(sg_model_field_value(back, o, "segment", scratch),
			 "Grüße \"quoted\"");
	ck_assert_int_eq(b.activities[0].party, SG_PARTY_BUYER);
	ck_assert_int_eq(b.activities[0].occurred_at, T0 - 3600);
	ck_assert_int_eq(b.evidence[0].observed_at, T0 - 7200);
	ck_assert_int_eq(b.events[0].changed_at, T0);
	sg_model_free(direct);
	sg_model_free(back);
	sg_inputs_writer_free(w);
	stored_free(&s);
}
END_TEST

/* count stage events of opportunity "O<first+i>" into part. */
static void emit_events(struct sg_inputs_writer *w, unsigned part,
			int first, int count)
{
	struct sg_where where = { "stage_history.csv", 0 };
	char opp[32];
	int i;

	for (i = 0; i < count; i++) {
		struct sg_rec_stage_event e = {
			opp, "discovery", "proposal", T0 + first + i,
			"seller-with-a-long-name@example.com", "crm"
		};

		snprintf(opp, sizeof(opp), "O%07d", first + i);
		where.line = first + i + 2;
		ck_assert_int_eq(sg_inputs_add_stage_event(w, part, &e,
							   &where, &err),
				 SG_OK);
	}
}

/* Four stage events, the i-th from the file paths[i] names (written
 * into one buffer, as a source reusing it would). */
static void emit_from(struct sg_inputs_writer *w, const char *const *paths,
		      struct stored *out)
{
	char buf[64];
	struct sg_where where = { buf, 0 };
	struct sg_rec_stage_event e = {
		"O1", "discovery", "proposal", T0, "u1", "crm"
	};
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(buf, sizeof(buf), "%s", paths[i]);
		where.line = i + 2;
		e.changed_at = T0 + i;
		ck_assert_int_eq(sg_inputs_add_stage_event(w, 0, &e, &where,
							   &err), SG_OK);
	}
	ck_assert_int_eq(sg_inputs_writer_finish(w, &err), SG_OK);
	sg_inputs_writer_free(w);
	ck_assert_uint_eq(out->count, 1);
}

/* A chunk names the file of its records, not its folder, and follows a
 * change of file even when the source reuses the same buffer. */
START_TEST(test_chunk_names_files)
{
	static const char *const moved[] = {
		"/x/a/stage_history.csv", "/x/a/stage_history.csv",
		"/x/b/stage_history.csv", "/x/b/other.csv",
	};
	static const char *const plain[] = {
		"stage_history.csv", "stage_history.csv",
		"stage_history.csv", "other.csv",
	};
	static const char *const one[] = {
		"stage_history.csv", "stage_history.csv",
		"stage_history.csv", "stage_history.csv",
	};
	struct stored a = { .count = 0 }, b = { .count = 0 },
		      c = { .count = 0 };
	struct sg_inputs_writer *w;

	ck_assert_int_eq(sg_inputs_writer_new(&w, store, &a, &err), SG_OK);
	emit_from(w, moved, &a);
	ck_assert_int_eq(sg_inputs_writer_new(&w, store, &b, &err), SG_OK);
	emit_from(w, plain, &b);
	ck_assert_int_eq(sg_inputs_writer_new(&w, store, &c, &err), SG_OK);
	emit_from(w, one, &c);
	ck_assert_str_eq(a.chunks[0].sha256, b.chunks[0].sha256);
	ck_assert_str_ne(a.chunks[0].sha256, c.chunks[0].sha256);
	/* One file name more: a PATH record of "other.csv" more. */
	ck_assert_uint_eq(a.chunks[0].raw_size,
			  c.chunks[0].raw_size + 1 + 1 + strlen("other.csv"));
	stored_free(&a);
	stored_free(&b);
	stored_free(&c);
}
END_TEST

static int chunk_known(const struct stored *s, const char *sha256)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		if (strcmp(s->chunks[i].sha256, sha256) == 0)
			return 1;
	return 0;
}

/* Records before a chunk changed: the chunks after the change are the
 * same, so the ledger stores them once. */
START_TEST(test_chunks_cut_by_content)
{
	struct stored a = { .count = 0 }, b = { .count = 0 };
	struct sg_inputs_writer *w;
	size_t i, same = 0;

	ck_assert_int_eq(sg_inputs_writer_new(&w, store, &a, &err), SG_OK);
	emit_events(w, 0, 0, 60000);
	ck_assert_int_eq(sg_inputs_writer_finish(w, &err), SG_OK);
	sg_inputs_writer_free(w);
	ck_assert_uint_ge(a.count, 3);
	for (i = 0; i < a.count; i++) {
		ck_assert_uint_le(a.chunks[i].raw_size, SG_INPUTS_CHUNK_MAX +
				  1024);
		ck_assert_uint_eq(a.chunks[i].seq, i);
		ck_assert_uint_lt(a.chunks[i].size, a.chunks[i].raw_size);
	}
	/* The same records with one more in front. */
	ck_assert_int_eq(sg_inputs_writer_new(&w, store, &b, &err), SG_OK);
	emit_events(w, 0, -1, 1);
	emit_events(w, 0, 0, 60000);
	ck_assert_int_eq(sg_inputs_writer_finish(w, &err), SG_OK);
	sg_inputs_writer_free(w);
	for (i = 0; i < b.count; i++)
		same += chunk_known(&a, b.chunks[i].sha256);
	ck_assert_uint_ge(same, a.count - 2);
	stored_free(&a);
	stored_free(&b);
}
END_TEST

/* sg_inputs_known_fn: never known (the digests are still computed). */
static int known_none(void *arg, const char *raw_sha256, size_t raw_size,
		      char sha256[65], size_t *size)
{
	(void)arg;
	(void)raw_size;
	(void)sha256;
	(void)size;
	ck_assert_uint_eq(strlen(raw_sha256), 64);
	return 0;
}

/* sg_inputs_known_fn: the chunks of an earlier writer, by their records'
 * digest. */
static int known_earlier(void *arg, const char *raw_sha256, size_t raw_size,
			 char sha256[65], size_t *size)
{
	const struct stored *s = arg;
	size_t i;

	for (i = 0; i < s->count; i++) {
		if (strcmp(s->chunks[i].raw_sha256, raw_sha256) == 0) {
			ck_assert_uint_eq(s->chunks[i].raw_size, raw_size);
			memcpy(sha256, s->chunks[i].sha256, 65);
			*size = s->chunks[i].size;
			return 1;
		}
	}
	return 0;
}

/* Records the store holds already are handed over as stored, under the
 * chunk's own SHA-256, without being compressed again; the others are
 * compressed as before. */
START_TEST(test_known_chunks_not_compressed)
{
	struct stored a = { .count = 0 }, b = { .count = 0 };
	struct sg_inputs_totals t;
	struct sg_inputs_writer *w;
	size_t i, stored = 0;

	ck_assert_int_eq(sg_inputs_writer_new(&w, store, &a, &err), SG_OK);
	sg_inputs_writer_known(w, known_none, NULL);
	emit_events(w, 0, 0, 60000);
	ck_assert_int_eq(sg_inputs_writer_finish(w, &err), SG_OK);
	sg_inputs_writer_totals(w, &t);
	sg_inputs_writer_free(w);
	ck_assert_uint_ge(a.count, 3);
	ck_assert_uint_eq(t.stored_before, 0);
	for (i = 0; i < a.count; i++)
		ck_assert_int_eq(a.chunks[i].stored, 0);
	/* One more record in front: the chunks after it are held. */
	ck_assert_int_eq(sg_inputs_writer_new(&w, store, &b, &err), SG_OK);
	sg_inputs_writer_known(w, known_earlier, &a);
	emit_events(w, 0, -1, 1);
	emit_events(w, 0, 0, 60000);
	ck_assert_int_eq(sg_inputs_writer_finish(w, &err), SG_OK);
	sg_inputs_writer_totals(w, &t);
	sg_inputs_writer_free(w);
	for (i = 0; i < b.count; i++) {
		if (!b.chunks[i].stored)
			continue;
		stored++;
		ck_assert_int_eq(chunk_known(&a, b.chunks[i].sha256), 1);
	}
	ck_assert_uint_ge(stored, a.count - 2);
	ck_assert_uint_lt(stored, b.count);
	ck_assert_uint_eq(t.stored_before, stored);
	stored_free(&a);
	stored_free(&b);
}
END_TEST

/* Each part's records replay into that part, in order. */
START_TEST(test_parts)
{
	struct stored s = { .count = 0 };
	struct sg_inputs_writer *w;
	struct sg_model *m;
	struct sg_model_view v;

	ck_assert_int_eq(sg_inputs_writer_new(&w, store, &s, &err), SG_OK);
	ck_assert_int_eq(sg_inputs_writer_parts(w, 3, &err), SG_OK);
	emit_events(w, 2, 100, 3);
	emit_events(w, 1, 0, 3);
	ck_assert_int_eq(sg_inputs_add_stage_event(w, 3, NULL, NULL, &err),
			 SG_ERR_INTERNAL);
	ck_assert_int_eq(sg_inputs_writer_finish(w, &err), SG_OK);
	ck_assert_uint_eq(s.count, 2);
	/* Stored in the order each part was finished: 0 (empty), 1, 2. */
	ck_assert_uint_eq(s.chunks[0].part, 1);
	ck_assert_uint_eq(s.chunks[1].part, 2);
	m = replay(&s);
	sg_model_view(m, &v);
	/* Orphans: no opportunity was emitted. */
	ck_assert_uint_eq(v.orphan_records, 6);
	sg_model_free(m);
	sg_inputs_writer_free(w);
	stored_free(&s);
}
END_TEST

START_TEST(test_damaged_chunk_refused)
{
	struct stored s = { .count = 0 };
	struct sg_inputs_writer *w;
	struct sg_model *m;
	unsigned char *data;
	char sha[65];

	ck_assert_int_eq(sg_inputs_writer_new(&w, store, &s, &err), SG_OK);
	emit_all(w, NULL);
	ck_assert_int_eq(sg_inputs_writer_finish(w, &err), SG_OK);
	ck_assert_int_eq(sg_model_new(&m, config, &err), SG_OK);
	/* Another chunk's SHA-256. */
	memcpy(sha, s.chunks[0].sha256, sizeof(sha));
	sha[0] = sha[0] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(sg_inputs_replay_chunk(m, 0, s.chunks[0].data,
						s.chunks[0].size, sha, &err),
			 SG_ERR_LEDGER);
	ck_assert_ptr_nonnull(strstr(err.message, "SHA-256"));
	/* Not zstd at all. */
	ck_assert_int_eq(sg_inputs_replay_chunk(m, 0, "not a chunk", 11,
						NULL, &err), SG_ERR_LEDGER);
	ck_assert_ptr_nonnull(strstr(err.message, "--source"));
	/* A flipped byte inside the compressed data. */
	data = (unsigned char *)s.chunks[0].data;
	data[s.chunks[0].size / 2] ^= 0x55;
	ck_assert_int_eq(sg_inputs_replay_chunk(m, 0, data, s.chunks[0].size,
						s.chunks[0].sha256, &err),
			 SG_ERR_LEDGER);
	sg_model_free(m);
	sg_inputs_writer_free(w);
	stored_free(&s);
}
END_TEST

static Suite *inputs_suite(void)
{
	Suite *s = suite_create("inputs");
	TCase *tc = tcase_create("inputs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_chunks_cut_by_content);
	tcase_add_test(tc, test_chunk_names_files);
	tcase_add_test(tc, test_known_chunks_not_compressed);
	tcase_add_test(tc, test_parts);
	tcase_add_test(tc, test_damaged_chunk_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sg_test_run(inputs_suite());
}
