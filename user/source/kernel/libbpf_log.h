/*
 * libbpf's messages: written to stderr at debug level, and kept to explain
 * a refusal. When the kernel refuses a program, the reason is in the
 * verifier's log, which libbpf prints between "-- BEGIN PROG LOAD LOG --"
 * and "-- END PROG LOAD LOG --"; its last lines (not the statistics) say
 * why, e.g. "program of this type cannot use helper bpf_task_storage_get#156".
 */
#ifndef EXFILD_LIBBPF_LOG_H
#define EXFILD_LIBBPF_LOG_H

#include <stddef.h>

/* Route libbpf's messages here. */
void libbpf_log_install(void);
/* Forget what the last attempt said (call before each load or attach). */
void libbpf_log_reset(void);
/*
 * What libbpf said since the last reset, as one line: " (libbpf: FIRST)",
 * plus "; kernel: prog 'NAME': REASON" when a verifier log was printed;
 * "" if nothing was said.
 */
void libbpf_log_explain(char *out, size_t outlen);

/*
 * The reason lines of one verifier log (the body between the markers):
 * its last VERIFIER_TAIL_LINES lines that are not statistics, joined
 * with " | ". Exposed for the unit test.
 */
#define VERIFIER_TAIL_LINES 2
void verifier_tail(const char *log, char *out, size_t outlen);

#endif
