"""Each PE of the systolic array, in MyHDL and in converted Verilog, equals a few lines of numpy
(the rule chipkit.models.array_fast applies to every PE at once), on random and extreme operands."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from myhdl import ResetSignal, Signal, block, intbv, modbv

from chipkit.errors import ChipkitError
from chipkit.flow.check import compare
from chipkit.flow.convert import analyse_vhdl, convert, lint_verilog
from chipkit.flow.resim import run_iverilog
from chipkit.flow.sim import Bench, int_template
from chipkit.hdl.pe import os_pe, ws_pe
from chipkit.numerics import wrap32

I8, I32 = int_template(8, True), int_template(32, True)
W32 = modbv(0, min=-(2**31), max=2**31)  # partial sums wrap


@block
def ws_pe_top(clock, reset, a_in, w_in, w_load, a_out, p_out, w_out):
    """A top-row WS PE (no partial sum from above) as a block of its own, for the bench."""
    return ws_pe(clock, reset, a_in, None, w_in, w_load, a_out, p_out, w_out)


@block
def os_pe_top(clock, reset, a_in, b_in, drain, a_out, b_out, acc_out):
    """A top-row OS PE (zeros enter from above while draining)."""
    return os_pe(clock, reset, a_in, b_in, None, drain, a_out, b_out, acc_out)


def ws_bench(top=False):
    ins = {"a_in": I8, **({} if top else {"p_in": I32}), "w_in": I8, "w_load": bool(0)}
    return Bench(ws_pe_top if top else ws_pe, ins, {"a_out": I8, "p_out": W32, "w_out": I8},
                 clocked=True)


def os_bench(top=False):
    ins = {"a_in": I8, "b_in": I8, **({} if top else {"acc_in": I32}), "drain": bool(0)}
    return Bench(os_pe_top if top else os_pe, ins, {"a_out": I8, "b_out": I8, "acc_out": W32},
                 clocked=True)


def ws_twin(v):
    """Per step: p <- wrap32(p_in + a_in * w) with the weight held before the edge; a <- a_in;
    w <- w_in when w_load. Reset clears every register."""
    a = p = w = 0
    out = {"a_out": [], "p_out": [], "w_out": []}
    for t in range(len(v["a_in"])):
        if v["reset"][t]:
            a = p = w = 0
        else:
            above = int(v["p_in"][t]) if "p_in" in v else 0  # the top row adds to 0
            p = int(wrap32(above + int(v["a_in"][t]) * w))
            a = int(v["a_in"][t])
            w = int(v["w_in"][t]) if v["w_load"][t] else w
        for k, x in zip(("a_out", "p_out", "w_out"), (a, p, w)):
            out[k].append(x)
    return {k: np.array(x) for k, x in out.items()}


def os_twin(v):
    """Per step: acc <- acc_in (0 on the top row) if drain else wrap32(acc + a_in * b_in); a <-
    a_in; b <- b_in."""
    a = b = acc = 0
    out = {"a_out": [], "b_out": [], "acc_out": []}
    for t in range(len(v["a_in"])):
        if v["reset"][t]:
            a = b = acc = 0
        else:
            above = int(v["acc_in"][t]) if "acc_in" in v else 0
            acc = above if v["drain"][t] else int(wrap32(acc + int(v["a_in"][t] * v["b_in"][t])))
            a, b = int(v["a_in"][t]), int(v["b_in"][t])
        for k, x in zip(("a_out", "b_out", "acc_out"), (a, b, acc)):
            out[k].append(x)
    return {k: np.array(x) for k, x in out.items()}


EXTREME8 = np.array([-128, -127, -1, 0, 1, 127])
EXTREME32 = np.array([-(2**31), -(2**31) + 1, -1, 0, 1, 2**31 - 16384, 2**31 - 1])


def random_vectors(rng, n, names):
    """n steps of random inputs for `names`, a third of the operands extreme; reset at step 0."""
    v = {"reset": np.zeros(n, dtype=np.int64)}
    v["reset"][0] = 1
    for k in names:
        if k in ("w_load", "drain"):
            v[k] = (rng.random(n) < 0.3).astype(np.int64)
            continue
        wide = k in ("p_in", "acc_in")
        x = rng.integers(-(2**31), 2**31, n) if wide else rng.integers(-128, 128, n)
        mask = rng.random(n) < 0.35
        x[mask] = rng.choice(EXTREME32 if wide else EXTREME8, mask.sum())
        v[k] = x
    return v


CASES = {"ws": (ws_bench, ws_twin), "ws_top": (lambda: ws_bench(True), ws_twin),
         "os": (os_bench, os_twin), "os_top": (lambda: os_bench(True), os_twin)}


def check(got, want, v, label):
    compare(got, want, v, label)


@pytest.mark.parametrize("name", CASES)
def test_pe_equals_twin_on_random_and_extreme_operands(name):
    make, twin = CASES[name]
    bench = make()
    v = random_vectors(np.random.default_rng(3), 400, bench.inputs)
    check(bench.run_myhdl(v), twin(v), v, name)


@settings(max_examples=30)
@given(data=st.data(), name=st.sampled_from(sorted(CASES)))
def test_pe_property(data, name):
    make, twin = CASES[name]
    bench = make()
    n = data.draw(st.integers(1, 12))
    i8 = st.one_of(st.sampled_from([-128, 127, 0, -1]), st.integers(-128, 127))
    i32 = st.one_of(st.sampled_from([-(2**31), 2**31 - 1, 2**31 - 16384]),
                    st.integers(-(2**31), 2**31 - 1))
    v = {"reset": np.zeros(n, dtype=np.int64)}
    kinds = {"w_load": st.integers(0, 1), "drain": st.integers(0, 1), "p_in": i32, "acc_in": i32}
    for k in bench.inputs:
        v[k] = np.array(data.draw(st.lists(kinds.get(k, i8), min_size=n, max_size=n)))
    check(bench.run_myhdl(v), twin(v), v, name)


def test_ws_partial_sum_wraps_at_int32():
    """2**31 - 1 + 127 * 127 wraps to a negative number, -2**31 + (-128 * 127) to a positive one;
    the product uses the weight held before the edge, not the one being loaded."""
    bench = ws_bench()
    v = {"a_in": np.array([100, 127, -128]), "p_in": np.array([0, 2**31 - 1, -(2**31)]),
         "w_in": np.array([127, -5, 0]), "w_load": np.array([1, 0, 0]),
         "reset": np.zeros(3, dtype=np.int64)}
    want = [0, 2**31 - 1 + 127 * 127 - 2**32, -(2**31) - 128 * 127 + 2**32]
    assert list(ws_twin(v)["p_out"]) == want
    assert list(bench.run_myhdl(v)["p_out"]) == want


def test_os_accumulator_wraps_and_drains():
    """Drain loads 2**31 - 127*127; + 127*127 wraps to -2**31; + (-128)*127 wraps back up;
    a drain replaces acc by the PE above's acc."""
    bench = os_bench()
    v = {"a_in": np.array([0, 127, -128, 5]), "b_in": np.array([0, 127, 127, 5]),
         "acc_in": np.array([2**31 - 127 * 127, 0, 0, -7]), "drain": np.array([1, 0, 0, 1]),
         "reset": np.zeros(4, dtype=np.int64)}
    want = [2**31 - 127 * 127, -(2**31), 2**31 - 128 * 127, -7]
    assert list(os_twin(v)["acc_out"]) == want
    assert list(bench.run_myhdl(v)["acc_out"]) == want


def test_pe_rejects_a_partial_sum_that_cannot_wrap():
    clock, reset = Signal(bool(0)), ResetSignal(0, active=1, isasync=False)
    i8 = [Signal(intbv(0, min=-128, max=128)) for _ in range(5)]
    with pytest.raises(ChipkitError, match=r"p_out must be a wrapping register, Signal\(modbv"):
        ws_pe(clock, reset, i8[0], None, i8[1], Signal(bool(0)), i8[2], Signal(I32), i8[3])
    narrow = Signal(modbv(0, min=-(2**11), max=2**11))
    with pytest.raises(ChipkitError, match=r"acc_out has 12 bits, fewer than a product \(16\)"):
        os_pe(clock, reset, i8[0], i8[1], None, Signal(bool(0)), i8[2], i8[3], narrow)


@pytest.fixture(scope="module")
def converted_pe(tmp_path_factory):
    cache = {}

    def get(name, hdl):
        if (name, hdl) not in cache:
            cache[name, hdl] = convert(CASES[name][0](), tmp_path_factory.mktemp("pe"), hdl)
        return cache[name, hdl]

    return get


@pytest.mark.hdl
@pytest.mark.parametrize("name", CASES)
def test_converted_pe_equals_twin_in_iverilog(name, iverilog, verilator, converted_pe):
    make, twin = CASES[name]
    v = random_vectors(np.random.default_rng(5), 3000, make().inputs)
    check(run_iverilog(make(), v, converted_pe(name, "Verilog")), twin(v), v, name + " Verilog")
    lint_verilog(converted_pe(name, "Verilog"))


@pytest.mark.hdl
@pytest.mark.parametrize("name", CASES)
def test_pe_vhdl_analyses(name, ghdl, converted_pe):
    analyse_vhdl(converted_pe(name, "VHDL"))
