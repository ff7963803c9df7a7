/* tools/cmd_load.c - `shmx load`: a raw or NPY file into a new target, or
 * a CSV (.csv, .tsv, --format csv) parsed in parallel (shmx/csv.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
	"usage: shmx load SOURCE -o TARGET [--dtype T --shape S] [--force]\n"
	"                 [--mode OCTAL]\n"
	"       shmx load FILE.csv -o TARGET [--dtype T] [--delimiter C]\n"
	"                 [--header|--no-header] [--skip N] [--columns LIST]\n"
	"                 [--comment C] [--chunk BYTES] [-j N] [--stats] [--progress]\n"
	"                 [--force] [--mode OCTAL]\n"
	"\n"
	"  SOURCE               an NPY file or segment; with --dtype and --shape,\n"
	"                       a raw little-endian C-order file of exactly that size\n"
	"  -o, --output TARGET  shm://NAME, file://PATH or PATH\n"
	"  -t, --dtype T        dtype of a raw SOURCE; of a CSV's array (default f64)\n"
	"  -s, --shape S        shape of a raw SOURCE (N or RxC)\n"
	"  -f, --force          replace an existing target\n"
	"  --mode OCTAL         permissions of the new array (default 0600)\n"
	"\n"
	"CSV (a name ending in .csv or .tsv, or --format csv):\n"
	"  --format csv         read SOURCE as CSV whatever its name\n"
	"  --delimiter C        ',' (default), tab (default for .tsv; also '\\t' or\n"
	"                       'tab'), ';', ' ' or 'space' (runs of blanks)\n"
	"  --header, --no-header  the first record is (not) the column names\n"
	"                       (default: it is when a field is not a number)\n"
	"  --skip N             lines to skip first\n"
	"  --columns LIST       columns to keep, in this order: 0-based indices or\n"
	"                       header names, comma-separated\n"
	"  --comment C          C and the rest of its line are a comment\n"
	"  --chunk BYTES        bytes of input a worker takes at a time (default 4M)\n"
	"  -j, --workers N      worker processes (default: CPUs, or $SHMX_WORKERS)\n"
	"  --stats              one JSON object with phases and workers on stderr\n"
	"  --progress           a progress bar on stderr when it is a terminal\n";

enum { OPT_FORMAT = 256, OPT_DELIM, OPT_HEADER, OPT_NOHEADER, OPT_SKIP,
       OPT_COLUMNS, OPT_COMMENT, OPT_CHUNK, OPT_STATS, OPT_PROGRESS };

struct load_args {
	struct cli_array a;
	struct shmx_csv_opts csv;
	const char *source;
	int format_csv;
	const char *csv_only; /* a CSV option given, for the error */
	int stats;
};

static int one_char(const char *opt, const char *s, char *out)
{
	if (!strcmp(s, "tab") || !strcmp(s, "\\t"))
		return *out = '\t', 0;
	if (!strcmp(s, "space"))
		return *out = ' ', 0;
	if (strlen(s) != 1)
		return cli_usage("load: %s must be one character, not '%s'",
				 opt, s);
	*out = s[0];
	return 0;
}

static int csv_option(int c, struct load_args *l)
{
	uint64_t v;

	switch (c) {
	case OPT_DELIM: return one_char("--delimiter", optarg, &l->csv.delimiter);
	case OPT_COMMENT: return one_char("--comment", optarg, &l->csv.comment);
	case OPT_HEADER: l->csv.header = SHMX_CSV_HEADER_YES; return 0;
	case OPT_NOHEADER: l->csv.header = SHMX_CSV_HEADER_NO; return 0;
	case OPT_SKIP:
		if (cli_parse_u64("--skip", optarg, 0, &v))
			return EXIT_USAGE;
		l->csv.skip = v;
		return 0;
	case OPT_COLUMNS: l->csv.columns = optarg; return 0;
	case OPT_CHUNK:
		if (cli_parse_u64("--chunk", optarg, 1, &v))
			return EXIT_USAGE;
		if (v < 1)
			return cli_usage("load: --chunk must be at least 1 byte");
		l->csv.chunk_bytes = v;
		return 0;
	case 'j':
		if (cli_parse_between("load", "-j", optarg, 1, 4096, &v))
			return EXIT_USAGE;
		l->csv.workers = (unsigned)v;
		return 0;
	case OPT_STATS: l->stats = 1; return 0;
	case OPT_PROGRESS: l->csv.progress = isatty(2); return 0;
	default: return EXIT_USAGE;
	}
}

static const struct option opts[] = {
	CLI_OUTPUT_OPTIONS,
	CLI_ARRAY_OPTIONS,
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "delimiter", required_argument, NULL, OPT_DELIM },
	{ "header", no_argument, NULL, OPT_HEADER },
	{ "no-header", no_argument, NULL, OPT_NOHEADER },
	{ "skip", required_argument, NULL, OPT_SKIP },
	{ "columns", required_argument, NULL, OPT_COLUMNS },
	{ "comment", required_argument, NULL, OPT_COMMENT },
	{ "chunk", required_argument, NULL, OPT_CHUNK },
	{ "workers", required_argument, NULL, 'j' },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static int is_csv_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 4 && (!strcmp(s + n - 4, ".csv") || !strcmp(s + n - 4, ".tsv"));
}

/* After the options: which kind of load, and what fits it. */
static int check(struct load_args *l)
{
	if (l->format_csv || is_csv_name(l->source)) {
		if (l->a.have_shape)
			return cli_usage("load: a CSV's shape comes from the "
					 "file (no --shape)");
		if (l->a.have_dtype)
			l->csv.dtype = l->a.input.dtype;
		l->csv.create = l->a.create;
		l->format_csv = 1;
		return 0;
	}
	if (l->csv_only)
		return cli_usage("load: --%s is for CSV sources (.csv, .tsv or "
				 "--format csv)", l->csv_only);
	return cli_array_raw("load", "source", &l->a);
}

static int parse(int argc, char **argv, struct load_args *l)
{
	static const char *const missing[] = { "no source given" };
	int c, rc;

	while ((c = cli_getopt("load", argc, argv,
			       CLI_OUTPUT_SHORTOPTS CLI_ARRAY_SHORTOPTS "j:h",
			       opts)) != -1) {
		if (c == 'h')
			return fputs(help, stdout), -1;
		if ((rc = cli_array_option(c, &l->a)) != CLI_NOT_SHARED) {
			if (rc)
				return rc;
			continue;
		}
		if (c == OPT_FORMAT) {
			if (strcmp(optarg, "csv"))
				return cli_usage("load: --format must be csv, "
						 "not '%s'", optarg);
			l->format_csv = 1;
			continue;
		}
		if (c == '?' || c == ':')
			return EXIT_USAGE;
		for (const struct option *o = opts; o->name; o++)
			if (o->val == c)
				l->csv_only = o->name;
		if ((rc = csv_option(c, l)))
			return rc;
	}
	if ((rc = cli_operands("load", argc, argv, 1, &l->source, missing)) ||
	    (rc = cli_array_need_output("load", &l->a)))
		return rc;
	return check(l);
}

static int load_csv(struct load_args *l)
{
	struct shmx_error err = { 0 };
	struct shmx_stats st = { 0 };
	int rc = shmx_load_csv(l->source, l->a.output, &l->csv,
			       l->stats ? &st : NULL, &err);

	if (rc)
		return cli_error(&err);
	if (l->stats)
		shmx_stats_print_json(&st, stderr);
	shmx_stats_free(&st);
	return EXIT_OK;
}

int cmd_load(int argc, char **argv)
{
	struct load_args l = { .csv = SHMX_CSV_OPTS_INIT };
	struct shmx_error err = { 0 };
	struct shmx_array *in;
	struct shmx_output *out;
	int rc = parse(argc, argv, &l);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (l.format_csv)
		return load_csv(&l);
	if (shmx_array_open(l.source, &l.a.input, &in, &err))
		return cli_error(&err);
	rc = shmx_output_create(l.a.output, shmx_array_dtype(in),
				shmx_array_shape(in), &l.a.create, &out, &err);
	if (!rc) {
		/* guarded: an input truncated under us is an error, not SIGBUS */
		rc = shmx_array_read(in, 0, shmx_output_data(out),
				     shmx_array_nbytes(in), &err);
		if (rc)
			shmx_output_discard(out);
		else
			rc = shmx_output_publish(out, &err);
	}
	shmx_array_close(in);
	return rc ? cli_error(&err) : EXIT_OK;
}
