"""chipkit.grading.checks, the helpers behind the graded tests: each checked against the kit."""
import numpy as np
import pytest
from myhdl import Signal, intbv

from chipkit.grading.checks import TracedBit, expand_runs, saturating_mac_runs
from chipkit.grading.probes import count_instances, processes
from chipkit.hdl.adders import full_adder, half_adder, kogge_stone_adder, ripple_carry_adder
from chipkit.models.arith import mac


@pytest.mark.parametrize("acc_width", [10, 16, 32])
def test_run_reference_equals_the_mac_twin(acc_width):
    rng = np.random.default_rng(acc_width)
    for _ in range(20):
        n = int(rng.integers(1, 12))
        runs = [(int(rng.integers(-128, 128)), int(rng.integers(-128, 128)),
                 int(rng.random() < 0.1), int(rng.random() < 0.8), int(rng.integers(1, 300)))
                for _ in range(n)]
        a, b, clear, enable = expand_runs(runs)
        want = mac(a, b, clear, enable, saturating=True, acc_width=acc_width)
        np.testing.assert_array_equal(saturating_mac_runs(runs, acc_width), want)


def test_cumsum_then_clip_is_not_saturation():
    runs = [(127, 127, 0, 1, 140_000), (-128, 127, 0, 1, 1)]
    ref = saturating_mac_runs(runs)
    a, b, _, _ = expand_runs(runs)
    naive = np.clip(np.cumsum(a * b), -(2**31), 2**31 - 1)
    assert ref[-1] == 2**31 - 1 - 16256 and naive[-1] == 2**31 - 1


def test_traced_bits_count_gate_levels_and_refuse_branches():
    a, b, c = TracedBit(1), TracedBit(0), TracedBit(1)
    y = (a & b) | c
    assert (y.value, y.depth) == (1, 2)
    z = 0 | (1 & a) ^ b
    assert (z.value, z.depth) == (1, 3)
    for use in (bool, int, lambda x: x == 1, lambda x: 1 if x else 0, lambda x: x and a):
        with pytest.raises(TypeError, match="gates"):
            use(a)


def test_instance_counting_sees_direct_and_nested_blocks():
    width = 8
    sigs = [Signal(intbv(0)[width:]), Signal(intbv(0)[width:]), Signal(bool(0)),
            Signal(intbv(0)[width:]), Signal(bool(0))]
    rca = ripple_carry_adder(*sigs, width=width)
    assert count_instances(rca, full_adder) == width
    assert count_instances(rca, half_adder) == 0
    assert count_instances(rca, half_adder, nested=True) == 2 * width
    assert count_instances(kogge_stone_adder(*sigs, width=width), full_adder, nested=True) == 0
    bits = [Signal(bool(0)) for _ in range(5)]
    assert processes(full_adder(*bits)) == []
