"""The inference core's DMA: a queue of issued dma.ld / dma.st instructions and the engine that
runs them one after another against the DRAM model (chipkit.timing: latency, then one beat of at
most `dma_bytes_per_cycle` bytes of one row a cycle).
"""
from __future__ import annotations

from myhdl import Signal, always, always_comb, always_seq, block, intbv

from chipkit import isa
from chipkit.hdl.core_controller import field_bits, field_slice


def row_bytes_bits(lanes: int) -> int:
    """Bits of a row's byte count (the widest row: ACC and SCALE, 4 bytes a lane)."""
    return max(isa.row_bytes(m, lanes) for m in isa.MEMORIES).bit_length()


def dram_address_bits(lanes: int) -> int:
    """Bits of a DRAM byte address a job reaches: the dram field, plus rows x stride, plus a row."""
    rb = max(isa.row_bytes(m, lanes) for m in isa.MEMORIES)
    top = ((1 << field_bits("dma.ld", "dram")) - 1
           + ((1 << field_bits("dma.ld", "rows")) - 1)
           * max((1 << field_bits("dma.ld", "stride")) - 1, rb) + rb)
    return top.bit_length()


@block
def dma_queue(clock, reset, issue, word, rx_valid, rx_last, head, count, full, depth):
    """The DMA's job queue: a FIFO of issued DMA instructions, the running one at its head.

    clock, reset -- reset empties the queue (its entries are left as they are)
    issue      -- in, 1 bit: the controller issues a dma.ld or dma.st this cycle
    word       -- in, 64 bits: the instruction issued
    rx_valid, rx_last -- in, 1 bit each: the engine receives the head job's last beat this cycle
    head       -- out, 64 bits: the instruction at the head (the job the engine runs)
    count      -- out, bits for 0..depth: the jobs issued and not finished
    full       -- out, 1 bit: count == depth (the controller stalls the next DMA instruction)
    depth      -- the queue's entries (chipkit.timing.DMA_QUEUE), a Python int

    A ring of `depth` instruction words with a head and a tail pointer. The head job leaves in
    the cycle its last beat is received, so the engine starts the next job in the next cycle; a
    job issued in that same cycle takes the freed place at once.
    """
    fifo = [Signal(intbv(0)[len(word):]) for _ in range(depth)]
    f_head = Signal(intbv(0)[max(1, (depth - 1).bit_length()):])
    f_tail = Signal(intbv(0)[len(f_head):])

    @always_comb
    def head_word():
        head.next = fifo[f_head]

    @always_comb
    def status():
        full.next = count >= depth

    @always_seq(clock.posedge, reset=reset)
    def enqueue():
        if issue:
            f_tail.next = (f_tail + 1) % depth
        if count != 0 and rx_valid and rx_last:
            f_head.next = (f_head + 1) % depth
        if issue:
            if not (count != 0 and rx_valid and rx_last):
                count.next = count + 1
        elif count != 0 and rx_valid and rx_last:
            count.next = count - 1

    @always(clock.posedge)
    def fifo_write():
        if issue:
            fifo[f_tail].next = word

    return head_word, status, enqueue, fifo_write


@block
def dma_engine(clock, reset, count, head, sram_rd, acc_rd, param_rd, scale_rd, lut_bits, dram,
               rx_valid, rx_last, mem, rd_addr, we, waddr, wdata, st_we, st_addr, st_data,
               st_len, lanes, bandwidth, latency):
    """Runs the head job of the DMA queue: waits the DRAM latency, then one beat per cycle.

    clock, reset -- reset stops the job (the queue forgets it)
    count      -- in: the queue's jobs (0: idle)
    head       -- in, 64 bits: the job, a dma.ld or dma.st instruction
    sram_rd, acc_rd, param_rd, scale_rd -- in, a row each: what the store read ports return
    lut_bits   -- in, 256 x 8 bits: the GELU table (a store of mem=lut reads it)
    dram       -- in, a list of bytes: the DRAM (a load's beat is read from it at the edge)
    rx_valid   -- out, 1 bit, register: a beat is received this cycle
    rx_last    -- out, 1 bit, register: it is the job's last beat
    mem        -- out, 3 bits: the job's on-chip memory (ISA code)
    rd_addr    -- out, 12 bits: the on-chip row a store reads (all four store read ports)
    we, waddr, wdata -- out: a load writes row `waddr` of `mem` (the widest row's bits)
    st_we, st_addr, st_data, st_len -- out: a store writes DRAM bytes st_addr.. (st_len of the
               8 x bandwidth bits of st_data, lowest first)
    lanes, bandwidth, latency -- L, dma_bytes_per_cycle, dram_latency (Python ints)

    A job of `rows` rows of `rb` bytes at DRAM address `dram` (rows `stride` bytes apart) moves
    min(bandwidth, rb) bytes a beat, one beat a cycle, after `latency` cycles. A load's beat is
    read from DRAM one cycle before it is received (the last latency cycle issues the first
    read) and staged until its row is whole, then written in one cycle; a store reads its row
    from the on-chip memory and writes each beat's bytes to DRAM when the beat is received.
    """
    L, BW, LAT = lanes, bandwidth, latency
    RB = {m: isa.row_bytes(m, L) for m in isa.MEMORIES}
    RB_ACC, RB_PARAM, RB_SCALE, RB_SRAM = RB["acc"], RB["param"], RB["scale"], RB["sram"]
    SRAM_BITS = 8 * RB_SRAM
    ROW_MAX = len(wdata)  # the widest row (ACC, SCALE): the staging register
    ROWS_MAX = 1 << len(rd_addr)
    ABITS = len(st_addr)
    C_ACC, C_PARAM, C_SCALE, C_LUT = (isa.MEMORIES[m].code for m in ("acc", "param", "scale",
                                                                      "lut"))
    OP_DMA_ST = isa.BY_NAME["dma.st"].code
    OPCODE_BITS = isa.OPCODE_BITS
    (DM_HI, DM_LO), (DR_HI, DR_LO), (DD_HI, DD_LO), (DN_HI, DN_LO), (DS_HI, DS_LO) = (
        field_slice("dma.ld", f) for f in ("mem", "row", "dram", "rows", "stride"))
    RBBITS = row_bytes_bits(L)
    # the bits of a row that hold data (PARAM and SCALE rows have padding bytes)
    param_mask = Signal(intbv((1 << 48) - 1)[8 * RB_PARAM:])
    scale_mask = Signal(intbv(sum(0xFFFFFF << (32 * i) for i in range(L)))[8 * RB_SCALE:])
    row_ones = Signal(intbv((1 << SRAM_BITS) - 1)[SRAM_BITS:])
    beat_ones = Signal(intbv((1 << (8 * BW)) - 1)[8 * BW:])
    # the head job's fields
    h_store, h_row, h_dram = Signal(bool(0)), Signal(intbv(0)[DR_HI - DR_LO:]), Signal(
        intbv(0)[DD_HI - DD_LO:])
    h_rows, h_rb = Signal(intbv(0)[DN_HI - DN_LO:]), Signal(intbv(0)[RBBITS:])
    h_stride = Signal(intbv(0)[max(DS_HI - DS_LO, RBBITS):])
    # the engine: latency counter, the next beat to read (q_), the beat received (rx_)
    dma_t = Signal(intbv(0)[max(1, (LAT - 1).bit_length()):])
    q_r, q_b, q_done = Signal(intbv(0)[len(h_rows):]), Signal(intbv(0)[RBBITS:]), Signal(bool(0))
    rx_r, rx_b = Signal(intbv(0)[len(h_rows):]), Signal(intbv(0)[RBBITS:])
    stage = Signal(intbv(0)[ROW_MAX:])
    rbytes = Signal(intbv(0)[8 * BW:])
    row = Signal(intbv(0)[ROW_MAX:])  # the on-chip row a store reads

    @always_comb
    def decode():
        h_store.next = head[OPCODE_BITS:] == OP_DMA_ST
        m = head[DM_HI:DM_LO]
        mem.next = m
        h_row.next = head[DR_HI:DR_LO]
        h_dram.next = head[DD_HI:DD_LO]
        h_rows.next = head[DN_HI:DN_LO]
        rb = intbv(0)[RBBITS:]
        if m == C_ACC:
            rb[:] = RB_ACC
        elif m == C_PARAM:
            rb[:] = RB_PARAM
        elif m == C_SCALE:
            rb[:] = RB_SCALE
        else:
            rb[:] = RB_SRAM
        h_rb.next = rb
        if head[DS_HI:DS_LO] == 0:
            h_stride.next = rb
        else:
            h_stride.next = head[DS_HI:DS_LO]

    @always_comb
    def store_read():
        r = (h_row + rx_r) % ROWS_MAX
        rd_addr.next = r
        if mem == C_ACC:
            row.next = acc_rd
        elif mem == C_PARAM:
            row.next = param_rd
        elif mem == C_SCALE:
            row.next = scale_rd
        elif mem == C_LUT:
            row.next = (lut_bits >> (SRAM_BITS * r)) & row_ones
        else:
            row.next = sram_rd

    @always_comb
    def store_write():
        st_we.next = count != 0 and rx_valid and h_store
        st_addr.next = h_dram + rx_r * h_stride + rx_b
        st_data.next = (row >> (8 * rx_b)) & beat_ones
        if rx_b < h_rb:
            st_len.next = h_rb - rx_b
        else:
            st_len.next = 0

    @always_comb
    def assemble():  # a load's row: the bytes staged so far and this beat's
        r = intbv(0)[ROW_MAX:]
        r[:] = stage | (rbytes << (8 * rx_b))
        if mem == C_PARAM:
            r[:] = r & param_mask
        elif mem == C_SCALE:
            r[:] = r & scale_mask
        wdata.next = r
        waddr.next = (h_row + rx_r) % ROWS_MAX
        we.next = rx_valid and not h_store and rx_b + BW >= h_rb

    @always_seq(clock.posedge, reset=reset)
    def engine():
        a = intbv(0)[ABITS:]
        v = intbv(0)[8 * BW:]
        if count != 0 and not (rx_valid and rx_last):
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
                    stage.next = wdata
        else:  # idle, or the job's last beat is received this cycle: the next job starts fresh
            dma_t.next = 0
            q_r.next = 0
            q_b.next = 0
            q_done.next = False
            rx_valid.next = False
            rx_last.next = False
            stage.next = 0

    return decode, store_read, store_write, assemble, engine
