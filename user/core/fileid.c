/* File versions; see fileid.h. */
#include "fileid.h"

void file_id_of(const struct stat *st, struct file_id *id)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
}

bool file_id_matches(const struct file_id *id, const struct stat *st)
{
	struct file_id now;

	file_id_of(st, &now);
	return file_id_eq(id, &now);
}

bool file_id_eq(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}
