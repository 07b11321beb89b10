/*
 * The sink set with file and stdout sinks: whole lines, written while the
 * records come (bounded memory), safe opening, rotation, a full disk, a
 * stalled reader, and counted drops.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"
#include "sink.h"
#define SINKTEST_LOOP
#include "sinktest.h"


static struct sinkset *open_set(const char *spec, unsigned kinds, const struct sink_config *c)
{
	struct sink_config def = { .host_name = "h" };
	struct sinkset *ss = sinkset_new(L, c ? c : &def);
	char err[512] = "";

	assert_non_null(ss);
	if (sinkset_add(ss, spec, kinds, err, sizeof(err)))
		fail_msg("sinkset_add %s: %s", spec, err);
	assert_int_equal(sinkset_start(ss, err, sizeof(err)), 0);
	return ss;
}

static void emit_flows(struct sinkset *ss, int from, int to, size_t pad)
{
	for (int i = from; i < to; i++) {
		json_t *r = rec_pad(i, pad);

		assert_int_equal(sinkset_emit(ss, REC_FLOW, r), 0);
		json_decref(r);
	}
}

/* path holds exactly records from..to-1, whole lines in order. */
static void check_file(const char *path, int from, int to)
{
	char *text = slurp(path, NULL);
	int n = to - from, *seqs = calloc((size_t)n + 1, sizeof(int));

	assert_non_null(text);
	assert_int_equal(parse_lines(text, seqs, n), n);
	for (int i = 0; i < n; i++)
		assert_int_equal(seqs[i], from + i);
	free(seqs);
	free(text);
}

static void test_specs(void **state)
{
	static const char *const good[] = {
		"stdout", "file:/var/log/x.json", "syslog+tcp://127.0.0.1:514",
		"syslog+tls://siem.example.org:6514", "syslog+udp://[2001:db8::1]:514",
		"syslog+unix:/dev/log",
	};
	static const struct { const char *spec, *msg; } bad[] = {
		{ "file:x.json", "output file:x.json: takes an absolute path" },
		{ "syslog", "output syslog: unknown sink (use stdout, file:/path, "
			    "syslog+tcp://host:port, syslog+tls://host:port, syslog+udp://host:port or "
			    "syslog+unix:/path)" },
		{ "syslog+tcp://127.0.0.1", "output syslog+tcp://127.0.0.1: needs host:port" },
		{ "syslog+tcp://h:65536", "output syslog+tcp://h:65536: the port is a number from 1 to 65535" },
		{ "syslog+tcp://h:x", "output syslog+tcp://h:x: the port is a number from 1 to 65535" },
		{ "syslog+tls://[::1:6514", "output syslog+tls://[::1:6514: an IPv6 address is written [addr]:port" },
		{ "syslog+unix:dev/log", "output syslog+unix:dev/log: takes an absolute path" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (sink_check_spec(good[i], err, sizeof(err)))
			fail_msg("%s refused: %s", good[i], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sink_check_spec(bad[i].spec, err, sizeof(err)), -1);
		assert_string_equal(err, bad[i].msg);
	}
}

static void test_file_lines_and_modes(void **state)
{
	const char *p = in_dir(0, "new/sub/flows.json");
	struct sinkset *ss = open_set(spec_of(p), REC_BIT(REC_FLOW), NULL);
	struct stat st;

	/* Created 0600 in directories created 0700, whatever the umask. */
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(in_dir(1, "new/sub"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(in_dir(1, "new"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	emit_flows(ss, 0, 500, 10);
	sinkset_kick(ss);
	check_file(p, 0, 500);
	assert_true(sinkset_idle(ss));
	assert_int_equal(sinkset_dropped(ss), 0);
	/* Loss records go where the kinds say; a flow-only sink takes none. */
	json_t *r = rec_pad(999, 1);
	assert_int_equal(sinkset_emit(ss, REC_LOSS, r), 0);
	json_decref(r);
	sinkset_free(ss);
	check_file(p, 0, 500);
}

/*
 * Issue 10, defect 1: records were queued for the whole drain (64 MiB) and
 * written at its end. Now they go out as they come: with a 1 MiB queue,
 * 16 MiB of records are written without a flush, none dropped.
 */
static void test_writes_while_draining(void **state)
{
	const char *p = in_dir(0, "drain.json");
	struct sink_config c = { .host_name = "h", .queue_max = 1u << 20 };
	struct sinkset *ss = open_set(spec_of(p), REC_BIT(REC_FLOW), &c);
	struct stat st;
	int n = 4000;

	emit_flows(ss, 0, n, 4096);	/* ~16 MiB, like 4,000 flows with 4 KB argv */
	assert_int_equal(stat(p, &st), 0);
	/* Before any flush, all but the last batch is on disk. */
	assert_true((uint64_t)st.st_size >= (uint64_t)n * 4096 - (256u << 10) - 4096 * 64);
	assert_int_equal(sinkset_dropped(ss), 0);
	sinkset_kick(ss);
	check_file(p, 0, n);
	sinkset_free(ss);
}

/* Issue 10, defect 2: the output path followed symlinks. */
static void test_refuses_unsafe_files(void **state)
{
	const char *secret = in_dir(0, "root-only"), *lnk = in_dir(1, "link.json");
	const char *dangling = in_dir(2, "dangling.json"), *target = in_dir(3, "elsewhere.json");
	struct sink_config c = { .host_name = "h" };
	struct sinkset *ss = sinkset_new(L, &c);
	char err[2048], want[2048];
	size_t len;
	int fd = open(secret, O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "secret\n", 7), 7);
	close(fd);
	assert_int_equal(symlink(secret, lnk), 0);
	assert_int_equal(sinkset_add(ss, spec_of(lnk), REC_BIT(REC_FLOW), err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "output file:%s: cannot open %s: it is a symbolic link (refused)",
		 lnk, lnk);
	assert_string_equal(err, want);
	char *text = slurp(secret, &len);
	assert_string_equal(text, "secret\n");
	free(text);

	/* A dangling link creates nothing where it points. */
	assert_int_equal(symlink(target, dangling), 0);
	assert_int_equal(sinkset_add(ss, spec_of(dangling), REC_BIT(REC_FLOW), err, sizeof(err)), -1);
	assert_int_equal(access(target, F_OK), -1);

	/* Writable by others, another owner, another hard link: refused. */
	const char *ww = in_dir(2, "ww.json"), *other = in_dir(3, "other.json");
	const char *hard = in_dir(4, "hard.json");
	assert_int_equal(close(open(ww, O_WRONLY | O_CREAT, 0600)), 0);
	assert_int_equal(chmod(ww, 0666), 0);
	assert_int_equal(sinkset_add(ss, spec_of(ww), REC_BIT(REC_FLOW), err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "output file:%s: refusing %s: writable by group or others", ww, ww);
	assert_string_equal(err, want);
	assert_int_equal(close(open(other, O_WRONLY | O_CREAT, 0600)), 0);
	assert_int_equal(chown(other, 65534, 65534), 0);
	assert_int_equal(sinkset_add(ss, spec_of(other), REC_BIT(REC_FLOW), err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "output file:%s: refusing %s: owned by another user", other, other);
	assert_string_equal(err, want);
	assert_int_equal(link(secret, hard), 0);
	assert_int_equal(sinkset_add(ss, spec_of(hard), REC_BIT(REC_FLOW), err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "output file:%s: refusing %s: it has other hard links", hard, hard);
	assert_string_equal(err, want);
	/* A directory others may write (not sticky): they could swap the file. */
	const char *open_dir = in_dir(2, "open"), *in_open = in_dir(3, "open/x.json");
	assert_int_equal(mkdir(open_dir, 0700), 0);
	assert_int_equal(chmod(open_dir, 0777), 0);
	assert_int_equal(sinkset_add(ss, spec_of(in_open), REC_BIT(REC_FLOW), err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "output file:%s: %s: the output directory is writable by "
		 "others (mode 0777): run chmod go-w %s", in_open, open_dir, open_dir);
	assert_string_equal(err, want);
	assert_int_equal(access(in_open, F_OK), -1);
	sinkset_free(ss);

	/* Re-checked on reopen: a link planted after rotation is refused, the old file kept. */
	const char *p = in_dir(2, "rot.json"), *old = in_dir(3, "rot.json.1");
	ss = open_set(spec_of(p), REC_BIT(REC_FLOW), NULL);
	emit_flows(ss, 0, 2, 1);
	sinkset_kick(ss);
	assert_int_equal(rename(p, old), 0);
	assert_int_equal(symlink(secret, p), 0);
	sinkset_reopen(ss);
	emit_flows(ss, 2, 4, 1);
	sinkset_kick(ss);
	check_file(old, 0, 4);
	text = slurp(secret, &len);
	assert_string_equal(text, "secret\n");
	free(text);
	sinkset_free(ss);
}

static void test_size_rotation(void **state)
{
	const char *p = in_dir(0, "r.json");
	struct sink_config c = { .host_name = "h", .rotate_size = 4000, .rotate_keep = 2 };
	struct sinkset *ss = open_set(spec_of(p), REC_BIT(REC_FLOW), &c);
	char name[340];
	int seqs[64], total = 0;
	size_t len;

	emit_flows(ss, 0, 100, 200);	/* ~250 bytes each: ~16 per file */
	sinkset_kick(ss);
	sinkset_free(ss);
	/* Newest in PATH, then PATH.1, PATH.2; PATH.3 never exists. */
	snprintf(name, sizeof(name), "%s.3", p);
	assert_int_equal(access(name, F_OK), -1);
	int last = 100;
	for (int k = 0; k <= 2; k++) {
		char *text;
		int n;

		snprintf(name, sizeof(name), k ? "%s.%d" : "%s", p, k);
		text = slurp(name, &len);
		assert_non_null(text);
		assert_true(len <= 4000);
		n = parse_lines(text, seqs, 64);
		assert_true(n > 0 && n < 64);
		/* Each file holds the records just before the newer one's. */
		for (int i = 0; i < n; i++)
			assert_int_equal(seqs[i], last - n + i);
		last -= n;
		total += n;
		free(text);
	}
	assert_true(total < 100);
}

/*
 * A reader that follows the file by inode and offset, as Filebeat's
 * filestream does: it reads what is new in the file it has open, and when
 * the path names another file (rotated), finishes the old one and starts
 * on the new. It consumes complete lines only.
 */
struct follower {
	const char *path;
	int fd;
	ino_t ino;
	char buf[1 << 16];
	size_t have;
	int next_seq, lines;
};

static void follow_read(struct follower *f)
{
	ssize_t r;

	while ((r = read(f->fd, f->buf + f->have, sizeof(f->buf) - 1 - f->have)) > 0) {
		char *start = f->buf, *nl;

		f->have += (size_t)r;
		f->buf[f->have] = 0;
		while ((nl = memchr(start, '\n', f->have - (size_t)(start - f->buf)))) {
			json_t *j = json_loadb(start, (size_t)(nl - start), 0, NULL);

			if (!j)
				fail_msg("follower: a line that is not a whole record: %.60s", start);
			/* Every record once, in order. */
			assert_int_equal(json_integer_value(json_object_get(j, "seq")), f->next_seq);
			f->next_seq++;
			f->lines++;
			json_decref(j);
			start = nl + 1;
		}
		f->have -= (size_t)(start - f->buf);
		memmove(f->buf, start, f->have);
	}
}

static void follow(struct follower *f)
{
	struct stat st;

	if (f->fd < 0) {
		f->fd = open(f->path, O_RDONLY);
		if (f->fd < 0)
			return;
		fstat(f->fd, &st);
		f->ino = st.st_ino;
	}
	follow_read(f);
	if (stat(f->path, &st) == 0 && st.st_ino != f->ino) {
		follow_read(f);	/* the rest of the rotated file */
		assert_int_equal(f->have, 0);	/* which ended with a whole line */
		close(f->fd);
		f->fd = -1;
		follow(f);
	}
}

static void test_rotation_follower_sees_each_record_once(void **state)
{
	const char *p = in_dir(0, "f.json");
	struct sink_config c = { .host_name = "h", .rotate_size = 3000, .rotate_keep = 50 };
	struct sinkset *ss = open_set(spec_of(p), REC_BIT(REC_FLOW), &c);
	struct follower *f = calloc(1, sizeof(*f));
	char name[340];

	f->path = p;
	f->fd = -1;
	/* Records of varied sizes; the reader looks after each write, as often
	 * as a rotation can happen (a reader slower than that would also have
	 * to scan PATH.1, as filestream's glob does). */
	for (int i = 0; i < 400; i++) {
		json_t *r = rec_pad(i, (size_t)(37 * i) % 700);

		assert_int_equal(sinkset_emit(ss, REC_FLOW, r), 0);
		json_decref(r);
		sinkset_kick(ss);
		follow(f);
	}
	sinkset_kick(ss);
	follow(f);
	assert_int_equal(f->lines, 400);
	assert_int_equal(f->have, 0);
	snprintf(name, sizeof(name), "%s.20", p);
	assert_int_equal(access(name, F_OK), 0);	/* it did rotate, many times */
	close(f->fd);
	free(f);
	sinkset_free(ss);
}

/* Alerts go through the spool (and a position per sink), unless no_spool. */
static void test_alerts_spooled_or_not(void **state)
{
	const char *p = in_dir(0, "alerts.json"), *st = in_dir(1, "state");
	const char *spool = in_dir(2, "state/alerts.spool"), *q = in_dir(3, "direct.json");
	const char *st2 = in_dir(4, "state2");
	struct sink_config c = { .host_name = "h", .state_dir = st };
	struct sinkset *ss = open_set(spec_of(p), SINK_OUTPUT_KINDS, &c);
	struct sinkset_pending pd;
	struct stat sb;
	json_t *r = rec_pad(7, 3);

	assert_int_equal(sinkset_emit(ss, REC_ALERT, r), 0);
	assert_true(sinkset_spooled(ss));
	sinkset_pending(ss, &pd);
	assert_int_equal(pd.alerts, 0);	/* a file accepts at once (after fdatasync) */
	assert_int_equal(stat(spool, &sb), 0);
	assert_int_equal(sb.st_size, 0);	/* emptied: every sink has it */
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(st, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	sinkset_free(ss);
	check_file(p, 7, 8);

	struct sink_config direct = { .host_name = "h", .state_dir = st2, .no_spool = true };
	ss = open_set(spec_of(q), SINK_OUTPUT_KINDS, &direct);
	assert_int_equal(sinkset_emit(ss, REC_ALERT, r), 0);
	assert_false(sinkset_spooled(ss));
	sinkset_kick(ss);
	assert_true(sinkset_idle(ss));
	sinkset_free(ss);
	check_file(q, 7, 8);
	assert_int_equal(access(st2, F_OK), -1);	/* no state dir, no spool */
	json_decref(r);
}

/* The last record of a drain must not wait for the next drain. */
static void test_kick_writes_the_rest(void **state)
{
	const char *p = in_dir(0, "k.json");
	struct sinkset *ss = open_set(spec_of(p), REC_BIT(REC_FLOW), NULL);

	emit_flows(ss, 0, 3, 1);
	sinkset_kick(ss);
	check_file(p, 0, 3);
	sinkset_free(ss);
}

/*
 * /dev/full: nothing can be written. Flow records past the queue bound
 * are dropped and counted; loss records have a reserve; what is left is
 * reported, not silently dropped (the exit path says so).
 */
static void test_full_device_counts(void **state)
{
	struct sink_config c = { .host_name = "h", .queue_max = 64u << 10 };
	struct sinkset *ss = open_set("file:/dev/full", REC_BIT(REC_FLOW) | REC_BIT(REC_LOSS), &c);
	struct sinkset_pending pd;
	char where[1024];
	int accepted = 0, i;

	for (i = 0; i < 1000; i++) {
		json_t *r = rec_pad(i, 1000);

		accepted += sinkset_emit(ss, REC_FLOW, r) == 0;
		json_decref(r);
	}
	assert_true(accepted > 40 && accepted < 70);
	assert_int_equal(sinkset_dropped(ss), (uint64_t)(1000 - accepted));
	json_t *r = rec_pad(-1, 10);
	assert_int_equal(sinkset_emit(ss, REC_LOSS, r), 0);
	json_decref(r);
	sinkset_pending(ss, &pd);
	assert_int_equal(pd.records, (uint64_t)accepted + 1);
	assert_false(sinkset_idle(ss));
	sinkset_describe(ss, where, sizeof(where));
	snprintf(where + 600, 100, "%llu", (unsigned long long)pd.records);
	if (!strstr(where, "file:/dev/full: ") || !strstr(where, "No space left on device"))
		fail_msg("describe: %s", where);
	sinkset_free(ss);
}

/* A tmpfs of 32 KiB at m, 24 KiB of it taken by filler; -1: cannot mount (skip). */
static int small_tmpfs(const char *m, const char *filler)
{
	char zero[24576] = { 0 };
	int fd;

	if (mkdir(m, 0700) || mount("tmpfs", m, "tmpfs", 0, "size=32k,mode=0700"))
		return -1;
	fd = open(filler, O_WRONLY | O_CREAT, 0600);
	if (fd < 0 || write(fd, zero, sizeof(zero)) != (ssize_t)sizeof(zero))
		return -1;
	return close(fd);
}

/*
 * Issue 10, defect 3: a full disk then rotation (mv + SIGHUP) split one
 * record across two files. Now the part that fit is cut back off: each
 * file holds whole lines only, and once space is freed every record is
 * written exactly once.
 */
static void test_full_disk_then_rotation(void **state)
{
	const char *m = in_dir(0, "tmpfs"), *p = in_dir(1, "tmpfs/out.json");
	const char *old = in_dir(2, "tmpfs/out.json.1"), *filler = in_dir(3, "tmpfs/filler");
	struct sinkset *ss;
	char *text;
	int seqs[64], n_old, n_new;
	size_t len;

	if (small_tmpfs(m, filler)) {
		umount2(m, MNT_DETACH);
		skip();
		return;
	}
	ss = open_set(spec_of(p), REC_BIT(REC_FLOW), NULL);
	emit_flows(ss, 0, 20, 900);	/* ~1 KB each: about 8 fit in the 8 KiB left */
	sinkset_kick(ss);
	assert_false(sinkset_idle(ss));
	text = slurp(p, &len);
	n_old = parse_lines(text, seqs, 64);	/* -1 on a partial tail */
	free(text);
	assert_true(n_old >= 5 && n_old <= 8);
	for (int i = 0; i < n_old; i++)
		assert_int_equal(seqs[i], i);
	/* logrotate: mv, SIGHUP; the disk is still full. */
	assert_int_equal(rename(p, old), 0);
	sinkset_reopen(ss);
	sinkset_kick(ss);
	/* Room again. The sink retries on its own timer: wait until it has written. */
	assert_int_equal(unlink(filler), 0);
	int64_t end = clock_ns(CLOCK_MONOTONIC) + 10 * NS_PER_SEC;
	while (!sinkset_idle(ss) && clock_ns(CLOCK_MONOTONIC) < end)
		loop_run_once(L, 1000);
	assert_true(sinkset_idle(ss));
	text = slurp(old, &len);
	assert_int_equal(parse_lines(text, seqs, 64), n_old);
	free(text);
	text = slurp(p, &len);
	n_new = parse_lines(text, seqs, 64);
	free(text);
	assert_int_equal(n_old + n_new, 20);
	for (int i = 0; i < n_new; i++)
		assert_int_equal(seqs[i], n_old + i);
	sinkset_free(ss);
	assert_int_equal(umount2(m, MNT_DETACH), 0);
}

static void on_alarm(int sig)
{
	static const char msg[] = "not ok - the sink blocked on a stalled reader\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

/*
 * Issue 7, defect 1: a stalled reader froze the agent. stdout is a pipe
 * nobody reads: emitting never blocks, what does not fit is dropped and
 * counted, and what was written is whole lines.
 */
static void test_stalled_pipe_never_blocks(void **state)
{
	struct sink_config c = { .host_name = "h", .queue_max = 256u << 10 };
	int pfd[2], saved;
	struct sinkset *ss;
	char *buf = malloc(1 << 20);
	ssize_t got = 0, r;

	assert_int_equal(pipe(pfd), 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(pfd[1], STDOUT_FILENO);
	close(pfd[1]);
	signal(SIGALRM, on_alarm);
	alarm(20);
	ss = open_set("stdout", REC_BIT(REC_FLOW), &c);
	for (int i = 0; i < 2000; i++) {
		json_t *rr = rec_pad(i, 1000);

		sinkset_emit(ss, REC_FLOW, rr);
		json_decref(rr);
	}
	sinkset_kick(ss);
	alarm(0);
	uint64_t dropped = sinkset_dropped(ss);
	/* 2 MB offered, 64 KiB pipe + 256 KiB queue: most dropped, and counted. */
	assert_true(dropped > 1000 && dropped < 2000);
	/* The reader wakes up: what was queued comes out, whole lines in order. */
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	int64_t end = clock_ns(CLOCK_MONOTONIC) + 10 * NS_PER_SEC;
	do {
		while ((r = read(pfd[0], buf + got, (size_t)((1 << 20) - 1 - got))) > 0)
			got += r;
		loop_run_once(L, 10);
	} while (!sinkset_idle(ss) && clock_ns(CLOCK_MONOTONIC) < end);
	while ((r = read(pfd[0], buf + got, (size_t)((1 << 20) - 1 - got))) > 0)
		got += r;
	assert_true(sinkset_idle(ss));
	sinkset_free(ss);	/* gives fd 1 back blocking */
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(pfd[0]);
	buf[got] = 0;
	static int seqs[2000];
	int n = parse_lines(buf, seqs, 2000);
	assert_int_equal(n, 2000 - (int)dropped);
	for (int i = 0; i < n; i++)
		assert_int_equal(seqs[i], i);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_file_lines_and_modes),
		cmocka_unit_test(test_writes_while_draining),
		cmocka_unit_test(test_refuses_unsafe_files),
		cmocka_unit_test(test_size_rotation),
		cmocka_unit_test(test_rotation_follower_sees_each_record_once),
		cmocka_unit_test(test_kick_writes_the_rest),
		cmocka_unit_test(test_alerts_spooled_or_not),
		cmocka_unit_test(test_full_device_counts),
		cmocka_unit_test(test_full_disk_then_rotation),
		cmocka_unit_test(test_stalled_pipe_never_blocks),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("sink", tests, setup, teardown);
}
