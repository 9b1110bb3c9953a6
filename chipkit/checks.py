"""The argument checks every public function shares: an integer in a range, a real number, a flag,
one of a few names, an object of the right class, a rectangular array of integers or of reals.

Each failure is a ChipkitError that names the argument and says what it accepts. They are cheap
(a few isinstance tests), and the models call them at their entry points, never per cycle.
"""
from __future__ import annotations

import math

import numpy as np

from chipkit.errors import ConfigError, ShapeError


def show(value) -> str:
    """A short description of `value` for a message (arrays by shape and dtype, not contents)."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _span(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f" in {lo}..{hi}"
    return f" >= {lo}" if lo is not None else (f" <= {hi}" if hi is not None else "")


def check_int(value, name: str, lo: int | None = None, hi: int | None = None) -> int:
    """`value` as a Python int in lo..hi (a bound may be None); ConfigError for anything else,
    bools, floats and strings included."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be an integer{_span(lo, hi)}, got {show(value)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"{name} must be an integer{_span(lo, hi)}, got {int(value)}")
    return int(value)


def check_real(value, name: str, positive: bool = True) -> float:
    """`value` (an int or a float, not a bool) as a finite float, > 0 if `positive`."""
    what = f"{'a positive' if positive else 'a'} finite number"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{name} must be {what}, got {show(value)}")
    try:
        v = float(value)
    except OverflowError:
        v = math.inf
    if not math.isfinite(v) or (positive and v <= 0):
        raise ConfigError(f"{name} must be {what}, got {show(value)}")
    return v


def check_flag(value, name: str) -> bool:
    """True or False (1 and 0 count too)."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer))
                                               and value in (0, 1)):
        return bool(value)
    raise ConfigError(f"{name} must be True or False, got {show(value)}")


def check_choice(value, name: str, options) -> str:
    """`value` if it is one of the strings `options`; ConfigError listing them otherwise."""
    if not isinstance(value, str) or value not in options:
        raise ConfigError(f"unknown {name} {show(value)}; use one of {', '.join(options)}")
    return value


def check_type(value, cls, name: str, example: str):
    """`value` if it is a `cls`; ConfigError saying what to pass (`example`) otherwise."""
    if not isinstance(value, cls):
        kind = " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        article = "an" if kind[0] in "AEIOU" else "a"
        raise ConfigError(f"{name} must be {article} {kind} ({example}), got {show(value)}")
    return value


def as_array(value, name: str) -> np.ndarray:
    """np.asarray(value), or a ShapeError for None or a ragged nesting (rows of unequal length)."""
    if value is None:
        raise ShapeError(f"{name} is None; give a number or an array of numbers")
    try:
        return np.asarray(value)
    except (ValueError, TypeError):
        raise ShapeError(f"{name} must be a rectangular array (every row as long as the others), "
                         f"got a ragged {type(value).__name__}") from None


ROUND = ("; quantize float data first (chipkit.numerics.quantize) or round it "
         "(np.rint(x).astype(int))")


def int_array(value, name: str, ndim: int | None = None, what: str = "integers",
              hint: str = ROUND) -> np.ndarray:
    """`value` (an int, nested lists, any integer array) as an integer numpy array: int64, uint64,
    or object holding Python ints too wide for int64. Bools, floats and strings are refused (a
    float is rounded or quantized by the caller, never truncated here; `hint` says how)."""
    arr = as_array(value, name)
    if arr.size == 0 and not isinstance(value, np.ndarray):
        arr = arr.astype(np.int64)  # [] is float64 to numpy
    if arr.dtype == object and arr.size and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in arr.flat):
        pass
    elif arr.dtype == bool or arr.dtype.kind not in "iu":
        got = f"dtype {arr.dtype}" if arr.dtype != object else show(value)
        raise ShapeError(f"{name} must hold {what}, got {got}"
                         f"{hint if arr.dtype.kind in 'fc' else ''}")
    if ndim is not None and arr.ndim != ndim:
        raise ShapeError(f"{name} must be {ndim}-D, got {arr.ndim}-D with shape {arr.shape}")
    return arr


def real_array(value, name: str) -> np.ndarray:
    """`value` (numbers, nested lists, an int or float array) as a float64 array of finite
    numbers."""
    arr = as_array(value, name)
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise ShapeError(f"{name} must hold real numbers, got {show(value)}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ShapeError(f"{name} holds NaN or infinity; give finite numbers")
    return arr
