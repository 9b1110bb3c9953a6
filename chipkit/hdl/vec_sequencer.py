"""The vector unit's sequencer: it latches an issued vector op and walks its shaped operand, one
memory row (a chunk) a cycle, driving the read ports (chipkit.hdl.vector_unit wires it in).
"""
from myhdl import Signal, always_comb, always_seq, block, intbv, modbv

from chipkit.hdl.vec_engines import LN_LAST, SM_LAST
from chipkit.hdl.vec_lanes import (
    OP_VLNORM,
    OP_VSOFTMAX,
    OP_VTRANS,
    PH_EXTRA,
    PH_P1,
    PH_P2,
    PH_WRITE,
    unsigned,
)


@block
def vec_sequencer(clock, reset, issue, op, dst, src, src2, p, perchannel, frac, shp_rows,
                  shp_chunks, shp_cstride, acc_addr, sram_addr, sram_addr2, param_addr,
                  scale_addr, op_r, pc_r, lnshift, dlen, active, phase, kk, cc, ii, bank, waddr,
                  wblk, lanes):
    """The latched instruction, the counters that walk the operand, and the read addresses.

    clock, reset -- in, 1 bit (synchronous, active high: every register <- 0)
    issue     -- in, 1 bit: op, dst, src, src2, p, perchannel, frac are valid this cycle: latch
    op, dst, src, src2, p, perchannel, frac -- in, 6, 12, 12, 12, 8, 1, 4 bits: the instruction
    shp_rows, shp_chunks, shp_cstride -- in, 12, 8, 12 bits: the shape, stable while busy
    acc_addr, sram_addr, sram_addr2 -- out, 12 bits: src + row + chunk offset (ACC and SRAM),
                 src2 + the same (the residual)
    param_addr, scale_addr -- out, 8, 12 bits: p, and p + chunk (the per-channel scales)
    op_r, pc_r -- out, 6, 1 bits, registers: the latched opcode and perchannel flag
    lnshift   -- out, 8 bits: 32 - frac, LayerNorm's output shift
    dlen      -- out, at least 13 bits: the row length d = chunks * L
    active    -- out, 1 bit, a register: walking the operand (or in the engines' cycles)
    phase     -- out, 2 bits, a register: PH_P1, PH_P2, PH_EXTRA or PH_WRITE
    kk        -- out, 7 bits, a register: the cycle within the row's extra phase
    cc        -- out, 8 bits, a register: the chunk within the logical row
    ii, bank  -- out, log2 L and 1 bits, registers: vtrans's row in the block, transpose bank
    waddr     -- out, 12 bits: the SRAM row this chunk's result goes to (dst + row + offset)
    wblk      -- out, 12 bits: vtrans: the SRAM row of this block's first transposed row
    lanes     -- Python int L

    Counters, modulo 4096 like the addresses: rr the logical row, cc and coff = cc * cstride the
    chunk. A row is walked chunk by chunk, once per pass: softmax and LayerNorm make passes 1
    and 2, then their extra cycles (kk counts them), then the write pass; the other ops only the
    write pass. vtrans walks L x L blocks instead: the L rows of a block's chunk, then the next
    chunk (rr steps back L - 1 rows), then the next L rows.
    """
    L = lanes
    lg = L.bit_length() - 1
    p_r, frac_r = unsigned(8), unsigned(8)
    dst_r, src_r, src2_r = unsigned(12), unsigned(12), unsigned(12)
    rr, coff, kn, cl = (unsigned(12, modbv) for _ in range(4))
    rd, rd2 = unsigned(12, modbv), unsigned(12, modbv)
    dlen12 = unsigned(12)
    back_const = Signal(intbv(4096 - (L - 1))[12:])  # a 12-bit -(L - 1)

    @always_seq(clock.posedge, reset=reset)
    def sequence():
        if issue:
            op_r.next = op
            dst_r.next = dst
            src_r.next = src
            src2_r.next = src2
            p_r.next = p
            pc_r.next = perchannel
            frac_r.next = frac
            active.next = 1
            rr.next = 0
            cc.next = 0
            coff.next = 0
            ii.next = 0
            kk.next = 0
            kn.next = 0
            cl.next = 0
            bank.next = 0
            if op == OP_VSOFTMAX or op == OP_VLNORM:
                phase.next = PH_P1
            else:
                phase.next = PH_WRITE
        elif active:
            if phase == PH_EXTRA:
                if (op_r == OP_VSOFTMAX and kk == SM_LAST) or (op_r == OP_VLNORM
                                                                and kk == LN_LAST):
                    phase.next = PH_WRITE
                    kk.next = 0
                else:
                    kk.next = kk + 1
            elif op_r == OP_VTRANS:  # block (k, c): rows kL .. kL + L - 1 of chunk c
                if ii == L - 1:
                    ii.next = 0
                    bank.next = not bank
                    if cc == shp_chunks - 1:
                        cc.next = 0
                        coff.next = 0
                        cl.next = 0
                        kn.next = kn + dlen12
                        rr.next = rr + 1
                        if rr == shp_rows - 1:
                            active.next = 0
                    else:
                        cc.next = cc + 1
                        coff.next = coff + shp_cstride
                        cl.next = cl + L
                        rr.next = rr + back_const  # rr - (L - 1), modulo 4096
                else:
                    ii.next = ii + 1
                    rr.next = rr + 1
            elif cc == shp_chunks - 1:
                cc.next = 0
                coff.next = 0
                if phase == PH_P1:
                    phase.next = PH_P2
                elif phase == PH_P2:
                    phase.next = PH_EXTRA
                else:
                    if rr == shp_rows - 1:
                        active.next = 0
                    rr.next = rr + 1
                    if op_r == OP_VSOFTMAX or op_r == OP_VLNORM:
                        phase.next = PH_P1
            else:
                cc.next = cc + 1
                coff.next = coff + shp_cstride

    @always_comb
    def addresses():
        rd.next = src_r + rr + coff
        rd2.next = src2_r + rr + coff
        waddr.next = dst_r + rr + coff
        wblk.next = dst_r + kn + cl

    @always_comb
    def read_ports():
        acc_addr.next = rd
        sram_addr.next = rd
        sram_addr2.next = rd2
        param_addr.next = p_r
        scale_addr.next = p_r + cc

    @always_comb
    def row_length():
        dlen.next = shp_chunks << lg

    @always_comb
    def row_length12():
        dlen12.next = dlen[12:]
        lnshift.next = 32 - frac_r

    return sequence, addresses, read_ports, row_length, row_length12
