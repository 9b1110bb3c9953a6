"""chipkit.numerics against plain Python integers, with hypothesis: any width, extremes and
overflow."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipkit import numerics as nx
from chipkit.errors import ChipkitError, ConfigError, RangeError, ShapeError

widths = st.integers(1, 80)


@st.composite
def signed_value(draw, width=None):
    w = draw(widths) if width is None else width
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    return w, draw(st.integers(lo, hi) | st.sampled_from([lo, hi, 0, -1 if w > 1 else 0]))


@given(signed_value())
def test_twos_complement_round_trip(wv):
    w, v = wv
    bits = nx.to_twos(v, w)
    assert 0 <= bits < (1 << w)
    assert bits == v % (1 << w)  # Python's % is the two's complement pattern
    assert nx.from_twos(bits, w) == v


@given(st.integers(1, 62), st.lists(st.integers(-(2**70), 2**70), min_size=1, max_size=30))
def test_wrap_is_modular_and_saturate_clamps(w, xs):
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    for x in xs:
        wrapped = nx.wrap(x, w)
        assert lo <= wrapped <= hi and (wrapped - x) % (1 << w) == 0
        assert nx.saturate(x, w) == min(max(x, lo), hi)
    small = [x for x in xs if -(2**62) <= x < 2**62]
    if small:  # vectorised (int64) agrees with scalar
        arr = np.array(small, dtype=np.int64)
        assert list(nx.wrap(arr, w)) == [nx.wrap(x, w) for x in small]
        assert list(nx.saturate(arr, w)) == [nx.saturate(x, w) for x in small]


def test_int8_int32_edges():
    assert nx.wrap8(127 + 1) == -128 and nx.sat8(127 + 1) == 127
    assert nx.wrap8(-128 - 1) == 127 and nx.sat8(-128 - 1) == -128
    assert nx.wrap32(2**31) == -(2**31) and nx.sat32(2**31) == 2**31 - 1
    assert nx.to_twos(-128, 8) == 0x80 and nx.from_twos(0xFF, 8) == -1


@given(st.integers(-(2**31), 2**31 - 1), st.integers(0, 2**16 - 1), st.integers(0, 47))
def test_requantize_matches_exact_rational_rounding(acc, m, sh):
    # round half up of acc*m / 2**sh, computed with exact integers, then saturated to int8
    num, den = acc * m, 1 << sh
    want = (2 * num + den) // (2 * den)  # floor(x + 1/2)
    assert nx.requantize(acc, m, sh) == min(max(want, -128), 127)


def test_requantize_rounding_mode_documented():
    assert nx.requantize(5, 1, 1) == 3  # 2.5 -> 3
    assert nx.requantize(-5, 1, 1) == -2  # -2.5 -> -2 (half up, toward +infinity)
    assert nx.requantize(-7, 1, 1) == -3  # -3.5 -> -3
    assert nx.requantize(300, 1, 0) == 127 and nx.requantize(-300, 1, 0) == -128


def test_requantize_vectorised_per_channel():
    acc = np.array([[1000, -1000], [40, -40]])
    got = nx.requantize(acc, np.array([1, 3]), np.array([3, 2]))
    assert got.tolist() == [[125, -128], [5, -30]]


@given(st.floats(1e-6, 1e4))
def test_quantize_multiplier_is_close(scale):
    m, sh = nx.quantize_multiplier(scale)
    assert 1 <= m < 2**15 and 0 <= sh <= 47
    assert abs(m / 2**sh - scale) <= 2.0 ** -(sh + 1) + 1e-12 * scale


def test_quantize_round_trip_error_is_half_a_step():
    x = np.linspace(-3, 3, 1001)
    s = nx.symmetric_scale(x)
    q = nx.quantize(x, s)
    assert q.min() == -127 and q.max() == 127
    assert np.max(np.abs(nx.dequantize(q, s) - x)) <= s / 2 + 1e-12


@pytest.mark.parametrize(("call", "err", "match"), [
    (lambda: nx.to_twos(128, 8), RangeError, r"128 does not fit in 8 signed bits \(-128\.\.127\)"),
    (lambda: nx.from_twos(256, 8), RangeError, "does not fit in 8 unsigned bits"),
    (lambda: nx.to_twos(1, 0), ConfigError, "at least 1 bit"),
    (lambda: nx.wrap(1, -3), ConfigError, "at least 1 bit"),
    (lambda: nx.wrap(1, 2.5), ConfigError, "positive integer"),
    (lambda: nx.wrap(np.array([1.5]), 8), ShapeError, "must be integers"),
    (lambda: nx.requantize(2**31, 1, 0), RangeError, "accumulator"),
    (lambda: nx.requantize(1, -1, 0), ConfigError, "multiplier"),
    (lambda: nx.requantize(1, 1, 48), ConfigError, "shift"),
    (lambda: nx.quantize_multiplier(-1.0), ConfigError, "positive"),
    (lambda: nx.quantize(np.ones(3), 0.0), ConfigError, "positive"),
])
def test_bad_input_says_what_to_change(call, err, match):
    with pytest.raises(err, match=match) as e:
        call()
    assert isinstance(e.value, ChipkitError)
