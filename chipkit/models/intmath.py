"""Integer helpers of the vector unit: rounding shifts, 2^(-u/256) by a table and a shift, a
bit-serial square root. Used by chipkit.models.vector_golden, the golden spec of the chip's vector
unit.

Everything here takes and returns numpy int64 arrays (or Python ints) and uses only integer
operations; the one float step is building EXP2_LUT once, at import, from a closed formula.
"""
from __future__ import annotations

import numpy as np

from chipkit.checks import check_int, check_type, int_array
from chipkit.errors import RangeError

#: fraction bits of the exponent u in exp2_neg (u = 256 means 2^-1)
EXP_FRAC = 8
#: exp2_neg(0) = 2^EXP_ONE_BITS: its results are read at scale 2^-15
EXP_ONE_BITS = 15
#: EXP2_LUT[f] = round(2^15 * 2^(-f/256)), f = 0..255: 256 entries of 16 bits (32768 .. 16429)
EXP2_LUT = np.array([int(np.floor(2.0**EXP_ONE_BITS * 2.0 ** (-f / 256) + 0.5))
                     for f in range(1 << EXP_FRAC)], dtype=np.int64)
EXP2_LUT.setflags(write=False)


def _int64(x, name: str) -> np.ndarray:
    """`x` as an int64 array; RangeError for values that int64 cannot hold."""
    arr = int_array(x, name)
    if arr.dtype == object or arr.dtype == np.uint64:
        if arr.size and (min(arr.flat) < -(2**63) or max(arr.flat) >= 2**63):
            raise RangeError(f"{name} holds values outside int64; the vector unit's integers are "
                             "narrower")
    return arr.astype(np.int64)


def round_shift(v, shift):
    """(v + 2^(shift-1)) >> shift: divide by 2^shift, rounding half up (toward +infinity).

    The same rounding as chipkit.numerics.requantize, without its multiplier and width limits (the
    vector unit's internal products are wider than int32). v: int64 values; `shift` in 0..62;
    shift 0 returns v.

    >>> round_shift(5, 1), round_shift(-5, 1), round_shift(7, 0)
    (3, -2, 7)
    """
    shift, v64 = _int64(shift, "shift"), _int64(v, "v")
    if np.any(shift < 0) or np.any(shift > 62):
        raise RangeError("round_shift needs shift in 0..62 (a right shift of an int64)")
    bias = np.where(shift > 0, np.left_shift(np.int64(1), np.maximum(shift - 1, 0)), 0)
    if np.any(v64 > np.iinfo(np.int64).max - bias):
        raise RangeError("round_shift: v + 2^(shift-1) overflows int64; v is too large")
    out = (v64 + bias) >> shift
    return int(out) if np.ndim(out) == 0 and not isinstance(v, np.ndarray) else out


def exp2_neg(u):
    """2^(-u/256) at scale 2^-15, for integers u >= 0: EXP2_LUT[u & 255] >> (u >> 8).

    The low 8 bits of u pick the fraction from the table, the high bits are a right shift (which
    floors). Error against 2^15 * 2^(-u/256): from the table's rounding (at most 1/2, shifted down
    too) and the shift's floor (less than 1), so always within (-1, +0.5]: less than one unit of
    2^-15. exp2_neg(0) = 32768; u >= 16 * 256 gives 0.

    >>> exp2_neg(0), exp2_neg(256), exp2_neg(128)
    (32768, 16384, 23170)
    """
    u64 = _int64(u, "u")
    if np.any(u64 < 0):
        raise RangeError("exp2_neg needs u >= 0 (it computes 2^(-u/256) <= 1); use max - x")
    whole = np.minimum(u64 >> EXP_FRAC, EXP_ONE_BITS + 1)  # shifting 2^15 by 16 leaves 0
    out = EXP2_LUT[u64 & ((1 << EXP_FRAC) - 1)] >> whole
    return int(out) if out.ndim == 0 and not isinstance(u, np.ndarray) else out


def isqrt(n, bits: int = 64):
    """floor(sqrt(n)) for integers 0 <= n < 2^bits, one result bit per iteration (bits/2 of them).

    The restoring digit-by-digit method, as hardware does it with a subtractor and shifts only:

        bit = 4^(bits/2 - 1); root = 0; rem = n
        repeat bits/2 times:
            if rem >= root + bit:  rem -= root + bit;  root = root/2 + bit
            else:                  root = root/2
            bit = bit/4

    At the end root = floor(sqrt(n)) and rem = n - root^2. Exact (no rounding error). Vectorised:
    every element steps through the same iterations, like lanes of a vector unit.
    """
    root, _ = isqrt_steps(n, bits)
    return root


def isqrt_steps(n, bits: int = 64, trace: list | None = None):
    """isqrt's (root, remainder); with `trace`, appends (iteration, bit, root, rem, took) each
    step, for the lesson's table."""
    if check_int(bits, "bits", 2, 64) % 2:
        raise RangeError(f"isqrt bits must be even and in 2..64, got {bits}")
    if trace is not None:
        check_type(trace, list, "trace", "None, or a list to append the steps to")
    rem = _int64(n, "n")
    scalar = rem.ndim == 0 and not isinstance(n, np.ndarray)
    if np.any(rem < 0):
        raise RangeError("isqrt needs n >= 0: a variance or a sum of squares is never negative")
    if bits < 64 and np.any(rem >= np.int64(1) << np.int64(bits)):
        raise RangeError(f"isqrt input does not fit in {bits} bits; raise `bits`")
    root = np.zeros_like(rem)
    bit = np.int64(1) << np.int64(bits - 2)
    for i in range(bits // 2):
        trial = root + bit
        took = rem >= trial
        rem = np.where(took, rem - trial, rem)
        root = np.where(took, (root >> 1) + bit, root >> 1)
        if trace is not None:
            trace.append((i, int(bit), root.copy(), rem.copy(), took.copy()))
        bit >>= 2
    if scalar:
        return int(root), int(rem)
    return root, rem
