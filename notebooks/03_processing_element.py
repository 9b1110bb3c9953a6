# %% [markdown]
# # 03 · The processing element and the systolic idea
#
# **The question.** Lesson 02 built a MAC: one multiply and one add per clock. A chip with 64×64 of
# them must hand 8,192 int8 operands to its multipliers *every cycle*. No memory has that many ports:
# an SRAM gives one or two words per cycle. So where do the operands come from?
#
# The answer, due to H. T. Kung and C. Leiserson (1978), is to read each operand from memory **once**
# and then pass it from one MAC to its neighbour, one hop per clock, so that every MAC it passes can
# use it. The data pulses through the grid like blood through a heart: a **systolic** array. The
# price is timing. Operands must meet at the right PE at the right cycle, and that forces them to
# enter **skewed**, row `i` a cycle later than row `i − 1`.
#
# We build it in three steps: one processing element (PE) in MyHDL, a 1-D chain of PEs computing a
# matrix-vector product (where the skew comes from), and a small 2-D array. Every picture is drawn
# from a simulation trace: the numbers in the boxes are register values after a clock edge.

# %%
import numpy as np
from myhdl import modbv

from chipkit.config import ArrayConfig
from chipkit.flow.sim import Bench, int_template
from chipkit.hdl.pe import ws_pe
from chipkit.models import array_fast, array_schedule
from chipkit.viz import systolic
from chipkit.viz.waveform import plot_waveform

rng = np.random.default_rng(3)

# %% [markdown]
# ## 1 · A processing element: a MAC that passes its operands on
#
# The PE of a **weight-stationary** array keeps one weight `w` in a register. Each cycle an
# activation `a_in` arrives from the left and a partial sum `p_in` from above; at the clock edge the
# PE passes the activation on to the right unchanged and the partial sum down with one product added:
#
# | register | next value | goes to |
# |---|---|---|
# | `a_out` | `a_in` | the PE to the right |
# | `p_out` | `p_in + a_in · w` (int32, wraps) | the PE below |
# | `w_out` | `w_in` if `w_load`, else unchanged | stays (and feeds the PE below while loading) |
#
# It is lesson 02's MAC with the accumulator turned into a *pipeline register*: the sum does not stay,
# it moves on. Here is `chipkit.hdl.pe.ws_pe` driven by a few cycles of inputs: load the weight 3,
# then send three activations with partial sums "from above".

# %%
i8, i32 = int_template(8, signed=True), int_template(32, signed=True)
pe = Bench(ws_pe, inputs={"a_in": i8, "p_in": i32, "w_in": i8, "w_load": bool(0)},
           outputs={"a_out": i8, "p_out": modbv(0, min=-2**31, max=2**31), "w_out": i8},
           clocked=True)
vectors = {"w_in":   [3, 0, 0, 0, 0],
           "w_load": [1, 0, 0, 0, 0],
           "a_in":   [0, 2, -1, 5, 0],
           "p_in":   [0, 10, 20, -7, 0]}
out, trace = pe.record(vectors)
plot_waveform(trace, title="ws_pe: load w = 3, then p_out = p_in + a_in·3 one cycle later")

# %% [markdown]
# Read the diagram at the dotted lines (rising clock edges). At the first edge `w_out` becomes 3. At
# the second, the PE sees `a_in = 2` and `p_in = 10` and its outputs become `a_out = 2` and
# `p_out = 10 + 2·3 = 16`. Every output is a **register**: it changes only at an edge and holds what
# the inputs were just before it. That one-cycle delay per PE is what makes an array of them work, and
# what we will have to plan around.
#
# The PE's numpy twin is three lines (it is the rule the fast model of the whole array applies to
# every PE at once). It agrees with the MyHDL simulation, cycle by cycle:

# %%
w, twin = 0, []
for a_in, p_in, w_in, w_load in zip(vectors["a_in"], vectors["p_in"], vectors["w_in"],
                                    vectors["w_load"]):
    twin.append(p_in + a_in * w)  # the product uses the weight held *before* this edge
    w = w_in if w_load else w
print("p_out (MyHDL):", out["p_out"].tolist())
print("p_out (twin): ", twin)
assert out["p_out"].tolist() == twin

# %% [markdown]
# The other kind of PE, `os_pe` (**output-stationary**), does the opposite: it keeps the *sum* in
# place and passes both operands on, `a` to the right and `b` down. Lesson 04 puts both side by side.
#
# > **Your turn:** `exercises/ex07_pe_update.py` — write what one PE does at one clock edge, for both
# > kinds, with int32 wrap-around. Then `chipkit grade --only ex07`.

# %% [markdown]
# ## 2 · A chain of PEs computes a matrix-vector product
#
# Stack `K` PEs in a column and give PE `i` the weight `w[i]`. A zero partial sum enters the top;
# PE `i` adds `a[i]·w[i]`, and after the last PE the sum is the dot product `a · w`. A new sum can
# start at the top every cycle, so a matrix `A` (M×K) streams through one row per cycle and the
# chain computes `y = A · w` with all `K` multipliers busy.
#
# **The catch.** A partial sum moves down one PE per cycle, so it reaches PE `i` exactly `i` cycles
# after it left the top. If all of row `m` of `A` arrived at once, PE `i` would add `A[m, i]·w[i]` to
# the sum of *another* row. Here is that mistake, in a few lines of numpy (each loop turn is one clock
# edge):

# %%
K, M = 4, 5
A = rng.integers(-9, 10, (M, K))
w = rng.integers(-9, 10, K)


def chain_without_skew(A, w):
    """K PEs in a column, every element of row m entering its PE in the same cycle (wrong!)."""
    k = len(w)
    p = np.zeros(k, dtype=np.int64)  # the partial-sum register of each PE
    leaving = []
    for t in range(len(A) + k - 1):
        a = A[t] if t < len(A) else np.zeros(k, dtype=np.int64)
        p = np.concatenate([[0], p[:-1]]) + a * w  # each PE: the sum from above + its product
        leaving.append(int(p[-1]))
    return leaving[k - 1:]  # the first sum is complete after k edges


print("A · w                :", (A @ w).tolist())
print("chain, inputs aligned:", chain_without_skew(A, w))

# %% [markdown]
# Wrong: each "result" mixes four different rows of `A`. The fix is to **delay row `i` of the input
# by `i` cycles**: a staircase of registers, `i` of them in front of PE `i`. Then `A[m, i]` reaches
# PE `i` in the very cycle the partial sum of row `m` does.
#
# In chipkit the plan of what enters the array at each cycle is a `Schedule`
# (`chipkit.models.array_schedule.build`); the fast cycle-exact model (`chipkit.models.array_fast`) then steps
# every register through it and can record them all. A chain is simply an array with `K` rows and
# one column. The array first spends `K` cycles shifting the weights in from the top (lesson 04
# counts them); then `A` streams in:

# %%
chain = ArrayConfig(rows=K, cols=1, dataflow="ws")
plan = array_schedule.build(A, w[:, None], chain)  # w as a K x 1 matrix
run = array_fast.run(plan, record=True)
print(f"{plan.steps} cycles: K = {K} to load the weights, M = {M} rows, K - 1 = {K - 1} of skew")
print("chain with skew:", run.product[:, 0].tolist(), " A · w:", (A @ w).tolist())
assert np.array_equal(run.product[:, 0], A @ w)

# %% [markdown]
# Now look at the skew. The top table is what the schedule sends into each row's input line at each
# cycle: row `m` of `A` all at once (a vertical band of one colour). The bottom table is what the
# first PE of each row actually holds after the skew registers, read from the recorded trace: each
# band has become a diagonal.

# %%
systolic.plot_skew(run)

# %% [markdown]
# And here is the chain itself at three cycles, drawn from the same trace. Each PE shows its stationary
# weight `w`, the activation `a` it just multiplied and its partial sum `p`; an orange PE multiplied
# real data in this cycle. On the left: the skew registers (the staircase) and, in grey, the inputs
# waiting to enter. At the bottom: the dot product leaving the chain.

# %%
systolic.draw_steps(run, [K + 2, K + 4, plan.steps], columns=3, queue=2)

# %% [markdown]
# Follow one row of `A` down the chain: row 0 reaches the top PE at cycle `K + 1`, its partial sum
# picks up one product per cycle, and `K − 1` cycles later `A[0] · w` leaves the bottom PE. Meanwhile the rows behind
# it are already in flight: `K` products per cycle with only one number entering each row's line.
#
# > **Your turn:** `exercises/ex08_skew_schedule.py` — build the skewed input staircase yourself and
# > work out at which cycles each PE is busy. Then `chipkit grade --only ex08`.

# %% [markdown]
# ## 3 · Two dimensions: the weight-stationary array
#
# Put `C` chains side by side, chain `j` holding column `j` of a weight matrix `B` (K×N), and let the
# activations that pass through PE `(i, j)` continue to the right into PE `(i, j + 1)`. Now one
# activation, read from memory once, is used by all `C` columns, and each weight, loaded once, by all
# `M` rows of `A`. The array computes `C = A · B`, one row of `C` per cycle.
#
# Two more details appear in 2-D:
#
# * **Weights shift in from the top**, one row per cycle, bottom row first: `R` cycles before `A` can
#   enter.
# * **De-skew at the bottom.** Column `j` works on a row of `A` `j` cycles after column 0 did, so its
#   result is `j` cycles late. A second staircase of registers (`C − 1 − j` under column `j`) lines the
#   results up again, so a whole row of `C` leaves in one cycle.
#
# A 3×3 array computing a 4×3 by 3×3 product:

# %%
A2 = rng.integers(-9, 10, (4, 3))
B2 = rng.integers(-9, 10, (3, 3))
array = ArrayConfig(rows=3, cols=3, dataflow="ws")
run2 = array_fast.gemm(A2, B2, array, record=True)
T = run2.schedule.steps
print(f"A ({A2.shape[0]}x{A2.shape[1]}) @ B ({B2.shape[0]}x{B2.shape[1]}) on {array.name}: "
      f"{T} cycles, result correct: {np.array_equal(run2.product, A2 @ B2)}")
print("B (the stationary weights):\n", B2)

# %%
systolic.draw_step(run2, t=7)

# %% [markdown]
# Cycle 7: the weights of `B` sit in the PEs (blue, bold). The orange band is a diagonal *wavefront*:
# at cycle `t` PE `(i, j)` works on row `t − 1 − R − i − j` of `A` (rows counted from 0), so the PEs
# on one anti-diagonal work on the same row. Activations enter on the left through the staircase;
# partial sums flow down and fall into the de-skew registers. A few cycles on, the first row of `C`
# leaves at the bottom, all three of its numbers at once. (The green row is the array's output port:
# it shows the last register of each column's de-skew line, or for the last column, which needs no
# delay, the bottom PE's `p`. So each green number also appears in a register just above it.)

# %%
systolic.draw_steps(run2, [2, 5, 9, T], queue=2)

# %% [markdown]
# The four frames show the phases of a fold: the weights shifting in (cycle 2), the wavefront entering
# (5), the array at full tilt with the first results in the de-skew registers (9), and the last row
# of `C` leaving in the last cycle.
#
# How many cycles was that? `R = 3` to load the weights, `M = 4` rows entering one per cycle, and the
# last row needs `R + C − 2 = 4` more cycles to cross the skew, the array and the de-skew:
# `3 + 4 + 4 = 11 = 2R + C + M − 2`. Where that formula comes from, and what it means for big
# matrices that do not fit the array, is lesson 04's subject.

# %%
busy = run2.schedule.active()[0].sum(axis=(1, 2))
print("busy PEs per cycle:", busy.tolist())
print(f"useful MACs {busy.sum()} = M·N·K = {A2.shape[0] * B2.shape[1] * A2.shape[1]}; "
      f"{busy.sum() / (array.pes * T):.0%} of the {array.pes} PEs x {T} cycles")

# %% [markdown]
# ## Summary
#
# * A **processing element** is a MAC whose operands and partial sums are registers passed to its
#   neighbours. Each value read from memory is reused by every PE it passes: that is the systolic idea.
# * In a weight-stationary chain the partial sum moves one PE per cycle, so the inputs must be
#   **skewed**: row `i` delayed by `i` cycles (a staircase of `i` registers). Without it, the sums mix
#   rows.
# * A 2-D array adds columns that share the activations; weights shift in from the top before a fold,
#   and a **de-skew** staircase at the bottom realigns each row of results.
# * The array is busy only in the middle of a fold: filling and draining cost cycles, and a small GEMM
#   keeps most PEs idle. Lesson 04 counts those cycles.
#
# **Exercises for this lesson**
#
# | exercise | what you build | check |
# |---|---|---|
# | `exercises/ex07_pe_update.py` | one clock edge of a WS and an OS processing element | `chipkit grade --only ex07` |
# | `exercises/ex08_skew_schedule.py` | the skewed input staircase and each PE's busy cycles | `chipkit grade --only ex08` |
#
# **Next**, lesson 04: the whole array, weight- vs output-stationary, and how many cycles a GEMM takes.
