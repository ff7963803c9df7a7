/* engine/kernels/registry.c - the table of built-in operations, and the
 * one path by which the engine finds and prepares any kernel: parsing
 * "NAME[:ARGS]" (or "plugin:PATH:NAME[:ARGS]", loaded by plugin.c), the
 * checks that need no input, and both sides of the kernel contract around
 * prepare() (registry.h).  No system calls but plugin.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shmx/run.h"
#include "base/internal.h"
#include "kernels/args.h"
#include "kernels/ops.h"
#include "kernels/plugin.h"
#include "kernels/registry.h"

/* What a built-in's arguments are, checked when it is opened. */
enum argkind {
	ARGS_NUMBER, /* numbers (or none) */
	ARGS_DTYPE,  /* dtype names */
	ARGS_OWN,    /* read by the kernel's prepare() */
};

struct entry {
	const struct shmx_kernel *k;
	const char *form; /* as the user writes it: "clip:LO:HI" */
	enum argkind args;
};

#define REDUCTION_ENTRY(op) { &shmx__k_##op, #op, ARGS_NUMBER },
#define MAP_ENTRY(op, form, args) { &shmx__k_##op, form, ARGS_##args },
static const struct entry builtins[] = {
	SHMX__REDUCTIONS(REDUCTION_ENTRY) SHMX__MAPS(MAP_ENTRY)
	{ &shmx__k_fill, "fill:FILL:SEED:DTYPE:SHAPE", ARGS_OWN },
};

#define REDUCTION_NAME(op) #op,
#define MAP_NAME(op, form, args) #op,
const char *const shmx__op_names[] = {
	SHMX__REDUCTIONS(REDUCTION_NAME) SHMX__MAPS(MAP_NAME) NULL
};

/* builtins[] but its last entry, gen's fill, which run does not take */
#define RUN_OPS (sizeof(builtins) / sizeof(builtins[0]) - 1)

const char *shmx_op_form(unsigned i, enum shmx_kernel_kind *kind)
{
	if (i >= RUN_OPS)
		return NULL;
	if (kind)
		*kind = builtins[i].k->kind;
	return builtins[i].form;
}

static const struct entry *find_builtin(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strlen(builtins[i].k->name) == len &&
		    memcmp(builtins[i].k->name, name, len) == 0)
			return &builtins[i];
	return NULL;
}

#define MAX_FIELDS (SHMX_KERNEL_ARGS_MAX + 2) /* plugin:PATH:NAME:ARGS */

/* Copy spec into op->text and cut its fields after the name at ':' into
 * f[] (the first MAX_FIELDS).  How many there are, or -1. */
static long split_fields(const char *spec, size_t name_len,
			 struct shmx__op *op, const char *f[MAX_FIELDS],
			 struct shmx_error *err)
{
	size_t len = strlen(spec);
	char *p = op->text + name_len;
	long n = 0;

	if (len >= sizeof(op->text))
		return shmx__fail(err, SHMX_EOP, "operation '%.*s' is too long",
				  (int)name_len, spec), -1;
	memcpy(op->text, spec, len + 1);
	while (*p) { /* *p is a ':' */
		*p++ = '\0';
		if (n < (long)MAX_FIELDS)
			f[n] = p;
		n++;
		p += strcspn(p, ":");
	}
	return n;
}

/* The op's arguments: n fields from f. */
static void set_args(struct shmx__op *op, const char *const *f, long n)
{
	op->nargs = n < (long)SHMX_KERNEL_ARGS_MAX ? (unsigned)n
						   : SHMX_KERNEL_ARGS_MAX;
	for (unsigned i = 0; i < op->nargs; i++)
		op->args[i] = f[i];
}

static int check_count(const struct shmx_kernel *k, const char *form,
		       long n, const struct shmx__op *op, struct shmx_error *err)
{
	if (n >= (long)k->min_args && n <= (long)k->max_args)
		return 0;
	if (k->max_args == 0)
		return shmx__fail(err, SHMX_EOP,
				  "operation '%s'%s takes no arguments",
				  k->name, op->origin);
	if (form)
		return shmx__fail(err, SHMX_EOP,
				  "operation '%s' needs the form %s", k->name,
				  form);
	return shmx__fail(err, SHMX_EOP,
			  "operation '%s'%s takes %u to %u arguments, not %ld",
			  k->name, op->origin, k->min_args, k->max_args, n);
}

/* "plugin:PATH:NAME[:ARGS]", its fields after "plugin" in f. */
static int open_plugin(struct shmx__op *op, const char *const *f, long n,
		       struct shmx_error *err)
{
	const struct shmx_kernel *k;
	int rc;

	if (n < 2 || !f[0][0] || !f[1][0])
		return shmx__fail(err, SHMX_EOP,
				  "operation 'plugin' needs the form "
				  "plugin:PATH:NAME[:ARGS]");
	rc = shmx__plugin_open(f[0], f[1], &op->dl, &k, err);
	if (rc)
		return rc;
	snprintf(op->origin, sizeof(op->origin), " (plugin %s)", f[0]);
	set_args(op, f + 2, n - 2);
	rc = check_count(k, NULL, n - 2, op, err);
	if (rc) {
		shmx__plugin_close(op->dl);
		op->dl = NULL;
		return rc;
	}
	op->kernel = k;
	return 0;
}

int shmx__op_open(const char *spec, struct shmx__op *op,
		  struct shmx_error *err)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	const char *f[MAX_FIELDS];
	const struct entry *e;
	struct shmx__opargs parsed;
	long n;
	int rc;

	op->kernel = NULL;
	op->nargs = 0;
	op->dl = NULL;
	op->origin[0] = op->text[0] = '\0';
	e = find_builtin(spec, len);
	if (!e && !(len == 6 && memcmp(spec, "plugin", 6) == 0))
		return shmx__fail(err, SHMX_EOP,
				  "unknown operation '%.*s' (see shmx run "
				  "--help)",
				  (int)len, spec);
	n = split_fields(spec, len, op, f, err);
	if (n < 0)
		return SHMX_EOP;
	if (!e)
		return open_plugin(op, f, n, err);
	set_args(op, f, n);
	rc = check_count(e->k, e->form, n, op, err);
	if (!rc && e->args != ARGS_OWN)
		rc = shmx__args_read(e->k->name, e->args == ARGS_DTYPE,
				     op->nargs, op->args, &parsed, err);
	if (!rc)
		op->kernel = e->k;
	return rc;
}

void shmx__op_close(struct shmx__op *op)
{
	if (!op)
		return;
	shmx__plugin_close(op->dl);
	op->dl = NULL;
	op->kernel = NULL;
}

int shmx__op_failed(const struct shmx__op *op, int rc,
		    const struct shmx_error *kerr, struct shmx_error *err)
{
	const char *why = kerr && kerr->msg[0] ? kerr->msg : shmx_strerror(rc);

	if (rc >= 0 || shmx_error_is_input(rc))
		rc = SHMX_EWORKER;
	return shmx__fail(err, rc, "operation '%s'%s failed: %s",
			  op->kernel->name, op->origin, why);
}

/* ---- both sides of prepare() ------------------------------------------- */

/* The kernel broke the contract: one message naming it and the rule. */
#define BROKEN(op, err, ...)                                                \
	shmx__fail(err, SHMX_EOP, "kernel '%s'%s breaks the kernel ABI: "   \
		   __VA_ARGS__)
#define KNAME(op) (op)->kernel->name, (op)->origin

int shmx__op_check_inputs(const struct shmx__op *op, unsigned n,
			  struct shmx_error *err)
{
	const struct shmx_kernel *k = op->kernel;
	unsigned lo = k->min_inputs, hi = k->max_inputs;

	if (k->flags & SHMX_KERNEL_NO_INPUT)
		lo = hi = 0;
	else if (lo == 0 && hi == 0)
		lo = hi = 1;
	if ((n < lo || n > hi) && lo == hi)
		return shmx__fail(err, SHMX_EOP,
				  "operation '%s'%s takes %u input%s, not %u",
				  KNAME(op), lo, lo == 1 ? "" : "s", n);
	if (n < lo || n > hi)
		return shmx__fail(err, SHMX_EOP,
				  "operation '%s'%s takes %u to %u inputs, "
				  "not %u",
				  KNAME(op), lo, hi, n);
	return 0;
}

static int check_call(const struct shmx__op *op,
		      const struct shmx_kernel_call *c, struct shmx_error *err)
{
	const struct shmx_kernel *k = op->kernel;
	int rc;

	if (k->abi != SHMX_KERNEL_ABI || k->size != sizeof(*k))
		return BROKEN(op, err, "ABI %u of %u bytes, not %u of %zu",
			      KNAME(op), k->abi, k->size, SHMX_KERNEL_ABI,
			      sizeof(*k));
	if (c->size != sizeof(*c) || c->ninputs > SHMX_KERNEL_INPUTS_MAX)
		return shmx__fail(err, -EINVAL, "bad kernel call");
	rc = shmx__op_check_inputs(op, c->ninputs, err);
	if (rc)
		return rc;
	if ((unsigned)c->axis > SHMX_AXIS_1)
		return shmx__fail(err, SHMX_EOP, "bad axis %d", (int)c->axis);
	if (c->axis == SHMX_AXIS_NONE || (k->flags & SHMX_KERNEL_TAKES_AXIS))
		return 0;
	if (k->kind == SHMX_KERNEL_MAP)
		return shmx__fail(err, SHMX_EOP,
				  "operation '%s' is element-wise and takes "
				  "no axis",
				  k->name);
	return shmx__fail(err, SHMX_EOP, "operation '%s'%s takes no axis",
			  KNAME(op));
}

/* The output half as prepare() left it. */
static int check_output(const struct shmx__op *op,
			const struct shmx_kernel_call *c,
			struct shmx_error *err)
{
	const struct shmx_kernel *k = op->kernel;
	uint64_t count, bytes, n;

	if (c->kind != k->kind &&
	    !(k->kind == SHMX_KERNEL_REDUCE && c->kind == SHMX_KERNEL_ROWS))
		return BROKEN(op, err, "prepare() made kind %d a kind %d",
			      KNAME(op), (int)k->kind, (int)c->kind);
	if ((unsigned)c->out_dtype >= SHMX_DTYPE_COUNT)
		return BROKEN(op, err, "output dtype %d", KNAME(op),
			      (int)c->out_dtype);
	if (c->out_shape.ndim < 0 || c->out_shape.ndim > SHMX_MAX_NDIM)
		return BROKEN(op, err, "a %d-D output", KNAME(op),
			      c->out_shape.ndim);
	if (shmx_shape_count(&c->out_shape, &count) < 0 ||
	    shmx_shape_bytes(&c->out_shape, c->out_dtype, &bytes) < 0)
		return shmx__fail(err, SHMX_ESHAPE, "result size overflows");
	if (c->kind == SHMX_KERNEL_REDUCE) {
		if (!k->merge)
			return BROKEN(op, err, "a reduction without merge()",
				      KNAME(op));
		if (c->partial_bytes == 0 || c->partial_bytes > (1ull << 40))
			return BROKEN(op, err, "partials of %zu bytes a chunk",
				      KNAME(op), c->partial_bytes);
		return 0;
	}
	if (shmx__mul_u64(c->rows, c->out_cols, &n) < 0 || n != count)
		return BROKEN(op, err, "%llu values a row over %llu rows for "
			      "an output of %llu",
			      KNAME(op), (unsigned long long)c->out_cols,
			      (unsigned long long)c->rows,
			      (unsigned long long)count);
	return 0;
}

int shmx__op_prepare(const struct shmx__op *op, struct shmx_kernel_call *c,
		     struct shmx_error *err)
{
	int rc;

	if (!op->kernel)
		return shmx__fail(err, -EINVAL, "no operation opened");
	rc = check_call(op, c, err);
	if (rc)
		return rc;
	c->nargs = op->nargs;
	memcpy(c->args, op->args, sizeof(c->args));
	c->kind = op->kernel->kind;
	c->out_dtype = SHMX_F64;
	c->out_shape = (struct shmx_shape){ 0, { 0, 0 } };
	c->out_cols = 0;
	c->partial_bytes = 0;
	memset(c->state, 0, sizeof(c->state));
	err->msg[0] = '\0';
	rc = op->kernel->prepare(c, err);
	if (rc > 0)
		return BROKEN(op, err, "prepare() returned %d", KNAME(op), rc);
	if (rc && !err->msg[0]) /* a refusal without a word: name the op */
		return shmx__fail(err, rc, "operation '%s'%s: %s", KNAME(op),
				  shmx_strerror(rc));
	return rc ? rc : check_output(op, c, err);
}
