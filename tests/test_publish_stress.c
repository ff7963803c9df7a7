/* tests/test_publish_stress.c - readers attach by name while a writer
 * republishes the same name over and over: every attach must see one
 * complete, self-consistent array.  Publishing is a rename of a finished
 * temporary, so a reader gets the old array or the new one, never a
 * half-written one, and once the name exists it never disappears.
 *
 * Generation g has its own dtype (i64 or f64), its own shape and every
 * element equal to g, so a torn or mixed array cannot pass.  A reader
 * also checks that generations never go backwards.
 *
 * SHMX_STRESS_REPUBLISH sets the number of generations (CI: the default
 * below; tests/stress/run: 10000). */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmx/array.h"
#include "support.h"

#define REPUBLISH_DEFAULT 1000
#define READERS 2

struct board {
	_Atomic int stop;
	_Atomic uint64_t attaches, missing, bad;
	char why[READERS][256];
};

static unsigned generations(void)
{
	const char *v = getenv("SHMX_STRESS_REPUBLISH");
	long n = v ? strtol(v, NULL, 10) : 0;

	return n > 0 ? (unsigned)n : REPUBLISH_DEFAULT;
}

static enum shmx_dtype gen_dtype(uint64_t g)
{
	return g % 2 ? SHMX_F64 : SHMX_I64;
}

static struct shmx_shape gen_shape(uint64_t g)
{
	struct shmx_shape s = { .ndim = 2 };

	s.dim[0] = 1 + (g * 37) % 500; /* up to 500 x 8 x 8 B: 32 KiB */
	s.dim[1] = 1 + g % 8;
	return s;
}

/* Why a's array is not generation g's, or NULL when it is; *g is read
 * from its first element. */
static const char *check(const struct shmx_array *a, uint64_t *g)
{
	const struct shmx_shape *s = shmx_array_shape(a);
	uint64_t n = shmx_shape_rows(s) * shmx_shape_cols(s);
	struct shmx_shape want;

	*g = 0;
	if (!n || s->ndim != 2)
		return "not a 2-d array";
	if (shmx_array_dtype(a) == SHMX_F64) {
		const double *d = shmx_array_data(a);

		*g = (uint64_t)d[0];
		for (uint64_t i = 0; i < n; i++)
			if (d[i] != (double)*g)
				return "elements of two generations";
	} else if (shmx_array_dtype(a) == SHMX_I64) {
		const int64_t *d = shmx_array_data(a);

		*g = (uint64_t)d[0];
		for (uint64_t i = 0; i < n; i++)
			if (d[i] != (int64_t)*g)
				return "elements of two generations";
	} else {
		return "a dtype no generation has";
	}
	want = gen_shape(*g);
	if (shmx_array_dtype(a) != gen_dtype(*g))
		return "the dtype of another generation";
	if (s->dim[0] != want.dim[0] || s->dim[1] != want.dim[1])
		return "the shape of another generation";
	return NULL;
}

static void fail_reader(struct board *b, int who, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail_reader(struct board *b, int who, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&b->bad, 1) == 0 || !b->why[who][0]) {
		va_start(ap, fmt);
		vsnprintf(b->why[who], sizeof(b->why[who]), fmt, ap);
		va_end(ap);
	}
}

/* Attach and check until told to stop, then once more. */
static void reader(struct board *b, int who, const char *spec)
{
	uint64_t last = 0, g = 0;
	int last_round = 0;

	while (!last_round) {
		struct shmx_error err = { 0 };
		struct shmx_array *a;
		const char *why;
		int rc;

		last_round = atomic_load(&b->stop);
		rc = shmx_array_open(spec, NULL, &a, &err);
		if (rc == -ENOENT && !last) {
			atomic_fetch_add(&b->missing, 1);
			continue;
		}
		if (rc) {
			fail_reader(b, who, "after generation %llu: %s",
				    (unsigned long long)last, err.msg);
			continue;
		}
		why = check(a, &g);
		if (why)
			fail_reader(b, who, "generation %llu: %s",
				    (unsigned long long)g, why);
		else if (g < last)
			fail_reader(b, who, "generation %llu after %llu",
				    (unsigned long long)g,
				    (unsigned long long)last);
		else
			last = g;
		atomic_fetch_add(&b->attaches, 1);
		shmx_array_close(a);
	}
	_exit(0);
}

static void publish(const char *spec, uint64_t g)
{
	struct shmx_create_opts co = { .force = 1 };
	struct shmx_shape s = gen_shape(g);
	struct shmx_error err = { 0 };
	struct shmx_output *o;
	uint64_t n = shmx_shape_rows(&s) * shmx_shape_cols(&s);

	cr_assert_eq(shmx_output_create(spec, gen_dtype(g), &s, &co, &o, &err),
		     0, "%s", err.msg);
	if (gen_dtype(g) == SHMX_F64)
		for (uint64_t i = 0; i < n; i++)
			((double *)shmx_output_data(o))[i] = (double)g;
	else
		for (uint64_t i = 0; i < n; i++)
			((int64_t *)shmx_output_data(o))[i] = (int64_t)g;
	cr_assert_eq(shmx_output_publish(o, &err), 0, "%s", err.msg);
}

TestSuite(publish_stress, .init = shm_guard_begin, .fini = shm_guard_end,
	  .timeout = 300);

Test(publish_stress, readers_see_whole_arrays_while_a_writer_republishes)
{
	unsigned n = generations();
	struct board *b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char name[128], spec[160];
	pid_t pid[READERS];
	int status;

	cr_assert(b != MAP_FAILED);
	test_shm_name(name, sizeof(name), "republish");
	snprintf(spec, sizeof(spec), "shm://%s", name);
	for (int i = 0; i < READERS; i++) {
		pid[i] = fork();
		cr_assert(pid[i] >= 0);
		if (pid[i] == 0)
			reader(b, i, spec);
	}
	for (uint64_t g = 1; g <= n; g++)
		publish(spec, g);
	atomic_store(&b->stop, 1);
	for (int i = 0; i < READERS; i++) {
		cr_assert_eq(waitpid(pid[i], &status, 0), pid[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "reader %d died (status %#x)", i, status);
	}
	cr_log_info("%u generations, %llu attaches (%llu before the first), "
		    "%llu bad", n, (unsigned long long)b->attaches,
		    (unsigned long long)b->missing,
		    (unsigned long long)b->bad);
	printf("publish_stress: generations=%u attaches=%llu bad=%llu\n", n,
	       (unsigned long long)b->attaches, (unsigned long long)b->bad);
	cr_assert_eq(b->bad, 0, "%llu bad attaches; %s%s%s",
		     (unsigned long long)b->bad, b->why[0],
		     b->why[0][0] && b->why[1][0] ? "; " : "", b->why[1]);
	cr_assert_gt(b->attaches, 0);
	shm_unlink(name);
	munmap(b, sizeof(*b));
}
