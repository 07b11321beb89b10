// SPDX-License-Identifier: GPL-2.0-only
/*
 * itest: integration test of the exfild agent against real traffic.
 *
 * Starts the agent, runs `traffic` cases (which print exactly what they
 * sent, from their own syscalls' return values), stops the agent and checks
 * that its flow records add up to the same bytes, exactly.
 *
 * stdout carries only the results, one line per check:
 *   ok PREFIX/CHECK
 *   not ok PREFIX/CHECK # reason
 * Diagnostics go to stderr. Exit 0 when every check passed.
 * Statically linked: it also runs in a busybox-only initramfs (needs `ip`).
 *
 * Besides the bytes, every case's records must carry the sending process
 * (name, executable and its SHA-256, pid, parent, entity ids, user, args)
 * and, with --geoip, the destination's geo and AS data. Geo expectations
 * are not written here: they come from the JSON fixtures the databases were
 * built from (--geo-fixture, tools/mkmmdb.pl's input format).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#define START_TIMEOUT_MS	30000	/* agent: until "exfild: running" */
#define STOP_TIMEOUT_MS		30000	/* agent: SIGTERM to exit (final drain) */
#define TRAFFIC_TIMEOUT_MS	90000	/* traffic bounds itself at 60 s */
#define IP_TIMEOUT_MS		15000
#define MAX_OUT			(8 << 20)	/* traffic stdout we keep */
#define FILL_MAX_FLOWS		"64"
#define MAX_GEO			8	/* --geoip and --geo-fixture files */
#define RACE_CASE		"drain-race"

/*
 * traffic cases run under the main agent, in this order, then the netns
 * cases, then drain-race: its load can leave a slow machine's agent behind.
 * (fill runs apart.)
 */
static const char *const cases_list[] = {
	"tcp4", "tcp6", "udp4-conn", "udp6-conn", "udp4-unconn", "udp6-unconn",
	"udp4-conn-sendto", "udp6-conn-sendto", "v4mapped", "sendmmsg", "writev", "sendfile", "splice", "write",
	"threads", "short", "short-exec", "many",
};
#define N_CASES (sizeof(cases_list) / sizeof(cases_list[0]))

/*
 * Cases whose receivers live in a namespace behind a veth pair. The peer has
 * an address in two documentation /24s and one /64, so with the fixture
 * databases the destinations lie in different countries.
 */
enum { NET_V4A, NET_V4B, NET_V6 };
static const struct netns_case {
	const char *name, *kase;
	int net;
} netns_cases[] = {
	{ "netns-tcp4", "tcp4", NET_V4A },
	{ "netns-udp4-unconn", "udp4-unconn", NET_V4A },
	{ "netns-tcp4-b", "tcp4", NET_V4B },
	{ "netns-udp4-conn-b", "udp4-conn", NET_V4B },
	{ "netns-tcp6", "tcp6", NET_V6 },
	{ "netns-udp6-conn", "udp6-conn", NET_V6 },
};
#define N_NETNS_CASES (sizeof(netns_cases) / sizeof(netns_cases[0]))

/* One `sent ...` line of traffic: what the agent must have seen. */
struct sent {
	int pid;
	char transport[16];
	uint8_t ip[16];		/* IPv4 as v4-mapped, so both forms compare */
	char ipstr[64];
	int port;
	long long bytes;
	long long acked;	/* -1: not TCP */
	char comm[32];
};

/* One exfild.flow record: the key fields, and the whole record. */
struct rec {
	int pid;
	char transport[16];
	uint8_t ip[16];
	int port;
	long long bytes;
	char name[32];
	char ts[48];		/* @timestamp: one value per drain */
	json_t *j;
};

struct run_case {
	char name[64];
	char kase[32];		/* the traffic case run */
	int failed;		/* traffic did not run cleanly */
	char why[256];
	pid_t traffic_pid;	/* the process itest started */
	int child;		/* the sender is a child of traffic (short cases) */
	int netns;
	struct sent *s;
	size_t n;
};

struct agent {
	pid_t pid;
	char err_path[600];
	char running[512];	/* the "exfild: running" line */
};

static const char *exfild_path, *traffic_path, *tier = "auto", *prefix, *only, *expect_tier;
static const char *race_seconds = "3.5";
static const char *geoip[MAX_GEO], *geo_fixture[MAX_GEO];
static int n_geoip, n_geo_fixture;
static int no_netns;
static char tmpdir[512];
static volatile sig_atomic_t g_stop;
static int failures;
static struct agent *live_agent;	/* killed by cleanup if still running */

/* The netns fixture: names and addresses picked at run time. */
static struct {
	int up, n_v4;		/* n_v4: free /24s found, at most 2 */
	char ns[64], ns_path[128], host_if[16], ns_if[16];
	char v4_host[2][32], v4_peer[2][32], v6_host[64], v6_peer[64];
} nx;

/* What the process fields must say: from the traffic binary and this host. */
static struct {
	char exe[PATH_MAX];	/* real path of the traffic binary */
	char sha256[65];	/* "" when it could not be hashed */
	char why[256];		/* ... and why */
	char uid[16];
	char user[64];		/* "" when /etc/passwd does not name uid */
} want;

static void on_signal(int sig)
{
	g_stop = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Bounded string copy that always terminates. */
static void scopy(char *dst, size_t n, const char *src)
{
	size_t k = strnlen(src, n - 1);

	memcpy(dst, src, k);
	dst[k] = '\0';
}

static void report(int ok, const char *check, const char *fmt, ...)
{
	char why[1024] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	if (ok) {
		printf("ok %s/%s\n", prefix, check);
	} else {
		failures++;
		printf("not ok %s/%s # %s\n", prefix, check, why);
	}
	fflush(stdout);
}

/* ---- processes ------------------------------------------------------------ */

/* fork/exec; out/err are dup'd onto stdout/stderr when >= 0. */
static pid_t spawn(char *const argv[], int out, int err)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid != 0)
		return pid;
	if (out >= 0)
		dup2(out, STDOUT_FILENO);
	if (err >= 0)
		dup2(err, STDERR_FILENO);
	execvp(argv[0], argv);
	fprintf(stderr, "itest: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Wait for pid up to ms; 0 and *status when it exited, -1 on timeout (or on
 * a stop signal when interruptible: cleanup steps are not).
 */
static int wait_for(pid_t pid, int ms, int *status, int interruptible)
{
	long long deadline = now_ms() + ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if ((interruptible && g_stop) || now_ms() > deadline)
			return -1;
		sleep_ms(10);
	}
}

static void kill_wait(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

static void status_str(int st, char *out, size_t n)
{
	if (WIFEXITED(st))
		snprintf(out, n, "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, n, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(out, n, "status 0x%x", st);
}

/* Run `ip ARGS...`; its output goes to our stderr. 0 on success. */
static int ip_cmd(const char *first, ...)
{
	char *argv[24];
	int argc = 0, st;
	va_list ap;
	pid_t pid;

	argv[argc++] = "ip";
	va_start(ap, first);
	for (const char *a = first; a && argc < 23; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	pid = spawn(argv, STDERR_FILENO, -1);
	if (pid < 0)
		return -1;
	if (wait_for(pid, IP_TIMEOUT_MS, &st, 0) != 0) {
		kill_wait(pid);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "itest: 'ip %s ...' failed\n", first);
		return -1;
	}
	return 0;
}

/* ---- addresses -------------------------------------------------------------- */

static int ip_parse(const char *s, uint8_t out[16])
{
	struct in_addr a4;

	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, &a4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

/* Do the first `bits` bits of a and b agree? */
static int same_prefix(const uint8_t *a, const uint8_t *b, int bits)
{
	int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return 0;
	return !rest || ((a[bytes] ^ b[bytes]) & (0xff << (8 - rest))) == 0;
}

static int mask_bits(const uint8_t *m, int len)
{
	int bits = 0;

	for (int i = 0; i < len; i++)
		bits += __builtin_popcount(m[i]);
	return bits;
}

/*
 * Is the prefix cand/plen (4 or 16 bytes) in use on this host: an interface
 * address or a non-default route overlapping it? Test machines may sit on
 * documentation networks themselves; the fixture must not shadow them.
 */
static int prefix_in_use(int family, const uint8_t *cand, int plen)
{
	int alen = family == AF_INET ? 4 : 16, used = 0;
	struct ifaddrs *ifs, *i;
	char line[512];
	FILE *f;

	if (getifaddrs(&ifs) == 0) {
		for (i = ifs; i && !used; i = i->ifa_next) {
			const uint8_t *a, *m;

			if (!i->ifa_addr || i->ifa_addr->sa_family != family || !i->ifa_netmask)
				continue;
			if (family == AF_INET) {
				a = (const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr;
				m = (const uint8_t *)&((struct sockaddr_in *)i->ifa_netmask)->sin_addr;
			} else {
				a = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr;
				m = ((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr.s6_addr;
			}
			int b = mask_bits(m, alen);
			used = b > 0 && same_prefix(a, cand, b < plen ? b : plen);
		}
		freeifaddrs(ifs);
	}
	f = fopen(family == AF_INET ? "/proc/net/route" : "/proc/net/ipv6_route", "r");
	while (f && !used && fgets(line, sizeof(line), f)) {
		uint8_t dst[16] = { 0 };
		unsigned d, m, b;
		int bits;

		if (family == AF_INET) {
			if (sscanf(line, "%*s %x %*x %*x %*d %*d %*d %x", &d, &m) != 2)
				continue;	/* the header */
			memcpy(dst, &d, 4);	/* printed from the network-order word */
			bits = mask_bits((uint8_t *)&m, 4);
		} else {
			for (int k = 0; k < 16; k++)
				if (sscanf(line + 2 * k, "%2x", &b) == 1)
					dst[k] = b;
			if (sscanf(line + 33, "%x", &b) != 1)
				continue;
			bits = b;
		}
		if (bits > 0)	/* the default route overlaps everything */
			used = same_prefix(dst, cand, bits < plen ? bits : plen);
	}
	if (f)
		fclose(f);
	return used;
}

/* The first two free documentation /24s and first free /64 for the fixture. */
static int pick_subnets(void)
{
	static const char *v4[] = { "192.0.2", "198.51.100", "203.0.113" };
	int got6 = 0;

	nx.n_v4 = 0;
	for (size_t k = 0; k < sizeof(v4) / sizeof(v4[0]) && nx.n_v4 < 2; k++) {
		char s[32];
		struct in_addr a;

		snprintf(s, sizeof(s), "%s.0", v4[k]);
		inet_pton(AF_INET, s, &a);
		if (!prefix_in_use(AF_INET, (uint8_t *)&a, 24)) {
			snprintf(nx.v4_host[nx.n_v4], sizeof(nx.v4_host[0]), "%s.1", v4[k]);
			snprintf(nx.v4_peer[nx.n_v4], sizeof(nx.v4_peer[0]), "%s.2", v4[k]);
			nx.n_v4++;
		}
	}
	for (int k = 1; k <= 9 && !got6; k++) {
		char s[64];
		struct in6_addr a;

		snprintf(s, sizeof(s), "2001:db8:%d::", k);
		inet_pton(AF_INET6, s, &a);
		if (!prefix_in_use(AF_INET6, a.s6_addr, 64)) {
			snprintf(nx.v6_host, sizeof(nx.v6_host), "2001:db8:%d::1", k);
			snprintf(nx.v6_peer, sizeof(nx.v6_peer), "2001:db8:%d::2", k);
			got6 = 1;
		}
	}
	return nx.n_v4 && got6 ? 0 : -1;
}

/* ---- the namespace fixture ------------------------------------------------- */

static void netns_down(void)
{
	if (!nx.up)
		return;
	/* Deleting one end of a veth pair deletes both. */
	if (ip_cmd("link", "del", nx.host_if, NULL) != 0)
		fprintf(stderr, "itest: could not delete %s\n", nx.host_if);
	if (ip_cmd("netns", "del", nx.ns, NULL) != 0)
		fprintf(stderr, "itest: could not delete netns %s\n", nx.ns);
	nx.up = 0;
}

/* Wait until the host end reports carrier, i.e. both ends are up. */
static int link_ready(void)
{
	char path[128], state[32] = "";

	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", nx.host_if);
	for (long long end = now_ms() + 5000; now_ms() < end && !g_stop; sleep_ms(20)) {
		FILE *f = fopen(path, "r");

		if (f) {
			if (!fgets(state, sizeof(state), f))
				state[0] = '\0';
			fclose(f);
		}
		if (!strncmp(state, "up", 2))
			return 0;
	}
	return -1;
}

static int netns_up(char *why, size_t n)
{
	char h4[2][48], p4[2][48], h6[80], p6[80];
	int pid = getpid();

	if (pick_subnets() != 0) {
		snprintf(why, n, "no free documentation subnet on this host");
		return -1;
	}
	snprintf(nx.ns, sizeof(nx.ns), "exfild-it%d", pid);
	snprintf(nx.ns_path, sizeof(nx.ns_path), "/run/netns/%s", nx.ns);
	snprintf(nx.host_if, sizeof(nx.host_if), "exfh%d", pid);
	snprintf(nx.ns_if, sizeof(nx.ns_if), "exfn%d", pid);
	for (int k = 0; k < nx.n_v4; k++) {
		snprintf(h4[k], sizeof(h4[k]), "%s/24", nx.v4_host[k]);
		snprintf(p4[k], sizeof(p4[k]), "%s/24", nx.v4_peer[k]);
	}
	snprintf(h6, sizeof(h6), "%s/64", nx.v6_host);
	snprintf(p6, sizeof(p6), "%s/64", nx.v6_peer);
	fprintf(stderr, "itest: netns %s: host %s %s %s, peer %s %s %s\n", nx.ns, h4[0],
		nx.n_v4 > 1 ? h4[1] : "", h6, p4[0], nx.n_v4 > 1 ? p4[1] : "", p6);

	if (ip_cmd("netns", "add", nx.ns, NULL) != 0) {
		snprintf(why, n, "ip netns add %s failed", nx.ns);
		return -1;
	}
	nx.up = 1;	/* from here on, netns_down() undoes it */
	if (ip_cmd("link", "add", nx.host_if, "type", "veth", "peer", "name", nx.ns_if, NULL) ||
	    ip_cmd("link", "set", nx.ns_if, "netns", nx.ns, NULL))
		goto fail;
	for (int k = 0; k < nx.n_v4; k++)
		if (ip_cmd("addr", "add", h4[k], "dev", nx.host_if, NULL) ||
		    ip_cmd("-n", nx.ns, "addr", "add", p4[k], "dev", nx.ns_if, NULL))
			goto fail;
	if (ip_cmd("addr", "add", h6, "dev", nx.host_if, "nodad", NULL) ||
	    ip_cmd("link", "set", nx.host_if, "up", NULL) ||
	    ip_cmd("-n", nx.ns, "addr", "add", p6, "dev", nx.ns_if, "nodad", NULL) ||
	    ip_cmd("-n", nx.ns, "link", "set", nx.ns_if, "up", NULL) ||
	    ip_cmd("-n", nx.ns, "link", "set", "lo", "up", NULL))
		goto fail;
	if (link_ready() != 0) {
		snprintf(why, n, "veth %s did not come up within 5 s", nx.host_if);
		return -1;
	}
	return 0;
fail:
	snprintf(why, n, "setting up veth %s/%s failed (see stderr)", nx.host_if, nx.ns_if);
	return -1;
}

/* ---- the agent ----------------------------------------------------------------- */

/* The last non-empty line of a file, for short failure reasons. */
static void last_line(const char *path, char *out, size_t n)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	snprintf(out, n, "(no stderr)");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			scopy(out, n, line);
	}
	if (f)
		fclose(f);
}

static void dump_file(const char *path, const char *what)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	fprintf(stderr, "itest: ---- %s ----\n", what);
	/* Prefixed: a console reader must never take these for result lines. */
	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "itest: | %s%s", line, strchr(line, '\n') ? "" : "\n");
	if (f)
		fclose(f);
	fprintf(stderr, "itest: ---- end of %s ----\n", what);
}

/* Remove a flat directory of our own (pins, temp files). */
static void remove_dir(const char *dir, int verbose)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	if (verbose)
		fprintf(stderr, "itest: removing pins the agent left in %s\n", dir);
	while ((e = readdir(d))) {
		char p[1024];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) != 0)
			rmdir(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Start the agent; 0 once it printed "exfild: running", else *why is set. */
static int agent_start(struct agent *a, const char *tag, const char *out_path,
		       const char *pins, const char *max_flows, char *why, size_t n)
{
	char out_arg[600], line[1024];
	char *argv[24 + 2 * MAX_GEO];
	int argc = 0, err, st;
	long long deadline = now_ms() + START_TIMEOUT_MS;

	memset(a, 0, sizeof(*a));
	snprintf(a->err_path, sizeof(a->err_path), "%s/agent-%s.stderr", tmpdir, tag);
	snprintf(out_arg, sizeof(out_arg), "file:%s", out_path);
	argv[argc++] = (char *)exfild_path;
	argv[argc++] = "run";
	argv[argc++] = "--attach";
	argv[argc++] = (char *)tier;
	argv[argc++] = "--flows";
	argv[argc++] = "--include-reserved";
	argv[argc++] = "--interval";
	argv[argc++] = "1";
	argv[argc++] = "--output";
	argv[argc++] = out_arg;
	argv[argc++] = "--pin-path";
	argv[argc++] = (char *)pins;
	if (max_flows) {
		argv[argc++] = "--max-flows";
		argv[argc++] = (char *)max_flows;
	}
	for (int i = 0; i < n_geoip; i++) {
		argv[argc++] = "--geoip";
		argv[argc++] = (char *)geoip[i];
	}
	argv[argc] = NULL;

	/* stderr to a file we poll: a pipe nobody drains could block the agent. */
	err = open(a->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (err < 0) {
		snprintf(why, n, "cannot create %s: %s", a->err_path, strerror(errno));
		return -1;
	}
	a->pid = spawn(argv, err, err);	/* its stdout too: ours is for results */
	close(err);
	if (a->pid < 0) {
		snprintf(why, n, "fork: %s", strerror(errno));
		return -1;
	}
	live_agent = a;
	for (;;) {
		FILE *f = fopen(a->err_path, "r");

		while (f && fgets(line, sizeof(line), f)) {
			if (strstr(line, "exfild: running")) {
				line[strcspn(line, "\n")] = '\0';
				scopy(a->running, sizeof(a->running), line);
				fclose(f);
				return 0;
			}
		}
		if (f)
			fclose(f);
		if (waitpid(a->pid, &st, WNOHANG) == a->pid) {
			char s[64], last[512];

			live_agent = NULL;
			status_str(st, s, sizeof(s));
			last_line(a->err_path, last, sizeof(last));
			dump_file(a->err_path, "agent stderr");
			snprintf(why, n, "agent exited before 'exfild: running' (%s): %s", s, last);
			return -1;
		}
		if (g_stop || now_ms() > deadline) {
			char last[512];

			kill_wait(a->pid);
			live_agent = NULL;
			last_line(a->err_path, last, sizeof(last));
			dump_file(a->err_path, "agent stderr");
			snprintf(why, n, "no 'exfild: running' within %d s%s; last stderr: %s",
				 START_TIMEOUT_MS / 1000, g_stop ? " (interrupted)" : "", last);
			return -1;
		}
		sleep_ms(50);
	}
}

/* SIGTERM, wait for the final drain; 0 when it exited with status 0. */
static int agent_stop(struct agent *a, char *why, size_t n)
{
	int st;
	char s[64];

	if (!a->pid)
		return -1;
	kill(a->pid, SIGTERM);
	if (wait_for(a->pid, STOP_TIMEOUT_MS, &st, 0) != 0) {
		kill_wait(a->pid);
		live_agent = NULL;
		dump_file(a->err_path, "agent stderr");
		snprintf(why, n, "expected exit within %d s of SIGTERM, got none (killed)",
			 STOP_TIMEOUT_MS / 1000);
		return -1;
	}
	live_agent = NULL;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	status_str(st, s, sizeof(s));
	dump_file(a->err_path, "agent stderr");
	snprintf(why, n, "expected exit status 0 after SIGTERM, got %s", s);
	return -1;
}

/* ---- traffic --------------------------------------------------------------------- */

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

static void traffic_case(struct run_case *c, const char *kase, const char *name,
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

/* ---- the agent's output ------------------------------------------------------ */

struct output {
	struct rec *r;
	size_t n;
	size_t bad_lines;
	int missing;		/* no output file at all */
	long long loss_bytes, loss_entries;
	int loss_records;
	char last_ts[48];	/* @timestamp of the final drain */
};

/* Dotted lookup: "process.pid" -> root["process"]["pid"]. */
static json_t *jget(json_t *root, const char *path)
{
	char key[64];

	while (root && *path) {
		size_t k = strcspn(path, ".");

		if (k >= sizeof(key))
			return NULL;
		memcpy(key, path, k);
		key[k] = '\0';
		root = json_is_object(root) ? json_object_get(root, key) : NULL;
		path += k + (path[k] == '.');
	}
	return root;
}

static long long jint(json_t *root, const char *path, long long dflt)
{
	json_t *v = jget(root, path);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static const char *jstr(json_t *root, const char *path)
{
	const char *s = json_string_value(jget(root, path));

	return s ? s : "";
}

static void load_output(const char *path, struct output *o)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	memset(o, 0, sizeof(*o));
	o->missing = !f;
	while (f && (len = getline(&line, &cap, f)) > 0) {
		json_error_t e;
		json_t *j = json_loadb(line, len, 0, &e);
		const char *ds;

		if (!j) {
			if (o->bad_lines++ < 3)
				fprintf(stderr, "itest: bad JSON line in output: %s", line);
			continue;
		}
		ds = jstr(j, "event.dataset");
		if (!strcmp(ds, "exfild.loss")) {
			o->loss_records++;
			o->loss_bytes += jint(j, "exfild.loss.bytes", 0);
			o->loss_entries += jint(j, "exfild.loss.entries", 0);
		} else if (!strcmp(ds, "exfild.flow")) {
			struct rec r, *grown;

			memset(&r, 0, sizeof(r));
			r.pid = jint(j, "process.pid", -1);
			r.port = jint(j, "destination.port", -1);
			r.bytes = jint(j, "source.bytes", 0);
			scopy(r.transport, sizeof(r.transport), jstr(j, "network.transport"));
			scopy(r.name, sizeof(r.name), jstr(j, "process.name"));
			scopy(r.ts, sizeof(r.ts), jstr(j, "@timestamp"));
			/* Same fixed-width UTC format in every record: text order is time order. */
			if (strcmp(r.ts, o->last_ts) > 0)
				scopy(o->last_ts, sizeof(o->last_ts), r.ts);
			if (ip_parse(jstr(j, "destination.ip"), r.ip) == 0 &&
			    (grown = realloc(o->r, (o->n + 1) * sizeof(*o->r)))) {
				r.j = json_incref(j);
				o->r = grown;
				o->r[o->n++] = r;
			}
		}
		json_decref(j);
	}
	free(line);
	if (f)
		fclose(f);
}

static void free_output(struct output *o)
{
	for (size_t i = 0; i < o->n; i++)
		json_decref(o->r[i].j);
	free(o->r);
	o->r = NULL;
	o->n = 0;
}

static int rec_matches(const struct rec *r, const struct sent *s)
{
	return r->pid == s->pid && r->port == s->port &&
	       !strcmp(r->transport, s->transport) && !memcmp(r->ip, s->ip, 16);
}

/* The agent's bytes for one sent line; *names_ok: every record named comm. */
static long long recorded(const struct output *o, const struct sent *s, int *nrec, int *names_ok)
{
	long long sum = 0;

	*nrec = 0;
	*names_ok = 1;
	for (size_t i = 0; i < o->n; i++) {
		if (!rec_matches(&o->r[i], s))
			continue;
		sum += o->r[i].bytes;
		(*nrec)++;
		if (strcmp(o->r[i].name, s->comm) != 0)
			*names_ok = 0;
	}
	return sum;
}

static const char *sent_desc(const struct sent *s, char *out, size_t n)
{
	snprintf(out, n, "pid %d %s %s port %d", s->pid, s->transport, s->ipstr, s->port);
	return out;
}

/* The checks for one case: bytes, TCP acks, and for short ones the name. */
static void check_case(const struct run_case *c, const struct output *o, int check_name)
{
	char d[160], name[96];
	int bad = 0, tcp = 0, bad_ack = 0, bad_name = 0;
	const struct sent *first = NULL, *first_ack = NULL, *first_name = NULL;
	long long got_first = 0;

	if (c->failed) {
		report(0, c->name, "%s", c->why);
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct sent *s = &c->s[i];
		int nrec, names_ok;
		long long got = recorded(o, s, &nrec, &names_ok);

		if (got != s->bytes && !bad++) {
			first = s;
			got_first = got;
		}
		if (!strcmp(s->transport, "tcp")) {
			tcp++;
			if (s->acked != s->bytes && !bad_ack++)
				first_ack = s;
		}
		if ((!names_ok || !nrec) && !bad_name++)
			first_name = s;
	}
	if (bad)
		report(0, c->name, "%d of %zu destinations differ; first: %s: expected bytes=%lld, got %lld",
		       bad, c->n, sent_desc(first, d, sizeof(d)), first->bytes, got_first);
	else
		report(1, c->name, NULL);

	if (tcp) {
		snprintf(name, sizeof(name), "%.64s/acked", c->name);
		if (bad_ack)
			report(0, name, "%s: expected acked=%lld (bytes sent), got acked=%lld",
			       sent_desc(first_ack, d, sizeof(d)), first_ack->bytes, first_ack->acked);
		else
			report(1, name, NULL);
	}
	if (check_name) {
		snprintf(name, sizeof(name), "%.64s/name", c->name);
		if (bad_name) {
			const char *got = "(no record)";

			for (size_t i = 0; i < o->n; i++)
				if (rec_matches(&o->r[i], first_name) &&
				    strcmp(o->r[i].name, first_name->comm) != 0)
					got = o->r[i].name;
			report(0, name, "%s: expected process.name=%s, got %s",
			       sent_desc(first_name, d, sizeof(d)), first_name->comm, got);
		} else {
			report(1, name, NULL);
		}
	}
}

/* ---- process context ------------------------------------------------------------ */

/* SHA-256 of a file as lowercase hex; 0 on success. */
static int sha256_file(const char *path, char hex[65], char *why, size_t n)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok = ctx && fd >= 0;
	ssize_t r = 0;

	if (fd < 0)
		snprintf(why, n, "cannot open %.160s: %s", path, strerror(errno));
	ok = ok && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (ok && (r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, n, "reading %.160s: %s", path, strerror(errno));
			ok = 0;
		} else {
			ok = EVP_DigestUpdate(ctx, buf, r);
		}
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32;
	if (!ok && fd >= 0 && r >= 0)
		snprintf(why, n, "OpenSSL could not hash %.160s", path);
	for (unsigned int i = 0; ok && i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* The user name /etc/passwd gives uid, or "" (parsed here: static NSS is unreliable). */
static void passwd_name(unsigned uid, char *out, size_t n)
{
	char line[1024];
	FILE *f = fopen("/etc/passwd", "r");

	out[0] = '\0';
	while (f && !out[0] && fgets(line, sizeof(line), f)) {
		char *save = NULL, *name = strtok_r(line, ":", &save);
		char *pw = name ? strtok_r(NULL, ":", &save) : NULL;
		char *id = pw ? strtok_r(NULL, ":", &save) : NULL;

		if (id && strtoul(id, NULL, 10) == uid && *id >= '0' && *id <= '9')
			scopy(out, n, name);
	}
	if (f)
		fclose(f);
}

/* Fill `want`: what every traffic record's process and user fields must say. */
static void want_setup(void)
{
	snprintf(want.uid, sizeof(want.uid), "%u", (unsigned)getuid());
	passwd_name(getuid(), want.user, sizeof(want.user));
	if (!realpath(traffic_path, want.exe)) {
		snprintf(want.why, sizeof(want.why), "realpath %s: %s", traffic_path, strerror(errno));
		scopy(want.exe, sizeof(want.exe), traffic_path);
		return;
	}
	if (sha256_file(want.exe, want.sha256, want.why, sizeof(want.why)) != 0)
		want.sha256[0] = '\0';
	fprintf(stderr, "itest: traffic is %s, sha256 %s, uid %s (%s)\n", want.exe,
		want.sha256[0] ? want.sha256 : want.why, want.uid,
		want.user[0] ? want.user : "not in /etc/passwd");
}

static int is_hex32(const char *s)
{
	return strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

/*
 * Each record check returns 1 when the record is right, else 0 with the
 * first wrong field in why (expected ..., got ...).
 */
typedef int (*rec_check)(const struct run_case *c, const struct sent *s, json_t *j,
			 const struct output *o, char *why, size_t n);

static int str_is(json_t *j, const char *path, const char *exp, char *why, size_t n)
{
	json_t *v = jget(j, path);

	if (json_is_string(v) && !strcmp(json_string_value(v), exp))
		return 1;
	snprintf(why, n, "expected %s=%s, got %s", path, exp,
		 json_is_string(v) ? json_string_value(v) : v ? "(not a string)" : "(absent)");
	return 0;
}

static int int_is(json_t *j, const char *path, long long exp, char *why, size_t n)
{
	json_t *v = jget(j, path);

	if (json_is_integer(v) && json_integer_value(v) == exp)
		return 1;
	if (json_is_integer(v))
		snprintf(why, n, "expected %s=%lld, got %lld", path, exp,
			 (long long)json_integer_value(v));
	else
		snprintf(why, n, "expected %s=%lld, got %s", path, exp,
			 v ? "(not an integer)" : "(absent)");
	return 0;
}

/* pid, parent, name, executable, entity ids. */
static int proc_ok(const struct run_case *c, const struct sent *s, json_t *j,
		   const struct output *o, char *why, size_t n)
{
	int child = s->pid != c->traffic_pid;
	const char *eid = jstr(j, "process.entity_id");
	json_t *peid = jget(j, "process.parent.entity_id");

	if (child != c->child) {
		snprintf(why, n, "expected the sender to be %s (pid %d), got pid %d",
			 c->child ? "a child of traffic" : "traffic itself", (int)c->traffic_pid,
			 s->pid);
		return 0;
	}
	if (!int_is(j, "process.parent.pid", child ? c->traffic_pid : getpid(), why, n) ||
	    !str_is(j, "process.name", s->comm, why, n) ||
	    !str_is(j, "process.executable", want.exe, why, n))
		return 0;
	if (!is_hex32(eid)) {
		snprintf(why, n, "expected process.entity_id of 32 hex digits, got '%s'", eid);
		return 0;
	}
	if (child && !json_is_string(peid)) {
		snprintf(why, n, "expected process.parent.entity_id (parent is traffic), got none");
		return 0;
	}
	if (peid && !strcmp(json_string_value(peid) ? json_string_value(peid) : "", eid)) {
		snprintf(why, n, "expected process.entity_id to differ from the parent's, both %s", eid);
		return 0;
	}
	return 1;
}

/*
 * The agent handled the exec event after the process had exited (a busy or
 * slow machine): it can only give what the event carries, no hash and no
 * args, and says so. That fallback is by design; these records are listed
 * on stderr and everything they do carry is still checked.
 */
static int context_gone(json_t *j)
{
	return !strcmp(jstr(j, "exfild.process.context_source"), "event") &&
	       !strcmp(jstr(j, "exfild.process.hash_status"), "skipped") &&
	       !strcmp(jstr(j, "exfild.process.hash_reason"), "process_gone");
}

static void note_gone(const struct run_case *c, const struct output *o)
{
	int gone = 0;

	for (size_t i = 0; i < c->n; i++)
		for (size_t k = 0; k < o->n; k++)
			gone += rec_matches(&o->r[k], &c->s[i]) && context_gone(o->r[k].j);
	if (gone)
		fprintf(stderr, "itest: %s: %d record(s) with exec-event context only (the process "
			"was gone when the agent looked): no hash or args to check\n", c->name, gone);
}

/* The executable's hash; "pending" is fine until the final drain. */
static int hash_ok(const struct run_case *c, const struct sent *s, json_t *j,
		   const struct output *o, char *why, size_t n)
{
	const char *st = jstr(j, "exfild.process.hash_status");

	if (context_gone(j) && !jget(j, "process.hash"))
		return 1;

	if (!strcmp(st, "pending")) {
		if (strcmp(jstr(j, "@timestamp"), o->last_ts) != 0)
			return 1;
		snprintf(why, n, "expected exfild.process.hash_status=ok by the final drain, "
			 "got pending");
		return 0;
	}
	if (strcmp(st, "ok") != 0) {
		snprintf(why, n, "expected exfild.process.hash_status=ok, got '%s' (reason: %s)",
			 st, jstr(j, "exfild.process.hash_reason"));
		return 0;
	}
	if (!want.sha256[0]) {
		snprintf(why, n, "cannot check process.hash.sha256: %s", want.why);
		return 0;
	}
	return str_is(j, "process.hash.sha256", want.sha256, why, n);
}

static int user_ok(const struct run_case *c, const struct sent *s, json_t *j,
		   const struct output *o, char *why, size_t n)
{
	return str_is(j, "user.id", want.uid, why, n) &&
	       (!want.user[0] || str_is(j, "user.name", want.user, why, n));
}

static int args_ok(const struct run_case *c, const struct sent *s, json_t *j,
		   const struct output *o, char *why, size_t n)
{
	json_t *a0 = json_array_get(jget(j, "process.args"), 0);
	const char *line = jstr(j, "process.command_line");

	if (context_gone(j) && !jget(j, "process.args") && !jget(j, "process.command_line"))
		return 1;
	if (!json_is_string(a0) || !json_string_value(a0)[0]) {
		snprintf(why, n, "expected process.args[0], got %s",
			 jget(j, "process.args") ? "an empty or odd args array" : "no process.args");
		return 0;
	}
	if (!strstr(line, c->kase)) {
		snprintf(why, n, "expected process.command_line to contain '%s', got '%s'",
			 c->kase, line);
		return 0;
	}
	return 1;
}

/* ---- geo expectations from the fixture sources ----------------------------------- */

struct fixnet {
	uint8_t net[16];	/* IPv4 as v4-mapped, like struct sent */
	int plen;
	int file;		/* index in geo_fixture: earlier files win */
	json_t *src;		/* the source record */
};

static struct fixnet *fix;
static size_t n_fix;
static json_t *fix_roots[MAX_GEO];

/* Read every --geo-fixture: { "CIDR": { country, city, lat, asn, ... }, ... }. */
static int load_fixtures(char *why, size_t n)
{
	for (int f = 0; f < n_geo_fixture; f++) {
		json_error_t e;
		const char *key;
		json_t *v;

		fix_roots[f] = json_load_file(geo_fixture[f], 0, &e);
		if (!json_is_object(fix_roots[f])) {
			snprintf(why, n, "%s: line %d: %s", geo_fixture[f], e.line, e.text);
			return -1;
		}
		json_object_foreach(fix_roots[f], key, v) {
			char addr[64];
			const char *slash = strchr(key, '/');
			struct fixnet x = { .file = f, .src = v }, *grown;

			if (key[0] == '_')
				continue;	/* comments */
			if (!slash || (size_t)(slash - key) >= sizeof(addr) || !json_is_object(v)) {
				snprintf(why, n, "%s: '%s' is not CIDR -> object", geo_fixture[f], key);
				return -1;
			}
			memcpy(addr, key, slash - key);
			addr[slash - key] = '\0';
			x.plen = atoi(slash + 1) + (strchr(addr, ':') ? 0 : 96);
			if (ip_parse(addr, x.net) != 0 || x.plen > 128) {
				snprintf(why, n, "%s: bad CIDR '%s'", geo_fixture[f], key);
				return -1;
			}
			grown = realloc(fix, (n_fix + 1) * sizeof(*fix));
			if (!grown) {
				snprintf(why, n, "out of memory");
				return -1;
			}
			fix = grown;
			fix[n_fix++] = x;
		}
	}
	return 0;
}

static void free_fixtures(void)
{
	for (int f = 0; f < n_geo_fixture; f++)
		json_decref(fix_roots[f]);
	free(fix);
}

/* Set obj[key] to a copy of src[skey] unless obj has key (an earlier file won). */
static void take(json_t *obj, const char *key, json_t *src, const char *skey)
{
	json_t *v = json_object_get(src, skey);

	if (v && !json_object_get(obj, key) && !(json_is_string(v) && !json_string_value(v)[0]))
		json_object_set_new(obj, key, json_deep_copy(v));
}

/*
 * What destination.geo and destination.as must be for ip (NULL: absent).
 * Per fixture file the longest matching prefix; fields map to ECS the way
 * tools/mkmmdb.pl's city and asn layouts and geo_to_json() do, e.g. region
 * "BY" of country "DE" is region_iso_code "DE-BY".
 */
static void expect_geo(const uint8_t ip[16], json_t **geo, json_t **as)
{
	json_t *g = json_object(), *a = json_object(), *org = json_object();

	for (int f = 0; f < n_geo_fixture; f++) {
		const struct fixnet *best = NULL;
		json_t *src, *cc, *lat, *lon;

		for (size_t i = 0; i < n_fix; i++)
			if (fix[i].file == f && same_prefix(fix[i].net, ip, fix[i].plen) &&
			    (!best || fix[i].plen > best->plen))
				best = &fix[i];
		if (!best)
			continue;
		src = best->src;
		take(g, "country_iso_code", src, "country");
		take(g, "country_name", src, "country_name");
		take(g, "continent_name", src, "continent_name");
		take(g, "region_name", src, "region_name");
		take(g, "city_name", src, "city");
		cc = json_object_get(src, "country");
		if (json_is_string(cc) && json_is_string(json_object_get(src, "region")) &&
		    !json_object_get(g, "region_iso_code"))
			json_object_set_new(g, "region_iso_code", json_sprintf("%s-%s",
					    json_string_value(cc), jstr(src, "region")));
		lat = json_object_get(src, "lat");
		lon = json_object_get(src, "lon");
		if (json_is_number(lat) && json_is_number(lon) && !json_object_get(g, "location"))
			json_object_set_new(g, "location", json_pack("{s:f,s:f}",
					    "lat", json_number_value(lat), "lon", json_number_value(lon)));
		take(a, "number", src, "asn");
		take(org, "name", src, "as_org");
	}
	if (json_object_size(org) && json_object_size(a))
		json_object_set(a, "organization", org);
	json_decref(org);
	*geo = json_object_size(g) ? g : (json_decref(g), NULL);
	*as = json_object_size(a) ? a : (json_decref(a), NULL);
}

/* Equal JSON, with coordinates compared to a micro-degree (float text round trips). */
static int near(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;

	if (!a || !b)
		return a == b;
	if ((json_is_real(a) || json_is_real(b)) && json_is_number(a) && json_is_number(b)) {
		double d = json_number_value(a) - json_number_value(b);

		return d < 1e-6 && d > -1e-6;
	}
	if (json_is_object(a) && json_is_object(b)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach(a, k, v)
			if (!near(v, json_object_get(b, k)))
				return 0;
		return 1;
	}
	return json_equal(a, b);
}

static void dump_short(json_t *v, char *out, size_t n)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII) : NULL;

	snprintf(out, n, "%s", v ? (s ? s : "?") : "(absent)");
	free(s);
}

static int geo_ok(const struct run_case *c, const struct sent *s, json_t *j,
		  const struct output *o, char *why, size_t n)
{
	json_t *eg, *ea, *dst = jget(j, "destination");
	const char *what = NULL;
	json_t *exp = NULL, *got = NULL;
	char e[400], g[400];

	expect_geo(s->ip, &eg, &ea);
	if (!near(eg, json_object_get(dst, "geo")))
		what = "destination.geo", exp = eg, got = json_object_get(dst, "geo");
	else if (!near(ea, json_object_get(dst, "as")))
		what = "destination.as", exp = ea, got = json_object_get(dst, "as");
	if (what) {
		dump_short(exp, e, sizeof(e));
		dump_short(got, g, sizeof(g));
		snprintf(why, n, "expected %s=%s, got %s", what, e, g);
	}
	json_decref(eg);
	json_decref(ea);
	return !what;
}

/* Run one record check over every record of a case: one result line. */
static void check_records(const struct run_case *c, const struct output *o, const char *what,
			  rec_check fn)
{
	char name[96], why[1100] = "", w[900], d[160];
	int bad = 0;

	snprintf(name, sizeof(name), "%.64s/%s", c->name, what);
	if (c->failed) {
		report(0, name, "traffic did not run: %s", c->why);
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct sent *s = &c->s[i];
		int nrec = 0;

		for (size_t k = 0; k < o->n; k++) {
			if (!rec_matches(&o->r[k], s))
				continue;
			nrec++;
			if (!fn(c, s, o->r[k].j, o, w, sizeof(w)) && !bad++)
				snprintf(why, sizeof(why), "%s: %s", sent_desc(s, d, sizeof(d)), w);
		}
		if (!nrec && !bad++)
			snprintf(why, sizeof(why), "%s: no record to check", sent_desc(s, d, sizeof(d)));
	}
	report(!bad, name, "%d wrong; first: %s", bad, why);
}

/* The map swapped while drain-race sent: each destination spans drains. */
static void check_race(const struct run_case *c, const struct output *o)
{
	char d[160], name[96];

	snprintf(name, sizeof(name), "%.64s/drains", c->name);
	if (c->failed) {
		report(0, name, "traffic did not run: %s", c->why);
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		int nrec = 0;

		for (size_t k = 0; k < o->n; k++)
			nrec += rec_matches(&o->r[k], &c->s[i]);
		if (nrec < 2) {
			report(0, name, "%s: expected records from at least 2 drains (sent for %s s, "
			       "interval 1 s), got %d", sent_desc(&c->s[i], d, sizeof(d)),
			       race_seconds, nrec);
			return;
		}
	}
	report(1, name, NULL);
}

/* The namespace destinations must lie in at least three countries. */
static void check_countries(const struct run_case *cases, size_t n, const struct output *o)
{
	char seen[8][8], list[80] = "";
	int n_seen = 0;

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; cases[i].netns && k < o->n; k++) {
			int found = 0;
			const char *cc;

			if (o->r[k].pid != (int)cases[i].traffic_pid)
				continue;
			cc = jstr(o->r[k].j, "destination.geo.country_iso_code");
			for (int x = 0; x < n_seen; x++)
				found |= !strcmp(seen[x], cc);
			if (cc[0] && !found && n_seen < 8) {
				scopy(seen[n_seen++], sizeof(seen[0]), cc);
				snprintf(list + strlen(list), sizeof(list) - strlen(list), " %s", cc);
			}
		}
	}
	report(n_seen >= 3, "geo-countries", "expected netns destinations in at least 3 countries, "
	       "got %d:%s", n_seen, list);
}

/* ---- runs ------------------------------------------------------------------------ */

static void cleanup(void)
{
	if (live_agent && live_agent->pid > 0) {
		kill_wait(live_agent->pid);
		live_agent = NULL;
	}
	netns_down();
}

static int wanted(const char *name)
{
	return !only || !strcmp(only, name);
}

static void free_cases(struct run_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].s);
}

/* The main run: every case but fill, under one agent. */
static void main_run(void)
{
	struct run_case cases[N_CASES + N_NETNS_CASES + 1];
	char why[1024], out_path[600], pins[128];
	size_t n = 0;
	struct agent a;
	struct output o;
	int netns_ok = 0, any_netns = 0;

	for (size_t i = 0; i < N_NETNS_CASES; i++)
		any_netns |= wanted(netns_cases[i].name);
	if (!no_netns && any_netns) {
		netns_ok = netns_up(why, sizeof(why)) == 0;
		report(netns_ok, "netns-setup", "%s", why);
	}
	snprintf(out_path, sizeof(out_path), "%s/flows.json", tmpdir);
	snprintf(pins, sizeof(pins), "/sys/fs/bpf/exfild-itest-%d", (int)getpid());
	if (agent_start(&a, "main", out_path, pins, NULL, why, sizeof(why)) != 0) {
		report(0, "agent-start", "%s", why);
		remove_dir(pins, 1);
		return;
	}
	report(1, "agent-start", NULL);
	fprintf(stderr, "itest: %s\n", a.running);
	if (expect_tier) {
		char tier_want[64];

		snprintf(tier_want, sizeof(tier_want), "tier=%s", expect_tier);
		report(strstr(a.running, tier_want) != NULL, "tier", "expected '%s' in '%s'",
		       tier_want, a.running);
	}

	for (size_t i = 0; i < N_CASES && !g_stop; i++)
		if (wanted(cases_list[i]))
			traffic_case(&cases[n++], cases_list[i], cases_list[i], NULL, NULL);
	for (size_t i = 0; netns_ok && i < N_NETNS_CASES && !g_stop; i++) {
		const struct netns_case *k = &netns_cases[i];

		if (!wanted(k->name))
			continue;
		if (k->net == NET_V4B && nx.n_v4 < 2) {
			memset(&cases[n], 0, sizeof(cases[n]));
			scopy(cases[n].name, sizeof(cases[n].name), k->name);
			cases[n].failed = 1;
			snprintf(cases[n++].why, sizeof(cases[0].why),
				 "only one free documentation /24 on this host");
			continue;
		}
		traffic_case(&cases[n++], k->kase, k->name, k->net == NET_V6 ? nx.v6_peer :
			     nx.v4_peer[k->net == NET_V4B], nx.ns_path);
	}
	if (wanted(RACE_CASE) && !g_stop)
		traffic_case(&cases[n++], RACE_CASE, RACE_CASE, NULL, NULL);

	report(agent_stop(&a, why, sizeof(why)) == 0, "agent-exit", "%s", why);
	remove_dir(pins, 1);
	load_output(out_path, &o);
	if (o.missing)
		report(0, "output-json", "expected the output file %s, got none", out_path);
	else
		report(o.bad_lines == 0, "output-json", "expected only JSON lines in %s, got %zu bad",
		       out_path, o.bad_lines);
	fprintf(stderr, "itest: %zu flow records\n", o.n);
	for (size_t i = 0; i < n; i++) {
		const struct run_case *c = &cases[i];

		check_case(c, &o, !strcmp(c->name, "short") || !strcmp(c->name, "short-exec"));
		note_gone(c, &o);
		check_records(c, &o, "process", proc_ok);
		check_records(c, &o, "hash", hash_ok);
		check_records(c, &o, "user", user_ok);
		check_records(c, &o, "args", args_ok);
		if (n_geo_fixture)
			check_records(c, &o, "geo", geo_ok);
		if (!strcmp(c->kase, RACE_CASE))
			check_race(c, &o);
	}
	if (n_geo_fixture && netns_ok && !only)	/* needs every netns case */
		check_countries(cases, n, &o);
	free_output(&o);
	free_cases(cases, n);
	netns_down();
}

/* A second run with a tiny flow map: traffic must overflow it, and say so. */
static void fill_run(void)
{
	char why[1024], out_path[600], pins[128];
	struct run_case c;
	struct agent a;
	struct output o;
	long long sent = 0, got = 0;

	snprintf(out_path, sizeof(out_path), "%s/fill.json", tmpdir);
	snprintf(pins, sizeof(pins), "/sys/fs/bpf/exfild-itest-%d-fill", (int)getpid());
	if (agent_start(&a, "fill", out_path, pins, FILL_MAX_FLOWS, why, sizeof(why)) != 0) {
		report(0, "fill/agent-start", "%s", why);
		remove_dir(pins, 1);
		return;
	}
	report(1, "fill/agent-start", NULL);
	traffic_case(&c, "fill", "fill", NULL, NULL);
	report(agent_stop(&a, why, sizeof(why)) == 0, "fill/agent-exit", "%s", why);
	remove_dir(pins, 1);
	load_output(out_path, &o);

	if (c.failed) {
		report(0, "fill", "%s", c.why);
	} else {
		for (size_t i = 0; i < c.n; i++)
			sent += c.s[i].bytes;
		for (size_t i = 0; i < o.n; i++)
			if (o.r[i].pid == c.s[0].pid)
				got += o.r[i].bytes;
		report(got < sent, "fill", "expected fewer bytes recorded than the %lld sent "
		       "(map of %s flows), got %lld", sent, FILL_MAX_FLOWS, got);
	}
	report(o.loss_entries > 0 && o.loss_bytes > 0, "fill/loss",
	       "expected an exfild.loss record with entries > 0 and bytes > 0, got %d records, "
	       "entries=%lld bytes=%lld", o.loss_records, o.loss_entries, o.loss_bytes);
	free_output(&o);
	free(c.s);
}

static int make_tmpdir(void)
{
	const char *env = getenv("TMPDIR");
	const char *bases[] = { env && *env ? env : "/tmp", "/tmp", "/run", "/dev/shm" };

	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		snprintf(tmpdir, sizeof(tmpdir), "%s/exfild-itest.XXXXXX", bases[i]);
		if (mkdtemp(tmpdir))
			return 0;
	}
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: itest --exfild PATH --traffic PATH [--attach TIER] [--name PREFIX]\n"
			"             [--only CASE] [--no-netns] [--expect-tier T] [--race-seconds S]\n"
			"             [--geoip DB.mmdb --geo-fixture SRC.json]...\n"
			"--geo-fixture: the tools/mkmmdb.pl source of a --geoip database, in the\n"
			"same order (earlier files win, as in the agent)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };

	for (int i = 1; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(k, "--no-netns")) {
			no_netns = 1;
			continue;
		}
		if (!v)
			usage();
		if (!strcmp(k, "--exfild"))
			exfild_path = v;
		else if (!strcmp(k, "--traffic"))
			traffic_path = v;
		else if (!strcmp(k, "--attach"))
			tier = v;
		else if (!strcmp(k, "--name"))
			prefix = v;
		else if (!strcmp(k, "--only"))
			only = v;
		else if (!strcmp(k, "--expect-tier"))
			expect_tier = v;
		else if (!strcmp(k, "--race-seconds"))
			race_seconds = v;
		else if (!strcmp(k, "--geoip") && n_geoip < MAX_GEO)
			geoip[n_geoip++] = v;
		else if (!strcmp(k, "--geo-fixture") && n_geo_fixture < MAX_GEO)
			geo_fixture[n_geo_fixture++] = v;
		else
			usage();
		i++;
	}
	/* Geo checks need both: the databases and the sources they were built from. */
	if (!exfild_path || !traffic_path || !n_geoip != !n_geo_fixture)
		usage();
	if (!prefix)
		prefix = tier;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (make_tmpdir() != 0) {
		report(0, "setup", "cannot create a temp dir: %s", strerror(errno));
		return 1;
	}
	if (n_geo_fixture) {
		char why[512];

		if (load_fixtures(why, sizeof(why)) != 0) {
			report(0, "geo-fixture", "%s", why);
			return 1;
		}
	}
	want_setup();

	if (!only || strcmp(only, "fill") != 0)
		main_run();
	if (!g_stop && wanted("fill"))
		fill_run();
	cleanup();
	free_fixtures();
	if (g_stop)
		report(0, "interrupted", "a signal stopped the test");
	if (failures)
		fprintf(stderr, "itest: %d check(s) failed; agent output kept in %s\n", failures, tmpdir);
	else
		remove_dir(tmpdir, 0);
	return failures ? 1 : 0;
}
