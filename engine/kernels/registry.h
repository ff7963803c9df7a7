/* engine/kernels/registry.h - finding and preparing a kernel: the one
 * interface between the engine and its operations (private to libshmx).
 *
 * An op as the user wrote it ("sum", "scale:2", "cast:f32",
 * "fill:uniform:42:f64:100x10") is opened into a struct shmx__op: its
 * kernel (a struct shmx_kernel, shmx/kernel.h) and its arguments.  For a
 * run the engine fills the input half of a struct shmx_kernel_call and
 * shmx__op_prepare() has the kernel fill the output half, checking both
 * sides of the contract; the engine then calls the kernel's chunk() per
 * chunk and, for SHMX_KERNEL_REDUCE, merge() once.
 */
#ifndef SHMX_KERNELS_REGISTRY_H
#define SHMX_KERNELS_REGISTRY_H

#include "shmx/kernel.h"

#define SHMX__OP_TEXT_MAX 4352 /* a plugin's path, its name, arguments */

struct shmx__op {                 /* an op as the user wrote it, resolved */
	const struct shmx_kernel *kernel;
	unsigned nargs;
	const char *args[SHMX_KERNEL_ARGS_MAX]; /* into text */
	char text[SHMX__OP_TEXT_MAX];           /* a copy of the spec */
	void *dl;         /* a plugin's dlopen handle, NULL for built-ins */
	char origin[320]; /* for messages: "" or " (plugin ./x.so)" */
};

/* "sum", "scale:2", "cast:f32", "fill:...", "plugin:PATH:NAME[:ARGS]": 0,
 * or SHMX_EOP with a message (an unknown name, a wrong argument count, an
 * argument that is not a number or a dtype, a plugin that cannot be
 * loaded).  What needs no input is checked here, before any file is
 * touched.  A plugin stays loaded until shmx__op_close. */
int shmx__op_open(const char *spec, struct shmx__op *op,
		  struct shmx_error *err);
void shmx__op_close(struct shmx__op *op); /* NULL or zeroed: nothing */

/* As many inputs as op's kernel takes (SHMX_KERNEL_NO_INPUT: none; 0 and
 * 0 in the struct: exactly 1)?  0, or SHMX_EOP with a message.  Also
 * checked by shmx__op_prepare; the engine asks first, before it opens any
 * input. */
int shmx__op_check_inputs(const struct shmx__op *op, unsigned n,
			  struct shmx_error *err);

/* A chunk() or merge() of op returned rc with kerr: the run's error, one
 * line naming the op (and plugin), a runtime code (exit 1) even when the
 * kernel returned a bad-input one.  Returns the code. */
int shmx__op_failed(const struct shmx__op *op, int rc,
		    const struct shmx_error *kerr, struct shmx_error *err);

/* Fill the output half of c.  The caller set c->size, ninputs, in[],
 * rows and axis; this sets nargs and args from op, checks the ABI number
 * and struct sizes, the input count and an axis given to a kernel without
 * SHMX_KERNEL_TAKES_AXIS, calls prepare(), and checks what it set (kind,
 * dtype, shape, out_cols, partial_bytes, merge).  0, or the kernel's
 * refusal, or SHMX_EOP naming the broken rule. */
int shmx__op_prepare(const struct shmx__op *op, struct shmx_kernel_call *c,
		     struct shmx_error *err);

/* The built-in operations of `shmx run`, NULL-terminated (for --help and
 * the tests); gen's "fill" is not one of them. */
extern const char *const shmx__op_names[];

#endif
