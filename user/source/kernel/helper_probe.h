/*
 * Does the kernel let a program type call a helper? libbpf 1.1's
 * libbpf_probe_bpf_helper() knows only the verifier's older wording
 * ("unknown func") and answers yes to Linux 6.12's "program of this type
 * cannot use helper", so exfild asks itself.
 */
#ifndef EXFILD_HELPER_PROBE_H
#define EXFILD_HELPER_PROBE_H

#include <stdbool.h>

#include <linux/bpf.h>

bool helper_available(enum bpf_prog_type type, enum bpf_attach_type attach, int helper);

/* The verifier's verdict on a call to a helper it does not offer. Exposed
 * for the unit test. */
bool helper_refused_in_log(const char *log);

#endif
