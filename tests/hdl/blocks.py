"""Every arithmetic block as a test case: how to build its Bench, make vectors, and compute what its
twin says. The MyHDL, Verilog and VHDL tests all run over this one table."""
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from myhdl import intbv  # noqa: F401  (templates come from int_template)

from chipkit.flow.sim import Bench, int_template
from chipkit.hdl.adders import full_adder, half_adder, kogge_stone_adder, ripple_carry_adder
from chipkit.hdl.gates import GATES
from chipkit.hdl.mac import mac
from chipkit.hdl.multipliers import array_multiplier, baugh_wooley_multiplier
from chipkit.models import arith


@dataclass
class Case:
    name: str
    bench: Callable[[], Bench]
    vectors: Callable[[np.random.Generator, int], dict]  # (rng, n) -> vectors
    twin: Callable[[dict], dict]  # vectors -> expected outputs


def edge_values(width, signed):
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    return np.array(sorted({lo, hi, 0, min(1, hi), max(-1, lo), lo + 1 if hi > lo else lo}))


def operands(rng, n, width, signed):
    """n random operands, a quarter of them extreme (min, max, 0, +-1)."""
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1))) if signed else (0, 1 << width)
    x = rng.integers(lo, hi, n)
    mask = rng.random(n) < 0.25
    x[mask] = rng.choice(edge_values(width, signed), mask.sum())
    return x


def gate_case(deco):
    fn = GATES[deco]
    ins = ("a", "b") if fn.__code__.co_argcount == 2 else ("a",)

    def bench():
        return Bench(deco, {k: bool(0) for k in ins}, {"y": bool(0)})

    def vectors(rng, n):
        return {k: rng.integers(0, 2, n) for k in ins}

    def twin(v):
        return {"y": fn(*(v[k] for k in ins))}

    return Case(deco.__name__, bench, vectors, twin)


def adder_case(factory, width):
    def bench():
        t = int_template(width)
        return Bench(factory, {"a": t, "b": t, "cin": bool(0)}, {"s": t, "cout": bool(0)},
                     {"width": width})

    def vectors(rng, n):
        return {"a": operands(rng, n, width, False), "b": operands(rng, n, width, False),
                "cin": rng.integers(0, 2, n)}

    def twin(v):
        s, c = arith.add(v["a"], v["b"], v["cin"], width)
        return {"s": s, "cout": c}

    return Case(f"{factory.__name__}[{width}]", bench, vectors, twin)


def bit_adder_case(factory):
    three = factory is full_adder

    def bench():
        ins = {"a": bool(0), "b": bool(0)} | ({"cin": bool(0)} if three else {})
        outs = {"s": bool(0), "cout": bool(0)} if three else {"s": bool(0), "c": bool(0)}
        return Bench(factory, ins, outs)

    def vectors(rng, n):
        v = {k: rng.integers(0, 2, n) for k in ("a", "b")}
        return v | ({"cin": rng.integers(0, 2, n)} if three else {})

    def twin(v):
        s, c = arith.add(v["a"], v["b"], v.get("cin", 0 * v["a"]), 1)
        return {"s": s, ("cout" if three else "c"): c}

    return Case(factory.__name__, bench, vectors, twin)


def multiplier_case(factory, wa, wb):
    signed = factory is baugh_wooley_multiplier

    def bench():
        return Bench(factory, {"a": int_template(wa, signed), "b": int_template(wb, signed)},
                     {"p": int_template(wa + wb, signed)}, {"width_a": wa, "width_b": wb})

    def vectors(rng, n):
        return {"a": operands(rng, n, wa, signed), "b": operands(rng, n, wb, signed)}

    def twin(v):
        f = arith.mul_signed if signed else arith.mul_unsigned
        return {"p": f(v["a"], v["b"], wa, wb)}

    return Case(f"{factory.__name__}[{wa}x{wb}]", bench, vectors, twin)


def mac_case(saturating, multiplier="behavioral", acc_width=32):
    def bench():
        return Bench(mac, {"a": int_template(8, True), "b": int_template(8, True),
                           "clear": bool(0), "enable": bool(0)},
                     {"acc": int_template(acc_width, True)},
                     {"saturating": saturating, "multiplier": multiplier}, clocked=True)

    def vectors(rng, n):
        v = {"a": operands(rng, n, 8, True), "b": operands(rng, n, 8, True),
             "clear": (rng.random(n) < 0.03).astype(np.int64),
             "enable": (rng.random(n) < 0.9).astype(np.int64),
             "reset": np.zeros(n, dtype=np.int64)}
        v["reset"][0] = v["clear"][0] = 1  # registers start unknown in Verilog: reset them
        return v

    def twin(v):
        return {"acc": arith.mac(v["a"], v["b"], v["clear"] | v["reset"], v["enable"],
                                 saturating=saturating, acc_width=acc_width)}

    name = f"mac[{'sat' if saturating else 'wrap'},{multiplier},acc{acc_width}]"
    return Case(name, bench, vectors, twin)


CASES = [
    *(gate_case(g) for g in GATES),
    bit_adder_case(half_adder),
    bit_adder_case(full_adder),
    *(adder_case(f, w) for f in (ripple_carry_adder, kogge_stone_adder)
      for w in (1, 2, 5, 8, 16, 32)),
    *(multiplier_case(f, wa, wb) for f in (array_multiplier, baugh_wooley_multiplier)
      for wa, wb in ((1, 1), (2, 3), (4, 4), (8, 8), (8, 4))),
    *(mac_case(s, m, w) for s in (False, True) for m, w in (("behavioral", 32), ("behavioral", 18),
                                                            ("baugh_wooley", 16))),
]


def check_array_run(cfg, simulate, a, b):
    """Run A @ B on the converted array `cfg` through `simulate(bench, vectors)` (Icarus, GHDL or
    Verilator): all folds in one run after a reset step. c_out and c_valid must equal the fast
    model's at every step, and the rows collected from them numpy's product."""
    from chipkit.backends import array_rtl
    from chipkit.hdl.array import array_bench
    from chipkit.models import array_fast, array_golden
    from chipkit.models.array_schedule import build, collect

    s = build(a, b, cfg)
    vec = array_rtl.vectors(s)
    assert len(vec["reset"]) == s.cycles + 1 and vec["reset"][0] == 1
    got = simulate(array_bench(cfg), vec)
    c_out = array_rtl.unpack_lanes(got["c_out"][1:], cfg.cols).reshape(s.folds, s.steps, cfg.cols)
    c_valid = got["c_valid"][1:].reshape(s.folds, s.steps)
    want = array_fast.run(s)
    np.testing.assert_array_equal(c_valid, want.c_valid)
    np.testing.assert_array_equal(c_out, want.c_out)
    np.testing.assert_array_equal(collect(s, c_out, c_valid), array_golden.gemm(a, b))
    return got
