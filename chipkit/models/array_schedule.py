"""Cutting a GEMM into folds and writing, step by step, what enters the array: the driver that the
fast model and the RTL share, and the monitor that turns what comes out back into C.

Step t of a fold applies one set of inputs; the clock edge that ends the step updates every
register; outputs are read right after it (chipkit.flow.sim.Bench's timing). WS folds last
2R + C + M - 2 steps, OS folds 2R + C + K - 2 (chipkit.models.array_cycles).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chipkit.checks import check_int, check_type, int_array
from chipkit.config import ArrayConfig, check_config
from chipkit.errors import ShapeError
from chipkit.models.array_cycles import fold_cycles
from chipkit.models.array_golden import check_gemm_operands
from chipkit.numerics import wrap32


@dataclass
class Schedule:
    """Everything the array sees while it computes one GEMM.

    control -- {name: int array [T]}: the same in every fold (WS: w_load, a_valid; OS: drain)
    data    -- {name: int array [F, T, lanes]}: operands per fold (WS: w_in [.., C], a_in [.., R];
               OS: a_in [.., R], b_in [.., C])
    tiles   -- per fold, (rows, cols, depth) of the real (unpadded) tile: WS (K_t, N_t, M),
               OS (M_t, N_t, K)
    w_before -- WS only: [F, R, C] the weights held when each fold starts (the previous tile's)
    """

    cfg: ArrayConfig
    m: int
    n: int
    k: int
    steps: int
    control: dict
    data: dict
    tiles: list
    origins: list  # per fold: WS (k0, n0), OS (m0, n0)
    w_before: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    @property
    def folds(self) -> int:
        return len(self.tiles)

    @property
    def cycles(self) -> int:
        return self.folds * self.steps

    def inputs(self, f: int) -> dict:
        """Fold f's inputs step by step: {port: [T] or [T, lanes]}."""
        f = check_int(f, "f", 0, self.folds - 1)
        return {**self.control, **{k: v[f] for k, v in self.data.items()}}

    def active(self) -> np.ndarray:
        """[F, T, R, C] bool: which PEs multiply real operands at each step (not padding or the
        zeros before and after): what the dataflow animation highlights."""
        r, c, t = self.cfg.rows, self.cfg.cols, self.steps
        ii, jj = np.meshgrid(np.arange(r), np.arange(c), indexing="ij")
        steps = np.arange(t)[:, None, None] - ii - jj  # the input step each PE works on now
        if self.cfg.dataflow == "ws":
            first, count = r, self.m  # rows of A enter after the R weight-load steps
        else:
            first, count = 0, self.k
        live = (steps >= first) & (steps < first + count)
        out = np.zeros((self.folds, t, r, c), dtype=bool)
        for f, (rows, cols, _) in enumerate(self.tiles):
            out[f] = live & (ii < rows) & (jj < cols)
        return out


def _pad(x: np.ndarray, shape) -> np.ndarray:
    out = np.zeros(shape, dtype=np.int64)
    out[: x.shape[0], : x.shape[1]] = x
    return out


def build(a, b, cfg: ArrayConfig) -> Schedule:
    """The schedule that computes A (M x K) @ B (K x N) on the array `cfg`."""
    a, b = check_gemm_operands(a, b)
    cfg = check_config(cfg, ArrayConfig)
    (m, k), n = a.shape, b.shape[1]
    r, c = cfg.rows, cfg.cols
    t = fold_cycles(m, n, k, cfg)
    if cfg.dataflow == "ws":
        origins = [(k0, n0) for n0 in range(0, n, c) for k0 in range(0, k, r)]
        f = len(origins)
        w_in = np.zeros((f, t, c), dtype=np.int64)
        a_in = np.zeros((f, t, r), dtype=np.int64)
        w_before = np.zeros((f, r, c), dtype=np.int64)
        tiles = []
        for i, (k0, n0) in enumerate(origins):
            bt = _pad(b[k0:k0 + r, n0:n0 + c], (r, c))
            w_in[i, :r] = bt[::-1]  # the bottom row goes in first and is shifted furthest down
            a_in[i, r:r + m] = _pad(a[:, k0:k0 + r], (m, r))
            if i + 1 < f:
                w_before[i + 1] = bt
            tiles.append((min(r, k - k0), min(c, n - n0), m))
        control = {"w_load": (np.arange(t) < r).astype(np.int64),
                   "a_valid": ((np.arange(t) >= r) & (np.arange(t) < r + m)).astype(np.int64)}
        return Schedule(cfg, m, n, k, t, control, {"w_in": w_in, "a_in": a_in}, tiles, origins,
                        w_before)
    origins = [(m0, n0) for m0 in range(0, m, r) for n0 in range(0, n, c)]
    f = len(origins)
    a_in = np.zeros((f, t, r), dtype=np.int64)
    b_in = np.zeros((f, t, c), dtype=np.int64)
    tiles = []
    for i, (m0, n0) in enumerate(origins):
        a_in[i, :k] = _pad(a[m0:m0 + r, :], (r, k)).T  # step s: column s of the A tile
        b_in[i, :k] = _pad(b[:, n0:n0 + c], (k, c))  # step s: row s of the B tile
        tiles.append((min(r, m - m0), min(c, n - n0), k))
    control = {"drain": (np.arange(t) >= t - r).astype(np.int64)}
    return Schedule(cfg, m, n, k, t, control, {"a_in": a_in, "b_in": b_in}, tiles, origins)


def collect(s: Schedule, c_out: np.ndarray, c_valid: np.ndarray) -> np.ndarray:
    """C (M x N, int32) from what the array put out: c_out [F, T, C] and c_valid [F, T].

    WS: each fold yields M rows of partial sums for C's columns n0.., added over the K folds.
    OS: each fold yields its R rows bottom row first; they are placed, not added.
    """
    s = check_type(s, Schedule, "s", "chipkit.models.array_schedule.build(a, b, cfg)")
    r, c = s.cfg.rows, s.cfg.cols
    c_out, c_valid = int_array(c_out, "c_out"), int_array(c_valid, "c_valid")
    if c_out.shape != (s.folds, s.steps, c) or c_valid.shape != (s.folds, s.steps):
        raise ShapeError(f"c_out must be [folds, steps, C] = {[s.folds, s.steps, c]} and c_valid "
                         f"[folds, steps] = {[s.folds, s.steps]}; got {list(c_out.shape)} and "
                         f"{list(c_valid.shape)}")
    want = s.m if s.cfg.dataflow == "ws" else r
    got = c_valid.astype(bool).sum(axis=1)
    if (got != want).any():
        f = int(np.flatnonzero(got != want)[0])
        raise ShapeError(f"fold {f} put out {got[f]} valid rows (c_valid); every fold of this "
                         f"schedule puts out {want}: the array's valid pipeline is off")
    out = np.zeros((s.m, s.n), dtype=np.int64)
    for f, (o0, n0) in enumerate(s.origins):
        rows = c_out[f][c_valid[f].astype(bool)]
        ncols = min(c, s.n - n0)
        if s.cfg.dataflow == "ws":
            out[:, n0:n0 + ncols] = wrap32(out[:, n0:n0 + ncols] + rows[: s.m, :ncols])
        else:
            block = rows[::-1]  # drained bottom-up
            mrows = min(r, s.m - o0)
            out[o0:o0 + mrows, n0:n0 + ncols] = block[:mrows, :ncols]
    return out

