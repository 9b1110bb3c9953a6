"""The simulation helper always ends a simulation, and the Bench rejects vectors that do not fit."""
import numpy as np
import pytest
from myhdl import ConcatSignal, Signal, Simulation, always_comb, block, delay, instance, intbv

from chipkit.errors import ConfigError, RangeError, ShapeError
from chipkit.flow.sim import Bench, int_template, run
from chipkit.hdl.adders import ripple_carry_adder


@block
def broken(x, y):
    @always_comb
    def logic():
        y.next = x + 100  # overflows y: MyHDL raises inside the simulation

    return logic


def test_run_ends_the_simulation_even_when_a_block_raises():
    x, y = Signal(intbv(0)[8:]), Signal(intbv(0)[4:])

    @instance
    def drive():
        x.next = 1
        yield delay(1)

    with pytest.raises(ValueError):
        run(broken(x, y), drive)
    assert Simulation._no_of_instances == 0
    # and the next simulation runs
    assert adder_bench(4).run_myhdl({"a": [3], "b": [4], "cin": [1]})["s"].tolist() == [8]


def test_run_recovers_from_a_simulation_left_open():
    x, y = Signal(intbv(0)[8:]), Signal(intbv(0)[8:])
    left_open = Simulation(broken(x, y))  # a student's cell that never called quit()
    assert Simulation._no_of_instances == 1
    assert adder_bench(4).run_myhdl({"a": [1], "b": [1], "cin": [0]})["s"].tolist() == [2]
    del left_open


def test_run_stops_at_duration():
    clk = Signal(bool(0))

    @instance
    def forever():
        while True:
            yield delay(3)
            clk.next = not clk

    assert run(forever, duration=30) == 30


def adder_bench(w):
    t = int_template(w)
    return Bench(ripple_carry_adder, {"a": t, "b": t, "cin": bool(0)}, {"s": t, "cout": bool(0)},
                 {"width": w})


@pytest.mark.parametrize(("vectors", "err", "match"), [
    ({"a": [16], "b": [0], "cin": [0]}, RangeError, r"port 'a' holds values outside 0\.\.15"),
    ({"a": [1, 2], "b": [0], "cin": [0]}, ShapeError, "same length"),
    ({"a": [1], "b": [0]}, ConfigError, r"no vectors for input ports \['cin'\]"),
    ({"a": [1], "b": [0], "cin": [0], "z": [1]}, ConfigError, r"unknown ports \['z'\]"),
])
def test_bench_rejects_bad_vectors(vectors, err, match):
    with pytest.raises(err, match=match):
        adder_bench(4).run_myhdl(vectors)


def test_int_template():
    assert int_template(1) is False or int_template(1) == bool(0)
    t = int_template(8, signed=True)
    assert (t.min, t.max) == (-128, 128)
    with pytest.raises(ConfigError, match="at least 1 bit"):
        int_template(0)


def test_bench_name_carries_parameters():
    assert adder_bench(8).name == "ripple_carry_adder_w8"
    assert np.array_equal(adder_bench(2).run_myhdl({"a": [3], "b": [3], "cin": [1]})["cout"], [1])


@block
def joined(a, b, y):
    both = ConcatSignal(a, b)  # a shadow signal: MyHDL finds its waiter in its global list

    @always_comb
    def out():
        y.next = both

    return out


def test_myhdl_forgets_the_signals_of_finished_simulations():
    """MyHDL keeps every signal ever made in a global list that each new simulation scans and
    each finished one resets; run() empties it, so hundreds of simulations do not slow the next
    one down, and blocks made afterwards, shadow signals (a ConcatSignal) included, still work."""
    from myhdl._simulator import _signals

    for _ in range(50):
        adder_bench(8).run_myhdl({"a": [1], "b": [2], "cin": [0]})
    assert len(_signals) == 0  # none of the 50 benches' signals
    a, b, y = Signal(intbv(0)[4:]), Signal(intbv(0)[4:]), Signal(intbv(0)[8:])
    seen = []

    @instance
    def drive():
        a.next, b.next = 1, 2
        yield delay(1)
        seen.append(int(y))

    run(joined(a, b, y), drive)
    assert seen == [0x12] and len(_signals) == 0
