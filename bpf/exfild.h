/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The contract between the kernel half (exfild.bpf.c) and the user half
 * (user/). Both include this file; nothing else crosses the boundary.
 * Keep every struct free of implicit padding so both compilers agree.
 */
#ifndef EXFILD_H
#define EXFILD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>	/* user side; the BPF side has vmlinux.h */
#endif

#define EXFILD_COMM_LEN 16
#define EXFILD_PATH_LEN 256

/* Address families and transports as the kernel spells them. */
#define EXFILD_AF_INET 2
#define EXFILD_AF_INET6 10
#define EXFILD_PROTO_TCP 6
#define EXFILD_PROTO_UDP 17

/* Who opened the connection, from this host's point of view. */
#define EXFILD_EGRESS 0		/* this host did (TCP connect; every UDP send) */
#define EXFILD_INGRESS 1	/* the peer did: a TCP socket on a listening port */

/*
 * One accounting entry: a process sending to one peer from one local
 * address and port. Addresses hold 4 bytes (IPv4, network order, rest
 * zero) or 16 (IPv6), both of the same family; IPv4-mapped IPv6 addresses
 * are folded to IPv4 in the kernel. laddr all zero: the socket is bound
 * to the wildcard address and sent without connecting (unconnected UDP),
 * so the kernel kept no source address; user space asks the routing table.
 * Ingress entries are grouped by service: rport is 0, so all connections
 * of one client address to one local service port share an entry.
 */
struct flow_key {
	__u32 tgid;
	__u16 rport;		/* the peer's port, host byte order; 0 on ingress */
	__u16 lport;		/* the local port, host byte order */
	__u8 proto;		/* EXFILD_PROTO_* */
	__u8 family;		/* EXFILD_AF_*, of both addresses */
	__u8 direction;		/* EXFILD_EGRESS / EXFILD_INGRESS */
	__u8 pad[5];
	__u8 raddr[16];		/* the peer */
	__u8 laddr[16];		/* this host's side */
} __attribute__((aligned(8)));	/* compared as six 64-bit words */

/*
 * A TCP port something listens on, per network namespace: a socket whose
 * local port listens was accepted, so its sends are ingress. Kept by
 * tp_btf/inet_sock_set_state (and filled at start from /proc/net/tcp*).
 */
struct listen_key {
	__u32 netns;		/* inode number of the network namespace */
	__u16 port;		/* host byte order */
	__u16 pad;
};

struct flow_val {
	__u64 bytes;		/* sum of what sends really returned */
	__u64 calls;		/* sends that returned > 0 */
	__u64 first_ns;		/* CLOCK_MONOTONIC of the entry's first send */
	__u64 cgroup_id;
	__u32 uid;		/* of the first send */
	__u32 pad;
};

/*
 * The tracepoint tier's per-CPU last flow (see account_cached() in
 * exfild.bpf.c); two slots, indexed by the drain parity.
 */
struct flow_cache {
	struct flow_key key;
	struct flow_val val;
	__u32 valid;
	__u32 pad;
};

/*
 * Per-CPU loss accounting: sends that could not be recorded because the
 * accounting map was full. Userspace sums CPUs and reports deltas.
 */
struct loss {
	__u64 bytes;
	__u64 entries;		/* failed inserts (new keys that were refused) */
	__u64 events;		/* exec/exit events the ring buffer refused */
};

enum task_event_kind {
	PROC_EXEC = 1,
	PROC_EXIT = 2,
};

/* Sent on the ring buffer from sched_process_exec / sched_process_exit. */
struct task_event {
	__u32 kind;		/* enum task_event_kind */
	__u32 pid;		/* tgid */
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 pad;
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	__u64 start_ns;		/* task start, boot-based clock (entity id) */
	__u64 cgroup_id;
	char comm[EXFILD_COMM_LEN];
	char filename[EXFILD_PATH_LEN];	/* exec only: path given to execve */
};


/*
 * Both compilers (clang -target bpf for the programs, the host compiler for
 * user space) include this file; these fixed sizes and offsets make either
 * build fail if a struct's layout drifts, on both sides at once.
 */
#define EXFILD_OFF(t, f) __builtin_offsetof(struct t, f)
_Static_assert(sizeof(struct flow_key) == 48, "flow_key size");
_Static_assert(EXFILD_OFF(flow_key, rport) == 4 && EXFILD_OFF(flow_key, lport) == 6 &&
	       EXFILD_OFF(flow_key, proto) == 8 && EXFILD_OFF(flow_key, family) == 9 &&
	       EXFILD_OFF(flow_key, direction) == 10 && EXFILD_OFF(flow_key, raddr) == 16 &&
	       EXFILD_OFF(flow_key, laddr) == 32, "flow_key layout");
_Static_assert(sizeof(struct listen_key) == 8 && EXFILD_OFF(listen_key, port) == 4,
	       "listen_key layout");
_Static_assert(sizeof(struct flow_val) == 40 && EXFILD_OFF(flow_val, calls) == 8 &&
	       EXFILD_OFF(flow_val, first_ns) == 16 && EXFILD_OFF(flow_val, cgroup_id) == 24 &&
	       EXFILD_OFF(flow_val, uid) == 32, "flow_val layout");
_Static_assert(sizeof(struct flow_cache) == 96 && EXFILD_OFF(flow_cache, val) == 48 &&
	       EXFILD_OFF(flow_cache, valid) == 88, "flow_cache layout");
_Static_assert(sizeof(struct loss) == 24 && EXFILD_OFF(loss, entries) == 8 &&
	       EXFILD_OFF(loss, events) == 16, "loss layout");
_Static_assert(sizeof(struct task_event) == 320 && EXFILD_OFF(task_event, ts_ns) == 24 &&
	       EXFILD_OFF(task_event, start_ns) == 32 && EXFILD_OFF(task_event, cgroup_id) == 40 &&
	       EXFILD_OFF(task_event, comm) == 48 && EXFILD_OFF(task_event, filename) == 64,
	       "task_event layout");
#undef EXFILD_OFF

#endif /* EXFILD_H */
