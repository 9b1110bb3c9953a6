"""Graded: exercise 2, a behavioural full adder in MyHDL (solutions/ex02_full_adder.py).

All 8 input combinations simulated and compared with chipkit.models.arith.add; one @always_comb.
"""
import itertools

import numpy as np
import pytest

from chipkit.flow.sim import Bench
from chipkit.grading.checks import count_instances, processes, sub_blocks
from chipkit.models.arith import add

BIT = bool(0)
COMBOS = np.array(list(itertools.product((0, 1), repeat=3)))  # rows (a, b, cin)


def bench(mod):
    return Bench(mod.full_adder, inputs={"a": BIT, "b": BIT, "cin": BIT},
                 outputs={"s": BIT, "cout": BIT})


@pytest.mark.points(3)
def test_truth_table(mod):
    # each combination twice, in an order where every input toggles on its own at some step
    order = np.concatenate([COMBOS, COMBOS[::-1]])
    got = bench(mod).run_myhdl({"a": order[:, 0], "b": order[:, 1], "cin": order[:, 2]})
    for t, (a, b, cin) in enumerate(order):
        s, cout = add(int(a), int(b), int(cin), 1)
        assert (got["s"][t], got["cout"][t]) == (s, cout), (
            f"full_adder({a},{b},{cin}): expected s={s} cout={cout}, "
            f"got s={got['s'][t]} cout={got['cout'][t]}"
        )


@pytest.mark.points(1)
def test_is_one_always_comb_process(mod):
    inst = bench(mod).instance()
    blocks = [b.name for b in sub_blocks(inst)]
    kinds = [type(g).__name__ for g in processes(inst)]
    assert not blocks and count_instances(inst, mod.full_adder) == 0, (
        f"full_adder should compute s and cout itself, in @always_comb, but it instantiates blocks "
        f"{blocks}: that is the structural version in chipkit.hdl.adders"
    )
    assert kinds == ["_AlwaysComb"], (
        f"full_adder should return one @always_comb function, got {kinds or 'none'}"
    )


@pytest.mark.points(1)
def test_converts_to_verilog(mod, tmp_path):
    bench(mod).instance().convert(hdl="Verilog", path=str(tmp_path), name="full_adder",
                                  testbench=False)
    text = (tmp_path / "full_adder.v").read_text()
    assert "module full_adder" in text and ("assign" in text or "always" in text), (
        "MyHDL wrote no logic for full_adder: are s.next and cout.next assigned?"
    )
