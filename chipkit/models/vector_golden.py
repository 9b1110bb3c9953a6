"""The vector unit's golden spec: row-wise integer requantize, residual add, ReLU, GELU, softmax,
LayerNorm and the data moves attention needs. Sits after the systolic array (int32 in, int8 out).

Every function works on the last axis ("a row"), takes numpy integer arrays and returns int64
arrays; the integer path uses integer operations only, so the RTL and the fast model must match it
bit for bit. The `*_float` functions are the real-number references the docstrings measure
against. Rounding everywhere is half up: (v + 2^(s-1)) >> s, as in chipkit.numerics.requantize.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from chipkit import numerics as nx
from chipkit.checks import as_array, check_int, check_real, int_array, real_array
from chipkit.errors import RangeError, ShapeError
from chipkit.models.intmath import EXP_FRAC, exp2_neg, isqrt, round_shift

#: softmax: r = floor(2^SOFTMAX_RECIP_BITS / sum(e)), then p = RQ(e * r) >> SOFTMAX_OUT_SHIFT
SOFTMAX_RECIP_BITS = 30
#: softmax probabilities are int8 at scale 1/128 (0..127)
SOFTMAX_OUT_FRAC = 7
SOFTMAX_OUT_SHIFT = SOFTMAX_RECIP_BITS - SOFTMAX_OUT_FRAC
#: LayerNorm: fraction bits kept in the square root, and the reciprocal's 2^LN_RECIP_BITS
LN_SQRT_FRAC = 8
LN_RECIP_BITS = 40
#: LayerNorm's gamma is int8 at scale 1/64 (64 means 1.0)
LN_GAMMA_FRAC = 6
#: longest row LayerNorm and softmax accept (keeps every intermediate below 2^62)
MAX_ROW = 4096


def _rows(x, name: str, width: int = 8):
    """`x` as an int64 array of rows (ndim >= 1, non-empty rows, values in `width` signed bits)."""
    arr = int_array(x, name, what="integers (int8 values, int32 accumulators)")
    if arr.ndim == 0:
        raise ShapeError(f"{name} must have at least one axis (a row); wrap a scalar: "
                         "np.array([v])")
    if arr.shape[-1] == 0:
        raise ShapeError(f"{name} has zero-length rows (shape {arr.shape}); every row needs an "
                         "element")
    return nx.check_fits(arr, width, name=name).astype(np.int64)


def _row_length(x, name: str):
    if x.shape[-1] > MAX_ROW:
        raise ShapeError(f"{name} rows of {x.shape[-1]} elements are longer than {MAX_ROW}; split "
                         "the row")


def _per_channel(param, channels: int, name: str):
    """A scalar or a 1-D array with one entry per column (channel)."""
    p = as_array(param, name)
    if p.ndim > 1 or (p.ndim == 1 and p.shape[0] != channels):
        raise ShapeError(f"{name} must be a scalar (per tensor) or a 1-D array of {channels} "
                         f"entries (per channel = per column), got shape {p.shape}")
    return param


# --- requantize, add, relu -------------------------------------------------------------------

def requantize(acc, multiplier, shift, width: int = 8):
    """int32 accumulators -> int`width`: sat((acc * multiplier + 2^(shift-1)) >> shift).

    Per tensor (scalar multiplier and shift) or per channel (1-D arrays, one entry per column, i.e.
    per output channel of the matrix that made `acc`). Rounds half up; the scale applied is
    multiplier / 2^shift with multiplier < 2^16 (see chipkit.numerics.requantize, which this calls).
    Error against round(acc * real_scale): at most 1/2 step plus acc * |real_scale - M/2^sh|
    (below 2^-15 relative with quantize_multiplier's 15-bit multipliers).
    """
    acc = _rows(acc, "acc", 32)
    multiplier = _per_channel(multiplier, acc.shape[-1], "multiplier")
    shift = _per_channel(shift, acc.shape[-1], "shift")
    return np.asarray(nx.requantize(acc, multiplier, shift, width), dtype=np.int64)


def add(x, y, mx, sx, my, sy):
    """Residual add with a scale per input: sat8(RQ(x, mx, sx) + RQ(y, my, sy)).

    x, y: int32 (int8 values are fine) of one shape; each is brought to the output scale by its own
    multiplier (< 2^16) and shift with round half up, kept at 32 bits (x * m fits in 48 bits), the
    two are added (33 bits) and only the sum saturates to int8. Two roundings: error against
    round(x * mx/2^sx + y * my/2^sy) at most 1 step (each term within 1/2).
    """
    x, y = _rows(x, "x", 32), _rows(y, "y", 32)
    if x.shape != y.shape:
        raise ShapeError(f"add needs x and y of one shape, got {x.shape} and {y.shape}")
    mx, sx, my, sy = (_per_channel(v, x.shape[-1], n)
                      for v, n in ((mx, "mx"), (sx, "sx"), (my, "my"), (sy, "sy")))
    a = np.asarray(nx.requantize(x, mx, sx, 32), dtype=np.int64)
    b = np.asarray(nx.requantize(y, my, sy, 32), dtype=np.int64)
    return np.asarray(nx.sat8(a + b), dtype=np.int64)


def relu(x):
    """max(x, 0), elementwise, for int8 or int32 values. Exact."""
    return np.maximum(_rows(x, "x", 32), 0)


# --- GELU by a 256-entry table ---------------------------------------------------------------

def gelu_float(x):
    """GELU(x) = x * Phi(x) = x/2 * (1 + erf(x / sqrt 2)), in float64 (the reference)."""
    x = real_array(x, "x")
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


@lru_cache(maxsize=64)
def _gelu_lut(in_scale: float, out_scale: float) -> np.ndarray:
    codes = np.arange(-128, 128)
    table = np.floor(gelu_float(codes * in_scale) / out_scale + 0.5).astype(np.int64)
    table = nx.sat8(table)
    table.setflags(write=False)
    return table


def gelu_table(in_scale: float, out_scale: float) -> np.ndarray:
    """The 256 int8 outputs for inputs -128..127: sat8(floor(GELU(q * in_scale) / out_scale + 1/2)).

    Built once per pair of scales (by the compiler, in float), then loaded into the unit's table.
    """
    return _gelu_lut(check_real(in_scale, "gelu in_scale"), check_real(out_scale,
                                                                        "gelu out_scale"))


def gelu(x, in_scale: float, out_scale: float):
    """Integer GELU of int8 `x` (real value x * in_scale) -> int8 at out_scale, by table lookup.

    Why a table and not I-BERT's erf polynomial: an int8 input has only 256 values, so a 256-entry
    table computed from the float GELU is exact by construction -- the output is the correctly
    rounded (half up) GELU, error at most 1/2 output step (more only where it saturates at
    -128/127) -- and the hardware is one small ROM read per element. A polynomial would be needed
    for wider inputs.
    """
    x = _rows(x, "x", 8)
    return gelu_table(in_scale, out_scale)[x + 128]


# --- softmax, base 2 -------------------------------------------------------------------------

def softmax_float(s, scale: float):
    """softmax(s * scale) over each row, float64 (the reference)."""
    z = real_array(s, "s") * check_real(scale, "softmax scale")
    if z.ndim == 0 or z.shape[-1] == 0:
        raise ShapeError(f"s must have rows of at least one element, got shape {z.shape}")
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def exp_multiplier(scale: float) -> tuple[int, int]:
    """(multiplier, shift) turning score differences into base-2 exponents with 8 fraction bits.

    e^(-d * scale) = 2^(-d * scale * log2 e), so u = RQ(d, M, sh) with
    M/2^sh ~ scale * log2(e) * 256.
    A compile-time step (float is fine here): quantize_multiplier with a 15-bit multiplier.
    """
    scale = check_real(scale, "softmax scale")
    return nx.quantize_multiplier(scale * math.log2(math.e) * (1 << EXP_FRAC))


def softmax_exponents(s, multiplier: int, shift: int):
    """The row maxima's distances as base-2 exponents: u = RQ(min(max - s, 2^31-1), M, sh) >= 0.
    One (multiplier, shift) for the tensor: integers, multiplier < 2^16, shift <= 47."""
    multiplier = check_int(multiplier, "multiplier", 0, (1 << nx.REQUANT_MULT_BITS) - 1)
    shift = check_int(shift, "shift", 0, nx.REQUANT_MAX_SHIFT)
    s = _rows(s, "s", 32)
    d = np.minimum(s.max(axis=-1, keepdims=True) - s, nx.INT32_MAX)
    return np.asarray(nx.requantize(d, multiplier, shift, 32), dtype=np.int64)


def softmax(s, multiplier: int, shift: int):
    """Integer softmax over each row of int scores `s`; probabilities int8 at scale 1/128 (0..127).

    With (multiplier, shift) = exp_multiplier(real scale of s) (Softermax-style, base 2):

        m = max(row)                              row maximum (a comparator tree)
        u = RQ(m - s, M, sh)       >= 0           exponent of 2^(-u/256), 8 fraction bits
        e = LUT[u & 255] >> (u >> 8)   <= 2^15    exp2_neg: 2^(-u/256) at scale 2^-15
        r = floor(2^30 / sum(e))                  the one divide per row
        p = min((e * r + 2^22) >> 23, 127)        probability at scale 1/128, round half up

    Widths: s int32 (int8 typical), u 32 bits, e 16 bits, sum(e) up to 15 + log2(row) bits, e*r
    below 2^46. Measured error against 128 * softmax_float (tests/models/test_vector.py, 3000 rows
    of 16 at scales 0.01..1): within one output step; a full step only where a certain row
    saturates at 127 (= 0.992, not 1); where 128 * p < 126.5 at most 0.55; mean |error| 0.05..0.25.
    """
    s = _rows(s, "s", 32)
    _row_length(s, "s")
    u = softmax_exponents(s, multiplier, shift)
    e = exp2_neg(u)
    r = (np.int64(1) << SOFTMAX_RECIP_BITS) // e.sum(axis=-1, keepdims=True)
    p = round_shift(e * r, SOFTMAX_OUT_SHIFT)
    return np.minimum(p, nx.INT8_MAX)


# --- LayerNorm -------------------------------------------------------------------------------

def layernorm_float(x, gamma=None, beta=None):
    """(x - mean) / std over each row (population variance, no epsilon; a constant row gives 0),
    then * gamma + beta, in float64 (the reference, in the same real units as `layernorm`)."""
    x = real_array(x, "x")
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ShapeError(f"x must have rows of at least one element, got shape {x.shape}")
    c = x - x.mean(axis=-1, keepdims=True)
    std = np.sqrt((c * c).mean(axis=-1, keepdims=True))
    z = np.divide(c, std, out=np.zeros_like(c), where=std > 0)
    if gamma is not None:
        z = z * real_array(_per_channel(gamma, x.shape[-1], "gamma"), "gamma")
    if beta is not None:
        z = z + real_array(_per_channel(beta, x.shape[-1], "beta"), "beta")
    return z


def layernorm(x, gamma=None, beta=None, out_frac: int = 5):
    """Integer LayerNorm over each row of int8 `x`: int8 out at scale 2^-out_frac (default 1/32).

    With d the row length and S = sum(x) (all exact integers):

        c_i   = d * x_i - S                  = d * (x_i - mean): the mean is never rounded
        q     = sum(c_i^2) / d               a shift when d is a power of two, else an integer
                                             divide (floor); q = d^2 * variance
        sigma = isqrt(q << 2*8)              bit-serial square root: d * std * 2^8 (floor)
        r     = floor(2^40 / sigma)          the one divide per row (0 for a constant row)
        z_i   = RQ(c_i * r, 40 - 8 - out_frac)    (x_i - mean)/std at scale 2^-out_frac
        y_i   = sat8(z_i)                    or, with gamma (int8, scale 1/64) and beta (int8,
                                             at the output scale):
                                 sat8(RQ(c_i * r * gamma_i, 40 - 8 - out_frac + 6) + beta_i)

    Widths: c 9 + log2(d) bits, sum(c^2) <= 2^50 and q << 16 <= 2^54 for d <= 4096, sigma <= 2^27,
    r <= 2^32, c * r * gamma <= 2^59. The error against float is rounding of the output (1/2 step)
    plus the floors in q, sigma and r: measured mean |error| 0.25 output step and worst 0.5 (+ a
    hair) where unsaturated, for d = 7..4096 (tests/models/test_vector.py). gamma/beta may be
    folded into the next layer instead.
    """
    x = _rows(x, "x", 8)
    _row_length(x, "x")
    out_frac = check_int(out_frac, "layernorm out_frac", 0, 8)
    d = x.shape[-1]
    c = d * x - x.sum(axis=-1, keepdims=True)
    ssq = (c * c).sum(axis=-1, keepdims=True)
    q = ssq >> (d.bit_length() - 1) if d & (d - 1) == 0 else ssq // d
    sigma = isqrt(q << (2 * LN_SQRT_FRAC), bits=62)
    r = np.where(sigma > 0, (np.int64(1) << LN_RECIP_BITS) // np.maximum(sigma, 1), 0)
    sh = LN_RECIP_BITS - LN_SQRT_FRAC - int(out_frac)
    if gamma is None and beta is None:
        return np.asarray(nx.sat8(round_shift(c * r, sh)), dtype=np.int64)
    g = (np.full(d, 1 << LN_GAMMA_FRAC, dtype=np.int64) if gamma is None
         else _rows(_per_channel(gamma, d, "gamma"), "gamma", 8))
    b = np.zeros(d, dtype=np.int64) if beta is None else _rows(_per_channel(beta, d, "beta"),
                                                                "beta", 8)
    return np.asarray(nx.sat8(round_shift(c * r * g, sh + LN_GAMMA_FRAC) + b), dtype=np.int64)


# --- data movement ---------------------------------------------------------------------------

def strided_move(src, offset: int, shape: tuple[int, int], strides: tuple[int, int]):
    """A 2-D strided read of a flat buffer, as the vector unit's address generator does it:

        out[i, j] = src.flat[offset + i * strides[0] + j * strides[1]]

    transpose is strides (1, columns); one attention head of a (T, H*Dh) matrix is offset h*Dh,
    shape (T, Dh), strides (H*Dh, 1). Exact (it only moves data). RangeError if an address falls
    outside the buffer.
    """
    flat = int_array(src, "src").reshape(-1)
    if flat.dtype == object:
        flat = nx.check_fits(flat, 64, name="src")
    flat = flat.astype(np.int64)
    if flat.size == 0:
        raise ShapeError("src is empty: a strided move needs something to read")
    offset = check_int(offset, "offset", 0, flat.size - 1)  # the first address read
    if not (isinstance(shape, (tuple, list)) and isinstance(strides, (tuple, list))
            and len(shape) == 2 and len(strides) == 2):
        raise ShapeError(f"shape and strides are two integers each, got {shape!r} and "
                         f"{strides!r}")
    shape = tuple(check_int(v, "shape", 1, flat.size) for v in shape)
    strides = tuple(check_int(v, "strides", -flat.size, flat.size) for v in strides)
    i, j = np.arange(shape[0])[:, None], np.arange(shape[1])[None, :]
    addr = offset + i * strides[0] + j * strides[1]
    if addr.min() < 0 or addr.max() >= flat.size:
        raise RangeError(f"strided move reads addresses {int(addr.min())}..{int(addr.max())} of a "
                         f"{flat.size}-element buffer; shrink the shape or fix offset/strides")
    return flat[addr]


def transpose(x):
    """x.T for a 2-D integer array, as a strided move (strides (1, columns)). Exact."""
    x = int_array(x, "x")
    if x.ndim != 2 or min(x.shape) < 1:
        raise ShapeError(f"transpose needs a 2-D array (rows, columns), got shape {x.shape}")
    rows, cols = x.shape
    return strided_move(x, 0, (cols, rows), (1, cols))
