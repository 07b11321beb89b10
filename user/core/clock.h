/* Clocks, in nanoseconds, for the stages that are allowed to read one
 * (detect/ is not: its time comes with the flows). */
#ifndef EXFILD_CLOCK_H
#define EXFILD_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NS_PER_SEC 1000000000LL

int64_t clock_ns(clockid_t c);

#endif
