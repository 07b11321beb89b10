/* ctl/ctl.c: one request line, one answer line, served from the loop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "loop.h"

static char dir[48], path[96];

static char *answer(void *arg, const char *req)
{
	int *asked = arg;

	(*asked)++;
	return strcmp(req, "status") ? NULL : strdup("{\"ok\":true}");
}

static int client(const char *req, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, req, len, 0), (ssize_t)len);
	return fd;
}

/* Run the loop until the agent side closes fd; what it said, in buf. */
static size_t serve_until_closed(struct loop *l, int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (int rounds = 0; rounds < 1000; rounds++) {
		ssize_t r;

		assert_true(loop_run_once(l, 100) >= 0);
		r = recv(fd, buf + n, cap - 1 - n, MSG_DONTWAIT);
		if (r == 0)
			break;
		if (r > 0)
			n += (size_t)r;
	}
	buf[n] = 0;
	close(fd);
	return n;
}

static void test_requests(void **state)
{
	struct loop *l = loop_new();
	char err[256], buf[4096];
	int asked = 0, fd;
	struct ctl *c;
	struct stat st;

	snprintf(dir, sizeof(dir), "/tmp/exfild-ctl-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/ctl.sock", dir);
	c = ctl_open(l, path, answer, &asked, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	fd = client("status\n", 7);
	serve_until_closed(l, fd, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":true}\n");
	/* A request ended by the client's shutdown instead of a newline. */
	fd = client("status", 6);
	shutdown(fd, SHUT_WR);
	serve_until_closed(l, fd, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":true}\n");
	fd = client("reboot\n", 7);
	serve_until_closed(l, fd, buf, sizeof(buf));
	assert_non_null(strstr(buf, "unknown request"));
	assert_int_equal(asked, 3);
	/* No request is 300 bytes long: the client is dropped unanswered. */
	memset(buf, 'x', 300);
	fd = client(buf, 300);
	assert_int_equal(serve_until_closed(l, fd, buf, sizeof(buf)), 0);
	assert_int_equal(asked, 3);

	/* A second server on a live socket is refused; the first still serves. */
	assert_null(ctl_open(l, path, answer, &asked, err, sizeof(err)));
	assert_non_null(strstr(err, "served by another agent"));
	fd = client("status\n", 7);
	serve_until_closed(l, fd, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":true}\n");

	ctl_close(c);
	assert_int_equal(access(path, F_OK), -1);
	/* A stale socket (its server gone) is replaced. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(s);
	}
	c = ctl_open(l, path, answer, &asked, err, sizeof(err));
	assert_non_null(c);
	ctl_close(c);
	/* A path too long for a unix socket says so. */
	memset(buf, 'a', 200);
	buf[0] = '/';
	buf[200] = 0;
	assert_null(ctl_open(l, buf, answer, &asked, err, sizeof(err)));
	assert_non_null(strstr(err, "path longer than"));
	loop_free(l);
	snprintf(buf, sizeof(buf), "%s/sub", dir);
	rmdir(buf);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("ctl", tests, NULL, NULL);
}
