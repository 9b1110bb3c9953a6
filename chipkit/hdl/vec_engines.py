"""The vector unit's per-row engines for softmax and LayerNorm: one restoring divider and one
restoring square root (chipkit.hdl.vec_restoring), run one after another in the row's extra cycles.

The extra cycles kk = 0 .. extra - 1 after a row's second pass: kk = 0 drains the pipeline (the
pass's last sum lands); then softmax divides r = 2^30 // sum e (SOFTMAX_DIV_CYCLES); LayerNorm
divides q = ssq // d (LN_VAR_DIV_CYCLES), takes sigma = isqrt(q << 16) (SQRT_CYCLES) and divides
r = 2^40 // sigma (LN_RECIP_DIV_CYCLES). The write pass then reads r as `recip`.
"""
from myhdl import Signal, always_comb, block

from chipkit.hdl.vec_lanes import OP_VLNORM, OP_VSOFTMAX, PH_EXTRA, unsigned
from chipkit.hdl.vec_restoring import restoring_divider, restoring_sqrt
from chipkit.timing import (
    LN_RECIP_DIV_CYCLES,
    LN_VAR_DIV_CYCLES,
    SOFTMAX_DIV_CYCLES,
    SQRT_CYCLES,
    VECTOR_DRAIN,
)

# The per-row extra phase, cycles kk = 0 .. extra - 1: the drain, then the engines one by one.
SM_FIRST = VECTOR_DRAIN
SM_LAST = SM_FIRST + SOFTMAX_DIV_CYCLES - 1
LN_Q_FIRST = VECTOR_DRAIN
LN_SQ_FIRST = LN_Q_FIRST + LN_VAR_DIV_CYCLES
LN_R_FIRST = LN_SQ_FIRST + SQRT_CYCLES
LN_LAST = LN_R_FIRST + LN_RECIP_DIV_CYCLES - 1
DIV_Q_BITS = LN_VAR_DIV_CYCLES  # the divider's quotient register (its longest quotient)
DIV_A_BITS = 30  # its partial remainder (A < D < 2^28: two bits to spare)
DIV_D_BITS = 28  # its divisor: sum e <= 4096 * 2^15 = 2^27, sigma < 2^28, d <= 4096
SM_DIV_A0 = 1 << (30 - SOFTMAX_DIV_CYCLES)  # 2^30 >> 16: the divide's first remainder
LN_DIV_A0 = 1 << (40 - LN_RECIP_DIV_CYCLES)  # 2^40 >> 33
SQRT_BITS = 57  # the square root's registers: n = q << 16 < 2^54, root + bit below 2^57
SSQ_BITS = 52  # the row's sum of squares (chipkit.hdl.vec_stages.row_reductions)


@block
def vec_engines(clock, reset, op, phase, kk, ssq, dlen, recip):
    """The divider and the square root, and when they step.

    clock, reset -- in, 1 bit (synchronous, active high: every register <- 0)
    op     -- in, 6 bits: the latched opcode (vsoftmax and vlnorm use the engines)
    phase  -- in, 2 bits: the sequencer's phase; the engines step in PH_EXTRA only
    kk     -- in, 7 bits: the cycle within the row's extra phase
    ssq    -- in, signed 52 bits: pass 2's row sum (softmax: sum e; LayerNorm: sum c^2)
    dlen   -- in, at least 13 bits: the row length d = chunks * L
    recip  -- out, 38 bits, a register: the divider's quotient; from the end of the row's extra
              phase, softmax floor(2^30 / sum e) or LayerNorm floor(2^40 / sigma)

    A divide of N by D in n steps loads A = N >> n and Q = N mod 2^n (left-aligned in Q), exact
    when N // D < 2^n: 2^30 // sum e (sum e >= 2^15, the row maximum's e), ssq // d (q = d^2 var
    < 2^38), 2^40 // sigma (sigma >= 2^8, or 0: then every c is 0 and r does not matter). The
    root starts from the first divide's quotient, and the second divide from the root.
    """
    div_en, div_load, sq_en, sq_load = (Signal(bool(0)) for _ in range(4))
    a0, q0, d0 = unsigned(DIV_A_BITS), unsigned(DIV_Q_BITS), unsigned(DIV_D_BITS)
    radicand, root = unsigned(SQRT_BITS), unsigned(SQRT_BITS)

    @always_comb
    def schedule():
        div_en.next = phase == PH_EXTRA and (
            (op == OP_VSOFTMAX and kk >= SM_FIRST and kk <= SM_LAST)
            or (op == OP_VLNORM and kk >= LN_Q_FIRST and kk < LN_SQ_FIRST)
            or (op == OP_VLNORM and kk >= LN_R_FIRST and kk <= LN_LAST))
        div_load.next = (op == OP_VSOFTMAX and kk == SM_FIRST) or (op == OP_VLNORM and (
            kk == LN_Q_FIRST or kk == LN_R_FIRST))
        sq_en.next = phase == PH_EXTRA and op == OP_VLNORM and kk >= LN_SQ_FIRST and (
            kk < LN_R_FIRST)
        sq_load.next = kk == LN_SQ_FIRST

    @always_comb
    def divide_operands():
        if op == OP_VSOFTMAX:  # 2^30 // sum e
            a0.next = SM_DIV_A0
            q0.next = 0
            d0.next = ssq[DIV_D_BITS:]
        elif kk == LN_Q_FIRST:  # ssq // d
            a0.next = ssq[SSQ_BITS:DIV_Q_BITS]
            q0.next = ssq[DIV_Q_BITS:]
            d0.next = dlen
        else:  # 2^40 // sigma
            a0.next = LN_DIV_A0
            q0.next = 0
            d0.next = root[DIV_D_BITS:]

    @always_comb
    def root_operand():
        radicand.next = recip << 16

    divider = restoring_divider(clock, reset, div_en, div_load, a0, q0, d0, recip)
    sqrt = restoring_sqrt(clock, reset, sq_en, sq_load, radicand, root, SQRT_CYCLES)
    return schedule, divide_operands, root_operand, divider, sqrt
