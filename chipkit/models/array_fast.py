"""The fast cycle-exact model of the systolic array: every register of every PE as a numpy array,
stepped one clock edge at a time, all folds of a GEMM side by side (they run the same schedule).

It is the RTL's twin register for register (chipkit.hdl.array): tests compare their state after
every edge. Names follow the RTL: w, a, b, p (WS partial sums) or acc (OS), skew lines, de-skew.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chipkit.checks import check_flag, check_int, check_type
from chipkit.config import ArrayConfig, check_config
from chipkit.errors import ShapeError
from chipkit.models.array_schedule import Schedule, build, collect
from chipkit.numerics import check_fits, wrap32

#: the registers a trace records, per dataflow, with their shapes (F = folds)
STATE = {
    "ws": ("w", "a", "p", "skew", "deskew", "valid"),  # [F,R,C] x3, [F,R,R], [F,C,C], [F,R+C-1]
    "os": ("a", "b", "acc", "skew_a", "skew_b", "c_out", "c_valid"),
}


MAX_FOLDS = 1 << 24  # folds stepped side by side: far more than any memory holds


def _delay_mask(n: int) -> np.ndarray:
    """[n, n] bool: lane i of a skew line has i registers (entries d < i are real)."""
    return np.arange(n)[None, :] < np.arange(n)[:, None]


def _shift_lines(lines: np.ndarray, new: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Advance delay lines [F, lanes, depth] by one register, `new` [F, lanes] entering at d = 0."""
    out = np.empty_like(lines)
    out[:, :, 1:] = lines[:, :, :-1]
    out[:, :, 0] = new
    return out * mask


def _line_out(lines: np.ndarray, direct: np.ndarray) -> np.ndarray:
    """What comes out of each delay line: lane i's last register (d = i - 1), lane 0 is `direct`."""
    n = lines.shape[1]
    out = direct.copy()
    idx = np.arange(1, n)
    out[:, 1:] = lines[:, idx, idx - 1]
    return out


class FastArray:
    """The array's registers for F folds at once; `step` applies one clock edge."""

    def __init__(self, cfg: ArrayConfig, folds: int, w_before: np.ndarray | None = None):
        """cfg -- the array; folds -- F, how many folds step side by side; w_before -- WS only:
        [F, R, C] the weights each fold's PEs hold at the start (zeros if None)."""
        self.cfg = check_config(cfg, ArrayConfig)
        r, c, f = cfg.rows, cfg.cols, check_int(folds, "folds", 1, MAX_FOLDS)
        z = np.zeros
        if w_before is not None:
            w_before = np.asarray(check_fits(w_before, 8, name="w_before"), dtype=np.int64)
            if cfg.dataflow != "ws" or w_before.shape != (f, r, c):
                raise ShapeError(f"w_before is for WS arrays only, [folds, R, C] = {[f, r, c]}; "
                                 f"got shape {list(w_before.shape)} for dataflow {cfg.dataflow}")
        if cfg.dataflow == "ws":
            self.w = z((f, r, c), np.int64) if w_before is None else w_before.copy()
            self.a, self.p = z((f, r, c), np.int64), z((f, r, c), np.int64)
            self.skew, self.deskew = z((f, r, r), np.int64), z((f, c, c), np.int64)
            self.valid = z((f, r + c - 1), np.int64)
        else:
            self.a, self.b, self.acc = (z((f, r, c), np.int64) for _ in range(3))
            self.skew_a, self.skew_b = z((f, r, r), np.int64), z((f, c, c), np.int64)
            self.c_out, self.c_valid = z((f, c), np.int64), z((f,), np.int64)
        self._rmask, self._cmask = _delay_mask(r), _delay_mask(c)
        # column j's output waits C-1-j registers: de-skew line j has C-1-j entries
        self._dmask = np.arange(c)[None, :] < (c - 1 - np.arange(c))[:, None]

    def state(self) -> dict:
        """A copy of every register, by the RTL's names."""
        return {k: getattr(self, k).copy() for k in STATE[self.cfg.dataflow]}

    def step(self, inp: dict) -> tuple[np.ndarray, np.ndarray]:
        """One clock edge with inputs `inp` (control scalars, data [F, lanes]); returns the outputs
        read after it: (c_out [F, C], c_valid [F])."""
        return self._step_ws(inp) if self.cfg.dataflow == "ws" else self._step_os(inp)

    def _step_ws(self, inp):
        # what each PE sees this step: activations from the left, partial sums from above
        a_left = np.concatenate([_line_out(self.skew, inp["a_in"])[:, :, None], self.a[:, :, :-1]],
                                axis=2)
        p_above = np.concatenate([np.zeros_like(self.p[:, :1]), self.p[:, :-1]], axis=1)
        bottom = self.p[:, -1, :]  # the partial sums leaving the array this step
        self.p = wrap32(p_above + a_left * self.w)
        self.a = a_left
        if inp["w_load"]:
            self.w = np.concatenate([inp["w_in"][:, None, :], self.w[:, :-1]], axis=1)
        self.skew = _shift_lines(self.skew, inp["a_in"], self._rmask)
        self.deskew = _shift_lines(self.deskew, bottom, self._dmask)
        self.valid = np.concatenate([np.full((len(self.valid), 1), inp["a_valid"]),
                                     self.valid[:, :-1]], axis=1)
        return self._ws_out(), self.valid[:, -1].copy()

    def _ws_out(self):
        c = self.cfg.cols
        out = self.p[:, -1, :].copy()  # column C-1 has no de-skew register
        j = np.arange(c - 1)
        out[:, :-1] = self.deskew[:, j, c - 2 - j]
        return out

    def _step_os(self, inp):
        a_left = np.concatenate([_line_out(self.skew_a, inp["a_in"])[:, :, None],
                                 self.a[:, :, :-1]], axis=2)
        b_top = np.concatenate([_line_out(self.skew_b, inp["b_in"])[:, None, :],
                                self.b[:, :-1, :]], axis=1)
        if inp["drain"]:  # shift the finished rows down; the bottom row leaves the array
            self.c_out = self.acc[:, -1, :].copy()
            self.acc = np.concatenate([np.zeros_like(self.acc[:, :1]), self.acc[:, :-1]], axis=1)
        else:
            self.c_out = np.zeros_like(self.c_out)
            self.acc = wrap32(self.acc + a_left * b_top)
        self.c_valid = np.full_like(self.c_valid, inp["drain"])
        self.a, self.b = a_left, b_top
        self.skew_a = _shift_lines(self.skew_a, inp["a_in"], self._rmask)
        self.skew_b = _shift_lines(self.skew_b, inp["b_in"], self._cmask)
        return self.c_out.copy(), self.c_valid.copy()


@dataclass
class ArrayRun:
    """What a backend ran: the product, outputs per step and (if recorded) every register."""

    schedule: Schedule
    product: np.ndarray  # M x N int32 values (int64 array)
    c_out: np.ndarray  # [F, T, C]
    c_valid: np.ndarray  # [F, T]
    states: dict | None = None  # {register: [F, T, ...]}, the state after each step's edge

    @property
    def cycles(self) -> int:
        return self.schedule.cycles


def run(schedule: Schedule, record: bool = False) -> ArrayRun:
    """Step the fast model through `schedule`; all folds advance together."""
    check_type(schedule, Schedule, "schedule", "chipkit.models.array_schedule.build(a, b, cfg)")
    record = check_flag(record, "record")
    f, t = schedule.folds, schedule.steps
    arr = FastArray(schedule.cfg, f, schedule.w_before)
    outs, valids = np.zeros((f, t, schedule.cfg.cols), np.int64), np.zeros((f, t), np.int64)
    states = {k: [] for k in STATE[schedule.cfg.dataflow]} if record else None
    data = schedule.data
    for s in range(t):
        inp = {k: int(v[s]) for k, v in schedule.control.items()}
        inp.update({k: v[:, s] for k, v in data.items()})
        outs[:, s], valids[:, s] = arr.step(inp)
        if record:
            for k, v in arr.state().items():
                states[k].append(v)
    if record:
        states = {k: np.stack(v, axis=1) for k, v in states.items()}
    return ArrayRun(schedule, collect(schedule, outs, valids), outs, valids, states)


def gemm(a, b, cfg: ArrayConfig, record: bool = False) -> ArrayRun:
    """A @ B on the array `cfg`, cycle by cycle."""
    return run(build(a, b, cfg), record)
