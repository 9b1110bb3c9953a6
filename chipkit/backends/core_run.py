"""One front door for running a program on the inference core: the golden model, the cycle model,
the MyHDL RTL or its Verilator build, each returning the same CoreRun (memories, DRAM, counters;
cycles where the backend has time)."""
from __future__ import annotations

from chipkit.config import CoreConfig
from chipkit.errors import ConfigError
from chipkit.models import core_fast, core_golden
from chipkit.models.core_golden import CoreRun

BACKENDS = ("golden", "fast", "rtl", "verilator")


def run(program, cfg: CoreConfig, dram=None, backend: str = "fast", progress=None) -> CoreRun:
    """Run `program` (assembly text or instruction words) on `backend` with DRAM starting as
    `dram` (bytes). progress -- rtl only: called as progress(cycles_done, cycles_total)."""
    if backend == "golden":
        return core_golden.run(program, cfg, dram)
    if backend == "fast":
        return core_fast.run(program, cfg, dram)
    if backend == "rtl":
        from chipkit.backends import core_rtl  # MyHDL: imported only when asked for

        return core_rtl.run(program, cfg, dram, progress=progress)
    if backend == "verilator":
        from chipkit.backends import core_verilator

        return core_verilator.run(program, cfg, dram)
    raise ConfigError(f"the core runs on {', '.join(BACKENDS)}, not {backend!r}")
