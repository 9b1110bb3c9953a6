"""Adders built from gates: half adder, full adder, the N-bit ripple-carry adder made of full
adders, and the Kogge-Stone parallel-prefix adder, whose carries take log2(N) gate levels, not N.
"""
from myhdl import Signal, block

from chipkit.hdl.gates import and2, or2, pack, unpack, xor2
from chipkit.numerics import check_width


@block
def half_adder(a, b, s, c):
    """Add two bits.

    a, b -- in, 1 bit, the addends
    s    -- out, 1 bit, sum = a XOR b
    c    -- out, 1 bit, carry = a AND b

    The smallest adder: two gates. It cannot take a carry in, so it only starts a chain.
    """
    return xor2(a, b, s), and2(a, b, c)


@block
def full_adder(a, b, cin, s, cout):
    """Add three bits.

    a, b -- in, 1 bit, the addends
    cin  -- in, 1 bit, carry in
    s    -- out, 1 bit, sum = a XOR b XOR cin
    cout -- out, 1 bit, carry out = majority(a, b, cin)

    Two half adders and an OR: the carry out is 1 when a and b are both 1 (generate) or when exactly
    one of them is 1 and a carry comes in (propagate). From cin to cout the signal crosses two
    gates, the AND of the second half adder and the OR: two levels per bit in a ripple chain.
    """
    s1, c1, c2 = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    return half_adder(a, b, s1, c1), half_adder(s1, cin, s, c2), or2(c1, c2, cout)


@block
def ripple_carry_adder(a, b, cin, s, cout, width=8):
    """N-bit adder: a chain of `width` full adders, each waiting for its neighbour's carry.

    a, b -- in, `width` bits, unsigned (or two's complement: the bits are the same)
    cin  -- in, 1 bit, carry in
    s    -- out, `width` bits, (a + b + cin) mod 2**width
    cout -- out, 1 bit, carry out of the top bit
    width -- Python int, number of bits

    The carry ripples from bit 0 to bit width-1 through two gates per bit, so the delay grows
    linearly with the width: the price of the smallest possible adder.
    """
    width = check_width(width)
    abits, bbits = unpack(a, width), unpack(b, width)
    sbits = [Signal(bool(0)) for _ in range(width)]
    carry = [cin] + [Signal(bool(0)) for _ in range(width - 1)] + [cout]
    cells = [full_adder(abits[i], bbits[i], carry[i], sbits[i], carry[i + 1]) for i in range(width)]
    return cells, pack(sbits, s)


@block
def kogge_stone_adder(a, b, cin, s, cout, width=8):
    """N-bit parallel-prefix adder (Kogge-Stone): every carry in ceil(log2(width + 1)) prefix
    levels.

    Ports and parameter as ripple_carry_adder.

    Each bit i first forms generate g = a AND b and propagate p = a XOR b. A prefix level combines
    each group (g, p) with the group `d` bits below it: G = G_hi OR (P_hi AND G_lo), P = P_hi AND
    P_lo, with d = 1, 2, 4, ... After the last level bit i's G says whether a carry leaves bit i,
    counting cin as the group below bit 0. Sum bit i = p_i XOR carry_i. More gates and wires than
    ripple, far less depth.
    """
    width = check_width(width)
    abits, bbits = unpack(a, width), unpack(b, width)
    insts = []
    p = [Signal(bool(0)) for _ in range(width)]
    g = [Signal(bool(0)) for _ in range(width)]
    for i in range(width):
        insts += [xor2(abits[i], bbits[i], p[i]), and2(abits[i], bbits[i], g[i])]
    # position 0 of the prefix is the carry in: a group that generates cin and propagates nothing
    G, P = [cin] + g, [None] + p
    d = 1
    while d < width + 1:
        Gn, Pn = list(G), list(P)
        for i in range(d, width + 1):
            if P[i] is None:  # this group already reaches cin: its G is final
                continue
            t, Gn[i] = Signal(bool(0)), Signal(bool(0))
            insts += [and2(P[i], G[i - d], t), or2(G[i], t, Gn[i])]
            if P[i - d] is None:  # the group now reaches cin, which propagates nothing
                Pn[i] = None
            else:
                Pn[i] = Signal(bool(0))
                insts.append(and2(P[i], P[i - d], Pn[i]))
        G, P = Gn, Pn
        d *= 2
    # G[i] is now the carry into bit i (G[0] = cin), G[width] the carry out
    sbits = [Signal(bool(0)) for _ in range(width)]
    insts += [xor2(p[i], G[i], sbits[i]) for i in range(width)]
    insts.append(_buffer_bit(G[width], cout))
    return insts, pack(sbits, s)


@block
def _buffer_bit(x, y):
    """Wire a 1-bit signal to an output port (no gate)."""
    return pack([x], y)
