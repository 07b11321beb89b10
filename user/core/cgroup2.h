/* Where the cgroup v2 hierarchy is mounted (the loader attaches there; the
 * container lookup resolves cgroup ids through it). */
#ifndef EXFILD_CGROUP2_H
#define EXFILD_CGROUP2_H

#include <stddef.h>

/*
 * Path of the cgroup2 mount listed in mounts_file (normally /proc/mounts),
 * or "" if there is none. Returns 0 if found.
 */
int cgroup2_find(const char *mounts_file, char *path, size_t len);

#endif
