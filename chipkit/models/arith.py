"""Golden twins of the arithmetic blocks in chipkit.hdl (adders, multipliers, MAC), vectorised in
numpy.

Each function takes the same values the block's ports carry and returns what its outputs must show.
"""
from __future__ import annotations

import numpy as np

from chipkit.checks import check_flag, check_int
from chipkit.errors import ShapeError
from chipkit.numerics import INT32_BITS, check_fits, check_width, saturate, wrap, wrap_unsigned

ACC_WIDTH = INT32_BITS  # the MAC's accumulator
OPERAND_WIDTH = 8  # the MAC's operands


def add(a, b, cin, width: int):
    """Unsigned `width`-bit add with carry: returns (sum mod 2**width, carry out)."""
    width = check_width(width)
    a = check_fits(a, width, signed=False, name="a")
    b = check_fits(b, width, signed=False, name="b")
    cin = check_fits(cin, 1, signed=False, name="cin")
    total = a + b + cin
    return wrap_unsigned(total, width), total >> width


def _exact(x, product_bits: int):
    """Python-int (object) arrays when a product of `product_bits` bits would overflow int64."""
    if isinstance(x, np.ndarray) and product_bits > 62:
        return x.astype(object)
    return x


def mul_unsigned(a, b, width_a: int, width_b: int):
    """Unsigned product of a `width_a`-bit and a `width_b`-bit number (exact)."""
    a = check_fits(a, check_width(width_a, "width_a"), signed=False, name="a")
    b = check_fits(b, check_width(width_b, "width_b"), signed=False, name="b")
    return _exact(a, width_a + width_b) * _exact(b, width_a + width_b)


def mul_signed(a, b, width_a: int, width_b: int):
    """Two's complement product of signed `width_a`- and `width_b`-bit numbers (exact)."""
    a = check_fits(a, check_width(width_a, "width_a"), signed=True, name="a")
    b = check_fits(b, check_width(width_b, "width_b"), signed=True, name="b")
    return _exact(a, width_a + width_b) * _exact(b, width_a + width_b)


def mac(a, b, clear, enable, saturating: bool = False, acc_width: int = ACC_WIDTH,
        operand_width: int = OPERAND_WIDTH):
    """The MAC's accumulator after each clock edge, given per-cycle inputs (1-D sequences).

    At each edge: if clear, acc <- 0 (clear wins over enable); elif enable, acc <- acc + a*b,
    wrapped to `acc_width` bits (two's complement, like an ordinary adder) or, if `saturating`,
    clamped to the signed range; else acc holds. The accumulator starts at 0 (reset). Widths:
    operands 1..32 bits, the accumulator 1..128 (wider than 64: Python ints, dtype object).
    """
    saturating = check_flag(saturating, "saturating")
    acc_width = check_int(acc_width, "acc_width", 1, 128)
    operand_width = check_int(operand_width, "operand_width", 1, 32)
    a = check_fits(a, operand_width, name="a")
    b = check_fits(b, operand_width, name="b")
    clear = check_fits(clear, 1, signed=False, name="clear")
    enable = check_fits(enable, 1, signed=False, name="enable")
    a, b, clear, enable = (np.atleast_1d(np.asarray(x, dtype=np.int64))
                           for x in (a, b, clear, enable))
    if not (a.ndim == 1 and a.shape == b.shape == clear.shape == enable.shape):
        raise ShapeError("a, b, clear and enable must be 1-D sequences of one length "
                         "(one value per cycle)")
    out = np.empty(len(a), dtype=np.int64 if acc_width <= 64 else object)
    acc = 0
    for t in range(len(a)):  # the sequence is inherently serial once saturation is involved
        if clear[t]:
            acc = 0
        elif enable[t]:
            acc = acc + int(a[t]) * int(b[t])
            acc = saturate(acc, acc_width) if saturating else wrap(acc, acc_width)
        out[t] = acc
    return out
