/*
 * libFuzzer: a whole replay input file (source/replay/replay_file.c):
 * plain or gzip, sniffed, read to the end. The bytes go to a memfd that
 * replay_file_open reads through /proc/self/fd.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "localnet.h"
#include "log.h"
#include "replay_file.h"
#include "replay_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct localnets ln;
	struct replay_file *f;
	struct replay_rec r;
	char path[64], err[512];
	int fd = memfd_create("fuzz-replay", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	log_set_level(LOG_ERR);
	localnets_default(&ln);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	f = replay_file_open(path, &ln, err, sizeof(err));
	if (f) {
		for (int i = 0; i < 100000; i++) {
			replay_rec_init(&r);
			if (replay_file_next(f, &r, err, sizeof(err)) != 1)
				break;
		}
		replay_file_close(f);
	}
	close(fd);
	return 0;
}
