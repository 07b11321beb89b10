/* Replay input files: zlib line reading and per-format dispatch. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "ndjson_flow.h"
#include "replay_file.h"
#include "zeek_json.h"
#include "zeek_tsv.h"

/* A longer line is malformed (and skipped to its end): no real record
 * comes close, and it bounds what one line can make us hold. */
#define LINE_MAX_BYTES (1 << 20)
#define READ_CHUNK (256 << 10)
/* Malformed lines named one by one; the rest only counted. */
#define REPORT_LINES 10

struct replay_file {
	char *name;
	gzFile gz;
	const struct localnets *ln;
	enum replay_format fmt;
	struct zeek_tsv tsv;
	char *buf;		/* read buffer: [pos, end) not yet consumed */
	size_t pos, end, cap;
	bool eof;
	char *line;		/* the current line (into buf) */
	size_t line_len;
	bool overlong;		/* the current line was longer than LINE_MAX_BYTES */
	bool pending;		/* line holds the sniffed first line, not yet parsed */
	struct replay_rec queued;	/* second observation of a Zeek line */
	bool has_queued;
	struct replay_file_stats st;
};

/* Next line into f->line; 1, 0 at EOF, -1 on a read error. */
static int read_line(struct replay_file *f, char *err, size_t errlen)
{
	bool overlong = false;

	for (;;) {
		char *nl = memchr(f->buf + f->pos, '\n', f->end - f->pos);

		if (nl || (f->eof && f->pos < f->end)) {
			size_t n = nl ? (size_t)(nl - (f->buf + f->pos)) : f->end - f->pos;

			f->line = f->buf + f->pos;
			f->line_len = n;
			f->pos += n + (nl ? 1 : 0);
			f->st.lines++;
			if (n && f->line[n - 1] == '\r')
				f->line_len--;
			f->overlong = overlong;	/* line holds only its tail */
			return 1;
		}
		if (f->eof)
			return 0;
		if (f->end - f->pos >= LINE_MAX_BYTES) {
			/* Drop what we have of an overlong line, keep looking for its end. */
			overlong = true;
			f->pos = f->end;
		}
		memmove(f->buf, f->buf + f->pos, f->end - f->pos);
		f->end -= f->pos;
		f->pos = 0;
		int n = gzread(f->gz, f->buf + f->end, (unsigned)(f->cap - f->end));
		if (n < 0) {
			int zerr;
			const char *msg = gzerror(f->gz, &zerr);

			snprintf(err, errlen, "%s: read error after line %llu: %s", f->name,
				 (unsigned long long)f->st.lines,
				 zerr == Z_ERRNO ? strerror(errno) : msg);
			return -1;
		}
		if (n == 0) {
			int zerr;
			const char *msg = gzerror(f->gz, &zerr);

			/* zlib says Z_BUF_ERROR when a gzip stream ends early. */
			if (zerr != Z_OK && zerr != Z_STREAM_END) {
				snprintf(err, errlen, "%s: gzip data corrupt or truncated after line %llu: %s",
					 f->name, (unsigned long long)f->st.lines, msg);
				return -1;
			}
			f->eof = true;
		}
		f->end += (size_t)n;
	}
}

static void malformed(struct replay_file *f, const char *why)
{
	if (!f->st.malformed)
		f->st.first_malformed_line = f->st.lines;
	f->st.malformed++;
	if (f->st.malformed <= REPORT_LINES)
		log_warn("%s:%llu: %s, skipped", f->name, (unsigned long long)f->st.lines, why);
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

static int parse_line(struct replay_file *f, struct replay_rec *out, char *err, size_t errlen);

struct replay_file *replay_file_open(const char *path, const struct localnets *ln, char *err,
				     size_t errlen)
{
	struct replay_file *f = calloc(1, sizeof(*f));
	int fd, rc;

	if (!f || !(f->buf = malloc(READ_CHUNK + LINE_MAX_BYTES)) || !(f->name = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	f->cap = READ_CHUNK + LINE_MAX_BYTES;
	f->ln = ln;
	zeek_tsv_init(&f->tsv);
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	f->gz = gzdopen(fd, "rb");
	if (!f->gz) {
		close(fd);
		snprintf(err, errlen, "%s: cannot read (zlib)", path);
		goto fail;
	}
	gzbuffer(f->gz, 128 << 10);
	while ((rc = read_line(f, err, errlen)) == 1 && !f->overlong && blank(f->line, f->line_len))
		;
	if (rc < 0)
		goto fail;
	f->st.gzip = !gzdirect(f->gz);
	if (rc == 0) {
		f->fmt = RF_EXFILD;	/* empty: nothing to read, not an error */
		return f;
	}
	char why[256];
	if (f->overlong) {
		snprintf(err, errlen, "%s: the first line is longer than 1 MiB: not a replay input", path);
		goto fail;
	}
	f->fmt = replay_sniff(f->line, f->line_len, why, sizeof(why));
	if (f->fmt == RF_UNKNOWN) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	f->pending = true;
	/* A TSV file says what log it is in its header: judge it now, so
	 * that a dns.log is one error at open, not a failure mid-replay. */
	while (f->fmt == RF_ZEEK_TSV && f->pending && f->line_len && f->line[0] == '#') {
		if (parse_line(f, NULL, err, errlen) < 0)
			goto fail;
		f->pending = false;
		if ((rc = read_line(f, err, errlen)) < 0)
			goto fail;
		f->pending = rc == 1;
	}
	return f;
fail:
	replay_file_close(f);
	return NULL;
}

/* Parse f->line; 1 with *out, 0 nothing from this line, -1 fatal (err). */
static int parse_line(struct replay_file *f, struct replay_rec *out, char *err, size_t errlen)
{
	struct zeek_conn c;
	struct replay_rec two[2];
	char why[256];
	int rc, n;

	if (f->overlong) {
		malformed(f, "line longer than 1 MiB");
		return 0;
	}
	if (blank(f->line, f->line_len))
		return 0;
	switch (f->fmt) {
	case RF_EXFILD:
		rc = ndjson_flow_line(f->line, f->line_len, out);
		if (rc == PARSE_MALFORMED)
			malformed(f, "malformed exfild flow record");
		else if (rc == PARSE_SKIP)
			f->st.skipped++;
		return rc == PARSE_OK;
	case RF_ZEEK_TSV:
		if (f->line[0] == '#') {
			rc = zeek_tsv_header(&f->tsv, f->line, f->line_len, why, sizeof(why));
			if (rc == PARSE_WRONG_KIND) {
				snprintf(err, errlen, "%s:%llu: %s", f->name,
					 (unsigned long long)f->st.lines, why);
				return -1;
			}
			if (rc == PARSE_MALFORMED)
				malformed(f, "malformed Zeek header line");
			return 0;
		}
		rc = zeek_tsv_line(&f->tsv, f->line, f->line_len, &c);
		break;
	default:
		rc = zeek_json_line(f->line, f->line_len, &c);
		break;
	}
	if (rc != PARSE_OK) {
		malformed(f, f->fmt == RF_ZEEK_TSV ? "malformed Zeek conn.log line"
						   : "malformed Zeek conn.log JSON line");
		return 0;
	}
	n = zeek_conn_obs(&c, f->ln, two);
	if (n == 0)
		f->st.skipped++;
	if (n >= 1)
		replay_rec_copy(out, &two[0]);
	if (n == 2) {
		replay_rec_copy(&f->queued, &two[1]);
		f->has_queued = true;
	}
	return n > 0;
}

int replay_file_next(struct replay_file *f, struct replay_rec *out, char *err, size_t errlen)
{
	if (f->has_queued) {
		f->has_queued = false;
		replay_rec_copy(out, &f->queued);
		f->st.records++;
		return 1;
	}
	for (;;) {
		int rc;

		if (f->pending) {
			f->pending = false;
		} else {
			rc = read_line(f, err, errlen);
			if (rc <= 0)
				return rc;
		}
		rc = parse_line(f, out, err, errlen);
		if (rc < 0)
			return -1;
		if (rc) {
			f->st.records++;
			return 1;
		}
	}
}

enum replay_format replay_file_format(const struct replay_file *f)
{
	return f->fmt;
}

const char *replay_file_name(const struct replay_file *f)
{
	return f->name;
}

void replay_file_get_stats(const struct replay_file *f, struct replay_file_stats *st)
{
	*st = f->st;
}

void replay_file_close(struct replay_file *f)
{
	if (!f)
		return;
	if (f->st.malformed)
		log_warn("%s: %llu malformed line%s skipped (first at line %llu)", f->name,
			 (unsigned long long)f->st.malformed, f->st.malformed == 1 ? "" : "s",
			 (unsigned long long)f->st.first_malformed_line);
	if (f->gz)
		gzclose(f->gz);
	free(f->buf);
	free(f->name);
	free(f);
}
