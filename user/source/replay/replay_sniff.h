/* Which kind of replay input a file is, from its first line. */
#ifndef EXFILD_REPLAY_SNIFF_H
#define EXFILD_REPLAY_SNIFF_H

#include <stddef.h>

enum replay_format { RF_UNKNOWN = 0, RF_EXFILD, RF_ZEEK_TSV, RF_ZEEK_JSON };

/* From the first non-empty line. RF_UNKNOWN with err saying what it is. */
enum replay_format replay_sniff(const char *line, size_t len, char *err, size_t errlen);

const char *replay_format_name(enum replay_format f);

#endif
