#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "exfild.skel.h"
#include "agent.h"
#include "drain.h"
#include "exehash.h"
#include "geo.h"
#include "json.h"
#include "loader.h"
#include "log.h"
#include "proc.h"
#include "record.h"
#include "scope.h"
#include "sink.h"

/* Executables larger than this are not hashed (the record says so). */
#define HASH_MAX_FILE (512ull << 20)
#define HASH_BYTES_PER_SEC (64ull << 20)
/* ... and at most this much per drain, however long the interval. */
#define HASH_BYTES_PER_DRAIN (256ull << 20)
/* Processes whose context is kept; past it the least recently used live
 * ones are re-read from /proc when needed. Bounds memory at ~16 KiB each. */
#define PROC_TABLE_MAX 16384

static volatile sig_atomic_t stop_req, reload_req;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_req = 1;
	else
		stop_req = 1;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct agent {
	const struct opts *o;
	struct loader ld;
	struct drain dr;
	struct ring_buffer *rb;
	struct sink *sink;
	struct geo *geo;
	struct proc_table *procs;
	struct exehash *hashes;
	char host[256];
	uint64_t dropped_seen;	/* sink drops already reported */
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct agent *a = ctx;
	const struct task_event *e = data;

	if (len < sizeof(*e))
		return 0;
	if (e->kind == PROC_EXEC)
		proc_table_on_exec(a->procs, e);
	else if (e->kind == PROC_EXIT)
		proc_table_on_exit(a->procs, e);
	return 0;
}

static void emit_flow(struct agent *a, const struct flow *f, const struct record_ctx *ctx)
{
	const struct proc_info *pi = proc_table_get(a->procs, f->key.tgid);
	json_t *r = record_flow(f, ctx);
	struct geo_info gi;

	if (pi)
		proc_to_json(pi, r);
	if (geo_lookup(a->geo, f->key.family, f->key.daddr, &gi))
		geo_to_json(&gi, json_object_get(r, "destination"));
	sink_write(a->sink, r);
	json_decref(r);
}

static int drain_once(struct agent *a)
{
	struct record_ctx ctx = { .host_name = a->host, .tier = tier_name(a->ld.tier) };
	struct loss loss;
	uint64_t dropped;
	int64_t swap_mono;
	ssize_t n;

	/* Exec/exit events first, so processes that sent are known. */
	ring_buffer__consume(a->rb);
	swap_mono = clock_ns(CLOCK_MONOTONIC);
	n = drain_run(&a->dr, &loss);
	if (n < 0) {
		log_err("draining the accounting map failed: %s", strerror(errno));
		return -1;
	}
	ring_buffer__consume(a->rb);
	/* Executables wait to be hashed; a budget keeps a huge one from stalling us. */
	exehash_pump(a->hashes, a->o->interval >= HASH_BYTES_PER_DRAIN / HASH_BYTES_PER_SEC ?
				HASH_BYTES_PER_DRAIN : HASH_BYTES_PER_SEC * a->o->interval);
	ctx.now_ns = clock_ns(CLOCK_REALTIME);
	ctx.mono_to_wall = ctx.now_ns - clock_ns(CLOCK_MONOTONIC);
	for (ssize_t i = 0; i < n; i++) {
		const struct flow *f = &a->dr.flows[i];

		if (!a->o->include_reserved && scope_reserved(f->key.family, f->key.daddr))
			continue;
		if (a->o->flows)
			emit_flow(a, f, &ctx);
	}
	dropped = sink_dropped(a->sink) - a->dropped_seen;
	a->dropped_seen += dropped;
	if (loss.bytes || loss.entries || loss.events || dropped) {
		json_t *r = record_loss(&loss, dropped, &ctx);

		log_warn("lost %llu bytes in %llu sends, %llu process events and %llu records "
			 "this interval (accounting map full: raise --max-flows; ring buffer or "
			 "output queue full)",
			 (unsigned long long)loss.bytes, (unsigned long long)loss.entries,
			 (unsigned long long)loss.events, (unsigned long long)dropped);
		sink_write(a->sink, r);
		json_decref(r);
	}
	sink_flush(a->sink);
	/* Processes that exited before the swap have had their last flow. */
	proc_table_gc(a->procs, (uint64_t)swap_mono);
	return 0;
}

static int setup(struct agent *a, char *err, size_t errlen)
{
	const struct opts *o = a->o;
	const char *geo_paths[OPTS_MAX_GEOIP];
	struct loader_opts lo = {
		.attach = o->attach,
		.max_flows = o->max_flows,
		.pin_path = o->pin_path[0] && strcmp(o->pin_path, "none") ? o->pin_path : NULL,
	};

	if (loader_preflight(err, errlen))
		return -1;
	if (gethostname(a->host, sizeof(a->host) - 1))
		snprintf(a->host, sizeof(a->host), "unknown");
	a->sink = sink_open(o->output, err, errlen);
	if (!a->sink)
		return -1;
	for (size_t i = 0; i < o->n_geoip; i++)
		geo_paths[i] = o->geoip[i];
	a->geo = geo_open(geo_paths, o->n_geoip, err, errlen);
	if (!a->geo)
		return -1;
	if (o->n_geoip == 0)
		log_warn("no geo database given (--geoip): records carry no destination.geo fields");
	a->hashes = exehash_new(HASH_MAX_FILE, 4096, 64);
	a->procs = a->hashes ? proc_table_new(PROC_TABLE_MAX, a->hashes) : NULL;
	if (!a->procs) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (loader_start(&a->ld, &lo, err, errlen))
		return -1;
	/* After attaching: a process started now is seen by the exec hook or the scan. */
	proc_table_scan(a->procs);
	if (drain_init(&a->dr, bpf_map__fd(a->ld.skel->maps.flows_active),
		       bpf_map__fd(a->ld.skel->maps.flows_a), bpf_map__fd(a->ld.skel->maps.flows_b),
		       bpf_map__fd(a->ld.skel->maps.losses), o->max_flows)) {
		snprintf(err, errlen, "out of memory for %u flows", o->max_flows);
		return -1;
	}
	drain_set_cache(&a->dr, bpf_map__fd(a->ld.skel->maps.flow_cache), &a->ld.skel->bss->parity);
	a->rb = ring_buffer__new(bpf_map__fd(a->ld.skel->maps.events), on_event, a, NULL);
	if (!a->rb) {
		snprintf(err, errlen, "cannot open the event ring buffer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void teardown(struct agent *a)
{
	ring_buffer__free(a->rb);
	drain_free(&a->dr);
	loader_stop(&a->ld);
	proc_table_free(a->procs);
	exehash_free(a->hashes);
	geo_close(a->geo);
	sink_close(a->sink);
}

int agent_run(const struct opts *o)
{
	struct agent a = { .o = o };
	struct sigaction sa = { .sa_handler = on_signal };
	char err[2048] = "";
	int64_t next, end;
	int rc = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (setup(&a, err, sizeof(err))) {
		log_err("%s", err);
		teardown(&a);
		return 1;
	}
	log_info("running: tier=%s interval=%us pin=%s output=%s flows=%s",
		 tier_name(a.ld.tier), o->interval, a.ld.pinned ? a.ld.pin_dir : "none",
		 o->output, o->flows ? "on" : "off");

	next = clock_ns(CLOCK_MONOTONIC) + (int64_t)o->interval * 1000000000;
	end = o->duration ? clock_ns(CLOCK_MONOTONIC) + (int64_t)o->duration * 1000000000 : 0;
	while (!stop_req) {
		int64_t now = clock_ns(CLOCK_MONOTONIC);
		int64_t until = end && end < next ? end : next;
		int wait_ms = until > now ? (int)((until - now) / 1000000) + 1 : 0;

		if (ring_buffer__poll(a.rb, wait_ms) < 0 && errno != EINTR) {
			log_err("polling the event ring buffer: %s", strerror(errno));
			rc = 1;
			break;
		}
		if (reload_req) {
			reload_req = 0;
			log_info("SIGHUP: reopening output and geo databases");
			sink_reopen(a.sink);
			geo_reload(a.geo);
		}
		now = clock_ns(CLOCK_MONOTONIC);
		if (end && now >= end)
			break;
		if (now >= next) {
			geo_maybe_reload(a.geo);
			if (drain_once(&a))
				rc = 1;
			next += (int64_t)o->interval * 1000000000;
			if (next < now)
				next = now + (int64_t)o->interval * 1000000000;
		}
	}
	/* The last interval is written too: nothing counted is dropped on exit. */
	if (drain_once(&a))
		rc = 1;
	teardown(&a);
	log_info("stopped");
	return rc;
}
