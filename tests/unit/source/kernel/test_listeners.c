/* user/source/kernel/listeners.c: reading listening ports from /proc/net/tcp*. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "listeners.h"

static void test_listening(void **state)
{
	(void)state;
	/* sshd on 0.0.0.0:22, and an IPv6 listener on [::1]:8443 */
	assert_int_equal(listen_port_of_line("   0: 00000000:0016 00000000:0000 0A 00000000:00000000 "
					     "00:00000000 00000000     0        0 17424 1"), 22);
	assert_int_equal(listen_port_of_line("   3: 00000000000000000000000001000000:20FB "
					     "00000000000000000000000000000000:0000 0A 00000000:00000000 "
					     "00:00000000 00000000     0        0 99 1"), 8443);
}

static void test_not_listening(void **state)
{
	(void)state;
	/* an established connection (01) and a TIME_WAIT (06) */
	assert_int_equal(listen_port_of_line("   1: 0100007F:A2C4 0100007F:1F90 01 00000000:00000000 "
					     "00:00000000 00000000     0        0 1 1"), -1);
	assert_int_equal(listen_port_of_line("   2: 0100007F:A2C6 0100007F:1F90 06 00000000:00000000"), -1);
	/* the header line, and garbage */
	assert_int_equal(listen_port_of_line("  sl  local_address rem_address   st tx_queue rx_queue"), -1);
	assert_int_equal(listen_port_of_line(""), -1);
	/* Fields that are not whole hex numbers, or out of range. */
	assert_int_equal(listen_port_of_line("   0: 00000000:0x16 00000000:0000 0A 0"), -1);
	assert_int_equal(listen_port_of_line("   0: 00000000:10016 00000000:0000 0A 0"), -1);
	assert_int_equal(listen_port_of_line("   0: 00000000:-016 00000000:0000 0A 0"), -1);
	assert_int_equal(listen_port_of_line("   0: 00000000:0016 00000000:0000 0AZ 0"), -1);
	assert_int_equal(listen_port_of_line("   0 00000000:0016 00000000:0000 0A 0"), -1);
	assert_int_equal(listen_port_of_line("   0: 00000000:0016"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listening),
		cmocka_unit_test(test_not_listening),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
