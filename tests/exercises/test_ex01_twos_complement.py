"""Graded: exercise 1, two's complement encode/decode (solutions/ex01_twos_complement.py).

Compared with chipkit.numerics.to_twos / from_twos at every width from 1 to 64 bits.
"""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipkit.grading.checks import GRADED, plain
from chipkit.numerics import from_twos, signed_range, to_twos

#: what these tests compare against: switched off in the student's process while grading
WITHHELD = ("chipkit.numerics.to_twos", "chipkit.numerics.from_twos")

WIDTHS = (1, 2, 7, 8, 9, 16, 31, 32, 33, 63, 64)
TOO_BIG = [("encode", (128, 8)), ("encode", (-129, 8)), ("encode", (1, 1)), ("encode", (2**63, 64)),
           ("decode", (256, 8)), ("decode", (-1, 8)), ("decode", (2, 1))]


@st.composite
def signed_values(draw):
    width = draw(st.integers(1, 64))
    lo, hi = signed_range(width)
    extremes = st.sampled_from([lo, hi, 0, -1 if width > 1 else 0])
    value = draw(st.one_of(extremes, st.integers(lo, hi)))
    return value, width


@st.composite
def patterns(draw):
    width = draw(st.integers(1, 64))
    top = (1 << width) - 1
    return draw(st.one_of(st.sampled_from([0, top, top >> 1, (top >> 1) + 1]),
                          st.integers(0, top))), width


@pytest.mark.points(2)
@GRADED
@given(signed_values())
def test_encode(mod, case):
    value, width = case
    got, want = mod.encode(value, width), to_twos(value, width)
    plain(got, int, f"encode({value}, {width})")
    assert got == want, f"encode({value}, {width}): expected {want:#b}, got {got!r}"


@pytest.mark.points(1)
def test_encode_extremes(mod):
    for width in WIDTHS:
        lo, hi = signed_range(width)
        for value in (lo, hi, 0, -1 if width > 1 else 0):
            got, want = mod.encode(value, width), to_twos(value, width)
            plain(got, int, f"encode({value}, {width})")
            assert got == want, f"encode({value}, {width}): expected {want:#b}, got {got!r}"


@pytest.mark.points(2)
@GRADED
@given(patterns())
def test_decode(mod, case):
    bits, width = case
    got, want = mod.decode(bits, width), from_twos(bits, width)
    plain(got, int, f"decode({bits:#b}, {width})")
    assert got == want, f"decode({bits:#b}, {width}): expected {want}, got {got!r}"


@pytest.mark.points(1)
def test_refuses_what_does_not_fit(mod):
    for call, args in TOO_BIG:
        try:
            got = getattr(mod, call)(*args)
        except ValueError:
            continue
        pytest.fail(f"{call}{args} returned {got!r}: it should raise ValueError, the value does "
                    f"not fit in {args[1]} bits")
