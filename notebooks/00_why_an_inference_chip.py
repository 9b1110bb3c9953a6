# %% [markdown]
# # 00 · Why build an inference chip?
#
# **The question.** Companies and countries are building their own chips just to *run* trained
# neural networks ("inference"), not to train them. What does such a chip spend its time on, and why
# does almost every one of them look the same inside: a big grid of small **int8 multipliers**,
# some on-chip memory, and a little controller?
#
# In this lesson we answer with arithmetic you can check, and then lay out the course: by lesson 09
# you will run a small transformer on a chip you built yourself, bit for bit.

# %%
import matplotlib.pyplot as plt
import numpy as np

import chipkit
from chipkit import numerics as nx
from chipkit.models import arith

print("chipkit", chipkit.__version__)

# %% [markdown]
# ## 1 · Inference is mostly matrix multiplication
#
# A transformer layer turns a sequence of `T` token vectors of width `d` into another. Its work:
#
# | step | operation | multiply-accumulates (MACs) |
# |---|---|---|
# | Q, K, V projections | `(T×d)·(d×3d)` | `3·T·d²` |
# | attention scores | `Q·Kᵀ` per head | `T²·d` |
# | weighted values | `P·V` per head | `T²·d` |
# | output projection | `(T×d)·(d×d)` | `T·d²` |
# | feed-forward | `(T×d)·(d×4d)`, `(T×4d)·(4d×d)` | `8·T·d²` |
# | softmax, LayerNorm, GELU, residual adds | elementwise / per row | about `T·(5d + 2·h·T)` element ops |
#
# Let us count, for a tiny model (the one this course runs at the end) and for a GPT-2-sized one.

# %%
def layer_work(T, d, heads):
    """MACs in the matrix products and element operations elsewhere, for one transformer layer."""
    matmul = {
        "QKV projections": 3 * T * d * d,
        "scores Q·Kᵀ": T * T * d,
        "P·V": T * T * d,
        "output projection": T * d * d,
        "feed-forward": 8 * T * d * d,
    }
    # softmax (exp, sum, divide) on heads·T·T scores; 2 LayerNorms, GELU on 4d, 2 residual adds
    elementwise = 3 * heads * T * T + 2 * 4 * T * d + T * 4 * d + 2 * T * d
    return matmul, elementwise


models = {"tiny (T=16, d=32)": (16, 32, 2), "GPT-2 small (T=1024, d=768)": (1024, 768, 12)}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for ax, (name, (T, d, h)) in zip(axes, models.items()):
    mm, ew = layer_work(T, d, h)
    total = sum(mm.values()) + ew
    labels = [*mm, "everything else\n(element ops)"]
    shares = [v / total for v in mm.values()] + [ew / total]
    ax.barh(labels, shares, color=["#3b7dd8"] * len(mm) + ["#e07b39"])
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_title(f"{name}: {sum(mm.values()) / total:.1%} in matrix products")
    ax.set_xlabel("share of operations in one layer")
fig.tight_layout()
plt.show()

# %% [markdown]
# About 96 % of the arithmetic of the tiny model, and 99.5 % of GPT-2's, is multiply-accumulate
# inside matrix products (the titles are computed, not typed). A chip for inference is, first of all, a machine for `C = A·B`.
#
# The last few percent are not free though: softmax and LayerNorm need exponentials, divisions and square
# roots, which a grid of multipliers cannot do. That is why the chip will also get a **vector unit**
# (lesson 06) — and why, on a small model, it can still take a surprising share of the *time*.

# %% [markdown]
# ## 2 · Why int8?
#
# A trained network's weights and activations are real numbers, but they survive being rounded to
# 8-bit integers remarkably well. Here is a layer `y = W·x` computed in float, and in int8 with one
# scale per tensor and an int32 accumulator — exactly the recipe the chip will use.

# %%
rng = np.random.default_rng(0)
W = rng.normal(0, 0.2, (64, 128))
x = rng.normal(0, 1.0, 128)
sw, sx = nx.symmetric_scale(W), nx.symmetric_scale(x)
Wq, xq = nx.quantize(W, sw), nx.quantize(x, sx)          # int8 values in -127..127
acc = Wq @ xq                                             # int32 accumulation
y_int8 = nx.dequantize(acc, sw * sx)
y_float = W @ x
err = np.abs(y_int8 - y_float).max() / np.abs(y_float).max()
print(f"largest int32 accumulator: {np.abs(acc).max():,} (int32 holds {nx.INT32_MAX:,})")
print(f"worst error relative to the largest output: {err:.2%}")

# %% [markdown]
# An error around one percent, while every multiplier shrinks from 32-bit floating point to 8-bit
# integer. What does that buy? Energy. Horowitz's widely quoted figures for a 45 nm process
# (ISSCC 2014, *Computing's energy problem*) are drawn below — published numbers, not ours:

# %%
energy_pj = {  # M. Horowitz, ISSCC 2014, 45 nm, 0.9 V
    "int8 add": 0.03, "int8 multiply": 0.2, "int32 add": 0.1, "int32 multiply": 3.1,
    "fp32 add": 0.9, "fp32 multiply": 3.7, "SRAM read, 64 bit (8 KB)": 10,
    "DRAM read, 64 bit": 1300,
}
fig, ax = plt.subplots(figsize=(8, 3.4))
colors = ["#3b7dd8" if "int8" in k else "#e07b39" if "RAM" in k else "#999999" for k in energy_pj]
ax.barh(list(energy_pj), list(energy_pj.values()), color=colors)
ax.set_xscale("log")
ax.invert_yaxis()
ax.set_xlabel("energy per operation (pJ, log scale)")
for i, v in enumerate(energy_pj.values()):
    ax.text(v * 1.15, i, f"{v:g} pJ", va="center", fontsize=8)
ax.set_title("An int8 multiply costs ~18x less than an fp32 one; a DRAM read costs ~6,500x more")
fig.tight_layout()
plt.show()

# %% [markdown]
# Two lessons hide in this picture:
#
# 1. **int8 arithmetic is cheap**, so we can afford thousands of multipliers on one die.
# 2. **Moving data is expensive.** Fetching an operand from DRAM costs thousands of multiplies.
#    A good inference chip fetches each number once and then *reuses* it many times from small
#    on-chip memories and registers. The systolic array (lessons 03–04) is a reuse machine.

# %% [markdown]
# ## 3 · Compute or memory? A back-of-envelope roofline
#
# Take a chip with a 64×64 grid of int8 MAC units at 1 GHz: 4,096 MACs = 8,192 operations per cycle,
# 8.2 TOPS. Feed it from DRAM at 50 GB/s. A matrix product `(M×K)·(K×N)` does `2·M·N·K` operations
# and must move at least `M·K + K·N` int8 inputs and `M·N` int32 outputs. Its **arithmetic
# intensity** (operations per byte moved) decides whether the multipliers or the memory limit it.

# %%
peak_ops, dram_bps = 64 * 64 * 2 * 1e9, 50e9


def intensity(M, N, K):
    return 2 * M * N * K / (M * K + K * N + 4 * M * N)


def attainable(intensity_):
    return np.minimum(peak_ops, intensity_ * dram_bps)


ops_per_byte = np.logspace(-1, 4, 200)
fig, ax = plt.subplots(figsize=(8, 4))
ax.loglog(ops_per_byte, attainable(ops_per_byte) / 1e12, color="black", lw=2, label="roofline of our chip")
cases = {"decode, 1 token (M=1)": (1, 768, 768), "prefill, 64 tokens": (64, 768, 768),
         "prefill, 1024 tokens": (1024, 768, 768)}
for label, (M, N, K) in cases.items():
    i = intensity(M, N, K)
    ax.plot(i, attainable(i) / 1e12, "o", ms=9, label=f"{label}: {i:.0f} ops/byte")
ax.axvline(peak_ops / dram_bps, ls=":", color="grey")
ax.text(peak_ops / dram_bps * 1.1, 0.5, "ridge point", color="grey")
ax.set_xlabel("arithmetic intensity (operations per byte of DRAM traffic)")
ax.set_ylabel("attainable TOPS")
ax.set_title("Generating one token at a time is memory-bound; batching makes it compute-bound")
ax.legend(fontsize=8, loc="upper left")
fig.tight_layout()
plt.show()
M, N, K = cases["decode, 1 token (M=1)"]
print(f"decode uses {attainable(intensity(M, N, K)) / peak_ops:.1%} of the multipliers")

# %% [markdown]
# Multiplying a vector by a matrix (one token at a time) does two operations per weight byte and
# leaves about 99 % of the multipliers idle: the chip waits for memory. Processing many tokens at once
# reuses each weight many times and climbs to the compute roof. Every design decision in this
# course — double buffering, the dataflow of the array, the compiler's tiling — is about staying
# near that roof.

# %% [markdown]
# ## 4 · The atom: multiply-accumulate
#
# Each of those billions of operations is one **MAC**: `acc ← acc + a·b`, with `a`, `b` in int8 and
# `acc` in int32. A dot product is a MAC repeated; a matrix product is many dot products. Here is the
# numpy twin of the MAC unit you will build in MyHDL in lesson 02, computing a dot product:

# %%
a = rng.integers(-128, 128, 16)
b = rng.integers(-128, 128, 16)
trace = arith.mac(a, b, clear=np.zeros(16, int), enable=np.ones(16, int))
print("accumulator after each cycle:", trace)
print("last value equals the dot product:", trace[-1] == int(a @ b))

# %% [markdown]
# ## 5 · The map of the course
#
# We build the chip from the bottom up. Every block exists three times — a numpy **golden** model
# (what the math says), a fast **cycle-exact** model (what the chip does each cycle) and the MyHDL
# **RTL** (the hardware, converted to Verilog and checked again in a Verilog simulator) — and the
# tests keep all three equal.

# %%
lessons = [
    ("00", "Why an inference chip", "this lesson"),
    ("01", "Bits, numbers and adders", "two's complement, ripple vs prefix adders"),
    ("02", "Multipliers and the MAC", "array & Baugh-Wooley multipliers, overflow, int8"),
    ("03", "The processing element", "a MAC that passes operands on: the systolic idea"),
    ("04", "The systolic array", "weight- vs output-stationary, cycle formulas"),
    ("05", "Memory, DMA, controller", "a GEMM program, double buffering"),
    ("06", "The vector unit", "integer softmax and LayerNorm"),
    ("07", "The compiler", "from a model to a program"),
    ("08", "Where the cycles go", "performance counters, roofline"),
    ("09", "A transformer on your chip", "bit-exact against numpy"),
]
fig, ax = plt.subplots(figsize=(10, 4.2))
ax.set_axis_off()
for i, (num, title, what) in enumerate(lessons):
    y = len(lessons) - i
    done = i <= 2
    ax.add_patch(plt.Rectangle((0, y - 0.42), 0.9, 0.84, color="#3b7dd8" if done else "#c9d7ee"))
    ax.text(0.45, y, num, ha="center", va="center", color="white" if done else "black",
            fontweight="bold")
    ax.text(1.1, y, title, va="center", fontsize=11, fontweight="bold")
    ax.text(4.6, y, what, va="center", fontsize=9, color="#444444")
ax.set_xlim(0, 9)
ax.set_ylim(0.3, len(lessons) + 0.7)
ax.set_title("numbers → adders → multipliers → MAC → array → core → compiler → transformer",
             fontsize=10)
plt.show()

# %% [markdown]
# **What to remember.** Inference is dominated by int8 matrix products; int8 makes arithmetic cheap,
# which makes *data movement* the thing to design around. Next, in lesson 01, we start at the very
# bottom: how a chip represents a negative number, and how it adds two of them.
