/* engine/kernels/each_end.h - after one inclusion of a template by
 * each_int1.h, each_f32.h or each_f64.h: undefine the dtype's parameters
 * (no include guard). */
#undef E
#undef T
#undef SFX
#undef W
#undef U
#undef TF
#undef FLOAT
#undef SIGNED
#undef SMALL
#undef TMIN
#undef TMAX
