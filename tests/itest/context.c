// SPDX-License-Identifier: GPL-2.0-only
/* itest: the sending process's context in each record (see main.c). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
void want_setup(void)
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
int proc_ok(const struct run_case *c, const struct sent *s, json_t *j,
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

void note_gone(const struct run_case *c, const struct output *o)
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
int hash_ok(const struct run_case *c, const struct sent *s, json_t *j,
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

int user_ok(const struct run_case *c, const struct sent *s, json_t *j,
		   const struct output *o, char *why, size_t n)
{
	return str_is(j, "user.id", want.uid, why, n) &&
	       (!want.user[0] || str_is(j, "user.name", want.user, why, n));
}

int args_ok(const struct run_case *c, const struct sent *s, json_t *j,
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
