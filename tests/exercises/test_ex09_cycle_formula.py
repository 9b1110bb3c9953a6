"""Graded: exercise 9, the cycle count of a GEMM on the array (solutions/ex09_cycle_formula.py).

Against chipkit.models.array_cycles on many shapes, and against the fast model's last output on a
few.
"""
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chipkit.config import ArrayConfig
from chipkit.grading.checks import GRADED, plain
from chipkit.models import array_cycles, array_fast

#: what these tests compare against: switched off in the student's process while grading
WITHHELD = (
    "chipkit.models.array_cycles.gemm_cycles",
    "chipkit.models.array_cycles.fold_cycles",
    "chipkit.models.array_cycles.folds",
    "chipkit.models.array_cycles.utilization",
    "chipkit.models.array_fast.gemm",
)

dims = st.integers(1, 300)
sides = st.integers(1, 64)
dataflows = st.sampled_from(["ws", "os"])
#: (m, n, k, rows, cols): exact fits, edge tiles in every dimension, a 1 x 1 array, vectors
SMALL = [(8, 8, 8, 4, 4), (5, 7, 9, 4, 4), (1, 1, 1, 1, 1), (3, 8, 2, 2, 3), (6, 5, 11, 3, 2),
         (9, 3, 4, 4, 8), (1, 10, 7, 3, 4), (12, 1, 5, 2, 2)]


@pytest.mark.points(3)
@settings(GRADED, max_examples=400)
@given(dims, dims, dims, sides, sides, dataflows)
@example(64, 64, 64, 8, 8, "ws")
@example(64, 64, 64, 8, 8, "os")
@example(1, 1, 1, 1, 1, "os")
def test_matches_the_closed_form(mod, m, n, k, rows, cols, dataflow):
    want = array_cycles.gemm_cycles(m, n, k, ArrayConfig(rows, cols, dataflow))
    got = plain(mod.gemm_cycles(m, n, k, rows, cols, dataflow), int,
                f"gemm_cycles({m}, {n}, {k}, {rows}, {cols}, {dataflow!r})")
    assert got == want, (f"gemm_cycles(m={m}, n={n}, k={k}, rows={rows}, cols={cols}, "
                         f"{dataflow!r}) should be {want}, got {got}")


@pytest.mark.points(1)
@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_matches_the_fast_model(mod, dataflow):
    rng = np.random.default_rng(9)
    for m, n, k, rows, cols in SMALL:
        a, b = rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n))
        run = array_fast.gemm(a, b, ArrayConfig(rows, cols, dataflow))
        folds, last = len(run.c_valid), int(np.flatnonzero(run.c_valid[0])[-1])
        measured = folds * (last + 1)  # every fold ends with its last output
        got = mod.gemm_cycles(m, n, k, rows, cols, dataflow)
        assert got == measured, (
            f"{m} x {k} @ {k} x {n} on a {rows} x {cols} {dataflow.upper()} array: the fast "
            f"model runs {folds} folds and each puts out its last row at cycle {last + 1}, "
            f"{measured} cycles in all; gemm_cycles says {got}")


@pytest.mark.points(1)
@GRADED
@given(dims, dims, dims, sides, sides, dataflows)
def test_utilization(mod, m, n, k, rows, cols, dataflow):
    cfg = ArrayConfig(rows, cols, dataflow)
    want = array_cycles.utilization(m, n, k, cfg, array_cycles.gemm_cycles(m, n, k, cfg))
    got = mod.utilization(m, n, k, rows, cols, dataflow)
    assert got == pytest.approx(want, rel=1e-9), (
        f"utilization(m={m}, n={n}, k={k}, rows={rows}, cols={cols}, {dataflow!r}) should be "
        f"{want:.6f}, got {got}")
