"""Blocks reject impossible parameters with a ChipkitError that says what to change."""
import pytest
from myhdl import ResetSignal, Signal, intbv

from chipkit.errors import ChipkitError
from chipkit.hdl.adders import kogge_stone_adder, ripple_carry_adder
from chipkit.hdl.mac import mac
from chipkit.hdl.multipliers import array_multiplier, baugh_wooley_multiplier


def sig(w, signed=False):
    if signed:
        return Signal(intbv(0, min=-(1 << (w - 1)), max=1 << (w - 1)))
    return Signal(intbv(0)[w:])


@pytest.mark.parametrize("factory", [ripple_carry_adder, kogge_stone_adder])
@pytest.mark.parametrize("width", [0, -4])
def test_adder_width_must_be_positive(factory, width):
    with pytest.raises(ChipkitError, match=f"width must be at least 1 bit, got {width}"):
        factory(sig(4), sig(4), Signal(bool(0)), sig(4), Signal(bool(0)), width=width)


@pytest.mark.parametrize("factory", [array_multiplier, baugh_wooley_multiplier])
def test_multiplier_widths_must_be_positive_integers(factory):
    with pytest.raises(ChipkitError, match="width_a must be at least 1 bit"):
        factory(sig(4), sig(4), sig(8), width_a=0, width_b=4)
    with pytest.raises(ChipkitError, match="width_b must be a positive integer number of bits"):
        factory(sig(4), sig(4), sig(8), width_a=4, width_b="4")


def mac_ports(acc_width=32):
    clock, reset = Signal(bool(0)), ResetSignal(0, active=1, isasync=False)
    return (clock, reset, sig(8, True), sig(8, True), Signal(bool(0)), Signal(bool(0)),
            sig(acc_width, True))


def test_mac_rejects_unknown_multiplier():
    msg = r"multiplier must be one of \('behavioral', 'baugh_wooley'\)"
    with pytest.raises(ChipkitError, match=msg):
        mac(*mac_ports(), multiplier="wallace")


def test_mac_rejects_an_accumulator_narrower_than_a_product():
    with pytest.raises(ChipkitError, match=r"accumulator \(12 bits\) must be at least as wide"):
        mac(*mac_ports(12))
