"""Multipliers built from gates: the unsigned array multiplier, and the Baugh-Wooley signed
multiplier, which is the same array with a few partial products inverted and three constant ones
added.
"""
from myhdl import Signal, block

from chipkit.hdl.adders import full_adder, half_adder
from chipkit.hdl.gates import and2, nand2, pack, tie, unpack, xor2
from chipkit.numerics import check_width

# MyHDL lets only a @block function instantiate blocks, so the helpers below plan the cells as
# (block, args) pairs and the multiplier instantiates them: `[cell(*args) for cell, args in plan]`.


def _add_column(bits, cells, carry_out=True):
    """Plan adding up to three bits of one column with the cheapest cell; return (sum, carry).

    In the top column nobody reads the carry, so the sum alone is formed with XOR gates."""
    present = [x for x in bits if x is not None]
    if len(present) <= 1:
        return (present[0] if present else None), None
    if not carry_out:
        acc = present[0]
        for x in present[1:]:
            s = Signal(bool(0))
            cells.append((xor2, (acc, x, s)))
            acc = s
        return acc, None
    s, c = Signal(bool(0)), Signal(bool(0))
    if len(present) == 2:
        cells.append((half_adder, (present[0], present[1], s, c)))
    else:
        cells.append((full_adder, (present[0], present[1], present[2], s, c)))
    return s, c


def _sum_rows(rows, width, cells):
    """Plan adding partial-product rows (lists of bits by column, None where empty) row after row
    with ripple-carry adders, as an array multiplier does; keep `width` columns."""
    acc = [None] * width
    for row in rows:
        carry = None
        for col in range(width):
            acc[col], carry = _add_column([acc[col], row[col], carry], cells, col < width - 1)
    return acc


def _product(bits, p, cells):
    """Plan driving bus `p` from product bits, tying columns that never received a bit to 0."""
    for col, bit in enumerate(bits):
        if bit is None:
            bits[col] = Signal(bool(0))
            cells.append((tie, (bits[col], 0)))
    cells.append((pack, (bits, p)))


@block
def array_multiplier(a, b, p, width_a=8, width_b=8):
    """Unsigned array multiplier.

    a -- in, `width_a` bits, unsigned
    b -- in, `width_b` bits, unsigned
    p -- out, width_a + width_b bits, a * b
    width_a, width_b -- Python ints

    Partial product j is `a AND b_j`, shifted j columns left: width_a * width_b AND gates. The rows
    are added one after another by ripple-carry adders (half adders where a column has only two
    bits), the way it is drawn in every textbook: the carry and the rows both ripple, so the depth
    grows with width_a + width_b.
    """
    width_a, width_b = check_width(width_a, "width_a"), check_width(width_b, "width_b")
    width = width_a + width_b
    abits, bbits = unpack(a, width_a), unpack(b, width_b)
    cells, rows = [], []
    for j in range(width_b):
        row = [None] * width
        for i in range(width_a):
            row[i + j] = Signal(bool(0))
            cells.append((and2, (abits[i], bbits[j], row[i + j])))
        rows.append(row)
    _product(_sum_rows(rows, width, cells), p, cells)
    return [cell(*args) for cell, args in cells]


@block
def baugh_wooley_multiplier(a, b, p, width_a=8, width_b=8):
    """Signed (two's complement) multiplier, Baugh-Wooley.

    a -- in, `width_a` bits, signed
    b -- in, `width_b` bits, signed
    p -- out, width_a + width_b bits, signed, a * b
    width_a, width_b -- Python ints

    The sign bit of a two's complement number weighs -2**(w-1). The partial products that involve
    exactly one sign bit are therefore negative; since -x = NOT(x) - 1 for a bit x, they become NAND
    gates plus a constant, and all the constants together are 2**(m-1) + 2**(n-1) + 2**(m+n-1)
    modulo 2**(m+n). So a signed multiplier is the unsigned array with some ANDs turned into NANDs
    and three ones added: no sign extension, no negative rows.
    """
    m, n = check_width(width_a, "width_a"), check_width(width_b, "width_b")
    width = m + n
    abits, bbits = unpack(a, m), unpack(b, n)
    cells, rows = [], []
    one = Signal(bool(1))
    cells.append((tie, (one, 1)))
    constants = [m - 1, n - 1, m + n - 1]
    for col in sorted(constants):
        row = [None] * width
        row[col] = one
        rows.append(row)
    for j in range(n):
        row = [None] * width
        for i in range(m):
            row[i + j] = Signal(bool(0))
            negative = (i == m - 1) != (j == n - 1)
            cells.append((nand2 if negative else and2, (abits[i], bbits[j], row[i + j])))
        rows.append(row)
    _product(_sum_rows(rows, width, cells), p, cells)
    return [cell(*args) for cell, args in cells]
