/*
 * cli_publish.c - writing a run's outputs through sink plugins: builds
 * only the parts of struct sg_sink_input the sinks asked for (the
 * leadership report, the metrics tables, the evidence files) and hands
 * them to each sink in turn.
 *
 * An archiving sink (the bundle) is given finished files: the evidence of
 * core/sg_evidence.h plus a workbook and the metrics rendered into a
 * staging folder by the xlsx and metrics sinks, so the archive holds
 * exactly what those sinks write.  The evidence is begun with the
 * publication (cli_publish_begin()), before `report` and `bundle` load
 * the model: the ledger's files need none and are written meanwhile, on
 * a thread with a connection of its own.  The model's inputs follow on
 * two threads while the report is built and the workbook rendered, on a
 * thread too; the bundle starts archiving the files named before the
 * workbook as soon as the evidence is written, and the host's
 * file_ready() (struct sg_host) holds it back at the workbook until it
 * is done.  For a sink that takes them so (SG_SINK_FILES_PACKED) the
 * large evidence files are written packed, compressed by the threads
 * that write them.
 */
#include "cli.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "sg_evidence.h"
#include "sg_measures.h"
#include "sg_reports.h"
#include "sg_sink.h"
#include "sg_write_back.h"

/* The files of the staging folder a bundle takes from other sinks. */
static const struct sg_sink_file staged_outputs[] = {
	{ .name = "metrics.csv", .path = "metrics/metrics.csv" },
	{ .name = "metrics.json", .path = "metrics/metrics.json" },
	{ .name = "pilot-report.xlsx", .path = "pilot-report.xlsx" },
};
#define STAGED_COUNT (sizeof(staged_outputs) / sizeof(staged_outputs[0]))

/* Everything the outputs are computed from, built on first need. */
struct cli_publication {
	struct cli_session *session;
	struct sg_ledger *ledger;
	int verbose;
	struct sg_replay *replay;
	struct sg_pilot_measures measures;
	int have_measures;
	struct sg_report_inputs inputs;
	struct sg_built_report *report, *data;
	char *data_json;        /* the measures' one JSON document */
	char staging[4096];
	struct sg_evidence_files evidence;
	struct sg_write_back tasks;     /* for the last write-back sink */
	struct sg_sink_input input;
	struct workbook_job *workbook;  /* being rendered beside the bundle */
	int pack_files;         /* every sink given files takes them packed */
	/* The evidence: begun (the ledger's files) before the model
	 * loads, ended in publish_files(). */
	struct sg_evidence_writer *evidence_writer;
	int files_done;
	const struct cli_sink_job *jobs;
	size_t job_count;
};

/* The staged workbook, rendered on a thread of its own. */
struct workbook_job {
	struct cli_publication *ps;
	struct sg_sink_input input;     /* the report alone */
	char path[4096];
	pthread_t thread;
	int joined;
	double started, seconds;
	struct sg_error err;
	int rc;
};

static int publish_inputs(struct cli_publication *ps, struct sg_error *err)
{
	struct cli_session *s = ps->session;
	int rc;

	if (ps->replay != NULL)
		return SG_OK;
	rc = sg_replay_new(&ps->replay, s->model, s->window.as_of,
			   sg_pilot_measures_from(s->config), err);
	if (rc == SG_OK)
		rc = sg_replay_load_ledger(ps->replay, ps->ledger, err);
	if (rc == SG_OK)
		cli_phase_replay(s, ps->replay);
	if (rc == SG_OK && s->config->pilot_present) {
		rc = sg_pilot_measures_compute(&ps->measures, ps->replay,
					       s->config, err);
		ps->have_measures = rc == SG_OK;
		if (rc == SG_OK)
			cli_phase(s, "computed the pilot's measures");
	}
	ps->inputs.config = s->config;
	ps->inputs.ledger = ps->ledger;
	ps->inputs.model = s->model;
	ps->inputs.replay = ps->replay;
	ps->inputs.measures = ps->have_measures ? &ps->measures : NULL;
	ps->inputs.as_of = s->window.as_of;
	return rc;
}

static int publish_report(struct cli_publication *ps, struct sg_error *err)
{
	int rc = publish_inputs(ps, err);

	if (rc == SG_OK && ps->report == NULL) {
		rc = sg_report_leadership(&ps->report, &ps->inputs, err);
		if (rc == SG_OK)
			cli_phase(ps->session, "built the leadership report");
	}
	if (rc == SG_OK)
		ps->input.report = sg_built_report_view(ps->report);
	return rc;
}

static int publish_data(struct cli_publication *ps, struct sg_error *err)
{
	int rc = publish_inputs(ps, err);

	if (rc == SG_OK && ps->data == NULL) {
		rc = sg_report_metrics(&ps->data, &ps->inputs, err);
		if (rc == SG_OK && ps->have_measures) {
			ps->data_json = sg_pilot_measures_json(&ps->measures,
							       err);
			if (ps->data_json == NULL)
				rc = err->code != SG_OK ? err->code :
				     SG_ERR_NOMEM;
		}
		if (rc == SG_OK)
			cli_phase(ps->session, "built the metrics tables");
	}
	ps->input.data_json = ps->data_json;
	if (rc == SG_OK)
		ps->input.data = sg_built_report_view(ps->data);
	return rc;
}

static int publish_file_ready(void *arg, size_t index, struct sg_error *err);

static int write_one(struct cli_publication *ps, const char *name,
		     const char *arg, int verbose, struct sg_error *err)
{
	struct sg_sink_options opts = {
		.name = name, .arg = arg, .verbose = verbose,
		.ledger = ps->ledger, .now = cli_now(),
		.http_summary = ps->session->timing,
		.file_ready = ps->workbook != NULL ? publish_file_ready : NULL,
		.file_ready_arg = ps,
	};
	char phase[128];
	int rc;

	rc = sg_sink_write(ps->session->config, ps->session->registry,
			   &opts, &ps->input, err);
	snprintf(phase, sizeof(phase), "wrote the %s sink's output", name);
	if (rc == SG_OK)
		cli_phase(ps->session, phase);
	return rc;
}

static int publish_join(char *out, size_t size, const char *dir,
			const char *name, struct sg_error *err)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return sg_error_set(err, SG_ERR_IO, "%s/%s: path too long",
				    dir, name);
	return SG_OK;
}

/* The metrics data without its events table. */
struct measures_view {
	struct sg_report report;
	struct sg_section *sections;
	struct sg_block *blocks;
};

static int measures_view_make(struct measures_view *v,
			      const struct sg_report *data,
			      struct sg_error *err)
{
	size_t i, j, n = 0;

	memset(v, 0, sizeof(*v));
	v->report = *data;
	for (i = 0; i < data->section_count; i++)
		n += data->sections[i].block_count;
	v->sections = calloc(data->section_count + 1, sizeof(*v->sections));
	v->blocks = calloc(n + 1, sizeof(*v->blocks));
	if (v->sections == NULL || v->blocks == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	n = 0;
	for (i = 0; i < data->section_count; i++) {
		const struct sg_section *s = &data->sections[i];

		v->sections[i] = *s;
		v->sections[i].blocks = v->blocks + n;
		v->sections[i].block_count = 0;
		for (j = 0; j < s->block_count; j++) {
			const struct sg_block *b = &s->blocks[j];

			if (b->type == SG_BLOCK_TABLE && b->table != NULL &&
			    strcmp(b->table->key, "events") == 0)
				continue;
			v->blocks[n++] = *b;
			v->sections[i].block_count++;
		}
	}
	v->report.sections = v->sections;
	return SG_OK;
}

static void measures_view_release(struct measures_view *v)
{
	free(v->sections);
	free(v->blocks);
}

/* The bundle archives the metrics sink's metrics.json and metrics.csv;
 * its events are the evidence's events.jsonl.  So the staged metrics
 * sink is not given the events table: at a million opportunities it
 * would write 137 MB that nothing reads. */
static int publish_stage_metrics(struct cli_publication *ps, const char *path,
				 struct sg_error *err)
{
	const struct sg_report *data = ps->input.data;
	struct measures_view v;
	int rc = measures_view_make(&v, data, err);

	if (rc == SG_OK) {
		ps->input.data = &v.report;
		rc = write_one(ps, "metrics", path, SG_LOG_WARN, err);
		ps->input.data = data;
	}
	measures_view_release(&v);
	return rc;
}

static void *workbook_thread(void *arg)
{
	struct workbook_job *job = arg;
	struct cli_publication *ps = job->ps;
	struct sg_sink_options opts = {
		.name = "xlsx", .arg = job->path, .verbose = SG_LOG_WARN,
		.ledger = ps->ledger, .now = cli_now(),
	};

	sg_error_clear(&job->err);
	job->rc = sg_sink_write(ps->session->config, ps->session->registry,
				&opts, &job->input, &job->err);
	job->seconds = cli_seconds() - job->started;
	return NULL;
}

/* Waits for the workbook (once); its outcome. */
static int workbook_join(struct cli_publication *ps, struct sg_error *err)
{
	struct workbook_job *job = ps->workbook;

	if (!job->joined) {
		pthread_join(job->thread, NULL);
		job->joined = 1;
		if (job->rc == SG_OK)
			cli_phase_took(ps->session, "rendered the workbook "
				       "beside the bundle", job->seconds);
	}
	if (job->rc != SG_OK)
		*err = job->err;
	return job->rc;
}

/* The host's file_ready() for the bundle: the workbook is the one file
 * that may still be being written. */
static int publish_file_ready(void *arg, size_t index, struct sg_error *err)
{
	struct cli_publication *ps = arg;

	if (index >= ps->input.file_count ||
	    strcmp(ps->input.files[index].name, "pilot-report.xlsx") != 0)
		return SG_OK;
	return workbook_join(ps, err);
}

/* Renders the workbook into the staging folder on its own thread, or
 * here when no thread can be had (ps->workbook stays NULL). */
static int publish_stage_workbook(struct cli_publication *ps,
				  struct sg_error *err)
{
	struct workbook_job *job = calloc(1, sizeof(*job));
	int rc;

	if (job == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	job->ps = ps;
	job->input.size = sizeof(job->input);
	job->input.report = ps->input.report;
	rc = publish_join(job->path, sizeof(job->path), ps->staging,
			  "pilot-report.xlsx", err);
	if (rc == SG_OK) {
		job->started = cli_seconds();
		if (pthread_create(&job->thread, NULL, workbook_thread,
				   job) == 0) {
			ps->workbook = job;
			return SG_OK;
		}
		rc = write_one(ps, "xlsx", job->path, SG_LOG_WARN, err);
	}
	free(job);
	return rc;
}

/* Renders the metrics and then the workbook into the staging folder
 * (quietly: the folder is gone once the bundle is written). */
static int publish_stage_outputs(struct cli_publication *ps,
				 struct sg_error *err)
{
	char path[4096];
	int rc = publish_report(ps, err);

	if (rc == SG_OK)
		rc = publish_data(ps, err);
	if (rc == SG_OK)
		rc = publish_join(path, sizeof(path), ps->staging, "metrics",
				  err);
	if (rc == SG_OK)
		rc = publish_stage_metrics(ps, path, err);
	if (rc == SG_OK)
		rc = publish_stage_workbook(ps, err);
	return rc;
}

/* The evidence files, written while the workbook is rendered. */
struct evidence_job {
	struct sg_evidence_writer *writer;
	const struct sg_model *model;
	sg_time as_of;
	const struct sg_sink_file *extra;
	struct sg_evidence_files *out;
	struct sg_error err;
	int rc;
};

static void *evidence_thread(void *arg)
{
	struct evidence_job *job = arg;

	sg_error_clear(&job->err);
	job->rc = sg_evidence_end(job->writer, job->model, job->as_of,
				  job->extra, STAGED_COUNT, job->out,
				  &job->err);
	return NULL;
}

static int publish_staging_folder(struct cli_publication *ps,
				  struct sg_error *err)
{
	const char *tmp = getenv("TMPDIR");
	int rc;

	snprintf(ps->staging, sizeof(ps->staging), "%s/stageguard-bundle-"
		 "XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(ps->staging) != NULL)
		return SG_OK;
	rc = sg_error_set(err, SG_ERR_IO, "%s: cannot create a staging "
			  "folder for the bundle: %s (set TMPDIR to a "
			  "writable folder)", ps->staging, strerror(errno));
	ps->staging[0] = '\0';
	return rc;
}

/* The staged outputs' names and paths, for the evidence's file list. */
static int publish_staged_list(struct cli_publication *ps,
			       struct sg_sink_file *extra,
			       char paths[][4096], struct sg_error *err)
{
	size_t i;
	int rc = SG_OK;

	for (i = 0; rc == SG_OK && i < STAGED_COUNT; i++) {
		rc = publish_join(paths[i], sizeof(paths[i]), ps->staging,
				  staged_outputs[i].path, err);
		extra[i] = staged_outputs[i];
		extra[i].path = paths[i];
	}
	return rc;
}

/* The staging folder and the evidence's first files, the ledger's
 * (once). */
static int publish_evidence_begin(struct cli_publication *ps,
				  struct sg_error *err)
{
	struct cli_session *s = ps->session;
	struct sg_evidence_inputs in;
	int rc;

	if (ps->evidence_writer != NULL)
		return SG_OK;
	rc = ps->staging[0] != '\0' ? SG_OK :
	     publish_staging_folder(ps, err);
	if (rc != SG_OK)
		return rc;
	memset(&in, 0, sizeof(in));
	in.config = s->config;
	in.registry = s->registry;
	in.ledger = ps->ledger;
	in.tool_version = PACKAGE_VERSION;
	in.packed = ps->pack_files;
	return sg_evidence_begin(&ps->evidence_writer, ps->staging, &in, err);
}

static int publish_files(struct cli_publication *ps, struct sg_error *err)
{
	struct cli_session *s = ps->session;
	struct sg_sink_file extra[STAGED_COUNT];
	char paths[STAGED_COUNT][4096];
	struct evidence_job job;
	pthread_t thread;
	int rc, started = 0;

	if (ps->files_done)
		return SG_OK;
	rc = publish_evidence_begin(ps, err);
	if (rc == SG_OK)
		rc = publish_staged_list(ps, extra, paths, err);
	if (rc != SG_OK)
		return rc;
	memset(&job, 0, sizeof(job));
	job.writer = ps->evidence_writer;
	job.model = s->model;
	job.as_of = s->window.as_of;
	job.extra = extra;
	job.out = &ps->evidence;
	started = pthread_create(&thread, NULL, evidence_thread, &job) == 0;
	if (!started)
		evidence_thread(&job);
	rc = publish_stage_outputs(ps, err);
	if (rc == SG_OK && started)
		cli_phase(s, ps->workbook != NULL ? "staged the metrics" :
			  "staged the workbook and the metrics");
	if (started)
		pthread_join(thread, NULL);
	if (rc == SG_OK && job.rc != SG_OK) {
		*err = job.err;
		rc = job.rc;
	}
	ps->files_done = 1;
	if (rc == SG_OK) {
		cli_phase(s, "wrote the evidence files");
		ps->input.files = ps->evidence.files;
		ps->input.file_count = ps->evidence.file_count;
		ps->input.facts_json = ps->evidence.facts_json;
	}
	return rc;
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
			struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void publish_release(struct cli_publication *ps)
{
	struct sg_error ignored;

	/* A bundle that failed before the workbook leaves it running. */
	if (ps->workbook != NULL) {
		sg_error_clear(&ignored);
		(void)workbook_join(ps, &ignored);
		free(ps->workbook);
	}
	sg_evidence_writer_free(ps->evidence_writer);
	if (ps->staging[0] != '\0')
		nftw(ps->staging, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	sg_evidence_files_release(&ps->evidence);
	sg_write_back_release(&ps->tasks);
	sg_built_report_free(ps->report);
	sg_built_report_free(ps->data);
	free(ps->data_json);
	if (ps->have_measures)
		sg_pilot_measures_release(&ps->measures);
	sg_replay_free(ps->replay);
}

/* The review tasks a write-back sink has not written yet. */
static int publish_tasks(struct cli_publication *ps, const char *sink,
			 struct sg_error *err)
{
	int rc;

	sg_write_back_release(&ps->tasks);
	if (ps->ledger == NULL)
		return sg_error_set(err, SG_ERR_USAGE, "%s writes review tasks "
				    "back and needs the ledger: use "
				    "`stageguard run`", sink);
	rc = sg_write_back_load(&ps->tasks, ps->ledger, sink, err);
	if (rc != SG_OK)
		return rc;
	ps->input.tasks = ps->tasks.items;
	ps->input.task_count = ps->tasks.count;
	cli_phase(ps->session, "listed the tasks to write back");
	return SG_OK;
}

/* Builds what the sink asked for, then writes it. */
static int publish_one(struct cli_publication *ps,
		       const struct cli_sink_job *job,
		       struct sg_error *err)
{
	const struct sg_plugin *p;
	int rc = SG_OK;

	p = sg_sink_find(ps->session->registry, job->name, err);
	if (p == NULL)
		return SG_ERR_PLUGIN;
	if (p->sink_needs & SG_SINK_NEEDS_REPORT)
		rc = publish_report(ps, err);
	if (rc == SG_OK && (p->sink_needs & SG_SINK_NEEDS_DATA))
		rc = publish_data(ps, err);
	if (rc == SG_OK && (p->sink_needs & SG_SINK_NEEDS_FILES))
		rc = publish_files(ps, err);
	if (rc == SG_OK && (p->sink_needs & SG_SINK_NEEDS_TASKS))
		rc = publish_tasks(ps, job->name, err);
	/* A sink that would read the workbook unasked gets it whole. */
	if (rc == SG_OK && ps->workbook != NULL &&
	    !(p->sink_needs & SG_SINK_FILES_WHEN_READY))
		rc = workbook_join(ps, err);
	if (rc == SG_OK)
		rc = write_one(ps, job->name, job->arg, ps->verbose, err);
	return rc;
}

/* Whether a sink of jobs is given files (*files), and whether every such
 * sink takes them packed (*packed): the evidence is written once for
 * all of them. */
static void publish_file_sinks(const struct cli_session *s,
			       const struct cli_sink_job *jobs,
			       size_t job_count, int *files, int *packed)
{
	const struct sg_plugin *p;
	struct sg_error ignored;
	size_t i;

	*files = 0;
	*packed = 1;
	for (i = 0; i < job_count; i++) {
		p = sg_sink_find(s->registry, jobs[i].name, &ignored);
		if (p == NULL || !(p->sink_needs & SG_SINK_NEEDS_FILES))
			continue;
		*files = 1;
		if (!(p->sink_needs & SG_SINK_FILES_PACKED))
			*packed = 0;
	}
	*packed = *packed && *files;
}

int cli_publish_begin(struct cli_publication **out, struct cli_session *s,
		      struct sg_ledger *ledger,
		      const struct cli_sink_job *jobs, size_t job_count,
		      struct sg_error *err)
{
	struct cli_publication *ps = calloc(1, sizeof(*ps));
	int rc = SG_OK, files;

	*out = NULL;
	if (ps == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	ps->session = s;
	ps->ledger = ledger;
	ps->jobs = jobs;
	ps->job_count = job_count;
	ps->input.size = sizeof(ps->input);
	publish_file_sinks(s, jobs, job_count, &files, &ps->pack_files);
	/* Without a ledger the sink fails later, with its own message. */
	if (ledger != NULL && files)
		rc = publish_evidence_begin(ps, err);
	if (rc != SG_OK) {
		cli_publish_end(ps);
		return rc;
	}
	*out = ps;
	return SG_OK;
}

int cli_publish_run(struct cli_publication *ps, int verbose,
		    struct sg_error *err)
{
	size_t i;
	int rc = SG_OK;

	ps->verbose = verbose;
	for (i = 0; rc == SG_OK && i < ps->job_count; i++)
		rc = publish_one(ps, &ps->jobs[i], err);
	return rc;
}

void cli_publish_end(struct cli_publication *ps)
{
	if (ps == NULL)
		return;
	publish_release(ps);
	free(ps);
}

int cli_publish(struct cli_session *s, struct sg_ledger *ledger,
		const struct cli_sink_job *jobs, size_t job_count,
		int verbose, struct sg_error *err)
{
	struct cli_publication *ps;
	int rc = cli_publish_begin(&ps, s, ledger, jobs, job_count, err);

	if (rc == SG_OK)
		rc = cli_publish_run(ps, verbose, err);
	cli_publish_end(ps);
	return rc;
}

/* Archiving sinks last: they take what the others wrote. */
static int job_order(const struct cli_session *s, const char *name)
{
	const struct sg_plugin *p;
	struct sg_error ignored;

	p = sg_sink_find(s->registry, name, &ignored);
	return p != NULL && (p->sink_needs & SG_SINK_NEEDS_FILES) ? 1 : 0;
}

int cli_config_sink_jobs(const struct cli_session *s,
			 struct cli_sink_job **jobs, size_t *count,
			 struct sg_error *err)
{
	const char *name;
	json_t *section;
	size_t n = 0, pass;

	*jobs = NULL;
	*count = 0;
	if (s->config->sinks == NULL || json_object_size(s->config->sinks) == 0)
		return SG_OK;
	*jobs = calloc(json_object_size(s->config->sinks), sizeof(**jobs));
	if (*jobs == NULL)
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	for (pass = 0; pass < 2; pass++)
		json_object_foreach(s->config->sinks, name, section)
			if (job_order(s, name) == (int)pass) {
				(*jobs)[n].name = name;
				(*jobs)[n].arg = NULL;
				n++;
			}
	*count = n;
	return SG_OK;
}
