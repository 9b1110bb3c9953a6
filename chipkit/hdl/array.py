"""The systolic array: a grid of PEs (chipkit.hdl.pe) with its input skew, output de-skew and valid
pipeline, weight-stationary or output-stationary; chipkit.models.array_fast is its register-exact
twin.
"""
from myhdl import ConcatSignal, Signal, always_comb, always_seq, block, intbv, modbv

from chipkit.config import ArrayConfig, check_config
from chipkit.errors import ConfigError
from chipkit.flow.sim import Bench
from chipkit.hdl.pe import os_pe, ws_pe
from chipkit.numerics import INT8_BITS, INT32_BITS

OPERAND_BITS = INT8_BITS  # int8 operands
SUM_BITS = INT32_BITS  # int32 partial sums and accumulators


def _int8(kind=intbv):
    return Signal(kind(0, min=-(1 << (OPERAND_BITS - 1)), max=1 << (OPERAND_BITS - 1)))


def _int32():
    return Signal(modbv(0, min=-(1 << (SUM_BITS - 1)), max=1 << (SUM_BITS - 1)))


def _grid(rows, cols, make):
    return [[make() for _ in range(cols)] for _ in range(rows)]


def _check(rows, cols, buses):
    """Sizes must be positive ints and every flat bus as wide as its lanes: else ConfigError."""
    for name, v in (("rows", rows), ("cols", cols)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ConfigError(f"array {name} must be a positive integer, got {v!r}; "
                              "use 1 or more (e.g. rows=4, cols=4)")
    for name, sig, lanes, bits in buses:
        if len(sig) != lanes * bits:
            raise ConfigError(f"{name} is {len(sig)} bits wide; an array with {lanes} lanes there "
                              f"needs {lanes * bits} ({bits} bits per lane)")


@block
def pipe_reg(clock, reset, d, q):
    """One pipeline register: q <- d at every edge.   d -- in;  q -- out, as wide as d."""

    @always_seq(clock.posedge, reset=reset)
    def shift():
        q.next = d

    return shift


@block
def lane_in(bus, lane, index):
    """Lane `index` of a flat bus, read as a signed number: lane = bus[w*(index+1) : w*index].

    bus -- in, unsigned, lanes x w bits;  lane -- out, signed w bits, a modbv;  index -- Python int.
    The lane is a modbv so that the unsigned bits wrap into the signed range: the same two's
    complement reading as `bus[hi:lo].signed()`, which builds a new intbv per call in MyHDL (several
    times slower).
    """
    w = len(lane)
    lo, hi = w * index, w * (index + 1)

    @always_comb
    def wire():
        lane.next = bus[hi:lo]

    return wire


@block
def lanes_out(lanes, bus):
    """Pack signed lanes into a flat unsigned bus, lanes[0] in the low bits (wiring, no logic).

    lanes -- in, list of signed signals of equal width;  bus -- out, unsigned, all of them."""
    w = len(lanes[0])
    # Unsigned copies first: a ConcatSignal of signed signals converts to VHDL that GHDL rejects.
    copies = [Signal(intbv(0)[w:]) for _ in lanes]
    joined = ConcatSignal(*reversed(copies)) if len(copies) > 1 else copies[0]
    wires = [unsigned_copy(s, u) for s, u in zip(lanes, copies)]

    @always_comb
    def drive():
        bus.next = joined

    return wires, drive


@block
def unsigned_copy(x, u):
    """u = the bit pattern of signed x (wiring)."""
    w = len(x)

    @always_comb
    def wire():
        u.next = x[w:]

    return wire


@block
def skew_lines(clock, reset, lanes, delayed, regs):
    """Lane i passes through i registers (lane 0 through none): delayed[i] is lanes[i] from i cycles
    ago. `regs[i]` holds lane i's registers, the first one first; they are made here."""
    insts = []
    for i in range(len(lanes)):
        chain = [lanes[i], *regs[i]]
        insts += [pipe_reg(clock, reset, chain[d], chain[d + 1]) for d in range(len(regs[i]))]
        delayed.append(chain[-1])
    del chain  # a loop variable would lend its name to a signal in the converted HDL
    return insts


@block
def ws_array(clock, reset, w_in, w_load, a_in, a_valid, c_out, c_valid, rows, cols, probe=None):
    """Weight-stationary systolic array of rows x cols PEs (chipkit.hdl.pe.ws_pe).

    clock   -- in, 1 bit
    reset   -- in, 1 bit, synchronous, active high: every register <- 0
    w_in    -- in, cols x 8 bits: lane j (bits 8j+7..8j) the int8 weight entering column j's top
    w_load  -- in, 1 bit: weights shift one row down (R cycles load a tile, bottom row first)
    a_in    -- in, rows x 8 bits: lane i the int8 activation for row i (A[m, k0 + i] at step R + m)
    a_valid -- in, 1 bit: a_in holds a real row of A this cycle
    c_out   -- out, cols x 32 bits: lane j the int32 (two's complement) C[m, n0 + j] partial sum
    c_valid -- out, 1 bit: c_out holds a finished row, R + C - 1 cycles after its a_valid
    rows, cols -- Python ints: R and C
    probe   -- None, or a dict filled at elaboration with every register's signal (for testbenches;
               never pass one to the converter): "w", "a", "p" [R][C]; "skew" [R][i] (lane i has i
               registers); "deskew" [C][C-1-j]; "valid" [R+C-1] (the last one is c_valid)

    Row i of A enters i cycles late (the skew), so the activations of one row of A meet the partial
    sums of that row on the diagonal; column j of the results leaves the bottom j cycles late and
    waits C-1-j cycles in the de-skew, so a whole row of C comes out at once.
    """
    _check(rows, cols, [("w_in", w_in, cols, OPERAND_BITS), ("a_in", a_in, rows, OPERAND_BITS),
                        ("c_out", c_out, cols, SUM_BITS)])
    r, c = rows, cols
    w, a, p = _grid(r, c, _int8), _grid(r, c, _int8), _grid(r, c, _int32)
    a_lanes, w_lanes = [_int8(modbv) for _ in range(r)], [_int8(modbv) for _ in range(c)]
    skew = [[_int8() for _ in range(i)] for i in range(r)]
    deskew = [[_int32() for _ in range(c - 1 - j)] for j in range(c)]
    valid = [Signal(bool(0)) for _ in range(r + c - 2)] + [c_valid]
    a_left, results = [], []  # column 0's activations; the de-skewed results

    wiring = [lane_in(a_in, a_lanes[i], i) for i in range(r)]
    wiring += [lane_in(w_in, w_lanes[j], j) for j in range(c)]
    skews = skew_lines(clock, reset, a_lanes, a_left, skew)
    deskews = skew_lines(clock, reset, [p[r - 1][j] for j in range(c)], results,
                         [deskew[j] for j in range(c)])
    valids = [pipe_reg(clock, reset, a_valid if k == 0 else valid[k - 1], valid[k])
              for k in range(r + c - 1)]
    pes = []
    for i in range(r):
        for j in range(c):
            pes.append(ws_pe(clock, reset, a_left[i] if j == 0 else a[i][j - 1],
                             None if i == 0 else p[i - 1][j],
                             w_lanes[j] if i == 0 else w[i - 1][j], w_load,
                             a[i][j], p[i][j], w[i][j]))
    out = lanes_out(results, c_out)
    if probe is not None:
        probe.update(w=w, a=a, p=p, skew=skew, deskew=deskew, valid=valid)
    return wiring, skews, deskews, valids, pes, out


@block
def os_array(clock, reset, a_in, b_in, drain, c_out, c_valid, rows, cols, probe=None):
    """Output-stationary systolic array of rows x cols PEs (chipkit.hdl.pe.os_pe).

    clock   -- in, 1 bit
    reset   -- in, 1 bit, synchronous, active high: every register <- 0
    a_in    -- in, rows x 8 bits: lane i the int8 A[m0 + i, k] at step k
    b_in    -- in, cols x 8 bits: lane j the int8 B[k, n0 + j] at step k
    drain   -- in, 1 bit: the PEs shift their results down instead of accumulating
    c_out   -- out, cols x 32 bits: register, lane j the int32 result leaving column j's bottom
               PE while draining (bottom row of the tile first), else 0
    c_valid -- out, 1 bit: register, c_out holds a row of C (drain one cycle ago)
    rows, cols -- Python ints: R and C
    probe   -- None, or a dict filled at elaboration with every register's signal (for testbenches;
               never pass one to the converter): "a", "b", "acc" [R][C]; "skew_a" [R][i];
               "skew_b" [C][j]; "c_out" (the flat bus); "c_valid"

    A's rows enter from the left and B's columns from the top, both skewed so that A[i, k] and
    B[k, j] meet in PE (i, j); each PE sums its own C[i, j]. After the last products (R + C + K - 2
    cycles) R drain cycles shift the finished tile out of the bottom, one row per cycle.
    """
    _check(rows, cols, [("a_in", a_in, rows, OPERAND_BITS), ("b_in", b_in, cols, OPERAND_BITS),
                        ("c_out", c_out, cols, SUM_BITS)])
    r, c = rows, cols
    a, b, acc = _grid(r, c, _int8), _grid(r, c, _int8), _grid(r, c, _int32)
    a_lanes, b_lanes = [_int8(modbv) for _ in range(r)], [_int8(modbv) for _ in range(c)]
    skew_a = [[_int8() for _ in range(i)] for i in range(r)]
    skew_b = [[_int8() for _ in range(j)] for j in range(c)]
    a_left, b_top = [], []

    wiring = [lane_in(a_in, a_lanes[i], i) for i in range(r)]
    wiring += [lane_in(b_in, b_lanes[j], j) for j in range(c)]
    skews = [skew_lines(clock, reset, a_lanes, a_left, skew_a),
             skew_lines(clock, reset, b_lanes, b_top, skew_b)]
    pes = []
    for i in range(r):
        for j in range(c):
            pes.append(os_pe(clock, reset, a_left[i] if j == 0 else a[i][j - 1],
                             b_top[j] if i == 0 else b[i - 1][j],
                             None if i == 0 else acc[i - 1][j], drain,
                             a[i][j], b[i][j], acc[i][j]))
    bottom = Signal(intbv(0)[c * SUM_BITS:])  # the bottom row's results, packed
    pack = lanes_out(acc[r - 1], bottom)

    @always_seq(clock.posedge, reset=reset)
    def emit():
        if drain:
            c_out.next = bottom
        else:
            c_out.next = 0
        c_valid.next = drain

    if probe is not None:
        probe.update(a=a, b=b, acc=acc, skew_a=skew_a, skew_b=skew_b, c_out=c_out,
                     c_valid=c_valid)
    return wiring, skews, pes, pack, emit


def array_block(cfg: ArrayConfig):
    """The @block for cfg's dataflow: ws_array or os_array."""
    check_config(cfg, ArrayConfig)
    return ws_array if cfg.dataflow == "ws" else os_array


def array_bench(cfg: ArrayConfig) -> Bench:
    """A clocked Bench of the array `cfg` with its flat-bus ports (for conversion and
    re-simulation: chipkit.flow.convert, chipkit.flow.resim)."""
    check_config(cfg, ArrayConfig)
    r, c = cfg.rows, cfg.cols

    def bus(lanes, bits):
        return intbv(0)[lanes * bits:]

    outputs = {"c_out": bus(c, SUM_BITS), "c_valid": bool(0)}
    if cfg.dataflow == "ws":
        inputs = {"w_in": bus(c, OPERAND_BITS), "w_load": bool(0), "a_in": bus(r, OPERAND_BITS),
                  "a_valid": bool(0)}
    else:
        inputs = {"a_in": bus(r, OPERAND_BITS), "b_in": bus(c, OPERAND_BITS), "drain": bool(0)}
    return Bench(array_block(cfg), inputs, outputs, {"rows": r, "cols": c}, clocked=True)
