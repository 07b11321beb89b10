// SPDX-License-Identifier: GPL-2.0-only
/* itest: running the traffic program and reading what it sent (see main.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cgroup_wait.h"
#include "itest.h"

/* Parse "sent k=v k=v ..." into *s; 0 on success. */
static int parse_sent(char *line, struct sent *s)
{
	char *save = NULL, *tok;
	int have = 0;

	memset(s, 0, sizeof(*s));
	s->acked = -1;
	s->uid = -1;
	if (strncmp(line, "sent ", 5) != 0)
		return -1;
	for (tok = strtok_r(line + 5, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		char *v = strchr(tok, '=');

		if (!v)
			continue;
		*v++ = '\0';
		if (!strcmp(tok, "pid"))
			s->pid = atoi(v), have |= 1;
		else if (!strcmp(tok, "transport"))
			scopy(s->transport, sizeof(s->transport), v), have |= 2;
		else if (!strcmp(tok, "dst")) {
			scopy(s->ipstr, sizeof(s->ipstr), v);
			if (ip_parse(v, s->ip) == 0)
				have |= 4;
		} else if (!strcmp(tok, "port"))
			s->port = atoi(v), have |= 8;
		else if (!strcmp(tok, "bytes"))
			s->bytes = atoll(v), have |= 16;
		else if (!strcmp(tok, "comm"))
			scopy(s->comm, sizeof(s->comm), v);
		else if (!strcmp(tok, "acked"))
			s->acked = atoll(v);
		else if (!strcmp(tok, "src"))
			scopy(s->src, sizeof(s->src), v);
		else if (!strcmp(tok, "direction"))
			s->ingress = !strcmp(v, "ingress");
		else if (!strcmp(tok, "sports"))
			for (char *p = v; *p && s->nsports < MAX_SPORTS; p += strcspn(p, ","),
			     p += *p == ',')
				s->sports[s->nsports++] = atoi(p);
		else if (!strcmp(tok, "calls"))
			s->calls = atoll(v), have |= 32;
		else if (!strcmp(tok, "start"))
			s->start = atoll(v), have |= 64;
		else if (!strcmp(tok, "uid"))
			s->uid = atoll(v);
		else if (!strcmp(tok, "pieces"))
			s->pieces = atoll(v);
		else if (!strcmp(tok, "argv"))
			s->argv = strdup(v);
	}
	return have == 127 ? 0 : -1;
}

/* Run traffic with args; collect its `sent` lines into c; w acts meanwhile. */
static void run_traffic(struct run_case *c, char *const argv[], struct watch *w,
			const char *cgroup_procs)
{
	char *out = malloc(MAX_OUT), *line, *save = NULL, s[64];
	size_t len = 0;
	long long deadline = now_ms() + TRAFFIC_TIMEOUT_MS;
	int p[2], st;
	pid_t pid;

	if (!out || pipe2(p, O_CLOEXEC) != 0) {
		c->failed = 1;
		snprintf(c->why, sizeof(c->why), "out of memory or pipes");
		free(out);
		return;
	}
	c->t0_ms = wall_ms();
	pid = spawn_in(argv, p[1], -1, cgroup_procs);
	c->traffic_pid = pid;
	c->start = pid > 0 ? proc_start_ticks(pid) : -1;
	close(p[1]);
	for (;;) {
		struct pollfd pf = { p[0], POLLIN, 0 };
		long long left = deadline - now_ms();
		ssize_t r;

		if (g_stop || left <= 0)
			break;
		if (w->kind != WATCH_NONE)
			watch_step(w, pid);
		if (poll(&pf, 1, left > 50 ? 50 : (int)left) <= 0)
			continue;
		r = read(p[0], out + len, MAX_OUT - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += r;
		if (len >= MAX_OUT - 1)
			break;
	}
	close(p[0]);
	out[len] = '\0';
	if (pid < 0 || wait_for(pid, 30000, &st, 1) != 0) {
		if (pid > 0)
			kill_wait(pid);
		c->failed = 1;
		snprintf(c->why, sizeof(c->why), g_stop ? "interrupted" :
			 "traffic did not finish within %d s", TRAFFIC_TIMEOUT_MS / 1000);
		free(out);
		return;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct sent x, *grown;

		if (!strncmp(line, "uncounted kind=", 15)) {
			c->uncounted++;
			snprintf(c->uncounted_kinds + strlen(c->uncounted_kinds),
				 sizeof(c->uncounted_kinds) - strlen(c->uncounted_kinds), " %.*s",
				 (int)strcspn(line + 15, " "), line + 15);
			continue;
		}
		if (parse_sent(line, &x) != 0) {
			fprintf(stderr, "itest: %s: unexpected traffic output: %s\n", c->name, line);
			continue;
		}
		grown = realloc(c->s, (c->n + 1) * sizeof(*c->s));
		if (!grown)
			break;
		c->s = grown;
		c->s[c->n++] = x;
	}
	free(out);
	c->t1_ms = wall_ms();
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		status_str(st, s, sizeof(s));
		c->failed = 1;
		snprintf(c->why, sizeof(c->why), "traffic failed (%s; its stderr is above)", s);
	} else if (c->n == 0 && !c->uncounted) {
		c->failed = 1;
		snprintf(c->why, sizeof(c->why), "traffic printed no 'sent' line");
	}
}

/* Run traffic KASE [EXTRA...] (in cgroup_procs's cgroup); argv is what its records must say. */
static void run_case_in(struct run_case *c, const char *kase, const char *name,
			char *const extra[], const char *cgroup_procs)
{
	char *argv[16];
	struct watch w = { .kind = WATCH_NONE };
	struct stat st;
	int argc = 0;

	memset(c, 0, sizeof(*c));
	scopy(c->name, sizeof(c->name), name);
	scopy(c->kase, sizeof(c->kase), kase);
	c->cgroup_id = want.cgroup_id;
	c->child = !strcmp(kase, "short") || !strcmp(kase, "short-exec");
	/* By its real path: what process.executable must say, even from the exec event. */
	argv[argc++] = want.exe;
	argv[argc++] = (char *)kase;
	if (c->child || !strcmp(kase, SETUID_CASE)) {
		/* The sender waits until the agent has recorded it alive. */
		argv[argc++] = "--wait-go";
		w.kind = WATCH_GO;
	}
	/* MPTCP is documented as not counted by the tracepoint tier */
	if (!strcmp(kase, UNCOUNTED_CASE) && !strcmp(running_tier, "tracepoint"))
		argv[argc++] = "--mptcp";
	if (!strcmp(kase, RACE_CASE)) {
		/* Until its flows span two drains (--seconds: the upper bound). */
		argv[argc++] = "--until-usr1";
		argv[argc++] = "--seconds";
		argv[argc++] = (char *)race_seconds;
		w.kind = WATCH_RACE;
	}
	for (int i = 0; extra && extra[i] && argc < 15; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	for (int i = 0; i < argc; i++)
		snprintf(c->argv + strlen(c->argv), sizeof(c->argv) - strlen(c->argv), "%s%s",
			 i ? "," : "", argv[i]);
	/* The watch reads only what the agent writes from now on. */
	w.t.off = live_out && stat(live_out, &st) == 0 ? (long)st.st_size : 0;
	fprintf(stderr, "itest: running %s\n", c->argv);
	run_traffic(c, argv, &w, cgroup_procs);
	if (w.kind != WATCH_NONE && !w.done && !c->failed) {
		c->failed = 1;
		snprintf(c->why, sizeof(c->why), "the agent's output never showed the event %s "
			 "waited for (%s)", kase, w.kind == WATCH_GO ? "the sender's marker record" :
			 "records from two drains");
	}
}

void traffic_case_args(struct run_case *c, const char *kase, const char *name,
		       char *const extra[])
{
	run_case_in(c, kase, name, extra, NULL);
}

static char container_cg[1200];	/* removed once the agent is done with it */

/*
 * udp4-conn in a cgroup named as docker names a container's: its records
 * must carry that container.id and the cgroup's id. The cgroup stays until
 * the agent stopped (container_remove): an agent that saw only the exec
 * event resolves the container from the cgroup id, later.
 */
void container_case(struct run_case *c)
{
	char mnt[1024], *cg = container_cg, procs[1300];
	struct stat st;

	memset(c, 0, sizeof(*c));
	scopy(c->name, sizeof(c->name), CONTAINER_CASE);
	c->failed = 1;
	if (cgroup2_dir(mnt, sizeof(mnt)) != 0) {
		snprintf(c->why, sizeof(c->why), "no cgroup2 mount");
		return;
	}
	char id[72];

	snprintf(id, sizeof(id), CONTAINER_ID_FMT, (unsigned)getpid());
	snprintf(cg, sizeof(container_cg), "%s/docker-%s.scope", mnt, id);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	if (mkdir(cg, 0755) != 0 || stat(cg, &st) != 0) {
		snprintf(c->why, sizeof(c->why), "mkdir %.160s: %s", cg, strerror(errno));
		cg[0] = '\0';
		return;
	}
	run_case_in(c, "udp4-conn", CONTAINER_CASE, NULL, procs);
	c->cgroup_id = (long long)st.st_ino;
	scopy(c->container, sizeof(c->container), id);
}

/* 0 when there was none or it is removed. */
int container_remove(void)
{
	int r = 0;

	if (container_cg[0] && (r = rmdir_when_empty(container_cg, WAIT_MS)) != 0)
		fprintf(stderr, "itest: removing %s: %s\n", container_cg, strerror(errno));
	container_cg[0] = '\0';
	return r;
}

void traffic_case(struct run_case *c, const char *kase, const char *name,
			 const char *dst, const char *netns)
{
	char *extra[5];
	int n = 0;

	if (dst) {
		extra[n++] = "--dst";
		extra[n++] = (char *)dst;
	}
	if (netns) {
		extra[n++] = "--sink-netns";
		extra[n++] = (char *)netns;
	}
	extra[n] = NULL;
	traffic_case_args(c, kase, name, extra);
	c->netns = netns != NULL;
}
