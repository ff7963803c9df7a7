/* tools/mpi/ranks.h - what shmx-mpi's commands share: the ranks, one
 * outcome for all of them (agree), the checks that every rank runs the
 * same command, and capturing what the CLI's parser prints. */
#ifndef SHMX_MPI_RANKS_H
#define SHMX_MPI_RANKS_H

#include <stdint.h>
#include <mpi.h>

struct ranks {
	int rank, size;
};

/* Every rank calls it at the same point with its own outcome: code 0, or
 * an exit code (EXIT_USAGE, EXIT_RUNTIME) and msg, one line.  Returns the
 * job's code: 0 when every rank succeeded, else the lowest failing
 * rank's, whose message alone is printed ("shmx-mpi: error: rank N: msg";
 * without "rank N: " when every rank failed, as they do on a bad
 * command line). */
int ranks_agree(const struct ranks *r, int code, const char *msg);

/* Every rank's command line (argv[1..argc)) is rank 0's: a hash of it is
 * compared.  0, or EXIT_USAGE with the message in msg. */
int ranks_same_argv(int argc, char **argv,
		    char *msg, size_t len);

/* Chunks [*c0, *c1) of n for this rank: contiguous, in rank order, sizes
 * differing by at most one. */
void ranks_split(const struct ranks *r, uint64_t n, int rank, uint64_t *c0,
		 uint64_t *c1);

/* Gather to rank 0, in place there, what every rank computed of its
 * chunks [c0, c1) of nchunks (ranks_split): per_chunk items of `item`
 * bytes each (the last chunk may have fewer: total items in all), item i
 * at base + i x item on every rank.  One MPI_Gatherv of items, not of
 * bytes.  0, or EXIT_RUNTIME with msg when the counts do not fit MPI's
 * int. */
int ranks_gather(const struct ranks *r, void *base, uint64_t item,
		 uint64_t nchunks, uint64_t per_chunk, uint64_t total,
		 char *msg, size_t len);

/* ranks_gather's items to every rank, each rank's in place. */
int ranks_allgather(const struct ranks *r, void *base, uint64_t item,
		    uint64_t nchunks, uint64_t per_chunk, uint64_t total,
		    char *msg, size_t len);

/* What the CLI prints on stderr between begin and end is kept, not
 * shown: end puts its first line, without "shmx-mpi: error: ", into msg.
 * With mute_stdout, stdout goes nowhere meanwhile (--help on the ranks
 * other than 0).  0, or -1 when it could not be set up (then nothing is
 * captured). */
struct capture {
	int saved_err, saved_out, fd;
};
int capture_begin(struct capture *c, int mute_stdout);
void capture_end(struct capture *c, char *msg, size_t len);

/* Commands: argv[0] is the command's name ("run", "eval"). */
int mpi_run(const struct ranks *r, int argc, char **argv);
int mpi_eval(const struct ranks *r, int argc, char **argv);

#endif
