#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "sink.h"

/* What a sink may hold back while its destination refuses writes. */
#define QUEUE_MAX (64u << 20)

struct sink {
	int fd;
	char *path;		/* NULL for stdout */
	char *buf;		/* queued lines, each ending in '\n' */
	size_t len, cap;
	uint64_t dropped;
	int failing;		/* last flush failed: say so once */
};

int sink_check_spec(const char *spec, char *err, size_t errlen)
{
	if (!strcmp(spec, "stdout"))
		return 0;
	if (!strncmp(spec, "file:", 5) && spec[5] == '/')
		return 0;
	if (!strncmp(spec, "file:", 5))
		snprintf(err, errlen, "output %s: file sinks take an absolute path (file:/path)", spec);
	else
		snprintf(err, errlen, "output %s: unknown sink (use stdout or file:/path)", spec);
	return -1;
}

static int open_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

struct sink *sink_open(const char *spec, char *err, size_t errlen)
{
	struct sink *s;

	if (sink_check_spec(spec, err, errlen))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = STDOUT_FILENO;
	if (!strncmp(spec, "file:", 5)) {
		s->path = strdup(spec + 5);
		s->fd = s->path ? open_file(s->path) : -1;
		if (s->fd < 0) {
			snprintf(err, errlen, "cannot open output file %s: %s", spec + 5,
				 strerror(errno));
			free(s->path);
			free(s);
			return NULL;
		}
	}
	return s;
}

static int queue(struct sink *s, const char *line, size_t n)
{
	if (s->len + n + 1 > QUEUE_MAX) {
		s->dropped++;
		return -1;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 65536;
		char *nb;

		while (cap < s->len + n + 1)
			cap *= 2;
		nb = realloc(s->buf, cap);
		if (!nb) {
			s->dropped++;
			return -1;
		}
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, line, n);
	s->buf[s->len + n] = '\n';
	s->len += n + 1;
	return 0;
}

int sink_write(struct sink *s, const json_t *rec)
{
	char *line = json_line(rec);
	int r;

	if (!line) {
		s->dropped++;
		return -1;
	}
	r = queue(s, line, strlen(line));
	free(line);
	return r;
}

int sink_flush(struct sink *s)
{
	size_t off = 0;

	if (s->len == 0)
		return 0;
	while (off < s->len) {
		ssize_t w = write(s->fd, s->buf + off, s->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!s->failing)
				log_err("writing %s: %s; keeping %zu bytes of records queued",
					s->path ? s->path : "stdout", w < 0 ? strerror(errno) : "short write",
					s->len - off);
			s->failing = 1;
			break;
		}
		off += (size_t)w;
	}
	memmove(s->buf, s->buf + off, s->len - off);
	s->len -= off;
	if (s->len == 0 && s->failing) {
		log_info("writing %s works again; queued records are out",
			 s->path ? s->path : "stdout");
		s->failing = 0;
	}
	return s->len ? -1 : 0;
}

int sink_reopen(struct sink *s)
{
	int fd;

	if (!s->path)
		return 0;
	fd = open_file(s->path);
	if (fd < 0) {
		log_err("reopening %s: %s; still writing to the old file", s->path, strerror(errno));
		return -1;
	}
	close(s->fd);
	s->fd = fd;
	return 0;
}

uint64_t sink_dropped(const struct sink *s)
{
	return s->dropped;
}

void sink_close(struct sink *s)
{
	if (!s)
		return;
	sink_flush(s);
	if (s->path)
		close(s->fd);
	free(s->path);
	free(s->buf);
	free(s);
}
