"""The processing elements of the systolic array: one int8 multiply and one int32 add per clock,
weight-stationary (ws_pe) or output-stationary (os_pe); chipkit.hdl.array tiles them into a grid.
"""
from myhdl import always_seq, block, modbv

from chipkit.errors import ConfigError


def _check_wrapping(sig, name: str, product_bits: int) -> None:
    """A partial sum must be a wrapping (modbv) register at least as wide as a product."""
    if not isinstance(sig.val, modbv):
        raise ConfigError(f"{name} must be a wrapping register, Signal(modbv(0, min=-2**31, "
                          f"max=2**31)); got {type(sig.val).__name__}: int32 sums wrap on overflow")
    if len(sig) < product_bits:
        raise ConfigError(f"{name} has {len(sig)} bits, fewer than a product ({product_bits}); "
                          "widen it (int32 for int8 operands)")


@block
def ws_pe(clock, reset, a_in, p_in, w_in, w_load, a_out, p_out, w_out):
    """Weight-stationary PE: holds a weight, multiplies the activation passing through by it and
    adds the product to the partial sum coming down.

    clock  -- in, 1 bit
    reset  -- in, 1 bit, synchronous, active high: every register <- 0
    a_in   -- in, signed 8 bits: the activation from the left (the skew line or the PE to the left)
    p_in   -- in, signed 32 bits: the partial sum from the PE above; None for the top row (adds 0)
    w_in   -- in, signed 8 bits: the weight from above (the weight bus or the PE above)
    w_load -- in, 1 bit: w <- w_in at the next edge (weights shift one row down per cycle)
    a_out  -- out, signed 8 bits: register a <- a_in, the activation for the PE to the right
    p_out  -- out, signed 32 bits, a modbv (wraps): register p <- p_in + a_in * w
    w_out  -- out, signed 8 bits: register w, the stationary weight (and the PE below's w_in)

    The weight stays while a whole matrix of activations streams through from the left: each
    activation is used C times, once per column, as it hops right one PE per cycle; the partial
    sums hop down one PE per cycle and leave the bottom row as finished dot products. The product
    uses the weight held *before* the edge, so loading new weights and multiplying can overlap.
    """
    _check_wrapping(p_out, "p_out", len(a_in) + len(w_out))

    if p_in is None:  # top row: no partial sum above (a constant 0 signal would convert unsigned)

        @always_seq(clock.posedge, reset=reset)
        def mac_step():
            p_out.next = a_in * w_out
            a_out.next = a_in
            if w_load:
                w_out.next = w_in
    else:

        @always_seq(clock.posedge, reset=reset)
        def mac_step():
            p_out.next = p_in + a_in * w_out
            a_out.next = a_in
            if w_load:
                w_out.next = w_in

    return mac_step


@block
def os_pe(clock, reset, a_in, b_in, acc_in, drain, a_out, b_out, acc_out):
    """Output-stationary PE: keeps its own output element and accumulates a_in * b_in into it;
    at the end, the finished outputs shift down the column and out of the array.

    clock   -- in, 1 bit
    reset   -- in, 1 bit, synchronous, active high: every register <- 0
    a_in    -- in, signed 8 bits: the A operand from the left (the skew line or the PE to the left)
    b_in    -- in, signed 8 bits: the B operand from above (the skew line or the PE above)
    acc_in  -- in, signed 32 bits: the accumulator of the PE above; None for the top row (0)
    drain   -- in, 1 bit: acc <- acc_in instead of accumulating (shift the outputs down)
    a_out   -- out, signed 8 bits: register a <- a_in, for the PE to the right
    b_out   -- out, signed 8 bits: register b <- b_in, for the PE below
    acc_out -- out, signed 32 bits, a modbv (wraps): register acc <- acc + a_in * b_in, or
               acc_in while draining

    Row i of A enters from the left and column j of B from the top, one element per cycle; PE
    (i, j) meets A[i, k] and B[k, j] at the same cycle for every k and sums them: C[i, j] never
    moves until the drain, when the whole grid of results shifts down one row per cycle.
    """
    _check_wrapping(acc_out, "acc_out", len(a_in) + len(b_in))

    if acc_in is None:  # top row: zeros enter from above while draining

        @always_seq(clock.posedge, reset=reset)
        def mac_step():
            if drain:
                acc_out.next = 0
            else:
                acc_out.next = acc_out + a_in * b_in
            a_out.next = a_in
            b_out.next = b_in
    else:

        @always_seq(clock.posedge, reset=reset)
        def mac_step():
            if drain:
                acc_out.next = acc_in
            else:
                acc_out.next = acc_out + a_in * b_in
            a_out.next = a_in
            b_out.next = b_in

    return mac_step
