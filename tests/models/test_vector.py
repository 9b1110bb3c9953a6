"""The vector unit's golden spec (chipkit.models.vector_golden, chipkit.models.intmath): exact parts
against Python integers, approximate parts by measured error against float, bad input by message."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from chipkit import numerics as nx
from chipkit.errors import ConfigError, RangeError, ShapeError
from chipkit.models import intmath as im
from chipkit.models import vector_golden as V

rng = np.random.default_rng(6)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9)
int8_rows = hnp.arrays(np.int64, shapes, elements=st.integers(-128, 127))
int32 = st.integers(nx.INT32_MIN, nx.INT32_MAX)


# --- intmath ---------------------------------------------------------------------------------

def test_exp_table_is_the_formula():
    assert im.EXP2_LUT[0] == 32768 and im.EXP2_LUT.shape == (256,)
    f = np.arange(256)
    assert np.all(np.abs(im.EXP2_LUT - 2**15 * 2.0 ** (-f / 256)) <= 0.5)


def test_exp2_neg_error_is_below_one_unit():
    u = np.arange(0, 17 * 256)
    err = im.exp2_neg(u) - 2**15 * 2.0 ** (-u / 256)
    assert err.max() <= 0.5 and err.min() > -1.0
    assert im.exp2_neg(2**40) == 0 and im.exp2_neg(16 * 256) == 0


@given(st.integers(0, 2**62 - 1))
def test_isqrt_is_math_isqrt(n):
    assert im.isqrt(n, bits=62) == math.isqrt(n)
    root, rem = im.isqrt_steps(n, bits=62)
    assert rem == n - root * root


def test_isqrt_vectorised_and_edges():
    n = np.array([0, 1, 2, 3, 4, 15, 16, 17, 2**62 - 1, 2**63 - 1], dtype=np.int64)
    assert im.isqrt(n).tolist() == [math.isqrt(int(v)) for v in n]
    trace = []
    im.isqrt_steps(200, bits=8, trace=trace)
    assert len(trace) == 4 and int(trace[-1][2]) == 14


def test_isqrt_rejects_bad_input():
    with pytest.raises(RangeError, match="n >= 0"):
        im.isqrt(-1)
    with pytest.raises(RangeError, match="raise `bits`"):
        im.isqrt(256, bits=8)
    with pytest.raises(RangeError, match="even"):
        im.isqrt(4, bits=7)


def test_round_shift_rounds_half_up():
    assert [im.round_shift(v, 1) for v in (5, -5, 4, -3)] == [3, -2, 2, -1]
    assert im.round_shift(7, 0) == 7


# --- requantize, add, relu -------------------------------------------------------------------

@given(hnp.arrays(np.int64, shapes, elements=int32), st.integers(0, 2**16 - 1),
       st.integers(0, 47))
def test_requantize_per_tensor_is_numerics(acc, m, s):
    assert np.array_equal(V.requantize(acc, m, s), nx.requantize(acc, m, s))


@given(st.data())
def test_requantize_per_channel_is_per_column(data):
    acc = data.draw(hnp.arrays(np.int64, (5, 4), elements=int32))
    m = np.array(data.draw(st.lists(st.integers(0, 2**16 - 1), min_size=4, max_size=4)))
    s = np.array(data.draw(st.lists(st.integers(0, 47), min_size=4, max_size=4)))
    got = V.requantize(acc, m, s)
    for j in range(4):
        assert np.array_equal(got[:, j], nx.requantize(acc[:, j], int(m[j]), int(s[j])))


def test_requantize_bad_input():
    with pytest.raises(ShapeError, match="per channel"):
        V.requantize(np.zeros((2, 3), dtype=np.int32), np.ones(4, dtype=np.int64), 3)
    with pytest.raises(RangeError, match="does not fit in 32"):
        V.requantize(np.array([2**31]), 1, 0)
    with pytest.raises(ShapeError, match="must hold integers"):
        V.requantize(np.zeros(3), 1, 0)
    with pytest.raises(ShapeError, match="at least one axis"):
        V.requantize(np.int32(5), 1, 0)
    with pytest.raises(ConfigError, match="multiplier"):
        V.requantize(np.zeros(3, dtype=np.int32), 2**16, 0)


@given(st.data())
def test_add_is_two_requantizes_then_saturate(data):
    x = data.draw(hnp.arrays(np.int64, (3, 5), elements=int32))
    y = data.draw(hnp.arrays(np.int64, (3, 5), elements=int32))
    mx, my = data.draw(st.integers(0, 2**15)), data.draw(st.integers(0, 2**15))
    sx, sy = data.draw(st.integers(16, 40)), data.draw(st.integers(16, 40))
    want = [[max(-128, min(127, ((a * mx + (1 << (sx - 1))) >> sx)
                          + ((b * my + (1 << (sy - 1))) >> sy))) for a, b in zip(ra, rb)]
            for ra, rb in zip(x.tolist(), y.tolist())]
    assert V.add(x, y, mx, sx, my, sy).tolist() == want


def test_add_error_against_float_is_within_one_step():
    x, y = rng.integers(-20000, 20000, (2, 4000))
    (mx, sx), (my, sy) = nx.quantize_multiplier(0.0031), nx.quantize_multiplier(0.0047)
    got = V.add(x, y, mx, sx, my, sy)
    exact = x * 0.0031 + y * 0.0047
    inside = np.abs(exact) < 127
    err = np.abs(got - exact)[inside]
    assert err.max() <= 1.0 and err.mean() < 0.4
    with pytest.raises(ShapeError, match="one shape"):
        V.add(x[:3], y[:4], mx, sx, my, sy)


@given(hnp.arrays(np.int64, shapes, elements=int32))
def test_relu(x):
    assert np.array_equal(V.relu(x), np.where(x > 0, x, 0))


# --- GELU ------------------------------------------------------------------------------------

@pytest.mark.parametrize("in_scale, out_scale", [(0.05, 0.05), (0.03, 0.02), (0.1, 0.08)])
def test_gelu_within_half_a_step_where_not_saturated(in_scale, out_scale):
    q = np.arange(-128, 128)
    exact = V.gelu_float(q * in_scale) / out_scale
    got = V.gelu(q, in_scale, out_scale)
    inside = (exact > -128.5) & (exact < 127.5)
    assert np.abs(got - exact)[inside].max() <= 0.5 + 1e-9
    assert np.all(got[~inside] == np.where(exact[~inside] > 0, 127, -128))
    assert np.all(np.diff(got[q >= 0]) >= 0)  # monotone for x >= 0


def test_gelu_bad_input():
    with pytest.raises(RangeError, match="does not fit in 8"):
        V.gelu(np.array([200]), 0.05, 0.05)
    with pytest.raises(ConfigError, match="positive finite"):
        V.gelu(np.array([1]), 0.0, 0.05)


# --- softmax ---------------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [0.01, 0.03, 0.1, 0.3, 1.0])
def test_softmax_within_one_output_step_of_float(scale):
    s = rng.integers(-128, 128, (3000, 16))
    p = V.softmax(s, *V.exp_multiplier(scale))
    err = np.abs(p - 128 * V.softmax_float(s, scale))
    assert err.max() <= 1.0 + 1e-9, f"max error {err.max():.3f} steps at scale {scale}"
    assert err.mean() < 0.3
    below = 128 * V.softmax_float(s, scale) < 126.5  # away from the saturation at 127
    assert err[below].max() <= 0.6, f"unsaturated max error {err[below].max():.3f} steps"


@given(int8_rows, st.floats(0.005, 2.0))
def test_softmax_properties(s, scale):
    p = V.softmax(s, *V.exp_multiplier(scale))
    assert p.shape == s.shape and p.min() >= 0 and p.max() <= 127
    assert np.abs(p - 128 * V.softmax_float(s, scale)).max() <= 1.0 + 1e-9
    top = s == s.max(axis=-1, keepdims=True)
    assert np.all(p[top] == np.broadcast_to(p.max(axis=-1, keepdims=True), p.shape)[top])


def test_softmax_extremes():
    m, sh = V.exp_multiplier(0.1)
    assert V.softmax(np.full((2, 8), 7), m, sh).tolist() == [[16] * 8] * 2  # all equal: 1/8
    assert V.softmax(np.array([[-128]]), m, sh).tolist() == [[127]]  # one element: certain
    one_hot = V.softmax(np.array([[127] + [-128] * 15]), m, sh)
    assert one_hot[0, 0] == 127 and np.all(one_hot[0, 1:] == 0)
    big = np.array([[nx.INT32_MAX, nx.INT32_MIN, 0]])  # int32 scores, difference above int32
    assert V.softmax(big, m, sh).tolist() == [[127, 0, 0]]


def test_softmax_bad_input():
    m, sh = V.exp_multiplier(0.1)
    with pytest.raises(ShapeError, match="zero-length"):
        V.softmax(np.zeros((3, 0), dtype=np.int8), m, sh)
    with pytest.raises(ShapeError, match="must hold integers"):
        V.softmax(np.zeros((3, 4), dtype=np.float32), m, sh)
    with pytest.raises(ShapeError, match="longer than"):
        V.softmax(np.zeros((1, 5000), dtype=np.int8), m, sh)
    with pytest.raises(ConfigError, match="positive finite"):
        V.exp_multiplier(-1.0)


# --- LayerNorm -------------------------------------------------------------------------------

@pytest.mark.parametrize("d", [32, 24, 7, 64])
def test_layernorm_error_against_float(d):
    x = np.clip(np.round(rng.normal(0, 30, (4000, d))), -128, 127).astype(np.int64)
    x += rng.integers(-40, 40, (4000, 1))  # rows with a mean far from zero
    x = np.clip(x, -128, 127)
    exact = 32 * V.layernorm_float(x)
    got = V.layernorm(x)
    inside = np.abs(exact) < 127
    err = np.abs(got - exact)[inside]
    assert err.mean() <= 0.3, f"mean error {err.mean():.3f} steps (NOTES measured 0.27)"
    assert err.max() <= 0.6


def test_layernorm_gamma_beta():
    x = rng.integers(-128, 128, (500, 16))
    gamma, beta = rng.integers(-128, 128, 16), rng.integers(-20, 20, 16)
    exact = V.layernorm_float(x, gamma / 64, beta / 32) * 32
    got = V.layernorm(x, gamma, beta)
    inside = np.abs(exact) < 127
    assert np.abs(got - exact)[inside].max() <= 1.0
    assert np.array_equal(V.layernorm(x, np.full(16, 64), np.zeros(16, int)), V.layernorm(x))


@given(int8_rows)
@settings(max_examples=200)
def test_layernorm_properties(x):
    got = V.layernorm(x)
    assert got.shape == x.shape and got.min() >= -128 and got.max() <= 127
    exact = 32 * V.layernorm_float(x)
    inside = np.abs(exact) < 127
    assert np.abs(got - exact)[inside].max(initial=0) <= 0.6
    assert np.array_equal(V.layernorm(x + 0 * x), got)  # deterministic


def test_layernorm_extremes():
    assert V.layernorm(np.full((2, 32), -128)).tolist() == [[0] * 32] * 2  # constant row
    assert V.layernorm(np.array([[5]])).tolist() == [[0]]  # one element
    row = np.array([[-128, 127] * 16])
    assert V.layernorm(row).tolist() == [[-32, 32] * 16]  # +-1 std at scale 1/32


@pytest.mark.parametrize("row", [[-128] * 4095 + [127], [-128, 127] * 2048, [0] * 4095 + [1],
                                 [0, 1]], ids=["one-high", "alternating", "one-up", "pair"])
def test_layernorm_longest_rows_do_not_overflow(row):
    x = np.array([row])
    d = x.shape[-1]
    gamma, beta = np.full(d, -128), np.full(d, 127)
    assert np.abs(V.layernorm(x) - np.clip(32 * V.layernorm_float(x), -128, 127)).max() <= 0.5
    exact = np.clip(32 * V.layernorm_float(x, -2.0, 127 / 32), -128, 127)
    assert np.abs(V.layernorm(x, gamma, beta) - exact).max() <= 0.5
    with pytest.raises(ShapeError, match="longer than"):
        V.layernorm(np.zeros((1, V.MAX_ROW + 1), dtype=np.int8))


def test_layernorm_bad_input():
    with pytest.raises(RangeError, match="does not fit in 8"):
        V.layernorm(np.array([[1000, 2]]))
    with pytest.raises(ShapeError, match="per channel"):
        V.layernorm(np.zeros((2, 4), dtype=np.int8), gamma=np.ones(3, dtype=np.int8))
    with pytest.raises(ConfigError, match="out_frac"):
        V.layernorm(np.zeros((2, 4), dtype=np.int8), out_frac=9)


# --- data movement ---------------------------------------------------------------------------

@given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=12),
                  elements=st.integers(-128, 127)))
def test_transpose(x):
    assert np.array_equal(V.transpose(x), x.T)


def test_strided_move_splits_heads():
    qkv = rng.integers(-128, 128, (16, 32))
    head1 = V.strided_move(qkv, offset=16, shape=(16, 16), strides=(32, 1))
    assert np.array_equal(head1, qkv[:, 16:])
    with pytest.raises(RangeError, match="addresses"):
        V.strided_move(qkv, offset=17, shape=(16, 16), strides=(32, 1))
    with pytest.raises(ShapeError, match="2-D"):
        V.transpose(np.zeros(3, dtype=np.int8))
