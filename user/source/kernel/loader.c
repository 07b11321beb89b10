/*
 * The attach ladder. Each tier is really tried: its programs are loaded and
 * attached, and the first tier that fully attaches wins. The programs of
 * the other tiers have autoload switched off, so only one tier ever runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "exfild.skel.h"
#include "cgroup.h"
#include "helper_probe.h"
#include "libbpf_log.h"
#include "loader.h"
#include "log.h"

#define BPF_FS_MAGIC_NUM 0xcafe4a11
#define BPFFS_DEFAULT "/sys/fs/bpf"


static int has_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return 0;
#define HAS(c) (data[(c) / 32].effective & (1u << ((c) % 32)))
	if (HAS(CAP_SYS_ADMIN))
		return 1;
	return HAS(CAP_BPF) && HAS(CAP_PERFMON) && HAS(CAP_NET_ADMIN);
#undef HAS
}

int loader_preflight(char *err, size_t errlen)
{
	if (!has_caps()) {
		snprintf(err, errlen, "not permitted to load eBPF programs: run as root "
			 "(sudo), or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN");
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen, "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): "
			 "exfild needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	return 0;
}

/* ---- kernel feature look-ups ------------------------------------------ */

static struct btf *vmlinux_btf(void)
{
	static struct btf *btf;

	if (!btf)
		btf = btf__load_vmlinux_btf();
	return libbpf_get_error(btf) ? NULL : btf;
}

static bool kernel_has(const char *name, int kind)
{
	struct btf *btf = vmlinux_btf();

	return btf && btf__find_by_name_kind(btf, name, kind) > 0;
}

/* Why a tier cannot work here, before trying it; NULL if it may. */
static const char *tier_precheck(int tier)
{
	switch (tier) {
	case TIER_FENTRY:
		if (!kernel_has("tcp_sendmsg", BTF_KIND_FUNC))
			return "kernel BTF has no function tcp_sendmsg";
		return NULL;
	case TIER_KPROBE:
		if (access("/sys/bus/event_source/devices/kprobe/type", F_OK) &&
		    access("/sys/kernel/tracing/kprobe_events", F_OK) &&
		    access("/sys/kernel/debug/tracing/kprobe_events", F_OK))
			return "this kernel has no kprobes (CONFIG_KPROBES is not set)";
		return NULL;
	case TIER_TRACEPOINT:
		if (!kernel_has("btf_trace_sock_send_length", BTF_KIND_TYPEDEF))
			return "kernel has no tracepoint sock_send_length (added in Linux 6.3)";
		return NULL;
	}
	return "unknown tier";
}

/* ---- one tier ------------------------------------------------------------ */

struct tier_prog {
	struct bpf_program *prog;
	bool optional;		/* tcp_sendpage: only on kernels that have it */
};

static int tier_progs(struct exfild_bpf *s, int tier, struct tier_prog *out)
{
	int n = 0;

#define P(p, opt) out[n++] = (struct tier_prog){ s->progs.p, opt }
	switch (tier) {
	case TIER_FENTRY:
		P(fexit_tcp_sendmsg, false);
		P(fexit_tcp_sendpage, true);
		P(fexit_udp_sendmsg, false);
		P(fexit_udpv6_sendmsg, false);
		break;
	case TIER_KPROBE:
		P(kprobe_tcp_sendmsg, false);
		P(kretprobe_tcp_sendmsg, false);
		P(kprobe_tcp_sendpage, true);
		P(kretprobe_tcp_sendpage, true);
		P(kprobe_udp_sendmsg, false);
		P(kretprobe_udp_sendmsg, false);
		P(kprobe_udpv6_sendmsg, false);
		P(kretprobe_udpv6_sendmsg, false);
		break;
	case TIER_TRACEPOINT:
		P(tp_sock_send_length, false);
		P(cg_sendmsg4, false);
		P(cg_sendmsg6, false);
		break;
	}
#undef P
	return n;
}

static void set_autoload(struct exfild_bpf *s, int tier, bool sendpage)
{
	struct bpf_program *p;
	struct tier_prog tp[16];
	int n = tier_progs(s, tier, tp);

	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_autoload(p, false);
	for (int i = 0; i < n; i++)
		bpf_program__set_autoload(tp[i].prog, !tp[i].optional || sendpage);
	bpf_program__set_autoload(s->progs.tp_exec, true);
	bpf_program__set_autoload(s->progs.tp_exit, true);
	bpf_program__set_autoload(s->progs.tp_listen, true);
	/* Per-tier scratch maps exist only for the tier that uses them. */
	bpf_map__set_autocreate(s->maps.send_dsts, tier == TIER_TRACEPOINT);
	bpf_map__set_autocreate(s->maps.send_dsts_tid, tier == TIER_TRACEPOINT);
	bpf_map__set_autocreate(s->maps.kprobe_args, tier == TIER_KPROBE);
}

/*
 * The tracepoint tier hands a UDP destination from cgroup/sendmsg4/6 to
 * sock_send_length through task storage where cgroup programs may use it,
 * else through a hash keyed by thread (see handover_by_tid in
 * bpf/exfild.bpf.c).
 */
static void set_handover(struct exfild_bpf *s)
{
	bool task_storage = helper_available(BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
					     BPF_CGROUP_UDP4_SENDMSG, BPF_FUNC_task_storage_get);

	s->rodata->handover_by_tid = !task_storage;
	if (task_storage)	/* the hash is never used: keep it tiny */
		bpf_map__set_max_entries(s->maps.send_dsts_tid, 1);
	log_debug("attach: tracepoint: UDP destinations handed over through %s",
		  task_storage ? "task storage" : "a per-thread hash (cgroup programs "
		  "cannot use task storage on this kernel)");
}

/* "loading programs: Invalid argument (libbpf: ...; kernel: prog 'x': why)" */
static int fail(char *err, size_t errlen, const char *what, const char *name, int e)
{
	int n = snprintf(err, errlen, "%s %s: %s", what, name, strerror(e));

	if (n >= 0 && (size_t)n < errlen)
		libbpf_log_explain(err + n, errlen - (size_t)n);
	return -1;
}

static int attach_one(struct loader *ld, struct bpf_program *p, char *err, size_t errlen)
{
	struct bpf_link *l;

	libbpf_log_reset();
	l = bpf_program__attach(p);
	if (!l)
		return fail(err, errlen, "attaching", bpf_program__name(p), errno);
	ld->links[ld->nlinks++] = l;
	return 0;
}

static int attach_tier(struct loader *ld, int tier, char *err, size_t errlen)
{
	struct exfild_bpf *s = ld->skel;
	struct tier_prog tp[16];
	int n = tier_progs(s, tier, tp);

	for (int i = 0; i < n; i++) {
		struct bpf_program *p = tp[i].prog;
		struct bpf_link *l;

		if (!bpf_program__autoload(p))
			continue;
		libbpf_log_reset();
		if (p == s->progs.cg_sendmsg4 || p == s->progs.cg_sendmsg6) {
			l = bpf_program__attach_cgroup(p, ld->cgroup_fd);
			if (!l)
				return fail(err, errlen, "attaching", bpf_program__name(p), errno);
			ld->cg_links[p == s->progs.cg_sendmsg6] = l;
			continue;
		}
		if (attach_one(ld, p, err, errlen))
			return -1;
	}
	return 0;
}

static void unload(struct loader *ld)
{
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(ld->cg_links[i]);
		ld->cg_links[i] = NULL;
	}
	while (ld->nlinks > 0)
		bpf_link__destroy(ld->links[--ld->nlinks]);
	exfild_bpf__destroy(ld->skel);
	ld->skel = NULL;
}

static int load_tier(struct loader *ld, const struct loader_opts *o, int tier,
		    char *err, size_t errlen)
{
	struct exfild_bpf *s;
	int e;

	ld->sendpage = tier != TIER_TRACEPOINT && kernel_has("tcp_sendpage", BTF_KIND_FUNC);
	if (tier == TIER_TRACEPOINT) {
		ld->cgroup_fd = cgroup2_root_open(err, errlen);
		if (ld->cgroup_fd < 0)
			return -1;
	}
	s = exfild_bpf__open();
	if (!s)
		return fail(err, errlen, "opening", "BPF object", errno);
	ld->skel = s;
	s->rodata->exfild_self_tgid = (uint32_t)getpid();
	bpf_map__set_max_entries(s->maps.flows_a, o->max_flows);
	bpf_map__set_max_entries(s->maps.flows_b, o->max_flows);
	/* The inner-map template keeps its size: for hash maps the kernel
	 * does not compare max_entries when a map is put into flows_active. */
	set_autoload(s, tier, ld->sendpage);
	if (tier == TIER_TRACEPOINT)
		set_handover(s);
	libbpf_log_reset();
	e = exfild_bpf__load(s);
	if (e) {
		fail(err, errlen, "loading", "programs", -e);
		if (-e == EPERM && tier == TIER_FENTRY)
			snprintf(err + strlen(err), errlen - strlen(err),
				 "; this kernel refuses BPF trampolines");
		unload(ld);
		return -1;
	}
	if (attach_tier(ld, tier, err, errlen) ||
	    attach_one(ld, s->progs.tp_exec, err, errlen) ||
	    attach_one(ld, s->progs.tp_exit, err, errlen) ||
	    attach_one(ld, s->progs.tp_listen, err, errlen)) {
		unload(ld);
		return -1;
	}
	ld->tier = tier;
	return 0;
}

/*
 * Really try the tier; where the kernel plainly lacks what it needs, say
 * that rather than the error the attempt ended with.
 */
static int try_tier(struct loader *ld, const struct loader_opts *o, int tier,
		    char *err, size_t errlen)
{
	const char *why = tier_precheck(tier);
	char tried[1024] = "";

	if (!load_tier(ld, o, tier, tried, sizeof(tried)))
		return 0;
	if (why)
		snprintf(err, errlen, "%s (%s)", why, tried);
	else
		snprintf(err, errlen, "%s", tried);
	return -1;
}

/* ---- pinning ------------------------------------------------------------- */

static bool on_bpffs(const char *dir)
{
	struct statfs st;

	return !statfs(dir, &st) && (unsigned long)st.f_type == BPF_FS_MAGIC_NUM;
}

/* The directory is the root of a mount: pinning there mixes our maps with everyone's. */
static bool is_mount_root(const char *dir, const char *parent)
{
	struct stat a, b;

	return !stat(dir, &a) && !stat(parent, &b) && (a.st_dev != b.st_dev || a.st_ino == b.st_ino);
}

static int pin_maps(struct loader *ld, const char *path, char *err, size_t errlen)
{
	struct bpf_map *maps[] = { ld->skel->maps.flows_a, ld->skel->maps.flows_b,
				   ld->skel->maps.flows_active, ld->skel->maps.flow_cache,
				   ld->skel->maps.losses, ld->skel->maps.events };
	char parent[256], file[512];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = 0;
	/* systemd mounts bpffs at /sys/fs/bpf; do it ourselves where nobody did. */
	if (!strcmp(parent, BPFFS_DEFAULT) && !on_bpffs(parent) &&
	    mount("bpffs", BPFFS_DEFAULT, "bpf", 0, "mode=0700"))
		log_warn("could not mount bpffs on %s: %s", BPFFS_DEFAULT, strerror(errno));
	if (on_bpffs(path) && is_mount_root(path, parent)) {
		snprintf(err, errlen, "pin path %s is the root of a bpf filesystem: give exfild a "
			 "directory of its own there (--pin-path %s/exfild)", path,
			 strcmp(path, "/") ? path : "");
		return -1;
	}
	if (!on_bpffs(parent)) {
		snprintf(err, errlen, "pin path %s is not on a bpf filesystem "
			 "(mount one with: mount -t bpf bpffs %s), or use --pin-path", path, parent);
		return -1;
	}
	if (mkdir(path, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create pin directory %s: %s", path, strerror(errno));
		return -1;
	}
	/* The maps are pinned 0600; the directory keeps other users out too,
	 * also when an earlier run or someone else made it. */
	if (chmod(path, 0700)) {
		snprintf(err, errlen, "cannot make pin directory %s private: %s", path,
			 strerror(errno));
		return -1;
	}
	snprintf(ld->pin_dir, sizeof(ld->pin_dir), "%s", path);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		snprintf(file, sizeof(file), "%s/%s", path, bpf_map__name(maps[i]));
		unlink(file);	/* left by an agent that did not exit cleanly */
		if (bpf_map__pin(maps[i], file)) {
			snprintf(err, errlen, "cannot pin %s: %s", file, strerror(errno));
			return -1;
		}
	}
	ld->pinned = true;
	return 0;
}

static void unpin_maps(struct loader *ld)
{
	struct bpf_map *m;

	if (!ld->pinned)
		return;
	bpf_object__for_each_map(m, ld->skel->obj)
		if (bpf_map__is_pinned(m))
			bpf_map__unpin(m, NULL);
	rmdir(ld->pin_dir);
	ld->pinned = false;
}

/* ---- the ladder ---------------------------------------------------------- */

int loader_start(struct loader *ld, const struct loader_opts *o, char *err, size_t errlen)
{
	char why[TIER_COUNT][1280];
	int first = o->attach == TIER_AUTO ? 0 : o->attach;
	int last = o->attach == TIER_AUTO ? TIER_COUNT - 1 : o->attach;
	size_t off = 0;

	memset(ld, 0, sizeof(*ld));
	ld->cgroup_fd = -1;
	libbpf_log_install();
	for (int t = first; t <= last; t++) {
		why[t][0] = 0;
		if (!try_tier(ld, o, t, why[t], sizeof(why[t]))) {
			log_info("attach: %s: attached%s", tier_name(t),
				 t == TIER_TRACEPOINT ? " (sock_send_length + cgroup/sendmsg4/6)" :
				 ld->sendpage ? " (with tcp_sendpage)" : "");
			if (o->pin_path && pin_maps(ld, o->pin_path, err, errlen)) {
				loader_stop(ld);
				return -1;
			}
			return 0;
		}
		log_info("attach: %s: refused: %s", tier_name(t), why[t]);
		if (ld->cgroup_fd >= 0) {
			close(ld->cgroup_fd);
			ld->cgroup_fd = -1;
		}
	}
	off = (size_t)snprintf(err, errlen, "no attach tier works on this kernel:");
	for (int t = first; t <= last && off < errlen; t++)
		off += (size_t)snprintf(err + off, errlen - off, " %s: %s;", tier_name(t), why[t]);
	return -1;
}

void loader_stop(struct loader *ld)
{
	if (!ld->skel)
		return;
	unpin_maps(ld);
	unload(ld);
	if (ld->cgroup_fd >= 0)
		close(ld->cgroup_fd);
	ld->cgroup_fd = -1;
}
