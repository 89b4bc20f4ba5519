/*
 * check_soql.c - SOQL built by the Salesforce plugin
 * (plugins/salesforce/salesforce_soql.c): values quoted and escaped as
 * the SOQL reference says, so no config or data value can end a literal
 * (injection); field names only as identifier paths; the
 * opportunity_filter option compiled into conditions.
 *
 * Run one case with CK_RUN_SUITE=soql CK_RUN_CASE=quote.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "salesforce_int.h"
#include "sg_test_table.h"

static char *quoted(const char *text)
{
	char *buf = NULL;

	ck_assert_int_eq(salesforce_soql_quote(&buf, text), 0);
	return buf;
}

START_TEST(test_quote_escapes)
{
	static const struct { const char *in, *out; } rows[] = {
		{ "New business", "'New business'" },
		{ "", "''" },
		{ "O'Brien", "'O\\'Brien'" },
		/* The classic: a value closing the literal to add a clause. */
		{ "x' OR Name != '", "'x\\' OR Name != \\''" },
		{ "back\\slash", "'back\\\\slash'" },
		{ "a\\' OR 1=1 --", "'a\\\\\\' OR 1=1 --'" },
		{ "line\nbreak\ttab\r", "'line\\nbreak\\ttab\\r'" },
		{ "say \"hi\"", "'say \\\"hi\\\"'" },
		{ "Ünïcødé €", "'Ünïcødé €'" },
	};
	size_t i;
	int fails = 0;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = quoted(rows[i].in);

		if (strcmp(got, rows[i].out) != 0)
			fails += row_fail("%s: got %s, expected %s",
					  rows[i].in, got, rows[i].out);
		free(got);
	}
	TABLE_DONE(fails, sizeof(rows) / sizeof(rows[0]));
}
END_TEST

/* A control character SOQL has no escape for is refused, not changed. */
START_TEST(test_quote_refuses_control)
{
	char *buf = NULL;

	ck_assert_int_eq(salesforce_soql_quote(&buf, "bell\a"), -2);
	free(buf);
	buf = NULL;
	ck_assert_int_eq(salesforce_soql_quote(&buf, "del\x7f"), -2);
	free(buf);
}
END_TEST

START_TEST(test_field_names)
{
	ck_assert(salesforce_soql_is_field("StageName"));
	ck_assert(salesforce_soql_is_field("RecordType.Name"));
	ck_assert(salesforce_soql_is_field("Region__c"));
	ck_assert(!salesforce_soql_is_field(""));
	ck_assert(!salesforce_soql_is_field(NULL));
	ck_assert(!salesforce_soql_is_field("1Field"));
	ck_assert(!salesforce_soql_is_field("Name = 'x' OR Id"));
	ck_assert(!salesforce_soql_is_field("Name)"));
	ck_assert(!salesforce_soql_is_field("RecordType."));
	ck_assert(!salesforce_soql_is_field("a..b"));
}
END_TEST

static struct sg_error err;

/* The filter compiled: the conditions, or the error's message. */
static const char *compiled(const char *json, char **out, int *rc)
{
	json_t *filter = json_loads(json, 0, NULL);

	sg_error_clear(&err);
	ck_assert_ptr_nonnull(filter);
	*rc = salesforce_soql_filter(filter, out, &err);
	json_decref(filter);
	return *rc == SG_OK ? *out : err.message;
}

START_TEST(test_filter)
{
	char *out = NULL;
	int rc;

	ck_assert_str_eq(compiled("{}", &out, &rc), "");
	free(out);
	ck_assert_str_eq(compiled("{\"RecordType.Name\": \"New business\"}",
				  &out, &rc),
			 "RecordType.Name = 'New business'");
	free(out);
	ck_assert_str_eq(compiled("{\"Type\": [\"New\", \"O'Hare\"], "
				  "\"IsClosed\": false, \"Amount\": 5}",
				  &out, &rc),
			 "Type IN ('New', 'O\\'Hare') AND IsClosed = false "
			 "AND Amount = 5");
	free(out);
	out = NULL;
	compiled("{\"Name = 'x' OR Id\": \"y\"}", &out, &rc);
	ck_assert_int_eq(rc, SG_ERR_CONFIG);
	ck_assert_ptr_null(out);
	compiled("{\"Type\": []}", &out, &rc);
	ck_assert_int_eq(rc, SG_ERR_CONFIG);
	compiled("{\"Type\": {\"a\": 1}}", &out, &rc);
	ck_assert_int_eq(rc, SG_ERR_CONFIG);
	compiled("{\"Type\": \"tab\\u0007\"}", &out, &rc);
	ck_assert_int_eq(rc, SG_ERR_CONFIG);
}
END_TEST

/* A condition joins the query's own WHERE, before its ORDER BY; one
 * inside a literal is not taken for the clause. */
START_TEST(test_and_before_order)
{
	char *q;

	q = salesforce_soql_and("SELECT Id FROM Task ORDER BY Id",
				"Id >= 'T9'");
	ck_assert_str_eq(q, "SELECT Id FROM Task WHERE Id >= 'T9' ORDER BY Id");
	free(q);
	q = salesforce_soql_and("SELECT Id FROM Opportunity WHERE Name = "
				"' ORDER BY x' ORDER BY Id", "Id >= 'O6'");
	ck_assert_str_eq(q, "SELECT Id FROM Opportunity WHERE Name = "
			 "' ORDER BY x' AND Id >= 'O6' ORDER BY Id");
	free(q);
	q = salesforce_soql_and("SELECT Id FROM User", "Id >= 'U1'");
	ck_assert_str_eq(q, "SELECT Id FROM User WHERE Id >= 'U1'");
	free(q);
}
END_TEST

START_TEST(test_unordered)
{
	char *q = salesforce_soql_unordered("SELECT Id FROM OpportunityHistory "
					    "WHERE OpportunityId >= 'O2' "
					    "ORDER BY OpportunityId, Id");

	ck_assert_str_eq(q, "SELECT Id FROM OpportunityHistory WHERE "
			 "OpportunityId >= 'O2'");
	free(q);
	q = salesforce_soql_unordered("SELECT Id FROM User");
	ck_assert_str_eq(q, "SELECT Id FROM User");
	free(q);
	ck_assert_ptr_null(salesforce_soql_order("SELECT Id FROM User"));
}
END_TEST

static Suite *soql_suite(void)
{
	Suite *s = suite_create("soql");
	TCase *tc = tcase_create("quote");

	tcase_add_test(tc, test_quote_escapes);
	tcase_add_test(tc, test_quote_refuses_control);
	tcase_add_test(tc, test_field_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("filter");
	tcase_add_test(tc, test_filter);
	tcase_add_test(tc, test_and_before_order);
	tcase_add_test(tc, test_unordered);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(soql_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
