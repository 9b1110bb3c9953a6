"""The inference core's memories: their read ports and their writes.

Memories are multi-ported (several units read and write different rows in one cycle), which a
real chip builds from banks; reads are combinational, writes land at the clock edge. The memories
themselves are lists of signals the top (chipkit.hdl.core) declares; the blocks here read and
write them.
"""
from __future__ import annotations

from myhdl import Signal, always, always_seq, block, intbv

from chipkit import isa
from chipkit.hdl.core_host import HOST_DRAM, HOST_IMEM, HOST_WORD_BYTES


@block
def mem_read(mem, addr, data, written):
    """A combinational read port: data = mem[addr] (0 beyond the memory).

    mem     -- in, a list of rows: the memory
    addr    -- in: the row
    data    -- out, a row: mem[addr], or 0 past the last row
    written -- in, 1 bit: toggles in every cycle the memory is written. The port listens to it
               and to `addr` only: a port sensitive to every row (what always_comb infers) makes
               MyHDL re-arm thousands of waiters per write (measured: 20x slower on a 16 KB DRAM).

    A read port is a multiplexer over the rows. Its output changes when its address changes or
    when a row changes; the toggle stands for "some row changed", so the simulator wakes the port
    once per written cycle instead of watching every row.
    """
    depth = len(mem)
    abits = max(1, (depth - 1).bit_length())  # the address bits the memory decodes

    @always(addr, written)
    def port():
        if addr < depth:
            data.next = mem[addr[abits:]]
        else:
            data.next = 0

    return port


@block
def memory_writes(clock, reset, host_we, host_mem, host_addr, host_wdata, host_row, host_wr,
                  dma_we, dma_mem, dma_waddr, dma_wdata, st_we, st_addr, st_data, st_len,
                  mm_we, mm_waddr, mm_wdata, v_we, v_waddr, v_wdata,
                  sram, acc, param, scale, lut_bits, imem, dram,
                  tog_sram, tog_acc, tog_param, tog_scale, tog_imem, tog_dram,
                  lanes, imem_depth):
    """Every write into the core's memories, and the toggles their read ports listen to.

    clock, reset -- reset clears the toggles only (a reset must not wipe what the host loaded)
    host_we, host_mem, host_addr, host_wdata -- in: a host write (chipkit.hdl.core_host codes)
    host_row, host_wr -- in: its on-chip row, and that row with the host's word merged in
    dma_we, dma_mem, dma_waddr, dma_wdata -- in: a DMA load writes row dma_waddr of memory
               dma_mem (an ISA code; the widest row's bits, each memory takes its low bits)
    st_we, st_addr, st_data, st_len -- in: a DMA store writes bytes st_addr .. st_addr+st_len-1
               of DRAM from st_data (8 bits a byte lane, lowest first)
    mm_we, mm_waddr, mm_wdata -- in: the array's result row into ACC
    v_we, v_waddr, v_wdata -- in: the vector unit's result row into SRAM
    sram, acc, param, scale, imem, dram -- out: the memories (lists of rows; DRAM of bytes)
    lut_bits   -- out, 256 x 8 bits: the GELU table, one register of 256 / L rows
    tog_sram, tog_acc, tog_param, tog_scale, tog_imem, tog_dram -- out, 1 bit each: flips in
               every cycle its memory is written
    lanes, imem_depth -- Python ints

    Each memory has one write process in plain @always(clock.posedge) (an always_seq would reset
    every row). Several writers may name one memory in a cycle only on different rows: the host
    writes while the core is stopped, the DMA and the units never overlap in a valid program.
    """
    SRAM_BITS = 8 * isa.row_bytes("sram", lanes)
    ACC_BITS = 8 * isa.row_bytes("acc", lanes)
    PARAM_BITS = 8 * isa.row_bytes("param", lanes)
    SCALE_BITS = 8 * isa.row_bytes("scale", lanes)
    C_SRAM, C_ACC, C_PARAM, C_SCALE, C_LUT = (isa.MEMORIES[m].code for m in
                                              ("sram", "acc", "param", "scale", "lut"))
    NDRAM = len(dram)
    HW = HOST_WORD_BYTES
    BW = len(st_data) // 8
    row_ones = Signal(intbv((1 << SRAM_BITS) - 1)[SRAM_BITS:])  # one LUT row's mask

    @always(clock.posedge)
    def sram_write():
        if host_we and host_mem == C_SRAM:
            sram[host_row].next = host_wr[SRAM_BITS:]
        if dma_we and dma_mem == C_SRAM:
            sram[dma_waddr].next = dma_wdata[SRAM_BITS:]
        if v_we:
            sram[v_waddr].next = v_wdata

    @always(clock.posedge)
    def acc_write():
        if host_we and host_mem == C_ACC:
            acc[host_row].next = host_wr[ACC_BITS:]
        if dma_we and dma_mem == C_ACC:
            acc[dma_waddr].next = dma_wdata[ACC_BITS:]
        if mm_we:
            acc[mm_waddr].next = mm_wdata

    @always(clock.posedge)
    def small_write():
        if host_we and host_mem == C_PARAM:
            param[host_row].next = host_wr[PARAM_BITS:]
        if dma_we and dma_mem == C_PARAM:
            param[dma_waddr].next = dma_wdata[PARAM_BITS:]
        if host_we and host_mem == C_SCALE:
            scale[host_row].next = host_wr[SCALE_BITS:]
        if dma_we and dma_mem == C_SCALE:
            scale[dma_waddr].next = dma_wdata[SCALE_BITS:]
        if host_we and host_mem == HOST_IMEM:
            imem[host_addr % imem_depth].next = host_wdata

    @always_seq(clock.posedge, reset=None)
    def lut_write():
        if host_we and host_mem == C_LUT:
            lut_bits.next = ((lut_bits & ~(row_ones << (SRAM_BITS * host_row)))
                             | (host_wr[SRAM_BITS:] << (SRAM_BITS * host_row)))
        elif dma_we and dma_mem == C_LUT:
            lut_bits.next = ((lut_bits & ~(row_ones << (SRAM_BITS * dma_waddr)))
                             | (dma_wdata[SRAM_BITS:] << (SRAM_BITS * dma_waddr)))

    @always(clock.posedge)
    def dram_write():
        if host_we and host_mem == HOST_DRAM:
            for j in range(HW):
                if host_addr * HW + j < NDRAM:
                    dram[(host_addr * HW + j) % NDRAM].next = (host_wdata >> (8 * j)) & 255
        if st_we:
            for j in range(BW):
                if j < st_len:
                    dram[st_addr + j].next = (st_data >> (8 * j)) & 255

    @always_seq(clock.posedge, reset=reset)
    def toggles():
        """Flip each memory's toggle in a cycle it is written (its read ports listen to it);
        registers, so they reset (a toggle left x in Verilog would never flip)."""
        if (host_we and host_mem == C_SRAM) or (dma_we and dma_mem == C_SRAM) or v_we:
            tog_sram.next = not tog_sram
        if (host_we and host_mem == C_ACC) or (dma_we and dma_mem == C_ACC) or mm_we:
            tog_acc.next = not tog_acc
        if (host_we and host_mem == C_PARAM) or (dma_we and dma_mem == C_PARAM):
            tog_param.next = not tog_param
        if (host_we and host_mem == C_SCALE) or (dma_we and dma_mem == C_SCALE):
            tog_scale.next = not tog_scale
        if host_we and host_mem == HOST_IMEM:
            tog_imem.next = not tog_imem
        if (host_we and host_mem == HOST_DRAM) or st_we:
            tog_dram.next = not tog_dram

    return sram_write, acc_write, small_write, lut_write, dram_write, toggles

