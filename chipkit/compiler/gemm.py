"""A GEMM as a program for the inference core: operands laid out in DRAM, K slices of A and the
weight tiles moved to SRAM, tiles streamed through the array with double-buffered weights, and C
stored back to DRAM. Operands start and end in DRAM.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil

import numpy as np

from chipkit import isa
from chipkit.config import CoreConfig
from chipkit.errors import ConfigError
from chipkit.models.golden import check_gemm_operands

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
        """C (M x N, int64 of int32 values) from a final DRAM image."""
        raw = np.asarray(dram, dtype=np.uint8)[self.c_addr:self.c_addr + self.m * self.n_pad * 4]
        return raw.view("<i4").reshape(self.m, self.n_pad)[:, : self.n].astype(np.int64)


def compile_gemm(a, b, cfg: CoreConfig) -> CoreGemm:
    """The program that computes A (M x K) @ B (K x N) on the core `cfg`.

    DRAM: A (M x Kp int8, rows padded to whole L-lane slices), then B (Kp x Np int8), then C
    (M x Np int32). SRAM: every weight tile (L rows each), then the K slices of one chunk of A's
    rows. ACC: one slice of the chunk's C per N tile. Per chunk: load, sync, then for each tile
    `lw` into buffer t % 2 and `mm` from it -- the next tile's weights load while the current one
    streams -- then sync and store.
    """
    a, b = check_gemm_operands(a, b)
    (m, k), n = a.shape, b.shape[1]
    L = cfg.lanes
    kf, nf = ceil(k / L), ceil(n / L)
    kp, np_ = kf * L, nf * L
    if kp > MAX_STRIDE or 4 * np_ > MAX_STRIDE:
        raise ConfigError(f"K = {k} or N = {n} is too large for the DMA stride field "
                          f"({MAX_STRIDE} bytes): K <= {MAX_STRIDE // L * L}, N <= "
                          f"{MAX_STRIDE // 4 // L * L} on this core")
    w_rows = kf * nf * L
    chunk = min(MAX_ROWS, m, (cfg.sram_rows - w_rows) // kf if cfg.sram_rows > w_rows else 0,
                cfg.acc_rows // nf)
    if chunk < 1:
        raise ConfigError(f"the weights need {w_rows} SRAM rows plus room for A; the core has "
                          f"{cfg.sram_rows} SRAM and {cfg.acc_rows} ACC rows: enlarge CoreConfig "
                          "or split the GEMM")
    a_addr, b_addr = 0, _align(m * kp)
    c_addr = b_addr + _align(kp * np_)
    size = c_addr + m * np_ * 4
    if size > cfg.dram_bytes:
        raise ConfigError(f"A, B and C need {size} bytes of DRAM; the core has {cfg.dram_bytes}")
    dram = np.zeros(size, dtype=np.uint8)
    ap = np.zeros((m, kp), np.int64)
    ap[:, :k] = a
    bp = np.zeros((kp, np_), np.int64)
    bp[:k, :n] = b
    dram[a_addr:a_addr + m * kp] = ap.astype(np.int8).view(np.uint8).ravel()
    dram[b_addr:b_addr + kp * np_] = bp.astype(np.int8).view(np.uint8).ravel()

    prog, sram_a = [], w_rows
    make = isa.make
    for i in range(kf * nf):  # every weight tile (t = nf index * kf + kf index), once
        ni, ki = divmod(i, kf)
        prog.append(make("dma.ld", mem="sram", row=i * L, dram=b_addr + ki * L * np_ + ni * L,
                         rows=L, stride=np_))
    for m0 in range(0, m, chunk):
        rows = min(chunk, m - m0)
        for ki in range(kf):
            prog.append(make("dma.ld", mem="sram", row=sram_a + ki * chunk,
                             dram=a_addr + m0 * kp + ki * L, rows=rows, stride=kp))
        prog.append(make("sync", units=isa.UNITS["dma"]))
        for i in range(kf * nf):
            ni, ki = divmod(i, kf)
            prog.append(make("lw", row=i * L, buf=i % 2))
            prog.append(make("mm", a=sram_a + ki * chunk, rows=rows, acc=ni * chunk, buf=i % 2,
                             accumulate=int(ki > 0)))
        prog.append(make("sync", units=15))
        for ni in range(nf):
            prog.append(make("dma.st", mem="acc", row=ni * chunk,
                             dram=c_addr + (m0 * np_ + ni * L) * 4, rows=rows, stride=4 * np_))
    prog += [make("sync", units=15), make("halt")]
    return CoreGemm(m, n, k, cfg, prog, dram, c_addr, np_)
