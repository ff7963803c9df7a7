/* tools/cli.h - what the subcommands share: the one-line error, exit
 * codes, and option parsing helpers. */
#ifndef SHMX_CLI_H
#define SHMX_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <time.h>
#include <shmx/shmx.h>

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* Print "shmx: error: <msg>" and return the exit code its class gives. */
int cli_error(const struct shmx_error *e);
/* Print "shmx: error: <formatted>" and return EXIT_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* getopt_long with our own messages for unknown options and missing
 * arguments: returns the option, -1 at the end, or '?' after printing. */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/* Parse a whole decimal number (suffixes k, M, G as powers of 1024 when
 * allow_suffix).  0, or prints an error naming opt and returns EXIT_USAGE. */
int cli_parse_u64(const char *opt, const char *s, int allow_suffix,
		  uint64_t *out);
/* cli_parse_u64 without suffixes, then "<cmd>: <opt> must be between lo
 * and hi" when it is outside; 0 or EXIT_USAGE, printed. */
int cli_parse_between(const char *cmd, const char *opt, const char *s,
		      uint64_t lo, uint64_t hi, uint64_t *out);
int cli_parse_mode(const char *s, unsigned *out);

/* The options gen, load, run and cat share, with their option values as
 * cli_array_option takes them: where an output goes (-o/--output,
 * -f/--force, --mode) and an array's dtype and shape (-t/--dtype,
 * -s/--shape: of a raw input, or of gen's new array).  A command puts the
 * macros in its option table and the letters in its short options. */
#define CLI_OUTPUT_SHORTOPTS "o:f"
#define CLI_OUTPUT_OPTIONS                                 \
	{ "output", required_argument, NULL, 'o' },        \
	{ "force", no_argument, NULL, 'f' },               \
	{ "mode", required_argument, NULL, 'm' }
#define CLI_ARRAY_SHORTOPTS "t:s:"
#define CLI_ARRAY_OPTIONS                                  \
	{ "dtype", required_argument, NULL, 't' },         \
	{ "shape", required_argument, NULL, 's' }

struct cli_array {
	const char *output;             /* -o, NULL when not given */
	struct shmx_create_opts create; /* --force, --mode */
	struct shmx_open_opts input;    /* --dtype, --shape; .raw: cli_array_raw */
	int have_dtype, have_shape;
};

/* When c (from cli_getopt, optarg its value) is one of the shared
 * options, take it into a: 0, or EXIT_USAGE after printing the error.
 * CLI_NOT_SHARED when c is some other option, for the command to take. */
enum { CLI_NOT_SHARED = -2 };
int cli_array_option(int c, struct cli_array *a);
/* After the options, for a command that reads a raw input with --dtype and
 * --shape: both or neither ("<cmd>: a raw <what> needs both --dtype and
 * --shape"), and a->input.raw says which.  0 or EXIT_USAGE, printed. */
int cli_array_raw(const char *cmd, const char *what, struct cli_array *a);
/* "<cmd>: no output given (-o TARGET)" unless -o was given: 0 or
 * EXIT_USAGE, printed. */
int cli_array_need_output(const char *cmd, const struct cli_array *a);

/* The operands after the options: n of them, into out[0..n-1].  A missing
 * one prints "<cmd>: <missing[i]>", one too many "<cmd>: unexpected
 * argument '...'": 0 or EXIT_USAGE. */
int cli_operands(const char *cmd, int argc, char **argv, int n,
		 const char **out, const char *const *missing);
/* "42s", "7m", "3h", "2d": how long ago mtime was. */
void cli_format_age(time_t mtime, char *buf, size_t len);

/* Print an array's values to stdout, one row per line (at most head
 * rows), resuming after EINTR and short writes.  0, or -errno when stdout
 * cannot be written. */
int cli_print_rows(const void *data, enum shmx_dtype t,
		   const struct shmx_shape *s, uint64_t head);
/* Print "shmx: error: cannot write to stdout: ..." for cli_print_rows's
 * rc and return EXIT_RUNTIME. */
int cli_stdout_error(int rc);
/* What run and eval do with their result (cmd_cat.c): its --stats line
 * on stderr when stats, its values on stdout when print (no output
 * given), then free it.  EXIT_OK, or EXIT_RUNTIME when stdout cannot be
 * written (the rows: printed by cli_stdout_error; stdio's last flush:
 * without a message, as before). */
int cli_finish_result(struct shmx_result *res, int stats, int print);

/* $SHMX_WORKERS, when set, must be a worker count (the library would
 * quietly ignore a bad one).  0, or prints the error and returns
 * EXIT_USAGE. */
int cli_check_env(void);

/* `shmx run`'s operands and options (cmd_run.c), which shmx-mpi's run
 * takes too.  Parse argv (argv[0]: "run") into a = { .o =
 * SHMX_RUN_OPTS_INIT }: 0, -1 after printing --help, or EXIT_USAGE after
 * printing the error. */
struct run_args {
	const char *op;
	const char *src[SHMX_KERNEL_INPUTS_MAX]; /* SOURCE... */
	unsigned nsrc;
	struct cli_array arr;   /* -o, --dtype, --shape, --force, --mode */
	struct shmx_run_opts o;
	int stats;
};
int cmd_run_parse(int argc, char **argv, struct run_args *a);

/* `shmx eval`'s operands and options (cmd_eval.c), which shmx-mpi's
 * eval takes too: as cmd_run_parse, into a = { .o = SHMX_RUN_OPTS_INIT }
 * (0, -1 after printing --help, or EXIT_USAGE after printing the error). */
struct eval_args {
	const char *expr;
	struct shmx_eval_input in[SHMX_KERNEL_INPUTS_MAX];
	char names[SHMX_KERNEL_INPUTS_MAX][64];
	unsigned n;
	struct cli_array arr; /* -o, --force, --mode */
	struct shmx_run_opts o;
	int stats;
};
int cmd_eval_parse(int argc, char **argv, struct eval_args *a);

/* The program's name in "<prog>: error: ..." ("shmx" unless set). */
extern const char *cli_prog;

/* Subcommands: argv[0] is the subcommand's name. */
int cmd_gen(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_eval(int argc, char **argv);

int cmd_resume(int argc, char **argv);

#endif
