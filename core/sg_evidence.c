/*
 * sg_evidence.c - the evidence a bundle archives (sg_evidence.h).
 *
 * Every file is streamed: the model's arrays are walked in place and the
 * ledger's tables are read a row at a time, so half a million exceptions
 * cost one row in memory (plus one name per file written, which the file
 * list must hold).  The ledger is read inside one read transaction, so all
 * files show the same state of it.  Three threads write: the ledger's
 * files (begun before the model is there), and the inputs in two
 * halves; for a sink that takes them so, each file is written packed
 * (sg_packed.h).  Nothing here reads the clock or writes
 * a path into a file: the same ledger, model and config give the same
 * bytes.
 */
#include "sg_evidence.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "sg_hash.h"
#include "sg_host.h"
#include "sg_options.h"
#include "sg_packed.h"
#include "sg_review.h"
#include "util/sg_canonical.h"
#include "util/sg_csv.h"
#include "util/sg_missing.h"

/* The config file is read whole; sg_config_load() refuses larger ones
 * long before this. */
#define EV_CONFIG_MAX (64L * 1024 * 1024)
#define EV_JSON_FLAGS (JSON_REAL_PRECISION(15))
#define EV_WRITE_BUFFER (256u * 1024u)

/* What an evidence value the model judged present is written as: the
 * model keeps whether a value is missing, not the value (sg_model.h). */
static const char *const ev_present_words[] = {
	"present", "recorded", "provided", "given"
};

struct ev_ctx {
	const char *dir;
	size_t dir_len;
	const struct sg_evidence_inputs *in;
	struct sg_sink_file *files;
	size_t count, cap;
	json_t *run_ids;
};

/* One file being written: plain, or packed when the sink takes it so
 * (the list entry is filled in when it is closed). */
struct ev_file {
	FILE *fp;
	const char *path;
	struct sg_packed *packed;
	struct ev_ctx *c;
	size_t index;           /* in c->files */
};

static int ev_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "evidence: out of memory");
}

/* An interrupt (sg_host_request_cancel()) stops the files being written,
 * looked at once a row, or once in EV_CANCEL_EVERY + 1 of the model's
 * records: a million opportunities' evidence takes seconds. */
#define EV_CANCEL_EVERY 0xffffu

static int ev_cancelled(struct sg_error *err)
{
	if (!sg_host_cancel_requested())
		return SG_OK;
	return sg_error_set(err, SG_ERR_CANCELLED, "cancelled");
}

/* ev_cancelled() at the model's i-th record, now and then. */
static int ev_poll(size_t i, struct sg_error *err)
{
	return (i & EV_CANCEL_EVERY) == 0 ? ev_cancelled(err) : SG_OK;
}

/*
 * Adds name to the file list.  path NULL: the file is dir/name.  Each
 * entry is one block "name\0path\0" owned by the list (freed through
 * .name).
 */
static int ev_add(struct ev_ctx *c, const char *name, const char *path,
		  const char **out_path, struct sg_error *err)
{
	size_t nl = strlen(name), pl;
	char *block;

	if (c->count == c->cap) {
		size_t cap = c->cap == 0 ? 64 : c->cap * 2;
		struct sg_sink_file *grown;

		grown = realloc(c->files, cap * sizeof(*grown));
		if (grown == NULL)
			return ev_nomem(err);
		c->files = grown;
		c->cap = cap;
	}
	pl = path != NULL ? strlen(path) : c->dir_len + 1 + nl;
	block = malloc(nl + 1 + pl + 1);
	if (block == NULL)
		return ev_nomem(err);
	memcpy(block, name, nl + 1);
	if (path != NULL) {
		memcpy(block + nl + 1, path, pl + 1);
	} else {
		memcpy(block + nl + 1, c->dir, c->dir_len);
		block[nl + 1 + c->dir_len] = '/';
		memcpy(block + nl + 2 + c->dir_len, name, nl + 1);
	}
	memset(&c->files[c->count], 0, sizeof(c->files[0]));
	c->files[c->count].name = block;
	c->files[c->count].path = block + nl + 1;
	if (out_path != NULL)
		*out_path = c->files[c->count].path;
	c->count++;
	return SG_OK;
}

/* Creates dir/name (listed) for writing. */
static int ev_create(struct ev_ctx *c, const char *name, struct ev_file *f,
		     struct sg_error *err)
{
	int rc;

	f->fp = NULL;
	f->packed = NULL;
	rc = ev_add(c, name, NULL, &f->path, err);
	if (rc != SG_OK)
		return rc;
	f->c = c;
	f->index = c->count - 1;
	if (c->in->packed) {
		rc = sg_packed_open(&f->packed, &f->fp, f->path, err);
		if (rc != SG_OK)
			return sg_error_prefix(err, "evidence: ");
	} else {
		f->fp = fopen(f->path, "wb");
	}
	if (f->fp == NULL)
		return sg_error_set_at(err, SG_ERR_IO, f->path, 0, 0,
				       "evidence: cannot write: %s",
				       strerror(errno));
	/* Only this thread writes f, a field or a character at a time:
	 * 2 GB at a million opportunities.  stdio's lock on each call and
	 * a write(2) every 4 KiB cost more than the formatting. */
	__fsetlocking(f->fp, FSETLOCKING_BYCALLER);
	/* A packed file's buffer is its block: stdio hands each full one
	 * over whole, to be compressed where it is. */
	setvbuf(f->fp, NULL, _IOFBF, f->packed != NULL ? SG_PACKED_BLOCK :
		EV_WRITE_BUFFER);
	return SG_OK;
}

/* Closes a packed f and lists what it holds. */
static int ev_close_packed(struct ev_file *f, int rc, struct sg_error *err)
{
	struct sg_packed_result res;
	struct sg_sink_file *e = &f->c->files[f->index];
	struct sg_error ignored;
	int closed;

	sg_error_clear(&ignored);
	closed = sg_packed_close(f->packed, &res,
				 rc == SG_OK ? err : &ignored);
	f->packed = NULL;
	f->fp = NULL;
	if (rc != SG_OK)
		return rc;
	if (closed != SG_OK)
		return sg_error_prefix(err, "evidence: ");
	e->packed = res.packed;
	e->size = res.size;
	e->packed_size = res.packed_size;
	memcpy(e->sha256, res.sha256, sizeof(e->sha256));
	return SG_OK;
}

/* Closes f; a write that failed on the way is reported here. */
static int ev_close(struct ev_file *f, int rc, struct sg_error *err)
{
	int bad;

	if (f->packed != NULL)
		return ev_close_packed(f, rc, err);
	if (f->fp == NULL)
		return rc;
	bad = ferror(f->fp);
	if (fclose(f->fp) != 0)
		bad = 1;
	f->fp = NULL;
	if (rc == SG_OK && bad)
		return sg_error_set_at(err, SG_ERR_IO, f->path, 0, 0,
				       "evidence: cannot write: %s",
				       errno ? strerror(errno) :
				       "write error");
	return rc;
}

static int ev_mkdir(struct ev_ctx *c, const char *sub, struct sg_error *err)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", c->dir, sub);
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		return sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				       "evidence: cannot create the folder: "
				       "%s", strerror(errno));
	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				       "evidence: cannot use the folder: "
				       "not a folder");
	return SG_OK;
}

/* ---- CSV ---- */

/* Writes one field (RFC 4180: quoted when it holds a comma, a quote or
 * a line break), preceded by a comma unless it is the first. */
static void ev_csv(FILE *fp, const char *s, int first)
{
	if (!first)
		putc(',', fp);
	sg_csv_fput_field(fp, s);
}

static void ev_csv_end(FILE *fp)
{
	putc('\n', fp);
}

static void ev_csv_header(FILE *fp, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ev_csv(fp, names[i], i == 0);
	ev_csv_end(fp);
}

static const char *ev_time(sg_time t, char *buf)
{
	if (t == SG_TIME_NONE)
		return "";
	return sg_time_format_iso(t, buf);
}

/* ---- config.json ---- */

/* Reads the config file and checks it is the one that was loaded. */
static int ev_config_text(const struct sg_config *cfg, char **text,
			  size_t *len, struct sg_error *err)
{
	char hash[SG_SHA256_HEX_SIZE];
	char *buf = NULL, *grown;
	size_t cap = 0, n;
	FILE *fp;
	int rc = SG_OK;

	*text = NULL;
	*len = 0;
	fp = fopen(cfg->path, "rb");
	if (fp == NULL)
		return sg_error_set_at(err, SG_ERR_IO, cfg->path, 0, 0,
				       "evidence: cannot read the config "
				       "file: %s", strerror(errno));
	for (;;) {
		if (*len == cap) {
			if ((long)cap >= EV_CONFIG_MAX) {
				rc = sg_error_set_at(err, SG_ERR_IO,
						     cfg->path, 0, 0,
						     "evidence: the config "
						     "file is too large");
				goto out;
			}
			cap = cap == 0 ? 8192 : cap * 2;
			grown = realloc(buf, cap + 1);
			if (grown == NULL) {
				rc = ev_nomem(err);
				goto out;
			}
			buf = grown;
		}
		n = fread(buf + *len, 1, cap - *len, fp);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		rc = sg_error_set_at(err, SG_ERR_IO, cfg->path, 0, 0,
				     "evidence: cannot read the config "
				     "file: %s", strerror(errno));
		goto out;
	}
	rc = sg_sha256_hex(buf, *len, hash);
	if (rc != SG_OK) {
		rc = sg_error_set(err, rc, "evidence: cannot hash the "
				  "config file");
		goto out;
	}
	if (cfg->text_sha256 != NULL && strcmp(hash, cfg->text_sha256) != 0) {
		rc = sg_error_set_at(err, SG_ERR_IO, cfg->path, 0, 0,
				     "evidence: the config file changed "
				     "since it was loaded; run again");
		goto out;
	}
out:
	fclose(fp);
	if (rc != SG_OK) {
		free(buf);
		*len = 0;
		return rc;
	}
	*text = buf;
	return SG_OK;
}

/* A copy of section with every value replaced: for a plugin whose
 * option table is unknown, nothing can be told apart from a secret. */
static json_t *ev_redact_all(json_t *section)
{
	const char *key;
	json_t *out, *value;

	if (!json_is_object(section))
		return json_string("<redacted>");
	out = json_object();
	if (out == NULL)
		return NULL;
	json_object_foreach(section, key, value) {
		if (json_object_set_new(out, key,
					json_string("<redacted>")) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* Replaces root[group] by its redacted form. */
static int ev_redact_group(json_t *root, const char *group, unsigned kind,
			   const struct sg_registry *registry,
			   struct sg_error *err)
{
	json_t *sections = json_object_get(root, group), *out, *value;
	const char *key;

	if (sections == NULL)
		return SG_OK;
	if (!json_is_object(sections))
		return json_object_set_new(root, group,
					   ev_redact_all(sections)) == 0 ?
			SG_OK : ev_nomem(err);
	out = json_object();
	if (out == NULL)
		return ev_nomem(err);
	json_object_foreach(sections, key, value) {
		const struct sg_loaded_plugin *lp = NULL;
		struct sg_error ignored;
		json_t *red;

		if (registry != NULL)
			lp = sg_registry_find(registry, key, kind, &ignored);
		if (lp != NULL && json_is_object(value))
			red = sg_options_redact(lp->plugin, value);
		else
			red = ev_redact_all(value);
		if (red == NULL || json_object_set_new(out, key, red) != 0) {
			json_decref(out);
			return ev_nomem(err);
		}
	}
	if (json_object_set_new(root, group, out) != 0)
		return ev_nomem(err);
	return SG_OK;
}

static int ev_write_config(struct ev_ctx *c, struct sg_error *err)
{
	const struct sg_config *cfg = c->in->config;
	struct ev_file f = { 0 };
	json_error_t jerr;
	json_t *root = NULL;
	char *text;
	size_t len, skip = 0;
	int rc;

	rc = ev_config_text(cfg, &text, &len, err);
	if (rc != SG_OK)
		return rc;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		skip = 3;
	root = json_loadb(text + skip, len - skip, JSON_REJECT_DUPLICATES,
			  &jerr);
	free(text);
	if (!json_is_object(root)) {
		json_decref(root);
		return sg_error_set_at(err, SG_ERR_IO, cfg->path, 0, 0,
				       "evidence: the config file is no "
				       "longer a JSON object");
	}
	rc = ev_redact_group(root, "sources", SG_PLUGIN_SOURCE,
			     c->in->registry, err);
	if (rc == SG_OK)
		rc = ev_redact_group(root, "sinks", SG_PLUGIN_SINK,
				     c->in->registry, err);
	if (rc == SG_OK)
		rc = ev_create(c, "config.json", &f, err);
	if (rc == SG_OK) {
		if (json_dumpf(root, f.fp, JSON_INDENT(2) | JSON_SORT_KEYS |
			       EV_JSON_FLAGS) != 0)
			rc = sg_error_set_at(err, SG_ERR_IO, f.path, 0, 0,
					     "evidence: cannot write the "
					     "config");
		else
			putc('\n', f.fp);
	}
	json_decref(root);
	return ev_close(&f, rc, err);
}

/* ---- inputs/: the model in the canonical CSV layout ---- */

/* Creates inputs/ plus the canonical file's name (listed) for writing. */
static int ev_create_input(struct ev_ctx *c, int file, struct ev_file *f,
			   struct sg_error *err)
{
	char name[64];

	snprintf(name, sizeof(name), "inputs/%s",
		 sg_canonical_file(file)->file);
	return ev_create(c, name, f, err);
}

/* An extra column of opportunities.csv. */
struct ev_extra_col {
	sg_sym name;
	const char *text;
	size_t index;           /* position in the header after the fixed */
};

static int ev_cmp_text(const void *a, const void *b)
{
	const struct ev_extra_col *x = a, *y = b;

	return strcmp(x->text, y->text);
}

static int ev_cmp_sym(const void *a, const void *b)
{
	const struct ev_extra_col *x = a, *y = b;

	return x->name < y->name ? -1 : x->name > y->name;
}

static int ev_is_opp_column(const char *name)
{
	return sg_canonical_find_column(SG_CANON_OPPORTUNITIES, name) >= 0;
}

/*
 * The extra columns: every extra field name once, sorted by name, and a
 * copy sorted by symbol for the lookups.  A name equal to a model field
 * is left out: the model field shadows it (sg_model_field_value()), and
 * the csv source would read it as that field.
 */
static int ev_extra_columns(const struct sg_model *m,
			    const struct sg_model_view *v,
			    struct ev_extra_col **by_text,
			    struct ev_extra_col **by_sym, size_t *count,
			    struct sg_error *err)
{
	struct ev_extra_col *cols = NULL, *syms;
	size_t n = 0, i, k;

	*by_text = *by_sym = NULL;
	*count = 0;
	if (v->extra_count > 0) {
		cols = malloc(v->extra_count * sizeof(*cols));
		if (cols == NULL)
			return ev_nomem(err);
	}
	for (i = 0; i < v->extra_count; i++) {
		cols[n].name = v->extras[i].name;
		cols[n].text = sg_model_str(m, v->extras[i].name);
		n++;
	}
	qsort(cols, n, sizeof(*cols), ev_cmp_sym);
	for (i = 0, k = 0; i < n; i++) {
		if (k > 0 && cols[k - 1].name == cols[i].name)
			continue;
		if (cols[i].text[0] == '\0' || ev_is_opp_column(cols[i].text))
			continue;
		cols[k++] = cols[i];
	}
	n = k;
	qsort(cols, n, sizeof(*cols), ev_cmp_text);
	for (i = 0; i < n; i++)
		cols[i].index = i;
	syms = malloc((n ? n : 1) * sizeof(*syms));
	if (syms == NULL) {
		free(cols);
		return ev_nomem(err);
	}
	if (n > 0)
		memcpy(syms, cols, n * sizeof(*syms));
	qsort(syms, n, sizeof(*syms), ev_cmp_sym);
	*by_text = cols;
	*by_sym = syms;
	*count = n;
	return SG_OK;
}

static int ev_write_opportunities(struct ev_ctx *c, const struct sg_model *m,
				  const struct sg_model_view *v,
				  struct sg_error *err)
{
	struct ev_extra_col *by_text = NULL, *by_sym = NULL, key, *hit;
	struct ev_file f = { 0 };
	const char **values = NULL;
	char t1[SG_TIME_ISO_SIZE], t2[SG_TIME_ISO_SIZE], t3[SG_TIME_ISO_SIZE];
	size_t ncols, i, j;
	int rc;

	rc = ev_extra_columns(m, v, &by_text, &by_sym, &ncols, err);
	if (rc != SG_OK)
		return rc;
	values = calloc(ncols ? ncols : 1, sizeof(*values));
	if (values == NULL) {
		rc = ev_nomem(err);
		goto out;
	}
	rc = ev_create_input(c, SG_CANON_OPPORTUNITIES, &f, err);
	if (rc != SG_OK)
		goto out;
	for (i = 0; i < ncols; i++)
		values[i] = by_text[i].text;
	sg_canonical_write_header(f.fp, SG_CANON_OPPORTUNITIES, values,
				  ncols);
	for (i = 0; i < v->opp_count &&
	     (rc = ev_poll(i, err)) == SG_OK; i++) {
		const struct sg_opportunity *o = &v->opps[i];
		const char *row[SG_OPP_COL_COUNT];

		row[SG_OPP_ID] = sg_model_str(m, o->id);
		row[SG_OPP_NAME] = o->name;
		row[SG_OPP_PIPELINE] = o->pipeline;
		row[SG_OPP_STAGE] = o->stage;
		row[SG_OPP_OWNER_ID] = o->owner_id;
		row[SG_OPP_AMOUNT] = o->amount;
		row[SG_OPP_CURRENCY] = o->currency;
		row[SG_OPP_CLOSE_DATE] = ev_time(o->close_date, t1);
		row[SG_OPP_FORECAST_CATEGORY] = o->forecast_category;
		row[SG_OPP_CREATED_AT] = ev_time(o->created_at, t2);
		row[SG_OPP_NEXT_STEP] = o->next_step;
		row[SG_OPP_NEXT_STEP_DATE] = ev_time(o->next_step_date, t3);
		for (j = 0; j < ncols; j++)
			values[j] = "";
		for (j = 0; j < o->extra_count; j++) {
			const struct sg_extra *x =
				&v->extras[o->extra_first + j];

			key.name = x->name;
			hit = bsearch(&key, by_sym, ncols, sizeof(*by_sym),
				      ev_cmp_sym);
			if (hit != NULL && x->value != NULL)
				values[hit->index] = x->value;
		}
		sg_canonical_write_row(f.fp, SG_CANON_OPPORTUNITIES, row,
				       values, ncols);
	}
out:
	rc = ev_close(&f, rc, err);
	free(values);
	free(by_text);
	free(by_sym);
	return rc;
}

static int ev_write_stage_history(struct ev_ctx *c, const struct sg_model *m,
				  const struct sg_model_view *v,
				  struct sg_error *err)
{
	struct ev_file f = { 0 };
	char t[SG_TIME_ISO_SIZE];
	size_t i;
	int rc;

	rc = ev_create_input(c, SG_CANON_STAGE_HISTORY, &f, err);
	if (rc != SG_OK)
		return rc;
	sg_canonical_write_header(f.fp, SG_CANON_STAGE_HISTORY, NULL, 0);
	for (i = 0; i < v->event_count &&
	     (rc = ev_poll(i, err)) == SG_OK; i++) {
		const struct sg_stage_event *e = &v->events[i];
		const char *row[SG_EVENT_COL_COUNT];

		row[SG_EVENT_OPPORTUNITY_ID] =
			sg_model_str(m, v->opps[e->opp].id);
		row[SG_EVENT_FROM_STAGE] = sg_model_str(m, e->from_stage);
		row[SG_EVENT_TO_STAGE] = sg_model_str(m, e->to_stage);
		row[SG_EVENT_CHANGED_AT] = ev_time(e->changed_at, t);
		row[SG_EVENT_CHANGED_BY] = sg_model_str(m, e->changed_by);
		row[SG_EVENT_SOURCE] = sg_model_str(m, e->source);
		sg_canonical_write_row(f.fp, SG_CANON_STAGE_HISTORY, row,
				       NULL, 0);
	}
	return ev_close(&f, rc, err);
}

static int ev_write_field_history(struct ev_ctx *c, const struct sg_model *m,
				  const struct sg_model_view *v,
				  struct sg_error *err)
{
	struct ev_file f = { 0 };
	char t[SG_TIME_ISO_SIZE];
	size_t i;
	int rc;

	rc = ev_create_input(c, SG_CANON_FIELD_HISTORY, &f, err);
	if (rc != SG_OK)
		return rc;
	sg_canonical_write_header(f.fp, SG_CANON_FIELD_HISTORY, NULL, 0);
	for (i = 0; i < v->change_count &&
	     (rc = ev_poll(i, err)) == SG_OK; i++) {
		const struct sg_field_change *ch = &v->changes[i];
		const char *row[SG_CHANGE_COL_COUNT];

		row[SG_CHANGE_OPPORTUNITY_ID] =
			sg_model_str(m, v->opps[ch->opp].id);
		row[SG_CHANGE_FIELD] = sg_model_str(m, ch->field);
		row[SG_CHANGE_OLD_VALUE] = ch->old_value;
		row[SG_CHANGE_NEW_VALUE] = ch->new_value;
		row[SG_CHANGE_CHANGED_AT] = ev_time(ch->changed_at, t);
		sg_canonical_write_row(f.fp, SG_CANON_FIELD_HISTORY, row,
				       NULL, 0);
	}
	return ev_close(&f, rc, err);
}

static const char *ev_activity_type(int type)
{
	static const char *const names[] = {
		"other", "email", "call", "meeting", "note", "task",
		"document"
	};

	if (type < 0 || type > SG_ACT_DOCUMENT)
		return "other";
	return names[type];
}

/* The party as the csv source reads it back: activities take buyer,
 * seller, system or empty; evidence buyer, seller or unknown. */
static const char *ev_party(int party, int evidence)
{
	switch (party) {
	case SG_PARTY_BUYER:
		return "buyer";
	case SG_PARTY_SELLER:
		return "seller";
	case SG_PARTY_SYSTEM:
		return evidence ? "unknown" : "system";
	default:
		return evidence ? "unknown" : "";
	}
}

static int ev_write_activities(struct ev_ctx *c, const struct sg_model *m,
			       const struct sg_model_view *v,
			       struct sg_error *err)
{
	struct ev_file f = { 0 };
	char t[SG_TIME_ISO_SIZE];
	size_t i;
	int rc;

	rc = ev_create_input(c, SG_CANON_ACTIVITIES, &f, err);
	if (rc != SG_OK)
		return rc;
	sg_canonical_write_header(f.fp, SG_CANON_ACTIVITIES, NULL, 0);
	/* The model keeps no activity id, actor or subject. */
	for (i = 0; i < v->activity_count &&
	     (rc = ev_poll(i, err)) == SG_OK; i++) {
		const struct sg_activity *a = &v->activities[i];
		const char *row[SG_ACTIVITY_COL_COUNT] = { NULL };

		row[SG_ACTIVITY_OPPORTUNITY_ID] =
			sg_model_str(m, v->opps[a->opp].id);
		row[SG_ACTIVITY_TYPE] = ev_activity_type(a->type);
		row[SG_ACTIVITY_PARTY] = ev_party(a->party, 0);
		row[SG_ACTIVITY_OCCURRED_AT] = ev_time(a->occurred_at, t);
		sg_canonical_write_row(f.fp, SG_CANON_ACTIVITIES, row, NULL,
				       0);
	}
	return ev_close(&f, rc, err);
}

/* A word for a present evidence value that the config's placeholders do
 * not make missing. */
static const char *ev_present_word(const struct sg_config *cfg)
{
	size_t i;

	for (i = 0; i < sizeof(ev_present_words) /
		     sizeof(ev_present_words[0]); i++)
		if (!sg_value_is_missing(ev_present_words[i],
					 strlen(ev_present_words[i]),
					 &cfg->placeholders, 0))
			return ev_present_words[i];
	return NULL;
}

static int ev_write_evidence(struct ev_ctx *c, const struct sg_model *m,
			     const struct sg_model_view *v,
			     struct sg_error *err)
{
	struct ev_file f = { 0 };
	const char *present = ev_present_word(c->in->config);
	char t[SG_TIME_ISO_SIZE];
	size_t i;
	int rc;

	if (present == NULL)
		return sg_error_set(err, SG_ERR_CONFIG,
				    "evidence: every word for a present "
				    "evidence value is a placeholder of the "
				    "config");
	rc = ev_create_input(c, SG_CANON_EVIDENCE, &f, err);
	if (rc != SG_OK)
		return rc;
	sg_canonical_write_header(f.fp, SG_CANON_EVIDENCE, NULL, 0);
	/* The model keeps whether a value is missing, not the value nor
	 * the ref. */
	for (i = 0; i < v->evidence_count &&
	     (rc = ev_poll(i, err)) == SG_OK; i++) {
		const struct sg_evidence *e = &v->evidence[i];
		const char *row[SG_EVIDENCE_COL_COUNT] = { NULL };

		row[SG_EVIDENCE_OPPORTUNITY_ID] =
			sg_model_str(m, v->opps[e->opp].id);
		row[SG_EVIDENCE_CRITERION] = sg_model_str(m, e->criterion);
		row[SG_EVIDENCE_VALUE] = e->value_missing ? "" : present;
		row[SG_EVIDENCE_PARTY] = ev_party(e->party, 1);
		row[SG_EVIDENCE_OBSERVED_AT] = ev_time(e->observed_at, t);
		sg_canonical_write_row(f.fp, SG_CANON_EVIDENCE, row, NULL, 0);
	}
	return ev_close(&f, rc, err);
}

static int ev_write_owners(struct ev_ctx *c, const struct sg_model *m,
			   const struct sg_model_view *v,
			   struct sg_error *err)
{
	struct ev_file f = { 0 };
	size_t i;
	int rc;

	rc = ev_create_input(c, SG_CANON_OWNERS, &f, err);
	if (rc != SG_OK)
		return rc;
	sg_canonical_write_header(f.fp, SG_CANON_OWNERS, NULL, 0);
	for (i = 0; i < v->owner_count; i++) {
		const struct sg_owner *o = &v->owners[i];
		const char *row[SG_OWNER_COL_COUNT];

		row[SG_OWNER_ID] = sg_model_str(m, o->id);
		row[SG_OWNER_NAME] = o->name;
		row[SG_OWNER_EMAIL] = o->email;
		row[SG_OWNER_MANAGER_ID] = sg_model_str(m, o->manager_id);
		row[SG_OWNER_TEAM] = o->team;
		sg_canonical_write_row(f.fp, SG_CANON_OWNERS, row, NULL, 0);
	}
	return ev_close(&f, rc, err);
}

/* snapshot.json, only when the model has a snapshot (an absent file is
 * how the csv source reads "no snapshot"). */
static int ev_write_snapshot(struct ev_ctx *c, const struct sg_model_view *v,
			     struct sg_error *err)
{
	struct ev_file f = { 0 };
	char t[SG_TIME_ISO_SIZE];
	json_t *obj;
	int rc;

	if (!v->snapshot_present)
		return SG_OK;
	obj = json_pack("{s:s, s:s}", "extracted_at",
			ev_time(v->snapshot_extracted_at, t), "source",
			v->snapshot_source != NULL ? v->snapshot_source : "");
	if (obj == NULL)
		return ev_nomem(err);
	rc = ev_create(c, "inputs/snapshot.json", &f, err);
	if (rc == SG_OK) {
		if (json_dumpf(obj, f.fp, JSON_INDENT(2) | JSON_SORT_KEYS) !=
		    0)
			rc = sg_error_set_at(err, SG_ERR_IO, f.path, 0, 0,
					     "evidence: cannot write");
		else
			putc('\n', f.fp);
	}
	json_decref(obj);
	return ev_close(&f, rc, err);
}

/* The inputs, in two halves of about the same size (at a million
 * opportunities 0.6 and 0.7 GB), each written by a thread of its own:
 * 0, the opportunities and their histories, the owners, the snapshot;
 * 1, the activities and the evidence.  The folder exists. */
static int ev_write_inputs(struct ev_ctx *c, int half, struct sg_error *err)
{
	const struct sg_model *m = c->in->model;
	struct sg_model_view v;
	int rc;

	sg_model_view(m, &v);
	if (half == 1) {
		rc = ev_write_activities(c, m, &v, err);
		return rc == SG_OK ? ev_write_evidence(c, m, &v, err) : rc;
	}
	rc = ev_write_opportunities(c, m, &v, err);
	if (rc == SG_OK)
		rc = ev_write_stage_history(c, m, &v, err);
	if (rc == SG_OK)
		rc = ev_write_field_history(c, m, &v, err);
	if (rc == SG_OK)
		rc = ev_write_owners(c, m, &v, err);
	if (rc == SG_OK)
		rc = ev_write_snapshot(c, &v, err);
	return rc;
}

/* ---- from the ledger ---- */

/* The archived tables and their files. */
static const struct {
	int table;              /* enum sg_ledger_table */
	const char *file;
} ev_tables[] = {
	{ SG_LEDGER_RUNS, "runs.csv" },
	{ SG_LEDGER_TASK_HISTORY, "task_history.csv" },
};

static void ev_csv_cell(FILE *fp, const struct sg_cell *cell, int first)
{
	char buf[32];

	if (cell->null) {
		ev_csv(fp, "", first);
		return;
	}
	switch (cell->kind) {
	case SG_CELL_INT:
		snprintf(buf, sizeof(buf), "%lld", cell->number);
		ev_csv(fp, buf, first);
		break;
	case SG_CELL_TIME:
		ev_csv(fp, sg_time_format_iso(cell->number, buf), first);
		break;
	default:
		ev_csv(fp, cell->text, first);
		break;
	}
}

struct ev_table_file {
	FILE *fp;
	size_t count;
	json_t *run_ids;        /* NULL, or keeps column 0 of each row */
};

static int ev_table_row(void *arg, const struct sg_cell *cells,
			struct sg_error *err)
{
	struct ev_table_file *t = arg;
	size_t i;

	if (ev_cancelled(err) != SG_OK)
		return err->code;
	for (i = 0; i < t->count; i++)
		ev_csv_cell(t->fp, &cells[i], i == 0);
	ev_csv_end(t->fp);
	if (t->run_ids != NULL &&
	    json_array_append_new(t->run_ids, json_string(cells[0].text)) != 0)
		return ev_nomem(err);
	return SG_OK;
}

/* Writes table i of ev_tables as a CSV file; with run_ids, keeps column
 * 0 of each row there too. */
static int ev_write_table(struct ev_ctx *c, size_t i, json_t *run_ids,
			  struct sg_error *err)
{
	struct ev_file f = { 0 };
	struct ev_table_file t = { NULL, 0, run_ids };
	const char *const *names;
	const int *kinds;
	int rc;

	sg_ledger_table_columns(ev_tables[i].table, &names, &kinds, &t.count);
	rc = ev_create(c, ev_tables[i].file, &f, err);
	if (rc == SG_OK) {
		ev_csv_header(f.fp, names, t.count);
		t.fp = f.fp;
		rc = sg_ledger_each_table_row(c->in->ledger,
					      ev_tables[i].table, ev_table_row,
					      &t, err);
	}
	return ev_close(&f, rc, err);
}

/* An exception id heads its note's block in notes.txt (and named a file
 * of its own before): a plain name, never a line break or a path. */
static int ev_safe_id(const char *id)
{
	const char *p;

	if (id == NULL || id[0] == '\0' || id[0] == '.' || strlen(id) > 200)
		return 0;
	for (p = id; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      *p == '.'))
			return 0;
	return 1;
}

/*
 * One exception's block of notes.txt: a line naming it, its review note,
 * a blank line.  One file rather than one per exception: a million small
 * files cost more to archive, list and extract than to read, and the
 * notes are also in exceptions.jsonl for programs.
 */
static void ev_write_note(FILE *fp, const struct sg_exception_record *rec)
{
	size_t len = rec->note != NULL ? strlen(rec->note) : 0;

	fprintf(fp, "%s  %s  %s\n", rec->id, rec->type ? rec->type : "",
		rec->opportunity_id ? rec->opportunity_id : "");
	if (len > 0) {
		fwrite(rec->note, 1, len, fp);
		if (rec->note[len - 1] != '\n')
			putc('\n', fp);
	}
	putc('\n', fp);
}

struct ev_exceptions {
	struct ev_ctx *c;
	struct ev_file *f, *notes;
	struct ev_table_file tasks;
	struct sg_text line;
};

static int ev_exception_line(void *arg, const struct sg_exception_record *rec,
			     const struct sg_cell *task, struct sg_error *err)
{
	struct ev_exceptions *x = arg;
	const char *ledger = sg_ledger_path(x->c->in->ledger);
	int rc = ev_cancelled(err);

	if (rc != SG_OK)
		return rc;
	if (!ev_safe_id(rec->id))
		return sg_error_set_at(err, SG_ERR_LEDGER, ledger, 0, 0,
				       "ledger: an exception id (\"%.40s\") "
				       "is not a plain name",
				       rec->id != NULL ? rec->id : "");
	x->line.len = 0;
	rc = sg_exception_record_append_json(&x->line, rec);
	if (rc == SG_ERR_NOMEM)
		return sg_error_set(err, rc, "out of memory");
	if (rc != SG_OK)
		return sg_error_set_at(err, SG_ERR_LEDGER, ledger, 0, 0,
				       "ledger: exception %s: the stored "
				       "record is not valid JSON text; "
				       "restore the ledger from a backup",
				       rec->id);
	fwrite(x->line.s, 1, x->line.len, x->f->fp);
	putc('\n', x->f->fp);
	ev_write_note(x->notes->fp, rec);
	return ev_table_row(&x->tasks, task, err);
}

/* exceptions.jsonl (each exception's JSON as recorded), its note and its
 * review task (tasks.csv), from one walk of the exceptions by id. */
static int ev_write_exceptions(struct ev_ctx *c, struct sg_error *err)
{
	struct ev_file f = { 0 }, notes = { 0 }, tasks = { 0 };
	struct ev_exceptions x = { c, &f, &notes, { NULL, 0, NULL },
				   { NULL, 0, 0 } };
	const char *const *names;
	const int *kinds;
	int rc;

	sg_ledger_table_columns(SG_LEDGER_TASKS, &names, &kinds,
				&x.tasks.count);
	rc = ev_create(c, "exceptions.jsonl", &f, err);
	if (rc == SG_OK)
		rc = ev_create(c, "notes.txt", &notes, err);
	if (rc == SG_OK)
		rc = ev_create(c, "tasks.csv", &tasks, err);
	if (rc == SG_OK) {
		ev_csv_header(tasks.fp, names, x.tasks.count);
		x.tasks.fp = tasks.fp;
		rc = sg_ledger_each_exception_and_task(
			c->in->ledger, ev_exception_line, &x, err);
	}
	sg_text_release(&x.line);
	return ev_close(&tasks, ev_close(&notes, ev_close(&f, rc, err), err),
			err);
}

static int ev_event_line(void *arg, const char *text, size_t len,
			 struct sg_error *err)
{
	struct ev_file *f = arg;

	if (ev_cancelled(err) != SG_OK)
		return err->code;
	fwrite(text, 1, len, f->fp);
	putc('\n', f->fp);
	return SG_OK;
}

/* events.jsonl: as `stageguard events` prints them, by seq. */
static int ev_write_events(struct ev_ctx *c, struct sg_error *err)
{
	struct ev_file f = { 0 };
	int rc;

	rc = ev_create(c, "events.jsonl", &f, err);
	if (rc == SG_OK)
		rc = sg_review_event_lines(c->in->ledger, SG_TIME_NONE, NULL,
					   ev_event_line, &f, err);
	return ev_close(&f, rc, err);
}

static int ev_write_ledger(struct ev_ctx *c, struct sg_error *err)
{
	int rc;

	/* One read transaction: every file shows the same ledger. */
	rc = sg_ledger_read_begin(c->in->ledger, err);
	if (rc != SG_OK)
		return rc;
	rc = ev_write_table(c, 0, c->run_ids, err);
	if (rc == SG_OK)
		rc = ev_write_table(c, 1, NULL, err);
	if (rc == SG_OK)
		rc = ev_write_exceptions(c, err);
	if (rc == SG_OK)
		rc = ev_write_events(c, err);
	sg_ledger_read_end(c->in->ledger);
	return rc;
}

/* ---- the list and the facts ---- */

static int ev_cmp_files(const void *a, const void *b)
{
	const struct sg_sink_file *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* A name inside the output: relative, '/'-separated, no empty, "." or
 * ".." part. */
static int ev_safe_name(const char *name)
{
	const char *p = name, *end;
	size_t len;

	if (name == NULL || name[0] == '\0' || name[0] == '/' ||
	    strchr(name, '\\') != NULL)
		return 0;
	while (*p != '\0') {
		end = strchr(p, '/');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (end == NULL)
			break;
		p = end + 1;
		if (*p == '\0')
			return 0;
	}
	return 1;
}

static int ev_add_extra(struct ev_ctx *c, const struct sg_sink_file *extra,
			size_t count, struct sg_error *err)
{
	size_t i;
	int rc;

	for (i = 0; i < count; i++) {
		if (!ev_safe_name(extra[i].name) || extra[i].path == NULL)
			return sg_error_set(err, SG_ERR_INTERNAL,
					    "evidence: extra file %zu: \"%s\" "
					    "is not a relative name inside "
					    "the folder", i + 1,
					    extra[i].name != NULL ?
					    extra[i].name : "(null)");
		rc = ev_add(c, extra[i].name, extra[i].path, NULL, err);
		if (rc != SG_OK)
			return rc;
	}
	return SG_OK;
}

static int ev_facts(struct ev_ctx *c, char **out, struct sg_error *err)
{
	const struct sg_evidence_inputs *in = c->in;
	const struct sg_config *cfg = in->config;
	struct sg_model_view v;
	char t1[SG_TIME_ISO_SIZE], t2[SG_TIME_ISO_SIZE];
	json_t *facts, *snaps, *pilot;

	sg_model_view(in->model, &v);
	snaps = json_array();
	if (snaps != NULL && v.snapshot_present &&
	    json_array_append_new(snaps, json_pack(
		    "{s:s, s:s}", "source",
		    v.snapshot_source != NULL ? v.snapshot_source : "",
		    "extracted_at",
		    ev_time(v.snapshot_extracted_at, t1))) != 0) {
		json_decref(snaps);
		snaps = NULL;
	}
	if (cfg->pilot_present)
		pilot = json_pack("{s:s, s:i, s:i}", "start",
				  ev_time(cfg->pilot_start, t2), "days",
				  cfg->pilot_days, "baseline_days",
				  cfg->baseline_days);
	else
		pilot = json_null();
	facts = json_pack("{s:s, s:s, s:s, s:O, s:s, s:o?, s:o?}",
			  "tool", "stageguard",
			  "tool_version", in->tool_version != NULL ?
			  in->tool_version : "",
			  "config_sha256", cfg->text_sha256 != NULL ?
			  cfg->text_sha256 : "",
			  "run_ids", c->run_ids,
			  "as_of", ev_time(in->as_of, t1),
			  "snapshots", snaps, "pilot", pilot);
	if (facts == NULL || snaps == NULL || pilot == NULL) {
		json_decref(facts);
		return ev_nomem(err);
	}
	*out = json_dumps(facts, JSON_COMPACT | EV_JSON_FLAGS);
	json_decref(facts);
	return *out != NULL ? SG_OK : ev_nomem(err);
}

/*
 * The normalized inputs (from the model) and the ledger's files are
 * written on two threads: at a million opportunities they are 1.3 GB
 * and 0.7 GB of text, each a few seconds of formatting, and neither
 * needs the other.  The inputs' files are listed in a context of their
 * own and moved into the caller's after.
 */
struct ev_inputs_job {
	struct ev_ctx c;
	int half;
	pthread_t thread;
	int started;
	struct sg_error err;
	int rc;
};

static void *ev_inputs_thread(void *arg)
{
	struct ev_inputs_job *job = arg;

	sg_error_clear(&job->err);
	job->rc = ev_write_inputs(&job->c, job->half, &job->err);
	return NULL;
}

/* Moves the files listed in from to the end of to's list. */
static int ev_take_files(struct ev_ctx *to, struct ev_ctx *from,
			 struct sg_error *err)
{
	struct sg_sink_file *grown;
	size_t n = to->count + from->count;

	if (n > to->cap) {
		grown = realloc(to->files, n * sizeof(*grown));
		if (grown == NULL)
			return ev_nomem(err);
		to->files = grown;
		to->cap = n;
	}
	if (from->count > 0)
		memcpy(to->files + to->count, from->files,
		       from->count * sizeof(*from->files));
	to->count = n;
	free(from->files);
	from->files = NULL;
	from->count = from->cap = 0;
	return SG_OK;
}

/* Frees a file list: each entry's one block (through .name), then the
 * array. */
static void ev_files_free(struct sg_sink_file *files, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free((char *)files[i].name);
	free(files);
}

void sg_evidence_files_release(struct sg_evidence_files *ev)
{
	if (ev == NULL)
		return;
	ev_files_free(ev->files, ev->file_count);
	free(ev->facts_json);
	ev->files = NULL;
	ev->file_count = 0;
	ev->facts_json = NULL;
}

/*
 * The ledger's files are written by a writer of their own, begun before
 * the model is there (they need none): a thread with a connection of its
 * own to the ledger, or, when either cannot be had, at once on the
 * calling thread.
 */
struct sg_evidence_writer {
	struct sg_evidence_inputs in;   /* the caller's; model set at end */
	struct sg_evidence_inputs own_in; /* the thread's: own connection */
	struct sg_ledger *own;
	struct ev_ctx ledger;           /* the ledger's files, the run ids */
	char *dir;
	pthread_t thread;
	int started;
	int rc;
	struct sg_error err;
};

static void *ev_ledger_thread(void *arg)
{
	struct sg_evidence_writer *w = arg;

	sg_error_clear(&w->err);
	w->rc = ev_write_ledger(&w->ledger, &w->err);
	return NULL;
}

static int ev_folder_ok(const char *dir, struct sg_error *err)
{
	struct stat sb;

	if (stat(dir, &sb) != 0)
		return sg_error_set_at(err, SG_ERR_IO, dir, 0, 0,
				       "evidence: cannot use the folder: %s",
				       strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return sg_error_set_at(err, SG_ERR_IO, dir, 0, 0,
				       "evidence: cannot use the folder: "
				       "not a folder");
	return SG_OK;
}

/* A context writing into w's folder for the inputs in. */
static void ev_ctx_init(struct ev_ctx *c, const struct sg_evidence_writer *w,
			const struct sg_evidence_inputs *in)
{
	memset(c, 0, sizeof(*c));
	c->dir = w->dir;
	c->dir_len = strlen(w->dir);
	while (c->dir_len > 1 && w->dir[c->dir_len - 1] == '/')
		c->dir_len--;
	c->in = in;
}

/* Starts the ledger's files on their own thread and connection. */
static void ev_ledger_start(struct sg_evidence_writer *w)
{
	struct sg_error ignored;

	sg_error_clear(&ignored);
	if (sg_ledger_open(&w->own, sg_ledger_path(w->in.ledger),
			   &ignored) != SG_OK)
		return;
	w->own_in = w->in;
	w->own_in.ledger = w->own;
	w->ledger.in = &w->own_in;
	w->started = pthread_create(&w->thread, NULL, ev_ledger_thread,
				    w) == 0;
	if (w->started)
		return;
	w->ledger.in = &w->in;
	sg_ledger_close(w->own);
	w->own = NULL;
}

int sg_evidence_begin(struct sg_evidence_writer **out, const char *dir,
		      const struct sg_evidence_inputs *in,
		      struct sg_error *err)
{
	struct sg_evidence_writer *w;
	int rc;

	*out = NULL;
	if (dir == NULL || in == NULL || in->config == NULL ||
	    in->ledger == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "evidence: a folder, a config and a "
				    "ledger are needed");
	rc = ev_folder_ok(dir, err);
	if (rc != SG_OK)
		return rc;
	w = calloc(1, sizeof(*w));
	if (w == NULL || (w->dir = strdup(dir)) == NULL) {
		free(w);
		return ev_nomem(err);
	}
	w->in = *in;
	ev_ctx_init(&w->ledger, w, &w->in);
	w->ledger.run_ids = json_array();
	if (w->ledger.run_ids == NULL) {
		sg_evidence_writer_free(w);
		return ev_nomem(err);
	}
	ev_ledger_start(w);
	if (!w->started)
		ev_ledger_thread(w);
	*out = w;
	return SG_OK;
}

/* Waits for the ledger's files; their outcome. */
static int ev_ledger_join(struct sg_evidence_writer *w)
{
	if (w->started) {
		pthread_join(w->thread, NULL);
		w->started = 0;
	}
	sg_ledger_close(w->own);
	w->own = NULL;
	return w->rc;
}

void sg_evidence_writer_free(struct sg_evidence_writer *w)
{
	if (w == NULL)
		return;
	(void)ev_ledger_join(w);
	ev_files_free(w->ledger.files, w->ledger.count);
	json_decref(w->ledger.run_ids);
	free(w->dir);
	free(w);
}

/* The config and the inputs (on two threads), then the ledger's files
 * once done, all in c's list. */
static int ev_write_rest(struct sg_evidence_writer *w, struct ev_ctx *c,
			 struct sg_error *err)
{
	struct ev_inputs_job jobs[2];
	int rc, ledger_rc, k;

	memset(jobs, 0, sizeof(jobs));
	rc = ev_mkdir(c, "inputs", err);
	for (k = 0; rc == SG_OK && k < 2; k++) {
		jobs[k].c.dir = c->dir;
		jobs[k].c.dir_len = c->dir_len;
		jobs[k].c.in = c->in;
		jobs[k].half = k;
		jobs[k].started = pthread_create(&jobs[k].thread, NULL,
						 ev_inputs_thread,
						 &jobs[k]) == 0;
		if (!jobs[k].started)
			ev_inputs_thread(&jobs[k]);
	}
	if (rc == SG_OK)
		rc = ev_write_config(c, err);
	for (k = 0; k < 2; k++)
		if (jobs[k].started)
			pthread_join(jobs[k].thread, NULL);
	ledger_rc = ev_ledger_join(w);
	/* The first failure in the order the files were written before:
	 * the config, the inputs, the ledger's. */
	for (k = 0; rc == SG_OK && k < 2; k++)
		if (jobs[k].rc != SG_OK) {
			*err = jobs[k].err;
			rc = jobs[k].rc;
		}
	if (rc == SG_OK && ledger_rc != SG_OK) {
		*err = w->err;
		rc = ledger_rc;
	}
	for (k = 0; rc == SG_OK && k < 2; k++)
		rc = ev_take_files(c, &jobs[k].c, err);
	if (rc == SG_OK)
		rc = ev_take_files(c, &w->ledger, err);
	for (k = 0; k < 2; k++)
		ev_files_free(jobs[k].c.files, jobs[k].c.count);
	return rc;
}

int sg_evidence_end(struct sg_evidence_writer *w, const struct sg_model *model,
		    sg_time as_of, const struct sg_sink_file *extra,
		    size_t extra_count, struct sg_evidence_files *out,
		    struct sg_error *err)
{
	struct ev_ctx c;
	struct sg_evidence_files got;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (model == NULL) {
		(void)ev_ledger_join(w);
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "evidence: a model is needed");
	}
	w->in.model = model;
	w->in.as_of = as_of;
	ev_ctx_init(&c, w, &w->in);
	rc = ev_write_rest(w, &c, err);
	if (rc == SG_OK)
		rc = ev_add_extra(&c, extra, extra_count, err);
	memset(&got, 0, sizeof(got));
	got.files = c.files;
	got.file_count = c.count;
	if (rc == SG_OK) {
		qsort(got.files, got.file_count, sizeof(*got.files),
		      ev_cmp_files);
		for (i = 1; i < got.file_count && rc == SG_OK; i++)
			if (strcmp(got.files[i - 1].name,
				   got.files[i].name) == 0)
				rc = sg_error_set(err, SG_ERR_INTERNAL,
						  "evidence: \"%s\" is "
						  "written twice",
						  got.files[i].name);
	}
	c.run_ids = w->ledger.run_ids;
	if (rc == SG_OK)
		rc = ev_facts(&c, &got.facts_json, err);
	if (rc != SG_OK) {
		sg_evidence_files_release(&got);
		return rc;
	}
	*out = got;
	return SG_OK;
}

int sg_evidence_write(struct sg_evidence_files *out, const char *dir,
		      const struct sg_evidence_inputs *in,
		      const struct sg_sink_file *extra, size_t extra_count,
		      struct sg_error *err)
{
	struct sg_evidence_writer *w;
	int rc;

	memset(out, 0, sizeof(*out));
	if (in != NULL && in->model == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL,
				    "evidence: a folder, a config, a "
				    "ledger and a model are needed");
	rc = sg_evidence_begin(&w, dir, in, err);
	if (rc != SG_OK)
		return rc;
	rc = sg_evidence_end(w, in->model, in->as_of, extra, extra_count,
			     out, err);
	sg_evidence_writer_free(w);
	return rc;
}
