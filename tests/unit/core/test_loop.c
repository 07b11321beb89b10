/* core/loop.c: descriptors, interest changes, removal inside a round, timers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/epoll.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"

struct seen {
	int calls;
	uint32_t last_events;
	struct loop *l;
	int del_fd;		/* removed by the callback, or -1 */
};

static void on_fd(void *arg, int fd, uint32_t events)
{
	struct seen *s = arg;
	char buf[16];

	s->calls++;
	s->last_events = events;
	if (events & EPOLLIN)
		(void)read(fd, buf, sizeof(buf));
	if (s->del_fd >= 0)
		loop_del(s->l, s->del_fd);
}

static void test_readable_and_writable(void **state)
{
	struct loop *l = loop_new();
	struct seen s = { .l = l, .del_fd = -1 };
	int p[2];

	assert_non_null(l);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_add(l, p[0], EPOLLIN, on_fd, &s), 0);
	/* Nothing to read: the wait times out with no callback. */
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(s.calls, 1);
	assert_true(s.last_events & EPOLLIN);
	/* Interest in output only while something is queued. */
	struct seen w = { .l = l, .del_fd = -1 };
	assert_int_equal(loop_add(l, p[1], 0, on_fd, &w), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(loop_set(l, p[1], EPOLLOUT), 0);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_true(w.last_events & EPOLLOUT);
	assert_int_equal(loop_set(l, 12345, EPOLLOUT), -1);
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

/* A callback that removes another ready descriptor: that one is not called. */
static void test_remove_within_round(void **state)
{
	struct loop *l = loop_new();
	int a[2], b[2];
	struct seen sa = { .l = l }, sb = { .l = l };

	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	sa.del_fd = b[0];
	sb.del_fd = a[0];
	assert_int_equal(loop_add(l, a[0], EPOLLIN, on_fd, &sa), 0);
	assert_int_equal(loop_add(l, b[0], EPOLLIN, on_fd, &sb), 0);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(sa.calls + sb.calls, 1);
	loop_free(l);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
}

static int order[4], norder;

static void on_timer(void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
}

static void test_timers(void **state)
{
	struct loop *l = loop_new();
	struct loop_timer t1 = { 0 }, t2 = { 0 }, t3 = { 0 };
	int64_t now = clock_ns(CLOCK_MONOTONIC);

	norder = 0;
	/* Armed out of order, fired soonest first; a cancelled one never. */
	loop_timer_set(l, &t2, now + 2000000, on_timer, (void *)2);
	loop_timer_set(l, &t1, now + 1000000, on_timer, (void *)1);
	loop_timer_set(l, &t3, now + 3000000, on_timer, (void *)3);
	loop_timer_cancel(l, &t3);
	assert_false(t3.armed);
	while (norder < 2)
		assert_true(loop_run_once(l, -1) >= 0);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_false(t1.armed || t2.armed);
	/* Re-arming moves a timer instead of adding it twice. */
	loop_timer_set(l, &t1, now, on_timer, (void *)4);
	loop_timer_set(l, &t1, now, on_timer, (void *)4);
	assert_int_equal(loop_run_once(l, -1), 1);
	assert_int_equal(norder, 3);
	assert_int_equal(order[2], 4);
	/* No timer, no descriptor: a bounded wait returns 0. */
	assert_int_equal(loop_run_once(l, 1), 0);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readable_and_writable),
		cmocka_unit_test(test_remove_within_round),
		cmocka_unit_test(test_timers),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
