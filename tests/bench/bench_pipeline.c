/*
 * The userspace pipeline's own speed: one drain of N flows (default
 * 100,000, each to its own destination) through drain-side conversion
 * (kernel key/value -> flow observation), enrich (process context, geo,
 * scope) and, in the second mode, flow records (ECS JSON lines, as the
 * agent writes them, through the sink to /dev/null).
 *
 *   bench_pipeline [-n FLOWS] [-p PROCESSES] [-r ROUNDS] [DB.mmdb...]
 *
 * The senders are P real processes (children of the benchmark, forked
 * and waiting on a pipe), so their context is read from /proc like any
 * other. The first round is cold (every process read from /proc, every
 * destination looked up in the database); the later ones are the steady
 * state of a busy host, where the same flows come back every interval.
 * Figures are CPU time of the pipeline's thread; RSS is the process's
 * peak (VmHWM) with all N flows and the caches in memory. No traffic is
 * sent anywhere.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "enrich.h"
#include "exehash.h"
#include "geo.h"
#include "kobs.h"
#include "log.h"
#include "loop.h"
#include "proc.h"
#include "record.h"
#include "scope.h"
#include "sink.h"

#define MAX_PROCS 1024
#define FLUSH_EVERY 1024	/* records queued between writes, as a writable fd drains */

static uint32_t rng = 2463534242u;

static uint32_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* N kernel flows from P senders, each to a distinct public IPv4 destination. */
static struct flow *make_flows(long n, const pid_t *pids, int np)
{
	struct flow *f = calloc((size_t)n, sizeof(*f));
	int64_t now = clock_ns(CLOCK_MONOTONIC);

	for (long i = 0; f && i < n; i++) {
		struct flow_key *k = &f[i].key;
		uint8_t a[16] = { 0 };
		uint32_t x;

		do {
			x = xorshift();
			memcpy(a, &x, 4);
		} while (a[0] == 0 || a[0] >= 224 || scope_reserved(FLOW_AF_INET, a));
		k->tgid = (uint32_t)pids[i % np];
		k->family = FLOW_AF_INET;
		memcpy(k->raddr, a, 16);
		k->rport = (uint16_t)(443 + (x >> 24) % 4);
		/* This host's side: one address, an ephemeral port per flow. */
		memcpy(k->laddr, (const uint8_t[4]){ 192, 0, 2, 10 }, 4);
		k->lport = (uint16_t)(32768 + i % 28000);
		k->proto = (x & 1) ? FLOW_PROTO_TCP : FLOW_PROTO_UDP;
		f[i].val.bytes = 1000 + (x >> 8) % 1000000;
		f[i].val.calls = 1 + (x >> 16) % 50;
		f[i].val.first_ns = (uint64_t)(now - 5 * NS_PER_SEC);
		f[i].val.uid = 0;
	}
	return f;
}

static long rss_kb(const char *field)
{
	char line[256];
	long kb = -1;
	FILE *st = fopen("/proc/self/status", "r");

	while (st && fgets(line, sizeof(line), st))
		if (!strncmp(line, field, strlen(field)))
			kb = atol(line + strlen(field) + 1);
	if (st)
		fclose(st);
	return kb;
}

struct run {
	struct enricher enr;
	struct sinkset *sink;	/* NULL: no records */
	struct record_ctx rctx;
};

/* One drain: returns CPU seconds of this thread; *written: records queued. */
static double drain(struct run *r, const struct flow *flows, long n, long *written)
{
	int64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), wall = clock_ns(CLOCK_REALTIME);
	int64_t mono_to_wall = wall - clock_ns(CLOCK_MONOTONIC);

	*written = 0;
	r->rctx.now_ns = wall;
	enrich_begin(&r->enr, clock_ns(CLOCK_MONOTONIC));
	for (long i = 0; i < n; i++) {
		struct flow_obs obs;
		struct enriched_flow f;

		kobs_of(&flows[i], mono_to_wall, wall, "tracepoint", &obs);
		if (!enrich_flow(&r->enr, &obs, &f))
			continue;
		if (r->sink) {
			size_t len = 0;
			const char *line = record_flow_line(&f, &r->rctx, &len);

			if (!sinkset_emit_line(r->sink, REC_FLOW, line, len))
				(*written)++;
			if (*written % FLUSH_EVERY == 0)
				sinkset_kick(r->sink);
		}
	}
	if (r->sink)
		sinkset_kick(r->sink);
	return (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *mode, long n, const double *secs, int rounds, long written)
{
	double warm[64];
	int nw = 0;

	for (int i = 1; i < rounds; i++)
		warm[nw++] = secs[i];
	qsort(warm, (size_t)nw, sizeof(warm[0]), cmp_double);
	printf("| %s | %ld | %.0f | %.0f | %ld |\n", mode, n, (double)n / secs[0],
	       nw ? (double)n / warm[nw / 2] : 0.0, written);
}

int main(int argc, char **argv)
{
	long n = 100000, written = 0;
	int np = 100, rounds = 5, opt, hold[2];
	pid_t pids[MAX_PROCS];
	double secs[64];
	struct flow *flows;
	struct exehash *eh;
	struct proc_table *pt;
	struct geo *g;
	struct run r = { 0 };
	struct sink_config sc = { .state_dir = "/tmp" };	/* no alert sink: no spool */
	struct loop *loop;
	char err[512];

	while ((opt = getopt(argc, argv, "n:p:r:")) != -1) {
		if (opt == 'n' && (n = atol(optarg)) > 0)
			continue;
		if (opt == 'p' && (np = atoi(optarg)) > 0 && np <= MAX_PROCS)
			continue;
		if (opt == 'r' && (rounds = atoi(optarg)) >= 2 && rounds <= 64)
			continue;
		fprintf(stderr, "usage: %s [-n FLOWS] [-p 1-%d] [-r 2-64] [DB.mmdb...]\n", argv[0],
			MAX_PROCS);
		return 2;
	}
	log_set_level(LOG_WARN);
	if (pipe(hold))
		return 1;
	for (int i = 0; i < np; i++) {
		char c;

		pids[i] = fork();
		if (pids[i] == 0) {
			close(hold[1]);
			(void)!read(hold[0], &c, 1);	/* until the benchmark closes it */
			_exit(0);
		}
	}
	close(hold[0]);
	g = geo_open((const char *const *)argv + optind, (size_t)(argc - optind), err, sizeof(err));
	eh = exehash_new(EXEHASH_DEFAULT_MAX_FILE, EXEHASH_DEFAULT_ENTRIES, 64);
	pt = eh ? proc_table_new(16384, eh) : NULL;
	flows = make_flows(n, pids, np);
	r.sink = NULL;
	r.rctx.host_name = "bench";
	if (!g || !pt || !flows) {
		fprintf(stderr, "bench_pipeline: %s\n", g ? "out of memory" : err);
		return 1;
	}
	r.enr = (struct enricher){ .procs = pt, .geo = g, .budget_ns = 3600 * NS_PER_SEC };

	printf("| pipeline (%d senders, %zu geo db) | flows | cold flows/s | steady flows/s | records |\n",
	       np, (size_t)(argc - optind));
	printf("|---|---|---|---|---|\n");
	for (int i = 0; i < rounds; i++) {
		secs[i] = drain(&r, flows, n, &written);
		exehash_pump(eh, UINT64_MAX);	/* between drains, as the agent does */
	}
	report("convert + enrich", n, secs, rounds, 0);
	sc.host_name = "bench";
	loop = loop_new();
	r.sink = loop ? sinkset_new(loop, &sc) : NULL;
	if (!r.sink || sinkset_add(r.sink, "file:/dev/null", REC_BIT(REC_FLOW), err, sizeof(err)) ||
	    sinkset_start(r.sink, err, sizeof(err))) {
		fprintf(stderr, "bench_pipeline: %s\n", err);
		return 1;
	}
	for (int i = 0; i < rounds; i++)
		secs[i] = drain(&r, flows, n, &written);
	report("convert + enrich + flow records to /dev/null", n, secs, rounds, written);
	printf("\nPeak RSS with %ld flows, %d process contexts and the geo cache: %ld kB "
	       "(now %ld kB)\n", n, np, rss_kb("VmHWM:"), rss_kb("VmRSS:"));

	close(hold[1]);
	for (int i = 0; i < np; i++)
		waitpid(pids[i], NULL, 0);
	sinkset_free(r.sink);
	loop_free(loop);
	free(flows);
	proc_table_free(pt);
	exehash_free(eh);
	geo_close(g);
	return 0;
}
