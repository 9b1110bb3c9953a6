"""Random valid programs for the inference core (hypothesis), shared by the model and RTL tests.

`random_programs()` draws `(cfg, program_text, dram)`: a small CoreConfig (L = 2, 4 or 8, random
DMA bandwidth and latency), a DRAM image of random but valid data (int8 activations, int32
accumulators, PARAM entries with multipliers < 2^16 and sane shifts, SCALE rows, a LUT) and a
program that only reads rows written before, stays in range, is race-free by construction and
ends in `halt`.

Race rule (conservative): every unit keeps the set of rows its instructions read and wrote since
the unit was last synced. Before an instruction of unit U that writes a row another unit V has
touched, or reads a row V has written, the generator emits `sync units=<V's bit>` (all such V in
one mask). Two instructions of one unit never race (the DMA queue runs in order, the array
pipelines its mm's, lw and the vector unit take one instruction at a time). Such syncs carry the
comment `# needed: waits for pc P`, P the newest conflicting instruction of V, so a test can remove
one and expect a race. Random extra syncs and nops are mixed in as well.

DMA loads come only from the source regions of DRAM and stores go only to the OUT region, so
whatever is loaded is always valid data for its memory. The DRAM data comes from one drawn seed,
so shrinking leaves a short program (a list of actions: a load, an mm, a vector op with the loads
and syncs it needs, ...) over seed 0.

A vector op's destination is clear of its SRAM source, exactly on it, or a few rows off it; the
overlap rule of docs/isa.md (no step of a vector op reads an SRAM row an earlier step of it wrote)
is walked here step by step (`reads_own_result`, apart from the models' `overlap_error`). Such
lines end `# overlap: in place` or `# overlap: legal`; with `refused_overlap=True` one op may
break the rule: its line ends `# overlap: refused` and the program stops there (then `halt`).
`overlap_sweep(cfg)` is the other way in: every placement of a small grid of shapes, batched.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from chipkit import isa
from chipkit.config import CoreConfig
from chipkit.isa import row_bytes
from chipkit.models.core_golden import pack_rows

MEMS = ("sram", "acc", "param", "scale", "lut")
ACTIONS = ("dma.ld", "mm", "lw", "gemm", "dma.st", "dma.burst", "vrq", "vadd", "vrelu", "vgelu",
           "vsoftmax", "vlnorm", "vtrans", "vmove", "vshape", "nop", "sync")
#: vector ops that read int32 ACC rows (the others read int8 SRAM rows)
FROM_ACC = tuple(op for op in isa.VECTOR_OPS if isa.BY_NAME[op].src_mem == "acc")


def reads_own_result(op: str, shape: tuple, dst: int, base: int | None, lanes: int) -> bool:
    """The overlap rule of docs/isa.md, walked step by step: True if a step of vector op `op` at
    `shape` (rows, chunks, cstride resolved) reads an SRAM row that an earlier step wrote. `base`
    is its SRAM source (src; vadd's src2), None if it reads none (vrq, vsoftmax read ACC). A step
    is a chunk, logical row after logical row; vtrans's is an L x L block, each block's rows read
    before its transpose is written to dst + (k * chunks + c) * L .. for block (k, c)."""
    if base is None:
        return False
    rows, chunks, cs = shape
    L = lanes
    if op == "vtrans":
        steps = [([base + k * L + i + c * cs for i in range(L)],
                  [dst + (k * chunks + c) * L + i for i in range(L)])
                 for k in range(rows // L) for c in range(chunks)]
    else:
        steps = [([base + r + c * cs], [dst + r + c * cs])
                 for r in range(rows) for c in range(chunks)]
    written: set = set()
    for reads, writes in steps:
        if written.intersection(reads):
            return True
        written.update(writes)
    return False


def _layout(cfg: CoreConfig) -> dict:
    """DRAM byte address of each source region (two rows of data per memory row, for strided
    loads) and of the OUT region that stores write to."""
    depth = {"sram": cfg.sram_rows, "acc": cfg.acc_rows, "param": cfg.param_rows,
             "scale": cfg.scale_rows, "lut": cfg.lut_rows}
    base, addr = {}, 0
    for mem in MEMS:
        base[mem] = addr
        addr += 2 * depth[mem] * row_bytes(mem, cfg.lanes)
    base["out"] = addr
    out = max(depth[m] * row_bytes(m, cfg.lanes) for m in MEMS)
    return {"base": base, "depth": depth, "out_bytes": out, "total": addr + out}


def _dram(cfg: CoreConfig, lay: dict, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    L, img = cfg.lanes, np.zeros(lay["total"], np.uint8)
    for mem in MEMS:
        n = 2 * lay["depth"][mem]
        if mem in ("sram", "lut"):
            rows = rng.integers(-128, 128, (n, L))
        elif mem == "acc":  # full int32 range, with some small values so requantize says more
            rows = np.where(rng.random((n, L)) < 0.5, rng.integers(-2**31, 2**31, (n, L)),
                            rng.integers(-3000, 3000, (n, L)))
        elif mem == "param":  # (m1, s1, m2, s2): multipliers < 2^16, shifts 0..31
            rows = np.stack([rng.integers(0, 1 << 16, n), rng.integers(0, 32, n),
                             rng.integers(0, 1 << 16, n), rng.integers(0, 32, n)], axis=-1)
        else:
            rows = np.stack([rng.integers(0, 1 << 16, (n, L)), rng.integers(0, 32, (n, L))],
                            axis=-1)
        raw = pack_rows(mem, rows, L).reshape(-1)
        img[lay["base"][mem]: lay["base"][mem] + raw.size] = raw
    img[lay["base"]["out"]:] = rng.integers(0, 256, lay["out_bytes"])
    return img


class _Gen:
    """The program so far and what the generator knows about the machine (like the golden model:
    which rows are written, which weight buffers are loaded, the vector shape)."""

    def __init__(self, draw, cfg: CoreConfig, lay: dict, refused_overlap: bool = False):
        self.draw, self.cfg, self.lay, self.L = draw, cfg, lay, cfg.lanes
        self.refused_overlap = refused_overlap  # may emit one op that breaks the overlap rule
        self.stopped = False  # it did: nothing follows it
        self.lines: list[str] = []  # assembly, one instruction a line
        self.written = {m: np.zeros(lay["depth"][m], bool) for m in MEMS}
        self.w_loaded = [False, False]
        self.shape = (1, 1, 1)  # rows, chunks, cstride (resolved)
        # per unit, since its last sync: rows read, rows written, pc of the newest toucher
        self.pending = {u: (set(), set(), {}) for u in isa.UNITS}

    def emit(self, instr: isa.Instr, reads=frozenset(), writes=frozenset(), comment=""):
        unit = instr.op.unit
        if unit in isa.UNITS:
            mask, why = 0, -1
            for other, (r, w, who) in self.pending.items():
                if other == unit:
                    continue
                clash = (set(reads) & w) | (set(writes) & (r | w))
                if clash:
                    mask |= isa.UNITS[other]
                    why = max(why, max(who[x] for x in clash))
            if mask:
                self.sync(mask, f"  # needed: waits for pc {why}")
            r, w, who = self.pending[unit]
            r |= set(reads)
            w |= set(writes)
            for x in (*reads, *writes):
                who[x] = len(self.lines)
        self.lines.append(str(instr) + comment)
        for mem, row in writes:
            self.written[mem][row] = True

    def sync(self, mask: int, comment: str = ""):
        self.lines.append(f"sync units={mask}{comment}")
        for u, bit in isa.UNITS.items():
            if mask & bit:
                self.pending[u] = (set(), set(), {})

    # --- helpers ------------------------------------------------------------------------------
    def ints(self, lo, hi):
        return self.draw(st.integers(lo, hi))

    def load(self, mem: str, first: int, count: int):
        """dma.ld of `count` rows of `mem` from its source region (maybe strided)."""
        nb = row_bytes(mem, self.L)
        depth = self.lay["depth"][mem]
        k = self.ints(0, depth - count)
        stride = self.draw(st.sampled_from([0, 2 * nb]))
        rows = {(mem, r) for r in range(first, first + count)}
        self.emit(isa.make("dma.ld", mem=mem, row=first, dram=self.lay["base"][mem] + k * nb,
                           rows=count, stride=stride), writes=rows)

    def ensure(self, mem: str, rows):
        """Load the span of `rows` of `mem` that is not written yet (so a read is legal)."""
        missing = [r for r in rows if not self.written[mem][r]]
        if missing:
            self.load(mem, min(missing), max(missing) - min(missing) + 1)

    def shaped(self, mem, base, shape=None):
        rows, chunks, cs = shape or self.shape
        return [(mem, base + i + j * cs) for i in range(rows) for j in range(chunks)]

    def span(self):
        rows, chunks, cs = self.shape
        return rows + (chunks - 1) * cs  # rows from the base to past the last shaped row

    def pick_base(self, mem):
        return self.ints(0, self.lay["depth"][mem] - self.span())

    def pick_dst(self, op: str, base: int | None, reads, dshape):
        """An SRAM destination of shape `dshape` for `op` reading SRAM from `base` (None: it reads
        ACC): anywhere, on `base`, or a few rows below or above it. Returns (dst, comment), or
        None to skip the op: a draw that breaks the overlap rule unless one may be refused."""
        rows, chunks, cs = dshape
        span = rows + (chunks - 1) * cs  # rows from dst to past its last row
        where = self.draw(st.sampled_from(["anywhere", "same", "below", "above"]))
        if where == "anywhere" or base is None:
            dst = self.ints(0, self.cfg.sram_rows - span)
        else:
            dst = base + {"same": 0, "below": -self.ints(1, span),
                          "above": self.ints(1, self.span())}[where]
        if not 0 <= dst <= self.cfg.sram_rows - span:
            return None
        mine = {dst + i + j * cs for i in range(rows) for j in range(chunks)}
        if not mine & {r for m, r in reads if m == "sram"}:
            return dst, ""
        if not reads_own_result(op, self.shape, dst, base, self.L):
            return dst, "  # overlap: " + ("in place" if dst == base else "legal")
        if self.refused_overlap:
            self.stopped = True
            return dst, "  # overlap: refused"
        return None

    # --- actions ------------------------------------------------------------------------------
    def act(self, kind: str):
        L = self.L
        if self.stopped:
            return
        if kind == "dma.ld":
            mem = self.draw(st.sampled_from(MEMS))
            depth = self.lay["depth"][mem]
            count = self.ints(1, min(depth, 12))
            self.load(mem, self.ints(0, depth - count), count)
        elif kind == "dma.burst":  # more transfers than the DMA queue holds
            for _ in range(self.ints(4, 6)):
                self.act(self.draw(st.sampled_from(["dma.ld", "dma.st"])))
        elif kind == "dma.st":
            mem = self.draw(st.sampled_from(MEMS))
            nb, depth = row_bytes(mem, L), self.lay["depth"][mem]
            count = self.ints(1, min(depth, 12))
            first = self.ints(0, depth - count)
            rows = range(first, first + count)
            self.ensure(mem, rows)
            dram = self.lay["base"]["out"] + self.ints(0, self.lay["out_bytes"] - count * nb)
            self.emit(isa.make("dma.st", mem=mem, row=first, dram=dram, rows=count),
                      reads={(mem, r) for r in rows})
        elif kind == "lw":
            row, buf = self.ints(0, self.cfg.sram_rows - L), self.ints(0, 1)
            self.ensure("sram", range(row, row + L))
            self.emit(isa.make("lw", row=row, buf=buf),
                      reads={("sram", r) for r in range(row, row + L)})
            self.w_loaded[buf] = True
        elif kind == "mm":
            buf = self.ints(0, 1)
            if not self.w_loaded[buf]:
                self.act("lw")
                buf = 0 if self.w_loaded[0] else 1
            rows = self.ints(1, 8)
            x, acc = self.ints(0, self.cfg.sram_rows - rows), self.ints(0, self.cfg.acc_rows - rows)
            accumulate = self.ints(0, 1)
            self.ensure("sram", range(x, x + rows))
            if accumulate:
                self.ensure("acc", range(acc, acc + rows))
            reads = {("sram", r) for r in range(x, x + rows)}
            out = {("acc", r) for r in range(acc, acc + rows)}
            self.emit(isa.make("mm", a=x, rows=rows, acc=acc, buf=buf, accumulate=accumulate),
                      reads=reads | (out if accumulate else set()), writes=out)
        elif kind == "gemm":  # K tiles back to back, double-buffered: lw, mm, lw, mm, ...
            tiles, rows = self.ints(2, 4), self.ints(1, 8)
            w = self.ints(0, self.cfg.sram_rows - tiles * L)
            x = self.ints(0, self.cfg.sram_rows - rows)
            acc = self.ints(0, self.cfg.acc_rows - rows)
            self.ensure("sram", sorted({*range(w, w + tiles * L), *range(x, x + rows)}))
            out = {("acc", r) for r in range(acc, acc + rows)}
            a_rows = {("sram", r) for r in range(x, x + rows)}
            for t in range(tiles):
                tile = range(w + t * L, w + (t + 1) * L)
                self.emit(isa.make("lw", row=tile[0], buf=t % 2),
                          reads={("sram", r) for r in tile})
                self.w_loaded[t % 2] = True
                self.emit(isa.make("mm", a=x, rows=rows, acc=acc, buf=t % 2, accumulate=int(t > 0)),
                          reads=a_rows | (out if t else set()), writes=out)
        elif kind == "vshape":
            rows = self.draw(st.sampled_from([L, 1, 2, 3, 2 * L, 5]))
            chunks = self.ints(1, 3)
            cstride = self.draw(st.sampled_from([0, rows, rows + 1, rows + 3]))
            if chunks == 1:
                cstride = 0
            self.emit(isa.make("vshape", rows=rows, chunks=chunks, cstride=cstride))
            self.shape = (rows, chunks, cstride or rows)
        elif kind == "nop":
            self.lines.append("nop")
        elif kind == "sync":
            self.sync(self.ints(0, 15))
        else:
            self.vector(kind)

    def vector(self, op: str):
        rows, chunks, _ = self.shape
        if op == "vtrans" and rows % self.L:  # vtrans needs a multiple of L rows: reshape
            rows = self.draw(st.sampled_from([self.L, 2 * self.L]))
            self.emit(isa.make("vshape", rows=rows, chunks=chunks))
            self.shape = (rows, chunks, rows)
        src_mem = "acc" if op in FROM_ACC else "sram"
        if self.span() > min(self.lay["depth"][src_mem], self.cfg.sram_rows // 2):
            return
        src = self.pick_base(src_mem)
        reads = self.shaped(src_mem, src)
        args = {}
        if op == "vadd":
            src2 = self.pick_base("sram")
            reads += self.shaped("sram", src2)
            args["src2"] = src2
        if {"param", "scale"} & set(isa.BY_NAME[op].reads):
            per = op == "vrq" and self.draw(st.booleans())
            if per:
                if chunks > self.cfg.scale_rows:
                    return
                args["p"], args["perchannel"] = self.ints(0, self.cfg.scale_rows - chunks), 1
                params = [("scale", args["p"] + c) for c in range(chunks)]
            else:
                args["p"] = self.ints(0, self.cfg.param_rows - 1)
                params = [("param", args["p"])]
        else:
            params = []
        if op == "vgelu":
            params = [("lut", r) for r in range(self.cfg.lut_rows)]
        if op == "vlnorm":
            args["frac"] = self.ints(0, 8)
        base = args.get("src2", src if src_mem == "sram" else None)
        n = chunks * self.L
        dshape = (n, rows // self.L, n) if op == "vtrans" else self.shape
        picked = self.pick_dst(op, base, reads, dshape)
        if picked is None:
            return
        dst, comment = picked
        writes = self.shaped("sram", dst, dshape)
        for mem in ("sram", "acc", "param", "scale", "lut"):
            self.ensure(mem, sorted({r for m, r in reads + params if m == mem}))
        self.emit(isa.make(op, dst=dst, src=src, **args), reads=set(reads + params),
                  writes=set(writes), comment=comment)


def program_config(draw) -> CoreConfig:
    return CoreConfig(lanes=draw(st.sampled_from([2, 4, 8])), sram_rows=64, acc_rows=32,
                      param_rows=4, scale_rows=4, dram_bytes=1 << 14,
                      dma_bytes_per_cycle=draw(st.integers(1, 16)),
                      dram_latency=draw(st.integers(1, 20)))


@st.composite
def random_programs(draw, cfg: CoreConfig | None = None, max_actions: int = 30,
                    actions=ACTIONS, refused_overlap: bool = False):
    """(cfg, program text, DRAM image as uint8) of a random valid, race-free program made of
    `actions` (a subset of ACTIONS); with `refused_overlap`, it may end in a vector op that breaks
    the overlap rule (its line ends `# overlap: refused`), which both models must refuse."""
    if cfg is None:
        cfg = program_config(draw)
    lay = _layout(cfg)
    if lay["total"] > cfg.dram_bytes:
        raise ValueError(f"random_programs needs {lay['total']} bytes of DRAM, "
                         f"{cfg} has {cfg.dram_bytes}")
    dram = _dram(cfg, lay, draw(st.integers(0, 2**32 - 1)))
    gen = _Gen(draw, cfg, lay, refused_overlap)
    for kind in draw(st.lists(st.sampled_from(actions), min_size=1, max_size=max_actions)):
        gen.act(kind)
    gen.lines.append("halt")
    return cfg, "\n".join(gen.lines) + "\n", dram


#: the vector ops that read SRAM (vadd: its residual src2), the ones an overlap can concern
SWEEP_OPS = ("vmove", "vrelu", "vgelu", "vlnorm", "vadd", "vtrans")


def overlap_cases(cfg: CoreConfig, ops=SWEEP_OPS):
    """Every placement of a small grid: (op, rows, chunks, cstride, base, dst) for rows 1, 2, 3,
    5 (vtrans: L, 2L), chunks 1..3, cstride 1, 2, rows, rows + 1 (chunks > 1), and every dst
    from just below to just above the SRAM source at `base` (src; vadd's src2), in range."""
    L = cfg.lanes
    for op in ops:
        for rows in ((L, 2 * L) if op == "vtrans" else (1, 2, 3, 5)):
            for chunks in (1, 2, 3):
                for cs in (sorted({1, 2, rows, rows + 1}) if chunks > 1 else [rows]):
                    span = rows + (chunks - 1) * cs
                    dspan = rows * chunks if op == "vtrans" else span
                    base = dspan + 1
                    if base + span > cfg.sram_rows or (op == "vadd" and span > cfg.acc_rows):
                        continue
                    for dst in range(0, min(base + span + 1, cfg.sram_rows - dspan) + 1):
                        yield op, rows, chunks, cs, base, dst


def _loads(lay: dict) -> list[str]:
    return [f"dma.ld mem={m}, row=0, dram={lay['base'][m]}, rows={lay['depth'][m]}"
            for m in ("sram", "acc", "param", "lut")] + ["sync units=1"]


def one_vector_op(cfg: CoreConfig, lines: str, seed: int = 0):
    """(text, dram): SRAM, ACC, PARAM and the LUT loaded with random valid data, then `lines`
    (assembly: a vshape and a vector op, say), then halt."""
    lay = _layout(cfg)
    return "\n".join(_loads(lay) + [lines.strip(), "halt"]) + "\n", _dram(cfg, lay, seed)


def overlap_sweep(cfg: CoreConfig, legal: bool = True, seed: int = 0):
    """overlap_cases(cfg) that keep (legal) or break (not legal) the overlap rule, as programs
    [(text, dram)]: each case reloads SRAM, runs, syncs and stores the rows it wrote to a DRAM
    slot of its own, so one program holds as many cases as the DRAM has slots (and at most 500:
    3,500 instructions, within the Verilator build's 4,096)."""
    lay, L = _layout(cfg), cfg.lanes
    dram, head = _dram(cfg, lay, seed), _loads(lay)
    programs, lines, at = [], list(head), lay["total"]
    for op, rows, chunks, cs, base, dst in overlap_cases(cfg):
        if reads_own_result(op, (rows, chunks, cs), dst, base, L) == legal:
            continue
        n = chunks * L
        dshape = (n, rows // L, n) if op == "vtrans" else (rows, chunks, cs)
        first, count = dst, dshape[0] + (dshape[1] - 1) * dshape[2]
        args = {"vadd": dict(src=0, src2=base, p=0), "vlnorm": dict(src=base, frac=5)}.get(
            op, dict(src=base))
        if at + count * L > cfg.dram_bytes or len(lines) > 7 * 500:
            programs.append("\n".join(lines + ["halt"]) + "\n")
            lines, at = list(head), lay["total"]
        lines += [f"dma.ld mem=sram, row=0, dram={lay['base']['sram']}, rows={cfg.sram_rows}",
                  "sync units=1", f"vshape rows={rows}, chunks={chunks}, cstride={cs}",
                  str(isa.make(op, dst=dst, **args)), "sync units=8",
                  f"dma.st mem=sram, row={first}, dram={at}, rows={count}", "sync units=1"]
        at += count * L
    programs.append("\n".join(lines + ["halt"]) + "\n")
    return [(text, dram) for text in programs]
