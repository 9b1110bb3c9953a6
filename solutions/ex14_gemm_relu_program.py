"""Exercise 14 -- a program for the core: C = ReLU(requantize(A @ B)) (notebook 05, memory, DMA and
the controller).

Write the assembly text (docs/isa.md) that computes one layer on a core of L = `lanes` lanes, with
operands that start and end in DRAM. The DRAM already holds:

    a_addr      A: m rows of L int8 (row i is A[i, :]; K <= L, the unused lanes are zero)
    b_addr      B: one L x L weight tile, L rows of L int8 (row k is B[k, :], zero-padded)
    param_addr  one PARAM entry, 8 bytes: the requantization (m1, s1)

and the program must leave C = max(0, requantize(A @ B, m1, s1)) at c_addr: m rows of L int8
(row i is C[i, :]). Steps: DMA A and B into SRAM and the entry into PARAM (`mem=param`); wait for
the DMA (`sync units=1`); load the weights (`lw`) and stream A through the array (`mm`) into ACC;
wait for the array (`sync units=4`); `vshape rows=m`, then `vrq` (ACC -> SRAM, PARAM entry 0) and
`vrelu` (SRAM -> SRAM); wait for the vector unit (`sync units=8`); store C (`dma.st`); `halt`.
Choose SRAM rows that do not overlap (A, then the tile, then the result). 1 <= m <= 64.

The grader runs your text on the golden model (chipkit.models.core_golden.run) and on the cycle
model
(chipkit.models.core_fast.run, which refuses a missing sync as a race) and compares with numpy.
Check your work: `chipkit grade --only ex14`.
"""


def gemm_relu_program(m: int, lanes: int, a_addr: int, b_addr: int, param_addr: int,
                      c_addr: int) -> str:
    """Assembly text: C (m x lanes int8, at c_addr) = ReLU(requantize(A @ B)) from DRAM operands."""
    # BEGIN SOLUTION hint: one f-string per line; SRAM rows: A at 0, B at m, C at m + lanes
    w, out = m, m + lanes  # SRAM rows of the weight tile and of the result
    return "\n".join([
        f"dma.ld mem=sram, row=0, dram={a_addr}, rows={m}",
        f"dma.ld mem=sram, row={w}, dram={b_addr}, rows={lanes}",
        f"dma.ld mem=param, row=0, dram={param_addr}, rows=1",
        "sync units=1",
        f"lw row={w}, buf=0",
        f"mm a=0, rows={m}, acc=0, buf=0",
        "sync units=4",
        f"vshape rows={m}",
        f"vrq dst={out}, src=0, p=0",
        f"vrelu dst={out}, src={out}",
        "sync units=8",
        f"dma.st mem=sram, row={out}, dram={c_addr}, rows={m}",
        "halt",
    ]) + "\n"
    # END SOLUTION
