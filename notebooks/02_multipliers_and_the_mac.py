# %% [markdown]
# # 02 · Multipliers and the MAC
#
# **The question.** Lesson 00 showed that inference is mostly multiply-accumulate, `acc ← acc + a·b`,
# with int8 operands and an int32 accumulator. Lesson 01 built the adder. Now: how is a multiplier made
# of gates, and how big is it? Why does a multiplier that is right for unsigned numbers get negative
# ones wrong, and what is the cheap fix? What happens when the accumulator overflows? And where do the
# int8 numbers come from in the first place, when a network's weights are real numbers?
#
# We build and simulate the multipliers, then the MAC unit, and end by quantizing a real vector to int8.

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np

from chipkit import numerics as nx
from chipkit.flow.netlist import Netlist
from chipkit.flow.sim import Bench, int_template
from chipkit.hdl.adders import ripple_carry_adder
from chipkit.hdl.mac import mac
from chipkit.hdl.multipliers import array_multiplier, baugh_wooley_multiplier
from chipkit.models import arith
from chipkit.viz.multipliers import QuantizationExplorer, plot_partial_products, plot_quantization
from chipkit.viz.waveform import plot_waveform

rng = np.random.default_rng(2)


def multiplier_bench(factory, width, signed):
    """A Bench for a width x width multiplier with a 2*width-bit product."""
    t = int_template(width, signed)
    return Bench(factory, {"a": t, "b": t}, {"p": int_template(2 * width, signed)},
                 {"width_a": width, "width_b": width})


# %% [markdown]
# ## 1 · Multiplying is adding shifted copies
#
# Multiply 13 × 11 in binary the way you learned on paper. Each digit of `b` is 0 or 1, so each row is
# either `a` or nothing, shifted one more column to the left:
#
# ```
#         1101      a = 13
#       × 1011      b = 11
#       ------
#         1101      a · b0   (b0 = 1)
#        1101       a · b1   (b1 = 1)
#       0000        a · b2   (b2 = 0)
#    + 1101         a · b3   (b3 = 1)
#    ---------
#     10001111      = 143
# ```
#
# "`a` or nothing" is an **AND gate** per bit: row `j`, column `i + j` holds `a_i AND b_j`. An
# `m × n` multiplier forms `m·n` of these **partial products** and adds them up. The
# `array_multiplier` does the adding the textbook way, one row after another with ripple-carry adders
# (half adders where a column has only two bits). Simulate the 4 × 4 version on all 256 operand
# pairs against the twin `arith.mul_unsigned`, and draw 13 × 11 as a dot diagram:

# %%
mul4 = multiplier_bench(array_multiplier, 4, signed=False)
a4, b4 = (g.ravel() for g in np.meshgrid(np.arange(16), np.arange(16)))
p4 = mul4.run_myhdl({"a": a4, "b": b4})["p"]
print("4 x 4 array multiplier == twin on all 256 pairs:",
      np.array_equal(p4, arith.mul_unsigned(a4, b4, 4, 4)))
product = int(p4[(a4 == 13) & (b4 == 11)][0])  # the simulated 13 x 11
plot_partial_products(4, 4, a=13, b=11, product=product)

# %% [markdown]
# Each filled dot is an AND gate whose output is 1: the rows are `a` where `b_j = 1` and zeros where
# `b_j = 0`. The bottom row is what the simulated multiplier returned, 143, and it is the sum of the
# dots with column `k` weighing 2^k.
#
# ## 2 · The 8 × 8 array multiplier: how big, how slow?
#
# The int8 multiplier is the same structure with 64 AND gates. Simulate it on 300 random pairs,
# then let `Netlist` count its gates and measure its depth:

# %%
mul8 = multiplier_bench(array_multiplier, 8, signed=False)
a, b = rng.integers(0, 256, 300), rng.integers(0, 256, 300)
p = mul8.run_myhdl({"a": a, "b": b})["p"]
print("8 x 8 array multiplier == twin on 300 random pairs:",
      np.array_equal(p, arith.mul_unsigned(a, b, 8, 8)))

array_nl = Netlist(mul8.instance())
t8 = int_template(8)
adder_nl = Netlist(Bench(ripple_carry_adder, {"a": t8, "b": t8, "cin": bool(0)},
                         {"s": t8, "cout": bool(0)}, {"width": 8}).instance())
print("multiplier gates:", dict(array_nl.count()), "=", sum(array_nl.count().values()))
print("8-bit ripple adder gates:", sum(adder_nl.count().values()))
print("depth of each product bit p[0..15]:", array_nl.depth("p"))

# %% [markdown]
# 320 gates against the adder's 40: **the multiplier is the MAC** — most of each processing element's
# area, energy and delay. How does it scale? Measure the `n × n` array multiplier for n = 2 … 8:

# %%
sizes = np.arange(2, 9)
gates, depth = [], []
for n in sizes:
    nl = Netlist(multiplier_bench(array_multiplier, int(n), signed=False).instance())
    gates.append(sum(nl.count().values()))
    depth.append(nl.max_depth())
gates, depth = np.array(gates), np.array(depth)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
ax1.plot(sizes, gates, "o-", color="#3b7dd8", label="measured (Netlist.count)")
ax1.plot(sizes, 5 * sizes**2, ":", color="grey", label="5·n²")
ax1.set_title("gates grow with the number of partial products, n²")
ax2.plot(sizes, depth, "o-", color="#e07b39", label="measured (Netlist.max_depth)")
ax2.set_title("depth grows linearly: rows and carries both ripple")
for ax, what in ((ax1, "gates"), (ax2, "gate levels on the critical path")):
    ax.set_xlabel("operand width n (bits)")
    ax.set_ylabel(what)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
print("gates:", dict(zip(sizes.tolist(), gates.tolist())), " depth:", depth.tolist())

# %% [markdown]
# Area grows as **n²**: the int8 multiplier has 5× the gates of the int4 one (320 against 64), and an
# fp32 multiplier, whose core is a 24 × 24 mantissa product, is roughly (24/8)² = 9× an int8 one
# before counting its exponent logic — the heart of lesson 00's energy table. The depth (40 levels at 8 bits) grows linearly, because the rows are
# added one after another. Fast multipliers add all rows at once in a tree of carry-save adders
# (Wallace or Dadda trees) and finish with one fast adder from lesson 01, for a depth that grows like
# log n. We keep the simple array, the easiest to read: the chip's throughput will come from many
# MACs working side by side (lessons 03–04), not from one fast multiplier.

# %% [markdown]
# ## 3 · Signed numbers
#
# ### The naive array is wrong for negative numbers
#
# An int8 `−3` is the pattern `11111101`, which the unsigned array reads as 253. Feed it −3 × 5:

# %%
pattern_a, pattern_b = nx.to_twos(-3, 8), nx.to_twos(5, 8)
naive = int(mul8.run_myhdl({"a": [pattern_a], "b": [pattern_b]})["p"][0])
print(f"array multiplier on the patterns {pattern_a:08b} x {pattern_b:08b}: {naive:016b}")
print("read as a signed 16-bit product:", nx.from_twos(naive, 16), "   wanted: -15")
print("its low 8 bits, read as int8:   ", nx.wrap(naive, 8))

A, B = np.meshgrid(np.arange(-128, 128), np.arange(-128, 128))
wrong = nx.to_twos(A, 8) * nx.to_twos(B, 8) != nx.to_twos(A * B, 16)
low_ok = nx.wrap(nx.to_twos(A, 8) * nx.to_twos(B, 8), 8) == nx.wrap(A * B, 8)
print(f"wrong 16-bit products over all int8 pairs: {wrong.mean():.1%};"
      f" low 8 bits right: {low_ok.mean():.0%}")

# %% [markdown]
# The array computed 253 × 5 = 1265. Its **low** 8 bits are right, always: the low half of a product
# only depends on the low bits of the operands, arithmetic mod 2^8 does not care about signs. The
# **high** half is wrong for three pairs out of four, because the array gave the sign bit the weight
# +2^7 where two's complement says −2^7. We need all 16 bits: they go into the accumulator.
#
# ### Baugh–Wooley: flip some ANDs to NANDs, add three ones
#
# Write the signed operands with their sign bits apart (`a` has `m` bits, `b` has `n`):
#
# $$a = -a_{m-1} 2^{m-1} + \sum_{i=0}^{m-2} a_i 2^i, \qquad b = -b_{n-1} 2^{n-1} + \sum_{j=0}^{n-2} b_j 2^j .$$
#
# Multiplying out gives four groups of partial products:
#
# $$a\,b = \underbrace{\sum_{i<m-1}\sum_{j<n-1} a_i b_j 2^{i+j}}_{\text{positive}}
#   + \underbrace{a_{m-1} b_{n-1} 2^{m+n-2}}_{\text{positive}}
#   - \sum_{i<m-1} a_i b_{n-1} 2^{i+n-1} - \sum_{j<n-1} a_{m-1} b_j 2^{j+m-1} .$$
#
# The partial products with **exactly one** sign bit are subtracted. An array can only add bits, so
# use the identity for a bit `x`: `−x = (1 − x) − 1 = NOT x − 1`. With `x = a_i b_{n−1}`:
#
# $$-\sum_{i=0}^{m-2} a_i b_{n-1} 2^{i+n-1}
#   = \sum_{i=0}^{m-2} \overline{a_i b_{n-1}}\, 2^{i+n-1} - \sum_{i=0}^{m-2} 2^{i+n-1}
#   = \sum_{i=0}^{m-2} \overline{a_i b_{n-1}}\, 2^{i+n-1} - 2^{m+n-2} + 2^{n-1} .$$
#
# The other group is the same with `a` and `b` swapped: its NANDs, `− 2^{m+n−2} + 2^{m−1}`. Together
# the constants are `2^{n−1} + 2^{m−1} − 2^{m+n−1}`, and since the product has `m + n` bits we work
# mod 2^{m+n}, where subtracting 2^{m+n−1} is the same as **adding** it. So:
#
# * every partial product with exactly one sign bit becomes a **NAND** instead of an AND;
# * three constant **ones** are added, in columns `m − 1`, `n − 1` and `m + n − 1`.
#
# No sign extension, no subtraction, no negative rows: the same array of adders. Here is −3 × 5 in
# 4 bits (orange: NAND dots and sign bits; green: the constant ones), the product again taken from
# a simulation of all 256 signed pairs:

# %%
bw4 = multiplier_bench(baugh_wooley_multiplier, 4, signed=True)
sa4, sb4 = (g.ravel() for g in np.meshgrid(np.arange(-8, 8), np.arange(-8, 8)))
sp4 = bw4.run_myhdl({"a": sa4, "b": sb4})["p"]
print("4 x 4 Baugh-Wooley == twin on all 256 signed pairs:",
      np.array_equal(sp4, arith.mul_signed(sa4, sb4, 4, 4)))
plot_partial_products(4, 4, a=-3, b=5, product=int(sp4[(sa4 == -3) & (sb4 == 5)][0]),
                      scheme="baugh_wooley")

# %% [markdown]
# Add the dots column by column, carrying as usual and dropping any carry out of the top column
# (we work mod 2^8): you get `11110001`, which read as two's complement (the top column weighing
# −2^7) is −15. Now the int8 version, on random pairs plus the corners of the range
# (−128 × −128 = 16384 is the one product that needs the full 16 bits):

# %%
bw8 = multiplier_bench(baugh_wooley_multiplier, 8, signed=True)
corners = np.array([-128, -127, -1, 0, 1, 127])
ca, cb = (g.ravel() for g in np.meshgrid(corners, corners))
a = np.concatenate([ca, rng.integers(-128, 128, 300)])
b = np.concatenate([cb, rng.integers(-128, 128, 300)])
p = bw8.run_myhdl({"a": a, "b": b})["p"]
print(f"8 x 8 Baugh-Wooley == twin on {len(a)} pairs (36 corner cases):",
      np.array_equal(p, arith.mul_signed(a, b, 8, 8)))
bw_nl = Netlist(bw8.instance())
for name, nl in (("array (unsigned)", array_nl), ("Baugh-Wooley (signed)", bw_nl)):
    print(f"{name:22s} {sum(nl.count().values())} gates {dict(nl.count())}, "
          f"critical path {nl.max_depth()} levels")

# %% [markdown]
# Signed multiplication for 14 NANDs in place of ANDs and a few more adder cells to absorb the three
# constants: 7 % more gates, one more gate level.
#
# ### Booth recoding: fewer rows
#
# Another classic trick attacks the *number* of rows. **Radix-4 Booth** recodes a signed `b` into
# digits `d_i ∈ {−2, −1, 0, 1, 2}`, one per *pair* of bits, with `b = Σ d_i 4^i`. Each row is then
# `d_i · a`: zero, `a`, `2a` (a shift) or their negatives, and an 8-bit `b` needs 4 rows instead of 8.
#
# Where do the digits come from? Two's complement gives `b = −b_{n−1} 2^{n−1} + Σ_{k<n−1} b_k 2^k`.
# Write each `2^k` as `2^{k+1} − 2^k`; the sum telescopes into `b = Σ_k (b_{k−1} − b_k) 2^k` with
# `b_{−1} = 0` (radix-2 Booth: digits −1, 0, 1). Pairing the terms of `k = 2i` and `k = 2i + 1`
# gives one radix-4 digit that reads three neighbouring bits:
#
# $$d_i = -2\,b_{2i+1} + b_{2i} + b_{2i-1} .$$
#
# Two examples worked by hand, bits listed from b₇ down to b₀:
#
# | b | bits | windows (b_{2i+1} b_{2i} b_{2i−1}), i = 3 … 0 | digits d₃ d₂ d₁ d₀ |
# |---|---|---|---|
# | 109 | `01101101` | `011`, `101`, `110`, `010` | 2, −1, −1, 1 |
# | −100 | `10011100` | `100`, `011`, `110`, `000` | −2, 2, −1, 0 |
#
# Check that the digits add back up to `b` (least significant digit first):

# %%
for b_value, digits in ((109, [1, -1, -1, 2]), (-100, [0, -1, 2, -2])):
    total = sum(d * 4**i for i, d in enumerate(digits))
    print(f"b = {b_value:4d}: digits {digits} -> "
          + " + ".join(f"({d})·4^{i}" for i, d in enumerate(digits)), "=", total)

# %% [markdown]
# > **Your turn:** `exercises/ex05_booth_recode.py` — write `booth_recode(b, width)` and
# > `booth_multiply(a, b, width)` from these digits; `chipkit grade --only ex05`.

# %% [markdown]
# ## 4 · The MAC unit
#
# The multiply-accumulate unit puts a multiplier, an adder and a register together: at each rising
# clock edge, `acc ← acc + a·b`. Two control inputs start a new sum (`clear`) and pause it (`enable`
# low). Its ports:

# %%
print(inspect.getdoc(mac.func))

# %% [markdown]
# Build it with the gate-level Baugh–Wooley multiplier from section 3 and an int32 accumulator, and
# feed it a 10-element dot product: `clear` in the first cycle, then `enable`, with an idle cycle
# in the middle and one at the end. `Bench.record` returns the accumulator after every edge and a
# trace for the timing diagram:

# %%
mac_bench = Bench(mac, {"a": int_template(8, True), "b": int_template(8, True),
                        "clear": bool(0), "enable": bool(0)},
                  {"acc": int_template(32, True)}, {"multiplier": "baugh_wooley"}, clocked=True)
x = np.r_[0, rng.integers(-128, 128, 5), 0, rng.integers(-128, 128, 5), 0]
w = np.r_[0, rng.integers(-128, 128, 5), 0, rng.integers(-128, 128, 5), 0]
clear = np.r_[1, np.zeros(12, int)]
enable = np.r_[0, np.ones(5, int), 0, np.ones(5, int), 0]
out, trace = mac_bench.record({"a": x, "b": w, "clear": clear, "enable": enable},
                              names=["clock", "clear", "enable", "a", "b", "acc"])
twin = arith.mac(x, w, clear, enable)
print("acc after each edge:", out["acc"])
print("twin               :", twin, " equal:", np.array_equal(out["acc"], twin))
print("dot product of the enabled pairs:", int(x[enable == 1] @ w[enable == 1]))
plot_waveform(trace, radix="dec", title="MAC: clear, then acc ← acc + a·b while enable is high")

# %% [markdown]
# The register changes only at rising edges (dotted lines): at the first edge `clear` empties it; at
# each enabled edge it adds the product of the operands present just before the edge; in the idle
# cycles (`enable` low) it holds. The value it holds at the end is the dot product.
#
# ### Overflow: wrap or saturate, again
#
# An int8 × int8 product is at most 2^14 in size (−128 × −128 = 16,384), so an int32 accumulator
# holds the sum of 131,071 such worst-case products (2^31 − 2^14 ≤ 2^31 − 1): enough for any dot
# product in this course. A narrow accumulator does not. Give the MAC a **16-bit** accumulator
# (`int_template(16, True)`, range −32768 … 32767) and push it over the edge with large products,
# then pull it back with negative ones — once with wrap-around, once saturating:

# %%
n = 10
big = {"a": np.r_[0, 127, 127, 127, 127, -128, -128, -128, -128, 100],
       "b": np.r_[0, 127, 127, 127, 100, 127, 127, 100, 50, -100],
       "clear": np.r_[1, np.zeros(n - 1, int)], "enable": np.r_[0, np.ones(n - 1, int)]}
acc16 = {}
for saturating in (False, True):
    bench16 = Bench(mac, {"a": int_template(8, True), "b": int_template(8, True),
                          "clear": bool(0), "enable": bool(0)},
                    {"acc": int_template(16, True)}, {"saturating": saturating}, clocked=True)
    acc16[saturating] = bench16.run_myhdl(big)["acc"]
    twin = arith.mac(big["a"], big["b"], big["clear"], big["enable"], saturating=saturating,
                     acc_width=16)
    print(f"saturating={saturating!s:5}: acc = {acc16[saturating]}  == twin:",
          np.array_equal(acc16[saturating], twin))
exact = np.cumsum(big["a"] * big["b"] * big["enable"])
print("exact running sum:", exact)

edges = np.arange(n + 1)  # each value holds from its edge to the next one


def held(values):
    return np.r_[values, values[-1]]


fig, ax = plt.subplots(figsize=(9, 3.8))
ax.axhspan(-32768, 32767, color="#eeeeee", zorder=0, label="16-bit range")
ax.step(edges, held(acc16[False]), where="post", color="#e07b39", lw=2, label="wrapping MAC")
ax.step(edges, held(acc16[True]), where="post", color="#3b7dd8", lw=2, label="saturating MAC")
ax.step(edges, held(exact), where="post", color="black", ls=":", lw=1.5, label="exact sum")
ax.set_xlabel("clock edge")
ax.set_ylabel("accumulator")
ax.set_title("A 16-bit accumulator: wrapping flips the sign, saturating sticks at the limit")
ax.legend(fontsize=8, loc="lower left")
fig.tight_layout()
plt.show()

# %% [markdown]
# At the third product the exact sum (48,387) leaves the 16-bit range. The **wrapping** MAC jumps to
# −17,149: a huge error with the wrong sign. Yet look at the end: once the negative products bring
# the exact sum back into range, the wrapping accumulator is **exactly right again** — lesson 01's
# "intermediate overflows cancel" at work. The **saturating** MAC sticks at 32,767, which is the
# closest it can get, but then every later product starts from the clamped value, and it ends far
# from the exact sum. Saturation depends on the order of the products; wrapping does not.
#
# This is why real accelerators accumulate in a *wide* register with plain wrap-around (int32 for
# int8 operands) so that overflow cannot happen in practice, and saturate only once, when the result
# is squeezed back to int8.
#
# > **Your turn:** `exercises/ex06_mac_saturate.py` — the saturating int32 MAC as a numpy model,
# > fast enough for 400,000 cycles; `chipkit grade --only ex06`.

# %% [markdown]
# ## 5 · Where the int8 numbers come from: quantization
#
# A trained network's weights are real numbers. To run them on int8 hardware, pick a **scale** `s`
# and store `q = round(x / s)`, clamped to the int8 range; the chip computes with `q`, and `q · s`
# (**dequantized**) stands for `x`. With one scale per vector, a dot product of `x` (codes `q_k`,
# scale `s_x`) and `w` (codes `r_k`, scale `s_w`) is `Σ x_k w_k ≈ s_x s_w Σ q_k r_k`: integer MACs,
# then one multiplication by `s_x s_w`.
#
# The usual choice is **max-abs** (`nx.symmetric_scale`): the largest |x| maps to 127. Try it on a
# vector shaped like real weights: mostly small values with a few large ones (a heavy-tailed
# Student-t distribution, 4,096 values):

# %%
weights = 0.05 * rng.standard_t(4, 4096)
scale = nx.symmetric_scale(weights)
q = nx.quantize(weights, scale)  # int8
w_hat = nx.dequantize(q, scale)
print(f"max |x| = {np.abs(weights).max():.3f} -> scale {scale:.5f}; int8 range used: "
      f"{q.min()} .. {q.max()}")
print(f"RMS error {np.sqrt(np.mean((w_hat - weights) ** 2)):.2e}; "
      f"a uniform error in ±scale/2 would give scale/√12 = {scale / np.sqrt(12):.2e}")
print(f"share of the values on the 15 levels around zero (|q| <= 7): {np.mean(np.abs(q) <= 7):.0%}")
plot_quantization(weights, w_hat, scale, 8, title="int8, max-abs scale")

# %% [markdown]
# Left: the chip stores a staircase of 256 levels. Middle: the error is a sawtooth, never more than
# half a step. Right: it is spread evenly over ±scale/2, so its RMS is scale/√12, as printed.
#
# But look at the last line of output: the one largest value sets the scale, and half of the values
# share the 15 levels around zero. A smaller scale gives the many small values finer steps, at the
# price of **clipping** the few large ones. Pick the scale from a **percentile** of |x| instead of
# its maximum, or directly as a fraction of it, and measure the error for several bit widths:

# %%
def quantize_clipped(x, bits, clip):
    """Dequantized x, and the scale that maps `clip` to the largest bits-bit integer."""
    scale = clip / (2 ** (bits - 1) - 1)
    return nx.dequantize(nx.quantize(x, scale, bits), scale), scale


def quantize_at(x, bits, percentile):
    """The same, with the threshold at a percentile of |x| (100: max-abs)."""
    return quantize_clipped(x, bits, np.percentile(np.abs(x), percentile))


def rms(err):
    return float(np.sqrt(np.mean(np.square(err))))


amax = np.abs(weights).max()
fractions = np.linspace(0.1, 1.0, 91)  # clipping threshold as a fraction of max |x|
marks = {p: np.percentile(np.abs(weights), p) / amax for p in (90, 99, 99.9, 100)}
fig, ax = plt.subplots(figsize=(9, 4))
print("bits | RMS error: max-abs   99.9th pct   99th pct | best threshold")
for bits, color in ((4, "#e07b39"), (6, "#2e7d32"), (8, "#3b7dd8")):
    curve = np.array([rms(quantize_clipped(weights, bits, f * amax)[0] - weights)
                      for f in fractions])
    ax.semilogy(fractions, curve, color=color, label=f"{bits} bits")
    best = curve.argmin()
    ax.plot(fractions[best], curve[best], "o", color=color)
    at = {p: rms(quantize_at(weights, bits, p)[0] - weights) for p in (100, 99.9, 99)}
    print(f"{bits:4d} |           {at[100]:.2e}    {at[99.9]:.2e}    {at[99]:.2e} | "
          f"{fractions[best]:.2f}·max|x|, {curve[-1] / curve[best]:.2f}x better than max-abs")
for f in marks.values():
    ax.axvline(f, color="grey", lw=0.8, ls=":")
top = ax.secondary_xaxis("top")
top.set_xticks(list(marks.values()), [f"{p:g}th" for p in marks])
top.set_xlabel("the same threshold as a percentile of |x|", fontsize=9)
ax.set_xlabel("clipping threshold / max |x|   (1.0 = max-abs scale)")
ax.set_ylabel("RMS error (log scale)")
ax.legend(fontsize=8, title="dots: best threshold", title_fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Each curve has two sides. To the left the threshold is low: many values are clipped and their
# error grows. To the right the steps get coarser: the rounding error of *every* value grows. The
# best scale sits between, and where depends on the number of bits:
#
# * at **4 bits** the steps are so coarse that clipping pays: the best threshold lies near the 99.3th
#   percentile, under half of max |x|, and the error is 1.7× smaller than with max-abs;
# * at **8 bits** the steps are already fine, and for this vector max-abs is the best choice; the
#   popular "99th percentile" would make the error almost nine times *larger*.
#
# So there is no universal rule: toolchains choose the range per tensor on calibration data, by
# percentile, by minimising the squared error as here, or by keeping the output distribution close
# (KL divergence), and check the effect on the network's accuracy.
#
# Explore it yourself: the sliders set the number of bits and the percentile; the figure and the
# statistics follow. (The widget needs a live kernel; below it is a static rendering of 4 bits with
# the scale from the 99.3th percentile.)

# %%
QuantizationExplorer(weights, quantize_at, bits=4, percentile=100.0)

# %%
w4, scale4 = quantize_at(weights, 4, 99.3)
plot_quantization(weights, w4, scale4, 4, title="4 bits, scale from the 99.3th percentile of |x|")

# %% [markdown]
# ## 6 · Putting it together: a quantized dot product on the MAC
#
# Quantize a weight vector and an activation vector to int8, run their 256-element dot product on the
# MyHDL MAC (gate-level Baugh–Wooley multiplier, int32 wrap-around accumulator), and rescale the
# integer result by `s_x · s_w`:

# %%
k = 256
w_vec = weights[:k]
x_vec = rng.normal(0, 1, k)
sw, sx = nx.symmetric_scale(w_vec), nx.symmetric_scale(x_vec)
wq, xq = nx.quantize(w_vec, sw), nx.quantize(x_vec, sx)
acc = mac_bench.run_myhdl({"a": np.r_[0, xq], "b": np.r_[0, wq],
                           "clear": np.r_[1, np.zeros(k, int)],
                           "enable": np.r_[0, np.ones(k, int)]})["acc"]
exact = float(x_vec @ w_vec)
rescaled = acc[-1] * sx * sw
size = float(np.abs(x_vec) @ np.abs(w_vec))  # the size of the terms
print(f"int32 accumulator after {k} MACs: {acc[-1]}   (integer dot product: {int(xq @ wq)})")
print(f"rescaled: {rescaled:.5f}   float dot product: {exact:.5f}   "
      f"error relative to Σ|x·w|: {abs(rescaled - exact) / size:.2e}")

# %% [markdown]
# The gate-level MAC returns exactly the integer dot product, and the rescaled result is within a
# fraction of a percent of the float one. (The error is measured against `Σ|x_k w_k|`, the size of the
# terms, because the dot product itself can be close to zero.) That is the whole arithmetic of an
# int8 inference chip in one unit; the next lessons put many of these units side by side.

# %% [markdown]
# ## Summary
#
# * A multiplier forms **partial products** (one AND per bit pair: m·n gates) and adds them; the array
#   multiplier adds row after row, so its area grows as n² and its depth linearly.
# * Two's complement gives the sign bit a negative weight. The unsigned array gets the high half of a
#   signed product wrong; **Baugh–Wooley** fixes it with NANDs for the partial products with one sign
#   bit and three constant ones. **Booth** recoding halves the number of rows instead.
# * The **MAC** accumulates products in a register. A wrap-around accumulator is exact whenever the
#   final sum fits; saturation depends on the order of the products. A wide (int32) accumulator makes
#   overflow a non-issue for int8 operands.
# * **Quantization** maps real numbers to int8 through a scale. Max-abs never clips but wastes levels
#   on outliers; a percentile scale trades a little clipping for finer steps, most valuable at few bits.
#
# **Exercises for this lesson**
#
# | exercise | what you build | check |
# |---|---|---|
# | `exercises/ex05_booth_recode.py` | radix-4 Booth digits and a multiply from them | `chipkit grade --only ex05` |
# | `exercises/ex06_mac_saturate.py` | the saturating int32 MAC as a numpy model | `chipkit grade --only ex06` |
#
# **Next**, lesson 03: the processing element — a MAC that also passes its operands on to its
# neighbours, the seed of the systolic array.
