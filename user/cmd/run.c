/*
 * exfild run: the agent. One loop (core/loop.c) waits on the exec/exit
 * ring buffer, a signalfd and a timerfd; every interval the kernel source
 * is drained and each flow goes drain -> enrich -> record -> sink.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "agent.h"
#include "agent_lock.h"
#include "clock.h"
#include "cmd.h"
#include "ctl.h"
#include "enrich.h"
#include "exehash.h"
#include "geo.h"
#include "json.h"
#include "ksource.h"
#include "log.h"
#include "version.h"
#include "loop.h"
#include "opts.h"
#include "privs.h"
#include "proc.h"
#include "record.h"
#include "outputs.h"
#include "sink.h"
#include "status.h"
#include "status_record.h"
#include "tier.h"

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
		agent_drain(a);
}

static void on_signal(void *arg, int fd, uint32_t events)
{
	struct agent *a = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reopening output and geo databases");
			sinkset_reopen(a->sinks);
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
	/* An ignored signal is discarded, never queued for the signalfd, and a
	 * shell starts background jobs with SIGINT ignored: take them back
	 * (blocked first, so the default action never runs). */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
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

static int maps_usable(void *arg)
{
	return ksource_maps_usable(arg);
}

/* Loaded, attached, pinned and opened: keep only what the loop needs (privs.h). */
static int drop_privileges(struct agent *a, char *err, size_t errlen)
{
	char *kept;

	if (privs_drop(maps_usable, a->ks, err, errlen))
		return -1;
	kept = privs_describe();
	log_info("privileges dropped: capabilities now %s, no-new-privs set",
		 kept ? kept : "unknown");
	free(kept);
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

	/* Signals blocked before any thread exists (enrich starts one), so
	 * every thread inherits the mask and they only come through the fd. */
	a->sig_fd = open_signal_fd();
	if (ksource_preflight(err, errlen))
		return -1;
	/* Before anything is pinned: a second agent on the same pins stops here. */
	if (ko.pin_path) {
		a->lock_fd = agent_lock_take(AGENT_RUN_DIR, ko.pin_path, err, errlen);
		if (a->lock_fd < 0)
			return -1;
	}
	a->loop = loop_new();
	if (!a->loop) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Before loading anything: an agent that cannot serve its socket
	 * says so first. Another live agent's socket is left alone. */
	if (strcmp(o->control, "none")) {
		char why[512];

		a->ctl = ctl_open(a->loop, o->control, agent_answer, a, why, sizeof(why));
		if (!a->ctl)
			log_warn("%s; exfild status cannot reach this agent", why);
	}
	if (gethostname(a->host, sizeof(a->host) - 1))
		snprintf(a->host, sizeof(a->host), "unknown");
	a->rctx.host_name = a->host;
	a->sinks = outputs_open(a->loop, o, a->host, err, errlen);
	if (!a->sinks || open_enrichment(a, err, errlen) || agent_detect_open(a, err, errlen))
		return -1;
	a->ks = ksource_open(&ko, agent_on_proc_event, a, err, errlen);
	if (!a->ks)
		return -1;
	/* After attaching: a process started now is seen by the exec hook or the scan. */
	proc_table_scan(a->procs);
	a->timer_fd = open_timer_fd(o->interval);
	if (a->sig_fd < 0 || a->timer_fd < 0 ||
	    loop_add(a->loop, ksource_event_fd(a->ks), EPOLLIN, on_events, a) ||
	    loop_add(a->loop, a->sig_fd, EPOLLIN, on_signal, a) ||
	    loop_add(a->loop, a->timer_fd, EPOLLIN, on_timer, a)) {
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	a->st = (struct agent_status){
		.version = EXFILD_VERSION, .pid = (uint32_t)getpid(),
		.started_unix_ns = clock_ns(CLOCK_REALTIME), .tier = tier_name(ksource_tier(a->ks)),
		.pin_dir = ksource_pin_dir(a->ks), .interval_s = o->interval,
		.max_flows = o->max_flows,
	};
	if (o->duration)
		loop_timer_set(a->loop, &a->end_timer,
			       clock_ns(CLOCK_MONOTONIC) + (int64_t)o->duration * NS_PER_SEC,
			       on_duration_end, a);
	return drop_privileges(a, err, errlen);
}

/*
 * What is queued gets a moment to go out; a receiver or disk that takes
 * nothing must not hold the exit up (SIGTERM ends the agent within a
 * second). Records that never left are an error; spooled alerts are not
 * lost, the next run delivers them.
 */
#define EXIT_FLUSH_NS (250 * 1000000LL)

static void finish_outputs(struct agent *a)
{
	struct sinkset_pending p;
	char where[2048];

	outputs_flush(a->loop, a->sinks, EXIT_FLUSH_NS);
	sinkset_pending(a->sinks, &p);
	sinkset_describe(a->sinks, where, sizeof(where));
	if (p.records) {
		log_err("exiting with %llu records never written: %s",
			(unsigned long long)p.records, where);
		a->rc = 1;
	}
	if (p.alerts)
		log_warn("%llu alerts stay in the spool under %s for the next run: %s",
			 (unsigned long long)p.alerts, a->o->state_dir, where);
}

static void teardown(struct agent *a)
{
	agent_detect_close(a, false);
	ctl_close(a->ctl);
	sinkset_free(a->sinks);	/* before the loop it is registered with */
	loop_free(a->loop);
	if (a->sig_fd >= 0)
		close(a->sig_fd);
	if (a->timer_fd >= 0)
		close(a->timer_fd);
	ksource_close(a->ks);
	proc_table_free(a->procs);
	exehash_free(a->hashes);
	geo_close(a->geo);
	if (a->lock_fd >= 0)
		close(a->lock_fd);
}

static int agent_run(const struct opts *o)
{
	struct agent a = { .o = o, .sig_fd = -1, .timer_fd = -1, .lock_fd = -1 };
	char err[4096] = "", names[2048];

	if (setup(&a, err, sizeof(err))) {
		log_err("%s", err);
		teardown(&a);
		return 1;
	}
	outputs_names(o, names, sizeof(names));
	log_info("running: tier=%s interval=%us pin=%s output=%s flows=%s",
		 tier_name(ksource_tier(a.ks)), o->interval,
		 ksource_pin_dir(a.ks) ? ksource_pin_dir(a.ks) : "none", names,
		 o->flows ? "on" : "off");
	while (!a.stop) {
		if (loop_run_once(a.loop, -1) < 0) {
			log_err("waiting for events: %s", strerror(errno));
			a.rc = 1;
			break;
		}
	}
	/* The last interval is written too: nothing counted is dropped on exit. */
	agent_drain(&a);
	agent_detect_close(&a, true);
	finish_outputs(&a);
	teardown(&a);
	log_info(a.rc ? "stopped (with errors, see above)" : "stopped");
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
	if (opts_max_flows_note(&o, err, sizeof(err)))
		log_warn("%s", err);
	if (o.config[0])
		log_debug("config read from %s", o.config);
	return agent_run(&o);
}
