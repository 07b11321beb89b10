/* Reading a config file without trusting it: what it is, who may write it, how big. */
#ifndef EXFILD_CONF_READ_H
#define EXFILD_CONF_READ_H

#include <stddef.h>

#define CONF_MAX_BYTES (1024 * 1024)

/*
 * The whole file in *text (malloc'd, NUL-terminated; *len without it).
 * Refused with a one-line err: not a regular file (a directory, a FIFO,
 * a device: never blocks), larger than CONF_MAX_BYTES, or writable by
 * someone other than root (safepath_check).
 */
int conf_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen);

#endif
