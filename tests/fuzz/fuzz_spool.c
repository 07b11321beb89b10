/*
 * libFuzzer: the sink side's parsers of outside input. The bytes are read
 * as a spool file (sink/spool_rec.c: records, torn tails, damage,
 * resynchronisation, as spool.c's scan walks them), as a position file,
 * and as a sink spec (sink/sink_spec.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sink_spec.h"
#include "spool_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink_spec sp;
	char err[600], *text;
	uint64_t seq;
	size_t o = 0;

	/* The scan: every byte is either in a valid record or skipped, and
	 * the walk always moves forward. */
	while (o < size) {
		struct spool_rec r;
		size_t next;

		if (spool_rec_parse(data + o, size - o, &r) == SPOOL_REC_OK) {
			if (r.size < SPOOL_REC_HDR || r.size > size - o || r.len != r.size - SPOOL_REC_HDR)
				abort();
			o += r.size;
			continue;
		}
		next = spool_rec_resync(data, size, o + 1);
		if (next <= o || next > size)
			abort();
		o = next;
	}
	(void)spool_pos_parse((const char *)data, size, &seq);
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (sink_spec_parse(text, &sp, err, sizeof(err)) == 0 &&
	    (strlen(sp.host) >= sizeof(sp.host) || strlen(sp.path) >= sizeof(sp.path)))
		abort();
	free(text);
	return 0;
}
