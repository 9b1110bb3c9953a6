"""Graded: exercise 8, the skewed left edge of a WS fold (solutions/ex08_skew_schedule.py).

Against the fast cycle-exact model's left column, cycle by cycle, and the schedule's active PEs.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipkit.config import ArrayConfig
from chipkit.grading.checks import GRADED
from chipkit.models import array_fast, array_schedule

#: what these tests compare against: switched off in the student's process while grading
WITHHELD = (
    "chipkit.models.array_schedule.build",
    "chipkit.models.array_fast.gemm",
    "chipkit.models.array_fast.FastArray",
)


def skewed(mod, a, rows):
    m = len(a)
    got = mod.skew(a, rows)
    assert isinstance(got, np.ndarray) and got.shape == (m + rows - 1, rows), (
        f"skew of a {m} x {np.shape(a)[1]} matrix for {rows} rows should be a numpy array of shape "
        f"({m + rows - 1}, {rows}), got {type(got).__name__} of shape {np.shape(got)}")
    return got


@pytest.mark.points(1)
def test_the_docstring_example(mod):
    got = skewed(mod, [[1, 2], [3, 4]], 2)  # a list of rows works too
    want = np.array([[1, 0], [3, 2], [0, 4]])
    assert np.array_equal(got, want), f"skew([[1, 2], [3, 4]], 2) should be\n{want}\ngot\n{got}"


@st.composite
def folds(draw):
    """One WS fold: rows, cols, A (M x K with K <= rows) and B (K x cols), int8."""
    rows, cols = draw(st.integers(1, 8)), draw(st.integers(1, 3))
    m, k = draw(st.integers(1, 10)), draw(st.integers(1, rows))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    corners = draw(st.booleans())  # only -128 and 127: the widest values
    a = rng.choice([-128, 127], (m, k)) if corners else rng.integers(-128, 128, (m, k))
    return rows, cols, a, rng.integers(-128, 128, (k, cols))


@pytest.mark.points(2)
@GRADED
@given(folds())
def test_skew_is_what_the_fast_model_feeds_its_left_column(mod, fold):
    rows, cols, a, b = fold
    run = array_fast.gemm(a, b, ArrayConfig(rows, cols, "ws"), record=True)
    m = len(a)
    # after the edge of step s, PE (i, 0) holds the activation it multiplied at step s; the rows
    # of A start entering after the `rows` weight-load steps
    want = run.states["a"][0, rows:rows + m + rows - 1, :, 0]
    got = skewed(mod, a.copy(), rows)
    bad = np.argwhere(got != want)
    if bad.size:
        t, i = bad[0]
        pytest.fail(f"A = {a.tolist()} on {rows} rows: at cycle {t} row {i} should see "
                    f"{want[t, i]}, got {got[t, i]}\nwant\n{want}\ngot\n{got}")


@pytest.mark.points(2)
def test_active_steps_match_the_schedule(mod):
    for rows in range(1, 7):
        for cols in range(1, 7):
            for m in (1, 2, 5, 9):
                cfg = ArrayConfig(rows, cols, "ws")
                ones = np.ones((m, rows), np.int64), np.ones((rows, cols), np.int64)
                live = array_schedule.build(*ones, cfg).active()[0]  # [T, R, C]
                for i in range(rows):
                    for j in range(cols):
                        steps = np.flatnonzero(live[:, i, j])
                        want = (int(steps[0]), int(steps[-1]))
                        got = mod.active_steps(i, j, m, rows)
                        assert tuple(got) == want, (
                            f"{rows} x {cols} array, M = {m}: PE ({i}, {j}) multiplies A's rows "
                            f"at steps {want[0]}..{want[1]}; active_steps returned {got}")
