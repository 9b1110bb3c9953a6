"""Figures of lesson 05, memory, DMA and the controller: a Gantt chart of a core run (one lane per
unit, the controller's stalls on top, stall causes beside it) and a widget that re-runs it.

plot_timeline draws a finished chipkit.models.core_fast.CoreRun; it never simulates. The widget
calls the notebook's own function to get a new run when a slider moves.
"""
from __future__ import annotations

import io
from collections.abc import Callable

from ipywidgets import HTML, HBox, Image, IntSlider, Layout, VBox

from chipkit.checks import check_int
from chipkit.errors import ConfigError
from chipkit.models.core_golden import CoreRun
from chipkit.timing import STALLS
from chipkit.viz import style

#: the lanes, top to bottom; "ctrl" is the controller (issue and stalls)
LANES = ("ctrl", "dma", "lw", "mm", "vec")
LANE_NAMES = {"ctrl": "controller", "dma": "DMA", "lw": "weight load", "mm": "array (mm)",
              "vec": "vector"}
COLORS = {"dma": "#e07b39", "lw": "#2e7d32", "mm": "#3b7dd8", "vec": "#8e44ad",
          "ctrl": "#9e9e9e", "stall": "#c62828"}
BAR_HEIGHT = 0.62


def _check(run) -> CoreRun:
    if not isinstance(run, CoreRun) or run.timeline is None:
        raise ConfigError(f"plot_timeline draws a CoreRun with a timeline (what "
                          f"chipkit.models.core_fast.run returns), got "
                          f"{getattr(run, 'backend', None) or type(run).__name__}")
    return run


def summary(run: CoreRun) -> str:
    """One line: cycles, how busy the array was, and the instructions issued."""
    _check(run)
    busy = run.counters.get("array_busy", 0) / max(run.cycles, 1)
    return (f"{run.cycles} cycles · array busy {busy:.0%} · "
            f"{run.counters.get('instructions', len(run.timeline))} instructions")


def stalls(run: CoreRun) -> dict:
    """{cause: cycles} of the controller's stalls, largest first, zeros left out."""
    _check(run)
    found = {s: run.counters.get(f"stall_{s}", 0) for s in STALLS}
    return dict(sorted(((k, v) for k, v in found.items() if v), key=lambda kv: -kv[1]))


def _label(job, width_pt: float, font: float) -> str:
    """'pc mnemonic' if it fits in the bar, else the pc alone, else nothing."""
    for text in (f"{job.pc} {job.instr.op.mnemonic}", str(job.pc)):
        if len(text) * font * style.CHAR_EM < width_pt - 2:
            return text
    return ""


def _subrows(jobs) -> tuple[dict, int]:
    """Jobs of one unit that overlap in time (an mm drains while the next streams) go to
    different sub-rows: {pc: sub-row}, number of sub-rows."""
    ends, where = [], {}
    for job in sorted(jobs, key=lambda j: (j.start, j.pc)):
        row = next((i for i, e in enumerate(ends) if e < job.start), len(ends))
        ends[row:row + 1] = [job.done]
        where[job.pc] = row
    return where, max(len(ends), 1)


def _controller_gaps(run: CoreRun) -> list[tuple[int, int]]:
    """(first cycle, cycles) spans in which the controller issued nothing although it could have:
    between two jobs, the cycles beyond one per instruction between them."""
    gaps, prev_pc, prev_cycle = [], -1, -1
    for job in sorted(run.timeline, key=lambda j: j.pc):
        lost = job.issued - prev_cycle - (job.pc - prev_pc)
        if lost > 0:
            gaps.append((job.issued - (job.pc - prev_pc) + 1 - lost, lost))
        prev_pc, prev_cycle = job.pc, job.issued
    if run.timeline:  # after the last job: the final sync/halt wait for the units
        after = run.counters.get("instructions", prev_pc + 2) - 1 - prev_pc  # then sync, halt
        tail = run.cycles - 1 - prev_cycle - after
        if tail > 0:
            gaps.append((prev_cycle + 1, tail))
    return gaps


def plot_timeline(run: CoreRun, ax=None, title: str | None = None, xmax: int | None = None):
    """A Gantt chart of `run.timeline`: per unit, each job a bar over the cycles start..done
    (inclusive) labelled with its pc and mnemonic; a thin line from the cycle it was issued to its
    start (waiting in the DMA queue or for its unit). The controller lane marks each issue and
    shades the cycles it stalled. Without `ax`, a side panel shows the stalls by cause; with one,
    the summary goes into the title only. `xmax` fixes the cycle axis (to compare two runs).
    Returns the figure."""
    _check(run)
    if xmax is not None:
        xmax = check_int(xmax, "xmax (the last cycle on the axis)", lo=1)
    if ax is None:
        fig = style.new_figure(12, 3.6)
        ax, side = fig.subplots(1, 2, gridspec_kw={"width_ratios": [4.2, 1]})
    else:
        fig, side = ax.figure, None
    end = max(run.cycles, 1) if xmax is None else xmax
    ax.set_xlim(0, end)
    ax.set_ylim(len(LANES) - 0.5, -0.5)
    lane = {u: i for i, u in enumerate(LANES)}
    fig_w = fig.get_figwidth() * 72 * ax.get_position().width  # points across the axes, roughly
    font = style.FONT_SIZE - 1
    packing = {u: _subrows([j for j in run.timeline if j.instr.op.unit == u]) for u in LANES}
    for job in run.timeline:
        unit = job.instr.op.unit
        where, n = packing[unit]
        height = BAR_HEIGHT / n
        y = lane[unit] - BAR_HEIGHT / 2 + height * (where[job.pc] + 0.5)
        width = job.done - job.start + 1
        if job.start > job.issued + 1:
            ax.hlines(y, job.issued, job.start, color=COLORS[unit], lw=1, alpha=0.6,
                      gid=f"queued:{unit}:{job.pc}")
        (bar,) = ax.barh(y, width, left=job.start, height=height, color=COLORS[unit],
                         edgecolor="white", linewidth=0.6, alpha=0.9).patches
        bar.set_gid(f"job:{unit}:{job.pc}")
        text = ax.text(job.start + width / 2, y, _label(job, width / end * fig_w, font),
                       ha="center", va="center", fontsize=font, color="white",
                       fontfamily=style.MONO, gid=f"label:{unit}:{job.pc}")
        text.set_clip_path(bar)
        ax.plot([job.issued + 0.5], [lane["ctrl"]], "|", color=COLORS[unit], ms=9, mew=1.2)
    for first, cycles in _controller_gaps(run):
        ax.barh(lane["ctrl"], cycles, left=first, height=BAR_HEIGHT * 0.5,
                color=COLORS["stall"], alpha=0.25, gid="stall")
    ax.set_yticks(range(len(LANES)), [LANE_NAMES[u] for u in LANES])
    ax.text(1.0, 1.01, "controller: ticks = issues, shaded = stalled", transform=ax.transAxes,
            fontsize=style.FONT_SIZE - 1, color=style.COLORS["muted"], va="bottom", ha="right")
    ax.set_xlabel("cycle")
    ax.grid(alpha=0.3, axis="x")
    head = summary(run) if title is None else f"{title}\n{summary(run)}"
    ax.set_title(head, fontsize=style.NAME_FONT_SIZE, loc="left")
    if side is not None:
        causes = stalls(run)
        names = list(causes) or ["(none)"]
        side.barh(range(len(names)), list(causes.values()) or [0], color=COLORS["stall"],
                  alpha=0.7)
        side.set_yticks(range(len(names)), [n.replace("_", " ") for n in names],
                        fontsize=style.FONT_SIZE)
        side.invert_yaxis()
        side.set_xlabel("cycles")
        side.set_title("controller stalls", fontsize=style.NAME_FONT_SIZE, loc="left")
        for i, v in enumerate(causes.values()):
            side.text(v, i, f" {v}", va="center", fontsize=style.FONT_SIZE)
        side.set_xlim(0, 1.3 * max(causes.values(), default=1))
        side.grid(alpha=0.3, axis="x")
    return fig


class TimelineExplorer:
    """A widget: sliders for the DMA's bandwidth and latency and the GEMM's M; every change
    calls the notebook's function and redraws the timeline.

    compute -- compute(bytes_per_cycle, latency, m) -> CoreRun (the notebook runs the cycle model)
    Display it as the last expression of a cell; `.widget` is the ipywidgets box.
    """

    def __init__(self, compute: Callable, bandwidth: int = 8, latency: int = 10, m: int = 32):
        if not callable(compute):
            raise ConfigError("TimelineExplorer needs compute(bytes_per_cycle, latency, m) -> "
                              "CoreRun")
        for v, name, lo, hi in ((bandwidth, "bandwidth", 1, 64), (latency, "latency", 1, 200),
                                (m, "m", 8, 128)):
            check_int(v, f"{name} (the slider runs {lo}..{hi})", lo, hi)
        self.compute = compute

        def slider(name, value, lo, hi, step=1):
            s = IntSlider(value=value, min=lo, max=hi, step=step, description=name,
                          continuous_update=False, layout=Layout(width="300px"))
            s.observe(self.draw, names="value")
            return s

        self.bandwidth = slider("bytes/cycle", bandwidth, 1, 64)
        self.latency = slider("latency", latency, 1, 200)
        self.m = slider("M", m, 8, 128, 8)
        self.image = Image(format="png", layout=Layout(max_width="100%"))
        self.status = HTML()
        self.run: CoreRun | None = None
        self.widget = VBox([HBox([self.bandwidth, self.latency, self.m]), self.status,
                            self.image])
        self.draw()

    def draw(self, _change=None):
        """Re-run through the notebook's function and redraw (the old figure is dropped)."""
        self.run = _check(self.compute(int(self.bandwidth.value), int(self.latency.value),
                                       int(self.m.value)))
        buffer = io.BytesIO()
        plot_timeline(self.run).savefig(buffer, format="png", dpi=80)
        self.image.value = buffer.getvalue()
        self.status.value = summary(self.run)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
