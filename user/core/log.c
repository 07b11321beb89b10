#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"

static enum log_level cur_level = LOG_INFO;

void log_set_level(enum log_level lvl) { cur_level = lvl; }
enum log_level log_get_level(void) { return cur_level; }

/* "exfild: TAG" + the message + "\n" into buf, or a new allocation if it does not fit. */
__attribute__((format(printf, 5, 0)))
static char *format_line(char *buf, size_t size, size_t *len, const char *tag,
			 const char *fmt, va_list ap)
{
	va_list again;
	int head = snprintf(buf, size, "exfild: %s", tag), body;
	char *line = buf;

	if (head < 0 || (size_t)head >= size)
		return NULL;
	va_copy(again, ap);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): ap is the caller's, started */
	body = vsnprintf(buf + head, size - (size_t)head, fmt, ap);
	if (body >= 0 && (size_t)head + (size_t)body + 1 >= size) {
		/* Longer than the buffer: no message is ever cut. */
		line = malloc((size_t)head + (size_t)body + 2);
		if (line) {
			snprintf(line, (size_t)head + 1, "%s", buf);
			vsnprintf(line + head, (size_t)body + 1, fmt, again);
		}
	}
	va_end(again);
	if (!line || body < 0) {
		if (line && line != buf)
			free(line);
		return NULL;
	}
	line[head + body] = '\n';
	*len = (size_t)head + (size_t)body + 1;
	return line;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	char buf[1024], *line;
	size_t len = 0;
	va_list ap;

	if (lvl > cur_level)
		return;
	va_start(ap, fmt);
	line = format_line(buf, sizeof(buf), &len, tag[lvl], fmt, ap);
	va_end(ap);
	if (!line) {
		/* Out of memory for a long line: still say it, in pieces. */
		va_start(ap, fmt);
		fprintf(stderr, "exfild: %s", tag[lvl]);
		vfprintf(stderr, fmt, ap);	/* NOLINT(clang-analyzer-valist.Uninitialized): va_start above */
		fputc('\n', stderr);
		va_end(ap);
		return;
	}
	/* One write per line, so lines from different threads never interleave. */
	(void)fd_write_all(STDERR_FILENO, line, len);
	if (line != buf)
		free(line);
}
