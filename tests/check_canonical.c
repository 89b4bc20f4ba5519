/*
 * check_canonical.c - the table of the canonical CSV layout
 * (core/util/sg_canonical.c): every file's columns agree with its column
 * enum, and the lookups by kind, file and column name.
 *
 * Run one case with CK_RUN_SUITE=canonical CK_RUN_CASE=lookup; tests
 * fork unless CK_FORK=no (for a debugger).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_canonical.h"
#include "sg_canonical_records.h"
#include "sg_test_table.h"

/* What each file's column enum says: its COUNT. */
static const size_t enum_counts[SG_CANON_FILE_COUNT] = {
	[SG_CANON_OWNERS] = SG_OWNER_COL_COUNT,
	[SG_CANON_OPPORTUNITIES] = SG_OPP_COL_COUNT,
	[SG_CANON_STAGE_HISTORY] = SG_EVENT_COL_COUNT,
	[SG_CANON_FIELD_HISTORY] = SG_CHANGE_COL_COUNT,
	[SG_CANON_ACTIVITIES] = SG_ACTIVITY_COL_COUNT,
	[SG_CANON_EVIDENCE] = SG_EVIDENCE_COL_COUNT,
};

START_TEST(test_counts_match_enums)
{
	int fails = 0, k;

	for (k = 0; k < SG_CANON_FILE_COUNT; k++) {
		const struct sg_canon_file *def = sg_canonical_file(k);

		if (def->column_count != enum_counts[k])
			fails += row_fail("%s: %zu columns, the enum has %zu",
					  def->kind, def->column_count,
					  enum_counts[k]);
		if (def->column_count > SG_CANON_COLUMNS_MAX)
			fails += row_fail("%s: %zu columns, more than "
					  "SG_CANON_COLUMNS_MAX", def->kind,
					  def->column_count);
	}
	TABLE_DONE(fails, SG_CANON_FILE_COUNT);
}
END_TEST

/* An entry the table left out of its designated initializers would be a
 * NULL name. */
START_TEST(test_names_given_and_unique)
{
	int fails = 0, k;
	size_t i, j;

	for (k = 0; k < SG_CANON_FILE_COUNT; k++) {
		const struct sg_canon_file *def = sg_canonical_file(k);

		for (i = 0; i < def->column_count; i++) {
			const char *name = def->columns[i].name;

			if (name == NULL || name[0] == '\0') {
				fails += row_fail("%s: column %zu has no name",
						  def->kind, i);
				continue;
			}
			for (j = 0; j < i; j++)
				if (def->columns[j].name != NULL &&
				    strcmp(def->columns[j].name, name) == 0)
					fails += row_fail("%s: \"%s\" twice",
							  def->kind, name);
		}
	}
	TABLE_DONE(fails, SG_CANON_FILE_COUNT);
}
END_TEST

/* docs/design.md §3 and docs/csv-mapping.md: the 12 columns of
 * opportunities.csv, in this order. */
START_TEST(test_opportunity_columns)
{
	static const char *const want[] = {
		"id", "name", "pipeline", "stage", "owner_id", "amount",
		"currency", "close_date", "forecast_category", "created_at",
		"next_step", "next_step_date"
	};
	const struct sg_canon_file *def =
		sg_canonical_file(SG_CANON_OPPORTUNITIES);
	size_t i;

	ck_assert_uint_eq(def->column_count, N_ELEMS(want));
	ck_assert_uint_eq(SG_OPP_COL_COUNT, 12);
	for (i = 0; i < N_ELEMS(want); i++)
		ck_assert_str_eq(def->columns[i].name, want[i]);
	ck_assert_str_eq(def->columns[SG_OPP_AMOUNT].name, "amount");
	ck_assert_str_eq(def->columns[SG_OPP_NEXT_STEP_DATE].name,
			 "next_step_date");
}
END_TEST

/* The column enums name the columns they index. */
static const struct {
	int file;
	int col;
	const char *name;
	unsigned flags;
} named[] = {
	{SG_CANON_OWNERS, SG_OWNER_ID, "id", SG_CANON_REQUIRED},
	{SG_CANON_OWNERS, SG_OWNER_TEAM, "team", 0},
	{SG_CANON_OPPORTUNITIES, SG_OPP_STAGE, "stage",
	 SG_CANON_REQUIRED | SG_CANON_STAGE},
	{SG_CANON_OPPORTUNITIES, SG_OPP_AMOUNT, "amount", SG_CANON_AMOUNT},
	{SG_CANON_OPPORTUNITIES, SG_OPP_CLOSE_DATE, "close_date",
	 SG_CANON_TIME},
	{SG_CANON_STAGE_HISTORY, SG_EVENT_FROM_STAGE, "from_stage",
	 SG_CANON_STAGE},
	{SG_CANON_STAGE_HISTORY, SG_EVENT_CHANGED_AT, "changed_at",
	 SG_CANON_REQUIRED | SG_CANON_TIME | SG_CANON_TIME_REQ},
	{SG_CANON_STAGE_HISTORY, SG_EVENT_SOURCE, "source", 0},
	{SG_CANON_FIELD_HISTORY, SG_CHANGE_NEW_VALUE, "new_value",
	 SG_CANON_REQUIRED},
	{SG_CANON_FIELD_HISTORY, SG_CHANGE_CHANGED_AT, "changed_at",
	 SG_CANON_REQUIRED | SG_CANON_TIME | SG_CANON_TIME_REQ},
	{SG_CANON_ACTIVITIES, SG_ACTIVITY_ID, "id", 0},
	{SG_CANON_ACTIVITIES, SG_ACTIVITY_PARTY, "party", SG_CANON_REQUIRED},
	{SG_CANON_ACTIVITIES, SG_ACTIVITY_SUBJECT, "subject", 0},
	{SG_CANON_EVIDENCE, SG_EVIDENCE_CRITERION, "criterion",
	 SG_CANON_REQUIRED},
	{SG_CANON_EVIDENCE, SG_EVIDENCE_OBSERVED_AT, "observed_at",
	 SG_CANON_REQUIRED | SG_CANON_TIME | SG_CANON_TIME_REQ},
	{SG_CANON_EVIDENCE, SG_EVIDENCE_REF, "ref", 0},
};

START_TEST(test_enum_names)
{
	int fails = 0;
	size_t i;

	for (i = 0; i < N_ELEMS(named); i++) {
		const struct sg_canon_file *def =
			sg_canonical_file(named[i].file);
		const struct sg_canon_column *col;

		col = &def->columns[named[i].col];
		if (strcmp(col->name, named[i].name) != 0 ||
		    col->flags != named[i].flags)
			fails += row_fail("%s[%d]: \"%s\" 0x%x, want \"%s\" "
					  "0x%x", def->kind, named[i].col,
					  col->name, col->flags,
					  named[i].name, named[i].flags);
		if (sg_canonical_find_column(named[i].file, named[i].name) !=
		    named[i].col)
			fails += row_fail("%s: \"%s\" not found at %d",
					  def->kind, named[i].name,
					  named[i].col);
	}
	TABLE_DONE(fails, N_ELEMS(named));
}
END_TEST

/* Kind, file name and whether the file is required, in reading order. */
static const struct {
	const char *kind;
	const char *file;
	int required;
} files[SG_CANON_FILE_COUNT] = {
	{"owners", "owners.csv", 0},
	{"opportunities", "opportunities.csv", 1},
	{"stage_history", "stage_history.csv", 1},
	{"field_history", "field_history.csv", 0},
	{"activities", "activities.csv", 0},
	{"evidence", "evidence.csv", 0},
};

START_TEST(test_lookup)
{
	int fails = 0, k;

	for (k = 0; k < SG_CANON_FILE_COUNT; k++) {
		const struct sg_canon_file *def = sg_canonical_file(k);

		if (strcmp(def->kind, files[k].kind) != 0 ||
		    strcmp(def->file, files[k].file) != 0 ||
		    def->required != files[k].required)
			fails += row_fail("file %d: %s %s %d", k, def->kind,
					  def->file, def->required);
		if (sg_canonical_find_kind(files[k].kind) != k)
			fails += row_fail("kind \"%s\" not found",
					  files[k].kind);
		if (sg_canonical_find_file(files[k].file) != k)
			fails += row_fail("file \"%s\" not found",
					  files[k].file);
	}
	TABLE_DONE(fails, SG_CANON_FILE_COUNT);
}
END_TEST

START_TEST(test_lookup_unknown)
{
	ck_assert_ptr_null(sg_canonical_file(-1));
	ck_assert_ptr_null(sg_canonical_file(SG_CANON_FILE_COUNT));
	ck_assert_int_eq(sg_canonical_find_kind("deals"), -1);
	ck_assert_int_eq(sg_canonical_find_kind("owners.csv"), -1);
	ck_assert_int_eq(sg_canonical_find_kind("Owners"), -1);
	ck_assert_int_eq(sg_canonical_find_kind(""), -1);
	ck_assert_int_eq(sg_canonical_find_kind(NULL), -1);
	ck_assert_int_eq(sg_canonical_find_file("owners"), -1);
	ck_assert_int_eq(sg_canonical_find_file("Owners.csv"), -1);
	ck_assert_int_eq(sg_canonical_find_file(NULL), -1);
	ck_assert_int_eq(sg_canonical_find_column(SG_CANON_OWNERS,
						  "opportunity_id"), -1);
	ck_assert_int_eq(sg_canonical_find_column(SG_CANON_EVIDENCE, "Ref"),
			 -1);
	ck_assert_int_eq(sg_canonical_find_column(SG_CANON_EVIDENCE, NULL),
			 -1);
	ck_assert_int_eq(sg_canonical_find_column(SG_CANON_FILE_COUNT, "id"),
			 -1);
	ck_assert_int_eq(sg_canonical_find_column(-1, "id"), -1);
}
END_TEST

START_TEST(test_column_names)
{
	char buf[256], small[12];

	ck_assert_str_eq(sg_canonical_column_names(SG_CANON_OWNERS, buf,
						   sizeof(buf)),
			 "id, name, email, manager_id, team");
	ck_assert_str_eq(sg_canonical_column_names(SG_CANON_STAGE_HISTORY,
						   buf, sizeof(buf)),
			 "opportunity_id, from_stage, to_stage, changed_at, "
			 "changed_by, source");
	/* A list too long for the buffer is cut, still terminated. */
	ck_assert_str_eq(sg_canonical_column_names(SG_CANON_OWNERS, small,
						   sizeof(small)),
			 "id, name, e");
	ck_assert_str_eq(sg_canonical_column_names(-1, buf, sizeof(buf)),
			 "");
}
END_TEST


/* --- Records to rows and back (sg_canonical_records.c). --- */

static char records_dir[64];

static void records_setup(void)
{
	strcpy(records_dir, "/tmp/check_canonical.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(records_dir));
}

static void records_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", records_dir);
	ck_assert_int_eq(system(cmd), 0);
}

static FILE *records_create(int file, const char *header)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", records_dir,
		 sg_canonical_file(file)->file);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	if (header != NULL)
		fputs(header, fp);
	else
		sg_canonical_write_header(fp, file, NULL, 0);
	return fp;
}

static struct sg_canonical_reader *records_open(int file)
{
	struct sg_canonical_reader *r = NULL;
	struct sg_error err;

	sg_error_clear(&err);
	ck_assert_msg(sg_canonical_reader_open(&r, records_dir, file, &err) ==
		      SG_OK, "%s", err.message);
	return r;
}

START_TEST(test_records_opportunity_round_trip)
{
	static const char *const extras[] = { "region", "segment" };
	const struct sg_field extra[] = { { "region", "EMEA, North" },
					  { "segment", "" } };
	struct sg_rec_opportunity o = {
		.id = "o1", .name = "Acme \"big\" deal", .pipeline = "p",
		.stage = "discovery", .owner_id = "u1", .amount = "1200.50",
		.currency = "EUR", .close_date = 1765756800 /* 2025-12-15 */,
		.created_at = 1735732800, .next_step_date = SG_TIME_NONE,
		.forecast_category = "pipeline",
		.next_step = "call\nback", .extra = extra, .extra_count = 2,
	};
	struct sg_canonical_reader *r;
	struct sg_canonical_record rec;
	struct sg_error err;
	const char *const *names;
	size_t n;
	FILE *fp;

	fp = records_create(SG_CANON_OPPORTUNITIES, "");
	sg_canonical_write_header(fp, SG_CANON_OPPORTUNITIES, extras, 2);
	sg_canonical_put_opportunity(fp, &o);
	ck_assert_int_eq(fclose(fp), 0);
	r = records_open(SG_CANON_OPPORTUNITIES);
	names = sg_canonical_reader_extras(r, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(names[1], "segment");
	ck_assert_int_eq(sg_canonical_reader_next(r, &rec, &err), 1);
	ck_assert_int_eq(rec.file, SG_CANON_OPPORTUNITIES);
	ck_assert_int_eq(rec.line, 2);
	ck_assert_str_eq(rec.as.opportunity.name, o.name);
	ck_assert_str_eq(rec.as.opportunity.next_step, "call\nback");
	ck_assert_str_eq(rec.as.opportunity.amount, "1200.50");
	ck_assert_int_eq(rec.as.opportunity.close_date, o.close_date);
	ck_assert_int_eq(rec.as.opportunity.created_at, o.created_at);
	ck_assert_int_eq(rec.as.opportunity.next_step_date, SG_TIME_NONE);
	ck_assert_uint_eq(rec.as.opportunity.extra_count, 2);
	ck_assert_str_eq(rec.as.opportunity.extra[0].name, "region");
	ck_assert_str_eq(rec.as.opportunity.extra[0].value, "EMEA, North");
	ck_assert_str_eq(rec.as.opportunity.extra[1].value, "");
	ck_assert_int_eq(sg_canonical_reader_next(r, &rec, &err), 0);
	sg_canonical_reader_free(r);
}
END_TEST

START_TEST(test_records_other_kinds_round_trip)
{
	struct sg_rec_stage_event e = { "o1", "", "proposal", 1735732800,
					"77", "CRM_UI" };
	struct sg_rec_field_change c = { "o1", "amount", "10", "20",
					 1735732801 };
	struct sg_rec_activity a = { "a1", "o1", SG_ACT_MEETING,
				     SG_PARTY_BUYER, 1735732802, "x@y.z",
				     "Demo, part 2" };
	struct sg_rec_activity none = { "a2", "o1", SG_ACT_NOTE,
					SG_PARTY_NONE, 1735732803, "", "" };
	struct sg_rec_evidence v = { "o1", "pain", "yes", SG_PARTY_UNKNOWN,
				     1735732804, "doc-1" };
	struct sg_rec_owner w = { "u1", "Ann Lee", "ann@x.io", "m1", "EMEA" };
	struct sg_canonical_reader *r;
	struct sg_canonical_record rec;
	struct sg_error err;
	FILE *fp;

	fp = records_create(SG_CANON_STAGE_HISTORY, NULL);
	sg_canonical_put_stage_event(fp, &e);
	fclose(fp);
	fp = records_create(SG_CANON_FIELD_HISTORY, NULL);
	sg_canonical_put_field_change(fp, &c);
	fclose(fp);
	fp = records_create(SG_CANON_ACTIVITIES, NULL);
	sg_canonical_put_activity(fp, &a);
	sg_canonical_put_activity(fp, &none);
	fclose(fp);
	fp = records_create(SG_CANON_EVIDENCE, NULL);
	sg_canonical_put_evidence(fp, &v);
	fclose(fp);
	fp = records_create(SG_CANON_OWNERS, NULL);
	sg_canonical_put_owner(fp, &w);
	fclose(fp);

	r = records_open(SG_CANON_STAGE_HISTORY);
	ck_assert_int_eq(sg_canonical_reader_next(r, &rec, &err), 1);
	ck_assert_str_eq(rec.as.stage_event.from_stage, "");
	ck_assert_str_eq(rec.as.stage_event.to_stage, "proposal");
	ck_assert_int_eq(rec.as.stage_event.changed_at, e.changed_at);
	ck_assert_str_eq(rec.as.stage_event.source, "CRM_UI");
	sg_canonical_reader_free(r);

	r = records_open(SG_CANON_FIELD_HISTORY);
	ck_assert_int_eq(sg_canonical_reader_next(r, &rec, &err), 1);
	ck_assert_str_eq(rec.as.field_change.new_value, "20");
	ck_assert_int_eq(rec.as.field_change.changed_at, c.changed_at);
	sg_canonical_reader_free(r);

	r = records_open(SG_CANON_ACTIVITIES);
	ck_assert_int_eq(sg_canonical_reader_next(r, &rec, &err), 1);
	ck_assert_int_eq(rec.as.activity.type, SG_ACT_MEETING);
	ck_assert_int_eq(rec.as.activity.party, SG_PARTY_BUYER);
	ck_assert_str_eq(rec.as.activity.subject, "Demo, part 2");
	ck_assert_int_eq(sg_canonical_reader_next(r, &rec, &err), 1);
	ck_assert_int_eq(rec.as.activity.party, SG_PARTY_NONE);
	ck_assert_int_eq(rec.as.activity.type, SG_ACT_NOTE);
	sg_canonical_reader_free(r);

	r = records_open(SG_CANON_EVIDENCE);
	ck_assert_int_eq(sg_canonical_reader_next(r, &rec, &err), 1);
	ck_assert_int_eq(rec.as.evidence.party, SG_PARTY_UNKNOWN);
	ck_assert_str_eq(rec.as.evidence.ref, "doc-1");
	sg_canonical_reader_free(r);

	r = records_open(SG_CANON_OWNERS);
	ck_assert_int_eq(sg_canonical_reader_next(r, &rec, &err), 1);
	ck_assert_str_eq(rec.as.owner.manager_id, "m1");
	ck_assert_str_eq(rec.as.owner.team, "EMEA");
	sg_canonical_reader_free(r);
}
END_TEST

/* What the writer never writes is refused, with where. */
START_TEST(test_records_strict)
{
	struct sg_canonical_reader *r = NULL;
	struct sg_canonical_record rec;
	struct sg_error err;
	FILE *fp;

	sg_error_clear(&err);
	ck_assert_int_eq(sg_canonical_reader_open(&r, records_dir,
						  SG_CANON_EVIDENCE, &err),
			 SG_ERR_IO);
	ck_assert_ptr_null(r);

	fp = records_create(SG_CANON_STAGE_HISTORY,
			    "opportunity_id,to_stage,from_stage,changed_at,"
			    "changed_by,source\n");
	fclose(fp);
	ck_assert_int_eq(sg_canonical_reader_open(&r, records_dir,
						  SG_CANON_STAGE_HISTORY,
						  &err), SG_ERR_PARSE);
	ck_assert_int_eq(err.column, 2);
	ck_assert_ptr_nonnull(strstr(err.message, "from_stage"));

	fp = records_create(SG_CANON_FIELD_HISTORY, NULL);
	fputs("o1,amount,1,2,2025-01-01T10:00:00Z\n"
	      "o1,amount,2,3,2025-01-01 10:00\n"
	      "o1,amount,3\n", fp);
	fclose(fp);
	r = records_open(SG_CANON_FIELD_HISTORY);
	ck_assert_int_eq(sg_canonical_reader_next(r, &rec, &err), 1);
	ck_assert_int_eq(sg_canonical_reader_next(r, &rec, &err),
			 SG_ERR_PARSE);
	ck_assert_int_eq(err.line, 3);
	ck_assert_int_eq(err.column, 5);
	sg_canonical_reader_free(r);

	fp = records_create(SG_CANON_ACTIVITIES, NULL);
	fputs("a1,o1,email,customer,2025-01-01T10:00:00Z,x,y\n", fp);
	fclose(fp);
	r = records_open(SG_CANON_ACTIVITIES);
	ck_assert_int_eq(sg_canonical_reader_next(r, &rec, &err),
			 SG_ERR_PARSE);
	ck_assert_int_eq(err.column, 4);
	sg_canonical_reader_free(r);

	fp = records_create(SG_CANON_OWNERS, NULL);
	fputs("u1,Ann\n", fp);
	fclose(fp);
	r = records_open(SG_CANON_OWNERS);
	ck_assert_int_eq(sg_canonical_reader_next(r, &rec, &err),
			 SG_ERR_PARSE);
	ck_assert_int_eq(err.line, 2);
	ck_assert_ptr_nonnull(strstr(err.message, "2 fields"));
	sg_canonical_reader_free(r);
}
END_TEST

static Suite *canonical_suite(void)
{
	Suite *s = suite_create("canonical");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_test(tc, test_counts_match_enums);
	tcase_add_test(tc, test_names_given_and_unique);
	tcase_add_test(tc, test_opportunity_columns);
	tcase_add_test(tc, test_enum_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_lookup_unknown);
	tcase_add_test(tc, test_column_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("records");
	tcase_add_checked_fixture(tc, records_setup, records_teardown);
	tcase_add_test(tc, test_records_opportunity_round_trip);
	tcase_add_test(tc, test_records_other_kinds_round_trip);
	tcase_add_test(tc, test_records_strict);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(canonical_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
