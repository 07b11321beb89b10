/* user/source/kernel/helper_probe.c: reading the verifier's verdict. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "helper_probe.h"

static void test_refusals(void **state)
{
	(void)state;
	/* Linux 6.12, cgroup/sendmsg4 calling bpf_task_storage_get */
	assert_true(helper_refused_in_log("0: (85) call bpf_task_storage_get#156\n"
					  "program of this type cannot use helper "
					  "bpf_task_storage_get#156\nprocessed 1 insns\n"));
	/* older wording, and an id the kernel does not know */
	assert_true(helper_refused_in_log("0: (85) call unknown#156\nunknown func bpf_task_storage_get#156\n"));
	assert_true(helper_refused_in_log("invalid func unknown#250\n"));
}

/* Offered, but the probe's arguments are wrong: the helper is there. */
static void test_offered(void **state)
{
	(void)state;
	assert_false(helper_refused_in_log("0: (85) call bpf_task_storage_get#156\n"
					   "R1 type=ctx expected=map_ptr\nprocessed 1 insns\n"));
	assert_false(helper_refused_in_log(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_offered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
