"""One front door for running a program on the inference core: the golden model, the cycle model,
the MyHDL RTL or its Verilator build, each returning the same CoreRun (memories, DRAM, counters;
cycles where the backend has time)."""
from __future__ import annotations

from chipkit.checks import check_int, show
from chipkit.config import CoreConfig, check_config
from chipkit.errors import ConfigError
from chipkit.models import core_fast, core_golden
from chipkit.models.core_golden import CoreRun

BACKENDS = ("golden", "fast", "rtl", "verilator")


def check_backend(backend) -> str:
    """`backend` if the core runs on it; a ConfigError listing BACKENDS otherwise."""
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ConfigError(f"the core runs on {', '.join(BACKENDS)}, not {show(backend)} "
                          "(argument backend, --backend)")
    return backend


def run(program, cfg: CoreConfig, dram=None, backend: str = "fast", progress=None,
        max_cycles=None) -> CoreRun:
    """Run `program` (assembly text or instruction words) on `backend` with DRAM starting as
    `dram` (bytes).

    progress   -- rtl only: called as progress(cycles_done, cycles_total) while it simulates
    max_cycles -- rtl only: the longest program (the cycle model's count) to simulate in MyHDL;
                  None: about a minute's worth (chipkit.backends.core_rtl.rtl_cycle_limit); a
                  longer one is refused with an estimate before anything is built"""
    check_backend(backend)
    check_config(cfg, CoreConfig)
    if progress is not None and not callable(progress):
        raise ConfigError(f"progress must be None or a function progress(done, total), got "
                          f"{show(progress)}")
    if max_cycles is not None:
        check_int(max_cycles, "max_cycles (the most cycles to simulate in MyHDL)", lo=1)
    if backend == "golden":
        return core_golden.run(program, cfg, dram)
    if backend == "fast":
        return core_fast.run(program, cfg, dram)
    if backend == "rtl":
        from chipkit.backends import core_rtl  # MyHDL: imported only when asked for

        return core_rtl.run(program, cfg, dram, progress=progress, max_cycles=max_cycles)
    from chipkit.backends import core_verilator

    return core_verilator.run(program, cfg, dram)
