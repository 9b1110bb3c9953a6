"""Graded: exercise 2, a behavioural full adder in MyHDL (solutions/ex02_full_adder.py).

All 8 input combinations simulated and compared with chipkit.models.arith.add; one @always_comb.
The block is elaborated, simulated and converted in the student's process (chipkit.grading.probes);
its outputs are judged here.
"""
import itertools

import numpy as np
import pytest

from chipkit.models.arith import add

#: what these tests compare against: switched off in the student's process while grading
WITHHELD = ("chipkit.models.arith.add",)

COMBOS = np.array(list(itertools.product((0, 1), repeat=3)))  # rows (a, b, cin)
PORTS = ("full_adder", {}, {"a": 0, "b": 0, "cin": 0}, {"s": 0, "cout": 0})  # 0: a one-bit port


@pytest.mark.points(3)
def test_truth_table(mod):
    # each combination twice, in an order where every input toggles on its own at some step
    order = np.concatenate([COMBOS, COMBOS[::-1]])
    got = mod.probe("simulate", *PORTS, {"a": order[:, 0], "b": order[:, 1], "cin": order[:, 2]})
    for t, (a, b, cin) in enumerate(order):
        s, cout = add(int(a), int(b), int(cin), 1)
        assert (got["s"][t], got["cout"][t]) == (s, cout), (
            f"full_adder({a},{b},{cin}): expected s={s} cout={cout}, "
            f"got s={got['s'][t]} cout={got['cout'][t]}"
        )


@pytest.mark.points(1)
def test_is_one_always_comb_process(mod):
    found = mod.probe("structure", *PORTS)
    blocks, kinds = found["blocks"], found["processes"]
    assert not blocks and found["self"] == 0, (
        f"full_adder should compute s and cout itself, in @always_comb, but it instantiates blocks "
        f"{blocks}: that is the structural version in chipkit.hdl.adders"
    )
    assert kinds == ["_AlwaysComb"], (
        f"full_adder should return one @always_comb function, got {kinds or 'none'}"
    )


@pytest.mark.points(1)
def test_converts_to_verilog(mod):
    text = mod.probe("convert", *PORTS, "full_adder")
    assert isinstance(text, str) and "module full_adder" in text \
        and ("assign" in text or "always" in text), (
        "MyHDL wrote no logic for full_adder: are s.next and cout.next assigned?"
    )
