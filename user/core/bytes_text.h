/* Byte counts for people: "52.4 MB" (decimal units, as transfer sizes are quoted). */
#ifndef EXFILD_BYTES_TEXT_H
#define EXFILD_BYTES_TEXT_H

#include <stddef.h>
#include <stdint.h>

void bytes_text(uint64_t bytes, char *buf, size_t len);

#endif
