/* tests/test_stats.c - engine/exec/stats.c: the --stats JSON object
 * (shmx_stats_print_json: every field, valid JSON by the small checker
 * below, the numbers it was given), shmx__stats_finish's gb_per_s, and
 * shmx_stats_free. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmx/shmx.h"
#include "exec/stats.h"
#include "support.h"

TestSuite(stats, .init = shm_guard_begin, .fini = shm_guard_end, .timeout = 30);

/* ---- a small JSON checker ------------------------------------------------
 * Strict RFC 8259 grammar (no trailing commas, no NaN, strings without raw
 * control bytes).  Every value is recorded under its path: "op",
 * "per_worker", "per_worker.1.pid". */

struct field {
	char path[128];
	char kind; /* s n t f l (null) a o */
	const char *at;
	char str[128]; /* a string's decoded text */
};

struct json {
	const char *p;
	struct field f[256];
	int n;
};

static void ws(struct json *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static bool value(struct json *j, const char *path);

static bool string(struct json *j, char *out, size_t len)
{
	size_t k = 0;

	if (*j->p++ != '"')
		return false;
	while (*j->p != '"') {
		unsigned char c = (unsigned char)*j->p++;
		unsigned u;

		if (c < 0x20)
			return false; /* includes the end of the text */
		if (c == '\\') {
			c = (unsigned char)*j->p++;
			if (c == 'u') {
				for (int d = 0; d < 4; d++)
					if (!isxdigit((unsigned char)j->p[d]))
						return false;
				sscanf(j->p, "%4x", &u);
				j->p += 4;
				c = u < 0x80 ? (unsigned char)u : '?';
			} else if (c && strchr("\"\\/", c)) {
				/* itself */
			} else if (c && strchr("bfnrt", c)) {
				c = "\b\f\n\r\t"[strchr("bfnrt", c) - "bfnrt"];
			} else {
				return false;
			}
		}
		if (out && k + 1 < len)
			out[k++] = (char)c;
	}
	j->p++;
	if (out)
		out[k] = '\0';
	return true;
}

static const char *digits(const char *s)
{
	while (isdigit((unsigned char)*s))
		s++;
	return s;
}

static bool number(struct json *j)
{
	const char *s = j->p + (*j->p == '-');

	if (*s == '0')
		s++;
	else if (isdigit((unsigned char)*s))
		s = digits(s);
	else
		return false;
	if (*s == '.') {
		if (!isdigit((unsigned char)s[1]))
			return false;
		s = digits(s + 1);
	}
	if (*s == 'e' || *s == 'E') {
		s += s[1] == '+' || s[1] == '-';
		if (!isdigit((unsigned char)s[1]))
			return false;
		s = digits(s + 1);
	}
	j->p = s;
	return true;
}

static bool word(struct json *j, const char *w)
{
	if (strncmp(j->p, w, strlen(w)))
		return false;
	j->p += strlen(w);
	return true;
}

/* The members of an object ('}') or the elements of an array (']'). */
static bool members(struct json *j, const char *path, char close)
{
	char key[32], sub[sizeof(((struct field *)0)->path)];

	j->p++;
	ws(j);
	if (*j->p == close)
		return j->p++, true;
	for (int i = 0;; i++) {
		ws(j);
		if (close == '}') {
			if (!string(j, key, sizeof(key)))
				return false;
			ws(j);
			if (*j->p++ != ':')
				return false;
		} else {
			snprintf(key, sizeof(key), "%d", i);
		}
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
		if (!value(j, sub))
			return false;
		ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		return *j->p++ == close;
	}
}

static bool value(struct json *j, const char *path)
{
	struct field *f = j->n < 256 ? &j->f[j->n++] : NULL;

	ws(j);
	cr_assert(f, "more values than the checker keeps");
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->at = j->p;
	f->str[0] = '\0';
	switch (*j->p) {
	case '{': f->kind = 'o'; return members(j, path, '}');
	case '[': f->kind = 'a'; return members(j, path, ']');
	case '"': f->kind = 's'; return string(j, f->str, sizeof(f->str));
	case 't': f->kind = 't'; return word(j, "true");
	case 'f': f->kind = 'f'; return word(j, "false");
	case 'n': f->kind = 'l'; return word(j, "null");
	default: f->kind = 'n'; return number(j);
	}
}

/* Parse text as one JSON value and nothing else. */
static bool json_parse(struct json *j, const char *text)
{
	j->p = text;
	j->n = 0;
	if (!value(j, ""))
		return false;
	ws(j);
	return *j->p == '\0';
}

static const struct field *find(const struct json *j, const char *path)
{
	for (int i = 0; i < j->n; i++)
		if (!strcmp(j->f[i].path, path))
			return &j->f[i];
	return NULL;
}

/* The number at path, which must be there and be a number. */
static double num_at(const struct json *j, const char *path)
{
	const struct field *f = find(j, path);

	cr_assert(f, "no field %s", path);
	cr_assert_eq(f->kind, 'n', "%s is not a number", path);
	return strtod(f->at, NULL);
}

/* How many direct members path has ("" for the top). */
static int members_of(const struct json *j, const char *path)
{
	size_t len = strlen(path);
	int n = 0;

	for (int i = 0; i < j->n; i++) {
		const char *p = j->f[i].path, *rest;

		if (len && (strncmp(p, path, len) || p[len] != '.'))
			continue;
		rest = len ? p + len + 1 : p;
		if (*rest && !strchr(rest, '.'))
			n++;
	}
	return n;
}

/* ---- the checker checks ---------------------------------------------- */

Test(stats, the_checker_refuses_what_is_not_json)
{
	static const char *const bad[] = {
		"", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "nan",
		"{\"a\":nan}", "{\"a\":inf}", "{\"a\":-}", "{\"a\":1.}",
		"{\"a\":.5}", "{\"a\":01}", "\"a\nb\"", "\"\\x\"", "{} {}",
		"{\"a\":tru}",
	};
	static const char *const good[] = {
		"{}", "[]", "{\"a\":[1,-2.5e3,true,false,null,\"\\u0041\"]}",
		" {\"a\" : 0.000000 }\n",
	};
	struct json j;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect(!json_parse(&j, bad[i]), "took '%s'", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		cr_expect(json_parse(&j, good[i]), "refused '%s'", good[i]);
}

/* ---- the JSON --------------------------------------------------------- */

static const char *const top_fields[] = {
	"op", "io", "io_note", "queue_depth", "workers", "spawned", "deaths", "chunks",
	"chunk_rows", "rows", "bytes_in", "bytes_out", "setup", "compute",
	"merge", "publish", "total", "gb_per_s", "per_worker",
};
static const char *const worker_fields[] = {
	"pid", "chunks", "rows", "seconds", "compute", "user", "sys", "wait",
	"idle", "page_faults", "io_wait", "bytes_read", "write_wait",
	"bytes_written", "died",
};
#define COUNT(a) (int)(sizeof(a) / sizeof(*(a)))

/* s printed, into a malloc'ed string (caller frees). */
static char *print(const struct shmx_stats *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f);
	shmx_stats_print_json(s, f);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

/* print(s), which must be one line of valid JSON, parsed into j. */
static char *print_parsed(const struct shmx_stats *s, struct json *j)
{
	char *text = print(s);
	size_t len = strlen(text);

	cr_assert(len > 0 && text[len - 1] == '\n', "no newline: %s", text);
	cr_assert_eq(strchr(text, '\n'), text + len - 1, "not one line: %s",
		     text);
	cr_assert(json_parse(j, text), "not JSON: %s", text);
	return text;
}

static struct shmx_worker_stats two_workers[2] = {
	{ .pid = 4242, .chunks = 3, .rows = 300, .compute_s = 0.5,
	  .busy_s = 0.75, .user_s = 0.375, .sys_s = 0.125, .faults = 77,
	  .io_wait_s = 0.0625, .bytes_read = 4096, .write_wait_s = 0.03125,
	  .bytes_written = 8192 },
	{ .pid = 4243, .chunks = 1, .rows = 45, .compute_s = 0.25,
	  .busy_s = 0, .user_s = 0.5, .sys_s = 0, .died = 1 },
};

static struct shmx_stats sample(void)
{
	struct shmx_stats s = {
		.op = "sum", .io = "stream", .io_note = "auto: cold",
		.workers = 2, .spawned = 2, .deaths = 1, .chunks = 4,
		.chunk_rows = 100, .rows = 345, .bytes_in = 2760,
		.bytes_out = 8, .setup_s = 0.25, .compute_s = 1.5,
		.merge_s = 0.125, .publish_s = 0.0625, .total_s = 2,
		.gb_per_s = 1.25, .worker = two_workers,
	};

	return s;
}

Test(stats, json_has_every_field_once_and_nothing_else)
{
	struct shmx_stats s = sample();
	struct json j;
	char *text = print_parsed(&s, &j), path[64];

	cr_assert_eq(j.f[0].kind, 'o');
	cr_expect_eq(members_of(&j, ""), COUNT(top_fields), "%s", text);
	for (int i = 0; i < COUNT(top_fields); i++)
		cr_expect(find(&j, top_fields[i]), "no %s: %s", top_fields[i],
			  text);
	cr_assert_eq(find(&j, "per_worker")->kind, 'a');
	cr_expect_eq(members_of(&j, "per_worker"), 2);
	for (int w = 0; w < 2; w++) {
		snprintf(path, sizeof(path), "per_worker.%d", w);
		cr_expect_eq(members_of(&j, path), COUNT(worker_fields));
		for (int i = 0; i < COUNT(worker_fields); i++) {
			snprintf(path, sizeof(path), "per_worker.%d.%s", w,
				 worker_fields[i]);
			cr_expect(find(&j, path), "no %s: %s", path, text);
		}
	}
	free(text);
}

Test(stats, json_numbers_are_the_fields)
{
	struct shmx_stats s = sample();
	struct json j;
	char *text = print_parsed(&s, &j);

	cr_expect_str_eq(find(&j, "op")->str, "sum");
	cr_expect_str_eq(find(&j, "io")->str, "stream");
	cr_expect_str_eq(find(&j, "io_note")->str, "auto: cold");
	cr_expect_eq(num_at(&j, "workers"), 2);
	cr_expect_eq(num_at(&j, "spawned"), 2);
	cr_expect_eq(num_at(&j, "deaths"), 1);
	cr_expect_eq(num_at(&j, "chunks"), 4);
	cr_expect_eq(num_at(&j, "chunk_rows"), 100);
	cr_expect_eq(num_at(&j, "rows"), 345);
	cr_expect_eq(num_at(&j, "bytes_in"), 2760);
	cr_expect_eq(num_at(&j, "bytes_out"), 8);
	/* binary fractions: exact in %.6f and %.3f */
	cr_expect_eq(num_at(&j, "setup"), 0.25);
	cr_expect_eq(num_at(&j, "compute"), 1.5);
	cr_expect_eq(num_at(&j, "merge"), 0.125);
	cr_expect_eq(num_at(&j, "publish"), 0.0625);
	cr_expect_eq(num_at(&j, "total"), 2);
	cr_expect_eq(num_at(&j, "gb_per_s"), 1.25);

	cr_expect_eq(num_at(&j, "per_worker.0.pid"), 4242);
	cr_expect_eq(num_at(&j, "per_worker.0.chunks"), 3);
	cr_expect_eq(num_at(&j, "per_worker.0.rows"), 300);
	cr_expect_eq(num_at(&j, "per_worker.0.seconds"), 0.75);
	cr_expect_eq(num_at(&j, "per_worker.0.compute"), 0.5);
	cr_expect_eq(num_at(&j, "per_worker.0.user"), 0.375);
	cr_expect_eq(num_at(&j, "per_worker.0.sys"), 0.125);
	cr_expect_eq(num_at(&j, "per_worker.0.wait"), 0.25); /* 0.75-0.375-0.125 */
	cr_expect_eq(num_at(&j, "per_worker.0.idle"), 0.25); /* 0.75-0.5 */
	cr_expect_eq(num_at(&j, "per_worker.0.page_faults"), 77);
	cr_expect_eq(num_at(&j, "per_worker.0.io_wait"), 0.0625);
	cr_expect_eq(num_at(&j, "per_worker.0.bytes_read"), 4096);
	cr_expect_eq(num_at(&j, "per_worker.0.write_wait"), 0.03125);
	cr_expect_eq(num_at(&j, "per_worker.0.bytes_written"), 8192);
	cr_expect_eq(find(&j, "per_worker.0.died")->kind, 'f');
	/* a worker that died has no busy time: wait and idle are not < 0 */
	cr_expect_eq(num_at(&j, "per_worker.1.wait"), 0);
	cr_expect_eq(num_at(&j, "per_worker.1.idle"), 0);
	cr_expect_eq(find(&j, "per_worker.1.died")->kind, 't');
	free(text);
}

Test(stats, json_counts_print_in_full)
{
	struct shmx_stats s = { .bytes_in = UINT64_MAX, .rows = UINT64_MAX - 1 };
	struct json j;
	char *text = print_parsed(&s, &j);

	cr_expect(strstr(text, "\"bytes_in\":18446744073709551615,"), "%s", text);
	cr_expect(strstr(text, "\"rows\":18446744073709551614,"), "%s", text);
	free(text);
}

Test(stats, json_strings_are_escaped)
{
	struct shmx_stats s = { .op = "a\"b\\c\nd\te\x01",
				.io_note = "O_DIRECT: \"x\"; \\y\r" };
	struct json j;
	char *text = print_parsed(&s, &j);

	cr_expect_str_eq(find(&j, "op")->str, "a\"b\\c\nd\te\x01");
	cr_expect_str_eq(find(&j, "io_note")->str, "O_DIRECT: \"x\"; \\y\r");
	free(text);
}

Test(stats, json_of_empty_stats_says_mmap_and_no_workers)
{
	struct shmx_stats s = { .spawned = 3 }; /* no worker array: none printed */
	struct json j;
	char *text = print_parsed(&s, &j);

	cr_expect_str_eq(find(&j, "io")->str, "mmap");
	cr_expect_str_eq(find(&j, "op")->str, "");
	cr_expect_eq(members_of(&j, "per_worker"), 0);
	cr_expect(strstr(text, "\"per_worker\":[]}"), "%s", text);
	free(text);
}

Test(stats, json_has_no_nan_or_infinity)
{
	struct shmx_worker_stats w = { .busy_s = INFINITY, .compute_s = NAN,
				       .user_s = -INFINITY };
	struct shmx_stats s = { .compute_s = NAN, .total_s = INFINITY,
				.gb_per_s = -INFINITY, .spawned = 1,
				.worker = &w };
	struct json j;
	char *text = print_parsed(&s, &j);

	cr_expect_eq(num_at(&j, "compute"), 0);
	cr_expect_eq(num_at(&j, "total"), 0);
	cr_expect_eq(num_at(&j, "gb_per_s"), 0);
	cr_expect_eq(num_at(&j, "per_worker.0.seconds"), 0);
	cr_expect_eq(num_at(&j, "per_worker.0.compute"), 0);
	cr_expect_eq(num_at(&j, "per_worker.0.wait"), 0);
	cr_expect_eq(num_at(&j, "per_worker.0.idle"), 0);
	free(text);
}

/* ---- gb_per_s ------------------------------------------------------- */

Test(stats, gb_per_s_is_bytes_in_and_out_per_compute_second)
{
	struct shmx_stats s = { .bytes_in = 3000000000u, .bytes_out = 1000000000u,
				.compute_s = 2, .total_s = 10, .setup_s = 7 };

	shmx__stats_finish(&s);
	cr_expect_float_eq(s.gb_per_s, 2.0, 1e-12);
	/* the other fields are left as they were */
	cr_expect_eq(s.total_s, 10);
	cr_expect_eq(s.setup_s, 7);
	cr_expect_eq(s.bytes_in, 3000000000u);
}

Test(stats, gb_per_s_of_gen_counts_what_it_wrote)
{
	struct shmx_stats s = { .bytes_out = 500000000u, .compute_s = 0.25 };

	shmx__stats_finish(&s);
	cr_expect_float_eq(s.gb_per_s, 2.0, 1e-12);
}

Test(stats, gb_per_s_is_0_without_a_compute_phase)
{
	struct shmx_stats s = { .bytes_in = 100, .gb_per_s = 9 };

	shmx__stats_finish(&s);
	cr_expect_eq(s.gb_per_s, 0);
	s.compute_s = -1; /* a clock that went backwards */
	shmx__stats_finish(&s);
	cr_expect_eq(s.gb_per_s, 0);
}

Test(stats, gb_per_s_of_huge_counts_does_not_wrap)
{
	struct shmx_stats s = { .bytes_in = UINT64_MAX, .bytes_out = UINT64_MAX,
				.compute_s = 1 };

	shmx__stats_finish(&s);
	cr_expect_float_eq(s.gb_per_s, 2 * (double)UINT64_MAX / 1e9, 1e3);
}

/* ---- freeing -------------------------------------------------------- */

Test(stats, free_takes_null_and_frees_the_workers_once)
{
	struct shmx_stats s = { 0 };

	shmx_stats_free(NULL);
	shmx_stats_free(&s);
	s.worker = calloc(2, sizeof(*s.worker)); /* the library's free is free() */
	cr_assert(s.worker);
	shmx_stats_free(&s);
	cr_expect_null(s.worker);
	shmx_stats_free(&s);
}

/* ---- stats from real runs ------------------------------------------- */

Test(stats, gen_and_run_print_valid_json_with_a_row_per_worker)
{
	struct shmx_shape shape = { .ndim = 2, .dim = { 1000, 3 } };
	struct shmx_run_opts o = { .workers = 2, .chunk_bytes = 4096 };
	struct shmx_error err = { 0 };
	struct shmx_stats st = { 0 };
	struct shmx_result res;
	char dir[64], path[128], *text;
	struct json j;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/a.npy", dir);
	cr_assert_eq(shmx_gen(path, SHMX_F64, &shape, SHMX_FILL_RANGE, 1, &o,
			      &st, &err), 0, "%s", err.msg);
	text = print_parsed(&st, &j);
	cr_expect_str_eq(find(&j, "op")->str, "gen");
	cr_expect_eq(num_at(&j, "rows"), 1000);
	cr_expect_eq(num_at(&j, "bytes_out"), 24000);
	cr_expect_eq(members_of(&j, "per_worker"), num_at(&j, "spawned"));
	free(text);
	shmx_stats_free(&st);

	o.want_stats = 1;
	cr_assert_eq(shmx_run("sum", path, &o, &res, &err), 0, "%s", err.msg);
	text = print_parsed(&res.stats, &j);
	cr_expect_str_eq(find(&j, "op")->str, "sum");
	cr_expect_eq(num_at(&j, "bytes_in"), 24000);
	cr_expect_eq(members_of(&j, "per_worker"), num_at(&j, "spawned"));
	cr_expect_geq(num_at(&j, "chunks"), 2);
	free(text);
	shmx_result_free(&res);
	rm_rf(dir);
}
