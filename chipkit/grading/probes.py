"""What a graded test asks of a student's MyHDL block, run in the worker that holds it.

A block is a live object in the student's process, so it is simulated, elaborated and converted
there; only plain results (output vectors, names and counts, Verilog text) travel back to the
grader, which judges them. Each probe takes the student's module first, then plain values: a
port is {name: width}, 0 meaning one bit (a bool).
"""
from __future__ import annotations

from myhdl._block import _Block  # the class of a block instance (myhdl is pinned to 0.11.52)

from chipkit.flow.sim import Bench, int_template


def _bench(module, block: str, params: dict, inputs: dict, outputs: dict) -> Bench:
    def template(width: int):
        return bool(0) if width == 0 else int_template(width)
    return Bench(getattr(module, block), params=dict(params),
                 inputs={k: template(w) for k, w in inputs.items()},
                 outputs={k: template(w) for k, w in outputs.items()})


def sub_blocks(inst, nested: bool = True):
    """The MyHDL block instances inside the block instance `inst` (all levels, or only its own)."""
    for sub in getattr(inst, "subs", ()):
        if isinstance(sub, _Block):  # not a generator
            yield sub
            if nested:
                yield from sub_blocks(sub)


def processes(inst):
    """The generators (@always_comb, @always_seq, @instance ...) of `inst` itself."""
    return [sub for sub in getattr(inst, "subs", ()) if not isinstance(sub, _Block)]


def count_instances(inst, factory, nested: bool = False) -> int:
    """How many instances of the @block `factory` are directly in (nested: anywhere in) `inst`."""
    func = getattr(factory, "func", factory)
    return sum(1 for sub in sub_blocks(inst, nested) if sub.func is func)


def simulate(module, block: str, params: dict, inputs: dict, outputs: dict, vectors: dict) -> dict:
    """{output: values per step} of the student's block driven by `vectors` in MyHDL."""
    return _bench(module, block, params, inputs, outputs).run_myhdl(vectors)


def structure(module, block: str, params: dict, inputs: dict, outputs: dict,
              count=()) -> dict:
    """What the elaborated block is made of: its sub-block names, its own process kinds, how many
    instances of itself it holds, and {dotted factory name: [own, nested]} for each of `count`."""
    import importlib

    inst = _bench(module, block, params, inputs, outputs).instance()
    counts = {}
    for dotted in count:
        modname, _, attr = dotted.rpartition(".")
        factory = getattr(importlib.import_module(modname), attr)
        counts[dotted] = [count_instances(inst, factory), count_instances(inst, factory, True)]
    return {"blocks": [b.name for b in sub_blocks(inst)],
            "processes": [type(g).__name__ for g in processes(inst)],
            "self": count_instances(inst, getattr(module, block)), "counts": counts}


def convert(module, block: str, params: dict, inputs: dict, outputs: dict, name: str) -> str:
    """The Verilog MyHDL writes for the block (in the worker's own folder)."""
    import os

    _bench(module, block, params, inputs, outputs).instance().convert(
        hdl="Verilog", path=os.getcwd(), name=name, testbench=False)
    with open(os.path.join(os.getcwd(), f"{name}.v")) as f:
        return f.read()
