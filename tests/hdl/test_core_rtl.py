"""The MyHDL core (chipkit.hdl.core) against the cycle model on random valid programs: the same
final memories and DRAM, the same cycle count and every counter equal."""
import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from models.programs import random_programs  # tests/models/programs.py

from chipkit.backends import core_rtl
from chipkit.models import core_fast

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
    words = core_rtl.program_words(text)
    fast = core_fast.run(words, cfg, dram)
    rtl = core_rtl.run_myhdl(cfg, words, dram, vector=False)
    assert_same(rtl, fast)


@settings(max_examples=12, **RTL)
@given(random_programs(max_actions=10))
def test_rtl_with_vector_unit_equals_fast(case):
    cfg, text, dram = case
    words = core_rtl.program_words(text)
    fast = core_fast.run(words, cfg, dram)
    rtl = core_rtl.run_myhdl(cfg, words, dram)
    assert_same(rtl, fast)
