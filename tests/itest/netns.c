// SPDX-License-Identifier: GPL-2.0-only
/* itest: the network namespace the netns cases send into (see main.c). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"

/* The netns fixture: names and addresses picked at run time. */
struct netns_fixture nx;

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

void netns_down(void)
{
	if (!nx.up)
		goto unlock;
	/* Deleting one end of a veth pair deletes both. */
	if (ip_cmd("link", "del", nx.host_if, NULL) != 0)
		fprintf(stderr, "itest: could not delete %s\n", nx.host_if);
	if (ip_cmd("netns", "del", nx.ns, NULL) != 0)
		fprintf(stderr, "itest: could not delete netns %s\n", nx.ns);
	nx.up = 0;
unlock:
	if (nx.lock_fd > 0) {	/* the hosts are gone: others may pick now */
		close(nx.lock_fd);
		nx.lock_fd = 0;
	}
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

int netns_up(char *why, size_t n)
{
	char h4[2][48], p4[2][48], h6[80], p6[80];
	int pid = getpid();

	/*
	 * Runs side by side on one machine would pick the same free subnets:
	 * hold the lock tests/netns-lock.sh names while the hosts exist.
	 */
	nx.lock_fd = open("/run/lock/exfild-test-netns.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (nx.lock_fd >= 0)
		(void)flock(nx.lock_fd, LOCK_EX);
	/* A subnet held for a moment (an interface going away) frees itself. */
	for (int tries = 0; pick_subnets() != 0; tries++) {
		if (tries == 100) {
			snprintf(why, n, "no free documentation subnet on this host (192.0.2/24, "
				 "198.51.100/24, 203.0.113/24 and 2001:db8:1-9::/64 all in use)");
			return -1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
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
