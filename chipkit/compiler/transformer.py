"""The quantized tiny transformer (chipkit.nn.quantize.QuantModel) as one program for the core:
one pass over T tokens, bit for bit chipkit.nn.integer.forward.

Layout. An activation [T, n] lives chunk-major: chunk c (columns cL..cL+L-1) of token t in row
base + c*T + t, in SRAM (int8) or ACC (int32). A head is then a range of chunks, so splitting and
concatenating heads costs nothing; every vector op runs with vshape rows=T, chunks=n/L, cstride=T.
A linear layer x W + b: W's L x L tiles in one of two weight regions of SRAM (the next layer's
tiles load into the other while this one computes), b replicated over the T rows of its output in
ACC, and every tile's `mm` accumulates onto it. The causal mask is data: an int32 image of -2^30
above the diagonal that each head's scores accumulate onto. K^T comes from `vtrans`; V is a
weight operand as it is. The host writes the tokens as one-hot rows [token | position] and reads
the int32 logits back.

`compile_model(qm, cfg, t)` returns a `CompiledModel`: the program (with a listing that says
which model op each instruction implements), its DRAM image, where the input and the logits go,
and the memory map. What the core cannot run is a ConfigError naming the op, the shape and the
limit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chipkit import isa
from chipkit.compiler.program import Program, Region
from chipkit.config import CoreConfig
from chipkit.errors import ConfigError
from chipkit.models.core_golden import dram_image, pack_rows, unpack_rows
from chipkit.nn.integer import causal_mask, one_hot
from chipkit.nn.quantize import Linear, QuantModel, Requant

#: the instruction memory of the RTL core (its pc has 12 bits)
MAX_INSTRUCTIONS = 4096


@dataclass
class CompiledModel:
    """One pass of the model as a core program."""

    cfg: CoreConfig
    t: int
    program: Program
    input_addr: int  # the one-hot rows of the tokens (SRAM rows, chunk-major)
    logits_addr: int  # the int32 logits (ACC rows, chunk-major)
    vocab_cols: int

    @property
    def instructions(self) -> list:
        return self.program.instructions

    @property
    def words(self) -> list[int]:
        return self.program.words

    def listing(self) -> str:
        return self.program.listing()

    def dram(self, tokens) -> np.ndarray:
        """The DRAM image of one pass over `tokens` (T ints): the program's image with the
        tokens' one-hot rows written in."""
        image = self.program.dram.copy()
        rows = _chunk_major(one_hot(np.asarray(tokens)[None, :])[0], self.cfg.lanes)
        packed = pack_rows("sram", rows, self.cfg.lanes).ravel()
        image[self.input_addr:self.input_addr + packed.size] = packed
        return image

    def read_logits(self, dram) -> np.ndarray:
        """The int32 logits [T, vocab columns] from a final DRAM image."""
        lanes, t = self.cfg.lanes, self.t
        chunks = self.vocab_cols // lanes
        nbytes = chunks * t * isa.row_bytes("acc", lanes)
        raw = dram_image(dram)[self.logits_addr:self.logits_addr + nbytes]
        rows = unpack_rows("acc", raw.reshape(chunks * t, -1), lanes)
        return rows.reshape(chunks, t, lanes).transpose(1, 0, 2).reshape(t, chunks * lanes)


def _chunk_major(x, lanes: int) -> np.ndarray:
    """[T, n] -> memory rows [n/L * T, L]: chunk c of row t at c*T + t."""
    t, n = x.shape
    return np.asarray(x).reshape(t, n // lanes, lanes).transpose(1, 0, 2).reshape(-1, lanes)


def _halves(region: Region, t: int, chunks: int) -> tuple[Region, Region]:
    """The first and second half of a chunk-major region's columns."""
    rows = chunks // 2 * t
    return (Region(region.mem, region.name + " (1st half)", region.start, rows),
            Region(region.mem, region.name + " (2nd half)", region.start + rows, rows))


def _tiles(w, lanes: int) -> np.ndarray:
    """W [K, N] -> SRAM rows of its L x L tiles, tile (c, n) at rows (n * K/L + c) * L."""
    k, n = w.shape
    return (np.asarray(w).reshape(k // lanes, lanes, n // lanes, lanes)
            .transpose(2, 0, 1, 3).reshape(-1, lanes))


class _Lowering:
    def __init__(self, qm: QuantModel, cfg: CoreConfig, t: int):
        self.qm, self.cfg, self.t, self.L = qm, cfg, t, cfg.lanes
        self.p = Program(cfg)
        self.shape = None
        self.params: list = []  # PARAM entries (m1, s1, m2, s2)
        self.scale_next = 0
        self.scale_row: dict = {}  # id(Requant) -> its first SCALE row
        self.buf = 1  # the weight buffer of the last lw; tiles alternate between the two

    # -- helpers
    def emit(self, *args, **kw):
        self.p.emit(*args, **kw)

    def vshape(self, chunks: int):
        if self.shape != chunks:
            self.emit("vshape", f"shape: {self.t} rows x {chunks} chunks", rows=self.t,
                      chunks=chunks, cstride=self.t)
            self.shape = chunks

    def param(self, m1, s1, m2=0, s2=0) -> int:
        self.params.append((int(m1), int(s1), int(m2), int(s2)))
        if len(self.params) > self.cfg.param_rows:
            raise ConfigError(f"the model needs more than {self.cfg.param_rows} PARAM entries "
                              "(the core's param_rows)")
        return len(self.params) - 1

    def act(self, mem: str, name: str, cols: int) -> Region:
        return self.p.alloc(mem, name, cols // self.L * self.t)

    # -- the ops
    def requant(self, dst: Region, src: Region, r: Requant, cols: int, what: str):
        """vrq: per channel (SCALE rows, loaded just before) or per tensor (a PARAM entry)."""
        self.vshape(cols // self.L)
        if np.ndim(r.multiplier) == 0:
            p = self.param(r.multiplier, r.shift)
            self.emit("vrq", f"{what}: requantize", dst=dst.start, src=src.start, p=p)
            return
        self.emit("vrq", f"{what}: requantize per channel", dst=dst.start, src=src.start,
                  p=self.scale_row[id(r)], perchannel=1)

    def stage_scales(self, requants: list, what: str):
        """One DMA of the SCALE rows (one per chunk) of the per-channel `requants` coming up,
        into the next rows of SCALE, used as a ring (the emitter waits for readers of reused
        rows); each requantize then finds its rows in scale_row."""
        rows = [np.stack([r.multiplier, r.shift], axis=-1).reshape(-1, self.L, 2)
                for r in requants]
        total = sum(len(x) for x in rows)
        if total > self.cfg.scale_rows:
            raise ConfigError(f"{what} needs {total} SCALE rows; the core has "
                              f"{self.cfg.scale_rows} (its scale_rows)")
        if self.scale_next + total > self.cfg.scale_rows:
            self.scale_next = 0
        addr = self.p.put_rows(f"{what} scales", "scale", np.concatenate(rows))
        self.emit("dma.ld", f"{what}: per-channel scales", mem="scale", row=self.scale_next,
                  dram=addr, rows=total)
        for r, x in zip(requants, rows):
            self.scale_row[id(r)] = self.scale_next
            self.scale_next += len(x)

    def tile(self, row: int, x: Region, c: int, nn: int, out: Region, what: str,
             accumulate: bool, between=None):
        """One L x L tile of W (SRAM rows row..row+L-1) into a weight buffer, the other buffer's
        tile still streaming, then x's K chunk c through it onto out's column chunk nn.
        `between()` emits what should issue while the tile loads (a prefetch)."""
        buf = self.buf = self.buf ^ 1
        self.emit("lw", f"{what}: tile k{c} n{nn}", row=row, buf=buf)
        if between is not None:
            between()
        self.emit("mm", what, a=x.start + c * self.t, rows=self.t, acc=out.start + nn * self.t,
                  buf=buf, accumulate=int(accumulate))

    def matmul(self, x: Region, k: int, n: int, out: Region, what: str, tile_row,
               accumulate_first: bool):
        """out (+)= x [T, k] @ W [k, n] for an activation W: tile (c, nn) at tile_row(c, nn)."""
        for nn in range(n // self.L):
            for c in range(k // self.L):
                self.tile(tile_row(c, nn), x, c, nn, out, what, accumulate_first or c > 0)


def compile_model(qm: QuantModel, cfg: CoreConfig | None = None, t: int = 16) -> CompiledModel:
    """One pass of `qm` over `t` tokens as a program for the core `cfg` (default 8 x 8)."""
    cfg = CoreConfig() if cfg is None else cfg
    L = cfg.lanes
    d = qm.emb.w.shape[1]
    dh, heads = qm.d_head, qm.heads
    f = qm.layers[0].ffn1.w.shape[1] if qm.layers else d
    vocab_cols = qm.head.w.shape[1]
    for what, size in (("T (the tokens)", t), ("d_head", dh), ("d_model", d), ("d_ff", f),
                       ("the head's columns", vocab_cols)):
        if size % L:
            raise ConfigError(f"{what} = {size} is not a multiple of L = {L}: the {L} x {L} "
                              "core cannot tile it; use an array whose side divides it")
    if 2 * t > qm.emb.w.shape[0]:
        raise ConfigError(f"T = {t} tokens need {t} position embeddings; the model has "
                          f"{qm.emb.w.shape[0] // 2}")
    low = _Lowering(qm, cfg, t)
    p = low.p
    linears = []  # (name, Linear) in the order the program uses them
    linears.append(("embed", qm.emb))
    for i, layer in enumerate(qm.layers):
        linears += [(f"L{i} q", layer.q), (f"L{i} k", layer.k), (f"L{i} v", layer.v),
                    (f"L{i} attn out", layer.o)]
        # the feed-forward block in halves of d_ff: the first half's requantize and ReLU run
        # on the vector unit while the second half streams through the array
        w1, w2 = layer.ffn1, layer.ffn2
        linears += [(f"L{i} ffn1a", Linear(w1.w[:, :f // 2], w1.b[:f // 2], None)),
                    (f"L{i} ffn1b", Linear(w1.w[:, f // 2:], w1.b[f // 2:], None)),
                    (f"L{i} ffn2a", Linear(w2.w[: f // 2], w2.b, None)),
                    (f"L{i} ffn2b", Linear(w2.w[f // 2:], np.zeros_like(w2.b), None))]
    linears.append(("head", qm.head))
    # SRAM: the residual stream and the LayerNorm output live throughout; the attention's
    # tensors and the feed-forward's never live together, so they share rows
    xs = [low.act("sram", "residual x (ping)", d), low.act("sram", "residual x (pong)", d)]
    h = low.act("sram", "LayerNorm out", d)
    base = p.top("sram")
    onehot = low.act("sram", "one-hot tokens", qm.emb.w.shape[0])
    q, k, v = (low.act("sram", name, d) for name in ("q", "k", "v"))
    kt = [p.alloc("sram", f"K^T head {hh}", dh // L * t) for hh in range(heads)]
    probs = [low.act("sram", f"P head {hh}", t) for hh in range(heads)]
    attn = low.act("sram", "attention out", d)
    end = p.top("sram")
    p.rewind("sram", base)
    hid = low.act("sram", "ffn hidden", f)
    hid2 = low.act("sram", "ffn hidden (ReLU)", f)
    p.rewind("sram", max(end, p.top("sram")))
    # ACC likewise
    acc = {"acc out": low.act("acc", "acc out (embed, attn out, ffn2)", d)}
    base = p.top("acc")
    acc.update({name: low.act("acc", name, d) for name in ("acc q", "acc k", "acc v", "acc P.V")})
    scores = [low.act("acc", f"scores head {hh}", t) for hh in range(heads)]
    end = p.top("acc")
    p.rewind("acc", base)
    acc["acc ffn1"] = low.act("acc", "acc ffn1", f)
    acc["logits"] = low.act("acc", "logits", vocab_cols)
    p.rewind("acc", max(end, p.top("acc")))
    # two weight regions, as large as the largest layer or what SRAM has left; a layer larger
    # than a region streams through both, a group of tiles at a time
    most = max(lin.w.size // L for _, lin in linears)
    size = min(most, p.free_rows("sram") // 2 // L * L)
    if size < L:
        raise ConfigError(f"SRAM has {p.free_rows('sram')} rows left for weights after the "
                          f"activations; one {L} x {L} tile needs {L}: use a core with more SRAM")
    wregion = [p.alloc("sram", "weights A", size), p.alloc("sram", "weights B", size)]
    input_addr = p.reserve("input: one-hot rows", onehot.rows * isa.row_bytes("sram", L))
    mask_addr = p.put_rows("causal mask", "acc", _chunk_major(causal_mask(t), L))
    logits_addr = p.reserve("output: logits", acc["logits"].rows * isa.row_bytes("acc", L))
    out_acc = {"embed": acc["acc out"], "head": acc["logits"]}
    acc_ffn1, hids, hid2s = (_halves(r, t, f // L) for r in (acc["acc ffn1"], hid, hid2))
    for i in range(len(qm.layers)):
        out_acc.update({f"L{i} q": acc["acc q"], f"L{i} k": acc["acc k"], f"L{i} v": acc["acc v"],
                        f"L{i} attn out": acc["acc out"], f"L{i} ffn1a": acc_ffn1[0],
                        f"L{i} ffn1b": acc_ffn1[1], f"L{i} ffn2a": acc["acc out"],
                        f"L{i} ffn2b": acc["acc out"]})
    no_bias = {f"L{i} ffn2b" for i in range(len(qm.layers))} | {"embed"}
    per = size // L  # tiles a group
    groups = []  # (linear index, first tile, end tile), in program order
    for j, (_, lin) in enumerate(linears):
        tiles = lin.w.size // (L * L)
        groups += [(j, i0, min(i0 + per, tiles)) for i0 in range(0, tiles, per)]
    addrs = {}
    for j, (name, lin) in enumerate(linears):
        addrs[j] = p.put_rows(f"{name} weights", "sram", _tiles(lin.w, L))
    loaded = set()

    def prefetch(g):
        if g >= len(groups) or g in loaded:
            return
        j, i0, i1 = groups[g]
        name, lin = linears[j]
        loaded.add(g)
        p.emit("dma.ld", f"{name}: weight tiles {i0}..{i1 - 1}", mem="sram",
               row=wregion[g % 2].start, dram=addrs[j] + i0 * L * isa.row_bytes("sram", L),
               rows=(i1 - i0) * L)
        if i0 == 0 and name not in no_bias:
            n = lin.w.shape[1]
            bias = np.broadcast_to(lin.b, (t, n))
            baddr = p.put_rows(f"{name} bias", "acc", _chunk_major(bias, L))
            p.emit("dma.ld", f"{name}: bias rows", mem="acc", row=out_acc[name].start,
                   dram=baddr, rows=n // L * t)

    def linear(j, x: Region):
        name, lin = linears[j]
        kc = lin.w.shape[0] // L
        out = out_acc[name]
        for g, (jj, i0, i1) in enumerate(groups):
            if jj != j:
                continue
            prefetch(g)
            for i in range(i0, i1):
                nn, c = divmod(i, kc)
                # the next group's prefetch issues after the wait for this group's tiles, and
                # before the mm that may stall until the tile is in
                low.tile(wregion[g % 2].start + (i - i0) * L, x, c, nn, out, name,
                         accumulate=name != "embed" or c > 0,  # embed has no bias rows
                         between=(lambda g=g: prefetch(g + 1)) if i == i0 else None)
        return out

    p.emit("dma.ld", "embed: the tokens' one-hot rows", mem="sram", row=onehot.start,
           dram=input_addr, rows=onehot.rows)
    prefetch(0)
    # the PARAM entries are known only at the end: this load covers every row until patched
    p.emit("dma.ld", "vector parameters (PARAM)", mem="param", row=0, dram=0,
           rows=cfg.param_rows)
    params_at = len(p.instructions) - 1
    if np.ndim(qm.emb_rq.multiplier):
        low.stage_scales([qm.emb_rq], "embed")
    j = 0
    linear(j, onehot)
    low.requant(xs[0], acc["acc out"], qm.emb_rq, d, "embed")
    x = 0
    for i, layer in enumerate(qm.layers):
        tag = f"L{i}"
        half = f // 2
        ffn1_rq = [Requant(layer.ffn1_rq.multiplier[c], layer.ffn1_rq.shift[c])
                   for c in (slice(0, half), slice(half, f))]
        low.stage_scales([r for r in (layer.q_rq, layer.k_rq, layer.v_rq, *ffn1_rq)
                          if np.ndim(r.multiplier)], tag)
        for hh in range(heads):
            p.emit("dma.ld", f"{tag} attn h{hh}: causal mask onto the scores", mem="acc",
                   row=scores[hh].start, dram=mask_addr, rows=scores[hh].rows)
        low.vshape(d // L)
        p.emit("vlnorm", f"{tag} LayerNorm 1", dst=h.start, src=xs[x].start,
               frac=layer.ln1_frac)
        for dst, rq, name in ((q, layer.q_rq, "q"), (k, layer.k_rq, "k"), (v, layer.v_rq, "v")):
            j += 1
            out = linear(j, h)
            low.requant(dst, out, rq, d, f"{tag} {name}")
        sm = low.param(layer.softmax.multiplier, layer.softmax.shift)
        # the heads interleaved: both K^T, both QK^T, then each head's softmax followed by its
        # P.V, so one head's P.V streams through the array while the next head's softmax runs
        low.vshape(dh // L)
        for hh in range(heads):
            p.emit("vtrans", f"{tag} attn h{hh}: K^T", dst=kt[hh].start,
                   src=k.start + hh * dh // L * t)
        for hh in range(heads):
            low.matmul(Region("sram", "q head", q.start + hh * dh // L * t, dh // L * t), dh, t,
                       scores[hh], f"{tag} attn h{hh} QK^T",
                       lambda c, nn, hh=hh: kt[hh].start + c * L + nn * dh, accumulate_first=True)
        for hh in range(heads):
            hc = hh * dh // L
            low.vshape(t // L)
            p.emit("vsoftmax", f"{tag} attn h{hh}: softmax", dst=probs[hh].start,
                   src=scores[hh].start, p=sm)
            low.matmul(probs[hh], t, dh,
                       Region("acc", "P.V head", acc["acc P.V"].start + hc * t, dh // L * t),
                       f"{tag} attn h{hh} P.V",
                       lambda c, nn, hc=hc: v.start + (hc + nn) * t + c * L,
                       accumulate_first=False)
        low.requant(attn, acc["acc P.V"], layer.pv_rq, d, f"{tag} attn")
        j += 1
        out = linear(j, attn)
        low.vshape(d // L)
        pa = low.param(*layer.attn_add)
        p.emit("vadd", f"{tag} residual: x + attn", dst=xs[1 - x].start, src=out.start,
               src2=xs[x].start, p=pa)
        x = 1 - x
        p.emit("vlnorm", f"{tag} LayerNorm 2", dst=h.start, src=xs[x].start,
               frac=layer.ln2_frac)
        for part in (0, 1):
            j += 1
            linear(j, h)
            low.requant(hids[part], acc_ffn1[part], ffn1_rq[part], half,
                        f"{tag} ffn1 half {part}")
            low.vshape(half // L)
            p.emit("vrelu", f"{tag} ffn ReLU half {part}", dst=hid2s[part].start,
                   src=hids[part].start)
        for part in (0, 1):
            j += 1
            out = linear(j, hid2s[part])
        low.vshape(d // L)
        pf = low.param(*layer.ffn_add)
        p.emit("vadd", f"{tag} residual: x + ffn", dst=xs[1 - x].start, src=out.start,
               src2=xs[x].start, p=pf)
        x = 1 - x
    low.vshape(d // L)
    p.emit("vlnorm", "final LayerNorm", dst=h.start, src=xs[x].start, frac=qm.lnf_frac)
    j += 1
    out = linear(j, h)
    p.emit("dma.st", "head: the logits to DRAM", mem="acc", row=out.start, dram=logits_addr,
           rows=out.rows)
    p.sync_all()
    p.halt()
    # the PARAM entries, now that all are known
    paddr = p.put_rows("vector parameters", "param", np.array(low.params, dtype=np.int64))
    p.instructions[params_at] = isa.make("dma.ld", mem="param", row=0, dram=paddr,
                                         rows=len(low.params))
    if len(p.instructions) > MAX_INSTRUCTIONS:
        raise ConfigError(f"the program has {len(p.instructions)} instructions; the core's "
                          f"instruction memory holds {MAX_INSTRUCTIONS}: use a larger array")
    return CompiledModel(cfg, t, p, input_addr, logits_addr, vocab_cols)
