/* tests/test_csv.c - the pure CSV parser (engine/format/csv.c): the
 * record scanner from every byte position against a sequential reference
 * written here, record and field splitting for every dialect feature,
 * values (floats exactly, integers in range), header detection and the
 * helpers that place and quote an error. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "format/csv.h"
#include "format/number.h"

#define MAXN 512

/* ---- the sequential reference: one walk, the state before every byte -- */

struct ref {
	uint8_t st[MAXN + 1];  /* state before byte i (st[n]: at the end) */
	int end_at[MAXN];      /* a record ends at byte i ('\n') */
	int row_at[MAXN];      /* ... and it had content */
};

static void reference(const struct shmx__csv_dialect *d, const char *p,
		      size_t n, struct ref *r)
{
	int in = 0, cmt = 0, content = 0;

	cr_assert_leq(n, MAXN);
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		int blank = c == ' ' || c == '\r' || (c == '\t' && d->delim != '\t');

		r->st[i] = in ? SHMX__CSV_IN
			   : cmt ? (content ? SHMX__CSV_CMT1 : SHMX__CSV_CMT0)
				 : (content ? SHMX__CSV_OUT1 : SHMX__CSV_OUT0);
		if (in) {
			in = c != '"';
		} else if (c == '\n') {
			r->end_at[i] = 1;
			r->row_at[i] = content;
			content = cmt = 0;
		} else if (cmt) {
			;
		} else if (c == '"') {
			in = content = 1;
		} else if (d->comment && c == d->comment) {
			cmt = 1;
		} else if (!blank) {
			content = 1;
		}
	}
	r->st[n] = in ? SHMX__CSV_IN
		   : cmt ? (content ? SHMX__CSV_CMT1 : SHMX__CSV_CMT0)
			 : (content ? SHMX__CSV_OUT1 : SHMX__CSV_OUT0);
}

/* Scanning [b, e) from the state the reference has at b gives what the
 * reference says of [b, e): for every b and e. */
static void check_every_range(const struct shmx__csv_dialect *d,
			      const char *p)
{
	size_t n = strlen(p);
	struct ref r;

	reference(d, p, n, &r);
	for (size_t b = 0; b <= n; b++) {
		for (size_t e = b; e <= n; e++) {
			struct shmx__csv_span s;
			const struct shmx__csv_lane *l;
			uint64_t rows = 0, last = 0, nl = 0;

			shmx__csv_scan(d, p + b, e - b, &s);
			l = &s.lane[r.st[b]];
			for (size_t i = b; i < e; i++) {
				rows += (uint64_t)r.row_at[i];
				if (r.end_at[i])
					last = i - b + 1;
				nl += p[i] == '\n';
			}
			cr_assert_eq(l->end, r.st[e], "end state [%zu,%zu) of '%s'", b, e, p);
			cr_assert_eq(l->rows, rows, "rows [%zu,%zu) of '%s'", b, e, p);
			cr_assert_eq(l->last_end, last, "last end [%zu,%zu) of '%s'", b, e, p);
			cr_assert_eq(s.newlines, nl);
		}
	}
}

static const char *const tricky[] = {
	"a,b\n1,2\n3,4\n",
	"\"x\ny\",1\n\"\"\"\",2\r\n3,\"4\n\n5\"\n",
	"\n\n  \n1\n\r\n\"\"\n,\n",
	"\"a,\"\"b\"\"\nc\",\"\n\"\n1,2",
	"1,2 # note \"q\n# \"quoted\ncomment\n3,\"#\"\n  # x\n4",
	"\"\"\"\"\"\"\n\"\n\"\n\"",
	"1 \t 2\t\"3 4\"  \n\t\n5 6\n",
	"x\"y\"z\n\"q\"r,s\n\"",
	"",
	"\"",
	"#\n#\"\n\"#\"\n",
};

Test(csv, scan_matches_the_reference_from_every_byte)
{
	static const struct shmx__csv_dialect ds[] = {
		{ ',', 0 }, { ',', '#' }, { '\t', 0 }, { ' ', '#' }, { ';', '#' },
	};

	for (size_t i = 0; i < sizeof(ds) / sizeof(*ds); i++)
		for (size_t t = 0; t < sizeof(tricky) / sizeof(*tricky); t++)
			check_every_range(&ds[i], tricky[t]);
}

/* The records shmx__csv_record walks from 0 end where the reference's
 * do, and are rows exactly when the reference says so. */
Test(csv, records_end_where_the_reference_says)
{
	static const struct shmx__csv_dialect ds[] = {
		{ ',', 0 }, { ',', '#' }, { ' ', '#' },
	};

	for (size_t i = 0; i < sizeof(ds) / sizeof(*ds); i++) {
		for (size_t t = 0; t < sizeof(tricky) / sizeof(*tricky); t++) {
			const char *p = tricky[t];
			size_t n = strlen(p), at = 0, next, nf, bad;
			struct shmx__csv_field f[16];
			struct ref r;

			reference(&ds[i], p, n, &r);
			while (at < n) {
				int rc = shmx__csv_record(&ds[i], p, n, at, &next,
							  f, 16, &nf, &bad);

				if (rc) {
					cr_assert_eq(r.st[n], SHMX__CSV_IN, "'%s'", p);
					cr_assert_eq(p[bad], '"');
					break;
				}
				cr_assert_gt(next, at);
				if (next <= n && p[next - 1] == '\n' &&
				    r.end_at[next - 1]) {
					cr_assert_eq(!!nf, r.row_at[next - 1],
						     "'%s' at %zu", p, at);
				} else {
					cr_assert_eq(next, n, "'%s' at %zu", p, at);
					cr_assert_eq(!!nf, shmx__csv_open_row(r.st[n]));
				}
				for (size_t j = at; j + 1 < next; j++)
					cr_assert(!r.end_at[j], "'%s': %zu", p, j);
				at = next;
			}
		}
	}
}

/* ---- fields -------------------------------------------------------------- */

/* The fields of the one record in p, joined by '|'. */
static void fields(const struct shmx__csv_dialect *d, const char *p,
		   char *out)
{
	struct shmx__csv_field f[32];
	size_t n = strlen(p), next, nf, bad;

	cr_assert_eq(shmx__csv_record(d, p, n, 0, &next, f, 32, &nf, &bad), 0);
	out[0] = '\0';
	for (size_t i = 0; i < nf; i++) {
		if (i)
			strcat(out, "|");
		strncat(out, p + f[i].at, f[i].len);
	}
}

static void expect_fields(char delim, char comment, const char *p,
			  const char *want)
{
	struct shmx__csv_dialect d = { delim, comment };
	char got[512];

	fields(&d, p, got);
	cr_assert_str_eq(got, want, "'%s' split as '%s'", p, got);
}

Test(csv, fields_split_at_the_delimiter_outside_quotes)
{
	expect_fields(',', 0, "1,2,3\n", "1|2|3");
	expect_fields(',', 0, "  1 , 2\t,3 \r\n", "1|2|3");
	expect_fields(',', 0, "1,,3,\n", "1||3|");
	expect_fields(',', 0, ",\n", "|");
	expect_fields(',', 0, "\"a,b\",\"c\"\"d\"\n", "\"a,b\"|\"c\"\"d\"");
	expect_fields(',', 0, " \"x\ny\" , 2", "\"x\ny\"|2");
	expect_fields(',', 0, "1 2,3", "1 2|3");
	expect_fields(',', 0, "   \r\n", "");
	expect_fields(',', '#', "1,2 # c,d\n", "1|2");
	expect_fields(',', '#', "1,# c\n", "1|");
	expect_fields(',', '#', "  # only\n", "");
	expect_fields(',', '#', "\"#\",2\n", "\"#\"|2");
	expect_fields(';', 0, "1;2,5;3\n", "1|2,5|3");
	expect_fields('\t', 0, "1\t\t3\n", "1||3");
	expect_fields('\t', 0, "\t\n", "|");
	expect_fields(' ', 0, "  1   2\t3  \n", "1|2|3");
	expect_fields(' ', 0, "\"a b\"  c\n", "\"a b\"|c");
	expect_fields(' ', 0, " \t \n", "");
	expect_fields(' ', '#', "1 2 #3\n", "1|2");
}

Test(csv, an_unterminated_quote_names_its_opening_quote)
{
	struct shmx__csv_dialect d = { ',', 0 };
	struct shmx__csv_field f[4];
	const char *p = "1,\"2\n3,4\n";
	size_t next, nf, bad;

	cr_assert_eq(shmx__csv_record(&d, p, strlen(p), 0, &next, f, 4, &nf, &bad), -1);
	cr_assert_eq(bad, 2);
}

Test(csv, fields_past_cap_are_counted)
{
	struct shmx__csv_dialect d = { ',', 0 };
	struct shmx__csv_field f[2];
	size_t next, nf, bad;

	cr_assert_eq(shmx__csv_record(&d, "1,2,3,4", 7, 0, &next, f, 2, &nf, &bad), 0);
	cr_assert_eq(nf, 4);
	cr_assert_eq(f[1].at, 2);
	cr_assert_eq(next, 7);
}

Test(csv, unquote)
{
	char buf[32];
	int q;
	long n;

	n = shmx__csv_unquote("\"a\"\"b\"", 6, buf, sizeof(buf), &q);
	cr_assert_eq(n, 3);
	cr_assert(q);
	cr_assert_eq(memcmp(buf, "a\"b", 3), 0);
	cr_assert_eq(shmx__csv_unquote("abc", 3, buf, sizeof(buf), &q), 3);
	cr_assert(!q);
	cr_assert_eq(shmx__csv_unquote("a\"b", 3, buf, sizeof(buf), &q), -1);
	cr_assert_eq(shmx__csv_unquote("\"a\"b\"", 5, buf, sizeof(buf), &q), -1);
	cr_assert_eq(shmx__csv_unquote("\"\"", 2, buf, sizeof(buf), &q), 0);
	cr_assert(q);
}

/* ---- values -------------------------------------------------------------- */

static double f64(const char *s)
{
	double v = -1;

	cr_assert_eq(shmx__csv_value(s, strlen(s), SHMX_F64, &v), SHMX__CSV_OK,
		     "'%s'", s);
	return v;
}

static void same_as_strtod(const char *s)
{
	double want = strtod(s, NULL), got = f64(s);

	cr_assert_eq(memcmp(&want, &got, 8), 0, "'%s': %a, strtod %a", s, got, want);
}

Test(csv, floats_are_strtods_bits)
{
	static const char *const s[] = {
		"0", "-0", "1", "0.1", "1e308", "1.7976931348623157e308",
		"1.7976931348623158e308", "1e309", "-1e309", "4.9e-324",
		"2.4703282292062327e-324", "2.4703282292062328e-324",
		"2.2250738585072011e-308", "1e-400", "123456789012345678901234567890",
		"9007199254740993",
		"0.1000000000000000055511151231257827021181583404541015625",
		"1.00000000000000011102230246251565404236316680908203125",
		"3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798214808651",
		"1.", ".5", "-.5e-3", "1E5", "6.02214076e+23",
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(*s); i++)
		same_as_strtod(s[i]);
	cr_assert_eq(f64("+1.5"), 1.5);
}

Test(csv, nan_and_inf_as_python_spells_them)
{
	static const char *const nans[] = { "nan", "NaN", "NAN", "-nan", "+nan", "\"nan\"" };
	static const char *const infs[] = { "inf", "Inf", "INFINITY", "+infinity", "iNfInItY" };

	for (size_t i = 0; i < sizeof(nans) / sizeof(*nans); i++)
		cr_assert(isnan(f64(nans[i])), "%s", nans[i]);
	for (size_t i = 0; i < sizeof(infs) / sizeof(*infs); i++)
		cr_assert(isinf(f64(infs[i])) && f64(infs[i]) > 0, "%s", infs[i]);
	cr_assert(isinf(f64("-Infinity")) && f64("-inf") < 0);
	cr_assert(isnan(f64("")), "empty is NaN");
	cr_assert(isnan(f64("\"\"")), "empty quoted is NaN");
}

Test(csv, not_numbers)
{
	static const char *const bad[] = {
		"x", "1x", "1e", "--1", "+-1", "+", "-", "0x10", "1,5", "nan(1)",
		"infx", "in", "1 2", "\"1", "1_000", ".", "e5", "1e+", "\"1\"x",
	};
	double v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_assert_eq(shmx__csv_value(bad[i], strlen(bad[i]), SHMX_F64, &v),
			     SHMX__CSV_NOT_NUMBER, "'%s'", bad[i]);
}

Test(csv, f32_is_rounded_once)
{
	float v;

	cr_assert_eq(shmx__csv_value("0.1", 3, SHMX_F32, &v), 0);
	cr_assert_eq(v, 0.1f);
	cr_assert_eq(shmx__csv_value("3.4028236e38", 12, SHMX_F32, &v), 0);
	cr_assert(isinf(v));
	cr_assert_eq(shmx__csv_value("1e-46", 5, SHMX_F32, &v), 0);
	cr_assert_eq(v, 0.0f);
	/* 1 + 2^-24 + 2^-60: through a double it would round to even (1.0),
	 * read once it is above the halfway point */
	cr_assert_eq(shmx__csv_value("1.00000005960464477539930", 25, SHMX_F32, &v), 0);
	cr_assert_eq(v, nextafterf(1.0f, 2.0f));
}

static enum shmx__csv_bad ival(const char *s, enum shmx_dtype t, int64_t *i,
			       uint64_t *u)
{
	union { int8_t i8; int16_t i16; int32_t i32; int64_t i64; uint8_t u8;
		uint16_t u16; uint32_t u32; uint64_t u64; } v;
	enum shmx__csv_bad b = shmx__csv_value(s, strlen(s), t, &v);

	switch (t) {
	case SHMX_I8: *i = v.i8; break;
	case SHMX_I16: *i = v.i16; break;
	case SHMX_I32: *i = v.i32; break;
	case SHMX_I64: *i = v.i64; break;
	case SHMX_U8: *u = v.u8; break;
	case SHMX_U16: *u = v.u16; break;
	case SHMX_U32: *u = v.u32; break;
	default: *u = v.u64; break;
	}
	return b;
}

Test(csv, integers_in_range)
{
	static const struct { const char *s; enum shmx_dtype t; int ok; } c[] = {
		{ "127", SHMX_I8, 1 }, { "128", SHMX_I8, 0 }, { "-128", SHMX_I8, 1 },
		{ "-129", SHMX_I8, 0 }, { "32767", SHMX_I16, 1 }, { "-32769", SHMX_I16, 0 },
		{ "2147483647", SHMX_I32, 1 }, { "2147483648", SHMX_I32, 0 },
		{ "9223372036854775807", SHMX_I64, 1 }, { "9223372036854775808", SHMX_I64, 0 },
		{ "-9223372036854775808", SHMX_I64, 1 }, { "-9223372036854775809", SHMX_I64, 0 },
		{ "255", SHMX_U8, 1 }, { "256", SHMX_U8, 0 }, { "-1", SHMX_U8, 0 },
		{ "-0", SHMX_U8, 1 }, { "65535", SHMX_U16, 1 }, { "4294967296", SHMX_U32, 0 },
		{ "18446744073709551615", SHMX_U64, 1 }, { "18446744073709551616", SHMX_U64, 0 },
		{ "99999999999999999999999", SHMX_U64, 0 }, { "+7", SHMX_I8, 1 },
		{ "007", SHMX_U8, 1 },
	};
	int64_t i;
	uint64_t u;

	for (size_t k = 0; k < sizeof(c) / sizeof(*c); k++)
		cr_assert_eq(ival(c[k].s, c[k].t, &i, &u),
			     c[k].ok ? SHMX__CSV_OK : SHMX__CSV_RANGE, "%s as %s",
			     c[k].s, shmx_dtype_name(c[k].t));
	cr_assert_eq(ival("-128", SHMX_I8, &i, &u), 0);
	cr_assert_eq(i, -128);
	cr_assert_eq(ival("-9223372036854775808", SHMX_I64, &i, &u), 0);
	cr_assert_eq(i, INT64_MIN);
	cr_assert_eq(ival("18446744073709551615", SHMX_U64, &i, &u), 0);
	cr_assert_eq(u, UINT64_MAX);
	cr_assert_eq(ival("\"42\"", SHMX_I32, &i, &u), 0);
	cr_assert_eq(i, 42);
}

Test(csv, integer_columns_refuse_fractions_and_empties)
{
	int64_t i;
	uint64_t u;

	cr_assert_eq(ival("1.5", SHMX_I32, &i, &u), SHMX__CSV_FRACTION);
	cr_assert_eq(ival("1e3", SHMX_I64, &i, &u), SHMX__CSV_FRACTION);
	cr_assert_eq(ival("nan", SHMX_I64, &i, &u), SHMX__CSV_FRACTION);
	cr_assert_eq(ival("1.0", SHMX_U8, &i, &u), SHMX__CSV_FRACTION);
	cr_assert_eq(ival("", SHMX_I8, &i, &u), SHMX__CSV_EMPTY_INT);
	cr_assert_eq(ival("\"\"", SHMX_I8, &i, &u), SHMX__CSV_EMPTY_INT);
	cr_assert_eq(ival("x", SHMX_I8, &i, &u), SHMX__CSV_NOT_NUMBER);
	cr_assert_eq(ival("-", SHMX_I8, &i, &u), SHMX__CSV_NOT_NUMBER);
	cr_assert_eq(ival("-x", SHMX_U8, &i, &u), SHMX__CSV_NOT_NUMBER);
}

Test(csv, header_fields_are_not_numbers)
{
	cr_assert(shmx__csv_is_number("1e5", 3));
	cr_assert(shmx__csv_is_number("\"-inf\"", 6));
	cr_assert(!shmx__csv_is_number("a", 1));
	cr_assert(!shmx__csv_is_number("\"x1\"", 4));
}

/* ---- places and names ------------------------------------------------------ */

Test(csv, where_is_line_and_column)
{
	const char *p = "\xef\xbb\xbf" "ab\ncd\n\nx";
	uint64_t line, col;

	cr_assert_eq(shmx__csv_bom(p, strlen(p)), 3);
	cr_assert_eq(shmx__csv_bom("ab", 2), 0);
	shmx__csv_where(p, 0, 1, 4, 3, &line, &col);
	cr_assert(line == 1 && col == 2, "%lu:%lu", (unsigned long)line, (unsigned long)col);
	shmx__csv_where(p, 0, 1, 7, 3, &line, &col);
	cr_assert(line == 2 && col == 2);
	shmx__csv_where(p, 6, 2, 10, 3, &line, &col);
	cr_assert(line == 4 && col == 1);
	cr_assert_eq(shmx__csv_skip_lines(p, strlen(p), 3, 2), 9);
	cr_assert_eq(shmx__csv_skip_lines(p, strlen(p), 3, 9), strlen(p));
	cr_assert_eq(shmx__csv_count_newlines(p, 0, strlen(p)), 3);
}

Test(csv, quote_for_a_message)
{
	char buf[64];

	shmx__csv_quote("a\tb\\", 4, buf, sizeof(buf));
	cr_assert_str_eq(buf, "a\\x09b\\x5c");
	shmx__csv_quote("0123456789012345678901234567890123456789xyz", 43, buf, sizeof(buf));
	cr_assert_str_eq(buf, "0123456789012345678901234567890123456789...");
}

Test(csv, names_as_json)
{
	struct shmx__csv_name n[] = { { "a", 1 }, { "q\"\\", 3 }, { "\n\xc3\xa9", 3 } };
	char buf[64];

	cr_assert_eq(shmx__csv_json_names(n, 3, buf, sizeof(buf)), strlen(buf));
	cr_assert_str_eq(buf, "[\"a\", \"q\\\"\\\\\", \"\\u000a\xc3\xa9\"]");
	cr_assert_eq(shmx__csv_json_names(n, 3, buf, 8), 0);
	cr_assert_eq(shmx__csv_json_names(n, 0, buf, sizeof(buf)), 2);
}

/* ---- the fast path -------------------------------------------------------- */

Test(csv, fast_path_reads_plain_records_and_leaves_the_rest)
{
	struct shmx__csv_dialect d = { ',', '#' };
	struct shmx__csv_fast fz;
	const long dest[] = { 1, -1, 0 };
	double v[3];
	size_t next;
	int had;
	const char *p = " 1.5 ,2020-01-01,\t-7\r\n  \r\n1,\"2\",3\n1,2\n1,2,3 # c\n1,2,3,4\n";
	size_t n = strlen(p);

	shmx__csv_fast_init(&d, &fz);
	cr_assert(shmx__csv_fast_record(&fz, p, n, 0, SHMX_F64, 3, dest, (char *)v, &next, &had));
	cr_assert(had && v[0] == -7 && v[1] == 1.5, "%g %g", v[0], v[1]);
	cr_assert_eq(p[next - 1], '\n');
	cr_assert(shmx__csv_fast_record(&fz, p, n, next, SHMX_F64, 3, NULL, (char *)v, &next, &had));
	cr_assert(!had, "a blank record");
	/* a quote, too few fields, a comment, too many: the general path's */
	for (int i = 0; i < 4; i++) {
		const char *q = memchr(p + next, '\n', n - next);

		cr_assert(!shmx__csv_fast_record(&fz, p, n, next, SHMX_F64, 3, NULL,
						 (char *)v, &next, &had), "record %d", i);
		next = (size_t)(q - p) + 1;
	}
	cr_assert(!shmx__csv_fast_record(&fz, "x,1\n", 4, 0, SHMX_F64, 2, NULL,
					 (char *)v, &next, &had), "not a number");
	cr_assert(shmx__csv_fast_record(&fz, "-0,1e3", 6, 0, SHMX_F64, 2, NULL,
					(char *)v, &next, &had));
	cr_assert(signbit(v[0]) && v[1] == 1000 && next == 6);
	d.delim = ' ';
	shmx__csv_fast_init(&d, &fz);
	cr_assert(!shmx__csv_fast_record(&fz, "1 2\n", 4, 0, SHMX_F64, 2, NULL,
					 (char *)v, &next, &had), "space: general path");
}

/* A record of simple numbers (a sign, up to 15 digits, a point) is read
 * in one walk, its digits by a byte shuffle or eight at a time in a word:
 * both give what the general path gives, at every digit count and point
 * position, up to the 15-digit limit and past it (left to the rest). */
Test(csv, simple_numbers_read_as_the_general_path_does)
{
	struct shmx__csv_dialect d = { ',', 0 };
	static struct shmx__csv_fast fz;
	char rec[256], num[40];
	double v[4], want;
	size_t next;
	int had;

	shmx__csv_fast_init(&d, &fz);
	for (int way = 0; way < 2; way++) {
		fz.ssse3 = way && __builtin_cpu_supports("ssse3");
		for (int nd = 1; nd <= 17; nd++)
			for (int dot = -1; dot <= nd; dot++)
				for (int sg = 0; sg < 3; sg++) {
					int o = 0;

					o += sprintf(num + o, "%s", sg == 0 ? "" : sg == 1 ? "-" : "+");
					for (int i = 0; i < nd; i++) {
						if (i == dot)
							num[o++] = '.';
						num[o++] = (char)('0' + (i * 7 + nd + 3) % 10);
					}
					if (dot == nd)
						num[o++] = '.';
					num[o] = '\0';
					snprintf(rec, sizeof(rec), "1.5,%s,-2.25,%s\r\n%40s", num,
						 num, "");
					cr_assert_eq(shmx__csv_value(num, strlen(num), SHMX_F64,
								     &want), 0, "%s", num);
					cr_assert(shmx__csv_fast_record(&fz, rec, strlen(rec), 0,
									SHMX_F64, 4, NULL, (char *)v,
									&next, &had), "%s", num);
					cr_assert(had && memcmp(&v[1], &want, 8) == 0 &&
						  memcmp(&v[3], &want, 8) == 0 && v[0] == 1.5 &&
						  v[2] == -2.25, "%s: %a, want %a", num, v[1], want);
					cr_assert_eq(rec[next - 1], '\n');
				}
	}
}
