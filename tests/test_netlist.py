"""The netlist read back from structural blocks: its values equal the twin, its depth grows linearly
for ripple carry and logarithmically for Kogge-Stone, and a unit-delay replay settles to the sum."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from myhdl import Signal, intbv

from chipkit.errors import ConfigError
from chipkit.flow.netlist import Netlist
from chipkit.hdl.adders import full_adder, kogge_stone_adder, ripple_carry_adder
from chipkit.hdl.multipliers import baugh_wooley_multiplier


def adder(factory, w):
    a, b, s = (Signal(intbv(0)[w:]) for _ in range(3))
    return Netlist(factory(a, b, Signal(bool(0)), s, Signal(bool(0)), width=w))


@settings(max_examples=30)
@given(st.integers(1, 24), st.data())
def test_netlist_evaluates_like_an_adder(w, data):
    a, b = data.draw(st.integers(0, (1 << w) - 1)), data.draw(st.integers(0, (1 << w) - 1))
    c = data.draw(st.integers(0, 1))
    for factory in (ripple_carry_adder, kogge_stone_adder):
        nl = adder(factory, w)
        val = nl.evaluate({"a": a, "b": b, "cin": c})
        assert nl.read(val, "s") + (nl.read(val, "cout") << w) == a + b + c


@pytest.mark.parametrize("w", [1, 2, 4, 8, 16, 32])
def test_depth_ripple_linear_prefix_logarithmic(w):
    ripple, ks = adder(ripple_carry_adder, w), adder(kogge_stone_adder, w)
    # ripple: cin -> cout through 2 gates per bit, plus the first XOR; sum bits arrive one by one
    assert ripple.depth("cout") == [2 * w + 1]
    assert ripple.depth("s") == [2 * i + 2 for i in range(w)]
    # Kogge-Stone: g (1 gate) + AND-OR per prefix level (2) + the sum XOR (1); the last of the
    # ceil(log2(w + 1)) levels only merges cin into the carry out, which needs no sum XOR
    if w > 1:
        assert ks.max_depth() == 2 * math.ceil(math.log2(w)) + 2
    assert ks.depth("cout") == [2 * math.ceil(math.log2(w + 1))] or w == 1
    assert ripple.count()["xor2"] == 2 * w and sum(ripple.count().values()) == 5 * w


def test_full_adder_gate_count_and_depth():
    nl = Netlist(full_adder(*(Signal(bool(0)) for _ in range(5))))
    assert nl.count() == {"xor2": 2, "and2": 2, "or2": 1}
    assert nl.depth("s") == [2] and nl.depth("cout") == [3]


def test_signed_multiplier_netlist_with_constants():
    w = 4
    a, b = (Signal(intbv(0, min=-8, max=8)) for _ in range(2))
    nl = Netlist(baugh_wooley_multiplier(a, b, Signal(intbv(0, min=-128, max=128)), w, w))
    for x in range(-8, 8):
        for y in range(-8, 8):
            assert nl.read(nl.evaluate({"a": x % 16, "b": y % 16}), "p", signed=True) == x * y
    assert nl.count()["nand2"] == 2 * (w - 1)


def test_unit_delay_replay_shows_the_carry_ripple():
    nl = adder(ripple_carry_adder, 8)
    steps = nl.unit_delay({"a": 0, "b": 0, "cin": 0}, {"a": 255, "b": 1, "cin": 0})
    sums = [nl.read(v, "s") for v in steps]
    assert sums[0] == 0 and sums[-1] == 0 and nl.read(steps[-1], "cout") == 1
    assert 255 - 1 in sums or 0b11111110 in sums  # the carry has not yet cleared the upper bits
    # t=1 applies the inputs, then one step per gate level: the carry crosses 2 gates per bit
    assert 2 * 8 <= len(steps) - 2 <= nl.max_depth()


def test_bad_use_names_the_ports():
    nl = adder(ripple_carry_adder, 4)
    msg = r"no port 'x'; the ports are \['a', 'b', 'cin', 'cout', 's'\]"
    with pytest.raises(ConfigError, match=msg):
        nl.depth("x")
    with pytest.raises(ConfigError, match="elaborated MyHDL block"):
        Netlist(ripple_carry_adder)
