"""Exercise 10 -- the tiling loop: any GEMM on a fixed-size array (notebook 04, the systolic array).

The array holds exactly one rows x cols tile of weights. `array_fold(a_part, w_tile)` runs one
weight-stationary fold on it: a_part is M x rows (the columns of A that meet the tile's rows of B),
w_tile is exactly rows x cols, and it returns the M x cols partial product a_part @ w_tile (int32).

Write `tiled_gemm(a, b, rows, cols, array_fold)`: C = A @ B (A M x K, B K x N, int8) computed ONLY
through array_fold. Cut B into rows x cols tiles at (k0, n0) = (0, 0), (rows, 0), ...: the tiles of
one block of C's columns n0..n0+cols-1 are folds over K, and their partial products ADD UP. Where
K or N is not a multiple of the array's size, pad the edge tiles (and the matching columns of A)
with zeros: the array's size is fixed. Return C as an M x N int64 array of int32 values (sums wrap
like the hardware's int32 accumulator; chipkit.numerics.wrap32 does it).

The grader passes an array_fold that runs the fast cycle-exact model and counts its calls: you
must visit every tile exactly once, ceil(K / rows) * ceil(N / cols) folds, and build C from what
array_fold returns (not from a @ b).
Check your work: `chipkit grade --only ex10`.
"""
import numpy as np

from chipkit.numerics import wrap32


def tiled_gemm(a, b, rows: int, cols: int, array_fold) -> np.ndarray:
    """A @ B (int32 values) from ceil(K/rows) * ceil(N/cols) calls of array_fold."""
    # BEGIN SOLUTION hint: for n0 in range(0, N, cols): for k0 in range(0, K, rows): pad, fold, add
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    (m, k), n = a.shape, b.shape[1]
    c = np.zeros((m, n), dtype=np.int64)
    for n0 in range(0, n, cols):
        nc = min(cols, n - n0)  # real columns in this block of C
        for k0 in range(0, k, rows):
            kr = min(rows, k - k0)  # real rows of B (columns of A) in this tile
            w_tile = np.zeros((rows, cols), dtype=np.int64)
            w_tile[:kr, :nc] = b[k0:k0 + kr, n0:n0 + nc]
            a_part = np.zeros((m, rows), dtype=np.int64)
            a_part[:, :kr] = a[:, k0:k0 + kr]
            partial = np.asarray(array_fold(a_part, w_tile))
            c[:, n0:n0 + nc] = wrap32(c[:, n0:n0 + nc] + partial[:, :nc])
    return c
    # END SOLUTION
