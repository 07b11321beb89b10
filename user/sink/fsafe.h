/*
 * Opening output and state files safely as root: no symlink is followed
 * in the last component, a file must belong to us and not be writable by
 * group or others (nor have other hard links), and directories we create
 * are 0700. Used by the file sink and the spool.
 */
#ifndef EXFILD_FSAFE_H
#define EXFILD_FSAFE_H

#include <stddef.h>
#include <sys/stat.h>

/* Create the missing directories of path (mode 0700). 0 or -1 with err. */
int fsafe_mkdirs(const char *dir, char *err, size_t errlen);
/* Create dir itself too, and check it and its parents (core/safepath.h). */
int fsafe_dir(const char *dir, char *err, size_t errlen);
/* The directory a file is in, and those above it, may be changed by root only. */
int fsafe_parent(const char *path, char *err, size_t errlen);
/*
 * open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600), then refuse what we
 * should not write: not a regular file or character device, not ours,
 * writable by group or others, or a regular file with other hard links.
 * Returns the fd or -1 with err.
 */
int fsafe_open(const char *path, int flags, char *err, size_t errlen);

#endif
