/* tools/cmd_cat.c - `shmx cat`: values as text, one row per line.
 *
 * Floats print with %.17g, so the text round-trips to the same bits;
 * integers in full. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char help[] =
	"usage: shmx cat TARGET [--head N]\n"
	"\n"
	"  --head N   print only the first N rows\n"
	"  --dtype T --shape S   read a raw file\n";

/* Print element i of data (dtype t), preceded by sep. */
static void print_value(const void *data, enum shmx_dtype t, uint64_t i)
{
	switch (t) {
	case SHMX_I8: printf("%d", ((const int8_t *)data)[i]); break;
	case SHMX_I16: printf("%d", ((const int16_t *)data)[i]); break;
	case SHMX_I32: printf("%" PRId32, ((const int32_t *)data)[i]); break;
	case SHMX_I64: printf("%" PRId64, ((const int64_t *)data)[i]); break;
	case SHMX_U8: printf("%u", ((const uint8_t *)data)[i]); break;
	case SHMX_U16: printf("%u", ((const uint16_t *)data)[i]); break;
	case SHMX_U32: printf("%" PRIu32, ((const uint32_t *)data)[i]); break;
	case SHMX_U64: printf("%" PRIu64, ((const uint64_t *)data)[i]); break;
	case SHMX_F32: printf("%.17g", (double)((const float *)data)[i]); break;
	case SHMX_F64: printf("%.17g", ((const double *)data)[i]); break;
	default: break;
	}
}

void cli_print_rows(const void *data, enum shmx_dtype t,
		    const struct shmx_shape *s, uint64_t head)
{
	uint64_t rows = shmx_shape_rows(s), cols = shmx_shape_cols(s);

	if (head < rows)
		rows = head;
	for (uint64_t r = 0; r < rows; r++) {
		for (uint64_t c = 0; c < cols; c++) {
			if (c)
				putchar(' ');
			print_value(data, t, r * cols + c);
		}
		putchar('\n');
	}
}

int cmd_cat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "head", required_argument, NULL, 'n' },
		{ "dtype", required_argument, NULL, 't' },
		{ "shape", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static char buf[1 << 16];
	struct shmx_open_opts o = { 0 };
	struct shmx_error err = { 0 };
	struct shmx_array *a;
	uint64_t head = UINT64_MAX;
	int c, have_t = 0, have_s = 0;

	while ((c = cli_getopt("cat", argc, argv, "n:t:s:h", opts)) != -1) {
		switch (c) {
		case 'n':
			if (cli_parse_u64("--head", optarg, 0, &head))
				return EXIT_USAGE;
			break;
		case 't':
			if (shmx_dtype_parse(optarg, &o.dtype, &err))
				return cli_error(&err);
			have_t = 1;
			break;
		case 's':
			if (shmx_shape_parse(optarg, &o.shape, &err))
				return cli_error(&err);
			have_s = 1;
			break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage("cat: no target given");
	if (optind + 1 < argc)
		return cli_usage("cat: unexpected argument '%s'", argv[optind + 1]);
	if (have_t != have_s)
		return cli_usage("cat: a raw file needs both --dtype and --shape");
	o.raw = have_t;
	if (shmx_array_open(argv[optind], &o, &a, &err))
		return cli_error(&err);
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	cli_print_rows(shmx_array_data(a), shmx_array_dtype(a),
		       shmx_array_shape(a), head);
	shmx_array_close(a);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}
