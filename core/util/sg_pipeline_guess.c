/*
 * sg_pipeline_guess.c - a pipeline guessed from stage histories (see
 * sg_pipeline_guess.h).
 */
#include "sg_pipeline_guess.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A stage's share of moves out of it below which it counts as closed
 * when histories end there: a won deal reopened now and then stays a
 * closed stage. */
#define GUESS_LEFT_SHARE 0.1

struct guess_event {
	const char *opp;        /* one of the kept opportunity ids */
	size_t from, to;        /* stage index; (size_t)-1: none */
	sg_time at;
	size_t seq;             /* arrival order, for equal times */
};

struct guess_stage {
	char *name;
	double position_sum;
	size_t occurrences, ends, left;
	char **categories;      /* forecast categories seen, with counts */
	size_t *category_counts, category_count;
	int closed, won;
	double mean;
	size_t precedes;        /* stages it comes before in most histories */
};

struct sg_pipeline_guess {
	pthread_mutex_t lock;
	struct guess_stage *stages;
	size_t stage_count;
	char **opps;            /* distinct opportunity ids, sorted later */
	size_t opp_count, opp_cap;
	struct guess_event *events;
	size_t event_count, event_cap;
	size_t *before;         /* [a * stage_count + b]: histories where a
				 * is first entered before b */
	/* The description handed out. */
	struct sg_described_stage *described;
	char *notes[4];
	const char *note_ptrs[4];
	size_t note_count;
};

int sg_pipeline_guess_new(struct sg_pipeline_guess **out)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return SG_ERR_NOMEM;
	pthread_mutex_init(&(*out)->lock, NULL);
	return SG_OK;
}

static void guess_clear_description(struct sg_pipeline_guess *g)
{
	size_t i;

	free(g->described);
	g->described = NULL;
	for (i = 0; i < g->note_count; i++)
		free(g->notes[i]);
	g->note_count = 0;
}

void sg_pipeline_guess_free(struct sg_pipeline_guess *g)
{
	size_t i, k;

	if (g == NULL)
		return;
	guess_clear_description(g);
	for (i = 0; i < g->stage_count; i++) {
		free(g->stages[i].name);
		for (k = 0; k < g->stages[i].category_count; k++)
			free(g->stages[i].categories[k]);
		free(g->stages[i].categories);
		free(g->stages[i].category_counts);
	}
	free(g->stages);
	for (i = 0; i < g->opp_count; i++)
		free(g->opps[i]);
	free(g->opps);
	free(g->events);
	free(g->before);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* The stage's index, added when new; (size_t)-1 for none or no memory
 * (*failed set then).  Pipelines have tens of stages: a scan is enough. */
static size_t guess_stage(struct sg_pipeline_guess *g, const char *name,
			  int *failed)
{
	struct guess_stage *grown;
	size_t i;

	if (name == NULL || name[0] == '\0')
		return (size_t)-1;
	for (i = 0; i < g->stage_count; i++)
		if (strcmp(g->stages[i].name, name) == 0)
			return i;
	grown = realloc(g->stages, (g->stage_count + 1) * sizeof(*grown));
	if (grown == NULL) {
		*failed = 1;
		return (size_t)-1;
	}
	g->stages = grown;
	memset(&grown[i], 0, sizeof(grown[i]));
	grown[i].name = strdup(name);
	if (grown[i].name == NULL) {
		*failed = 1;
		return (size_t)-1;
	}
	g->stage_count++;
	return i;
}

/* Opportunity ids are kept as they come (a run of events of one
 * opportunity shares one copy); the histories are grouped by sorting the
 * events on the id's text. */
static const char *guess_opp(struct sg_pipeline_guess *g, const char *id,
			     int *failed)
{
	if (g->opp_count > 0 && strcmp(g->opps[g->opp_count - 1], id) == 0)
		return g->opps[g->opp_count - 1];
	if (g->opp_count == g->opp_cap) {
		size_t cap = g->opp_cap ? g->opp_cap * 2 : 256;
		char **grown = realloc(g->opps, cap * sizeof(*grown));

		if (grown == NULL) {
			*failed = 1;
			return NULL;
		}
		g->opps = grown;
		g->opp_cap = cap;
	}
	g->opps[g->opp_count] = strdup(id);
	if (g->opps[g->opp_count] == NULL) {
		*failed = 1;
		return NULL;
	}
	return g->opps[g->opp_count++];
}

int sg_pipeline_guess_event(struct sg_pipeline_guess *g,
			    const char *opportunity_id, const char *from,
			    const char *to, sg_time at)
{
	struct guess_event e;
	int failed = 0;

	if (opportunity_id == NULL || to == NULL || to[0] == '\0')
		return SG_OK;
	pthread_mutex_lock(&g->lock);
	e.opp = guess_opp(g, opportunity_id, &failed);
	e.from = guess_stage(g, from, &failed);
	e.to = guess_stage(g, to, &failed);
	e.at = at;
	e.seq = g->event_count;
	if (!failed && g->event_count == g->event_cap) {
		size_t cap = g->event_cap ? g->event_cap * 2 : 1024;
		struct guess_event *grown = realloc(g->events,
						    cap * sizeof(*grown));

		if (grown == NULL)
			failed = 1;
		else {
			g->events = grown;
			g->event_cap = cap;
		}
	}
	if (!failed)
		g->events[g->event_count++] = e;
	pthread_mutex_unlock(&g->lock);
	return failed ? SG_ERR_NOMEM : SG_OK;
}

static int guess_category_add(struct guess_stage *s, const char *category)
{
	char **names;
	size_t *counts, i;

	for (i = 0; i < s->category_count; i++)
		if (strcmp(s->categories[i], category) == 0) {
			s->category_counts[i]++;
			return SG_OK;
		}
	names = realloc(s->categories, (i + 1) * sizeof(*names));
	if (names == NULL)
		return SG_ERR_NOMEM;
	s->categories = names;
	counts = realloc(s->category_counts, (i + 1) * sizeof(*counts));
	if (counts == NULL)
		return SG_ERR_NOMEM;
	s->category_counts = counts;
	names[i] = strdup(category);
	if (names[i] == NULL)
		return SG_ERR_NOMEM;
	counts[i] = 1;
	s->category_count++;
	return SG_OK;
}

int sg_pipeline_guess_current(struct sg_pipeline_guess *g, const char *stage,
			      const char *forecast_category)
{
	int failed = 0, rc = SG_OK;
	size_t i;

	pthread_mutex_lock(&g->lock);
	i = guess_stage(g, stage, &failed);
	if (!failed && i != (size_t)-1 && forecast_category != NULL &&
	    forecast_category[0] != '\0')
		rc = guess_category_add(&g->stages[i], forecast_category);
	pthread_mutex_unlock(&g->lock);
	return failed ? SG_ERR_NOMEM : rc;
}

static int event_order(const void *a, const void *b)
{
	const struct guess_event *x = a, *y = b;
	int c = strcmp(x->opp, y->opp);

	if (c != 0)
		return c;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Counts, for each pair of stages in a history, which was entered
 * first: one regression in a few histories does not reorder a pipeline
 * the others agree on. */
static void guess_precedence(struct sg_pipeline_guess *g, const size_t *path,
			     size_t len)
{
	size_t i, j, k, n = g->stage_count;

	if (g->before == NULL)
		return;
	for (i = 0; i < len; i++) {
		for (k = 0; k < i && path[k] != path[i]; k++)
			;
		if (k < i)
			continue;       /* not its first entry */
		for (j = i + 1; j < len; j++) {
			for (k = 0; k < j && path[k] != path[j]; k++)
				;
			if (k == j && path[j] != path[i])
				g->before[path[i] * n + path[j]]++;
		}
	}
}

/* Walks one opportunity's events: the stages it went through, repeats
 * dropped, each counted at its relative position. */
static void guess_history(struct sg_pipeline_guess *g,
			  const struct guess_event *ev, size_t n,
			  size_t *path)
{
	size_t len = 0, i;

	if (ev[0].from != (size_t)-1)
		path[len++] = ev[0].from;
	for (i = 0; i < n; i++)
		if (len == 0 || path[len - 1] != ev[i].to)
			path[len++] = ev[i].to;
	guess_precedence(g, path, len);
	for (i = 0; i < len; i++) {
		struct guess_stage *s = &g->stages[path[i]];

		s->occurrences++;
		s->position_sum += len > 1 ? (double)i / (double)(len - 1) :
					     0.0;
		if (i + 1 == len)
			s->ends++;
		else
			s->left++;
	}
}

/* Nonzero when name holds word, any case. */
static int name_has(const char *name, const char *word)
{
	size_t n = strlen(word), i;

	for (; *name != '\0'; name++) {
		for (i = 0; i < n && name[i] != '\0'; i++)
			if (tolower((unsigned char)name[i]) != word[i])
				break;
		if (i == n)
			return 1;
	}
	return 0;
}

static void guess_closed(struct guess_stage *s)
{
	int named = name_has(s->name, "closed") || name_has(s->name, "won") ||
		    name_has(s->name, "lost") || name_has(s->name, "win");

	s->mean = s->occurrences ? s->position_sum / (double)s->occurrences :
				   0.0;
	s->closed = named || (s->ends > 0 && s->occurrences > 1 &&
			      (double)s->left <= GUESS_LEFT_SHARE *
						 (double)s->occurrences &&
			      s->mean >= 0.5);
	s->won = s->closed && (name_has(s->name, "won") ||
			       (name_has(s->name, "win") &&
				!name_has(s->name, "lost")));
}

/* Open stages by mean position, then the won ones, then the other
 * closed ones; names break ties. */
static int stage_order(const void *a, const void *b)
{
	const struct guess_stage *x = *(struct guess_stage *const *)a;
	const struct guess_stage *y = *(struct guess_stage *const *)b;
	int rx = x->closed ? (x->won ? 1 : 2) : 0;
	int ry = y->closed ? (y->won ? 1 : 2) : 0;

	if (rx != ry)
		return rx - ry;
	/* A stage seen only as a current stage, in no history, goes after
	 * the others: the notes say so. */
	if ((x->occurrences == 0) != (y->occurrences == 0))
		return x->occurrences == 0 ? 1 : -1;
	if (x->precedes != y->precedes)
		return x->precedes > y->precedes ? -1 : 1;
	if (x->mean != y->mean)
		return x->mean < y->mean ? -1 : 1;
	return strcmp(x->name, y->name);
}

static const char *guess_category(const struct guess_stage *s)
{
	size_t i, best = 0;

	if (s->category_count == 0)
		return NULL;
	for (i = 1; i < s->category_count; i++)
		if (s->category_counts[i] > s->category_counts[best])
			best = i;
	return s->categories[best];
}

static void guess_precedes(struct sg_pipeline_guess *g, size_t a)
{
	size_t b, n = g->stage_count;

	g->stages[a].precedes = 0;
	for (b = 0; g->before != NULL && b < n; b++)
		g->stages[a].precedes += g->before[a * n + b] >
					 g->before[b * n + a];
}

static int guess_note(struct sg_pipeline_guess *g, const char *text)
{
	if (g->note_count == sizeof(g->notes) / sizeof(g->notes[0]))
		return SG_OK;
	g->notes[g->note_count] = strdup(text);
	if (g->notes[g->note_count] == NULL)
		return SG_ERR_NOMEM;
	g->note_ptrs[g->note_count] = g->notes[g->note_count];
	g->note_count++;
	return SG_OK;
}

static int guess_notes(struct sg_pipeline_guess *g, size_t histories,
		       struct guess_stage **order)
{
	char text[1024];
	size_t i, k, used;
	int rc;

	snprintf(text, sizeof(text), "%zu stages seen in %zu stage "
		 "histories, ordered by which is entered before which in most "
		 "of them", g->stage_count, histories);
	rc = guess_note(g, text);
	used = (size_t)snprintf(text, sizeof(text), "in no history, only as "
				"a current stage (placed last among the open "
				"stages: move them):");
	for (i = 0, k = 0; i < g->stage_count && used < sizeof(text); i++)
		if (order[i]->occurrences == 0 && !order[i]->closed)
			used += (size_t)snprintf(text + used,
						 sizeof(text) - used,
						 "%s %s", k++ ? "," : "",
						 order[i]->name);
	if (rc == SG_OK && k > 0)
		rc = guess_note(g, text);
	used = (size_t)snprintf(text, sizeof(text), "closed (guessed from "
				"where histories end and from the names):");
	for (i = 0; i < g->stage_count && used < sizeof(text); i++)
		if (order[i]->closed)
			used += (size_t)snprintf(text + used,
						 sizeof(text) - used,
						 " %s%s", order[i]->name,
						 order[i]->won ? " (won)" : "");
	if (rc == SG_OK)
		rc = guess_note(g, text);
	if (rc == SG_OK)
		rc = guess_note(g, "exit criteria, required fields and stage "
				"ages are not in the data: fill them in");
	return rc;
}

static int guess_fill(struct sg_pipeline_guess *g, size_t histories,
		      struct sg_pipeline_description *out)
{
	struct guess_stage **order;
	size_t i;
	int rc;

	order = malloc((g->stage_count ? g->stage_count : 1) *
		       sizeof(*order));
	g->described = calloc(g->stage_count ? g->stage_count : 1,
			      sizeof(*g->described));
	if (order == NULL || g->described == NULL) {
		free(order);
		return SG_ERR_NOMEM;
	}
	for (i = 0; i < g->stage_count; i++) {
		guess_closed(&g->stages[i]);
		guess_precedes(g, i);
		order[i] = &g->stages[i];
	}
	qsort(order, g->stage_count, sizeof(*order), stage_order);
	for (i = 0; i < g->stage_count; i++) {
		g->described[i].id = order[i]->name;
		g->described[i].closed = order[i]->closed;
		g->described[i].won = order[i]->won;
		g->described[i].forecast_category = guess_category(order[i]);
	}
	rc = guess_notes(g, histories, order);
	free(order);
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->stages = g->described;
	out->stage_count = g->stage_count;
	out->notes = g->note_ptrs;
	out->note_count = g->note_count;
	return rc;
}

int sg_pipeline_guess_describe(struct sg_pipeline_guess *g,
			       struct sg_pipeline_description *out)
{
	size_t i, start, histories = 0, *path;
	int rc;

	pthread_mutex_lock(&g->lock);
	guess_clear_description(g);
	for (i = 0; i < g->stage_count; i++) {
		g->stages[i].position_sum = 0;
		g->stages[i].occurrences = g->stages[i].ends = 0;
		g->stages[i].left = 0;
	}
	if (g->event_count > 1)
		qsort(g->events, g->event_count, sizeof(*g->events),
		      event_order);
	path = malloc((g->event_count + 1) * sizeof(*path));
	free(g->before);
	/* Pairs are counted for a pipeline's tens of stages, not for a
	 * column of free text mistaken for stages. */
	g->before = g->stage_count <= 1000 ?
		calloc(g->stage_count * g->stage_count + 1,
		       sizeof(*g->before)) : NULL;
	rc = path != NULL ? SG_OK : SG_ERR_NOMEM;
	for (start = 0; rc == SG_OK && start < g->event_count; histories++) {
		size_t end = start;

		while (end < g->event_count &&
		       strcmp(g->events[end].opp, g->events[start].opp) == 0)
			end++;
		guess_history(g, &g->events[start], end - start, path);
		start = end;
	}
	free(path);
	if (rc == SG_OK)
		rc = guess_fill(g, histories, out);
	pthread_mutex_unlock(&g->lock);
	return rc;
}
