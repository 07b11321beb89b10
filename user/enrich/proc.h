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


struct exehash;
struct exehash_entry;
struct proc_table;

#include "proc_info.h"

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
void proc_table_on_exec(struct proc_table *pt, const struct proc_event *ev);
void proc_table_on_exit(struct proc_table *pt, const struct proc_event *ev);
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

/* The hash of pi's executable as records show it. */
void proc_hash_view(const struct proc_info *pi, struct hash_view *out);

#endif
