/* Finding the cgroup v2 root, where cgroup/sendmsg4/6 programs attach. */
#ifndef EXFILD_CGROUP_H
#define EXFILD_CGROUP_H

#include <stddef.h>

/*
 * Path of the cgroup2 mount listed in mounts_file (normally /proc/mounts),
 * or "" if there is none. Returns 0 if found.
 */
int cgroup2_find(const char *mounts_file, char *path, size_t len);

/* An O_RDONLY fd on the cgroup v2 root; mounts one if none is mounted. */
int cgroup2_root_open(char *err, size_t errlen);

#endif
