"""The fast cycle-exact model (chipkit.models.array_fast) against the golden GEMM: random shapes
that do
and do not fill the array, int8 extremes, both dataflows, square and thin arrays; its registers."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipkit.config import ArrayConfig
from chipkit.errors import RangeError, ShapeError
from chipkit.models import array_fast, array_golden
from chipkit.models.array_fast import STATE
from chipkit.models.array_schedule import build

dims = st.integers(1, 17)
arrays = st.builds(ArrayConfig, st.integers(1, 8), st.integers(1, 8), st.sampled_from(["ws", "os"]))


@st.composite
def gemms(draw, low=-128, high=127):
    m, n, k = draw(dims), draw(dims), draw(dims)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.integers(low, high + 1, (m, k)), rng.integers(low, high + 1, (k, n))


@given(gemms(), arrays)
def test_fast_equals_golden(ab, cfg):
    a, b = ab
    run = array_fast.gemm(a, b, cfg)
    assert run.product.shape == (a.shape[0], b.shape[1])
    assert np.array_equal(run.product, array_golden.gemm(a, b))
    assert np.array_equal(run.product, a.astype(np.int64) @ b.astype(np.int64))


@pytest.mark.parametrize("cfg", [ArrayConfig(r, c, d) for r, c in ((1, 1), (2, 3), (4, 4), (4, 8),
                                                                    (8, 2)) for d in ("ws", "os")],
                         ids=lambda c: f"{c.name}-{c.dataflow}")
@pytest.mark.parametrize("x, y", [(-128, -128), (-128, 127), (127, 127), (127, -128)])
def test_extremes(cfg, x, y):
    """The largest products int8 makes (-128 * -128 = 16384, summed K times) come out exact."""
    m, n, k = 7, 9, 13
    a, b = np.full((m, k), x, np.int8), np.full((k, n), y, np.int8)
    run = array_fast.gemm(a, b, cfg)
    assert (run.product == k * x * y).all()


@given(gemms(), arrays)
def test_the_operands_reach_the_pes_the_schedule_says(ab, cfg):
    """With no zero operands, a PE multiplies two nonzero numbers exactly when Schedule.active
    says so (what the dataflow animation highlights), and that happens M * N * K times."""
    a, b = ab
    a, b = np.where(a == 0, 1, a), np.where(b == 0, -1, b)
    run = array_fast.gemm(a, b, cfg, record=True)
    st_ = run.states
    other = st_["w"] if cfg.dataflow == "ws" else st_["b"]
    used = (st_["a"] != 0) & (other != 0)
    active = run.schedule.active()
    assert used.shape == active.shape
    assert np.array_equal(used, active)
    assert active.sum() == a.size * b.shape[1]


@given(gemms(), st.integers(1, 6), st.integers(1, 6))
def test_ws_weights_hold_the_tile_after_loading(ab, r, c):
    """After R load steps, the PEs hold the fold's R x C tile of B (zero-padded at the edges)."""
    a, b = ab
    cfg = ArrayConfig(r, c, "ws")
    run = array_fast.gemm(a, b, cfg, record=True)
    for f, (k0, n0) in enumerate(run.schedule.origins):
        want = np.zeros((r, c), np.int64)
        tile = b[k0:k0 + r, n0:n0 + c]
        want[:tile.shape[0], :tile.shape[1]] = tile
        assert np.array_equal(run.states["w"][f, r - 1], want)
        assert np.array_equal(run.states["w"][f, -1], want)  # and keep it to the end


@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_recorded_states_have_one_entry_per_step(dataflow):
    cfg = ArrayConfig(3, 2, dataflow)
    run = array_fast.gemm(np.ones((5, 4), np.int8), np.ones((4, 3), np.int8), cfg, record=True)
    f, t = run.schedule.folds, run.schedule.steps
    assert set(run.states) == set(STATE[dataflow])
    for name, v in run.states.items():
        assert v.shape[:2] == (f, t), name
    assert array_fast.gemm(np.ones((5, 4), int), np.ones((4, 3), int), cfg).states is None


def test_folds_run_together_but_independently():
    """Stepping all folds side by side gives each the result it would get alone."""
    rng = np.random.default_rng(7)
    a, b = rng.integers(-128, 128, (6, 10)), rng.integers(-128, 128, (10, 7))
    cfg = ArrayConfig(3, 4, "ws")
    whole = array_fast.gemm(a, b, cfg)
    s = build(a, b, cfg)
    for f in range(s.folds):
        one = array_fast.FastArray(cfg, 1, s.w_before[f:f + 1])
        for step in range(s.steps):
            inp = {k: int(v[step]) for k, v in s.control.items()}
            inp.update({k: v[f:f + 1, step] for k, v in s.data.items()})
            out, valid = one.step(inp)
            assert np.array_equal(out[0], whole.c_out[f, step])
            assert valid[0] == whole.c_valid[f, step]


@pytest.mark.parametrize("a, b, error, match", [
    (np.ones((2, 3), int), np.ones((4, 2), int), ShapeError, "A's columns must equal B's rows"),
    (np.ones((2, 3), int), np.full((3, 2), 128), RangeError, "outside int8"),
    (np.ones((2, 3)), np.ones((3, 2), int), ShapeError, "integers"),
    (np.ones(3, np.int8), np.ones((3, 2), int), ShapeError, "2-D"),
])
def test_bad_operands(a, b, error, match):
    with pytest.raises(error, match=match):
        array_fast.gemm(a, b, ArrayConfig(2, 2))
