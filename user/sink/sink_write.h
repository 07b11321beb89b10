/* Writing queued messages to a file or stream descriptor (sink_file.c, sink_fd.c). */
#ifndef EXFILD_SINK_WRITE_H
#define EXFILD_SINK_WRITE_H

#include <stdbool.h>
#include <sys/uio.h>

#include "sink_int.h"

/*
 * writev; whole: a message is written whole or not at all (regular
 * files: a short write, e.g. a full disk, is cut back off the file, so no
 * reader ever sees half a line). Streams keep a partial message: the rest
 * goes next. Says once when writing fails and when it works again.
 */
enum xp_result sink_fd_writev(struct sink *s, const struct iovec *iov, int n, size_t *done,
			      bool whole);

#endif
