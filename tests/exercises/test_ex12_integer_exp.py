"""Graded: exercise 12, 2^(-u/256) by a table and a shift (solutions/ex12_integer_exp.py).

Against chipkit.models.intmath (the helper of the vector unit's softmax), and against float.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from chipkit.grading.checks import GRADED
from chipkit.models import intmath

#: what these tests compare against: switched off in the student's process while grading
WITHHELD = ("chipkit.models.intmath.exp2_neg", "chipkit.models.intmath.EXP2_LUT")


@pytest.mark.points(2)
def test_table(mod):
    lut = np.asarray(mod.exp2_table())
    assert lut.shape == (256,), f"exp2_table should have 256 entries, got shape {lut.shape}"
    bad = np.flatnonzero(lut != intmath.EXP2_LUT)
    if bad.size:
        f = int(bad[0])
        pytest.fail(f"LUT[{f}] should be round(2^15 * 2^(-{f}/256)) = {intmath.EXP2_LUT[f]}, "
                    f"got {lut[f]}")


def check(mod, u):
    got = mod.exp2_neg(u)
    assert isinstance(got, np.ndarray) and got.shape == u.shape, (
        f"exp2_neg should return a numpy array of shape {u.shape}, got {type(got).__name__} of "
        f"shape {getattr(got, 'shape', None)}")
    want = intmath.exp2_neg(u)
    bad = np.argwhere(got != want)
    if bad.size:
        i = tuple(bad[0])
        pytest.fail(f"u = {int(u[i])}: expected LUT[{int(u[i]) & 255}] >> {int(u[i]) >> 8} = "
                    f"{int(want[i])}, got {int(got[i])}")
    return got


@pytest.mark.points(2)
def test_every_u_up_to_2_pow_minus_17(mod):
    check(mod, np.arange(0, 17 * 256 + 1, dtype=np.int64))


@pytest.mark.points(1)
@GRADED
@given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=10),
                  elements=st.one_of(st.integers(0, 5000), st.integers(0, 2**40))))
def test_random_and_huge_exponents(mod, u):
    check(mod, u)


@pytest.mark.points(1)
def test_error_against_float_is_below_one_unit(mod):
    u = np.arange(0, 12 * 256, dtype=np.int64)
    err = check(mod, u) - 2.0**15 * 2.0 ** (-u / 256)
    assert err.max() <= 0.5 and err.min() > -1, (
        f"error against 2^15 * 2^(-u/256) is {err.min():.3f}..{err.max():.3f}, should be in "
        "(-1, 0.5]")
