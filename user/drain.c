#include <errno.h>
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
	d->ncpus = libbpf_num_possible_cpus();
	/* A prealloc hash map never holds more than max_entries. */
	d->cap = (size_t)max_flows;
	d->flows = calloc(d->cap, sizeof(*d->flows));
	d->keys = calloc(d->cap, sizeof(*d->keys));
	d->vals = calloc(d->cap, sizeof(*d->vals));
	if (d->ncpus <= 0 || !d->flows || !d->keys || !d->vals) {
		drain_free(d);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void drain_free(struct drain *d)
{
	free(d->flows);
	free(d->keys);
	free(d->vals);
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
			if (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)
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
	/* Kernels without batch ops (before 5.6). */
	while (n < d->cap && !bpf_map_get_next_key(fd, NULL, &d->keys[0])) {
		if (bpf_map_lookup_elem(fd, &d->keys[0], &d->flows[n].val) == 0)
			d->flows[n++].key = d->keys[0];
		bpf_map_delete_elem(fd, &d->keys[0]);
	}
	return (ssize_t)n;
}

static void read_losses(struct drain *d, struct loss *delta)
{
	struct loss per_cpu[d->ncpus], sum = {};
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

ssize_t drain_run(struct drain *d, struct loss *loss)
{
	int old = d->cur, next = !d->cur;
	__u32 zero = 0;
	ssize_t n;

	/* For a map-in-map, this update returns only after every running
	 * program has finished: from here on nothing writes the old map. */
	if (bpf_map_update_elem(d->active_fd, &zero, &d->map_fd[next], BPF_ANY))
		return -1;
	d->cur = next;
	n = empty_map(d, d->map_fd[old]);
	read_losses(d, loss);
	return n;
}
