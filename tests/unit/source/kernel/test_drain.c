/*
 * user/drain.c on real BPF maps (needs root): the swap of the active slot,
 * emptying the old map with batch ops, and loss deltas from per-CPU counters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "drain.h"

#define NMAX 10000

struct maps {
	int a, b, active, losses;
	__u32 id_a, id_b;
	int ncpus;
};

/* Each test's maps and drain, released by teardown even after a failure. */
static struct maps m;
static struct drain d;

static bool no_bpf;	/* not root, or no bpf(): every test is a cmocka skip */

#define SKIP_WITHOUT_BPF() do { \
	if (no_bpf) { \
		print_message("# %s: needs root and bpf()\n", __func__); \
		skip(); \
	} \
} while (0)

static __u32 map_id(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

/* The layout the loader builds: A and B, a one-slot array of maps on A, losses. */
static int maps_open(struct maps *mp, __u32 max_entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, outer, .inner_map_fd = -1);
	__u32 zero = 0;

	memset(mp, 0, sizeof(*mp));
	mp->a = bpf_map_create(BPF_MAP_TYPE_HASH, "t_flows_a", sizeof(struct flow_key),
			      sizeof(struct flow_val), max_entries, NULL);
	mp->b = bpf_map_create(BPF_MAP_TYPE_HASH, "t_flows_b", sizeof(struct flow_key),
			      sizeof(struct flow_val), max_entries, NULL);
	if (mp->a < 0 || mp->b < 0)
		return -1;
	outer.inner_map_fd = mp->a;
	mp->active = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "t_active", sizeof(__u32),
				   sizeof(__u32), 1, &outer);
	mp->losses = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "t_losses", sizeof(__u32),
				   sizeof(struct loss), 1, NULL);
	if (mp->active < 0 || mp->losses < 0)
		return -1;
	if (bpf_map_update_elem(mp->active, &zero, &mp->a, BPF_ANY))
		return -1;
	mp->id_a = map_id(mp->a);
	mp->id_b = map_id(mp->b);
	mp->ncpus = libbpf_num_possible_cpus();
	return mp->ncpus > 0 ? 0 : -1;
}

static void maps_close(struct maps *mp)
{
	int fds[] = { mp->a, mp->b, mp->active, mp->losses };

	for (size_t i = 0; i < 4; i++)
		if (fds[i] > 0)
			close(fds[i]);
	memset(mp, 0, sizeof(*mp));
}

static int cleanup(void **state)
{
	drain_free(&d);
	maps_close(&m);
	return 0;
}

static int group_setup(void **state)
{
	struct maps t = { -1, -1, -1, -1, 0, 0, 0 };

	if (geteuid() != 0 || maps_open(&t, 16)) {
		no_bpf = true;
		print_message("# bpf maps unavailable (%s): drain tests are skipped\n",
			      geteuid() ? "not root" : strerror(errno));
	}
	maps_close(&t);
	return 0;
}

/* Which map slot 0 of the array of maps points at (by id). */
static __u32 active_id(void)
{
	__u32 zero = 0, id = 0;

	assert_int_equal(bpf_map_lookup_elem(m.active, &zero, &id), 0);
	return id;
}

static bool map_empty(int fd)
{
	struct flow_key k;

	return bpf_map_get_next_key(fd, NULL, &k) != 0 && errno == ENOENT;
}

/* Flow number i, with fields that all differ from flow to flow. */
static struct flow flow_n(unsigned i, unsigned salt)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	f.key.tgid = 1000 + i;
	f.key.rport = (uint16_t)(i * 7 + salt);
	f.key.proto = i % 2 ? EXFILD_PROTO_UDP : EXFILD_PROTO_TCP;
	f.key.family = i % 3 ? EXFILD_AF_INET : EXFILD_AF_INET6;
	f.key.raddr[0] = 198;
	f.key.raddr[1] = 51;
	f.key.raddr[2] = (uint8_t)(i >> 8);
	f.key.raddr[3] = (uint8_t)i;
	if (f.key.family == EXFILD_AF_INET6)
		f.key.raddr[15] = (uint8_t)salt;
	f.val.bytes = (uint64_t)i * 1000 + salt;
	f.val.calls = i + 1;
	f.val.first_ns = 5000000000ULL + i;
	f.val.cgroup_id = 100 + salt;
	f.val.uid = i % 5;
	return f;
}

static void fill(int fd, unsigned n, unsigned salt)
{
	for (unsigned i = 0; i < n; i++) {
		struct flow f = flow_n(i, salt);

		assert_int_equal(bpf_map_update_elem(fd, &f.key, &f.val, BPF_NOEXIST), 0);
	}
}

static int cmp_flow(const void *a, const void *b)
{
	return memcmp(&((const struct flow *)a)->key, &((const struct flow *)b)->key,
		      sizeof(struct flow_key));
}

/* d.flows[0..n) holds exactly flows 0..want-1 of this salt, in any order. */
static void check_flows(ssize_t n, unsigned want, unsigned salt)
{
	struct flow *exp = calloc(want ? want : 1, sizeof(*exp));

	assert_non_null(exp);
	assert_int_equal(n, (ssize_t)want);
	for (unsigned i = 0; i < want; i++)
		exp[i] = flow_n(i, salt);
	qsort(exp, want, sizeof(*exp), cmp_flow);
	qsort(d.flows, (size_t)n, sizeof(*d.flows), cmp_flow);
	for (unsigned i = 0; i < want; i++)
		if (memcmp(&exp[i], &d.flows[i], sizeof(exp[i])))
			fail_msg("flow %u differs (tgid %u vs %u)", i, exp[i].key.tgid,
				 d.flows[i].key.tgid);
	free(exp);
}

static void test_swap_and_empty(void **state)
{
	struct loss l;
	ssize_t n;

	SKIP_WITHOUT_BPF();
	assert_int_equal(maps_open(&m, 64), 0);
	assert_int_equal(drain_init(&d, m.active, m.a, m.b, m.losses, 64), 0);
	assert_int_not_equal(m.id_a, m.id_b);
	assert_int_equal(active_id(), m.id_a);

	fill(m.a, 5, 1);
	n = drain_run(&d, &l);
	check_flows(n, 5, 1);
	assert_true(map_empty(m.a));
	assert_int_equal(active_id(), m.id_b);

	/* What the programs wrote meanwhile to B comes out next, and A is active again. */
	fill(m.b, 7, 2);
	n = drain_run(&d, &l);
	check_flows(n, 7, 2);
	assert_true(map_empty(m.b));
	assert_int_equal(active_id(), m.id_a);

	/* An idle interval: nothing, and the swap still happens. */
	n = drain_run(&d, &l);
	assert_int_equal(n, 0);
	assert_int_equal(active_id(), m.id_b);

	/* A map filled to max_entries comes out whole. */
	fill(m.b, 64, 3);
	n = drain_run(&d, &l);
	check_flows(n, 64, 3);
	assert_true(map_empty(m.b));
	assert_int_equal(active_id(), m.id_a);
	drain_free(&d);		/* teardown frees again: twice is harmless */
}

static void test_ten_thousand(void **state)
{
	struct loss l;
	ssize_t n;

	SKIP_WITHOUT_BPF();
	assert_int_equal(maps_open(&m, NMAX), 0);
	assert_int_equal(drain_init(&d, m.active, m.a, m.b, m.losses, NMAX), 0);
	for (unsigned round = 0; round < 4; round++) {
		int from = round % 2 ? m.b : m.a;

		fill(from, NMAX, round);
		n = drain_run(&d, &l);
		check_flows(n, NMAX, round);
		assert_true(map_empty(from));
		assert_int_equal(active_id(), round % 2 ? m.id_a : m.id_b);
	}
}

/* Per-CPU loss counters: the delta since the last drain, summed over CPUs. */
static void set_losses(uint64_t base)
{
	struct loss *v = calloc((size_t)m.ncpus, sizeof(*v));
	__u32 zero = 0;

	assert_non_null(v);
	for (int i = 0; i < m.ncpus; i++) {
		v[i].bytes = base * 1000 + (uint64_t)i;
		v[i].entries = base + (uint64_t)i;
		v[i].events = base * 2;
	}
	assert_int_equal(bpf_map_update_elem(m.losses, &zero, v, BPF_ANY), 0);
	free(v);
}

static void test_loss_deltas(void **state)
{
	struct loss l;
	uint64_t c, tri;

	SKIP_WITHOUT_BPF();
	assert_int_equal(maps_open(&m, 16), 0);
	assert_int_equal(drain_init(&d, m.active, m.a, m.b, m.losses, 16), 0);
	c = (uint64_t)m.ncpus;
	tri = c * (c - 1) / 2;		/* sum of the CPU numbers */

	/* Nothing lost yet. */
	memset(&l, 0xff, sizeof(l));
	assert_int_equal(drain_run(&d, &l), 0);
	assert_int_equal(l.bytes, 0);
	assert_int_equal(l.entries, 0);
	assert_int_equal(l.events, 0);

	set_losses(10);
	assert_int_equal(drain_run(&d, &l), 0);
	assert_int_equal(l.bytes, c * 10000 + tri);
	assert_int_equal(l.entries, c * 10 + tri);
	assert_int_equal(l.events, c * 20);

	/* Reported once: the next drain sees no change. */
	assert_int_equal(drain_run(&d, &l), 0);
	assert_int_equal(l.bytes, 0);
	assert_int_equal(l.entries, 0);
	assert_int_equal(l.events, 0);

	/* More losses: only the increase. */
	set_losses(13);
	fill(d.map_fd[d.cur], 3, 9);	/* flows and losses in the same drain */
	assert_int_equal(drain_run(&d, &l), 3);
	assert_int_equal(l.bytes, c * 3000);
	assert_int_equal(l.entries, c * 3);
	assert_int_equal(l.events, c * 6);
}

/* A failed swap reports -1 and changes nothing: the next drain still works. */
static void test_swap_fails(void **state)
{
	struct loss l;

	SKIP_WITHOUT_BPF();
	assert_int_equal(maps_open(&m, 16), 0);
	assert_int_equal(drain_init(&d, -1, m.a, m.b, m.losses, 16), 0);
	fill(m.a, 2, 4);
	errno = 0;
	assert_int_equal(drain_run(&d, &l), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(d.cur, 0);
	d.active_fd = m.active;
	check_flows(drain_run(&d, &l), 2, 4);
	assert_int_equal(active_id(), m.id_b);
}

/*
 * The tracepoint tier's per-CPU last-flow slots: the drain flips parity,
 * takes the old slot of every CPU, clears it, and merges a key that is
 * both in the map and in slots into one flow.
 */
static void test_cache_slots(void **state)
{
	struct flow_cache *slots;
	struct flow in_map = flow_n(1, 6), other = flow_n(2, 6);
	volatile __u32 parity = 0;
	__u32 slot0 = 0, slot1 = 1;
	struct loss l;
	int cache;
	ssize_t n;

	SKIP_WITHOUT_BPF();
	assert_int_equal(maps_open(&m, 16), 0);
	assert_int_equal(drain_init(&d, m.active, m.a, m.b, m.losses, 16), 0);
	cache = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "t_cache", sizeof(__u32),
			       sizeof(struct flow_cache), 2, NULL);
	assert_true(cache >= 0);
	drain_set_cache(&d, cache, &parity);
	slots = calloc((size_t)m.ncpus, sizeof(*slots));
	assert_non_null(slots);

	/* Map A: flow 1 with 1000 bytes. CPU 0's slot 0: flow 1 again, 7 bytes
	 * in 2 calls, seen earlier; the last CPU's slot 0: flow 2. Slot 1 (the
	 * next interval's) also holds something, which must stay. */
	assert_int_equal(bpf_map_update_elem(m.a, &in_map.key, &in_map.val, BPF_NOEXIST), 0);
	slots[0].key = in_map.key;
	slots[0].val = in_map.val;
	slots[0].val.bytes = 7;
	slots[0].val.calls = 2;
	slots[0].val.first_ns = in_map.val.first_ns - 5;
	slots[0].valid = 1;
	slots[m.ncpus - 1].key = other.key;
	slots[m.ncpus - 1].val = other.val;
	slots[m.ncpus - 1].valid = 1;
	if (m.ncpus == 1) {	/* one CPU: both cannot fit; keep flow 1 */
		slots[0].key = in_map.key;
		slots[0].val.bytes = 7;
	}
	assert_int_equal(bpf_map_update_elem(cache, &slot0, slots, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(cache, &slot1, slots, BPF_ANY), 0);

	n = drain_run(&d, &l);
	assert_int_equal(parity, 1);
	assert_int_equal(n, m.ncpus > 1 ? 2 : 1);
	for (ssize_t i = 0; i < n; i++) {
		if (!memcmp(&d.flows[i].key, &in_map.key, sizeof(in_map.key))) {
			assert_int_equal(d.flows[i].val.bytes, in_map.val.bytes + 7);
			assert_int_equal(d.flows[i].val.calls, in_map.val.calls + 2);
			assert_int_equal(d.flows[i].val.first_ns, in_map.val.first_ns - 5);
		} else {
			assert_memory_equal(&d.flows[i], &other, sizeof(other));
		}
	}
	/* Slot 0 is cleared on every CPU; slot 1 is untouched. */
	assert_int_equal(bpf_map_lookup_elem(cache, &slot0, slots), 0);
	for (int i = 0; i < m.ncpus; i++)
		assert_int_equal(slots[i].valid, 0);
	assert_int_equal(bpf_map_lookup_elem(cache, &slot1, slots), 0);
	assert_int_equal(slots[0].valid, 1);

	/* The next drain takes slot 1 and flips back. */
	n = drain_run(&d, &l);
	assert_int_equal(parity, 0);
	assert_int_equal(n, m.ncpus > 1 ? 2 : 1);
	free(slots);
	close(cache);
}

/* ---- the entry-by-entry fallback (defect 9 of issue 7) -------------------- */

/* A fake map of `fake_n` entries whose lookups and deletes may fail. */
static int fake_n, fake_calls, fake_lookup_fails, fake_delete_fails;

static int fake_next(int fd, const void *key, void *next)
{
	(void)fd;
	(void)key;
	if (++fake_calls > 1000000)	/* the loop this guards against */
		fail_msg("drain_one_by_one does not stop");
	if (!fake_n)
		return -ENOENT;
	memset(next, 0, sizeof(struct flow_key));
	((struct flow_key *)next)->tgid = (__u32)fake_n;
	return 0;
}

static int fake_lookup(int fd, const void *key, void *value)
{
	(void)fd;
	(void)key;
	memset(value, 0, sizeof(struct flow_val));
	((struct flow_val *)value)->bytes = 10;
	return fake_lookup_fails ? -1 : 0;
}

static int fake_delete(int fd, const void *key)
{
	(void)fd;
	(void)key;
	if (fake_delete_fails) {
		errno = EPERM;
		return -1;
	}
	fake_n--;
	return 0;
}

static const struct drain_map_ops fake_ops = { fake_next, fake_lookup, fake_delete };

static void fake_map(int n, int lookup_fails, int delete_fails)
{
	fake_n = n;
	fake_calls = 0;
	fake_lookup_fails = lookup_fails;
	fake_delete_fails = delete_fails;
	assert_int_equal(drain_init(&d, -1, -1, -1, -1, 64), 0);
}

static void test_one_by_one(void **state)
{
	(void)state;
	fake_map(3, 0, 0);
	assert_int_equal(drain_one_by_one(&d, -1, &fake_ops, 0), 3);
	assert_int_equal(d.flows[0].key.tgid, 3);
	assert_int_equal(d.flows[2].key.tgid, 1);
	drain_free(&d);
	/* More entries than room: stops at the capacity. */
	fake_map(1000, 0, 0);
	assert_int_equal(drain_one_by_one(&d, -1, &fake_ops, 0), (ssize_t)d.cap);
	drain_free(&d);
}

/* Lookup and delete both fail: the old loop read the same first key
 * forever; now the failed delete ends the pass. */
static void test_one_by_one_stuck_entry(void **state)
{
	(void)state;
	fake_map(5, 1, 1);
	assert_int_equal(drain_one_by_one(&d, -1, &fake_ops, 0), 0);
	assert_int_equal(fake_calls, 1);
	drain_free(&d);
	/* Readable but not deletable: read once, not cap times. */
	fake_map(5, 0, 1);
	assert_int_equal(drain_one_by_one(&d, -1, &fake_ops, 0), 1);
	drain_free(&d);
}

/* The same on a real map whose entries cannot be deleted: an array. */
static void test_one_by_one_array(void **state)
{
	int fd;

	(void)state;
	SKIP_WITHOUT_BPF();
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_undeletable", sizeof(__u32),
			    sizeof(struct flow_val), 4, NULL);
	assert_true(fd >= 0);
	assert_int_equal(drain_init(&d, -1, -1, -1, -1, 64), 0);
	/* An array's key is 4 bytes; the drain's key buffer is larger. */
	assert_int_equal(drain_one_by_one(&d, fd, &drain_map_ops, 0), 1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_swap_and_empty, cleanup),
		cmocka_unit_test_teardown(test_ten_thousand, cleanup),
		cmocka_unit_test_teardown(test_loss_deltas, cleanup),
		cmocka_unit_test_teardown(test_swap_fails, cleanup),
		cmocka_unit_test_teardown(test_cache_slots, cleanup),
		cmocka_unit_test(test_one_by_one),
		cmocka_unit_test(test_one_by_one_stuck_entry),
		cmocka_unit_test_teardown(test_one_by_one_array, cleanup),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("drain", tests, group_setup, NULL);
}
