/* engine/kernels/sum_fterms.h - the float sums of one float dtype (no
 * include guard), included by sum.c through each_float.h: sum_float.h
 * once per term, plain, sq and nan. */
#define TERM plain
#include "kernels/sum_float.h"
#undef TERM
#define TERM sq
#include "kernels/sum_float.h"
#undef TERM
#define TERM nan
#include "kernels/sum_float.h"
#undef TERM
