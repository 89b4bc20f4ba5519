/*
 * sg_evidence.h - the evidence a bundle archives (DESIGN §1, issue 4):
 * the files that let anyone later check what a pilot's numbers were
 * computed from, written into a staging folder for the bundle sink.
 *
 * Everything written is a function of the ledger, the model and the
 * config alone (no clock, no staging path, no host name), so the same
 * inputs give byte-identical files.  No secret is written: the config's
 * plugin sections lose every SG_OPT_SECRET option.
 */
#ifndef SG_EVIDENCE_H
#define SG_EVIDENCE_H

#include "sg_config.h"
#include "sg_ledger.h"
#include "sg_loader.h"
#include "sg_model.h"
#include "sg_plugin.h"

struct sg_evidence_inputs {
	const struct sg_config *config;
	const struct sg_registry *registry; /* option tables, for redaction */
	struct sg_ledger *ledger;
	const struct sg_model *model;       /* finished */
	sg_time as_of;
	const char *tool_version;           /* PACKAGE_VERSION */
	/* 1: write the files packed (sg_packed.h) for a sink that takes
	 * them so: a file past one block is listed packed, with its size
	 * and SHA-256. */
	int packed;
};

/* The files written, in name order, and the facts of the manifest. */
struct sg_evidence_files {
	struct sg_sink_file *files;  /* names and paths owned here */
	size_t file_count;
	char *facts_json;            /* see struct sg_sink_input */
};

/*
 * Writes into the existing folder dir:
 *   config.json                the config, secrets replaced by
 *                              "<redacted>", keys sorted, 2-space indent
 *   inputs/opportunities.csv   the normalized model in the canonical CSV
 *   inputs/stage_history.csv   layout of docs/csv-mapping.md (the csv
 *   inputs/field_history.csv   source reads them back unchanged); files
 *   inputs/activities.csv      with no records are still written, header
 *   inputs/evidence.csv        only
 *   inputs/owners.csv
 *   inputs/snapshot.json
 *   exceptions.jsonl           every exception of the ledger, by id, as
 *                              recorded (check --format jsonl fields)
 *   notes.txt                  every exception's review note, by id: a
 *                              line "ID  TYPE  OPPORTUNITY", the note, a
 *                              blank line
 *   tasks.csv                  every review task with its disposition
 *   task_history.csv           every change of every task
 *   events.jsonl               the measurement events, by seq
 *   runs.csv                   every run of the ledger
 * and fills out with those files plus the files of extra (already
 * written by the caller into dir, e.g. the workbook and metrics.json),
 * all sorted by name, and the facts: {"tool": "stageguard",
 * "tool_version", "config_sha256" (of the config file's bytes),
 * "run_ids": [...], "as_of", "snapshots": [{"source", "extracted_at"}],
 * "pilot": {"start", "days", "baseline_days"} or null}.
 * Returns SG_OK or SG_ERR_IO / SG_ERR_NOMEM / a ledger error with err set
 * naming the file; on failure out is empty.
 */
int sg_evidence_write(struct sg_evidence_files *out, const char *dir,
		      const struct sg_evidence_inputs *in,
		      const struct sg_sink_file *extra, size_t extra_count,
		      struct sg_error *err);

/*
 * The same in two steps, so that the ledger's files (exceptions.jsonl,
 * notes.txt, tasks.csv, task_history.csv, events.jsonl, runs.csv), which
 * need no model, are written while the caller loads one: begin starts
 * them on a thread with a connection of its own to the ledger (in's
 * model and as_of are not read; in is copied), end writes the config
 * and the inputs of model, waits for the ledger's files and fills out
 * as sg_evidence_write() does.  end is called once; free waits for the
 * thread whether or not end was called.  SG_OK or as above.
 */
struct sg_evidence_writer;

int sg_evidence_begin(struct sg_evidence_writer **out, const char *dir,
		      const struct sg_evidence_inputs *in,
		      struct sg_error *err);
int sg_evidence_end(struct sg_evidence_writer *w, const struct sg_model *model,
		    sg_time as_of, const struct sg_sink_file *extra,
		    size_t extra_count, struct sg_evidence_files *out,
		    struct sg_error *err);
/* Accepts NULL. */
void sg_evidence_writer_free(struct sg_evidence_writer *w);

/* Accepts NULL. */
void sg_evidence_files_release(struct sg_evidence_files *ev);

#endif
