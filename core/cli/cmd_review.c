/*
 * cmd_review.c - `stageguard review list|show|decide|import`: the review
 * queue of DESIGN §6 over the ledger (core/sg_review.h).
 */
#include "cli.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_review.h"

static const char review_usage[] =
"usage: stageguard review list   [-c CONFIG] [--ledger FILE]\n"
"                                [--status open|overdue|all] [--assignee A]\n"
"                                [--type T] [--verdict V] [--as-of T]\n"
"                                [--format text|jsonl]\n"
"       stageguard review show   ID [-c CONFIG] [--ledger FILE] [--as-of T]\n"
"       stageguard review decide ID --disposition D --by WHO [--note TEXT]\n"
"                                [--at T] [--to ASSIGNEE] [-c CONFIG]\n"
"                                [--ledger FILE]\n"
"       stageguard review import FILE.csv [-c CONFIG] [--ledger FILE]\n"
"\n"
"The review queue: every exception is a review task for its owner's\n"
"manager (else review.default_assignee), due review.sla_hours after it\n"
"was raised, closed only by a disposition.\n"
"\n"
"list    tasks sorted by due time, then id.  --status open (default),\n"
"        overdue (open and due before --as-of, default now) or all.\n"
"show    one task: the review note, evidence present and missing, the\n"
"        move and stage age, forecast impact, the task and its history.\n"
"        ID is an exception id or a prefix of at least 6 characters.\n"
"decide  records a disposition: approve, correct, escalate, reassign,\n"
"        log or block, by WHO at --at (default now).  Every disposition\n"
"        but reassign closes the task.  reassign needs --to ASSIGNEE: it\n"
"        moves the task to that person and keeps it open (due time\n"
"        unchanged); it is recorded as a decision (task history and a\n"
"        disposition_recorded event) but is not the task's final one.\n"
"        Refused (exit 2, nothing changed): an unknown exception or\n"
"        disposition, a task already closed, a time before the exception\n"
"        was raised, reassign without --to.\n"
"import  records dispositions from a CSV file with the columns\n"
"        exception_id, disposition, decided_by, decided_at (ISO-8601),\n"
"        and optionally note and to (the assignee of a reassign).  Every\n"
"        row is checked first; if any row is bad nothing is recorded and\n"
"        each bad row is listed as FILE:LINE: reason (exit 2).\n";

/* The options of every review subcommand. */
struct review_opts {
	const char *config, *ledger, *status, *assignee, *type, *verdict;
	const char *as_of, *format, *disposition, *by, *note, *at, *to;
	const char *operand;
};

enum {
	RO_CONFIG = 1u << 0, RO_LEDGER = 1u << 1, RO_STATUS = 1u << 2,
	RO_ASSIGNEE = 1u << 3, RO_TYPE = 1u << 4, RO_VERDICT = 1u << 5,
	RO_AS_OF = 1u << 6, RO_FORMAT = 1u << 7, RO_DISPOSITION = 1u << 8,
	RO_BY = 1u << 9, RO_NOTE = 1u << 10, RO_AT = 1u << 11,
	RO_TO = 1u << 12
};

/*
 * Parses argv[1..] (argv[0] is the subcommand) accepting the options in
 * allowed and at most one operand.  Returns 0 to go on, 1 after printing
 * the help, 2 after a usage error.
 */
static int review_parse(int argc, char **argv, unsigned allowed,
			struct review_opts *o)
{
	static const struct {
		const char *name;
		unsigned flag;
		size_t offset;
	} known[] = {
		{ "-c", RO_CONFIG, offsetof(struct review_opts, config) },
		{ "--config", RO_CONFIG,
		  offsetof(struct review_opts, config) },
		{ "--ledger", RO_LEDGER,
		  offsetof(struct review_opts, ledger) },
		{ "--status", RO_STATUS,
		  offsetof(struct review_opts, status) },
		{ "--assignee", RO_ASSIGNEE,
		  offsetof(struct review_opts, assignee) },
		{ "--type", RO_TYPE, offsetof(struct review_opts, type) },
		{ "--verdict", RO_VERDICT,
		  offsetof(struct review_opts, verdict) },
		{ "--as-of", RO_AS_OF, offsetof(struct review_opts, as_of) },
		{ "--format", RO_FORMAT,
		  offsetof(struct review_opts, format) },
		{ "--disposition", RO_DISPOSITION,
		  offsetof(struct review_opts, disposition) },
		{ "--by", RO_BY, offsetof(struct review_opts, by) },
		{ "--note", RO_NOTE, offsetof(struct review_opts, note) },
		{ "--at", RO_AT, offsetof(struct review_opts, at) },
		{ "--to", RO_TO, offsetof(struct review_opts, to) },
	};
	const char *command = argv[0];
	int i, operands_only = 0;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *value;
		size_t k, name_len;

		if (operands_only || arg[0] != '-' || arg[1] == '\0') {
			if (o->operand != NULL)
				return cli_usage_error(command, "unexpected "
						       "argument \"%s\"", arg);
			o->operand = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			operands_only = 1;
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			fputs(review_usage, stdout);
			return 1;
		}
		eq = strchr(arg, '=');
		name_len = eq ? (size_t)(eq - arg) : strlen(arg);
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strlen(known[k].name) == name_len &&
			    strncmp(known[k].name, arg, name_len) == 0)
				break;
		if (k == sizeof(known) / sizeof(known[0]) ||
		    !(allowed & known[k].flag))
			return cli_usage_error(command, "unknown option %.*s",
					       (int)name_len, arg);
		value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (value == NULL)
			return cli_usage_error(command, "%s needs a value",
					       arg);
		*(const char **)((char *)o + known[k].offset) = value;
	}
	return 0;
}

/* Parses an optional time option; default now. */
static int review_time(sg_time *out, const char *option, const char *text,
		       struct sg_error *err)
{
	if (text == NULL) {
		*out = cli_now();
		return SG_OK;
	}
	return cli_parse_time(out, option, text, err);
}

static const char *review_iso(sg_time t, char *buf)
{
	if (t == SG_TIME_NONE) {
		strcpy(buf, "-");
		return buf;
	}
	return sg_time_format_iso(t, buf);
}

/* "from -> to", "created in to" or "in stage". */
static void review_move(const struct sg_review_task *t, char *buf,
			size_t size)
{
	if (t->from_stage != NULL && t->to_stage != NULL)
		snprintf(buf, size, "%s -> %s", t->from_stage, t->to_stage);
	else if (t->to_stage != NULL)
		snprintf(buf, size, "created in %s", t->to_stage);
	else
		snprintf(buf, size, "in %s", t->stage ? t->stage : "?");
}

static void review_status(const struct sg_review_task *t, char *buf,
			  size_t size)
{
	if (t->closed)
		snprintf(buf, size, "closed:%s",
			 t->disposition ? t->disposition : "?");
	else
		snprintf(buf, size, "%s", t->overdue ? "overdue" : "open");
}

/* ---- list ---- */

#define REVIEW_COLS 8

static void review_cells(const struct sg_review_task *t,
			 char cells[REVIEW_COLS][160])
{
	char due[SG_TIME_ISO_SIZE];

	snprintf(cells[0], 160, "%s", t->id);
	snprintf(cells[1], 160, "%s", review_iso(t->due_at, due));
	snprintf(cells[2], 160, "%s", t->assignee ? t->assignee : "-");
	snprintf(cells[3], 160, "%s", t->type);
	snprintf(cells[4], 160, "%s", t->verdict);
	snprintf(cells[5], 160, "%s", t->opportunity_id);
	review_move(t, cells[6], 160);
	review_status(t, cells[7], 160);
}

/* One cell padded to width, or the last one and the line's end. */
static void review_cell(const char *text, size_t width, int last)
{
	if (last)
		printf("%s\n", text);
	else
		printf("%-*s  ", (int)width, text);
}

static void review_print_table(const struct sg_review_tasks *tasks,
			       const struct sg_review_filter *filter)
{
	static const char *const head[REVIEW_COLS] = {
		"ID", "DUE", "ASSIGNEE", "TYPE", "VERDICT", "OPPORTUNITY",
		"STAGE/MOVE", "STATUS",
	};
	char cells[REVIEW_COLS][160], as_of[SG_TIME_ISO_SIZE];
	size_t width[REVIEW_COLS], i, open = 0, overdue = 0;
	int c;

	for (c = 0; c < REVIEW_COLS; c++)
		width[c] = strlen(head[c]);
	for (i = 0; i < tasks->count; i++) {
		review_cells(&tasks->items[i], cells);
		for (c = 0; c < REVIEW_COLS; c++)
			if (strlen(cells[c]) > width[c])
				width[c] = strlen(cells[c]);
		open += !tasks->items[i].closed;
		overdue += tasks->items[i].overdue;
	}
	if (tasks->count > 0) {
		for (c = 0; c < REVIEW_COLS; c++)
			review_cell(head[c], width[c], c + 1 == REVIEW_COLS);
		for (i = 0; i < tasks->count; i++) {
			review_cells(&tasks->items[i], cells);
			for (c = 0; c < REVIEW_COLS; c++)
				review_cell(cells[c], width[c],
					    c + 1 == REVIEW_COLS);
		}
		printf("\n");
	}
	printf("%zu review task%s: %zu open (%zu overdue at %s), %zu "
	       "closed\n", tasks->count, tasks->count == 1 ? "" : "s", open,
	       overdue, sg_time_format_iso(filter->as_of, as_of),
	       tasks->count - open);
}

static json_t *review_task_json(const struct sg_review_task *t)
{
	char a[SG_TIME_ISO_SIZE], b[SG_TIME_ISO_SIZE], c[SG_TIME_ISO_SIZE];
	char d[SG_TIME_ISO_SIZE];

	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?,"
			 " s:s?, s:s, s:s?, s:s, s:b, s:s?, s:s?, s:s?,"
			 " s:s?}",
			 "id", t->id, "type", t->type, "verdict", t->verdict,
			 "opportunity_id", t->opportunity_id,
			 "opportunity_name", t->opportunity_name,
			 "from_stage", t->from_stage,
			 "to_stage", t->to_stage, "stage", t->stage,
			 "event_at", t->event_at == SG_TIME_NONE ? NULL :
			 sg_time_format_iso(t->event_at, a),
			 "assignee", t->assignee,
			 "detected_at", review_iso(t->detected_at, b),
			 "due_at", t->due_at == SG_TIME_NONE ? NULL :
			 sg_time_format_iso(t->due_at, c),
			 "status", t->closed ? "closed" : "open",
			 "overdue", t->overdue,
			 "disposition", t->disposition,
			 "decided_by", t->decided_by,
			 "decided_at", t->decided_at == SG_TIME_NONE ? NULL :
			 sg_time_format_iso(t->decided_at, d),
			 "decision_note", t->decision_note);
}

static int review_list(int argc, char **argv)
{
	struct review_opts o;
	struct sg_review_filter filter;
	struct sg_review_tasks tasks = { NULL, 0 };
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	size_t i;
	int rc;

	rc = review_parse(argc, argv, RO_CONFIG | RO_LEDGER | RO_STATUS |
			  RO_ASSIGNEE | RO_TYPE | RO_VERDICT | RO_AS_OF |
			  RO_FORMAT, &o);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (o.operand != NULL)
		return cli_usage_error("review list", "unexpected argument "
				       "\"%s\"", o.operand);
	memset(&filter, 0, sizeof(filter));
	if (o.status == NULL || strcmp(o.status, "open") == 0)
		filter.status = SG_REVIEW_OPEN;
	else if (strcmp(o.status, "overdue") == 0)
		filter.status = SG_REVIEW_OVERDUE;
	else if (strcmp(o.status, "all") == 0)
		filter.status = SG_REVIEW_ALL;
	else
		return cli_usage_error("review list", "--status %s: expected "
				       "open, overdue or all", o.status);
	if (o.type != NULL && sg_exception_type_from_name(o.type) < 0)
		return cli_usage_error("review list", "--type %s: not an "
				       "exception type (missing_evidence, "
				       "required_field, skipped_stage, "
				       "regression, seller_only, "
				       "forecast_impact, stage_age, "
				       "no_next_step, data_quality)", o.type);
	if (o.verdict != NULL && strcmp(o.verdict, "flag") != 0 &&
	    strcmp(o.verdict, "review") != 0 &&
	    strcmp(o.verdict, "block") != 0 && strcmp(o.verdict, "pause") != 0)
		return cli_usage_error("review list", "--verdict %s: expected "
				       "flag, review, block or pause",
				       o.verdict);
	if (o.format != NULL && strcmp(o.format, "text") != 0 &&
	    strcmp(o.format, "jsonl") != 0)
		return cli_usage_error("review list", "--format %s: expected "
				       "text or jsonl", o.format);
	filter.assignee = o.assignee;
	filter.type = o.type;
	filter.verdict = o.verdict;
	sg_error_clear(&err);
	rc = review_time(&filter.as_of, "--as-of", o.as_of, &err);
	if (rc == SG_OK)
		rc = sg_review_open_ledger(&ledger, o.config, o.ledger, &err);
	if (rc == SG_OK)
		rc = sg_review_list(ledger, &filter, &tasks, &err);
	if (rc == SG_OK && o.format != NULL &&
	    strcmp(o.format, "jsonl") == 0) {
		for (i = 0; i < tasks.count && rc == SG_OK; i++) {
			json_t *obj = review_task_json(&tasks.items[i]);
			char *line = obj ? json_dumps(obj, JSON_COMPACT) :
					   NULL;

			json_decref(obj);
			if (line == NULL) {
				rc = sg_error_set(&err, SG_ERR_NOMEM,
						  "out of memory");
				break;
			}
			puts(line);
			free(line);
		}
	} else if (rc == SG_OK) {
		review_print_table(&tasks, &filter);
	}
	sg_review_tasks_release(&tasks);
	sg_ledger_close(ledger);
	return rc == SG_OK ? 0 : cli_fail(&err);
}

/* ---- show ---- */

/* Prints text wrapped at 76 columns, each line indented by two spaces. */
static void review_wrap(const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		size_t len = strlen(p), cut = len;

		if (len > 74) {
			cut = 74;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = 74;
		}
		printf("  %.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

/* The strings of a JSON array joined by ", ", or "(none)". */
static void review_join(json_t *array, char *buf, size_t size)
{
	size_t i, used = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(array, i, v) {
		if (used + 1 >= size)
			break;
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i ? ", " : "",
					 json_is_string(v) ?
					 json_string_value(v) : "?");
	}
	if (buf[0] == '\0')
		snprintf(buf, size, "(none)");
}

static const char *review_jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* The exception of this move of the given type: itself or a related. */
static json_t *review_of_type(const struct sg_review_detail *d,
			      const char *type)
{
	size_t i;
	json_t *v;

	if (strcmp(d->task.type, type) == 0)
		return d->exception;
	json_array_foreach(d->related, i, v)
		if (strcmp(review_jstr(v, "type"), type) == 0)
			return v;
	return NULL;
}

static void review_show_detail(const struct sg_review_detail *d)
{
	const struct sg_review_task *t = &d->task;
	json_t *ex = d->exception, *v;
	char buf[1024];
	size_t i;

	if (t->to_stage != NULL) {
		json_t *me = review_of_type(d, "missing_evidence");
		json_t *fi = review_of_type(d, "forecast_impact");

		if (me != NULL) {
			review_join(json_object_get(me, "missing"), buf,
				    sizeof(buf));
			printf("Evidence missing: %s\n", buf);
			review_join(json_object_get(me, "present"), buf,
				    sizeof(buf));
			printf("Evidence present: %s\n", buf);
		} else {
			printf("Evidence: no missing_evidence exception on "
			       "this move\n");
		}
		if (fi != NULL) {
			json_t *amount = json_object_get(fi, "amount");

			printf("Forecast impact: %s -> %s, %s%s%s\n",
			       json_is_string(json_object_get(
				       fi, "from_category")) ?
			       review_jstr(fi, "from_category") : "none",
			       json_is_string(json_object_get(
				       fi, "to_category")) ?
			       review_jstr(fi, "to_category") : "none",
			       json_is_string(amount) ?
			       json_string_value(amount) : "no amount",
			       json_is_string(amount) ? " " : "",
			       review_jstr(fi, "currency"));
		} else {
			printf("Forecast impact: none\n");
		}
	}
	v = json_object_get(ex, "skipped");
	if (v != NULL) {
		review_join(v, buf, sizeof(buf));
		printf("Stages skipped: %s\n", buf);
	}
	v = json_object_get(ex, "fields");
	if (v != NULL) {
		review_join(v, buf, sizeof(buf));
		printf("Fields missing at the move: %s\n", buf);
	}
	v = json_object_get(ex, "seller_activities");
	if (v != NULL)
		printf("Seller activities, no buyer signal: %lld\n",
		       (long long)json_integer_value(v));
	v = json_object_get(ex, "reasons");
	if (v != NULL) {
		review_join(v, buf, sizeof(buf));
		printf("Data-quality reasons: %s\n", buf);
	}
	v = json_object_get(ex, "reason");
	if (v != NULL)
		printf("Next step: %s\n", json_string_value(v) ?
		       json_string_value(v) : "?");
	if (json_array_size(d->related) > 0) {
		printf("Other exceptions on this move:\n");
		json_array_foreach(d->related, i, v)
			printf("  %s  %s (%s)\n", review_jstr(v, "id"),
			       review_jstr(v, "type"),
			       review_jstr(v, "verdict"));
	}
}

/* One line of history. */
static void review_show_entry(const struct sg_review_entry *e)
{
	char at[SG_TIME_ISO_SIZE];
	json_t *d = e->detail;

	printf("  %s  ", review_iso(e->at, at));
	if (!e->is_event && strcmp(e->action, "reassigned") == 0) {
		printf("reassigned by %s: %s -> %s", e->actor ? e->actor : "?",
		       review_jstr(d, "from"), review_jstr(d, "to"));
	} else if (!e->is_event) {
		printf("%s by %s: %s", e->action, e->actor ? e->actor : "?",
		       review_jstr(d, "disposition"));
	} else if (strcmp(e->action, "disposition_recorded") == 0) {
		printf("event #%lld disposition_recorded: %s by %s, %.2f "
		       "hours after raised, %s", e->seq,
		       review_jstr(d, "disposition"), review_jstr(d, "by"),
		       json_number_value(json_object_get(d, "hours")),
		       json_is_true(json_object_get(d, "overdue")) ?
		       "after its due time" : "on time");
	} else if (strcmp(e->action, "stage_corrected") == 0) {
		printf("event #%lld stage_corrected: moved back to %s at %s",
		       e->seq, review_jstr(d, "from_stage"),
		       review_jstr(d, "reverted_at"));
	} else {
		printf("event #%lld %s", e->seq, e->action);
		if (e->run_id != NULL)
			printf(" (run %s)", e->run_id);
	}
	if (!e->is_event && json_is_string(json_object_get(d, "note")))
		printf(" (\"%s\")", review_jstr(d, "note"));
	printf("\n");
}

static void review_show_print(const struct sg_review_detail *d,
			      sg_time as_of)
{
	const struct sg_review_task *t = &d->task;
	char a[SG_TIME_ISO_SIZE], b[SG_TIME_ISO_SIZE], move[300];
	json_t *age = json_object_get(d->exception, "age_days");
	size_t i;

	printf("Exception %s: %s (%s)\n", t->id, t->type, t->verdict);
	printf("Opportunity: %s%s%s%s, owner %s\n", t->opportunity_id,
	       t->opportunity_name ? " \"" : "",
	       t->opportunity_name ? t->opportunity_name : "",
	       t->opportunity_name ? "\"" : "",
	       t->owner_id ? t->owner_id : "(none)");
	review_move(t, move, sizeof(move));
	if (t->to_stage != NULL)
		printf("Move: %s at %s\n", move, review_iso(t->event_at, a));
	if (json_is_number(age))
		printf("Stage: %s for %.1f days at detection (limit %g)\n",
		       t->stage ? t->stage : "?", json_number_value(age),
		       json_number_value(json_object_get(d->exception,
							 "max_age_days")));
	else if (t->to_stage != NULL && t->event_at != SG_TIME_NONE)
		printf("Stage: %s for %.1f days at detection\n", t->to_stage,
		       (double)(((t->detected_at - t->event_at) * 10 +
				 43200) / 86400) / 10.0);
	else
		printf("Stage: %s\n", t->stage ? t->stage : "?");
	printf("Raised: %s (last seen %s)\n", review_iso(t->detected_at, a),
	       review_iso(t->last_seen, b));
	printf("\nReview note:\n");
	review_wrap(t->note ? t->note : "(none)");
	printf("\n");
	review_show_detail(d);
	printf("\nTask: %s, assigned to %s, due %s\n",
	       t->closed ? "closed" : t->overdue ? "open, overdue" : "open",
	       t->assignee ? t->assignee : "-", review_iso(t->due_at, a));
	if (t->closed)
		printf("Disposition: %s by %s at %s%s%s%s\n", t->disposition,
		       t->decided_by, review_iso(t->decided_at, b),
		       t->decision_note ? " (\"" : "",
		       t->decision_note ? t->decision_note : "",
		       t->decision_note ? "\")" : "");
	else
		printf("Disposition: none yet (overdue judged at %s)\n",
		       review_iso(as_of, b));
	printf("\nHistory:\n");
	for (i = 0; i < d->history_count; i++)
		review_show_entry(&d->history[i]);
}

static int review_show(int argc, char **argv)
{
	struct review_opts o;
	struct sg_review_detail *detail = NULL;
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	char *id = NULL;
	sg_time as_of;
	int rc;

	rc = review_parse(argc, argv, RO_CONFIG | RO_LEDGER | RO_AS_OF, &o);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (o.operand == NULL)
		return cli_usage_error("review show", "which exception? "
				       "give its ID");
	sg_error_clear(&err);
	rc = review_time(&as_of, "--as-of", o.as_of, &err);
	if (rc == SG_OK)
		rc = sg_review_open_ledger(&ledger, o.config, o.ledger, &err);
	if (rc == SG_OK)
		rc = sg_review_resolve(ledger, o.operand, &id, &err);
	if (rc == SG_OK)
		rc = sg_review_show(ledger, id, as_of, &detail, &err);
	if (rc == SG_OK)
		review_show_print(detail, as_of);
	sg_review_detail_free(detail);
	free(id);
	sg_ledger_close(ledger);
	return rc == SG_OK ? 0 : cli_fail(&err);
}

/* ---- decide ---- */

static int review_decide(int argc, char **argv)
{
	struct review_opts o;
	struct sg_review_decision d;
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	char at[SG_TIME_ISO_SIZE];
	char *id = NULL;
	int rc;

	rc = review_parse(argc, argv, RO_CONFIG | RO_LEDGER | RO_DISPOSITION |
			  RO_BY | RO_NOTE | RO_AT | RO_TO, &o);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (o.operand == NULL)
		return cli_usage_error("review decide", "which exception? "
				       "give its ID");
	if (o.disposition == NULL)
		return cli_usage_error("review decide", "--disposition is "
				       "required (approve, correct, escalate, "
				       "reassign, log or block)");
	memset(&d, 0, sizeof(d));
	d.disposition = sg_disposition_from_name(o.disposition);
	if (d.disposition < 0) {
		fprintf(stderr, "stageguard: review decide: unknown "
			"disposition \"%s\": expected approve, correct, "
			"escalate, reassign, log or block; nothing was "
			"recorded\n", o.disposition);
		return 2;
	}
	if (o.by == NULL)
		return cli_usage_error("review decide", "--by WHO is "
				       "required: who decided");
	if (o.to != NULL && d.disposition != SG_DISP_REASSIGN)
		return cli_usage_error("review decide", "--to goes with "
				       "--disposition reassign only");
	d.by = o.by;
	d.note = o.note;
	d.to = o.to;
	d.source = "cli";
	d.recorded_at = cli_now();
	sg_error_clear(&err);
	rc = review_time(&d.at, "--at", o.at, &err);
	if (rc == SG_OK)
		rc = sg_review_open_ledger(&ledger, o.config, o.ledger, &err);
	if (rc == SG_OK)
		rc = sg_review_resolve(ledger, o.operand, &id, &err);
	if (rc == SG_OK) {
		d.exception_id = id;
		rc = sg_review_decide(ledger, &d, &err);
	}
	if (rc == SG_OK && d.disposition == SG_DISP_REASSIGN)
		printf("exception %s: reassigned to %s by %s at %s; the task "
		       "stays open\n", id, d.to, d.by,
		       sg_time_format_iso(d.at, at));
	else if (rc == SG_OK)
		printf("exception %s: %s by %s at %s; the task is closed\n",
		       id, o.disposition, d.by, sg_time_format_iso(d.at, at));
	else if (rc == SG_ERR_REFUSED || rc == SG_ERR_NOTFOUND)
		sg_error_prefix(&err, "review decide: ");
	free(id);
	sg_ledger_close(ledger);
	if (rc != SG_OK) {
		rc = cli_fail(&err);
		if (err.code == SG_ERR_REFUSED || err.code == SG_ERR_NOTFOUND)
			fprintf(stderr, "stageguard: nothing was recorded\n");
		return rc;
	}
	return 0;
}

/* ---- import ---- */

static int review_import(int argc, char **argv)
{
	struct review_opts o;
	struct sg_review_problems problems = { NULL, 0 };
	struct sg_ledger *ledger = NULL;
	struct sg_error err;
	size_t recorded = 0, i;
	int rc;

	rc = review_parse(argc, argv, RO_CONFIG | RO_LEDGER, &o);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (o.operand == NULL)
		return cli_usage_error("review import", "which file? give "
				       "FILE.csv");
	sg_error_clear(&err);
	rc = sg_review_open_ledger(&ledger, o.config, o.ledger, &err);
	if (rc == SG_OK)
		rc = sg_review_import(ledger, o.operand, cli_now(),
				      &recorded, &problems, &err);
	for (i = 0; i < problems.count; i++)
		fprintf(stderr, "%s\n", problems.lines[i]);
	if (rc == SG_OK)
		printf("%zu disposition%s recorded from %s\n", recorded,
		       recorded == 1 ? "" : "s", o.operand);
	sg_review_problems_release(&problems);
	sg_ledger_close(ledger);
	return rc == SG_OK ? 0 : cli_fail(&err);
}

int cmd_review(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} subcommands[] = {
		{ "list", review_list }, { "show", review_show },
		{ "decide", review_decide }, { "import", review_import },
	};
	char command[32];
	size_t i;

	if (argc < 2) {
		fputs(review_usage, stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(review_usage, stdout);
		return 0;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0) {
			char *saved = argv[1];
			int rc;

			/* Messages name "review list", not just "list". */
			snprintf(command, sizeof(command), "review %s",
				 subcommands[i].name);
			argv[1] = command;
			rc = subcommands[i].run(argc - 1, argv + 1);
			argv[1] = saved;
			return rc;
		}
	return cli_usage_error("review", "unknown subcommand \"%s\": "
			       "expected list, show, decide or import",
			       argv[1]);
}
