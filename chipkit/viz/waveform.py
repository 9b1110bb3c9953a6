"""Waveforms: record MyHDL signals during a simulation, draw a timing diagram, save and read VCD.

A Recorder rides along chipkit.sim.run as one more generator; its Trace is what plot_waveform draws.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.ticker import MaxNLocator
from myhdl import SignalType, StopSimulation, block, delay, instance, intbv, now

from chipkit.errors import ConfigError, ShapeError
from chipkit.numerics import signed_range, unsigned_range
from chipkit.sim import Bench, clock_gen, run
from chipkit.viz import style

RADICES = ("dec", "hex", "bin")
_RADIX_NAMES = {"dec": "decimal", "hex": "hexadecimal", "bin": "binary"}


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

    def to_vcd(self, path, timescale: str = "1ns") -> Path:
        """Write this trace as a VCD file (GTKWave reads it); see write_vcd."""
        return write_vcd(self, path, timescale)


def _listing(names, most: int = 12) -> str:
    """Names for an error message: all of them, or the first `most` and how many more."""
    names = list(names)
    return str(names) if len(names) <= most else f"{names[:most]} and {len(names) - most} more"


def _settle(entries: list, t: int, value: int) -> None:
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
                _settle(log[name], t, int(sig.val))
            yield watched

    return monitor


def simulate_and_record(bench: Bench, vectors: dict, names=None) -> tuple[dict, Trace]:
    """Drive `bench` with `vectors` exactly as Bench.run_myhdl does, recording its ports.

    Returns (outputs, trace): outputs as run_myhdl returns them, and a Trace of the clock (for a
    clocked bench), reset, inputs and outputs; or only of `names`, in that order (the clock first).
    """
    vecs, n = bench.check_vectors(vectors)
    sigs = bench.signals()
    dut = bench.instance(sigs)
    chosen = [k for k in sigs if k != "clock"] if names is None else list(names)
    unknown = [k for k in chosen if k not in sigs]
    if unknown:
        raise ConfigError(f"bench {bench.name} has no ports {unknown}; choose from {list(sigs)}")
    clock = sigs.get("clock") if (names is None or "clock" in chosen) else None
    rec = Recorder({k: sigs[k] for k in chosen if k != "clock"}, clock=clock)
    got = {k: [] for k in bench.outputs}

    @instance
    def driver():  # mirrors Bench.run_myhdl: apply step t, (wait for the edge), wait 1, sample
        for t in range(n):
            for k, v in vecs.items():
                sigs[k].next = int(v[t])
            if bench.clocked:
                yield sigs["clock"].posedge
            yield delay(1)
            for k, samples in got.items():
                samples.append(int(sigs[k].val))
        raise StopSimulation

    blocks = [dut, driver, rec.monitor()]
    if bench.clocked:
        blocks.append(clock_gen(sigs["clock"]))
    end = run(*blocks)
    return {k: np.array(v, dtype=np.int64) for k, v in got.items()}, rec.to_trace(end)


def _check_radix(radix: str) -> None:
    if radix not in RADICES:
        raise ConfigError(f"unknown radix {radix!r}; choose one of {', '.join(RADICES)}")


def format_value(value: int, width: int, signed: bool = False, radix: str = "dec") -> str:
    """A bus value as text: decimal (signed when the bus is), or its bits in hex or binary."""
    _check_radix(radix)
    bits = value & ((1 << width) - 1)  # the pattern on the wires, whatever the sign
    if radix == "dec":
        return str(bits - ((bits >> (width - 1)) << width) if signed else bits)
    return format(bits, f"0{(width + 3) // 4}X" if radix == "hex" else f"0{width}b")


def _segments(changes, t0, t1) -> list:
    """The (start, stop, value) pieces of a change list that fall inside the window [t0, t1]."""
    first = max(bisect_right([t for t, _ in changes], t0) - 1, 0)
    segs = []
    for k in range(first, len(changes)):
        start = max(changes[k][0], t0)
        stop = min(changes[k + 1][0] if k + 1 < len(changes) else t1, t1)
        if start >= t1:
            break
        if stop > start:
            segs.append((start, stop, changes[k][1]))
    return segs


def _draw_bit(ax, segs, lo, hi, is_clock):
    xs, ys = [], []
    for start, stop, value in segs:
        xs += [start, stop]
        ys += [hi if value else lo] * 2
    color = style.COLORS["clock" if is_clock else "wire"]
    ax.plot(xs, ys, color=color, lw=style.LINE_WIDTH, solid_joinstyle="miter")
    if not is_clock:
        ax.fill_between(xs, lo, ys, color=style.COLORS["wire_fill"], alpha=style.FILL_ALPHA, lw=0)


def _draw_bus(ax, segs, lo, hi, labels, px_per_t, t0, t1):
    mid = (lo + hi) / 2
    char_px = style.CHAR_EM * style.FONT_SIZE * ax.figure.dpi / 72
    for (start, stop, _), label in zip(segs, labels, strict=True):
        slant = min(style.SLANT_PX / px_per_t, (stop - start) / 3)
        ls = 0 if start == t0 else slant  # a box cut by the window edge gets a flat side
        rs = 0 if stop == t1 else slant
        pts = [(start, mid), (start + ls, hi), (stop - rs, hi), (stop, mid), (stop - rs, lo),
               (start + ls, lo)]
        ax.add_patch(Polygon(pts, closed=True, facecolor=style.COLORS["bus_fill"],
                             edgecolor=style.COLORS["wire"], lw=style.LINE_WIDTH,
                             joinstyle="miter"))
        room_px = (stop - start - ls - rs) * px_per_t - 4
        if len(label) * char_px <= room_px:  # too narrow a box gets no label, as in GTKWave
            ax.text((start + stop) / 2, mid, label, ha="center", va="center", clip_on=True,
                    fontsize=style.FONT_SIZE, family=style.MONO, color=style.COLORS["label"])


def plot_waveform(trace: Trace, ax=None, names=None, radix: str = "dec", t0=None, t1=None,
                  title: str | None = None) -> Figure:
    """Draw `trace` as a timing diagram: one row per signal, time running to the right.

    Wires are drawn high/low, the clock as a square wave with dotted guides at its rising edges,
    buses as hexagon-edged boxes holding their value in `radix` ("dec": signed decimal for signed
    buses, "hex" or "bin": the raw bits). A box too narrow for its value stays empty: zoom in with
    t0/t1. `names` picks and orders the rows (default: all); `ax` draws into an existing Axes.
    Returns the Figure: not attached to pyplot, a notebook shows it once as a cell's value; in a
    script, save it with fig.savefig (or pass ax=plt.gca() to draw into a pyplot figure).
    """
    _check_radix(radix)
    shown = trace if names is None else trace.select(list(names))
    t0 = 0 if t0 is None else t0
    t1 = trace.end if t1 is None else t1
    if t1 <= t0:
        raise ConfigError(f"empty time window t0={t0}..t1={t1}: choose t1 > t0 "
                          f"(the trace runs 0..{trace.end})")
    n = len(shown.names)
    if ax is None:
        ax = style.new_figure(10, 0.5 * n + 0.9).add_subplot()
    fig = ax.figure
    rows = [(n - row - 0.8, n - row - 0.2) for row in range(n)]  # (low, high) of each row
    _frame(ax, shown, rows, radix, t0, t1, title)
    if fig.get_layout_engine() is not None:  # place the names first, so the boxes know their size
        fig.get_layout_engine().execute(fig)
    px_per_t = ax.get_window_extent().width / (t1 - t0)
    for (lo, hi), name, width, signed, changes in zip(
            rows, shown.names, shown.widths, shown.signed, shown.changes, strict=True):
        segs = _segments(changes, t0, t1)
        if width == 1:
            _draw_bit(ax, segs, lo, hi, name == shown.clock)
        else:
            labels = [format_value(v, width, signed, radix) for _, _, v in segs]
            _draw_bus(ax, segs, lo, hi, labels, px_per_t, t0, t1)
        if name == shown.clock:
            edges = [start for start, _, v in segs if v and start > t0]
            ax.vlines(edges, 0, n, colors=style.COLORS["edge"], linestyles=":", lw=0.8, zorder=0)
    return fig


def _frame(ax, shown: Trace, rows, radix, t0, t1, title) -> None:
    """Everything but the waves: limits, signal names, time axis, title."""
    ax.set_xlim(t0, t1)
    ax.set_ylim(0, len(rows))
    labels = [name if width == 1 else f"{name}[{width - 1}:0]" + ("\nsigned" if signed else "")
              for name, width, signed in zip(shown.names, shown.widths, shown.signed, strict=True)]
    ax.set_yticks([(lo + hi) / 2 for lo, hi in rows], labels, family=style.MONO,
                  fontsize=style.NAME_FONT_SIZE, color=style.COLORS["label"], linespacing=1.0)
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", colors=style.COLORS["muted"], labelsize=style.FONT_SIZE)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=12, steps=[1, 2, 5, 10]))
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(style.COLORS["muted"])
    label = "time (simulation time units)"
    if any(w > 1 for w in shown.widths):
        label += f"   ·   bus values in {_RADIX_NAMES[radix]}"
    ax.set_xlabel(label, color=style.COLORS["muted"], fontsize=style.FONT_SIZE)
    if title:
        ax.set_title(title, loc="left", fontsize=style.NAME_FONT_SIZE + 1)


def _vcd_code(i: int) -> str:
    """The i-th VCD identifier: printable ASCII '!'..'~', more characters after the first 94."""
    code = ""
    while True:
        code += chr(33 + i % 94)
        i = i // 94 - 1
        if i < 0:
            return code


def write_vcd(trace: Trace, path, timescale: str = "1ns") -> Path:
    """Write `trace` as a Value Change Dump: one $var per signal, then the changes by time.

    Signed buses are written as their two's complement bits, and listed in a `$comment chipkit
    signed: ...` line that read_vcd uses to decode them again. Returns the path written.
    """
    bad = [n for n in trace.names if not n or any(c.isspace() for c in n)]
    if bad:
        raise ConfigError(f"VCD names cannot be empty or hold spaces: {bad}; rename those signals")
    codes = [_vcd_code(i) for i in range(len(trace.names))]
    lines = ["$version chipkit $end", f"$timescale {timescale} $end"]
    signed = [n for n, s in zip(trace.names, trace.signed, strict=True) if s]
    if signed:
        lines.append(f"$comment chipkit signed: {' '.join(signed)} $end")
    lines.append("$scope module top $end")
    for name, width, code in zip(trace.names, trace.widths, codes, strict=True):
        ref = name if width == 1 else f"{name} [{width - 1}:0]"
        lines.append(f"$var wire {width} {code} {ref} $end")
    lines += ["$upscope $end", "$enddefinitions $end"]
    events: dict = {}
    for width, code, changes in zip(trace.widths, codes, trace.changes, strict=True):
        for t, v in changes:
            bits = format(v & ((1 << width) - 1), f"0{width}b")
            events.setdefault(t, []).append(f"{bits}{code}" if width == 1 else f"b{bits} {code}")
    for k, t in enumerate(sorted(events)):
        lines.append(f"#{t}")
        lines += ["$dumpvars", *events[t], "$end"] if k == 0 else events[t]
    if not events or trace.end > max(events):
        lines.append(f"#{trace.end}")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path


def read_vcd(path, signed=()) -> Trace:
    """Read a VCD file (written here, by MyHDL's traceSignals or by a Verilog simulator) as a Trace.

    Signals in nested scopes are named scope.sub.name below the top scope; x and z bits read as 0.
    Buses named in `signed`, or in a `$comment chipkit signed: ...`, decode as two's complement.
    Times are in the file's own timescale units.
    """
    tokens = Path(path).read_text().split()
    names, widths, by_code, scopes, log = [], [], {}, [], {}
    signed, t, i = set(signed), 0, 0

    def block_end(j):  # index just past the $end closing the section that starts at j
        return tokens.index("$end", j) + 1

    while i < len(tokens):
        tok = tokens[i]
        if tok == "$scope":
            scopes.append(tokens[i + 2])
            i = block_end(i)
        elif tok == "$upscope":
            scopes.pop()
            i = block_end(i)
        elif tok == "$var":
            name = ".".join(scopes[1:] + [tokens[i + 4]])
            by_code.setdefault(tokens[i + 3], []).append(name)
            names.append(name)
            widths.append(int(tokens[i + 2]))
            log[name] = []
            i = block_end(i)
        elif tok == "$comment":
            words = tokens[i + 1:block_end(i) - 1]
            if words[:2] == ["chipkit", "signed:"]:
                signed.update(words[2:])
            i = block_end(i)
        elif tok in ("$date", "$version", "$timescale", "$enddefinitions"):
            i = block_end(i)
        elif tok.startswith("$"):  # $dumpvars, $dumpall, $end ... around plain value changes
            i += 1
        elif tok[0] == "#":
            t, i = int(tok[1:]), i + 1
        elif tok[0] in "bBrR":
            if tok[0] in "bB":
                _vcd_change(log, by_code.get(tokens[i + 1], ()), t, tok[1:])
            i += 2
        else:
            _vcd_change(log, by_code.get(tok[1:], ()), t, tok[0])
            i += 1
    flags = tuple(n in signed and w > 1 for n, w in zip(names, widths, strict=True))
    changes = []
    for name, width, sign in zip(names, widths, flags, strict=True):
        ch = log[name] or [(0, 0)]
        changes.append(tuple((tt, v - ((v >> (width - 1)) << width) if sign else v)
                             for tt, v in ch))
    return Trace(tuple(names), tuple(widths), flags, tuple(changes), t)


def _vcd_change(log, names, t, bits):
    value = int("".join("1" if b == "1" else "0" for b in bits), 2)
    for name in names:
        _settle(log[name], t, value)
