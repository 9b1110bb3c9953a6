# %% [markdown]
# # 06 · The vector unit: integer softmax and LayerNorm
#
# **The question.** Lessons 03–04 built a systolic array that turns int8 matrices into int32 sums.
# A transformer does more than matrix products: between them it rescales, adds residuals, applies
# GELU or ReLU, normalizes every row (LayerNorm) and turns attention scores into probabilities
# (softmax). Those need `exp`, a square root and divides — float operations. How does a chip with
# only integer adders, shifters and small tables compute them, how wrong is it, and how fast must it
# be so the array does not wait?
#
# This lesson writes the **vector unit's golden spec**, `chipkit.models.vector_golden`: integer-only numpy
# functions that the RTL block, `chipkit.hdl.vector_unit`, matches bit for bit (lesson 05's last
# section runs it inside the whole core). We build each operation, run it against a
# float reference, and measure the error in *output steps* (one step = one unit of the int8 output).
#
# *(This lesson stands on lessons 02 and 04; lesson 05 showed where the vector unit sits in the
# core and how its instructions are issued.)*

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np

from chipkit import numerics as nx
from chipkit import timing
from chipkit.models import intmath
from chipkit.models import vector_golden as vec
from chipkit.viz.vector import (
    SoftmaxExplorer,
    plot_curve,
    plot_error_hist,
    plot_softmax_row,
)

rng = np.random.default_rng(6)
started = time.perf_counter()

# %% [markdown]
# ## 1 · Why a matrix engine needs a vector unit
#
# Field notes for the kit's tiny transformer (it sorts 8 digits; 2 layers, d_model 32, 16 tokens):
# one pass is 303 k MACs, which an 8 × 8 array runs in about **5.0 k cycles** when the next tile's
# weights load while the current one streams. The work between the matrix products is about
# **21 k element operations, 64 softmax rows and 80 LayerNorm rows**. Each softmax row needs one
# divide; each LayerNorm row a divide by the row length (for the variance), a square root and a
# second divide (the reciprocal of the standard deviation). Suppose a simple vector unit does one
# element operation per lane per cycle, and spends on each row's divides and root what the core's
# own vector unit spends (`chipkit.timing`). Its divider and square root are radix 2 and
# restoring — one result bit per cycle, the method of section 5 — and each runs for exactly as many
# cycles as its result can have bits:
#
# | engine | computes | why that many bits | cycles |
# |---|---|---|---|
# | softmax divide | `r = 2^30 // Σe` | `Σe ≥ 2^15` (the row maximum's own `e`), so `r ≤ 2^15` | 16 |
# | LayerNorm variance | `q = Σc² // d` | `q = d² · variance < 2^24 · 2^14` | 38 |
# | LayerNorm square root | `σ = isqrt(q << 16)` | `q << 16 < 2^54`: 27 root bits | 27 |
# | LayerNorm reciprocal | `r = 2^40 // σ` | `σ ≥ 2^8` (unless 0), so `r ≤ 2^32` | 33 |
#
# plus one cycle per row that drains the pipeline before the engines start. Amdahl's law: the pass
# takes the array time *plus* whatever vector time cannot overlap with it.

# %%
ARRAY_CYCLES = 5_000
ELEMENT_OPS, SOFTMAX_ROWS, LN_ROWS = 21_000, 64, 80
# the core's vector unit: cycles per logical row spent between its passes over the row
ROW_EXTRA = {op: timing.VECTOR_COST[op][1] for op in ("vsoftmax", "vlnorm")}
print(f"softmax, per row:   drain {timing.VECTOR_DRAIN} + divide "
      f"{timing.SOFTMAX_DIV_CYCLES} = {ROW_EXTRA['vsoftmax']} cycles")
print(f"LayerNorm, per row: drain {timing.VECTOR_DRAIN} + divide {timing.LN_VAR_DIV_CYCLES}"
      f" + square root {timing.SQRT_CYCLES} + divide {timing.LN_RECIP_DIV_CYCLES} = "
      f"{ROW_EXTRA['vlnorm']} cycles")
ROW_WORK = SOFTMAX_ROWS * ROW_EXTRA["vsoftmax"] + LN_ROWS * ROW_EXTRA["vlnorm"]


def vector_cycles(lanes, dividers):
    """Cycles of the vector work: element ops spread over lanes, each row's divides and root
    over `dividers` engines (each working on its own row)."""
    return ELEMENT_OPS / lanes + ROW_WORK / dividers


designs = [(1, 1), (4, 1), (8, 1), (8, 8), (16, 16)]
for lanes, dividers in designs:
    v = vector_cycles(lanes, dividers)
    print(f"{lanes:2d} lane{'s' * (lanes > 1):1} {dividers:2d} divider{'s' * (dividers > 1):1}  "
          f"vector unit {v / 1000:4.1f} k cycles, "
          f"{ROW_WORK / dividers / v:4.0%} of them divides and roots; array busy "
          f"{ARRAY_CYCLES / (ARRAY_CYCLES + v):4.0%}")
fig, ax = plt.subplots(figsize=(9, 3.2))
for i, (lanes, dividers) in enumerate(designs):
    v = vector_cycles(lanes, dividers)
    ax.barh(i, ARRAY_CYCLES, color="#3b7dd8", label="array (8 × 8)" if i == 0 else None)
    ax.barh(i, v, left=ARRAY_CYCLES, color="#e07b39", label="vector unit" if i == 0 else None)
    ax.text(ARRAY_CYCLES + v + 300, i, f"{ARRAY_CYCLES / (ARRAY_CYCLES + v):.0%} in the array",
            va="center", fontsize=9)
ax.set_yticks(range(len(designs)), [f"{lanes} lane{'s' * (lanes > 1)}, {d} divider{'s' * (d > 1)}"
                                    for lanes, d in designs])
ax.invert_yaxis()
ax.set_xlabel("cycles per 16-token pass (no overlap)")
slowest = ARRAY_CYCLES + vector_cycles(*designs[0])
ax.set_xlim(0, 1.2 * slowest)
ax.set_title("a one-lane vector unit makes the array wait: the array does only "
             f"{ARRAY_CYCLES / slowest:.0%} of the time")
ax.legend(loc="lower right", fontsize=9)
ax.grid(alpha=0.3, axis="x")
fig.tight_layout()
plt.show()

# %% [markdown]
# With one lane and one divider the array is busy only 14 % of the time: speeding the array up
# further buys almost nothing. Lanes fix the element operations; the divides and roots need their own
# units, or they become the bottleneck (8 lanes with one divider: 9.0 k of its 11.6 k cycles are
# divides and roots, most of them LayerNorm's 99 cycles a row). Overlapping the vector unit with the
# array helps too — then a pass takes the larger of the two times, not the sum — but only once the
# vector time is below the array's. That is why each operation below is designed around **a few
# divides per row, never one per element**, and cheap per-element work.
#
# ## 2 · Requantization: int32 back to int8
#
# The array's outputs are int32 sums at the scale `s_a · s_w` (lesson 02). The next layer wants int8
# at its own scale `s_y`, so every element is multiplied by the real number `s_a s_w / s_y`, stored
# as an integer multiplier `M < 2^16` and a shift: `y = sat8((acc · M + 2^(sh−1)) >> sh)`. The `>>`
# floors, so adding one half first rounds **half up** (toward +∞):

# %%
acc = np.array([-21, -20, -19, -13, -12, -11, -4, 4, 11, 12, 13, 19, 20, 2000])
print("acc          ", acc.tolist())
print("acc / 8      ", (acc / 8).tolist())
print("RQ(acc, 1, 3)", vec.requantize(acc, 1, 3).tolist())

# %% [markdown]
# −20/8 = −2.5 becomes −2 and 12/8 = 1.5 becomes 2: halves always go up, so the rule costs one adder
# and is the same for every element. 2000/8 = 250 saturates to 127.
#
# **Per channel.** One scale for a whole matrix must fit its largest column; a column whose values
# are 100× smaller then lands on a handful of int8 levels. With one `(M, sh)` per output column the
# unit stores a small table and indexes it by column:

# %%
acc = (rng.normal(0, 1, (64, 4)) * np.array([30_000, 3_000, 300, 30])).round().astype(np.int64)
per_tensor = nx.quantize_multiplier(127 / np.abs(acc).max())
per_channel = [nx.quantize_multiplier(127 / np.abs(col).max()) for col in acc.T]
m, sh = (np.array(v) for v in zip(*per_channel))
y_t = vec.requantize(acc, *per_tensor)
y_c = vec.requantize(acc, m, sh)
print("per tensor  (M, sh) =", per_tensor)
print("per channel (M, sh) =", per_channel)
print("distinct int8 levels used in each column, per tensor: ",
      [len(np.unique(c)) for c in y_t.T])
print("distinct int8 levels used in each column, per channel:",
      [len(np.unique(c)) for c in y_c.T])

# %% [markdown]
# Per tensor, the two small columns collapse to a few levels — the last one to almost nothing. Per
# channel, every column uses the int8 range. (The field notes add one warning: the logits that feed
# an `argmax` need *one* scale across columns, or the comparison is between different units.)
#
# A **residual add** `x + f(x)` meets two tensors at different scales. Each is requantized to the
# output scale with its own `(M, sh)`, kept at 32 bits, added, and only the sum saturates:
# `sat8(RQ(x, Mx, sx) + RQ(y, My, sy))`. Two roundings, so the error is within one step:

# %%
x, y = rng.integers(-20_000, 20_000, (2, 20_000))
(mx, sx), (my, sy) = nx.quantize_multiplier(0.0031), nx.quantize_multiplier(0.0047)
exact = x * 0.0031 + y * 0.0047
err = (vec.add(x, y, mx, sx, my, sy) - exact)[np.abs(exact) < 127]
print(f"residual add: worst error {np.abs(err).max():.3f} step, mean |error| "
      f"{np.abs(err).mean():.3f}")

# %% [markdown]
# ## 3 · exp without floating point: base 2, a table and a shift
#
# Softmax needs `e^(−x)`. Write it in base 2: `e^(−x) = 2^(−x · log2 e)`. The factor `log2 e` folds
# into the requantizer's multiplier, which produces an integer `u ≥ 0` with 8 fraction bits
# (`u = 256` means `2^(−1)`). Split `u = 256 k + f`: `2^(−u/256) = 2^(−f/256) · 2^(−k)`, a **256-entry
# table** of fractions and a **right shift** by `k`. The table, `EXP2_LUT[f] = round(2^15 · 2^(−f/256))`,
# is computed once when the chip is designed and is then a ROM of 256 × 16 bits:

# %%
u = np.arange(0, 6 * 256)
e = intmath.exp2_neg(u)
print("EXP2_LUT[0], [128], [255] =", intmath.EXP2_LUT[[0, 128, 255]].tolist(),
      "  exp2_neg(256), (512) =", intmath.exp2_neg(256), intmath.exp2_neg(512))
plot_curve(u / 256, 2**15 * 2.0 ** (-u / 256), e, "u / 256  (so the value is 2^(−u/256))",
           "2^(−u/256) × 2^15", title="table + shift against the float exponential", bound=1.0)

# %% [markdown]
# The dots sit on the curve. The error panel shows the two sources: the table's rounding (at most
# half a unit, at k = 0) and the shift's floor (less than one unit, and it only rounds down), so
# the error stays in (−1, +0.5] units of 2^−15 — a relative error that grows as the values shrink,
# exactly where they matter least in a sum of exponentials.
#
# ## 4 · Integer softmax
#
# Per row of scores `s` (int8, real value `s · scale`), with `(M, sh) = exp_multiplier(scale)`:
#
# | step | integer operation | width |
# |---|---|---|
# | row maximum | `m = max(s)` | comparator tree |
# | exponent | `u = RQ(m − s, M, sh)` ≥ 0, 8 fraction bits | 32 bits |
# | exponential | `e = LUT[u & 255] >> (u >> 8)` | 16 bits |
# | one divide per row | `r = floor(2^30 / Σe)` | 30-bit quotient |
# | probability | `p = min((e · r + 2^22) >> 23, 127)` at scale 1/128 | int8 |
#
# Subtracting the maximum makes every `u ≥ 0` (no overflow, the largest `e` is 2^15), and one divide
# per row replaces a divide per element. `p` is int8 at scale 1/128, ready to multiply `V` on the
# array. One row:

# %%
scale = 0.06
s = rng.integers(-60, 90, 12)
M, sh = vec.exp_multiplier(scale)
print(f"exp_multiplier({scale}) = ({M}, {sh}):  M / 2^sh = {M / 2**sh:.5f}, "
      f"scale · log2(e) · 256 = {scale * math.log2(math.e) * 256:.5f}")
print("u =", vec.softmax_exponents(s, M, sh).tolist())
print("p =", vec.softmax(s, M, sh).tolist())
plot_softmax_row(s, vec.softmax(s, M, sh), vec.softmax_float(s, scale), scale)

# %% [markdown]
# The blue dots land on the grey bars; every error is below one step of 1/128. The integer row sums
# to about 128, not exactly (each `p` is rounded on its own). Now sweep the scale — a small scale is
# a high temperature (flat distribution), a large one a low temperature (one winner):

# %%
def softmax_pair(s, scale):
    """(integer p at scale 1/128, float softmax) of one row at a given real scale."""
    return vec.softmax(s, *vec.exp_multiplier(scale)), vec.softmax_float(s, scale)


SoftmaxExplorer(s, softmax_pair, scale=0.06)

# %% [markdown]
# The same view, drawn once at a low temperature (the widget needs a live kernel; this does not):

# %%
plot_softmax_row(s, *softmax_pair(s, 0.4), 0.4)

# %% [markdown]
# At scale 0.4 one score wins: its probability saturates at 127/128 (the int8 range ends at 127),
# which is the one place the error reaches a full step. Over many random rows and scales:

# %%
errors = {}
for sc in (0.01, 0.05, 0.2, 1.0):
    S = rng.integers(-128, 128, (3000, 16))
    errors[f"scale {sc}"] = vec.softmax(S, *vec.exp_multiplier(sc)) - 128 * vec.softmax_float(S, sc)
plot_error_hist(errors, unit="steps of 1/128", title="integer softmax − float, 3000 rows of 16")

# %% [markdown]
# Within one output step everywhere, as the field notes measured; most errors are well inside half a
# step, the rounding of the output itself.
#
# ## 5 · A square root, one bit at a time
#
# LayerNorm divides by a standard deviation, a square root. The hardware way is the schoolbook
# digit-by-digit method in base 2: guess the root's bits from the top, keep a remainder, and each
# iteration try to subtract `root + bit`. Only a subtractor, a comparator and shifts; one root bit
# per iteration. `intmath.isqrt` runs it on whole arrays (every lane steps together). For n = 200:

# %%
trace = []
root, rem = intmath.isqrt_steps(200, bits=16, trace=trace)
print(" it |  bit (4^k) | rem before | try rem >= root+bit | root after | rem after")
before = 200
for i, bit, r, rm, took in trace:
    print(f" {i:2d} | {bit:10d} | {before:10d} | {'yes' if took else 'no ':>18} | {int(r):10d} |"
          f" {int(rm):9d}")
    before = int(rm)
print(f"isqrt(200) = {root} remainder {rem}  (14^2 = 196);  math.isqrt: {math.isqrt(200)}")
n = rng.integers(0, 2**62, 200_000)
print("equal to math.isqrt on 200,000 random 62-bit numbers:",
      all(int(a) == math.isqrt(int(b)) for a, b in zip(intmath.isqrt(n, bits=62), n)))

# %% [markdown]
# `root` is built from the top bit down, kept shifted: each step halves it and, when the trial
# subtraction succeeds, adds the current bit; after the last step it is the root itself.
# Eight iterations for a 16-bit input, 31 for a 62-bit one: one iteration per root bit. LayerNorm's
# input `q << 16` (section 6) stays below 2^54, so the core's square root stops after 27 iterations —
# its latency in section 1. The root is exact (floor), no rounding error at all.
#
# ## 6 · Integer LayerNorm
#
# For a row `x` of `d` int8 values, with `S = Σx`, `vec.layernorm` never rounds the mean: it works
# in units of `1/d`.
#
# | step | integer operation | exact? |
# |---|---|---|
# | centred, × d | `c_i = d·x_i − S` | exact |
# | variance × d² | `q = Σc_i² / d` (a shift when d is a power of two, else a divide) | floor |
# | d · std · 2^8 | `σ = isqrt(q << 16)` | floor |
# | one divide per row | `r = floor(2^40 / σ)` | floor |
# | output, scale 1/32 | `y_i = sat8((c_i · r + 2^26) >> 27)` | round half up |
#
# `y` is `(x − mean)/std` at scale 1/32 (±4 standard deviations fit in int8). Gain and bias can be
# applied in the same step (`gamma` int8 at scale 1/64) or folded into the next linear layer. One row
# of d = 32, step by step:

# %%
row = np.clip(rng.normal(10, 25, 32).round(), -128, 127).astype(np.int64)
d, S = row.size, int(row.sum())
c = d * row - S
q = int((c * c).sum()) >> 5
sigma = intmath.isqrt(q << 16)
r = (1 << 40) // sigma
print(f"S = {S}, q = {q}, sigma = {sigma} (float d·std·256 = {d * row.std() * 256:.1f}), r = {r}")
print("integer :", vec.layernorm(row)[:10].tolist(), "...")
print("float×32:", np.round(32 * vec.layernorm_float(row)[:10], 2).tolist(), "...")

# %% [markdown]
# Over thousands of realistic rows (normal values with a random offset, several row lengths):

# %%
ln_errors = {}
for d in (32, 24, 64):
    X = np.clip(rng.normal(0, 30, (4000, d)).round() + rng.integers(-40, 40, (4000, 1)),
                -128, 127).astype(np.int64)
    exact = 32 * vec.layernorm_float(X)
    ln_errors[f"d = {d}" + (" (divide)" if d & (d - 1) else " (shift)")] = \
        (vec.layernorm(X) - exact)[np.abs(exact) < 127]
plot_error_hist(ln_errors, unit="steps of 1/32", title="integer LayerNorm − float (unsaturated)")

# %% [markdown]
# Flat between −½ and +½ step, mean |error| 0.25: what rounding the output alone costs, so the floors
# in `q`, `σ` and `r` add almost nothing (the field notes' version, which rounds the mean first,
# measured 0.27). Row lengths that are not a power of two cost a divide more, not accuracy (the
# core's vector unit divides for every row length: that divide is the 38 cycles of section 1).
#
# ## 7 · GELU from a table
#
# GELU, `x · Φ(x)`, has an `erf` inside. I-BERT approximates `erf` with an integer polynomial, which
# is needed when the input is wide. Our GELU's input is **int8**: only 256 possible values. So the
# compiler computes the float GELU once for each of them, rounds to the output scale, and loads the
# 256 results into a table: the output is the correctly rounded GELU, exact by construction, for one
# table read per element.

# %%
qx = np.arange(-128, 128)
in_scale, out_scale = 0.04, 0.041  # GELU(127 × 0.04) = 5.08 lands on 124: no saturation
plot_curve(qx * in_scale, vec.gelu_float(qx * in_scale) / out_scale,
           vec.gelu(qx, in_scale, out_scale), "real input x = q × 0.04",
           "GELU(x) / 0.041  (output steps)", title="GELU: 256-entry table vs float", bound=0.5)

# %% [markdown]
# Every entry is within half an output step (dashed), the best any int8 output can do. (Choose the
# output scale so GELU of the largest input fits: here 5.08 / 0.041 = 124; a smaller scale would
# saturate the top of the curve at 127.) (ReLU,
# `vec.relu`, is simpler still: exact, one comparison.)
#
# ## 8 · Moving data: transpose and heads
#
# Attention needs `K^T` for `Q·K^T`, and it cuts the `(T, 2·16)` projection into heads. Both are a
# strided read of a flat buffer, `out[i, j] = buf[offset + i·stride0 + j·stride1]`: the address
# generator the vector unit (and the DMA of lesson 05) uses.

# %%
qkv = rng.integers(-128, 128, (16, 32))
head1 = vec.strided_move(qkv, offset=16, shape=(16, 16), strides=(32, 1))
print("head 1 == qkv[:, 16:]:", np.array_equal(head1, qkv[:, 16:]),
      "   transpose == .T:", np.array_equal(vec.transpose(qkv), qkv.T))
print(f"lesson ran in {time.perf_counter() - started:.1f} s")

# %% [markdown]
# ## Summary
#
# * A matrix engine is only as fast as the work around it: the tiny transformer's 21 k element
#   operations and the divides and roots of its 144 softmax and LayerNorm rows (17 and 99 cycles a
#   row on the core, one cycle per result bit) take longer than the array unless the vector unit has
#   lanes and its own dividers.
# * **Requantize**: `sat8((acc · M + 2^(sh−1)) >> sh)`, round half up, per tensor or per channel.
#   Residual adds requantize both inputs and saturate the sum once.
# * **exp** in base 2: `LUT[u & 255] >> (u >> 8)`, under one unit of 2^−15. **Softmax** with one
#   divide per row: within one output step of 1/128.
# * **Square root** bit by bit, exact; **LayerNorm** with an exact mean and one divide per row:
#   mean error 0.25 output step. **GELU** by a 256-entry table: correctly rounded.
#
# **Exercises for this lesson**
#
# | exercise | what you build | check |
# |---|---|---|
# | `exercises/ex11_requantize.py` | requantize with round half up, per tensor and per channel | `chipkit grade --only ex11` |
# | `exercises/ex12_integer_exp.py` | the exp table and `2^(−u/256)` by table and shift | `chipkit grade --only ex12` |
#
# **Next**: the RTL of this unit, `chipkit.hdl.vector_unit`, is held bit for bit to
# `chipkit.models.vector_golden` and cycle for cycle to `chipkit.timing.vector_cycles` inside the MyHDL core
# that lesson 05 ran; the compiler (lessons to come) puts it to work on whole layers.
