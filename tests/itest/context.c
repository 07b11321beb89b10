// SPDX-License-Identifier: GPL-2.0-only
/* itest: the sending process's context in each record (see main.c). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"

/* What the process fields must say: from the traffic binary and this host. */
struct process_want want;

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

/* The name /etc/passwd (or /etc/group) gives id, or "" (parsed here: static NSS is unreliable). */
static void id_name(const char *file, unsigned id, char *out, size_t n)
{
	char line[1024];
	FILE *f = fopen(file, "r");

	out[0] = '\0';
	while (f && !out[0] && fgets(line, sizeof(line), f)) {
		char *save = NULL, *name = strtok_r(line, ":", &save);
		char *pw = name ? strtok_r(NULL, ":", &save) : NULL;
		char *num = pw ? strtok_r(NULL, ":", &save) : NULL;

		if (num && strtoul(num, NULL, 10) == id && *num >= '0' && *num <= '9')
			scopy(out, n, name);
	}
	if (f)
		fclose(f);
}

/* As the README defines executable_writable_by_others: file or directory. */
static int writable_by_others(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;

	scopy(dir, sizeof(dir), path);
	if (stat(path, &st) != 0 || (st.st_mode & 022) || st.st_uid != 0)
		return 1;
	return stat(dirname(dir), &st) != 0 || (st.st_mode & 022) || st.st_uid != 0;
}

/* Fill `want`: what every traffic record's process and user fields must say. */
void want_setup(void)
{
	ssize_t k = readlink("/proc/self/exe", want.self_exe, sizeof(want.self_exe) - 1);
	FILE *f = fopen("/proc/self/comm", "r");

	want.self_exe[k > 0 ? k : 0] = '\0';
	if (!f || !fgets(want.self_name, sizeof(want.self_name), f))
		want.self_name[0] = '\0';
	want.self_name[strcspn(want.self_name, "\n")] = '\0';
	if (f)
		fclose(f);
	want.self_start = proc_start_ticks(getpid());
	want.cgroup_id = cgroup_id_self();
	if (!getcwd(want.cwd, sizeof(want.cwd)))
		want.cwd[0] = '\0';
	snprintf(want.uid, sizeof(want.uid), "%u", (unsigned)getuid());
	snprintf(want.gid, sizeof(want.gid), "%u", (unsigned)getgid());
	id_name("/etc/passwd", getuid(), want.user, sizeof(want.user));
	id_name("/etc/group", getgid(), want.group, sizeof(want.group));
	if (!realpath(traffic_path, want.exe)) {
		snprintf(want.why, sizeof(want.why), "realpath %s: %s", traffic_path, strerror(errno));
		scopy(want.exe, sizeof(want.exe), traffic_path);
		return;
	}
	want.exe_writable = writable_by_others(want.exe);
	if (sha256_file(want.exe, want.sha256, want.why, sizeof(want.why)) != 0)
		want.sha256[0] = '\0';
	fprintf(stderr, "itest: traffic is %s, sha256 %s, uid %s (%s), gid %s, cgroup id %lld, cwd %s\n",
		want.exe, want.sha256[0] ? want.sha256 : want.why, want.uid,
		want.user[0] ? want.user : "not in /etc/passwd", want.gid, want.cgroup_id, want.cwd);
}

int str_is(json_t *j, const char *path, const char *exp, char *why, size_t n)
{
	json_t *v = jget(j, path);

	if (json_is_string(v) && !strcmp(json_string_value(v), exp))
		return 1;
	snprintf(why, n, "expected %s=%s, got %s", path, exp,
		 json_is_string(v) ? json_string_value(v) : v ? "(not a string)" : "(absent)");
	return 0;
}

int int_is(json_t *j, const char *path, long long exp, char *why, size_t n)
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

int absent(json_t *j, const char *path, char *why, size_t n)
{
	if (!jget(j, path))
		return 1;
	snprintf(why, n, "expected no %s (context_source %s), got one", path,
		 jstr(j, "exfild.process.context_source"));
	return 0;
}

static int bool_is(json_t *j, const char *path, int exp, char *why, size_t n)
{
	json_t *v = jget(j, path);

	if (json_is_boolean(v) && json_is_true(v) == exp)
		return 1;
	snprintf(why, n, "expected %s=%s, got %s", path, exp ? "true" : "false",
		 json_is_boolean(v) ? (json_is_true(v) ? "true" : "false") : "(absent or not a boolean)");
	return 0;
}

/* A start time in ticks as the record prints it, to a tick (10 ms) and a clock read. */
static int start_is(json_t *j, const char *path, long long ticks, char *why, size_t n)
{
	long long got = iso_ms(jstr(j, path)), exp = start_ms_of(ticks);

	if (ticks >= 0 && got >= 0 && got >= exp - 11 && got <= exp + 11)
		return 1;
	snprintf(why, n, "expected %s at %lld ms (start tick %lld), got '%s' (%lld)", path, exp,
		 ticks, jstr(j, path), got);
	return 0;
}

static int eid_is(json_t *j, const char *path, int pid, long long ticks, char *why, size_t n)
{
	char eid[33];

	entity_id_of(pid, ticks, eid);
	return str_is(j, path, eid, why, n);
}

/*
 * What a record's context must be, by where it came from. The sender is
 * traffic itself, or a child of it (short: forked, short-exec: exec'd):
 *   exec, lookup  /proc read while it ran: everything, exactly;
 *   exit_event    short's child, never exec'd, seen at its exit: what its
 *                 parent (traffic, recorded alive first) had: executable,
 *                 hash, argv, file facts; no working_directory;
 *   event         traffic itself, gone before the agent read /proc (a
 *                 loaded machine): what the exec event carries: no hash
 *                 (skipped, process_gone), no file facts; argv and the
 *                 directory only if /proc still had them (a zombie), exactly.
 *   exec, lookup with hash_status skipped (open_failed or process_gone) and
 *                 exited: the process exited while the agent read /proc
 *                 (after the exe link, before the hash could open it): the
 *                 executable exactly, no hash; what came after may be absent.
 * short and short-exec wait until the agent recorded them alive (--wait-go),
 * so for them the first two are the only ones allowed.
 */
enum ctx { CTX_FULL, CTX_PARENT, CTX_EVENT, CTX_RACED, CTX_BAD };

static int raced(json_t *j)
{
	const char *why = jstr(j, "exfild.process.hash_reason");

	return !strcmp(jstr(j, "exfild.process.hash_status"), "skipped") &&
	       (!strcmp(why, "open_failed") || !strcmp(why, "process_gone")) &&
	       json_is_true(jget(j, "exfild.process.exited"));
}

static enum ctx ctx_of(const struct run_case *c, const struct sent *s, json_t *j)
{
	const char *src = jstr(j, "exfild.process.context_source");
	int child = s->pid != c->traffic_pid, forked = child && !strcmp(c->kase, "short");

	if (!strcmp(src, "exec") && !forked)
		return raced(j) && !c->child ? CTX_RACED : CTX_FULL;
	if (!strcmp(src, "lookup") && forked)
		return CTX_FULL;
	if (!strcmp(src, "exit_event") && forked)
		return CTX_PARENT;
	if (!strcmp(src, "event") && !child)
		return CTX_EVENT;
	return CTX_BAD;
}

static const char *ctx_allowed(const struct run_case *c, const struct sent *s)
{
	if (s->pid == c->traffic_pid)
		return "exec or event";
	return !strcmp(c->kase, "short") ? "lookup or exit_event" : "exec";
}

/* pid, parent, name, executable, start times, entity ids, directory, file facts. */
int proc_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n)
{
	int child = s->pid != c->traffic_pid;
	char tname[16];
	enum ctx x = ctx_of(c, s, j);

	if (child && !c->child) {
		snprintf(why, n, "expected the sender to be traffic itself (pid %d), got pid %d",
			 (int)c->traffic_pid, s->pid);
		return 0;
	}
	if (x == CTX_BAD) {
		snprintf(why, n, "expected exfild.process.context_source %s, got '%s'",
			 ctx_allowed(c, s), jstr(j, "exfild.process.context_source"));
		return 0;
	}
	scopy(tname, sizeof(tname), strrchr(want.exe, '/') ? strrchr(want.exe, '/') + 1 : want.exe);
	if (!int_is(j, "process.pid", s->pid, why, n) ||
	    !str_is(j, "process.name", s->comm, why, n) ||
	    !str_is(j, "process.executable", want.exe, why, n) ||
	    !start_is(j, "process.start", s->start, why, n) ||
	    !eid_is(j, "process.entity_id", s->pid, s->start, why, n) ||
	    !int_is(j, "process.parent.pid", child ? c->traffic_pid : getpid(), why, n) ||
	    !str_is(j, "process.parent.name", child ? tname : want.self_name, why, n) ||
	    !str_is(j, "process.parent.executable", child ? want.exe : want.self_exe, why, n) ||
	    !start_is(j, "process.parent.start", child ? c->start : want.self_start, why, n) ||
	    !eid_is(j, "process.parent.entity_id", child ? c->traffic_pid : getpid(),
		    child ? c->start : want.self_start, why, n))
		return 0;
	if ((x == CTX_RACED || x == CTX_EVENT) && !jget(j, "process.working_directory"))
		;	/* gone before /proc was read */
	else if (x == CTX_FULL || x == CTX_RACED || x == CTX_EVENT) {
		if (!str_is(j, "process.working_directory", want.cwd, why, n))
			return 0;
	} else if (!absent(j, "process.working_directory", why, n)) {
		return 0;
	}
	if (x == CTX_EVENT || (x == CTX_RACED && !jget(j, "exfild.process.executable_deleted")))
		return absent(j, "exfild.process.executable_deleted", why, n);
	return bool_is(j, "exfild.process.executable_deleted", 0, why, n) &&
	       bool_is(j, "exfild.process.fileless", 0, why, n) &&
	       bool_is(j, "exfild.process.executable_writable_by_others", want.exe_writable, why, n);
}

/* Per context: the executable's exact hash, or exactly why there is none. */
int hash_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n)
{
	const char *st = jstr(j, "exfild.process.hash_status");
	enum ctx x = ctx_of(c, s, j);

	if (x == CTX_BAD)
		return proc_ok(c, s, j, o, why, n);
	if (x == CTX_EVENT)
		return str_is(j, "exfild.process.hash_status", "skipped", why, n) &&
		       str_is(j, "exfild.process.hash_reason", "process_gone", why, n) &&
		       absent(j, "process.hash", why, n);
	if (x == CTX_RACED)
		return absent(j, "process.hash", why, n);
	/* Before the warm-up saw "ok", the hashing budget may still be busy elsewhere. */
	if (c->warmup && !strcmp(st, "pending"))
		return absent(j, "process.hash", why, n) && absent(j, "exfild.process.hash_reason", why, n);
	if (!want.sha256[0]) {
		snprintf(why, n, "cannot check process.hash.sha256: %s", want.why);
		return 0;
	}
	return str_is(j, "exfild.process.hash_status", "ok", why, n) &&
	       absent(j, "exfild.process.hash_reason", why, n) &&
	       str_is(j, "process.hash.sha256", want.sha256, why, n);
}

/*
 * user.id is the uid of the flow's first send; user.name names it only when
 * that is the process's own uid. group.* are the process's.
 */
int user_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n)
{
	char uid[24];

	snprintf(uid, sizeof(uid), "%lld", s->uid);
	if (s->uid >= 0 && strcmp(uid, want.uid) != 0)
		return str_is(j, "user.id", uid, why, n) && absent(j, "user.name", why, n) &&
		       str_is(j, "group.id", want.gid, why, n);
	return str_is(j, "user.id", want.uid, why, n) &&
	       (!want.user[0] || str_is(j, "user.name", want.user, why, n)) &&
	       str_is(j, "group.id", want.gid, why, n) &&
	       (!want.group[0] || str_is(j, "group.name", want.group, why, n));
}

/* process.args exactly the argv the sender ran with; command_line the same joined by spaces. */
int args_ok(const struct run_case *c, const struct sent *s, json_t *j,
	    const struct output *o, char *why, size_t n)
{
	const char *exp = s->argv ? s->argv : c->argv;
	json_t *args = jget(j, "process.args");
	char line[4400], got[4400] = "";
	size_t i;
	json_t *v;

	if (ctx_of(c, s, j) == CTX_BAD)
		return proc_ok(c, s, j, o, why, n);
	if ((ctx_of(c, s, j) == CTX_RACED || ctx_of(c, s, j) == CTX_EVENT) && !args)
		return absent(j, "process.command_line", why, n);	/* gone before /proc was read */
	json_array_foreach(args, i, v)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "," : "",
			 json_is_string(v) ? json_string_value(v) : "(not a string)");
	if (!json_is_array(args) || strcmp(got, exp) != 0) {
		snprintf(why, n, "expected process.args=[%s], got [%s]", exp,
			 json_is_array(args) ? got : "(absent)");
		return 0;
	}
	scopy(line, sizeof(line), exp);
	for (char *p = line; *p; p++)
		if (*p == ',')
			*p = ' ';
	return str_is(j, "process.command_line", line, why, n);
}

/* Where each case's contexts came from (stderr, for the person reading the log). */
void note_sources(const struct run_case *c, const struct output *o)
{
	char list[256] = "";
	const char *seen[8];
	int count[8] = { 0 }, n_seen = 0;

	for (size_t i = 0; i < c->n; i++)
		for (size_t k = 0; k < o->n; k++) {
			const char *src;
			int x;

			if (!rec_matches(&o->r[k], &c->s[i]))
				continue;
			src = jstr(o->r[k].j, "exfild.process.context_source");
			for (x = 0; x < n_seen && strcmp(seen[x], src); x++)
				;
			if (x == n_seen && n_seen < 8)
				seen[n_seen++] = src;
			if (x < 8)
				count[x]++;
		}
	for (int x = 0; x < n_seen; x++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), " %s=%d", seen[x], count[x]);
	fprintf(stderr, "itest: %s: context sources:%s\n", c->name, list);
}
