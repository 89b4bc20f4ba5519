/*
 * sg_path.h - file paths as the config states them: an option's relative
 * path resolves against the config file's folder; outputs written beside
 * their path and renamed into place, and written whole.
 */
#ifndef SG_PATH_H
#define SG_PATH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Returns "dir/file" in a new malloc'd string (trailing slashes of dir
 * dropped), or a copy of file when it is absolute or dir is NULL or
 * empty; NULL when out of memory.
 */
char *sg_path_join(const char *dir, const char *file);

struct sg_error;

/*
 * Whether an output may be written at path: a new path, or a regular
 * file (also through a symbolic link).  Every output is written beside
 * its path and renamed into place, which would replace a device, a FIFO
 * or /dev/stdout with a regular file (as root, /dev/null itself): those
 * are refused with SG_ERR_USAGE (exit 2) naming what the path is.  A
 * folder passes: the rename into it fails, replacing nothing, and the
 * writer says so.  SG_OK otherwise.
 */
int sg_path_output_ok(const char *path, struct sg_error *err);

/*
 * The temporary file an output is written to before it is renamed into
 * place: ".NAME.XXXXXX" beside path, with the mode the umask gives every
 * output, and an advisory lock held while *fd stays open (keep it open
 * until the rename).  First, the temporary files of the same output
 * whose writer is gone (a killed run's: unlocked, and untouched for a
 * few seconds) are removed.  *tmp is malloc'd.  SG_ERR_IO naming the
 * folder, or SG_ERR_NOMEM.
 */
int sg_path_output_temp(const char *path, char **tmp, int *fd,
			struct sg_error *err);

/* Writes all len bytes of data to fd, again after a short write or an
 * interrupted one: 0, or the errno that stopped it. */
int sg_write_all(int fd, const void *data, size_t len);

/*
 * For a large file written in order and fsync'd at its end: counts the
 * bytes just written in *pending and, every 32 MiB, starts writing the
 * file's pages out (Linux's sync_file_range(); elsewhere nothing), so
 * the fsync waits for the last part only.  *pending starts at 0.
 */
void sg_write_behind(int fd, uint64_t *pending, uint64_t written);

#endif
