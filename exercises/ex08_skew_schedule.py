"""Exercise 8 -- the skew: when each activation enters the array (notebook 03, the PE and the skew).

In a weight-stationary fold, PE row i holds row i of the weight tile and needs column i of A. The
partial sum for A's row m starts at the top of column j and moves down one PE per cycle, so row i
must see A[m, i] exactly i cycles after row 0 sees A[m, 0]: the left edge is SKEWED, row i delayed
by i cycles (a staircase of registers, i of them in row i).

1. `skew(a, rows)`: a is M x K (K <= rows; rows K..rows-1 of the array get zeros). Return the int
   array L of shape (M + rows - 1, rows) that enters the array's left edge, one row per cycle:
   L[t, i] = a[t - i, i] when 0 <= t - i < M (and i < K), else 0.

       skew([[1, 2], [3, 4]], 2) == [[1, 0],
                                     [3, 2],
                                     [0, 4]]

2. `active_steps(i, j, m, rows)`: a fold first spends `rows` cycles shifting the weights in
   (steps 0 .. rows-1); then A's rows enter, skewed, and each value moves one PE to the right per
   cycle. Return (first, last): the first and last step at which PE (i, j) multiplies a real row of
   A (row 0 and row m - 1). The corner PE (rows-1, cols-1)'s last step is the fold's last cycle.

The grader compares with what the fast cycle-exact model (chipkit.models.array_fast) puts into its
left
column, cycle by cycle, and with the PEs it marks active (chipkit.models.array_schedule).
Check your work: `chipkit grade --only ex08`.
"""
# Your exercise: replace each `raise NotImplementedError(...)` with your code, keeping
# the names and arguments. The imports you need are already here.
import numpy as np


def skew(a, rows: int) -> np.ndarray:
    """The skewed left-edge inputs: (M + rows - 1) x rows, row i delayed by i cycles."""
    raise NotImplementedError(
        "np.zeros((m + rows - 1, rows)); column i of a goes into rows i..i+m-1"
    )


def active_steps(i: int, j: int, m: int, rows: int) -> tuple[int, int]:
    """(first, last) step of a weight-stationary fold at which PE (i, j) multiplies a row of A."""
    raise NotImplementedError("A's row 0 arrives after the weight load, i cycles of skew, j hops")
