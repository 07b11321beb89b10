/*
 * libFuzzer: the baseline state parser (detect/state_codec.c). A CRC-32
 * guards the file, so random bytes alone never get past it; each input is
 * therefore tried twice: as a whole file, and as edits of a valid baseline
 * (pairs of offset, byte) with the checksum fixed afterwards, which reaches
 * every range check of the header, the populations and the members.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "detect.h"

static struct detect *small(void)
{
	struct detect_config cfg;

	detect_config_defaults(&cfg);
	cfg.max_members = 64;
	cfg.include_reserved = true;
	return detect_new(&cfg);
}

/* A baseline with a few members of every view. */
static void valid_state(uint8_t **buf, size_t *len)
{
	struct detect *d = small();

	for (int i = 0; i < 40; i++) {
		struct enriched_flow f;

		memset(&f, 0, sizeof(f));
		f.obs.end_ns = (1767225600LL + i * 1800) * DETECT_SEC;
		f.obs.remote.family = FLOW_AF_INET;
		f.obs.remote.a[0] = 198, f.obs.remote.a[3] = (uint8_t)(i % 7);
		f.obs.remote_port = 443;
		f.obs.transport = FLOW_PROTO_TCP;
		f.obs.bytes_sent = 1000u << (i % 20);
		f.process_name = i % 2 ? "curl" : "firefox";
		f.user_name = "alice";
		memcpy(f.geo.country_iso, i % 3 ? "DE" : "US", 3);
		memcpy(f.geo.region_name, "Hesse", 6);
		detect_observe(d, &f, NULL, NULL);
	}
	if (detect_state_encode(d, buf, len))
		abort();
	detect_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *good;
	static size_t good_len;
	struct detect *d = small();
	char err[256];
	uint8_t *b;

	if (!good)
		valid_state(&good, &good_len);
	(void)detect_state_parse(d, data, size, err, sizeof(err));
	b = malloc(good_len);
	if (!b) {
		detect_free(d);
		return 0;
	}
	memcpy(b, good, good_len);
	for (size_t i = 0; i + 3 <= size; i += 3) {
		size_t off = ((size_t)data[i] << 8 | data[i + 1]) * 997 % (good_len - 4);

		b[off] = data[i + 2];
	}
	{
		uint32_t crc = (uint32_t)crc32(0, b, (uInt)(good_len - 4));

		for (int i = 0; i < 4; i++)
			b[good_len - 4 + i] = (uint8_t)(crc >> (8 * i));
	}
	(void)detect_state_parse(d, b, good_len, err, sizeof(err));
	free(b);
	detect_free(d);
	return 0;
}
