/*
 * What identifies one version of a file: device, inode, size and mtime.
 * A file replaced by rename gets a new inode; one rewritten in place a new
 * size or mtime. Used to tell whether a geo database or an executable
 * changed since it was read.
 */
#ifndef EXFILD_FILEID_H
#define EXFILD_FILEID_H

#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

void file_id_of(const struct stat *st, struct file_id *id);
bool file_id_eq(const struct file_id *a, const struct file_id *b);
/* Whether st (a later stat) shows the version id names. */
bool file_id_matches(const struct file_id *id, const struct stat *st);

#endif
