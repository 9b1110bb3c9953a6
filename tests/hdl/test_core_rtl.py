"""The MyHDL core (chipkit.hdl.core) against the cycle model on random valid programs: the same
final memories and DRAM, the same cycle count and every counter equal."""
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from models.programs import random_programs  # tests/models/programs.py

from chipkit import isa
from chipkit.backends import core_rtl
from chipkit.config import CoreConfig
from chipkit.models import core_fast
from chipkit.models.core_golden import ProgramError, pack_rows

#: no shrinking: an RTL example takes a second, and the failing program is printed whole
RTL = dict(deadline=None, suppress_health_check=list(HealthCheck),
           phases=[Phase.explicit, Phase.reuse, Phase.generate])
NO_VECTOR = ("dma.ld", "mm", "lw", "gemm", "dma.st", "dma.burst", "nop", "sync")


def assert_same(rtl, fast):
    assert rtl.counters == fast.counters
    assert rtl.cycles == fast.cycles
    for mem in ("sram", "acc", "param", "scale", "lut"):
        np.testing.assert_array_equal(rtl.state.mems[mem], fast.state.mems[mem], err_msg=mem)
    np.testing.assert_array_equal(rtl.state.dram, fast.state.dram, err_msg="dram")


@settings(max_examples=12, **RTL)
@given(random_programs(max_actions=12, actions=NO_VECTOR))
def test_rtl_equals_fast_on_random_programs(case):
    cfg, text, dram = case
    words = isa.program_words(text)
    fast = core_fast.run(words, cfg, dram)
    rtl = core_rtl.run_myhdl(cfg, words, dram, vector=False)
    assert_same(rtl, fast)


@settings(max_examples=12, **RTL)
@given(random_programs(max_actions=10))
def test_rtl_with_vector_unit_equals_fast(case):
    cfg, text, dram = case
    words = isa.program_words(text)
    fast = core_fast.run(words, cfg, dram)
    rtl = core_rtl.run_myhdl(cfg, words, dram)
    assert_same(rtl, fast)


def test_rtl_equals_fast_on_the_overlaps_the_rule_allows():
    """One of each overlap of a vector op's destination and source that docs/isa.md allows (no
    step reads a row an earlier step wrote), on the MyHDL core: below the source, vtrans in
    place over two blocks, interleaved with the source's chunks, LayerNorm and vadd in place."""
    cfg = CoreConfig(lanes=2, sram_rows=64, acc_rows=32, param_rows=4, scale_rows=4,
                     dram_bytes=4096, dma_bytes_per_cycle=4)
    rng = np.random.default_rng(7)
    dram = np.concatenate([
        pack_rows("sram", rng.integers(-128, 128, (64, 2)), 2).ravel(),
        pack_rows("acc", rng.integers(-3000, 3000, (8, 2)), 2).ravel(),
        pack_rows("param", np.array([[16, 8, 128, 8]]), 2).ravel(),
        pack_rows("lut", rng.integers(-128, 128, (128, 2)), 2).ravel()])
    text = """dma.ld mem=sram, row=0, dram=0, rows=64
        dma.ld mem=acc, row=0, dram=128, rows=8
        dma.ld mem=param, row=0, dram=192, rows=1
        dma.ld mem=lut, row=0, dram=200, rows=128
        sync units=1
        vshape rows=5
        vmove dst=8, src=10
        vshape rows=4
        vtrans dst=20, src=20
        vshape rows=3, chunks=2, cstride=4
        vgelu dst=33, src=30
        vlnorm dst=40, src=40
        vadd dst=50, src=0, src2=50, p=0
        halt
        """
    words = isa.program_words(text)
    assert_same(core_rtl.run_myhdl(cfg, words, dram), core_fast.run(words, cfg, dram))


def _core_ports():
    from myhdl import ResetSignal, Signal

    from chipkit.hdl.core_host import host_signals
    ports = {n: Signal(bool(0)) for n in ("clock", "start", "halted", "host_we")}
    ports.update(zip(("host_mem", "host_addr", "host_wdata", "host_rdata"), host_signals()))
    ports["reset"] = ResetSignal(0, active=1, isasync=False)
    return ports


@pytest.mark.parametrize("lanes", [2, 4])
def test_core_converts_to_verilog_and_vhdl(lanes, tmp_path, verilator, ghdl):
    """The whole core converts; Verilator lints it (only width notes: the wrapping address
    arithmetic, see chipkit.flow.convert.lint_verilog) and GHDL analyses and elaborates the VHDL."""
    from chipkit.flow.convert import analyse_vhdl, fresh_names, lint_verilog
    from chipkit.hdl.core import core

    cfg = CoreConfig(lanes=lanes, sram_rows=64, acc_rows=32, param_rows=4, scale_rows=4,
                     dram_bytes=4096, dma_bytes_per_cycle=4)
    for hdl in ("Verilog", "VHDL"):
        fresh_names()
        p = _core_ports()
        top = core(p["clock"], p["reset"], p["start"], p["halted"], p["host_we"], p["host_mem"],
                   p["host_addr"], p["host_wdata"], p["host_rdata"], cfg, 64)
        top.convert(hdl=hdl, path=str(tmp_path), name="core")
    notes = lint_verilog(tmp_path / "core.v", truncations=True)
    assert all("%Warning-WIDTH" in n for n in notes)
    analyse_vhdl(tmp_path / "core.vhd")


def test_run_builds_only_the_dram_the_program_reaches():
    """A default core has 1 MB of DRAM; the RTL is built with the bytes the program's DMAs can
    reach and its result widened back: equal to the cycle model."""
    cfg = CoreConfig(lanes=4)
    text = ("dma.ld mem=sram, row=0, dram=0, rows=2\nsync units=1\n"
            "dma.st mem=sram, row=0, dram=1000, rows=3, stride=100\nhalt\n")
    with pytest.raises(ProgramError, match="reads SRAM row 2"):
        core_rtl.run(text, cfg)  # the cycle model refuses it first, naming the row
    text = text.replace("rows=3", "rows=2")
    words = isa.program_words(text)
    assert core_rtl.dram_needed(cfg, words) == 1104  # 1000+100+4 -> x8
    dram = np.arange(1, 9, dtype=np.uint8)
    rtl, fast = core_rtl.run(text, cfg, dram), core_fast.run(text, cfg, dram)
    assert rtl.state.dram.size == cfg.dram_bytes
    assert_same(rtl, fast)
