"""Backends that run a GEMM on the array: golden (numpy), fast (cycle-exact numpy), rtl (MyHDL).

Each returns a chipkit.models.array_fast.ArrayRun, so their results compare value for value.
"""
