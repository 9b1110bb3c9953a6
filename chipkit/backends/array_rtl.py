"""The RTL backend: a GEMM schedule run on the MyHDL systolic array (chipkit.hdl.array), clock edge
by clock edge, giving the same ArrayRun (and, if asked, every register) as the fast model.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from myhdl import StopSimulation, delay, instance

from chipkit.checks import check_flag, show
from chipkit.errors import ConfigError
from chipkit.flow.sim import clock_gen
from chipkit.flow.sim import run as run_sim
from chipkit.hdl.array import OPERAND_BITS, SUM_BITS, array_bench
from chipkit.models.array_fast import STATE, ArrayRun
from chipkit.models.array_schedule import Schedule, collect
from chipkit.numerics import from_twos, to_twos

#: the flat-bus data ports of each dataflow, named like the schedule's data fields
DATA_PORTS = {"ws": ("w_in", "a_in"), "os": ("a_in", "b_in")}


def pack_lanes(values, bits: int = OPERAND_BITS) -> np.ndarray:
    """[..., lanes] signed ints -> [...] flat-bus ints (Python ints): lane i in bits
    [bits*i + bits - 1 : bits*i], two's complement."""
    v = np.asarray(values)
    pat = to_twos(v.astype(object), bits)
    out = np.zeros(v.shape[:-1], dtype=object)
    for i in range(v.shape[-1]):
        out = out + (pat[..., i] << (bits * i))
    return out


def unpack_lanes(words, lanes: int, bits: int = SUM_BITS) -> np.ndarray:
    """[...] flat-bus ints -> [..., lanes] int64 signed lane values (the inverse of pack_lanes)."""
    w = np.asarray(words, dtype=object)
    mask = (1 << bits) - 1
    pat = np.stack([(w >> (bits * i)) & mask for i in range(lanes)], axis=-1)
    return from_twos(pat, bits).astype(np.int64)


def vectors(schedule: Schedule, reset_step: bool = True) -> dict:
    """The schedule as one long sequence of port values for a chipkit.flow.sim.Bench of the array
    (chipkit.hdl.array.array_bench): folds one after another, lanes packed into flat buses.

    reset_step -- prepend one step with reset=1 and zero inputs (converted Verilog registers start
                  as x); drop its output sample (the first) before comparing.
    """
    f, t = schedule.folds, schedule.steps
    vec = {k: np.tile(np.asarray(v, dtype=np.int64), f) for k, v in schedule.control.items()}
    for k in DATA_PORTS[schedule.cfg.dataflow]:
        vec[k] = pack_lanes(schedule.data[k].reshape(f * t, -1))
    vec["reset"] = np.zeros(f * t, dtype=np.int64)
    if reset_step:
        vec = {k: np.concatenate([np.zeros(1, dtype=v.dtype), v]) for k, v in vec.items()}
        vec["reset"][0] = 1
    return vec


def _lines(signals, depth: int) -> np.ndarray:
    """Delay lines (a list per lane of register signals) as the fast model's masked [lanes, depth]
    array: register d of lane i at [i, d], zeros where a lane has no register."""
    out = np.zeros((len(signals), depth), dtype=np.int64)
    for i, line in enumerate(signals):
        for d, s in enumerate(line):
            out[i, d] = int(s.val)
    return out


def _grid(signals) -> np.ndarray:
    return np.array([[int(s.val) for s in row] for row in signals], dtype=np.int64)


def _snapshot(probe: dict, dataflow: str, rows: int, cols: int) -> dict:
    """Every register's value now, in chipkit.models.array_fast's layout (one fold, no F axis)."""
    if dataflow == "ws":
        return {"w": _grid(probe["w"]), "a": _grid(probe["a"]), "p": _grid(probe["p"]),
                "skew": _lines(probe["skew"], rows), "deskew": _lines(probe["deskew"], cols),
                "valid": np.array([int(s.val) for s in probe["valid"]], dtype=np.int64)}
    return {"a": _grid(probe["a"]), "b": _grid(probe["b"]), "acc": _grid(probe["acc"]),
            "skew_a": _lines(probe["skew_a"], rows), "skew_b": _lines(probe["skew_b"], cols),
            "c_out": unpack_lanes(int(probe["c_out"].val), cols),
            "c_valid": np.int64(int(probe["c_valid"].val))}


def run(schedule: Schedule, record: bool = False,
        progress: Callable[[int, int], None] | None = None) -> ArrayRun:
    """Run `schedule` on the MyHDL array; the product comes from
    chipkit.models.array_schedule.collect,
    as in the fast model.

    The folds run one after another on one array from reset: fold f's steps are global steps
    f*T .. f*T + T - 1. The fast model starts every fold afresh (WS: with the previous tile's
    weights); the states agree because a fold ends with data only in registers that no other
    register reads at the next edge (WS: the bottom-right PE's a and p and the last valid bit;
    OS: c_out and c_valid).

    record   -- also return every register after every edge: ArrayRun.states in the fast model's
                layout ({name: [F, T, ...]})
    progress -- called as progress(step, total) after each clock edge (step counts from 1)
    """
    if not isinstance(schedule, Schedule):
        raise ConfigError(f"schedule must be a Schedule (chipkit.models.array_schedule.build(a, "
                          f"b, cfg)), got {show(schedule)}")
    record = check_flag(record, "record")
    if progress is not None and not callable(progress):
        raise ConfigError(f"progress must be None or a function progress(done, total), got "
                          f"{show(progress)}")
    cfg = schedule.cfg
    r, c, f, t = cfg.rows, cfg.cols, schedule.folds, schedule.steps
    if schedule.w_before is not None and np.any(schedule.w_before[0]):
        raise ConfigError("the RTL array starts from reset (all weights 0), but this schedule's "
                          "first fold expects weights already loaded (w_before[0]); start the "
                          "schedule at its first fold (chipkit.models.array_schedule.build)")
    bench = array_bench(cfg)
    sigs = bench.signals()
    probe: dict = {}
    dut = bench.factory(**sigs, **bench.params, probe=probe)
    vec = vectors(schedule, reset_step=False)
    del vec["reset"]
    inputs = [(sigs[k], [int(x) for x in v]) for k, v in vec.items()]
    total = f * t
    words, valids = [0] * total, np.zeros(total, dtype=np.int64)
    states = {k: [] for k in STATE[cfg.dataflow]} if record else None
    c_out, c_valid = sigs["c_out"], sigs["c_valid"]

    @instance
    def driver():
        for s in range(total):
            for sig, vals in inputs:
                sig.next = vals[s]
            yield sigs["clock"].posedge
            yield delay(1)
            words[s] = int(c_out.val)
            valids[s] = int(c_valid.val)
            if record:
                for k, v in _snapshot(probe, cfg.dataflow, r, c).items():
                    states[k].append(v)
            if progress is not None:
                progress(s + 1, total)
        raise StopSimulation

    run_sim(dut, driver, clock_gen(sigs["clock"]))
    outs = unpack_lanes(words, c).reshape(f, t, c)
    valid = valids.reshape(f, t)
    if record:
        states = {k: np.stack(v).reshape(f, t, *np.shape(v[0])) for k, v in states.items()}
    return ArrayRun(schedule, collect(schedule, outs, valid), outs, valid, states)
