/* libFuzzer: the config file parser (conf/opts.c), any bytes as the file's text. */
#include <stddef.h>
#include <stdint.h>

#include "opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opts o;
	char err[1024];

	opts_defaults(&o);
	(void)opts_parse_config(&o, "fuzz.conf", (const char *)data, size, err, sizeof(err));
	return 0;
}
