/* tools/cmd_resume.c - `shmx resume TARGET`: finish an interrupted
 * --in-place run (shmx/journal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
	"usage: shmx resume TARGET [-j N] [--retries N] [--stats] [--progress]\n"
	"\n"
	"Finishes an --in-place run that was killed (or lost its machine) midway:\n"
	"rolls the chunks it had in progress back from the journal it left beside\n"
	"TARGET, computes the rest with the same operation, arguments and chunks,\n"
	"and removes the journal.  The result is bit-identical to an uninterrupted\n"
	"run; a resume that is killed can be run again.\n"
	"\n"
	"  -j, --workers N  worker processes (default: CPUs, or $SHMX_WORKERS)\n"
	"  --retries N      worker deaths survived (default 1)\n"
	"  --stats          one JSON object with phases and workers on stderr\n"
	"  --progress       a progress bar on stderr when it is a terminal\n";

enum { OPT_RETRIES = 256, OPT_STATS, OPT_PROGRESS };

static int parse_opt(int c, struct shmx_run_opts *o, int *stats)
{
	uint64_t v;

	switch (c) {
	case 'j':
		if (cli_parse_between("resume", "-j", optarg, 1, 4096, &v))
			return EXIT_USAGE;
		o->workers = (unsigned)v;
		return 0;
	case OPT_RETRIES:
		if (cli_parse_between("resume", "--retries", optarg, 0, 1000, &v))
			return EXIT_USAGE;
		o->retries = (unsigned)v;
		return 0;
	case OPT_STATS: *stats = 1; return 0;
	case OPT_PROGRESS: o->progress = isatty(2); return 0;
	case 'h': fputs(help, stdout); return -1;
	default: return EXIT_USAGE;
	}
}

int cmd_resume(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workers", required_argument, NULL, 'j' },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const missing[] = { "no target given" };
	struct shmx_run_opts o = SHMX_RUN_OPTS_INIT;
	struct shmx_error err = { 0 };
	struct shmx_result res;
	const char *target;
	int c, rc, stats = 0;

	while ((c = cli_getopt("resume", argc, argv, "j:h", opts)) != -1)
		if ((rc = parse_opt(c, &o, &stats)))
			return rc < 0 ? EXIT_OK : rc;
	if ((rc = cli_operands("resume", argc, argv, 1, &target, missing)))
		return rc;
	o.want_stats = stats;
	if (shmx_resume(target, &o, &res, &err))
		return cli_error(&err);
	if (stats)
		shmx_stats_print_json(&res.stats, stderr);
	shmx_result_free(&res);
	return EXIT_OK;
}
