/*
 * Process context: who sent the bytes. Produced by enrich/ (the process
 * table), read by detect/ and record/. Strings are raw bytes (print them
 * with json_bytes); pointers stay valid until the next proc_table call.
 */
#ifndef EXFILD_PROC_INFO_H
#define EXFILD_PROC_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct exehash_entry;	/* enrich/exehash.h; opaque outside enrich */

#define PROC_COMM_LEN 16	/* the kernel's comm */
#define PROC_PATH_LEN 256	/* the path an exec event carries */

/* An exec or exit, as the kernel source hands it on. */
enum proc_event_kind { PROC_EV_EXEC = 1, PROC_EV_EXIT = 2 };
struct proc_event {
	enum proc_event_kind kind;
	uint32_t pid;		/* tgid */
	uint32_t ppid;
	uint32_t uid, gid;
	uint64_t ts_ns;		/* CLOCK_MONOTONIC */
	uint64_t start_ns;	/* task start, boot-based clock (entity id) */
	uint64_t cgroup_id;
	char comm[PROC_COMM_LEN];
	char filename[PROC_PATH_LEN];	/* exec only: path given to execve */
};

/* The executable's hash as records show it (exfild.process.hash_*). */
enum hash_status { HASH_OK, HASH_PENDING, HASH_SKIPPED };
struct hash_view {
	enum hash_status status;
	const char *sha256;	/* HASH_OK: 64 hex digits */
	const char *reason;	/* HASH_SKIPPED: why */
};

#define PROC_ARGS_MAX 64	/* argv entries kept per process */
#define PROC_ARGS_BYTES 4096	/* argv bytes kept per process */
#define PROC_NAME_LEN 64	/* comm (16) or a kernel thread's longer name */

/* Where a context came from: exfild.process.context_source. */
enum proc_source {
	PROC_SRC_EXEC,		/* "exec": exec event + /proc at that moment */
	PROC_SRC_SCAN,		/* "scan": /proc at start-up */
	PROC_SRC_LOOKUP,	/* "lookup": /proc when a flow asked (no exec seen) */
	PROC_SRC_EVENT,		/* "event": exec event only, /proc/PID already gone */
	PROC_SRC_EXIT,		/* "exit_event": exit of a never-seen pid; exe from parent */
};

struct proc_parent {
	bool known;		/* name/executable/start below are valid */
	char name[PROC_NAME_LEN];
	char *executable;	/* NULL if unknown */
	uint64_t start_ticks;
	int64_t start_unix_ns;
	char entity_id[33];
};

/* Read-only for callers. Strings are raw bytes: print them with json_bytes. */
struct proc_info {
	/* Unique per table entry, never reused, 0 outside a table. Nothing of
	 * process.* changes under one serial (only names, hash and exit do). */
	uint64_t serial;
	uint32_t pid, ppid;
	uint32_t uid, gid;	/* real ids, as bpf_get_current_uid_gid() reports */
	uint64_t start_ticks;	/* boot-based clock ticks (= /proc/PID/stat field 22) */
	int64_t start_unix_ns;
	uint64_t cgroup_id;	/* cgroup v2 id, 0 if unknown */
	char name[PROC_NAME_LEN];
	char *executable;	/* NULL if unknown; " (deleted)" stripped */
	char *cwd;		/* NULL if unknown */
	char *args;		/* argc NUL-terminated strings back to back */
	size_t args_len;
	uint32_t argc;
	bool args_truncated;
	char entity_id[33];	/* hex, from boot_id + pid + start_ticks */
	char container_id[65];	/* "" if the cgroup names none */
	char user_name[64];	/* "" if unknown */
	char group_name[64];
	bool names_pending;	/* a name lookup was not answered in time (yet) */
	struct proc_parent parent;
	bool facts_known;	/* the three flags below were measured */
	bool exe_deleted;
	bool fileless;
	bool exe_writable_by_others;
	struct exehash_entry *hash;	/* NULL: hash_reason says why */
	/* "disabled", "no_executable" (kernel thread, zombie), "permission_denied",
	 * "open_failed", "process_gone" (exec event only) */
	const char *hash_reason;
	enum proc_source source;
	bool exited;
	uint64_t exit_ns;	/* CLOCK_MONOTONIC, from the exit event */
};

#endif
