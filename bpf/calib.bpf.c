// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Empty programs on the hooks exfild uses, for `make bench`: what
 * bpf_stats reports for them is the cost of running any program there
 * (and of timing it), which exfild's own figures are compared against.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sock_send_length")
int BPF_PROG(calib_send_length, struct sock *sk, int ret, int flags)
{
	return 0;
}

SEC("cgroup/sendmsg4")
int calib_sendmsg4(struct bpf_sock_addr *ctx)
{
	return 1;
}
