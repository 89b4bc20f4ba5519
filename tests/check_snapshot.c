/*
 * check_snapshot.c - what the connectors share (core/connector): the
 * snapshot folder written record by record and put in place whole; a
 * pull that stops keeps its folder with a checkpoint, which the next
 * takes up with the files cut back to it, unless its settings differ;
 * a folder replayed through the host, a record kept or left by the
 * connector's choice; a review task's body and the task sinks' batches
 * (sg_tasks.c).
 *
 * Run one case with CK_RUN_SUITE=snapshot CK_RUN_CASE=folder.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sg_replay.h"
#include "sg_snapshot.h"
#include "sg_credentials.h"
#include "sg_tasks.h"

static char base[64], dir[128];

static void setup(void)
{
	strcpy(base, "/tmp/check_snapshot.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(dir, sizeof(dir), "%s/snap", base);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	ck_assert_int_eq(system(cmd), 0);
}

static struct sg_snapshot *start(const char *settings, int may_resume)
{
	static const char *const extras[] = { "segment" };
	struct sg_snapshot_spec spec = { dir, "test", 1795000000, extras, 1,
					 settings, may_resume };
	struct sg_snapshot *snap = NULL;
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_msg(sg_snapshot_start(&snap, &spec, &err) == SG_OK, "%s",
		      err.message);
	return snap;
}

static void put_deal(struct sg_snapshot *snap, const char *id)
{
	const struct sg_field extra[] = { { "segment", "smb" } };
	struct sg_rec_opportunity o = { .id = id, .name = "n", .pipeline = "p",
		.stage = "s", .owner_id = "", .amount = "1", .currency = "",
		.close_date = SG_TIME_NONE, .created_at = SG_TIME_NONE,
		.next_step_date = SG_TIME_NONE, .forecast_category = "",
		.next_step = "", .extra = extra, .extra_count = 1 };
	struct sg_rec_stage_event e = { id, "", "s", 1795000000, "u", "" };

	sg_snapshot_opportunity(snap, &o);
	sg_snapshot_stage_event(snap, &e);
}

static long lines(const char *folder, const char *file)
{
	char path[256], buf[512];
	FILE *fp;
	long n = 0;

	snprintf(path, sizeof(path), "%s/%s", folder, file);
	fp = fopen(path, "r");
	if (fp == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), fp) != NULL)
		n++;
	fclose(fp);
	return n;
}

START_TEST(test_commit)
{
	struct sg_snapshot *snap = start("s1", 1);
	struct sg_error err;
	char *id;

	ck_assert_ptr_null(sg_snapshot_id(dir));
	put_deal(snap, "O1");
	put_deal(snap, "O2");
	ck_assert_int_eq(sg_snapshot_commit(snap, &err), SG_OK);
	id = sg_snapshot_id(dir);
	ck_assert_ptr_nonnull(id);
	ck_assert_str_eq(id, sg_snapshot_pull_id(snap));
	free(id);
	sg_snapshot_free(snap);
	ck_assert_int_eq(lines(dir, "opportunities.csv"), 3);
	ck_assert_int_eq(lines(dir, "stage_history.csv"), 3);
	ck_assert_int_eq(lines(dir, "checkpoint.json"), -1);
	ck_assert_int_eq(lines(base, "snap.partial/opportunities.csv"), -1);
}
END_TEST

/* A pull that stops without a checkpoint leaves nothing; with one, its
 * folder for the next, which goes on from the checkpoint. */
START_TEST(test_resume)
{
	struct sg_snapshot *snap = start("s1", 1);
	json_t *position = json_pack("{s:s}", "after", "page-3");
	sg_time started = 0, now = (sg_time)time(NULL);
	struct sg_error err;

	put_deal(snap, "O1");
	sg_snapshot_free(snap);
	ck_assert_int_eq(lines(base, "snap.partial/opportunities.csv"), -1);

	snap = start("s1", 1);
	ck_assert_ptr_null(sg_snapshot_resumed(snap, NULL));
	put_deal(snap, "O1");
	ck_assert_int_eq(sg_snapshot_checkpoint(snap, position, now, &err),
			 SG_OK);
	put_deal(snap, "O2");   /* a page that did not complete */
	sg_snapshot_free(snap);
	json_decref(position);

	snap = start("s1", 1);
	position = sg_snapshot_resumed(snap, &started);
	ck_assert_ptr_nonnull(position);
	ck_assert_str_eq(json_string_value(json_object_get(position, "after")),
			 "page-3");
	ck_assert_int_eq(started, now);
	ck_assert_int_eq(lines(sg_snapshot_folder(snap), "opportunities.csv"),
			 2);
	put_deal(snap, "O3");
	ck_assert_int_eq(sg_snapshot_commit(snap, &err), SG_OK);
	sg_snapshot_free(snap);
	ck_assert_int_eq(lines(dir, "opportunities.csv"), 3);

	/* Other settings, or an incremental pull: a fresh folder. */
	snap = start("s1", 1);
	position = json_object();
	sg_snapshot_checkpoint(snap, position, now, &err);
	json_decref(position);
	sg_snapshot_free(snap);
	snap = start("s2", 1);
	ck_assert_ptr_null(sg_snapshot_resumed(snap, NULL));
	sg_snapshot_free(snap);
	snap = start("s1", 0);
	ck_assert_ptr_null(sg_snapshot_resumed(snap, NULL));
	sg_snapshot_free(snap);

	/* A checkpoint over a day old: read again from the start. */
	snap = start("s1", 1);
	position = json_object();
	sg_snapshot_checkpoint(snap, position, now - 2 * 86400, &err);
	json_decref(position);
	sg_snapshot_free(snap);
	snap = start("s1", 1);
	ck_assert_ptr_null(sg_snapshot_resumed(snap, NULL));
	sg_snapshot_free(snap);
}
END_TEST

/* --- Replay through a host that counts what it is given. --- */

static int opportunities, events;

static int count_opportunity(void *ctx, const struct sg_rec_opportunity *r,
			     const struct sg_where *w, struct sg_error *err)
{
	(void)ctx;
	(void)w;
	(void)err;
	ck_assert_str_eq(r->extra[0].value, "smb");
	opportunities++;
	return SG_OK;
}

static int count_event(void *ctx, const struct sg_rec_stage_event *r,
		       const struct sg_where *w, struct sg_error *err)
{
	(void)ctx;
	(void)r;
	(void)err;
	ck_assert_str_eq(w->path, "stage_history.csv");
	events++;
	return SG_OK;
}

static int ignore_change(void *ctx, const struct sg_rec_field_change *r,
			 const struct sg_where *w, struct sg_error *err)
{
	(void)ctx, (void)r, (void)w, (void)err;
	return SG_OK;
}

static int ignore_activity(void *ctx, const struct sg_rec_activity *r,
			   const struct sg_where *w, struct sg_error *err)
{
	(void)ctx, (void)r, (void)w, (void)err;
	return SG_OK;
}

static int ignore_evidence(void *ctx, const struct sg_rec_evidence *r,
			   const struct sg_where *w, struct sg_error *err)
{
	(void)ctx, (void)r, (void)w, (void)err;
	return SG_OK;
}

/* Leaves O2 out. */
static int keep_all_but_o2(void *arg, const char *id, int is_opportunity)
{
	(void)arg;
	(void)is_opportunity;
	return strcmp(id, "O2") != 0;
}

START_TEST(test_replay)
{
	struct sg_host host;
	struct sg_snapshot *snap = start("s1", 0), *again;
	struct sg_replay *r = NULL;
	struct sg_error err;
	char old[160];
	int rc;

	put_deal(snap, "O1");
	put_deal(snap, "O2");
	put_deal(snap, "O3");
	ck_assert_int_eq(sg_snapshot_commit(snap, &err), SG_OK);
	sg_snapshot_free(snap);
	memset(&host, 0, sizeof(host));
	host.emit_opportunity = count_opportunity;
	host.emit_stage_event = count_event;
	host.emit_field_change = ignore_change;
	host.emit_activity = ignore_activity;
	host.emit_evidence = ignore_evidence;
	/* Read from a copy: the new snapshot takes the old one's place. */
	snprintf(old, sizeof(old), "%s/old", base);
	ck_assert_int_eq(rename(dir, old), 0);
	again = start("s1", 0);
	ck_assert_int_eq(sg_replay_open(&r, old, &host, again,
					keep_all_but_o2, NULL, &err), SG_OK);
	while ((rc = sg_replay_step(r, &err)) == 1)
		;
	ck_assert_msg(rc == 0, "%s", err.message);
	ck_assert_int_eq(opportunities, 2);
	ck_assert_int_eq(events, 2);
	ck_assert_uint_eq(sg_replay_count(r), 4);
	sg_replay_free(r);
	ck_assert_int_eq(sg_snapshot_commit(again, &err), SG_OK);
	sg_snapshot_free(again);
	ck_assert_int_eq(lines(dir, "opportunities.csv"), 3);
}
END_TEST


/* --- Review task bodies and batches. --- */

START_TEST(test_task_body)
{
	static const char *const missing[] = { "budget", "pain" };
	struct sg_sink_task t;
	char id[32], *body;

	memset(&t, 0, sizeof(t));
	t.exception_id = "3f9c0a1b2c3d4e5f";
	t.note = "Deal X moved without the buyer's word.";
	t.missing = missing;
	t.missing_count = 2;
	body = sg_task_body(&t);
	ck_assert_str_eq(body, "Deal X moved without the buyer's word.\n\n"
			 "Missing: budget, pain\n\n"
			 "stageguard-exception: 3f9c0a1b2c3d4e5f");
	ck_assert_int_eq(sg_task_body_exception(body, id, sizeof(id)), 1);
	ck_assert_str_eq(id, "3f9c0a1b2c3d4e5f");
	ck_assert_int_eq(sg_task_body_exception(body, id, 8), 0);
	ck_assert_int_eq(sg_task_body_exception("no mark", id, sizeof(id)), 0);
	ck_assert_int_eq(sg_task_body_exception(NULL, id, sizeof(id)), 0);
	free(body);
}
END_TEST

static int looked_up, created, batches, largest;

static int look_up(void *arg, const struct sg_sink_task *t, int *found,
		   struct sg_error *err)
{
	(void)arg;
	(void)err;
	looked_up++;
	/* The first unknown one was made after all. */
	*found = strcmp(t->exception_id, "e1") == 0;
	return SG_OK;
}

static int create(void *arg, const struct sg_sink_task *const *tasks,
		  size_t n, struct sg_error *err)
{
	(void)arg;
	(void)tasks;
	batches++;
	created += (int)n;
	largest = (int)n > largest ? (int)n : largest;
	return batches == 3 ? sg_error_set(err, SG_ERR_SINK, "refused") :
			      SG_OK;
}

START_TEST(test_task_batches)
{
	static const char *const ids[] = { "e0", "e1", "e2", "e3", "e4", "e5",
					   "e6", "e7", "e8", "e9" };
	struct sg_sink_task tasks[10];
	struct sg_sink_input input;
	struct sg_error err;
	size_t i;

	memset(tasks, 0, sizeof(tasks));
	for (i = 0; i < 10; i++)
		tasks[i].exception_id = ids[i];
	tasks[1].ref = "";      /* its create's outcome is unknown */
	tasks[2].ref = "";
	memset(&input, 0, sizeof(input));
	input.size = sizeof(input);
	input.tasks = tasks;
	input.task_count = 4;
	ck_assert_int_eq(sg_task_batches(&input, 2, look_up, create, NULL,
					 &err), SG_OK);
	ck_assert_int_eq(looked_up, 2);
	ck_assert_int_eq(created, 3);   /* e0, e2, e3: e1 was found */
	ck_assert_int_eq(batches, 2);
	ck_assert_int_eq(largest, 2);
	/* The first refusal stops the walk. */
	input.task_count = 10;
	ck_assert_int_eq(sg_task_batches(&input, 2, look_up, create, NULL,
					 &err), SG_ERR_SINK);
	ck_assert_int_eq(batches, 3);
}
END_TEST

/* --- A disposition read back, through a host that knows one task. --- */

static int decided;

static int find_ref(void *ctx, const char *ref, char *exception, size_t size,
		    struct sg_error *err)
{
	(void)ctx;
	(void)err;
	if (strcmp(ref, "T1") != 0)
		return 0;
	snprintf(exception, size, "%s", "e1");
	return 1;
}

static int decide(void *ctx, const struct sg_sink_decision *d,
		  struct sg_error *err)
{
	(void)ctx;
	ck_assert_str_eq(d->exception_id, "e1");
	ck_assert_str_eq(d->by, "crm user 7");
	ck_assert_int_eq(d->at, 1795000000);
	if (decided++ > 0)
		return sg_error_set(err, SG_ERR_REFUSED, "decided before");
	return SG_OK;
}

static void quiet(void *ctx, int level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

static int epoch_time(const char *text, sg_time *out, struct sg_error *err)
{
	if (text == NULL || strcmp(text, "bad") == 0)
		return sg_error_set(err, SG_ERR_PARSE, "not a time");
	*out = (sg_time)strtoll(text, NULL, 10);
	return SG_OK;
}

START_TEST(test_task_decide)
{
	struct sg_host host;
	struct sg_error err;
	int verdict;

	memset(&host, 0, sizeof(host));
	host.task_ref_find = find_ref;
	host.decide = decide;
	host.log = quiet;
	/* Not ours: its time is never read. */
	ck_assert_int_eq(sg_task_decide(&host, "T9", "approve", "crm user 7",
					"bad", epoch_time, &verdict, &err),
			 SG_OK);
	ck_assert_int_eq(verdict, SG_TASK_NOT_OURS);
	ck_assert_int_eq(sg_task_decide(&host, "T1", "approve", "crm user 7",
					"1795000000", epoch_time, &verdict,
					&err), SG_OK);
	ck_assert_int_eq(verdict, SG_TASK_RECORDED);
	ck_assert_int_eq(sg_task_decide(&host, "T1", "approve", "crm user 7",
					"1795000000", epoch_time, &verdict,
					&err), SG_OK);
	ck_assert_int_eq(verdict, SG_TASK_REFUSED);
	ck_assert_int_eq(sg_task_decide(&host, "T1", "approve", "crm user 7",
					"bad", epoch_time, &verdict, &err),
			 SG_ERR_PARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "task T1"));
}
END_TEST

/* --- Credentials and JSON options (sg_credentials.c). --- */

static const char *fake_getenv(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "SET") == 0)
		return "from-env";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	return NULL;
}

START_TEST(test_credentials)
{
	struct sg_host host;
	struct sg_error err;
	json_t *names = NULL;

	memset(&host, 0, sizeof(host));
	host.getenv = fake_getenv;
	ck_assert_str_eq(sg_credential(&host, "given", "SET"), "given");
	ck_assert_str_eq(sg_credential(&host, "", "SET"), "from-env");
	ck_assert_str_eq(sg_credential(&host, NULL, "SET"), "from-env");
	ck_assert_ptr_null(sg_credential(&host, NULL, "EMPTY"));
	ck_assert_ptr_null(sg_credential(&host, NULL, "UNSET"));
	ck_assert_ptr_null(sg_credential(&host, NULL, NULL));

	ck_assert_int_eq(sg_json_names("{\"a\": \"b\"}", "fields", &names,
				       &err), SG_OK);
	ck_assert_str_eq(json_string_value(json_object_get(names, "a")), "b");
	json_decref(names);
	ck_assert_int_eq(sg_json_names(NULL, "fields", &names, &err), SG_OK);
	ck_assert_uint_eq(json_object_size(names), 0);
	json_decref(names);
	ck_assert_int_eq(sg_json_names("[1]", "fields", &names, &err),
			 SG_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "fields: expected an "
				     "object"));
	json_decref(names);
	ck_assert_int_eq(sg_json_names("{\"a\": 1}", "fields", &names, &err),
			 SG_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "fields.a"));
	json_decref(names);
}
END_TEST

static Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("folder");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_commit);
	tcase_add_test(tc, test_resume);
	tcase_add_test(tc, test_replay);
	suite_add_tcase(s, tc);
	tc = tcase_create("tasks");
	tcase_add_test(tc, test_task_body);
	tcase_add_test(tc, test_task_batches);
	tcase_add_test(tc, test_task_decide);
	tcase_add_test(tc, test_credentials);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(snapshot_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
