/*
 * The kernel as a source of flow observations: loads and attaches the
 * programs (loader.c), drains the accounting maps (drain.c) and reads the
 * exec/exit ring buffer. The rest of exfild sees only core types
 * (struct flow_obs, struct proc_event, struct loss_counts): this folder is
 * the only user of libbpf, the skeleton and bpf/exfild.h.
 */
#ifndef EXFILD_KSOURCE_H
#define EXFILD_KSOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "proc_info.h"

struct ksource;

struct ksource_opts {
	int attach;		/* TIER_AUTO or an enum exfild_tier */
	uint32_t max_flows;	/* entries per accounting map */
	const char *pin_path;	/* NULL: do not pin */
};

typedef void (*ksource_event_fn)(void *arg, const struct proc_event *ev);
typedef void (*ksource_flow_fn)(void *arg, const struct flow_obs *obs);

/* Checks that need no kernel objects (privileges, BTF); 0 or err. */
int ksource_preflight(char *err, size_t errlen);
/* Load, attach, pin. NULL with err (one line, every tier's reason). */
struct ksource *ksource_open(const struct ksource_opts *o, ksource_event_fn on_event,
			     void *event_arg, char *err, size_t errlen);
void ksource_close(struct ksource *ks);

/* The ring buffer's epoll fd: readable when exec/exit events wait. */
int ksource_event_fd(const struct ksource *ks);
/* Hand every waiting exec/exit event to on_event. */
void ksource_consume_events(struct ksource *ks);

/*
 * Swap and empty the accounting maps: *now_wall is set to the wall-clock
 * time just after the swap, and each flow of the interval goes to fn as an
 * observation (its span ends at *now_wall), *loss gets what could
 * not be counted since the last drain, *swap_mono the CLOCK_MONOTONIC time
 * of the swap (processes that exited before it have had their last flow).
 * Returns the number of flows, or -1 with errno.
 */
long ksource_drain(struct ksource *ks, int64_t *now_wall, ksource_flow_fn fn, void *arg,
		   struct loss_counts *loss, int64_t *swap_mono);

int ksource_tier(const struct ksource *ks);
/* 1 if the maps can still be read with the capabilities we have now
 * (kernels before 6.5 want CAP_BPF for every bpf(2) command). */
int ksource_maps_usable(const struct ksource *ks);
/* The pin directory, or NULL when not pinned. */
const char *ksource_pin_dir(const struct ksource *ks);

#endif
