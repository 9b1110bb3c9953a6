"""A GEMM on the whole inference core (`chipkit gemm --target core`): compiled to a program,
operands starting and ending in DRAM, run on the golden model (values), the cycle model, the
MyHDL core (rtl) or its Verilog compiled by Verilator.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from chipkit.backends import core_run
from chipkit.compiler.gemm import compile_gemm
from chipkit.config import ArrayConfig, CoreConfig, check_config
from chipkit.models import array_cycles as closed
from chipkit.models import array_golden as golden_model


@dataclass
class CoreGemmResult:
    """C = A @ B as a program on the core; cycles and counters from the backend that ran it
    (None for golden, which only executes the instructions' meaning)."""

    product: np.ndarray
    cycles: int | None
    macs: int
    utilization: float | None
    backend: str
    array: str
    m: int
    n: int
    k: int
    instructions: int
    scalesim_cycles: int
    match_golden: bool
    seconds: float
    counters: dict

    def to_json(self) -> dict:
        ratio = None if self.cycles is None else round(self.cycles / self.scalesim_cycles, 4)
        return {"target": "core", "backend": self.backend, "dataflow": "ws", "array": self.array,
                "m": self.m, "n": self.n, "k": self.k, "cycles": self.cycles, "macs": self.macs,
                "utilization": self.utilization, "instructions": self.instructions,
                "scalesim_cycles": self.scalesim_cycles, "core_vs_scalesim_ws": ratio,
                "match_golden": self.match_golden, "seconds": round(self.seconds, 6),
                "counters": self.counters}


def core_gemm(a, b, cfg: CoreConfig, backend: str = "fast", progress=None,
              max_cycles=None) -> CoreGemmResult:
    """Compile A @ B for the core `cfg` and run it on `backend` (golden, fast, rtl, verilator).
    progress, max_cycles: rtl only, as in chipkit.backends.core_run.run."""
    core_run.check_backend(backend)
    check_config(cfg, CoreConfig)
    start = time.perf_counter()
    prog = compile_gemm(a, b, cfg)
    run = core_run.run(prog.words, cfg, prog.dram, backend, progress, max_cycles)
    cycles, counters = run.cycles, run.counters
    product = prog.read_c(run.dram)
    seconds = time.perf_counter() - start
    m, k, n = prog.m, prog.k, prog.n
    macs = m * n * k
    return CoreGemmResult(
        product, cycles, macs, None if cycles is None else macs / (cfg.lanes ** 2 * cycles),
        backend, f"{cfg.lanes}x{cfg.lanes}", m, n, k, len(prog.instructions),
        closed.scalesim_cycles(m, n, k, ArrayConfig(cfg.lanes, cfg.lanes, "ws")),
        bool(np.array_equal(product, golden_model.gemm(a, b))), seconds, counters)
