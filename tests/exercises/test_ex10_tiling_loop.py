"""Graded: exercise 10, the tiling loop over a fixed-size WS array (solutions/ex10_tiling_loop.py).

array_fold runs the fast cycle-exact model and records each call; C must equal numpy's A @ B.
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipkit.config import ArrayConfig
from chipkit.grading.checks import GRADED, NO_SHRINK
from chipkit.models import array_fast
from chipkit.numerics import wrap32

#: what these tests compare against: switched off in the student's process while grading
WITHHELD = ("chipkit.models.array_fast.gemm", "chipkit.models.array_golden.gemm")


class ArrayFold:
    """The array_fold a student's loop calls: one WS fold on the fast model, calls recorded.

    scale -- multiplies what the array returns: 2 tells a C built from array_fold's outputs from
    one computed some other way (a @ b)."""

    def __init__(self, rows, cols, scale=1):
        self.cfg, self.scale, self.calls = ArrayConfig(rows, cols, "ws"), scale, []

    def __call__(self, a_part, w_tile):
        a_part, w_tile = np.array(a_part, dtype=np.int64), np.array(w_tile, dtype=np.int64)
        r, c = self.cfg.rows, self.cfg.cols
        if a_part.ndim != 2 or a_part.shape[1] != r or w_tile.shape != (r, c):
            raise ValueError(
                f"array_fold takes an M x {r} slice of A and a weight tile of exactly {r} x {c} "
                f"(pad edge tiles with zeros); got {a_part.shape} and {w_tile.shape}")
        self.calls.append((a_part, w_tile))
        run = array_fast.gemm(a_part, w_tile, self.cfg)
        assert run.schedule.folds == 1
        return wrap32(self.scale * run.product).astype(np.int32)


@st.composite
def gemms(draw):
    """rows, cols and int8 A, B whose K and N mostly do not divide the array (any M)."""
    rows, cols = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    m, k, n = draw(st.integers(1, 7)), draw(st.integers(1, 13)), draw(st.integers(1, 13))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rows, cols, rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n))


def product(mod, a, b, rows, cols, fold):
    got = mod.tiled_gemm(a.copy(), b.copy(), rows, cols, fold)
    want_shape = (a.shape[0], b.shape[1])
    assert isinstance(got, np.ndarray) and got.shape == want_shape, (
        f"tiled_gemm should return a numpy array of shape {want_shape}, "
        f"got {type(got).__name__} of shape {np.shape(got)}")
    return got


def compare(got, want, what):
    bad = np.argwhere(got != want)
    if bad.size:
        i, j = bad[0]
        pytest.fail(f"{what}: C[{i}, {j}] should be {want[i, j]}, got {got[i, j]} "
                    f"({len(bad)} of {want.size} entries wrong)")


def shapes(rows, cols, a, b):
    return f"{a.shape[0]} x {a.shape[1]} @ {b.shape[0]} x {b.shape[1]} on {rows} x {cols}"


@pytest.mark.points(3)
@NO_SHRINK
@given(gemms())
def test_equals_numpy_on_shapes_that_do_not_divide(mod, case):
    rows, cols, a, b = case
    got = product(mod, a, b, rows, cols, ArrayFold(rows, cols))
    compare(got, a @ b, shapes(rows, cols, a, b))


@pytest.mark.points(2)
@GRADED
@given(gemms())
def test_visits_every_tile_exactly_once(mod, case):
    rows, cols, a, b = case
    (m, k), n = a.shape, b.shape[1]
    b = np.arange(k * n).reshape(k, n) - 127  # every entry different (K * N <= 169): tiles differ
    fold = ArrayFold(rows, cols)
    product(mod, a, b, rows, cols, fold)
    want = math.ceil(k / rows) * math.ceil(n / cols)
    what = shapes(rows, cols, a, b)
    assert len(fold.calls) == want, (
        f"{what}: ceil(K/rows) * ceil(N/cols) = {want} folds, but array_fold was called "
        f"{len(fold.calls)} times")
    tiles = {}
    for k0 in range(0, k, rows):
        for n0 in range(0, n, cols):
            w = np.zeros((rows, cols), np.int64)
            w[: min(rows, k - k0), : min(cols, n - n0)] = b[k0:k0 + rows, n0:n0 + cols]
            part = np.zeros((m, rows), np.int64)
            part[:, : min(rows, k - k0)] = a[:, k0:k0 + rows]
            tiles[(k0, n0)] = (w, part)
    for (k0, n0), (w, part) in tiles.items():
        seen = [p for p, t in fold.calls if np.array_equal(t, w)]
        assert seen, f"{what}: the weight tile at (k0, n0) = ({k0}, {n0}) never reached the array"
        assert any(np.array_equal(p, part) for p in seen), (
            f"{what}: the tile at (k0, n0) = ({k0}, {n0}) went in with the wrong columns of A: "
            f"it needs A[:, {k0}:{k0 + rows}] (zero-padded to {rows} columns)")


@pytest.mark.points(1)
def test_builds_c_from_what_the_array_returns(mod):
    rng = np.random.default_rng(10)
    rows, cols = 3, 4
    a, b = rng.integers(-128, 128, (5, 7)), rng.integers(-128, 128, (7, 9))
    got = product(mod, a, b, rows, cols, ArrayFold(rows, cols, scale=2))
    compare(got, 2 * (a @ b), f"{shapes(rows, cols, a, b)}, with an array_fold that returns "
            "2 x its partial product (C must come from array_fold's outputs, not from a @ b)")
