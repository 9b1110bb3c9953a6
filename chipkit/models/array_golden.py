"""The golden GEMM: what the array must compute, in numpy, and the operand checks every backend
shares."""
from __future__ import annotations

import numpy as np

from chipkit.checks import int_array
from chipkit.errors import RangeError, ShapeError
from chipkit.numerics import INT8_MAX, INT8_MIN, wrap32


def check_int8_matrix(x, name: str) -> np.ndarray:
    """`x` as a 2-D int64 array of int8 values, or a ChipkitError that says what is wrong."""
    arr = int_array(x, name, what="integers (int8 values)")
    if arr.ndim != 2:
        raise ShapeError(f"{name} must be a 2-D matrix, got {arr.ndim}-D with shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ShapeError(f"{name} must have at least one row and one column, got shape {arr.shape}")
    if arr.min() < INT8_MIN or arr.max() > INT8_MAX:
        raise RangeError(f"{name} holds values outside int8 ({INT8_MIN}..{INT8_MAX}): "
                         f"min {arr.min()}, max {arr.max()}; quantize or clip it first")
    return arr.astype(np.int64)


def check_gemm_operands(a, b) -> tuple[np.ndarray, np.ndarray]:
    """A (M x K) and B (K x N) as int64 arrays of int8 values with matching inner dimensions."""
    a, b = check_int8_matrix(a, "A"), check_int8_matrix(b, "B")
    if a.shape[1] != b.shape[0]:
        raise ShapeError(f"A is {a.shape[0]}x{a.shape[1]} and B is {b.shape[0]}x{b.shape[1]}: "
                         "A's columns must equal B's rows (K)")
    return a, b


def gemm(a, b) -> np.ndarray:
    """C = A @ B for int8 A, B with int32 accumulation (wrapping, as the hardware does; no int8
    product of realistic size comes near: |C| <= K * 2**14)."""
    a, b = check_gemm_operands(a, b)
    if a.shape[1] < 2**38:  # every partial sum |s| <= K * 2**14 < 2**53: float64 is exact, and BLAS
        return wrap32(np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64))
    return wrap32(a @ b)
