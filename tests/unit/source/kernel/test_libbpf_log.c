/* user/source/kernel/libbpf_log.c: the reason a refused program gives. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "libbpf_log.h"

/* What Linux 6.12 says about cg_sendmsg4 with task storage (shortened). */
static const char log_612[] =
	"; int cg_sendmsg4(struct bpf_sock_addr *ctx) @ exfild.bpf.c:560\n"
	"0: (85) call bpf_get_current_task_btf#158     ; R0_w=trusted_ptr_task_struct()\n"
	"7: (85) call bpf_task_storage_get#156\n"
	"program of this type cannot use helper bpf_task_storage_get#156\n"
	"processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n";

static void test_reason_not_stats(void **state)
{
	char out[256];

	(void)state;
	verifier_tail(log_612, out, sizeof(out));
	assert_string_equal(out, "7: (85) call bpf_task_storage_get#156 | "
			    "program of this type cannot use helper bpf_task_storage_get#156");
}

static void test_stats_only_and_empty(void **state)
{
	char out[64] = "x";

	(void)state;
	verifier_tail("processed 7 insns (limit 1000000)\nverification time 12 usec\n\n",
		      out, sizeof(out));
	assert_string_equal(out, "");
	verifier_tail("", out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_one_line_no_newline(void **state)
{
	char out[64];

	(void)state;
	verifier_tail("R1 type=scalar expected=fp", out, sizeof(out));
	assert_string_equal(out, "R1 type=scalar expected=fp");
}

/* A long reason is cut to the buffer, never overrun. */
static void test_bounded(void **state)
{
	char out[16];

	(void)state;
	memset(out, 'x', sizeof(out));
	verifier_tail("0123456789012345678901234567890\n", out, sizeof(out));
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_memory_equal(out, "012345678901234", sizeof(out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_not_stats),
		cmocka_unit_test(test_stats_only_and_empty),
		cmocka_unit_test(test_one_line_no_newline),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
