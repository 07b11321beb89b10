/*
 * libbpf's print callback. libbpf reports a refused program in several
 * messages: "prog 'X': BPF program load failed: Invalid argument", then
 * the verifier log (tens of KB on a long program), then "failed to load".
 * The errno alone does not tell a user why, so the log's last lines are
 * kept too.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "libbpf_log.h"
#include "log.h"

#define LOG_BEGIN "-- BEGIN PROG LOAD LOG --"
#define LOG_END "-- END PROG LOAD LOG --"

static char first[256];		/* libbpf's first warning since the reset */
static char kernel_why[512];	/* "prog 'X': reason" of the first refused program */

/* Statistics the verifier prints after every run, refused or not. */
static bool is_stats_line(const char *l, size_t n)
{
	static const char *const prefixes[] = { "processed ", "verification time",
						"stack depth", "func#" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);

		if (n >= pl && !strncmp(l, prefixes[i], pl))
			return true;
	}
	return false;
}

void verifier_tail(const char *log, char *out, size_t outlen)
{
	const char *line[VERIFIER_TAIL_LINES];
	size_t len[VERIFIER_TAIL_LINES];
	int got = 0;
	const char *end = log + strlen(log);

	if (outlen)
		out[0] = 0;
	/* Walk backwards line by line, keeping the last reason lines. */
	while (end > log && got < VERIFIER_TAIL_LINES) {
		const char *e = end, *b;

		while (e > log && (e[-1] == '\n' || e[-1] == ' '))
			e--;
		b = e;
		while (b > log && b[-1] != '\n')
			b--;
		end = b;
		if (e > b && !is_stats_line(b, (size_t)(e - b))) {
			line[got] = b;
			len[got] = (size_t)(e - b);
			got++;
		}
	}
	for (int i = got - 1; i >= 0; i--) {
		size_t used = strlen(out);

		snprintf(out + used, outlen - used, "%s%.*s", used ? " | " : "",
			 (int)len[i], line[i]);
	}
}

/* "prog 'NAME': -- BEGIN PROG LOAD LOG --\nBODY-- END PROG LOAD LOG --" */
static void keep_verifier_log(const char *msg)
{
	const char *begin = strstr(msg, LOG_BEGIN), *end, *name = strstr(msg, "prog '");
	char *body, tail[400];

	if (!begin || kernel_why[0])
		return;
	begin += strlen(LOG_BEGIN);
	end = strstr(begin, LOG_END);
	body = strndup(begin, end ? (size_t)(end - begin) : strlen(begin));
	if (!body)
		return;
	verifier_tail(body, tail, sizeof(tail));
	free(body);
	if (name && name < begin)
		snprintf(kernel_why, sizeof(kernel_why), "%.*s %s",
			 (int)strcspn(name, ":") + 1, name, tail[0] ? tail : "(empty log)");
	else
		snprintf(kernel_why, sizeof(kernel_why), "%s", tail[0] ? tail : "(empty log)");
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg;
	int n = vasprintf(&msg, fmt, ap);

	if (n < 0)
		return 0;
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = 0;
	if (level <= LIBBPF_WARN) {
		if (strstr(msg, LOG_BEGIN)) {
			keep_verifier_log(msg);
		} else if (!first[0]) {
			/* libbpf prefixes its lines with "libbpf: " already. */
			const char *m = strncmp(msg, "libbpf: ", 8) ? msg : msg + 8;

			snprintf(first, sizeof(first), "%.*s", (int)strcspn(m, "\n"), m);
		}
	}
	if (log_get_level() >= LOG_DEBUG)
		fprintf(stderr, "%s\n", msg);
	free(msg);
	return 0;
}

void libbpf_log_install(void)
{
	libbpf_set_print(libbpf_print);
}

void libbpf_log_reset(void)
{
	first[0] = 0;
	kernel_why[0] = 0;
}

void libbpf_log_explain(char *out, size_t outlen)
{
	snprintf(out, outlen, "%s%s%s%s%s", first[0] ? " (libbpf: " : "", first,
		 first[0] ? ")" : "", kernel_why[0] ? "; kernel: " : "", kernel_why);
}
