/* tools/mpi/steps.c - one shmx/part.h run across the ranks (steps.h).
 *
 * Every rank has opened the same part (the same command line, checked,
 * and the same inputs); each step's plan is checked to be rank 0's (the
 * same layout), and each rank computes its contiguous range of the
 * step's chunks with its own forked workers.  Then:
 *   a pass (eval)    the ranks' partial slots are gathered to rank 0,
 *                    which merges every chunk's in chunk order and sends
 *                    the merged values to every rank (the rows of a
 *                    per-row vector go to every rank first): every rank
 *                    sees the constants one machine sees
 *   a reduction      the ranks' partial slots are gathered to rank 0,
 *                    which merges every chunk's in chunk order: the bits
 *                    of one machine, for any R and -j
 *   rows into a file rank 0 created the temporary and sent its name;
 *                    each rank wrote its rows and synced them; rank 0
 *                    publishes once all have
 *   a printed result the rows are gathered to rank 0, which prints them
 * Each step ends with ranks_agree: a rank that failed makes every rank
 * fail with its one line, and nothing is published. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../cli.h"
#include "steps.h"

int job_failed(struct job *j, int rc)
{
	if (!rc)
		return 0;
	snprintf(j->msg, sizeof(j->msg), "%s",
		 j->err.msg[0] ? j->err.msg : shmx_strerror(rc));
	return shmx_error_is_input(rc) ? EXIT_USAGE : EXIT_RUNTIME;
}

int job_agree(struct job *j, int code)
{
	return ranks_agree(j->r, code, j->msg);
}

static int is_segment(const char *spec)
{
	return !strncmp(spec, "shm://", 6);
}

/* Segments live in one host's memory; the other ranks cannot see them. */
int job_check_targets(struct job *j)
{
	const char *bad = j->o->output && is_segment(j->o->output)
		? j->o->output : NULL;

	for (unsigned i = 0; !bad && i < j->nsrc; i++)
		if (is_segment(j->src[i]))
			bad = j->src[i];
	if (bad) {
		snprintf(j->msg, sizeof(j->msg), "%s: %s is a segment in one "
			 "host's memory: shmx-mpi reads and writes files that "
			 "every rank sees at the same path", j->cmd, bad);
		return EXIT_USAGE;
	}
	if (j->o->in_place) { /* the journal (docs/REFERENCE.md) is one
				 process's: ranks cannot share it */
		snprintf(j->msg, sizeof(j->msg), "%s: --in-place keeps its "
			 "crash-safe journal in one process: rewrite in place "
			 "with shmx %s --in-place", j->cmd, j->cmd);
		return EXIT_USAGE;
	}
	if (j->o->perf_ctl) {
		snprintf(j->msg, sizeof(j->msg), "%s: --perf-ctl profiles one "
			 "process's workers: profile with shmx %s", j->cmd,
			 j->cmd);
		return EXIT_USAGE;
	}
	if (j->r->rank != 0)
		j->o->progress = 0; /* rank 0's bar only */
	return 0;
}

/* The step's plan is rank 0's (and, for a pass, so is the size of its
 * values): inputs that differ between hosts are refused. */
static int same_plan(struct job *j)
{
	struct { struct shmx_part_layout l; uint64_t values; } mine, root;
	int code = 0;

	memset(&mine, 0, sizeof(mine));
	shmx_part_layout(j->p, &j->l);
	mine.l = j->l;
	shmx_part_pass_values(j->p, &mine.values);
	root = mine;
	MPI_Bcast(&root, sizeof(root), MPI_BYTE, 0, MPI_COMM_WORLD);
	if (memcmp(&root, &mine, sizeof(root))) {
		snprintf(j->msg, sizeof(j->msg), "its inputs give another run "
			 "than rank 0's (%llu chunks of %llu rows, not %llu of "
			 "%llu): every rank must see the same files at the same "
			 "paths", (unsigned long long)j->l.nchunks,
			 (unsigned long long)j->l.rows,
			 (unsigned long long)root.l.nchunks,
			 (unsigned long long)root.l.rows);
		code = EXIT_USAGE;
	}
	return job_agree(j, code);
}

/* Rank 0 creates the sink (the output's temporary, or memory) and sends
 * the temporary's name; the others attach to it. */
static int make_sink(struct job *j)
{
	char tmp[PATH_MAX] = "";
	int code = 0;

	if (j->r->rank == 0) {
		code = job_failed(j, shmx_part_create(j->p, &j->err));
		if (!code)
			snprintf(tmp, sizeof(tmp), "%s", shmx_part_temporary(j->p));
	}
	if ((code = job_agree(j, code)))
		return code;
	MPI_Bcast(tmp, sizeof(tmp), MPI_CHAR, 0, MPI_COMM_WORLD);
	if (j->r->rank != 0)
		code = job_failed(j, shmx_part_attach(j->p, tmp, &j->err));
	return job_agree(j, code);
}

static int compute(struct job *j)
{
	ranks_split(j->r, j->l.nchunks, j->r->rank, &j->c0, &j->c1);
	if (j->l.nchunks) { /* not a constant result's step */
		j->chunks = j->l.nchunks;
		j->mine = j->c1 - j->c0;
	}
	return job_agree(j, job_failed(j, shmx_part_compute(j->p, j->c0,
							     j->c1, &j->err)));
}

static int gather_slots(struct job *j)
{
	if (!j->l.nchunks)
		return 0;
	j->collect_bytes += j->l.nchunks * j->l.slot_bytes;
	return ranks_gather(j->r, shmx_part_partials(j->p), j->l.slot_bytes,
			    j->l.nchunks, 1, j->l.nchunks, j->msg,
			    sizeof(j->msg));
}

/* A pass: every rank computes its chunks; rank 0 merges every chunk's
 * slot and sends the values. */
static int pass(struct job *j, unsigned k)
{
	uint64_t item, len;
	void *v;
	double t0;
	int code = job_failed(j, shmx_part_pass(j->p, k, &j->err));

	if ((code = job_agree(j, code)) || (code = same_plan(j)) ||
	    (code = compute(j)))
		return code;
	t0 = MPI_Wtime();
	code = gather_slots(j);
	for (unsigned i = 0; !code && (v = shmx_part_pass_vector(j->p, i,
								 &item)); i++)
		code = ranks_allgather(j->r, v, item, j->l.nchunks,
				       j->l.chunk_rows, j->l.rows, j->msg,
				       sizeof(j->msg));
	if (!code && j->r->rank == 0)
		code = job_failed(j, shmx_part_pass_merge(j->p, &j->err));
	if ((code = job_agree(j, code)))
		return code;
	v = shmx_part_pass_values(j->p, &len);
	if (len > INT_MAX) {
		snprintf(j->msg, sizeof(j->msg), "a pass's %llu bytes of values "
			 "are too many for one MPI_Bcast",
			 (unsigned long long)len);
		return job_agree(j, EXIT_RUNTIME);
	}
	if (len)
		MPI_Bcast(v, (int)len, MPI_BYTE, 0, MPI_COMM_WORLD);
	j->collect_s += MPI_Wtime() - t0;
	return job_agree(j, job_failed(j, shmx_part_pass_done(j->p,
							       &j->err)));
}

/* Bring every rank's results where rank 0 finishes: the partial slots,
 * the rows of a printed result, or (a file, or the input in place) the
 * others' rows synced to the file. */
static int collect(struct job *j)
{
	uint64_t off, len;
	void *rows = shmx_part_rows(j->p, 0, j->l.nchunks, &off, &len);
	double t0 = MPI_Wtime();
	int code = 0;

	if (j->l.kind == SHMX_KERNEL_REDUCE && j->l.nchunks) {
		code = gather_slots(j);
	} else if (rows && j->l.out_bytes) {
		code = ranks_gather(j->r, rows, j->l.row_bytes, j->l.nchunks,
				    j->l.chunk_rows, j->l.rows, j->msg,
				    sizeof(j->msg));
		j->collect_bytes += j->l.out_bytes;
	} else if (j->r->rank != 0) {
		code = job_failed(j, shmx_part_sync(j->p, &j->err));
	}
	code = job_agree(j, code);
	j->collect_s += MPI_Wtime() - t0;
	return code;
}

/* Rank 0: merge, publish, print. */
static int finish(struct job *j)
{
	struct shmx_result res;
	int code = 0, rc;

	if (j->r->rank != 0)
		return job_agree(j, 0);
	code = job_failed(j, shmx_part_finish(j->p, &res, &j->err));
	if (code)
		return job_agree(j, code);
	if (j->stats) {
		/* shmx-mpi's line first: the engine's (rank 0's workers and
		 * chunks) stays the last, as `shmx run --stats` prints it */
		fprintf(stderr, "{\"ranks\": %d, \"chunks\": %llu, "
			"\"rank0_chunks\": %llu, \"gather_bytes\": %llu, "
			"\"gather_s\": %.6f}\n", j->r->size,
			(unsigned long long)j->chunks,
			(unsigned long long)j->mine,
			(unsigned long long)j->collect_bytes, j->collect_s);
		shmx_stats_print_json(&res.stats, stderr);
	}
	if (!j->o->output && !j->o->in_place) {
		rc = cli_print_rows(res.data, res.dtype, &res.shape, UINT64_MAX);
		if (rc || fflush(stdout)) {
			snprintf(j->msg, sizeof(j->msg), "cannot write to "
				 "stdout: %s", strerror(rc ? -rc : errno));
			code = EXIT_RUNTIME;
		}
	}
	shmx_result_free(&res);
	return job_agree(j, code);
}

int job_steps(struct job *j)
{
	unsigned n = shmx_part_passes(j->p);
	int code = 0;

	for (unsigned k = 0; !code && k < n; k++)
		code = pass(j, k);
	if (!code)
		code = job_agree(j, job_failed(j, shmx_part_main(j->p,
								  &j->err)));
	if (!code)
		code = same_plan(j);
	if (!code)
		code = make_sink(j);
	if (!code)
		code = compute(j);
	if (!code)
		code = collect(j);
	if (!code)
		code = finish(j);
	return code;
}
