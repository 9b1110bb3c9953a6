"""Recording signals during a MyHDL simulation: a Recorder rides along as one more generator and
yields a Trace (every signal's changes in time), which viz.waveform draws and chipkit.flow.vcd
saves.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import pairwise

from myhdl import SignalType, block, instance, intbv, now

from chipkit.errors import ConfigError, ShapeError
from chipkit.numerics import signed_range, unsigned_range


@dataclass(frozen=True)
class Trace:
    """What a Recorder saw: for every signal, the times at which its value changed.

    names   -- signal names, in display order
    widths  -- bits per signal (1 for a single wire)
    signed  -- per signal, True if the bus reads as two's complement
    changes -- per signal, ((time, value), ...) with strictly increasing times, values as ints
    end     -- the time the recording stops (at or after the last change)
    clock   -- the name of the clock among `names`, or None
    """

    names: tuple
    widths: tuple
    signed: tuple
    changes: tuple
    end: int
    clock: str | None = None

    def __post_init__(self):
        for field, value in [("names", tuple(self.names)), ("widths", tuple(self.widths)),
                             ("signed", tuple(map(bool, self.signed))),
                             ("changes", tuple(tuple((int(t), int(v)) for t, v in ch)
                                               for ch in self.changes))]:
            object.__setattr__(self, field, value)  # frozen: tuples all the way down
        n = len(self.names)
        if not len(self.widths) == len(self.signed) == len(self.changes) == n:
            raise ShapeError(f"a Trace needs one width, signedness and change list per name ({n})")
        if len(set(self.names)) != n:
            raise ConfigError(f"signal names must be unique, got {list(self.names)}")
        if self.clock is not None and self.clock not in self.names:
            raise ConfigError(f"clock {self.clock!r} is not one of the signals "
                              f"{_listing(self.names)}")
        for name, width, signed, ch in zip(self.names, self.widths, self.signed, self.changes,
                                           strict=True):
            if width < 1:
                raise ShapeError(f"signal {name!r}: width must be at least 1 bit, got {width}")
            lo, hi = signed_range(width) if signed else unsigned_range(width)
            times = [t for t, _ in ch]
            if not ch or any(b <= a for a, b in pairwise(times)) or times[-1] > self.end:
                raise ShapeError(f"signal {name!r}: changes must be non-empty, at strictly "
                                 f"increasing times up to end={self.end}")
            if any(not lo <= v <= hi for _, v in ch):
                raise ShapeError(f"signal {name!r}: a value lies outside {lo}..{hi} ({width} bits)")

    def index(self, name: str) -> int:
        """Position of signal `name`; ConfigError listing the valid names if there is none."""
        if name not in self.names:
            raise ConfigError(f"no signal {name!r} in this trace; choose from "
                              f"{_listing(self.names)}")
        return self.names.index(name)

    def __getitem__(self, name: str) -> tuple:
        """The ((time, value), ...) changes of signal `name`."""
        return self.changes[self.index(name)]

    def value_at(self, name: str, t: int) -> int:
        """The value of `name` once every change at a time <= t has happened."""
        ch = self[name]
        return ch[max(bisect_right([time for time, _ in ch], t) - 1, 0)][1]

    def select(self, names) -> Trace:
        """A trace of only `names`, in that order."""
        idx = [self.index(n) for n in names]
        clock = self.clock if self.clock in names else None
        return Trace(tuple(names), tuple(self.widths[i] for i in idx),
                     tuple(self.signed[i] for i in idx), tuple(self.changes[i] for i in idx),
                     self.end, clock)


def _listing(names, most: int = 12) -> str:
    """Names for an error message: all of them, or the first `most` and how many more."""
    names = list(names)
    return str(names) if len(names) <= most else f"{names[:most]} and {len(names) - most} more"


def settle(entries: list, t: int, value: int) -> None:
    """Append a change; several changes within one time step (delta cycles) keep only the last."""
    if entries and entries[-1][0] == t:
        entries.pop()
    if not entries or entries[-1][1] != value:
        entries.append((t, value))


class Recorder:
    """Record chosen MyHDL signals: every change, and every value at t = 0.

        rec = Recorder({"a": a, "b": b, "s": s}, clock=clk)   # clock optional, shown first
        run(dut, driver, rec.monitor())
        plot_waveform(rec.trace)

    The monitor only reads the signals, so the simulation behaves exactly as without it. Values are
    ints: 0/1 for a wire, signed for a bus whose intbv has a negative min.
    """

    def __init__(self, signals: dict, clock=None, clock_name: str = "clock"):
        self.signals = {clock_name: clock} if clock is not None else {}
        if clock is not None and signals.get(clock_name, clock) is not clock:
            raise ConfigError(f"the name {clock_name!r} is taken by another signal; "
                              "pass another clock_name=")
        self.signals.update(signals)
        self.clock = clock_name if clock is not None else None
        for name, sig in self.signals.items():
            if not isinstance(sig, SignalType):
                raise ConfigError(f"{name!r} is a {type(sig).__name__}, not a MyHDL Signal")
            if len(sig) < 1:
                raise ConfigError(f"signal {name!r} has no width; give its intbv a width or bounds")
        self._log: dict | None = None

    def monitor(self):
        """A MyHDL block to pass to run() beside the design; each call starts a fresh recording.
        (Inside your own testbench @block, call watch(rec) there instead: MyHDL wants sub-blocks
        created in the block function itself.)"""
        return watch(self)

    def to_trace(self, end: int | None = None) -> Trace:
        """The recording as a Trace ending at `end` (default: the current simulation time, so
        read it right after run(), or pass run()'s return value)."""
        if self._log is None or not all(self._log.values()):
            raise ConfigError("nothing recorded yet: pass rec.monitor() to run() first")
        last = max(ch[-1][0] for ch in self._log.values())
        end = max(last, now() if end is None else end)
        sigs = self.signals.values()
        signed = tuple(isinstance(s.val, intbv) and s.min is not None and s.min < 0 for s in sigs)
        return Trace(tuple(self.signals), tuple(len(s) for s in sigs), signed,
                     tuple(tuple(ch) for ch in self._log.values()), int(end), self.clock)

    @property
    def trace(self) -> Trace:
        """The recording so far, as a Trace (see to_trace)."""
        return self.to_trace()


@block
def watch(recorder: Recorder):
    """The block that records for `recorder`, starting a fresh recording: call it inside your own
    testbench @block (MyHDL wants sub-blocks created right there); rec.monitor() calls it too."""
    log = recorder._log = {name: [] for name in recorder.signals}  # a fresh recording
    items = list(recorder.signals.items())
    watched = tuple({id(s): s for _, s in items}.values())

    @instance
    def monitor():
        while True:  # the first pass, at t = 0, records the initial values
            t = now()
            for name, sig in items:
                settle(log[name], t, int(sig.val))
            yield watched

    return monitor
