/* tools/mpi/ranks.c - one outcome for every rank, the same command on
 * every rank, the chunk ranges and their gather (ranks.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../cli.h"
#include "ranks.h"

int ranks_agree(const struct ranks *r, int code, const char *msg)
{
	int *codes = calloc((size_t)r->size, sizeof(int));
	int first = -1, failed = 0, rc;

	if (!codes) /* nothing can be agreed on: end the job, loudly */
		MPI_Abort(MPI_COMM_WORLD, EXIT_RUNTIME);
	MPI_Allgather(&code, 1, MPI_INT, codes, 1, MPI_INT, MPI_COMM_WORLD);
	for (int i = 0; i < r->size; i++)
		if (codes[i]) {
			failed++;
			first = first < 0 ? i : first;
		}
	rc = first < 0 ? 0 : codes[first];
	free(codes);
	if (first == r->rank && msg && msg[0]) {
		if (failed == r->size)
			fprintf(stderr, "%s: error: %s\n", cli_prog, msg);
		else
			fprintf(stderr, "%s: error: rank %d: %s\n", cli_prog,
				r->rank, msg);
		fflush(stderr);
	}
	return rc;
}

/* FNV-1a over the words and their ends. */
static uint64_t argv_hash(int argc, char **argv)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (int i = 1; i < argc; i++)
		for (const char *p = argv[i];; p++) {
			h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
			if (!*p)
				break;
		}
	return h ^ (uint64_t)argc;
}

int ranks_same_argv(int argc, char **argv,
		    char *msg, size_t len)
{
	uint64_t mine = argv_hash(argc, argv), root = mine;

	MPI_Bcast(&root, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
	if (root == mine)
		return 0;
	snprintf(msg, len, "its command line is not rank 0's: every rank "
		 "must run the same command (mpirun -n R %s ...)", cli_prog);
	return EXIT_USAGE;
}

void ranks_split(const struct ranks *r, uint64_t n, int rank, uint64_t *c0,
		 uint64_t *c1)
{
	unsigned __int128 s = (unsigned __int128)r->size;

	*c0 = (uint64_t)((unsigned __int128)n * (unsigned)rank / s);
	*c1 = (uint64_t)((unsigned __int128)n * (unsigned)(rank + 1) / s);
}

/* The first item of chunk c. */
static uint64_t item0(uint64_t c, uint64_t per_chunk, uint64_t total)
{
	unsigned __int128 i = (unsigned __int128)c * per_chunk;

	return i < total ? (uint64_t)i : total;
}

/* Every rank's items of a gather (ranks_gather): counts[i] from
 * displs[i], and their MPI type.  0, or EXIT_RUNTIME with msg. */
static int layout(const struct ranks *r, uint64_t item, uint64_t nchunks,
		  uint64_t per_chunk, uint64_t total, int **counts,
		  MPI_Datatype *t, char *msg, size_t len)
{
	int *displs;
	uint64_t c0, c1;

	*counts = calloc((size_t)r->size * 2, sizeof(int));
	if (!*counts)
		return snprintf(msg, len, "out of memory"), EXIT_RUNTIME;
	if (item > INT32_MAX || total > INT32_MAX) {
		free(*counts);
		snprintf(msg, len, "%llu items of %llu bytes are too many for "
			 "one MPI_Gatherv", (unsigned long long)total,
			 (unsigned long long)item);
		return EXIT_RUNTIME;
	}
	displs = *counts + r->size;
	for (int i = 0; i < r->size; i++) {
		ranks_split(r, nchunks, i, &c0, &c1);
		displs[i] = (int)item0(c0, per_chunk, total);
		(*counts)[i] = (int)item0(c1, per_chunk, total) - displs[i];
	}
	MPI_Type_contiguous((int)item, MPI_BYTE, t);
	MPI_Type_commit(t);
	return 0;
}

int ranks_gather(const struct ranks *r, void *base, uint64_t item,
		 uint64_t nchunks, uint64_t per_chunk, uint64_t total,
		 char *msg, size_t len)
{
	int *counts, *displs;
	MPI_Datatype t;
	int code = layout(r, item, nchunks, per_chunk, total, &counts, &t,
			  msg, len);

	if (code)
		return code;
	displs = counts + r->size;
	if (r->rank == 0)
		MPI_Gatherv(MPI_IN_PLACE, 0, t, base, counts, displs, t, 0,
			    MPI_COMM_WORLD);
	else
		MPI_Gatherv((char *)base + (uint64_t)displs[r->rank] * item,
			    counts[r->rank], t, NULL, NULL, NULL, t, 0,
			    MPI_COMM_WORLD);
	MPI_Type_free(&t);
	free(counts);
	return 0;
}

int ranks_allgather(const struct ranks *r, void *base, uint64_t item,
		    uint64_t nchunks, uint64_t per_chunk, uint64_t total,
		    char *msg, size_t len)
{
	int *counts;
	MPI_Datatype t;
	int code = layout(r, item, nchunks, per_chunk, total, &counts, &t,
			  msg, len);

	if (code)
		return code;
	MPI_Allgatherv(MPI_IN_PLACE, 0, t, base, counts, counts + r->size, t,
		       MPI_COMM_WORLD);
	MPI_Type_free(&t);
	free(counts);
	return 0;
}

int capture_begin(struct capture *c, int mute_stdout)
{
	c->saved_out = -1;
	fflush(stdout);
	fflush(stderr);
	c->fd = memfd_create("shmx-mpi-stderr", MFD_CLOEXEC);
	c->saved_err = c->fd < 0 ? -1 : dup(2);
	if (c->saved_err < 0 || dup2(c->fd, 2) < 0)
		goto fail;
	if (mute_stdout) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		c->saved_out = dup(1);
		if (null >= 0)
			dup2(null, 1);
		if (null >= 0)
			close(null);
	}
	return 0;
fail:
	if (c->fd >= 0)
		close(c->fd);
	if (c->saved_err >= 0)
		close(c->saved_err);
	c->fd = c->saved_err = -1;
	return -1;
}

void capture_end(struct capture *c, char *msg, size_t len)
{
	char prefix[64], *nl;
	ssize_t n = 0;

	msg[0] = '\0';
	if (c->fd < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	dup2(c->saved_err, 2);
	close(c->saved_err);
	if (c->saved_out >= 0) {
		dup2(c->saved_out, 1);
		close(c->saved_out);
	}
	if (len > 1)
		n = pread(c->fd, msg, len - 1, 0);
	close(c->fd);
	msg[n > 0 ? n : 0] = '\0';
	if ((nl = strchr(msg, '\n')))
		*nl = '\0';
	snprintf(prefix, sizeof(prefix), "%s: error: ", cli_prog);
	if (!strncmp(msg, prefix, strlen(prefix)))
		memmove(msg, msg + strlen(prefix), strlen(msg + strlen(prefix)) + 1);
}
