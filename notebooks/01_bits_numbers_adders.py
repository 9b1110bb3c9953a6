# %% [markdown]
# # 01 · Bits, numbers and adders
#
# **The question.** Inside the chip a number is a handful of wires, each carrying 0 or 1. How do
# such wires stand for −3? How do a few logic gates add two of these numbers — and how *long* does
# that take, when each gate needs a moment to react?
#
# In this lesson we build adders from gates in MyHDL, check them against their numpy twins, and then
# read the gates back to measure their **delay**: the thing that decides how fast the chip's clock
# can tick. We end with two adders that compute the same sums, one small and slow, one big and fast.

# %%
import inspect
import itertools
import tempfile

import matplotlib.pyplot as plt
import numpy as np

from chipkit import numerics as nx
from chipkit.flow import tools
from chipkit.flow.convert import convert
from chipkit.flow.netlist import Netlist
from chipkit.flow.resim import run_iverilog
from chipkit.flow.sim import Bench, int_template
from chipkit.hdl import gates
from chipkit.hdl.adders import full_adder, half_adder, kogge_stone_adder, ripple_carry_adder
from chipkit.models import arith
from chipkit.viz.adders import (
    CarryRace,
    plot_carry_race,
    plot_number_wheel,
    plot_prefix_network,
    prefix_cells,
)
from chipkit.viz.waveform import plot_waveform

rng = np.random.default_rng(1)

# %% [markdown]
# ## 1 · Numbers on wires: two's complement
#
# Four wires can show 16 patterns, `0000` to `1111`. Read as an **unsigned** number, bit `k` weighs
# `2^k`, so `1101` is 8 + 4 + 1 = 13. **Two's complement**, the signed reading every chip uses,
# changes one thing: the top bit weighs **−2^(n−1)** instead of +2^(n−1). So `1101` is
# −8 + 4 + 1 = **−3**. An `n`-bit number then covers −2^(n−1) … 2^(n−1) − 1: −8 … 7 in 4 bits,
# −128 … 127 in int8.
#
# `chipkit.numerics` encodes a value into its bit pattern (`to_twos`) and decodes it back
# (`from_twos`). Here are all 16 patterns of 4 bits, read both ways:

# %%
patterns = np.arange(16)
signed = nx.from_twos(patterns, 4)
print("pattern  unsigned  signed")
for p, s in zip(patterns, signed, strict=True):
    print(f"  {p:04b}     {p:3d}     {s:3d}")
print("to_twos(-3, 4) =", format(nx.to_twos(-3, 4), "04b"),
      "  from_twos(0b1101, 4) =", nx.from_twos(0b1101, 4))

# %% [markdown]
# Put the 16 patterns on a circle. Adding 1 moves one step clockwise — in *both* readings, because
# the hardware does the same thing to the bits. The readings differ only in **where the circle
# jumps**: unsigned between `1111` and `0000`, signed between `0111` (7) and `1000` (−8).

# %%
plot_number_wheel(signed, 4, title="4-bit two's complement: +1 is one step clockwise")

# %% [markdown]
# This is why two's complement won: an `n`-bit adder computes `(a + b) mod 2^n` on the patterns,
# and that is the right answer for the signed reading too, as long as the true sum fits. No
# separate "signed adder" is needed. Check it on −3 + 5 (signed) and 13 + 5 (the same bits,
# unsigned):

# %%
a_bits, b_bits = nx.to_twos(-3, 4), nx.to_twos(5, 4)
raw = a_bits + b_bits  # what the wires add
print(f"{a_bits:04b} + {b_bits:04b} = {raw:05b}; keep 4 bits: {raw % 16:04b}")
print("unsigned:", a_bits, "+", b_bits, "=", raw % 16, "(mod 16)",
      "  signed: -3 + 5 =", nx.from_twos(raw % 16, 4))
print("negating is 'invert, add 1':  ~0011 + 1 =", format((~0b0011 + 1) & 0xF, "04b"),
      "=", nx.from_twos((~0b0011 + 1) & 0xF, 4))

# %% [markdown]
# ### Overflow: wrap or saturate?
#
# When the true sum does not fit, an adder keeps the low `n` bits: it **wraps** around the circle.
# int8 100 + 100 = 200 becomes 200 − 256 = −56: a large positive sum turns negative. A
# **saturating** unit instead clamps to the nearest value that fits (127); that costs a comparator
# and a multiplexer after the adder. `nx.wrap` and `nx.saturate` are the two rules:

# %%
true_sum = np.arange(-256, 255)  # every sum of two int8 values
wrapped = nx.wrap(true_sum, 8).astype(float)
cut = np.flatnonzero(np.abs(np.diff(wrapped)) > 1) + 1  # break the line where it jumps
fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
ax.axvspan(-128, 127, color="#eeeeee", zorder=0, label="the sum fits in int8")
ax.plot(np.insert(true_sum.astype(float), cut, np.nan), np.insert(wrapped, cut, np.nan),
        color="#e07b39", lw=2, label="wrap(x, 8): what an adder does")
ax.plot(true_sum, nx.saturate(true_sum, 8), color="#3b7dd8", lw=2, ls="--",
        label="saturate(x, 8): clamp to -128..127")
ax.set_xlabel("true sum a + b")
ax.set_ylabel("int8 result")
ax.set_title(f"100 + 100 → wrap: {nx.wrap(200, 8)}, saturate: {nx.saturate(200, 8)}")
fig.legend(loc="outside lower center", ncols=3, fontsize=8, frameon=False)
plt.show()

# %% [markdown]
# Which one does a chip want? It depends on where the adder sits.
#
# * **Inside a long sum** (the MAC's accumulator), wrapping has a beautiful property: arithmetic
#   mod 2^n does not care about order, so if the *final* sum fits, intermediate overflows cancel out.
# * **At an output** that must fit in int8 (requantizing a result), saturation gives the least wrong
#   value, while wrapping would flip the sign.
#
# Sum 100, 100, −100 in int8, one step at a time:

# %%
values = [100, 100, -100]
acc_wrap = acc_sat = 0
for v in values:
    acc_wrap, acc_sat = nx.wrap(acc_wrap + v, 8), nx.saturate(acc_sat + v, 8)
    print(f"+ {v:4d}:  wrapping acc = {acc_wrap:4d}   saturating acc = {acc_sat:4d}")
print("true sum:", sum(values))

# %% [markdown]
# The wrapping accumulator passed through −56 and still ended at the right 100; the saturating one
# lost 73 when it clamped and never got it back. Keep this in mind for lesson 02's MAC.
#
# > **Your turn:** open `exercises/ex01_twos_complement.py` and write `encode` and `decode` with plain
# > Python integers, then run `chipkit grade --only ex01`.

# %% [markdown]
# ## 2 · Adding two bits: half and full adders
#
# Adding two bits gives a two-bit result: `1 + 1 = 10`. The low bit is the **sum**, `a XOR b`; the
# high bit is the **carry**, `a AND b`. That is a *half adder*, two gates. In MyHDL a gate is a
# `@block` holding one `@always_comb` process, which recomputes its output whenever an input changes:

# %%
print(inspect.getsource(gates.xor2))
print(inspect.getsource(half_adder))

# %% [markdown]
# To add numbers with many bits, each column must also take the carry coming from the column to its
# right: three inputs. A **full adder** is two half adders and an OR. The first half adder adds
# `a + b`; the second adds the carry in to that partial sum. At most one of the two can produce a
# carry (if `a + b` already carried, its partial sum is 0), so an OR collects it. (Printed here
# without its docstring, which lists the ports like the half adder's.)

# %%
head, _, rest = inspect.getsource(full_adder).partition('    """')  # the lines before the docstring
print(head + rest.split('"""\n', 1)[1])  # and the lines after it

# %% [markdown]
# Now simulate. A `Bench` names the block's ports once, drives them with vectors and returns what
# the outputs showed. With 2 or 3 inputs we can try **every** combination, and compare with the
# numpy twin `arith.add(a, b, cin, width=1)`, which returns (sum mod 2, carry out).

# %%
ha = Bench(half_adder, {"a": bool(0), "b": bool(0)}, {"s": bool(0), "c": bool(0)})
fa = Bench(full_adder, {"a": bool(0), "b": bool(0), "cin": bool(0)},
           {"s": bool(0), "cout": bool(0)})

a, b, cin = np.array(list(itertools.product([0, 1], repeat=3))).T  # all 8 rows of a truth table
got = fa.run_myhdl({"a": a, "b": b, "cin": cin})
want_s, want_c = arith.add(a, b, cin, 1)
print(" a b cin | cout s")
for row in zip(a, b, cin, got["cout"], got["s"], strict=True):
    print(" {} {}  {}  |  {}   {}".format(*row))
print("full adder equals its twin on all 8 inputs:",
      np.array_equal(got["s"], want_s) and np.array_equal(got["cout"], want_c))

h = ha.run_myhdl({"a": a[::2], "b": b[::2]})  # the 4 rows with cin = 0
hs, hc = arith.add(a[::2], b[::2], 0, 1)
print("half adder equals its twin on all 4 inputs:",
      np.array_equal(h["s"], hs) and np.array_equal(h["c"], hc))

# %% [markdown]
# Read the table as arithmetic: `cout s` is the two-bit count of ones among `a, b, cin`.
#
# > **Your turn:** `exercises/ex02_full_adder.py` asks for the same full adder written from its
# > boolean equations in one `@always_comb`. Check it with `chipkit grade --only ex02`.

# %% [markdown]
# ## 3 · The ripple-carry adder
#
# Chain `n` full adders, each one's carry out into the next one's carry in, and you have an `n`-bit
# adder — exactly how you add on paper, right to left:

# %%
print(inspect.getsource(ripple_carry_adder))

# %% [markdown]
# `unpack` splits a bus into its bit signals and `pack` joins bits back into a bus: wires, not gates.
# Simulate the 8-bit adder on 500 random operand pairs (with random carry in) against the twin:

# %%
u8 = int_template(8)
ripple8 = Bench(ripple_carry_adder, {"a": u8, "b": u8, "cin": bool(0)},
                {"s": u8, "cout": bool(0)}, {"width": 8})
vec = {"a": rng.integers(0, 256, 500), "b": rng.integers(0, 256, 500),
       "cin": rng.integers(0, 2, 500)}
got = ripple8.run_myhdl(vec)
want_s, want_c = arith.add(vec["a"], vec["b"], vec["cin"], 8)
print("500 random sums, MyHDL == twin:",
      np.array_equal(got["s"], want_s) and np.array_equal(got["cout"], want_c))

# %% [markdown]
# Because the bits are the same, the same adder adds **signed** numbers: declare the ports signed
# (`int_template(8, True)`) and MyHDL reads the same wires as two's complement. `Bench.record` also
# records every port over time, and `plot_waveform` draws the timing diagram. Each step lasts one
# time unit; watch the fourth one, 100 + 100, wrap to −56:

# %%
i8 = int_template(8, True)
ripple8s = Bench(ripple_carry_adder, {"a": i8, "b": i8, "cin": bool(0)},
                 {"s": i8, "cout": bool(0)}, {"width": 8})
steps = {"a": np.array([5, -3, -128, 100, 127, -1]), "b": np.array([7, 5, -1, 100, 1, -1]),
         "cin": np.array([0, 0, 0, 0, 0, 1])}
out, trace = ripple8s.record(steps)
print("s    =", out["s"], "  cout =", out["cout"])
print("wrap8(a + b + cin) =", nx.wrap(steps["a"] + steps["b"] + steps["cin"], 8))
plot_waveform(trace, radix="dec", title="8-bit ripple-carry adder, signed ports")

# %% [markdown]
# Compare `cout` with the signed results. −3 + 5 = 2 is correct, yet `cout = 1`; 100 + 100 = −56
# and 127 + 1 = −128 are wrong (the sum has the wrong sign), yet `cout = 0`; −128 + (−1) = 127 is
# wrong with `cout = 1`. The carry out flags overflow of the *unsigned* reading only. A *signed*
# overflow shows differently: both operands have the same sign and the sum has the other one —
# exactly what a saturating adder must detect before it clamps.
#
# > **Your turn:** build the ripple-carry adder yourself from `full_adder` instances in
# > `exercises/ex03_ripple_carry_adder.py`, then `chipkit grade --only ex03`.

# %% [markdown]
# ## 4 · How long does an addition take?
#
# The waveform shows `s` changing at the very instant the inputs change. That is a fiction of the
# simulator: MyHDL's gates react in zero time. A real gate needs a few tens of picoseconds, and a
# signal that passes through 17 gates arrives 17 gate delays late. The clock period must be longer
# than the slowest such path, the **critical path**.
#
# `chipkit.flow.netlist.Netlist` reads an elaborated block back as a list of gates and wires. It counts
# the gates, and measures each output bit's **depth**: the most gates between any input and it.

# %%
ripple_nl = Netlist(ripple8.instance())
print("gates:", dict(ripple_nl.count()), "=", sum(ripple_nl.count().values()))
print("depth of s[0..7]:", ripple_nl.depth("s"), "  depth of cout:", ripple_nl.depth("cout"))
print("critical path:", ripple_nl.max_depth(), "gates")

# %% [markdown]
# Each full adder adds **two** gate levels between its carry in and its carry out (the AND of its
# second half adder and the OR), so sum bit `k` sits `2(k + 1)` gates deep and the carry out
# `2·8 + 1`. The depth grows **linearly** with the width: a 32-bit ripple adder has a 65-gate
# critical path.
#
# To *see* it, `Netlist.unit_delay(before, after)` replays a change of the inputs with every gate
# taking exactly one time unit, and returns the value of every wire after each time unit. Switch
# the inputs from 0 + 0 to 255 + 1, whose carry must travel through all eight bits, and draw each
# output bit over time:

# %%
before, after = {"a": 0, "b": 0, "cin": 0}, {"a": 255, "b": 1, "cin": 0}
replay = ripple_nl.unit_delay(before, after)
print("the replay has", len(replay), "snapshots; the final sum reads",
      ripple_nl.read(replay[-1], "s"), "with carry out", ripple_nl.read(replay[-1], "cout"))
plot_carry_race([("ripple", ripple_nl, replay)], title="0 + 0 → 255 + 1, one time unit per gate")

# %% [markdown]
# Read it column by column. One gate delay after the change, the first XOR of every bit has formed
# `a XOR b`, which is `1 XOR 0 = 1` in bits 1–7; one delay later the sum XORs pass it on before any
# carry has arrived, and the sum reads 254 (`11111110`), a number nobody asked for. Then the carry
# born in bit 0 walks up two gates per bit, clearing one bit at a time (252, 248, 240, …), and the
# carry out arrives last, 16 gate delays after the change. Two lessons:
#
# 1. Until the slowest bit settles, the output is **garbage** — not the old sum, not the new one.
#    The register after the adder must not sample it before then: that sets the clock period.
# 2. Bits 1–7 each flipped twice (0 → 1 → 0) to end where they started: these **glitches** cost
#    energy, since each flip charges or discharges a wire, and a real chip pays for them in power.

# %% [markdown]
# ## 5 · A faster adder: generate, propagate and the prefix
#
# The ripple adder is slow because carry `i + 1` waits for carry `i`:
#
# $$c_{i+1} = g_i + p_i \cdot c_i, \qquad g_i = a_i \cdot b_i, \qquad p_i = a_i \oplus b_i$$
#
# (here `+` is OR and `·` is AND). Bit `i` **generates** a carry when both its bits are 1 (`g_i`),
# and **propagates** an incoming carry when exactly one of them is (`p_i`). The sum bit is then
# $s_i = p_i \oplus c_i$. Now think about **groups** of neighbouring bits.
# A group either generates a carry out by itself (G), or passes a carry in through to its top (P).
# Two adjacent groups, a high one above a low one, combine into one bigger group:
#
# $$(G, P) = (G_{hi},\, P_{hi}) \circ (G_{lo},\, P_{lo}) = (G_{hi} + P_{hi}\, G_{lo},\ \ P_{hi}\, P_{lo}).$$
#
# "The big group generates if the high half generates, or the high half propagates what the low half
# generates." This operator `∘` is **associative**, so the carries are *prefix* combinations, like
# running sums: carry `i` is the G of `(g_{i−1}, p_{i−1}) ∘ … ∘ (g_0, p_0) ∘ (c_0, 0)`, with the carry
# in as a group that generates `c_0` and propagates nothing. Prefix sums need not be computed one after
# another: **Kogge–Stone** doubles every group's span at every level (distance 1, 2, 4, …), so all
# `n` carries are ready after ⌈log₂(n + 1)⌉ levels of two gates each.
#
# Here is the network for 8 bits. Position `i` starts with bit `i − 1`'s `(g, p)` (position 0 holds
# the carry in); a dot combines its column with the one `d` positions to the right. After a grey
# dot the group reaches down to the carry in, which propagates nothing: its P is always 0, so the
# grey cell skips the AND that would form it.

# %%
plot_prefix_network(8)

# %% [markdown]
# The drawing follows the same plan as `kogge_stone_adder` in `chipkit/hdl/adders.py`. Check it
# against the gates the block really has: each cell has one OR, a black cell two ANDs and a grey one
# one AND; on top sit 8 ANDs for `g` and 8 XORs for `p`, and 8 XORs form the sums.

# %%
u8 = int_template(8)
ks8 = Bench(kogge_stone_adder, {"a": u8, "b": u8, "cin": bool(0)},
            {"s": u8, "cout": bool(0)}, {"width": 8})
ks_nl = Netlist(ks8.instance())
cells = prefix_cells(8)
black = sum(kind == "black" for *_, kind in cells)
grey = len(cells) - black
print("netlist:", dict(ks_nl.count()))
print(f"drawing: or2 = {len(cells)}, and2 = 8 + 2·{black} + {grey} = {8 + 2 * black + grey}, "
      f"xor2 = 8 + 8 = 16")
got = ks8.run_myhdl(vec)
print("500 random sums, Kogge-Stone == twin:",
      np.array_equal(got["s"], want_s) and np.array_equal(got["cout"], want_c))
print("depth of s[0..7]:", ks_nl.depth("s"), "  critical path:", ks_nl.max_depth(), "gates")

# %% [markdown]
# Same sums, **8** gate levels instead of 17, for 79 gates instead of 40.
#
# > **Your turn:** `exercises/ex04_prefix_carries.py` computes the Kogge–Stone carries in plain
# > Python, level by level (the grader checks that each carry passes through a logarithmic number of
# > levels, not a chain). `chipkit grade --only ex04`.

# %% [markdown]
# ## 6 · The race
#
# Replay the same switch, 0 + 0 → 255 + 1, on both adders and draw them on one time axis:

# %%
adders = {"ripple": ripple_nl, "Kogge-Stone": ks_nl}


def race(before, after):
    """Replay one change of the inputs on every adder, one time unit per gate."""
    return [(name, nl, nl.unit_delay(before, after)) for name, nl in adders.items()]


plot_carry_race(race(before, after), title="0 + 0 → 255 + 1 on both adders")

# %% [markdown]
# Kogge–Stone settles in 8 gate delays instead of 16. Its output is garbage for a while too (at
# t = 6 it reads 208), because different carries arrive at different times; it is just over sooner.
#
# Now race them yourself. Pick `a` and `b`, then press ▶ (or drag `t`) to replay the change one gate
# delay at a time. Things to try:
#
# * `85 + 170` (`01010101 + 10101010`): no bit generates a carry, so nothing ripples;
# * `127 + 1`: the carry stops at bit 7, and `cout` never moves;
# * untick *inputs switch from 0 + 0*: each slider move then replays the change from the previous
#   operands — the situation in a real chip, where new operands replace old ones every cycle.
#
# (The widget needs a live kernel; the static figure above is the same drawing.)

# %%
CarryRace(race, width=8, a=255, b=1)

# %% [markdown]
# ## 7 · Area against delay
#
# Is Kogge–Stone simply better? Measure both families over widths 1 to 32, straight from the
# blocks: elaborate each, read its netlist, and record its critical path and its gate count.

# %%
widths = np.arange(1, 33)
measured = {}
for factory in (ripple_carry_adder, kogge_stone_adder):
    depth, area = [], []
    for w in widths:
        t = int_template(int(w))
        bench = Bench(factory, {"a": t, "b": t, "cin": bool(0)}, {"s": t, "cout": bool(0)},
                      {"width": int(w)})
        nl = Netlist(bench.instance())
        depth.append(nl.max_depth())
        area.append(sum(nl.count().values()))
    measured[factory.__name__] = (np.array(depth), np.array(area))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
for (name, (depth, area)), color in zip(measured.items(), ["#e07b39", "#3b7dd8"], strict=True):
    ax1.plot(widths, depth, "o-", ms=3, color=color, label=name)
    ax2.plot(widths, area, "o-", ms=3, color=color, label=name)
ax1.set_title("critical path grows like n vs log n")
ax1.set_xlabel("width n (bits)")
ax1.set_ylabel("gate levels (Netlist.max_depth)")
ax2.set_title("gate count: the price of speed")
ax2.set_xlabel("width n (bits)")
ax2.set_ylabel("gates (Netlist.count)")
for ax in (ax1, ax2):
    ax.set_xticks([1, 4, 8, 16, 24, 32])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
(rd, ra), (kd, ka) = measured.values()
print("ripple depth == 2n + 1 at every width:", np.array_equal(rd, 2 * widths + 1))
print(f"32 bits: ripple {rd[-1]} levels / {ra[-1]} gates, Kogge-Stone {kd[-1]} levels / {ka[-1]} "
      f"gates: {rd[-1] / kd[-1]:.1f}x faster for {ka[-1] / ra[-1]:.1f}x the gates")

# %% [markdown]
# The ripple adder's depth is exactly `2n + 1`, a straight line; Kogge–Stone's is a staircase that
# climbs about two gates each time the width doubles. Its gate count grows like `n·log₂ n`
# (and its wires, long ones crossing half the adder, cost area too). This is the classic
# **area–delay trade-off**. A 32-bit accumulator adder sits in every MAC of the chip, so the choice
# repeats thousands of times. Real designs pick from a whole family of prefix adders in between
# (Brent–Kung, Sklansky, Han–Carlson), and synthesis tools choose per path: ripple where the clock
# has time to spare, prefix where it has not.

# %% [markdown]
# ## 8 · From MyHDL to Verilog
#
# Chip tools do not read Python. MyHDL converts a block to Verilog, gate by gate, and we check the
# result *again* in an independent Verilog simulator, Icarus Verilog (`iverilog`), on the same kind
# of vectors. Here are the first lines of the converted Kogge–Stone adder:

# %%
with tempfile.TemporaryDirectory() as folder:
    vfile = convert(ks8, folder, "Verilog")
    verilog = vfile.read_text().splitlines()
    body = [line for line in verilog if line.strip() and not line.startswith("//")]
    ports = body[: body.index("wire [7:0] s;") + 3]
    assigns = [line for line in body if line.startswith("assign") and "_y =" in line]
    print("\n".join(ports))
    print("...")
    print("\n".join(assigns[:6] + ["...", *assigns[-3:]]))
    print(f"({len(verilog)} lines, {len(assigns)} gate assignments)")

    if tools.which("iverilog"):
        n = 5000
        vec = {"a": rng.integers(0, 256, n), "b": rng.integers(0, 256, n),
               "cin": rng.integers(0, 2, n)}
        hw = run_iverilog(ks8, vec, vfile)
        want_s, want_c = arith.add(vec["a"], vec["b"], vec["cin"], 8)
        print(f"iverilog, {n} random sums: Verilog == twin:",
              np.array_equal(hw["s"], want_s) and np.array_equal(hw["cout"], want_c))
    else:
        print("iverilog is not installed, so the Verilog is not re-simulated here; install it",
              f"with `{tools.TOOLS['iverilog'][2]}` (Debian/Ubuntu) or `brew install icarus-verilog`",
              "(macOS), then run this cell again")

# %% [markdown]
# Every `assign` is one gate of the netlist we measured. The same 8-bit adder that MyHDL simulated
# now runs in a Verilog simulator and agrees with the numpy twin on every vector: three descriptions
# (numpy, MyHDL, Verilog), one behaviour.

# %% [markdown]
# ## Summary
#
# * A number on wires is a bit pattern; **two's complement** gives the top bit the weight −2^(n−1),
#   so one adder serves signed and unsigned numbers. Out of range, an adder **wraps**; a saturating
#   unit **clamps**. Inside a long sum wrapping is harmless if the final sum fits; at an output,
#   saturation is the lesser evil.
# * A **full adder** (two half adders and an OR) adds three bits; `n` of them in a chain make the
#   **ripple-carry adder**: small (5n gates) but slow (2n + 1 gate levels).
# * Carries are a **prefix** computation of (generate, propagate) pairs. **Kogge–Stone** computes
#   them in ⌈log₂(n + 1)⌉ levels, at the cost of about n·log₂ n gates: area against delay.
# * Depth was **measured from the gates**, and the unit-delay replay showed what depth means: a
#   window in which the output is garbage, and glitches that cost power.
#
# **Exercises for this lesson**
#
# | exercise | what you build | check |
# |---|---|---|
# | `exercises/ex01_twos_complement.py` | `encode` / `decode` two's complement by hand | `chipkit grade --only ex01` |
# | `exercises/ex02_full_adder.py` | a full adder from its equations, in one `@always_comb` | `chipkit grade --only ex02` |
# | `exercises/ex03_ripple_carry_adder.py` | the ripple-carry adder from full adders | `chipkit grade --only ex03` |
# | `exercises/ex04_prefix_carries.py` | the Kogge–Stone carries, level by level | `chipkit grade --only ex04` |
#
# **Next**, lesson 02: multiplying. A multiplier is a grid of AND gates feeding a tree of adders,
# and negative numbers need one more trick.
