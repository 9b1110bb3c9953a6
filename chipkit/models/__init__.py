"""The models that specify the hardware, each a file named for its block and its kind: *_golden
(numpy: what the math says, no time) and *_fast (vectorised numpy: what the chip does each cycle).
arith: the gates' twins; array_*: the systolic array; vector_golden and core_*: the inference
core. Tests hold the RTL (chipkit.hdl) equal to them, values and cycles.
"""
