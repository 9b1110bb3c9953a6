"""Exercise 6 -- a saturating multiply-accumulate (notebook 02, the MAC).

Every cycle the MAC takes int8 operands a[t], b[t] and two controls: if clear[t], acc <- 0 (clear
wins); elif enable[t], acc <- acc + a[t] * b[t]; else acc holds. The accumulator is int32 and starts
at 0. Write `mac_saturating(a, b, clear, enable)`: the accumulator after each cycle, as a numpy int
array of len(a), where a sum that leaves the int32 range is clamped to -2**31 or 2**31 - 1.

Wrap vs saturate: an ordinary adder wraps -- 133,145 cycles of 127 * 127 push acc past 2**31 - 1
and it turns into a huge negative number, a sign error the network never recovers from. Saturating
clamps at 2**31 - 1 and stays there, the least wrong value it can hold. Saturation depends on the
path: on the order of the products, so np.cumsum followed by np.clip is NOT the answer (after
saturating high, one negative product must bring acc down from 2**31 - 1, not from the true sum).
Check your work: `chipkit grade --only ex06` (the grader runs sequences of 400,000 cycles: a simple
loop over Python ints is fast enough).
"""
import numpy as np

ACC_MIN, ACC_MAX = -(2**31), 2**31 - 1


def mac_saturating(a, b, clear, enable) -> np.ndarray:
    """The saturating int32 accumulator after each cycle (int64 array, one entry per cycle)."""
    # BEGIN SOLUTION hint: loop over the cycles from acc = 0; clamp: min(max(acc, ACC_MIN), ACC_MAX)
    cycles = zip(*(np.asarray(x).tolist() for x in (a, b, clear, enable)))
    out = np.zeros(len(a), dtype=np.int64)
    acc = 0
    for t, (x, y, clr, en) in enumerate(cycles):
        if clr:
            acc = 0
        elif en:
            acc = min(max(acc + x * y, ACC_MIN), ACC_MAX)
        out[t] = acc
    return out
    # END SOLUTION
