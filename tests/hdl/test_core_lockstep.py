"""Lockstep between the MyHDL core and the cycle model: they agree on random programs, and a bug
injected into the RTL (a wrong lane out of the array, a shorter DMA queue) is reported at the
cycle, instruction and memory location it first shows."""
import numpy as np
import pytest
from hypothesis import given, settings
from models.programs import random_programs  # tests/models/programs.py
from test_core_rtl import RTL  # noqa: I001

from chipkit import isa, lockstep
from chipkit.config import CoreConfig
from chipkit.errors import ConfigError
from chipkit.hdl import core as core_hdl
from chipkit.hdl import faults
from chipkit.models import core_fast

CFG = CoreConfig(lanes=4, sram_rows=64, acc_rows=32, param_rows=4, scale_rows=4,
                 dram_bytes=2048, dma_bytes_per_cycle=4, dram_latency=5)
GEMM = """
dma.ld mem=sram, row=0, dram=0, rows=8
dma.ld mem=sram, row=8, dram=64, rows=8
sync units=1
lw row=8, buf=0
lw row=12, buf=1
mm a=0, rows=8, acc=0, buf=0
mm a=0, rows=8, acc=8, buf=1
sync units=15
dma.st mem=acc, row=0, dram=512, rows=16
halt
"""


def _dram():
    return np.random.default_rng(7).integers(0, 256, 256).astype(np.uint8)


@settings(max_examples=6, **RTL)
@given(random_programs(max_actions=10))
def test_rtl_and_fast_run_in_lockstep(case):
    cfg, text, dram = case
    run = lockstep.run_lockstep(text, cfg, dram, a="rtl", b="fast")
    assert run.divergence is None, str(run.divergence)


@pytest.mark.parametrize("lane, by", [(0, 1), (3, -2)])
def test_lockstep_finds_a_wrong_lane_in_the_array(lane, by):
    real = core_hdl.core_array
    with faults.inject("wrong_lane", lane=lane, by=by):
        run = lockstep.run_lockstep(GEMM, CFG, _dram(), a="fast", b="rtl")
    assert core_hdl.core_array is real  # put back when the with ends
    d = run.divergence
    fast = core_fast.run(GEMM, CFG, _dram())
    first_mm = next(j for j in fast.timeline if j.instr.op.mnemonic == "mm")
    assert (d.kind, d.pc, d.memory, d.row, d.lane) == ("write", first_mm.pc, "acc", 0, lane)
    assert d.cycle == first_mm.done  # the first mm's results are wrong when it finishes
    assert d.b_value == (d.a_value + by + 2**31) % 2**32 - 2**31  # wrapped within the lane
    assert f"ACC row 0, lane {lane}" in str(d)


def test_lockstep_finds_a_shorter_dma_queue():
    text = "".join(f"dma.ld mem=sram, row={4 * i}, dram={16 * i}, rows=4\n" for i in range(5))
    text += "sync units=1\nhalt\n"
    with faults.short_dma_queue(depth=3):
        run = lockstep.run_lockstep(text, CFG, _dram(), a="fast", b="rtl")
    d = run.divergence
    assert (d.kind, d.pc) == ("issue", 3)  # the fourth load waits on the RTL's full queue
    assert d.cycle == 3 and d.a_value == 3 and d.b_value > 3
    assert d.stalls == {"dma_queue_full": (0, d.b_value - 3)}
    assert d.instr == isa.disassemble([isa.assemble(text)[3]]).strip()


def test_a_fault_is_undone_even_after_an_error():
    real_array, real_depth = core_hdl.core_array, core_hdl.DMA_QUEUE
    with pytest.raises(RuntimeError), faults.inject("wrong_lane", lane=1, by=-3):
        assert core_hdl.core_array is not real_array
        raise RuntimeError("a failing run")
    with pytest.raises(RuntimeError), faults.inject("short_dma_queue", depth=2):
        assert core_hdl.DMA_QUEUE == 2
        raise RuntimeError("a failing run")
    assert (core_hdl.core_array, core_hdl.DMA_QUEUE) == (real_array, real_depth)
    with pytest.raises(ConfigError, match="unknown fault"):
        faults.inject("stuck_at_zero")
