"""Graded: exercise 4, Kogge-Stone carries in plain Python (solutions/ex04_prefix_carries.py).

Carries against a serial carry loop, the level count, and how many gates deep each carry is.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipkit.grading.checks import GRADED, TracedBit


def serial_carries(g, p, cin):
    """The ripple-carry way: carry into bit i+1 = g[i] OR (p[i] AND carry into bit i)."""
    carries = [cin]
    for gi, pi in zip(g, p):
        carries.append(gi | (pi & carries[-1]))
    return carries


@st.composite
def gp_bits(draw):
    n = draw(st.integers(1, 64))
    bits = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    return draw(bits), draw(bits), draw(st.integers(0, 1))


def result(mod, g, p, cin):
    out = mod.prefix_carries(list(g), list(p), cin)
    assert isinstance(out, tuple) and len(out) == 2, (
        f"prefix_carries should return (carries, levels), got {out!r}"
    )
    carries, levels = out
    assert len(carries) == len(g) + 1, (
        f"with {len(g)} bits, carries should have {len(g) + 1} entries (carry into each bit, then "
        f"the carry out), got {len(carries)}"
    )
    return list(carries), levels


@pytest.mark.points(2)
@GRADED
@given(gp_bits())
def test_carries_match_a_serial_chain(mod, case):
    g, p, cin = case
    carries, _ = result(mod, g, p, cin)
    want = serial_carries(g, p, cin)
    for i, (got, exp) in enumerate(zip(carries, want)):
        assert got == exp, f"g={g} p={p} cin={cin}: carry into bit {i} should be {exp}, got {got}"


@pytest.mark.points(1)
def test_levels_are_ceil_log2_of_n_plus_1(mod):
    for n in range(1, 65):
        _, levels = result(mod, [0] * n, [1] * n, 1)
        want = n.bit_length()  # == ceil(log2(n + 1))
        assert levels == want, f"{n} bits take ceil(log2({n} + 1)) = {want} levels, not {levels}"


@pytest.mark.points(1)
@pytest.mark.parametrize("n", [8, 32, 64])
def test_every_carry_is_logarithmically_deep(mod, n):
    rng = np.random.default_rng(n)
    g = [TracedBit(x) for x in rng.integers(0, 2, n)]
    p = [TracedBit(x) for x in rng.integers(0, 2, n)]
    carries, _ = result(mod, g, p, TracedBit(1))
    want = serial_carries([x.value for x in g], [x.value for x in p], 1)
    limit = 2 * n.bit_length()  # an AND and an OR per level
    for i, c in enumerate(carries):
        value, depth = (c.value, c.depth) if isinstance(c, TracedBit) else (c, 0)
        assert value == want[i], f"{n} bits: carry into bit {i} should be {want[i]}, got {value}"
        assert depth <= limit, (
            f"{n} bits: carry into bit {i} went through {depth} gate levels; a parallel prefix "
            f"needs at most {limit} ({n.bit_length()} levels of AND + OR): combine groups "
            f"d = 1, 2, 4, ... apart, every position at once"
        )
