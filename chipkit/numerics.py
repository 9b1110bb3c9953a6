"""Numbers as the chip sees them: two's complement, wrap vs saturate, int8 quantization and
requantization.

Shared by the RTL's golden twins, the models, the compiler and the notebooks. Every function accepts
a Python int or a numpy integer array, and returns the same kind (arrays come back as int64, or as
Python-int object arrays when a width is too wide for int64).
"""
from __future__ import annotations

import numpy as np

from chipkit.checks import as_array, check_flag, check_int, check_real, real_array, show
from chipkit.errors import ConfigError, RangeError, ShapeError

#: the chip's two number widths: int8 operands, int32 sums and accumulators
INT8_BITS, INT32_BITS = 8, 32
INT8_MIN, INT8_MAX = -(1 << (INT8_BITS - 1)), (1 << (INT8_BITS - 1)) - 1
INT32_MIN, INT32_MAX = -(1 << (INT32_BITS - 1)), (1 << (INT32_BITS - 1)) - 1

#: Requantization multipliers are unsigned integers below 2**REQUANT_MULT_BITS ...
REQUANT_MULT_BITS = 16
#: ... and right shifts lie in 0..REQUANT_MAX_SHIFT.
REQUANT_MAX_SHIFT = 47
#: widths the functions below accept (Python ints have no limit; this one refuses absurd widths
#: while leaving room for the widest bus the kit re-simulates: a 64-lane core's memory rows)
MAX_WIDTH = 65536


def check_width(width, name: str = "width") -> int:
    """Return `width` as an int, or raise ConfigError if it is not a positive integer."""
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)):
        raise ConfigError(f"{name} must be a positive integer number of bits, got {width!r}")
    if width < 1:
        raise ConfigError(f"{name} must be at least 1 bit, got {width}; use a positive width")
    if width > MAX_WIDTH:
        raise ConfigError(f"{name} must be at most {MAX_WIDTH} bits, got {width}")
    return int(width)


def signed_range(width: int) -> tuple[int, int]:
    """Smallest and largest value of a `width`-bit two's complement number."""
    width = check_width(width)
    return -(1 << (width - 1)), (1 << (width - 1)) - 1


def unsigned_range(width: int) -> tuple[int, int]:
    """Smallest and largest value of a `width`-bit unsigned number."""
    width = check_width(width)
    return 0, (1 << width) - 1


def _ints(x, name: str = "value", bools: bool = True):
    """`x` as a Python int or an integer numpy array (object dtype for huge values). Bools count
    as 0 and 1 unless `bools` is False (a setting such as a shift is never a bool). An int64
    array comes back as itself: callers never modify the result in place."""
    if type(x) is np.ndarray and x.dtype == np.int64:
        return x
    if isinstance(x, (bool, np.bool_)):
        if not bools:
            raise ShapeError(f"{name} must be an integer, not a bool, got {x!r}")
        return int(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    arr = as_array(x, name)
    if arr.size == 0 and not isinstance(x, np.ndarray):
        arr = arr.astype(np.int64)  # numpy reads [] as float64
    if arr.dtype == object:
        if not all(isinstance(v, (int, np.integer)) for v in arr.flat):
            raise ShapeError(f"{name} must hold integers only, got {show(x)}")
        return arr
    if arr.dtype == bool:
        if not bools:
            raise ShapeError(f"{name} must be an integer, not a bool, got {show(x)}")
        return arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        raise ShapeError(
            f"{name} must be integers, got dtype {arr.dtype}; round or cast first "
            "(np.round(x).astype(np.int64)) or quantize() float data"
        )
    if arr.dtype == np.uint64:
        return arr.astype(object)
    return arr.astype(np.int64)


def _wide(x, width: int):
    """Object dtype if `width` bits might overflow int64 arithmetic."""
    if isinstance(x, np.ndarray) and width > 62 and x.dtype != object:
        return x.astype(object)
    return x


def _any(cond) -> bool:
    return bool(np.any(cond))


def fits(x, width: int, signed: bool = True):
    """True where `x` fits in `width` bits (signed two's complement, or unsigned)."""
    lo, hi = signed_range(width) if check_flag(signed, "signed") else unsigned_range(width)
    x = _ints(x, "x")
    return (x >= lo) & (x <= hi)


def check_fits(x, width: int, signed: bool = True, name: str = "value"):
    """Return `x` as ints, or raise RangeError naming the first value that does not fit."""
    x = _ints(x, name)
    signed = check_flag(signed, "signed")
    lo, hi = signed_range(width) if signed else unsigned_range(width)
    bad = np.logical_not(fits(x, width, signed))
    if _any(bad):
        first = x if isinstance(x, int) else np.asarray(x)[bad].flat[0]
        kind = "signed" if signed else "unsigned"
        raise RangeError(
            f"{name} {int(first)} does not fit in {width} {kind} bits ({lo}..{hi}); "
            "use a wider width or wrap()/saturate() it first"
        )
    return x


def to_twos(x, width: int):
    """Encode signed `x` as its `width`-bit two's complement pattern (an unsigned integer).

    >>> to_twos(-1, 8), to_twos(-128, 8), to_twos(5, 8)
    (255, 128, 5)
    """
    width = check_width(width)
    x = _wide(check_fits(x, width, signed=True, name="x"), width)
    return x & ((1 << width) - 1)


def from_twos(bits, width: int):
    """Decode a `width`-bit two's complement pattern (unsigned integer) to its signed value.

    >>> from_twos(255, 8), from_twos(128, 8), from_twos(5, 8)
    (-1, -128, 5)
    """
    width = check_width(width)
    bits = _wide(check_fits(bits, width, signed=False, name="bit pattern"), width)
    return bits - ((bits >> (width - 1)) << width)


def wrap(x, width: int):
    """Keep the low `width` bits of `x` and read them as signed: what an adder does on overflow.

    >>> wrap(128, 8), wrap(-129, 8), wrap(2**31, 32)
    (-128, 127, -2147483648)
    """
    width = check_width(width)
    x = _wide(_ints(x, "x"), width)
    low = x & ((1 << width) - 1)
    return low - ((low >> (width - 1)) << width)


def wrap_unsigned(x, width: int):
    """Keep the low `width` bits of `x`, read as unsigned."""
    width = check_width(width)
    return _wide(_ints(x, "x"), width) & ((1 << width) - 1)


def saturate(x, width: int):
    """Clamp `x` to the signed `width`-bit range: what a saturating unit does on overflow.

    >>> saturate(300, 8), saturate(-300, 8), saturate(5, 8)
    (127, -128, 5)
    """
    lo, hi = signed_range(width)
    x = _ints(x, "x")
    if isinstance(x, int):
        return min(max(x, lo), hi)
    if x.dtype != object:
        return np.clip(x, lo, hi)
    return np.array([min(max(v, lo), hi) for v in x.flat],
                                                                   dtype=object).reshape(x.shape)


def wrap8(x):
    return wrap(x, 8)


def sat8(x):
    return saturate(x, 8)


def wrap32(x):
    return wrap(x, 32)


def sat32(x):
    return saturate(x, 32)


def check_requant_params(multiplier, shift):
    """Raise ConfigError unless 0 <= multiplier < 2**16 and 0 <= shift <= 47 (integers)."""
    m = _ints(multiplier, "multiplier", bools=False)
    s = _ints(shift, "shift", bools=False)
    if _any(np.asarray(m) < 0) or _any(np.asarray(m) >= 1 << REQUANT_MULT_BITS):
        raise ConfigError(
            f"requantization multiplier must be an integer in 0..{(1 << REQUANT_MULT_BITS) - 1}; "
            "pick (multiplier, shift) with quantize_multiplier(real_scale)"
        )
    if _any(np.asarray(s) < 0) or _any(np.asarray(s) > REQUANT_MAX_SHIFT):
        raise ConfigError(f"requantization shift must be an integer in 0..{REQUANT_MAX_SHIFT}")
    return m, s


def requantize(acc, multiplier, shift, width: int = 8):
    """int32 accumulator -> int`width` by an integer multiplier and a rounding right shift.

        y = saturate((acc * multiplier + 2**(shift-1)) >> shift, width)      (no bias when shift ==
        0)

    Rounding mode: round half up (toward +infinity), because `>>` is an arithmetic shift, i.e. floor
    division by 2**shift, and the bias adds one half first. So 2.5 -> 3 and -2.5 -> -2. The real
    scale applied is multiplier / 2**shift. `multiplier` and `shift` may be scalars or broadcast per
    channel.

    >>> requantize(1000, 1, 3), requantize(-20, 1, 3), requantize(100000, 1, 3)
    (125, -2, 127)
    """
    acc = check_fits(acc, 32, name="accumulator")
    m, s = check_requant_params(multiplier, shift)
    width = check_width(width)
    prod = acc * m
    bias = np.where(np.asarray(s) > 0, np.left_shift(1, np.maximum(np.asarray(s) - 1, 0)), 0)
    if isinstance(prod, int) and isinstance(s, int):
        bias = int(bias)
    return saturate((prod + bias) >> s, width)


def quantize_multiplier(real_scale: float, bits: int = 15) -> tuple[int, int]:
    """Integer (multiplier, shift) with multiplier / 2**shift closest to `real_scale`, multiplier <
    2**bits.

    >>> quantize_multiplier(0.5)
    (16384, 15)
    """
    real_scale = check_real(real_scale, "real_scale")
    bits = check_int(bits, "bits", 1, REQUANT_MULT_BITS)
    best = None
    for shift in range(REQUANT_MAX_SHIFT + 1):
        m = int(round(real_scale * 2.0**shift))
        if m >= 1 << bits:
            break
        if m >= 1:
            best = (m, shift)
    if best is None:
        raise ConfigError(
            f"real_scale {real_scale} cannot be written as multiplier/2**shift with a {bits}-bit "
            f"multiplier and shift <= {REQUANT_MAX_SHIFT}; it is too large or too small"
        )
    return best


def symmetric_scale(x, width: int = 8) -> float:
    """The scale that maps max|x| to the largest `width`-bit value (symmetric quantization)."""
    width = check_width(width)
    x = real_array(x, "x")
    if x.size == 0:
        raise ShapeError("x must be a non-empty array of finite numbers")
    amax = float(np.max(np.abs(x)))
    return (amax if amax > 0 else 1.0) / signed_range(width)[1]


def quantize(x, scale: float, width: int = 8):
    """Float -> int`width`: round x / scale to nearest (half to even, numpy's rule), saturate."""
    scale, width = check_real(scale, "scale"), check_width(width)
    lo, hi = signed_range(width)
    q = np.round(real_array(x, "x") / scale)  # clipped before the cast, which would wrap
    return saturate(np.clip(q, max(lo, -2**62), min(hi, 2**62)).astype(np.int64), width)


def dequantize(q, scale: float):
    """int -> float: q * scale."""
    return np.asarray(_ints(q, "q"), dtype=np.float64) * check_real(scale, "scale")
