"""The inference core's timing, in one place: how long each unit takes, how deep the DMA queue is,
what the vector unit's divides cost, and the stall causes and counters every model reports.

The cycle model (chipkit.models.core_fast), the RTL (chipkit.hdl.core and its blocks), the
compiler and docs/isa.md all read these numbers; none of them keeps its own copy.

    dma.ld / dma.st   queue (4 deep), in order; each waits the DRAM latency, then moves one row in
                      ceil(row bytes / bandwidth) cycles (at most one on-chip row per cycle):
                      latency + rows * ceil(row bytes / bandwidth) cycles
    lw                L cycles; needs its weight buffer free of any unfinished mm
    mm                streams one row per cycle (busy `rows` cycles); its results are in ACC
                      rows + 2L - 2 cycles after issue; needs its weight buffer loaded
    vector ops        rows x (passes x chunks + extra) + VECTOR_LATENCY cycles (vtrans: + L), see
                      vector_cycles; chipkit.hdl.vector_unit is the RTL that takes them
    sync, halt        wait for the named (all) units to finish
"""
from __future__ import annotations

from math import ceil

from chipkit import isa
from chipkit.checks import check_choice, check_int, check_type, show
from chipkit.config import CoreConfig, check_config
from chipkit.errors import ConfigError

DMA_QUEUE = 4  # DMA jobs issued and not finished, at most (the running one included)
MAX_LANES = 64  # CoreConfig's largest L


def dma_beat_cycles(mem: str, cfg: CoreConfig) -> int:
    """Cycles the DMA spends on one row of `mem` once the latency is over."""
    mem, cfg = check_choice(mem, "mem", isa.MEMORIES), check_config(cfg, CoreConfig)
    return ceil(isa.MEMORIES[mem].row_bytes(cfg.lanes) / cfg.dma_bytes_per_cycle)


def dma_cycles(mem: str, rows: int, cfg: CoreConfig) -> int:
    """One DMA job of `rows` rows of `mem`: latency + rows * ceil(row bytes / bandwidth)."""
    rows = check_int(rows, "rows", 0)
    return dma_beat_cycles(mem, cfg) * rows + cfg.dram_latency


def mm_drain(lanes: int) -> int:
    """Cycles from an mm's last row entering the array to its result row landing in ACC."""
    return 2 * check_int(lanes, "lanes", 1, MAX_LANES) - 2


def mm_cycles(rows: int, lanes: int) -> int:
    """Issue to the last result row in ACC: rows + 2L - 2."""
    return check_int(rows, "rows", 0) + mm_drain(lanes)


def lw_cycles(lanes: int) -> int:
    """A weight tile shifts into the array one row a cycle: L cycles."""
    return check_int(lanes, "lanes", 1, MAX_LANES)


# The vector unit (chipkit.hdl.vector_unit) reads one memory row (chunk) a cycle; each pass over a
# logical row takes `chunks` cycles. Softmax and LayerNorm also spend, per logical row, these
# cycles between their second and third pass; the divider and the square root are radix 2 and
# restoring: one quotient (root) bit a cycle, as many cycles as the result has bits.
VECTOR_DRAIN = 1  # the second pass's last chunk is still in the pipeline: its sum lands here
SOFTMAX_DIV_CYCLES = 16  # 2^30 // sum(e): sum >= 2^15 (the max's e), so the quotient is <= 2^15
LN_VAR_DIV_CYCLES = 38  # q = ssq // d, d = chunks * L: q = d^2 * variance < 2^24 * 2^14
SQRT_CYCLES = 27  # sigma = isqrt(q << 16): q << 16 < 2^54, so 27 root bits
LN_RECIP_DIV_CYCLES = 33  # 2^40 // sigma: sigma >= 2^8 unless 0 (then r is unused), r <= 2^32
#: vector ops: (passes over each logical row's chunks, extra cycles per logical row)
VECTOR_COST = {"vrq": (1, 0), "vadd": (1, 0), "vrelu": (1, 0), "vgelu": (1, 0), "vmove": (1, 0),
               "vtrans": (1, 0), "vsoftmax": (3, VECTOR_DRAIN + SOFTMAX_DIV_CYCLES),
               "vlnorm": (3, VECTOR_DRAIN + LN_VAR_DIV_CYCLES + SQRT_CYCLES
                          + LN_RECIP_DIV_CYCLES)}
VECTOR_LATENCY = 2  # pipeline stages between reading a chunk and writing its result


def vector_cycles(op: str, rows: int, chunks: int, lanes: int) -> int:
    """Cycles the vector unit is busy with `op` on `rows` logical rows of `chunks` memory rows:
    rows * (passes * chunks + extra) + VECTOR_LATENCY, and for vtrans L more (the transpose
    buffer's last block is written out after the last read)."""
    passes, extra = VECTOR_COST[check_choice(op, "op", VECTOR_COST)]
    rows, chunks = check_int(rows, "rows", 1), check_int(chunks, "chunks", 1)
    lanes = check_int(lanes, "lanes", 1, MAX_LANES)
    return (rows * (passes * chunks + extra) + VECTOR_LATENCY
            + (lanes if op == "vtrans" else 0))


def duration(instr: isa.Instr, cfg: CoreConfig, shape: tuple) -> int:
    """Cycles from the first cycle a unit works on `instr` to the end of its last (the vector
    unit's current shape is (rows, chunks, cstride))."""
    instr = check_type(instr, isa.Instr, "instr", "isa.make(...) or isa.decode(word)")
    a, op, L = instr.args, instr.op.mnemonic, check_config(cfg, CoreConfig).lanes
    if instr.op.unit == "ctrl":
        raise ConfigError(f"{op} runs on no unit (the controller takes it at issue); duration is "
                          "for dma, lw, mm and the vector instructions")
    if instr.op.unit == "dma":
        return dma_cycles(isa.memory(a["mem"]).name, a["rows"], cfg)
    if op == "lw":
        return lw_cycles(L)
    if op == "mm":
        return mm_cycles(a["rows"], L)
    if op == "vshape":
        return 1
    if not isinstance(shape, (tuple, list)) or len(shape) != 3:
        raise ConfigError(f"shape must be the vector unit's (rows, chunks, cstride), got "
                          f"{show(shape)}")
    rows, chunks, _ = shape
    return vector_cycles(op, rows, chunks, L)


#: why the controller did not issue in a cycle, in the order the RTL numbers them (from 1)
STALLS = ("dma_queue_full", "lw_busy", "mm_busy", "vec_busy", "weights_not_loaded",
          "weight_buffer_in_use", "sync", "halt")
#: the performance counters every backend reports, in the order the RTL's host port reads them
COUNTERS = ("cycles", "instructions", "array_busy", "dma_bytes", "macs",
            *(f"stall_{s}" for s in STALLS))
