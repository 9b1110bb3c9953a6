"""Restoring division and square root, one result bit a clock: the step they share, the two engines
built on it, and their Python twins (chipkit.hdl.vec_engines runs them for softmax and LayerNorm).

A restoring step compares a partial remainder with a trial value and subtracts the trial when it
fits; whether it fitted is the next result bit. The divider's trial is the divisor, the square
root's is the root found so far plus the bit being tried.
"""
from myhdl import Signal, always_comb, always_seq, block, concat, intbv

from chipkit.hdl.vec_lanes import unsigned


def step(rem: int, trial: int) -> tuple[int, int]:
    """The twin of `restoring_step`: (fits, rem - trial if it fits else rem)."""
    fits = int(rem >= trial)
    return fits, rem - trial if fits else rem


def divide(n: int, d: int, steps: int, q_bits: int) -> int:
    """The twin of `restoring_divider`: the quotient register after `steps` steps on N = n, D = d.

    The divider starts from A = n >> steps and Q = (n mod 2^steps) left-aligned in q_bits; each
    step shifts the top bit of Q into A, subtracts D if it fits, and shifts that result bit into Q
    from the right. Q ends as n // d when n // d < 2^steps (so A < d throughout)."""
    mask = (1 << q_bits) - 1
    a, q = n >> steps, (n & ((1 << steps) - 1)) << (q_bits - steps)
    for _ in range(steps):
        fits, a = step(a << 1 | q >> (q_bits - 1), d)
        q = (q << 1 | fits) & mask
    return q


def isqrt(n: int, steps: int) -> int:
    """The twin of `restoring_sqrt`: floor(sqrt(n)) for n < 4^steps, one root bit per step.

    The trial bit starts at 4^(steps - 1) and moves down two places a step; the root register holds
    the root shifted left by the bits still to come, so the trial is root + bit."""
    rem, root, bit = n, 0, 1 << 2 * (steps - 1)
    for _ in range(steps):
        fits, rem = step(rem, root + bit)
        root = (root >> 1) + bit if fits else root >> 1
        bit >>= 2
    return root


@block
def restoring_step(rem, trial, rest, fits):
    """One restoring step (combinational).

    rem   -- in, unsigned w bits: the partial remainder
    trial -- in, unsigned, at most w bits: what to subtract if it fits
    rest  -- out, unsigned w bits: rem - trial if trial <= rem, else rem
    fits  -- out, 1 bit: trial <= rem, the result bit this step finds

    A comparator and a subtractor side by side, and a multiplexer that keeps the remainder when
    the trial does not fit (the "restore"): the whole cost of one quotient or root bit per cycle.
    """

    @always_comb
    def compare_subtract():
        if rem >= trial:
            fits.next = 1
            rest.next = rem - trial
        else:
            fits.next = 0
            rest.next = rem

    return compare_subtract


@block
def restoring_divider(clock, reset, en, load, a0, q0, d0, quotient):
    """A restoring divider: one quotient bit per enabled cycle.

    clock, reset -- in, 1 bit (synchronous, active high: every register <- 0)
    en        -- in, 1 bit: take one step at the next edge
    load      -- in, 1 bit: this step starts a divide from a0, q0, d0 instead of the registers
    a0        -- in, unsigned wa bits: the first partial remainder, N >> n for n steps
    q0        -- in, unsigned wq bits: N mod 2^n, left-aligned (its top bit enters A first)
    d0        -- in, unsigned, fewer than wa bits: the divisor D
    quotient  -- out, unsigned wq bits, a register: the bits found so far, shifted in from the
                 right; floor(N / D) after n steps when that is below 2^n

    Registers A (partial remainder), Q and D. Each step shifts Q's top bit into A, and the
    restoring step subtracts D from that if it fits; the fit is the next quotient bit. A stays
    below D, so wa bits hold it and its shifted trial fits wa + 1.
    """
    wa, wq = len(a0), len(q0)
    a, d = unsigned(wa), unsigned(len(d0))
    ain, qin, din = unsigned(wa), unsigned(wq), unsigned(len(d0))
    shifted, rest = unsigned(wa + 1), unsigned(wa + 1)
    fits = Signal(bool(0))

    @always_comb
    def operands():
        if load:
            ain.next = a0
            qin.next = q0
            din.next = d0
        else:
            ain.next = a
            qin.next = quotient
            din.next = d

    @always_comb
    def shift_in():
        shifted.next = concat(ain, qin[wq - 1])

    sub = restoring_step(shifted, din, rest, fits)

    @always_seq(clock.posedge, reset=reset)
    def divide_step():
        if en:
            d.next = din
            quotient.next = concat(qin[wq - 1:], fits)
            a.next = rest[wa:]

    return operands, shift_in, sub, divide_step


@block
def restoring_sqrt(clock, reset, en, load, n, root, steps):
    """A restoring integer square root: one root bit per enabled cycle.

    clock, reset -- in, 1 bit (synchronous, active high: every register <- 0)
    en    -- in, 1 bit: take one step at the next edge
    load  -- in, 1 bit: this step starts a root of n instead of continuing from the registers
    n     -- in, unsigned w bits: the radicand, below 4^steps
    root  -- out, unsigned w bits, a register: floor(sqrt(n)) after `steps` steps
    steps -- Python int: the root's bits

    Registers REM, ROOT and BIT. BIT starts at 4^(steps - 1) and moves two places down a step;
    the restoring step subtracts ROOT + BIT from REM if it fits, and ROOT moves one place down,
    taking BIT when it fitted.
    """
    w = len(n)
    rem, bit = unsigned(w), unsigned(w)
    rin, oin, tbit, trial, rest = (unsigned(w) for _ in range(5))
    fits = Signal(bool(0))
    first_bit_const = Signal(intbv(1 << 2 * (steps - 1))[w:])  # a wire: it may need > 32 bits

    @always_comb
    def operands():
        if load:
            rin.next = n
            oin.next = 0
            tbit.next = first_bit_const
        else:
            rin.next = rem
            oin.next = root
            tbit.next = bit

    @always_comb
    def trial_value():
        trial.next = oin + tbit

    sub = restoring_step(rin, trial, rest, fits)

    @always_seq(clock.posedge, reset=reset)
    def root_step():
        if en:
            bit.next = tbit >> 2
            rem.next = rest
            if fits:
                root.next = (oin >> 1) + tbit
            else:
                root.next = oin >> 1

    return operands, trial_value, sub, root_step
