"""Exercise 11 -- requantization: int32 accumulators back to int8 (notebook 06, the vector unit).

The array hands the vector unit int32 sums; the next layer wants int8. The real scale between them
(say 0.0031) is stored as an integer `multiplier` (< 2**16) and a right `shift` (0..47), scale =
multiplier / 2**shift, and the hardware computes

    y = saturate((acc * multiplier + 2**(shift - 1)) >> shift)      (no + 2**(shift-1) if shift 0)

to int8 (-128..127). `>>` on a negative number floors, so adding one half first rounds half UP
(toward +infinity): 2.5 -> 3, -2.5 -> -2. Per tensor, `multiplier` and `shift` are Python ints;
per channel they are 1-D arrays with one entry per column of `acc` (one per output channel), and
numpy broadcasting applies entry j to column j.

Write `requantize(acc, multiplier, shift)`: `acc` is an int64 numpy array of any shape whose values
fit in int32; return an int64 array of the same shape. Use integer numpy operations only (np.int64
holds acc * multiplier: below 2**47). Mind shift 0, and build 2**(shift - 1) with np.left_shift or
np.where so it works for arrays of shifts.
The grader compares with chipkit.numerics.requantize on random and extreme values (-2**31,
2**31 - 1, shift 0 and 47, halves). Check your work: `chipkit grade --only ex11`.
"""
import numpy as np

INT8_MIN, INT8_MAX = -128, 127


def requantize(acc, multiplier, shift) -> np.ndarray:
    """sat8((acc * multiplier + 2**(shift-1)) >> shift), round half up, per tensor or per column."""
    # BEGIN SOLUTION hint: add 2**(shift-1) (0 where shift == 0), >> shift, clip to -128..127
    acc = np.asarray(acc, dtype=np.int64)
    m = np.asarray(multiplier, dtype=np.int64)
    s = np.asarray(shift, dtype=np.int64)
    bias = np.where(s > 0, np.left_shift(np.int64(1), np.maximum(s - 1, 0)), 0)
    return np.clip((acc * m + bias) >> s, INT8_MIN, INT8_MAX)
    # END SOLUTION
