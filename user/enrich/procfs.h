/*
 * Reading one process from /proc: name, parent pid, start ticks, ids,
 * argv, working directory, cgroup and container, the executable and what
 * is known about it. The caller (proc.c) adds what /proc does not say
 * directly: names of ids, entity ids, wall-clock times and the parent.
 */
#ifndef EXFILD_PROCFS_H
#define EXFILD_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"

struct cgroup2_mount;
struct exehash;

#define PROCFS_OTHER_START (-2)	/* procfs_read: the pid is another process now */

/*
 * Read /proc/PID into pi (zeroed first); 0 on success, -1 if unreadable.
 * want_ticks (or UINT64_MAX for any) guards against a pid that was reused
 * before we got to read it: PROCFS_OTHER_START when /proc/PID did not show
 * that start. eh may be NULL (no hashing).
 */
int procfs_read(uint32_t pid, uint64_t want_ticks, struct exehash *eh,
		const struct cgroup2_mount *cg2, struct proc_info *pi);

/*
 * The parent's name, start ticks and executable as /proc shows them now,
 * into pp (known = true), unless it started after the child (child_ticks):
 * then the pid belongs to another process.
 */
void procfs_read_parent(uint32_t ppid, uint64_t child_ticks, struct proc_parent *pp);

/* This boot's id (/proc/sys/kernel/random/boot_id); false if unreadable. */
bool procfs_boot_id(char *out, size_t outsz);

#endif
