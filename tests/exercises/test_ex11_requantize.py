"""Graded: exercise 11, requantize int32 -> int8 with round half up (solutions/ex11_requantize.py).

Against chipkit.numerics.requantize: per tensor, per channel, extremes and exact halves.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from chipkit import numerics as nx
from chipkit.grading.checks import GRADED

#: what these tests compare against: switched off in the student's process while grading
WITHHELD = ("chipkit.numerics.requantize", "chipkit.models.vector_golden.requantize")

ACC = st.one_of(st.integers(nx.INT32_MIN, nx.INT32_MAX),
                st.sampled_from([nx.INT32_MIN, nx.INT32_MAX, -1, 0, 1]))
MULT = st.one_of(st.integers(0, 2**16 - 1), st.sampled_from([0, 1, 2**15, 2**16 - 1]))
SHIFT = st.one_of(st.integers(0, 47), st.sampled_from([0, 1, 47]))


def check(mod, acc, m, s):
    got = mod.requantize(acc, m, s)
    want = nx.requantize(acc, m, s)
    assert isinstance(got, np.ndarray) and got.shape == acc.shape, (
        f"requantize should return a numpy array of shape {acc.shape}, got "
        f"{type(got).__name__} of shape {getattr(got, 'shape', None)}")
    bad = np.argwhere(np.asarray(got) != want)
    if bad.size:
        i = tuple(bad[0])
        mi = m if np.ndim(m) == 0 else np.asarray(m)[i[-1]]
        si = s if np.ndim(s) == 0 else np.asarray(s)[i[-1]]
        pytest.fail(f"acc {int(acc[i])}, multiplier {int(mi)}, shift {int(si)}: expected "
                    f"{int(want[i])}, got {int(np.asarray(got)[i])}")


@pytest.mark.points(2)
@GRADED
@given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=8), elements=ACC),
       MULT, SHIFT)
def test_per_tensor(mod, acc, m, s):
    check(mod, acc, m, s)


@pytest.mark.points(1)
def test_rounds_half_up(mod):
    acc = np.array([5, -5, 3, -3, 1, -1, 12, -12, 4, -4])  # * 1 >> 1 or >> 3: many exact halves
    check(mod, acc, 1, 1)
    check(mod, acc, 1, 3)
    check(mod, acc, 3, 2)


@pytest.mark.points(1)
def test_shift_zero_and_saturation(mod):
    acc = np.array([nx.INT32_MIN, -129, -128, 0, 127, 128, nx.INT32_MAX])
    check(mod, acc, 1, 0)
    check(mod, acc, 2**16 - 1, 47)
    check(mod, acc, 2**16 - 1, 0)


@st.composite
def per_channel(draw):
    rows, cols = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    acc = draw(hnp.arrays(np.int64, (rows, cols), elements=ACC))
    m = np.array(draw(st.lists(MULT, min_size=cols, max_size=cols)), dtype=np.int64)
    s = np.array(draw(st.lists(SHIFT, min_size=cols, max_size=cols)), dtype=np.int64)
    return acc, m, s


@pytest.mark.points(2)
@GRADED
@given(per_channel())
def test_per_channel(mod, case):
    check(mod, *case)


@pytest.mark.points(1)
def test_a_realistic_layer(mod):
    rng = np.random.default_rng(11)
    acc = rng.integers(-99_000, 99_000, (16, 32))
    m, s = (np.array(v) for v in zip(*(nx.quantize_multiplier(x)
                                         for x in rng.uniform(2e-4, 3e-3, 32))))
    check(mod, acc, m, s)
