/*
 * check_secrets.c - the secrets registry (core/sg_secrets.c) and the
 * records a source emits with secrets redacted (core/sg_redact.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sg_host.h"
#include "sg_redact.h"
#include "sg_secrets.h"
#include "sg_test.h"

static void teardown(void)
{
	sg_secrets_clear();
}

START_TEST(test_refusals)
{
	struct sg_error err;
	char *long_value = malloc(SG_SECRET_MAX + 2);

	ck_assert_int_eq(sg_secrets_add(NULL, &err), SG_ERR_PLUGIN);
	ck_assert_int_eq(sg_secrets_add("abc", &err), SG_ERR_PLUGIN);
	ck_assert_ptr_nonnull(strstr(err.message, "4 to"));
	memset(long_value, 'x', SG_SECRET_MAX + 1);
	long_value[SG_SECRET_MAX + 1] = '\0';
	ck_assert_int_eq(sg_secrets_add(long_value, &err), SG_ERR_PLUGIN);
	free(long_value);
	ck_assert_uint_eq(sg_secrets_count(), 0);
}
END_TEST

START_TEST(test_redacts_every_occurrence)
{
	struct sg_error err;
	char out[256];

	/* Nothing registered: a copy. */
	ck_assert_str_eq(sg_secrets_redact("Bearer abcd", out, sizeof(out)),
			 "Bearer abcd");
	ck_assert_int_eq(sg_secrets_add("abcd", &err), SG_OK);
	ck_assert_int_eq(sg_secrets_add("abcd", &err), SG_OK);
	ck_assert_uint_eq(sg_secrets_count(), 1);
	ck_assert_str_eq(sg_secrets_redact("abcd x abcdabcd", out,
					   sizeof(out)),
			 "<redacted> x <redacted><redacted>");
	ck_assert_int_eq(sg_secrets_found("..abcd..", 8), 1);
	ck_assert_int_eq(sg_secrets_found("..abc...", 8), 0);
	ck_assert_str_eq(sg_secrets_redact(NULL, out, sizeof(out)), "");
}
END_TEST

START_TEST(test_longest_and_encoded_forms)
{
	struct sg_error err;
	char out[256];

	ck_assert_int_eq(sg_secrets_add("tok-1", &err), SG_OK);
	ck_assert_int_eq(sg_secrets_add("tok-1/2 3", &err), SG_OK);
	/* "tok-1/2 3" is also registered as "tok-1%2F2%203". */
	ck_assert_uint_eq(sg_secrets_count(), 3);
	ck_assert_str_eq(sg_secrets_redact("a tok-1/2 3 b", out, sizeof(out)),
			 "a <redacted> b");
	ck_assert_str_eq(sg_secrets_redact("?t=tok-1%2F2%203&x", out,
					   sizeof(out)),
			 "?t=<redacted>&x");
}
END_TEST

/* A text cut inside a secret (a message cut by its buffer) shows no
 * part of it; a cut output never shows one either. */
START_TEST(test_cut_texts)
{
	struct sg_error err;
	char out[256], small[8];

	ck_assert_int_eq(sg_secrets_add("supersecret", &err), SG_OK);
	ck_assert_str_eq(sg_secrets_redact("token=super", out, sizeof(out)),
			 "token=<redacted>");
	ck_assert_str_eq(sg_secrets_redact("supersecret", small,
					   sizeof(small)), "<redact");
	ck_assert_str_eq(sg_secrets_redact("sup", out, sizeof(out)), "sup");
}
END_TEST

START_TEST(test_in_place_and_errors)
{
	struct sg_error err;
	char buf[32];

	ck_assert_int_eq(sg_secrets_add("s3cr3t", &err), SG_OK);
	snprintf(buf, sizeof(buf), "key s3cr3t and more text");
	sg_secrets_redact_in_place(buf, sizeof(buf));
	ck_assert_str_eq(buf, "key <redacted> and more text");
	sg_error_set_at(&err, SG_ERR_HTTP, "https://x/?k=s3cr3t", 0, 0,
			"GET https://x/?k=s3cr3t: HTTP 500");
	sg_secrets_redact_error(&err);
	ck_assert_str_eq(err.message, "GET https://x/?k=<redacted>: HTTP 500");
	ck_assert_str_eq(err.path, "https://x/?k=<redacted>");
	ck_assert_int_eq(err.code, SG_ERR_HTTP);
	sg_secrets_redact_error(NULL);
}
END_TEST

START_TEST(test_records_keep_their_pointer_without_secrets)
{
	struct sg_rec_opportunity o, copy;
	struct sg_redacted red = { 0 };

	memset(&o, 0, sizeof(o));
	o.id = "O1";
	o.name = "Acme";
	ck_assert_ptr_eq(sg_redact_opportunity(&o, &copy, &red), &o);
	sg_redacted_release(&red);
}
END_TEST

START_TEST(test_records_are_redacted)
{
	struct sg_field extra[] = { { "note", "called with tok-XYZ9" },
				    { "region", "EMEA" } };
	struct sg_rec_opportunity o, copy;
	struct sg_rec_activity a, acopy;
	struct sg_where w = { "https://crm/?t=tok-XYZ9", 3 }, wcopy;
	const struct sg_rec_opportunity *r;
	const struct sg_where *wr;
	struct sg_redacted red = { 0 };
	struct sg_error err;

	ck_assert_int_eq(sg_secrets_add("tok-XYZ9", &err), SG_OK);
	memset(&o, 0, sizeof(o));
	o.id = "O1";
	o.name = "Acme tok-XYZ9";
	o.next_step = NULL;
	o.extra = extra;
	o.extra_count = 2;
	r = sg_redact_opportunity(&o, &copy, &red);
	wr = sg_redact_where(&w, &wcopy, &red);
	ck_assert_int_eq(red.failed, 0);
	ck_assert_str_eq(r->id, "O1");
	ck_assert_ptr_eq(r->id, o.id);  /* clean texts are not copied */
	ck_assert_str_eq(r->name, "Acme <redacted>");
	ck_assert_ptr_null(r->next_step);
	ck_assert_str_eq(r->extra[0].value, "called with <redacted>");
	ck_assert_str_eq(r->extra[1].value, "EMEA");
	ck_assert_str_eq(wr->path, "https://crm/?t=<redacted>");
	ck_assert_int_eq(wr->line, 3);
	/* The plugin's record is untouched. */
	ck_assert_str_eq(o.name, "Acme tok-XYZ9");
	sg_redacted_release(&red);

	memset(&a, 0, sizeof(a));
	a.id = "A1";
	a.subject = "tok-XYZ9tok-XYZ9";
	ck_assert_str_eq(sg_redact_activity(&a, &acopy, &red)->subject,
			 "<redacted><redacted>");
	sg_redacted_release(&red);
}
END_TEST

/* Only what a *_env option names is a credential: a tuning knob's value
 * is not redacted from every record. */
START_TEST(test_getenv_registers_credentials_only)
{
	json_t *section = json_pack("{s:s, s:s}", "token_env", "SG_T_TOKEN",
				    "pipeline", "SG_T_KNOB");

	setenv("SG_T_TOKEN", "tok-abcdef", 1);
	setenv("SG_T_KNOB", "65536", 1);
	ck_assert_str_eq(sg_host_getenv("SG_T_TOKEN", section), "tok-abcdef");
	ck_assert_str_eq(sg_host_getenv("SG_T_KNOB", section), "65536");
	ck_assert_int_eq(sg_secrets_found("tok-abcdef", 10), 1);
	ck_assert_int_eq(sg_secrets_found("65536", 5), 0);
	ck_assert_ptr_null(sg_host_getenv("SG_T_UNSET", NULL));
	json_decref(section);
}
END_TEST

static Suite *secrets_suite(void)
{
	Suite *s = suite_create("secrets");
	TCase *tc = tcase_create("secrets");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_redacts_every_occurrence);
	tcase_add_test(tc, test_longest_and_encoded_forms);
	tcase_add_test(tc, test_cut_texts);
	tcase_add_test(tc, test_in_place_and_errors);
	tcase_add_test(tc, test_records_keep_their_pointer_without_secrets);
	tcase_add_test(tc, test_records_are_redacted);
	tcase_add_test(tc, test_getenv_registers_credentials_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return sg_test_run(secrets_suite());
}
