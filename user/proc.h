/*
 * Process context for flow records: who sent the bytes.
 *
 * Context is captured when the exec event arrives (the event plus a read of
 * /proc/PID at that moment) and kept after the process exits, until the
 * drain that wrote its last flow calls proc_table_gc(). Processes that were
 * running before the agent started come from proc_table_scan(); a pid with
 * no exec event (forked, never exec'd) is read from /proc on first lookup.
 *
 * Not thread-safe: one thread (the drain loop, which also polls the ring
 * buffer) owns the table and the exehash cache it refers to.
 */
#ifndef EXFILD_PROC_H
#define EXFILD_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "exfild.h"

struct exehash;
struct exehash_entry;
struct proc_table;

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

struct proc_stats {
	uint64_t entries;
	uint64_t exited;	/* entries kept for a process that exited */
	uint64_t evicted_exited;	/* dropped for room before gc: context lost */
	uint64_t evicted_live;	/* dropped for room; re-read from /proc if needed */
	uint64_t proc_gone;	/* exec events whose /proc/PID was already gone */
	uint64_t start_mismatch;	/* /proc/PID had another start time than the event */
};

/* eh may be NULL (no hashing); it must outlive the table. */
struct proc_table *proc_table_new(size_t max_entries, struct exehash *eh);
void proc_table_free(struct proc_table *pt);
void proc_table_scan(struct proc_table *pt);
void proc_table_on_exec(struct proc_table *pt, const struct task_event *ev);
void proc_table_on_exit(struct proc_table *pt, const struct task_event *ev);
/*
 * Cached context, else /proc now (cached), else NULL. The pointer is valid
 * until the next proc_table_* call.
 */
const struct proc_info *proc_table_get(struct proc_table *pt, uint32_t pid);
/* Forget processes whose exit event ts_ns < before_ns (call after writing flows). */
void proc_table_gc(struct proc_table *pt, uint64_t before_ns);
void proc_table_get_stats(const struct proc_table *pt, struct proc_stats *st);
/* The name of uid (cached getpwuid_r); false (and "") if it has none. */
bool proc_table_user_name(struct proc_table *pt, uint32_t uid, char *out, size_t outsz);

/*
 * Add process.*, user.*, group.*, container.id and exfild.* fields to root.
 * A user.id or exfild.cgroup_id already in root (the flow's, from send
 * time) is kept; user.name is added only if it names that user.id.
 */
void proc_to_json(const struct proc_info *pi, json_t *root);

#endif
