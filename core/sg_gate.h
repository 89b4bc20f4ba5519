/*
 * sg_gate.h - judging one proposed stage move (DESIGN §8, `stageguard
 * gate`): a JSON object with an opportunity snapshot, its history,
 * evidence and activities and the proposed to_stage becomes a one-
 * opportunity model with the move appended as its last stage event at
 * `at`; the checks of §5 run over the window (at - 1 s, at], and the
 * exceptions that judge the move itself, together with data_quality,
 * decide the verdict.  No ledger is read or written.
 *
 * The input format is documented field by field in docs/gate.md.
 */
#ifndef SG_GATE_H
#define SG_GATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "sg_checks.h"
#include "sg_config.h"
#include "sg_model.h"

/* The largest input accepted, in bytes (1 MiB). */
#define SG_GATE_INPUT_MAX ((size_t)1024 * 1024)

/* Exit statuses of `stageguard gate` per verdict (DESIGN §8). */
#define SG_GATE_EXIT_ALLOW 0
#define SG_GATE_EXIT_REVIEW 10
#define SG_GATE_EXIT_BLOCK 20
#define SG_GATE_EXIT_PAUSE 30

/* A judged move.  Read the fields directly; free with sg_gate_free(). */
struct sg_gate {
	struct sg_model *model;  /* one opportunity, the move appended */
	struct sg_exceptions exceptions; /* all the checks raised, sorted */
	sg_time at;              /* the instant the move is judged at */
	int verdict;             /* enum sg_verdict: ALLOW, REVIEW, BLOCK
				    or PAUSE (never FLAG) */
	int in_scope;            /* 0: the opportunity's pipeline is not
				    the config's; nothing was judged */
	int is_move;             /* 0: to_stage is the current stage */
};

/*
 * Reads a whole stream (standard input) into a NUL-terminated buffer of
 * at most max bytes.  Returns SG_OK with *out (caller frees) and *len, or
 * SG_ERR_PARSE when the stream holds more than max bytes (nothing is kept)
 * and SG_ERR_IO when it cannot be read; name stands for the stream in the
 * message.
 */
int sg_gate_read(char **out, size_t *len, FILE *in, size_t max,
		 const char *name, struct sg_error *err);

/*
 * Judges the move described by the JSON text (len bytes, at most
 * SG_GATE_INPUT_MAX) under config (borrowed; must outlive the gate).  now
 * is the instant used when the input gives no "at".  name stands for the
 * input in error messages (NULL: "input").
 *
 * Returns SG_OK with a gate the caller frees with sg_gate_free(), or
 * SG_ERR_PARSE for input it cannot read (not JSON, too large, a missing
 * or unknown key, a wrong type, a time or amount that does not parse, an
 * unknown party) with err->path = name and a message that starts with the
 * JSON path ("$.history[2].changed_at: ..."), or SG_ERR_NOMEM.  An unknown
 * stage is not an input error: it pauses the move (data_quality).
 */
int sg_gate_new(struct sg_gate **out, const struct sg_config *config,
		const char *text, size_t len, sg_time now, const char *name,
		struct sg_error *err);

/* Frees a gate with its model and exceptions; NULL is ignored. */
void sg_gate_free(struct sg_gate *gate);

/*
 * Nonzero when ex takes part in the verdict of a move judged at at: a
 * data_quality exception, or an exception that judges a stage event at at
 * (the proposed move).  stage_age and no_next_step describe the current
 * state and never do.
 */
int sg_gate_decides(const struct sg_exception *ex, sg_time at);

/*
 * The verdict of a list of exceptions for a move judged at at: the most
 * severe verdict among the exceptions that decide (pause > block > review
 * > allow), a flag counting as allow.  Returns an enum sg_verdict.
 */
int sg_gate_verdict(const struct sg_exceptions *list, sg_time at);

/* The exit status for a verdict: 0 allow (and flag), 10 review, 20 block,
 * 30 pause. */
int sg_gate_exit_status(int verdict);

/*
 * The gate's answer: {"verdict": "allow|review|block|pause",
 * "exceptions": [...]} with every exception as sg_exception_to_json()
 * writes it, routed as detected at the gate's at.  Returns a new
 * reference, or NULL on memory.
 */
json_t *sg_gate_to_json(const struct sg_gate *gate);

#endif
