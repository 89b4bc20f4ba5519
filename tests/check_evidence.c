/*
 * check_evidence.c - the evidence files a bundle archives
 * (core/sg_evidence.c): the file list, the exact contents of the
 * normalized inputs, tasks, notes and exceptions, the redaction of secret
 * options, byte-identical output from the same inputs, the csv source
 * reading inputs/ back to the same model, and every refusal.
 *
 * The model is the fixture tests/fixtures/cli/basic pulled through the
 * real csv plugin (found in the build tree); the secret option belongs to
 * the test plugin testsrc (tests/plugins/.libs).  Each test works in its
 * own mkdtemp folder.  Run one case with CK_RUN_CASE=write.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sg_config.h"
#include "sg_evidence.h"
#include "sg_hash.h"
#include "sg_host.h"
#include "sg_ledger.h"
#include "sg_test_ledger.h"
#include "sg_loader.h"
#include "sg_model.h"
#include "sg_review.h"
#include "sg_source.h"
#include "sg_test.h"
#include "sg_test_model.h"

#ifndef SG_SOURCE_DIR
#define SG_SOURCE_DIR "."
#endif

/* 2026-11-02T00:00:00Z */
#define AS_OF ((sg_time)1793577600)
#define HOUR ((sg_time)3600)
#define DAY ((sg_time)86400)

#define ID1 "abcdef0123456789"
#define ID2 "0123456789abcdef"

static char tmpdir[256];

static void setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_evidence.XXXXXX",
		 base && base[0] ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "check_evidence: could not remove %s\n",
			tmpdir);
}

static const char *in_tmp(const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", tmpdir, rel);
	return buf;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");

	ck_assert_msg(fp != NULL, "cannot write %s", path);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static char *out_file(const char *dir, const char *name)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return slurp(path);
}

/* The bytes of the listed file name. */
static char *listed_text(const struct sg_evidence_files *ev, const char *name)
{
	const struct sg_sink_file *f = NULL;
	size_t i;

	for (i = 0; i < ev->file_count; i++)
		if (strcmp(ev->files[i].name, name) == 0)
			f = &ev->files[i];
	ck_assert_msg(f != NULL, "%s is not listed", name);
	ck_assert_int_eq(f->slice, 0);
	return slurp(f->path);
}

/* The rules of tests/fixtures/cli/basic, with sections for three
 * plugins: csv (no secret), testsrc (a secret token) and one no
 * registry knows (every value withheld). */
static const char cfg_head[] =
	"{\n"
	"  \"pipeline\": {\"id\": \"default\", \"label\": \"New business\"},\n"
	"  \"stages\": [\n"
	"    {\"id\": \"discovery\", \"max_age_days\": 14,"
	" \"forecast_category\": \"pipeline\", \"exit_criteria\": [\"pain\"],"
	" \"required_fields\": [\"amount\"]},\n"
	"    {\"id\": \"qualification\", \"max_age_days\": 21,"
	" \"forecast_category\": \"pipeline\","
	" \"exit_criteria\": [\"budget\"],"
	" \"required_fields\": [\"amount\", \"close_date\"]},\n"
	"    {\"id\": \"proposal\", \"max_age_days\": 21.5,"
	" \"forecast_category\": \"best_case\","
	" \"exit_criteria\": [\"success\"]},\n"
	"    {\"id\": \"closed_won\", \"closed\": true, \"won\": true},\n"
	"    {\"id\": \"closed_lost\", \"closed\": true,"
	" \"enter_from_any\": true}\n"
	"  ],\n"
	"  \"criteria\": {\"pain\": {}, \"budget\": {\"max_age_days\": 180},"
	" \"success\": {\"buyer_only\": false}},\n"
	"  \"placeholders\": [\"tbd\", \"n/a\"%s],\n"
	"  \"review\": {\"sla_hours\": 48,"
	" \"default_assignee\": \"revops\"},\n"
	"  %s\n"
	"  \"ledger\": \"ledger.db\",\n"
	"  \"sources\": {\n"
	"    \"testsrc\": {\"token\": \"s3cret-t0ken\", \"label\": \"lbl\"},\n"
	"    \"mystery\": {\"api_key\": \"k3y-value\", \"region\": \"eu\"},\n"
	"    \"csv\": {\"dir\": \"%s\"}\n"
	"  },\n"
	"  \"sinks\": {\"elsewhere\": {\"out\": \"x.tar.gz\"}}\n"
	"}\n";

struct world {
	struct sg_config *cfg;
	struct sg_registry *reg;
	struct sg_model *model;
	struct sg_ledger *ledger;
	char run_id[33];
};

static void load_config(struct world *w, const char *extra_placeholder,
			int pilot)
{
	char path[512], data[512], text[8192];
	struct sg_error err;

	sg_test_src_path("tests/fixtures/cli/basic/data", data, sizeof(data));
	snprintf(text, sizeof(text), cfg_head, extra_placeholder, pilot ?
		 "\"pilot\": {\"start\": \"2026-11-01\", \"days\": 30,"
		 " \"baseline_days\": 90}," : "", data);
	write_file(in_tmp("stageguard.json", path, sizeof(path)), text);
	sg_error_clear(&err);
	ck_assert_msg(sg_config_load(&w->cfg, path, &err) == SG_OK,
		      "config: %s", err.message);
}

static void open_registry(struct world *w)
{
	struct sg_error err;
	char dir[512];

	sg_error_clear(&err);
	ck_assert_int_eq(sg_registry_open(&w->reg, sg_test_build_path(
						  "tests/plugins/.libs", dir,
						  sizeof(dir)), &err), SG_OK);
}

/* Pulls the csv source (arg NULL: the config's folder) into a model. */
static struct sg_model *pull_model(struct world *w, const char *arg)
{
	struct sg_pull_options opts;
	struct sg_model *m = NULL;
	struct sg_error err;

	memset(&opts, 0, sizeof(opts));
	opts.name = "csv";
	opts.arg = arg;
	opts.quiet = 1;
	sg_error_clear(&err);
	ck_assert_int_eq(sg_model_new(&m, w->cfg, &err), SG_OK);
	ck_assert_msg(sg_source_pull(m, w->cfg, w->reg, &opts, &err) == SG_OK,
		      "pull: %s", err.message);
	ck_assert_int_eq(sg_model_finish(m, &err), SG_OK);
	return m;
}

static json_t *make_ex(const char *id, const char *type, const char *verdict,
		       const char *opp, const char *from, const char *to,
		       const char *note)
{
	char ev[SG_TIME_ISO_SIZE], det[SG_TIME_ISO_SIZE];
	char due[SG_TIME_ISO_SIZE];
	json_t *obj;

	obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s,"
			" s:s, s:s, s:s?}",
			"id", id, "type", type, "verdict", verdict,
			"opportunity_id", opp, "owner_id", "u1",
			"assignee", "m1", "from_stage", from, "to_stage", to,
			"event_at", sg_time_format_iso(AS_OF - 3 * DAY, ev),
			"detected_at", sg_time_format_iso(AS_OF, det),
			"due_at", sg_time_format_iso(AS_OF + 2 * DAY, due),
			"note", note);
	ck_assert_ptr_nonnull(obj);
	return obj;
}

/* Records one run of two exceptions and decides the first. */
static void record(struct world *w)
{
	struct sg_ledger_exception list[2];
	struct sg_review_decision d;
	struct sg_run_record run;
	struct sg_error err;
	char path[512];

	list[0].json = make_ex(ID1, "missing_evidence", "block", "O2",
			       "discovery", "qualification",
			       "Moved without \"budget\", from the buyer.\n"
			       "Ask the owner.");
	list[1].json = make_ex(ID2, "stage_age", "flag", "O3", NULL, NULL,
			       NULL);
	sg_error_clear(&err);
	ck_assert_int_eq(sg_ledger_open(&w->ledger, in_tmp("ledger.db", path,
							   sizeof(path)),
					&err), SG_OK);
	memset(&run, 0, sizeof(run));
	run.as_of = AS_OF;
	run.started_at = AS_OF + 60;
	run.finished_at = AS_OF + 120;
	run.since = SG_TIME_NONE;
	run.source = "csv";
	run.snapshot_at = AS_OF - HOUR;
	run.config_sha256 = w->cfg->text_sha256;
	run.tool_version = "test";
	run.opportunities = 4;
	run.evaluated = 4;
	ck_assert_msg(sg_test_record_run(w->ledger, &run, list, 2, NULL,
					   &err) == SG_OK, "record: %s",
		      err.message);
	json_decref(list[0].json);
	json_decref(list[1].json);
	memcpy(w->run_id, run.id, sizeof(w->run_id));
	memset(&d, 0, sizeof(d));
	d.exception_id = ID1;
	d.disposition = SG_DISP_APPROVE;
	d.by = "m1";
	d.note = "ok, \"fine\"";
	d.at = AS_OF + HOUR;
	d.source = "cli";
	d.recorded_at = AS_OF + 2 * HOUR;
	ck_assert_msg(sg_review_decide(w->ledger, &d, &err) == SG_OK,
		      "decide: %s", err.message);
}

static void world_up(struct world *w)
{
	memset(w, 0, sizeof(*w));
	load_config(w, "", 1);
	open_registry(w);
	w->model = pull_model(w, NULL);
	record(w);
}

static void world_down(struct world *w)
{
	sg_ledger_close(w->ledger);
	sg_model_free(w->model);
	sg_registry_free(w->reg);
	sg_config_free(w->cfg);
}

static void inputs_of(struct world *w, const struct sg_model *m,
		      struct sg_evidence_inputs *in)
{
	memset(in, 0, sizeof(*in));
	in->config = w->cfg;
	in->registry = w->reg;
	in->ledger = w->ledger;
	in->model = m;
	in->as_of = AS_OF;
	in->tool_version = "9.9";
}

/* Writes the evidence of m into tmpdir/sub (created), with a workbook
 * written by "the caller" as an extra file. */
static void write_evidence(struct world *w, const struct sg_model *m,
			   const char *sub, struct sg_evidence_files *ev)
{
	struct sg_evidence_inputs in;
	struct sg_sink_file extra = { .name = NULL };
	struct sg_error err;
	char dir[512], book[600];

	ck_assert_int_eq(mkdir(in_tmp(sub, dir, sizeof(dir)), 0777), 0);
	snprintf(book, sizeof(book), "%s/report.xlsx", dir);
	write_file(book, "not really a workbook\n");
	extra.name = "report.xlsx";
	extra.path = book;
	inputs_of(w, m, &in);
	sg_error_clear(&err);
	ck_assert_msg(sg_evidence_write(ev, dir, &in, &extra, 1, &err) ==
		      SG_OK, "evidence: %s", err.message);
}

static const char *const expected_names[] = {
	"config.json", "events.jsonl", "exceptions.jsonl",
	"inputs/activities.csv", "inputs/evidence.csv",
	"inputs/field_history.csv", "inputs/opportunities.csv",
	"inputs/owners.csv", "inputs/snapshot.json",
	"inputs/stage_history.csv", "notes.txt", "report.xlsx", "runs.csv",
	"task_history.csv", "tasks.csv"
};
#define EXPECTED_COUNT (sizeof(expected_names) / sizeof(expected_names[0]))

START_TEST(test_file_list_and_contents)
{
	struct sg_evidence_files ev;
	struct world w;
	char dir[512], want[2048];
	char *text;
	size_t i;

	world_up(&w);
	write_evidence(&w, w.model, "out", &ev);
	in_tmp("out", dir, sizeof(dir));
	ck_assert_uint_eq(ev.file_count, EXPECTED_COUNT);
	for (i = 0; i < ev.file_count; i++) {
		char path[700];

		ck_assert_str_eq(ev.files[i].name, expected_names[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, expected_names[i]);
		ck_assert_int_eq(ev.files[i].slice, 0);
		ck_assert_str_eq(ev.files[i].path, path);
		ck_assert_int_eq(access(path, R_OK), 0);
	}

	text = out_file(dir, "inputs/opportunities.csv");
	ck_assert_str_eq(text,
		"id,name,pipeline,stage,owner_id,amount,currency,close_date,"
		"forecast_category,created_at,next_step,next_step_date,"
		"segment\n"
		"O1,Clean advance,default,qualification,u1,1000,USD,"
		"2026-12-31T00:00:00Z,pipeline,2026-10-01T00:00:00Z,Demo,"
		"2026-11-25T00:00:00Z,smb\n"
		"O2,\"Missing evidence, seller only\",default,qualification,"
		"u2,"
		"2000.50,USD,2026-12-15T00:00:00Z,pipeline,"
		"2026-10-10T00:00:00Z,Call CFO,2026-11-30T00:00:00Z,smb\n"
		"O3,Skip with placeholder,default,proposal,u1,5000.00,USD,"
		"2026-12-20T00:00:00Z,best_case,2026-10-01T00:00:00Z,tbd,,"
		"enterprise\n"
		"O4,Regression,default,discovery,u1,700,EUR,"
		"2027-01-31T00:00:00Z,pipeline,2026-10-20T00:00:00Z,Workshop,"
		"2026-11-28T00:00:00Z,smb\n"
		"O5,Stale in discovery,default,discovery,u1,900,USD,"
		"2027-02-28T00:00:00Z,pipeline,2026-10-01T00:00:00Z,"
		"Follow up,2026-11-18T00:00:00Z,smb\n"
		"O6,Unknown stage,default,negotiation,,100,USD,,,"
		"2026-10-01T00:00:00Z,x,2026-12-01T00:00:00Z,smb\n"
		"O7,Won in summer,default,closed_won,u1,3000,USD,"
		"2026-07-01T00:00:00Z,closed,2026-06-01T00:00:00Z,,,smb\n"
		"O8,Other pipeline,renewals,discovery,u1,100,USD,,,"
		"2026-10-01T00:00:00Z,,,smb\n");
	free(text);
	text = out_file(dir, "inputs/owners.csv");
	ck_assert_str_eq(text, "id,name,email,manager_id,team\n"
			 "u1,Uma Seller,uma@seller.example,m1,East\n"
			 "m1,Max Manager,max@seller.example,,East\n");
	free(text);
	text = out_file(dir, "inputs/evidence.csv");
	ck_assert_str_eq(text,
		"opportunity_id,criterion,value,party,observed_at,ref\n"
		"O1,pain,present,buyer,2026-10-05T10:00:00Z,\n"
		"O3,pain,present,buyer,2026-10-02T10:00:00Z,\n"
		"O3,budget,present,buyer,2026-10-03T10:00:00Z,\n");
	free(text);
	text = out_file(dir, "inputs/activities.csv");
	ck_assert_ptr_nonnull(strstr(text,
		"id,opportunity_id,type,party,occurred_at,actor,subject\n"
		",O1,email,buyer,2026-10-06T10:00:00Z,,\n"));
	free(text);
	text = out_file(dir, "inputs/field_history.csv");
	ck_assert_str_eq(text, "opportunity_id,field,old_value,new_value,"
			 "changed_at\n");
	free(text);
	text = out_file(dir, "inputs/stage_history.csv");
	ck_assert_ptr_nonnull(strstr(text,
		"opportunity_id,from_stage,to_stage,changed_at,changed_by,"
		"source\n"
		"O1,,discovery,2026-10-01T00:00:00Z,u1,crm\n"
		"O1,discovery,qualification,2026-11-03T10:00:00Z,u1,crm\n"));
	free(text);
	text = out_file(dir, "inputs/snapshot.json");
	ck_assert_str_eq(text, "{\n  \"extracted_at\": "
			 "\"2026-11-20T06:00:00Z\",\n"
			 "  \"source\": \"hand-written fixture\"\n}\n");
	free(text);

	text = out_file(dir, "tasks.csv");
	ck_assert_str_eq(text,
		"exception_id,assignee,created_at,due_at,status,disposition,"
		"decided_by,decided_at,decision_note\n"
		ID2 ",m1,2026-11-02T00:00:00Z,2026-11-04T00:00:00Z,open,,,,\n"
		ID1 ",m1,2026-11-02T00:00:00Z,2026-11-04T00:00:00Z,closed,"
		"approve,m1,2026-11-02T01:00:00Z,\"ok, \"\"fine\"\"\"\n");
	free(text);
	text = out_file(dir, "task_history.csv");
	ck_assert_ptr_nonnull(strstr(text, "seq,exception_id,at,action,actor,"
				     "detail\n1," ID1 ",2026-11-02T01:00:00Z,"
				     "decided,m1,"));
	ck_assert_uint_eq(strchr(strchr(text, '\n') + 1, '\n') -
			  text + 1, strlen(text));
	free(text);
	text = out_file(dir, "runs.csv");
	snprintf(want, sizeof(want),
		 "id,seq,started_at,finished_at,as_of,since,source,"
		 "snapshot_at,config_sha256,tool_version,opportunities,"
		 "evaluated,paused,exceptions,new_exceptions\n"
		 "%s,1,2026-11-02T00:01:00Z,2026-11-02T00:02:00Z,"
		 "2026-11-02T00:00:00Z,,csv,2026-11-01T23:00:00Z,%s,test,"
		 "4,4,0,2,2\n", w.run_id, w.cfg->text_sha256);
	ck_assert_str_eq(text, want);
	free(text);

	/* Exceptions as recorded, by id; their notes in that order, one
	 * block each (an exception without a note has an empty one). */
	text = out_file(dir, "exceptions.jsonl");
	ck_assert(strncmp(text, "{\"id\":\"" ID2 "\"", 24) == 0);
	ck_assert_ptr_nonnull(strstr(text, "\n{\"id\":\"" ID1 "\""));
	ck_assert_ptr_nonnull(strstr(text, "\"note\":\"Moved without "
				     "\\\"budget\\\", from the buyer.\\n"
				     "Ask the owner.\"}\n"));
	free(text);
	text = listed_text(&ev, "notes.txt");
	ck_assert_str_eq(text, ID2 "  stage_age  O3\n"
			 "\n"
			 ID1 "  missing_evidence  O2\n"
			 "Moved without \"budget\", from the buyer.\n"
			 "Ask the owner.\n"
			 "\n");
	free(text);

	/* Events as `stageguard events` prints them. */
	text = out_file(dir, "events.jsonl");
	ck_assert(strncmp(text, "{\"seq\":1,\"type\":\"exception_raised\"",
			  34) == 0);
	ck_assert_ptr_nonnull(strstr(text, "\"type\":\"run_completed\""));
	ck_assert_ptr_nonnull(strstr(text,
				     "\"type\":\"disposition_recorded\""));
	free(text);
	text = out_file(dir, "report.xlsx");
	ck_assert_str_eq(text, "not really a workbook\n");
	free(text);
	sg_evidence_files_release(&ev);
	ck_assert_ptr_null(ev.files);
	ck_assert_uint_eq(ev.file_count, 0);
	sg_evidence_files_release(&ev);
	world_down(&w);
}
END_TEST

START_TEST(test_config_redacted_and_facts)
{
	struct sg_evidence_files ev;
	struct world w;
	char dir[512], path[512], hash[SG_SHA256_HEX_SIZE];
	json_t *root, *src, *facts, *snap;
	struct sg_error err;
	char *text, *again;
	size_t i;

	world_up(&w);
	write_evidence(&w, w.model, "out", &ev);
	in_tmp("out", dir, sizeof(dir));
	text = out_file(dir, "config.json");
	root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	ck_assert_ptr_nonnull(root);
	/* Keys sorted, 2-space indent, a trailing newline. */
	again = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS |
			   JSON_REAL_PRECISION(15));
	ck_assert_uint_eq(strlen(text), strlen(again) + 1);
	ck_assert(strncmp(text, again, strlen(again)) == 0);
	free(again);
	ck_assert_ptr_nonnull(strstr(text, "\"max_age_days\": 21.5\n"));
	ck_assert(strstr(text, "\"criteria\"") < strstr(text, "\"ledger\""));
	src = json_object_get(root, "sources");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
		src, "testsrc"), "token")), "<redacted>");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
		src, "testsrc"), "label")), "lbl");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
		src, "mystery"), "api_key")), "<redacted>");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
		src, "mystery"), "region")), "<redacted>");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
		json_object_get(src, "csv"), "dir")), "fixtures/cli/basic"));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
		json_object_get(root, "sinks"), "elsewhere"), "out")),
		"<redacted>");
	json_decref(root);
	free(text);
	/* No secret in any file. */
	for (i = 0; i < ev.file_count; i++) {
		text = slurp(ev.files[i].path);
		ck_assert_msg(strstr(text, "s3cret") == NULL &&
			      strstr(text, "k3y-value") == NULL,
			      "a secret in %s", ev.files[i].name);
		free(text);
	}

	facts = json_loads(ev.facts_json, JSON_REJECT_DUPLICATES, NULL);
	ck_assert_ptr_nonnull(facts);
	ck_assert_str_eq(json_string_value(json_object_get(facts, "tool")),
			 "stageguard");
	ck_assert_str_eq(json_string_value(json_object_get(facts,
		"tool_version")), "9.9");
	sg_error_clear(&err);
	ck_assert_int_eq(sg_sha256_file_hex(in_tmp("stageguard.json", path,
						   sizeof(path)), hash, &err),
			 SG_OK);
	ck_assert_str_eq(json_string_value(json_object_get(facts,
		"config_sha256")), hash);
	ck_assert_uint_eq(json_array_size(json_object_get(facts, "run_ids")),
			  1);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(
		facts, "run_ids"), 0)), w.run_id);
	ck_assert_str_eq(json_string_value(json_object_get(facts, "as_of")),
			 "2026-11-02T00:00:00Z");
	snap = json_array_get(json_object_get(facts, "snapshots"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(snap, "source")),
			 "hand-written fixture");
	ck_assert_str_eq(json_string_value(json_object_get(snap,
		"extracted_at")), "2026-11-20T06:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
		facts, "pilot"), "start")), "2026-11-01T00:00:00Z");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
		facts, "pilot"), "days")), 30);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
		facts, "pilot"), "baseline_days")), 90);
	json_decref(facts);
	sg_evidence_files_release(&ev);
	world_down(&w);
}
END_TEST

START_TEST(test_byte_identical_and_read_back)
{
	struct sg_evidence_files a, b, c;
	struct sg_model_view va, vb;
	struct sg_model *again;
	struct world w;
	char dir[512];
	char *x, *y;
	size_t i;

	world_up(&w);
	write_evidence(&w, w.model, "a", &a);
	write_evidence(&w, w.model, "b", &b);
	ck_assert_str_eq(a.facts_json, b.facts_json);
	ck_assert_uint_eq(a.file_count, b.file_count);
	for (i = 0; i < a.file_count; i++) {
		ck_assert_str_eq(a.files[i].name, b.files[i].name);
		x = slurp(a.files[i].path);
		y = slurp(b.files[i].path);
		ck_assert_msg(strcmp(x, y) == 0, "%s differs",
			      a.files[i].name);
		free(x);
		free(y);
	}

	/* The csv source reads inputs/ back to the same model ... */
	again = pull_model(&w, in_tmp("a/inputs", dir, sizeof(dir)));
	sg_model_view(w.model, &va);
	sg_model_view(again, &vb);
	ck_assert_uint_eq(vb.opp_count, va.opp_count);
	ck_assert_uint_eq(vb.event_count, va.event_count);
	ck_assert_uint_eq(vb.change_count, va.change_count);
	ck_assert_uint_eq(vb.activity_count, va.activity_count);
	ck_assert_uint_eq(vb.evidence_count, va.evidence_count);
	ck_assert_uint_eq(vb.owner_count, va.owner_count);
	ck_assert_int_eq(vb.snapshot_present, 1);
	ck_assert(vb.snapshot_extracted_at == va.snapshot_extracted_at);
	ck_assert_uint_eq(va.opp_count, 8);
	ck_assert_uint_eq(va.evidence_count, 3);
	for (i = 0; i < va.opp_count; i++) {
		ck_assert_int_eq(vb.opps[i].stage_index,
				 va.opps[i].stage_index);
		ck_assert_int_eq(vb.opps[i].in_scope, va.opps[i].in_scope);
	}
	for (i = 0; i < va.evidence_count; i++)
		ck_assert_int_eq(vb.evidence[i].value_missing,
				 va.evidence[i].value_missing);
	/* ... unchanged: its inputs are the same bytes. */
	write_evidence(&w, again, "c", &c);
	ck_assert_uint_eq(c.file_count, a.file_count);
	for (i = 0; i < a.file_count; i++) {
		if (strncmp(a.files[i].name, "inputs/", 7) != 0)
			continue;
		x = slurp(a.files[i].path);
		y = slurp(c.files[i].path);
		ck_assert_msg(strcmp(x, y) == 0, "%s differs on reading back",
			      a.files[i].name);
		free(x);
		free(y);
	}
	sg_model_free(again);
	sg_evidence_files_release(&a);
	sg_evidence_files_release(&b);
	sg_evidence_files_release(&c);
	world_down(&w);
}
END_TEST

/* In two steps: the ledger's files begun without a model, the rest
 * given one, make the files sg_evidence_write() makes; packed, a file
 * that ends within its first block stays plain; a writer freed without
 * its end waits for its thread; an end without a model is refused. */
START_TEST(test_begin_then_end)
{
	struct sg_evidence_files a, b;
	struct sg_evidence_inputs in;
	struct sg_evidence_writer *wr;
	struct sg_error err;
	struct world w;
	char dir[512];
	char *x, *y;
	size_t i, j;

	world_up(&w);
	write_evidence(&w, w.model, "a", &a);
	inputs_of(&w, NULL, &in);
	in.as_of = 0;
	in.packed = 1;
	sg_error_clear(&err);
	ck_assert_int_eq(mkdir(in_tmp("b", dir, sizeof(dir)), 0777), 0);
	ck_assert_int_eq(sg_evidence_begin(&wr, dir, &in, &err), SG_OK);
	ck_assert_int_eq(sg_evidence_end(wr, w.model, AS_OF, NULL, 0, &b,
					 &err), SG_OK);
	sg_evidence_writer_free(wr);
	ck_assert_str_eq(b.facts_json, a.facts_json);
	ck_assert_uint_eq(b.file_count + 1, a.file_count);
	for (i = 0, j = 0; i < b.file_count; i++, j++) {
		ck_assert_int_eq(b.files[i].packed, 0);
		if (strcmp(a.files[j].name, "report.xlsx") == 0)
			j++;
		ck_assert_str_eq(b.files[i].name, a.files[j].name);
		x = slurp(a.files[j].path);
		y = slurp(b.files[i].path);
		ck_assert_msg(strcmp(x, y) == 0, "%s differs",
			      a.files[j].name);
		free(x);
		free(y);
	}
	sg_evidence_files_release(&b);

	ck_assert_int_eq(mkdir(in_tmp("c", dir, sizeof(dir)), 0777), 0);
	ck_assert_int_eq(sg_evidence_begin(&wr, dir, &in, &err), SG_OK);
	sg_evidence_writer_free(wr);
	ck_assert_int_eq(mkdir(in_tmp("d", dir, sizeof(dir)), 0777), 0);
	ck_assert_int_eq(sg_evidence_begin(&wr, dir, &in, &err), SG_OK);
	ck_assert_int_eq(sg_evidence_end(wr, NULL, AS_OF, NULL, 0, &b, &err),
			 SG_ERR_INTERNAL);
	ck_assert_uint_eq(b.file_count, 0);
	sg_evidence_writer_free(wr);
	sg_evidence_writer_free(NULL);
	sg_evidence_files_release(&a);
	world_down(&w);
}
END_TEST

/* A hand-built model: extra fields that differ between opportunities
 * (and one named like a model field), a missing evidence value, no
 * snapshot, no pilot, and "present" as a placeholder. */
START_TEST(test_model_edges)
{
	struct sg_rec_opportunity r;
	struct sg_field x[3];
	struct sg_evidence_files ev;
	struct sg_evidence_inputs in;
	struct sg_error err;
	struct world w;
	char dir[512], path[512];
	json_t *facts;
	char *text;

	memset(&w, 0, sizeof(w));
	load_config(&w, ", \"present\"", 0);
	open_registry(&w);
	ck_assert_int_eq(sg_model_new(&w.model, w.cfg, &err), SG_OK);
	memset(&r, 0, sizeof(r));
	r.id = "A";
	r.name = "Line\nbreak";
	r.pipeline = r.owner_id = r.currency = r.forecast_category = "";
	r.next_step = r.amount = "";
	r.stage = "discovery";
	r.close_date = r.created_at = r.next_step_date = SG_TIME_NONE;
	x[0].name = "zeta";
	x[0].value = "z1";
	x[1].name = "stage";
	x[1].value = "shadowed";
	r.extra = x;
	r.extra_count = 2;
	ck_assert_int_eq(sg_model_add_opportunity(w.model, &r, NULL, &err),
			 SG_OK);
	r.id = "B";
	r.name = "b";
	x[0].name = "alpha";
	x[0].value = "a,2";
	r.extra_count = 1;
	ck_assert_int_eq(sg_model_add_opportunity(w.model, &r, NULL, &err),
			 SG_OK);
	sg_test_add_event(w.model, "A", "", "discovery", AS_OF - DAY, "u");
	sg_test_add_evidence(w.model, "A", "pain", "tbd", SG_PARTY_BUYER,
			     AS_OF - DAY);
	sg_test_add_evidence(w.model, "A", "budget", "yes",
			     SG_PARTY_UNKNOWN, AS_OF - DAY);
	sg_test_add_activity(w.model, "B", SG_PARTY_NONE, AS_OF - HOUR);
	ck_assert_int_eq(sg_model_finish(w.model, &err), SG_OK);
	ck_assert_int_eq(sg_ledger_open(&w.ledger, in_tmp("empty.db", path,
							  sizeof(path)),
					&err), SG_OK);
	inputs_of(&w, w.model, &in);
	in_tmp(".", dir, sizeof(dir));
	ck_assert_msg(sg_evidence_write(&ev, dir, &in, NULL, 0, &err) ==
		      SG_OK, "evidence: %s", err.message);
	text = out_file(dir, "inputs/opportunities.csv");
	ck_assert_str_eq(text,
		"id,name,pipeline,stage,owner_id,amount,currency,close_date,"
		"forecast_category,created_at,next_step,next_step_date,alpha,"
		"zeta\n"
		"A,\"Line\nbreak\",,discovery,,,,,,,,,,z1\n"
		"B,b,,discovery,,,,,,,,,\"a,2\",\n");
	free(text);
	text = out_file(dir, "inputs/evidence.csv");
	ck_assert_str_eq(text,
		"opportunity_id,criterion,value,party,observed_at,ref\n"
		"A,pain,,buyer,2026-11-01T00:00:00Z,\n"
		"A,budget,recorded,unknown,2026-11-01T00:00:00Z,\n");
	free(text);
	text = out_file(dir, "inputs/activities.csv");
	ck_assert_str_eq(text,
		"id,opportunity_id,type,party,occurred_at,actor,subject\n"
		",B,email,,2026-11-01T23:00:00Z,,\n");
	free(text);
	ck_assert_int_ne(access(in_tmp("inputs/snapshot.json", path,
				       sizeof(path)), F_OK), 0);
	text = out_file(dir, "exceptions.jsonl");
	ck_assert_str_eq(text, "");
	free(text);
	text = out_file(dir, "notes.txt");
	ck_assert_str_eq(text, "");
	free(text);
	text = out_file(dir, "runs.csv");
	ck_assert_ptr_null(strchr(strchr(text, '\n') + 1, '\n'));
	free(text);
	facts = json_loads(ev.facts_json, 0, NULL);
	ck_assert_ptr_nonnull(facts);
	ck_assert(json_is_null(json_object_get(facts, "pilot")));
	ck_assert_uint_eq(json_array_size(json_object_get(facts,
		"snapshots")), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(facts, "run_ids")),
			  0);
	json_decref(facts);
	ck_assert_uint_eq(ev.file_count, 13);
	sg_evidence_files_release(&ev);
	world_down(&w);
}
END_TEST

START_TEST(test_refusals)
{
	struct sg_evidence_files ev;
	struct sg_evidence_inputs in;
	struct sg_sink_file extra = { .name = NULL };
	struct sg_error err;
	struct world w;
	char dir[512], path[512];
	FILE *fp;

	world_up(&w);
	inputs_of(&w, w.model, &in);

	/* No such folder. */
	in_tmp("missing", dir, sizeof(dir));
	ck_assert_int_eq(sg_evidence_write(&ev, dir, &in, NULL, 0, &err),
			 SG_ERR_IO);
	ck_assert_str_eq(err.path, dir);
	ck_assert_ptr_null(ev.files);
	ck_assert_ptr_null(ev.facts_json);

	/* An extra file whose name leaves the folder. */
	in_tmp("out", dir, sizeof(dir));
	ck_assert_int_eq(mkdir(dir, 0777), 0);
	extra.name = "../escape.txt";
	extra.path = in_tmp("stageguard.json", path, sizeof(path));
	ck_assert_int_eq(sg_evidence_write(&ev, dir, &in, &extra, 1, &err),
			 SG_ERR_INTERNAL);
	ck_assert_ptr_nonnull(strstr(err.message, "../escape.txt"));
	ck_assert_ptr_null(ev.files);
	ck_assert_uint_eq(ev.file_count, 0);
	extra.name = "inputs//x";
	ck_assert_int_eq(sg_evidence_write(&ev, dir, &in, &extra, 1, &err),
			 SG_ERR_INTERNAL);
	extra.name = "/abs";
	ck_assert_int_eq(sg_evidence_write(&ev, dir, &in, &extra, 1, &err),
			 SG_ERR_INTERNAL);

	/* An extra file named like one written here. */
	extra.name = "config.json";
	ck_assert_int_eq(sg_evidence_write(&ev, dir, &in, &extra, 1, &err),
			 SG_ERR_INTERNAL);
	ck_assert_ptr_nonnull(strstr(err.message, "\"config.json\" is "
				     "written twice"));
	ck_assert_ptr_null(ev.files);

	/* A folder where a file goes. */
	in_tmp("out2", dir, sizeof(dir));
	ck_assert_int_eq(mkdir(dir, 0777), 0);
	ck_assert_int_eq(mkdir(in_tmp("out2/tasks.csv", path, sizeof(path)),
			       0777), 0);
	ck_assert_int_eq(sg_evidence_write(&ev, dir, &in, NULL, 0, &err),
			 SG_ERR_IO);
	ck_assert_str_eq(err.path, path);
	ck_assert_ptr_null(ev.files);

	/* A file where the inputs' folder goes: the inputs, written on a
	 * thread of their own, fail and say so.  With tasks.csv failing
	 * too, the inputs' error is the one reported: they were written
	 * before the ledger's files. */
	in_tmp("out3", dir, sizeof(dir));
	ck_assert_int_eq(mkdir(dir, 0777), 0);
	fp = fopen(in_tmp("out3/inputs", path, sizeof(path)), "wb");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	ck_assert_int_eq(sg_evidence_write(&ev, dir, &in, NULL, 0, &err),
			 SG_ERR_IO);
	ck_assert_str_eq(err.path, path);
	ck_assert_ptr_nonnull(strstr(err.message, "not a folder"));
	ck_assert_ptr_null(ev.files);
	/* The ledger's tasks.csv was written meanwhile. */
	ck_assert_int_eq(unlink(in_tmp("out3/tasks.csv", path, sizeof(path))),
			 0);
	ck_assert_int_eq(mkdir(path, 0777), 0);
	ck_assert_int_eq(sg_evidence_write(&ev, dir, &in, NULL, 0, &err),
			 SG_ERR_IO);
	ck_assert_str_eq(err.path, in_tmp("out3/inputs", path,
					  sizeof(path)));
	ck_assert_ptr_null(ev.files);

	/* The config file changed since it was loaded. */
	fp = fopen(in_tmp("stageguard.json", path, sizeof(path)), "ab");
	ck_assert_ptr_nonnull(fp);
	fputs(" ", fp);
	fclose(fp);
	ck_assert_int_eq(sg_evidence_write(&ev, in_tmp("out", dir,
							sizeof(dir)), &in,
					   NULL, 0, &err), SG_ERR_IO);
	ck_assert_str_eq(err.path, path);
	ck_assert_ptr_nonnull(strstr(err.message, "changed since"));
	ck_assert_ptr_null(ev.files);
	world_down(&w);
}
END_TEST

/* An interrupt stops the evidence: cancelled, nothing listed, the
 * writer's thread waited for.  (The request is for the whole process:
 * this case runs last, and Check forks each test.) */
START_TEST(test_cancelled)
{
	struct sg_evidence_files ev;
	struct sg_evidence_inputs in;
	struct sg_evidence_writer *wr;
	struct sg_error err;
	struct world w;
	char dir[512];

	world_up(&w);
	sg_host_request_cancel();
	inputs_of(&w, w.model, &in);
	sg_error_clear(&err);
	ck_assert_int_eq(mkdir(in_tmp("a", dir, sizeof(dir)), 0777), 0);
	ck_assert_int_eq(sg_evidence_write(&ev, dir, &in, NULL, 0, &err),
			 SG_ERR_CANCELLED);
	ck_assert_str_eq(err.message, "cancelled");
	ck_assert_uint_eq(ev.file_count, 0);
	ck_assert_ptr_null(ev.files);
	in.packed = 1;
	ck_assert_int_eq(mkdir(in_tmp("b", dir, sizeof(dir)), 0777), 0);
	ck_assert_int_eq(sg_evidence_begin(&wr, dir, &in, &err), SG_OK);
	ck_assert_int_eq(sg_evidence_end(wr, w.model, AS_OF, NULL, 0, &ev,
					 &err), SG_ERR_CANCELLED);
	sg_evidence_writer_free(wr);
	world_down(&w);
}
END_TEST

static Suite *evidence_suite(void)
{
	Suite *s = suite_create("evidence");
	TCase *tc;

	tc = tcase_create("write");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_file_list_and_contents);
	tcase_add_test(tc, test_config_redacted_and_facts);
	tcase_add_test(tc, test_byte_identical_and_read_back);
	tcase_add_test(tc, test_begin_then_end);
	tcase_add_test(tc, test_model_edges);
	suite_add_tcase(s, tc);
	tc = tcase_create("refusals");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	tc = tcase_create("cancelled");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cancelled);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sg_test_run(evidence_suite());
}
