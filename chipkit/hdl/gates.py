"""Logic gates, the atoms every structural block here is built from, and the wiring helpers between
bits and buses. chipkit.flow.netlist reads a block's gates back to measure its logic depth.

Each gate is one MyHDL @always_comb; the last argument is always the output.
"""
from myhdl import ConcatSignal, Signal, always_comb, block


@block
def and2(a, b, y):
    """y = a AND b.   a, b -- in, 1 bit;  y -- out, 1 bit."""

    @always_comb
    def logic():
        y.next = a & b

    return logic


@block
def or2(a, b, y):
    """y = a OR b.   a, b -- in, 1 bit;  y -- out, 1 bit."""

    @always_comb
    def logic():
        y.next = a | b

    return logic


@block
def xor2(a, b, y):
    """y = a XOR b.   a, b -- in, 1 bit;  y -- out, 1 bit."""

    @always_comb
    def logic():
        y.next = a ^ b

    return logic


@block
def nand2(a, b, y):
    """y = NOT (a AND b).   a, b -- in, 1 bit;  y -- out, 1 bit."""

    @always_comb
    def logic():
        y.next = not (a and b)  # `not (a & b)` converts to VHDL that GHDL rejects

    return logic


@block
def inv(a, y):
    """y = NOT a.   a -- in, 1 bit;  y -- out, 1 bit."""

    @always_comb
    def logic():
        y.next = not a

    return logic


#: the gate blocks and the boolean function each computes, for chipkit.flow.netlist
GATES = {
    and2: lambda a, b: a & b,
    or2: lambda a, b: a | b,
    xor2: lambda a, b: a ^ b,
    nand2: lambda a, b: 1 - (a & b),
    inv: lambda a: 1 - a,
}


@block
def pack(bits, bus):
    """Drive a bus from a list of 1-bit signals, bits[0] the least significant (wiring, no gates).
    A signed bus reads the bits as two's complement.

    bits -- in, list of 1-bit signals;  bus -- out, len(bits) bits.
    """
    joined = ConcatSignal(*reversed(bits)) if len(bits) > 1 else bits[0]

    if isinstance(bus.val, bool) or bus.min >= 0:

        @always_comb
        def wire():
            bus.next = joined

    else:  # a signed bus takes the same bits, read as two's complement

        @always_comb
        def wire():
            bus.next = joined.signed()

    return wire


@block
def tie(y, value):
    """Hold a 1-bit signal at a constant (a tie cell: no gate, a wire to VDD or ground).

    y -- out, 1 bit;  value -- Python int, 0 or 1.
    """
    const = Signal(bool(value))  # never driven: MyHDL converts it to a constant wire

    @always_comb
    def wire():
        y.next = const

    return wire


def unpack(bus, width):
    """The bits of a bus as 1-bit shadow signals, bits[0] the least significant (no gates)."""
    if isinstance(bus.val, bool):
        return [bus]
    return [bus(i) for i in range(width)]
