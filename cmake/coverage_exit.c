/* cmake/coverage_exit.c - coverage builds only (-DSHMX_COVERAGE=ON).
 *
 * gcov writes its counters from an exit handler, which _exit() skips, and
 * the pool's workers (where the kernels run) leave with _exit().  Linked
 * with -Wl,--wrap=_exit, the library's _exit calls come here and write the
 * counters first.  Not in any other build.
 */
extern void __gcov_dump(void);
extern void __real__exit(int status) __attribute__((noreturn));
void __wrap__exit(int status) __attribute__((noreturn));

void __wrap__exit(int status)
{
	__gcov_dump();
	__real__exit(status);
}
