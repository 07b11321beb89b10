#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "drain.h"
#include "log.h"

int drain_init(struct drain *d, int active_fd, int fd_a, int fd_b, int losses_fd,
	       uint32_t max_flows)
{
	memset(d, 0, sizeof(*d));
	d->active_fd = active_fd;
	d->map_fd[0] = fd_a;
	d->map_fd[1] = fd_b;
	d->losses_fd = losses_fd;
	d->cache_fd = -1;
	d->ncpus = libbpf_num_possible_cpus();
	/* A prealloc hash map never holds more than max_entries; each CPU's
	 * cache slot adds at most one more. */
	d->cap = (size_t)max_flows + (d->ncpus > 0 ? (size_t)d->ncpus : 0);
	d->flows = calloc(d->cap, sizeof(*d->flows));
	d->keys = calloc(d->cap, sizeof(*d->keys));
	d->vals = calloc(d->cap, sizeof(*d->vals));
	/* Per-CPU values: one element per possible CPU, allocated once (not
	 * on the stack: the CPU count has no small bound). */
	if (d->ncpus > 0) {
		d->loss_buf = calloc((size_t)d->ncpus, sizeof(*d->loss_buf));
		d->cache_buf = calloc((size_t)d->ncpus, sizeof(*d->cache_buf));
	}
	if (d->ncpus <= 0 || !d->flows || !d->keys || !d->vals || !d->loss_buf || !d->cache_buf) {
		drain_free(d);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void drain_set_cache(struct drain *d, int cache_fd, volatile __u32 *parity)
{
	d->cache_fd = cache_fd;
	d->parity = parity;
}

void drain_free(struct drain *d)
{
	free(d->flows);
	free(d->keys);
	free(d->vals);
	free(d->loss_buf);
	free(d->cache_buf);
	d->loss_buf = NULL;
	d->cache_buf = NULL;
	d->flows = NULL;
	d->keys = NULL;
	d->vals = NULL;
}

/* Empty one map no program writes any more, with batch ops where we can. */
static ssize_t empty_map(struct drain *d, int fd)
{
	size_t n = 0;
	__u64 token = 0;
	bool first = true;

	for (;;) {
		__u32 count = (__u32)(d->cap - n);
		int err;

		if (count == 0)
			break;
		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &token, &token,
						      d->keys + n, d->vals + n, &count, NULL);
		for (__u32 i = 0; i < count; i++) {
			d->flows[n + i].key = d->keys[n + i];
			d->flows[n + i].val = d->vals[n + i];
		}
		n += count;
		first = false;
		if (err) {
			if (errno == ENOENT)
				break;	/* the whole map was read */
			if (errno == EINVAL || errno == EOPNOTSUPP)	/* ENOTSUP is the same on Linux */
				goto one_by_one;
			/* What was read is already deleted: hand it on, keep the
			 * rest in the map for the next drain of this map. */
			log_err("draining the accounting map: %s; %zu flows read, "
				"the rest is kept for the next drain", strerror(errno), n);
			break;
		}
	}
	return (ssize_t)n;

one_by_one:
	return drain_one_by_one(d, fd, &drain_map_ops, n);
}

const struct drain_map_ops drain_map_ops = {
	.get_next_key = bpf_map_get_next_key,
	.lookup = bpf_map_lookup_elem,
	.delete = bpf_map_delete_elem,
};

/*
 * Kernels without batch ops (before 5.6): take the first key, read it,
 * delete it, again. An entry that cannot be deleted would come first
 * forever, so the first failed delete ends the pass (the rest waits for
 * the next drain of this map), and no pass reads more than cap entries.
 */
ssize_t drain_one_by_one(struct drain *d, int fd, const struct drain_map_ops *ops, size_t n)
{
	while (n < d->cap && !ops->get_next_key(fd, NULL, &d->keys[0])) {
		bool got = ops->lookup(fd, &d->keys[0], &d->flows[n].val) == 0;

		if (got)
			d->flows[n++].key = d->keys[0];
		if (ops->delete(fd, &d->keys[0])) {
			log_err("draining the accounting map entry by entry: cannot delete an "
				"entry (%s); %zu flows read, the rest is kept for the next drain",
				strerror(errno), n);
			break;
		}
	}
	return (ssize_t)n;
}

static void read_losses(struct drain *d, struct loss *delta)
{
	struct loss *per_cpu = d->loss_buf, sum = {};
	__u32 zero = 0;

	memset(delta, 0, sizeof(*delta));
	if (bpf_map_lookup_elem(d->losses_fd, &zero, per_cpu))
		return;
	for (int i = 0; i < d->ncpus; i++) {
		sum.bytes += per_cpu[i].bytes;
		sum.entries += per_cpu[i].entries;
		sum.events += per_cpu[i].events;
	}
	delta->bytes = sum.bytes - d->seen.bytes;
	delta->entries = sum.entries - d->seen.entries;
	delta->events = sum.events - d->seen.events;
	d->seen = sum;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct flow *)a)->key, &((const struct flow *)b)->key,
		      sizeof(struct flow_key));
}

/* One flow per key: a key can be both in the map and in CPUs' slots. */
static size_t merge_same_keys(struct flow *f, size_t n)
{
	size_t out = 0;

	qsort(f, n, sizeof(*f), key_cmp);
	for (size_t i = 0; i < n; i++) {
		if (out && !key_cmp(&f[out - 1], &f[i])) {
			struct flow_val *v = &f[out - 1].val;

			v->bytes += f[i].val.bytes;
			v->calls += f[i].val.calls;
			if (f[i].val.first_ns < v->first_ns) {
				v->first_ns = f[i].val.first_ns;
				v->uid = f[i].val.uid;
				v->cgroup_id = f[i].val.cgroup_id;
			}
			continue;
		}
		f[out++] = f[i];
	}
	return out;
}

/* Take the slot no program uses any more, on every CPU, and clear it. */
static size_t take_cache(struct drain *d, __u32 slot, size_t n)
{
	struct flow_cache *per_cpu = d->cache_buf;
	bool any = false;

	if (bpf_map_lookup_elem(d->cache_fd, &slot, per_cpu)) {
		log_err("reading the per-CPU flow cache: %s", strerror(errno));
		return n;
	}
	for (int i = 0; i < d->ncpus && n < d->cap; i++) {
		if (!per_cpu[i].valid)
			continue;
		d->flows[n].key = per_cpu[i].key;
		d->flows[n].val = per_cpu[i].val;
		n++;
		any = true;
	}
	if (!any)
		return n;	/* the map alone has one entry per key */
	memset(per_cpu, 0, (size_t)d->ncpus * sizeof(*per_cpu));
	if (bpf_map_update_elem(d->cache_fd, &slot, per_cpu, BPF_ANY))
		log_err("clearing the per-CPU flow cache: %s", strerror(errno));
	return merge_same_keys(d->flows, n);
}

ssize_t drain_run(struct drain *d, struct loss *loss)
{
	int old = d->cur, next = !d->cur;
	__u32 zero = 0;
	ssize_t n;

	if (d->parity) {
		*d->parity = (__u32)next;	/* programs starting now use the other slot */
		__sync_synchronize();
	}
	/* For a map-in-map, this update returns only after every running
	 * program has finished: from here on nothing writes the old map or
	 * the old cache slots. */
	if (bpf_map_update_elem(d->active_fd, &zero, &d->map_fd[next], BPF_ANY)) {
		int e = errno;

		if (d->parity)
			*d->parity = (__u32)old;	/* counts in either slot wait for a later drain */
		errno = e;
		return -1;
	}
	d->cur = next;
	n = empty_map(d, d->map_fd[old]);
	if (n >= 0 && d->cache_fd >= 0)
		n = (ssize_t)take_cache(d, (__u32)old, (size_t)n);
	read_losses(d, loss);
	return n;
}
