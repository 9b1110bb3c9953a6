"""The MyHDL systolic array equals the fast model register for register after every clock edge
(and numpy's product); its converted Verilog, re-simulated in Icarus, gives the same outputs."""
import warnings

import numpy as np
import pytest
from blocks import check_array_run
from hypothesis import given, settings
from hypothesis import strategies as st
from myhdl import ResetSignal, Signal, intbv

from chipkit.backends import array_rtl
from chipkit.config import ArrayConfig
from chipkit.errors import ChipkitError
from chipkit.flow.convert import convert, lint_verilog
from chipkit.flow.resim import run_iverilog
from chipkit.flow.resim_vhdl import run_ghdl
from chipkit.hdl.array import array_bench, os_array, ws_array
from chipkit.models import array_fast, array_golden
from chipkit.models.array_schedule import build

SHAPES = [(1, 1), (2, 3), (3, 2), (4, 4)]


def operands(rng, m, k, n, extreme=0.3):
    """Random int8 A (m x k) and B (k x n), a share of the entries -128 or 127."""
    def one(shape):
        x = rng.integers(-128, 128, shape)
        mask = rng.random(shape) < extreme
        x[mask] = rng.choice([-128, 127], mask.sum())
        return x
    return one((m, k)), one((k, n))


def check_equal_runs(a, b, cfg):
    """RTL and fast model: same product (numpy's), outputs and every register at every step."""
    s = build(a, b, cfg)
    got, want = array_rtl.run(s, record=True), array_fast.run(s, record=True)
    label = f"{cfg.name} {cfg.dataflow}, A {a.shape}, B {b.shape}"
    assert got.cycles == want.cycles == s.folds * s.steps
    for name in ("c_out", "c_valid"):
        bad = np.argwhere(getattr(got, name) != getattr(want, name))
        assert bad.size == 0, f"{label}: {name} differs first at (fold, step) {bad[0][:2]}"
    assert set(got.states) == set(want.states) == set(array_fast.STATE[cfg.dataflow])
    for name, w in want.states.items():
        g = got.states[name]
        assert g.shape == w.shape, f"{label}: register {name} shape {g.shape}, fast {w.shape}"
        bad = np.argwhere(g != w)
        assert bad.size == 0, (f"{label}: register {name} differs first at (fold, step, index) "
                               f"{tuple(bad[0])}: RTL {g[tuple(bad[0])]}, fast {w[tuple(bad[0])]}")
    np.testing.assert_array_equal(got.product, want.product)
    np.testing.assert_array_equal(got.product, array_golden.gemm(a, b))


@settings(max_examples=30)
@given(shape=st.sampled_from(SHAPES), dataflow=st.sampled_from(["ws", "os"]),
       mkn=st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9)),
       extreme=st.sampled_from([0.0, 0.3, 1.0]), seed=st.integers(0, 2**32 - 1))
def test_rtl_equals_fast_model_register_for_register(shape, dataflow, mkn, extreme, seed):
    a, b = operands(np.random.default_rng(seed), *mkn, extreme)
    check_equal_runs(a, b, ArrayConfig(*shape, dataflow))


@pytest.mark.parametrize("dataflow", ["ws", "os"])
@pytest.mark.parametrize("shape,mkn", [((4, 8), (5, 11, 13)), ((4, 8), (8, 4, 8)),
                                       ((2, 3), (7, 5, 4)), ((3, 2), (1, 1, 1)),
                                       ((1, 1), (2, 3, 2))])
def test_explicit_shapes_including_ones_that_do_not_tile(dataflow, shape, mkn):
    a, b = operands(np.random.default_rng(sum(mkn)), *mkn)
    check_equal_runs(a, b, ArrayConfig(*shape, dataflow))


@pytest.mark.parametrize("dataflow", ["ws", "os"])
@pytest.mark.parametrize("va,vb", [(-128, -128), (127, -128), (127, 127)])
def test_extreme_operands_everywhere(dataflow, va, vb):
    """The largest products (+16384, -16256, +16129) in every PE, summed over several folds."""
    a, b = np.full((6, 9), va), np.full((9, 5), vb)
    check_equal_runs(a, b, ArrayConfig(3, 4, dataflow))


def test_weights_carry_over_between_folds():
    """WS fold f starts with fold f-1's weights in the PEs: the RTL never resets between folds."""
    a, b = operands(np.random.default_rng(1), 3, 4, 4)
    s = build(a, b, ArrayConfig(2, 2, "ws"))
    run = array_rtl.run(s, record=True)
    assert s.folds == 4
    for f in range(1, s.folds):  # right before fold f loads, the PEs hold fold f-1's tile
        np.testing.assert_array_equal(run.states["w"][f - 1, -1], s.w_before[f])
        assert s.w_before[f].any()


def ports(factory):
    """Signals for every port of a 2 x 2 array."""
    bus, bit = (lambda w: Signal(intbv(0)[w:])), (lambda: Signal(bool(0)))
    sigs = {"clock": bit(), "reset": ResetSignal(0, active=1, isasync=False)}
    if factory is ws_array:
        sigs.update(w_in=bus(16), w_load=bit(), a_in=bus(16), a_valid=bit())
    else:
        sigs.update(a_in=bus(16), b_in=bus(16), drain=bit())
    return sigs | {"c_out": bus(64), "c_valid": bit()}


@pytest.mark.parametrize("factory", [ws_array, os_array])
@pytest.mark.parametrize("rows,cols,bad", [(0, 2, "rows 0"), (-3, 2, "rows -3"),
                                           (2, -1, "cols -1"), (2, 2.0, "cols 2.0")])
def test_array_sizes_must_be_positive_integers(factory, rows, cols, bad):
    name, value = bad.split()
    with pytest.raises(ChipkitError, match=f"array {name} must be a positive integer, got "
                                           f"{value}; use 1 or more"):
        factory(**ports(factory), rows=rows, cols=cols)


def test_bus_widths_must_match_the_array():
    with pytest.raises(ChipkitError, match=r"a_in is 16 bits wide; an array with 3 lanes there "
                                           r"needs 24 \(8 bits per lane\)"):
        os_array(**ports(os_array), rows=3, cols=2)
    with pytest.raises(ChipkitError, match=r"c_out is 32 bits wide; an array with 2 lanes there "
                                           r"needs 64 \(32 bits per lane\)"):
        ws_array(**(ports(ws_array) | {"c_out": Signal(intbv(0)[32:])}), rows=2, cols=2)


# --- conversion: Verilog re-simulated in Icarus, VHDL in GHDL, Verilator lint -----------------

CONVERTED = [(1, 1), (2, 2), (3, 5), (8, 8)]  # 1 x 1: a single lane needs no ConcatSignal


@pytest.fixture(scope="session")
def converted_array(tmp_path_factory):
    cache = {}

    def get(cfg, hdl):
        key = (cfg, hdl)
        if key not in cache:
            with warnings.catch_warnings():
                # the right column's a and the bottom row's b (OS) registers feed no PE: unread
                # by design (the fast model has them too); synthesis would remove them
                warnings.filterwarnings("ignore", message="Signal is driven but not read")
                cache[key] = convert(array_bench(cfg), tmp_path_factory.mktemp("array"), hdl)
        return cache[key]

    return get


def check_converted(cfg, simulate, hdlfile):
    r, c = cfg.rows, cfg.cols
    a, b = operands(np.random.default_rng(r * 10 + c), 2 * r + 1, 2 * r + 3, 2 * c - 1)
    check_array_run(cfg, lambda bench, vec: simulate(bench, vec, hdlfile), a, b)


@pytest.mark.hdl
@pytest.mark.parametrize("dataflow", ["ws", "os"])
@pytest.mark.parametrize("shape", CONVERTED, ids=lambda s: f"{s[0]}x{s[1]}")
def test_converted_verilog_equals_fast_model(shape, dataflow, iverilog, converted_array):
    cfg = ArrayConfig(*shape, dataflow)
    check_converted(cfg, run_iverilog, converted_array(cfg, "Verilog"))


@pytest.mark.hdl
@pytest.mark.parametrize("dataflow", ["ws", "os"])
@pytest.mark.parametrize("shape", CONVERTED, ids=lambda s: f"{s[0]}x{s[1]}")
def test_converted_vhdl_equals_fast_model(shape, dataflow, ghdl, converted_array):
    cfg = ArrayConfig(*shape, dataflow)
    check_converted(cfg, run_ghdl, converted_array(cfg, "VHDL"))


@pytest.mark.hdl
@pytest.mark.parametrize("dataflow", ["ws", "os"])
@pytest.mark.parametrize("shape", CONVERTED, ids=lambda s: f"{s[0]}x{s[1]}")
def test_converted_verilog_is_lint_clean(shape, dataflow, verilator, converted_array):
    lint_verilog(converted_array(ArrayConfig(*shape, dataflow), "Verilog"))

