"""The inference core in MyHDL: instruction memory and controller, DRAM and its DMA engine, the
on-chip memories (SRAM, ACC, PARAM, SCALE, LUT), the weight loader, the double-buffered array
(chipkit.hdl.core_array) and the vector unit (chipkit.hdl.vector_unit), with performance counters.

It meets chipkit.models.core_fast's timing cycle for cycle (that module's docstring is the
specification) and ends every valid program in the golden model's state. A host port loads the
program and memory images before `start` and reads everything back after `halted`, so the same
block runs in MyHDL, in Icarus and in Verilator (chipkit.backends.core_rtl).

Memories are multi-ported (several units read and write different rows in one cycle), which a
real chip builds from banks; reads are combinational, writes land at the clock edge.
"""
from __future__ import annotations

from myhdl import ConcatSignal, Signal, always, always_comb, always_seq, block, intbv

from chipkit import isa
from chipkit.config import CoreConfig
from chipkit.errors import ConfigError
from chipkit.hdl.array import pipe_reg
from chipkit.hdl.core_array import core_array
from chipkit.isa import row_bytes
from chipkit.timing import COUNTERS, DMA_QUEUE, STALLS

#: host_mem codes: the five on-chip memories keep their ISA codes, then these
HOST_DRAM, HOST_IMEM, HOST_COUNTERS = 5, 6, 7
#: the counters, in the order the host reads them (index = host_addr)
COUNTER_BITS = 48
MAX_RTL_BANDWIDTH = 64  # bytes per cycle the RTL DMA moves at most (one byte lane each)
PC_BITS = 12  # up to 4096 instructions
ROWS_MAX = 4096  # on-chip addresses are 12 bits (the ISA's row fields)


def field_slice(mnemonic: str, name: str) -> tuple[int, int]:
    """(hi, lo) of an instruction field: word[hi:lo] in MyHDL's slice order."""
    lo = isa.OPCODE_BITS
    for f in isa.BY_NAME[mnemonic].fields:
        if f.name == name:
            return lo + f.bits, lo
        lo += f.bits
    raise KeyError(name)


def words_per_row(mem: str, lanes: int) -> int:
    """64-bit host words per row of an on-chip memory (rows narrower than 64 bits: one)."""
    return max(1, row_bytes(mem, lanes) // 8)


def check_rtl_config(cfg: CoreConfig, imem_depth: int) -> None:
    if cfg.dma_bytes_per_cycle > MAX_RTL_BANDWIDTH:
        raise ConfigError(f"the RTL DMA moves at most {MAX_RTL_BANDWIDTH} bytes per cycle (one "
                          f"byte lane each); got dma_bytes_per_cycle={cfg.dma_bytes_per_cycle}")
    if not 1 <= imem_depth <= 1 << PC_BITS:
        raise ConfigError(f"the RTL core holds 1..{1 << PC_BITS} instructions, got {imem_depth}")


@block
def mem_read(mem, addr, data, written):
    """A combinational read port: data = mem[addr] (0 beyond the memory).

    written -- in: toggles in every cycle the memory is written. The port listens to it and to
               `addr` only: a port sensitive to every row (what always_comb infers) makes MyHDL
               re-arm thousands of waiters per write (measured: 20x slower on a 16 KB DRAM).
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


def _u(bits):
    return Signal(intbv(0)[bits:])


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
    """
    check_rtl_config(cfg, imem_depth)
    L = cfg.lanes
    BW = cfg.dma_bytes_per_cycle
    LAT = cfg.dram_latency
    RB = {m: row_bytes(m, L) for m in isa.MEMORIES}
    SRAM_BITS, ACC_BITS, SCALE_BITS = 8 * L, 32 * L, 32 * L
    LUT_BITS = 256 * 8
    ROW_MAX = 32 * L  # the widest row (ACC, SCALE), the DMA's staging register
    NDRAM = cfg.dram_bytes
    C_SRAM, C_ACC, C_PARAM, C_SCALE, C_LUT = (isa.MEMORIES[m].code for m in
                                              ("sram", "acc", "param", "scale", "lut"))
    OP = {op.mnemonic: op.code for op in isa.OPS}
    OP_DMA_LD = OP["dma.ld"]
    OP_DMA_ST = OP["dma.st"]
    OP_HALT = OP["halt"]
    OP_LW = OP["lw"]
    OP_MM = OP["mm"]
    OP_SYNC = OP["sync"]
    OP_VADD = OP["vadd"]
    OP_VRQ = OP["vrq"]
    OP_VSHAPE = OP["vshape"]
    RB_ACC, RB_PARAM, RB_SCALE, RB_SRAM = RB["acc"], RB["param"], RB["scale"], RB["sram"]
    WPR_ACC, WPR_SCALE, WPR_SRAM = (words_per_row(m, L) for m in ("acc", "scale", "sram"))
    # the bits of a row that hold data (PARAM and SCALE rows have padding bytes)
    PARAM_MASK = 0xFFFFFFFFFFFF
    SCALE_MASK = sum(0xFFFFFF << (32 * i) for i in range(L))
    # ---------------------------------------------------------------- memories
    sram = [_u(SRAM_BITS) for _ in range(cfg.sram_rows)]
    acc = [_u(ACC_BITS) for _ in range(cfg.acc_rows)]
    param = [_u(64) for _ in range(cfg.param_rows)]
    scale = [_u(SCALE_BITS) for _ in range(cfg.scale_rows)]
    lut_bits = _u(LUT_BITS)
    imem = [_u(64) for _ in range(imem_depth)]
    dram = [_u(8) for _ in range(NDRAM)]
    # constants as signals (they convert to sized Verilog constants)
    ones64 = Signal(intbv((1 << 64) - 1)[64:])
    row_ones = Signal(intbv((1 << SRAM_BITS) - 1)[SRAM_BITS:])
    lane_top = Signal(intbv(sum(1 << (32 * i + 31) for i in range(L)))[ACC_BITS:])
    param_mask = Signal(intbv(PARAM_MASK)[64:])
    scale_mask = Signal(intbv(SCALE_MASK)[SCALE_BITS:])
    # ---------------------------------------------------------------- controller state
    running = Signal(bool(0))
    pc = _u(PC_BITS)
    word = _u(64)
    cnt = [_u(COUNTER_BITS) for _ in COUNTERS]  # a small memory, index = COUNTERS
    cause = _u(4)  # 0: issue; k: STALLS[k - 1]
    issue = Signal(bool(0))
    d_op = _u(isa.OPCODE_BITS)
    # unit status
    dma_count = _u(3)
    lw_left = _u(8)
    lw_row = _u(12)
    lw_buf = Signal(bool(0))
    mm_left = _u(10)
    mm_cnt0, mm_cnt1 = _u(12), _u(12)
    vec_busy = Signal(bool(0))
    # vector shape (vshape); a fresh core's is 1 row of 1 chunk, as in the models
    shp_rows, shp_chunks, shp_cstride = Signal(intbv(1)[12:]), Signal(intbv(1)[8:]), _u(12)
    # ---------------------------------------------------------------- read ports
    plan = []  # (memory, address, data, toggle) of each read port, instantiated below
    tog_sram, tog_acc, tog_param, tog_scale, tog_imem, tog_dram = (Signal(bool(0))
                                                                   for _ in range(6))
    toggle_of = {id(sram): tog_sram, id(acc): tog_acc, id(param): tog_param, id(scale): tog_scale,
               id(imem): tog_imem, id(dram): tog_dram}

    def read_port(mem, abits, dbits):
        addr, data = _u(abits), _u(dbits)
        plan.append((mem, addr, data, toggle_of[id(mem)]))
        return addr, data

    imem_a, imem_d = read_port(imem, PC_BITS, 64)
    lw_ra, lw_rd = read_port(sram, 12, SRAM_BITS)
    mm_ra, mm_rd = read_port(sram, 12, SRAM_BITS)
    dsr_ra, dsr_rd = read_port(sram, 12, SRAM_BITS)  # DMA stores
    dac_ra, dac_rd = read_port(acc, 12, ACC_BITS)
    dpa_ra, dpa_rd = read_port(param, 12, 64)
    dsc_ra, dsc_rd = read_port(scale, 12, SCALE_BITS)
    mma_ra, mma_rd = read_port(acc, 12, ACC_BITS)  # accumulate
    hs_ra, hs_rd = read_port(sram, 12, SRAM_BITS)
    ha_ra, ha_rd = read_port(acc, 12, ACC_BITS)
    hp_ra, hp_rd = read_port(param, 12, 64)
    hc_ra, hc_rd = read_port(scale, 12, SCALE_BITS)
    hi_ra, hi_rd = read_port(imem, PC_BITS, 64)
    hd = [read_port(dram, 22, 8) for _ in range(8)]
    hd_ra = [a for a, _ in hd]
    hd_bytes = [d for _, d in hd]
    hd_word = ConcatSignal(*reversed(hd_bytes))
    vs_ra, vs_rd = read_port(sram, 12, SRAM_BITS)
    vs2_ra, vs2_rd = read_port(sram, 12, SRAM_BITS)
    va_ra, va_rd = read_port(acc, 12, ACC_BITS)
    vp_ra, vp_rd = read_port(param, 8, 64)
    vc_ra, vc_rd = read_port(scale, 12, SCALE_BITS)

    ports = [mem_read(*p) for p in plan]

    @always_comb
    def fetch():
        imem_a.next = pc
        word.next = imem_d

    # ---------------------------------------------------------------- decode and issue
    F = {}
    for mn, name in (("sync", "units"), ("dma.ld", "mem"), ("dma.ld", "row"), ("dma.ld", "dram"),
                     ("dma.ld", "rows"), ("dma.ld", "stride"), ("lw", "row"), ("lw", "buf"),
                     ("mm", "a"), ("mm", "rows"), ("mm", "acc"), ("mm", "buf"),
                     ("mm", "accumulate"), ("vshape", "rows"), ("vshape", "chunks"),
                     ("vshape", "cstride"), ("vrq", "dst"), ("vrq", "src"), ("vrq", "p"),
                     ("vrq", "perchannel"), ("vadd", "src2"), ("vadd", "p"), ("vlnorm", "frac")):
        F[(mn, name)] = field_slice(mn, name)
    SY_HI, SY_LO = F[("sync", "units")]
    LWR_HI, LWR_LO = F[("lw", "row")]
    LWB = F[("lw", "buf")][1]
    MMA_HI, MMA_LO = F[("mm", "a")]
    MMR_HI, MMR_LO = F[("mm", "rows")]
    MMC_HI, MMC_LO = F[("mm", "acc")]
    MMB = F[("mm", "buf")][1]
    MMX = F[("mm", "accumulate")][1]
    DM_HI, DM_LO = F[("dma.ld", "mem")]
    DR_HI, DR_LO = F[("dma.ld", "row")]
    DD_HI, DD_LO = F[("dma.ld", "dram")]
    DN_HI, DN_LO = F[("dma.ld", "rows")]
    DS_HI, DS_LO = F[("dma.ld", "stride")]
    VR_HI, VR_LO = F[("vshape", "rows")]
    VC_HI, VC_LO = F[("vshape", "chunks")]
    VS_HI, VS_LO = F[("vshape", "cstride")]
    MM_DRAIN = 2 * L - 2
    N_HALT, N_SYNC, N_DMAQ, N_LWB, N_MMB, N_VECB, N_WNL, N_WBIU = (
        STALLS.index(s) + 1 for s in ("halt", "sync", "dma_queue_full", "lw_busy", "mm_busy",
                                      "vec_busy", "weights_not_loaded", "weight_buffer_in_use"))

    @always_comb
    def opcode():
        d_op.next = word[isa.OPCODE_BITS:]

    @always_comb
    def decide():
        op = d_op
        busy = intbv(0)[4:]
        busy[0] = dma_count != 0
        busy[1] = lw_left != 0
        busy[2] = (mm_cnt0 != 0) or (mm_cnt1 != 0)
        busy[3] = vec_busy
        c = intbv(0)[4:]
        if op == OP_HALT:
            if busy != 0:
                c[:] = N_HALT
        elif op == OP_SYNC:
            if (busy & word[SY_HI:SY_LO]) != 0:
                c[:] = N_SYNC
        elif op == OP_DMA_LD or op == OP_DMA_ST:
            if dma_count >= DMA_QUEUE:
                c[:] = N_DMAQ
        elif op == OP_LW:
            if lw_left != 0:
                c[:] = N_LWB
            elif (word[LWB] and mm_cnt1 != 0) or (not word[LWB] and mm_cnt0 != 0):
                c[:] = N_WBIU
        elif op == OP_MM:
            if mm_left != 0:
                c[:] = N_MMB
            elif lw_left != 0 and lw_buf == word[MMB]:
                c[:] = N_WNL
        elif op >= OP_VSHAPE:
            if vec_busy:
                c[:] = N_VECB
        cause.next = c
        issue.next = running and c == 0

    @always_seq(clock.posedge, reset=reset)
    def control():
        if not running:
            if start and not halted:
                running.next = True
                pc.next = 0
        else:
            cnt[0].next = cnt[0] + 1
            if issue:
                cnt[1].next = cnt[1] + 1
                if d_op == OP_HALT:
                    running.next = False
                    halted.next = True
                else:
                    pc.next = pc + 1
                if d_op == OP_VSHAPE:
                    shp_rows.next = word[VR_HI:VR_LO]
                    shp_chunks.next = word[VC_HI:VC_LO]
                    if word[VS_HI:VS_LO] == 0:
                        shp_cstride.next = word[VR_HI:VR_LO]
                    else:
                        shp_cstride.next = word[VS_HI:VS_LO]
                if d_op == OP_MM:
                    cnt[2].next = cnt[2] + word[MMR_HI:MMR_LO]
                    cnt[4].next = cnt[4] + word[MMR_HI:MMR_LO] * (L * L)
                if d_op == OP_DMA_LD or d_op == OP_DMA_ST:
                    mem = word[DM_HI:DM_LO]
                    n = word[DN_HI:DN_LO]
                    if mem == C_ACC:
                        cnt[3].next = cnt[3] + n * RB_ACC
                    elif mem == C_PARAM:
                        cnt[3].next = cnt[3] + n * RB_PARAM
                    elif mem == C_SCALE:
                        cnt[3].next = cnt[3] + n * RB_SCALE
                    else:
                        cnt[3].next = cnt[3] + n * RB_SRAM
            else:
                cnt[4 + cause].next = cnt[4 + cause] + 1

    # ---------------------------------------------------------------- weight loader
    w_load = Signal(bool(0))

    @always_seq(clock.posedge, reset=reset)
    def loader():
        if issue and d_op == OP_LW:
            lw_left.next = L
            lw_row.next = word[LWR_HI:LWR_LO]
            lw_buf.next = word[LWB]
        elif lw_left != 0:
            lw_left.next = lw_left - 1

    @always_comb
    def loader_port():
        lw_ra.next = (lw_row + lw_left - 1) % ROWS_MAX  # the tile's last row first
        w_load.next = lw_left != 0

    # ---------------------------------------------------------------- matrix unit
    mm_a, mm_acc = _u(12), _u(12)
    mm_buf, mm_accum = Signal(bool(0)), Signal(bool(0))
    a_valid, a_sel = Signal(bool(0)), Signal(bool(0))
    t_acc, t_accum = _u(12), Signal(bool(0))  # the tag of the row entering the array
    c_out, c_valid = _u(ACC_BITS), Signal(bool(0))

    @always_seq(clock.posedge, reset=reset)
    def matrix():
        if issue and d_op == OP_MM:
            mm_left.next = word[MMR_HI:MMR_LO] - 1
            mm_a.next = word[MMA_HI:MMA_LO] + 1
            mm_acc.next = word[MMC_HI:MMC_LO] + 1
            mm_buf.next = word[MMB]
            mm_accum.next = word[MMX]
        elif mm_left != 0:
            mm_left.next = mm_left - 1
            mm_a.next = mm_a + 1
            mm_acc.next = mm_acc + 1
        if issue and d_op == OP_MM and word[MMB] == 0:
            mm_cnt0.next = word[MMR_HI:MMR_LO] + MM_DRAIN
        elif mm_cnt0 != 0:
            mm_cnt0.next = mm_cnt0 - 1
        if issue and d_op == OP_MM and word[MMB] == 1:
            mm_cnt1.next = word[MMR_HI:MMR_LO] + MM_DRAIN
        elif mm_cnt1 != 0:
            mm_cnt1.next = mm_cnt1 - 1

    @always_comb
    def stream():
        if issue and d_op == OP_MM:  # the first row enters in the issue cycle
            mm_ra.next = word[MMA_HI:MMA_LO]
            a_valid.next = True
            a_sel.next = word[MMB]
            t_acc.next = word[MMC_HI:MMC_LO]
            t_accum.next = word[MMX]
        else:
            mm_ra.next = mm_a
            a_valid.next = mm_left != 0
            a_sel.next = mm_buf
            t_acc.next = mm_acc
            t_accum.next = mm_accum

    weights = {} if probe is not None else None
    array = core_array(clock, reset, lw_rd, w_load, lw_buf, mm_rd, a_sel, a_valid, c_out,
                       c_valid, L, probe=weights)
    tag_acc = [t_acc] + [_u(12) for _ in range(2 * L - 1)]
    tag_accum = [t_accum] + [Signal(bool(0)) for _ in range(2 * L - 1)]
    tags = [pipe_reg(clock, reset, tag_acc[k], tag_acc[k + 1]) for k in range(2 * L - 1)]
    tags += [pipe_reg(clock, reset, tag_accum[k], tag_accum[k + 1]) for k in range(2 * L - 1)]
    out_acc, out_accum = tag_acc[-1], tag_accum[-1]
    mm_we, mm_wdata = Signal(bool(0)), _u(ACC_BITS)

    @always_comb
    def accumulate():
        mma_ra.next = out_acc
        mm_we.next = c_valid
        if out_accum:  # lane-wise int32 adds on the flat row: no carry crosses a lane
            mm_wdata.next = (((mma_rd & ~lane_top) + (c_out & ~lane_top))
                             ^ ((mma_rd ^ c_out) & lane_top))
        else:
            mm_wdata.next = c_out

    # ---------------------------------------------------------------- DMA
    fifo = [_u(64) for _ in range(DMA_QUEUE)]
    f_head, f_tail = _u(2), _u(2)
    h_word = _u(64)
    h_store, h_mem, h_row, h_dram = Signal(bool(0)), _u(3), _u(12), _u(22)
    h_rows, h_stride, h_rb = _u(10), _u(12), _u(8)
    dma_t = _u(13)
    q_r, q_b, q_done = _u(10), _u(8), Signal(bool(0))
    rx_valid, rx_r, rx_b, rx_last = Signal(bool(0)), _u(10), _u(8), Signal(bool(0))
    stage = _u(ROW_MAX)
    rbytes = _u(8 * BW)
    dma_we, dma_waddr, dma_wdata = Signal(bool(0)), _u(12), _u(ROW_MAX)
    dma_row = _u(ROW_MAX)  # the on-chip row a store reads
    host_wr = _u(ROW_MAX)  # host write: the row with the host's word merged in

    @always_comb
    def dma_head():
        h_word.next = fifo[f_head]

    @always_comb
    def dma_decode():
        h_store.next = h_word[isa.OPCODE_BITS:] == OP_DMA_ST
        m = h_word[DM_HI:DM_LO]
        h_mem.next = m
        h_row.next = h_word[DR_HI:DR_LO]
        h_dram.next = h_word[DD_HI:DD_LO]
        h_rows.next = h_word[DN_HI:DN_LO]
        rb = intbv(0)[8:]
        if m == C_ACC:
            rb[:] = RB_ACC
        elif m == C_PARAM:
            rb[:] = RB_PARAM
        elif m == C_SCALE:
            rb[:] = RB_SCALE
        else:
            rb[:] = RB_SRAM
        h_rb.next = rb
        if h_word[DS_HI:DS_LO] == 0:
            h_stride.next = rb
        else:
            h_stride.next = h_word[DS_HI:DS_LO]

    @always_comb
    def dma_ports():
        r = (h_row + rx_r) % ROWS_MAX
        dsr_ra.next = r
        dac_ra.next = r
        dpa_ra.next = r
        dsc_ra.next = r
        if h_mem == C_ACC:
            dma_row.next = dac_rd
        elif h_mem == C_PARAM:
            dma_row.next = dpa_rd
        elif h_mem == C_SCALE:
            dma_row.next = dsc_rd
        elif h_mem == C_LUT:
            dma_row.next = (lut_bits >> (SRAM_BITS * r)) & row_ones
        else:
            dma_row.next = dsr_rd

    @always_comb
    def dma_assemble():  # a load's row: the bytes staged so far and this beat's
        row = intbv(0)[ROW_MAX:]
        row[:] = stage | (rbytes << (8 * rx_b))
        if h_mem == C_PARAM:
            row[:] = row & param_mask
        elif h_mem == C_SCALE:
            row[:] = row & scale_mask
        dma_wdata.next = row
        dma_waddr.next = (h_row + rx_r) % ROWS_MAX
        dma_we.next = rx_valid and not h_store and rx_b + BW >= h_rb

    @always_seq(clock.posedge, reset=reset)
    def dma_enqueue():
        if issue and (d_op == OP_DMA_LD or d_op == OP_DMA_ST):
            f_tail.next = (f_tail + 1) % DMA_QUEUE
        if dma_count != 0 and rx_valid and rx_last:
            f_head.next = (f_head + 1) % DMA_QUEUE
        if issue and (d_op == OP_DMA_LD or d_op == OP_DMA_ST):
            if not (dma_count != 0 and rx_valid and rx_last):
                dma_count.next = dma_count + 1
        elif dma_count != 0 and rx_valid and rx_last:
            dma_count.next = dma_count - 1

    @always(clock.posedge)
    def fifo_write():
        if issue and (d_op == OP_DMA_LD or d_op == OP_DMA_ST):
            fifo[f_tail].next = word

    @always_seq(clock.posedge, reset=reset)
    def dma_engine():
        """Waits the DRAM latency, then one beat per cycle: min(BW, row bytes) bytes of one row.
        A load's beat is read from DRAM one cycle before it is received (the last latency cycle
        issues the first read); a store writes DRAM when its beat is received."""
        a = intbv(0)[24:]
        v = intbv(0)[8 * BW:]
        if dma_count != 0 and not (rx_valid and rx_last):
            if dma_t < LAT - 1:
                dma_t.next = dma_t + 1
                rx_valid.next = False
            elif not q_done:
                a[:] = h_dram + q_r * h_stride + q_b
                if not h_store:
                    for j in range(BW):
                        if q_b + j < h_rb:
                            v[:] = v | (dram[a + j] << (8 * j))
                rbytes.next = v
                rx_valid.next = True
                rx_r.next = q_r
                rx_b.next = q_b
                if q_b + BW >= h_rb:
                    rx_last.next = q_r + 1 == h_rows
                    q_done.next = q_r + 1 == h_rows
                    q_r.next = q_r + 1
                    q_b.next = 0
                else:
                    rx_last.next = False
                    q_b.next = q_b + BW
            else:
                rx_valid.next = False
            if rx_valid and not h_store:  # stage the beat received this cycle
                if rx_b + BW >= h_rb:
                    stage.next = 0
                else:
                    stage.next = dma_wdata
        else:  # idle, or the job's last beat is received this cycle: the next job starts fresh
            dma_t.next = 0
            q_r.next = 0
            q_b.next = 0
            q_done.next = False
            rx_valid.next = False
            rx_last.next = False
            stage.next = 0

    @always(clock.posedge)
    def dram_write():
        a = intbv(0)[24:]
        if host_we and host_mem == HOST_DRAM:
            for j in range(8):
                if host_addr * 8 + j < NDRAM:
                    dram[(host_addr * 8 + j) % NDRAM].next = (host_wdata >> (8 * j)) & 255
        if dma_count != 0 and rx_valid and h_store:
            a[:] = h_dram + rx_r * h_stride + rx_b
            for j in range(BW):
                if rx_b + j < h_rb:
                    dram[a + j].next = (dma_row >> (8 * (rx_b + j))) & 255

    # ---------------------------------------------------------------- vector unit
    v_issue = Signal(bool(0))
    v_we, v_waddr, v_wdata = Signal(bool(0)), _u(12), _u(SRAM_BITS)
    v_dst, v_src, v_src2, v_p, v_frac = _u(12), _u(12), _u(12), _u(8), _u(4)
    v_perchannel = Signal(bool(0))
    (DST_HI, DST_LO), (SRC_HI, SRC_LO) = F[("vrq", "dst")], F[("vrq", "src")]
    (SRC2_HI, SRC2_LO), (P1_HI, P1_LO), (P2_HI, P2_LO) = (F[("vadd", "src2")], F[("vrq", "p")],
                                                          F[("vadd", "p")])
    PCH, (FRAC_HI, FRAC_LO) = F[("vrq", "perchannel")][1], F[("vlnorm", "frac")]

    @always_comb
    def vec_fields():
        v_issue.next = issue and d_op >= OP_VRQ
        v_dst.next = word[DST_HI:DST_LO]
        v_src.next = word[SRC_HI:SRC_LO]
        v_src2.next = word[SRC2_HI:SRC2_LO]
        if d_op == OP_VADD:
            v_p.next = word[P2_HI:P2_LO]
        else:
            v_p.next = word[P1_HI:P1_LO]
        v_perchannel.next = word[PCH]
        v_frac.next = word[FRAC_HI:FRAC_LO]

    if vector:
        from chipkit.hdl.vector_unit import vector_unit
        vec = vector_unit(clock, reset, v_issue, d_op, v_dst, v_src, v_src2, v_p, v_perchannel,
                          v_frac,
                          shp_rows, shp_chunks, shp_cstride, vec_busy,
                          va_ra, va_rd, vs_ra, vs_rd, vs2_ra, vs2_rd, vp_ra, vp_rd, vc_ra, vc_rd,
                          lut_bits, v_we, v_waddr, v_wdata, L)
    else:
        vec = idle_vector(clock, reset, vec_busy, v_we, va_ra, vs_ra, vs2_ra, vp_ra, vc_ra,
                          v_waddr, v_wdata)

    # ---------------------------------------------------------------- memory writes
    host_row = _u(12)
    host_word = _u(6)

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
            old[:] = ha_rd
        elif host_mem == C_SCALE:
            old[:] = hc_rd
        elif host_mem == C_PARAM:
            old[:] = hp_rd
        elif host_mem == C_LUT:
            old[:] = (lut_bits >> (SRAM_BITS * host_row)) & row_ones
        else:
            old[:] = hs_rd
        host_wr.next = ((old & ~(ones64 << (64 * host_word)))
                        | (host_wdata << (64 * host_word)))

    @always(clock.posedge)
    def sram_write():
        if host_we and host_mem == C_SRAM:
            sram[host_row].next = host_wr[SRAM_BITS:]
        if dma_we and h_mem == C_SRAM:
            sram[dma_waddr].next = dma_wdata[SRAM_BITS:]
        if v_we:
            sram[v_waddr].next = v_wdata

    @always(clock.posedge)
    def acc_write():
        if host_we and host_mem == C_ACC:
            acc[host_row].next = host_wr[ACC_BITS:]
        if dma_we and h_mem == C_ACC:
            acc[dma_waddr].next = dma_wdata[ACC_BITS:]
        if mm_we:
            acc[out_acc].next = mm_wdata

    @always(clock.posedge)
    def small_write():
        if host_we and host_mem == C_PARAM:
            param[host_row].next = host_wr[64:]
        if dma_we and h_mem == C_PARAM:
            param[dma_waddr].next = dma_wdata[64:]
        if host_we and host_mem == C_SCALE:
            scale[host_row].next = host_wr[SCALE_BITS:]
        if dma_we and h_mem == C_SCALE:
            scale[dma_waddr].next = dma_wdata[SCALE_BITS:]
        if host_we and host_mem == HOST_IMEM:
            imem[host_addr % imem_depth].next = host_wdata

    @always_seq(clock.posedge, reset=None)
    def lut_write():
        if host_we and host_mem == C_LUT:
            lut_bits.next = ((lut_bits & ~(row_ones << (SRAM_BITS * host_row)))
                             | (host_wr[SRAM_BITS:] << (SRAM_BITS * host_row)))
        elif dma_we and h_mem == C_LUT:
            lut_bits.next = ((lut_bits & ~(row_ones << (SRAM_BITS * dma_waddr)))
                             | (dma_wdata[SRAM_BITS:] << (SRAM_BITS * dma_waddr)))

    @always_seq(clock.posedge, reset=reset)
    def toggles():
        """Flip each memory's toggle in a cycle it is written (its read ports listen to it);
        registers, so they reset (a toggle left x in Verilog would never flip)."""
        if (host_we and host_mem == C_SRAM) or (dma_we and h_mem == C_SRAM) or v_we:
            tog_sram.next = not tog_sram
        if (host_we and host_mem == C_ACC) or (dma_we and h_mem == C_ACC) or mm_we:
            tog_acc.next = not tog_acc
        if (host_we and host_mem == C_PARAM) or (dma_we and h_mem == C_PARAM):
            tog_param.next = not tog_param
        if (host_we and host_mem == C_SCALE) or (dma_we and h_mem == C_SCALE):
            tog_scale.next = not tog_scale
        if host_we and host_mem == HOST_IMEM:
            tog_imem.next = not tog_imem
        if (host_we and host_mem == HOST_DRAM) or (dma_count != 0 and rx_valid and h_store):
            tog_dram.next = not tog_dram

    # ---------------------------------------------------------------- host reads
    @always_comb
    def host_ports():
        hs_ra.next = host_row
        ha_ra.next = host_row
        hp_ra.next = host_row
        hc_ra.next = host_row
        hi_ra.next = host_addr % imem_depth

    @always_comb
    def host_dram_ports():
        for j in range(8):
            hd_ra[j].next = (host_addr * 8 + j) % NDRAM

    @always_comb
    def host_read():
        r = intbv(0)[64:]
        if host_mem == C_ACC:
            r[:] = (ha_rd >> (64 * host_word)) & ones64
        elif host_mem == C_SCALE:
            r[:] = (hc_rd >> (64 * host_word)) & ones64
        elif host_mem == C_PARAM:
            r[:] = hp_rd
        elif host_mem == C_LUT:
            r[:] = (lut_bits >> (SRAM_BITS * host_row + 64 * host_word)) & ones64
        elif host_mem == C_SRAM:
            r[:] = (hs_rd >> (64 * host_word)) & ones64
        elif host_mem == HOST_DRAM:
            r[:] = hd_word
        elif host_mem == HOST_IMEM:
            r[:] = hi_rd
        else:
            if host_addr < len(COUNTERS):
                r[:] = cnt[host_addr]
        host_rdata.next = r

    if probe is not None:
        probe.update(sram=sram, acc=acc, param=param, scale=scale, lut=lut_bits, imem=imem,
                     dram=dram, counters=cnt, pc=pc, issue=issue, cause=cause,
                     running=running, lanes=L, word=word, vec_busy=vec_busy,
                     dma_count=dma_count, rx_valid=rx_valid, rx_last=rx_last, lw_left=lw_left,
                     mm_we=mm_we, w0=weights["w0"], w1=weights["w1"])
    return (ports, fetch, opcode, decide, control, loader, loader_port, matrix, stream, array, tags,
            accumulate, dma_head, dma_decode, dma_ports, dma_assemble, dma_enqueue, fifo_write,
            dma_engine, dram_write, vec_fields, vec, host_index, host_merge,
            sram_write, acc_write, small_write, lut_write, toggles, host_ports, host_dram_ports,
            host_read)


@block
def idle_vector(clock, reset, busy, we, a1, a2, a3, a4, a5, waddr, wdata):
    """Stands in for the vector unit in a core built without one: never busy, never writes."""

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


