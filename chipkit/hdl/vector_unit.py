"""The inference core's vector unit: L lanes for everything after the array (requantize, residual
add, ReLU, GELU, softmax, LayerNorm, transpose, move), bit-exact to chipkit.models.core_golden's
`_Exec` (op_vrq .. op_vmove, whose values come from chipkit.models.vector_golden) and cycle-exact
to chipkit.models.core_fast (chipkit.timing.vector_cycles).

The pipeline, one block each: a sequencer (chipkit.hdl.vec_sequencer) walks the shaped operand,
one memory row (a chunk) per cycle, and drives the combinational read ports; stage 1
(chipkit.hdl.vec_stages) registers what the memories return; the lanes (chipkit.hdl.vec_lanes)
compute from stage 1, and the next edge registers either the int8 row to write (wr_en, wr_addr,
wr_data: written one edge later) or the row reduction (max, sum). So a result is written
VECTOR_LATENCY = 2 cycles after its read. Beside them: the engines (chipkit.hdl.vec_engines, a
restoring divider and square root from chipkit.hdl.vec_restoring) and the transpose buffer
(chipkit.hdl.vec_transpose). chipkit.hdl.vec_harness puts small memories around the unit.

    vrq, vadd, vrelu, vgelu, vmove   1 pass: read chunk, write chunk
    vsoftmax   per logical row: pass 1 row max; pass 2 sum of e; the extra cycles: 1 drain + the
               divide 2^30 // sum (restoring, 1 quotient bit a cycle); pass 3 recompute e, write
    vlnorm     per logical row: pass 1 S = sum x; pass 2 sum (d x - S)^2; the extra cycles: 1 drain,
               q = ssq // d, sigma = isqrt(q << 16), r = 2^40 // sigma (each one bit a cycle);
               pass 3 write
    vtrans     L rows of an L x L block go into a transpose buffer (two banks, ping-pong); its L
               transposed rows are written while the next block is read: L extra cycles at the end

Rows are walked logical row by logical row, chunk by chunk (vtrans: block by block, the L rows of
a block one after another). Reads of one row never see that op's writes except in place (dst ==
src, same shape), where every chunk is read before it is written; other overlaps of source and
destination give other values than the golden model (which reads everything first).
"""
from myhdl import Signal, always_comb, block, modbv

from chipkit import isa
from chipkit.errors import ConfigError
from chipkit.hdl.vec_engines import DIV_Q_BITS, SSQ_BITS, vec_engines
from chipkit.hdl.vec_lanes import RED_BITS, signed, unsigned, vector_lanes
from chipkit.hdl.vec_sequencer import vec_sequencer
from chipkit.hdl.vec_stages import row_reductions, stage1_registers, write_back
from chipkit.hdl.vec_transpose import transpose_buffer


def check_lanes(lanes):
    """ConfigError unless `lanes` is a power of two in 2..64."""
    if isinstance(lanes, bool) or not isinstance(lanes, int) or lanes < 2 or lanes > 64 or (
            lanes & (lanes - 1)):
        raise ConfigError(f"vector unit lanes must be a power of two in 2..64, got {lanes!r}")


@block
def vector_unit(clock, reset, issue, op, dst, src, src2, p, perchannel, frac,
                shp_rows, shp_chunks, shp_cstride, busy,
                acc_addr, acc_data, sram_addr, sram_data, sram_addr2, sram_data2,
                param_addr, param_data, scale_addr, scale_data, lut_bits,
                wr_en, wr_addr, wr_data, lanes):
    """The vector unit (ports: the core's contract, see the module docstring for the pipeline).

    clock, reset -- in, 1 bit (synchronous, active high)
    issue   -- in, 1 bit: high for one cycle t; op (a vector op's code), dst, src, src2, p,
               perchannel, frac are valid in that cycle only and latched
    op, dst, src, src2, p, perchannel, frac -- in, 6, 12, 12, 12, 8, 1, 4 bits: the instruction
    shp_rows, shp_chunks, shp_cstride -- in, 12, 8, 12 bits: the shape (cstride resolved), stable
               while busy
    busy    -- out, 1 bit: high in cycles t+1 .. t+D, D = chipkit.timing.vector_cycles
    acc_addr, acc_data -- out 12 bits, in 32L bits: the ACC read port (combinational)
    sram_addr, sram_data, sram_addr2, sram_data2 -- out 12 bits, in 8L bits: two SRAM read ports
    param_addr, param_data -- out 8 bits, in 64 bits: the PARAM read port (m1 15..0, s1 23..16,
               m2 39..24, s2 47..40)
    scale_addr, scale_data -- out 12 bits, in 32L bits: the SCALE read port (lane i: multiplier
               32i+15..32i, shift 32i+23..32i+16)
    lut_bits -- in, 2048 bits: GELU table entry x + 128 in bits 8(x+128)+7 .. 8(x+128)
    wr_en, wr_addr, wr_data -- out, 1, 12, 8L bits, registers: SRAM row wr_addr <- wr_data at the
               edge ending a cycle with wr_en high
    lanes   -- Python int L, a power of two in 2..64

    Blocks wired by ports, in the order the data flows: vec_sequencer -> the memories' read ports
    -> stage1_registers -> vector_lanes -> row_reductions (back to the lanes and the engines)
    and write_back; vec_engines and transpose_buffer beside them.
    """
    check_lanes(lanes)
    L = lanes
    lg = L.bit_length() - 1

    # the sequencer: the latched instruction, the counters, the read addresses
    op_r, pc_r = unsigned(isa.OPCODE_BITS), Signal(bool(0))
    lnshift, dlen = unsigned(8), unsigned(max(13, 8 + lg))
    active, bank = Signal(bool(0)), Signal(bool(0))
    phase, kk, cc, ii = unsigned(2), unsigned(7), unsigned(8), unsigned(lg)
    wa, wblk = unsigned(12, modbv), unsigned(12, modbv)
    seq = vec_sequencer(clock, reset, issue, op, dst, src, src2, p, perchannel, frac, shp_rows,
                        shp_chunks, shp_cstride, acc_addr, sram_addr, sram_addr2, param_addr,
                        scale_addr, op_r, pc_r, lnshift, dlen, active, phase, kk, cc, ii, bank,
                        wa, wblk, L)

    # stage 1: what the memories returned, and where it goes
    s1_valid, s1_first, s1_ilast, s1_bank = (Signal(bool(0)) for _ in range(4))
    s1_phase, s1_ii = unsigned(2), unsigned(lg)
    s1_waddr, s1_wblk = unsigned(12), unsigned(12)
    s1_acc, s1_x, s1_z = unsigned(32 * L), unsigned(8 * L), unsigned(8 * L)
    s1_scale, s1_param = unsigned(32 * L), unsigned(64)
    stage1 = stage1_registers(clock, reset, active, phase, cc, ii, bank, wa, wblk, acc_data,
                              sram_data, sram_data2, scale_data, param_data, s1_valid, s1_phase,
                              s1_first, s1_ilast, s1_ii, s1_bank, s1_waddr, s1_wblk, s1_acc, s1_x,
                              s1_z, s1_scale, s1_param, L)

    # the lanes, their reductions, and the per-row engines
    rowmax, tmax = signed(32), signed(32)
    rowsum, tsum, ssq = signed(RED_BITS), signed(RED_BITS), signed(SSQ_BITS)
    recip, ybus = unsigned(DIV_Q_BITS), unsigned(8 * L)
    lanes_inst = vector_lanes(s1_acc, s1_x, s1_z, s1_scale, s1_param, op_r, s1_phase, pc_r,
                              rowmax, rowsum, dlen, recip, lnshift, lut_bits, tmax, tsum, ybus, L)
    reductions = row_reductions(clock, reset, s1_valid, s1_phase, s1_first, tmax, tsum, rowmax,
                                rowsum, ssq)
    engines = vec_engines(clock, reset, op_r, phase, kk, ssq, dlen, recip)

    # the transpose buffer and the write-back
    drain, drain_addr, drain_row = Signal(bool(0)), unsigned(12, modbv), unsigned(8 * L)
    transpose = transpose_buffer(clock, reset, op_r, s1_valid, s1_x, s1_bank, s1_ii, s1_ilast,
                                 s1_wblk, drain, drain_addr, drain_row, L)
    write = write_back(clock, reset, op_r, s1_valid, s1_phase, s1_waddr, ybus, drain, drain_addr,
                       drain_row, wr_en, wr_addr, wr_data)

    @always_comb
    def busy_out():
        busy.next = active or s1_valid or drain or wr_en

    return seq, stage1, lanes_inst, reductions, engines, transpose, write, busy_out
