/* tools/cmd_cat.c - `shmx cat`: values as text, one row per line.
 *
 * Floats print with %.17g, so the text round-trips to the same bits;
 * integers in full.
 *
 * Rows go to fd 1 through our own buffer and write(2), not stdio: stdio
 * drops what it holds when a write fails with EINTR (a signal handler
 * installed without SA_RESTART, as SHMX_SIGNAL_STORM's) and only sets an
 * error flag that a later successful fflush does not report, so output
 * was lost with exit 0.  Here EINTR and short writes are resumed, and any
 * other failure is the command's. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
	"usage: shmx cat TARGET [--head N]\n"
	"\n"
	"  --head N   print only the first N rows\n"
	"  --dtype T --shape S   read a raw file\n";

struct out {
	char buf[1 << 16];
	size_t len;
	int err; /* the first errno, 0 while all is well */
};

#define VALUE_MAX 32 /* "%.17g" of a double, or an int64, and a separator */

static void out_flush(struct out *o)
{
	size_t done = 0;

	while (!o->err && done < o->len) {
		ssize_t n = write(STDOUT_FILENO, o->buf + done, o->len - done);

		if (n > 0)
			done += (size_t)n;
		else if (n == 0)
			o->err = EIO;
		else if (errno != EINTR)
			o->err = errno;
	}
	o->len = 0;
}

/* Append element i of data (dtype t), after sep (0 for none). */
static void put_value(struct out *o, const void *data, enum shmx_dtype t,
		      uint64_t i, char sep)
{
	char *p;
	size_t room;
	int n = 0;

	if (sizeof(o->buf) - o->len < VALUE_MAX)
		out_flush(o);
	if (sep)
		o->buf[o->len++] = sep;
	p = o->buf + o->len;
	room = sizeof(o->buf) - o->len;
	switch (t) {
	case SHMX_I8: n = snprintf(p, room, "%d", ((const int8_t *)data)[i]); break;
	case SHMX_I16: n = snprintf(p, room, "%d", ((const int16_t *)data)[i]); break;
	case SHMX_I32: n = snprintf(p, room, "%" PRId32, ((const int32_t *)data)[i]); break;
	case SHMX_I64: n = snprintf(p, room, "%" PRId64, ((const int64_t *)data)[i]); break;
	case SHMX_U8: n = snprintf(p, room, "%u", ((const uint8_t *)data)[i]); break;
	case SHMX_U16: n = snprintf(p, room, "%u", ((const uint16_t *)data)[i]); break;
	case SHMX_U32: n = snprintf(p, room, "%" PRIu32, ((const uint32_t *)data)[i]); break;
	case SHMX_U64: n = snprintf(p, room, "%" PRIu64, ((const uint64_t *)data)[i]); break;
	case SHMX_F32: n = snprintf(p, room, "%.17g", (double)((const float *)data)[i]); break;
	case SHMX_F64: n = snprintf(p, room, "%.17g", ((const double *)data)[i]); break;
	case SHMX_BOOL: n = snprintf(p, room, "%s", ((const uint8_t *)data)[i] ? "True" : "False"); break;
	default: break;
	}
	o->len += n > 0 ? (size_t)n : 0;
}

int cli_print_rows(const void *data, enum shmx_dtype t,
		   const struct shmx_shape *s, uint64_t head)
{
	static struct out o;
	uint64_t rows = shmx_shape_rows(s), cols = shmx_shape_cols(s);

	if (fflush(stdout)) /* whatever stdio holds goes first */
		return -EIO;
	o.len = 0;
	o.err = 0;
	if (head < rows)
		rows = head;
	for (uint64_t r = 0; r < rows && !o.err; r++) {
		for (uint64_t c = 0; c < cols; c++)
			put_value(&o, data, t, r * cols + c, c ? ' ' : 0);
		if (o.len == sizeof(o.buf))
			out_flush(&o);
		o.buf[o.len++] = '\n';
	}
	out_flush(&o);
	return -o.err;
}

int cli_stdout_error(int rc)
{
	fprintf(stderr, "shmx: error: cannot write to stdout: %s\n",
		strerror(-rc));
	return EXIT_RUNTIME;
}

/* Here beside the printer rather than in cli.c, which the CLI fuzz
 * harness links alone. */
int cli_finish_result(struct shmx_result *res, int stats, int print)
{
	int rc = 0;

	if (stats)
		shmx_stats_print_json(&res->stats, stderr);
	if (print)
		rc = cli_print_rows(res->data, res->dtype, &res->shape, UINT64_MAX);
	shmx_result_free(res);
	if (rc)
		return cli_stdout_error(rc);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

/* Print the first `head` rows of a, a block at a time: each block is
 * copied out with shmx_array_read, so an input truncated under us is an
 * error message rather than a SIGBUS. */
static int print_array(const struct shmx_array *a, uint64_t head,
		       struct shmx_error *err)
{
	const struct shmx_shape *s = shmx_array_shape(a);
	enum shmx_dtype t = shmx_array_dtype(a);
	uint64_t rows = shmx_shape_rows(s), cols = shmx_shape_cols(s);
	uint64_t row_bytes, step;
	struct shmx_shape block = { 2, { 0, cols } };
	char *buf;
	int rc = 0;

	if (head < rows)
		rows = head;
	if (!cols || !rows) { /* nothing to read: rows of nothing */
		block.dim[0] = rows;
		rc = cli_print_rows(NULL, t, &block, rows);
		return rc ? cli_stdout_error(rc) : EXIT_OK;
	}
	/* with a row to print, a row's bytes fit: the array's did */
	row_bytes = cols * shmx_dtype_size(t);
	step = (1u << 20) / row_bytes ? (1u << 20) / row_bytes : 1;
	buf = malloc(step * row_bytes);
	if (!buf) {
		err->code = -ENOMEM;
		snprintf(err->msg, sizeof(err->msg), "cat: out of memory");
		return cli_error(err);
	}
	for (uint64_t r = 0; r < rows && !rc; r += step) {
		block.dim[0] = rows - r < step ? rows - r : step;
		rc = shmx_array_read(a, r * row_bytes, buf,
				     block.dim[0] * row_bytes, err);
		if (rc) {
			free(buf);
			return cli_error(err);
		}
		rc = cli_print_rows(buf, t, &block, UINT64_MAX);
	}
	free(buf);
	return rc ? cli_stdout_error(rc) : EXIT_OK;
}

static int parse(int argc, char **argv, struct cli_array *a, uint64_t *head,
		 const char **target)
{
	static const struct option opts[] = {
		CLI_ARRAY_OPTIONS,
		{ "head", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const missing[] = { "no target given" };
	int c, rc;

	while ((c = cli_getopt("cat", argc, argv, CLI_ARRAY_SHORTOPTS "n:h",
			       opts)) != -1) {
		if (c == 'h')
			return fputs(help, stdout), -1;
		if (c == 'n') {
			if (cli_parse_u64("--head", optarg, 0, head))
				return EXIT_USAGE;
		} else if ((rc = cli_array_option(c, a))) {
			return rc == CLI_NOT_SHARED ? EXIT_USAGE : rc;
		}
	}
	if ((rc = cli_operands("cat", argc, argv, 1, target, missing)))
		return rc;
	return cli_array_raw("cat", "file", a);
}

int cmd_cat(int argc, char **argv)
{
	struct cli_array o = { 0 };
	struct shmx_error err = { 0 };
	struct shmx_array *a;
	uint64_t head = UINT64_MAX;
	const char *target;
	int rc = parse(argc, argv, &o, &head, &target);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (shmx_array_open(target, &o.input, &a, &err))
		return cli_error(&err);
	rc = print_array(a, head, &err);
	shmx_array_close(a);
	return rc;
}
