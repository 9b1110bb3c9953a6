"""The MyHDL core's front door (chipkit.backends.core_rtl.run, and lockstep against it): work
sized by what the program does -- a DRAM image costs only the bytes its DMAs reach, and a long
program is refused up front with an estimate, unless asked for -- and progress while it runs."""
import time

import numpy as np
import pytest

from chipkit import isa
from chipkit import lockstep as ls
from chipkit.backends import core_rtl, core_run
from chipkit.config import CoreConfig
from chipkit.errors import ConfigError
from chipkit.models import core_fast

CFG = CoreConfig(lanes=4)
PROGRAM = ("dma.ld mem=sram, row=0, dram=64, rows=4\nsync units=1\n"
           "dma.st mem=sram, row=0, dram=256, rows=4\nsync units=1\nhalt\n")


def test_a_big_dram_image_costs_only_what_the_program_reaches(monkeypatch):
    """A 1 MB image (every byte set) and a program touching 320 bytes: the RTL is built with
    those bytes and loaded with them (it took 77 s when the whole image went through the host
    port, one clock cycle a word); the result is the cycle model's, the rest of the image kept."""
    image = (np.arange(CFG.dram_bytes) % 251 + 1).astype(np.uint8)
    seen = {}
    real = core_rtl.run_myhdl

    def spy(cfg, words, dram=None, **kw):
        seen["dram_bytes"], seen["image"] = cfg.dram_bytes, np.asarray(dram).size
        return real(cfg, words, dram, **kw)

    monkeypatch.setattr(core_rtl, "run_myhdl", spy)
    t0 = time.perf_counter()
    rtl = core_rtl.run(PROGRAM, CFG, image)
    wall = time.perf_counter() - t0
    fast = core_fast.run(PROGRAM, CFG, image)
    assert seen == {"dram_bytes": 272, "image": 272}  # 256 + 4 rows of 4 bytes, to 8
    assert rtl.counters == fast.counters
    np.testing.assert_array_equal(rtl.state.dram, fast.state.dram)
    np.testing.assert_array_equal(rtl.state.mems["sram"], fast.state.mems["sram"])
    assert wall < 20  # ~0.5 s on a laptop


def test_a_long_program_is_refused_with_an_estimate_before_anything_is_built(monkeypatch):
    cycles = core_fast.run(PROGRAM, CFG).cycles
    monkeypatch.setattr(core_rtl, "run_myhdl", None)  # anything built would fail loudly
    with pytest.raises(ConfigError) as info:
        core_rtl.run(PROGRAM, CFG, max_cycles=cycles - 1)
    msg = str(info.value)
    assert f"would simulate {cycles:,} cycles of the 4x4 core" in msg
    assert "--backend verilator" in msg
    assert f"--max-cycles {cycles} (max_cycles={cycles} in Python)" in msg
    with pytest.raises(ConfigError, match="lockstep traces the MyHDL core only"):
        ls.run_lockstep(PROGRAM, CFG, a="rtl", b="fast", max_cycles=cycles - 1)
    with pytest.raises(ConfigError, match=rf"2 x {cycles:,} cycles"):  # two MyHDL runs
        ls.run_lockstep(PROGRAM, CFG, a="rtl", b="rtl", max_cycles=2 * cycles - 1)


def test_the_default_limit_is_about_a_minute():
    for lanes in (2, 4, 8, 16):
        cfg = CoreConfig(lanes=lanes)
        secs = core_rtl.myhdl_seconds(cfg, core_rtl.rtl_cycle_limit(cfg))
        assert secs == pytest.approx(core_rtl.RTL_MAX_SECONDS, rel=0.01)


def test_asked_for_it_runs_and_reports_progress():
    cycles = core_fast.run(PROGRAM, CFG).cycles
    seen = []
    run = core_run.run(PROGRAM, CFG, backend="rtl", max_cycles=cycles,
                       progress=lambda done, total: seen.append((done, total)))
    assert run.cycles == cycles and seen[-1] == (cycles, cycles)
    assert all(t == cycles for _, t in seen) and [d for d, _ in seen] == sorted(
        d for d, _ in seen)
    seen.clear()
    out = ls.run_lockstep(isa.assemble(PROGRAM), CFG, a="rtl", b="fast", max_cycles=cycles,
                          progress=lambda done, total: seen.append((done, total)))
    assert out.divergence is None and seen[-1] == (cycles, cycles)
