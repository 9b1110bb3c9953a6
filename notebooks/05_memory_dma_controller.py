# %% [markdown]
# # 05 · Memory, DMA and the controller
#
# **The question.** Lesson 04 counted the cycles of a matrix product on a systolic array, assuming
# that every row of `A` and every weight is waiting at the array's edge, and that the results simply
# vanish once computed. A chip has none of that for free: its operands live in **DRAM**, off chip,
# behind a link that moves a few bytes per cycle after a latency of many cycles. So: **why is a bare
# array not a chip?** What must surround it, who tells each part what to do, and **where does the
# time go when the operands start and end in DRAM?**
#
# We draw the inference core (`docs/isa.md`), compile a GEMM into its instructions, run the program
# on the cycle model, and read its timeline. Then we take one trick away — double buffering — and
# measure what it was worth, and turn the DMA's bandwidth and latency knobs. Last, we run the same
# program on the core's hardware description in MyHDL, and break that hardware on purpose to see
# how the difference is found.

# %%
import dataclasses
import time

import matplotlib.pyplot as plt
import numpy as np

from chipkit import isa, lockstep
from chipkit.backends import core_rtl
from chipkit.compiler.gemm import compile_gemm
from chipkit.config import CoreConfig
from chipkit.hdl import core as core_hdl
from chipkit.hdl import faults
from chipkit.models import array_golden as golden_model
from chipkit.models import core_fast, core_golden
from chipkit.models.array_cycles import scalesim_cycles
from chipkit.models.core_golden import ProgramError
from chipkit.viz.core_diagram import core_structure, plot_core_diagram
from chipkit.viz.timeline import TimelineExplorer, plot_timeline, stalls

rng = np.random.default_rng(5)
started = time.perf_counter()

# %% [markdown]
# ## 1 · What surrounds the array
#
# The core is an `L × L` weight-stationary array (lesson 04) with **two weight buffers**, and around
# it:
#
# * a **DMA engine** that copies rows between DRAM and the on-chip memories, in the background;
# * **SRAM**, an int8 scratchpad of rows of `L` lanes (rows of `A`, weight tiles, vector results);
# * **ACC**, the int32 accumulator memory the array writes (lesson 02's wide sums);
# * a **vector unit** (lesson 06) and its parameter memories (PARAM, SCALE, LUT);
# * a **controller** that reads one 64-bit instruction per cycle, in order, and hands it to one of
#   four units: `dma`, `lw` (weight loader), `mm` (the array) and `vec`. The units then run
#   *concurrently*; the program waits for them explicitly with `sync`.

# %%
structure = core_structure()  # builds (elaborates) a small MyHDL core and reads its blocks
plot_core_diagram(structure)

# %% [markdown]
# Nothing in this figure is placed by hand: `chipkit.viz.core_diagram` builds the core of
# `chipkit.hdl.core` (section 8 runs it) and reads what MyHDL recorded. Each box is one block that
# `core()` instantiates, named by its function, with the first sentence of its docstring; each
# arrow bundles every signal one block drives and the other reads, named by the widest of them
# (`+n`: n more). The controller is the bar on top: it hands the instruction word to each unit
# and reads back whether the unit is busy. The memories are the bars at the bottom: one block
# writes every row, and each unit reads through its own read port. The DRAM is one of those
# memories here; on a real chip it sits off chip and only the DMA reaches it. The array of lesson
# 04 is `core_array`: it computes only when the controller has issued an `mm` whose rows are in
# SRAM and whose weights are in a weight buffer. The blocks, read from the same structure:

# %%
for box in structure.boxes:
    print(f"{box.name:>16}  {box.role}")

# %% [markdown]
# ## 2 · A GEMM as a program
#
# `compile_gemm` turns `C = A·B` into the core's instructions (`docs/isa.md` lists them all). Take
# `A` 32 × 32 and `B` 32 × 16 on an 8 × 8 core: `K = 32` is four weight tiles deep, `N = 16` two
# tiles wide, so eight weight tiles, each used for 32 rows of `A`.

# %%
cfg = CoreConfig(lanes=8)  # 8 bytes per cycle from DRAM after 10 cycles of latency, by default
A, B = rng.integers(-128, 128, (32, 32)), rng.integers(-128, 128, (32, 16))
prog = compile_gemm(A, B, cfg)
print(f"{len(prog.instructions)} instructions; DMA {cfg.dma_bytes_per_cycle} bytes/cycle, "
      f"latency {cfg.dram_latency} cycles\n")
for pc, line in enumerate(prog.text.splitlines()):
    print(f"{pc:3d}  {line}")

# %% [markdown]
# Read it as the controller does, top to bottom. `dma.ld` moves rows from DRAM into SRAM (weight
# tiles, and K slices of `A` picked out of its rows with a `stride`); `sync units=1` waits until the
# DMA queue is empty; each `lw` loads a weight tile into buffer 0 or 1 and the `mm` after it streams
# 32 rows of `A` through that buffer into ACC (`accumulate=1` adds the next K slice); `sync units=4`
# waits for the array; `dma.st` writes a finished block of ACC back to DRAM. Notice the order: the
# compiler issues the *next* tile's loads right after the `sync` that waited for *this* tile's, so
# they travel while this tile streams, and it stores each finished block of `C` while the array
# works on the next. The controller itself fetches 64-bit numbers — the first three:

# %%
for word, instr in zip(prog.words[:3], prog.instructions[:3]):
    print(f"0x{word:016x}   opcode {word & 63:2d} = {instr.op.mnemonic}")

# %% [markdown]
# Slicing such a word back into its fields is exercise 13.
#
# ## 3 · Run it and look at the time
#
# `core_fast.run` is the core's cycle model: the controller issues at most one instruction per
# cycle, each unit takes its time (`docs/isa.md`; a DMA of `r` rows waits the DRAM latency, then
# moves each row in `⌈row bytes / bandwidth⌉` cycles — at most one on-chip row per cycle — so it
# takes `latency + r · ⌈row bytes / bandwidth⌉` cycles, one transfer after another; an `mm` of `r`
# rows streams for `r` cycles and its results land `2L − 2` cycles later), and every cycle the
# controller cannot issue is counted as a stall with its cause. It records every unit instruction
# as a job with the cycles it started and finished.

# %%
run = core_fast.run(prog.words, cfg, prog.dram)
C = prog.read_c(run.state.dram)
print(f"C == A @ B: {np.array_equal(C, A @ B)};  {run.cycles} cycles")
print({k: v for k, v in run.counters.items() if not k.startswith("stall_")})
print("stalls (cycles):", stalls(run))
plot_timeline(run, title=f"C = A·B, {A.shape[0]}×{A.shape[1]} by {B.shape[0]}×{B.shape[1]} "
              f"on an {cfg.lanes}×{cfg.lanes} core, double-buffered weights")

# %% [markdown]
# One lane per unit; each bar is a job from the cycle its unit started it to the cycle its result
# was in place, labelled with its program counter. Ticks on the controller lane mark issues; the
# shaded stretches are cycles the controller was stuck. The `mm` jobs sit on two rows because each
# one keeps draining through the array (`2L − 2` cycles) while the next one already streams.
#
# Where did the time go? Count, cycle by cycle, which units were working:

# %%
def busy(run, units):
    """The set of cycles in which at least one job of `units` was running."""
    return set().union(*(range(j.start, j.done + 1) for j in run.timeline
                         if j.instr.op.unit in units))


def where_the_time_goes(run):
    dma, array = busy(run, ("dma",)), busy(run, ("lw", "mm"))
    return {"DMA only (array idle)": len(dma - array), "DMA and array together": len(dma & array),
            "array only": len(array - dma),
            "neither": run.cycles - len(dma | array)}


for name, cycles in where_the_time_goes(run).items():
    print(f"{name:>24}: {cycles:4d} cycles ({cycles / run.cycles:4.0%})")
print(f"{'array streaming A':>24}: {run.counters['array_busy']:4d} cycles "
      f"({run.counters['array_busy'] / run.cycles:4.0%})")

# %% [markdown]
# The DMA is the busy unit: it works almost every cycle, and the array streams in fewer than half
# of them. The stalls say the same from the controller's side — most are at a `sync` or at the
# final `halt`, waiting for transfers. The 3.5 kB this GEMM moves (A, B, and `C` at four bytes a
# result) take 448 cycles at 8 bytes per cycle, more than the array's 256 streaming cycles. That is
# the answer to the question: **a bare array is not a chip because feeding it is most of the
# work**, and lesson 04's count only covers the array's share.
#
# ## 4 · Two models, one answer — and a race
#
# The golden model (`chipkit.models.core_golden`) executes the same words one after another, with no time
# at all. The cycle model runs the units concurrently. For a correctly synchronised program they
# must end in the same DRAM, byte for byte:

# %%
golden = core_golden.run(prog.words, cfg, prog.dram)
print("golden and cycle model end in the same DRAM:", np.array_equal(golden.dram, run.state.dram))
print("and C equals the integer reference:",
      np.array_equal(prog.read_c(golden.dram), golden_model.gemm(A, B)))

# %% [markdown]
# Now delete the first `sync units=1`, the one that waits for the first loads. The golden model,
# which finishes every instruction before starting the next, cannot tell the difference. The cycle
# model can: the first `lw` would read SRAM rows that a DMA is still writing. It refuses the
# program as a race and says which `sync` is missing:

# %%
first_sync = next(i for i, ins in enumerate(prog.instructions) if ins.op.mnemonic == "sync")
racy = [isa.encode(ins) for i, ins in enumerate(prog.instructions) if i != first_sync]
print("golden model, without the sync, still gets C right:",
      np.array_equal(prog.read_c(core_golden.run(racy, cfg, prog.dram).dram), A @ B))
try:
    core_fast.run(racy, cfg, prog.dram)
except ProgramError as e:
    print("cycle model refuses it:", e)

# %% [markdown]
# That is the ISA's contract (`docs/isa.md`, "Concurrency"): the hardware interlocks only the weight
# buffers; every other hand-over between units is the program's `sync`. A program the cycle model
# accepts gives the golden model's answer.
#
# ## 5 · Why double buffering matters
#
# The compiler alternates the weight buffers: tile `t` goes to buffer `t mod 2`, so while the
# array streams rows through one buffer, `lw` fills the other. What is that worth? Build the same
# program with **every** `lw` and `mm` on buffer 0, by rewriting its instructions with `isa.make`:

# %%
def single_buffered(instructions):
    """The same program with every lw and mm on weight buffer 0."""
    return [isa.make(ins.op.mnemonic, **{**ins.args, "buf": 0})
            if ins.op.mnemonic in ("lw", "mm") else ins for ins in instructions]


single = core_fast.run([isa.encode(i) for i in single_buffered(prog.instructions)], cfg,
                       prog.dram)
print(f"double-buffered: {run.cycles} cycles, single-buffered: {single.cycles} cycles "
      f"(+{single.cycles - run.cycles}, {single.cycles / run.cycles - 1:.0%} slower); "
      f"same DRAM: {np.array_equal(single.state.dram, run.state.dram)}")
for name, r in (("double", run), ("single", single)):
    print(f"  {name}: array streaming {r.counters['array_busy'] / r.cycles:.0%} of the time, "
          f"stalls {stalls(r)}")

fig, axes = plt.subplots(2, 1, figsize=(12, 5.8), sharex=True, layout="constrained")
end = max(run.cycles, single.cycles)
plot_timeline(run, ax=axes[0], title="double-buffered: tile t in buffer t mod 2", xmax=end)
plot_timeline(single, ax=axes[1], title="single-buffered: every tile in buffer 0", xmax=end)
plt.show()

# %% [markdown]
# The same instructions and the same result; only the buffer index changed. With one buffer the
# hardware interlock serialises the two units: `lw buf=0` must wait until the `mm` before it is
# done with buffer 0 (stall `weight_buffer_in_use`), and the next `mm buf=0` must wait for that `lw`
# (`weights_not_loaded`). Each tile then pays its `L` load cycles and the array's drain on top of
# its streaming cycles — see the gaps between the blue bars. With two buffers the `mm`s of a span
# run back to back and the weight loads disappear behind them. The more tiles per row of `A`, the
# more this saves.
#
# ## 6 · The DMA's knobs: bandwidth and latency
#
# `CoreConfig(dma_bytes_per_cycle=..., dram_latency=...)` sets the link to DRAM. The program does not
# change (it is compiled once, for the default link); only its timing does. Sweep both:

# %%
bandwidths = [1, 2, 4, 8, 16, 32, 64]
latencies = [1, 10, 50, 100]
sweep = {lat: [core_fast.run(prog.words, CoreConfig(lanes=8, dma_bytes_per_cycle=bw,
                                                    dram_latency=lat), prog.dram).cycles
               for bw in bandwidths] for lat in latencies}
ws = scalesim_cycles(32, 16, 32, cfg.array)
transfers = sum(j.instr.op.unit == "dma" for j in run.timeline)
fig, ax = plt.subplots(figsize=(9, 3.8))
for lat, cycles in sweep.items():
    ax.plot(bandwidths, cycles, "o-", label=f"latency {lat} cycle{'s' * (lat > 1)}")
ax.axhline(ws, color="#c62828", ls="--", lw=1.2, label=f"SCALE-Sim WS count ({ws})")
ax.axhline(run.counters["array_busy"], color="#3b7dd8", ls=":", lw=1.2,
           label=f"array streaming only ({run.counters['array_busy']})")
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xticks(bandwidths, [str(b) for b in bandwidths])
ax.set_yticks([250, 500, 1000, 2000, 4000], ["250", "500", "1000", "2000", "4000"])
ax.minorticks_off()
ax.set_xlabel("DMA bandwidth (bytes per cycle)")
ax.set_ylabel("cycles of the whole program")
ax.set_title("the same program under different DRAM links", loc="left")
ax.grid(alpha=0.3)
ax.legend(fontsize=8, loc="upper right")
plt.show()
for lat, cycles in sweep.items():
    print(f"latency {lat:3d}: " + ", ".join(f"{bw} B/c -> {c}" for bw, c in zip(bandwidths,
                                                                            cycles)))
print(f"{transfers} DMA transfers, one after another: at latency 100 that is "
      f"{100 * transfers} cycles of latency alone")

# %% [markdown]
# At low bandwidth the time is the bytes: halve the bandwidth and the run nearly doubles. At high
# bandwidth the curves flatten, for two reasons. The DMA writes at most one on-chip row per cycle:
# an SRAM row here is 8 bytes and an ACC row 32, so beyond 32 bytes per cycle a wider link moves
# nothing faster (32 and 64 give the same count). And the DMA runs one transfer at a time, each
# paying the full latency, so at 100 cycles the program would take over a thousand cycles however
# wide the link. The array's own time (dotted) is a floor that only a fast, short link approaches.
# Latency is hidden only by doing useful work while it passes — or by fewer, larger transfers.
#
# Explore it: the sliders re-run the cycle model through `timeline_for` (below) and redraw. `M` is
# the number of rows of `A` (more rows per weight tile: the array's share grows).

# %%
def timeline_for(bandwidth, latency, m):
    """Compile A (m x 32) @ B (32 x 16) for this DRAM link and run it on the cycle model."""
    a = rng.integers(-128, 128, (m, 32))
    link = CoreConfig(lanes=8, dma_bytes_per_cycle=bandwidth, dram_latency=latency)
    p = compile_gemm(a, B, link)
    return core_fast.run(p.words, link, p.dram)


TimelineExplorer(timeline_for, bandwidth=8, latency=10, m=32)

# %% [markdown]
# The widget needs a live kernel; here is one setting drawn statically — a narrow, slow link
# (2 bytes per cycle, 100 cycles latency) and twice the rows:

# %%
plot_timeline(timeline_for(2, 100, 64), title="2 bytes/cycle, latency 100, M = 64")

# %% [markdown]
# The DMA lane is solid from start to end: this GEMM on this link is **memory-bound**, and the array
# spends most of its time waiting, however clever the schedule.
#
# ## 7 · An honest comparison with SCALE-Sim
#
# Papers quote SCALE-Sim's count (lesson 04): for weight-stationary,
# `⌈K/R⌉⌈N/C⌉(2R + C + M − 2) − 1` cycles. It is the array alone: operands already in on-chip
# buffers, results never written back. Put three numbers beside it: our compiled program; the same
# program with **one unit at a time** (a `sync units=15` after every unit instruction, so nothing
# overlaps — what a program that loads everything, then computes, then stores would cost at best);
# and the floor no schedule can beat, the larger of the DMA's transfer time and the array's
# streaming time.

# %%
def one_unit_at_a_time(instructions):
    """The same program with a full sync after every dma, lw, mm and vector instruction."""
    out = []
    for ins in instructions:
        out.append(ins)
        if ins.op.unit != "ctrl":
            out.append(isa.make("sync", units=15))
    return out


serial = core_fast.run([isa.encode(i) for i in one_unit_at_a_time(prog.instructions)], cfg,
                       prog.dram)
dma_time = sum(j.done - j.start + 1 for j in run.timeline if j.instr.op.unit == "dma")
floor = max(dma_time, run.counters["array_busy"])
print(f"SCALE-Sim WS count (array alone):   {ws:5d} cycles")
print(f"one unit at a time:                 {serial.cycles:5d} cycles  ({serial.cycles / ws:.2f}x)")
print(f"compiled program (overlapping):     {run.cycles:5d} cycles  ({run.cycles / ws:.2f}x)")
print(f"floor: max(DMA {dma_time}, array {run.counters['array_busy']}) = {floor:5d} cycles  "
      f"({floor / ws:.2f}x)")
print("same DRAM all three ways:", np.array_equal(serial.state.dram, run.state.dram))
fig, ax = plt.subplots(figsize=(9, 2.6))
rows = {"SCALE-Sim WS (array only)": ws, "one unit at a time": serial.cycles,
        "compiled (DMA overlaps array)": run.cycles, "floor: the DMA's transfers": floor}
ax.barh(list(rows), list(rows.values()), color=["#c62828", "#9e9e9e", "#3b7dd8", "#e07b39"])
for i, v in enumerate(rows.values()):
    ax.text(v, i, f" {v}", va="center", fontsize=9)
ax.invert_yaxis()
ax.set_xlim(0, 1.15 * max(rows.values()))
ax.set_xlabel("cycles, 32×32 by 32×16 on an 8×8 core, 8 B/cycle, latency 10")
ax.grid(alpha=0.3, axis="x")
plt.show()

# %% [markdown]
# Our program is **slower than SCALE-Sim's count**, and now we can say exactly why. Done one unit
# at a time — load everything, then compute, then store — the run is the *sum* of the DMA's time
# and the array's, well over twice SCALE-Sim's number. The compiler closes most of that gap by
# **overlapping the DMA with the array** (software pipelining): while the array streams one span
# of tiles, the DMA loads the next span's operands and stores the finished block of `C` before
# them. What remains is the floor: at 8 bytes per cycle, the transfers alone take longer than
# SCALE-Sim's whole count, because SCALE-Sim leaves the memory system out — no schedule can beat
# the bytes. A wider link (section 6) lowers the floor until the array's own time is the limit;
# keeping `C` on chip for the next layer (requantized to int8 by the vector unit, a quarter of the
# bytes) is the other lever, and it is where the following lessons go.
#
# ## 8 · The same program on the hardware
#
# Everything so far ran on the cycle model: a Python program that *says* what the chip does each
# cycle. `chipkit.hdl.core` is the chip itself, written in MyHDL at the register-transfer level —
# the array of lesson 04 with its second weight buffer, the weight loader, the DMA engine, the
# memories, the controller, the vector unit of lesson 06 and a set of performance counters.
# `core_rtl.run` loads the program through the core's host port and the DRAM image straight into the
# DRAM's signals, clocks the core until it halts and reads everything back through the host port. The RTL builds every memory row as a signal: `core_rtl.run`
# builds only the DRAM bytes the program can reach (a 1 MB DRAM is a million signals, half a minute
# to build), and we give it smaller SRAM and ACC too; memory depths change no timing, and the cycle
# model runs the same smaller core beside it.

# %%
chip = dataclasses.replace(cfg, sram_rows=256, acc_rows=64, dram_bytes=prog.dram.size)
t0 = time.perf_counter()
hw = core_rtl.run(prog.words, chip, prog.dram)
model = core_fast.run(prog.words, chip, prog.dram)
print(f"MyHDL core: {time.perf_counter() - t0:.1f} s, of which {hw.seconds:.2f} s simulating "
      f"{hw.cycles} cycles\n")
print(f"{'counter':>28} {'cycle model':>12} {'MyHDL RTL':>10}")
for name, value in model.counters.items():
    print(f"{name:>28} {value:12,} {hw.counters[name]:10,}"
          + ("" if hw.counters[name] == value else "   <- differs"))
print("\nevery counter equal:", hw.counters == model.counters,
      "| and equal to section 3's run on the full-size core:", model.counters == run.counters)
print("C read from the hardware's DRAM == A @ B:",
      np.array_equal(prog.read_c(hw.state.dram), A @ B))

# %% [markdown]
# Every counter agrees: not only the product and the total, but the array's busy cycles and each
# stall cause, cycle for cycle. The golden model had already given the right `C`; this equality
# proves that the timing rules of section 3, from which every timeline in this lesson was drawn,
# are met by a circuit of registers and logic (the kit's tests repeat it on random programs,
# vector operations included). That circuit has **multi-ported memories** — the DMA, the weight
# loader, the array and the vector unit each read and write their own rows in the same cycle, which
# a real chip builds from banks; an **issue stage**, combinational logic that decides every cycle
# whether the instruction at `pc` may go or which stall cause to count; and a **DMA engine** that
# takes jobs from its 4-deep queue, waits the latency, then moves one *beat* per cycle —
# `min(bandwidth, row bytes)` bytes of one row — and collects a row's beats in a staging register
# before writing it. The counters are registers the hardware increments itself; the host reads them
# back through the port that loaded the program.
#
# ### Lockstep: finding where hardware and model part
#
# Equal counters are a yes or a no. When the RTL is wrong, an engineer needs *where*.
# `lockstep.run_lockstep` runs a program on two backends, records for each instruction the cycle it
# issued, the cycle it finished and the rows it wrote, and reports the first difference. Break the
# hardware on purpose: make lane 5 of every row the array produces come out one too high, for one
# run. `faults.inject` swaps the block the core builds as its array for the real array followed by
# an adder on that lane, and puts the real one back when the `with` ends, even after an error;
# `chipkit/hdl/faults.py` is short enough to read.

# %%
real_array = core_hdl.core_array
with faults.inject("wrong_lane", lane=5, by=1):
    broken = lockstep.run_lockstep(prog.words, chip, prog.dram, a="fast", b="rtl")
d = broken.divergence
print(d)
print("\nevery counter still equal:", broken.a.counters == broken.b.counters)
print("the real array is back:", core_hdl.core_array is real_array, "->",
      lockstep.run_lockstep(prog.words, chip, prog.dram, a="fast", b="rtl").summary())

# %%
fig, ax = plt.subplots(figsize=(12, 3.4), layout="constrained")
plot_timeline(model, ax=ax, title="the cycle model's timeline, and where the broken RTL first "
              "departs from it")
for patch in ax.patches:
    if patch.get_gid() == f"job:mm:{d.pc}":
        patch.set_edgecolor("#c62828")
        patch.set_linewidth(2.5)
ax.axvline(d.cycle + 0.5, color="#c62828", lw=1.5)
ax.text(d.cycle + 6, 0.5, f"cycle {d.cycle}, pc {d.pc} ({d.instr.split()[0]}): the RTL wrote "
        f"{d.b_value} to {d.where()}, the model {d.a_value}", color="#c62828", fontsize=9,
        va="center", bbox=dict(fc="white", ec="none", pad=1))
plt.show()

# %% [markdown]
# Read the report from the top, as an engineer would. The **first divergent cycle** says where to
# open the waveform: lockstep compares an instruction's rows when it finishes, so cycle 119 points
# at the job that ran from cycle 73 to 119 — not at the end of the run (cycle 591), where `C` comes
# out wrong with hundreds of cycles of work piled on the bad sums. The **instruction** names the
# unit: pc 6 is the first `mm`, and every `dma.ld` and `lw` that finished before it wrote the same
# rows on both sides, so the array is suspect, not the DMA or the loader. The **row and lane**
# narrow it to one column: ACC row 0 is the first result row, lane 5 the array's sixth column of
# PEs or its output de-skew. The `mm` issued and finished in the same cycles on both, and every
# counter agrees: a *value* bug, invisible to the performance counters. A *timing* bug —
# `faults.inject("short_dma_queue", depth=3)`, a DMA queue one job shorter than the models' —
# shows up instead as an instruction issued in a different cycle, with the stall cause that
# differs. The same check runs from the shell:
# `chipkit lockstep PROG.s --a rtl --b fast`.

# %%
print(f"lesson ran in {time.perf_counter() - started:.1f} s")

# %% [markdown]
# ## Summary
#
# * A chip is the array **plus** the memories that feed it (SRAM, ACC), the DMA that crosses the
#   chip edge, and a controller that issues instructions in order to units that run concurrently;
#   the program synchronises them with `sync`, the hardware only interlocks the weight buffers.
# * The golden model gives a program's meaning, the cycle model its time; for every program the
#   cycle model accepts, they end in the same DRAM. A missing `sync` is refused as a race.
# * The timeline shows where the time goes: for a 32 × 32 by 32 × 16 GEMM on an 8 × 8 core with an
#   8-byte link, the DMA is busy nearly all the time and the array less than half.
# * **Double buffering** hides the weight loads; with one buffer the interlock serialises `lw` and
#   `mm` and the same program is measurably slower (section 5).
# * Bandwidth sets the cost of bytes (up to one on-chip row per cycle), latency the cost of each
#   transfer. SCALE-Sim's count leaves both out; overlapping transfers with compute wins most of it
#   back, down to the floor of the bytes themselves.
# * The MyHDL core runs the same program to the same cycle count and **every** counter: the cycle
#   model's timing is the hardware's. Lockstep turns a broken RTL into a first divergent cycle, an
#   instruction, and a memory row and lane.
#
# **Exercises for this lesson**
#
# | exercise | what you build | check |
# |---|---|---|
# | `exercises/ex13_decode.py` | slice a 64-bit instruction word into its mnemonic and fields | `chipkit grade --only ex13` |
# | `exercises/ex14_gemm_relu_program.py` | a core program: `C = ReLU(requantize(A·B))`, DRAM to DRAM, race-free | `chipkit grade --only ex14` |
#
# **Next**, lesson 06: the vector unit that turns ACC's int32 sums back into int8.
