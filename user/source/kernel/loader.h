/*
 * Loading and attaching the kernel side: the attach ladder (fentry, then
 * kprobe, then tracepoint), map sizing, pinning, and teardown.
 */
#ifndef EXFILD_LOADER_H
#define EXFILD_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild.h"
#include "tier.h"

struct exfild_bpf;
struct bpf_link;

struct loader_opts {
	int attach;		/* TIER_AUTO or an enum exfild_tier */
	uint32_t max_flows;	/* entries in each accounting map */
	const char *pin_path;	/* NULL: do not pin */
};

struct loader {
	struct exfild_bpf *skel;
	enum exfild_tier tier;
	int cgroup_fd;
	struct bpf_link *cg_links[2];
	struct bpf_link *links[16];
	int nlinks;
	char pin_dir[256];
	bool pinned;
	bool sendpage;		/* the kernel has tcp_sendpage and it is hooked */
};

/* 0 on success. On failure err says why, one line, for every tier tried. */
int loader_start(struct loader *ld, const struct loader_opts *o, char *err, size_t errlen);
void loader_stop(struct loader *ld);

/* Checks that need no kernel objects: privileges and BTF. */
int loader_preflight(char *err, size_t errlen);

#endif
