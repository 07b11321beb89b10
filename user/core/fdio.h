/* Writing a whole buffer to a blocking descriptor. */
#ifndef EXFILD_FDIO_H
#define EXFILD_FDIO_H

#include <stddef.h>

/* Write all n bytes (retrying short writes and EINTR); 0, or -1 with errno. */
int fd_write_all(int fd, const void *buf, size_t n);

#endif
