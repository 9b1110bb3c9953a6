"""Exercise 3 -- a ripple-carry adder from full adders (notebook 01, adders from gates).

Build `ripple_carry_adder(a, b, cin, s, cout, width=8)` structurally: `width` instances of
chipkit.hdl.adders.full_adder, bit i's carry out wired to bit i+1's carry in, cin into bit 0 and the
top carry out to cout. chipkit.hdl.gates.unpack(bus, width) gives a bus's bits as a list (bit 0
first) and pack(bits, bus) drives a bus from a list of 1-bit signals.

    a, b -- in, `width` bits, unsigned;  cin -- in, 1 bit
    s    -- out, `width` bits, (a + b + cin) mod 2**width;  cout -- out, 1 bit, the carry out

The grader adds random and edge-case numbers at widths 1, 4 and 8 (compared with
chipkit.models.arith.add) and counts your full_adder instances: exactly `width` of them.
Check your work: `chipkit grade --only ex03`.
"""
# Your exercise: replace each `raise NotImplementedError(...)` with your code, keeping
# the names and arguments. The imports you need are already here.
# ruff: noqa: F401
from myhdl import Signal, block

from chipkit.hdl.adders import full_adder
from chipkit.hdl.gates import pack, unpack


@block
def ripple_carry_adder(a, b, cin, s, cout, width=8):
    """N-bit adder: a chain of `width` full adders, each waiting for its neighbour's carry."""
    raise NotImplementedError(
        "carries = [cin, Signal(bool(0)), ..., cout]; one full_adder per bit; pack"
    )
