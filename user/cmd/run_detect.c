/*
 * Detection in exfild run: the baseline is loaded from the state
 * directory at start (a bad one is moved aside and learning restarts),
 * every in-scope flow is scored as it is drained, findings become alerts
 * on the alert sinks, the baseline is saved every few minutes and at exit,
 * and while it learns the agent says how far along it is about once a
 * minute.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "alert.h"
#include "clock.h"
#include "detect.h"
#include "fsafe.h"
#include "log.h"
#include "sink.h"

#define SAVE_EVERY_NS (5 * 60 * NS_PER_SEC)
#define LEARNING_LINE_EVERY_NS (60 * NS_PER_SEC)

static void say_learning(struct agent *a, int64_t now_wall)
{
	double p = detect_learning_progress(a->det, now_wall);
	double hours = (double)a->o->detect.learning_ns / 3600e9;

	if (p >= 1.0) {
		if (!a->learned)
			log_info("detection: learning complete (%.1f h of history): alerts from now on",
				 hours);
		a->learned = true;
		return;
	}
	log_info("detection: learning, %.0f%% of %.1f h of history; no alerts before it is complete",
		 100 * p, hours);
}

static void on_save_timer(void *arg)
{
	struct agent *a = arg;

	agent_detect_save(a);
	loop_timer_set(a->loop, &a->save_timer, clock_ns(CLOCK_MONOTONIC) + SAVE_EVERY_NS,
		       on_save_timer, a);
}

static void on_learning_timer(void *arg)
{
	struct agent *a = arg;

	say_learning(a, clock_ns(CLOCK_REALTIME));
	if (!a->learned)
		loop_timer_set(a->loop, &a->learning_timer,
			       clock_ns(CLOCK_MONOTONIC) + LEARNING_LINE_EVERY_NS,
			       on_learning_timer, a);
}

/* A state file that cannot be used is kept for a look, not deleted. */
static void move_aside(struct agent *a, const char *why)
{
	char aside[PATH_MAX + 32];

	snprintf(aside, sizeof(aside), "%s.bad-%lld", a->state_path,
		 (long long)(clock_ns(CLOCK_REALTIME) / NS_PER_SEC));
	if (rename(a->state_path, aside))
		log_warn("baseline %s: %s; could not move it aside (%s): learning starts again",
			 a->state_path, why, strerror(errno));
	else
		log_warn("baseline: %s; moved aside to %s, learning starts again", why, aside);
}

int agent_detect_open(struct agent *a, char *err, size_t errlen)
{
	struct detect_config dc = a->o->detect;
	const char *bad;
	char why[1024];

	dc.include_reserved = a->o->include_reserved;
	bad = detect_config_check(&dc);
	if (bad) {
		snprintf(err, errlen, "detection: %s", bad);
		return -1;
	}
	if (fsafe_dir(a->o->state_dir, err, errlen))
		return -1;
	snprintf(a->state_path, sizeof(a->state_path), "%s/baseline.state", a->o->state_dir);
	a->det = detect_new(&dc);
	if (!a->det) {
		snprintf(err, errlen, "out of memory for the detection tables");
		return -1;
	}
	if (access(a->state_path, F_OK)) {
		log_info("detection: no baseline in %s yet: learning from now", a->o->state_dir);
	} else if (detect_load(a->det, a->state_path, why, sizeof(why))) {
		move_aside(a, why);
		detect_free(a->det);
		a->det = detect_new(&dc);	/* a clean start, whatever the load left */
		if (!a->det) {
			snprintf(err, errlen, "out of memory for the detection tables");
			return -1;
		}
	} else {
		log_info("detection: baseline loaded from %s", a->state_path);
	}
	say_learning(a, clock_ns(CLOCK_REALTIME));
	loop_timer_set(a->loop, &a->save_timer, clock_ns(CLOCK_MONOTONIC) + SAVE_EVERY_NS,
		       on_save_timer, a);
	if (!a->learned)
		loop_timer_set(a->loop, &a->learning_timer,
			       clock_ns(CLOCK_MONOTONIC) + LEARNING_LINE_EVERY_NS,
			       on_learning_timer, a);
	return 0;
}

void agent_detect_save(struct agent *a)
{
	char err[1024];

	if (a->det && detect_save(a->det, a->state_path, err, sizeof(err)))
		log_err("saving the baseline: %s (it is saved again in %d min)", err,
			(int)(SAVE_EVERY_NS / NS_PER_SEC / 60));
}

static void on_finding(void *arg, const struct finding *fd)
{
	struct agent *a = arg;
	json_t *r = record_alert(fd, &a->rctx);
	json_t *msg = json_object_get(r, "message");

	if (!r) {
		log_err("out of memory building an alert");
		return;
	}
	a->st.alerts++;
	log_warn("alert: %s", json_is_string(msg) ? json_string_value(msg) : "(no message)");
	sinkset_emit(a->sinks, REC_ALERT, r);
	json_decref(r);
}

void agent_detect_flow(struct agent *a, const struct enriched_flow *f)
{
	detect_observe(a->det, f, on_finding, a);
}

void agent_detect_tick(struct agent *a, int64_t now_wall)
{
	detect_tick(a->det, now_wall, on_finding, a);
}

void agent_detect_close(struct agent *a, bool save)
{
	if (!a->det)
		return;
	if (save)
		agent_detect_save(a);
	loop_timer_cancel(a->loop, &a->save_timer);
	loop_timer_cancel(a->loop, &a->learning_timer);
	detect_free(a->det);
	a->det = NULL;
}
