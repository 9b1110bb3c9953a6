"""The core's double-buffered array (chipkit.hdl.core_array) against numpy: a tile loads into one
weight buffer while rows stream through the other, and every row multiplies with the buffer it
was sent with -- even when consecutive rows alternate buffers. MyHDL, then the converted Verilog
in Icarus and the VHDL in GHDL, on the same vectors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from myhdl import intbv

from chipkit.backends.array_rtl import pack_lanes, unpack_lanes
from chipkit.flow.resim import run_iverilog
from chipkit.flow.resim_vhdl import run_ghdl
from chipkit.flow.sim import Bench
from chipkit.hdl.core_array import core_array


def bench(lanes: int) -> Bench:
    bus = lambda bits: intbv(0)[lanes * bits:]  # noqa: E731
    inputs = {"w_in": bus(8), "w_load": bool(0), "w_buf": bool(0), "a_in": bus(8),
              "a_sel": bool(0), "a_valid": bool(0)}
    return Bench(core_array, inputs, {"c_out": bus(32), "c_valid": bool(0)}, {"lanes": lanes},
                 clocked=True)


def program(w0, w1, a, sel):
    """Vectors: load W0 into buffer 0 (L cycles, last row first); then load W1 into buffer 1
    while the first rows of A stream with buffer 0; then every row of A with its own select.
    Returns (vectors, expected c rows in order)."""
    L, m = w0.shape[0], len(a)
    steps = L + max(L, m) + 2 * L + 1
    v = {k: np.zeros(steps, dtype=object) for k in ("w_in", "w_load", "w_buf", "a_in", "a_sel",
                                                       "a_valid", "reset")}
    v["reset"][0] = 1
    for t in range(L):  # W0, then W1 while A streams
        v["w_in"][1 + t], v["w_load"][1 + t] = pack_lanes(w0[L - 1 - t]), 1
        v["w_in"][1 + L + t], v["w_load"][1 + L + t], v["w_buf"][1 + L + t] = (
            pack_lanes(w1[L - 1 - t]), 1, 1)
    sel = np.where(np.arange(m) < L, 0, sel)  # rows in W1's loading window use buffer 0
    for i in range(m):
        t = 1 + L + i
        v["a_in"][t], v["a_sel"][t], v["a_valid"][t] = pack_lanes(a[i]), int(sel[i]), 1
    want = np.stack([a[i] @ (w1 if sel[i] else w0) for i in range(m)])
    return {k: x.astype(np.int64) if k != "w_in" and k != "a_in" else x for k, x in v.items()}, \
        (want + 2**31) % 2**32 - 2**31


def rows(out, lanes):
    valid = np.asarray(out["c_valid"]).astype(bool)
    return unpack_lanes(np.asarray(out["c_out"], dtype=object)[valid], lanes)


def operands(draw, lanes):
    ints = st.integers(-128, 127)
    m = draw(st.integers(1, 3 * lanes))
    mat = lambda r, c: np.array(draw(st.lists(ints, min_size=r * c, max_size=r * c)),  # noqa: E731
                                dtype=np.int64).reshape(r, c)
    sel = np.array(draw(st.lists(st.integers(0, 1), min_size=m, max_size=m)))
    return mat(lanes, lanes), mat(lanes, lanes), mat(m, lanes), sel


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_each_row_uses_the_buffer_it_was_sent_with(data):
    lanes = data.draw(st.sampled_from([2, 3, 4]))
    vec, want = program(*operands(data.draw, lanes))
    np.testing.assert_array_equal(rows(bench(lanes).run_myhdl(vec), lanes), want)


@pytest.mark.parametrize("lanes", [2, 4])
def test_extremes_wrap_like_int32(lanes):
    full = np.full((lanes, lanes), -128)
    a = np.full((3 * lanes, lanes), -128)
    vec, want = program(full, -full - 1, a, np.arange(3 * lanes) % 2)  # -128 and 127
    np.testing.assert_array_equal(rows(bench(lanes).run_myhdl(vec), lanes), want)


@pytest.mark.parametrize("lanes", [2, 4])
def test_converted_verilog_and_vhdl_agree(lanes, iverilog, ghdl):
    rng = np.random.default_rng(lanes)
    w0, w1 = rng.integers(-128, 128, (2, lanes, lanes))
    a = rng.integers(-128, 128, (3 * lanes, lanes))
    vec, want = program(w0, w1, a, rng.integers(0, 2, 3 * lanes))
    b = bench(lanes)
    mine = b.run_myhdl(vec)
    for out in (run_iverilog(b, vec), run_ghdl(b, vec)):
        np.testing.assert_array_equal(np.asarray(out["c_valid"])[1:],
                                      np.asarray(mine["c_valid"])[1:])
        np.testing.assert_array_equal(rows({k: np.asarray(v)[1:] for k, v in out.items()}, lanes),
                                      want)
