"""Running MyHDL simulations: one helper that always ends them, and a Bench that drives a block with
vectors.

A Bench names a block's ports once; the same vectors then drive the MyHDL simulation here and the
converted Verilog in chipkit.flow.resim, so the two (and the block's numpy twin) can be compared
value by
value.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from myhdl import ResetSignal, Signal, Simulation, StopSimulation, delay, instance, intbv

from chipkit.checks import as_array, check_flag, check_int, int_array, show
from chipkit.errors import ConfigError, RangeError, ShapeError
from chipkit.flow import myhdl_fast  # noqa: F401  (MyHDL elaborates 10x faster)

HALF_PERIOD = 5  # time units; a clock cycle is 10, the same in MyHDL and in the Verilog testbenches


def run(*blocks, duration: int | None = None) -> int:
    """Simulate MyHDL block instances (or generators) until one raises StopSimulation or `duration`
    time units pass; always end the simulation, even when a block raises, so the next one can start.

    Returns the simulation time reached. A simulation left open by earlier code (a crashed cell that
    called `run_sim` itself) is closed first: MyHDL allows only one at a time.
    """
    if duration is not None:
        duration = check_int(duration, "duration (simulation time units)", lo=1)
    if Simulation._no_of_instances:  # a simulation someone else left open
        Simulation._no_of_instances = 0
    sim = Simulation(*blocks)
    try:
        sim.run(duration, quiet=1)
    except StopSimulation:
        pass
    finally:
        sim.quit()
        forget_signals()
    from myhdl import now

    return now()


def forget_signals() -> None:
    """Empty MyHDL's global list of every signal ever made (run() calls it when a simulation has
    ended and reset its signals).

    MyHDL never forgets a signal: each new Simulation scans that list for shadow signals
    (ConcatSignal, bit slices), whose waiters it needs, and each one that ends resets every
    signal in it. After a few hundred runs of the core (17 k signals each) every later simulation
    paid seconds for signals long gone: the whole test suite took 1,678 s instead of 291 s.
    Signals made after this call are listed again as usual. What is lost was never usable:
    MyHDL cannot simulate a block made before another simulation ended (that one's end resets
    the block's shadow signals' waiters; elaborate, then simulate, every time), and a plain
    signal simulated again is no longer reset at that run's end (chipkit reads results inside
    its testbenches)."""
    from myhdl._simulator import _signals

    del _signals[:]


def clock_gen(clock):
    """A free-running clock: low for HALF_PERIOD, then high; the first rising edge is at t = 5."""

    @instance
    def gen():
        while True:
            yield delay(HALF_PERIOD)
            clock.next = not clock

    return gen


def port_width(template) -> int:
    return 1 if isinstance(template, bool) else len(template)


def port_signed(template) -> bool:
    return not isinstance(template, bool) and template.min is not None and template.min < 0


def port_dtype(template):
    """int64 for ports up to 63 bits; Python ints (object arrays) for wider ones (flat buses)."""
    return np.int64 if port_width(template) <= 63 else object


def _ints(values, name: str) -> np.ndarray:
    """A port's vector as an integer array (bools as 0 and 1), else a ShapeError naming it."""
    arr = as_array(values, name)
    return int_array(arr.astype(np.int64) if arr.dtype == bool else arr, name)


def _new_signal(template):
    return Signal(copy.deepcopy(template))


@dataclass
class Bench:
    """A MyHDL block with named ports, driven cycle by cycle (or step by step) from vectors.

    factory  -- the @block function
    inputs   -- {port name: template}, e.g. {"a": intbv(0, min=-128, max=128), "cin": bool(0)}
    outputs  -- {port name: template}
    params   -- Python parameters passed to the factory (e.g. {"width": 8})
    clocked  -- if True the factory also takes `clock` and `reset` (synchronous, active high) first;
                `reset` is driven from vectors["reset"] when given, else held low

    Timing: step t applies every input from vectors[...][t]; a clocked bench then waits for the
    rising edge and samples outputs 1 time unit after it (the registers now hold step t's result); a
    combinational bench samples 1 time unit after applying the inputs.
    """

    factory: Callable
    inputs: dict
    outputs: dict
    params: dict = field(default_factory=dict)
    clocked: bool = False

    def __post_init__(self):
        if not callable(self.factory):
            raise ConfigError(f"factory must be a MyHDL @block function (e.g. "
                              f"chipkit.hdl.adders.ripple_carry_adder), got {show(self.factory)}")
        for what, shape in (("inputs", "{port name: template}"),
                            ("outputs", "{port name: template}"),
                            ("params", "{parameter name: value}, e.g. {'width': 8}")):
            ports = getattr(self, what)
            if not isinstance(ports, dict) or not all(isinstance(k, str) for k in ports):
                raise ConfigError(f"{what} must be a dict {shape}, got {show(ports)}")
        for what in ("inputs", "outputs"):
            for name, t in getattr(self, what).items():
                if not (isinstance(t, bool) or (isinstance(t, intbv) and t.max is not None)):
                    raise ConfigError(f"{what}[{name!r}] must be a port template: bool(0) for "
                                      f"one bit or an intbv with a width, e.g. intbv(0)[8:] or "
                                      f"chipkit.flow.sim.int_template(8, signed=True); got "
                                      f"{show(t)}")
        both = sorted(set(self.inputs) & set(self.outputs))
        if both:
            raise ConfigError(f"ports {both} are both inputs and outputs; name each port once")
        self.clocked = check_flag(self.clocked, "clocked")
        taken = sorted({"clock", "reset"} & (set(self.inputs) | set(self.outputs)))
        if self.clocked and taken:
            raise ConfigError(f"a clocked bench makes its own {' and '.join(taken)}: leave "
                              f"{taken} out of inputs and outputs")

    @property
    def name(self) -> str:
        """Module name for the converted HDL: the block's name plus its parameters."""
        def short(key, value):
            if isinstance(value, str):
                return value
            return "".join(part[0] for part in key.split("_")) + str(int(value))

        return "_".join([self.factory.__name__, *(short(k, v) for k, v in self.params.items())])

    def signals(self) -> dict:
        """Fresh signals for every port, in the factory's argument order (clock, reset first)."""
        sigs = {}
        if self.clocked:
            sigs["clock"] = Signal(bool(0))
            sigs["reset"] = ResetSignal(0, active=1, isasync=False)
        sigs.update({k: _new_signal(v) for k, v in self.inputs.items()})
        sigs.update({k: _new_signal(v) for k, v in self.outputs.items()})
        return sigs

    def instance(self, sigs: dict | None = None):
        """Elaborate the block on `sigs` (fresh signals when None)."""
        return self.factory(**(sigs or self.signals()), **self.params)

    def input_ports(self) -> dict:
        """{name: template} of every driven input, reset included for a clocked bench."""
        ports = {"reset": bool(0)} if self.clocked else {}
        ports.update(self.inputs)
        return ports

    def check_vectors(self, vectors: dict) -> tuple[dict, int]:
        """Vectors as int arrays of one length, checked against the port widths: (vectors, n)."""
        ports = self.input_ports()
        if not isinstance(vectors, dict):
            raise ConfigError(f"vectors must be a dict {{input port: values}}, one value per step "
                              f"(ports {sorted(ports)}), got {show(vectors)}")
        unknown = set(vectors) - set(ports)
        if unknown:
            raise ConfigError(f"vectors for unknown ports {sorted(unknown)}; "
                              f"ports are {sorted(ports)}")
        missing = set(self.inputs) - set(vectors)
        if missing:
            raise ConfigError(f"no vectors for input ports {sorted(missing)}")
        vecs = {k: np.atleast_1d(_ints(v, f"vectors[{k!r}]")) for k, v in vectors.items()}
        for k, v in vecs.items():
            if v.ndim != 1:
                raise ShapeError(f"vectors[{k!r}] must be 1-D (one value per step), got shape "
                                 f"{v.shape}")
        lengths = {len(v) for v in vecs.values()}
        if len(lengths) != 1:
            raise ShapeError(f"all vectors must have the same length, got {sorted(lengths)}")
        n = lengths.pop()
        if self.clocked and "reset" not in vecs:
            vecs["reset"] = np.zeros(n, dtype=np.int64)
        for k, v in vecs.items():
            t = ports[k]
            lo, hi = (0, 1) if isinstance(t, bool) else (t.min, t.max - 1)
            if v.size and (v.min() < lo or v.max() > hi):
                raise RangeError(f"vector for port {k!r} holds values outside {lo}..{hi}")
        return vecs, n

    def run_myhdl(self, vectors: dict) -> dict:
        """Drive the MyHDL block with `vectors`: {output name: int64 array, a value per step}."""
        return self._drive(vectors)[0]

    def record(self, vectors: dict, names=None):
        """Like run_myhdl, and also record the ports for a timing diagram.

        Returns (outputs, trace): a chipkit.flow.trace.Trace of the clock (for a clocked bench),
        reset,
        inputs and outputs, or only of `names` in that order (the clock first if named).
        """
        return self._drive(vectors, names, record=True)

    def _drive(self, vectors: dict, names=None, record: bool = False):
        from chipkit.flow.trace import Recorder

        vecs, n = self.check_vectors(vectors)
        sigs = self.signals()
        dut = self.instance(sigs)
        got = {k: [] for k in self.outputs}
        clocked = self.clocked

        @instance
        def driver():
            for t in range(n):
                for k, v in vecs.items():
                    sigs[k].next = int(v[t])
                if clocked:
                    yield sigs["clock"].posedge
                yield delay(1)
                for k in got:
                    got[k].append(int(sigs[k].val))
            raise StopSimulation

        blocks = [dut, driver] + ([clock_gen(sigs["clock"])] if clocked else [])
        if record:
            if names is not None and (isinstance(names, str) or not hasattr(names, "__iter__")):
                raise ConfigError(f"names must be a list of port names such as {list(sigs)[:2]}"
                                  f", or None for every port; got {show(names)}")
            chosen = [k for k in sigs if k != "clock"] if names is None else list(names)
            unknown = [k for k in chosen if k not in sigs]
            if unknown:
                raise ConfigError(f"bench {self.name} has no ports {unknown}; "
                                  f"choose from {list(sigs)}")
            clock = sigs.get("clock") if (names is None or "clock" in chosen) else None
            rec = Recorder({k: sigs[k] for k in chosen if k != "clock"}, clock=clock)
            blocks.append(rec.monitor())
        end = run(*blocks)
        outputs = {k: np.array(v, dtype=port_dtype(self.outputs[k])) for k, v in got.items()}
        return (outputs, rec.to_trace(end)) if record else (outputs, None)


def int_template(width: int, signed: bool = False):
    """An intbv template of `width` bits, signed or unsigned (a 1-bit unsigned port is a bool)."""
    from chipkit.numerics import check_width, signed_range

    width = check_width(width)
    if signed:
        lo, hi = signed_range(width)
        return intbv(0, min=lo, max=hi + 1)
    return bool(0) if width == 1 else intbv(0)[width:]
