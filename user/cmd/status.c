/*
 * exfild status: ask the running agent how it is doing, over its control
 * socket. Exit 0 with the status, 3 when no agent answers (as systemctl
 * status does for a stopped unit), 1 on other errors.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "cmd.h"
#include "ctl.h"
#include "log.h"

#define STATUS_TIMEOUT_MS 15000
#define STATUS_MAX_ANSWER (1u << 20)

/* Connect, send the request, read the answer to EOF. NULL: see *no_agent. */
static char *ask(const char *path, const char *req, int *no_agent)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *buf = NULL;
	size_t len = 0;
	int64_t deadline = clock_ns(CLOCK_MONOTONIC) + STATUS_TIMEOUT_MS * 1000000LL;
	int fd;

	*no_agent = 0;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("control socket path too long: %s", path);
		return NULL;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		*no_agent = errno == ENOENT || errno == ECONNREFUSED;
		if (!*no_agent)
			log_err("cannot reach the agent at %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		goto fail;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = (deadline - clock_ns(CLOCK_MONOTONIC)) / 1000000;
		char *nb;
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			log_err("the agent at %s did not answer within %d s", path,
				STATUS_TIMEOUT_MS / 1000);
			goto fail;
		}
		nb = realloc(buf, len + 65536 + 1);
		if (!nb)
			goto fail;
		buf = nb;
		r = recv(fd, buf + len, 65536, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > STATUS_MAX_ANSWER)
			goto fail;
	}
	close(fd);
	if (!buf)
		return NULL;
	buf[len] = 0;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static const char *str(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(b ? json_object_get(o, a) : o, b ? b : a);

	return json_is_string(v) ? json_string_value(v) : "-";
}

static long long num(json_t *o, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(o, a), b));
}

static void print_table(json_t *st)
{
	json_t *dbs = json_object_get(json_object_get(st, "geo"), "databases");
	size_t i;
	json_t *db;

	printf("exfild %s, pid %lld, up %lld s\n", str(st, "version", NULL),
	       (long long)json_integer_value(json_object_get(st, "pid")),
	       (long long)json_integer_value(json_object_get(st, "uptime_s")));
	printf("  %-22s %s\n", "attach tier", str(st, "attach", "tier"));
	printf("  %-22s %s\n", "pinned under", str(st, "attach", "pin_dir"));
	printf("  %-22s every %lld s, %lld so far, last %s took %.1f ms, %lld flows\n", "drain",
	       num(st, "drain", "interval_s"), num(st, "drain", "count"), str(st, "drain", "last"),
	       json_real_value(json_object_get(json_object_get(st, "drain"), "last_duration_ms")),
	       num(st, "drain", "last_flows"));
	printf("  %-22s %lld entries, last fill %.1f%%\n", "accounting maps",
	       num(st, "maps", "max_flows"),
	       100 * json_real_value(json_object_get(json_object_get(st, "maps"), "last_fill")));
	printf("  %-22s %lld bytes in %lld sends (map full), %lld events (ring buffer), "
	       "%lld records (output)\n", "lost since start", num(st, "loss", "bytes"),
	       num(st, "loss", "entries"), num(st, "loss", "events"), num(st, "loss", "records"));
	printf("  %-22s %lld flow records\n", "written", num(st, "records", "flows"));
	printf("  %-22s %lld processes (%lld exited), %lld hashes pending\n", "process context",
	       num(st, "process", "entries"), num(st, "process", "exited"),
	       num(st, "process", "hash_pending"));
	json_array_foreach(dbs, i, db)
		printf("  %-22s %s (%s, built %s)\n", i ? "" : "geo databases", str(db, "path", NULL),
		       str(db, "type", NULL), str(db, "build_date", NULL));
	if (!json_array_size(dbs))
		printf("  %-22s none\n", "geo databases");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: exfild status [--json] [--control PATH]\n"
		   "Ask the running agent how it is doing (default socket %s).\n"
		   "Exit status 3: no agent is running.\n", CTL_DEFAULT_PATH);
}

int cmd_status(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "control", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = CTL_DEFAULT_PATH;
	int as_json = 0, no_agent, c;
	json_t *st;
	char *answer;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = 1; break;
		case 'c': path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		log_err("status takes no arguments (try: exfild status --help)");
		return 2;
	}
	answer = ask(path, "status\n", &no_agent);
	if (!answer) {
		if (no_agent)
			log_err("no agent is running (nothing answers on %s)", path);
		return no_agent ? 3 : 1;
	}
	st = json_loads(answer, 0, NULL);
	if (!st) {
		log_err("the agent's answer is not JSON");
		free(answer);
		return 1;
	}
	if (as_json)
		fputs(answer, stdout);
	else
		print_table(st);
	json_decref(st);
	free(answer);
	return 0;
}
