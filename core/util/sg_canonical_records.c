/*
 * sg_canonical_records.c - records of the common model to canonical CSV
 * rows and back (see the header for why the reader is strict).
 */
#include "sg_canonical_records.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sg_csv.h"
#include "sg_path.h"

/* --- Writing. --- */

static const char *const activity_types[] = {
	"other", "email", "call", "meeting", "note", "task", "document"
};

static const char *time_text(sg_time t, char *buf)
{
	buf[0] = '\0';
	if (t != SG_TIME_NONE)
		sg_time_format_iso(t, buf);
	return buf;
}

static const char *party_text(int party)
{
	switch (party) {
	case SG_PARTY_BUYER:
		return "buyer";
	case SG_PARTY_SELLER:
		return "seller";
	case SG_PARTY_SYSTEM:
		return "system";
	case SG_PARTY_UNKNOWN:
		return "unknown";
	default:
		return "";
	}
}

/* A row of file: its canonical values, then the extra values. */
static void put_row(FILE *fp, int file, const char *const *values,
		    const struct sg_field *extra, size_t extra_count)
{
	const struct sg_canon_file *def = sg_canonical_file(file);
	struct sg_csv_line line;
	size_t i;

	sg_csv_line_begin(&line, fp);
	for (i = 0; i < def->column_count; i++)
		sg_csv_line_field(&line, values[i], i == 0);
	for (i = 0; i < extra_count; i++)
		sg_csv_line_field(&line, extra[i].value, 0);
	sg_csv_line_end(&line);
}

void sg_canonical_put_owner(FILE *fp, const struct sg_rec_owner *o)
{
	const char *row[SG_OWNER_COL_COUNT];

	row[SG_OWNER_ID] = o->id;
	row[SG_OWNER_NAME] = o->name;
	row[SG_OWNER_EMAIL] = o->email;
	row[SG_OWNER_MANAGER_ID] = o->manager_id;
	row[SG_OWNER_TEAM] = o->team;
	put_row(fp, SG_CANON_OWNERS, row, NULL, 0);
}

void sg_canonical_put_opportunity(FILE *fp,
				  const struct sg_rec_opportunity *o)
{
	char t1[SG_TIME_ISO_SIZE], t2[SG_TIME_ISO_SIZE], t3[SG_TIME_ISO_SIZE];
	const char *row[SG_OPP_COL_COUNT];

	row[SG_OPP_ID] = o->id;
	row[SG_OPP_NAME] = o->name;
	row[SG_OPP_PIPELINE] = o->pipeline;
	row[SG_OPP_STAGE] = o->stage;
	row[SG_OPP_OWNER_ID] = o->owner_id;
	row[SG_OPP_AMOUNT] = o->amount;
	row[SG_OPP_CURRENCY] = o->currency;
	row[SG_OPP_CLOSE_DATE] = time_text(o->close_date, t1);
	row[SG_OPP_FORECAST_CATEGORY] = o->forecast_category;
	row[SG_OPP_CREATED_AT] = time_text(o->created_at, t2);
	row[SG_OPP_NEXT_STEP] = o->next_step;
	row[SG_OPP_NEXT_STEP_DATE] = time_text(o->next_step_date, t3);
	put_row(fp, SG_CANON_OPPORTUNITIES, row, o->extra, o->extra_count);
}

void sg_canonical_put_stage_event(FILE *fp,
				  const struct sg_rec_stage_event *e)
{
	char t[SG_TIME_ISO_SIZE];
	const char *row[SG_EVENT_COL_COUNT];

	row[SG_EVENT_OPPORTUNITY_ID] = e->opportunity_id;
	row[SG_EVENT_FROM_STAGE] = e->from_stage;
	row[SG_EVENT_TO_STAGE] = e->to_stage;
	row[SG_EVENT_CHANGED_AT] = time_text(e->changed_at, t);
	row[SG_EVENT_CHANGED_BY] = e->changed_by;
	row[SG_EVENT_SOURCE] = e->source;
	put_row(fp, SG_CANON_STAGE_HISTORY, row, NULL, 0);
}

void sg_canonical_put_field_change(FILE *fp,
				   const struct sg_rec_field_change *c)
{
	char t[SG_TIME_ISO_SIZE];
	const char *row[SG_CHANGE_COL_COUNT];

	row[SG_CHANGE_OPPORTUNITY_ID] = c->opportunity_id;
	row[SG_CHANGE_FIELD] = c->field;
	row[SG_CHANGE_OLD_VALUE] = c->old_value;
	row[SG_CHANGE_NEW_VALUE] = c->new_value;
	row[SG_CHANGE_CHANGED_AT] = time_text(c->changed_at, t);
	put_row(fp, SG_CANON_FIELD_HISTORY, row, NULL, 0);
}

void sg_canonical_put_activity(FILE *fp, const struct sg_rec_activity *a)
{
	char t[SG_TIME_ISO_SIZE];
	const char *row[SG_ACTIVITY_COL_COUNT];

	row[SG_ACTIVITY_ID] = a->id;
	row[SG_ACTIVITY_OPPORTUNITY_ID] = a->opportunity_id;
	row[SG_ACTIVITY_TYPE] = a->type >= SG_ACT_OTHER &&
				a->type <= SG_ACT_DOCUMENT ?
				activity_types[a->type] : "other";
	row[SG_ACTIVITY_PARTY] = party_text(a->party);
	row[SG_ACTIVITY_OCCURRED_AT] = time_text(a->occurred_at, t);
	row[SG_ACTIVITY_ACTOR] = a->actor;
	row[SG_ACTIVITY_SUBJECT] = a->subject;
	put_row(fp, SG_CANON_ACTIVITIES, row, NULL, 0);
}

void sg_canonical_put_evidence(FILE *fp, const struct sg_rec_evidence *e)
{
	char t[SG_TIME_ISO_SIZE];
	const char *row[SG_EVIDENCE_COL_COUNT];

	row[SG_EVIDENCE_OPPORTUNITY_ID] = e->opportunity_id;
	row[SG_EVIDENCE_CRITERION] = e->criterion;
	row[SG_EVIDENCE_VALUE] = e->value;
	row[SG_EVIDENCE_PARTY] = party_text(e->party);
	row[SG_EVIDENCE_OBSERVED_AT] = time_text(e->observed_at, t);
	row[SG_EVIDENCE_REF] = e->ref;
	put_row(fp, SG_CANON_EVIDENCE, row, NULL, 0);
}

/* --- Reading. --- */

struct sg_canonical_reader {
	struct sg_csv *csv;
	int file;
	size_t width;           /* the header's fields */
	char **extra_names;     /* the header's names past the canonical */
	struct sg_field *extra; /* the current row's extras */
	size_t extra_count;
};

static int reader_header(struct sg_canonical_reader *r,
			 struct sg_error *err)
{
	const struct sg_canon_file *def = sg_canonical_file(r->file);
	struct sg_csv_record rec;
	size_t i;
	int rc = sg_csv_next(r->csv, &rec, err);

	if (rc < 0)
		return rc;
	if (rc == 0)
		return sg_error_set_at(err, SG_ERR_PARSE, sg_csv_path(r->csv),
				       1, 0, "no header line");
	for (i = 0; i < def->column_count; i++)
		if (i >= rec.count ||
		    strcmp(rec.fields[i], def->columns[i].name) != 0)
			return sg_error_set_at(err, SG_ERR_PARSE,
					       sg_csv_path(r->csv), rec.line,
					       (int)i + 1, "expected column "
					       "\"%s\" here: the file is not "
					       "in the canonical layout",
					       def->columns[i].name);
	if (rec.count > def->column_count && r->file != SG_CANON_OPPORTUNITIES)
		return sg_error_set_at(err, SG_ERR_PARSE, sg_csv_path(r->csv),
				       rec.line, (int)def->column_count + 1,
				       "a column past the canonical ones");
	r->width = rec.count;
	r->extra_count = rec.count - def->column_count;
	r->extra_names = calloc(r->extra_count + 1, sizeof(char *));
	r->extra = calloc(r->extra_count + 1, sizeof(*r->extra));
	if (r->extra_names == NULL || r->extra == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	for (i = 0; i < r->extra_count; i++) {
		r->extra_names[i] = strdup(rec.fields[def->column_count + i]);
		if (r->extra_names[i] == NULL)
			return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
		r->extra[i].name = r->extra_names[i];
	}
	return SG_OK;
}

int sg_canonical_reader_open(struct sg_canonical_reader **out,
			     const char *dir, int file, struct sg_error *err)
{
	const struct sg_canon_file *def = sg_canonical_file(file);
	struct sg_canonical_reader *r;
	char *path;
	int rc, saved;

	*out = NULL;
	if (def == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL, "no canonical file "
				    "%d", file);
	r = calloc(1, sizeof(*r));
	path = sg_path_join(dir, def->file);
	if (r == NULL || path == NULL) {
		free(r);
		free(path);
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	r->file = file;
	rc = sg_csv_open(&r->csv, path, err);
	saved = errno;
	free(path);
	if (rc == SG_OK)
		rc = reader_header(r, err);
	if (rc != SG_OK) {
		sg_canonical_reader_free(r);
		errno = saved;
		return rc;
	}
	*out = r;
	return SG_OK;
}

/* A time column: empty is none, else a UTC ISO-8601 instant. */
static int reader_time(const struct sg_canonical_reader *r,
		       const struct sg_csv_record *rec, size_t col,
		       sg_time *out, struct sg_error *err)
{
	char why[SG_ERROR_MESSAGE_MAX];
	int rc;

	*out = SG_TIME_NONE;
	if (rec->lens[col] == 0)
		return SG_OK;
	rc = sg_time_parse_iso(out, rec->fields[col], rec->lens[col], 0, 0,
			       err);
	if (rc == SG_OK)
		return SG_OK;
	snprintf(why, sizeof(why), "%s", err->message);
	return sg_error_set_at(err, rc, sg_csv_path(r->csv), rec->line,
			       (int)col + 1, "%s", why);
}

static int reader_party(const struct sg_canonical_reader *r,
			const struct sg_csv_record *rec, size_t col,
			int evidence, int *party, struct sg_error *err)
{
	if (sg_party_from_text(rec->fields[col], rec->lens[col], evidence,
			       party) == 0)
		return SG_OK;
	return sg_error_set_at(err, SG_ERR_PARSE, sg_csv_path(r->csv),
			       rec->line, (int)col + 1, "party: expected %s",
			       sg_party_expected(evidence));
}

static int reader_opportunity(struct sg_canonical_reader *r,
			      const struct sg_csv_record *rec,
			      struct sg_rec_opportunity *o,
			      struct sg_error *err)
{
	char **f = rec->fields;
	size_t i;
	int rc;

	o->id = f[SG_OPP_ID];
	o->name = f[SG_OPP_NAME];
	o->pipeline = f[SG_OPP_PIPELINE];
	o->stage = f[SG_OPP_STAGE];
	o->owner_id = f[SG_OPP_OWNER_ID];
	o->amount = f[SG_OPP_AMOUNT];
	o->currency = f[SG_OPP_CURRENCY];
	o->forecast_category = f[SG_OPP_FORECAST_CATEGORY];
	o->next_step = f[SG_OPP_NEXT_STEP];
	for (i = 0; i < r->extra_count; i++)
		r->extra[i].value = f[SG_OPP_COL_COUNT + i];
	o->extra = r->extra;
	o->extra_count = r->extra_count;
	rc = reader_time(r, rec, SG_OPP_CLOSE_DATE, &o->close_date, err);
	if (rc == SG_OK)
		rc = reader_time(r, rec, SG_OPP_CREATED_AT, &o->created_at,
				 err);
	if (rc == SG_OK)
		rc = reader_time(r, rec, SG_OPP_NEXT_STEP_DATE,
				 &o->next_step_date, err);
	return rc;
}

static int reader_row(struct sg_canonical_reader *r,
		      const struct sg_csv_record *rec,
		      struct sg_canonical_record *out, struct sg_error *err)
{
	char **f = rec->fields;

	switch (r->file) {
	case SG_CANON_OWNERS:
		out->as.owner.id = f[SG_OWNER_ID];
		out->as.owner.name = f[SG_OWNER_NAME];
		out->as.owner.email = f[SG_OWNER_EMAIL];
		out->as.owner.manager_id = f[SG_OWNER_MANAGER_ID];
		out->as.owner.team = f[SG_OWNER_TEAM];
		return SG_OK;
	case SG_CANON_OPPORTUNITIES:
		return reader_opportunity(r, rec, &out->as.opportunity, err);
	case SG_CANON_STAGE_HISTORY:
		out->as.stage_event.opportunity_id = f[SG_EVENT_OPPORTUNITY_ID];
		out->as.stage_event.from_stage = f[SG_EVENT_FROM_STAGE];
		out->as.stage_event.to_stage = f[SG_EVENT_TO_STAGE];
		out->as.stage_event.changed_by = f[SG_EVENT_CHANGED_BY];
		out->as.stage_event.source = f[SG_EVENT_SOURCE];
		return reader_time(r, rec, SG_EVENT_CHANGED_AT,
				   &out->as.stage_event.changed_at, err);
	case SG_CANON_FIELD_HISTORY:
		out->as.field_change.opportunity_id =
			f[SG_CHANGE_OPPORTUNITY_ID];
		out->as.field_change.field = f[SG_CHANGE_FIELD];
		out->as.field_change.old_value = f[SG_CHANGE_OLD_VALUE];
		out->as.field_change.new_value = f[SG_CHANGE_NEW_VALUE];
		return reader_time(r, rec, SG_CHANGE_CHANGED_AT,
				   &out->as.field_change.changed_at, err);
	case SG_CANON_ACTIVITIES:
		out->as.activity.id = f[SG_ACTIVITY_ID];
		out->as.activity.opportunity_id = f[SG_ACTIVITY_OPPORTUNITY_ID];
		out->as.activity.type = sg_activity_type_from_text(
			f[SG_ACTIVITY_TYPE], rec->lens[SG_ACTIVITY_TYPE]);
		out->as.activity.actor = f[SG_ACTIVITY_ACTOR];
		out->as.activity.subject = f[SG_ACTIVITY_SUBJECT];
		if (reader_party(r, rec, SG_ACTIVITY_PARTY, 0,
				 &out->as.activity.party, err) != SG_OK)
			return err->code;
		return reader_time(r, rec, SG_ACTIVITY_OCCURRED_AT,
				   &out->as.activity.occurred_at, err);
	default:
		out->as.evidence.opportunity_id = f[SG_EVIDENCE_OPPORTUNITY_ID];
		out->as.evidence.criterion = f[SG_EVIDENCE_CRITERION];
		out->as.evidence.value = f[SG_EVIDENCE_VALUE];
		out->as.evidence.ref = f[SG_EVIDENCE_REF];
		if (reader_party(r, rec, SG_EVIDENCE_PARTY, 1,
				 &out->as.evidence.party, err) != SG_OK)
			return err->code;
		return reader_time(r, rec, SG_EVIDENCE_OBSERVED_AT,
				   &out->as.evidence.observed_at, err);
	}
}

int sg_canonical_reader_next(struct sg_canonical_reader *r,
			     struct sg_canonical_record *rec,
			     struct sg_error *err)
{
	struct sg_csv_record row;
	int rc = sg_csv_next(r->csv, &row, err);

	if (rc <= 0)
		return rc;
	memset(rec, 0, sizeof(*rec));
	rec->file = r->file;
	rec->line = row.line;
	if (row.count != r->width)
		return sg_error_set_at(err, SG_ERR_PARSE, sg_csv_path(r->csv),
				       row.line, 0, "%zu fields, the header "
				       "has %zu", row.count, r->width);
	rc = reader_row(r, &row, rec, err);
	return rc == SG_OK ? 1 : rc;
}

const char *const *sg_canonical_reader_extras(
	const struct sg_canonical_reader *r, size_t *count)
{
	*count = r->extra_count;
	return (const char *const *)r->extra_names;
}

void sg_canonical_reader_free(struct sg_canonical_reader *r)
{
	size_t i;

	if (r == NULL)
		return;
	sg_csv_free(r->csv);
	for (i = 0; r->extra_names != NULL && i < r->extra_count; i++)
		free(r->extra_names[i]);
	free(r->extra_names);
	free(r->extra);
	free(r);
}
