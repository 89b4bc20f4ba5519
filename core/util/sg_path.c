/*
 * sg_path.c - file paths as the config states them (sg_path.h).
 */
#include "sg_path.h"

#include <stdlib.h>
#include <string.h>

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
