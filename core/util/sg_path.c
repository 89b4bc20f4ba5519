/*
 * sg_path.c - file paths as the config states them (sg_path.h).
 */
#include "sg_path.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sg_error.h"

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
