# %% [markdown]
# # 04 · The systolic array: weight- vs output-stationary
#
# **The question.** Lesson 03 built a grid of processing elements that passes operands from neighbour
# to neighbour. Now the questions a chip designer asks of it: given an `R×C` array and a matrix
# product `C = A·B` with `A` of size `M×K` and `B` of size `K×N`, **how many cycles** does it take?
# Which operand should sit still in the PEs (the **dataflow**)? What happens when the matrices are
# bigger than the array? And why do our counts differ from those of SCALE-Sim, the simulator most
# papers quote?
#
# We watch both dataflows compute the same product, derive the cycle count from what we see, check it
# against the cycle-exact model over many shapes, and finally against the MyHDL hardware itself.

# %%
import numpy as np
from IPython.display import display

from chipkit.backends.array_gemm import gemm
from chipkit.config import ArrayConfig
from chipkit.models import array_cycles as closed
from chipkit.models import array_fast
from chipkit.viz import cycles as cycleplots
from chipkit.viz import systolic

rng = np.random.default_rng(4)


def int8(*shape):
    """A random int8 matrix (the values do not change any cycle count)."""
    return rng.integers(-128, 128, shape)


# %% [markdown]
# ## 1 · Two ways to keep data still
#
# Every PE does `acc ← acc + a·b` each cycle. Of the three matrices `A`, `B` and `C`, one can stay in
# the PEs while the other two move:
#
# | | stays in PE `(i, j)` | enters on the left | enters on the top | leaves at the bottom |
# |---|---|---|---|---|
# | **weight-stationary** (WS) | `B[i, j]`, a weight | row `m` of `A`, one per cycle | the weights, once per fold | partial sums `C[m, :]`, one row per cycle |
# | **output-stationary** (OS) | `C[i, j]`, its accumulator | row `i` of `A`, one element per cycle | column `j` of `B`, one element per cycle | finished rows of `C`, at the end |
#
# (The third choice, input-stationary, is WS with the roles of `A` and `B` swapped.) Here is the same
# product on a 3×3 array in both dataflows: `A` is 4×5, so neither `K = 5` (WS) nor `M = 4` (OS)
# fits in 3 rows, and each dataflow needs two **folds** — we come back to that in section 3.

# %%
A, B = rng.integers(-9, 10, (4, 5)), rng.integers(-9, 10, (5, 3))
ws_run = array_fast.gemm(A, B, ArrayConfig(3, 3, "ws"), record=True)
os_run = array_fast.gemm(A, B, ArrayConfig(3, 3, "os"), record=True)
for run in (ws_run, os_run):
    s = run.schedule
    print(f"{s.cfg.dataflow.upper()}: {s.folds} folds x {s.steps} cycles = {run.cycles} cycles, "
          f"product correct: {np.array_equal(run.product, A @ B)}")

# %% [markdown]
# ### Watch it
#
# Press ▶ (or drag the `cycle` slider) to step through a fold; pick the other fold below. Orange PEs
# multiply real operands in that cycle; each box shows the PE's registers *after* the clock edge. WS
# first: the weights `w` shift in from the top during the first `R` cycles, then the rows of `A`
# enter through the skew staircase on the left, and the de-skewed rows of `C` leave at the bottom.

# %%
systolic.DataflowPlayer(ws_run, t=7)

# %% [markdown]
# The widget needs a live kernel. The same run as a still strip, fold 1 at four cycles:

# %%
systolic.draw_steps(ws_run, [3, 6, 8, ws_run.schedule.steps], queue=2)

# %% [markdown]
# Output-stationary: `A` enters on the left and `B` on the top, *both* skewed, and each PE keeps its
# own sum `acc`. Nothing leaves until every PE has its last product; then the finished rows shift
# down and out, one per cycle, bottom row first (the **drain**).

# %%
systolic.DataflowPlayer(os_run, t=5)

# %%
systolic.draw_steps(os_run, [3, 6, 9, os_run.schedule.steps], queue=2)

# %% [markdown]
# Notice the shape of the activity in both: a diagonal wavefront sweeps across the array, so PEs
# start and stop working at different cycles. That ramp-up and ramp-down is where a fold's extra
# cycles come from.

# %% [markdown]
# ## 2 · Counting the cycles of one fold
#
# Number the cycles of a fold from 1 (cycle `t` ends with the `t`-th clock edge).
#
# **Weight-stationary.** The weights take `R` cycles to shift in. Row `m` of `A` (counting from 0)
# reaches PE `(0, 0)` at cycle `R + m + 1`; it moves one PE right per cycle and its partial sum one PE
# down, so PE `(i, j)` works on it at cycle `R + m + i + j + 1`. Column `j`'s sum leaves the bottom PE
# at cycle `2R + m + j`, then waits `C − 1 − j` de-skew registers, so the whole row of `C` leaves
# together at cycle `2R + C + m − 1`. The last row, `m = M − 1`, leaves at
#
# $$T_{WS} = \underbrace{R}_{\text{load weights}} + \underbrace{M}_{\text{rows of }A} + \underbrace{R + C - 2}_{\text{cross the array, de-skew}} = 2R + C + M - 2 .$$
#
# **Output-stationary.** Step `k` of the `K` steps sends column `k` of `A` in on the left and row `k`
# of `B` on the top; with the skew, PE `(i, j)` multiplies pair `k` at cycle `k + i + j + 1`. The far
# corner PE `(R − 1, C − 1)` gets its last pair at cycle `K + R + C − 2`. Only then are all sums
# final, and the `R` rows shift out one per cycle:
#
# $$T_{OS} = \underbrace{K + R + C - 2}_{\text{compute}} + \underbrace{R}_{\text{drain}} = 2R + C + K - 2 .$$
#
# Check both against the trace: when does each PE first and last work, and when do rows leave?

# %%
for run in (ws_run, os_run):
    s = run.schedule
    busy = np.flatnonzero(s.active()[0].any(axis=(1, 2))) + 1  # cycles with any busy PE
    corner = np.flatnonzero(s.active()[0][:, -1, -1]) + 1
    leave = np.flatnonzero(run.c_valid[0]) + 1
    r, c, m, k = s.cfg.rows, s.cfg.cols, s.m, s.k
    formula = 2 * r + c + (m if s.cfg.dataflow == "ws" else k) - 2
    print(f"{s.cfg.dataflow.upper()}: PEs busy in cycles {busy[0]}..{busy[-1]}, the far corner "
          f"in {corner[0]}..{corner[-1]}; rows leave at cycles {leave.tolist()}; "
          f"fold = {s.steps} cycles, formula {formula}")

# %% [markdown]
# A picture of the same count: busy PEs per cycle of one fold (the wavefront's ramp up and down),
# the weight-load or drain phase shaded, and a green mark at every cycle a row of `C` leaves.

# %%
cycleplots.plot_fold_timeline(ws_run, title="WS, one fold: R load + M rows + R + C − 2")

# %% [markdown]
# ## 3 · Folds: matrices bigger than the array
#
# A real layer has `K` and `N` in the hundreds; the array is small. The GEMM is cut into array-sized
# tiles, **folds**, run one after another:
#
# * **WS** tiles `B` (`K×N`) into `R×C` blocks: $\lceil K/R \rceil \cdot \lceil N/C \rceil$ folds. Each
#   streams all `M` rows of `A` (only the `R` columns that meet the tile). The folds along `K` produce
#   *partial* sums of the same `C` block, which are added outside the array.
# * **OS** tiles `C` (`M×N`) into `R×C` blocks: $\lceil M/R \rceil \cdot \lceil N/C \rceil$ folds. Each
#   runs through the whole `K`.
#
# A tile at the edge is padded with zeros, and its padded PEs do no useful work. On this array
# folds do not overlap, so
#
# $$\text{cycles} = \text{folds} \times T_{\text{fold}}, \qquad \text{utilization} = \frac{M N K}{R \cdot C \cdot \text{cycles}} .$$
#
# (The core of lesson 05 loads the next fold's weights while the current one streams, and wins back
# most of the `R` load cycles.) The closed forms live in `chipkit.models.array_cycles`; they match the
# simulation:

# %%
for run in (ws_run, os_run):
    s = run.schedule
    m, n, k = s.m, s.n, s.k
    print(f"{s.cfg.dataflow.upper()}: folds {closed.folds(m, n, k, s.cfg)} x "
          f"{closed.fold_cycles(m, n, k, s.cfg)} = {closed.gemm_cycles(m, n, k, s.cfg)} cycles "
          f"(simulated {run.cycles}); utilization "
          f"{closed.utilization(m, n, k, s.cfg, run.cycles):.0%}")

# %% [markdown]
# > **Your turn:** `exercises/ex09_cycle_formula.py` — the cycle count and utilization of any GEMM on
# > any array, in both dataflows (`chipkit grade --only ex09`). Then `exercises/ex10_tiling_loop.py` —
# > the tiling loop that cuts a GEMM into weight-stationary folds and adds up their partial sums
# > (`chipkit grade --only ex10`).

# %% [markdown]
# ## 4 · Which dataflow wins?
#
# Both fold lengths are `2R + C − 2` plus the streamed dimension: WS streams `M` (the rows of `A`,
# i.e. tokens), OS streams `K`. What differs is how many folds there are. Let us sweep `M` for a
# 16×16 by 16×16 weight matrix on an 8×8 array, simulating every point with the fast cycle-exact
# model. The lines are the closed forms; the dashed lines are SCALE-Sim's formulas (section 6).

# %%
K, N, array = 16, 16, 8
sweep = [array_fast.gemm(int8(m, K), int8(K, N), ArrayConfig(array, array, df))
         for df in ("ws", "os") for m in range(1, 41, 3)]
cycleplots.plot_cycles(sweep, x="m", title=f"Cycles vs M: (M×{K}) @ ({K}×{N}) on {array}×{array}")

# %% [markdown]
# * **WS** has $\lceil K/R\rceil\lceil N/C\rceil = 4$ folds whatever `M` is; each new row of `A` adds one
#   cycle per fold: a straight line of slope 4.
# * **OS** adds a fold (of `2R + C + K − 2 = 38` cycles) for every 8 new rows of `A`: a staircase.
#
# For a single token (`M = 1`, generating text one token at a time) OS is faster here: WS pays its
# fixed `2R + C − 2` overhead in each of 4 folds to do very little work. For a batch of tokens WS wins,
# because its overhead is paid once per *weight tile* and amortized over all `M` rows.
#
# The array size is the other knob. A bigger array has fewer folds but longer ones, and more of its
# PEs sit idle at the edges of each fold:

# %%
sizes = [2, 3, 4, 6, 8, 12, 16, 24, 32]
m, n, k = 64, 32, 32
by_size = [array_fast.gemm(int8(m, k), int8(k, n), ArrayConfig(sz, sz, df))
           for df in ("ws", "os") for sz in sizes]
cycleplots.plot_cycles(by_size, x="size", logy=True,
                       title=f"Cycles vs array size R = C: ({m}×{k}) @ ({k}×{n})")

# %%
grid = [array_fast.gemm(int8(m, k), int8(k, n), ArrayConfig(r, c, df))
        for df in ("ws", "os") for r in (2, 4, 8, 16, 32) for c in (2, 4, 8, 16, 32)]
cycleplots.plot_utilization(grid, x="cols", y="rows",
                            title=f"Utilization of ({m}×{k}) @ ({k}×{n}) for every array shape")

# %% [markdown]
# Small arrays are nearly always busy but slow; the 32×32 array needs the fewest cycles but keeps
# most of its multipliers idle (41 % busy in WS, 25 % in OS). The spikes in the cycle plot are
# sizes that do not divide 32 or 64 (10, 15, 31): the last fold is mostly padding. Both maps fade
# faster upwards than to the right: a fold's overhead `2R + C − 2` counts the rows twice (weight
# load or drain, plus the skew). And WS is ahead throughout here because it streams `M = 64` rows
# per fold against the overhead, OS only `K = 32`. This is why a chip's array size is chosen for
# the *workloads* it expects.
#
# ## 5 · Your array, your GEMM
#
# Pick an array and a GEMM; the table shows both dataflows. "simulated" runs the fast cycle-exact
# model on random int8 matrices of that shape (it refuses GEMMs too big to hold in memory).

# %%
def simulate(m, n, k, cfg):
    """Run the GEMM on the fast cycle-exact model; the knob shows the cycles it took."""
    return gemm(int8(m, k), int8(k, n), cfg, backend="fast")


knob = cycleplots.ArrayKnob(simulate=simulate, rows=8, cols=8, m=64, n=64, k=64)
display(knob)

# %% [markdown]
# The same table as text, for the sizes the knob starts at (64³ on 8×8, the numbers in the field notes):

# %%
print(knob.text())

# %% [markdown]
# ## 6 · Our counts and SCALE-Sim's
#
# SCALE-Sim (Samajdar et al., ARM/Georgia Tech) is the usual reference for systolic-array cycle counts.
# Its code (version 3.0) computes, for `F` folds:
#
# | | SCALE-Sim 3.0 (code) | ours (= the fast model, = the RTL) | difference |
# |---|---|---|---|
# | WS | $F\,(2R + C + M - 2) - 1$ | $F\,(2R + C + M - 2)$ | 1 |
# | OS | $F\,(R + C + K - 2) - 1$ | $F\,(2R + C + K - 2)$ | $F \cdot R + 1$ |
#
# * The **−1** in both: SCALE-Sim reports the *index* of the last cycle, counting from 0. A fold whose
#   last row leaves at cycle 11 (counting from 1) is reported as 10.
# * **OS, `R` cycles per fold**: SCALE-Sim's paper counts `2R + C + T − 2` cycles per fold (`T` the
#   streamed dimension, `K` here), exactly ours, but its code stops at `R + C + K − 2`, the cycle the
#   far corner PE finishes its sum. It leaves out the `R` cycles that move the results *out* of the
#   array. Our RTL must shift them out (nothing else connects the PEs' accumulators to the outside),
#   so ours is the paper's formula.
#
# Formula, simulation and trace, side by side, for the OS run of section 1:

# %%
s = os_run.schedule
r, c, kk, F = s.cfg.rows, s.cfg.cols, s.k, s.folds
print(f"OS, {F} folds of K = {kk} on {s.cfg.name}:")
print(f"  ours  F(2R + C + K - 2)     = {closed.gemm_cycles(s.m, s.n, s.k, s.cfg)}")
print(f"  fast model, simulated       = {os_run.cycles}")
print(f"  SCALE-Sim code F(R+C+K-2)-1 = {closed.scalesim_cycles(s.m, s.n, s.k, s.cfg)}")
print(f"  rows of C leave at cycles {(np.flatnonzero(os_run.c_valid[0]) + 1).tolist()} of each fold")
cycleplots.plot_fold_timeline(os_run, marks={f"SCALE-Sim code stops: R+C+K−2 = {r + c + kk - 2}":
                                          r + c + kk - 2,
                                          f"ours = paper: 2R+C+K−2 = {s.steps}": s.steps},
                              title="OS, one fold: SCALE-Sim's code stops before any result has left")

# %% [markdown]
# At the cycle where SCALE-Sim's code stops counting, every result is complete but still *inside* the
# array, in the accumulators:

# %%
systolic.draw_step(os_run, fold=0, t=r + c + kk - 2)

# %% [markdown]
# And the WS difference of one cycle: the last row of `C` leaves at cycle `T` counted from 1, which is
# cycle `T − 1` counted from 0:

# %%
s = ws_run.schedule
last = np.flatnonzero(ws_run.c_valid[0])[-1]
print(f"WS fold: the last row leaves after edge {last + 1} (counting from 1), index {last} "
      f"(from 0); per fold 2R + C + M - 2 = {s.steps}")
print(f"ours {ws_run.cycles}, SCALE-Sim code {closed.scalesim_cycles(s.m, s.n, s.k, s.cfg)}")

# %% [markdown]
# Neither count is "wrong"; they answer slightly different questions. When you compare a paper's
# numbers with yours, find out which one it used. (The field notes reproduce SCALE-Sim's figure for
# 64³ on 8×8: WS 5,503 and OS 4,991 cycles; ours are 5,504 and 5,504, as the knob above shows.)

# %% [markdown]
# ## 7 · The hardware agrees
#
# Everything above came from the fast cycle-exact model. The MyHDL array (`chipkit.hdl.array`, built
# from lesson 03's PEs) runs the same schedule clock edge by clock edge, much more slowly. On our small
# product, compare the results, the cycle counts and every register after every edge:

# %%
for df in ("ws", "os"):
    cfg = ArrayConfig(3, 3, df)
    rtl = gemm(A, B, cfg, backend="rtl", record=True)
    model = gemm(A, B, cfg, backend="fast", record=True)
    same = all(np.array_equal(rtl.run.states[name], model.run.states[name])
               for name in model.run.states)
    print(f"{df.upper()}: RTL product = A·B: {rtl.match_golden}; cycles RTL {rtl.cycles}, "
          f"fast {model.cycles}; every register equal at every edge: {same} "
          f"({rtl.seconds:.2f} s vs {model.seconds * 1000:.1f} ms)")

# %% [markdown]
# Since the traces are identical, the animation could just as well have been drawn from the RTL.
# Here is the OS run's second fold, from the MyHDL simulation, one cycle before its end. This fold
# covers rows 3–5 of `C`, but `A` has only 4 rows: rows 4 and 5 are padding (zeros) and drain
# first. Row 4 is leaving; the real row 3 has reached the bottom PEs and leaves in the last cycle.

# %%
systolic.draw_step(rtl, fold=1, t=rtl.run.schedule.steps - 1,
                   title="drawn from the MyHDL RTL: OS fold 2 of 2, draining")

# %% [markdown]
# ## Summary
#
# * **Weight-stationary** keeps a tile of `B` in the PEs and streams the rows of `A`; a fold takes
#   `2R + C + M − 2` cycles, and there are $\lceil K/R\rceil\lceil N/C\rceil$ folds.
#   **Output-stationary** keeps a tile of `C`; a fold takes `2R + C + K − 2` cycles (including `R` to
#   drain), and there are $\lceil M/R\rceil\lceil N/C\rceil$ folds.
# * The `2R + C − 2` overhead per fold (fill, skew, drain) is what utilization loses; WS amortizes it
#   over the rows of `A`, OS over `K`. One token at a time favours OS here; a batch favours WS.
# * A larger array needs fewer folds but idles more: the right size depends on the workload.
# * SCALE-Sim's code reports one cycle fewer (a 0-based index) and, for OS, leaves out the `R`
#   cycles per fold that shift results out; its paper's formula and our RTL count them.
#
# **Exercises for this lesson**
#
# | exercise | what you build | check |
# |---|---|---|
# | `exercises/ex09_cycle_formula.py` | cycles and utilization of any GEMM, both dataflows | `chipkit grade --only ex09` |
# | `exercises/ex10_tiling_loop.py` | the tiling loop over weight-stationary folds | `chipkit grade --only ex10` |
#
# **Next**, lesson 05: memory, DMA and a controller around the array, and double buffering to hide
# the weight loads.
