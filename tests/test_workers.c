/* tests/test_workers.c - the default worker count as the library sees
 * it: one per CPU in this process's affinity mask, $SHMX_WORKERS when it
 * is a number from 1 to 4096 (anything else ignored), never more workers
 * than chunks and never none. */
#include <criterion/criterion.h>
#include <sched.h>
#include <stdlib.h>

#include "exec/pool.h"

static unsigned cpus(void)
{
	cpu_set_t set;

	cr_assert_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	return (unsigned)CPU_COUNT(&set);
}

static void setup(void)
{
	unsetenv("SHMX_WORKERS");
}

TestSuite(workers, .init = setup);

Test(workers, without_the_variable_one_per_cpu_we_may_run_on)
{
	cr_assert_geq(cpus(), 1);
	cr_assert_eq(shmx__default_workers(), cpus());
}

/* Each test is a process of its own: narrowing its mask is ours alone. */
Test(workers, a_narrower_affinity_mask_means_fewer_workers)
{
	cpu_set_t set, one;
	int cpu = 0;

	cr_assert_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	while (!CPU_ISSET(cpu, &set))
		cpu++;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	cr_assert_eq(shmx__default_workers(), 1);
}

Test(workers, the_variable_overrides_the_cpu_count)
{
	static const struct { const char *env; unsigned want; } ok[] = {
		{ "5", 5 }, { "1", 1 }, { "4096", 4096 }, { "64", 64 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		setenv("SHMX_WORKERS", ok[i].env, 1);
		cr_assert_eq(shmx__default_workers(), ok[i].want, "%s",
			     ok[i].env);
	}
}

Test(workers, a_value_out_of_range_or_not_a_number_is_ignored)
{
	static const char *const bad[] = { "", "0", "4097", "-3", "abc",
					   "5x", "2.5", "99999999999999999999" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		setenv("SHMX_WORKERS", bad[i], 1);
		cr_assert_eq(shmx__default_workers(), cpus(), "'%s'", bad[i]);
	}
}

Test(workers, never_more_workers_than_chunks_and_never_none)
{
	setenv("SHMX_WORKERS", "5", 1);
	cr_assert_eq(shmx__workers_for(0, 100), 5, "the default");
	cr_assert_eq(shmx__workers_for(0, 3), 3);
	cr_assert_eq(shmx__workers_for(0, 0), 1);
	cr_assert_eq(shmx__workers_for(2, 100), 2, "asked for");
	cr_assert_eq(shmx__workers_for(8, 3), 3);
	cr_assert_eq(shmx__workers_for(8, 0), 1);
	cr_assert_eq(shmx__workers_for(1, 1), 1);
}
