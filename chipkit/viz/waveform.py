"""Timing diagrams: draw a recorded Trace the way a textbook does, bits as lines and buses as
labelled boxes. Recording lives in chipkit.flow.trace (Bench.record), files in chipkit.flow.vcd.
"""
from __future__ import annotations

from bisect import bisect_right

from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.ticker import MaxNLocator

from chipkit.checks import check_int, check_real
from chipkit.errors import ConfigError
from chipkit.flow.trace import Trace
from chipkit.viz import style

RADICES = ("dec", "hex", "bin")
_RADIX_NAMES = {"dec": "decimal", "hex": "hexadecimal", "bin": "binary"}


def _check_radix(radix: str) -> None:
    if not isinstance(radix, str) or radix not in RADICES:
        raise ConfigError(f"unknown radix {radix!r}; choose one of {', '.join(RADICES)}")


def format_value(value: int, width: int, signed: bool = False, radix: str = "dec") -> str:
    """A bus value as text: decimal (signed when the bus is), or its bits in hex or binary."""
    _check_radix(radix)
    value = check_int(value, "value")
    width = check_int(width, "width (bits of the bus)", lo=1)
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
    if not isinstance(trace, Trace):
        raise ConfigError(f"trace must be a chipkit.flow.trace.Trace (Bench.record's, "
                          f"Recorder.trace() or read_vcd's), got {type(trace).__name__}")
    if names is not None and (isinstance(names, str) or not hasattr(names, "__iter__")):
        raise ConfigError(f"names must be a list of signal names such as {trace.names[:2]}, or "
                          f"None for all; got {names!r}")
    shown = trace if names is None else trace.select(list(names))
    t0 = 0 if t0 is None else check_real(t0, "t0", positive=False)
    t1 = trace.end if t1 is None else check_real(t1, "t1", positive=False)
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
