"""Exercise 7 -- one clock edge of a processing element (notebook 03, the PE and the skew).

A systolic array is a grid of identical PEs; each clock edge, every PE does one multiply-accumulate
and hands its operands on to its neighbours. Write what ONE PE does at one edge, for both dataflows:

  weight-stationary: the PE holds a weight w (int8). An activation a_in (int8) arrives from the
  left and a partial sum p_in (int32) from above; the PE passes a_in on to the right unchanged and
  p_in + a_in * w down.  `ws_pe_step(a_in, p_in, w)` returns `(a_out, p_out)`.

  output-stationary: the PE holds its own accumulator acc (int32). a_in arrives from the left and
  b_in from above; it passes both on unchanged and adds their product to acc.
  `os_pe_step(a_in, b_in, acc)` returns `(a_out, b_out, acc_out)`.

The sums are int32 registers: they WRAP like the hardware's adder (no saturation here, see
exercise 6), e.g. ws_pe_step(1, 2**31 - 1, 1) == (1, -2**31). Plain Python ints in and out.
The grader compares you with the PE rule of the fast cycle-exact model (chipkit.models.array_fast),
every int8 corner (-128, 127) and partial sums at the int32 edges included.
Check your work: `chipkit grade --only ex07`.
"""

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def wrap32(x: int) -> int:
    """`x` as a 32-bit two's complement register holds it: the low 32 bits, read as signed."""
    # BEGIN SOLUTION hint: shift the range to 0..2**32 - 1, take % 2**32, shift it back
    return (x - INT32_MIN) % 2**32 + INT32_MIN
    # END SOLUTION


def ws_pe_step(a_in: int, p_in: int, w: int) -> tuple[int, int]:
    """A weight-stationary PE at one edge: (activation passed right, partial sum passed down)."""
    # BEGIN SOLUTION hint: a_in goes on unchanged; p grows by a_in * w, wrapped to int32
    return a_in, wrap32(p_in + a_in * w)
    # END SOLUTION


def os_pe_step(a_in: int, b_in: int, acc: int) -> tuple[int, int, int]:
    """An output-stationary PE at one edge: (a passed right, b passed down, new accumulator)."""
    # BEGIN SOLUTION hint: a_in, b_in go on unchanged; acc grows by a_in * b_in, wrapped
    return a_in, b_in, wrap32(acc + a_in * b_in)
    # END SOLUTION
