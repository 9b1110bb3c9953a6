"""The inference core's host port: how a testbench (MyHDL, Icarus, Verilator) loads the program and
the memory images before `start` and reads every memory and counter back after `halted`.

This module is the one definition of the port's widths and memory codes: chipkit.hdl.core builds
its top-level ports from them, and the backends (chipkit.backends.core_rtl, core_verilator,
core_icarus) build their signals and harnesses from them.
"""
from __future__ import annotations

from myhdl import ConcatSignal, Signal, always_comb, block, intbv

from chipkit import isa

#: host_mem codes: the five on-chip memories keep their ISA codes (0..4), then these
HOST_DRAM, HOST_IMEM, HOST_COUNTERS = 5, 6, 7
HOST_MEM_BITS = 3  # host_mem: codes 0..7
HOST_WORD_BITS = isa.WORD_BITS  # host_wdata, host_rdata: one 64-bit word
HOST_WORD_BYTES = HOST_WORD_BITS // 8
#: host_addr: a word address; 24 bits reach every word of the largest DRAM (4 MB: 2^19 words)
#: and of the largest on-chip memory (4096 ACC rows of 64 lanes: 2^17 words)
HOST_ADDR_BITS = 24


def host_signals() -> tuple:
    """(host_mem, host_addr, host_wdata, host_rdata): the host port's bus signals, at zero."""
    return (Signal(intbv(0)[HOST_MEM_BITS:]), Signal(intbv(0)[HOST_ADDR_BITS:]),
            Signal(intbv(0)[HOST_WORD_BITS:]), Signal(intbv(0)[HOST_WORD_BITS:]))


def words_per_row(mem: str, lanes: int) -> int:
    """64-bit host words per row of an on-chip memory (rows narrower than 64 bits: one)."""
    return max(1, isa.row_bytes(mem, lanes) // HOST_WORD_BYTES)


def host_word_bits(lanes: int) -> int:
    """Bits of the index of a host word within a row (the widest row has the most words)."""
    return max(1, (max(words_per_row(m, lanes) for m in isa.MEMORIES) - 1).bit_length())


@block
def host_port(host_mem, host_addr, host_wdata, sram_rd, acc_rd, param_rd, scale_rd, imem_rd,
              dram_rd, lut_bits, counters,
              host_row, host_wr, host_rdata, sram_ra, acc_ra, param_ra, scale_ra, imem_ra,
              dram_ra, lanes, imem_depth, dram_bytes):
    """The host's view of the memories: where a host word lands, and what the host reads.

    host_mem   -- in, 3 bits: 0..4 the on-chip memories (ISA codes), 5 DRAM, 6 IMEM, 7 counters
    host_addr  -- in, 24 bits: the 64-bit word (rows wider than 64 bits are several words,
                  lowest first; DRAM words are 8 bytes; counters: the index in COUNTERS)
    host_wdata -- in, 64 bits: the word a host write brings
    sram_rd, acc_rd, param_rd, scale_rd, imem_rd -- in, a row each: the read ports' data
    dram_rd    -- in, a list of 8 bytes: the DRAM read ports' data, byte j of the word
    lut_bits   -- in, 256 x 8 bits: the GELU table (one register)
    counters   -- in, a list of 48-bit counters (chipkit.timing.COUNTERS order)
    host_row   -- out, 12 bits: the row of an on-chip memory the host word is in
    host_wr    -- out, the widest row's bits: that row with the host's word merged in (what a
                  host write stores; chipkit.hdl.core_memories writes it)
    host_rdata -- out, 64 bits: the word host_mem/host_addr reads (combinational)
    sram_ra, acc_ra, param_ra, scale_ra, imem_ra -- out: the read ports' addresses
    dram_ra    -- out, a list of 8 DRAM byte addresses (the word's bytes)
    lanes, imem_depth, dram_bytes -- the core's geometry (Python ints)

    Everything here is combinational: an address becomes a row and a word within it, the read
    ports fetch that row, a write merges the host's word into it (the memories write the whole
    row at the edge) and a read picks the word out. The host uses the port only while the core
    is stopped, so it shares nothing with the units.
    """
    L = lanes
    SRAM_BITS = 8 * isa.row_bytes("sram", L)
    ROW_MAX = len(host_wr)
    ROWS_MAX = 1 << len(host_row)
    NDRAM = dram_bytes
    NCOUNTERS = len(counters)
    C_SRAM, C_ACC, C_PARAM, C_SCALE, C_LUT = (isa.MEMORIES[m].code for m in
                                              ("sram", "acc", "param", "scale", "lut"))
    WPR_ACC, WPR_SCALE, WPR_SRAM = (words_per_row(m, L) for m in ("acc", "scale", "sram"))
    ones64 = Signal(intbv((1 << HOST_WORD_BITS) - 1)[HOST_WORD_BITS:])
    row_ones = Signal(intbv((1 << SRAM_BITS) - 1)[SRAM_BITS:])
    host_word = Signal(intbv(0)[host_word_bits(L):])
    dram_word = ConcatSignal(*reversed(dram_rd))

    @always_comb
    def host_index():
        if host_mem == C_ACC:
            host_row.next = (host_addr // WPR_ACC) % ROWS_MAX
            host_word.next = host_addr % WPR_ACC
        elif host_mem == C_SCALE:
            host_row.next = (host_addr // WPR_SCALE) % ROWS_MAX
            host_word.next = host_addr % WPR_SCALE
        elif host_mem == C_PARAM:
            host_row.next = host_addr % ROWS_MAX
            host_word.next = 0
        else:
            host_row.next = (host_addr // WPR_SRAM) % ROWS_MAX
            host_word.next = host_addr % WPR_SRAM

    @always_comb
    def host_merge():
        old = intbv(0)[ROW_MAX:]
        if host_mem == C_ACC:
            old[:] = acc_rd
        elif host_mem == C_SCALE:
            old[:] = scale_rd
        elif host_mem == C_PARAM:
            old[:] = param_rd
        elif host_mem == C_LUT:
            old[:] = (lut_bits >> (SRAM_BITS * host_row)) & row_ones
        else:
            old[:] = sram_rd
        host_wr.next = ((old & ~(ones64 << (64 * host_word)))
                        | (host_wdata << (64 * host_word)))

    @always_comb
    def host_ports():
        sram_ra.next = host_row
        acc_ra.next = host_row
        param_ra.next = host_row
        scale_ra.next = host_row
        imem_ra.next = host_addr % imem_depth

    @always_comb
    def host_dram_ports():
        for j in range(8):
            dram_ra[j].next = (host_addr * 8 + j) % NDRAM

    @always_comb
    def host_read():
        r = intbv(0)[64:]
        if host_mem == C_ACC:
            r[:] = (acc_rd >> (64 * host_word)) & ones64
        elif host_mem == C_SCALE:
            r[:] = (scale_rd >> (64 * host_word)) & ones64
        elif host_mem == C_PARAM:
            r[:] = param_rd
        elif host_mem == C_LUT:
            r[:] = (lut_bits >> (SRAM_BITS * host_row + 64 * host_word)) & ones64
        elif host_mem == C_SRAM:
            r[:] = (sram_rd >> (64 * host_word)) & ones64
        elif host_mem == HOST_DRAM:
            r[:] = dram_word
        elif host_mem == HOST_IMEM:
            r[:] = imem_rd
        else:
            if host_addr < NCOUNTERS:
                r[:] = counters[host_addr]
        host_rdata.next = r

    return host_index, host_merge, host_ports, host_dram_ports, host_read
