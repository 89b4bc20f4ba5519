/*
 * sg_fuzz.h - what the libFuzzer targets of tests/fuzz/ share: the entry
 * point's prototype, a check that turns a broken contract into a crash
 * libFuzzer records, and a scratch folder for targets whose code under
 * test reads a path.  Only the fuzz targets include this.
 */
#ifndef SG_FUZZ_H
#define SG_FUZZ_H

#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_error.h"

/* libFuzzer calls this once per input; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A contract the code under test broke: said on stderr, then abort(), so
 * that libFuzzer saves the input as a crash like any sanitizer finding.
 */
#define SG_FUZZ_ASSERT(cond, what) do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: fuzz contract broken: %s " \
				"(%s)\n", __FILE__, __LINE__, (what), #cond); \
			abort(); \
		} \
	} while (0)

/*
 * A failing function's error record must say what failed: its code is
 * the status returned and its message is a terminated string (every
 * caller prints it).
 */
static inline void sg_fuzz_check_error(int rc, const struct sg_error *err)
{
	if (rc == SG_OK)
		return;
	SG_FUZZ_ASSERT(err->code == rc, "the error's code is the status");
	SG_FUZZ_ASSERT(memchr(err->message, '\0', sizeof(err->message)) !=
		       NULL, "the error message is terminated");
	SG_FUZZ_ASSERT(memchr(err->path, '\0', sizeof(err->path)) != NULL,
		       "the error path is terminated");
}

/* The scratch folder, made on first use and removed at exit. */
static char sg_fuzz_dir[4096];

static inline int sg_fuzz_rm(const char *path, const struct stat *st,
			     int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static inline void sg_fuzz_cleanup(void)
{
	if (sg_fuzz_dir[0] != '\0')
		nftw(sg_fuzz_dir, sg_fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * A fresh folder under $TMPDIR for this process (the same one on every
 * call): libFuzzer runs millions of inputs, so a target reuses its files
 * rather than making new ones.  An environment that cannot make it is
 * not a finding, but nothing can run without it: the process exits.
 */
static inline const char *sg_fuzz_tmpdir(const char *target)
{
	const char *base = getenv("TMPDIR");

	if (sg_fuzz_dir[0] != '\0')
		return sg_fuzz_dir;
	snprintf(sg_fuzz_dir, sizeof(sg_fuzz_dir), "%s/sg-fuzz-%s.XXXXXX",
		 base != NULL && base[0] != '\0' ? base : "/tmp", target);
	if (mkdtemp(sg_fuzz_dir) == NULL) {
		perror(sg_fuzz_dir);
		exit(2);
	}
	atexit(sg_fuzz_cleanup);
	return sg_fuzz_dir;
}

/* Writes size bytes of data as the whole of path (exits as above). */
static inline void sg_fuzz_write(const char *path, const uint8_t *data,
				 size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;
	ssize_t n;

	if (fd < 0) {
		perror(path);
		exit(2);
	}
	while (done < size) {
		n = write(fd, data + done, size - done);
		if (n <= 0) {
			perror(path);
			exit(2);
		}
		done += (size_t)n;
	}
	if (close(fd) != 0) {
		perror(path);
		exit(2);
	}
}

/* A NUL-terminated copy of the input (the caller frees): most readers
 * under test take C strings, as their callers hand them. */
static inline char *sg_fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
