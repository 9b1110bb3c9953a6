"""The vector unit's pipeline registers: stage 1 (what the memories returned, and where it goes) and
stage 2 (the row reductions, the write-back); chipkit.hdl.vector_unit puts the lanes between them.
"""
from myhdl import always_seq, block

from chipkit.hdl.vec_lanes import OP_VTRANS, PH_EXTRA, PH_P1, PH_P2, PH_WRITE


@block
def stage1_registers(clock, reset, active, phase, cc, ii, bank, waddr, wblk, acc_data, sram_data,
                     sram_data2, scale_data, param_data, s1_valid, s1_phase, s1_first, s1_ilast,
                     s1_ii, s1_bank, s1_waddr, s1_wblk, s1_acc, s1_x, s1_z, s1_scale, s1_param,
                     lanes):
    """Stage 1: the rows the read ports returned this cycle, and the sequencer's tags for them.

    clock, reset -- in, 1 bit (synchronous, active high: every register <- 0)
    active, phase -- in, 1, 2 bits: the sequencer is walking the operand, and in which phase
    cc, ii, bank -- in, 8, log2 L, 1 bits: the chunk in the row; vtrans: the row in the block, and
               the transpose bank
    waddr, wblk -- in, 12 bits: the SRAM row this chunk's result goes to; vtrans: the block's
    acc_data, sram_data, sram_data2, scale_data, param_data -- in, 32L, 8L, 8L, 32L, 64 bits: the
               combinational read ports' rows
    s1_valid  -- out, 1 bit: a row was read (not in the engines' phase)
    s1_phase, s1_ii, s1_bank, s1_waddr, s1_wblk -- out: phase, ii, bank, waddr, wblk registered
    s1_first  -- out, 1 bit: the row's first chunk (cc == 0)
    s1_ilast  -- out, 1 bit: the block's last row (ii == L - 1)
    s1_acc, s1_x, s1_z, s1_scale, s1_param -- out: the five rows registered
    lanes     -- Python int L

    The memories answer combinationally, so this is the cut between the read and the lanes: one
    chunk a cycle enters, tagged with what the sequencer knew when it read it.
    """
    L = lanes

    @always_seq(clock.posedge, reset=reset)
    def stage1():
        s1_valid.next = active and phase != PH_EXTRA
        s1_phase.next = phase
        s1_first.next = cc == 0
        s1_ilast.next = ii == L - 1
        s1_ii.next = ii
        s1_bank.next = bank
        s1_waddr.next = waddr
        s1_wblk.next = wblk
        s1_acc.next = acc_data
        s1_x.next = sram_data
        s1_z.next = sram_data2
        s1_scale.next = scale_data
        s1_param.next = param_data

    return stage1


@block
def row_reductions(clock, reset, s1_valid, s1_phase, s1_first, tmax, tsum, rowmax, rowsum, ssq):
    """Stage 2's row reductions: softmax's row max, LayerNorm's row sum and sum of squares.

    clock, reset -- in, 1 bit (synchronous, active high: every register <- 0)
    s1_valid, s1_phase, s1_first -- in: stage 1 holds a chunk read in that phase, the row's first
    tmax      -- in, int32: the chunk's largest ACC value
    tsum      -- in, signed RED_BITS: the chunk's sum of the lanes' shares (pass 1: LayerNorm's
                 x; pass 2: softmax's e or LayerNorm's c^2)
    rowmax    -- out, int32, a register: pass 1's maximum over the row so far
    rowsum    -- out, signed RED_BITS, a register: pass 1's sum over the row so far (S)
    ssq       -- out, signed 52 bits, a register: pass 2's sum over the row so far (softmax: the
                 sum of e, LayerNorm: the sum of c^2)

    Each chunk's tree result is folded into the row's register; the first chunk of a row starts
    it afresh, so no clearing cycle is needed between rows.
    """

    @always_seq(clock.posedge, reset=reset)
    def reduce_rows():
        if s1_valid and s1_phase == PH_P1:
            if s1_first or tmax > rowmax:
                rowmax.next = tmax
            if s1_first:
                rowsum.next = tsum
            else:
                rowsum.next = rowsum + tsum
        if s1_valid and s1_phase == PH_P2:
            if s1_first:
                ssq.next = tsum
            else:
                ssq.next = ssq + tsum

    return reduce_rows


@block
def write_back(clock, reset, op, s1_valid, s1_phase, s1_waddr, ybus, drain, drain_addr,
               drain_row, wr_en, wr_addr, wr_data):
    """Stage 2's write: the lanes' results, or a transposed row, to the SRAM write port.

    clock, reset -- in, 1 bit (synchronous, active high: every register <- 0)
    op        -- in, 6 bits: the latched opcode
    s1_valid, s1_phase, s1_waddr -- in: stage 1 holds a chunk read in that phase, for that row
    ybus      -- in, 8L bits: the lanes' int8 results for it
    drain, drain_addr, drain_row -- in, 1, 12, 8L bits: a transposed row to write (vtrans)
    wr_en, wr_addr, wr_data -- out, 1, 12, 8L bits, registers: SRAM row wr_addr <- wr_data at
                 the edge ending a cycle with wr_en high

    Only the write pass writes, and vtrans writes from the transpose buffer instead: the two
    never meet, as the buffer's rows come from reads of the op itself.
    """

    @always_seq(clock.posedge, reset=reset)
    def write():
        if s1_valid and s1_phase == PH_WRITE and op != OP_VTRANS:
            wr_en.next = 1
            wr_addr.next = s1_waddr
            wr_data.next = ybus
        elif drain:
            wr_en.next = 1
            wr_addr.next = drain_addr
            wr_data.next = drain_row
        else:
            wr_en.next = 0

    return write
