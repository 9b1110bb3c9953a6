"""The RTL backend: packing lanes into flat buses, the vectors it drives, progress reports, and
that its driver keeps chipkit.flow.sim.Bench's timing (so the Verilog re-simulation means the
same)."""
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipkit.backends import array_rtl
from chipkit.config import ArrayConfig
from chipkit.errors import ChipkitError
from chipkit.hdl.array import array_bench
from chipkit.models import array_fast, array_golden
from chipkit.models.array_fast import ArrayRun
from chipkit.models.array_schedule import build


def gemm_operands(seed, m, k, n):
    rng = np.random.default_rng(seed)
    return rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n))


@settings(max_examples=50)
@given(bits=st.sampled_from([8, 32]), data=st.data())
def test_pack_unpack_round_trip(bits, data):
    lanes = data.draw(st.integers(1, 9))  # up to 288 bits: wider than int64
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    rows = data.draw(st.lists(st.lists(st.one_of(st.sampled_from([lo, hi, -1, 0]),
                                                 st.integers(lo, hi)),
                                       min_size=lanes, max_size=lanes), min_size=1, max_size=5))
    x = np.array(rows, dtype=np.int64)
    words = array_rtl.pack_lanes(x, bits)
    assert all(0 <= int(w) < 1 << (bits * lanes) for w in words)
    np.testing.assert_array_equal(array_rtl.unpack_lanes(words, lanes, bits), x)


def test_lane_zero_is_in_the_low_bits():
    assert array_rtl.pack_lanes(np.array([1, -1, -128])) == 1 | 0xFF << 8 | 0x80 << 16
    np.testing.assert_array_equal(array_rtl.unpack_lanes([(5 << 32) | 0xFFFFFFFF], 2), [[-1, 5]])


@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_vectors_lay_the_folds_end_to_end_after_a_reset_step(dataflow):
    a, b = gemm_operands(0, 5, 7, 3)
    s = build(a, b, ArrayConfig(2, 2, dataflow))
    vec = array_rtl.vectors(s)
    n = s.folds * s.steps
    assert {k: len(v) for k, v in vec.items()} == {k: n + 1 for k in vec}
    assert vec["reset"][0] == 1 and not vec["reset"][1:].any()
    for k, v in s.control.items():
        assert vec[k][0] == 0
        per_fold = vec[k][1:].reshape(s.folds, s.steps)
        np.testing.assert_array_equal(per_fold, np.tile(v, (s.folds, 1)))
    for k in array_rtl.DATA_PORTS[dataflow]:
        lanes = s.data[k].shape[-1]
        got = array_rtl.unpack_lanes(vec[k][1:], lanes, 8).reshape(s.data[k].shape)
        np.testing.assert_array_equal(got, s.data[k])
    assert set(vec) == set(array_bench(s.cfg).input_ports())


@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_run_keeps_the_bench_timing(dataflow):
    """array_rtl.run reads c_out where Bench.run_myhdl (and the Verilog testbench) samples it."""
    a, b = gemm_operands(1, 4, 5, 3)
    s = build(a, b, ArrayConfig(2, 3, dataflow))
    run = array_rtl.run(s)
    out = array_bench(s.cfg).run_myhdl(array_rtl.vectors(s, reset_step=False))
    np.testing.assert_array_equal(array_rtl.unpack_lanes(out["c_out"], 3).reshape(run.c_out.shape),
                                  run.c_out)
    np.testing.assert_array_equal(out["c_valid"].reshape(run.c_valid.shape), run.c_valid)


def test_run_returns_an_array_run_and_reports_progress():
    a, b = gemm_operands(2, 6, 5, 4)
    s = build(a, b, ArrayConfig(2, 2, "ws"))
    calls = []
    run = array_rtl.run(s, progress=lambda step, total: calls.append((step, total)))
    assert isinstance(run, ArrayRun) and run.states is None and run.schedule is s
    assert calls == [(i, s.cycles) for i in range(1, s.cycles + 1)]
    np.testing.assert_array_equal(run.product, array_golden.gemm(a, b))
    np.testing.assert_array_equal(run.c_out, array_fast.run(s).c_out)


def test_a_second_run_starts_from_reset_state():
    """Each run elaborates a fresh array: nothing of the previous GEMM leaks into the next."""
    cfg = ArrayConfig(3, 2, "os")
    first = array_rtl.run(build(*gemm_operands(3, 4, 4, 4), cfg))
    a, b = gemm_operands(4, 2, 3, 2)
    second = array_rtl.run(build(a, b, cfg), record=True)
    assert first.product.shape == (4, 4)
    np.testing.assert_array_equal(second.product, array_golden.gemm(a, b))
    want = array_fast.run(build(a, b, cfg), record=True).states
    for k, v in want.items():
        np.testing.assert_array_equal(second.states[k], v)


def test_a_schedule_must_start_from_reset_weights():
    """A schedule cut to start at a later WS fold expects weights the RTL never loaded."""
    s = build(*gemm_operands(5, 3, 4, 2), ArrayConfig(2, 2, "ws"))
    later = replace(s, data={k: v[1:] for k, v in s.data.items()}, tiles=s.tiles[1:],
                    origins=s.origins[1:], w_before=s.w_before[1:])
    with pytest.raises(ChipkitError, match=r"first fold expects weights already loaded"):
        array_rtl.run(later)
