"""The inference core's vector unit: L lanes for everything after the array (requantize, residual
add, ReLU, GELU, softmax, LayerNorm, transpose, move), bit-exact to chipkit.models.core_golden's
`_Exec`
(op_vrq .. op_vmove, whose values come from chipkit.models.vector_golden) and cycle-exact to
chipkit.models.core_fast (`vector_cycles`).

The pipeline: a sequencer walks the shaped operand, one memory row (a chunk) per cycle, and drives
the combinational read ports; stage 1 registers what the memories return; the lanes
(chipkit.hdl.vec_lanes) compute from stage 1, and the next edge registers either the int8 row to
write (wr_en, wr_addr, wr_data: written one edge later) or the row reduction (max, sum). So a
result is written VECTOR_LATENCY = 2 cycles after its read.

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
from myhdl import Signal, always_comb, always_seq, block, concat, intbv, modbv

from chipkit.errors import ConfigError
from chipkit.hdl.vec_lanes import (
    OP_VLNORM,
    OP_VSOFTMAX,
    OP_VTRANS,
    PH_EXTRA,
    PH_P1,
    PH_P2,
    PH_WRITE,
    RED_BITS,
    add2,
    bits_of,
    max2,
    pack,
    signed,
    trans_lane,
    tree,
    unsigned,
    vec_lane,
)
from chipkit.timing import (
    LN_RECIP_DIV_CYCLES,
    LN_VAR_DIV_CYCLES,
    SOFTMAX_DIV_CYCLES,
    SQRT_CYCLES,
    VECTOR_DRAIN,
)

# The per-row extra phase, cycles kk = 0 .. extra - 1: the drain, then the engines one by one.
SM_LAST = VECTOR_DRAIN + SOFTMAX_DIV_CYCLES - 1
LN_Q_FIRST = VECTOR_DRAIN
LN_SQ_FIRST = LN_Q_FIRST + LN_VAR_DIV_CYCLES
LN_R_FIRST = LN_SQ_FIRST + SQRT_CYCLES
LN_LAST = LN_R_FIRST + LN_RECIP_DIV_CYCLES - 1
DIV_Q_BITS = LN_VAR_DIV_CYCLES  # the divider's quotient register (its longest quotient)
SM_DIV_A0 = 1 << (30 - SOFTMAX_DIV_CYCLES)  # 2^30 >> 16: the divide's first remainder
LN_DIV_A0 = 1 << (40 - LN_RECIP_DIV_CYCLES)  # 2^40 >> 33
SQRT_BITS = 57  # the square root's registers: n = q << 16 < 2^54, root + bit below 2^57


def check_lanes(lanes):
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

    issue   -- in: high for one cycle t; op (8..15), dst, src, src2, p, perchannel, frac are valid
               in that cycle only and latched
    shp_rows, shp_chunks, shp_cstride -- in: the shape (cstride resolved), stable while busy
    busy    -- out: high in cycles t+1 .. t+D, D = chipkit.models.core_fast.vector_cycles
    *_addr / *_data -- combinational read ports: ACC (32L bits a row), SRAM twice (8L), PARAM (64
               bits: m1 15..0, s1 23..16, m2 39..24, s2 47..40), SCALE (lane i: multiplier
               32i+15..32i, shift 32i+23..32i+16)
    lut_bits -- in, 2048 bits: GELU table entry x + 128 in bits 8(x+128)+7 .. 8(x+128)
    wr_en, wr_addr, wr_data -- out, registers: SRAM row wr_addr <- wr_data at the edge ending a
               cycle with wr_en high
    lanes   -- Python int L, a power of two in 2..64
    """
    check_lanes(lanes)
    L = lanes
    lg = L.bit_length() - 1

    # --- the latched instruction and the sequencer ---------------------------------------------
    op_r, p_r, frac_r = unsigned(6), unsigned(8), unsigned(8)
    dst_r, src_r, src2_r = unsigned(12), unsigned(12), unsigned(12)
    pc_r = Signal(bool(0))
    active, bank = Signal(bool(0)), Signal(bool(0))
    phase, kk = unsigned(2), unsigned(7)
    rr, coff, kn, cl = (unsigned(12, modbv) for _ in range(4))
    cc, ii = unsigned(8), unsigned(lg)
    rd, rd2, wa, wblk = (unsigned(12, modbv) for _ in range(4))
    dlen, dlen12, lnshift = unsigned(max(13, 8 + lg)), unsigned(12), unsigned(8)
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
        wa.next = dst_r + rr + coff
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

    # --- stage 1: what the memories returned, and where it goes ----------------------------
    s1_valid, s1_first, s1_ilast, s1_bank = (Signal(bool(0)) for _ in range(4))
    s1_phase, s1_ii = unsigned(2), unsigned(lg)
    s1_waddr, s1_wblk = unsigned(12), unsigned(12)
    s1_acc, s1_x, s1_z = unsigned(32 * L), unsigned(8 * L), unsigned(8 * L)
    s1_scale, s1_param = unsigned(32 * L), unsigned(64)

    @always_seq(clock.posedge, reset=reset)
    def stage1():
        s1_valid.next = active and phase != PH_EXTRA
        s1_phase.next = phase
        s1_first.next = cc == 0
        s1_ilast.next = ii == L - 1
        s1_ii.next = ii
        s1_bank.next = bank
        s1_waddr.next = wa
        s1_wblk.next = wblk
        s1_acc.next = acc_data
        s1_x.next = sram_data
        s1_z.next = sram_data2
        s1_scale.next = scale_data
        s1_param.next = param_data

    m1, s1, m2, s2 = unsigned(16), unsigned(8), unsigned(16), unsigned(8)
    fields = [bits_of(s1_param, m1, 0), bits_of(s1_param, s1, 16), bits_of(s1_param, m2, 24),
              bits_of(s1_param, s2, 40)]

    # --- the lanes and the reductions --------------------------------------------------------
    rowmax, tmax = signed(32), signed(32)
    rowsum, rowsum21, tsum = signed(RED_BITS), signed(21, modbv), signed(RED_BITS)
    ssq = signed(52)
    recip = unsigned(DIV_Q_BITS)
    amax = [signed(32) for _ in range(L)]
    red = [signed(RED_BITS) for _ in range(L)]
    ys = [signed(8, modbv) for _ in range(L)]
    lane_insts = [vec_lane(s1_acc, s1_x, s1_z, s1_scale, i, op_r, s1_phase, pc_r, m1, s1, m2, s2,
                           rowmax, rowsum21, dlen, recip, lnshift, lut_bits, amax[i], red[i], ys[i])
                  for i in range(L)]
    trees = [tree(amax, tmax, max2), tree(red, tsum, add2)]
    ybus = unsigned(8 * L)
    packs = [pack(ys, ybus), bits_of(rowsum, rowsum21, 0)]

    # --- the transpose buffer ------------------------------------------------------------------
    tr_we, drain, drain_bank = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    drain_l, drain_base, dwa = unsigned(lg), unsigned(12), unsigned(12, modbv)
    touts = [unsigned(8) for _ in range(L)]
    tbus = unsigned(8 * L)
    trans = [trans_lane(clock, reset, s1_x, tr_we, s1_bank, s1_ii, i, drain_bank, drain_l,
                        touts[i]) for i in range(L)]
    trans.append(pack(touts, tbus))

    @always_comb
    def transpose_control():
        tr_we.next = s1_valid and op_r == OP_VTRANS
        dwa.next = drain_base + drain_l

    # --- the per-row engines: a restoring divider and a restoring square root -----------------
    dv_a, dv_q, dv_d = unsigned(30), unsigned(DIV_Q_BITS), unsigned(28)
    da, dq, dd = unsigned(30), unsigned(DIV_Q_BITS), unsigned(28)
    dt, ddiff = unsigned(31), unsigned(31, modbv)
    dge = Signal(bool(0))
    sq_rem, sq_root, sq_bit = (unsigned(SQRT_BITS) for _ in range(3))
    rin, oin, sbit, trial = (unsigned(SQRT_BITS) for _ in range(4))
    sdiff = unsigned(SQRT_BITS, modbv)
    sge, div_en, sq_en = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    sqbit_const = Signal(intbv(1 << 52)[SQRT_BITS:])  # 4^26: the first trial bit for n < 2^54

    @always_comb
    def engine_enables():
        div_en.next = phase == PH_EXTRA and (
            (op_r == OP_VSOFTMAX and kk >= VECTOR_DRAIN and kk <= SM_LAST)
            or (op_r == OP_VLNORM and kk >= LN_Q_FIRST and kk < LN_SQ_FIRST)
            or (op_r == OP_VLNORM and kk >= LN_R_FIRST and kk <= LN_LAST))
        sq_en.next = phase == PH_EXTRA and op_r == OP_VLNORM and kk >= LN_SQ_FIRST and (
            kk < LN_R_FIRST)

    @always_comb
    def divider_inputs():
        # A divide of N by D in n steps starts from A = N >> n, Q = N mod 2^n (left-aligned in
        # the 38-bit Q register); it is exact when N // D < 2^n (so A < D).
        if kk == VECTOR_DRAIN and op_r == OP_VSOFTMAX:  # 2^30 // sum e: sum >= 2^15, 16 bits
            da.next = SM_DIV_A0
            dq.next = 0
            dd.next = ssq[28:]
        elif kk == LN_Q_FIRST:  # ssq // d: q = d^2 var < 2^38
            da.next = ssq[52:DIV_Q_BITS]
            dq.next = ssq[DIV_Q_BITS:]
            dd.next = dlen
        elif kk == LN_R_FIRST:  # 2^40 // sigma: sigma >= 2^8 (or 0: then every c is 0)
            da.next = LN_DIV_A0
            dq.next = 0
            dd.next = sq_root[28:]
        else:
            da.next = dv_a
            dq.next = dv_q
            dd.next = dv_d

    @always_comb
    def divider_trial():
        dt.next = concat(da, dq[DIV_Q_BITS - 1])

    @always_comb
    def divider_diff():
        ddiff.next = dt - dd

    @always_comb
    def divider_compare():
        dge.next = dt >= dd

    @always_comb
    def sqrt_inputs():
        if kk == LN_SQ_FIRST:
            rin.next = dv_q << 16
            oin.next = 0
            sbit.next = sqbit_const
        else:
            rin.next = sq_rem
            oin.next = sq_root
            sbit.next = sq_bit

    @always_comb
    def sqrt_trial():
        trial.next = oin + sbit

    @always_comb
    def sqrt_diff():
        sdiff.next = rin - trial

    @always_comb
    def sqrt_compare():
        sge.next = rin >= trial

    @always_comb
    def reciprocal():
        recip.next = dv_q

    # --- stage 2: the write, the reductions, the engines' steps --------------------------------
    @always_seq(clock.posedge, reset=reset)
    def stage2():
        if s1_valid and s1_phase == PH_WRITE and op_r != OP_VTRANS:
            wr_en.next = 1
            wr_addr.next = s1_waddr
            wr_data.next = ybus
        elif drain:
            wr_en.next = 1
            wr_addr.next = dwa
            wr_data.next = tbus
        else:
            wr_en.next = 0
        if s1_valid and op_r == OP_VTRANS and s1_ilast:
            drain.next = 1
            drain_l.next = 0
            drain_base.next = s1_wblk
            drain_bank.next = s1_bank
        elif drain:
            if drain_l == L - 1:
                drain.next = 0
            else:
                drain_l.next = drain_l + 1
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
        if div_en:
            dv_d.next = dd
            dv_q.next = concat(dq[DIV_Q_BITS - 1:], dge)
            if dge:
                dv_a.next = ddiff[30:]
            else:
                dv_a.next = dt[30:]
        if sq_en:
            sq_bit.next = sbit >> 2
            if sge:
                sq_rem.next = sdiff
                sq_root.next = (oin >> 1) + sbit
            else:
                sq_rem.next = rin
                sq_root.next = oin >> 1

    @always_comb
    def busy_out():
        busy.next = active or s1_valid or drain or wr_en

    return (sequence, addresses, read_ports, row_length, row_length12, stage1, fields, lane_insts,
            trees, packs, trans, transpose_control, engine_enables, divider_inputs, divider_trial,
            divider_diff, divider_compare, sqrt_inputs, sqrt_trial, sqrt_diff, sqrt_compare,
            reciprocal, stage2, busy_out)


@block
def vector_harness(clock, reset, ld_en, ld_mem, ld_addr, ld_data, issue, op, dst, src, src2, p,
                   perchannel, frac, shp_rows, shp_chunks, shp_cstride, lut_bits, busy, wr_en,
                   wr_addr, wr_data, lanes, depth):
    """The vector unit with small memories of `depth` rows around it, for re-simulating the
    converted HDL from plain vectors (chipkit.flow.resim): addresses are taken modulo `depth`.

    ld_en, ld_mem, ld_addr, ld_data -- in: at the edge, row ld_addr of memory ld_mem (0 SRAM,
        1 ACC, 2 PARAM, 3 SCALE; ld_data's low bits) <- ld_data
    issue .. shp_cstride, lut_bits -- in: the vector unit's
    busy, wr_en, wr_addr, wr_data -- out: the vector unit's (its SRAM writes also land in the SRAM)
    """
    check_lanes(lanes)
    L = lanes
    aw = depth.bit_length() - 1
    if depth < 2 or depth & (depth - 1):
        raise ConfigError(f"harness depth must be a power of two >= 2, got {depth!r}")
    sram_m = [unsigned(8 * L) for _ in range(depth)]
    acc_m = [unsigned(32 * L) for _ in range(depth)]
    param_m = [unsigned(64) for _ in range(depth)]
    scale_m = [unsigned(32 * L) for _ in range(depth)]
    acc_addr, sram_addr, sram_addr2, scale_addr, wr_a = (unsigned(12) for _ in range(5))
    param_addr = unsigned(8)
    acc_data, scale_data = unsigned(32 * L), unsigned(32 * L)
    sram_data, sram_data2, param_data = unsigned(8 * L), unsigned(8 * L), unsigned(64)
    a_lo, s_lo, s2_lo, p_lo, c_lo, w_lo, l_lo = (unsigned(aw) for _ in range(7))
    ld_sram, ld_param = unsigned(8 * L), unsigned(64)
    unit = vector_unit(clock, reset, issue, op, dst, src, src2, p, perchannel, frac,
                       shp_rows, shp_chunks, shp_cstride, busy,
                       acc_addr, acc_data, sram_addr, sram_data, sram_addr2, sram_data2,
                       param_addr, param_data, scale_addr, scale_data, lut_bits,
                       wr_en, wr_addr, wr_data, L)
    lows = [bits_of(acc_addr, a_lo, 0), bits_of(sram_addr, s_lo, 0),
            bits_of(sram_addr2, s2_lo, 0), bits_of(param_addr, p_lo, 0),
            bits_of(scale_addr, c_lo, 0), bits_of(wr_addr, w_lo, 0), bits_of(ld_addr, l_lo, 0),
            bits_of(ld_data, ld_sram, 0), bits_of(ld_data, ld_param, 0)]

    @always_seq(clock.posedge, reset=None)
    def memories():
        if wr_en:
            sram_m[w_lo].next = wr_data
        if ld_en:
            if ld_mem == 0:
                sram_m[l_lo].next = ld_sram
            elif ld_mem == 1:
                acc_m[l_lo].next = ld_data
            elif ld_mem == 2:
                param_m[l_lo].next = ld_param
            else:
                scale_m[l_lo].next = ld_data

    @always_comb
    def reads():
        acc_data.next = acc_m[a_lo]
        sram_data.next = sram_m[s_lo]
        sram_data2.next = sram_m[s2_lo]
        param_data.next = param_m[p_lo]
        scale_data.next = scale_m[c_lo]

    return unit, lows, memories, reads


def harness_bench(lanes: int, depth: int = 16):
    """A clocked chipkit.flow.sim.Bench of vector_harness (for chipkit.flow.convert and
    chipkit.flow.resim)."""
    from chipkit.flow.sim import Bench

    def u(bits):
        return bool(0) if bits == 1 else intbv(0)[bits:]

    inputs = {"ld_en": u(1), "ld_mem": u(2), "ld_addr": u(12), "ld_data": u(32 * lanes),
              "issue": u(1), "op": u(6), "dst": u(12), "src": u(12), "src2": u(12), "p": u(8),
              "perchannel": u(1), "frac": u(4), "shp_rows": u(12), "shp_chunks": u(8),
              "shp_cstride": u(12), "lut_bits": u(2048)}
    outputs = {"busy": u(1), "wr_en": u(1), "wr_addr": u(12), "wr_data": u(8 * lanes)}
    return Bench(vector_harness, inputs, outputs, {"lanes": lanes, "depth": depth}, clocked=True)
