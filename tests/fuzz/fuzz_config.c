/*
 * fuzz_config.c - libFuzzer target: the rules config loader
 * (core/sg_config.c, sg_config_load_text()), which every command runs
 * first on a file a person wrote.
 *
 * Input: the config's text, as the file's bytes.  A config that loads is
 * then read the way the checks read it: every stage and criterion found
 * again by its id, each stage's age limit for each segment, the review
 * categories, the ledger path resolved.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sg_config.h"
#include "sg_fuzz.h"

/* A loaded config's own look-ups must find what it holds. */
static void fz_walk(const struct sg_config *cfg)
{
	size_t i, k;
	char *path;

	for (i = 0; i < cfg->stage_count; i++) {
		const struct sg_stage *st = &cfg->stages[i];

		SG_FUZZ_ASSERT(sg_config_stage_index(cfg, st->id,
						     strlen(st->id)) == (int)i,
			       "a stage is found by its id");
		SG_FUZZ_ASSERT(st->label != NULL, "a stage has a label");
		for (k = 0; k < st->exit_criteria_count; k++)
			SG_FUZZ_ASSERT(st->exit_criteria[k] <
				       cfg->criterion_count,
				       "an exit criterion is defined");
		(void)sg_config_max_age(cfg, i, NULL);
		for (k = 0; k < cfg->segment_count; k++)
			(void)sg_config_max_age(cfg, i,
						cfg->segments[k].value);
		if (st->forecast_category != NULL)
			(void)sg_config_is_review_category(
				cfg, st->forecast_category);
	}
	for (i = 0; i < cfg->criterion_count; i++)
		SG_FUZZ_ASSERT(sg_config_criterion_index(
				       cfg, cfg->criteria[i].id) == (int)i,
			       "a criterion is found by its id");
	path = sg_config_resolve_path(cfg, cfg->ledger_path != NULL ?
				      cfg->ledger_path : "stageguard.db");
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_config *cfg = NULL;
	struct sg_error err;
	char *text = sg_fuzz_text(data, size);
	int rc;

	sg_error_clear(&err);
	rc = sg_config_load_text(&cfg, "fuzz/stageguard.json", NULL, text,
				 size, &err);
	sg_fuzz_check_error(rc, &err);
	SG_FUZZ_ASSERT(rc == SG_OK || rc == SG_ERR_CONFIG ||
		       rc == SG_ERR_NOMEM, "a documented status");
	SG_FUZZ_ASSERT((rc == SG_OK) == (cfg != NULL),
		       "a config exactly on success");
	if (cfg != NULL)
		fz_walk(cfg);
	sg_config_free(cfg);
	free(text);
	return 0;
}
