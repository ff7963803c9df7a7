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
int cli_parse_mode(const char *s, unsigned *out);
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

/* $SHMX_WORKERS, when set, must be a worker count (the library would
 * quietly ignore a bad one).  0, or prints the error and returns
 * EXIT_USAGE. */
int cli_check_env(void);

/* Subcommands: argv[0] is the subcommand's name. */
int cmd_gen(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
