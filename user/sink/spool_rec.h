/*
 * The alert spool's on-disk records and position files. Pure parsers
 * (no descriptors), so they can be unit-tested and fuzzed.
 *
 * A record, little-endian:
 *   magic u32 "EXR1" | len u32 | seq u64 | crc u32 | payload[len]
 * crc is zlib's crc32 over len, seq and the payload, so a torn or
 * overwritten record is detected and never delivered as garbage. The
 * sink set's payload is the alert's syslog severity as one digit '0'..'7'
 * followed by its compact JSON.
 *
 * A position file holds one line: "exfild-spool-position 1 SEQ\n", the
 * last sequence number the sink accepted.
 */
#ifndef EXFILD_SPOOL_REC_H
#define EXFILD_SPOOL_REC_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_REC_MAGIC 0x31525845u	/* "EXR1" read as little-endian */
#define SPOOL_REC_HDR 20
#define SPOOL_REC_MAX (1u << 20)	/* largest payload */

enum spool_parse {
	SPOOL_REC_OK = 0,	/* a whole, valid record */
	SPOOL_REC_SHORT = 1,	/* a valid header whose record runs past len */
	SPOOL_REC_BAD = 2,	/* not a record at this offset */
};

struct spool_rec {
	uint64_t seq;
	const uint8_t *payload;	/* inside the buffer given */
	uint32_t len;
	size_t size;		/* header + payload */
};

enum spool_parse spool_rec_parse(const uint8_t *buf, size_t len, struct spool_rec *out);
/* The header for a payload; returns SPOOL_REC_HDR. */
size_t spool_rec_header(uint8_t hdr[SPOOL_REC_HDR], uint64_t seq, const void *payload,
			uint32_t len);
/* Offset of the next byte at or after from where a valid record starts, or len. */
size_t spool_rec_resync(const uint8_t *buf, size_t len, size_t from);

/* 0 and *seq, or -1 when buf is not a position file. */
int spool_pos_parse(const char *buf, size_t len, uint64_t *seq);
/* The text of a position file; returns its length. */
int spool_pos_format(char *buf, size_t len, uint64_t seq);

#endif
