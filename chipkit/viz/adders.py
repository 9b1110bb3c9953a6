"""Figures of lesson 01: the two's complement wheel, the Kogge-Stone prefix network, the carry race
(a Netlist.unit_delay replay drawn as bits x gate delays) and a widget to pick the race's operands.
"""
from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from ipywidgets import HTML, Checkbox, HBox, Image, IntSlider, Layout, Play, VBox, jslink
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Patch, Rectangle

from chipkit.checks import check_flag, check_int, int_array, show
from chipkit.errors import ConfigError, ShapeError
from chipkit.viz import style

#: colours of the carry race's cells and of the two halves of the number wheel
RACE_COLORS = {
    "settled": "#3b7dd8",  # the bit holds its final value and will not change again
    "wrong": "#f4b183",  # the bit still shows a value that is not its final one
    "pending": "#e4e4e4",  # right value for now, but it will change again (a glitch is coming)
    "future": "#ffffff",  # not replayed yet (the widget's time slider is earlier)
    "grid": "#b0b0b0",
    "negative": "#e07b39",
    "positive": "#3b7dd8",
    "overflow": "#c62828",
}
STATES = ("settled", "wrong", "pending", "future")
#: the widest number wheel (256 patterns) and Kogge-Stone network (64 bits: a 40-inch figure) drawn
MAX_WHEEL_BITS, MAX_PREFIX_BITS = 8, 64


# --- two's complement --------------------------------------------------------------------------

def plot_number_wheel(values, width: int, ax=None, title: str | None = None) -> Figure:
    """The 2**width bit patterns on a circle, each with the value it stands for.

    values -- values[k] is what pattern k means (e.g. chipkit.numerics.from_twos(k, width)), so the
              same function draws the unsigned and the two's complement reading.
    Adding 1 moves one step clockwise; the red bar marks where a step of +1 jumps (overflow).
    """
    width = check_int(width, "width (bits of the wheel's patterns)", lo=1, hi=MAX_WHEEL_BITS)
    values = int_array(values, "values")
    n = 1 << width
    if values.shape != (n,):
        raise ShapeError(f"values must hold one value per {width}-bit pattern ({n}), "
                         f"got shape {values.shape}")
    if ax is None:
        ax = style.new_figure(5.2, 5.2).add_subplot()
    ax.set_aspect("equal")
    ax.set_axis_off()
    angle = np.pi / 2 - 2 * np.pi * np.arange(n) / n  # pattern 0 at the top, clockwise
    ax.add_patch(Circle((0, 0), 1.0, fill=False, color=style.COLORS["muted"], lw=1))
    for k in range(n):
        c, s = np.cos(angle[k]), np.sin(angle[k])
        color = RACE_COLORS["negative" if values[k] < 0 else "positive"]
        ax.add_patch(Circle((c, s), 0.14 * 16 / max(n, 16), color=color, zorder=2))
        ax.text(c, s, str(int(values[k])), ha="center", va="center", color="white",
                fontsize=style.FONT_SIZE, fontweight="bold", zorder=3)
        ax.text(1.32 * c, 1.32 * s, format(k, f"0{width}b"), ha="center", va="center",
                family=style.MONO, fontsize=style.FONT_SIZE, color=style.COLORS["label"])
    for k in range(n):  # a +1 step that does not add 1 to the value: the wrap-around
        if values[(k + 1) % n] != values[k] + 1:
            mid = (angle[k] + angle[(k + 1) % n]) / 2 if k + 1 < n else angle[k] - np.pi / n
            r = np.array([0.8, 1.2])
            ax.plot(r * np.cos(mid), r * np.sin(mid), color=RACE_COLORS["overflow"], lw=3,
                    gid="overflow")
            ax.text(0.6 * np.cos(mid), 0.6 * np.sin(mid),
                    f"{int(values[k])} + 1\n= {int(values[(k + 1) % n])}",
                    ha="center", va="center", fontsize=style.FONT_SIZE,
                    color=RACE_COLORS["overflow"])
    ax.annotate("", xy=(0.42, 0.55), xytext=(-0.42, 0.55),
                arrowprops={"arrowstyle": "->", "color": style.COLORS["muted"],
                            "connectionstyle": "arc3,rad=-0.35"})
    ax.text(0, 0.28, "+1", ha="center", color=style.COLORS["muted"], fontsize=style.FONT_SIZE)
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.5, 1.5)
    if title:
        ax.set_title(title, fontsize=style.NAME_FONT_SIZE + 1)
    return ax.figure


# --- the Kogge-Stone prefix network ------------------------------------------------------------

def prefix_cells(width: int) -> list[tuple[int, int, int, str]]:
    """The combine cells of a `width`-bit Kogge-Stone network, as chipkit.hdl.adders builds it.

    Position 0 is the carry in, position i the group ending at bit i-1. Returns (level, position,
    partner, kind): at level k (distance d = 2**(k-1)) position i combines with i - d. kind "black"
    forms G and P (3 gates); "grey" forms only G (2 gates): the group now reaches the carry in.
    """
    width = check_int(width, "width (bits of the adder)", lo=1, hi=MAX_PREFIX_BITS)
    cells, reaches_cin, d, level = [], {0}, 1, 1
    while d < width + 1:
        new = set(reaches_cin)
        for i in range(d, width + 1):
            if i in reaches_cin:
                continue
            grey = (i - d) in reaches_cin
            cells.append((level, i, i - d, "grey" if grey else "black"))
            if grey:
                new.add(i)
        reaches_cin, d, level = new, 2 * d, level + 1
    return cells


def plot_prefix_network(width: int, ax=None, title: str | None = None) -> Figure:
    """Draw the Kogge-Stone carry network: positions left to right (most significant on the left,
    as bits are written), one row per prefix level, black and grey cells from prefix_cells."""
    cells = prefix_cells(width)
    levels = max((lvl for lvl, *_ in cells), default=0)
    if ax is None:
        ax = style.new_figure(max(5.0, 0.62 * (width + 1) + 1.5), 0.75 * levels + 2.2).add_subplot()
    x = {i: width - i for i in range(width + 1)}  # position 0 (cin) on the right
    wire = style.COLORS["wire"]
    for i in range(width + 1):
        ax.plot([x[i], x[i]], [0, -(levels + 0.6)], color=RACE_COLORS["grid"], lw=1,
                zorder=0)
        top = "cin" if i == 0 else f"g{i - 1},p{i - 1}"
        bottom = "c0" if i == 0 else ("cout" if i == width else f"c{i}")
        ax.text(x[i], 0.35, top, ha="center", va="bottom", family=style.MONO,
                fontsize=style.FONT_SIZE - 1, color=style.COLORS["label"])
        ax.text(x[i], -(levels + 0.75), bottom, ha="center", va="top", family=style.MONO,
                fontsize=style.FONT_SIZE - 1, color=style.COLORS["label"])
    for lvl, i, j, kind in cells:
        ax.plot([x[j], x[i]], [-(lvl - 1), -lvl], color=wire, lw=1.2, zorder=1)
        face = "black" if kind == "black" else "#9e9e9e"
        ax.plot([x[i]], [-lvl], marker="o", ms=13, mfc=face, mec="black", ls="none", zorder=2,
                gid=f"{kind}:{lvl}:{i}")
    for lvl in range(1, levels + 1):
        ax.text(-0.7, -lvl, f"level {lvl}\nd = {2 ** (lvl - 1)}", ha="right", va="center",
                fontsize=style.FONT_SIZE - 1, color=style.COLORS["muted"])
    ax.set_xlim(-2.0, width + 0.6)
    ax.set_ylim(-(levels + 1.3), 1.0)
    ax.set_axis_off()
    n_black = sum(kind == "black" for *_, kind in cells)
    ax.legend(handles=[Patch(color="black", label=f"black cell: G and P ({n_black})"),
                       Patch(color="#9e9e9e", label=f"grey cell: G only ({len(cells) - n_black})")],
              loc="lower left", bbox_to_anchor=(0, -0.02), fontsize=style.FONT_SIZE - 1,
              frameon=False, ncols=2)
    ax.set_title(title or f"{width}-bit Kogge-Stone: {levels} prefix levels", loc="left",
                 fontsize=style.NAME_FONT_SIZE + 1)
    return ax.figure


# --- the carry race: a unit-delay replay drawn as bits x time ------------------------------------

def port_width(netlist, port: str) -> int:
    """Number of bits of a Netlist's port."""
    sig = netlist.port(port)
    return 1 if isinstance(sig.val, bool) else len(sig)


def bit_history(netlist, steps: list, port: str) -> np.ndarray:
    """The bits of `port` at every replay step: shape (len(steps) - 1, width), row t is t gate
    delays after the inputs changed (steps[t + 1]; steps[0], the old settled state, is dropped),
    column k is bit k."""
    if not isinstance(steps, (list, tuple)) or len(steps) < 2 or not all(
            isinstance(v, dict) for v in steps):
        raise ShapeError("steps must come from Netlist.unit_delay (at least two entries)")
    width = port_width(netlist, port)
    values = [netlist.read(val, port) for val in steps[1:]]
    return np.array([[(v >> k) & 1 for k in range(width)] for v in values], dtype=np.int64)


def _history(history) -> np.ndarray:
    """A bit history (time x bit, from bit_history) as an int array, else a ShapeError."""
    h = int_array(history, "history", ndim=2)
    if h.shape[0] < 1:
        raise ShapeError("history has no time steps; make it with bit_history(netlist, steps, "
                         "port)")
    return h


def settle_times(history: np.ndarray) -> np.ndarray:
    """Per bit, the first time from which it keeps its final value (0 if it never changes)."""
    history = _history(history)
    wrong = history != history[-1]
    last_wrong = np.where(wrong.any(axis=0), history.shape[0] - 1 - np.argmax(wrong[::-1], axis=0),
                          -1)
    return last_wrong + 1


def toggles(history: np.ndarray) -> np.ndarray:
    """Per bit, how often it changes during the replay: more than once is a glitch."""
    return np.abs(np.diff(_history(history), axis=0)).sum(axis=0)


def cell_states(history: np.ndarray, upto: int | None = None) -> np.ndarray:
    """The state of every (time, bit) cell, one of STATES: "settled" from a bit's settle time on,
    "wrong" while it shows a value other than its final one, "pending" while it shows the final
    value but will change again, "future" after time `upto`."""
    history = _history(history)
    if upto is not None:
        upto = check_int(upto, "upto (the last time drawn)", lo=0)
    t = np.arange(history.shape[0])[:, None]
    states = np.where(history != history[-1], "wrong", "pending").astype(object)
    states[t >= settle_times(history)[None, :]] = "settled"
    if upto is not None:
        states[t[:, 0] > upto, :] = "future"
    return states


def _race_rows(netlist, steps, port, carry):
    """(label, history column) rows of one panel, top row first: the carry out, then port bits
    from the most significant down."""
    hist = bit_history(netlist, steps, port)
    rows = [(carry, bit_history(netlist, steps, carry)[:, 0])] if carry else []
    rows += [(f"{port}[{k}]", hist[:, k]) for k in reversed(range(hist.shape[1]))]
    return rows, hist


def plot_carry_race(panels, port: str = "s", carry: str | None = "cout", upto: int | None = None,
                    signed: bool = False, title: str | None = None,
                    min_columns: int = 0) -> Figure:
    """Draw unit-delay replays as grids: one row per output bit, one column per gate delay.

    panels -- [(label, netlist, steps), ...], steps from netlist.unit_delay(before, after)
    port   -- the output bus to show bit by bit ("s"); carry -- a 1-bit output shown on top, or None
    upto   -- draw only the first upto + 1 columns (the widget's time slider); None draws all
    signed -- read the bus value (the row above the grid) as two's complement
    min_columns -- draw at least this many time columns (a widget keeps its size this way)

    A cell shows the bit's value; its colour says whether the bit has settled (blue), still shows a
    value it will leave (orange), or shows its final value but will leave it again (grey, a glitch
    ahead). The number at the right end of a row is the time it settles. All panels share one time
    axis, so a slower adder draws a longer grid. Every cell is a Rectangle with gid
    "cell:<panel>:<row label>:<time>" and its state as its label, for tests.
    """
    if not panels:
        raise ConfigError("panels is empty: pass [(label, netlist, steps), ...]")
    if isinstance(panels, (str, dict)) or not all(
            isinstance(p, (tuple, list)) and len(p) == 3 for p in panels):
        raise ConfigError(f"panels must be a list of (label, netlist, steps) triples, steps from "
                          f"netlist.unit_delay(before, after); got {show(panels)}")
    if upto is not None:
        upto = check_int(upto, "upto (the last time drawn)", lo=0)
    min_columns = check_int(min_columns, "min_columns", lo=0)
    signed = check_flag(signed, "signed")
    tables = [(label, nl, *_race_rows(nl, steps, port, carry), steps)
              for label, nl, steps in panels]
    n_cols = max(min_columns, *(hist.shape[0] for *_, hist, _ in tables))
    n_rows = [len(rows) + 1 for _, _, rows, _, _ in tables]  # + the value row
    fig = style.new_figure(max(6.0, 3.0 + 0.42 * n_cols),
                           0.27 * sum(n_rows) + 0.6 * len(panels) + 0.8)
    axes = fig.subplots(len(panels), 1, squeeze=False, sharex=True,
                        gridspec_kw={"height_ratios": n_rows})[:, 0]
    for p, (ax, (label, nl, rows, hist, steps)) in enumerate(zip(axes, tables, strict=True)):
        _draw_race_panel(ax, p, label, nl, rows, hist, steps, port, upto, signed, n_cols)
    axes[-1].set_xlabel("gate delays after the inputs change", fontsize=style.FONT_SIZE,
                        color=style.COLORS["muted"])
    fig.legend(handles=[Patch(facecolor=RACE_COLORS[s], edgecolor=RACE_COLORS["grid"], label=text)
                        for s, text in (("settled", "settled: final value for good"),
                                        ("wrong", "not the final value yet"),
                                        ("pending", "final value, but will change again"))],
               loc="outside lower center", ncols=3, fontsize=style.FONT_SIZE - 1, frameon=False)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=style.NAME_FONT_SIZE + 1)
    return fig


def _draw_race_panel(ax, p, label, nl, rows, hist, steps, port, upto, signed, n_cols):
    n_t = hist.shape[0]
    now = n_t - 1 if upto is None else upto  # the last time drawn: later facts stay hidden
    settle_all = max(int(settle_times(np.asarray(column)[:, None])[0]) for _, column in rows)
    for r, (name, column) in enumerate(rows):
        y = len(rows) - 1 - r
        col = np.asarray(column)[:, None]
        states = cell_states(col, upto)[:, 0]
        settle = int(settle_times(col)[0])
        for t in range(n_t):
            rect = Rectangle((t, y), 1, 1, facecolor=RACE_COLORS[states[t]],
                             edgecolor=RACE_COLORS["grid"], lw=0.6, gid=f"cell:{p}:{name}:{t}",
                             label=states[t])
            ax.add_patch(rect)
            if states[t] != "future":
                ax.text(t + 0.5, y + 0.5, str(int(col[t, 0])), ha="center", va="center",
                        family=style.MONO, fontsize=style.FONT_SIZE - 1,
                        color="white" if states[t] == "settled" else style.COLORS["label"])
        flips = int(toggles(col)[0])
        if settle <= now:
            note = f"t={settle}" + (f"  ({flips} flips)" if flips > 1 else "")
            ax.text(n_cols + 0.3, y + 0.5, note, va="center", fontsize=style.FONT_SIZE - 1,
                    color=RACE_COLORS["overflow"] if flips > 1 else style.COLORS["muted"])
    width = hist.shape[1]
    y = len(rows)
    shown = n_t if upto is None else min(upto + 1, n_t)
    for t in range(shown):  # the bus value above the grid, as a number
        v = nl.read(steps[t + 1], port, signed=signed)
        ax.text(t + 0.5, y + 0.5, str(v), ha="center", va="center", family=style.MONO,
                fontsize=style.FONT_SIZE - 2, rotation=0,
                color=RACE_COLORS["settled"] if t >= settle_all else style.COLORS["label"])
    ax.text(-0.3, y + 0.5, f"{port} =", ha="right", va="center", family=style.MONO,
            fontsize=style.FONT_SIZE, color=style.COLORS["muted"])
    if settle_all <= now:
        ax.axvline(settle_all, color=RACE_COLORS["overflow"], lw=1.5, ls="--")
    ax.set_xlim(0, n_cols)
    ax.set_ylim(0, len(rows) + 1)
    ax.set_yticks([len(rows) - 1 - r + 0.5 for r in range(len(rows))], [n for n, _ in rows],
                  family=style.MONO, fontsize=style.FONT_SIZE)
    ax.tick_params(axis="y", length=0)
    ax.set_xticks(np.arange(n_cols) + 0.5, [str(t) for t in range(n_cols)],
                  fontsize=style.FONT_SIZE - 1)
    ax.tick_params(axis="x", length=0, labelbottom=True)
    for side in ("left", "right", "top", "bottom"):
        ax.spines[side].set_visible(False)
    when = (f"settles after {settle_all} gate delays" if settle_all <= now
            else f"still settling at t={now}")
    ax.set_title(f"{label}: {width}-bit {port} {when}", loc="left", fontsize=style.NAME_FONT_SIZE)


class CarryRace:
    """A widget to race adders: pick operands a and b (and the carry in), then play the replay.

    replay -- a function the notebook writes: replay(before, after) -> panels for plot_carry_race,
              with before and after each a dict {"a": ..., "b": ..., "cin": ...} of input values;
              it typically calls Netlist.unit_delay on each adder. The widget never simulates.
    width  -- operand width in bits (slider range 0 .. 2**width - 1)

    The inputs switch from 0 + 0 (or, with "from 0 + 0" unticked, from the previous operands) to the
    chosen ones; the time slider (or the play button) shows the replay one gate delay at a time.
    Display it as the last expression of a cell; `.widget` is the ipywidgets box.
    """

    def __init__(self, replay: Callable, width: int = 8, a: int = 255, b: int = 1, cin: int = 0,
                 interval_ms: int = 700):
        if not callable(replay):
            raise ConfigError(f"replay must be a function replay(before, after) -> panels, got "
                              f"{show(replay)}")
        width = check_int(width, "width (operand bits)", lo=1, hi=16)
        top = (1 << width) - 1
        a, b = (check_int(v, name, lo=0, hi=top) for v, name in ((a, "a"), (b, "b")))
        cin = check_int(cin, "cin", lo=0, hi=1)
        interval_ms = check_int(interval_ms, "interval_ms", lo=1)
        self.replay = replay
        self.columns = 2 * width + 1  # a ripple adder's worst case: the figure keeps its size
        slider = {"min": 0, "max": top, "continuous_update": False,
                  "layout": Layout(width="420px")}
        self.a = IntSlider(value=a, description="a", **slider)
        self.b = IntSlider(value=b, description="b", **slider)
        self.cin = Checkbox(value=bool(cin), description="carry in", indent=False)
        self.from_zero = Checkbox(value=True, description="inputs switch from 0 + 0", indent=False)
        self.time = IntSlider(value=0, min=0, max=1, description="t", continuous_update=False,
                              layout=Layout(width="420px"))
        self.play = Play(value=0, min=0, max=1, interval=interval_ms, description="play")
        jslink((self.play, "value"), (self.time, "value"))
        self.image = Image(format="png", layout=Layout(max_width="100%"))
        self.status = HTML()
        self.figure: Figure | None = None
        self.panels: list = []
        self._frames: dict = {}  # time -> (figure, png) of the current replay: replaying is instant
        self._previous = {"a": 0, "b": 0, "cin": 0}
        self._current = {"a": 0, "b": 0, "cin": 0}
        for w in (self.a, self.b, self.cin, self.from_zero):
            w.observe(self._on_operands, names="value")
        self.time.observe(self._on_time, names="value")
        self.widget = VBox([HBox([self.a, self.cin]), HBox([self.b, self.from_zero]),
                            HBox([self.play, self.time]), self.status, self.image])
        self._on_operands()

    def operands(self) -> dict:
        return {"a": int(self.a.value), "b": int(self.b.value), "cin": int(self.cin.value)}

    def _on_operands(self, _change=None):
        after = self.operands()
        before = {"a": 0, "b": 0, "cin": 0} if self.from_zero.value else dict(self._current)
        self._previous, self._current = before, after
        self.panels = self.replay(before, after)
        self._frames = {}
        last = max(len(steps) - 2 for _, _, steps in self.panels)
        self.play.max = self.time.max = max(last, 1)
        if self.time.value != self.time.max:
            self.time.value = self.time.max  # redraws through _on_time
        else:
            self.draw()

    def _on_time(self, _change=None):
        self.draw()

    def draw(self):
        """Show the replay up to the time slider in the image (each frame is rendered once)."""
        before, after, now = self._previous, self._current, self.time.value
        if now not in self._frames:
            fig = plot_carry_race(self.panels, upto=now, min_columns=self.columns)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=90)
            self._frames[now] = (fig, buffer.getvalue())
        self.figure, self.image.value = self._frames[now]
        c = " + 1" if after["cin"] else ""
        self.status.value = (f"inputs switch from {before['a']} + {before['b']}"
                             f"{' + 1' if before['cin'] else ''} to <b>{after['a']} + "
                             f"{after['b']}{c} = {after['a'] + after['b'] + after['cin']}</b>"
                             f"; showing t = {self.time.value} of {self.time.max} gate delays")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
