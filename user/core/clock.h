/* Clocks, in nanoseconds, for the stages that are allowed to read one
 * (detect/ is not: its time comes with the flows). */
#ifndef EXFILD_CLOCK_H
#define EXFILD_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NS_PER_SEC 1000000000LL

int64_t clock_ns(clockid_t c);

/*
 * CLOCK_REALTIME minus CLOCK_BOOTTIME: boot-based times (task start) to
 * wall clock. Read as boottime, realtime, boottime, several times, keeping
 * the tightest bracket: a pair of plain reads is off by however long the
 * thread was preempted between them (tens of ms on a loaded or emulated
 * machine), and every process.start would carry that error.
 */
int64_t clock_boot_to_unix_ns(void);

#endif
