"""The vector unit with small memories around it, for converting it alone and re-simulating the
converted Verilog and VHDL from plain vectors (chipkit.flow.resim, chipkit.flow.resim_vhdl).
"""
from myhdl import always_comb, always_seq, block, intbv

from chipkit import isa
from chipkit.errors import ConfigError
from chipkit.hdl.vec_lanes import bits_of, unsigned
from chipkit.hdl.vector_unit import check_lanes, vector_unit


@block
def vector_harness(clock, reset, ld_en, ld_mem, ld_addr, ld_data, issue, op, dst, src, src2, p,
                   perchannel, frac, shp_rows, shp_chunks, shp_cstride, lut_bits, busy, wr_en,
                   wr_addr, wr_data, lanes, depth):
    """The vector unit with small memories of `depth` rows around it (addresses modulo `depth`).

    clock, reset -- in, 1 bit (synchronous, active high)
    ld_en, ld_mem, ld_addr, ld_data -- in, 1, 2, 12, 32L bits: at the edge, row ld_addr of memory
        ld_mem (0 SRAM, 1 ACC, 2 PARAM, 3 SCALE; ld_data's low bits) <- ld_data
    issue .. shp_cstride, lut_bits -- in: the vector unit's
    busy, wr_en, wr_addr, wr_data -- out: the vector unit's (its SRAM writes also land in the SRAM)
    lanes, depth -- Python ints: L, and the rows of each memory (a power of two >= 2)

    The core's memories are far too large to convert for a test of the unit alone; these hold a
    few rows each, written by the vectors before the op is issued, so the converted unit can be
    re-simulated from plain vectors (chipkit.flow.resim) and compared with MyHDL and the golden.
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
    acc_addr, sram_addr, sram_addr2, scale_addr = (unsigned(12) for _ in range(4))
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
              "issue": u(1), "op": u(isa.OPCODE_BITS), "dst": u(12), "src": u(12), "src2": u(12),
              "p": u(8), "perchannel": u(1), "frac": u(4), "shp_rows": u(12), "shp_chunks": u(8),
              "shp_cstride": u(12), "lut_bits": u(2048)}
    outputs = {"busy": u(1), "wr_en": u(1), "wr_addr": u(12), "wr_data": u(8 * lanes)}
    return Bench(vector_harness, inputs, outputs, {"lanes": lanes, "depth": depth}, clocked=True)
