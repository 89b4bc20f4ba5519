/*
 * csv_int.h - what the csv source's files share (not exported: the module
 * is built with -fvisibility=hidden):
 *
 *   csv.c          the descriptor, open/close, pull() and the streams,
 *                  rows into records
 *   csv_split.c    a large file read as two halves on two threads: the
 *                  quote-aware record boundary and the cursors
 *   csv_mapping.c  a CRM's own export read through a mapping
 */
#ifndef CSV_INT_H
#define CSV_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_pipeline_guess.h"
#include "sg_plugin.h"
#include "sg_csv.h"
#include "sg_stage_values.h"
#include "csv_mapping.h"

#define CSV_BLOCK_RECORDS 8192
#define CSV_SNAPSHOT_MAX (1024 * 1024)
#define CSV_MAPPING_PATH "$.sources.csv.mapping"
#define CSV_ARENA_CHUNK (256u * 1024u)
/* A later file is read as two halves on two threads when it is this large
 * and at least CSV_SPLIT_SHARE percent of the later files' bytes: one file
 * that outweighs the others would otherwise keep one thread busy long
 * after the other is done, while halving smaller files costs more than it
 * gains.  The environment variable SG_CSV_SPLIT_MIN (bytes) sets the size
 * and drops the share: a test seam, so that small fixtures are split. */
#define CSV_SPLIT_MIN (64ull << 20)
#define CSV_SPLIT_SHARE 40

struct csv_config {
	char *dir;
	char *mapping;
};

static const struct sg_option csv_options[] = {
	{"dir", SG_OPT_STRING, 0, NULL,
	 "The folder holding the CSV files: the canonical layout "
	 "(opportunities.csv, stage_history.csv, ...) or the export files "
	 "the mapping names.  A relative path is relative to the config "
	 "file's folder; --source csv:DIR overrides it.",
	 offsetof(struct csv_config, dir)},
	{"mapping", SG_OPT_JSON, 0, NULL,
	 "Optional: how to read a CRM's own export without editing it: "
	 "which file and column (or constant) feeds each field, stage "
	 "labels to stage ids, and per time column a strptime-style format "
	 "and a zone.  See docs/csv-mapping.md.",
	 offsetof(struct csv_config, mapping)},
};

/* A stage_history row kept for derive_from_stage. */
/* A stage_history row kept for derive_from_stage (sg_stage_values.h). */
struct csv_derived {
	struct sg_stage_value v;        /* first */
	const char *changed_by, *source;
	long line;
};

struct csv_chunk {
	struct csv_chunk *next;
	size_t used, cap;
	char data[];
};

/* One field's text for the current row. */
struct csv_value {
	const char *s;
	size_t len;
};

/* The last time text read in one field and what it gave: exports repeat
 * dates row after row, and a hit skips the missing check and the parse. */
#define CSV_TCACHE_MAX 40
struct csv_tcache {
	int valid;
	size_t len;
	sg_time value;
	char text[CSV_TCACHE_MAX];
};

/*
 * A file read as two halves (two streams, two threads).  Where the second
 * half starts is found by a scan that follows the reader's own quoting
 * rules (csv_split_scan), on a thread of its own while pull() reads the
 * opportunities.  The first half stops where the second starts; the second
 * numbers its lines from the line feeds before it, and an error there
 * waits for the first half, so that the error reported is the one a
 * single reader would meet first.
 */
struct csv_split {
	const char *path;       /* borrowed from the state's paths */
	unsigned long long size;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int scanned;            /* the scan is over */
	int ok;                 /* it found a start for the second half */
	unsigned long long at;  /* the second half's first byte */
	long lines;             /* line feeds before at */
	int first_done;         /* first half: 0 reading, 1 done, -1 failed */
	/* The file from the page holding at on, mapped and populated by the
	 * scan (on a core that is otherwise idle then), until the second
	 * half takes it. */
	void *map;
	size_t map_len;
	unsigned long long map_from; /* file offset of map[0] */
};

/*
 * One reading position: a run of specs read one after another, with the
 * open file and what it needs.  pull() reads the head cursor (owners and
 * opportunities); each later canonical file gets a cursor of its own, a
 * stream the host may pull from another thread (sg_plugin.h), so nothing
 * here is shared between cursors but what never changes after open.
 */
struct csv_cursor {
	const struct sg_host *host;
	struct sg_pipeline_guess *guess; /* the state's, or NULL */
	const struct csv_mapping *map;
	char *const *paths;     /* per spec; NULL: an absent optional file */
	size_t spec;            /* the spec being read */
	size_t spec_end;        /* one past the cursor's last spec */

	/* The open file. */
	struct sg_csv *csv;
	unsigned long long size;
	int col[SG_CANON_COLUMNS_MAX]; /* column of each field, or -1 */
	char **header;          /* trimmed copies of the header names */
	size_t header_count;
	size_t *extra_idx;
	struct sg_field *extra;
	size_t extra_count;
	struct csv_tcache tcache[SG_CANON_COLUMNS_MAX];
	/* Per field of the open file: its flags, and its text when no
	 * column feeds it (a constant, or empty). */
	const struct csv_spec *cur;
	const struct sg_canon_file *def;
	unsigned flags[SG_CANON_COLUMNS_MAX];
	struct csv_value fixed[SG_CANON_COLUMNS_MAX];

	/* derive_from_stage: the whole file, sorted. */
	struct csv_derived *rows;
	size_t nrows, rows_cap, next_row;
	int derive_ready;
	struct csv_chunk *arena;

	/* One half of a split file (half 1 or 2), or the whole (0). */
	struct csv_split *split;
	int half;
	long line_base;         /* half 2: lines before its first byte */
	void *data;             /* half 2: the file, mapped */
	size_t data_len;
	size_t data_dropped;    /* bytes of it given back so far */
};

struct csv_state {
	const struct sg_host *host;
	struct csv_mapping *map;
	char *dir;
	char **paths;           /* per spec; NULL: an absent optional file */
	int snapshot_done;
	struct csv_cursor head;  /* owners, opportunities: pull() */
	struct csv_cursor *streams; /* one per later canonical file */
	unsigned stream_count;
	struct csv_split *splits; /* split_count of them */
	unsigned split_count;
	pthread_t scanner;      /* runs csv_split_scan over every split */
	int scanner_started;
	struct sg_pipeline_guess *guess; /* `init --from`: NULL otherwise */
};

int csv_nomem(struct sg_error *err);

void csv_cursor_init(struct csv_cursor *cu,
		     const struct csv_state *st, size_t first,
		     size_t end);

/* Scans every split file, letting each half go on as soon as its file
 * is scanned. */
void *csv_scanner(void *arg);

void csv_split_first_done(struct csv_split *sp, int done);

/* Waits until the first half is over (or the pull is cancelled): an error
 * of the second half is reported only when the first half has none. */
void csv_split_wait_first(struct csv_cursor *cu);

/*
 * Starts a half once its file is open and its header bound: the first
 * half reads on from there; the second half moves to its first byte.
 * Returns 1 to read on, 0 when the half has nothing to read (the file was
 * not split: the first half reads it all), or a negative status.
 */
int csv_half_begin(struct csv_cursor *st, struct sg_error *err);

/* The error a single reader of the whole file meets: the second half's
 * reader numbers lines from its own start, so its own error is not the
 * one to report.  Reading the file again happens only on an error. */
void csv_reproduce_error(const char *path, struct sg_error *err);

/*
 * Splits the specs into the head cursor (owners, opportunities: emitted
 * first, by pull()) and the streams: one per later canonical file (specs
 * are sorted by kind), two for a file of at least the split size read as
 * two halves.  The halves come first, so that the largest work starts
 * first; records of one kind keep their order whatever the stream order.
 */
int csv_make_cursors(struct csv_state *st, struct sg_error *err);


#endif
