"""Graded: exercise 5, radix-4 Booth recoding and the multiply built on it (solutions/ex05_...py).

Digits against the Booth rule at widths 2..16 (extremes included), their sum, and the product.
"""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipkit.grading.checks import GRADED, plain
from chipkit.numerics import signed_range


def rule(b, width):
    """d_i = -2 b[2i+1] + b[2i] + b[2i-1], b[-1] = 0, bits above the top copy the sign."""
    bit = [(b >> k) & 1 for k in range(width + 1)]  # >> on a negative int copies the sign bit
    return [-2 * bit[2 * i + 1] + bit[2 * i] + (bit[2 * i - 1] if i else 0)
            for i in range((width + 1) // 2)]


@st.composite
def signed(draw, width):
    lo, hi = signed_range(width)
    return draw(st.one_of(st.sampled_from([lo, hi, 0, -1, 1, lo + 1]), st.integers(lo, hi)))


@st.composite
def operands(draw):
    width = draw(st.integers(2, 16))
    return draw(signed(width)), draw(signed(width)), width


@pytest.mark.points(1)
@GRADED
@given(operands())
def test_digit_count_and_values(mod, case):
    _, b, width = case
    digits = list(mod.booth_recode(b, width))
    n = (width + 1) // 2
    assert len(digits) == n, f"booth_recode({b}, {width}): {width} bits make {n} digits: {digits}"
    assert all(d in (-2, -1, 0, 1, 2) for d in digits), (
        f"booth_recode({b}, {width}) = {digits}: every digit must be one of -2, -1, 0, 1, 2"
    )


@pytest.mark.points(1)
@GRADED
@given(operands())
def test_digits_add_up_to_b(mod, case):
    _, b, width = case
    digits = list(mod.booth_recode(b, width))
    total = sum(d * 4**i for i, d in enumerate(digits))
    assert total == b, f"booth_recode({b}, {width}) = {digits}: sum(d_i * 4**i) is {total}, not {b}"


@pytest.mark.points(2)
@GRADED
@given(operands())
def test_digits_follow_the_booth_rule(mod, case):
    _, b, width = case
    got, want = list(mod.booth_recode(b, width)), rule(b, width)
    assert got == want, (
        f"booth_recode({b}, {width}): expected {want} (least significant first), got {got}"
    )


@pytest.mark.points(1)
@GRADED
@given(operands())
def test_product(mod, case):
    a, b, width = case
    got = plain(mod.booth_multiply(a, b, width), int, f"booth_multiply({a}, {b}, {width})")
    assert got == a * b, f"booth_multiply({a}, {b}, {width}): expected {a * b}, got {got!r}"


@pytest.mark.points(1)
def test_product_adds_booth_partial_products(mod):
    mod.booth_recode = lambda b, width: [1, -2, 2]  # not b's digits: the sum shows what was used
    got = mod.booth_multiply(3, 5, 6)
    want = 3 * (1 - 2 * 4 + 2 * 16)
    assert got == want, (
        f"booth_multiply should add d_i * a * 4**i over booth_recode(b, width): with digits "
        f"[1, -2, 2] and a = 3 that is {want}, got {got!r}"
    )
