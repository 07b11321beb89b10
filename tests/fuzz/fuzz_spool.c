/*
 * libFuzzer: the alert spool (sink/spool_rec.c): records walked the way a
 * reader after a crash walks them (parse, or resync past what is not a
 * record), and a position file's text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "spool_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_rec r;
	uint64_t seq;
	size_t off = 0;

	(void)spool_pos_parse((const char *)data, size, &seq);
	while (off < size) {
		enum spool_parse p = spool_rec_parse(data + off, size - off, &r);
		size_t next;

		if (p == SPOOL_REC_SHORT)
			break;
		if (p == SPOOL_REC_OK) {
			/* The payload lies inside what was given. */
			if (r.payload < data + off || r.payload + r.len > data + size)
				abort();
			next = (size_t)(r.payload + r.len - data);
		} else {
			next = spool_rec_resync(data, size, off + 1);
		}
		if (next <= off)
			abort();
		off = next;
	}
	return 0;
}
