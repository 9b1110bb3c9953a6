"""Graded: exercise 3, a ripple-carry adder built from full adders (solutions/ex03_...py).

Random and edge-case sums at widths 1, 4, 8 against chipkit.models.arith.add; `width` full adders.
The block is elaborated and simulated in the student's process (chipkit.grading.probes); its
outputs and its make-up are judged here.
"""
import numpy as np
import pytest

from chipkit.models.arith import add

#: what these tests compare against: switched off in the student's process while grading
WITHHELD = ("chipkit.models.arith.add", "chipkit.hdl.adders.ripple_carry_adder")


FULL_ADDER = "chipkit.hdl.adders.full_adder"


def ports(width, params=None):
    """The probes' description of the block: name, parameters, inputs and outputs by width."""
    bus = width if width > 1 else 0  # 0: a one-bit port (a bool)
    return ("ripple_carry_adder", {"width": width} if params is None else params,
            {"a": bus, "b": bus, "cin": 0}, {"s": bus, "cout": 0})


def check(mod, width, a, b, cin):
    got = mod.probe("simulate", *ports(width), {"a": a, "b": b, "cin": cin})
    s, cout = add(a, b, cin, width)
    for t in range(len(a)):
        assert (got["s"][t], got["cout"][t]) == (s[t], cout[t]), (
            f"width {width}: {a[t]} + {b[t]} + cin {cin[t]}: expected s={s[t]} cout={cout[t]}, "
            f"got s={got['s'][t]} cout={got['cout'][t]}"
        )


@pytest.mark.points(1)
@pytest.mark.parametrize("width", [1, 4, 8])
def test_adds_random_numbers(mod, width):
    rng = np.random.default_rng(width)
    a, b = rng.integers(0, 2**width, size=(2, 40))
    check(mod, width, a, b, rng.integers(0, 2, size=40))


@pytest.mark.points(1)
@pytest.mark.parametrize("width", [4, 8])
def test_carry_ripples_through_every_bit(mod, width):
    top = 2**width - 1
    alt = int("01" * width, 2) & top
    cases = [(top, 0, 1), (0, top, 1), (top, top, 1), (top, top, 0), (0, 0, 0), (0, 0, 1),
             (top, 1, 0), (1, top, 0), (alt, top ^ alt, 1), (alt, top ^ alt, 0), (top, 0, 0)]
    a, b, cin = (np.array(col) for col in zip(*cases))
    check(mod, width, a, b, cin)


@pytest.mark.points(2)
def test_is_built_from_full_adders(mod):
    for width in (1, 4, None):  # None: the default width, 8
        made = mod.probe("structure", *ports(width or 8, None if width else {}), [FULL_ADDER])
        found, nested = made["counts"][FULL_ADDER]
        assert found == (width or 8), (
            f"ripple_carry_adder(width={width or 8}) should contain {width or 8} "
            f"chipkit.hdl.adders.full_adder instances of its own, found {found}"
            + (f" (and {nested} inside other blocks)" if nested > found else "")
        )
