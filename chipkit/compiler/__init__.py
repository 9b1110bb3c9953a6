"""From a computation to a core program (docs/isa.md): the DRAM image, the instructions, and where
the results land. gemm.py: a GEMM with double-buffered weight tiles.
"""
