"""The front door for a GEMM on the systolic array: one call, three backends (golden | fast | rtl),
one GemmResult with the product, the cycles, SCALE-Sim's count beside ours, and the golden check.

    from chipkit.backends.array_gemm import gemm
    r = gemm(a, b, ArrayConfig.parse("4x4", "ws"), backend="fast")
    r.product, r.cycles, r.utilization, r.match_golden

golden -- numpy's product, cycles from the closed form (chipkit.models.array_cycles); nothing
simulated
fast   -- the fast cycle-exact model (chipkit.models.array_fast), all folds stepped together
rtl    -- the MyHDL RTL of the array (chipkit.backends.array_rtl), cycle by cycle; slow, so bounded
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from chipkit.checks import check_choice, check_flag, check_int, show
from chipkit.config import ArrayConfig, check_config
from chipkit.errors import ConfigError
from chipkit.models import array_cycles as closed
from chipkit.models import array_fast
from chipkit.models import array_golden as golden_model
from chipkit.models.array_golden import check_gemm_operands
from chipkit.models.array_schedule import build

BACKENDS = ("golden", "fast", "rtl")
BACKEND_NAMES = {
    "golden": "numpy product, closed-form cycles",
    "fast": "fast cycle-exact model",
    "rtl": "MyHDL RTL simulation",
}

#: the golden check multiplies in numpy int64 (about 6 s per billion MACs on a small machine)
MAX_MACS = 2**28
#: numbers in A, B and C together (each held as int64: 8 bytes)
MAX_ELEMENTS = 2**24
#: the fast model holds every fold's inputs and outputs at once: folds x steps x (R + C) numbers
#: (x R x C more per register when recording); beyond this it needs gigabytes
FAST_MAX_ELEMENTS = 40_000_000
#: MyHDL simulates 0.15-0.2 M PE-cycles per second (measured on a laptop-class core; chipkit
#: bench measures yours): the lower figure, for estimates that do not promise too much
MYHDL_PE_CYCLES_PER_S = 150_000
#: the largest RTL run gemm() starts: ~20 s, i.e. 200 k cycles of a 4x4 array, 50 k of an 8x8
RTL_MAX_PE_CYCLES = 3_200_000


@dataclass
class GemmResult:
    """One GEMM C = A @ B on one backend (M x K int8 times K x N int8, int32 results).

    product      -- M x N int64 array of the int32 results
    cycles       -- clock cycles on our array (golden: the closed form; fast, rtl: simulated)
    macs         -- useful multiply-accumulates, M * N * K
    utilization  -- macs / (R * C * cycles)
    scalesim_cycles -- SCALE-Sim 3.0's count for the same GEMM and dataflow (its formula)
    match_golden -- the product equals chipkit.models.array_golden.gemm
    run          -- the ArrayRun of fast or rtl (per-step outputs, recorded registers), else None
    seconds      -- wall-clock time of the backend's work (schedule + simulation, or the product)
    """

    product: np.ndarray
    cycles: int
    macs: int
    utilization: float
    backend: str
    dataflow: str
    array: str
    m: int
    n: int
    k: int
    folds: int
    scalesim_cycles: int
    match_golden: bool
    seconds: float
    run: array_fast.ArrayRun | None = None

    def to_json(self) -> dict:
        """The numbers, as JSON-ready Python types (not the product: save it with numpy)."""
        return {
            "backend": self.backend, "dataflow": self.dataflow, "array": self.array,
            "m": self.m, "n": self.n, "k": self.k, "macs": self.macs, "folds": self.folds,
            "cycles": self.cycles, "scalesim_cycles": self.scalesim_cycles,
            "utilization": self.utilization, "match_golden": self.match_golden,
            "seconds": self.seconds,
        }


def check_size(m: int, n: int, k: int) -> None:
    """Refuse a GEMM too big for any backend (before anyone allocates its operands)."""
    m, n, k = (check_int(v, f"{d} ({what})", lo=1) for v, d, what in (
        (m, "m", "rows of A and C"), (n, "n", "columns of B and C"), (k, "k", "the inner size")))
    macs, elements = m * n * k, m * k + k * n + m * n
    if macs > MAX_MACS:
        raise ConfigError(f"a {m}x{k} @ {k}x{n} GEMM is {macs:,} MACs; chipkit handles up to "
                          f"{MAX_MACS:,} (the golden check is numpy int64): use smaller sizes")
    if elements > MAX_ELEMENTS:
        raise ConfigError(f"a {m}x{k} @ {k}x{n} GEMM holds {elements:,} numbers in A, B and C; "
                          f"chipkit handles up to {MAX_ELEMENTS:,}: use smaller sizes")


def check_budget(m: int, n: int, k: int, cfg: ArrayConfig, backend: str,
                 record: bool = False, max_cycles=None) -> None:
    """Refuse, with a ConfigError that says what to do instead, a GEMM too big for `backend`
    (rtl: more than `max_cycles` cycles; None: RTL_MAX_PE_CYCLES PE-cycles, about 20 s)."""
    check_size(m, n, k)
    check_config(cfg, ArrayConfig)
    check_choice(backend, "backend", BACKENDS)
    cyc = closed.gemm_cycles(m, n, k, cfg)
    if backend == "fast":
        f, t = closed.folds(m, n, k, cfg), closed.fold_cycles(m, n, k, cfg)
        size = f * t * (cfg.rows + cfg.cols + (4 * cfg.pes if record else 0))
        if size > FAST_MAX_ELEMENTS:
            what = "recording every register of " if record else ""
            raise ConfigError(f"{what}a {m}x{k} @ {k}x{n} GEMM on {cfg.name} ({f:,} folds of "
                              f"{t} cycles) needs {size:,} numbers in memory, more than "
                              f"{FAST_MAX_ELEMENTS:,}: use smaller sizes"
                              + (" or record=False" if record else " or --backend golden"))
    limit = (RTL_MAX_PE_CYCLES // cfg.pes if max_cycles is None
             else check_int(max_cycles, "max_cycles (the most cycles to simulate in MyHDL)", lo=1))
    if backend == "rtl" and cyc > limit:
        secs = cyc * cfg.pes / MYHDL_PE_CYCLES_PER_S
        took = f"~{secs:.0f} s" if secs < 120 else f"~{secs / 60:.0f} min"
        raise ConfigError(f"the MyHDL RTL would simulate {cyc:,} cycles of the {cfg.name} array "
                          f"({took}); its limit is {limit:,} cycles at "
                          f"{cfg.name}: use --backend fast (cycle-exact, the same counts) or a "
                          f"smaller GEMM; to wait for it, give --max-cycles {cyc} "
                          f"(max_cycles={cyc} in Python)")


def _simulate(backend: str, schedule, record: bool, progress) -> array_fast.ArrayRun:
    if backend == "fast":
        return array_fast.run(schedule, record)
    from chipkit.backends import array_rtl  # MyHDL: imported only when asked for

    return array_rtl.run(schedule, record=record, progress=progress)


def gemm(a, b, cfg: ArrayConfig, backend: str = "fast", record: bool = False,
         progress: Callable[[int, int], None] | None = None, max_cycles=None) -> GemmResult:
    """C = A @ B (A: M x K, B: K x N, int8 values) on the array `cfg` with `backend`.

    record     -- fast/rtl: keep every register after every step in result.run.states
    progress   -- rtl: called as progress(cycles_done, cycles_total) while it simulates
    max_cycles -- rtl: the most cycles to simulate in MyHDL (None: about 20 s worth,
                  RTL_MAX_PE_CYCLES); a longer GEMM is refused with an estimate
    Raises ShapeError / RangeError for bad operands, ConfigError for a bad backend or a GEMM too
    big for it.
    """
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ConfigError(f"unknown backend {show(backend)}; choose one of {', '.join(BACKENDS)}")
    check_config(cfg, ArrayConfig)
    record = check_flag(record, "record")
    if progress is not None and not callable(progress):
        raise ConfigError(f"progress must be None or a function progress(done, total), got "
                          f"{show(progress)}")
    if record and backend == "golden":
        raise ConfigError("the golden backend simulates nothing, so there is nothing to record: "
                          "use backend='fast' or 'rtl'")
    a, b = check_gemm_operands(a, b)
    (m, k), n = a.shape, b.shape[1]
    check_budget(m, n, k, cfg, backend, record, max_cycles)
    start = time.perf_counter()
    want = golden_model.gemm(a, b)
    if backend == "golden":
        product, cyc, run = want, closed.gemm_cycles(m, n, k, cfg), None
        seconds = time.perf_counter() - start
    else:
        start = time.perf_counter()
        run = _simulate(backend, build(a, b, cfg), record, progress)
        seconds = time.perf_counter() - start
        product, cyc = run.product, run.cycles
    return GemmResult(
        product=product, cycles=cyc, macs=m * n * k,
        utilization=closed.utilization(m, n, k, cfg, cyc), backend=backend,
        dataflow=cfg.dataflow, array=cfg.name, m=m, n=n, k=k, folds=closed.folds(m, n, k, cfg),
        scalesim_cycles=closed.scalesim_cycles(m, n, k, cfg),
        match_golden=bool(np.array_equal(product, want)), seconds=seconds, run=run,
    )
