"""Where a GEMM's cycles go on the systolic array (lesson 04): simulated counts over the closed form
and SCALE-Sim's formula, utilization maps, one fold's timeline, and a widget to try array sizes.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from ipywidgets import HTML, HBox, IntSlider, Layout, VBox
from matplotlib.ticker import MaxNLocator

from chipkit.checks import check_flag, check_int, show
from chipkit.config import ArrayConfig
from chipkit.errors import ChipkitError, ConfigError
from chipkit.models import array_cycles as closed
from chipkit.viz import style

#: a colour per dataflow, and one per phase of a fold
DATAFLOW_COLORS = {"ws": "#3b7dd8", "os": "#e07b39"}
EXTRA_COLORS = ["#2e7d32", "#8e24aa", "#c62828", "#00838f"]
PHASE_COLORS = {"load": "#dce8f7", "drain": "#e3f1e4", "busy": "#f0a35e", "out": "#2e7d32"}
XS = {"m": "M (rows of A)", "n": "N (columns of B)", "k": "K (the shared dimension)",
      "rows": "array rows R", "cols": "array columns C", "size": "array size R = C"}


def gemm_point(result) -> tuple[int, int, int, ArrayConfig, int]:
    """(M, N, K, cfg, simulated cycles) of an ArrayRun (fast or rtl) or a GemmResult."""
    if hasattr(result, "schedule"):
        s = result.schedule
        return s.m, s.n, s.k, s.cfg, int(result.cycles)
    if all(hasattr(result, k) for k in ("m", "n", "k", "array", "dataflow", "cycles")):
        cfg = ArrayConfig.parse(result.array, result.dataflow)
        return result.m, result.n, result.k, cfg, int(result.cycles)
    raise ConfigError(f"expected an ArrayRun or a GemmResult, got {type(result).__name__}")


def _points(results) -> list:
    if results is None or isinstance(results, (str, dict)) or not hasattr(results, "__iter__"):
        raise ConfigError(f"results must be a list of ArrayRuns or GemmResults, got "
                          f"{show(results)}")
    points = [gemm_point(r) for r in results]
    if not points:
        raise ConfigError("no results to plot: pass a list of ArrayRuns or GemmResults")
    return points


def _check_x(x: str, what: str = "x") -> None:
    if not isinstance(x, str) or x not in XS:
        raise ConfigError(f"{what} must be one of {', '.join(XS)}, got {x!r}")


def _xval(x: str, m, n, k, cfg) -> int:
    return {"m": m, "n": n, "k": k, "rows": cfg.rows, "cols": cfg.cols, "size": cfg.rows}[x]


def _with_x(x: str, v: int, m, n, k, cfg):
    """The GEMM and array of one point, with quantity `x` set to `v`."""
    r, c = cfg.rows, cfg.cols
    m, n, k = (v if x == "m" else m), (v if x == "n" else n), (v if x == "k" else k)
    r = v if x in ("rows", "size") else r
    c = v if x in ("cols", "size") else c
    return m, n, k, ArrayConfig(r, c, cfg.dataflow)


def _fixed(x: str, m, n, k, cfg) -> dict:
    """What stays fixed while `x` varies: the group a point belongs to."""
    every = {"dataflow": cfg.dataflow, "M": m, "N": n, "K": k, "R": cfg.rows, "C": cfg.cols}
    gone = {"m": ["M"], "n": ["N"], "k": ["K"], "rows": ["R"], "cols": ["C"], "size": ["R", "C"]}
    return {key: v for key, v in every.items() if key not in gone[x]}


def plot_cycles(results, x: str = "m", ax=None, title: str | None = None,
                scalesim: bool = True, logy: bool = False):
    """Simulated cycles (markers) over our closed form (solid line, chipkit.models.array_cycles) and
    SCALE-Sim's formula (dashed), against `x`: "m", "n", "k", "rows", "cols" or "size" (R = C).

    results -- ArrayRuns or GemmResults that differ only in `x` (and the dataflow, or any other
               quantity: each distinct set of the others is a separate series)
    The lines are drawn at every integer x between the smallest and largest point, so the steps
    that each new fold adds show. Returns the Figure; nothing is simulated here.
    """
    _check_x(x)
    scalesim, logy = check_flag(scalesim, "scalesim"), check_flag(logy, "logy")
    points = _points(results)
    groups: dict = {}
    for p in points:
        key = tuple(_fixed(x, *p[:4]).items())
        groups.setdefault(key, []).append(p)
    differ = {k for k in _fixed(x, *points[0][:4]) if k != "dataflow"
              and len({dict(g)[k] for g in groups}) > 1}
    if ax is None:
        ax = style.new_figure(8, 4.2).add_subplot()
    extra = iter(EXTRA_COLORS * 4)
    used = set()
    for key, pts in groups.items():
        fixed = dict(key)
        df = fixed["dataflow"]
        color = DATAFLOW_COLORS[df] if df not in used else next(extra)
        used.add(df)
        name = df.upper() + "".join(f" {k}={fixed[k]}" for k in sorted(differ))
        xs = np.array([_xval(x, *p[:4]) for p in pts])
        grid = np.arange(xs.min(), xs.max() + 1)
        ours = [closed.gemm_cycles(*_with_x(x, int(v), *pts[0][:4])) for v in grid]
        ax.plot(grid, ours, color=color, lw=1.6, label=f"{name}: closed form (ours)")
        if scalesim:
            theirs = [closed.scalesim_cycles(*_with_x(x, int(v), *pts[0][:4])) for v in grid]
            ax.plot(grid, theirs, color=color, lw=1.1, ls="--", alpha=0.8,
                    label=f"{name}: SCALE-Sim 3.0 formula")
        ax.plot(xs, [p[4] for p in pts], "o", color=color, mec="white", ms=7, zorder=3,
                label=f"{name}: simulated")
    ax.set_xlabel(XS[x])
    ax.set_ylabel("cycles")
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncols=2 if len(groups) > 1 else 1)
    if title:
        ax.set_title(title, loc="left", fontsize=style.NAME_FONT_SIZE + 1)
    return ax.figure


def plot_utilization(results, x: str = "cols", y: str = "rows", title: str | None = None):
    """Utilization (useful MACs / (R x C x cycles)) of each result as a heatmap over two of "m",
    "n", "k", "rows", "cols", "size": one panel per dataflow present. Each cell is labelled."""
    _check_x(x)
    _check_x(y, "y")
    points = _points(results)
    if x == y:
        raise ConfigError(f"x and y must differ, both are {x!r}")
    flows = sorted({p[3].dataflow for p in points}, key=["ws", "os"].index)
    fig = style.new_figure(4.6 * len(flows) + 0.8, 4.2)
    axes = fig.subplots(1, len(flows), squeeze=False)[0]
    image = None
    for ax, df in zip(axes, flows):
        pts = [p for p in points if p[3].dataflow == df]
        xs = sorted({_xval(x, *p[:4]) for p in pts})
        ys = sorted({_xval(y, *p[:4]) for p in pts})
        grid = np.full((len(ys), len(xs)), np.nan)
        for m, n, k, cfg, cyc in pts:
            i, j = ys.index(_xval(y, m, n, k, cfg)), xs.index(_xval(x, m, n, k, cfg))
            if not np.isnan(grid[i, j]):
                raise ConfigError(f"two {df} results at {x}={xs[j]}, {y}={ys[i]}: each cell "
                                  "of the map needs exactly one")
            grid[i, j] = closed.utilization(m, n, k, cfg, cyc)
        image = ax.imshow(grid, origin="lower", cmap="viridis", vmin=0, vmax=1, aspect="auto")
        for i in range(len(ys)):
            for j in range(len(xs)):
                if not np.isnan(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j]:.0%}", ha="center", va="center", fontsize=8,
                            color="white" if grid[i, j] < 0.6 else "black")
        ax.set_xticks(range(len(xs)), xs)
        ax.set_yticks(range(len(ys)), ys)
        ax.set_xlabel(XS[x])
        ax.set_ylabel(XS[y])
        m, n, k, cfg, _ = pts[0]
        fixed = {kk: v for kk, v in _fixed(x, m, n, k, cfg).items()
                 if kk in _fixed(y, m, n, k, cfg) and kk != "dataflow"}
        ax.set_title(f"{df.upper()}  ({', '.join(f'{a}={b}' for a, b in fixed.items())})",
                     fontsize=style.NAME_FONT_SIZE)
    fig.colorbar(image, ax=list(axes), label="utilization", shrink=0.9)
    if title:
        fig.suptitle(title, fontsize=style.NAME_FONT_SIZE + 1)
    return fig


def plot_fold_timeline(run, fold: int = 0, marks: dict | None = None, ax=None,
                       title: str | None = None):
    """One fold of an ArrayRun, cycle by cycle: how many PEs do useful work (bars, from
    Schedule.active()), the weight-load (WS) or shift-out (OS) phase shaded, the cycles at which a
    row of C leaves the array (green ticks, from the run's c_valid), and `marks` {label: cycle}
    drawn as vertical lines (e.g. where a formula says the fold ends). Needs no recorded states;
    a GemmResult of the fast or rtl backend works too (its .run).
    """
    if not hasattr(run, "schedule") and getattr(run, "run", None) is not None:
        run = run.run
    if not hasattr(run, "schedule"):
        raise ConfigError(f"expected an ArrayRun (a simulated GEMM), got {type(run).__name__}")
    sch = run.schedule
    if isinstance(fold, bool) or not isinstance(fold, (int, np.integer)):
        raise ConfigError(f"fold must be an integer in 0..{sch.folds - 1}, got {show(fold)}")
    if not 0 <= fold < sch.folds:
        raise ConfigError(f"fold {fold} does not exist: this run has folds 0..{sch.folds - 1}")
    if marks is not None and (not isinstance(marks, dict) or not all(
            isinstance(k, str) and isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, bool) for k, v in marks.items())):
        raise ConfigError(f"marks must be a dict {{label: cycle}}, e.g. {{'formula': 12}}, got "
                          f"{show(marks)}")
    t = sch.steps
    busy = sch.active()[fold].sum(axis=(1, 2))
    cyc = np.arange(1, t + 1)
    if ax is None:
        ax = style.new_figure(min(11.0, 3 + 0.3 * t), 3.4).add_subplot()
    phase = sch.control["w_load"] if sch.cfg.dataflow == "ws" else sch.control["drain"]
    what = "weights shift in" if sch.cfg.dataflow == "ws" else "results shift out"
    for s in np.flatnonzero(phase):
        ax.axvspan(s + 0.5, s + 1.5, color=PHASE_COLORS["load" if sch.cfg.dataflow == "ws"
                                                       else "drain"], lw=0,
                   label=what if s == np.flatnonzero(phase)[0] else None)
    ax.bar(cyc, busy, color=PHASE_COLORS["busy"], width=0.8, label="PEs doing a useful MAC")
    top = sch.cfg.pes
    leave = cyc[np.asarray(run.c_valid[fold]).astype(bool)]
    ax.plot(leave, np.full(len(leave), top * 1.08), "v", color=PHASE_COLORS["out"], ms=7,
            label="a row of C leaves")
    for i, (label, at) in enumerate((marks or {}).items()):
        color = EXTRA_COLORS[(i + 2) % len(EXTRA_COLORS)]
        ax.axvline(at + 0.5, color=color, ls="--", lw=1.4)
        ax.text(at + 0.35, top * (1.36 - 0.1 * i), label, ha="right", va="top", fontsize=8,
                color=color, bbox={"fc": "white", "ec": "none", "alpha": 0.85, "pad": 1})
    ax.set_xlim(0.5, t + 0.5)
    ax.set_ylim(0, top * (1.18 if not marks else 1.4))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xticks(cyc if t <= 40 else ax.get_xticks())
    ax.tick_params(labelsize=8)
    ax.set_xlabel("cycle of the fold")
    ax.set_ylabel(f"busy PEs (of {top})")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title, loc="left", fontsize=style.NAME_FONT_SIZE + 1)
    return ax.figure


# --- the array-size knob -----------------------------------------------------------------------

def cycle_table(m: int, n: int, k: int, rows: int, cols: int,
                simulate: Callable | None = None) -> list[dict]:
    """Per dataflow: folds, cycles per fold, our cycles, SCALE-Sim's, utilization, and the
    simulated count when `simulate(m, n, k, cfg)` is given (returns cycles or a result with
    .cycles; a ChipkitError it raises, e.g. a GEMM too big, is reported instead)."""
    if simulate is not None and not callable(simulate):
        raise ConfigError(f"simulate must be a function simulate(m, n, k, cfg) -> cycles, or "
                          f"None; got {show(simulate)}")
    out = []
    for df in ("ws", "os"):
        cfg = ArrayConfig(rows, cols, df)
        row = {"dataflow": df, "folds": closed.folds(m, n, k, cfg),
               "per_fold": closed.fold_cycles(m, n, k, cfg),
               "cycles": closed.gemm_cycles(m, n, k, cfg),
               "scalesim": closed.scalesim_cycles(m, n, k, cfg)}
        row["utilization"] = closed.utilization(m, n, k, cfg, row["cycles"])
        row["simulated"] = None
        if simulate is not None:
            try:
                got = simulate(m, n, k, cfg)
                row["simulated"] = int(getattr(got, "cycles", got))
            except ChipkitError as e:
                row["simulated"] = f"not simulated: {e}"
        out.append(row)
    return out


def format_table(rows: list[dict], m: int, n: int, k: int, r: int, c: int) -> str:
    """cycle_table's rows as plain text (the static picture of ArrayKnob)."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ConfigError(f"rows must be cycle_table's list of rows, got {show(rows)}")
    m, n, k, r, c = (check_int(v, name, lo=1) for v, name in
                     ((m, "m"), (n, "n"), (k, "k"), (r, "r"), (c, "c")))
    macs = m * n * k
    lines = [f"{m}x{k} @ {k}x{n} on a {r}x{c} array: {macs:,} MACs; every PE busy every cycle "
             f"would take {-(-macs // (r * c)):,} cycles",
             f"{'':4}{'folds':>7}{'per fold':>10}{'ours':>9}{'simulated':>11}{'SCALE-Sim':>11}"
             f"{'utilization':>13}"]
    for row in rows:
        sim = row["simulated"]
        sim = "-" if sim is None else (str(sim) if isinstance(sim, int) else "too big")
        lines.append(f"{row['dataflow'].upper():4}{row['folds']:>7,}{row['per_fold']:>10,}"
                     f"{row['cycles']:>9,}{sim:>11}{row['scalesim']:>11,}"
                     f"{row['utilization']:>13.1%}")
    return "\n".join(lines)


class ArrayKnob:
    """Pick the array (R, C) and the GEMM (M, N, K): a table of both dataflows' folds and cycles
    (ours, simulated if `simulate` is given, SCALE-Sim's) and utilization. `simulate(m, n, k, cfg)`
    is the notebook's (e.g. the fast model on random int8 matrices); the widget never simulates.
    `text()` is the same table as plain text; `widget` (CSS class "chipkit-array-knob") is shown.
    """

    def __init__(self, simulate: Callable | None = None, rows: int = 8, cols: int = 8,
                 m: int = 64, n: int = 64, k: int = 64, max_array: int = 64, max_gemm: int = 512):
        def slider(name, value, top):
            return IntSlider(value=value, min=1, max=top, description=name,
                             continuous_update=False, layout=Layout(width="330px"))

        if simulate is not None and not callable(simulate):
            raise ConfigError(f"simulate must be a function simulate(m, n, k, cfg) -> cycles, or "
                              f"None; got {show(simulate)}")
        max_array = check_int(max_array, "max_array", lo=1, hi=256)
        max_gemm = check_int(max_gemm, "max_gemm", lo=1)
        for v, name, top in ((rows, "rows", max_array), (cols, "cols", max_array),
                             (m, "m", max_gemm), (n, "n", max_gemm), (k, "k", max_gemm)):
            check_int(v, name, lo=1, hi=top)
        self.simulate = simulate
        self.rows, self.cols = slider("R rows", rows, max_array), slider("C cols", cols, max_array)
        self.m, self.n, self.k = (slider(s, v, max_gemm) for s, v in (("M", m), ("N", n),
                                                                      ("K", k)))
        self.table = HTML()
        self.widget = VBox([HBox([self.rows, self.cols]), HBox([self.m, self.n, self.k]),
                            self.table])
        self.widget.add_class("chipkit-array-knob")
        for s in (self.rows, self.cols, self.m, self.n, self.k):
            s.observe(self._redraw, names="value")
        self.draw()

    def values(self) -> tuple[int, int, int, int, int]:
        """(M, N, K, R, C) as chosen."""
        return (int(self.m.value), int(self.n.value), int(self.k.value), int(self.rows.value),
                int(self.cols.value))

    def text(self) -> str:
        m, n, k, r, c = self.values()
        return format_table(cycle_table(m, n, k, r, c, self.simulate), m, n, k, r, c)

    def _redraw(self, _change=None):
        self.draw()

    def draw(self):
        """Recompute the table for the chosen sizes."""
        m, n, k, r, c = self.values()
        rows = cycle_table(m, n, k, r, c, self.simulate)
        head = "".join(f"<th style='padding:2px 10px'>{h}</th>" for h in (
            "", "folds", "cycles per fold", "cycles (ours)", "simulated", "SCALE-Sim 3.0",
            "utilization"))
        body = ""
        for row in rows:
            sim = row["simulated"]
            sim = "—" if sim is None else (f"{sim:,}" if isinstance(sim, int) else sim)
            cells = [row["dataflow"].upper(), f"{row['folds']:,}", f"{row['per_fold']:,}",
                     f"<b>{row['cycles']:,}</b>", sim, f"{row['scalesim']:,}",
                     f"{row['utilization']:.1%}"]
            body += "<tr>" + "".join(f"<td style='padding:2px 10px;text-align:right'>{x}</td>"
                                     for x in cells) + "</tr>"
        macs = m * n * k
        self.table.value = (f"<p>{m}×{k} @ {k}×{n} on a {r}×{c} array: {macs:,} MACs; "
                            f"every PE busy every cycle would take {-(-macs // (r * c)):,} "
                            f"cycles</p><table><tr>{head}</tr>{body}</table>")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
