/*
 * libFuzzer: the detection baseline's state file (detect/state_codec.c,
 * detect_state_parse). A state that parses must encode again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "detect.h"
#include "detect_config.h"

static struct detect *d;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct detect_config cfg;
	char err[512];
	uint8_t *out;
	size_t len;

	if (!d) {
		detect_config_defaults(&cfg);
		d = detect_new(&cfg);
		if (!d)
			abort();
	}
	if (!detect_state_parse(d, data, size, err, sizeof(err))) {
		if (detect_state_encode(d, &out, &len))
			abort();
		free(out);
	}
	return 0;
}
