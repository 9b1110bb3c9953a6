"""The systolic array drawn from a recorded trace (lessons 03-04): one cycle's registers as a grid
of PEs with the skew lines around it (draw_step), the skew itself, and a Play/slider widget.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass

import numpy as np
from ipywidgets import HTML, Dropdown, HBox, Image, IntSlider, Layout, Play, VBox, jslink
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from chipkit.checks import check_int, check_real, show
from chipkit.errors import ConfigError, ShapeError
from chipkit.viz import style

#: colours of the array drawings, by what they mark
COLORS = {
    "active": "#ffd9a8",  # a PE that multiplies real operands this cycle
    "active_edge": "#c8661b",
    "idle": "#f3f3f3",  # a PE that multiplies padding or zeros
    "idle_edge": "#b5b5b5",
    "stationary": "#1f4e79",  # the operand that stays put (WS: w; OS: acc)
    "moving": "#202020",  # operands passing through
    "zero": "#a8a8a8",  # a register holding 0
    "register": "#ffffff",  # skew / de-skew registers
    "output": "#2e7d32",  # a valid row leaving the array
    "queue": "#8a8a8a",  # inputs waiting to enter
    "wire": "#c4c4c4",
}
#: the per-PE registers drawn in each cell, top to bottom
CELL_REGISTERS = {"ws": ("w", "a", "p"), "os": ("a", "b", "acc")}
_NEEDED = {"ws": ("w", "a", "p", "skew", "deskew"), "os": ("a", "b", "acc", "skew_a", "skew_b")}
NAMES = {"ws": "weight-stationary", "os": "output-stationary"}

PE, REG, PITCH = 0.88, 0.5, 0.6  # PE box, register box and register pitch, in PE-grid units
TITLE_H = 0.9  # room for a title of up to three lines above the drawing, in PE-grid units


def checked_run(run):
    """`run` as an ArrayRun with recorded states (a GemmResult is unwrapped to its .run), or a
    ChipkitError that says how to get one."""
    if not hasattr(run, "schedule") and hasattr(run, "run"):
        run = run.run
    if run is None or not hasattr(run, "schedule") or not hasattr(run, "states"):
        raise ConfigError(f"expected an ArrayRun (chipkit.backends.array_gemm.gemm(a, b, cfg, "
                          f"record=True) or the rtl backend's run), got {type(run).__name__}")
    if run.states is None:
        raise ConfigError("this run has no recorded states: simulate it with record=True, e.g. "
                          "fast.gemm(a, b, cfg, record=True)")
    s = run.schedule
    df, f, t, r, c = s.cfg.dataflow, s.folds, s.steps, s.cfg.rows, s.cfg.cols
    for name in _NEEDED[df]:
        if name not in run.states:
            raise ShapeError(f"the run's states lack register {name!r} ({df} runs record "
                             f"{', '.join(_NEEDED[df])})")
        shape = np.shape(run.states[name])
        if shape[:2] != (f, t) or (name in CELL_REGISTERS[df] and shape[2:] != (r, c)):
            raise ShapeError(f"states[{name!r}] has shape {shape}; expected [folds={f}, "
                             f"steps={t}, ...] ([{f}, {t}, {r}, {c}] for a PE register)")
    return run


def _check_step(run, fold: int, t: int) -> None:
    s = run.schedule
    for v, name, span in ((fold, "fold", f"0..{s.folds - 1}"), (t, "t (the cycle)",
                                                                 f"1..{s.steps}")):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ConfigError(f"{name} must be an integer in {span}, got {show(v)}")
    if not 0 <= fold < s.folds:
        raise ConfigError(f"fold {fold} does not exist: this run has folds 0..{s.folds - 1}")
    if not 1 <= t <= s.steps:
        raise ConfigError(f"cycle {t} does not exist: a fold runs cycles 1..{s.steps} "
                          "(cycle t shows the registers after the t-th clock edge)")


@dataclass(frozen=True)
class StepView:
    """What the array holds right after clock edge `t` (1-based) of fold `fold`: the numbers drawn.

    cells     -- {register: [R, C] ints}: WS w, a, p; OS a, b, acc
    active    -- [R, C] bool, Schedule.active() at this step
    left      -- per PE row i, the skew registers of its input line (i of them, the newest first)
    top       -- OS: per PE column j, the skew registers of b (j of them); WS: None
    below     -- WS: per column j, the de-skew registers (C-1-j of them, newest first); OS: None
    queue_left, queue_top -- the next inputs, per lane, nearest first (None: nothing real enters)
    out       -- [C] values leaving at the bottom; out_valid; out_row -- C's row they belong to
                 (OS: a row >= M is padding of a partial tile: zeros); out_label says which
    """

    dataflow: str
    rows: int
    cols: int
    fold: int
    folds: int
    t: int
    steps: int
    cells: dict
    active: np.ndarray
    left: list
    top: list | None
    below: list | None
    queue_left: list
    queue_top: list
    out: np.ndarray
    out_valid: bool
    out_row: int | None
    out_label: str
    phase: str
    where: str


def step_view(run, fold: int = 0, t: int = 1, queue: int = 3) -> StepView:
    """The registers after edge `t` (1..T) of `fold`, read from the run's recorded states."""
    run = checked_run(run)
    _check_step(run, fold, t)
    queue = check_int(queue, "queue (inputs shown waiting)", lo=0)
    sch, st = run.schedule, run.states
    df, r, c, s = sch.cfg.dataflow, sch.cfg.rows, sch.cfg.cols, t - 1
    cells = {k: np.asarray(st[k][fold, s]).astype(np.int64) for k in CELL_REGISTERS[df]}
    upcoming = range(t, min(t + queue, sch.steps))
    data = sch.data
    if df == "ws":
        left = [np.asarray(st["skew"][fold, s, i, :i]) for i in range(r)]
        below = [np.asarray(st["deskew"][fold, s, j, : c - 1 - j]) for j in range(c)]
        top = None
        real_a = [bool(sch.control["a_valid"][u]) for u in upcoming]
        real_top = [bool(sch.control["w_load"][u]) for u in upcoming]
        top_port = "w_in"
    else:
        left = [np.asarray(st["skew_a"][fold, s, i, :i]) for i in range(r)]
        top = [np.asarray(st["skew_b"][fold, s, j, :j]) for j in range(c)]
        below = None
        real_a = real_top = [u < sch.k for u in upcoming]
        top_port = "b_in"
    queue_left = [[int(data["a_in"][fold, u, i]) if ok else None
                   for u, ok in zip(upcoming, real_a)] for i in range(r)]
    queue_top = [[int(data[top_port][fold, u, j]) if ok else None
                  for u, ok in zip(upcoming, real_top)] for j in range(c)]
    out_valid = bool(run.c_valid[fold, s])
    out_row, out_label = None, "no row leaving"
    if out_valid:
        count = int(np.asarray(run.c_valid[fold, : s + 1]).sum()) - 1
        out_row = count if df == "ws" else sch.origins[fold][0] + r - 1 - count
        if out_row >= sch.m:
            out_label = f"↓ leaving: padding (row {out_row} ≥ M = {sch.m})"
        else:
            partial = " (partial sum)" if df == "ws" and sch.k > r else ""
            out_label = f"↓ leaving: row {out_row} of C{partial}"
    return StepView(df, r, c, fold, sch.folds, t, sch.steps, cells,
                    np.asarray(sch.active()[fold, s]), left, top, below, queue_left, queue_top,
                    np.asarray(run.c_out[fold, s]).astype(np.int64), out_valid, out_row,
                    out_label, _phase(sch, s), _where(sch, fold))


def _phase(sch, s: int) -> str:
    r = sch.cfg.rows
    if sch.cfg.dataflow == "ws":
        if sch.control["w_load"][s]:
            return f"loading weights ({s + 1} of {r} rows in)"
        if sch.control["a_valid"][s]:
            return f"rows of A entering ({s - r + 1} of {sch.m})"
        return "last rows crossing the array" + (" and the de-skew" if sch.cfg.cols > 1 else "")
    if s < sch.k:
        return f"operands entering (step {s + 1} of K = {sch.k})"
    if not sch.control["drain"][s]:
        return "last products rippling to the far corner"
    return f"shifting finished rows out ({s - (sch.steps - r) + 1} of {r})"


def _where(sch, fold: int) -> str:
    rows, cols, _ = sch.tiles[fold]
    o0, n0 = sch.origins[fold]
    if sch.cfg.dataflow == "ws":
        return f"B rows {o0}-{o0 + rows - 1}, cols {n0}-{n0 + cols - 1}"
    return f"C rows {o0}-{o0 + rows - 1}, cols {n0}-{n0 + cols - 1}"


# --- drawing one step --------------------------------------------------------------------------

def _extent(v: StepView, queue: int):
    """(x0, x1, y0, y1) of everything drawn, in PE-grid units (PE (i, j) centred at (j, -i))."""
    skew_w = max(v.rows - 1, 0) * PITCH
    x0 = -PE / 2 - 0.15 - skew_w - 0.25 - queue * 0.55 - 0.35
    x1 = v.cols - 1 + PE / 2 + 0.1
    skew_h = max(v.cols - 1, 0) * PITCH if v.dataflow == "os" else 0.0
    y1 = PE / 2 + 0.15 + skew_h + 0.2 + queue * 0.42 + 0.3 + TITLE_H
    deskew_h = max(v.cols - 1, 0) * PITCH if v.dataflow == "ws" else 0.0
    y0 = -(v.rows - 1) - PE / 2 - 0.15 - deskew_h - 0.15 - REG - 0.55
    return x0, x1, y0, y1


def _text(ax, x, y, s, size, color, gid=None, **kw):
    ax.text(x, y, s, ha=kw.pop("ha", "center"), va="center", fontsize=size, color=color,
            family=style.MONO, gid=gid, **kw)


def _register(ax, x, y, value, size, gid):
    ax.add_patch(Rectangle((x - REG / 2, y - REG / 2), REG, REG, facecolor=COLORS["register"],
                           edgecolor=COLORS["idle_edge"], lw=0.8, zorder=2, gid=gid))
    _text(ax, x, y, str(int(value)), size * 0.85,
          COLORS["zero"] if value == 0 else COLORS["moving"], gid=gid, zorder=3)


def _draw(ax, v: StepView, queue: int, title: str | None):
    x0, x1, y0, y1 = _extent(v, queue)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    fig = ax.figure
    bbox = ax.get_position()
    w_in, h_in = bbox.width * fig.get_figwidth(), bbox.height * fig.get_figheight()
    unit_pt = 72 * min(w_in / (x1 - x0), h_in / (y1 - y0))  # one grid unit, in points
    fs = float(np.clip(unit_pt * 0.21, 5, 12))
    _draw_wires(ax, v, queue)
    _draw_pes(ax, v, fs, unit_pt)
    _draw_inputs(ax, v, fs, queue)
    _draw_outputs(ax, v, fs)
    if title is None:
        head = f"{v.dataflow.upper()} {v.rows}×{v.cols} · cycle {v.t} of {v.steps}"
        parts = [f"fold {v.fold + 1} of {v.folds}"] if v.folds > 1 else []
        parts += [v.phase, f"{int(v.active.sum())} of {v.rows * v.cols} PEs busy"]
        title = _wrap(head, parts, (x1 - x0) * unit_pt / (fs * 1.05 * 0.6))
    ax.text(x0 + 0.05, y1 - 0.05, title, ha="left", va="top", fontsize=fs * 1.05,
            color=style.COLORS["label"], linespacing=1.15)


def _skew_left_x(v: StepView) -> float:
    """The left edge of the longest skew line (row R-1 has R-1 registers)."""
    return -PE / 2 - 0.15 - max(v.rows - 1, 0) * PITCH


def _top_y(v: StepView) -> float:
    """Just above the top skew registers (OS) or the top row of PEs (WS)."""
    return PE / 2 + 0.15 + (max(v.cols - 1, 0) * PITCH if v.dataflow == "os" else 0) + 0.2


def _draw_wires(ax, v: StepView, queue: int):
    """Grey lines under everything: inputs run right along each row, down along each column."""
    left = _skew_left_x(v) - 0.25 - queue * 0.55
    for i in range(v.rows):
        ax.plot([left, v.cols - 1], [-i, -i], color=COLORS["wire"], lw=0.8, zorder=0)
    for j in range(v.cols):
        ax.plot([j, j], [_top_y(v) + queue * 0.42, -(v.rows - 1) - PE / 2],
                color=COLORS["wire"], lw=0.8, zorder=0)


def _draw_pes(ax, v: StepView, fs: float, unit_pt: float):
    """A box per PE, orange if active, with its registers: name on the left, value on the right."""
    names = CELL_REGISTERS[v.dataflow]
    stationary = "w" if v.dataflow == "ws" else "acc"
    for i in range(v.rows):
        for j in range(v.cols):
            on = bool(v.active[i, j])
            ax.add_patch(Rectangle((j - PE / 2, -i - PE / 2), PE, PE, zorder=1, gid=f"pe{i},{j}",
                                   facecolor=COLORS["active" if on else "idle"],
                                   edgecolor=COLORS["active_edge" if on else "idle_edge"],
                                   lw=1.6 if on else 0.8))
            for row, name in enumerate(names):
                value = int(v.cells[name][i, j])
                color = COLORS["stationary"] if name == stationary else COLORS["moving"]
                color = COLORS["zero"] if value == 0 and not on else color
                y = -i + 0.27 - 0.27 * row
                _text(ax, j - PE / 2 + 0.05, y, name, fs * 0.8, COLORS["queue"], ha="left",
                      zorder=3)
                room = (PE - 0.1) * unit_pt - style.CHAR_EM * fs * 0.8 * (len(name) + 1.2)
                size = max(3.0, min(fs, room / (style.CHAR_EM * len(str(value)))))  # long: shrink
                _text(ax, j + PE / 2 - 0.05, y, str(value), size, color, ha="right",
                      gid=f"pe{i},{j}:{name}", zorder=3,
                      fontweight="bold" if name == stationary else "normal")


def _draw_inputs(ax, v: StepView, fs: float, queue: int):
    """The skew registers on the left (and on top for OS), and the next inputs before them."""
    halo = {"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"}
    left, top = _skew_left_x(v), _top_y(v)
    for i, regs in enumerate(v.left):
        for d, value in enumerate(regs):
            x = -PE / 2 - 0.15 - REG / 2 - (i - 1 - d) * PITCH
            _register(ax, x, -i, value, fs, f"skew{i},{d}")
        for q, value in enumerate(v.queue_left[i]):
            if value is not None:
                _text(ax, left - 0.25 - 0.55 * q - 0.2, -i, str(value), fs * 0.95,
                      COLORS["queue"], gid=f"in{i},{q}", zorder=3, bbox=halo)
    _text(ax, left - 0.25 - queue * 0.55 - 0.1, 0.62, "a_in →", fs * 0.9, COLORS["queue"],
          ha="left")
    for j, regs in enumerate(v.top or []):
        for d, value in enumerate(regs):
            _register(ax, j, PE / 2 + 0.15 + REG / 2 + (j - 1 - d) * PITCH, value, fs,
                      f"skewb{j},{d}")
    for j, col in enumerate(v.queue_top):
        for q, value in enumerate(col):
            if value is not None:
                _text(ax, j, top + 0.21 + 0.42 * q, str(value), fs * 0.95, COLORS["queue"],
                      gid=f"top{j},{q}", zorder=3, bbox=halo)
    port = "w_in ↓" if v.dataflow == "ws" else "b_in ↓"
    _text(ax, -PE / 2, top + 0.21, port, fs * 0.9, COLORS["queue"], ha="right")


def _draw_outputs(ax, v: StepView, fs: float):
    """The de-skew registers under a WS array, then the output port: a row of C when valid."""
    r, c = v.rows, v.cols
    bottom = -(r - 1) - PE / 2 - 0.15
    if v.below is not None:
        for j, regs in enumerate(v.below):
            for e, value in enumerate(regs):
                _register(ax, j, bottom - REG / 2 - e * PITCH, value, fs, f"deskew{j},{e}")
        bottom -= max(c - 1, 0) * PITCH
    y_out = bottom - 0.15 - REG / 2
    for j in range(c):
        ax.add_patch(Rectangle((j - PE / 2, y_out - REG / 2), PE, REG, zorder=2,
                               facecolor="#e8f5e9" if v.out_valid else "white",
                               edgecolor=COLORS["output"] if v.out_valid else COLORS["wire"],
                               lw=1.2 if v.out_valid else 0.8, ls="-" if v.out_valid else ":"))
        if v.out_valid:
            _text(ax, j, y_out, str(int(v.out[j])), fs, COLORS["output"], gid=f"out{j}",
                  zorder=3)
    _text(ax, c - 1 + PE / 2, y_out - REG / 2 - 0.22, v.out_label, fs * 0.9,
          COLORS["output"] if v.out_valid else COLORS["queue"], ha="right")


def _wrap(head: str, parts: list, chars: float) -> str:
    """head and parts joined by " · ", starting a new line where one would pass `chars`."""
    lines = [head]
    for part in parts:
        if len(lines[-1]) + 3 + len(part) <= chars:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return "\n".join(lines)


def draw_step(run, fold: int = 0, t: int = 1, ax=None, queue: int = 3,
              title: str | None = None) -> Figure:
    """Draw the array right after clock edge `t` of `fold` (t is 1-based: 1..T, T = steps per fold).

    Each PE shows its registers (WS: stationary weight w, activation a, partial sum p; OS: a, b
    and the stationary accumulator acc), filled orange if Schedule.active() says it multiplies real
    operands at this step. Around the grid: the skew registers (the staircase on the left, and on
    top for OS) with the next inputs waiting before them (grey), the de-skew registers under a WS
    array, and the row of C leaving at the bottom (green when valid). Every number comes from the
    run's recorded states (record=True): the drawing never simulates.
    Returns the Figure (shown once as a cell's value in a notebook); `ax` draws into an Axes.
    """
    v = step_view(run, fold, t, queue)
    if ax is None:
        x0, x1, y0, y1 = _extent(v, queue)
        unit = min(0.72, 9.0 / (x1 - x0), 8.5 / (y1 - y0))  # inches per grid unit
        # no layout engine: the axes is the whole figure, so font sizes follow from it exactly
        fig = style.NotebookFigure(figsize=((x1 - x0) * unit, (y1 - y0) * unit))
        ax = fig.add_axes((0, 0, 1, 1))
    _draw(ax, v, queue, title)
    return ax.figure


def draw_steps(run, steps, fold: int = 0, queue: int = 2, columns: int = 2,
               width: float = 11.0) -> Figure:
    """Several cycles of one fold side by side (a static strip of the animation): draw_step each."""
    if isinstance(steps, (str, dict)) or not hasattr(steps, "__iter__"):
        raise ConfigError(f"steps must be a list of cycles, e.g. [1, 5, 9]; got {show(steps)}")
    steps = list(steps)
    if not steps:
        raise ConfigError("steps must name at least one cycle, e.g. [1, 5, 9]")
    columns = check_int(columns, "columns", lo=1)
    width = check_real(width, "width (inches)")
    run = checked_run(run)
    v = step_view(run, fold, steps[0], queue)
    x0, x1, y0, y1 = _extent(v, queue)
    ncol = min(columns, len(steps))
    nrow = -(-len(steps) // ncol)
    # no layout engine: panels placed exactly, so their font sizes are right
    fig = style.NotebookFigure(figsize=(width, nrow * width / ncol * (y1 - y0) / (x1 - x0)))
    for index, t in enumerate(steps):
        row, col = divmod(index, ncol)
        ax = fig.add_axes((col / ncol, 1 - (row + 1) / nrow, 0.98 / ncol, 1 / nrow))
        _draw(ax, step_view(run, fold, t, queue), queue, None)
    return fig


# --- the skew ----------------------------------------------------------------------------------

def plot_skew(run, fold: int = 0, title: str | None = None) -> Figure:
    """What the schedule sends into each input line (a_in) and what reaches the line's first PE
    after the skew registers (the recorded register a[i, 0]), cycle by cycle. A value is coloured by
    the step it was sent at: the schedule's vertical bands come out as diagonals. For OS a second
    pair of tables shows b along the top edge. Needs a run with states; never simulates.
    """
    run = checked_run(run)
    _check_step(run, fold, 1)
    sch, st = run.schedule, run.states
    pairs = [("a_in", "a", sch.cfg.rows, "PE row")]
    if sch.cfg.dataflow == "os":
        pairs.append(("b_in", "b", sch.cfg.cols, "PE col"))
    t = sch.steps
    if sch.cfg.dataflow == "ws":
        real_step = np.asarray(sch.control["a_valid"]).astype(bool)
    else:
        real_step = np.arange(t) < sch.k
    heights = [n for *_, n, _ in pairs for _ in (0, 1)]
    fig = style.new_figure(min(11.0, 1.4 + 0.4 * t), 0.5 + 0.3 * sum(heights) + 0.75 * len(heights))
    axes = fig.subplots(len(heights), 1, height_ratios=heights)
    cmap = _band_cmap(int(real_step.sum()))
    first = int(np.argmax(real_step))
    for p, (port, reg, lanes, lane_name) in enumerate(pairs):
        sent = np.asarray(sch.data[port][fold]).T  # [lanes, T]
        seen = np.asarray(st[reg][fold, :, :, 0] if reg == "a" else st[reg][fold, :, 0, :]).T
        sent_at = np.broadcast_to(np.arange(t)[None, :], (lanes, t))
        seen_at = sent_at - np.arange(lanes)[:, None]  # lane i waits i cycles in its skew line
        where = "a[i, 0]: what PE (i, 0)" if reg == "a" else "b[0, j]: what PE (0, j)"
        panels = [(sent, sent_at, f"{port}: what the schedule sends into each input line"),
                  (seen, seen_at, f"{where} holds after the skew registers")]
        for k, (values, step_of, label) in enumerate(panels):
            real = (step_of >= 0) & real_step[np.clip(step_of, 0, t - 1)]
            ax = axes[2 * p + k]
            _band_table(ax, values, np.where(real, step_of - first, -1), cmap, lane_name)
            ax.set_title(label, loc="left", fontsize=style.NAME_FONT_SIZE)
    if title:
        fig.suptitle(title, fontsize=style.NAME_FONT_SIZE + 1)
    return fig


def _band_cmap(n: int):
    from matplotlib import colormaps

    return colormaps["tab10"].resampled(max(min(n, 10), 2))


def _band_table(ax, values, band, cmap, lane_name):
    """A lanes x cycles table of values; a real one (band >= 0) is coloured by its band."""
    lanes, t = values.shape
    ax.set_xlim(0.5, t + 0.5)
    ax.set_ylim(lanes - 0.5, -0.5)
    for i in range(lanes):
        for s in range(t):
            real = band[i, s] >= 0
            color = cmap(int(band[i, s]) % cmap.N) if real else "white"
            ax.add_patch(Rectangle((s + 0.5, i - 0.5), 1, 1, facecolor=color,
                                   alpha=0.45 if real else 1.0, edgecolor="#d0d0d0", lw=0.6))
            if real:
                ax.text(s + 1, i, str(int(values[i, s])), ha="center", va="center",
                        family=style.MONO, fontsize=style.FONT_SIZE - 1,
                        color=style.COLORS["label"])
    ax.set_yticks(range(lanes), [f"{lane_name} {i}" for i in range(lanes)],
                  fontsize=style.FONT_SIZE - 1)
    ax.set_xticks(range(1, t + 1), [str(s) for s in range(1, t + 1)], fontsize=style.FONT_SIZE - 1)
    ax.set_xlabel("cycle", fontsize=style.FONT_SIZE - 1, color=style.COLORS["muted"])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)


# --- the widget --------------------------------------------------------------------------------

class DataflowPlayer:
    """Step through a recorded run of the array: play button, cycle slider and (F > 1) fold picker.

    run -- an ArrayRun with states (fast.gemm(..., record=True) or the rtl backend), or a GemmResult
    The picture is draw_step's; the widget never simulates. Contract (the browser tests rely on it):
    `status` (an HTML widget) contains "cycle {t} of {T}" with t 1-based (1..T, the registers after
    the t-th clock edge) and T the steps of one fold; `slider.description` is "cycle"; the
    container `widget` has the CSS class "chipkit-dataflow". Display it as a cell's last value.
    """

    def __init__(self, run, fold: int = 0, t: int = 1, interval_ms: int = 700, queue: int = 3,
                 dpi: int = 80):
        self.run = checked_run(run)
        sch = self.run.schedule
        _check_step(self.run, fold, t)
        interval_ms = check_int(interval_ms, "interval_ms", lo=1)
        queue = check_int(queue, "queue (inputs shown waiting)", lo=0)
        dpi = check_int(dpi, "dpi", lo=20, hi=600)
        self.queue, self.dpi = queue, dpi
        steps = sch.steps
        self.slider = IntSlider(value=t, min=1, max=steps, description="cycle",
                                continuous_update=False, layout=Layout(width="420px"))
        self.play = Play(value=t, min=1, max=steps, interval=interval_ms, description="play")
        jslink((self.play, "value"), (self.slider, "value"))
        options = [(f"fold {f + 1} of {sch.folds}: {_where(sch, f)}", f)
                   for f in range(sch.folds)]
        self.fold = Dropdown(options=options, value=fold, description="fold",
                             layout=Layout(width="420px"))
        self.status = HTML()
        self.image = Image(format="png", layout=Layout(max_width="100%"))
        self.figure: Figure | None = None
        controls = [HBox([self.play, self.slider])]
        if sch.folds > 1:
            controls.append(self.fold)
        self.widget = VBox([*controls, self.status, self.image])
        self.widget.add_class("chipkit-dataflow")
        self.slider.observe(self._redraw, names="value")
        self.fold.observe(self._redraw, names="value")
        start = time.perf_counter()
        self.draw()
        # a big array draws slowly: let the play button wait for each frame
        self.play.interval = max(interval_ms, int(2000 * (time.perf_counter() - start)))

    def _redraw(self, _change=None):
        self.draw()

    def draw(self):
        """Render the chosen fold and cycle into the image and say where we are in the status."""
        fold, t = int(self.fold.value), int(self.slider.value)
        v = step_view(self.run, fold, t, self.queue)
        self.figure = draw_step(self.run, fold, t, queue=self.queue)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.dpi)
        self.image.value = buffer.getvalue()
        where = f" · fold {fold + 1} of {v.folds}" if v.folds > 1 else ""
        self.status.value = (f"<b>cycle {t} of {v.steps}</b>{where} · {NAMES[v.dataflow]} "
                             f"{v.rows}×{v.cols} · {int(v.active.sum())} of {v.rows * v.cols} "
                             f"PEs busy · {v.phase}")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
