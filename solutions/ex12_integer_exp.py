"""Exercise 12 -- an integer exponential: 2^(-u/256) by a table and a shift (notebook 06).

Softmax needs e^(-x) for every score, and the vector unit has no floating point. Base 2 makes it
cheap: e^(-x) = 2^(-x * log2 e), and the requantizer has already turned x * log2(e) into an integer
u >= 0 with 8 fraction bits (u = 256 means 2^-1). Split u = 256 * k + f with k = u >> 8 and
f = u & 255; then 2^(-u/256) = 2^(-f/256) / 2^k: a table of 256 fractions and a right shift.

1. `exp2_table()`: the 256 table entries LUT[f] = round(2^15 * 2^(-f/256)), f = 0..255, as an int64
   numpy array (round half up: floor(v + 0.5)). LUT[0] = 32768 = 1.0 at scale 2^-15. Floats are fine
   here: the table is computed once, when the chip is designed, and then it is a ROM.
2. `exp2_neg(u)`: for an int64 array of u >= 0, LUT[u & 255] >> (u >> 8), integers only. A shift
   of 16 or more leaves 0 (LUT < 2^16), so the hardware caps it: np.minimum(u >> 8, 16), a 5-bit
   shifter.

The result is 2^(-u/256) at scale 2^-15, within one unit of 2^15 * 2^(-u/256). The grader compares
with chipkit.models.intmath (EXP2_LUT and exp2_neg, the helper the softmax in
chipkit.models.vector_golden uses), for u from 0 to 2^40, and measures the error against float.
Check your work: `chipkit grade --only ex12`.
"""
import numpy as np


def exp2_table() -> np.ndarray:
    """LUT[f] = round(2^15 * 2^(-f/256)) for f = 0..255 (int64, 32768 down to 16429)."""
    # BEGIN SOLUTION hint: f = np.arange(256); np.floor(2.0**15 * 2.0 ** (-f / 256) + 0.5)
    f = np.arange(256)
    return np.floor(2.0**15 * 2.0 ** (-f / 256) + 0.5).astype(np.int64)
    # END SOLUTION


def exp2_neg(u) -> np.ndarray:
    """2^(-u/256) at scale 2^-15 for integers u >= 0: LUT[u & 255] >> min(u >> 8, 16)."""
    # BEGIN SOLUTION hint: u = np.asarray(u, np.int64); index exp2_table() by u & 255, then >>
    u = np.asarray(u, dtype=np.int64)
    return exp2_table()[u & 255] >> np.minimum(u >> 8, 16)
    # END SOLUTION
