/*
 * csv_split.c - a large file read as two halves on two threads: a
 * background scan finds the first record boundary past the middle that
 * is outside quotes (a quoted field may hold line breaks), the two halves
 * get cursors of their own, and an error in the second half is reported
 * as a single reader would report it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "csv_int.h"


/* --- Split files. --- */

/* The smallest file read as two halves (see CSV_SPLIT_MIN); *forced is
 * set when the test seam gave it. */
static unsigned long long csv_split_min(const struct sg_host *host,
					int *forced)
{
	const char *v = host->getenv != NULL ?
		host->getenv(host->ctx, "SG_CSV_SPLIT_MIN") : NULL;
	unsigned long long n;
	char *end;

	*forced = 0;
	if (v == NULL || v[0] == '\0')
		return CSV_SPLIT_MIN;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || n == 0)
		return CSV_SPLIT_MIN;
	*forced = 1;
	return n;
}

/* The index after the closing quote of the quoted field opening at q,
 * when what follows it is a comma, a line end or the end; SIZE_MAX when
 * the field is unterminated or followed by anything else (the reader
 * refuses both). */
static size_t csv_scan_quoted(const char *b, size_t n, size_t q)
{
	const char *c;
	size_t p = q + 1;

	for (;;) {
		c = memchr(b + p, '"', n - p);
		if (c == NULL)
			return SIZE_MAX;
		p = (size_t)(c - b);
		if (p + 1 < n && b[p + 1] == '"') {
			p += 2;
			continue;
		}
		break;
	}
	p++;
	if (p == n || b[p] == ',' || b[p] == '\n' ||
	    (b[p] == '\r' && (p + 1 == n || b[p + 1] == '\n')))
		return p;
	return SIZE_MAX;
}

/* Nonzero when a quote at q opens a quoted field: the reader honours a
 * quote only at the start of a field (q is outside any quoted field). */
static int csv_field_start(const char *b, size_t q, size_t start)
{
	return q == start || b[q - 1] == ',' || b[q - 1] == '\n';
}

/* The index after the first line feed at or after s that is outside any
 * quoted field (s is outside one); n when there is none; SIZE_MAX when
 * the text does not parse. */
static size_t csv_scan_line_end(const char *b, size_t n, size_t s,
				size_t start)
{
	for (;;) {
		const char *nl = memchr(b + s, '\n', n - s);
		size_t end = nl != NULL ? (size_t)(nl - b) : n;
		const char *q = memchr(b + s, '"', end - s);
		size_t at;

		if (q == NULL)
			return nl != NULL ? end + 1 : n;
		at = (size_t)(q - b);
		if (!csv_field_start(b, at, start)) {
			s = at + 1;
			continue;
		}
		s = csv_scan_quoted(b, n, at);
		if (s == SIZE_MAX)
			return SIZE_MAX;
	}
}

/* The line feeds in b[0..n). */
static long csv_count_lines(const char *b, size_t n)
{
	size_t i = 0;
	long lines = 0;

#if defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n');

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
					    (b + i));

		lines += __builtin_popcount((unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(v, lf)));
	}
#endif
	for (; i < n; i++)
		lines += b[i] == '\n';
	return lines;
}

/*
 * Finds where the second half of a split file starts: the first record
 * starting at or after the middle of the file (and after the header), by
 * the reader's own rules (sg_csv.h: a quote opens a quoted field only at
 * the start of a field; inside one, a doubled quote is a quote and line
 * feeds are data), and counts the line feeds before it.  Leaves sp->ok 0
 * when there is no such record or the text does not parse before it: the
 * first half then reads the whole file (and meets the error, if any).
 */
static void csv_split_scan(struct csv_split *sp)
{
	struct stat sb;
	const char *b;
	void *map;
	size_t n, start = 0, p, mid, at;
	const char *q;
	int fd;

	fd = open(sp->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &sb) != 0 || sb.st_size < 2 ||
	    (unsigned long long)sb.st_size != sp->size) {
		close(fd);
		return;
	}
	n = (size_t)sb.st_size;
	map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	(void)madvise(map, n, MADV_SEQUENTIAL);
	b = map;
	if (n >= 3 && (unsigned char)b[0] == 0xef &&
	    (unsigned char)b[1] == 0xbb && (unsigned char)b[2] == 0xbf)
		start = 3;
	/* After the header, then on to the middle following quotes only. */
	p = csv_scan_line_end(b, n, start, start);
	mid = n / 2;
	while (p < mid) {
		q = memchr(b + p, '"', mid - p);
		if (q == NULL)
			break;
		at = (size_t)(q - b);
		p = csv_field_start(b, at, start) ?
			csv_scan_quoted(b, n, at) : at + 1;
	}
	if (p == SIZE_MAX)
		goto out;
	at = csv_scan_line_end(b, n, p > mid ? p : mid, start);
	/* Not after a blank line: the first half, stopping at at, must
	 * have read the record before it, not be about to skip to it. */
	while (at != SIZE_MAX && at < n &&
	       (at - 1 == start || b[at - 2] == '\n' ||
		(b[at - 2] == '\r' && (at - 2 == start || b[at - 3] == '\n'))))
		at = csv_scan_line_end(b, n, at, start);
	/* A second half must hold something, and not start with what the
	 * reader would take for a byte order mark. */
	if (at == SIZE_MAX || at >= n ||
	    (n - at >= 3 && (unsigned char)b[at] == 0xef &&
	     (unsigned char)b[at + 1] == 0xbb &&
	     (unsigned char)b[at + 2] == 0xbf))
		goto out;
	sp->lines = csv_count_lines(b, at);
	sp->at = at;
	sp->ok = 1;
	/* Keep the second half mapped for it, its page tables filled now:
	 * faulting them in while reading costs that thread more than the
	 * read itself. */
	sp->map_from = at & ~(unsigned long long)(sysconf(_SC_PAGESIZE) - 1);
	sp->map = (char *)map + sp->map_from;
	sp->map_len = n - (size_t)sp->map_from;
	if (sp->map_from > 0)
		munmap(map, (size_t)sp->map_from);
#ifdef MADV_POPULATE_READ
	(void)madvise(sp->map, sp->map_len, MADV_POPULATE_READ);
#endif
	return;
out:
	munmap(map, n);
}

/* Scans every split file, letting each half go on as soon as its file
 * is scanned. */
void *csv_scanner(void *arg)
{
	struct csv_state *st = arg;
	unsigned i;

	for (i = 0; i < st->split_count; i++) {
		struct csv_split *sp = &st->splits[i];

		csv_split_scan(sp);
		pthread_mutex_lock(&sp->lock);
		sp->scanned = 1;
		pthread_cond_broadcast(&sp->cond);
		pthread_mutex_unlock(&sp->lock);
	}
	return NULL;
}

static void csv_split_wait_scan(struct csv_split *sp)
{
	pthread_mutex_lock(&sp->lock);
	while (!sp->scanned)
		pthread_cond_wait(&sp->cond, &sp->lock);
	pthread_mutex_unlock(&sp->lock);
}

void csv_split_first_done(struct csv_split *sp, int done)
{
	pthread_mutex_lock(&sp->lock);
	sp->first_done = done;
	pthread_cond_broadcast(&sp->cond);
	pthread_mutex_unlock(&sp->lock);
}

/* Waits until the first half is over (or the pull is cancelled): an error
 * of the second half is reported only when the first half has none. */
void csv_split_wait_first(struct csv_cursor *cu)
{
	struct csv_split *sp = cu->split;
	const struct sg_host *h = cu->host;

	pthread_mutex_lock(&sp->lock);
	while (sp->first_done == 0 &&
	       !(h->cancelled != NULL && h->cancelled(h->ctx))) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 20 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&sp->cond, &sp->lock, &until);
	}
	pthread_mutex_unlock(&sp->lock);
}

/*
 * Starts a half once its file is open and its header bound: the first
 * half reads on from there; the second half moves to its first byte.
 * Returns 1 to read on, 0 when the half has nothing to read (the file was
 * not split: the first half reads it all), or a negative status.
 */
int csv_half_begin(struct csv_cursor *st, struct sg_error *err)
{
	struct csv_split *sp = st->split;
	const char *path = st->paths[st->spec];
	struct stat sb;
	int rc;

	csv_split_wait_scan(sp);
	if (st->half == 1)
		return 1;
	if (!sp->ok)
		return 0;
	/* The mapping is of the file as it was scanned: refuse a file that
	 * changed since (reading past its end would fault). */
	if (stat(path, &sb) != 0 || (unsigned long long)sb.st_size != sp->size)
		return sg_error_set_at(err, SG_ERR_IO, path, 0, 0,
				       "the file changed while it was read");
	sg_csv_free(st->csv);
	st->csv = NULL;
	st->data = sp->map;
	st->data_len = sp->map_len;
	st->data_dropped = 0;
	sp->map = NULL;
	rc = sg_csv_open_memory(&st->csv, path, (const char *)st->data +
				(sp->at - sp->map_from),
				(size_t)(sp->size - sp->at), err);
	if (rc != SG_OK)
		return rc;
	st->line_base = sp->lines;
	return 1;
}

/* The error a single reader of the whole file meets: the second half's
 * reader numbers lines from its own start, so its own error is not the
 * one to report.  Reading the file again happens only on an error. */
void csv_reproduce_error(const char *path, struct sg_error *err)
{
	struct sg_csv_record rec;
	struct sg_error e;
	struct sg_csv *csv;
	int rc;

	sg_error_clear(&e);
	if (sg_csv_open(&csv, path, &e) != SG_OK)
		return;
	do {
		rc = sg_csv_next(csv, &rec, &e);
	} while (rc > 0);
	if (rc < 0 && err != NULL)
		*err = e;
	sg_csv_free(csv);
}

/*
 * Splits the specs into the head cursor (owners, opportunities: emitted
 * first, by pull()) and the streams: one per later canonical file (specs
 * are sorted by kind), two for a file of at least the split size read as
 * two halves.  The halves come first, so that the largest work starts
 * first; records of one kind keep their order whatever the stream order.
 */
int csv_make_cursors(struct csv_state *st, struct sg_error *err)
{
	const struct csv_mapping *map = st->map;
	unsigned long long min, total = 0;
	size_t i = 0, first, head_end;
	int pass, forced;
	struct stat sb;

	min = csv_split_min(st->host, &forced);
	while (i < map->spec_count &&
	       map->specs[i].kind <= SG_CANON_OPPORTUNITIES)
		i++;
	head_end = i;
	for (i = head_end; i < map->spec_count; i++)
		if (st->paths[i] != NULL && stat(st->paths[i], &sb) == 0)
			total += (unsigned long long)sb.st_size;
	csv_cursor_init(&st->head, st, 0, head_end);
	st->streams = calloc(2 * SG_CANON_FILE_COUNT, sizeof(*st->streams));
	st->splits = calloc(SG_CANON_FILE_COUNT, sizeof(*st->splits));
	if (st->streams == NULL || st->splits == NULL)
		return csv_nomem(err);
	for (pass = 0; pass < 2; pass++) {
		for (i = head_end; i < map->spec_count;) {
			struct csv_split *sp = &st->splits[st->split_count];
			struct csv_cursor *cu;
			int split;

			first = i;
			while (i < map->spec_count &&
			       map->specs[i].kind == map->specs[first].kind)
				i++;
			/* A split point is found in the file's bytes, as
			 * UTF-8: a file in another encoding is read whole. */
			split = i == first + 1 && st->paths[first] != NULL &&
				!map->specs[first].derive_from_stage &&
				map->specs[first].encoding == NULL &&
				stat(st->paths[first], &sb) == 0 &&
				(unsigned long long)sb.st_size >= min &&
				(forced || (unsigned long long)sb.st_size *
				 100 >= total * CSV_SPLIT_SHARE);
			if (split != (pass == 0))
				continue;
			if (split) {
				if (pthread_mutex_init(&sp->lock, NULL) != 0)
					return csv_nomem(err);
				if (pthread_cond_init(&sp->cond, NULL) != 0) {
					pthread_mutex_destroy(&sp->lock);
					return csv_nomem(err);
				}
				sp->path = st->paths[first];
				sp->size = (unsigned long long)sb.st_size;
				st->split_count++;
				cu = &st->streams[st->stream_count++];
				csv_cursor_init(cu, st, first, i);
				cu->split = sp;
				cu->half = 1;
			}
			cu = &st->streams[st->stream_count++];
			csv_cursor_init(cu, st, first, i);
			if (split) {
				cu->split = sp;
				cu->half = 2;
			}
		}
	}
	return SG_OK;
}
