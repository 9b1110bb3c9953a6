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
# Your exercise: replace each `raise NotImplementedError(...)` with your code, keeping
# the names and arguments. The imports you need are already here.


def encode(value: int, width: int) -> int:
    """The `width`-bit two's complement pattern of `value` (which must fit in `width` bits)."""
    raise NotImplementedError(
        "check the range, then keep the low `width` bits: value & (2**width - 1)"
    )


def decode(bits: int, width: int) -> int:
    """The signed value of the `width`-bit two's complement pattern `bits`, 0 <= bits < 2**width."""
    raise NotImplementedError("the top bit weighs -2**(width-1) instead of +2**(width-1)")
