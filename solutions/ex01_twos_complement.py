"""Exercise 1 -- two's complement by hand (notebook 01, numbers as the chip sees them).

A register holds bits, not signs. Write `encode` (a signed value -> its `width`-bit two's complement
pattern, an unsigned int) and `decode` (the pattern -> the signed value), with plain Python ints: no
chipkit.numerics (that is what the grader compares you with), no numpy.

    encode(-1, 8) == 0b11111111     encode(-128, 8) == 0b10000000     encode(5, 8) == 5
    decode(0b11111111, 8) == -1     decode(0b10000000, 8) == -128     decode(5, 8) == 5

A value that does not fit (encode(128, 8), decode(256, 8), a negative pattern) raises ValueError.
Every width from 1 to 64 bits is tested, extremes included.
Check your work: `chipkit grade --only ex01`.
"""


def encode(value: int, width: int) -> int:
    """The `width`-bit two's complement pattern of `value` (which must fit in `width` bits)."""
    # BEGIN SOLUTION hint: check the range, then keep the low `width` bits: value & (2**width - 1)
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    if not lo <= value <= hi:
        raise ValueError(f"{value} does not fit in {width} signed bits ({lo}..{hi})")
    return value & ((1 << width) - 1)
    # END SOLUTION


def decode(bits: int, width: int) -> int:
    """The signed value of the `width`-bit two's complement pattern `bits`, 0 <= bits < 2**width."""
    # BEGIN SOLUTION hint: the top bit weighs -2**(width-1) instead of +2**(width-1)
    if not 0 <= bits < (1 << width):
        raise ValueError(f"bit pattern {bits} does not fit in {width} unsigned bits")
    top = 1 << (width - 1)
    return bits - 2 * top if bits & top else bits
    # END SOLUTION
