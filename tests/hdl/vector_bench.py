"""A MyHDL testbench for chipkit.hdl.vector_unit: Python-side memories serve its combinational read
ports and take its writes; one op is issued and the busy cycles and the writes are recorded. The
same memories go into a golden-model CoreState, so the two can be compared row for row."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from myhdl import ResetSignal, Signal, StopSimulation, always, delay, instance, intbv

from chipkit import isa
from chipkit.config import CoreConfig
from chipkit.flow.sim import clock_gen, run
from chipkit.hdl.vector_unit import vector_unit
from chipkit.models.core_fast import FastCore
from chipkit.models.core_golden import CoreState, apply

DEPTH = 4096


def pack(values, bits: int) -> int:
    """Lanes (signed or unsigned ints) side by side, lane 0 in the low bits."""
    mask = (1 << bits) - 1
    return sum((int(v) & mask) << (bits * i) for i, v in enumerate(values))


def unpack(word: int, bits: int, n: int) -> list[int]:
    """The signed lanes of `word`."""
    out = []
    for i in range(n):
        v = (word >> (bits * i)) & ((1 << bits) - 1)
        out.append(v - (1 << bits) if v >> (bits - 1) else v)
    return out


def core_config(lanes: int, depth: int = DEPTH) -> CoreConfig:
    return CoreConfig(lanes=lanes, sram_rows=depth, acc_rows=depth, param_rows=min(depth, 256),
                      scale_rows=depth, dram_bytes=1 << 12)


def random_state(lanes: int, rng, extreme: float = 0.2, depth: int = DEPTH) -> CoreState:
    """Every memory full of random values (a share of them extreme), every row written."""
    state = CoreState.fresh(core_config(lanes, depth))
    m = state.mems

    def values(shape, lo, hi):
        x = rng.integers(lo, hi + 1, shape)
        mask = rng.random(shape) < extreme
        x[mask] = rng.choice([lo, hi], int(mask.sum()))
        return x

    m["acc"][:] = values(m["acc"].shape, -(1 << 31), (1 << 31) - 1)
    m["sram"][:] = values(m["sram"].shape, -128, 127)
    m["lut"][:] = values(m["lut"].shape, -128, 127)
    m["param"][:, 0] = values(len(m["param"]), 0, 65535)
    m["param"][:, 2] = values(len(m["param"]), 0, 65535)
    m["param"][:, 1] = values(len(m["param"]), 0, 47)
    m["param"][:, 3] = values(len(m["param"]), 0, 47)
    m["scale"][..., 0] = values(m["scale"].shape[:2], 0, 65535)
    m["scale"][..., 1] = values(m["scale"].shape[:2], 0, 47)
    for k in state.written:
        state.written[k][:] = True
    return state


def packed(state: CoreState):
    """The memories as the unit's ports carry them: ACC, SRAM, PARAM, SCALE rows (lists of ints)
    and the GELU table's 2048 bits."""
    m = state.mems
    acc = [pack(r, 32) for r in m["acc"]]
    sram = [pack(r, 8) for r in m["sram"]]
    param = [int(r[0]) | int(r[1]) << 16 | int(r[2]) << 24 | int(r[3]) << 40 for r in m["param"]]
    scale = [pack([int(ms) | int(sh) << 16 for ms, sh in r], 32) for r in m["scale"]]
    return acc, sram, param, scale, pack(m["lut"].ravel(), 8)


@dataclass
class Result:
    sram: np.ndarray  # the RTL's SRAM afterwards [rows, L]
    writes: list  # (cycle after issue, address) of every write
    busy: list  # cycles after issue (1, 2, ...) in which busy was high


def rtl_run(state: CoreState, instr: isa.Instr, limit: int = 100_000) -> Result:
    """Issue `instr` to the MyHDL vector unit on memories holding `state`'s (shape state.shape)."""
    L = state.cfg.lanes
    acc, sram, param, scale, lut = packed(state)

    def u(bits, v=0):
        return Signal(intbv(v)[bits:])

    clock, reset = Signal(bool(0)), ResetSignal(0, active=1, isasync=False)
    s = dict(issue=Signal(bool(0)), op=u(6), dst=u(12), src=u(12), src2=u(12), p=u(8),
             perchannel=Signal(bool(0)), frac=u(4), shp_rows=u(12), shp_chunks=u(8),
             shp_cstride=u(12), busy=Signal(bool(0)), acc_addr=u(12), acc_data=u(32 * L),
             sram_addr=u(12), sram_data=u(8 * L), sram_addr2=u(12), sram_data2=u(8 * L),
             param_addr=u(8), param_data=u(64), scale_addr=u(12), scale_data=u(32 * L),
             lut_bits=u(2048, lut), wr_en=Signal(bool(0)), wr_addr=u(12), wr_data=u(8 * L))
    dut = vector_unit(clock, reset, **s, lanes=L)
    rows, chunks, cstride = state.shape
    cycle = [0]
    writes, busy = [], []
    touched = Signal(bool(0))

    @always(clock.posedge)
    def write_port():
        if s["wr_en"]:
            sram[int(s["wr_addr"])] = int(s["wr_data"])
            writes.append((cycle[0], int(s["wr_addr"])))
            touched.next = not touched

    @instance
    def read_ports():
        while True:
            s["acc_data"].next = acc[int(s["acc_addr"])]
            s["sram_data"].next = sram[int(s["sram_addr"])]
            s["sram_data2"].next = sram[int(s["sram_addr2"])]
            s["param_data"].next = param[int(s["param_addr"])]
            s["scale_data"].next = scale[int(s["scale_addr"])]
            yield (s["acc_addr"], s["sram_addr"], s["sram_addr2"], s["param_addr"],
                   s["scale_addr"], touched)

    fields = {k: instr.args.get(k, 0) for k in ("dst", "src", "src2", "p", "perchannel", "frac")}

    @instance
    def driver():
        reset.next = 1
        yield clock.posedge
        yield delay(1)
        reset.next = 0
        s["shp_rows"].next, s["shp_chunks"].next, s["shp_cstride"].next = rows, chunks, cstride
        yield clock.posedge
        yield delay(1)
        s["issue"].next = 1
        s["op"].next = instr.op.code
        for k, v in fields.items():
            s[k].next = v
        yield clock.posedge
        yield delay(1)
        s["issue"].next = 0
        s["op"].next = 0
        for k in fields:  # only the issue cycle's values count
            s[k].next = 0
        quiet = 0
        for j in range(1, limit):
            cycle[0] = j
            if s["busy"]:
                busy.append(j)
                quiet = 0
            else:
                quiet += 1
                if quiet > 3 and busy:
                    break
            yield clock.posedge
            yield delay(1)
        raise StopSimulation

    run(dut, write_port, read_ports, driver, clock_gen(clock))
    return Result(np.array([unpack(w, 8, L) for w in sram], dtype=np.int64), writes, busy)


def golden_run(state: CoreState, instr: isa.Instr) -> CoreState:
    """The golden model's effect of `instr` on a copy of `state`; returns the copy."""
    import copy

    after = copy.deepcopy(state)
    apply(after, 0, instr)
    return after


def duration(state: CoreState, instr: isa.Instr) -> int:
    """core_fast's cycle count for `instr` in `state`'s shape."""
    fc = FastCore(state.cfg, [isa.encode(isa.make("halt"))])
    fc.state.shape = state.shape
    return fc._duration(instr)


def check(state: CoreState, instr: isa.Instr) -> Result:
    """RTL == golden in every SRAM row; the RTL wrote exactly the golden's rows; busy high exactly
    in cycles 1 .. D after issue (D from core_fast) and every write within them."""
    want = golden_run(state, instr)  # first: it refuses an invalid op (which the RTL would not)
    got = rtl_run(state, instr)
    label = f"{instr} shape {state.shape} L={state.cfg.lanes}"
    bad = np.argwhere(got.sram != want.mems["sram"])
    if bad.size:
        r = int(bad[0][0])
        raise AssertionError(f"{label}: SRAM row {r} RTL {got.sram[r].tolist()} golden "
                             f"{want.mems['sram'][r].tolist()}")
    rows, chunks, cstride = state.shape
    L, dst = state.cfg.lanes, instr.args["dst"]
    if instr.op.mnemonic == "vtrans":
        rows, chunks, cstride = chunks * L, rows // L, chunks * L
    targets = sorted(dst + r + c * cstride for r in range(rows) for c in range(chunks))
    assert sorted(a for _, a in got.writes) == targets, f"{label}: the RTL wrote other rows"
    d = duration(state, instr)
    assert got.busy == list(range(1, d + 1)), (
        f"{label}: busy in cycles {got.busy[:3]}..{got.busy[-3:]} ({len(got.busy)}), core_fast "
        f"says 1..{d}")
    assert all(1 <= c <= d for c, _ in got.writes), f"{label}: a write outside the busy cycles"
    return got
