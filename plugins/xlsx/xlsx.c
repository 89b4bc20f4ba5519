/*
 * xlsx.c - the xlsx sink: renders the report for people (struct
 * sg_report) as an Excel workbook with libxlsxwriter in constant-memory
 * mode, so half a million exception rows take bounded memory.
 *
 * Life cycle: open() resolves the output path and reserves a temporary
 * file next to it (which also proves the folder is writable); write()
 * renders the report into a workbook bound to that temporary file;
 * finish() closes the workbook and renames the file into place, so a
 * failed or cancelled run never leaves half a workbook under the real
 * name.  close() removes a temporary file that was not renamed.
 *
 * The same report gives a byte-identical file: the document's creation
 * time is the report's as-of, libxlsxwriter 1.1.4 stamps every zip entry
 * 1980-01-01 whatever the clock says, and no path or clock goes in.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/sg_path.h"
#include "xlsx_int.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define XLSX_DEFAULT_OUT "pilot-report.xlsx"
#define XLSX_TITLE "stageguard report"
/* The creation time of a report without an as-of: fixed, never now. */
#define XLSX_EPOCH 315532800  /* 1980-01-01T00:00:00Z */
#define XLSX_TITLE_MAX 256

struct xlsx_config {
	char *out;
};

static const struct sg_option xlsx_options[] = {
	{"out", SG_OPT_STRING, 0, XLSX_DEFAULT_OUT,
	 "The workbook to write.  A relative path is relative to the "
	 "config file's folder; the folder must exist.  The file is "
	 "written under a temporary name in the same folder and renamed "
	 "when complete.  `stageguard report --out FILE` overrides it.",
	 offsetof(struct xlsx_config, out)},
};

struct xlsx_state {
	const struct sg_host *host;
	char *path;             /* the workbook asked for */
	char *dir;              /* its folder: temporary files go there */
	char *tmp;              /* the workbook being written, until renamed */
	int tmp_fd;             /* its lock, held until then; -1: none */
	struct xlsx_ctx cx;
	int written;            /* write() was called */
	int failed;             /* ... and failed */
};

__attribute__((visibility("default")))
const struct sg_plugin *sg_plugin_entry(void);

static int xlsx_nomem(struct sg_error *err)
{
	return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
}

/* Drops the workbook without renaming it into place.  libxlsxwriter
 * releases its temporary files only when it closes a workbook, so the
 * workbook is closed onto the temporary file, which is then removed. */
static void xlsx_abandon(struct xlsx_state *st)
{
	if (st->cx.wb != NULL) {
		(void)workbook_close(st->cx.wb);
		st->cx.wb = NULL;
	}
	if (st->tmp != NULL) {
		(void)unlink(st->tmp);
		free(st->tmp);
		st->tmp = NULL;
	}
	if (st->tmp_fd >= 0)
		(void)close(st->tmp_fd);
	st->tmp_fd = -1;
}

static void xlsx_close(void *state)
{
	struct xlsx_state *st = state;

	if (st == NULL)
		return;
	xlsx_abandon(st);
	xlsx_layout_release(&st->cx.layout);
	free(st->cx.scratch);
	free(st->path);
	free(st->dir);
	free(st);
}

/* Splits st->path into its folder; refuses a path naming a folder. */
static int xlsx_split(struct xlsx_state *st, struct sg_error *err)
{
	const char *slash = strrchr(st->path, '/');
	size_t n;

	if (slash != NULL && slash[1] == '\0')
		return sg_error_set_at(err, SG_ERR_SINK, st->path, 0, 0,
				       "the workbook's name ends in '/': "
				       "name a file, such as "
				       "%spilot-report.xlsx", st->path);
	if (slash == NULL) {
		st->dir = strdup(".");
	} else {
		n = slash == st->path ? 1 : (size_t)(slash - st->path);
		st->dir = strndup(st->path, n);
	}
	return st->dir == NULL ? xlsx_nomem(err) : SG_OK;
}

/* Checks the folder and reserves the temporary file in it. */
static int xlsx_reserve(struct xlsx_state *st, struct sg_error *err)
{
	struct stat sb;

	if (stat(st->path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return sg_error_set_at(err, SG_ERR_IO, st->path, 0, 0,
				       "cannot write the workbook: a folder "
				       "has that name; name a file instead");
	if (sg_path_output_ok(st->path, err) != SG_OK)
		return err->code;
	if (stat(st->dir, &sb) != 0)
		return sg_error_set_at(err, SG_ERR_IO, st->path, 0, 0,
				       "cannot write the workbook: its folder "
				       "%s: %s; create the folder or choose "
				       "another output (\"out\" under "
				       "sinks.xlsx, or --out)", st->dir,
				       strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return sg_error_set_at(err, SG_ERR_IO, st->path, 0, 0,
				       "cannot write the workbook: %s is not "
				       "a folder; choose another output",
				       st->dir);
	/* The locked descriptor stays open until the rename, so the next
	 * write of this output knows the file is not a dead run's. */
	if (sg_path_output_temp(st->path, &st->tmp, &st->tmp_fd, err) !=
	    SG_OK)
		return sg_error_prefix(err, "cannot write the workbook: ");
	return SG_OK;
}

static int xlsx_open(void **state, const void *config, const char *arg,
		     const struct sg_host *host, struct sg_error *err)
{
	const struct xlsx_config *cfg = config;
	struct xlsx_state *st;
	const char *out, *base = NULL;
	int rc;

	*state = NULL;
	if (host == NULL || host->version < 1 ||
	    host->size < offsetof(struct sg_host, config_dir) +
	    sizeof(host->config_dir))
		return sg_error_set(err, SG_ERR_PLUGIN,
				    "xlsx: the host table is too old");
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return xlsx_nomem(err);
	st->tmp_fd = -1;
	st->host = host;
	st->cx.host = host;
	if (arg != NULL && arg[0] != '\0') {
		/* A path from the command line: as given, relative to the
		 * current folder. */
		st->path = strdup(arg);
	} else {
		out = cfg != NULL && cfg->out != NULL && cfg->out[0] != '\0' ?
			cfg->out : XLSX_DEFAULT_OUT;
		if (host->config_dir != NULL)
			base = host->config_dir(host->ctx);
		st->path = sg_path_join(base, out);
	}
	if (st->path == NULL) {
		rc = xlsx_nomem(err);
		goto fail;
	}
	st->cx.path = st->path;
	rc = xlsx_split(st, err);
	if (rc != SG_OK)
		goto fail;
	rc = xlsx_reserve(st, err);
	if (rc != SG_OK)
		goto fail;
	*state = st;
	return SG_OK;
fail:
	xlsx_close(st);
	return rc;
}

/* The workbook's properties: fixed but for the title and the as-of. */
static int xlsx_properties(struct xlsx_state *st,
			   const struct sg_report *report,
			   struct sg_error *err)
{
	char title[XLSX_TITLE_MAX], author[] = "stageguard";
	const char *t = XLSX_TITLE;
	lxw_doc_properties props;

	if (report->title != NULL && report->title[0] != '\0') {
		t = xlsx_clean_text(&st->cx, report->title);
		if (t == NULL)
			return xlsx_nomem(err);
	}
	snprintf(title, sizeof(title), "%s", t);
	memset(&props, 0, sizeof(props));
	props.title = title;
	props.author = author;
	props.created = report->as_of > 0 && report->as_of != SG_TIME_NONE ?
		(time_t)report->as_of : (time_t)XLSX_EPOCH;
	if (workbook_set_properties(st->cx.wb, &props) != LXW_NO_ERROR)
		return xlsx_nomem(err);
	return SG_OK;
}

/* The rows a sheet holds: Excel's limit, or the test hook's. */
static void xlsx_row_limit(struct xlsx_ctx *cx)
{
	const struct sg_host *h = cx->host;
	const char *v = h != NULL && h->getenv != NULL ?
		h->getenv(h->ctx, XLSX_ROW_LIMIT_ENV) : NULL;
	long n = v != NULL ? strtol(v, NULL, 10) : 0;

	cx->layout.row_limit = n >= 8 && n < LXW_ROW_MAX ? (lxw_row_t)n :
			       LXW_ROW_MAX;
}

static const char *xlsx_tmpdir(const struct xlsx_state *st)
{
	const struct sg_host *h = st->host;
	const char *v = h != NULL && h->getenv != NULL ?
		h->getenv(h->ctx, "TMPDIR") : NULL;

	return v != NULL && v[0] != '\0' ? v : "/tmp";
}

static int xlsx_hook_set(const struct xlsx_state *st, const char *name)
{
	const struct sg_host *h = st->host;
	const char *v = h != NULL && h->getenv != NULL ?
		h->getenv(h->ctx, name) : NULL;

	return v != NULL && strcmp(v, "1") == 0;
}

static int xlsx_render(struct xlsx_state *st, const struct sg_report *report,
		       struct sg_error *err)
{
	static const struct sg_block empty_blocks[] = {
		{SG_BLOCK_TEXT, "This report has no sections.", NULL, NULL},
	};
	const struct sg_section empty_section = {
		"report", "Report", empty_blocks, 1
	};
	struct sg_report empty;
	lxw_workbook_options opts;
	int rc;

	if (report->section_count > 0 && report->sections == NULL)
		return sg_error_set(err, SG_ERR_SINK,
				    "the report has no sections array (a bug "
				    "in the report)");
	if (report->section_count == 0) {
		empty = *report;
		empty.sections = &empty_section;
		empty.section_count = 1;
		report = &empty;
	}
	memset(&opts, 0, sizeof(opts));
	opts.constant_memory = LXW_TRUE;
	/* The rows go to temporary files in TMPDIR, as every program's do,
	 * not beside the output (glibc's tmpfile() alone would ignore
	 * TMPDIR). */
	opts.tmpdir = (char *)xlsx_tmpdir(st);
	st->cx.tmpdir = opts.tmpdir;
	st->cx.stream_lists = !xlsx_hook_set(st, XLSX_LIBXLSXWRITER_ROWS_ENV);
	st->cx.wb = workbook_new_opt(st->tmp, &opts);
	if (st->cx.wb == NULL)
		return xlsx_nomem(err);
	rc = xlsx_properties(st, report, err);
	if (rc == SG_OK)
		rc = xlsx_formats_init(&st->cx, err);
	if (rc == SG_OK)
		rc = xlsx_layout_build(&st->cx, report, err);
	xlsx_row_limit(&st->cx);
	if (rc == SG_OK)
		rc = xlsx_write_sheets(&st->cx, err);
	return rc;
}

static int xlsx_write(void *state, const struct sg_sink_input *input,
		      struct sg_error *err)
{
	struct xlsx_state *st = state;
	int rc;

	if (st->written)
		return sg_error_set(err, SG_ERR_SINK,
				    "xlsx: write() called twice: one workbook "
				    "holds one report");
	st->written = 1;
	st->failed = 1;
	if (input == NULL || input->size < offsetof(struct sg_sink_input,
						    report) +
	    sizeof(input->report) || input->report == NULL)
		return sg_error_set_at(err, SG_ERR_SINK, st->path, 0, 0,
				       "nothing to render: the xlsx sink "
				       "writes the report for people, and "
				       "the input has none (machine data "
				       "goes to the metrics sink)");
	rc = xlsx_render(st, input->report, err);
	if (rc != SG_OK) {
		/* Name the output unless the error names a file already. */
		if (err != NULL && err->path[0] == '\0')
			sg_error_prefix(err, "%s: ", st->path);
		return rc;
	}
	st->failed = 0;
	return SG_OK;
}

/* The streamed rows put into the workbook: libxlsxwriter's file is
 * rewritten into a second temporary file, which takes the first's place
 * (and its lock's role). */
static int xlsx_put_rows(struct xlsx_state *st, struct sg_error *err)
{
	char *tmp;
	int fd, rc;

	rc = sg_path_output_temp(st->path, &tmp, &fd, err);
	if (rc != SG_OK)
		return sg_error_prefix(err, "cannot write the workbook: ");
	rc = xlsx_repack(&st->cx, st->tmp_fd, fd, err);
	(void)unlink(rc == SG_OK ? st->tmp : tmp);
	if (rc != SG_OK) {
		(void)close(fd);
		free(tmp);
		return rc;
	}
	(void)close(st->tmp_fd);
	free(st->tmp);
	st->tmp = tmp;
	st->tmp_fd = fd;
	return SG_OK;
}

static int xlsx_finish(void *state, struct sg_error *err)
{
	struct xlsx_state *st = state;
	lxw_error lrc;

	if (!st->written || st->failed || st->cx.wb == NULL) {
		xlsx_abandon(st);
		return sg_error_set_at(err, SG_ERR_SINK, st->path, 0, 0,
				       "no workbook written: %s",
				       st->written ? "rendering the report "
				       "failed" : "no report was given");
	}
	if (xlsx_check_row_files(st->cx.wb, err) != SG_OK) {
		xlsx_abandon(st);
		return sg_error_prefix(err, "%s: ", st->path);
	}
	lrc = workbook_close(st->cx.wb);
	st->cx.wb = NULL;
	if (lrc != LXW_NO_ERROR) {
		xlsx_abandon(st);
		return sg_error_set_at(err, SG_ERR_IO, st->path, 0, 0,
				       "cannot write the workbook: %s; check "
				       "the free space and permissions of "
				       "the folder %s and of TMPDIR",
				       lxw_strerror(lrc), st->dir);
	}
	if (xlsx_streamed_count(&st->cx.layout) > 0 &&
	    xlsx_put_rows(st, err) != SG_OK) {
		xlsx_abandon(st);
		return sg_error_prefix(err, "%s: ", st->path);
	}
	if (xlsx_verify_file(st->tmp, &st->cx.layout, err) != SG_OK) {
		xlsx_abandon(st);
		return sg_error_prefix(err, "%s: ", st->path);
	}
	/* On disk before it takes the real name (the locked descriptor
	 * is the file libxlsxwriter rewrote in place). */
	(void)fsync(st->tmp_fd);
	if (rename(st->tmp, st->path) != 0) {
		int e = errno;

		xlsx_abandon(st);
		return sg_error_set_at(err, SG_ERR_IO, st->path, 0, 0,
				       "cannot put the workbook in place: %s; "
				       "check the folder's permissions",
				       strerror(e));
	}
	free(st->tmp);
	st->tmp = NULL;
	(void)close(st->tmp_fd);
	st->tmp_fd = -1;
	st->host->log(st->host->ctx, SG_LOG_INFO, "wrote %s", st->path);
	return SG_OK;
}

static const struct sg_plugin xlsx_plugin = {
	.abi_version = SG_PLUGIN_ABI_VERSION,
	.kind = SG_PLUGIN_SINK,
	.name = "xlsx",
	.version = PACKAGE_VERSION,
	.description = "Writes the report for people as an Excel workbook: "
		"sheets, typed cells, filters, native charts",
	.options = xlsx_options,
	.option_count = sizeof(xlsx_options) / sizeof(xlsx_options[0]),
	.config_size = sizeof(struct xlsx_config),
	.open = xlsx_open,
	.pull = NULL,
	.write = xlsx_write,
	.finish = xlsx_finish,
	.close = xlsx_close,
	.stream_count = NULL,
	.pull_stream = NULL,
	.verify = NULL,
	.sink_needs = SG_SINK_NEEDS_REPORT,
};

/* The plugin's one exported symbol: its constant descriptor. */
const struct sg_plugin *sg_plugin_entry(void)
{
	return &xlsx_plugin;
}
