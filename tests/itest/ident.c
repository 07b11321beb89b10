// SPDX-License-Identifier: GPL-2.0-only
/*
 * itest: what the kernel says about a process and our cgroup, computed the
 * way the README defines the record fields (see main.c): entity ids are 32
 * hex digits of sha256(boot id, pid, start time in clock ticks), start
 * times are boot time plus the start ticks.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"

/* Field 22 of /proc/PID/stat; -1 if it cannot be read. */
long long proc_start_ticks(int pid)
{
	char path[64], b[1024], *p;
	unsigned long long v;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(b, 1, sizeof(b) - 1, f);
	fclose(f);
	b[n] = '\0';
	p = strrchr(b, ')');	/* comm may hold spaces */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p && sscanf(p + 1, "%llu", &v) == 1 ? (long long)v : -1;
}

static const char *boot_id(void)
{
	static char id[64];
	FILE *f;

	if (!id[0] && (f = fopen("/proc/sys/kernel/random/boot_id", "r"))) {
		if (!fgets(id, sizeof(id), f))
			id[0] = '\0';
		id[strcspn(id, "\n")] = '\0';
		fclose(f);
	}
	return id;
}

void entity_id_of(int pid, long long ticks, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char in[128];
	int n = snprintf(in, sizeof(in), "%s:%d:%lld", boot_id(), pid, ticks);

	out[0] = '\0';
	if (!EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
		return;
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static long long clock_us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Wall-clock ms of a start time in ticks. */
long long start_ms_of(long long ticks)
{
	long tck = sysconf(_SC_CLK_TCK);

	long long off = 0, gap = -1;

	/* The tightest of several boottime/realtime/boottime brackets, as the
	 * agent reads it: two plain reads are off by any preemption between. */
	for (int i = 0; i < 16; i++) {
		long long b1 = clock_us(CLOCK_BOOTTIME), r = clock_us(CLOCK_REALTIME);
		long long b2 = clock_us(CLOCK_BOOTTIME);

		if (gap < 0 || b2 - b1 < gap) {
			gap = b2 - b1;
			off = r - (b1 + gap / 2);
		}
	}
	return (off + ticks * 1000000 / (tck > 0 ? tck : 100)) / 1000;
}

/* Where cgroup2 is mounted; 0, or -1 when it is not. */
int cgroup2_dir(char *out, size_t n)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	out[0] = '\0';
	/* mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS... - FSTYPE SRC OPTS */
	while (f && !out[0] && fgets(line, sizeof(line), f)) {
		char mp[1024], *dash = strstr(line, " - cgroup2 ");

		if (dash && sscanf(line, "%*s %*s %*s %*s %1023s", mp) == 1)
			scopy(out, n, mp);
	}
	if (f)
		fclose(f);
	return out[0] ? 0 : -1;
}

/* The cgroup v2 id (inode of the cgroup directory) this process is in; -1 unknown. */
long long cgroup_id_self(void)
{
	char line[4096], mnt[1024] = "", path[5200];
	struct stat st;
	FILE *f;

	cgroup2_dir(mnt, sizeof(mnt));
	f = fopen("/proc/self/cgroup", "r");
	path[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "0::", 3))
			snprintf(path, sizeof(path), "%s%s", mnt, line + 3);
	}
	if (f)
		fclose(f);
	if (!mnt[0] || !path[0] || stat(path, &st) != 0)
		return -1;
	return (long long)st.st_ino;
}

/* "2026-11-28T01:33:07.597Z" -> ms since the epoch; -1 if malformed. */
long long iso_ms(const char *s)
{
	struct tm tm;
	int ms;
	char z;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &z) != 8 || z != 'Z' || strlen(s) != 24)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm) * 1000 + ms;
}

/* Before 6.5, sendfile() and splice() to TCP reach tcp_sendpage() once per page piece. */
int sendpage_kernel(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major < 6 || (major == 6 && minor < 5);
}
