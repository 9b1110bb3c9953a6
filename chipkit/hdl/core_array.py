"""The inference core's matrix engine: an L x L weight-stationary array whose PEs hold **two**
weights, so the next tile loads into one buffer while activations stream through the other.

The buffer select travels with each activation (through the skew and from PE to PE), so two
matrix products on different buffers can follow each other cycle for cycle: every PE uses the
buffer its activation was sent with. chipkit.hdl.array's single-buffered ws_array is the same
grid without the second weight and the select.
"""
from myhdl import Signal, always_seq, block, modbv

from chipkit.hdl.array import (
    OPERAND_BITS,
    SUM_BITS,
    _check,
    _grid,
    _int8,
    _int32,
    lane_in,
    lanes_out,
    pipe_reg,
    skew_lines,
)


@block
def dbuf_pe(clock, reset, a_in, s_in, p_in, w0_in, w1_in, w_load, w_buf,
            a_out, s_out, p_out, w0, w1):
    """A weight-stationary PE with two weight registers.

    a_in, s_in -- in: the int8 activation from the left and the buffer it uses (0 or 1)
    p_in       -- in: the int32 partial sum from above; None for the top row
    w0_in, w1_in -- in: the weights from above (the PE above's w0, w1, or the weight bus)
    w_load, w_buf -- in: shift buffer `w_buf` one row down at the next edge
    a_out, s_out, p_out -- out, registers: the activation and select for the PE to the right,
               p_in + a_in * (w1 if s_in else w0) for the PE below
    w0, w1     -- out, registers: the two stationary weights
    """
    if p_in is None:

        @always_seq(clock.posedge, reset=reset)
        def mac_step():
            if s_in:
                p_out.next = a_in * w1
            else:
                p_out.next = a_in * w0
            a_out.next = a_in
            s_out.next = s_in
            if w_load and w_buf:
                w1.next = w1_in
            if w_load and not w_buf:
                w0.next = w0_in
    else:

        @always_seq(clock.posedge, reset=reset)
        def mac_step():
            if s_in:
                p_out.next = p_in + a_in * w1
            else:
                p_out.next = p_in + a_in * w0
            a_out.next = a_in
            s_out.next = s_in
            if w_load and w_buf:
                w1.next = w1_in
            if w_load and not w_buf:
                w0.next = w0_in

    return mac_step


@block
def core_array(clock, reset, w_in, w_load, w_buf, a_in, a_sel, a_valid, c_out, c_valid, lanes,
               probe=None):
    """The L x L double-buffered weight-stationary array.

    w_in    -- in, L x 8 bits: a row of the weight tile entering the top (lane j: column j)
    w_load, w_buf -- in: shift weight buffer w_buf one row down (L cycles load a tile, its last
               row first)
    a_in    -- in, L x 8 bits: a row of A (lane i: K index i); a_sel the buffer it multiplies with
    a_valid -- in, 1 bit: a_in is a real row this cycle
    c_out   -- out, L x 32 bits: a finished row of C (lane j: column j), 2L - 1 cycles after its
               a_valid, when c_valid is high
    lanes   -- Python int: L
    probe   -- None, or a dict filled with the registers "w0", "w1", "p" [L][L] (for testbenches)
    """
    n = lanes
    _check(n, n, [("w_in", w_in, n, OPERAND_BITS), ("a_in", a_in, n, OPERAND_BITS),
                  ("c_out", c_out, n, SUM_BITS)])
    w0, w1, a, p = _grid(n, n, _int8), _grid(n, n, _int8), _grid(n, n, _int8), _grid(n, n, _int32)
    s = _grid(n, n, lambda: Signal(bool(0)))
    a_lanes, w_lanes = [_int8(modbv) for _ in range(n)], [_int8(modbv) for _ in range(n)]
    sels = [a_sel for _ in range(n)]
    skew = [[_int8() for _ in range(i)] for i in range(n)]
    sskew = [[Signal(bool(0)) for _ in range(i)] for i in range(n)]
    deskew = [[_int32() for _ in range(n - 1 - j)] for j in range(n)]
    valid = [Signal(bool(0)) for _ in range(2 * n - 2)] + [c_valid]
    a_left, s_left, results = [], [], []

    wiring = [lane_in(a_in, a_lanes[i], i) for i in range(n)]
    wiring += [lane_in(w_in, w_lanes[j], j) for j in range(n)]
    skews = [skew_lines(clock, reset, a_lanes, a_left, skew),
             skew_lines(clock, reset, sels, s_left, sskew)]
    deskews = skew_lines(clock, reset, [p[n - 1][j] for j in range(n)], results,
                         [deskew[j] for j in range(n)])
    valids = [pipe_reg(clock, reset, a_valid if k == 0 else valid[k - 1], valid[k])
              for k in range(2 * n - 1)]
    pes = []
    for i in range(n):
        for j in range(n):
            pes.append(dbuf_pe(clock, reset, a_left[i] if j == 0 else a[i][j - 1],
                               s_left[i] if j == 0 else s[i][j - 1],
                               None if i == 0 else p[i - 1][j],
                               w_lanes[j] if i == 0 else w0[i - 1][j],
                               w_lanes[j] if i == 0 else w1[i - 1][j], w_load, w_buf,
                               a[i][j], s[i][j], p[i][j], w0[i][j], w1[i][j]))
    out = lanes_out(results, c_out)
    if probe is not None:
        probe.update(w0=w0, w1=w1, p=p)
    return wiring, skews, deskews, valids, pes, out
