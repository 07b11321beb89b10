/* Finding the cgroup v2 root, where cgroup/sendmsg4/6 programs attach. */
#ifndef EXFILD_CGROUP_H
#define EXFILD_CGROUP_H

#include <stddef.h>

/* An O_RDONLY fd on the cgroup v2 root; mounts one if none is mounted. */
int cgroup2_root_open(char *err, size_t errlen);

#endif
