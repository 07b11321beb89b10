#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "spool_rec.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* crc32 over len and seq (header bytes 4..15) and the payload. */
static uint32_t rec_crc(const uint8_t *lenseq, const void *payload, uint32_t len)
{
	uLong c = crc32(0L, Z_NULL, 0);

	c = crc32(c, lenseq, 12);
	return (uint32_t)crc32(c, payload, len);
}

size_t spool_rec_header(uint8_t hdr[SPOOL_REC_HDR], uint64_t seq, const void *payload,
			uint32_t len)
{
	put32(hdr, SPOOL_REC_MAGIC);
	put32(hdr + 4, len);
	put64(hdr + 8, seq);
	put32(hdr + 16, rec_crc(hdr + 4, payload, len));
	return SPOOL_REC_HDR;
}

enum spool_parse spool_rec_parse(const uint8_t *buf, size_t len, struct spool_rec *out)
{
	uint32_t n;

	if (len < 4)
		return len && memcmp(buf, "EXR1", len) ? SPOOL_REC_BAD : SPOOL_REC_SHORT;
	if (get32(buf) != SPOOL_REC_MAGIC)
		return SPOOL_REC_BAD;
	if (len < SPOOL_REC_HDR)
		return SPOOL_REC_SHORT;
	n = get32(buf + 4);
	if (n == 0 || n > SPOOL_REC_MAX)
		return SPOOL_REC_BAD;
	if (len - SPOOL_REC_HDR < n)
		return SPOOL_REC_SHORT;
	if (rec_crc(buf + 4, buf + SPOOL_REC_HDR, n) != get32(buf + 16))
		return SPOOL_REC_BAD;
	out->seq = get64(buf + 8);
	out->payload = buf + SPOOL_REC_HDR;
	out->len = n;
	out->size = SPOOL_REC_HDR + (size_t)n;
	return SPOOL_REC_OK;
}

size_t spool_rec_resync(const uint8_t *buf, size_t len, size_t from)
{
	struct spool_rec r;

	for (size_t o = from; o + SPOOL_REC_HDR <= len; o++)
		if (buf[o] == 'E' && spool_rec_parse(buf + o, len - o, &r) == SPOOL_REC_OK)
			return o;
	return len;
}

#define POS_PREFIX "exfild-spool-position 1 "

int spool_pos_parse(const char *buf, size_t len, uint64_t *seq)
{
	size_t pl = strlen(POS_PREFIX), i;
	uint64_t v = 0;

	if (len <= pl || memcmp(buf, POS_PREFIX, pl))
		return -1;
	for (i = pl; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(buf[i] - '0');
	}
	if (i == pl || i + 1 != len || buf[i] != '\n')
		return -1;
	*seq = v;
	return 0;
}

int spool_pos_format(char *buf, size_t len, uint64_t seq)
{
	return snprintf(buf, len, POS_PREFIX "%llu\n", (unsigned long long)seq);
}
