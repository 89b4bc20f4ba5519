/*
 * sg_path.c - file paths as the config states them (sg_path.h).
 */
#include "sg_path.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sg_error.h"

/* Seconds a temporary file must lie untouched before it can be taken for
 * a dead writer's (a live one locks it a moment after making it). */
#define PATH_TEMP_SETTLE_S 2

char *sg_path_join(const char *dir, const char *file)
{
	size_t dl, fl;
	char *out;

	if (file[0] == '/' || dir == NULL || dir[0] == '\0')
		return strdup(file);
	dl = strlen(dir);
	fl = strlen(file);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	out = malloc(dl + fl + 2);
	if (out == NULL)
		return NULL;
	memcpy(out, dir, dl);
	if (dir[dl - 1] != '/')         /* the root keeps its one slash */
		out[dl++] = '/';
	memcpy(out + dl, file, fl + 1);
	return out;
}

static const char *path_kind(mode_t mode)
{
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

int sg_path_output_ok(const char *path, struct sg_error *err)
{
	struct stat st;

	/* stat follows a link: a link to a regular file is that file. */
	if (stat(path, &st) != 0)
		return SG_OK;   /* a new path (or one a write will name) */
	/* A folder is no worse than a missing one: the rename fails and
	 * the writer says so (exit 4), replacing nothing. */
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
		return SG_OK;
	return sg_error_set_at(err, SG_ERR_USAGE, path, 0, 0, "the output "
			       "is %s: stageguard writes a new file and puts "
			       "it in its place, which would replace it; name "
			       "a file", path_kind(st.st_mode));
}

/* "." NAME "." and six characters mkstemp chose: a temporary file of the
 * output named base. */
static int path_is_temp_of(const char *entry, const char *base)
{
	size_t n = strlen(base), i;

	if (entry[0] != '.' || strncmp(entry + 1, base, n) != 0 ||
	    entry[n + 1] != '.' || strlen(entry + n + 2) != 6)
		return 0;
	for (i = n + 2; entry[i] != '\0'; i++)
		if (!isalnum((unsigned char)entry[i]))
			return 0;
	return 1;
}

/* Removes dir/entry when no writer holds it: its lock is free and it
 * has not changed for a few seconds (a writer locks the file it has
 * just made a moment after making it). */
static void path_remove_stale(const char *dir, const char *entry)
{
	char *path = sg_path_join(dir, entry);
	struct stat st;
	int fd;

	if (path == NULL)
		return;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    time(NULL) - st.st_mtime > PATH_TEMP_SETTLE_S &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0)
		(void)unlink(path);
	if (fd >= 0)
		close(fd);
	free(path);
}

static void path_sweep_temps(const char *dir, const char *base)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (path_is_temp_of(e->d_name, base))
			path_remove_stale(dir, e->d_name);
	closedir(d);
}

int sg_path_output_temp(const char *path, char **tmp, int *fd,
			struct sg_error *err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	size_t dl = slash != NULL ? (size_t)(slash - path) : 0;
	char *dir;
	mode_t mask;
	int e;

	*tmp = NULL;
	*fd = -1;
	dir = slash == NULL ? strdup(".") : dl == 0 ? strdup("/") :
	      strndup(path, dl);
	*tmp = malloc(strlen(path) + 9);
	if (dir == NULL || *tmp == NULL) {
		free(dir);
		free(*tmp);
		*tmp = NULL;
		return sg_error_set(err, SG_ERR_NOMEM, "out of memory");
	}
	path_sweep_temps(dir, base);
	sprintf(*tmp, "%.*s%s.%s.XXXXXX", (int)dl, path, slash ? "/" : "",
		base);
	*fd = mkostemp(*tmp, O_CLOEXEC);
	if (*fd < 0 || flock(*fd, LOCK_EX) != 0) {
		e = errno;
		if (*fd >= 0) {
			close(*fd);
			unlink(*tmp);
		}
		*fd = -1;
		free(*tmp);
		*tmp = NULL;
		sg_error_set_at(err, SG_ERR_IO, dir, 0, 0, "cannot create %s "
				"here: %s; check that the folder exists and is "
				"writable", base, strerror(e));
		free(dir);
		return SG_ERR_IO;
	}
	free(dir);
	/* mkstemp makes 0600; an output gets the umask's mode like any
	 * file (a umask of 077 keeps the CRM's data private). */
	mask = umask(022);
	(void)umask(mask);
	(void)fchmod(*fd, 0666 & ~mask);
	return SG_OK;
}

int sg_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Written bytes after which their write-out is started. */
#define SG_WRITE_BEHIND (32u << 20)

void sg_write_behind(int fd, uint64_t *pending, uint64_t written)
{
	*pending += written;
	if (*pending < SG_WRITE_BEHIND)
		return;
	*pending = 0;
#ifdef SYNC_FILE_RANGE_WRITE
	/* Starts the write-out of the dirty pages not being written yet;
	 * a failure shows at the fsync that follows. */
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
#endif
}
