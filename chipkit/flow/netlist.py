"""Read a structural MyHDL block back as a gate netlist: count its gates, measure its logic depth
bit by bit, and replay it with one time unit per gate to watch a carry ripple. Nothing here is typed
in by hand.

Works on blocks made of chipkit.hdl.gates (and2, or2, xor2, nand2, inv), wired with pack/unpack.
"""
from __future__ import annotations

import inspect
from collections import Counter
from dataclasses import dataclass

import numpy as np
from myhdl import ConcatSignal
from myhdl._block import _Block
from myhdl._ShadowSignal import _SliceSignal
from myhdl._Signal import _Signal

from chipkit.checks import check_int
from chipkit.errors import ConfigError, RangeError
from chipkit.hdl.gates import GATES, pack, tie

_GATE_FUNCS = {deco.func: (deco.func.__name__, fn) for deco, fn in GATES.items()}


def _width(sig) -> int:
    return 1 if isinstance(sig.val, bool) else len(sig)


def _source(sig, bit):
    """Follow shadow signals (slices, concatenations) to the real signal and bit they show."""
    while True:
        if isinstance(sig, _SliceSignal):
            lo = sig._left if sig._right is None else sig._right
            sig, bit = sig._sig, lo + bit
        elif isinstance(sig, ConcatSignal):
            for arg in reversed(sig._args):  # _args run from the most significant part down
                w = _width(arg)
                if bit < w:
                    sig = arg
                    break
                bit -= w
        else:
            return sig, bit


@dataclass
class Gate:
    kind: str  # "and2", "xor2", ...
    func: object  # the boolean function of 0/1 ints
    inputs: tuple  # nodes: (id(signal), bit)
    output: tuple


class Netlist:
    """The gates of a block and the wires between them, at the level of single bits.

    A node is (id(signal), bit). Nodes driven by no gate are primary inputs (or constants).
    """

    def __init__(self, blk):
        if not isinstance(blk, _Block):
            raise ConfigError("Netlist needs an elaborated MyHDL block instance, e.g. "
                              "Netlist(ripple_carry_adder(a, b, cin, s, cout, width=8))")
        bound = inspect.signature(blk.func).bind(*blk.args, **blk.kwargs)
        #: the block's ports by name, e.g. {"a": Signal, "b": ..., "s": ...}
        self.ports = {k: v for k, v in bound.arguments.items() if isinstance(v, _Signal)}
        self.gates: list[Gate] = []
        self.wires: dict = {}  # node -> node it copies (pack)
        self.constants: dict = {}  # node -> 0 or 1 (tie cells)
        self._signals: dict = {}  # id -> signal (keeps them alive)
        self._walk(blk)
        self.driver = {g.output: g for g in self.gates}
        self._order = self._topological()

    def _node(self, sig, bit=0):
        sig, bit = _source(sig, bit)
        self._signals[id(sig)] = sig
        return id(sig), bit

    def _walk(self, blk):
        if blk.func in _GATE_FUNCS:
            kind, fn = _GATE_FUNCS[blk.func]
            *ins, out = blk.args
            self.gates.append(Gate(kind, fn, tuple(self._node(s) for s in ins), self._node(out)))
            return
        if blk.func is tie.func:
            self.constants[self._node(blk.args[0])] = int(blk.args[1])
            return
        if blk.func is pack.func:
            bits, bus = blk.args
            for k, b in enumerate(bits):
                self.wires[self._node(bus, k)] = self._node(b)
            return
        for sub in blk.subs:
            if isinstance(sub, _Block):
                self._walk(sub)

    def _resolve(self, node):
        while node in self.wires:
            node = self.wires[node]
        return node

    def _topological(self):
        order, state = [], {}
        for g in self.gates:
            stack = [(g, False)]
            while stack:
                gate, done = stack.pop()
                if done:
                    state[id(gate)] = 2
                    order.append(gate)
                    continue
                if state.get(id(gate)):
                    continue
                state[id(gate)] = 1
                stack.append((gate, True))
                for n in gate.inputs:
                    d = self.driver.get(self._resolve(n))
                    if d is not None and not state.get(id(d)):
                        stack.append((d, False))
        return order

    def count(self) -> Counter:
        """Number of gates of each kind."""
        return Counter(g.kind for g in self.gates)

    def arrival(self) -> dict:
        """Gate levels from the primary inputs to every node (0 for inputs and constants)."""
        level = {}
        for g in self._order:
            level[g.output] = 1 + max((level.get(self._resolve(n), 0) for n in g.inputs), default=0)
        return level

    def port(self, name: str):
        """The port signal called `name`."""
        if name not in self.ports:
            raise ConfigError(f"no port {name!r}; the ports are {sorted(self.ports)}")
        return self.ports[name]

    def depth(self, name: str) -> list[int]:
        """Logic depth (gate levels from any input) of each bit of port `name`, least significant
        bit first."""
        sig, level = self.port(name), self.arrival()
        return [level.get(self._resolve(self._node(sig, k)), 0) for k in range(_width(sig))]

    def max_depth(self) -> int:
        """The longest path through the block, in gates: its critical path."""
        return max(self.arrival().values(), default=0)

    def _bits(self, name, value):
        sig = self.port(name)
        w = _width(sig)
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, (int, np.integer)) or not -(1 << (w - 1)) <= value < 1 << w:
            raise RangeError(f"port {name!r} is {w} bit{'s' * (w > 1)}: give an integer in "
                             f"{-(1 << (w - 1))}..{(1 << w) - 1} (negative values as two's "
                             f"complement), got {value!r}")
        return {self._resolve(self._node(sig, k)): (int(value) >> k) & 1
                for k in range(_width(sig))}

    def evaluate(self, inputs: dict) -> dict:
        """Settled value of every node for {input port name: value} (unsigned bit patterns, or
        negative values as two's complement; a port left out reads 0)."""
        if not isinstance(inputs, dict):
            raise ConfigError(f"inputs must be a dict {{input port name: value}} (ports "
                              f"{sorted(self.ports)}), got {type(inputs).__name__}")
        val = dict(self.constants)
        for name, v in inputs.items():
            val.update(self._bits(name, v))
        for g in self._order:
            val[g.output] = g.func(*(val.get(self._resolve(n), 0) for n in g.inputs))
        return val

    def read(self, val: dict, name: str, signed: bool = False) -> int:
        """The value of port `name` in node values `val` (from evaluate or unit_delay)."""
        sig = self.port(name)
        w = _width(sig)
        x = sum(val.get(self._resolve(self._node(sig, k)), 0) << k for k in range(w))
        return x - (1 << w) if signed and x >> (w - 1) else x

    def unit_delay(self, before: dict, after: dict, max_steps: int = 1000) -> list[dict]:
        """Replay the switch from inputs `before` to `after` with every gate taking one time unit.

        Returns the node values at t = 0 (the old inputs, settled), t = 1 (new inputs applied, gates
        not yet reacted), ... until nothing changes. Watch a ripple adder's sum bits settle one by
        one.
        """
        if not isinstance(after, dict):
            raise ConfigError(f"after must be a dict {{input port name: value}} (ports "
                              f"{sorted(self.ports)}), got {type(after).__name__}")
        max_steps = check_int(max_steps, "max_steps", lo=1)
        val = self.evaluate(before)
        for name, v in after.items():
            val.update(self._bits(name, v))
        steps = [self.evaluate(before), dict(val)]
        for _ in range(max_steps):
            new = dict(val)
            for g in self.gates:
                new[g.output] = g.func(*(val.get(self._resolve(n), 0) for n in g.inputs))
            if new == val:
                return steps
            val = new
            steps.append(dict(val))
        raise ConfigError(f"the netlist did not settle in {max_steps} steps "
                          "(a combinational loop?)")
