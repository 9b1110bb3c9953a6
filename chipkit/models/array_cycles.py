"""Closed-form cycle counts of a GEMM on the systolic array (derived in lesson 04), and SCALE-Sim's
published formulas beside them, so the two can be compared.
"""
from __future__ import annotations

from math import ceil

from chipkit.checks import check_int
from chipkit.config import ArrayConfig, check_config
from chipkit.errors import RangeError


def check_gemm_size(m: int, n: int, k: int, cfg: ArrayConfig) -> tuple:
    """(m, n, k, cfg) if M, N, K are positive integers and cfg an ArrayConfig; else ConfigError."""
    m, n, k = (check_int(v, name, 1) for v, name in ((m, "m"), (n, "n"), (k, "k")))
    return m, n, k, check_config(cfg, ArrayConfig)


def folds(m: int, n: int, k: int, cfg: ArrayConfig) -> int:
    """How many tiles the GEMM is cut into: WS tiles K x N by R x C, OS tiles M x N by R x C."""
    m, n, k, cfg = check_gemm_size(m, n, k, cfg)
    if cfg.dataflow == "ws":
        return ceil(k / cfg.rows) * ceil(n / cfg.cols)
    return ceil(m / cfg.rows) * ceil(n / cfg.cols)


def fold_cycles(m: int, n: int, k: int, cfg: ArrayConfig) -> int:
    """Cycles of one fold on our array.

    WS: R to shift the weights in, then M rows of A stream through, and the last one needs R + C - 2
        more cycles to cross the array and the output de-skew: R + M + R + C - 2.
    OS: K steps of operands, R + C - 2 more until the far corner PE has its last product, then R
        cycles to shift the finished rows out: K + R + C - 2 + R.
    """
    m, n, k, cfg = check_gemm_size(m, n, k, cfg)
    r, c = cfg.rows, cfg.cols
    return 2 * r + c + (m if cfg.dataflow == "ws" else k) - 2


def gemm_cycles(m: int, n: int, k: int, cfg: ArrayConfig) -> int:
    """Total cycles of an M x K by K x N GEMM on our array: folds x fold_cycles (folds do not
    overlap on this array; the inference core of lesson 05 overlaps them)."""
    return folds(m, n, k, cfg) * fold_cycles(m, n, k, cfg)


def scalesim_cycles(m: int, n: int, k: int, cfg: ArrayConfig) -> int:
    """SCALE-Sim 3.0's compute cycles for the same GEMM (its code, ../shared/NOTES.md):
    WS: ceil(K/R) ceil(N/C) (2R + C + M - 2) - 1;  OS: ceil(M/R) ceil(N/C) (R + C + K - 2) - 1."""
    m, n, k, cfg = check_gemm_size(m, n, k, cfg)
    r, c = cfg.rows, cfg.cols
    if cfg.dataflow == "ws":
        return folds(m, n, k, cfg) * (2 * r + c + m - 2) - 1
    return folds(m, n, k, cfg) * (r + c + k - 2) - 1


def utilization(m: int, n: int, k: int, cfg: ArrayConfig, cycles: int) -> float:
    """Useful MACs / (R * C * cycles): the share of the PEs' cycles that did useful work."""
    m, n, k, cfg = check_gemm_size(m, n, k, cfg)
    cycles = check_int(cycles, "cycles", 1)
    if m * n * k > cfg.pes * cycles:
        raise RangeError(f"cycles {cycles} is fewer than the {-(-m * n * k // cfg.pes)} the "
                         f"{m * n * k} MACs take on {cfg.pes} PEs; pass the run's cycle count")
    return m * n * k / (cfg.pes * cycles)
