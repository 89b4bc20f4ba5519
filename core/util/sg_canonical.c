/*
 * sg_canonical.c - the canonical CSV layout, written down once
 * (sg_canonical.h).
 *
 * Each column array is indexed by its file's column enum and sized by its
 * COUNT, so a column cannot sit at another index than its name says; the
 * unit test (tests/check_canonical.c) checks that no entry was left out.
 */
#include "sg_canonical.h"

#include "sg_csv.h"

#include <stdio.h>
#include <string.h>

#define SG_CANON_TIME_GIVEN \
	(SG_CANON_REQUIRED | SG_CANON_TIME | SG_CANON_TIME_REQ)

_Static_assert(SG_OWNER_COL_COUNT <= SG_CANON_COLUMNS_MAX &&
	       SG_OPP_COL_COUNT <= SG_CANON_COLUMNS_MAX &&
	       SG_EVENT_COL_COUNT <= SG_CANON_COLUMNS_MAX &&
	       SG_CHANGE_COL_COUNT <= SG_CANON_COLUMNS_MAX &&
	       SG_ACTIVITY_COL_COUNT <= SG_CANON_COLUMNS_MAX &&
	       SG_EVIDENCE_COL_COUNT <= SG_CANON_COLUMNS_MAX,
	       "SG_CANON_COLUMNS_MAX is below a file's column count");

static const struct sg_canon_column sg_owner_columns[SG_OWNER_COL_COUNT] = {
	[SG_OWNER_ID] = {"id", SG_CANON_REQUIRED},
	[SG_OWNER_NAME] = {"name", 0},
	[SG_OWNER_EMAIL] = {"email", 0},
	[SG_OWNER_MANAGER_ID] = {"manager_id", 0},
	[SG_OWNER_TEAM] = {"team", 0},
};

static const struct sg_canon_column sg_opp_columns[SG_OPP_COL_COUNT] = {
	[SG_OPP_ID] = {"id", SG_CANON_REQUIRED},
	[SG_OPP_NAME] = {"name", 0},
	[SG_OPP_PIPELINE] = {"pipeline", 0},
	[SG_OPP_STAGE] = {"stage", SG_CANON_REQUIRED | SG_CANON_STAGE},
	[SG_OPP_OWNER_ID] = {"owner_id", 0},
	[SG_OPP_AMOUNT] = {"amount", SG_CANON_AMOUNT},
	[SG_OPP_CURRENCY] = {"currency", 0},
	[SG_OPP_CLOSE_DATE] = {"close_date", SG_CANON_TIME},
	[SG_OPP_FORECAST_CATEGORY] = {"forecast_category", 0},
	[SG_OPP_CREATED_AT] = {"created_at", SG_CANON_TIME},
	[SG_OPP_NEXT_STEP] = {"next_step", 0},
	[SG_OPP_NEXT_STEP_DATE] = {"next_step_date", SG_CANON_TIME},
};

static const struct sg_canon_column sg_event_columns[SG_EVENT_COL_COUNT] = {
	[SG_EVENT_OPPORTUNITY_ID] = {"opportunity_id", SG_CANON_REQUIRED},
	[SG_EVENT_FROM_STAGE] = {"from_stage", SG_CANON_STAGE},
	[SG_EVENT_TO_STAGE] = {"to_stage",
			       SG_CANON_REQUIRED | SG_CANON_STAGE},
	[SG_EVENT_CHANGED_AT] = {"changed_at", SG_CANON_TIME_GIVEN},
	[SG_EVENT_CHANGED_BY] = {"changed_by", 0},
	[SG_EVENT_SOURCE] = {"source", 0},
};

static const struct sg_canon_column
sg_change_columns[SG_CHANGE_COL_COUNT] = {
	[SG_CHANGE_OPPORTUNITY_ID] = {"opportunity_id", SG_CANON_REQUIRED},
	[SG_CHANGE_FIELD] = {"field", SG_CANON_REQUIRED},
	[SG_CHANGE_OLD_VALUE] = {"old_value", 0},
	[SG_CHANGE_NEW_VALUE] = {"new_value", SG_CANON_REQUIRED},
	[SG_CHANGE_CHANGED_AT] = {"changed_at", SG_CANON_TIME_GIVEN},
};

static const struct sg_canon_column
sg_activity_columns[SG_ACTIVITY_COL_COUNT] = {
	[SG_ACTIVITY_ID] = {"id", 0},
	[SG_ACTIVITY_OPPORTUNITY_ID] = {"opportunity_id", SG_CANON_REQUIRED},
	[SG_ACTIVITY_TYPE] = {"type", 0},
	[SG_ACTIVITY_PARTY] = {"party", SG_CANON_REQUIRED},
	[SG_ACTIVITY_OCCURRED_AT] = {"occurred_at", SG_CANON_TIME_GIVEN},
	[SG_ACTIVITY_ACTOR] = {"actor", 0},
	[SG_ACTIVITY_SUBJECT] = {"subject", 0},
};

static const struct sg_canon_column
sg_evidence_columns[SG_EVIDENCE_COL_COUNT] = {
	[SG_EVIDENCE_OPPORTUNITY_ID] = {"opportunity_id", SG_CANON_REQUIRED},
	[SG_EVIDENCE_CRITERION] = {"criterion", SG_CANON_REQUIRED},
	[SG_EVIDENCE_VALUE] = {"value", 0},
	[SG_EVIDENCE_PARTY] = {"party", SG_CANON_REQUIRED},
	[SG_EVIDENCE_OBSERVED_AT] = {"observed_at", SG_CANON_TIME_GIVEN},
	[SG_EVIDENCE_REF] = {"ref", 0},
};

static const struct sg_canon_file sg_canon_files[SG_CANON_FILE_COUNT] = {
	[SG_CANON_OWNERS] = {"owners", "owners.csv", 0, sg_owner_columns,
			     SG_OWNER_COL_COUNT},
	[SG_CANON_OPPORTUNITIES] = {"opportunities", "opportunities.csv", 1,
				    sg_opp_columns, SG_OPP_COL_COUNT},
	[SG_CANON_STAGE_HISTORY] = {"stage_history", "stage_history.csv", 1,
				    sg_event_columns, SG_EVENT_COL_COUNT},
	[SG_CANON_FIELD_HISTORY] = {"field_history", "field_history.csv", 0,
				    sg_change_columns, SG_CHANGE_COL_COUNT},
	[SG_CANON_ACTIVITIES] = {"activities", "activities.csv", 0,
				 sg_activity_columns, SG_ACTIVITY_COL_COUNT},
	[SG_CANON_EVIDENCE] = {"evidence", "evidence.csv", 0,
			       sg_evidence_columns, SG_EVIDENCE_COL_COUNT},
};

const struct sg_canon_file *sg_canonical_file(int file)
{
	if (file < 0 || file >= SG_CANON_FILE_COUNT)
		return NULL;
	return &sg_canon_files[file];
}

int sg_canonical_find_kind(const char *kind)
{
	int k;

	for (k = 0; kind != NULL && k < SG_CANON_FILE_COUNT; k++)
		if (strcmp(sg_canon_files[k].kind, kind) == 0)
			return k;
	return -1;
}

int sg_canonical_find_file(const char *name)
{
	int k;

	for (k = 0; name != NULL && k < SG_CANON_FILE_COUNT; k++)
		if (strcmp(sg_canon_files[k].file, name) == 0)
			return k;
	return -1;
}

int sg_canonical_find_column(int file, const char *name)
{
	const struct sg_canon_file *def = sg_canonical_file(file);
	size_t i;

	if (def == NULL || name == NULL)
		return -1;
	for (i = 0; i < def->column_count; i++)
		if (strcmp(def->columns[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *sg_canonical_column_names(int file, char *buf, size_t size)
{
	const struct sg_canon_file *def = sg_canonical_file(file);
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; def != NULL && i < def->column_count && used < size;
	     i++) {
		n = snprintf(buf + used, size - used, "%s%s",
			     i > 0 ? ", " : "", def->columns[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

void sg_canonical_write_header(FILE *fp, int file, const char *const *extra,
			       size_t extra_count)
{
	const struct sg_canon_file *def = sg_canonical_file(file);
	struct sg_csv_line line;
	size_t i;

	sg_csv_line_begin(&line, fp);
	for (i = 0; def != NULL && i < def->column_count; i++)
		sg_csv_line_field(&line, def->columns[i].name, i == 0);
	for (i = 0; i < extra_count; i++)
		sg_csv_line_field(&line, extra[i], def == NULL && i == 0);
	sg_csv_line_end(&line);
}

void sg_canonical_write_row(FILE *fp, int file, const char *const *values,
			    const char *const *extra, size_t extra_count)
{
	const struct sg_canon_file *def = sg_canonical_file(file);
	struct sg_csv_line line;
	size_t i;

	sg_csv_line_begin(&line, fp);
	for (i = 0; def != NULL && i < def->column_count; i++)
		sg_csv_line_field(&line, values[i], i == 0);
	for (i = 0; i < extra_count; i++)
		sg_csv_line_field(&line, extra[i], def == NULL && i == 0);
	sg_csv_line_end(&line);
}
