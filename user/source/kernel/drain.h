/*
 * Draining the accounting maps: point the programs at the other map, then
 * read and empty the one they left. See bpf/exfild.bpf.c for why this
 * neither loses nor double-counts a racing increment.
 */
#ifndef EXFILD_DRAIN_H
#define EXFILD_DRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exfild.h"

struct flow {
	struct flow_key key;
	struct flow_val val;
};

struct drain {
	int active_fd;		/* flows_active: array-of-maps, one slot */
	int map_fd[2];		/* flows_a, flows_b */
	int cur;		/* index of the map the programs write now */
	int losses_fd;
	int cache_fd;		/* flow_cache (per-CPU, 2 slots), -1 if none */
	volatile __u32 *parity;	/* the programs' slot selector (mmaped .bss) */
	int ncpus;
	struct loss seen;	/* loss totals already reported */
	struct flow *flows;
	size_t cap;
	struct flow_key *keys;	/* batch buffers */
	struct flow_val *vals;
	struct loss *loss_buf;	/* per-CPU read buffers, ncpus elements */
	struct flow_cache *cache_buf;
};

int drain_init(struct drain *d, int active_fd, int fd_a, int fd_b, int losses_fd,
	       uint32_t max_flows);
/*
 * Also collect the tracepoint tier's per-CPU last-flow slots: parity
 * points at the programs' selector in the mapped .bss.
 */
void drain_set_cache(struct drain *d, int cache_fd, volatile __u32 *parity);
/*
 * Swap maps and empty the old one (and the old cache slots) into
 * d->flows, one entry per flow key. Returns the number of
 * flows, or -1 with errno set. *loss gets what was lost since last time.
 */
ssize_t drain_run(struct drain *d, struct loss *loss);
void drain_free(struct drain *d);

/* The map calls of the entry-by-entry fallback (libbpf's; a test fakes them). */
struct drain_map_ops {
	int (*get_next_key)(int fd, const void *key, void *next);
	int (*lookup)(int fd, const void *key, void *value);
	int (*delete)(int fd, const void *key);
};
extern const struct drain_map_ops drain_map_ops;
/* Empty map fd entry by entry into d->flows from index n; the new count. */
ssize_t drain_one_by_one(struct drain *d, int fd, const struct drain_map_ops *ops, size_t n);

#endif
