/* tools/cli.c - errors, exit codes and option parsing for the CLI. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cli_prog = "shmx";

int cli_error(const struct shmx_error *e)
{
	fprintf(stderr, "%s: error: %s\n", cli_prog,
		e->msg[0] ? e->msg : shmx_strerror(e->code));
	return shmx_error_is_input(e->code) ? EXIT_USAGE : EXIT_RUNTIME;
}

int cli_usage(const char *fmt, ...)
{
	char msg[SHMX_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line, always, as shmx__fail keeps the library's: an argument
	 * with a line break in it must not split the message. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = '?';
	fprintf(stderr, "%s: error: %s\n", cli_prog, msg);
	return EXIT_USAGE;
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	char opts[64], shortname[3] = "-?";
	const char *what;
	int c, before = optind;

	/* a leading ':' makes getopt tell a missing value (':') from an
	 * unknown option ('?') and keeps it quiet: we print our own line */
	snprintf(opts, sizeof(opts), ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	/* A long option is the whole word getopt just stepped over; a short
	 * one may sit inside a cluster ("-zf"), where optind has not moved
	 * and argv[optind - 1] is some earlier word: name it by optopt. */
	if (optind > before && optind <= argc &&
	    strncmp(argv[optind - 1], "--", 2) == 0)
		what = argv[optind - 1];
	else {
		shortname[1] = (char)optopt;
		what = shortname;
	}
	if (c == ':')
		cli_usage("%s: option '%s' needs a value", cmd, what);
	else
		cli_usage("%s: unknown option '%s' (see shmx %s --help)", cmd,
			  what, cmd);
	return '?';
}

int cli_parse_u64(const char *opt, const char *s, int allow_suffix,
		  uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	if (allow_suffix && *end) {
		const char *sfx = strchr("kMG", *end);

		if (!sfx || end[1])
			goto bad;
		shift = 10u * (unsigned)(sfx - "kMG" + 1);
		if (v > (~0ULL >> shift))
			goto bad;
		v <<= shift;
	} else if (*end) {
		goto bad;
	}
	*out = v;
	return 0;
bad:
	return cli_usage("%s: bad value '%s' (a whole number%s)", opt, s,
			 allow_suffix ? ", optionally with k, M or G" : "");
}

int cli_parse_between(const char *cmd, const char *opt, const char *s,
		      uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (cli_parse_u64(opt, s, 0, out))
		return EXIT_USAGE;
	if (*out < lo || *out > hi)
		return cli_usage("%s: %s must be between %llu and %llu", cmd, opt,
				 (unsigned long long)lo, (unsigned long long)hi);
	return 0;
}

int cli_parse_mode(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 8);

	/* strtoul would also take leading space and a sign */
	if (*s < '0' || *s > '7' || *end || v > 0777 || v == 0)
		return cli_usage("--mode: bad mode '%s' (octal, e.g. 0640)", s);
	*out = (unsigned)v;
	return 0;
}

int cli_array_option(int c, struct cli_array *a)
{
	struct shmx_error err = { 0 };
	unsigned mode = 0; /* -Wmaybe-uninitialized: set when parse succeeds */

	switch (c) {
	case 'o': a->output = optarg; return 0;
	case 'f': a->create.force = 1; return 0;
	case 'm':
		if (cli_parse_mode(optarg, &mode))
			return EXIT_USAGE;
		a->create.mode = mode;
		return 0;
	case 't':
		if (shmx_dtype_parse(optarg, &a->input.dtype, &err))
			return cli_error(&err);
		a->have_dtype = 1;
		return 0;
	case 's':
		if (shmx_shape_parse(optarg, &a->input.shape, &err))
			return cli_error(&err);
		a->have_shape = 1;
		return 0;
	default: return CLI_NOT_SHARED;
	}
}

int cli_array_raw(const char *cmd, const char *what, struct cli_array *a)
{
	if (a->have_dtype != a->have_shape)
		return cli_usage("%s: a raw %s needs both --dtype and --shape",
				 cmd, what);
	a->input.raw = a->have_dtype;
	return 0;
}

int cli_array_need_output(const char *cmd, const struct cli_array *a)
{
	return a->output ? 0 : cli_usage("%s: no output given (-o TARGET)", cmd);
}

int cli_operands(const char *cmd, int argc, char **argv, int n,
		 const char **out, const char *const *missing)
{
	for (int i = 0; i < n; i++) {
		if (optind >= argc)
			return cli_usage("%s: %s", cmd, missing[i]);
		out[i] = argv[optind++];
	}
	if (optind < argc)
		return cli_usage("%s: unexpected argument '%s'", cmd, argv[optind]);
	return 0;
}

int cli_check_env(void)
{
	const char *w = getenv("SHMX_WORKERS");
	char *end;
	unsigned long v;

	if (!w || !*w)
		return 0;
	errno = 0;
	v = strtoul(w, &end, 10);
	if (errno || *end || !isdigit((unsigned char)w[0]) || v < 1 || v > 4096)
		return cli_usage("SHMX_WORKERS: bad value '%s' (a whole number "
				 "from 1 to 4096)",
				 w);
	return 0;
}
