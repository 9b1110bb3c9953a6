"""The vector unit's transpose buffer (vtrans): L lanes of two L x L banks, and the control that
fills one bank from stage 1 while it writes the other out (chipkit.hdl.vector_unit wires it in).
"""
from myhdl import Signal, always_comb, always_seq, block

from chipkit.hdl.vec_lanes import OP_VTRANS, pack, unsigned


@block
def trans_lane(clock, reset, row_in, we, wbank, widx, rbank, rcol, out, index):
    """Lane `index` of the transpose buffer: holds row `index` of two L x L blocks (ping-pong).

    clock, reset -- in, 1 bit (synchronous, active high)
    row_in -- in, 8L bits: the stage-1 SRAM row
    we, wbank, widx -- in, 1, 1, log2 L bits: store row_in as row widx of bank wbank at the next
                 edge (this lane takes it when widx == index)
    rbank, rcol -- in, 1, log2 L bits: the block being written out and its column
    out    -- out, 8 bits: element (index, rcol) of bank rbank, i.e. lane `index` of the
                 transposed row rcol
    index  -- Python int: the lane's number i, 0 .. L - 1

    Lane i keeps row i of the block in each bank; reading column c of every lane at once gives
    the block's column c, which is row c of the transpose.
    """
    w = len(row_in)
    bank0, bank1, chosen, shifted = unsigned(w), unsigned(w), unsigned(w), unsigned(w)

    @always_seq(clock.posedge, reset=reset)
    def store():
        if we and widx == index:
            if wbank:
                bank1.next = row_in
            else:
                bank0.next = row_in

    @always_comb
    def pick():
        if rbank:
            chosen.next = bank1
        else:
            chosen.next = bank0

    offset = unsigned(len(rcol) + 3)

    @always_comb
    def column_offset():
        offset.next = rcol << 3  # a signal: VHDL would size rcol * 8 like rcol (1 bit for L = 2)

    @always_comb
    def column():
        shifted.next = chosen >> offset

    @always_comb
    def element():
        out.next = shifted[8:]

    return store, pick, column_offset, column, element


@block
def transpose_buffer(clock, reset, op, s1_valid, s1_x, s1_bank, s1_ii, s1_ilast, s1_wblk,
                     drain, drain_addr, drain_row, lanes):
    """The transpose buffer and its write-out control.

    clock, reset -- in, 1 bit (synchronous, active high: every register <- 0)
    op        -- in, 6 bits: the latched opcode (the buffer works for vtrans only)
    s1_valid  -- in, 1 bit: stage 1 holds a row read for the op
    s1_x      -- in, 8L bits: that SRAM row
    s1_bank, s1_ii -- in, 1, log2 L bits: the bank it goes to and its row within the block
    s1_ilast  -- in, 1 bit: it is the block's last row (s1_ii == L - 1)
    s1_wblk   -- in, 12 bits: the SRAM row the block's first transposed row goes to
    drain     -- out, 1 bit, a register: a transposed row is ready to be written this cycle
    drain_addr -- out, 12 bits: its SRAM row (the block's base + its column)
    drain_row -- out, 8L bits: the transposed row
    lanes     -- Python int L

    A block's L rows go into one bank, one a cycle; as the last one arrives the buffer starts
    writing the block's L columns out as rows, one a cycle, while the next block fills the other
    bank. So writing costs no cycles except the last block's L at the end.
    """
    L = lanes
    lg = L.bit_length() - 1
    tr_we, drain_bank = Signal(bool(0)), Signal(bool(0))
    drain_l, drain_base = unsigned(lg), unsigned(12)
    touts = [unsigned(8) for _ in range(L)]
    trans = [trans_lane(clock, reset, s1_x, tr_we, s1_bank, s1_ii, drain_bank, drain_l,
                        touts[i], i) for i in range(L)]
    trans.append(pack(touts, drain_row))

    @always_comb
    def transpose_control():
        tr_we.next = s1_valid and op == OP_VTRANS
        drain_addr.next = drain_base + drain_l

    @always_seq(clock.posedge, reset=reset)
    def write_out():
        if s1_valid and op == OP_VTRANS and s1_ilast:
            drain.next = 1
            drain_l.next = 0
            drain_base.next = s1_wblk
            drain_bank.next = s1_bank
        elif drain:
            if drain_l == L - 1:
                drain.next = 0
            else:
                drain_l.next = drain_l + 1

    return trans, transpose_control, write_out
