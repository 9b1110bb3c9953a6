"""Every arithmetic block, simulated in MyHDL, equals its numpy twin: exhaustively where that takes
seconds, on random and extreme vectors (hypothesis) otherwise."""
import numpy as np
import pytest
from blocks import CASES, adder_case, mac_case, multiplier_case
from hypothesis import given, settings
from hypothesis import strategies as st

from chipkit.flow.check import compare
from chipkit.hdl.adders import kogge_stone_adder, ripple_carry_adder
from chipkit.hdl.multipliers import array_multiplier, baugh_wooley_multiplier
from chipkit.models import arith


def check(case, vectors):
    compare(case.bench().run_myhdl(vectors), case.twin(vectors), vectors, case.name)


# gate-level 16/32-bit blocks and 8x8 multipliers simulate slowly in MyHDL: fewer vectors there
SIZES = {"[16]": 40, "[32]": 24, "[8x8]": 40, "[8x4]": 60}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_random_and_extreme_vectors(case):
    n = next((v for k, v in SIZES.items() if k in case.name), 150)
    check(case, case.vectors(np.random.default_rng(7), n))


@pytest.mark.parametrize("factory", [ripple_carry_adder, kogge_stone_adder])
@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_small_adders_exhaustive(factory, width):
    grid = np.meshgrid(np.arange(1 << width), np.arange(1 << width), np.arange(2), indexing="ij")
    check(adder_case(factory, width), dict(zip(("a", "b", "cin"), (g.ravel() for g in grid))))


@pytest.mark.parametrize("factory", [array_multiplier, baugh_wooley_multiplier])
def test_4x4_multipliers_exhaustive(factory):
    r = np.arange(-8, 8) if factory is baugh_wooley_multiplier else np.arange(16)
    a, b = np.meshgrid(r, r, indexing="ij")
    check(multiplier_case(factory, 4, 4), {"a": a.ravel(), "b": b.ravel()})


@settings(max_examples=60)
@given(width=st.integers(1, 12), data=st.data())
def test_adders_property(width, data):
    ops = st.integers(0, (1 << width) - 1)
    rows = data.draw(st.lists(st.tuples(ops, ops, st.integers(0, 1)), min_size=1, max_size=20))
    v = {k: np.array(col) for k, col in zip(("a", "b", "cin"), zip(*rows))}
    factory = data.draw(st.sampled_from([ripple_carry_adder, kogge_stone_adder]))
    check(adder_case(factory, width), v)


@settings(max_examples=60)
@given(wa=st.integers(1, 7), wb=st.integers(1, 7), data=st.data())
def test_signed_multiplier_property(wa, wb, data):
    def op(w):
        return st.integers(-(1 << (w - 1)), (1 << (w - 1)) - 1)

    rows = data.draw(st.lists(st.tuples(op(wa), op(wb)), min_size=1, max_size=12))
    v = {"a": np.array([r[0] for r in rows]), "b": np.array([r[1] for r in rows])}
    check(multiplier_case(baugh_wooley_multiplier, wa, wb), v)


int8 = st.integers(-128, 127) | st.sampled_from([-128, 127])


@settings(max_examples=40)
@given(saturating=st.booleans(), acc_width=st.integers(16, 32), data=st.data())
def test_mac_property(saturating, acc_width, data):
    """Random MAC programs, biased towards the largest products so that narrow accumulators
    overflow: wrap and saturate must both match the twin, cycle by cycle."""
    steps = data.draw(st.lists(st.tuples(int8, int8, st.integers(0, 20), st.integers(0, 9)),
                               min_size=1, max_size=40))
    v = {"a": np.array([s[0] for s in steps]), "b": np.array([s[1] for s in steps]),
         "clear": np.array([int(s[2] == 0) for s in steps]),
         "enable": np.array([int(s[3] > 0) for s in steps])}
    v["reset"] = np.zeros(len(steps), dtype=np.int64)
    v["reset"][0] = 1
    check(mac_case(saturating, acc_width=acc_width), v)


@pytest.mark.parametrize("saturating", [False, True])
def test_mac_overflow_is_defined(saturating):
    """At 16 bits, 3 x (-128 * -128) = 49152 overflows: wrap gives -16384, saturate 32767."""
    n = 4
    v = {"a": np.full(n, -128), "b": np.full(n, -128), "clear": np.array([1, 0, 0, 0]),
         "enable": np.ones(n, dtype=np.int64), "reset": np.array([1, 0, 0, 0])}
    got = mac_case(saturating, acc_width=16).bench().run_myhdl(v)["acc"]
    assert list(got) == ([0, 16384, 32767, 32767] if saturating else [0, 16384, -32768, -16384])
    assert list(got) == list(arith.mac(v["a"], v["b"], v["clear"], v["enable"],
                                       saturating=saturating, acc_width=16))


def test_twins_stay_exact_beyond_64_bits():
    a = np.array([-(2**35), 2**35 - 1])
    assert list(arith.mul_signed(a, a, 36, 36)) == [2**70, (2**35 - 1) ** 2]
    u = np.array([2**40 - 1])
    assert list(arith.mul_unsigned(u, u, 40, 40)) == [(2**40 - 1) ** 2]
