/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every map and global of exfild's kernel side. Included once, by
 * exfild.bpf.c.
 *
 * | map            | key                 | value             | written by                          | emptied by |
 * |----------------|---------------------|-------------------|-------------------------------------|------------|
 * | flows_a, _b    | struct flow_key     | struct flow_val   | account(), account_cached() through flows_active | the drain, after the swap: batch lookup-and-delete |
 * | flows_active   | 0                   | flows_a or _b     | the loader; each drain swaps it     | - |
 * | flow_cache     | parity (per CPU)    | struct flow_cache | account_cached() (tracepoint tier)  | the drain, with the old map (take_cache) |
 * | losses         | 0 (per CPU)         | struct loss       | loss_slot() users: count_loss(), event_reserve() | never: user space reports deltas of the totals |
 * | listen_ports   | struct listen_key   | __s64 listeners   | tp_listen; listeners_seed() at start | never; zero counts stay (8192 ports at most) |
 * | events         | -                   | struct task_event | tp_exec, tp_exit (ring buffer)      | user space consumes it |
 * | send_dsts      | task                | struct send_dst   | stash_dst() (cg_sendmsg4/6)         | take_dst() marks it taken; freed with the task |
 * | send_dsts_tid  | pid_tgid            | struct send_dst   | stash_dst() where cgroup programs lack task storage | take_dst() deletes it |
 * | kprobe_args    | pid_tgid            | struct send_args  | kprobe_enter()                      | kprobe_finish() deletes it; a kretprobe that never runs leaves it (issue 7, defect 2: not fixed yet) |
 *
 * Globals: exfild_self_tgid and handover_by_tid (read-only, set by the
 * loader), parity (flipped by the drain), stashed (stash_dst/take_dst).
 */
#ifndef EXFILD_MAPS_H
#define EXFILD_MAPS_H

#define EEXIST 17
#define MAX_FLOWS_DEFAULT 65536

/* Set by the loader before load; read-only afterwards. */
const volatile __u32 exfild_self_tgid = 0;

struct flow_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_FLOWS_DEFAULT);
	__type(key, struct flow_key);
	__type(value, struct flow_val);
} flows_a SEC(".maps"), flows_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct flow_map);
} flows_active SEC(".maps") = {
	.values = { [0] = &flows_a },
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct loss);
} losses SEC(".maps");

/* TCP ports that listen: sockets on them were accepted (key_direction). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct listen_key);
	__type(value, __s64);	/* listening sockets on the port */
} listen_ports SEC(".maps");

/* Which flow_cache slot the tracepoint tier uses; flipped by each drain. */
__u32 parity = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct flow_cache);
} flow_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/*
 * Tracepoint tier: the destination of a UDP send that carried an address,
 * seen by cgroup/sendmsg4/6, kept per thread until sock_send_length fires
 * at the end of the same sock_sendmsg() call.
 */
struct send_dst {
	__u32 tgid;		/* tracepoint tier: saves a helper call later */
	__u8 daddr[16];
	__u16 dport;
	__u8 family;
	__u8 valid;
};

/*
 * Destinations stashed and not yet taken, over all threads. While it is 0
 * no UDP send anywhere is carrying an address, and sock_send_length skips
 * the per-thread look-up: connected UDP then costs what TCP costs. A stash
 * left behind (a path that never reaches the tracepoint) only keeps the
 * slow path on; it never makes a send lose its destination.
 */
__u64 stashed = 0;

/*
 * Where the hand-over lives. Task local storage is the cheap place (no
 * hash, no key), but cgroup programs may call bpf_task_storage_get() only
 * on kernels that offer it to every program type: Linux 6.12 offers it to
 * tracing and LSM programs only, and refuses cg_sendmsg4 with "program of
 * this type cannot use helper bpf_task_storage_get#156". There the loader
 * sets handover_by_tid and the hand-over goes through send_dsts_tid, a
 * hash keyed by thread that the tracepoint empties as it takes each entry.
 * The flag is read-only after load, so the verifier only sees (and only
 * checks) the branch this kernel takes.
 */
const volatile __u32 handover_by_tid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct send_dst);
} send_dsts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);	/* threads inside a UDP send at once */
	__type(key, __u64);		/* pid_tgid */
	__type(value, struct send_dst);
} send_dsts_tid SEC(".maps");

/* kprobe tier: arguments saved at entry, keyed by thread, used at return. */
struct send_args {
	struct send_dst dst;	/* valid == 0: take the socket's peer */
	__u64 sk;
	__u8 proto;
	__u8 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct send_args);
} kprobe_args SEC(".maps");

#endif /* EXFILD_MAPS_H */
