/*
 * A private copy of a file in memory (a sealed memfd), for readers that map
 * a file which others may replace: a geo database rewritten in place
 * (truncate, cp or curl -o over it) would otherwise change, or vanish
 * (SIGBUS), under the mapping. The copy is the file's whole content as one
 * version: taken only if the file did not change while it was read, and
 * sealed so nothing can shrink, grow or write it afterwards.
 */
#ifndef EXFILD_SNAPSHOT_H
#define EXFILD_SNAPSHOT_H

#include <stddef.h>
#include <sys/stat.h>

struct snapshot {
	int fd;			/* the memfd; -1 when released */
	char path[40];		/* "/proc/self/fd/N": opens the copy by name */
};

/*
 * Copy the regular, non-empty file at path. *st gets the identity it was
 * copied at (compare it later to see whether the file changed). On failure
 * returns -1 and writes why to err ("empty file", "changed while being
 * read", an OS reason), without the path.
 */
int snapshot_take(const char *path, struct stat *st, struct snapshot *s, char *err, size_t errlen);

/* Close the copy's fd; mappings of it stay valid until unmapped. */
void snapshot_release(struct snapshot *s);

#endif
