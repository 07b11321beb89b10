/*
 * Privilege in phases: everything that needs power (loading, attaching,
 * pinning, mounting, opening) happens first; then the agent keeps only
 * what its loop needs, for good:
 *   CAP_SYS_PTRACE       /proc/PID/exe, cwd and root of processes with
 *                        other credentials (the kernel's ptrace access check)
 *   CAP_DAC_READ_SEARCH  hashing an executable root may not read (a user's
 *                        0700 binary) and stat-ing its directory
 *   CAP_BPF              only on kernels that check it on every bpf(2)
 *                        command (before 6.5, with unprivileged BPF off):
 *                        kept if the maps cannot be read without it
 * Every other capability leaves the effective, permitted, inheritable,
 * ambient and bounding sets, and no-new-privs is set, so nothing the agent
 * could be made to execute gains any back.
 */
#ifndef EXFILD_PRIVS_H
#define EXFILD_PRIVS_H

#include <stddef.h>

/* Returns 1 if the maps are still usable with the capabilities now effective. */
typedef int (*privs_probe_fn)(void *arg);

/*
 * Drop to the steady-state set above. probe decides CAP_BPF (it is tried
 * without it while it can still be taken back). 0, or -1 with err.
 */
int privs_drop(privs_probe_fn probe, void *arg, char *err, size_t errlen);
/* The capabilities kept, as text ("cap_dac_read_search,cap_sys_ptrace=ep"), malloc'd. */
char *privs_describe(void);

#endif
