"""MyHDL blocks of the chip, one idea per file, in the order data flows: gates -> adders ->
multipliers -> mac -> pe -> array. Every block has a numpy twin in chipkit.models and tests that
compare them, in MyHDL and in the converted Verilog.
"""

from chipkit.flow import myhdl_fast  # noqa: F401  (fast elaboration of the many small gate blocks)
