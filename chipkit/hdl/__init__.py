"""MyHDL blocks of the chip, one idea per file, in the order data flows: gates -> adders ->
multipliers
-> mac. Every block has a numpy twin in chipkit.golden and a test that compares them in MyHDL and
in the
converted Verilog.
"""

from chipkit import _myhdl_fast  # noqa: F401,E402  (fast elaboration of the many small gate blocks)
