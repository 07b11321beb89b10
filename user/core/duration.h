/* Durations as people write them: "90s", "15m", "24h", "14d", or plain
 * seconds ("3600"). */
#ifndef EXFILD_DURATION_H
#define EXFILD_DURATION_H

#include <stdint.h>

/* 0 and *ns, or -1 for anything else (signs, spaces, fractions, overflow). */
int duration_parse(const char *s, int64_t *ns);

#endif
