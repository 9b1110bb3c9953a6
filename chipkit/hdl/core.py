"""The inference core in MyHDL, drawn as its block diagram: the controller (chipkit.hdl.
core_controller) fetches from the instruction memory and issues to the units -- the DMA queue
and engine (core_dma), the weight loader and the array streamer around the double-buffered array
(core_matrix, core_array), the vector unit (vector_unit) -- which read and write the on-chip
memories (core_memories: SRAM, ACC, PARAM, SCALE, LUT) and the DRAM; a host port (core_host)
loads everything before `start` and reads it back after `halted`.

It meets chipkit.models.core_fast's timing cycle for cycle (that module's docstring is the
specification) and ends every valid program in the golden model's state, so the same block runs
in MyHDL, in Icarus and in Verilator (chipkit.backends.core_rtl).

Every width comes from the CoreConfig, the ISA's field widths and chipkit.timing. `core` looks up
`core_array` and `DMA_QUEUE` in this module when it is elaborated, so a test can swap in a faulty
array or a shorter queue (tests/hdl/test_core_lockstep.py).
"""
from __future__ import annotations

from myhdl import Signal, always_seq, block, intbv

from chipkit import isa
from chipkit.config import CoreConfig
from chipkit.errors import ConfigError
from chipkit.hdl.array import SUM_BITS
from chipkit.hdl.core_array import core_array
from chipkit.hdl.core_controller import (
    CAUSE_BITS,
    COUNTER_BITS,
    PC_BITS,
    controller,
    field_bits,
    perf_counters,
    vector_fields,
)
from chipkit.hdl.core_dma import dma_engine, dma_queue, dram_address_bits, row_bytes_bits
from chipkit.hdl.core_host import host_port
from chipkit.hdl.core_matrix import accumulator, array_streamer, mm_count_bits, weight_loader
from chipkit.hdl.core_memories import mem_read, memory_writes
from chipkit.timing import COUNTERS, DMA_QUEUE

MAX_RTL_BANDWIDTH = 64  # bytes per cycle the RTL DMA moves at most (one byte lane each)


def check_rtl_config(cfg: CoreConfig, imem_depth: int) -> None:
    if cfg.dma_bytes_per_cycle > MAX_RTL_BANDWIDTH:
        raise ConfigError(f"the RTL DMA moves at most {MAX_RTL_BANDWIDTH} bytes per cycle (one "
                          f"byte lane each); got dma_bytes_per_cycle={cfg.dma_bytes_per_cycle}")
    if not 1 <= imem_depth <= 1 << PC_BITS:
        raise ConfigError(f"the RTL core holds 1..{1 << PC_BITS} instructions, got {imem_depth}")


def _u(bits):
    return Signal(intbv(0)[bits:])


def _b():
    return Signal(bool(0))


@block
def core(clock, reset, start, halted, host_we, host_mem, host_addr, host_wdata, host_rdata,
         cfg: CoreConfig, imem_depth: int, vector=True, probe=None):
    """The core `cfg` with an instruction memory of `imem_depth` words.

    clock, reset -- reset (synchronous, active high) clears every register, not the memories
    start      -- in: a one-cycle pulse begins the program at pc 0 (after loading)
    halted     -- out: high from the cycle after `halt` issued
    host_we, host_mem, host_addr, host_wdata -- in: write 64-bit word host_addr of memory
                  host_mem (0 sram, 1 acc, 2 param, 3 scale, 4 lut, 5 dram, 6 imem; rows wider
                  than 64 bits are several words, lowest first; DRAM words are 8 bytes)
    host_rdata -- out: the word host_mem/host_addr reads (7: counter host_addr, see COUNTERS)
    vector     -- False leaves the vector unit out (a core for lw/mm/dma programs only)
    probe      -- None, or a dict filled with the memories and counters (MyHDL testbenches)

    The controller issues one instruction a cycle to a unit that is free; the units run in the
    background and meet only in the memories, whose read ports are combinational and whose
    writes land at the clock edge.
    """
    check_rtl_config(cfg, imem_depth)
    L, depth = cfg.lanes, DMA_QUEUE  # this module's globals, looked up now (tests patch them)
    RB = {m: isa.row_bytes(m, L) for m in isa.MEMORIES}
    SRAM_BITS, ACC_BITS, PARAM_BITS, SCALE_BITS = (8 * RB[m] for m in ("sram", "acc", "param",
                                                                      "scale"))
    ROW_MAX = 8 * max(RB.values())  # the widest row (ACC, SCALE)
    ROW_BITS = field_bits("dma.ld", "row")
    DRAM_BITS = field_bits("dma.ld", "dram")
    # ---------------------------------------------------------------- memories
    sram = [_u(SRAM_BITS) for _ in range(cfg.sram_rows)]
    acc = [_u(ACC_BITS) for _ in range(cfg.acc_rows)]
    param = [_u(PARAM_BITS) for _ in range(cfg.param_rows)]
    scale = [_u(SCALE_BITS) for _ in range(cfg.scale_rows)]
    lut_bits = _u(8 * RB["lut"] * cfg.lut_rows)
    imem = [_u(isa.WORD_BITS) for _ in range(imem_depth)]
    dram = [_u(8) for _ in range(cfg.dram_bytes)]
    tog_sram, tog_acc, tog_param, tog_scale, tog_imem, tog_dram = (_b() for _ in range(6))
    # ---------------------------------------------------------------- controller
    running, issue, word, d_op = _b(), _b(), _u(isa.WORD_BITS), _u(isa.OPCODE_BITS)
    pc, cause = _u(PC_BITS), _u(CAUSE_BITS)
    issue_dma, issue_lw, issue_mm, issue_vec = (_b() for _ in range(4))
    shp_rows = Signal(intbv(1)[field_bits("vshape", "rows"):])  # a fresh core: 1 row, 1 chunk
    shp_chunks = Signal(intbv(1)[field_bits("vshape", "chunks"):])
    shp_cstride = _u(field_bits("vshape", "cstride"))
    cnt = [_u(COUNTER_BITS) for _ in COUNTERS]  # a small memory, index = COUNTERS
    # ---------------------------------------------------------------- DMA
    dma_count, dma_full, dma_head = _u(depth.bit_length()), _b(), _u(isa.WORD_BITS)
    rx_valid, rx_last, dma_mem, dma_ra = _b(), _b(), _u(field_bits("dma.ld", "mem")), _u(ROW_BITS)
    dma_we, dma_waddr, dma_wdata = _b(), _u(ROW_BITS), _u(ROW_MAX)
    st_we, st_addr = _b(), _u(dram_address_bits(L))
    st_data, st_len = _u(8 * cfg.dma_bytes_per_cycle), _u(row_bytes_bits(L))
    # ---------------------------------------------------------------- matrix unit
    lw_left, lw_buf, w_load = _u(L.bit_length()), _b(), _b()
    a_valid, a_sel, t_acc, t_accum = _b(), _b(), _u(field_bits("mm", "acc")), _b()
    mm_left = _u(field_bits("mm", "rows"))
    mm_cnt0, mm_cnt1 = _u(mm_count_bits(L)), _u(mm_count_bits(L))
    c_out, c_valid, mm_we, mm_wdata = _u(SUM_BITS * L), _b(), _b(), _u(ACC_BITS)
    mm_waddr = _u(len(t_acc))
    # ---------------------------------------------------------------- vector unit
    v_issue, vec_busy, v_perchannel = _b(), _b(), _b()
    v_dst, v_src, v_src2 = (_u(field_bits("vrq", f)) for f in ("dst", "src", "src"))
    v_p, v_frac = _u(field_bits("vrq", "p")), _u(field_bits("vlnorm", "frac"))
    v_we, v_waddr, v_wdata = _b(), _u(ROW_BITS), _u(SRAM_BITS)
    # ---------------------------------------------------------------- host port
    host_row, host_wr = _u(ROW_BITS), _u(ROW_MAX)
    # ---------------------------------------------------------------- read ports
    plan = []  # (memory, address, data, toggle) of each read port
    toggle_of = {id(sram): tog_sram, id(acc): tog_acc, id(param): tog_param, id(scale): tog_scale,
                 id(imem): tog_imem, id(dram): tog_dram}

    def read_port(mem, addr, dbits):
        data = _u(dbits)
        plan.append((mem, addr, data, toggle_of[id(mem)]))
        return addr, data

    imem_a, imem_d = read_port(imem, _u(PC_BITS), isa.WORD_BITS)  # fetch
    lw_ra, lw_rd = read_port(sram, _u(ROW_BITS), SRAM_BITS)  # the weight bus
    mm_ra, mm_rd = read_port(sram, _u(ROW_BITS), SRAM_BITS)  # rows of A
    mma_ra, mma_rd = read_port(acc, _u(ROW_BITS), ACC_BITS)  # accumulate
    _, dsr_rd = read_port(sram, dma_ra, SRAM_BITS)  # DMA stores
    _, dac_rd = read_port(acc, dma_ra, ACC_BITS)
    _, dpa_rd = read_port(param, dma_ra, PARAM_BITS)
    _, dsc_rd = read_port(scale, dma_ra, SCALE_BITS)
    vs_ra, vs_rd = read_port(sram, _u(ROW_BITS), SRAM_BITS)  # the vector unit
    vs2_ra, vs2_rd = read_port(sram, _u(ROW_BITS), SRAM_BITS)
    va_ra, va_rd = read_port(acc, _u(ROW_BITS), ACC_BITS)
    vp_ra, vp_rd = read_port(param, _u(field_bits("vrq", "p")), PARAM_BITS)
    vc_ra, vc_rd = read_port(scale, _u(ROW_BITS), SCALE_BITS)
    hs_ra, hs_rd = read_port(sram, _u(ROW_BITS), SRAM_BITS)  # the host
    ha_ra, ha_rd = read_port(acc, _u(ROW_BITS), ACC_BITS)
    hp_ra, hp_rd = read_port(param, _u(ROW_BITS), PARAM_BITS)
    hc_ra, hc_rd = read_port(scale, _u(ROW_BITS), SCALE_BITS)
    hi_ra, hi_rd = read_port(imem, _u(PC_BITS), isa.WORD_BITS)
    hd = [read_port(dram, _u(DRAM_BITS), 8) for _ in range(8)]
    hd_ra, hd_rd = [a for a, _ in hd], [d for _, d in hd]
    ports = [mem_read(*p) for p in plan]
    # ---------------------------------------------------------------- the blocks
    ctrl = controller(clock, reset, start, imem_d, dma_count, dma_full, lw_left, lw_buf, mm_left,
                      mm_cnt0, mm_cnt1, vec_busy, halted, running, pc, imem_a, word, d_op, issue,
                      cause, issue_dma, issue_lw, issue_mm, issue_vec, shp_rows, shp_chunks,
                      shp_cstride)
    counters = perf_counters(clock, reset, running, issue, issue_dma, issue_mm, word, cause, cnt,
                             L)
    queue = dma_queue(clock, reset, issue_dma, word, rx_valid, rx_last, dma_head, dma_count,
                      dma_full, depth)
    engine = dma_engine(clock, reset, dma_count, dma_head, dsr_rd, dac_rd, dpa_rd, dsc_rd,
                        lut_bits, dram, rx_valid, rx_last, dma_mem, dma_ra, dma_we, dma_waddr,
                        dma_wdata, st_we, st_addr, st_data, st_len, L, cfg.dma_bytes_per_cycle,
                        cfg.dram_latency)
    loader = weight_loader(clock, reset, issue_lw, word, lw_ra, lw_left, lw_buf, w_load, L)
    streamer = array_streamer(clock, reset, issue_mm, word, mm_ra, a_valid, a_sel, t_acc,
                              t_accum, mm_left, mm_cnt0, mm_cnt1, L)
    weights = {} if probe is not None else None
    array = core_array(clock, reset, lw_rd, w_load, lw_buf, mm_rd, a_sel, a_valid, c_out,
                       c_valid, L, probe=weights)
    accum = accumulator(clock, reset, t_acc, t_accum, c_out, c_valid, mma_rd, mma_ra, mm_we,
                        mm_waddr, mm_wdata, L)
    operands = vector_fields(issue_vec, word, d_op, v_issue, v_dst, v_src, v_src2, v_p,
                             v_perchannel, v_frac)
    if vector:
        from chipkit.hdl.vector_unit import vector_unit
        vec = vector_unit(clock, reset, v_issue, d_op, v_dst, v_src, v_src2, v_p, v_perchannel,
                          v_frac, shp_rows, shp_chunks, shp_cstride, vec_busy,
                          va_ra, va_rd, vs_ra, vs_rd, vs2_ra, vs2_rd, vp_ra, vp_rd, vc_ra, vc_rd,
                          lut_bits, v_we, v_waddr, v_wdata, L)
    else:
        vec = idle_vector(clock, reset, vec_busy, v_we, va_ra, vs_ra, vs2_ra, vp_ra, vc_ra,
                          v_waddr, v_wdata)
    writes = memory_writes(clock, reset, host_we, host_mem, host_addr, host_wdata, host_row,
                           host_wr, dma_we, dma_mem, dma_waddr, dma_wdata, st_we, st_addr,
                           st_data, st_len, mm_we, mm_waddr, mm_wdata, v_we, v_waddr, v_wdata,
                           sram, acc, param, scale, lut_bits, imem, dram,
                           tog_sram, tog_acc, tog_param, tog_scale, tog_imem, tog_dram,
                           L, imem_depth)
    host = host_port(host_mem, host_addr, host_wdata, hs_rd, ha_rd, hp_rd, hc_rd, hi_rd, hd_rd,
                     lut_bits, cnt, host_row, host_wr, host_rdata, hs_ra, ha_ra, hp_ra, hc_ra,
                     hi_ra, hd_ra, L, imem_depth, cfg.dram_bytes)
    if probe is not None:
        probe.update(sram=sram, acc=acc, param=param, scale=scale, lut=lut_bits, imem=imem,
                     dram=dram, counters=cnt, pc=pc, issue=issue, cause=cause,
                     running=running, lanes=L, word=word, vec_busy=vec_busy,
                     dma_count=dma_count, rx_valid=rx_valid, rx_last=rx_last, lw_left=lw_left,
                     mm_we=mm_we, w0=weights["w0"], w1=weights["w1"])
    return (ports, ctrl, counters, queue, engine, loader, streamer, array, accum, operands, vec,
            writes, host)


@block
def idle_vector(clock, reset, busy, we, a1, a2, a3, a4, a5, waddr, wdata):
    """Stands in for the vector unit in a core built without one: never busy, never writes.

    clock, reset -- the registers below reset to 0
    busy, we   -- out, 1 bit each: always 0
    a1 .. a5   -- out: the vector unit's read-port addresses, held at 0
    waddr, wdata -- out: its write port, held at 0
    """

    @always_seq(clock.posedge, reset=reset)
    def idle():
        busy.next = False
        we.next = False
        a1.next = 0
        a2.next = 0
        a3.next = 0
        a4.next = 0
        a5.next = 0
        waddr.next = 0
        wdata.next = 0

    return idle
