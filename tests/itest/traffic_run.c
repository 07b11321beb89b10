// SPDX-License-Identifier: GPL-2.0-only
/* itest: running the traffic program and reading what it sent (see main.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

/* Parse "sent k=v k=v ..." into *s; 0 on success. */
static int parse_sent(char *line, struct sent *s)
{
	char *save = NULL, *tok;
	int have = 0;

	memset(s, 0, sizeof(*s));
	s->acked = -1;
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
	}
	return have == 31 ? 0 : -1;
}

/* Run traffic with args; collect its `sent` lines into c. */
static void run_traffic(struct run_case *c, char *const argv[])
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
	pid = spawn(argv, p[1], -1);
	c->traffic_pid = pid;
	close(p[1]);
	for (;;) {
		struct pollfd pf = { p[0], POLLIN, 0 };
		long long left = deadline - now_ms();
		ssize_t r;

		if (g_stop || left <= 0)
			break;
		if (poll(&pf, 1, left > 200 ? 200 : (int)left) <= 0)
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
	if (pid < 0 || wait_for(pid, 5000, &st, 1) != 0) {
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
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		status_str(st, s, sizeof(s));
		c->failed = 1;
		snprintf(c->why, sizeof(c->why), "traffic failed (%s; its stderr is above)", s);
	} else if (c->n == 0) {
		c->failed = 1;
		snprintf(c->why, sizeof(c->why), "traffic printed no 'sent' line");
	}
}

void traffic_case(struct run_case *c, const char *kase, const char *name,
			 const char *dst, const char *netns)
{
	char *argv[12];
	int argc = 0;

	memset(c, 0, sizeof(*c));
	scopy(c->name, sizeof(c->name), name);
	scopy(c->kase, sizeof(c->kase), kase);
	c->child = !strcmp(kase, "short") || !strcmp(kase, "short-exec");
	c->netns = netns != NULL;
	/* By its real path: what process.executable must say, even from the exec event. */
	argv[argc++] = want.exe;
	argv[argc++] = (char *)kase;
	if (!strcmp(kase, RACE_CASE)) {
		argv[argc++] = "--seconds";
		argv[argc++] = (char *)race_seconds;
	}
	if (dst) {
		argv[argc++] = "--dst";
		argv[argc++] = (char *)dst;
	}
	if (netns) {
		argv[argc++] = "--sink-netns";
		argv[argc++] = (char *)netns;
	}
	argv[argc] = NULL;
	fprintf(stderr, "itest: running traffic %s%s%s\n", kase, dst ? " --dst " : "", dst ? dst : "");
	run_traffic(c, argv);
}
