"""Graded: exercise 7, one clock edge of a WS and an OS PE (solutions/ex07_pe_update.py).

The reference is the fast cycle-exact model itself: a PE's registers are set, one edge is stepped.
"""
import itertools

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chipkit.config import ArrayConfig
from chipkit.grading.checks import GRADED, plain
from chipkit.models.array_fast import FastArray
from chipkit.numerics import INT32_MAX, INT32_MIN, wrap32

#: what these tests compare against: switched off in the student's process while grading
WITHHELD = (
    "chipkit.numerics.wrap32",
    "chipkit.numerics.wrap",
    "chipkit.models.array_fast.FastArray",
)

int8 = st.integers(-128, 127)
INT32_EDGES = [INT32_MIN, INT32_MIN + 1, -16384, -1, 0, 1, 16383, INT32_MAX - 16383, INT32_MAX]
int32 = (st.integers(INT32_MIN, INT32_MAX) | st.sampled_from(INT32_EDGES)
         | st.integers(INT32_MAX - 2**15, INT32_MAX) | st.integers(INT32_MIN, INT32_MIN + 2**15))
INT8_CORNERS = [-128, -127, -1, 0, 1, 126, 127]


def fast_ws_pe(a_in, p_in, w):
    """PE (1, 0) of a 2 x 1 WS FastArray, one case per fold: its weight, the partial sum above it
    and the activation its skew register holds are set; one edge; (a, p) of the PE are read."""
    a_in, p_in, w = (np.atleast_1d(np.asarray(x, dtype=np.int64)) for x in (a_in, p_in, w))
    f = len(a_in)
    arr = FastArray(ArrayConfig(2, 1, "ws"), f)
    arr.w[:, 1, 0], arr.p[:, 0, 0], arr.skew[:, 1, 0] = w, p_in, a_in
    arr.step({"a_in": np.zeros((f, 2), np.int64), "w_in": np.zeros((f, 1), np.int64),
              "w_load": 0, "a_valid": 0})
    return arr.a[:, 1, 0], arr.p[:, 1, 0]


def fast_os_pe(a_in, b_in, acc):
    """The PE of a 1 x 1 OS FastArray, one case per fold: acc set, one edge with a_in, b_in."""
    a_in, b_in, acc = (np.atleast_1d(np.asarray(x, dtype=np.int64)) for x in (a_in, b_in, acc))
    arr = FastArray(ArrayConfig(1, 1, "os"), len(a_in))
    arr.acc[:, 0, 0] = acc
    arr.step({"a_in": a_in[:, None], "b_in": b_in[:, None], "drain": 0})
    return arr.a[:, 0, 0], arr.b[:, 0, 0], arr.acc[:, 0, 0]


def call(fn, args, size):
    out = fn(*args)
    assert isinstance(out, tuple) and len(out) == size, (
        f"{fn.__name__}{args} should return a tuple of {size} ints, got {out!r}")
    for x in out:
        plain(x, int, f"{fn.__name__}{args}: an entry of the tuple it")
    return out


def check_ws(mod, a_in, p_in, w):
    want = tuple(int(x[0]) for x in fast_ws_pe(a_in, p_in, w))
    got = call(mod.ws_pe_step, (a_in, p_in, w), 2)
    assert got == want, (f"ws_pe_step(a_in={a_in}, p_in={p_in}, w={w}) should be "
                         f"(a_out, p_out) = {want}, got {got}")


def check_os(mod, a_in, b_in, acc):
    want = tuple(int(x[0]) for x in fast_os_pe(a_in, b_in, acc))
    got = call(mod.os_pe_step, (a_in, b_in, acc), 3)
    assert got == want, (f"os_pe_step(a_in={a_in}, b_in={b_in}, acc={acc}) should be "
                         f"(a_out, b_out, acc_out) = {want}, got {got}")


@pytest.mark.points(1)
@GRADED
@given(st.integers(-(2**40), 2**40) | st.sampled_from([INT32_MAX + 1, INT32_MIN - 1, 2**32]))
@example(2**31)
@example(-(2**31) - 1)
@example(INT32_MAX)
def test_wrap32(mod, x):
    got = plain(mod.wrap32(x), int, f"wrap32({x})")
    assert got == wrap32(x), f"wrap32({x}) should be {wrap32(x)}, got {got}"


@pytest.mark.points(2)
@GRADED
@given(int8, int32, int8)
@example(1, INT32_MAX, 1)
@example(-128, INT32_MIN, 127)
def test_ws_step_matches_the_fast_model(mod, a_in, p_in, w):
    check_ws(mod, a_in, p_in, w)


@pytest.mark.points(2)
@GRADED
@given(int8, int8, int32)
@example(-128, -128, INT32_MAX)
@example(127, -128, INT32_MIN)
def test_os_step_matches_the_fast_model(mod, a_in, b_in, acc):
    check_os(mod, a_in, b_in, acc)


@pytest.mark.points(1)
def test_every_int8_corner_at_the_int32_edges(mod):
    for a, w, p in itertools.product(INT8_CORNERS, INT8_CORNERS, INT32_EDGES):
        check_ws(mod, a, p, w)
        check_os(mod, a, w, p)
