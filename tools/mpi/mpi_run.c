/* tools/mpi/mpi_run.c - `mpirun -n R shmx-mpi run OP SOURCE...`: `shmx
 * run` with the same options, its chunks split over R ranks.
 *
 * Every rank parses the same command line (checked), opens and plans the
 * same run (checked: the same layout), and computes its contiguous range
 * of chunks with its own forked workers (shmx/part.h).  Then:
 *   a reduction      the ranks' partial slots are gathered to rank 0,
 *                    which merges every chunk's in chunk order: the bits
 *                    of `shmx run`, for any R and -j
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
#include "ranks.h"

struct job {
	const struct ranks *r;
	struct run_args a;
	struct shmx_part *p;
	struct shmx_part_layout l;
	uint64_t c0, c1;
	double collect_s;        /* rank 0: the gather (or sync) and its wait */
	uint64_t collect_bytes;  /* what the gather moved into rank 0 */
	struct shmx_error err;
	char msg[SHMX_ERROR_MSG_MAX + 128];
};

static int failed(struct job *j, int rc)
{
	if (!rc)
		return 0;
	snprintf(j->msg, sizeof(j->msg), "%s",
		 j->err.msg[0] ? j->err.msg : shmx_strerror(rc));
	return shmx_error_is_input(rc) ? EXIT_USAGE : EXIT_RUNTIME;
}

static int agree(struct job *j, int code)
{
	return ranks_agree(j->r, code, j->msg);
}

/* The parser prints its errors (and --help): capture them, so that the
 * one line comes from one rank. */
static int parse(struct job *j, int argc, char **argv)
{
	struct capture cap;
	int rc, captured = capture_begin(&cap, j->r->rank != 0) == 0;

	rc = cmd_run_parse(argc, argv, &j->a);
	if (captured)
		capture_end(&cap, j->msg, sizeof(j->msg));
	return rc;
}

static int is_segment(const char *spec)
{
	return !strncmp(spec, "shm://", 6);
}

/* Segments live in one host's memory; the other ranks cannot see them. */
static int check_targets(struct job *j)
{
	const char *bad = j->a.o.output && is_segment(j->a.o.output)
		? j->a.o.output : NULL;

	for (unsigned i = 0; !bad && i < j->a.nsrc; i++)
		if (is_segment(j->a.src[i]))
			bad = j->a.src[i];
	if (bad) {
		snprintf(j->msg, sizeof(j->msg), "run: %s is a segment in one "
			 "host's memory: shmx-mpi reads and writes files that "
			 "every rank sees at the same path", bad);
		return EXIT_USAGE;
	}
	if (j->a.o.in_place) { /* the journal (docs/REFERENCE.md) is one
				  process's: ranks cannot share it */
		snprintf(j->msg, sizeof(j->msg), "run: --in-place keeps its "
			 "crash-safe journal in one process: rewrite in place "
			 "with shmx run --in-place");
		return EXIT_USAGE;
	}
	if (j->a.o.perf_ctl) {
		snprintf(j->msg, sizeof(j->msg), "run: --perf-ctl profiles one "
			 "process's workers: profile with shmx run");
		return EXIT_USAGE;
	}
	if (j->r->rank != 0)
		j->a.o.progress = 0; /* rank 0's bar only */
	return 0;
}

static int open_run(struct job *j)
{
	int code = failed(j, shmx_part_open(j->a.op, j->a.src, j->a.nsrc,
					    &j->a.o, &j->p, &j->err));
	struct shmx_part_layout root;

	if ((code = agree(j, code)))
		return code;
	shmx_part_layout(j->p, &j->l);
	root = j->l;
	MPI_Bcast(&root, sizeof(root), MPI_BYTE, 0, MPI_COMM_WORLD);
	if (memcmp(&root, &j->l, sizeof(root))) {
		snprintf(j->msg, sizeof(j->msg), "its inputs give another run "
			 "than rank 0's (%llu chunks of %llu rows, not %llu of "
			 "%llu): every rank must see the same files at the same "
			 "paths", (unsigned long long)j->l.nchunks,
			 (unsigned long long)j->l.rows,
			 (unsigned long long)root.nchunks,
			 (unsigned long long)root.rows);
		code = EXIT_USAGE;
	}
	return agree(j, code);
}

/* Rank 0 creates the sink (the output's temporary, or memory) and sends
 * the temporary's name; the others attach to it. */
static int make_sink(struct job *j)
{
	char tmp[PATH_MAX] = "";
	int code = 0;

	if (j->r->rank == 0) {
		code = failed(j, shmx_part_create(j->p, &j->err));
		if (!code)
			snprintf(tmp, sizeof(tmp), "%s", shmx_part_temporary(j->p));
	}
	if ((code = agree(j, code)))
		return code;
	MPI_Bcast(tmp, sizeof(tmp), MPI_CHAR, 0, MPI_COMM_WORLD);
	if (j->r->rank != 0)
		code = failed(j, shmx_part_attach(j->p, tmp, &j->err));
	return agree(j, code);
}

static int compute(struct job *j)
{
	ranks_split(j->r, j->l.nchunks, j->r->rank, &j->c0, &j->c1);
	return agree(j, failed(j, shmx_part_compute(j->p, j->c0, j->c1,
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
		code = ranks_gather(j->r, shmx_part_partials(j->p),
				    j->l.slot_bytes, j->l.nchunks, 1,
				    j->l.nchunks, j->msg, sizeof(j->msg));
		j->collect_bytes = j->l.nchunks * j->l.slot_bytes;
	} else if (rows && j->l.out_bytes) {
		code = ranks_gather(j->r, rows, j->l.row_bytes, j->l.nchunks,
				    j->l.chunk_rows, j->l.rows, j->msg,
				    sizeof(j->msg));
		j->collect_bytes = j->l.out_bytes;
	} else if (j->r->rank != 0) {
		code = failed(j, shmx_part_sync(j->p, &j->err));
	}
	code = agree(j, code);
	j->collect_s = MPI_Wtime() - t0;
	return code;
}

/* Rank 0: merge, publish, print. */
static int finish(struct job *j)
{
	struct shmx_result res;
	int code = 0, rc;

	if (j->r->rank != 0)
		return agree(j, 0);
	code = failed(j, shmx_part_finish(j->p, &res, &j->err));
	if (code)
		return agree(j, code);
	if (j->a.stats) {
		/* shmx-mpi's line first: the engine's (rank 0's workers and
		 * chunks) stays the last, as `shmx run --stats` prints it */
		fprintf(stderr, "{\"ranks\": %d, \"chunks\": %llu, "
			"\"rank0_chunks\": %llu, \"gather_bytes\": %llu, "
			"\"gather_s\": %.6f}\n", j->r->size,
			(unsigned long long)j->l.nchunks,
			(unsigned long long)(j->c1 - j->c0),
			(unsigned long long)j->collect_bytes, j->collect_s);
		shmx_stats_print_json(&res.stats, stderr);
	}
	if (!j->a.o.output && !j->a.o.in_place) {
		rc = cli_print_rows(res.data, res.dtype, &res.shape, UINT64_MAX);
		if (rc || fflush(stdout)) {
			snprintf(j->msg, sizeof(j->msg), "cannot write to "
				 "stdout: %s", strerror(rc ? -rc : errno));
			code = EXIT_RUNTIME;
		}
	}
	shmx_result_free(&res);
	return agree(j, code);
}

int mpi_run(const struct ranks *r, int argc, char **argv)
{
	struct job j = { .r = r, .a = { .o = SHMX_RUN_OPTS_INIT } };
	int code = ranks_same_argv(argc, argv, j.msg, sizeof(j.msg));

	if ((code = ranks_agree(r, code, j.msg)))
		return code;
	code = parse(&j, argc, argv);
	if ((code = agree(&j, code > 0 ? code : 0)))
		return code;
	if (j.a.op == NULL) /* --help, printed by rank 0 */
		return EXIT_OK;
	code = agree(&j, check_targets(&j));
	if (!code)
		code = open_run(&j);
	if (!code)
		code = make_sink(&j);
	if (!code)
		code = compute(&j);
	if (!code)
		code = collect(&j);
	if (!code)
		code = finish(&j);
	shmx_part_close(j.p); /* an unpublished temporary goes with it */
	return code;
}
