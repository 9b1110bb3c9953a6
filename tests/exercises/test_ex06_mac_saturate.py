"""Graded: exercise 6, the saturating int8 x int8 -> int32 MAC (solutions/ex06_mac_saturate.py).

Short sequences against chipkit.models.arith.mac; long overflowing runs against an exact formula.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipkit.grading.checks import GRADED, NO_SHRINK, expand_runs, saturating_mac_runs
from chipkit.models.arith import mac

#: what these tests compare against: switched off in the student's process while grading
WITHHELD = ("chipkit.models.arith.mac",)

pytestmark = pytest.mark.timeout(30)

int8 = st.integers(-128, 127)
cycle = st.tuples(int8, int8, st.sampled_from([0, 0, 0, 0, 1]), st.sampled_from([0, 1, 1, 1]))
FULL_SCALE = [(127, 127), (-128, -128), (-128, 127), (127, -128)]


def trace(mod, a, b, clear, enable):
    got = mod.mac_saturating(a, b, clear, enable)
    assert isinstance(got, np.ndarray) and got.shape == (len(a),), (
        f"mac_saturating should return a numpy array with one entry per cycle ({len(a)}), "
        f"got {type(got).__name__} of shape {getattr(got, 'shape', None)}"
    )
    return got


def compare(got, want, what):
    bad = np.flatnonzero(got != want)
    if bad.size:
        t = int(bad[0])
        before = f"{int(want[t - 1])}" if t else "0 (reset)"
        pytest.fail(f"{what}: at cycle {t} (acc was {before}) expected {int(want[t])}, "
                    f"got {int(got[t])}")


@pytest.mark.points(2)
@GRADED
@given(st.lists(cycle, min_size=1, max_size=200))
def test_short_sequences_match_the_twin(mod, cycles):
    a, b, clear, enable = (np.array(col, dtype=np.int64) for col in zip(*cycles))
    compare(trace(mod, a, b, clear, enable), mac(a, b, clear, enable, saturating=True),
            f"{len(cycles)} cycles")


def run_and_compare(mod, runs, what):
    compare(trace(mod, *expand_runs(runs)), saturating_mac_runs(runs), what)


@pytest.mark.points(1)
def test_saturates_high_and_stays(mod):
    run_and_compare(mod, [(127, 127, 0, 1, 140_000)], "140,000 cycles of 127 * 127")


@pytest.mark.points(1)
def test_saturates_low_and_stays(mod):
    run_and_compare(mod, [(-128, 127, 0, 1, 135_000)], "135,000 cycles of -128 * 127")


@pytest.mark.points(1)
def test_saturation_depends_on_the_path(mod):
    runs = [(-128, -128, 0, 1, 131_080), (-128, 127, 0, 1, 3), (5, 5, 0, 0, 4),
            (-128, 127, 0, 1, 264_300), (127, 127, 0, 1, 2), (1, 1, 1, 1, 2), (127, 127, 0, 1, 2)]
    run_and_compare(mod, runs, "up to 2**31 - 1, down by 3 * 16256, hold, down to -2**31, "
                               "up by 2 * 16129, clear, up")


@st.composite
def long_runs(draw):
    runs = []
    for _ in range(draw(st.integers(1, 6))):
        a, b = draw(st.sampled_from(FULL_SCALE) | st.tuples(int8, int8))
        length = draw(st.one_of(st.integers(1, 5), st.integers(130_000, 140_000)))
        clear, enable = draw(st.integers(0, 9)) == 0, draw(st.integers(0, 5)) > 0
        runs.append((a, b, int(clear), int(enable), length))
    return runs


@pytest.mark.points(1)
@settings(NO_SHRINK, max_examples=8)
@given(long_runs())
def test_long_runs_that_overflow(mod, runs):
    run_and_compare(mod, runs, f"runs (a, b, clear, enable, cycles) = {runs}")
