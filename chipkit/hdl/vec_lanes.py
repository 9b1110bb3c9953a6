"""The vector unit's per-lane datapaths and its reduction trees (chipkit.hdl.vector_unit puts them
together). One `vec_lane` per lane computes, from the stage-1 registers, every op's int8 result
and its contribution to a row reduction; the op picks one; `vector_lanes` puts L of them beside
the max and sum trees. All combinational: chipkit.hdl.vec_stages registers the result (the write)
or the reduction (max, sum) at the next edge.

Bit-exact to chipkit.models.vector_golden (golden). Rounding half up by a variable shift s without a
2^(s-1) constant: (v + 2^(s-1)) >> s == ((v >> (s-1)) + 1) >> 1 for s >= 1 (and v itself for
s = 0), so no constant ever needs 32 bits or more (docs/hdl-notes.md).
"""
from myhdl import ConcatSignal, Signal, always_comb, block, intbv, modbv

from chipkit import isa
from chipkit.models.intmath import EXP2_LUT

#: 2^(-f/256) at scale 2^-15, f = 0..255: the softmax exponential's ROM
EXP2_ROM = tuple(int(v) for v in EXP2_LUT)

#: the ops the vector unit runs, in this order; each code comes from the ISA table (chipkit.isa)
LANE_OPS = ("vrq", "vadd", "vrelu", "vgelu", "vsoftmax", "vlnorm", "vtrans", "vmove")
OP_VRQ, OP_VADD, OP_VRELU, OP_VGELU, OP_VSOFTMAX, OP_VLNORM, OP_VTRANS, OP_VMOVE = (
    isa.BY_NAME[name].code for name in LANE_OPS)
#: the phase a chunk was read in: reduction passes 1 and 2, the per-row engines, the write pass
PH_P1, PH_P2, PH_EXTRA, PH_WRITE = range(4)
SM_HALF = 1 << 22  # softmax's rounding: p = (e * r + 2^22) >> 23
RED_BITS = 48  # a lane's contribution to a row sum: c^2 < 2^40, L <= 64 lanes of it < 2^46


def signed(bits, kind=intbv):
    return Signal(kind(0, min=-(1 << (bits - 1)), max=1 << (bits - 1)))


def unsigned(bits, kind=intbv):
    return Signal(kind(0)[bits:])


@block
def bits_of(bus, out, lo):
    """out = bus[lo + len(out) - 1 : lo] (wiring; a modbv out reads the bits as signed)."""
    hi = lo + len(out)

    @always_comb
    def wire():
        out.next = bus[hi:lo]

    return wire


@block
def exp_rom(idx, dout):
    """dout = EXP2_ROM[idx]: a 256 x 16-bit ROM (a case statement in the HDL)."""

    @always_comb
    def read():
        dout.next = EXP2_ROM[int(idx)]

    return read


@block
def round_mul(x, m, sh, out):
    """out = (x * m + 2^(sh-1)) >> sh, rounding half up (no bias when sh = 0).

    x -- in, signed;  m -- in, unsigned;  sh -- in, unsigned shift;  out -- signed, len(x)+len(m)+2
    bits and at least 32 (the HDL's `+ 1` is 32 bits wide); exact, not saturated."""
    wp = len(x) + len(m) + 1
    prod, half = signed(wp), signed(wp + 1)

    @always_comb
    def multiply():
        prod.next = x * m

    @always_comb
    def shift():
        if sh == 0:
            half.next = prod << 1
        else:
            half.next = prod >> (sh - 1)

    @always_comb
    def rounding():
        out.next = (half + 1) >> 1

    return multiply, shift, rounding


@block
def sat8(v, y):
    """y = v clamped to -128..127.   v -- in, signed;  y -- out, signed 8-bit modbv."""

    @always_comb
    def clamp():
        if v > 127:
            y.next = 127
        elif v < -128:
            y.next = -128
        else:
            y.next = v[8:]

    return clamp


@block
def vec_lane(acc_bus, x_bus, z_bus, scale_bus, op, phase, perchannel, m1, s1, m2, s2,
             rowmax, rowsum, dlen, recip, lnshift, lut_bits, amax, red, y8, index):
    """Lane `index` of the vector unit (all combinational).

    acc_bus, x_bus, z_bus, scale_bus -- in: the stage-1 rows (ACC, SRAM src, SRAM src2, SCALE)
    op, phase, perchannel  -- in: the latched opcode, the phase the row was read in, vrq's flag
    m1, s1, m2, s2         -- in: the PARAM entry's fields
    rowmax  -- in, int32: softmax's row maximum (pass 1's result)
    rowsum  -- in, signed: LayerNorm's row sum S (pass 1's result)
    dlen    -- in: the row length d = chunks * L
    recip   -- in: the divider's result: softmax floor(2^30 / sum e), LayerNorm floor(2^40 / sigma)
    lnshift -- in: 40 - 8 - frac, LayerNorm's output shift
    lut_bits -- in, 2048 bits: the GELU table
    amax    -- out, int32: this lane's ACC value (for the max tree)
    red     -- out, signed RED_BITS: this lane's share of a row sum (e, x or c^2), else 0
    y8      -- out, int8: this lane's result for the op (write pass)
    index   -- Python int: the lane's number i, 0 .. L - 1

    No lane state: every op's datapath (requantize, add, ReLU, GELU table, softmax's exponential
    and probability, LayerNorm's centring and scaling) computes at once from the lane's slice of
    the stage-1 rows, and the op selects the int8 result and the reduction share.
    """
    a32 = signed(32, modbv)
    x8, z8 = signed(8, modbv), signed(8, modbv)
    sc_m, sc_s = unsigned(16), unsigned(8)
    wires = [bits_of(acc_bus, a32, 32 * index), bits_of(x_bus, x8, 8 * index),
             bits_of(z_bus, z8, 8 * index), bits_of(scale_bus, sc_m, 32 * index),
             bits_of(scale_bus, sc_s, 32 * index + 16)]

    # vrq (and vadd's first term): RQ(acc, m, s), per tensor or per channel
    rq_m, rq_s = unsigned(16), unsigned(8)
    rq_v, rq_y = signed(32 + 16 + 2), signed(8, modbv)

    @always_comb
    def rq_params():
        if perchannel and op == OP_VRQ:
            rq_m.next = sc_m
            rq_s.next = sc_s
        else:
            rq_m.next = m1
            rq_s.next = s1

    rq = [round_mul(a32, rq_m, rq_s, rq_v), sat8(rq_v, rq_y)]

    # vadd: sat8(RQ(acc, m1, s1) + RQ(z, m2, s2)). The first term is not saturated to int32 first:
    # |RQ(z)| < 2^23, so a term beyond int32 decides the int8 result alone, as it does saturated.
    ad_v, ad_sum, ad_y = signed(32), signed(32 + 16 + 3), signed(8, modbv)

    @always_comb
    def add_terms():
        ad_sum.next = rq_v + ad_v

    ad = [round_mul(z8, m2, s2, ad_v), sat8(ad_sum, ad_y)]

    # vrelu, vgelu
    re_y, ge_y = signed(8, modbv), signed(8, modbv)
    ge_idx, ge_sh = unsigned(8), unsigned(len(lut_bits))

    @always_comb
    def relu():
        if x8 > 0:
            re_y.next = x8
        else:
            re_y.next = 0

    @always_comb
    def gelu_index():
        ge_idx.next = x8[8:] ^ 128  # x + 128

    ge_off = unsigned(11)

    @always_comb
    def gelu_offset():
        ge_off.next = ge_idx << 3  # a signal: VHDL would size ge_idx * 8 like ge_idx

    @always_comb
    def gelu_shift():
        ge_sh.next = lut_bits >> ge_off

    @always_comb
    def gelu_pick():
        ge_y.next = ge_sh[8:]

    # softmax: u = RQ(min(max - s, 2^31 - 1), m1, s1); e = EXP2[u & 255] >> (u >> 8), 0 if u >= 4096
    sm_d, sm_dc = signed(34), signed(32)
    sm_u = signed(32 + 16 + 2)
    sm_rom, sm_e = unsigned(16), unsigned(16)
    sm_idx, sm_whole = unsigned(8), unsigned(4)
    sm_p, sm_r, sm_y = unsigned(16 + 38), unsigned(16 + 38), signed(8, modbv)
    ones31_const = Signal(intbv((1 << 31) - 1)[31:])

    @always_comb
    def sm_dist():
        sm_d.next = rowmax - a32

    @always_comb
    def sm_clamp():
        if sm_d[31]:  # max - s >= 2^31 (it is below 2^32)
            sm_dc.next = ones31_const
        else:
            sm_dc.next = sm_d[31:]

    @always_comb
    def sm_split():
        sm_idx.next = sm_u[8:]
        sm_whole.next = sm_u[12:8]

    @always_comb
    def sm_exp():
        if sm_u >= 4096:
            sm_e.next = 0
        else:
            sm_e.next = sm_rom >> sm_whole

    @always_comb
    def sm_prob():
        sm_p.next = sm_e * recip

    @always_comb
    def sm_round():
        sm_r.next = (sm_p + SM_HALF) >> 23

    @always_comb
    def sm_out():
        if sm_r > 127:
            sm_y.next = 127
        else:
            sm_y.next = sm_r[8:]

    sm = [round_mul(sm_dc, m1, s1, sm_u), exp_rom(sm_idx, sm_rom)]

    # LayerNorm: c = d * x - S; pass 2 sums c^2; pass 3 writes sat8(RQ(c * r, 32 - frac))
    ln_c, ln_c2 = signed(23), signed(46)
    ln_v, ln_y = signed(23 + 38 + 2), signed(8, modbv)

    @always_comb
    def ln_center():
        ln_c.next = dlen * x8 - rowsum

    @always_comb
    def ln_square():
        ln_c2.next = ln_c * ln_c

    ln = [round_mul(ln_c, recip, lnshift, ln_v), sat8(ln_v, ln_y)]

    @always_comb
    def result():
        if op == OP_VRQ:
            y8.next = rq_y
        elif op == OP_VADD:
            y8.next = ad_y
        elif op == OP_VRELU:
            y8.next = re_y
        elif op == OP_VGELU:
            y8.next = ge_y
        elif op == OP_VSOFTMAX:
            y8.next = sm_y
        elif op == OP_VLNORM:
            y8.next = ln_y
        else:
            y8.next = x8

    @always_comb
    def reduction():
        if op == OP_VSOFTMAX and phase == PH_P2:
            red.next = sm_e
        elif op == OP_VLNORM and phase == PH_P1:
            red.next = x8
        elif op == OP_VLNORM and phase == PH_P2:
            red.next = ln_c2
        else:
            red.next = 0

    @always_comb
    def lane_value():
        amax.next = a32

    return (wires, rq_params, rq, add_terms, ad, relu, gelu_index, gelu_offset, gelu_shift,
            gelu_pick, sm_dist, sm_clamp, sm_split, sm_exp, sm_prob, sm_round, sm_out, sm,
            ln_center, ln_square, ln, result, reduction, lane_value)


@block
def max2(a, b, y):
    """y = max(a, b) (signed)."""

    @always_comb
    def pick():
        if a > b:
            y.next = a
        else:
            y.next = b

    return pick


@block
def add2(a, b, y):
    """y = a + b."""

    @always_comb
    def total():
        y.next = a + b

    return total


@block
def tree(lanes, out, pair):
    """A balanced tree of 2-input `pair` blocks (max2, add2) over `lanes` (a power of two >= 2);
    every node as wide as `out`."""
    insts, level = [], list(lanes)
    while len(level) > 1:
        nodes = [out] if len(level) == 2 else [Signal(intbv(0, min=out.min, max=out.max))
                                               for _ in range(len(level) // 2)]
        insts += [pair(level[2 * j], level[2 * j + 1], nodes[j]) for j in range(len(nodes))]
        level = nodes
    del nodes  # a loop variable would lend its name to a signal in the converted HDL
    return insts


@block
def pack(lanes, bus):
    """bus = the lanes side by side, lanes[0] in the low bits (wiring). Lanes are unsigned or
    signed; unsigned copies go into the concatenation (VHDL rejects a ConcatSignal of signed)."""
    w = len(lanes[0])
    copies = [unsigned(w) for _ in lanes]
    joined = ConcatSignal(*reversed(copies))
    wires = [bits_of(s, u, 0) for s, u in zip(lanes, copies)]

    @always_comb
    def drive():
        bus.next = joined

    return wires, drive


@block
def vector_lanes(x_acc, x_sram, x_sram2, x_scale, x_param, op, phase, perchannel, rowmax, rowsum,
                 dlen, recip, lnshift, lut_bits, tmax, tsum, ybus, lanes):
    """The L lanes and their reduction trees (all combinational).

    x_acc, x_sram, x_sram2, x_scale -- in, 32L, 8L, 8L, 32L bits: the stage-1 rows (ACC, SRAM
                 src, SRAM src2, SCALE); lane i takes bits 32i.. or 8i..
    x_param    -- in, 64 bits: the stage-1 PARAM entry (m1 15..0, s1 23..16, m2 39..24, s2 47..40)
    op, phase, perchannel -- in: the latched opcode, the phase the row was read in, vrq's flag
    rowmax     -- in, int32: softmax's row maximum
    rowsum     -- in, signed RED_BITS: LayerNorm's row sum S (its low 21 bits reach the lanes)
    dlen, recip, lnshift, lut_bits -- in: as vec_lane's
    tmax       -- out, int32: the largest ACC value of the row
    tsum       -- out, signed RED_BITS: the sum of the lanes' reduction shares
    ybus       -- out, 8L bits: the lanes' int8 results side by side, lane 0 in the low bits
    lanes      -- Python int L

    Every lane computes every op at once and a multiplexer picks the op's result; the trees
    reduce the row's chunk to one maximum and one sum a cycle (log2 L levels of 2-input nodes).
    """
    m1, s1, m2, s2 = unsigned(16), unsigned(8), unsigned(16), unsigned(8)
    fields = [bits_of(x_param, m1, 0), bits_of(x_param, s1, 16), bits_of(x_param, m2, 24),
              bits_of(x_param, s2, 40)]
    rowsum21 = signed(21, modbv)  # |S| <= 128 d <= 2^19 (golden rows: d <= 4096)
    amax = [signed(32) for _ in range(lanes)]
    red = [signed(RED_BITS) for _ in range(lanes)]
    ys = [signed(8, modbv) for _ in range(lanes)]
    lane_insts = [vec_lane(x_acc, x_sram, x_sram2, x_scale, op, phase, perchannel, m1, s1, m2, s2,
                           rowmax, rowsum21, dlen, recip, lnshift, lut_bits, amax[i], red[i], ys[i],
                           i)
                  for i in range(lanes)]
    trees = [tree(amax, tmax, max2), tree(red, tsum, add2)]
    packs = [pack(ys, ybus), bits_of(rowsum, rowsum21, 0)]
    return fields, lane_insts, trees, packs
