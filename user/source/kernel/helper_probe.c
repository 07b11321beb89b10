/*
 * The probe loads "call HELPER; exit". Its arguments are not valid, so the
 * load fails either way; what tells the cases apart is the verifier's
 * first complaint, which for a helper the program type may not call
 * comes before any check of the arguments.
 */
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "helper_probe.h"

bool helper_refused_in_log(const char *log)
{
	return strstr(log, "cannot use helper") ||	/* 6.x */
	       strstr(log, "unknown func") ||		/* older kernels */
	       strstr(log, "invalid func");		/* an id the kernel predates */
}

bool helper_available(enum bpf_prog_type type, enum bpf_attach_type attach, int helper)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = helper },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = attach,
		    .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	int fd = bpf_prog_load(type, NULL, "GPL", insns, 2, &o);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	return !helper_refused_in_log(log);
}
