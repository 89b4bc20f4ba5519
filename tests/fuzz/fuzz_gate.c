/*
 * fuzz_gate.c - libFuzzer target: what `stageguard gate` reads on its
 * standard input (core/cli/cmd_gate.c): the bounded stream reader
 * sg_gate_read() and the move's JSON judged by sg_gate_new(), then the
 * answer written as the command writes it (sg_gate_to_json()).
 *
 * Input: the bytes on standard input.  The config is fixed: the rules of
 * tests/fixtures/cli/basic/stageguard.json, loaded once, so that every
 * input reaches the move's reading and the checks rather than stopping
 * at the config.  "now" is fixed too (an input without "at" is judged at
 * the same instant every time), so a finding reproduces.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_config.h"
#include "sg_exception.h"
#include "sg_gate.h"
#include "sg_fuzz.h"

/* The rules of tests/fixtures/cli/basic/stageguard.json, without the
 * ledger and sources sections the gate does not read. */
static const char fz_config_text[] =
	"{\"pipeline\": {\"id\": \"default\", \"label\": \"New business\"},\n"
	" \"stages\": [\n"
	"  {\"id\": \"discovery\", \"label\": \"Discovery\","
	"   \"max_age_days\": 14, \"forecast_category\": \"pipeline\","
	"   \"exit_criteria\": [\"pain\"], \"required_fields\": [\"amount\"]},\n"
	"  {\"id\": \"qualification\", \"label\": \"Qualification\","
	"   \"max_age_days\": 21, \"forecast_category\": \"pipeline\","
	"   \"exit_criteria\": [\"budget\"],"
	"   \"required_fields\": [\"amount\", \"close_date\"]},\n"
	"  {\"id\": \"proposal\", \"label\": \"Proposal\","
	"   \"max_age_days\": 21, \"forecast_category\": \"best_case\","
	"   \"exit_criteria\": [\"success\"],"
	"   \"required_fields\": [\"amount\", \"next_step\"]},\n"
	"  {\"id\": \"closed_won\", \"label\": \"Closed won\", \"closed\": true,"
	"   \"won\": true, \"forecast_category\": \"closed\"},\n"
	"  {\"id\": \"closed_lost\", \"label\": \"Closed lost\","
	"   \"closed\": true, \"enter_from_any\": true,"
	"   \"forecast_category\": \"omitted\"}\n"
	" ],\n"
	" \"criteria\": {\n"
	"  \"pain\": {\"label\": \"Pain confirmed by the buyer\"},\n"
	"  \"budget\": {\"label\": \"Budget confirmed\","
	"   \"max_age_days\": 180},\n"
	"  \"success\": {\"label\": \"Success criteria agreed\","
	"   \"buyer_only\": false}\n"
	" },\n"
	" \"placeholders\": [\"tbd\", \"n/a\"],\n"
	" \"forecast\": {\"review_categories\": [\"best_case\", \"closed\"]},\n"
	" \"review\": {\"sla_hours\": 48, \"default_assignee\": \"revops\"},\n"
	" \"data\": {\"stale_after_hours\": 36},\n"
	" \"pilot\": {\"start\": \"2026-11-01\", \"days\": 30,"
	"   \"baseline_days\": 90}\n"
	"}\n";

/* 2026-11-02T12:00:00Z: "now" for an input without "at". */
#define FZ_NOW ((sg_time)1793620800)

/* The config, loaded on the first input and kept for the process (the
 * gate borrows it); freed at exit so LeakSanitizer sees no leak. */
static struct sg_config *fz_config;

static void fz_config_free(void)
{
	sg_config_free(fz_config);
	fz_config = NULL;
}

static const struct sg_config *fz_config_get(void)
{
	struct sg_error err;

	if (fz_config != NULL)
		return fz_config;
	sg_error_clear(&err);
	if (sg_config_load_text(&fz_config, "stageguard.json", ".",
				fz_config_text, strlen(fz_config_text),
				&err) != SG_OK) {
		fprintf(stderr, "fuzz_gate: the fixed config: %s\n",
			err.message);
		exit(2);
	}
	atexit(fz_config_free);
	return fz_config;
}

/*
 * sg_gate_read() of the input as standard input with a bound of max:
 * the whole text, terminated, when it fits; SG_ERR_PARSE and nothing
 * kept when it does not.  Returns the status; *out as sg_gate_read().
 */
static int fz_read(char **out, size_t *len, const uint8_t *data, size_t size,
		   size_t max)
{
	struct sg_error err;
	FILE *in;
	int rc;

	/* fmemopen() refuses an empty buffer: an empty stream then. */
	in = size > 0 ? fmemopen((void *)data, size, "rb") :
		fopen("/dev/null", "rb");
	if (in == NULL) {
		perror("fuzz_gate: fmemopen");
		exit(2);
	}
	sg_error_clear(&err);
	rc = sg_gate_read(out, len, in, max, "stdin", &err);
	fclose(in);
	sg_fuzz_check_error(rc, &err);
	if (size > max) {
		SG_FUZZ_ASSERT(rc == SG_ERR_PARSE && *out == NULL,
			       "a stream over the bound is refused whole");
		return rc;
	}
	SG_FUZZ_ASSERT(rc == SG_OK, "a stream within the bound is read");
	SG_FUZZ_ASSERT(*len == size && (*out)[size] == '\0' &&
		       (size == 0 || memcmp(*out, data, size) == 0),
		       "the stream is read exactly and terminated");
	return rc;
}

/* The judged move as the command answers it. */
static void fz_answer(const struct sg_gate *gate)
{
	json_t *answer;
	char *line;
	int status;

	SG_FUZZ_ASSERT(gate->verdict == SG_VERDICT_ALLOW ||
		       gate->verdict == SG_VERDICT_REVIEW ||
		       gate->verdict == SG_VERDICT_BLOCK ||
		       gate->verdict == SG_VERDICT_PAUSE,
		       "a gate's verdict is never flag");
	status = sg_gate_exit_status(gate->verdict);
	SG_FUZZ_ASSERT(status == SG_GATE_EXIT_ALLOW ||
		       status == SG_GATE_EXIT_REVIEW ||
		       status == SG_GATE_EXIT_BLOCK ||
		       status == SG_GATE_EXIT_PAUSE, "a documented exit status");
	answer = sg_gate_to_json(gate);
	SG_FUZZ_ASSERT(answer != NULL, "the answer is made");
	line = json_dumps(answer, SG_EXCEPTION_JSON_FLAGS);
	SG_FUZZ_ASSERT(line != NULL, "the answer is written");
	free(line);
	json_decref(answer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sg_config *config = fz_config_get();
	struct sg_gate *gate = NULL;
	struct sg_error err;
	char *text = NULL;
	size_t len = 0;
	int rc;

	/* One byte short of the input must be refused: the bound holds. */
	if (size > 0 && fz_read(&text, &len, data, size, size - 1) == SG_OK)
		free(text);
	if (fz_read(&text, &len, data, size, SG_GATE_INPUT_MAX) != SG_OK)
		return 0;
	sg_error_clear(&err);
	rc = sg_gate_new(&gate, config, text, len, FZ_NOW, "stdin", &err);
	sg_fuzz_check_error(rc, &err);
	SG_FUZZ_ASSERT(rc == SG_OK || rc == SG_ERR_PARSE ||
		       rc == SG_ERR_NOMEM, "a documented status");
	SG_FUZZ_ASSERT((rc == SG_OK) == (gate != NULL),
		       "a gate exactly on success");
	if (gate != NULL)
		fz_answer(gate);
	sg_gate_free(gate);
	free(text);
	return 0;
}
