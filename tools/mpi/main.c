/* tools/mpi/main.c - `mpirun -n R shmx-mpi <command> ...`: shmx's
 * commands across MPI ranks, one file per command (mpi_run.c,
 * mpi_eval.c), both built on the engine's shmx/part.h and on the steps
 * they share (steps.c).
 *
 * Workers and MPI.  Each rank forks its local workers as shmx does, after
 * MPI_Init, and keeps MPI out of them entirely: a worker only computes
 * chunks into the job's own shared mappings (never a buffer MPI has
 * registered: the gathers happen after the last worker is reaped, and no
 * worker is forked after them), and ends with _exit, so no atexit handler
 * or MPI finalizer of the parent's runs in it; no communication is in
 * flight while workers exist (each step ends in a collective before the
 * next).  What breaks fork() under MPI is a child that calls MPI, exits
 * through the handlers that close the parent's device state, or, on RDMA
 * networks, memory registered with the device becoming copy-on-write:
 * RDMAV_FORK_SAFE=1 (set here unless the user set it) has libibverbs keep
 * registered pages out of children (MADV_DONTFORK), so the parent's
 * registrations stay right.  Tested over TCP and shared memory only.
 * Workers die with their rank (PR_SET_PDEATHSIG).  SIGCHLD is blocked
 * before MPI_Init, so the threads MPI starts inherit the mask and the
 * pool's sigtimedwait, not one of them, takes the workers' exits.
 *
 * CPU binding: the default -j is the CPUs of the rank's affinity mask,
 * and the workers inherit it.  mpirun binds each rank to one core by
 * default (two ranks or fewer; a socket beyond), so run one rank per host
 * with `--map-by ppr:1:node --bind-to none` (the workers take every CPU),
 * or several with `--map-by ppr:K:node:pe=N --bind-to core` (each rank's
 * N cores are its -j).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli.h"
#include "ranks.h"

struct command {
	const char *name;
	int (*fn)(const struct ranks *r, int argc, char **argv);
};

static const struct command commands[] = {
	{ "run", mpi_run },
	{ "eval", mpi_eval },
};

static const char usage[] =
	"usage: mpirun -n R shmx-mpi run OP SOURCE... [options of shmx run]\n"
	"       mpirun -n R shmx-mpi eval EXPR [SOURCE | NAME=SOURCE]...\n"
	"                                    [options of shmx eval]\n"
	"\n"
	"  run   `shmx run` with its chunks split over the R ranks: the same\n"
	"        options, the same bits as one machine (shmx run --help)\n"
	"  eval  `shmx eval` likewise, each of its passes split over the\n"
	"        ranks (shmx eval --help)\n"
	"Inputs and outputs are files every rank sees at the same path.\n";

/* mpirun ends every rank with SIGTERM when one dies (or the user stops
 * the job): rank 0 says so in one line, then the library's handler
 * removes the unpublished temporary and the process dies of the signal. */
static struct sigaction lib_term;

static void on_term(int sig)
{
	static const char msg[] = "shmx-mpi: error: rank 0: ended by SIGTERM "
				  "(from mpirun: a rank died, or the job was "
				  "stopped): nothing published\n";
	ssize_t n = write(2, msg, sizeof(msg) - 1);

	(void)n;
	if (lib_term.sa_handler != SIG_DFL && lib_term.sa_handler != SIG_IGN)
		lib_term.sa_handler(sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void say_term(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigfillset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, &lib_term);
}

static int dispatch(const struct ranks *r, int argc, char **argv)
{
	if (argc < 2) {
		if (r->rank == 0)
			cli_usage("no command given (see shmx-mpi --help)");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (r->rank == 0)
			fputs(usage, stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(r, argc - 1, argv + 1);
	if (r->rank == 0)
		cli_usage("unknown command '%s' (see shmx-mpi --help)", argv[1]);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct ranks r;
	struct capture cap;
	char msg[SHMX_ERROR_MSG_MAX];
	sigset_t chld;
	int code, captured;

	cli_prog = "shmx-mpi";
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL); /* before MPI starts threads */
	setenv("RDMAV_FORK_SAFE", "1", 0);   /* before any registration */
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &r.rank);
	MPI_Comm_size(MPI_COMM_WORLD, &r.size);
	/* after MPI_Init, so that ours are the handlers: a rank that mpirun
	 * ends (another rank died) removes its unpublished temporary */
	shmx_signals_install();
	if (r.rank == 0)
		say_term();
	captured = capture_begin(&cap, 0) == 0; /* one rank says it */
	code = cli_check_env();
	if (captured)
		capture_end(&cap, msg, sizeof(msg));
	code = ranks_agree(&r, code, msg);
	if (!code)
		code = dispatch(&r, argc, argv);
	/* the outcome is known (and said): a SIGTERM from mpirun now, as it
	 * ends the job on a rank's non-zero exit, needs no second line */
	if (r.rank == 0)
		sigaction(SIGTERM, &lib_term, NULL);
	fflush(stdout);
	MPI_Finalize();
	return code;
}
