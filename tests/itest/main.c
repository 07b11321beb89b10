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
 *
 * Files: main.c options and results; runs.c the agent runs and their
 * cases; agent.c starts and stops the agent; traffic_run.c runs traffic
 * and reads what it sent; netns.c the namespace fixture (addresses from
 * addr.c); output.c reads the agent's records; checks.c, context.c and
 * geoexpect.c compare them with what was sent (ident.c computes entity ids,
 * start times and the cgroup id as the kernel gives them); watch.c waits
 * for the agent's records while it runs; process.c child processes.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest.h"

const char *exfild_path, *traffic_path, *tier = "auto", *prefix, *only, *expect_tier;
const char *race_seconds = "30";	/* drain-race's upper bound */
char running_tier[32];
const char *geoip[MAX_GEO], *geo_fixture[MAX_GEO];
int n_geoip, n_geo_fixture;
int no_netns;
char tmpdir[512];
volatile sig_atomic_t g_stop;
int failures;

static void on_signal(int sig)
{
	g_stop = 1;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Bounded string copy that always terminates. */
void scopy(char *dst, size_t n, const char *src)
{
	size_t k = strnlen(src, n - 1);

	memcpy(dst, src, k);
	dst[k] = '\0';
}

void report(int ok, const char *check, const char *fmt, ...)
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

/* A check that cannot be decided here: TAP's skip (CI counts it as a failure). */
void report_skip(const char *check, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("ok %s/%s # SKIP %s\n", prefix, check, why);
	fflush(stdout);
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
			"             [--only CASE] [--no-netns] [--expect-tier T] [--race-seconds MAX]\n"
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
