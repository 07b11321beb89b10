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
	uint64_t deferred;	/* gets of unknown pids put off: the drain's budget was spent */
};

/* eh may be NULL (no hashing); it must outlive the table. */
struct proc_table *proc_table_new(size_t max_entries, struct exehash *eh);
void proc_table_free(struct proc_table *pt);
void proc_table_scan(struct proc_table *pt);
void proc_table_on_exec(struct proc_table *pt, const struct proc_event *ev);
void proc_table_on_exit(struct proc_table *pt, const struct proc_event *ev);
/*
 * Cached context, else /proc now (cached), else NULL. The pointer is valid
 * until the next proc_table_* call. Reading /proc for an unknown pid is
 * slow work: once the deadline (proc_table_set_deadline) has passed it is
 * put off (NULL, counted as deferred) to a later get. An entry whose user
 * or group name is still pending gets it filled in when the answer is in.
 */
const struct proc_info *proc_table_get(struct proc_table *pt, uint32_t pid);
/* The same; *deferred tells a NULL that was put off from one that is unknown. */
const struct proc_info *proc_table_lookup(struct proc_table *pt, uint32_t pid, bool *deferred);
/* Forget processes whose exit event ts_ns < before_ns (call after writing flows). */
void proc_table_gc(struct proc_table *pt, uint64_t before_ns);
void proc_table_get_stats(const struct proc_table *pt, struct proc_stats *st);
/* The name of uid (idnames.h); false (and "") if it has none or is pending. */
bool proc_table_user_name(struct proc_table *pt, uint32_t uid, char *out, size_t outsz);

/*
 * Until deadline_ns (CLOCK_MONOTONIC) slow lookups may be waited for: user
 * and group names (NSS) and /proc reads of unknown processes. The drain
 * sets it at its start (enrich_begin). The initial INT64_MAX sets no bound
 * (the start-up scan). Exec events read /proc whatever the deadline (the
 * process may be gone by the next drain) but wait for no name after it.
 */
void proc_table_set_deadline(struct proc_table *pt, int64_t deadline_ns);

/* Use names (not owned; must outlive the table) instead of NSS: tests. */
struct idnames;
void proc_table_set_names(struct proc_table *pt, struct idnames *names);

/* The hash of pi's executable as records show it. */
void proc_hash_view(const struct proc_info *pi, struct hash_view *out);

#endif
