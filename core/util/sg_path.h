/*
 * sg_path.h - file paths as the config states them: an option's relative
 * path resolves against the config file's folder.
 */
#ifndef SG_PATH_H
#define SG_PATH_H

/*
 * Returns "dir/file" in a new malloc'd string (trailing slashes of dir
 * dropped), or a copy of file when it is absolute or dir is NULL or
 * empty; NULL when out of memory.
 */
char *sg_path_join(const char *dir, const char *file);

#endif
