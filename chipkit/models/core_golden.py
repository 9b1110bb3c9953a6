"""The golden model of the inference core: what each instruction of docs/isa.md does to DRAM and the
on-chip memories, executed one after another (no timing). The cycle models must end in this state.

It also polices programs: an out-of-range address, a read of a row nothing wrote, a transfer of
zero rows, a vector op that would read a row it has already written (overlap_error), a missing
halt stop with a ProgramError that names the program counter and the instruction. The ISA has
no branches, so a program runs each instruction at most once and always ends: there is no
instruction limit (the cycle model has none either).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chipkit import isa
from chipkit.checks import check_choice, check_int, check_type, int_array
from chipkit.config import CoreConfig, check_config
from chipkit.errors import ChipkitError, RangeError, ShapeError
from chipkit.models import vector_golden
from chipkit.numerics import wrap32


class ProgramError(ChipkitError):
    """An illegal program; the message names the program counter and the instruction."""


def _u16(b, i):
    return b[..., i].astype(np.int64) | (b[..., i + 1].astype(np.int64) << 8)


def dram_image(dram, name: str = "dram") -> np.ndarray:
    """A DRAM image as uint8 bytes from address 0: bytes or bytearray, a 1-D uint8 array, a 1-D
    int8 array (its two's complement bytes: -1 is 0xFF), or 1-D integers in 0..255. Anything else
    (floats, values outside a byte, more axes) is a ChipkitError naming `name`."""
    if isinstance(dram, (bytes, bytearray, memoryview)):
        return np.frombuffer(dram, dtype=np.uint8).copy()
    arr = int_array(dram, name, ndim=1, what="bytes (integers 0..255)",
                    hint="; pack values into bytes with core_golden.pack_rows")
    if arr.dtype == np.int8:
        return arr.view(np.uint8)
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        at = int(np.flatnonzero((arr < 0) | (arr > 255))[0])
        raise RangeError(f"{name}[{at}] is {arr[at]}, not a byte: DRAM holds bytes 0..255; give "
                         "int8 values as an int8 array (np.asarray(x, dtype=np.int8): their two's "
                         "complement bytes) or pack them with core_golden.pack_rows")
    return arr.astype(np.uint8)


#: the value range of a memory's row entries: (lo, hi) per column of the last axis
_RANGES = {"sram": (-128, 127), "lut": (-128, 127), "acc": (-(2**31), 2**31 - 1),
           "param": ((0, 0, 0, 0), (65535, 255, 65535, 255)), "scale": ((0, 0), (65535, 255))}


def _shape(mem: str, lanes: int) -> tuple:
    return {"param": (4,), "scale": (lanes, 2)}.get(mem, (lanes,))


def unpack_rows(mem: str, raw: np.ndarray, lanes: int) -> np.ndarray:
    """DRAM bytes [rows, row_bytes] -> memory rows (int64): sram/lut [rows, L], acc [rows, L],
    param [rows, 4] = (m1, s1, m2, s2), scale [rows, L, 2] = (multiplier, shift) per lane."""
    mem = check_choice(mem, "mem", isa.MEMORIES)
    lanes = check_int(lanes, "lanes", 1, 64)
    arr = int_array(raw, "raw", ndim=2, what="bytes (integers 0..255)")
    if arr.shape[1] != isa.row_bytes(mem, lanes) or (arr.size and (arr.min() < 0
                                                                    or arr.max() > 255)):
        raise ShapeError(f"raw must be [rows, {isa.row_bytes(mem, lanes)}] bytes 0..255 (a {mem} "
                         f"row of {lanes} lanes), got {arr.shape}")
    return _unpack(mem, arr.astype(np.uint8), lanes)


def pack_rows(mem: str, rows: np.ndarray, lanes: int) -> np.ndarray:
    """Memory rows -> DRAM bytes [rows, row_bytes] (the inverse of unpack_rows)."""
    mem = check_choice(mem, "mem", isa.MEMORIES)
    lanes = check_int(lanes, "lanes", 1, 64)
    arr = int_array(rows, "rows")
    shape = _shape(mem, lanes)
    if arr.ndim != 1 + len(shape) or arr.shape[1:] != shape:
        raise ShapeError(f"{mem} rows of {lanes} lanes are [rows, {', '.join(map(str, shape))}], "
                         f"got shape {arr.shape}")
    lo, hi = (np.asarray(v) for v in _RANGES[mem])
    if arr.size and ((arr < lo).any() or (arr > hi).any()):
        what = {"param": "(m1 u16, s1 u8, m2 u16, s2 u8)", "scale": "(multiplier u16, shift u8)"}
        raise RangeError(f"rows hold values that a {mem} row cannot: its entries are "
                         f"{what.get(mem, f'{lo}..{hi}')}")
    return _pack(mem, arr.astype(np.int64), lanes)


def _unpack(mem: str, raw: np.ndarray, lanes: int) -> np.ndarray:
    if mem in ("sram", "lut"):
        return raw.view(np.int8).astype(np.int64)
    if mem == "acc":
        return raw.copy().view("<i4").astype(np.int64)
    if mem == "param":
        return np.stack([_u16(raw, 0), raw[:, 2], _u16(raw, 3), raw[:, 5]], axis=-1).astype(
            np.int64)
    lanes4 = raw.reshape(len(raw), lanes, 4)
    return np.stack([_u16(lanes4, 0), lanes4[..., 2].astype(np.int64)], axis=-1)


def _pack(mem: str, rows: np.ndarray, lanes: int) -> np.ndarray:
    if mem in ("sram", "lut"):
        return rows.astype(np.int8).view(np.uint8)
    if mem == "acc":
        return rows.astype("<i4").view(np.uint8).reshape(len(rows), 4 * lanes)
    out = np.zeros((len(rows), isa.row_bytes(mem, lanes)), dtype=np.uint8)
    if mem == "param":
        for j, (col, wide) in enumerate(((0, True), (2, False), (3, True), (5, False))):
            out[:, col] = rows[:, j] & 255
            if wide:
                out[:, col + 1] = rows[:, j] >> 8
        return out
    view = out.reshape(len(rows), lanes, 4)
    view[..., 0], view[..., 1], view[..., 2] = rows[..., 0] & 255, rows[..., 0] >> 8, rows[..., 1]
    return out


@dataclass
class CoreState:
    """Everything a program can change, and which rows hold something written."""

    cfg: CoreConfig
    dram: np.ndarray  # uint8 [dram_bytes]
    mems: dict = field(default_factory=dict)  # name -> rows
    written: dict = field(default_factory=dict)  # name -> bool per row
    w: np.ndarray | None = None  # [2, L, L] weight buffers
    w_written: list = field(default_factory=lambda: [False, False])
    shape: tuple = (1, 1, 0)  # vshape: rows, chunks, cstride
    halted: bool = False
    counters: dict = field(default_factory=lambda: {"instructions": 0, "macs": 0,
                                                    "dma_bytes": 0})

    @classmethod
    def fresh(cls, cfg: CoreConfig, dram=None) -> CoreState:
        """A core after reset whose DRAM starts as `dram` (see dram_image; zeros beyond)."""
        cfg = check_config(cfg, CoreConfig)
        mem = np.zeros(cfg.dram_bytes, dtype=np.uint8)
        if dram is not None:
            dram = dram_image(dram)
            if dram.size > cfg.dram_bytes:
                raise ShapeError(f"dram is {dram.size} bytes; the core has {cfg.dram_bytes} "
                                 "(CoreConfig.dram_bytes)")
            mem[: dram.size] = dram
        L = cfg.lanes
        shapes = {"sram": (cfg.sram_rows, L), "acc": (cfg.acc_rows, L),
                  "param": (cfg.param_rows, 4), "scale": (cfg.scale_rows, L, 2),
                  "lut": (cfg.lut_rows, L)}
        return cls(cfg, mem, {k: np.zeros(s, np.int64) for k, s in shapes.items()},
                   {k: np.zeros(s[0], bool) for k, s in shapes.items()},
                   np.zeros((2, L, L), np.int64))


#: the rule overlap_error enforces, word for word in docs/isa.md
OVERLAP_RULE = ("no step of a vector op may read an SRAM row that an earlier step of the same op "
                "wrote")


def _walk(op: str, shape: tuple, lanes: int):
    """The vector unit's steps over a shape, in its order: (step, row read, row written) per
    element, rows as offsets from the source and the destination. A step is a chunk of a logical
    row, logical row after logical row (vtrans: an L x L block, the chunks of a block row first)."""
    rows, chunks, cstride = shape
    if op == "vtrans":
        k, c, i = np.ogrid[:rows // lanes, :chunks, :lanes]
        step = k * chunks + c
        read, wrote = k * lanes + i + c * cstride, step * lanes + i
    else:
        r, c = np.ogrid[:rows, :chunks]
        step, read = r * chunks + c, r + c * cstride
        wrote = read
    every = np.broadcast(step, read, wrote).shape
    return (np.broadcast_to(x, every).ravel() for x in (step, read, wrote))


def overlap_error(instr: isa.Instr, shape: tuple, lanes: int) -> str | None:
    """Why the vector unit would compute `instr` differently from this model, or None.

    The model reads a vector op's whole operand, then writes its result. The vector unit streams:
    it reads one step (a chunk; vtrans: an L x L block) and writes that step's result before the
    later steps are read (a softmax or LayerNorm row reads its chunks in three passes, and writes
    in the last). So a step that reads an SRAM row an earlier step wrote would see the new value:
    OVERLAP_RULE refuses it, whatever the pipeline's latency. `shape` is (rows, chunks, cstride
    resolved); the source is `src2` for vadd (its `src` is in ACC, which no vector op writes)."""
    check_type(instr, isa.Instr, "instr", "isa.make(...) or isa.decode(word)")
    lanes = check_int(lanes, "lanes", 1, 64)
    op, a = instr.op.mnemonic, instr.args
    name = "src2" if "src2" in a else "src"
    if instr.op.src_mem is None or (name == "src" and instr.op.src_mem != "sram"):
        return None
    rows, chunks, cstride = shape
    if op == "vtrans" and rows % lanes:
        return None  # op_vtrans refuses the shape
    base, dst = a[name], a["dst"]
    span = rows - 1 + (chunks - 1) * cstride  # the source rows are base .. base + span
    if dst > base + span or base > dst + (rows * chunks - 1 if op == "vtrans" else span):
        return None
    step, read, wrote = _walk(op, shape, lanes)
    rows_written, first = np.unique(dst + wrote, return_index=True)  # each row's earliest step
    at = np.searchsorted(rows_written, base + read).clip(max=len(rows_written) - 1)
    late = (rows_written[at] == base + read) & (step[first[at]] < step)
    if not late.any():
        return None
    j = int(np.flatnonzero(late)[0])
    row, before, after = base + int(read[j]), int(step[first[at[j]]]), int(step[j])

    def where(s):
        if op == "vtrans":
            k = s // chunks
            return (f"block {s} (logical rows {k * lanes}..{k * lanes + lanes - 1}, chunk "
                    f"{s % chunks})")
        return f"logical row {s // chunks}, chunk {s % chunks}"

    return (f"writes SRAM row {row} at {where(before)}, then reads it ({name}) at {where(after)}: "
            "the vector unit streams and would read its own result, the golden model the old "
            f"row; put dst clear of {name}'s rows {base}..{base + span}, or (with chunks=1) at "
            f"{name} or below it (docs/isa.md: where a vector op may write)")


class _Exec:
    """Runs one instruction on a state; each method is an opcode."""

    def __init__(self, state: CoreState, pc: int, instr: isa.Instr):
        self.s, self.pc, self.instr = state, pc, instr
        self.L = state.cfg.lanes

    def fail(self, why: str):
        raise ProgramError(f"pc {self.pc} ({self.instr}): {why}")

    def rows(self, mem: str, first: int, count: int, reading: bool):
        depth = len(self.s.mems[mem])
        if count < 1:
            self.fail("rows=0 moves nothing; give rows >= 1 or drop the instruction")
        if first + count > depth:
            self.fail(f"{mem.upper()} rows {first}..{first + count - 1} are outside the memory "
                      f"(0..{depth - 1}); move the buffer or use fewer rows (in Python, "
                      f"CoreConfig({mem}_rows=...) sets the depth)")
        if reading and not self.s.written[mem][first:first + count].all():
            bad = first + int(np.flatnonzero(~self.s.written[mem][first:first + count])[0])
            self.fail(f"reads {mem.upper()} row {bad}, which nothing has written")
        return slice(first, first + count)

    def dma(self, store: bool):
        a = self.instr.args
        mem = isa.memory(a["mem"]).name
        nbytes = isa.row_bytes(mem, self.L)
        stride = a["stride"] or nbytes
        last = a["dram"] + (a["rows"] - 1) * stride + nbytes
        if a["rows"] < 1:
            self.fail("rows=0 moves nothing; give rows >= 1 or drop the instruction")
        if last > self.s.cfg.dram_bytes:
            self.fail(f"DRAM bytes {a['dram']}..{last - 1} are outside the DRAM "
                      f"(0..{self.s.cfg.dram_bytes - 1}); change dram, rows or stride (in "
                      "Python, CoreConfig(dram_bytes=...) sets the size)")
        rows = self.rows(mem, a["row"], a["rows"], reading=store)
        idx = a["dram"] + np.arange(a["rows"])[:, None] * stride + np.arange(nbytes)
        if store:
            self.s.dram[idx] = _pack(mem, self.s.mems[mem][rows], self.L)
        else:
            self.s.mems[mem][rows] = _unpack(mem, self.s.dram[idx], self.L)
            self.s.written[mem][rows] = True
        self.s.counters["dma_bytes"] += a["rows"] * nbytes

    def op_dma_ld(self):
        self.dma(store=False)

    def op_dma_st(self):
        self.dma(store=True)

    def op_lw(self):
        a = self.instr.args
        self.s.w[a["buf"]] = self.s.mems["sram"][self.rows("sram", a["row"], self.L, True)]
        self.s.w_written[a["buf"]] = True

    def op_mm(self):
        a = self.instr.args
        if not self.s.w_written[a["buf"]]:
            self.fail(f"weight buffer {a['buf']} was never loaded (lw buf={a['buf']})")
        x = self.s.mems["sram"][self.rows("sram", a["a"], a["rows"], True)]
        out = self.rows("acc", a["acc"], a["rows"], reading=bool(a["accumulate"]))
        prod = x @ self.s.w[a["buf"]]
        acc = self.s.mems["acc"]
        acc[out] = wrap32((acc[out] if a["accumulate"] else 0) + prod)
        self.s.written["acc"][out] = True
        self.s.counters["macs"] += a["rows"] * self.L * self.L

    def op_vshape(self):
        a = self.instr.args
        if a["rows"] < 1 or a["chunks"] < 1:
            self.fail("vshape needs rows >= 1 and chunks >= 1")
        self.s.shape = (a["rows"], a["chunks"], a["cstride"] or a["rows"])

    def _addresses(self, base: int, shape=None) -> np.ndarray:
        rows, chunks, cstride = shape or self.s.shape
        return base + np.arange(rows)[:, None] + np.arange(chunks)[None, :] * cstride

    def gather(self, mem: str, base: int) -> np.ndarray:
        """The shaped logical rows at `base`: [rows, chunks * L]."""
        addr = self._addresses(base)
        self.rows(mem, int(addr.min()), int(addr.max()) - int(addr.min()) + 1, reading=False)
        if not self.s.written[mem][addr].all():
            bad = int(addr[~self.s.written[mem][addr]].flat[0])
            self.fail(f"reads {mem.upper()} row {bad}, which nothing has written")
        return self.s.mems[mem][addr].reshape(addr.shape[0], -1)

    def scatter(self, mem: str, base: int, values: np.ndarray, shape=None):
        addr = self._addresses(base, shape)
        self.rows(mem, int(addr.min()), int(addr.max()) - int(addr.min()) + 1, reading=False)
        self.s.mems[mem][addr] = values.reshape(addr.shape[0], addr.shape[1], self.L)
        self.s.written[mem][addr] = True

    def param(self, p: int) -> np.ndarray:
        self.rows("param", p, 1, reading=True)
        return self.s.mems["param"][p]

    def op_vrq(self):
        a = self.instr.args
        x = self.gather("acc", a["src"])
        if a["perchannel"]:
            chunks = self.s.shape[1]
            sc = self.s.mems["scale"][self.rows("scale", a["p"], chunks, True)].reshape(-1, 2)
            y = vector_golden.requantize(x, sc[:, 0], sc[:, 1])
        else:
            m1, s1, _, _ = self.param(a["p"])
            y = vector_golden.requantize(x, int(m1), int(s1))
        self.scatter("sram", a["dst"], y)

    def op_vadd(self):
        a = self.instr.args
        m1, s1, m2, s2 = (int(v) for v in self.param(a["p"]))
        y = vector_golden.add(self.gather("acc", a["src"]), self.gather("sram", a["src2"]),
                              m1, s1, m2, s2)
        self.scatter("sram", a["dst"], y)

    def op_vrelu(self):
        self.scatter("sram", self.instr.args["dst"],
                     vector_golden.relu(self.gather("sram", self.instr.args["src"])))

    def op_vgelu(self):
        lut = self.s.mems["lut"][self.rows("lut", 0, self.s.cfg.lut_rows, True)].ravel()
        x = self.gather("sram", self.instr.args["src"])
        self.scatter("sram", self.instr.args["dst"], lut[x + 128])

    def op_vsoftmax(self):
        a = self.instr.args
        m1, s1, _, _ = self.param(a["p"])
        self.scatter("sram", a["dst"], vector_golden.softmax(self.gather("acc", a["src"]), int(m1),
                                                      int(s1)))

    def op_vlnorm(self):
        a = self.instr.args
        y = vector_golden.layernorm(self.gather("sram", a["src"]), out_frac=a["frac"])
        self.scatter("sram", a["dst"], y)

    def op_vtrans(self):
        """The shaped matrix X (rows x chunks*L) -> X^T, stored as chunks*L rows of rows/L
        chunks, the chunks one after another (cstride = chunks*L)."""
        rows, chunks, _ = self.s.shape
        if rows % self.L:
            self.fail(f"vtrans needs a multiple of L = {self.L} rows, vshape has {rows}")
        x = self.gather("sram", self.instr.args["src"])
        n = chunks * self.L
        self.scatter("sram", self.instr.args["dst"], x.T.copy(), (n, rows // self.L, n))

    def op_vmove(self):
        self.scatter("sram", self.instr.args["dst"], self.gather("sram", self.instr.args["src"]))


def apply(state: CoreState, pc: int, instr: isa.Instr) -> None:
    """One instruction's effect on `state` (nop, sync and halt change nothing: they are about
    time). The cycle model calls this when a unit finishes an instruction."""
    check_type(state, CoreState, "state", "CoreState.fresh(cfg, dram)")
    check_int(pc, "pc", 0)
    check_type(instr, isa.Instr, "instr", "isa.make(...) or isa.decode(word)")
    _apply(state, pc, instr)


#: the method of _Exec that gives each op its meaning (nop, sync and halt have none)
_METHODS = {op.mnemonic: getattr(_Exec, "op_" + op.mnemonic.replace(".", "_"))
            for op in isa.OPS if hasattr(_Exec, "op_" + op.mnemonic.replace(".", "_"))}


def _apply(state: CoreState, pc: int, instr: isa.Instr) -> None:
    method = _METHODS.get(instr.op.mnemonic)
    if method is not None:
        ex = _Exec(state, pc, instr)
        if instr.op.src_mem is not None and (
                why := overlap_error(instr, state.shape, state.cfg.lanes)):
            ex.fail(why)
        method(ex)


def execute(program, cfg: CoreConfig, dram=None):
    """Execute `program` (64-bit words, or assembly text) on a fresh core whose DRAM starts as
    `dram` (see dram_image; zeros beyond), one instruction after another: returns an iterator of
    (pc, instr, state) after each, `halt` last. A program that ends without halt raises
    ProgramError. The arguments are checked here, before the first instruction runs."""
    state = CoreState.fresh(cfg, dram)
    return _execute(isa.program_words(program), state)


def _execute(words: list, state: CoreState):
    for pc, word in enumerate(words):
        try:
            instr = isa.decode(word)
        except isa.DecodeError as e:
            raise ProgramError(f"pc {pc}: {e}") from None
        state.counters["instructions"] += 1
        if instr.op.mnemonic == "halt":
            state.halted = True
            yield pc, instr, state
            return
        _apply(state, pc, instr)
        yield pc, instr, state
    last = isa.disassemble([words[-1]]).strip() if words else "nothing"
    raise ProgramError(f"pc {len(words)}: the program ended without halt (last instruction: "
                       f"{last}); end it with `halt`")


@dataclass
class CoreRun:
    """A finished run of a program on any backend (golden, fast, rtl, verilator): the final state
    (every memory and the DRAM), the counters (chipkit.timing.COUNTERS; the golden model, which
    has no time, only instructions, macs and dma_bytes) and, where the backend has them, the
    cycles, every issued job (the cycle model's timeline) and the simulation's wall time."""

    state: CoreState
    counters: dict
    backend: str = "golden"
    cycles: int | None = None
    timeline: list | None = None  # fast: every issued job (Job: pc, instr, issued, start, done)
    seconds: float | None = None  # RTL backends: the simulation alone, not elaboration

    @property
    def dram(self) -> np.ndarray:
        return self.state.dram

    @property
    def mems(self) -> dict:
        return self.state.mems


def run(program, cfg: CoreConfig, dram=None) -> CoreRun:
    """Execute `program` on a fresh core (see execute): the final state and the counters."""
    state = CoreState.fresh(cfg, dram)
    for _ in _execute(isa.program_words(program), state):
        pass
    return CoreRun(state, dict(state.counters))
