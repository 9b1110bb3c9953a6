"""Exercise 2 -- a full adder from its boolean equations (notebook 01, adders from gates).

Write the MyHDL block `full_adder(a, b, cin, s, cout)` behaviourally: one `@always_comb` process
that drives the sum s = a XOR b XOR cin and the carry out cout = majority(a, b, cin), i.e.
(a AND b) OR (cin AND (a XOR b)). All five ports are 1-bit signals. chipkit.hdl.adders builds the
same adder from gates; here you write the equations the gates implement.

The grader simulates all 8 input combinations and compares with chipkit.models.arith.add, and checks
that the block uses @always_comb. Check your work: `chipkit grade --only ex02`.
"""
from myhdl import always_comb, block


@block
def full_adder(a, b, cin, s, cout):
    """Add three bits.

    a, b -- in, 1 bit, the addends
    cin  -- in, 1 bit, carry in
    s    -- out, 1 bit, sum = a XOR b XOR cin
    cout -- out, 1 bit, carry out = majority(a, b, cin)
    """
    # BEGIN SOLUTION hint: an @always_comb function that sets s.next and cout.next; return it
    @always_comb
    def logic():
        s.next = a ^ b ^ cin
        cout.next = (a & b) | (cin & (a ^ b))

    return logic
    # END SOLUTION
