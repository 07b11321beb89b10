/*
 * Pure parsers of the text /proc gives (procfs.c reads it, these read the
 * bytes): no file descriptors, any bytes in, bounded out, fuzzed by
 * tests/fuzz/. A process controls much of this text (its name, its argv).
 */
#ifndef EXFILD_PROCFS_PARSE_H
#define EXFILD_PROCFS_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "proc.h"

/* /proc/PID/stat is cut here (a comm of 16 bytes and 51 numbers fit). */
#define PROCFS_STAT_MAX 1024
/* /proc/PID/status is read up to here (Uid/Gid are near its top). */
#define PROCFS_STATUS_MAX 4096

/*
 * /proc/PID/stat: comm (which may hold spaces, parentheses and newlines: it
 * ends at the last ')') into name, NUL-terminated and cut to namesz; the
 * parent pid (field 4) and start time in ticks (field 22). 0 or -1.
 */
int procfs_parse_stat(const char *buf, size_t len, char *name, size_t namesz, uint32_t *ppid,
		      uint64_t *ticks);
/* n bytes of src into dst, cut to dstsz - 1, NUL-terminated. */
void procfs_copy_bytes(char *dst, size_t dstsz, const char *src, size_t n);
/* /proc/PID/status: the real uid and gid; each left as it is if absent. */
void procfs_parse_ids(const char *buf, size_t len, uint32_t *uid, uint32_t *gid);
/*
 * /proc/PID/cmdline: at most PROC_ARGS_MAX strings and PROC_ARGS_BYTES
 * bytes into pi->args (malloc'd, each string NUL-terminated, the last one
 * too even when the text does not end with a NUL), argc, args_len and
 * args_truncated. Nothing is set for empty text or without memory.
 */
void procfs_parse_args(const char *buf, size_t len, struct proc_info *pi);

#endif
