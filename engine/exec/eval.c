/* engine/exec/eval.c - `shmx eval`: an expression over its inputs
 * (shmx/eval.h), as jobs of the one pipeline (exec/job.h).
 *
 *	open the inputs, compile the expression over their dtypes and shapes
 *	(every error of the expression before any worker starts), lower it
 *	(expr/eval.h), then
 *	  pass k = 0 ..: a job over the same inputs whose chunks accumulate
 *	                 the pass's reductions into partial slots, merged in
 *	                 chunk order by the parent into constants
 *	  main:          a job whose chunks compute the result's rows, or,
 *	                 when the result is itself a constant, the parent
 *	                 publishes it.
 *
 * The evaluator is a kernel like the built-ins (eval_kernel): its state
 * in the call names the program and the pass.  Pass jobs borrow the main
 * job's open inputs.  The steps are exec/eval_job.h's, which a run split
 * over processes (part.c) takes one by one.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "shmx/eval.h"
#include "base/internal.h"
#include "store/output.h"
#include "expr/eval.h"
#include "exec/job.h"
#include "exec/eval_job.h"

struct eval_state {
	struct shmx__prog *prog;
	int pass; /* -1: the main pass */
};

static int eval_chunk(const struct shmx_kernel_call *c,
		      const struct shmx_chunk *k, struct shmx_error *err)
{
	const struct eval_state *st = (const void *)c->state;

	if (st->pass < 0)
		return shmx__prog_main_chunk(st->prog, k->in, k->row0,
					     k->nrows, k->out, err);
	return shmx__prog_pass_chunk(st->prog, (unsigned)st->pass, k->in,
				     k->row0, k->nrows, k->partial, err);
}

static int eval_merge(const struct shmx_kernel_call *c, const void *partials,
		      uint64_t nchunks, void *out, struct shmx_error *err)
{
	const struct eval_state *st = (const void *)c->state;

	(void)out;
	return shmx__prog_pass_merge(st->prog, (unsigned)st->pass, partials,
				     shmx_kernel_slot_bytes(c), nchunks, err);
}

static const struct shmx_kernel eval_kernel = {
	.abi = SHMX_KERNEL_ABI,
	.size = sizeof(struct shmx_kernel),
	.name = "eval",
	.kind = SHMX_KERNEL_MAP,
	.min_inputs = 0,
	.max_inputs = SHMX_KERNEL_INPUTS_MAX,
	.chunk = eval_chunk,
	.merge = eval_merge,
};

struct shmx__eval {
	struct shmx__job job; /* the main pass; it owns the inputs */
	struct shmx__expr *e;
	struct shmx__prog *prog;
	const char *sources[SHMX_KERNEL_INPUTS_MAX];
	void *vec[64];        /* the vector passes' shared rows */
	uint64_t vec_len[64];
	unsigned nvec;
};

static void set_state(struct shmx__job *job, struct shmx__prog *prog,
		      int pass)
{
	struct eval_state st = { prog, pass };

	job->op.kernel = &eval_kernel;
	memcpy(job->call.state, &st, sizeof(st));
}

/* ---- opening and compiling ------------------------------------------------ */

static int check_opts(const struct shmx_run_opts *o, unsigned n,
		      struct shmx_error *err)
{
	if (o->axis != SHMX_AXIS_NONE)
		return shmx__fail(err, SHMX_EUSAGE,
				  "eval takes no axis: write it in the "
				  "expression (sum(x, axis=1))");
	if (o->in_place)
		return shmx__fail(err, SHMX_EUSAGE, "eval has no --in-place");
	if (o->io < SHMX_IO_AUTO || o->io > SHMX_IO_STREAM)
		return shmx__fail(err, SHMX_EUSAGE, "bad io mode");
	if (n > SHMX_KERNEL_INPUTS_MAX)
		return shmx__fail(err, SHMX_EUSAGE, "eval: %u inputs, at most %u",
				  n, SHMX_KERNEL_INPUTS_MAX);
	return 0;
}

static int compile(struct shmx__eval *ev, const char *expr,
		   const struct shmx_eval_input *inputs, unsigned n,
		   struct shmx_error *err)
{
	struct shmx__expr_binding b[SHMX_KERNEL_INPUTS_MAX];
	const void *data[SHMX_KERNEL_INPUTS_MAX];
	int rc;

	for (unsigned i = 0; i < n; i++) {
		b[i].name = inputs[i].name;
		b[i].dtype = ev->job.call.in[i].dtype;
		b[i].shape = ev->job.call.in[i].shape;
		data[i] = ev->job.in[i].data;
	}
	rc = shmx__expr_compile(expr, b, n, &ev->e, err);
	if (!rc)
		rc = shmx__prog_build(ev->e, data, &ev->prog, err);
	return rc;
}

/* ---- the passes ------------------------------------------------------------ */

/* A job over the main job's open inputs (it closes none of them). */
static void borrow(struct shmx__job *pj, const struct shmx__job *job)
{
	shmx__job_init(pj, "eval");
	pj->ninputs = job->ninputs;
	pj->call.ninputs = job->call.ninputs;
	pj->call.rows = job->call.rows;
	for (unsigned i = 0; i < job->ninputs; i++) {
		pj->in[i] = job->in[i];
		pj->call.in[i] = job->call.in[i];
	}
}

static int map_vectors(struct shmx__eval *ev, unsigned k,
		       struct shmx_error *err)
{
	uint64_t len = shmx__prog_pass_vec_bytes(ev->prog, k);
	void *buf;

	if (!len)
		return 0;
	if (ev->nvec == sizeof(ev->vec) / sizeof(ev->vec[0]))
		return shmx__fail(err, SHMX_EEXPR,
				  "expression: too many passes");
	buf = shmx__map_shared(len);
	if (!buf)
		return shmx__fail(err, -errno, "eval: cannot map a pass's "
				  "rows: %s", strerror(errno));
	ev->vec[ev->nvec] = buf;
	ev->vec_len[ev->nvec++] = len;
	shmx__prog_pass_vectors(ev->prog, k, buf);
	return 0;
}

int shmx__eval_pass_job(struct shmx__eval *ev, unsigned k,
			const struct shmx_run_opts *o, struct shmx__job *pj,
			struct shmx_error *err)
{
	size_t slot = shmx__prog_pass_slot(ev->prog, k);
	int rc = map_vectors(ev, k, err);

	borrow(pj, &ev->job);
	set_state(pj, ev->prog, (int)k);
	pj->call.kind = SHMX_KERNEL_REDUCE;
	pj->call.out_dtype = SHMX_U8;
	pj->call.out_shape = (struct shmx_shape){ 0, { 0, 0 } };
	pj->call.partial_bytes = slot ? slot : 64;
	if (!rc)
		rc = shmx__job_plan(pj, o->chunk_bytes, o->io, o->queue_depth,
				    err);
	if (!rc)
		rc = shmx__job_sink(pj, NULL, NULL, 0, err);
	return rc;
}

void shmx__eval_pass_close(struct shmx__job *pj)
{
	pj->ninputs = 0; /* borrowed */
	shmx__job_close(pj);
}

int shmx__eval_pass_done(struct shmx__eval *ev, unsigned k,
			 struct shmx_error *err)
{
	return shmx__prog_pass_done(ev->prog, k, err);
}

static int run_pass(struct shmx__eval *ev, unsigned k,
		    const struct shmx_run_opts *o, struct shmx_error *err)
{
	struct shmx__job pj;
	int rc = shmx__eval_pass_job(ev, k, o, &pj, err);

	if (!rc)
		rc = shmx__job_execute(&pj, o, pj.ninputs ? pj.in[0].spec : NULL,
				       shmx__now(), NULL, err);
	shmx__eval_pass_close(&pj);
	return rc ? rc : shmx__eval_pass_done(ev, k, err);
}

/* ---- the fast path ------------------------------------------------------------ */

static int is_input(const struct shmx__expr_node *n, int float_only)
{
	return n->kind == SHMX__EXPR_INPUT && (n->flags & SHMX__N_ROWWISE) &&
	       n->dtype != SHMX__X_BOOL &&
	       (!float_only || n->dtype == SHMX__X_F32 ||
		n->dtype == SHMX__X_F64);
}

/* x * x or x ** 2 of an f64 input: what sumsq sums (its squares are the
 * same f64 products, summed in the same order). */
static int is_square(const struct shmx__expr_node *n)
{
	const struct shmx__expr_node *a = n->arg[0], *b = n->arg[1];

	if (n->kind != SHMX__EXPR_BINARY || n->dtype != SHMX__X_F64 ||
	    !is_input(a, 1))
		return 0;
	if (n->op == SHMX__OP_MUL)
		return b->kind == SHMX__EXPR_INPUT && b->input == a->input;
	return n->op == SHMX__OP_POW && b->kind == SHMX__EXPR_NUM &&
	       (b->flags & SHMX__N_PY) &&
	       (b->dtype == SHMX__X_F64 ? b->f == 2.0 : b->i == 2);
}

/* The built-in op whose tuned kernel computes e as the evaluator would:
 * a reduction of an input with its axis, sumsq for sum(x * x) of f64,
 * the maps sqrt exp log abs of a float input; NULL when there is none. */
static const char *builtin_of(const struct shmx__expr *e, enum shmx_axis *axis,
			      unsigned *input)
{
	static const int reds[] = {
		SHMX__F_SUM, SHMX__F_MEAN, SHMX__F_MIN, SHMX__F_MAX,
		SHMX__F_VAR, SHMX__F_STD, SHMX__F_ARGMIN, SHMX__F_ARGMAX,
		SHMX__F_NANSUM, SHMX__F_NANMEAN, SHMX__F_NANMIN,
		SHMX__F_NANMAX, SHMX__F_NANVAR, SHMX__F_NANSTD,
	};
	static const int maps[] = { SHMX__F_SQRT, SHMX__F_EXP, SHMX__F_LOG,
				    SHMX__F_ABS };
	const struct shmx__expr_node *r = e->root, *a = r->arg[0];

	*axis = r->axis;
	if (r->kind != SHMX__EXPR_CALL)
		return NULL;
	for (size_t k = 0; k < sizeof(maps) / sizeof(maps[0]); k++)
		if (r->op == maps[k] && is_input(a, 1) && a->dtype == r->dtype) {
			*input = a->input;
			return shmx__expr_func_name(r->op);
		}
	for (size_t k = 0; k < sizeof(reds) / sizeof(reds[0]); k++) {
		if (r->op != reds[k])
			continue;
		if (is_input(a, 0)) {
			*input = a->input;
			return shmx__expr_func_name(r->op);
		}
		if (r->op == SHMX__F_SUM && is_square(a)) {
			*input = a->arg[0]->input;
			return "sumsq";
		}
	}
	return NULL;
}


static void root_shape(const struct shmx__expr *e, struct shmx_shape *s)
{
	const struct shmx__expr_node *r = e->root;

	*s = (struct shmx_shape){ r->ndim, { r->dim[0], r->dim[1] } };
}

int shmx__eval_publish_const(struct shmx__eval *ev,
			     const struct shmx_run_opts *o,
			     struct shmx_result *res, struct shmx_error *err)
{
	struct shmx__job *job = &ev->job;
	struct shmx_output *out = NULL;
	uint64_t bytes;
	int rc;

	root_shape(ev->e, &job->call.out_shape);
	job->call.out_dtype = (enum shmx_dtype)ev->e->root->dtype;
	if (shmx_shape_bytes(&job->call.out_shape, job->call.out_dtype,
			     &bytes) < 0)
		return shmx__fail(err, SHMX_ESHAPE, "result size overflows");
	if (!o->output) {
		job->anon_len = bytes;
		job->anon = bytes ? shmx__map_shared(bytes) : NULL;
		if (bytes && !job->anon)
			return shmx__fail(err, -errno, "eval: cannot map the "
					  "result: %s", strerror(errno));
		if (bytes)
			memcpy(job->anon, shmx__prog_const_result(ev->prog),
			       bytes);
		shmx__job_result(job, res);
		return 0;
	}
	rc = shmx__output_create(o->output, job->call.out_dtype,
				 &job->call.out_shape, &o->create, 0, &out,
				 err);
	if (rc)
		return rc;
	if (bytes)
		memcpy(shmx_output_data(out), shmx__prog_const_result(ev->prog),
		       bytes);
	rc = shmx_output_publish(out, err);
	if (!rc)
		shmx__job_result(job, res);
	return rc;
}

int shmx__eval_main_job(struct shmx__eval *ev, const struct shmx_run_opts *o,
			struct shmx__job **main, struct shmx_error *err)
{
	struct shmx__job *job = &ev->job;

	*main = job;
	set_state(job, ev->prog, -1);
	root_shape(ev->e, &job->call.out_shape);
	job->call.out_dtype = (enum shmx_dtype)ev->e->root->dtype;
	job->call.kind = ev->e->root->ndim == 2 ? SHMX_KERNEL_MAP
						: SHMX_KERNEL_ROWS;
	job->call.out_cols = shmx__prog_out_cols(ev->prog);
	return shmx__job_plan(job, o->chunk_bytes, o->io, o->queue_depth, err);
}

static int run_main(struct shmx__eval *ev, const struct shmx_run_opts *o,
		    double t0, struct shmx_result *res, struct shmx_error *err)
{
	struct shmx__job *job;
	int rc = shmx__eval_main_job(ev, o, &job, err);

	if (!rc)
		rc = shmx__job_sink(job, o->output, &o->create, 0, err);
	if (!rc)
		rc = shmx__job_execute(job, o,
				       job->ninputs ? job->in[0].spec : NULL,
				       t0, &res->stats, err);
	if (!rc)
		shmx__job_result(job, res);
	return rc;
}

int shmx__eval_open(const char *expr, const struct shmx_eval_input *inputs,
		    unsigned n, const struct shmx_run_opts *o,
		    struct shmx__eval **out, struct shmx_error *err)
{
	struct shmx__eval *ev = shmx__calloc(1, sizeof(*ev));
	int rc;

	*out = ev;
	if (!ev)
		return shmx__fail(err, -ENOMEM, "eval: out of memory");
	shmx__job_init(&ev->job, "eval");
	ev->job.op.kernel = &eval_kernel;
	rc = check_opts(o, n, err);
	for (unsigned i = 0; !rc && i < n; i++)
		ev->sources[i] = inputs[i].source;
	if (!rc)
		rc = shmx__job_inputs(&ev->job, ev->sources, n, &o->input, 0,
				      err);
	if (!rc)
		rc = compile(ev, expr, inputs, n, err);
	return rc;
}

const char *shmx__eval_builtin(const struct shmx__eval *ev,
			       enum shmx_axis *axis, const char **source)
{
	unsigned in;
	const char *op = builtin_of(ev->e, axis, &in);

	*source = op ? ev->sources[in] : NULL;
	return op;
}

unsigned shmx__eval_passes(const struct shmx__eval *ev)
{
	return ev->e->npasses;
}

struct shmx__prog *shmx__eval_prog(struct shmx__eval *ev)
{
	return ev->prog;
}

void shmx__eval_close(struct shmx__eval *ev)
{
	if (!ev)
		return;
	shmx__job_close(&ev->job);
	shmx__prog_free(ev->prog);
	shmx__expr_free(ev->e);
	for (unsigned i = 0; i < ev->nvec; i++)
		munmap(ev->vec[i], ev->vec_len[i]);
	shmx__free(ev);
}

static int evaluate(const char *expr, const struct shmx_eval_input *inputs,
		    unsigned n, const struct shmx_run_opts *o, double t0,
		    struct shmx_result *res, struct shmx_error *err)
{
	struct shmx__eval *ev;
	struct shmx_run_opts ro = *o;
	const char *op, *source;
	int rc = shmx__eval_open(expr, inputs, n, o, &ev, err);

	if (!rc && (op = shmx__eval_builtin(ev, &ro.axis, &source)) != NULL) {
		shmx__eval_close(ev); /* the tuned kernel, over the same input */
		return shmx_run(op, source, &ro, res, err);
	}
	for (unsigned k = 0; !rc && k < shmx__eval_passes(ev); k++)
		rc = run_pass(ev, k, o, err);
	if (!rc)
		rc = shmx__prog_rowwise(ev->prog)
			? run_main(ev, o, t0, res, err)
			: shmx__eval_publish_const(ev, o, res, err);
	shmx__eval_close(ev);
	return rc;
}

int shmx_eval(const char *expr, const struct shmx_eval_input *inputs,
	      unsigned n, const struct shmx_run_opts *opts,
	      struct shmx_result *res, struct shmx_error *err)
{
	double t0 = shmx__now();
	struct shmx__job begin;
	struct shmx_run_opts o;

	memset(res, 0, sizeof(*res));
	err = shmx__job_begin(&begin, "eval", opts, &o, err);
	return evaluate(expr, inputs, n, &o, t0, res, err);
}
