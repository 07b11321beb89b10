#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static enum log_level cur_level = LOG_INFO;

void log_set_level(enum log_level lvl) { cur_level = lvl; }
enum log_level log_get_level(void) { return cur_level; }

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	va_list ap;

	if (lvl > cur_level)
		return;
	/* One write per line so lines from the drain thread never interleave. */
	char line[1024];
	int n = snprintf(line, sizeof(line), "exfild: %s", tag[lvl]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
