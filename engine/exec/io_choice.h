/* engine/exec/io_choice.h - mapping or streaming an input (--io). */
#ifndef SHMX_EXEC_IO_CHOICE_H
#define SHMX_EXEC_IO_CHOICE_H

#include <stddef.h>
#include <stdint.h>
#include "shmx/array.h"
#include "exec/source.h"

/* The source for `a` given the mode asked (SHMX_IO_*).  A segment or a
 * file on tmpfs is always mapped (there is nothing to stream from); auto
 * streams a file that is mostly not in the page cache (mincore on a
 * sample of pages) or larger than the memory available.  note receives
 * why, for --stats ("" when it is simply what was asked). */
const struct shmx__source_ops *shmx__io_choose(const struct shmx_array *a,
					       int asked, char *note,
					       size_t len);

/* Whether fd is a file on tmpfs (memory: nothing to stream to or from). */
int shmx__on_tmpfs(int fd);

/* Fraction (0..1) of the pages under [data, data + len) of a mapping
 * that are in the page cache, from a sample; 1 when it cannot tell. */
double shmx__resident_fraction(const void *data, uint64_t len);

#endif
