"""The inference core's matrix unit around the double-buffered array (chipkit.hdl.core_array):
the weight loader (lw) that shifts a tile from SRAM into one weight buffer, the streamer (mm)
that sends rows of A through the array, and the accumulator that writes each result row into ACC
at the row its tag names.
"""
from __future__ import annotations

from myhdl import Signal, always_comb, always_seq, block, intbv

from chipkit.hdl.array import SUM_BITS, pipe_reg
from chipkit.hdl.core_controller import field_bits, field_slice
from chipkit.timing import mm_drain


def mm_count_bits(lanes: int) -> int:
    """Bits of an mm's busy counter: rows (the field's largest) + the drain."""
    return ((1 << field_bits("mm", "rows")) - 1 + mm_drain(lanes)).bit_length()


@block
def weight_loader(clock, reset, issue_lw, word, lw_addr, lw_left, lw_buf, w_load, lanes):
    """lw: shifts an L x L weight tile from SRAM into a weight buffer, one row a cycle.

    clock, reset -- reset abandons a load
    issue_lw   -- in, 1 bit: the controller issues an lw this cycle
    word       -- in, 64 bits: the instruction (its row and buf fields)
    lw_addr    -- out, 12 bits: the SRAM row the array's weight bus reads (a read port)
    lw_left    -- out, register: rows left to load (0: idle)
    lw_buf     -- out, 1 bit, register: the buffer being loaded
    w_load     -- out, 1 bit: the array shifts buffer lw_buf one row down at the edge
    lanes      -- L (Python int)

    The tile's rows enter the array at the top and shift down one PE row a cycle, so the last
    row (K index L - 1) goes first: after L cycles row 0 is in the top PE row.
    """
    L = lanes
    ROWS_MAX = 1 << len(lw_addr)
    LWR_HI, LWR_LO = field_slice("lw", "row")
    LWB = field_slice("lw", "buf")[1]
    lw_row = Signal(intbv(0)[LWR_HI - LWR_LO:])

    @always_seq(clock.posedge, reset=reset)
    def loader():
        if issue_lw:
            lw_left.next = L
            lw_row.next = word[LWR_HI:LWR_LO]
            lw_buf.next = word[LWB]
        elif lw_left != 0:
            lw_left.next = lw_left - 1

    @always_comb
    def loader_port():
        lw_addr.next = (lw_row + lw_left - 1) % ROWS_MAX  # the tile's last row first
        w_load.next = lw_left != 0

    return loader, loader_port


@block
def array_streamer(clock, reset, issue_mm, word, a_addr, a_valid, a_sel, t_acc, t_accum,
                   mm_left, mm_cnt0, mm_cnt1, lanes):
    """mm: streams rows of A from SRAM into the array, one a cycle, each with its result's tag.

    clock, reset -- reset abandons an mm
    issue_mm   -- in, 1 bit: the controller issues an mm this cycle
    word       -- in, 64 bits: the instruction (a, rows, acc, buf, accumulate)
    a_addr     -- out, 12 bits: the SRAM row entering the array (a read port)
    a_valid    -- out, 1 bit: a row enters this cycle
    a_sel      -- out, 1 bit: the weight buffer it multiplies with
    t_acc      -- out, 12 bits: its tag: the ACC row its result goes to
    t_accum    -- out, 1 bit: its tag: add to that row (1) or overwrite it (0)
    mm_left    -- out, register: rows left to send after this cycle's (0: idle)
    mm_cnt0, mm_cnt1 -- out, registers: cycles until the last result using weight buffer 0 / 1
               is in ACC (0: the buffer is free to load)
    lanes      -- L (Python int)

    The first row enters in the issue cycle, straight from the instruction word; the next ones
    come from registers that count up. The tags enter the accumulator's pipeline with the row,
    so the result knows where it goes when it leaves the array 2L - 1 cycles later.
    """
    MM_DRAIN = mm_drain(lanes)
    MMA_HI, MMA_LO = field_slice("mm", "a")
    MMR_HI, MMR_LO = field_slice("mm", "rows")
    MMC_HI, MMC_LO = field_slice("mm", "acc")
    MMB = field_slice("mm", "buf")[1]
    MMX = field_slice("mm", "accumulate")[1]
    mm_a, mm_acc = Signal(intbv(0)[MMA_HI - MMA_LO:]), Signal(intbv(0)[MMC_HI - MMC_LO:])
    mm_buf, mm_accum = Signal(bool(0)), Signal(bool(0))

    @always_seq(clock.posedge, reset=reset)
    def matrix():
        if issue_mm:
            mm_left.next = word[MMR_HI:MMR_LO] - 1
            mm_a.next = word[MMA_HI:MMA_LO] + 1
            mm_acc.next = word[MMC_HI:MMC_LO] + 1
            mm_buf.next = word[MMB]
            mm_accum.next = word[MMX]
        elif mm_left != 0:
            mm_left.next = mm_left - 1
            mm_a.next = mm_a + 1
            mm_acc.next = mm_acc + 1
        if issue_mm and word[MMB] == 0:
            mm_cnt0.next = word[MMR_HI:MMR_LO] + MM_DRAIN
        elif mm_cnt0 != 0:
            mm_cnt0.next = mm_cnt0 - 1
        if issue_mm and word[MMB] == 1:
            mm_cnt1.next = word[MMR_HI:MMR_LO] + MM_DRAIN
        elif mm_cnt1 != 0:
            mm_cnt1.next = mm_cnt1 - 1

    @always_comb
    def stream():
        if issue_mm:  # the first row enters in the issue cycle
            a_addr.next = word[MMA_HI:MMA_LO]
            a_valid.next = True
            a_sel.next = word[MMB]
            t_acc.next = word[MMC_HI:MMC_LO]
            t_accum.next = word[MMX]
        else:
            a_addr.next = mm_a
            a_valid.next = mm_left != 0
            a_sel.next = mm_buf
            t_acc.next = mm_acc
            t_accum.next = mm_accum

    return matrix, stream


@block
def accumulator(clock, reset, t_acc, t_accum, c_out, c_valid, acc_rd,
                acc_addr, mm_we, mm_waddr, mm_wdata, lanes):
    """Writes the array's result rows into ACC, adding to what is there when asked.

    clock, reset -- reset clears the tag pipeline
    t_acc, t_accum -- in: the tag of the row entering the array this cycle (array_streamer)
    c_out      -- in, L x 32 bits: a result row leaving the array
    c_valid    -- in, 1 bit: c_out is a result this cycle
    acc_rd     -- in, L x 32 bits: ACC row acc_addr (a read port)
    acc_addr   -- out, 12 bits: the ACC row of the result leaving now (the read port's copy)
    mm_we      -- out, 1 bit: write mm_wdata into ACC row mm_waddr at the edge
    mm_waddr   -- out, 12 bits, register: that row (the last stage of the tag pipeline)
    mm_wdata   -- out, L x 32 bits: the result, or the result plus the old row, lane by lane
    lanes      -- L (Python int)

    Each tag rides a chain of 2L - 1 registers, as long as a row takes through the array (skew,
    L PE rows, deskew), so it comes out beside its result. Accumulating is a lane-wise int32 add
    done on the flat row: the lanes' top bits are added apart, so no carry crosses a lane.
    """
    L = lanes
    depth = 2 * L - 1
    lane_top = Signal(intbv(sum(1 << (SUM_BITS * i + SUM_BITS - 1)
                                for i in range(L)))[SUM_BITS * L:])
    tag_acc = [t_acc] + [Signal(intbv(0)[len(t_acc):]) for _ in range(depth - 1)] + [mm_waddr]
    tag_accum = [t_accum] + [Signal(bool(0)) for _ in range(depth)]
    tags = [pipe_reg(clock, reset, tag_acc[k], tag_acc[k + 1]) for k in range(depth)]
    tags += [pipe_reg(clock, reset, tag_accum[k], tag_accum[k + 1]) for k in range(depth)]
    out_accum = tag_accum[-1]

    @always_comb
    def accumulate():
        acc_addr.next = mm_waddr
        mm_we.next = c_valid
        if out_accum:  # lane-wise int32 adds on the flat row: no carry crosses a lane
            mm_wdata.next = (((acc_rd & ~lane_top) + (c_out & ~lane_top))
                             ^ ((acc_rd ^ c_out) & lane_top))
        else:
            mm_wdata.next = c_out

    return tags, accumulate

