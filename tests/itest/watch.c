// SPDX-License-Identifier: GPL-2.0-only
/*
 * itest: waiting for the agent's records while it runs (see main.c). Waits
 * are for events in the agent's own output, bounded generously, never for
 * a span of wall-clock time.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

const char *live_out;

/* Read the complete lines added to live_out since the last call; fn gets each flow record. */
int tail_poll(struct tail *t, rec_fn fn, void *arg)
{
	FILE *f = live_out ? fopen(live_out, "r") : NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int stop = 0;

	if (!f)
		return 0;
	if (fseek(f, t->off, SEEK_SET) == 0) {
		while (!stop && (len = getline(&line, &cap, f)) > 0 && line[len - 1] == '\n') {
			json_t *j = json_loadb(line, len, 0, NULL);

			t->off += len;
			if (j && !strcmp(jstr(j, "event.dataset"), "exfild.flow"))
				stop = fn(j, arg);
			json_decref(j);
		}
	}
	free(line);
	fclose(f);
	return stop;
}

struct go_arg {
	pid_t traffic;
	pid_t who;	/* the record's pid: traffic or its child */
};

/* The marker of a --wait-go sender: a record of traffic or of its child. */
static int go_rec(json_t *j, void *arg)
{
	struct go_arg *g = arg;
	json_t *pid = jget(j, "process.pid"), *ppid = jget(j, "process.parent.pid");

	if (json_integer_value(pid) == g->traffic || json_integer_value(ppid) == g->traffic) {
		g->who = (pid_t)json_integer_value(pid);
		return 1;
	}
	return 0;
}

/* drain-race: a drain is a distinct @timestamp among traffic's records. */
static int race_rec(json_t *j, void *arg)
{
	struct watch *w = arg;
	const char *ts = jstr(j, "@timestamp"), *tr = jstr(j, "network.transport");
	int tcp = !strcmp(tr, "tcp");
	char *last = tcp ? w->tcp_last : w->udp_last;

	if (json_integer_value(jget(j, "process.pid")) != (json_int_t)w->pid)
		return 0;
	if (strcmp(ts, last) != 0) {
		scopy(last, sizeof(w->tcp_last), ts);
		(*(tcp ? &w->tcp_ts : &w->udp_ts))++;
	}
	return w->tcp_ts >= 2 && w->udp_ts >= 2;
}

/* Called while traffic runs: signal it (SIGUSR1) once its event is in the output. */
void watch_step(struct watch *w, pid_t traffic_pid)
{
	if (w->kind == WATCH_GO && !w->done) {
		struct go_arg g = { traffic_pid, 0 };

		if (tail_poll(&w->t, go_rec, &g)) {
			fprintf(stderr, "itest: pid %d's marker is recorded: go\n", (int)g.who);
			kill(g.who, SIGUSR1);
			w->done = 1;
		}
	} else if (w->kind == WATCH_RACE && !w->done) {
		w->pid = traffic_pid;
		if (tail_poll(&w->t, race_rec, w)) {
			fprintf(stderr, "itest: drain-race spans %d/%d drains (tcp/udp): stop\n",
				w->tcp_ts, w->udp_ts);
			kill(traffic_pid, SIGUSR1);
			w->done = 1;
		}
	}
}

struct find_arg {
	int pid;
	json_t *found;
};

static int find_rec(json_t *j, void *arg)
{
	struct find_arg *a = arg;

	if (json_integer_value(jget(j, "process.pid")) != a->pid)
		return 0;
	a->found = json_incref(j);
	return 1;
}

int wait_record_of(struct tail *t, int pid, int ms, json_t **out)
{
	struct find_arg a = { pid, NULL };
	long long deadline = now_ms() + ms;

	while (!g_stop && now_ms() < deadline) {
		if (tail_poll(t, find_rec, &a)) {
			*out = a.found;
			return 0;
		}
		sleep_ms(50);
	}
	return -1;
}
