/*
 * exfild run: the agent. One loop (core/loop.c) waits on the exec/exit
 * ring buffer, a signalfd and a timerfd; every interval the kernel source
 * is drained and each flow goes drain -> enrich -> record -> sink.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "enrich.h"
#include "exehash.h"
#include "geo.h"
#include "ksource.h"
#include "log.h"
#include "loop.h"
#include "opts.h"
#include "proc.h"
#include "record.h"
#include "sink.h"
#include "tier.h"

/* Processes whose context is kept; past it the least recently used live
 * ones are re-read from /proc when needed. Bounds memory at ~16 KiB each. */
#define PROC_TABLE_MAX 16384

struct agent {
	const struct opts *o;
	struct loop *loop;
	struct ksource *ks;
	struct sink *sink;
	struct geo *geo;
	struct proc_table *procs;
	struct exehash *hashes;
	struct enricher enr;
	struct record_ctx rctx;
	int sig_fd, timer_fd;
	struct loop_timer end_timer;
	bool stop;
	int rc;
	char host[256];
	uint64_t dropped_seen;	/* sink drops already reported */
};

static void on_proc_event(void *arg, const struct proc_event *ev)
{
	struct agent *a = arg;

	if (ev->kind == PROC_EV_EXEC)
		proc_table_on_exec(a->procs, ev);
	else
		proc_table_on_exit(a->procs, ev);
}

/* One flow of the drain, through the stages. */
static void on_flow(void *arg, const struct flow_obs *obs)
{
	struct agent *a = arg;
	struct enriched_flow f;
	json_t *r;

	if (!a->o->flows || !enrich_flow(&a->enr, obs, &f))
		return;
	r = record_flow(&f, &a->rctx);
	sink_write(a->sink, r);
	json_decref(r);
}

static void report_loss(struct agent *a, const struct loss_counts *loss)
{
	uint64_t dropped = sink_dropped(a->sink) - a->dropped_seen;
	json_t *r;

	a->dropped_seen += dropped;
	if (!loss->bytes && !loss->entries && !loss->events && !dropped)
		return;
	log_warn("lost %llu bytes in %llu sends, %llu process events and %llu records "
		 "this interval (accounting map full: raise --max-flows; ring buffer or "
		 "output queue full)",
		 (unsigned long long)loss->bytes, (unsigned long long)loss->entries,
		 (unsigned long long)loss->events, (unsigned long long)dropped);
	r = record_loss(loss, dropped, &a->rctx);
	sink_write(a->sink, r);
	json_decref(r);
}

static void drain_once(struct agent *a)
{
	struct loss_counts loss;
	int64_t swap_mono;

	geo_maybe_reload(a->geo);
	/* Executables wait to be hashed; a budget keeps a huge one from stalling us. */
	exehash_pump(a->hashes, exehash_budget(a->o->interval));
	a->rctx.now_ns = clock_ns(CLOCK_REALTIME);
	enrich_begin(&a->enr, clock_ns(CLOCK_MONOTONIC));
	if (ksource_drain(a->ks, a->rctx.now_ns, on_flow, a, &loss, &swap_mono) < 0) {
		log_err("draining the accounting map failed: %s", strerror(errno));
		a->rc = 1;
		return;
	}
	report_loss(a, &loss);
	sink_flush(a->sink);
	/* Processes that exited before the swap have had their last flow. */
	proc_table_gc(a->procs, (uint64_t)swap_mono);
}

static void on_events(void *arg, int fd, uint32_t events)
{
	ksource_consume_events(((struct agent *)arg)->ks);
}

static void on_timer(void *arg, int fd, uint32_t events)
{
	struct agent *a = arg;
	uint64_t ticks;

	/* Missed ticks (a long drain) collapse into one drain. */
	if (read(fd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
		drain_once(a);
}

static void on_signal(void *arg, int fd, uint32_t events)
{
	struct agent *a = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reopening output and geo databases");
			sink_reopen(a->sink);
			geo_reload(a->geo);
		} else {
			a->stop = true;
		}
	}
}

static void on_duration_end(void *arg)
{
	((struct agent *)arg)->stop = true;
}

/* Signals arrive through a descriptor of the loop, never as interruptions. */
static int open_signal_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int open_timer_fd(uint32_t interval)
{
	struct itimerspec its = { .it_interval = { .tv_sec = interval },
				  .it_value = { .tv_sec = interval } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int open_enrichment(struct agent *a, char *err, size_t errlen)
{
	const struct opts *o = a->o;
	const char *geo_paths[OPTS_MAX_GEOIP];

	for (size_t i = 0; i < o->n_geoip; i++)
		geo_paths[i] = o->geoip[i];
	a->geo = geo_open(geo_paths, o->n_geoip, err, errlen);
	if (!a->geo)
		return -1;
	if (o->n_geoip == 0)
		log_warn("no geo database given (--geoip): records carry no destination.geo fields");
	a->hashes = exehash_new(EXEHASH_DEFAULT_MAX_FILE, EXEHASH_DEFAULT_ENTRIES, 64);
	a->procs = a->hashes ? proc_table_new(PROC_TABLE_MAX, a->hashes) : NULL;
	if (!a->procs) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->enr = (struct enricher){ .procs = a->procs, .geo = a->geo,
				    .include_reserved = o->include_reserved };
	return 0;
}

static int setup(struct agent *a, char *err, size_t errlen)
{
	const struct opts *o = a->o;
	struct ksource_opts ko = {
		.attach = o->attach,
		.max_flows = o->max_flows,
		.pin_path = o->pin_path[0] && strcmp(o->pin_path, "none") ? o->pin_path : NULL,
	};

	if (ksource_preflight(err, errlen))
		return -1;
	if (gethostname(a->host, sizeof(a->host) - 1))
		snprintf(a->host, sizeof(a->host), "unknown");
	a->rctx.host_name = a->host;
	a->sink = sink_open(o->output, err, errlen);
	if (!a->sink || open_enrichment(a, err, errlen))
		return -1;
	a->ks = ksource_open(&ko, on_proc_event, a, err, errlen);
	if (!a->ks)
		return -1;
	/* After attaching: a process started now is seen by the exec hook or the scan. */
	proc_table_scan(a->procs);
	a->loop = loop_new();
	a->sig_fd = open_signal_fd();
	a->timer_fd = open_timer_fd(o->interval);
	if (!a->loop || a->sig_fd < 0 || a->timer_fd < 0 ||
	    loop_add(a->loop, ksource_event_fd(a->ks), EPOLLIN, on_events, a) ||
	    loop_add(a->loop, a->sig_fd, EPOLLIN, on_signal, a) ||
	    loop_add(a->loop, a->timer_fd, EPOLLIN, on_timer, a)) {
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	if (o->duration)
		loop_timer_set(a->loop, &a->end_timer,
			       clock_ns(CLOCK_MONOTONIC) + (int64_t)o->duration * NS_PER_SEC,
			       on_duration_end, a);
	return 0;
}

static void teardown(struct agent *a)
{
	loop_free(a->loop);
	if (a->sig_fd >= 0)
		close(a->sig_fd);
	if (a->timer_fd >= 0)
		close(a->timer_fd);
	ksource_close(a->ks);
	proc_table_free(a->procs);
	exehash_free(a->hashes);
	geo_close(a->geo);
	sink_close(a->sink);
}

static int agent_run(const struct opts *o)
{
	struct agent a = { .o = o, .sig_fd = -1, .timer_fd = -1 };
	char err[4096] = "";

	if (setup(&a, err, sizeof(err))) {
		log_err("%s", err);
		teardown(&a);
		return 1;
	}
	log_info("running: tier=%s interval=%us pin=%s output=%s flows=%s",
		 tier_name(ksource_tier(a.ks)), o->interval,
		 ksource_pin_dir(a.ks) ? ksource_pin_dir(a.ks) : "none", o->output,
		 o->flows ? "on" : "off");
	while (!a.stop) {
		if (loop_run_once(a.loop, -1) < 0) {
			log_err("waiting for events: %s", strerror(errno));
			a.rc = 1;
			break;
		}
	}
	/* The last interval is written too: nothing counted is dropped on exit. */
	drain_once(&a);
	teardown(&a);
	log_info("stopped");
	return a.rc;
}

int cmd_run(int argc, char **argv)
{
	struct opts o;
	char err[1024];

	opts_defaults(&o);
	switch (opts_parse(&o, argc, argv, err, sizeof(err))) {
	case OPTS_EXIT:
		return 0;
	case OPTS_ERROR:
		log_err("%s", err);
		return 2;
	case OPTS_OK:
		break;
	}
	log_set_level(o.log_level);
	if (o.config[0])
		log_debug("config read from %s", o.config);
	return agent_run(&o);
}
