/*
 * One replay input file ("-" = stdin), plain or gzip (zlib recognises
 * gzip by its magic bytes, whatever the name), read line by line and
 * handed to the reader its first line calls for. Malformed lines are
 * counted and reported with file and line number, never fatal.
 */
#ifndef EXFILD_REPLAY_FILE_H
#define EXFILD_REPLAY_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "localnet.h"
#include "replay_rec.h"
#include "replay_sniff.h"

struct replay_file_stats {
	uint64_t lines;		/* lines read (headers and blank ones included) */
	uint64_t records;	/* observations produced */
	uint64_t skipped;	/* well-formed lines that carry nothing to score */
	uint64_t malformed;
	uint64_t first_malformed_line;
	bool gzip;
};

struct replay_file;

/*
 * Open and identify a file. NULL with err (naming the file) when it cannot
 * be read or is of the wrong kind. ln must outlive the file.
 */
struct replay_file *replay_file_open(const char *path, const struct localnets *ln, char *err,
				     size_t errlen);

/* The next observation, in file order: 1, 0 at the end, -1 with err when
 * the rest of the file cannot be read (corrupt gzip, wrong-kind header). */
int replay_file_next(struct replay_file *f, struct replay_rec *out, char *err, size_t errlen);

enum replay_format replay_file_format(const struct replay_file *f);
const char *replay_file_name(const struct replay_file *f);
void replay_file_get_stats(const struct replay_file *f, struct replay_file_stats *st);

/* Closes; logs the malformed-line summary if there were any. */
void replay_file_close(struct replay_file *f);

#endif
