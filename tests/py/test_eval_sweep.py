"""`shmx eval` against numpy: the whole sweep (ctest label heavy).

Every expression of test_eval.py at -j 1, 2 and 8 (the quick run gives
them -j 3) and, with more workers than rows, at the sizes 1, 7 and 0
rows; every dtype expression at -j 8; the quick run (test_eval.py) covers
a subset of these so that the default suite stays short.
"""
import test_eval as t


class EvalSweepF64(t.EvalTestCase):
    arrays = t.EvalF64.arrays
    sweep = t.EvalF64.sweep

    def test_every_expression_at_every_j_and_size(self):
        self.sweep(t.F64_EXPRS, [(13, 5)], (1, 2, 8))
        self.sweep(t.F64_EXPRS, [(1, 1), (7, 3), (0, 3)], (8,))


class EvalSweepDtypes(t.EvalTestCase):
    sample = t.EvalDtypes.sample
    sweep = t.EvalDtypes.sweep

    def test_every_dtype_expression(self):
        self.sweep(t.EvalDtypes.EXPRS, (8,))
