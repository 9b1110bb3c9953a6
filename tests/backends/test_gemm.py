"""The GEMM front door (chipkit.backends.array_gemm): golden, fast and the MyHDL RTL agree on
values and
cycles for random shapes, int8 extremes, both dataflows and thin arrays; its errors and limits."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipkit.backends import array_gemm as front
from chipkit.backends.array_gemm import BACKENDS, GemmResult, gemm
from chipkit.config import ArrayConfig
from chipkit.errors import ConfigError, RangeError, ShapeError
from chipkit.models import array_cycles

dataflows = st.sampled_from(["ws", "os"])


@st.composite
def operands(draw, most=10):
    """Random int8 A (M x K) and B (K x N), sometimes all at one extreme of int8."""
    m, n, k = (draw(st.integers(1, most)) for _ in range(3))
    fill = draw(st.sampled_from([None, None, -128, 127]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if fill is None:
        return rng.integers(-128, 128, (m, k), np.int8), rng.integers(-128, 128, (k, n), np.int8)
    return np.full((m, k), fill, np.int8), np.full((k, n), draw(st.sampled_from([-128, 127])))


def check(r: GemmResult, a, b, cfg, backend):
    m, k, n = a.shape[0], a.shape[1], b.shape[1]
    assert np.array_equal(r.product, a.astype(np.int64) @ b.astype(np.int64))
    assert r.match_golden is True
    assert r.cycles == array_cycles.gemm_cycles(m, n, k, cfg)
    assert r.macs == m * n * k
    assert r.folds == array_cycles.folds(m, n, k, cfg)
    assert r.scalesim_cycles == array_cycles.scalesim_cycles(m, n, k, cfg)
    assert r.utilization == pytest.approx(m * n * k / (cfg.pes * r.cycles))
    assert (r.backend, r.dataflow, r.array) == (backend, cfg.dataflow, cfg.name)


@given(operands(most=20), st.integers(1, 8), st.integers(1, 8), dataflows)
def test_golden_and_fast(ab, rows, cols, dataflow):
    a, b = ab
    cfg = ArrayConfig(rows, cols, dataflow)
    g, f = gemm(a, b, cfg, "golden"), gemm(a, b, cfg, "fast")
    check(g, a, b, cfg, "golden")
    check(f, a, b, cfg, "fast")
    assert g.run is None and f.run is not None


@settings(max_examples=25)
@given(operands(), st.integers(1, 4), st.integers(1, 4), dataflows)
def test_rtl_equals_fast_values_and_cycles(ab, rows, cols, dataflow):
    a, b = ab
    cfg = ArrayConfig(rows, cols, dataflow)
    r, f = gemm(a, b, cfg, "rtl"), gemm(a, b, cfg, "fast")
    check(r, a, b, cfg, "rtl")
    assert np.array_equal(r.run.c_out, f.run.c_out)
    assert np.array_equal(r.run.c_valid, f.run.c_valid)


@pytest.mark.parametrize("rows, cols", [(1, 1), (2, 3), (3, 2), (4, 4)])
@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_rtl_on_thin_arrays_with_extremes(rows, cols, dataflow):
    """-128 * -128 summed over K, the largest sums int8 makes, on shapes with partial tiles."""
    a, b = np.full((5, 7), -128, np.int8), np.full((7, 6), -128, np.int8)
    a[0, 0], b[-1, -1] = 127, 127
    cfg = ArrayConfig(rows, cols, dataflow)
    check(gemm(a, b, cfg, "rtl"), a, b, cfg, "rtl")


def test_rtl_records_the_same_registers_and_reports_progress():
    rng = np.random.default_rng(3)
    a, b = rng.integers(-128, 128, (5, 6)), rng.integers(-128, 128, (6, 3))
    cfg = ArrayConfig(2, 3, "ws")
    seen = []
    r = gemm(a, b, cfg, "rtl", record=True, progress=lambda done, total: seen.append((done, total)))
    f = gemm(a, b, cfg, "fast", record=True)
    assert set(r.run.states) == set(f.run.states)
    for name in f.run.states:
        assert np.array_equal(r.run.states[name], f.run.states[name]), name
    assert seen[-1] == (r.cycles, r.cycles) and len(seen) == r.cycles


def test_to_json_is_plain_json():
    r = gemm(np.ones((3, 4), np.int8), np.ones((4, 5), np.int8), ArrayConfig(2, 2, "os"))
    d = json.loads(json.dumps(r.to_json()))
    assert {"cycles", "macs", "utilization", "match_golden", "backend", "dataflow", "array", "m",
            "n", "k", "folds", "scalesim_cycles", "seconds"} <= set(d)
    assert (d["m"], d["n"], d["k"], d["macs"], d["array"]) == (3, 5, 4, 60, "2x2")
    assert d["cycles"] == r.cycles and type(d["cycles"]) is int and d["match_golden"] is True


def test_unknown_backend_lists_the_choices():
    with pytest.raises(ConfigError, match="unknown backend 'verilog'; choose one of golden, fast, "
                                          "rtl"):
        gemm(np.ones((2, 2), int), np.ones((2, 2), int), ArrayConfig(), backend="verilog")
    assert BACKENDS == ("golden", "fast", "rtl")


@pytest.mark.parametrize("kwargs, match", [
    ({"cfg": "4x4"}, "cfg must be an ArrayConfig"),
    ({"backend": "golden", "record": True}, "nothing to record"),
])
def test_bad_arguments(kwargs, match):
    args = {"a": np.ones((2, 2), int), "b": np.ones((2, 2), int), "cfg": ArrayConfig()} | kwargs
    with pytest.raises(ConfigError, match=match):
        gemm(**args)


@pytest.mark.parametrize("a, b, error, match", [
    (np.ones((2, 3), int), np.ones((4, 2), int), ShapeError, "A's columns must equal B's rows"),
    (np.full((2, 3), -129), np.ones((3, 2), int), RangeError, "A holds values outside int8"),
    (np.ones((2, 3), int), np.full((3, 2), 128), RangeError, "B holds values outside int8"),
    (np.ones((2, 3), np.float32), np.ones((3, 2), int), ShapeError, "integers"),
    (np.ones((2, 3, 1), int), np.ones((3, 2), int), ShapeError, "2-D"),
    (np.ones((0, 3), int), np.ones((3, 2), int), ShapeError, "at least one row"),
])
@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_operands(a, b, error, match, backend):
    with pytest.raises(error, match=match):
        gemm(a, b, ArrayConfig(2, 2), backend)


def test_rtl_refuses_a_long_simulation_and_points_to_fast(monkeypatch):
    a, b = np.ones((64, 64), np.int8), np.ones((64, 64), np.int8)
    cfg = ArrayConfig(8, 8)
    # allowed ...
    assert array_cycles.gemm_cycles(64, 64, 64, cfg) * cfg.pes <= front.RTL_MAX_PE_CYCLES
    monkeypatch.setattr(front, "RTL_MAX_PE_CYCLES", array_cycles.gemm_cycles(64, 64, 64, cfg) * 63)
    with pytest.raises(ConfigError, match="5,504 cycles of the 8x8 array .* use --backend fast"):
        gemm(a, b, cfg, "rtl")  # ... until the budget is one cycle short


def test_big_gemms_are_refused_before_anything_runs():
    with pytest.raises(ConfigError, match="MACs"):
        front.check_size(1024, 1024, 1024)
    with pytest.raises(ConfigError, match="numbers in A, B and C"):
        front.check_size(2**25, 1, 1)
    front.check_size(64, 64, 64)
    with pytest.raises(ConfigError, match="in memory.*--backend golden"):
        front.check_budget(600, 600, 600, ArrayConfig(1, 1), "fast")
    with pytest.raises(ConfigError, match="recording every register.*record=False"):
        front.check_budget(256, 256, 256, ArrayConfig(8, 8), "fast", record=True)
    front.check_budget(256, 256, 256, ArrayConfig(8, 8), "fast")
