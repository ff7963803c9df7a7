/* tools/main.c - `shmx <command> ...`: dispatch to one file per command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "gen", cmd_gen, "generate an array into a segment or file" },
	{ "run", cmd_run, "an operation over an array, in parallel" },
	{ "eval", cmd_eval, "a numpy expression over arrays, in one fused pass" },
	{ "load", cmd_load, "load a raw or NPY file into a segment or file" },
	{ "info", cmd_info, "dtype, shape, bytes, where, owner, age" },
	{ "ls", cmd_ls, "the arrays in the shm directory" },
	{ "rm", cmd_rm, "remove arrays (and stale temporaries)" },
	{ "cat", cmd_cat, "print values as text, one row per line" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: shmx <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nTargets: shm://NAME (a POSIX shm segment), file://PATH "
		   "or PATH.\nRun 'shmx <command> --help' for a command's "
		   "options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("no command given (see shmx --help)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help"))
		return usage(stdout), EXIT_OK;
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return printf("shmx %s\nfault injection: %s\n", shmx_version(),
			      shmx_fault_hooks() ? "on" : "off"), EXIT_OK;
	if (cli_check_env())
		return EXIT_USAGE;
	shmx_signals_install();
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return cli_usage("unknown command '%s' (see shmx --help)", argv[1]);
}
