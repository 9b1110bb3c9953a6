"""The closed-form cycle counts (chipkit.models.array_cycles) against the fast model that steps the
array,
and against SCALE-Sim 3.0's formulas written out here from its code (../shared/NOTES.md)."""
from math import ceil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipkit.config import ArrayConfig
from chipkit.models import array_cycles, array_fast

dims = st.integers(1, 20)
arrays = st.builds(ArrayConfig, st.integers(1, 8), st.integers(1, 8), st.sampled_from(["ws", "os"]))


def scalesim(m, n, k, r, c, dataflow):
    """SCALE-Sim 3.0's compute cycles, as its code computes them (not as its paper writes them)."""
    if dataflow == "ws":
        return ceil(k / r) * ceil(n / c) * (2 * r + c + m - 2) - 1
    return ceil(m / r) * ceil(n / c) * (r + c + k - 2) - 1


def operands(m, n, k, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n))


@given(dims, dims, dims, arrays, st.integers(0, 2**32 - 1))
def test_fast_model_takes_exactly_the_closed_form(m, n, k, cfg, seed):
    a, b = operands(m, n, k, seed)
    run = array_fast.gemm(a, b, cfg)
    assert run.cycles == array_cycles.gemm_cycles(m, n, k, cfg)
    assert run.schedule.folds == array_cycles.folds(m, n, k, cfg)
    # the count is tight: every fold's last result leaves the array on the fold's last cycle,
    # and every result the monitor needs has come out by then
    assert run.c_valid[:, -1].all()
    per_fold = m if cfg.dataflow == "ws" else cfg.rows  # WS: M rows of sums; OS: R drained rows
    assert (run.c_valid.sum(axis=1) == per_fold).all()
    assert np.array_equal(run.product, a @ b)


@given(dims, dims, dims, arrays)
def test_scalesim_formula_as_in_its_code(m, n, k, cfg):
    assert array_cycles.scalesim_cycles(m, n, k, cfg) == scalesim(m, n, k, cfg.rows, cfg.cols,
                                                            cfg.dataflow)


@given(dims, dims, dims, st.integers(1, 8), st.integers(1, 8))
def test_ws_is_scalesim_plus_one(m, n, k, r, c):
    """Same schedule; SCALE-Sim reports the index of the last cycle, we count cycles."""
    cfg = ArrayConfig(r, c, "ws")
    assert array_cycles.gemm_cycles(m, n, k, cfg) == scalesim(m, n, k, r, c, "ws") + 1


@given(dims, dims, dims, st.integers(1, 8), st.integers(1, 8))
def test_os_is_scalesim_plus_the_drain(m, n, k, r, c):
    """We shift R finished rows out of every fold; SCALE-Sim's code does not count the drain."""
    cfg = ArrayConfig(r, c, "os")
    folds = ceil(m / r) * ceil(n / c)
    assert array_cycles.gemm_cycles(m, n, k, cfg) - scalesim(m, n, k, r, c, "os") == folds * r + 1


@given(dims, dims, dims, arrays)
def test_utilization_is_a_share_of_the_pe_cycles(m, n, k, cfg):
    cyc = array_cycles.gemm_cycles(m, n, k, cfg)
    u = array_cycles.utilization(m, n, k, cfg, cyc)
    assert 0 < u <= 1
    assert u == pytest.approx(m * n * k / (cfg.rows * cfg.cols * cyc))
    assert cyc >= ceil(m * n * k / cfg.pes)  # the physical floor


@given(dims, dims, dims, arrays)
def test_more_work_never_takes_fewer_cycles(m, n, k, cfg):
    base = array_cycles.gemm_cycles(m, n, k, cfg)
    for more in ((m + 1, n, k), (m, n + 1, k), (m, n, k + 1)):
        assert array_cycles.gemm_cycles(*more, cfg) >= base


@pytest.mark.parametrize("dataflow, folds, fold, total, scale, util", [
    ("ws", 64, 86, 5504, 5503, 0.74),  # 64^3 on 8x8, SCALE-Sim's figures in NOTES.md
    ("os", 64, 86, 5504, 4991, 0.82),
])
def test_64_cubed_on_8x8(dataflow, folds, fold, total, scale, util):
    cfg = ArrayConfig(8, 8, dataflow)
    assert array_cycles.folds(64, 64, 64, cfg) == folds
    assert array_cycles.fold_cycles(64, 64, 64, cfg) == fold
    assert array_cycles.gemm_cycles(64, 64, 64, cfg) == total
    assert array_cycles.scalesim_cycles(64, 64, 64, cfg) == scale
    assert array_cycles.utilization(64, 64, 64, cfg, scale) == pytest.approx(util, abs=0.005)


@pytest.mark.parametrize("dataflow, want", [("ws", 4 * (2 * 4 + 3 + 5 - 2)),
                                            ("os", 4 * (2 * 4 + 3 + 7 - 2))])
def test_partial_tiles_count_as_whole_folds(dataflow, want):
    """M=5, N=6, K=7 on 4x3: WS tiles K x N into 2 x 2 folds, OS tiles M x N into 2 x 2."""
    cfg = ArrayConfig(4, 3, dataflow)
    assert array_cycles.folds(5, 6, 7, cfg) == 4
    assert array_cycles.gemm_cycles(5, 6, 7, cfg) == want
