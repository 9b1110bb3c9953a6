"""The inference core's controller: it fetches one instruction a cycle, decodes it with the ISA's
op table (chipkit.isa.OPS: which unit runs each opcode), issues it or stalls (and says why, in
chipkit.timing.STALLS order), holds the vector unit's shape (vshape) and counts the performance
counters (chipkit.timing.COUNTERS).
"""
from __future__ import annotations

from myhdl import Signal, always_comb, always_seq, block, intbv

from chipkit import isa
from chipkit.timing import COUNTERS, STALLS

PC_BITS = 12  # up to 4096 instructions
COUNTER_BITS = 48
#: the units an instruction issues to (isa.Op.unit), numbered for the decode ROM
UNIT_CODE = {"ctrl": 0, "dma": 1, "lw": 2, "mm": 3, "vec": 4}
UNIT_BITS = max(UNIT_CODE.values()).bit_length()
#: the decode ROMs, indexed by opcode: each op's unit, and whether the vector datapath runs it
#: (isa.VECTOR_OPS; vshape only sets the shape). Opcodes no op has decode as ctrl (a valid
#: program has none: the cycle model checks every program first).
UNIT_ROM = tuple(UNIT_CODE[isa.BY_CODE[c].unit] if c in isa.BY_CODE else UNIT_CODE["ctrl"]
                 for c in range(1 << isa.OPCODE_BITS))
VECTOR_ROM = tuple(int(c in isa.BY_CODE and isa.BY_CODE[c].mnemonic in isa.VECTOR_OPS)
                   for c in range(1 << isa.OPCODE_BITS))
#: cause: 0 the instruction issues; k > 0 it stalls for STALLS[k - 1]
CAUSE = {s: k + 1 for k, s in enumerate(STALLS)}
CAUSE_BITS = len(STALLS).bit_length()


def field_slice(mnemonic: str, name: str) -> tuple[int, int]:
    """(hi, lo) of an instruction field: word[hi:lo] in MyHDL's slice order."""
    lo = isa.OPCODE_BITS
    for f in isa.BY_NAME[mnemonic].fields:
        if f.name == name:
            return lo + f.bits, lo
        lo += f.bits
    raise KeyError(name)


def field_bits(mnemonic: str, name: str) -> int:
    """The bits of an instruction field (the widest value a register holding it needs)."""
    hi, lo = field_slice(mnemonic, name)
    return hi - lo


@block
def controller(clock, reset, start, imem_data, dma_count, dma_full, lw_left, lw_buf, mm_left,
               mm_cnt0, mm_cnt1, vec_busy,
               halted, running, pc, imem_addr, word, d_op, issue, cause, issue_dma, issue_lw,
               issue_mm, issue_vec, shp_rows, shp_chunks, shp_cstride):
    """Fetch, decode, issue: one instruction a cycle, in order, unless its unit is busy.

    clock, reset -- reset stops the core and clears the registers
    start      -- in, 1 bit: a one-cycle pulse begins the program at pc 0
    imem_data  -- in, 64 bits: the instruction memory's word at `pc`
    dma_count, dma_full -- in: the DMA's queued jobs (0: idle), and whether the queue is full
    lw_left, lw_buf -- in: rows the weight loader has left (0: idle), the buffer it loads
    mm_left    -- in: rows the array streamer has left to send after this cycle's
    mm_cnt0, mm_cnt1 -- in: cycles until each weight buffer's last mm result is in ACC
    vec_busy   -- in, 1 bit: the vector unit runs an op
    halted     -- out, 1 bit, register: high from the cycle after `halt` issued
    running    -- out, 1 bit, register: between start and halt
    pc         -- out, 12 bits, register: the instruction's address
    imem_addr  -- out, 12 bits: the fetch address (= pc; the read port's own copy: a read port's
                  address is never a register, or Verilator flags SYNCASYNCNET)
    word       -- out, 64 bits: the instruction at pc
    d_op       -- out, 6 bits: its opcode
    issue      -- out, 1 bit: the instruction issues this cycle
    cause      -- out, 4 bits: 0 when it issues, else k: it stalls for STALLS[k - 1]
    issue_dma, issue_lw, issue_mm, issue_vec -- out, 1 bit each: issue, to that unit (vec: an op
               of isa.VECTOR_OPS; vshape is done here)
    shp_rows, shp_chunks, shp_cstride -- out, registers: the vector shape vshape last set (a fresh
               core's is 1 row of 1 chunk, as in the models)

    The instruction memory is read combinationally at pc, so an instruction is decoded in the
    cycle it is fetched. A ROM indexed by the opcode names its unit; the unit's busy state says
    whether it can take it. If it can, every unit sees the issue strobe and the word in the same
    cycle and pc moves on at the edge; if not, pc holds and the cause is counted.
    """
    UNIT_DMA, UNIT_LW, UNIT_MM, UNIT_VEC = (UNIT_CODE[u] for u in ("dma", "lw", "mm", "vec"))
    ROM_UNIT, ROM_VECTOR = UNIT_ROM, VECTOR_ROM
    OP_HALT, OP_SYNC, OP_VSHAPE = (isa.BY_NAME[m].code for m in ("halt", "sync", "vshape"))
    OPCODE_BITS = isa.OPCODE_BITS
    SY_HI, SY_LO = field_slice("sync", "units")
    LWB = field_slice("lw", "buf")[1]
    MMB = field_slice("mm", "buf")[1]
    (VR_HI, VR_LO), (VC_HI, VC_LO), (VS_HI, VS_LO) = (field_slice("vshape", f) for f in
                                                      ("rows", "chunks", "cstride"))
    B_DMA, B_LW, B_MM, B_VEC = (isa.UNITS[u].bit_length() - 1 for u in ("dma", "lw", "mm", "vec"))
    NUNITS = len(isa.UNITS)
    N_HALT, N_SYNC, N_DMAQ, N_LWB, N_MMB, N_VECB, N_WNL, N_WBIU = (
        CAUSE[s] for s in ("halt", "sync", "dma_queue_full", "lw_busy", "mm_busy", "vec_busy",
                           "weights_not_loaded", "weight_buffer_in_use"))
    d_unit = Signal(intbv(0)[UNIT_BITS:])
    d_vec = Signal(bool(0))

    @always_comb
    def fetch():
        imem_addr.next = pc
        word.next = imem_data

    @always_comb
    def opcode():
        d_op.next = word[OPCODE_BITS:]

    @always_comb
    def unit_rom():
        d_unit.next = ROM_UNIT[int(d_op)]

    @always_comb
    def vector_rom():
        d_vec.next = ROM_VECTOR[int(d_op)]

    @always_comb
    def decide():
        busy = intbv(0)[NUNITS:]
        busy[B_DMA] = dma_count != 0
        busy[B_LW] = lw_left != 0
        busy[B_MM] = (mm_cnt0 != 0) or (mm_cnt1 != 0)
        busy[B_VEC] = vec_busy
        c = intbv(0)[CAUSE_BITS:]
        if d_op == OP_HALT:
            if busy != 0:
                c[:] = N_HALT
        elif d_op == OP_SYNC:
            if (busy & word[SY_HI:SY_LO]) != 0:
                c[:] = N_SYNC
        elif d_unit == UNIT_DMA:
            if dma_full:
                c[:] = N_DMAQ
        elif d_unit == UNIT_LW:
            if lw_left != 0:
                c[:] = N_LWB
            elif (word[LWB] and mm_cnt1 != 0) or (not word[LWB] and mm_cnt0 != 0):
                c[:] = N_WBIU
        elif d_unit == UNIT_MM:
            if mm_left != 0:
                c[:] = N_MMB
            elif lw_left != 0 and lw_buf == word[MMB]:
                c[:] = N_WNL
        elif d_unit == UNIT_VEC:
            if vec_busy:
                c[:] = N_VECB
        cause.next = c
        issue.next = running and c == 0

    @always_comb
    def strobes():
        issue_dma.next = issue and d_unit == UNIT_DMA
        issue_lw.next = issue and d_unit == UNIT_LW
        issue_mm.next = issue and d_unit == UNIT_MM
        issue_vec.next = issue and d_vec

    @always_seq(clock.posedge, reset=reset)
    def control():
        if not running:
            if start and not halted:
                running.next = True
                pc.next = 0
        elif issue:
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

    return fetch, opcode, unit_rom, vector_rom, decide, strobes, control


@block
def perf_counters(clock, reset, running, issue, issue_dma, issue_mm, word, cause, cnt, lanes):
    """The performance counters (chipkit.timing.COUNTERS), counted while the core runs.

    clock, reset -- reset clears them
    running    -- in, 1 bit: between start and halt (cycles counts these)
    issue      -- in, 1 bit: an instruction issues (instructions)
    issue_dma, issue_mm -- in, 1 bit each: a DMA job (dma_bytes) or an mm (array_busy, macs)
    word       -- in, 64 bits: the instruction (its rows and memory fields)
    cause      -- in, 4 bits: why nothing issued (stall_<cause>)
    cnt        -- out, a list of 48-bit registers in COUNTERS order (the host reads them by index)
    lanes      -- L (Python int)

    Every running cycle either issues an instruction or is counted against exactly one stall
    cause, so cycles = instructions + the stall counters. An mm keeps the array busy for its rows
    and does rows x L x L multiply-adds; a DMA job moves rows x row-bytes bytes.
    """
    L = lanes
    I_CYCLES, I_INSTR, I_BUSY, I_BYTES, I_MACS = (COUNTERS.index(c) for c in (
        "cycles", "instructions", "array_busy", "dma_bytes", "macs"))
    STALL0 = COUNTERS.index("stall_" + STALLS[0]) - 1  # cnt[STALL0 + cause]
    C_ACC, C_PARAM, C_SCALE = (isa.MEMORIES[m].code for m in ("acc", "param", "scale"))
    RB_ACC, RB_PARAM, RB_SCALE, RB_SRAM = (isa.row_bytes(m, L) for m in ("acc", "param", "scale",
                                                                        "sram"))
    MMR_HI, MMR_LO = field_slice("mm", "rows")
    (DM_HI, DM_LO), (DN_HI, DN_LO) = field_slice("dma.ld", "mem"), field_slice("dma.ld", "rows")
    LL = L * L

    @always_seq(clock.posedge, reset=reset)
    def count():
        if running:
            cnt[I_CYCLES].next = cnt[I_CYCLES] + 1
            if issue:
                cnt[I_INSTR].next = cnt[I_INSTR] + 1
                if issue_mm:
                    cnt[I_BUSY].next = cnt[I_BUSY] + word[MMR_HI:MMR_LO]
                    cnt[I_MACS].next = cnt[I_MACS] + word[MMR_HI:MMR_LO] * LL
                if issue_dma:
                    m = word[DM_HI:DM_LO]
                    n = word[DN_HI:DN_LO]
                    if m == C_ACC:
                        cnt[I_BYTES].next = cnt[I_BYTES] + n * RB_ACC
                    elif m == C_PARAM:
                        cnt[I_BYTES].next = cnt[I_BYTES] + n * RB_PARAM
                    elif m == C_SCALE:
                        cnt[I_BYTES].next = cnt[I_BYTES] + n * RB_SCALE
                    else:
                        cnt[I_BYTES].next = cnt[I_BYTES] + n * RB_SRAM
            else:
                cnt[STALL0 + cause].next = cnt[STALL0 + cause] + 1

    return count


@block
def vector_fields(issue_vec, word, d_op, v_issue, v_dst, v_src, v_src2, v_p, v_perchannel,
                  v_frac):
    """The vector unit's operands, cut out of the instruction word.

    issue_vec  -- in, 1 bit: the controller issues a vector op (isa.VECTOR_OPS) this cycle
    word, d_op -- in: the instruction and its opcode
    v_issue    -- out, 1 bit: = issue_vec
    v_dst, v_src, v_src2 -- out, 12 bits each: the destination and source rows (src2: vadd's)
    v_p        -- out, 8 bits: the PARAM entry (or first SCALE row) of vrq, vadd or vsoftmax
    v_perchannel -- out, 1 bit: vrq's per-channel flag
    v_frac     -- out, 4 bits: vlnorm's fraction bits

    Wires only: the vector ops share their dst and src fields, and the vector unit ignores the
    fields its op does not have. vadd's p sits after its src2, the others' right after src.
    """
    OP_VADD = isa.BY_NAME["vadd"].code
    (DST_HI, DST_LO), (SRC_HI, SRC_LO) = field_slice("vrq", "dst"), field_slice("vrq", "src")
    (SRC2_HI, SRC2_LO), (P1_HI, P1_LO), (P2_HI, P2_LO) = (
        field_slice("vadd", "src2"), field_slice("vrq", "p"), field_slice("vadd", "p"))
    PCH, (FRAC_HI, FRAC_LO) = field_slice("vrq", "perchannel")[1], field_slice("vlnorm", "frac")

    @always_comb
    def fields():
        v_issue.next = issue_vec
        v_dst.next = word[DST_HI:DST_LO]
        v_src.next = word[SRC_HI:SRC_LO]
        v_src2.next = word[SRC2_HI:SRC2_LO]
        if d_op == OP_VADD:
            v_p.next = word[P2_HI:P2_LO]
        else:
            v_p.next = word[P1_HI:P1_LO]
        v_perchannel.next = word[PCH]
        v_frac.next = word[FRAC_HI:FRAC_LO]

    return fields
