"""Exercise 9 -- how many cycles a GEMM takes on the array (notebook 04, the systolic array).

C = A @ B with A M x K and B K x N, on an array of `rows` x `cols` PEs. A GEMM larger than the
array is cut into folds (tiles) that run one after the other, all the same length:

  weight-stationary ("ws"): the weights stay in the PEs, so a fold is a rows x cols tile of B:
      ceil(K / rows) * ceil(N / cols) folds. One fold: `rows` cycles to shift the weights in, then
      the M rows of A stream in one per cycle, and the last one needs rows + cols - 2 more cycles to
      cross the skew, the array and the output de-skew:  rows + M + rows + cols - 2.
  output-stationary ("os"): each PE accumulates one element of C, so a fold is a rows x cols tile
      of C: ceil(M / rows) * ceil(N / cols) folds. One fold: K steps of operands, rows + cols - 2
      more until the far corner PE has its last product, then `rows` cycles to shift the results
      out:  K + rows + cols - 2 + rows.

Write `gemm_cycles(m, n, k, rows, cols, dataflow)`: folds x cycles per fold (folds do not overlap
on this array), and `utilization(...)`: the share of the PEs' cycles that did a useful MAC,
M * N * K / (rows * cols * gemm_cycles). Use integer arithmetic for the ceilings: -(-a // b).
The grader checks the formula on thousands of shapes and against the fast cycle-exact model, whose
last output leaves the array at the last cycle of each fold.
Check your work: `chipkit grade --only ex09`.
"""
# Your exercise: replace each `raise NotImplementedError(...)` with your code, keeping
# the names and arguments. The imports you need are already here.


def gemm_cycles(m: int, n: int, k: int, rows: int, cols: int, dataflow: str = "ws") -> int:
    """Cycles of an M x K by K x N GEMM on a rows x cols array ("ws" or "os")."""
    raise NotImplementedError(
        "folds = ceil(.) * ceil(.); each fold is 2 * rows + cols - 2 plus M or K"
    )


def utilization(m: int, n: int, k: int, rows: int, cols: int, dataflow: str = "ws") -> float:
    """Useful MACs / (PEs x cycles), between 0 and 1."""
    raise NotImplementedError(
        "m * n * k useful MACs out of rows * cols * gemm_cycles(...) PE-cycles"
    )
