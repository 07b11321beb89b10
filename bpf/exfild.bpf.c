// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * exfild kernel side: count the bytes each process really sends to each
 * destination. Three tiers of programs do the same accounting; userspace
 * loads exactly one tier (the others have autoload switched off):
 *
 *   fentry:     fexit on tcp_sendmsg, tcp_sendpage, udp_sendmsg, udpv6_sendmsg
 *   kprobe:     kprobe + kretprobe pairs on the same functions
 *   tracepoint: tp_btf/sock_send_length (bytes, connected destination) plus
 *               cgroup/sendmsg4/6 (destination of sends that carry one)
 *
 * Counts go to whichever of two hash maps flows_active points at. To drain,
 * userspace points flows_active at the other map; that update waits for
 * every running BPF program to finish (map-in-map updates do a
 * synchronize_rcu), so afterwards nothing writes the old map and userspace
 * can read and empty it without racing an increment.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "exfild.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "maps.h"


/* ---- accounting -------------------------------------------------------- */

/* This CPU's loss counters: the one place they are looked up. */
static __always_inline struct loss *loss_slot(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&losses, &zero);
}

static __always_inline void count_loss(__s64 bytes)
{
	struct loss *l = loss_slot();

	if (l) {
		l->bytes += bytes;	/* per-CPU: no atomics needed */
		l->entries += 1;
	}
}

/* Add to an existing entry; false if there is none. */
static __always_inline bool map_add(void *map, struct flow_key *key, __u64 bytes, __u64 calls)
{
	struct flow_val *v = bpf_map_lookup_elem(map, key);

	if (!v)
		return false;
	__sync_fetch_and_add(&v->bytes, bytes);
	__sync_fetch_and_add(&v->calls, calls);
	return true;
}

/* Insert a new entry, or add to the one another CPU inserted meanwhile. */
static __always_inline void map_insert(void *map, struct flow_key *key, struct flow_val *nv)
{
	int err;	/* int: before 6.5 the helper's upper 32 bits are not defined */

	err = bpf_map_update_elem(map, key, nv, BPF_NOEXIST);
	if (!err)
		return;
	if (err == -EEXIST && map_add(map, key, nv->bytes, nv->calls))
		return;
	count_loss(nv->bytes);
}

static __always_inline void *active_map(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&flows_active, &zero);
}

/* What a new entry starts with: the clock and ids are read only here. */
static __always_inline void val_init(struct flow_val *nv, __s64 sent)
{
	nv->bytes = sent;
	nv->calls = 1;
	nv->first_ns = bpf_ktime_get_ns();
	nv->cgroup_id = bpf_get_current_cgroup_id();
	nv->uid = (__u32)bpf_get_current_uid_gid();
	nv->pad = 0;
}

/*
 * Add one send to its entry: a lookup and two atomic adds. Clock reads
 * and helper calls cost more than the lookup on some machines, so they
 * happen only when an entry is created. (fentry and kprobe tiers.)
 */
static __always_inline void account(struct flow_key *key, __s64 sent)
{
	struct flow_val nv;
	void *map;

	if (key->tgid == exfild_self_tgid)
		return;
	map = active_map();
	if (!map || map_add(map, key, sent, 1))
		return;
	val_init(&nv, sent);
	map_insert(map, key, &nv);
}

static __always_inline bool same_key(const struct flow_key *a, const struct flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] &&
	       x[4] == y[4] && x[5] == y[5];
}

/*
 * The tracepoint tier's hot path. Most sends repeat the previous send's
 * (process, destination) on the same CPU, so each CPU keeps its last flow
 * in flow_cache and adds to it with plain stores: tp_btf programs run with
 * preemption off and never nest, so nothing else touches this CPU's slot.
 * A different flow first moves the slot's counts into the hash map.
 *
 * The slot used is flow_cache[parity]. At a drain userspace flips parity,
 * then swaps flows_active, which waits for every running program; after
 * that no program touches the old slot, and userspace reads and clears it
 * with the old map. Counts live in exactly one place at a time (a slot or
 * the map) and move within one program run, so none is lost or doubled.
 */
static __always_inline void key_direction(struct flow_key *key, __u32 netns);
static __always_inline __u32 sk_netns(struct sock *sk);

/*
 * Does the slot hold this send's flow? key comes without its direction
 * (that costs a listen_ports look-up): the slot's key has it, and the same
 * process, addresses and ports give the same direction, so an ingress slot
 * is compared with the key as key_direction would make it (grouped: no
 * client port). A listener that starts meanwhile is seen at the next miss.
 */
static __always_inline bool slot_holds(const struct flow_cache *c, struct flow_key *key)
{
	__u16 rport = key->rport;
	bool hit;

	if (c->key.direction != EXFILD_INGRESS)
		return same_key(&c->key, key);
	key->direction = EXFILD_INGRESS;
	key->rport = 0;
	hit = same_key(&c->key, key);
	key->direction = EXFILD_EGRESS;
	key->rport = rport;
	return hit;
}

/* tcp_sk: the socket of a TCP send, whose key needs its direction; NULL
 * for UDP (always egress). */
static __always_inline void account_cached(struct flow_key *key, __s64 sent, struct sock *tcp_sk)
{
	__u32 p = parity;
	struct flow_cache *c;
	void *map;

	if (key->tgid == exfild_self_tgid)
		return;
	c = bpf_map_lookup_elem(&flow_cache, &p);
	if (c && c->valid && slot_holds(c, key)) {
		c->val.bytes += sent;
		c->val.calls += 1;
		return;
	}
	if (tcp_sk)
		key_direction(key, sk_netns(tcp_sk));
	if (!c) {
		account(key, sent);
		return;
	}
	if (c->valid) {
		map = active_map();
		if (!map)
			count_loss(c->val.bytes);
		else if (!map_add(map, &c->key, c->val.bytes, c->val.calls))
			map_insert(map, &c->key, &c->val);
	}
	c->key = *key;
	val_init(&c->val, sent);
	c->valid = 1;
}

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline int is_v4mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff);
}

/* Copy a 16-byte address, folding ::ffff:a.b.c.d to a.b.c.d; its family. */
static __always_inline __u8 addr_fold(__u8 *dst, const __u8 *a6)
{
	if (is_v4mapped(a6)) {
		__builtin_memcpy(dst, a6 + 12, 4);
		return EXFILD_AF_INET;
	}
	__builtin_memcpy(dst, a6, 16);
	return EXFILD_AF_INET6;
}

/* The peer, from a 16-byte address: one destination has one key. */
static __always_inline void key_set_v6(struct flow_key *key, const __u8 *a6)
{
	key->family = addr_fold(key->raddr, a6);
}

/*
 * This host's side, from a 16-byte address, after the peer is set. A
 * local address of the other family (the IPv6 wildcard of a socket that
 * sends to an IPv4 peer) stays zero: unknown, user space looks it up.
 */
static __always_inline void key_set_local_v6(struct flow_key *key, const __u8 *l6)
{
	__u8 l[16] = {};

	if (addr_fold(l, l6) == key->family)
		__builtin_memcpy(key->laddr, l, 16);
}

/*
 * Reading the socket's addresses and ports. fentry and tp_btf programs get
 * BTF-typed pointers and read with plain loads; kprobes get an untyped
 * pointer and read through CO-RE probe reads. One body, two readers.
 */
#define RD_BTF(p, f) ((p)->f)
#define RD_BTF_INTO(dst, p, f) __builtin_memcpy(dst, (p)->f, sizeof(*(dst)))

#define DEFINE_SK_READERS(sfx, RD, RD_INTO)					\
/* The connected peer; 0 if the socket is of no family we count. */		\
static __always_inline int key_remote_from_sk##sfx(struct flow_key *key,	\
						   struct sock *sk)		\
{										\
	__u16 family = RD(sk, __sk_common.skc_family);				\
	__u8 a6[16];								\
										\
	key->rport = bpf_ntohs(RD(sk, __sk_common.skc_dport));			\
	if (family == EXFILD_AF_INET) {						\
		key->family = EXFILD_AF_INET;					\
		*(__u32 *)key->raddr = RD(sk, __sk_common.skc_daddr);		\
	} else if (family == EXFILD_AF_INET6) {					\
		RD_INTO(&a6, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);	\
		key_set_v6(key, a6);						\
	} else {								\
		return 0;							\
	}									\
	return 1;								\
}										\
										\
/* The local address and port (after the peer, whose family it must share). */ \
static __always_inline void key_local_from_sk##sfx(struct flow_key *key,	\
						   struct sock *sk)		\
{										\
	__u8 a6[16];								\
										\
	key->lport = RD(sk, __sk_common.skc_num);				\
	if (RD(sk, __sk_common.skc_family) == EXFILD_AF_INET) {			\
		*(__u32 *)key->laddr = RD(sk, __sk_common.skc_rcv_saddr);	\
	} else {								\
		RD_INTO(&a6, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);	\
		key_set_local_v6(key, a6);					\
	}									\
}

DEFINE_SK_READERS(, RD_BTF, RD_BTF_INTO)
DEFINE_SK_READERS(_probe, BPF_CORE_READ, BPF_CORE_READ_INTO)

/* A destination copied into a send_dst, as the peer of a key. */
static __always_inline void key_from_dst(struct flow_key *key, const struct send_dst *d)
{
	key->rport = d->dport;
	if (d->family == EXFILD_AF_INET6) {
		key_set_v6(key, d->daddr);
	} else {
		key->family = EXFILD_AF_INET;
		__builtin_memcpy(key->raddr, d->daddr, 4);
	}
}

/*
 * Who opened a TCP connection: if its local port listens (in its network
 * namespace), the socket was accepted and its sends are ingress, grouped
 * by the service (the client's port is dropped). UDP has no such state:
 * every UDP send is egress, a server's replies included (README: the UDP
 * rule).
 */
static __always_inline void key_direction(struct flow_key *key, __u32 netns)
{
	struct listen_key lk = { .netns = netns, .port = key->lport };
	__s64 *n = bpf_map_lookup_elem(&listen_ports, &lk);

	if (n && *n > 0) {
		key->direction = EXFILD_INGRESS;
		key->rport = 0;
	}
}

static __always_inline __u32 sk_netns(struct sock *sk)
{
	return sk->__sk_common.skc_net.net->ns.inum;
}

static __always_inline __u32 sk_netns_probe(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/*
 * The address a UDP send carried (msg->msg_name), if any. Its family is
 * the sockaddr's own: an IPv6 socket may send to a sockaddr_in.
 */
static __always_inline int dst_from_msg(struct send_dst *d, struct msghdr *msg)
{
	struct sockaddr_in6 sa = {};
	void *name = BPF_CORE_READ(msg, msg_name);

	if (!name || bpf_probe_read_kernel(&sa, sizeof(sa), name))
		return 0;
	if (sa.sin6_family == EXFILD_AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&sa;

		d->family = EXFILD_AF_INET;
		__builtin_memcpy(d->daddr, &sin->sin_addr, 4);
		d->dport = bpf_ntohs(sin->sin_port);
	} else if (sa.sin6_family == EXFILD_AF_INET6) {
		d->family = EXFILD_AF_INET6;
		__builtin_memcpy(d->daddr, &sa.sin6_addr, 16);
		d->dport = bpf_ntohs(sa.sin6_port);
	} else {
		return 0;
	}
	d->valid = 1;
	return 1;
}

/* ---- tier 1: fentry/fexit ------------------------------------------------ */

static __always_inline void fexit_tcp(struct sock *sk, int ret)
{
	struct flow_key key = { .proto = EXFILD_PROTO_TCP };

	if (ret > 0 && key_remote_from_sk(&key, sk)) {
		key_local_from_sk(&key, sk);
		key_direction(&key, sk_netns(sk));
		key.tgid = current_tgid();
		account(&key, ret);
	}
}

static __always_inline void fexit_udp(struct sock *sk, struct msghdr *msg, int ret)
{
	struct flow_key key = { .proto = EXFILD_PROTO_UDP };
	struct send_dst d = {};

	/* UDP-Lite sockets send through udp_sendmsg too: not counted. */
	if (ret <= 0 || sk->sk_protocol != EXFILD_PROTO_UDP)
		return;
	if (dst_from_msg(&d, msg))
		key_from_dst(&key, &d);
	else if (!key_remote_from_sk(&key, sk))
		return;
	key_local_from_sk(&key, sk);
	key.tgid = current_tgid();
	account(&key, ret);
}

SEC("fexit/tcp_sendmsg")
int BPF_PROG(fexit_tcp_sendmsg, struct sock *sk, struct msghdr *msg, size_t size, int ret)
{
	fexit_tcp(sk, ret);
	return 0;
}

/* Kernels before 6.5 send sendfile() to TCP through here, not tcp_sendmsg. */
SEC("fexit/tcp_sendpage")
int BPF_PROG(fexit_tcp_sendpage, struct sock *sk, struct page *page, int offset,
	     size_t size, int flags, int ret)
{
	fexit_tcp(sk, ret);
	return 0;
}

SEC("fexit/udp_sendmsg")
int BPF_PROG(fexit_udp_sendmsg, struct sock *sk, struct msghdr *msg, size_t len, int ret)
{
	/* An IPv6 socket reaches udp_sendmsg through udpv6_sendmsg (v4-mapped
	 * peers); that outer call does the counting. */
	if (sk->__sk_common.skc_family == EXFILD_AF_INET)
		fexit_udp(sk, msg, ret);
	return 0;
}

SEC("fexit/udpv6_sendmsg")
int BPF_PROG(fexit_udpv6_sendmsg, struct sock *sk, struct msghdr *msg, size_t len, int ret)
{
	fexit_udp(sk, msg, ret);
	return 0;
}

/* ---- tier 2: kprobe/kretprobe -------------------------------------------- */

static __always_inline void kprobe_enter(struct sock *sk, struct msghdr *msg, __u8 proto)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct send_args a = {};

	a.sk = (__u64)sk;
	a.proto = proto;
	if (proto == EXFILD_PROTO_UDP)
		dst_from_msg(&a.dst, msg);
	/* No slot: this send cannot be counted; say so (its size is not
	 * known yet, so only the entry). */
	if (bpf_map_update_elem(&kprobe_args, &id, &a, BPF_ANY))
		count_loss(0);
}

/* Count the send whose entry arguments are a, then free the slot. */
static __always_inline void kprobe_finish(__u64 id, struct send_args *a, int ret)
{
	struct sock *sk = (struct sock *)a->sk;
	struct flow_key key = {};

	key.proto = a->proto;
	key.tgid = id >> 32;
	if (ret > 0) {
		int have = 1;

		if (a->dst.valid)
			key_from_dst(&key, &a->dst);
		else
			have = key_remote_from_sk_probe(&key, sk);
		if (have) {
			key_local_from_sk_probe(&key, sk);
			if (key.proto == EXFILD_PROTO_TCP)
				key_direction(&key, sk_netns_probe(sk));
			account(&key, ret);
		}
	}
	bpf_map_delete_elem(&kprobe_args, &id);
}

static __always_inline void kprobe_exit(int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct send_args *a = bpf_map_lookup_elem(&kprobe_args, &id);

	if (a)
		kprobe_finish(id, a, ret);
}

SEC("kprobe/tcp_sendmsg")
int BPF_KPROBE(kprobe_tcp_sendmsg, struct sock *sk, struct msghdr *msg)
{
	kprobe_enter(sk, msg, EXFILD_PROTO_TCP);
	return 0;
}

SEC("kretprobe/tcp_sendmsg")
int BPF_KRETPROBE(kretprobe_tcp_sendmsg, int ret)
{
	kprobe_exit(ret);
	return 0;
}

SEC("kprobe/tcp_sendpage")
int BPF_KPROBE(kprobe_tcp_sendpage, struct sock *sk)
{
	kprobe_enter(sk, NULL, EXFILD_PROTO_TCP);
	return 0;
}

SEC("kretprobe/tcp_sendpage")
int BPF_KRETPROBE(kretprobe_tcp_sendpage, int ret)
{
	kprobe_exit(ret);
	return 0;
}

SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(kprobe_udp_sendmsg, struct sock *sk, struct msghdr *msg)
{
	/* See fexit_udp_sendmsg: IPv6 sockets are counted in udpv6_sendmsg,
	 * and skipping here keeps the per-thread slot of the outer call. */
	if (BPF_CORE_READ(sk, __sk_common.skc_family) == EXFILD_AF_INET &&
	    BPF_CORE_READ(sk, sk_protocol) == EXFILD_PROTO_UDP)	/* not UDP-Lite */
		kprobe_enter(sk, msg, EXFILD_PROTO_UDP);
	return 0;
}

SEC("kretprobe/udp_sendmsg")
int BPF_KRETPROBE(kretprobe_udp_sendmsg, int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct send_args *a = bpf_map_lookup_elem(&kprobe_args, &id);
	struct sock *sk;

	/* Only our own entry: the inner call of udpv6_sendmsg left none.
	 * (The pointer is read first: a CO-RE read through a->sk would ask
	 * the kernel's BTF about struct send_args.) */
	if (!a || a->proto != EXFILD_PROTO_UDP)
		return 0;
	sk = (struct sock *)a->sk;
	if (BPF_CORE_READ(sk, __sk_common.skc_family) == EXFILD_AF_INET)
		kprobe_finish(id, a, ret);
	return 0;
}

SEC("kprobe/udpv6_sendmsg")
int BPF_KPROBE(kprobe_udpv6_sendmsg, struct sock *sk, struct msghdr *msg)
{
	if (BPF_CORE_READ(sk, sk_protocol) == EXFILD_PROTO_UDP)	/* not UDP-Lite */
		kprobe_enter(sk, msg, EXFILD_PROTO_UDP);
	return 0;
}

SEC("kretprobe/udpv6_sendmsg")
int BPF_KRETPROBE(kretprobe_udpv6_sendmsg, int ret)
{
	kprobe_exit(ret);
	return 0;
}

/* ---- tier 3: tracepoints -------------------------------------------------- */

/*
 * Take this thread's stashed destination, if it has one, into *out. The
 * stash is consumed whether or not the send succeeded, so a failed send
 * cannot leave a destination for the next one.
 */
static __always_inline bool take_dst(struct send_dst *out)
{
	struct send_dst *d;

	if (!stashed)
		return false;
	if (handover_by_tid) {
		__u64 id = bpf_get_current_pid_tgid();

		d = bpf_map_lookup_elem(&send_dsts_tid, &id);
		if (!d)
			return false;
		*out = *d;	/* copied first: a deleted entry is reused at once */
		bpf_map_delete_elem(&send_dsts_tid, &id);
	} else {
		struct task_struct *t = bpf_get_current_task_btf();

		/* A thread that never sent to an address has no storage. */
		if (!t->bpf_storage)
			return false;
		d = bpf_task_storage_get(&send_dsts, t, 0, 0);
		if (!d || !d->valid)
			return false;
		*out = *d;
		d->valid = 0;
	}
	__sync_fetch_and_sub(&stashed, 1);
	return out->valid;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(tp_sock_send_length, struct sock *sk, int ret, int flags)
{
	struct flow_key key = {};
	struct send_dst d;
	__u16 proto;

	if (!sk)
		return 0;
	proto = sk->sk_protocol;
	if (proto != EXFILD_PROTO_TCP && proto != EXFILD_PROTO_UDP)
		return 0;
	key.proto = proto;
	if (proto == EXFILD_PROTO_UDP && take_dst(&d)) {
		if (ret > 0) {
			key_from_dst(&key, &d);
			key_local_from_sk(&key, sk);
			key.tgid = d.tgid;
			account_cached(&key, ret, NULL);
		}
		return 0;
	}
	if (ret > 0 && key_remote_from_sk(&key, sk)) {
		key_local_from_sk(&key, sk);
		key.tgid = current_tgid();
		account_cached(&key, ret, proto == EXFILD_PROTO_TCP ? sk : NULL);
	}
	return 0;
}

static __always_inline void stash_dst(const __u8 *addr, __u32 port_be, __u8 family)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct send_dst *d, nd = {};

	if (handover_by_tid) {
		nd.tgid = id >> 32;
		__builtin_memcpy(nd.daddr, addr, 16);
		nd.dport = bpf_ntohs((__u16)port_be);
		nd.family = family;
		nd.valid = 1;
		/* A new entry is one more stash; replacing one left behind is not. */
		if (!bpf_map_update_elem(&send_dsts_tid, &id, &nd, BPF_NOEXIST))
			__sync_fetch_and_add(&stashed, 1);
		else if (bpf_map_update_elem(&send_dsts_tid, &id, &nd, BPF_EXIST))
			count_loss(0);	/* no room: this send's destination is lost */
		return;
	}
	d = bpf_task_storage_get(&send_dsts, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!d) {
		count_loss(0);
		return;
	}
	if (!d->valid)
		__sync_fetch_and_add(&stashed, 1);
	d->tgid = id >> 32;
	__builtin_memcpy(d->daddr, addr, 16);
	d->dport = bpf_ntohs((__u16)port_be);
	d->family = family;
	d->valid = 1;
}

SEC("cgroup/sendmsg4")
int cg_sendmsg4(struct bpf_sock_addr *ctx)
{
	__u8 a[16] = {};

	if (ctx->protocol == EXFILD_PROTO_UDP) {
		*(__u32 *)a = ctx->user_ip4;
		stash_dst(a, ctx->user_port, EXFILD_AF_INET);
	}
	return 1;	/* never interfere with the send */
}

SEC("cgroup/sendmsg6")
int cg_sendmsg6(struct bpf_sock_addr *ctx)
{
	__u32 a[4];

	if (ctx->protocol == EXFILD_PROTO_UDP) {
		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
		stash_dst((const __u8 *)a, ctx->user_port, EXFILD_AF_INET6);
	}
	return 1;
}

/* ---- process lifecycle (all tiers) --------------------------------------- */

static __always_inline struct task_event *event_reserve(void)
{
	struct task_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		struct loss *l = loss_slot();

		if (l)
			l->events += 1;	/* per-CPU: no atomics needed */
	}
	return e;
}

static __always_inline void event_fill(struct task_event *e, struct task_struct *p, __u32 kind)
{
	__u64 ug = bpf_get_current_uid_gid();

	e->kind = kind;
	e->pid = p->tgid;
	e->ppid = p->real_parent->tgid;
	e->uid = (__u32)ug;
	e->gid = ug >> 32;
	e->pad = 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->start_ns = p->group_leader->start_boottime;
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_event *e = event_reserve();

	if (!e)
		return 0;
	event_fill(e, p, PROC_EXEC);
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), bprm->filename);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_exit, struct task_struct *p)
{
	struct task_event *e;

	/* Only when the whole thread group is gone. */
	if (p->signal->live.counter != 0)
		return 0;
	e = event_reserve();
	if (!e)
		return 0;
	event_fill(e, p, PROC_EXIT);
	e->filename[0] = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* ---- listening TCP ports (all tiers) ------------------------------------- */

/*
 * A TCP socket entering or leaving LISTEN. A listener leaves LISTEN only
 * for CLOSE: each accepted child is a clone of its listener and reports
 * LISTEN -> SYN_RECV, which must not count as the listener going away.
 * listen() on a socket that was never bound chooses its port only after
 * this fires (port 0 here): such a listener is not seen, and its clients'
 * connections count as egress.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_listen, const struct sock *sk, const int oldstate, const int newstate)
{
	struct listen_key lk = {};
	__s64 one = 1, *n;

	if (sk->sk_protocol != EXFILD_PROTO_TCP ||
	    (newstate != TCP_LISTEN && !(oldstate == TCP_LISTEN && newstate == TCP_CLOSE)))
		return 0;
	lk.netns = sk->__sk_common.skc_net.net->ns.inum;
	lk.port = sk->__sk_common.skc_num;
	if (!lk.port)
		return 0;
	n = bpf_map_lookup_elem(&listen_ports, &lk);
	if (newstate == TCP_LISTEN) {
		if (!n && !bpf_map_update_elem(&listen_ports, &lk, &one, BPF_NOEXIST))
			return 0;
		if (!n)	/* another CPU inserted it meanwhile, or the map is full */
			n = bpf_map_lookup_elem(&listen_ports, &lk);
		if (n)
			__sync_fetch_and_add(n, 1);
	} else if (n) {
		__sync_fetch_and_add(n, -1);
	}
	return 0;
}
