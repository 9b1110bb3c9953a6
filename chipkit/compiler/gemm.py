"""A GEMM as a program for the inference core: operands laid out in DRAM, K slices of A and the
weight tiles moved to SRAM, tiles streamed through the array with double-buffered weights, and C
stored back to DRAM. Operands start and end in DRAM; the DMA overlaps the array (loads ahead of
use, stores behind it), which the cycle model (chipkit.models.core_fast) measures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

import numpy as np

from chipkit import isa, timing
from chipkit.config import CoreConfig, check_config
from chipkit.errors import ConfigError, ShapeError
from chipkit.models.array_golden import check_gemm_operands
from chipkit.models.core_golden import dram_image

MAX_ROWS = (1 << 10) - 1  # the rows field of dma and mm
MAX_STRIDE = (1 << 11) - 1  # the DMA stride field, in bytes


def _align(x: int, to: int = 64) -> int:
    return -(-x // to) * to


@dataclass
class CoreGemm:
    """A compiled GEMM: the program, the DRAM image it starts from, and where C ends up."""

    m: int
    n: int
    k: int
    cfg: CoreConfig
    instructions: list  # isa.Instr
    dram: np.ndarray  # uint8, the initial DRAM image
    c_addr: int
    n_pad: int

    @property
    def words(self) -> list[int]:
        return [isa.encode(i) for i in self.instructions]

    @property
    def text(self) -> str:
        return "".join(f"{i}\n" for i in self.instructions)

    def read_c(self, dram: np.ndarray) -> np.ndarray:
        """C (M x N, int64 of int32 values) from a final DRAM image (a run's `.dram`)."""
        end = self.c_addr + self.m * self.n_pad * 4
        dram = dram_image(dram)
        if dram.size < end:
            raise ShapeError(f"dram is {dram.size} bytes; C lies at bytes {self.c_addr}.."
                             f"{end - 1}: give the final DRAM of a run of this program (run.dram)")
        raw = dram[self.c_addr:end]
        return raw.view("<i4").reshape(self.m, self.n_pad)[:, : self.n].astype(np.int64)


@dataclass(frozen=True)
class _Layout:
    """Where everything lives: DRAM addresses of A, B (packed tile by tile) and C; SRAM rows of
    the weight tiles (tile slot t at rows t * L) and of A's K slices (slice ki at
    sram_a + ki * chunk); ACC rows of C (N tile ni at ni * chunk)."""

    cfg: CoreConfig
    kf: int
    nf: int
    chunk: int
    sram_a: int
    a_addr: int
    b_addr: int
    c_addr: int
    kp: int
    np_: int



@dataclass
class _Step:
    """One tile on the array: rows r0..r0+nr of A's K slice ki through weight tile (ni, ki)."""

    ni: int
    ki: int
    r0: int
    nr: int
    sync: bool = False  # a `sync dma` may go before this step
    stores: list = field(default_factory=list)  # (ni, r0, nr) blocks of C finished by this step
    loads: list = field(default_factory=list)  # DMA loads first needed by this step


def _halving(rows: int, smallest: int) -> list[tuple[int, int]]:
    """(r0, nr) blocks of rows, each half the rest, down to `smallest`: the last store is small."""
    blocks, r0 = [], 0
    while rows - r0 >= 2 * smallest:
        nr = max(smallest, (rows - r0) // 2)
        blocks.append((r0, nr))
        r0 += nr
    if r0 < rows:
        blocks.append((r0, rows - r0))
    return blocks


def _doubling(rows: int, first: int) -> list[tuple[int, int]]:
    """(r0, nr) blocks of rows, each twice the one before, from `first`: the array starts on the
    first rows of A while the rest are still loading."""
    blocks, r0, nr = [], 0, first
    while r0 < rows:
        take = rows - r0 if rows - r0 - nr < 2 * nr else nr
        blocks.append((r0, take))
        r0, nr = r0 + take, 2 * nr
    return blocks


def _first_group(lay: _Layout, rows: int) -> int:
    """How many N tiles share each A slice at first: enough that streaming them takes longer than
    loading the next slice of A and their weight tiles (1 if no group keeps up)."""
    L = lay.cfg.lanes
    for g in range(1, lay.nf + 1):
        a_slice, tiles = (timing.dma_cycles("sram", n, lay.cfg) for n in (rows, g * L))
        if a_slice + tiles <= g * rows:
            return g
    return 1


def _steps(lay: _Layout, rows: int, last: bool) -> list[_Step]:
    """The chunk's tiles in order: a first group of N tiles sharing each A slice (K outer), then
    one N tile at a time (K inner) so each finished N tile is stored while the next computes;
    the very last group in halving blocks of rows, so that little is left to store at the end.
    `sync` marks where a `sync dma` may go: each K slice of the first group, each later group."""
    kf, nf = lay.kf, lay.nf
    g0 = _first_group(lay, rows)
    groups = [list(range(g0))] + [[ni] for ni in range(g0, nf)]
    steps = []
    for gi, group in enumerate(groups):
        tail = last and gi == len(groups) - 1
        blocks = _halving(rows, 3 * lay.cfg.lanes) if tail else [(0, rows)]
        for bi, (r0, nr) in enumerate(blocks):
            for ki in range(kf):
                mark = bi == 0 and (gi == 0 or ki == 0)
                first = gi == 0 and ki == 0 and not tail
                for p0, pn in _doubling(nr, 2 * lay.cfg.lanes) if first else [(r0, nr)]:
                    steps += [_Step(ni, ki, p0, pn, sync=mark and j == 0)
                              for j, ni in enumerate(group)]
            steps[-1].stores = [(ni, r0, nr) for ni in group]
    return steps


def _tile_order(lay: _Layout, rows: int, last: bool) -> list[tuple[int, int]]:
    """The weight tiles (ni, ki) in the order the first chunk uses them: their order in SRAM and
    in DRAM (B is packed tile by tile), so that tiles loaded together are one DMA."""
    out = {}
    for st in _steps(lay, rows, last):
        out.setdefault((st.ni, st.ki), len(out))
    return list(out)


def _merged(loads: list[dict]) -> list[dict]:
    """Loads that continue each other in SRAM and in DRAM become one DMA."""
    out = []
    for d in sorted(loads, key=lambda d: d["row"]):
        p = out[-1] if out else None
        if (p and p["stride"] == d["stride"] and p["row"] + p["rows"] == d["row"]
                and p["dram"] + p["rows"] * p["stride"] == d["dram"]
                and p["rows"] + d["rows"] <= MAX_ROWS):
            p["rows"] += d["rows"]
        else:
            out.append(dict(d))
    return out


def _schedule_chunk(lay: _Layout, m0: int, rows: int, first: bool, last: bool,
                    slot: dict) -> list:
    """The program for rows m0..m0+rows of A and C (see compile_gemm)."""
    L, make = lay.cfg.lanes, isa.make
    steps = _steps(lay, rows, last)
    seen, have = set(), [0] * lay.kf  # weight tiles loaded; rows of each A slice loaded
    for st in steps:  # what each step needs loaded first: rows of its A slice, its weight tile
        if have[st.ki] < st.r0 + st.nr:
            st.loads.append(("a", st.ki, have[st.ki], st.r0 + st.nr - have[st.ki]))
            have[st.ki] = st.r0 + st.nr
        if first and (st.ni, st.ki) not in seen:
            seen.add((st.ni, st.ki))
            st.loads.append(("b", st.ni, st.ki))

    def load(key) -> dict:
        if key[0] == "a":
            _, ki, r0, nr = key
            return dict(row=lay.sram_a + ki * lay.chunk + r0,
                        dram=lay.a_addr + (m0 + r0) * lay.kp + ki * L, rows=nr, stride=lay.kp)
        t = slot[key[1:]]
        return dict(row=t * L, dram=lay.b_addr + t * L * L, rows=L, stride=L)

    # spans of steps between places where a `sync dma` may go; the loads of a span must be
    # issued before the sync that opens it, and are issued right after an earlier sync: the next
    # span's loads always, later spans' too while they fit in the time this span streams
    marks = [s for s, st in enumerate(steps) if st.sync] + [len(steps)]
    spans = [(a, b, [k for st in steps[a:b] for k in st.loads]) for a, b in zip(marks, marks[1:])]
    opens = {a: i for i, (a, _, _) in enumerate(spans)}
    issued, synced = [False] * len(spans), [False] * len(spans)
    prog = []

    def cost(keys):  # DMA cycles of these loads, merged
        return sum(timing.dma_cycles("sram", d["rows"], lay.cfg)
                   for d in _merged([load(k) for k in keys]))

    def issue(i: int):
        """After the sync that opens span i: the loads of the next spans that need them."""
        todo = [j for j in range(i + 1, len(spans)) if spans[j][2] and not issued[j]]
        if not todo:
            return
        end = spans[todo[0]][0]  # the next sync: these steps stream meanwhile
        budget = sum(st.nr for st in steps[spans[i][0]:end]) - L - 4 - sum(
            timing.dma_cycles("acc", nr, lay.cfg) for st in steps[max(spans[i][0] - 1, 0):end - 1]
            for _, _, nr in st.stores)
        keys = []
        for n, j in enumerate(todo):
            if n and cost(keys + spans[j][2]) > budget:
                break
            keys += spans[j][2]
            issued[j] = True
        for d in _merged([load(k) for k in keys]):
            prog.append(make("dma.ld", mem="sram", **d))

    def store(blocks):
        for ni, r0, nr in blocks:
            prog.append(make("dma.st", mem="acc", row=ni * lay.chunk + r0,
                             dram=lay.c_addr + ((m0 + r0) * lay.np_ + ni * L) * 4, rows=nr,
                             stride=4 * lay.np_))

    if spans and spans[0][2]:
        issued[0] = True
        for d in _merged([load(k) for k in spans[0][2]]):
            prog.append(make("dma.ld", mem="sram", **d))
    pending = []
    for s, st in enumerate(steps):
        i = opens.get(s)
        sync = i is not None and spans[i][2] and not synced[i]
        if sync:
            prog.append(make("sync", units=isa.UNITS["dma"]))
            synced = issued[:]
            issue(i)  # the next loads land while this span streams
        prog.append(make("lw", row=slot[st.ni, st.ki] * L, buf=s % 2))
        if pending:  # the C blocks finished by the previous step go out while this one streams
            prog.append(make("sync", units=isa.UNITS["mm"]))
            store(pending)
        prog.append(make("mm", a=lay.sram_a + st.ki * lay.chunk + st.r0, rows=st.nr,
                         acc=st.ni * lay.chunk + st.r0, buf=s % 2, accumulate=int(st.ki > 0)))
        pending = st.stores
    prog.append(make("sync", units=isa.UNITS["mm"]))
    store(pending)
    return prog


def compile_gemm(a, b, cfg: CoreConfig) -> CoreGemm:
    """The program that computes A (M x K) @ B (K x N) on the core `cfg`.

    DRAM: A (M x Kp int8, rows padded to whole L-lane slices), then B packed tile by tile in the
    order the array uses the tiles, then C (M x Np int32). SRAM: every weight tile (L rows each,
    each loaded once), then the K slices of one chunk of A's rows. ACC: one slice of the chunk's
    C per N tile. The DMA runs ahead of the array: a `sync dma` before each span of tiles that
    needs new data, and the next span's loads issued right after it, so they land while this
    span streams (the first N tiles share each A slice, K outer, so that loading A keeps up).
    Each finished N tile is stored (after a `sync mm`) while the next one streams; the last one
    goes in halving blocks of rows, so little is left to store once the array stops. Weights
    alternate between the two buffers: the next tile's `lw` runs while the current tile streams.
    """
    a, b = check_gemm_operands(a, b)
    cfg = check_config(cfg, CoreConfig)
    (m, k), n = a.shape, b.shape[1]
    L = cfg.lanes
    kf, nf = ceil(k / L), ceil(n / L)
    kp, np_ = kf * L, nf * L
    if kp > MAX_STRIDE or 4 * np_ > MAX_STRIDE:
        raise ConfigError(f"K = {k} or N = {n} is too large for the DMA stride field "
                          f"({MAX_STRIDE} bytes): K <= {MAX_STRIDE // L * L}, N <= "
                          f"{MAX_STRIDE // 4 // L * L} on this core; use a smaller K or N (split "
                          "the GEMM)")
    w_rows = kf * nf * L
    chunk = min(MAX_ROWS, m, (cfg.sram_rows - w_rows) // kf if cfg.sram_rows > w_rows else 0,
                cfg.acc_rows // nf)
    if chunk < 1:
        wider = (f", more lanes (the command line's --array {2 * L}x{2 * L}; CoreConfig(lanes="
                 f"{2 * L}) in Python)" if L < 64 else "")
        raise ConfigError(
            f"this GEMM needs {w_rows + kf} SRAM rows (B's weight tiles, about K x N / L = "
            f"{w_rows}, and a row of A per K slice) and {nf} ACC rows; the core has "
            f"{cfg.sram_rows} and {cfg.acc_rows}. Use a smaller K or N (split the GEMM){wider}, "
            "or in Python a deeper CoreConfig(sram_rows=..., acc_rows=...)")
    a_addr, b_addr = 0, _align(m * kp)
    c_addr = b_addr + _align(kp * np_)
    size = c_addr + m * np_ * 4
    if size > cfg.dram_bytes:
        raise ConfigError(f"A, B and C need {size} bytes of DRAM; the core has {cfg.dram_bytes}: "
                          "use a smaller M, N or K (split the GEMM), or in Python a larger "
                          "CoreConfig(dram_bytes=...)")
    dram = np.zeros(size, dtype=np.uint8)
    ap = np.zeros((m, kp), np.int64)
    ap[:, :k] = a
    bp = np.zeros((kp, np_), np.int64)
    bp[:k, :n] = b
    dram[a_addr:a_addr + m * kp] = ap.astype(np.int8).view(np.uint8).ravel()
    lay = _Layout(cfg, kf, nf, chunk, w_rows, a_addr, b_addr, c_addr, kp, np_)
    slot = {t: i for i, t in enumerate(_tile_order(lay, min(chunk, m), last=chunk >= m))}
    packed = np.zeros((kf * nf, L, L), np.int64)  # B tile by tile, in the order of use
    for (ni, ki), i in slot.items():
        packed[i] = bp[ki * L:(ki + 1) * L, ni * L:(ni + 1) * L]
    dram[b_addr:b_addr + kp * np_] = packed.astype(np.int8).view(np.uint8).ravel()
    prog = []
    for m0 in range(0, m, chunk):
        prog += _schedule_chunk(lay, m0, min(chunk, m - m0), first=m0 == 0,
                                last=m0 + chunk >= m, slot=slot)
    prog.append(isa.make("halt"))
    return CoreGemm(m, n, k, cfg, prog, dram, c_addr, np_)
