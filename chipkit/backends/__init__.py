"""Run a workload on any of the three models of a block, through one front door each.

The array: array_gemm.gemm(A, B, cfg, backend) on golden, fast or rtl (array_rtl drives the MyHDL
array), each a GemmResult. The core: core_run.run(program, cfg, dram, backend) on golden, fast,
rtl (core_rtl: the MyHDL core) or verilator (core_verilator), each a CoreRun; core_gemm compiles
a GEMM and runs it there; core_icarus re-simulates the converted core for tests.
"""
