"""The chip's RTL in MyHDL, one idea per file, in the order data flows: gates -> adders ->
multipliers -> mac -> pe -> array, then the inference core's blocks (core_array, the vector unit
vec_* and vector_unit, core_controller, core_dma, core_matrix, core_memories, core_host) wired
together by core. Every block has a numpy twin in chipkit.models and tests that compare them, in
MyHDL and in the converted Verilog (and VHDL).
"""

from chipkit.flow import myhdl_fast  # noqa: F401  (fast elaboration of the many small gate blocks)
