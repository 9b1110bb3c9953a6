"""Every arithmetic block converts to Verilog and VHDL; the converted Verilog, re-simulated in
Icarus on the same vectors, equals the numpy twin, and so does the VHDL re-simulated in GHDL;
Verilator's lint accepts the Verilog."""
import numpy as np
import pytest
from blocks import CASES, adder_case, mac_case, multiplier_case

from chipkit.flow.check import compare
from chipkit.flow.convert import lint_verilog
from chipkit.flow.resim import run_iverilog
from chipkit.flow.resim_vhdl import run_ghdl
from chipkit.hdl.adders import kogge_stone_adder, ripple_carry_adder
from chipkit.hdl.multipliers import array_multiplier, baugh_wooley_multiplier

pytestmark = pytest.mark.hdl


def check_verilog(case, vectors, vfile=None):
    got = run_iverilog(case.bench(), vectors, vfile)
    compare(got, case.twin(vectors), vectors, f"{case.name} (Verilog)")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_verilog_equals_twin(case, iverilog, converted):
    check_verilog(case, case.vectors(np.random.default_rng(11), 3000), converted(case))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_verilator_lint_clean(case, verilator, converted):
    lint_verilog(converted(case))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_vhdl_equals_twin(case, ghdl, converted):
    """The converted VHDL, analysed, elaborated and re-simulated by GHDL on the same vectors."""
    vectors = case.vectors(np.random.default_rng(13), 1000)
    got = run_ghdl(case.bench(), vectors, converted(case, "VHDL"))
    compare(got, case.twin(vectors), vectors, f"{case.name} (VHDL)")


@pytest.mark.parametrize("factory", [ripple_carry_adder, kogge_stone_adder])
def test_8bit_adders_exhaustive_in_verilog(factory, iverilog, converted):
    grid = np.meshgrid(np.arange(256), np.arange(256), np.arange(2), indexing="ij")
    case = adder_case(factory, 8)
    check_verilog(case, dict(zip(("a", "b", "cin"), (g.ravel() for g in grid))), converted(case))


@pytest.mark.parametrize("factory", [array_multiplier, baugh_wooley_multiplier])
def test_8x8_multipliers_exhaustive_in_verilog(factory, iverilog, converted):
    r = np.arange(-128, 128) if factory is baugh_wooley_multiplier else np.arange(256)
    a, b = np.meshgrid(r, r, indexing="ij")
    case = multiplier_case(factory, 8, 8)
    check_verilog(case, {"a": a.ravel(), "b": b.ravel()}, converted(case))


@pytest.mark.parametrize("saturating", [False, True])
@pytest.mark.parametrize("sign", [1, -1])
def test_int32_mac_overflows_as_defined_in_verilog(saturating, sign, iverilog, converted):
    """140,000 products of 127 * (+-127) overflow an int32 accumulator; the Verilog wraps or
    saturates exactly where the twin does."""
    n = 140_000
    v = {"a": np.full(n, 127), "b": np.full(n, 127 * sign), "clear": np.zeros(n, dtype=np.int64),
         "enable": np.ones(n, dtype=np.int64), "reset": np.zeros(n, dtype=np.int64)}
    v["reset"][0] = v["clear"][0] = 1
    case = mac_case(saturating)
    want = case.twin(v)["acc"]
    limit = 2**31 - 1 if sign > 0 else -(2**31)
    if saturating:  # the run really reaches the limit and stays there
        assert want[-1] == limit
    else:  # the run really wraps around
        assert np.sign(want[-1]) == -sign
    check_verilog(case, v, converted(case))
