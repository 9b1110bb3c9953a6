"""Lesson 05's block diagram of the inference core, read from the MyHDL core itself.

`core_structure()` builds (elaborates) a small chipkit.hdl.core.core and reads what MyHDL recorded:
the top block's sub-blocks (`.subs`), and for each, the signals its processes drive and read.
Two blocks are joined by an arrow when one drives a signal the other reads; every such signal
between the same two blocks is bundled into one arrow. `plot_core_diagram` lays the blocks out
in columns in data-flow order, computed from those arrows, and draws them. Nothing is placed by
hand, so the figure follows the core's code when it changes.

Not drawn: the clock and the reset, which reach every block.
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from myhdl import ResetSignal, Signal
from myhdl._block import _Block
from myhdl._Signal import _Signal

from chipkit.checks import check_flag
from chipkit.config import CoreConfig, check_config
from chipkit.errors import ConfigError
from chipkit.viz import style

#: a function instantiated more often than this in the top block is drawn as one box "name × n"
GROUP_OVER = 3
PORTS = "host"  # the box of the core's own ports: the host outside
OWN = "core() itself"  # the box of the processes written in core() directly, if any
#: a small core: sizes change no structure, and a small one builds in a fraction of a second
SMALL = CoreConfig(lanes=2, sram_rows=4, acc_rows=4, param_rows=1, scale_rows=1, dram_bytes=16)
COLORS = {"block": "#3b7dd8", "group": "#3b7dd8", "own": "#707070", "ports": "#d0d0d0",
          "hub": "#505a66", "arrow": "#404040"}


@dataclass
class Box:
    """One box: a sub-block of the core (or several instances of one function)."""

    name: str  # the block's function name, "× n" for a group
    role: str  # the first line of its docstring
    kind: str  # "block", "group", "own" (core()'s own processes) or "ports"
    blocks: list = field(default_factory=list)  # the MyHDL block instances it stands for
    drives: dict = field(default_factory=dict)  # key -> (name, bits) of what it drives
    reads: dict = field(default_factory=dict)
    layer: int = 0
    x: float = 0.0
    y: float = 0.0


@dataclass
class Link:
    """Every signal `src` drives and `dst` reads: one arrow."""

    src: str
    dst: str
    signals: list  # [(name, bits)], widest first; a memory (list of rows) counts as one
    back: bool = False  # drawn against the data-flow order (status back to an earlier block)

    def label(self) -> str:
        name, _ = self.signals[0]
        return name if len(self.signals) == 1 else f"{name} +{len(self.signals) - 1}"


@dataclass
class Structure:
    boxes: list  # [Box], in layer order
    links: list  # [Link]
    top: object  # the elaborated MyHDL core
    cfg: CoreConfig

    def box(self, name: str) -> Box:
        return next(b for b in self.boxes if b.name == name)


def elaborate(cfg: CoreConfig = SMALL, vector: bool = True):
    """A MyHDL core built (not simulated), with fresh signals on its ports, as
    chipkit.backends.core_rtl.run_myhdl builds it."""
    from chipkit.hdl import core as core_hdl
    from chipkit.hdl.core_host import host_signals

    check_config(cfg, CoreConfig)
    vector = check_flag(vector, "vector")
    clock, start, halted, host_we = (Signal(bool(0)) for _ in range(4))
    reset = ResetSignal(1, active=1, isasync=False)
    host_mem, host_addr, host_wdata, host_rdata = host_signals()
    return core_hdl.core(clock, reset, start, halted, host_we, host_mem, host_addr, host_wdata,
                         host_rdata, cfg, 1, vector=vector)


def _processes(block):
    for sub in block.subs:
        if isinstance(sub, _Block):
            yield from _processes(sub)
        else:
            yield sub


def _role(func) -> str:
    """The first sentence of the first line of a block's docstring, without parentheses."""
    doc = (func.__doc__ or "").strip()
    line = doc.splitlines()[0] if doc else ""
    line = re.split(r"\.\s", line)[0]
    return re.sub(r"\s*\([^)]*\)", "", line).rstrip(".")


def _bits(sig) -> int:
    return len(sig) if len(sig) else 1


class _Keys:
    """Signals and memories as comparable keys: a signal by identity, a list of signals (a
    memory) as one key shared by every list holding any of its rows."""

    def __init__(self, top):
        self.names = {id(s): n for n, s in top.sigdict.items() if not n.startswith("_")}
        self.row_of: dict = {}  # id(row signal) -> key of its memory
        self.memories: dict = {}  # key -> (name, bits)
        for n, mem in top.memdict.items():
            self.memory(n, mem)

    def memory(self, name, mem):
        mem = getattr(mem, "mem", mem)  # a block's memdict holds MyHDL's _MemInfo of the list
        key = next((self.row_of[id(s)] for s in mem if id(s) in self.row_of), None)
        if key is None:
            key = ("mem", id(mem))
            self.memories[key] = (f"{name}[]", sum(_bits(s) for s in mem))
        for s in mem:
            self.row_of.setdefault(id(s), key)
        return key

    def of(self, proc, names) -> dict:
        out = {}
        for n in names:
            if n in proc.sigdict:
                s = proc.sigdict[n]
                key = self.row_of.get(id(s), ("sig", id(s)))
                out[key] = self.memories.get(key) or (self.names.get(id(s), n), _bits(s))
            elif n in proc.losdict:
                key = self.memory(n, proc.losdict[n])
                out[key] = self.memories[key]
        return out


def _boxes(top, keys: _Keys) -> list[Box]:
    blocks = [s for s in top.subs if isinstance(s, _Block)]
    by_func: dict = {}
    for b in blocks:
        by_func.setdefault(b.func, []).append(b)
    boxes = []
    for func, group in by_func.items():
        if len(group) > GROUP_OVER:
            boxes.append(Box(f"{func.__name__} × {len(group)}", _role(func), "group", group))
        else:
            for i, b in enumerate(group):
                name = func.__name__ + (f" {i + 1}" if len(group) > 1 else "")
                boxes.append(Box(name, _role(func), "block", [b]))
    own = [s for s in top.subs if not isinstance(s, _Block)]
    if own:
        boxes.append(Box(OWN, f"{len(own)} processes written in core() directly", "own", own))
    for box in boxes:
        for b in box.blocks:
            for p in _processes(b) if isinstance(b, _Block) else [b]:
                box.drives.update(keys.of(p, p.outputs))
                box.reads.update(keys.of(p, p.inputs))
    # the core's ports: what the host drives (nobody inside does) and what it reads
    ports = Box(PORTS, "outside: drives the core's inputs, reads its outputs", "ports")
    driven = set().union(*(b.drives for b in boxes))
    skip = {id(top.sigdict.get(n)) for n in ("clock", "reset")}
    for arg in top.args:
        if isinstance(arg, _Signal) and id(arg) not in skip:
            key = ("sig", id(arg))
            entry = (keys.names.get(id(arg), "?"), _bits(arg))
            (ports.reads if key in driven else ports.drives)[key] = entry
    for box in boxes:
        for key in skip:
            box.reads.pop(("sig", key), None)
    return [ports] + boxes


def _links(boxes) -> list[Link]:
    links = []
    for a in boxes:
        for b in boxes:
            shared = [a.drives[k] for k in a.drives if k in b.reads] if a is not b else []
            if shared:
                shared.sort(key=lambda nb: (-nb[1], nb[0]))
                links.append(Link(a.name, b.name, shared))
    return links


def _order(names, links) -> list[str]:
    """A left-to-right order with few arrows pointing back (Eades, Lin and Smyth's greedy
    heuristic, each arrow weighted by its number of signals)."""
    w = {(ln.src, ln.dst): len(ln.signals) for ln in links}
    left, right, rest = [], [], list(names)
    while rest:
        def weight(v, out=True):
            return sum(n for (s, d), n in w.items() if (s if out else d) == v and
                       (d if out else s) in rest and s != d)
        sinks = [v for v in rest if weight(v) == 0]
        if sinks:
            right.insert(0, sinks[0])
            rest.remove(sinks[0])
            continue
        sources = [v for v in rest if weight(v, out=False) == 0]
        v = sources[0] if sources else max(rest, key=lambda v: weight(v) - weight(v, False))
        left.append(v)
        rest.remove(v)
    return left + right


def _neighbours(boxes, links) -> dict:
    near = {b.name: set() for b in boxes}
    for ln in links:
        near[ln.src].add(ln.dst)
        near[ln.dst].add(ln.src)
    return near


def _layout(boxes, links) -> None:
    """Hubs -- blocks joined to many others (the controller, the memories) -- become bars across
    the figure: the first in data-flow order above, the others below. The rest sit between them
    in data-flow order, zigzagging over two rows so that neighbours in that order touch."""
    near = _neighbours(boxes, links)
    least = max(4, int(np.ceil(0.4 * (len(boxes) - 1))))
    ports = [b.name for b in boxes if b.kind == "ports"]
    order = ports + _order([b.name for b in boxes if b.kind != "ports"], links)
    rank = {n: i for i, n in enumerate(order)}
    hubs = sorted((b for b in boxes if b.kind != "ports" and len(near[b.name]) >= least),
                  key=lambda b: -len(near[b.name]))[:MAX_HUBS]
    hubs.sort(key=lambda b: rank[b.name])
    for ln in links:
        ln.back = rank[ln.src] > rank[ln.dst]
    band = [b for b in boxes if b not in hubs]
    names = {b.name for b in band}
    seen, chain = set(), []
    for start in sorted(band, key=lambda b: rank[b.name]):  # one connected group after another
        if start.name in seen:
            continue
        group, todo = set(), [start.name]
        while todo:
            n = todo.pop()
            if n not in group:
                group.add(n)
                todo += [m for m in near[n] if m in names]
        seen |= group
        chain += sorted(group, key=rank.get)
    by = {b.name: b for b in boxes}
    rows = 2 if len(chain) > 3 else 1
    for i, n in enumerate(chain):
        by[n].layer, by[n].x, by[n].y = i % rows, i / rows, float(-(i % rows))
    for h, b in enumerate(hubs):
        b.kind, b.layer = "hub", -1 if h == 0 else rows + h - 1
    boxes.sort(key=lambda b: (b.kind != "ports", b.kind == "hub", b.x))


def core_structure(top=None) -> Structure:
    """The boxes and arrows of an elaborated core (default: elaborate(SMALL)), laid out."""
    top = elaborate() if top is None else top
    if not isinstance(top, _Block) or not hasattr(top, "sigdict"):
        raise ConfigError(f"top must be an elaborated core (chipkit.viz.core_diagram.elaborate("
                          f"cfg)), or None for elaborate(); got {type(top).__name__}")
    keys = _Keys(top)
    boxes = _boxes(top, keys)
    links = _links(boxes)
    _layout(boxes, links)
    return Structure(boxes, links, top, SMALL)


MAX_HUBS = 3
PITCH_MAX, BOX_H, BAR_H = 1.75, 0.8, 0.3  # inches
GAP = 0.7  # inches between a bar and the row of boxes next to it, and between the two rows


def _geometry(s: Structure) -> dict:
    """Each box's rectangle (x0, y0, w, h) in inches, and the figure's width and height."""
    band = [b for b in s.boxes if b.kind != "hub"]
    hubs = [b for b in s.boxes if b.kind == "hub"]
    rows = 1 + max(b.layer for b in band)
    links_hub = sum(1 for ln in s.links if {ln.src, ln.dst} <= {h.name for h in hubs})
    last = max(b.x for b in band)
    pitch = min(PITCH_MAX, 10.6 / (last + 1 + 0.5 * bool(links_hub)))
    w = 0.74 * pitch * (1 if rows == 2 else 0.6)  # between two boxes of a row: a gap for arrows
    top = [h for h in hubs if h.layer < 0]
    bottom = sorted((h for h in hubs if h.layer >= 0), key=lambda h: h.layer)
    y = 0.15 + (BAR_H + GAP) * bool(top)
    out = {}
    for b in band:
        yb = y + (GAP + BOX_H) * -b.y
        out[b.name] = (b.x * pitch, yb, w, BOX_H)
    right = last * pitch + w + (0.9 * links_hub if links_hub else 0)
    y = y + rows * BOX_H + (rows - 1) * GAP + GAP
    for k, h in enumerate(bottom):
        out[h.name] = (0.0, y + k * (BAR_H + 0.45), right, BAR_H)
    for h in top:
        out[h.name] = (0.0, 0.15, right, BAR_H)
    height = max(y0 + hh for _, y0, _, hh in out.values()) + 0.15
    return {"rect": out, "width": right, "height": height, "pitch": pitch, "w": w}


def _wrapped(text: str, width_in: float, pt: float, lines: int = 3) -> str:
    chars = max(8, int(width_in * 72 / (pt * 0.64)))
    return textwrap.fill(text, chars, max_lines=lines, placeholder=" …")


class _Labels:
    """Places labels where they overlap no label placed before (sizes estimated in inches)."""

    def __init__(self, pt: float):
        self.pt, self.boxes = pt, []

    def size(self, text: str):
        lines = text.splitlines() or [""]
        return (max(map(len, lines)) * self.pt * style.CHAR_EM / 72 + 0.06,
                len(lines) * self.pt * 1.25 / 72 + 0.04)

    def free(self, x, y, text) -> bool:
        w, h = self.size(text)
        return all(abs(x - bx) > (w + bw) / 2 or abs(y - by) > (h + bh) / 2
                   for bx, by, bw, bh in self.boxes)

    def put(self, ax, spots, text, **kw):
        spot = next((p for p in spots if self.free(*p, text)), spots[0])
        self.boxes.append((*spot, *self.size(text)))
        return ax.text(*spot, text, ha="center", va="center", fontsize=self.pt,
                       family=style.MONO, color=COLORS["arrow"], zorder=5,
                       bbox=dict(fc="white", ec="none", pad=0.3, alpha=0.9), **kw)


def _curve(p, q, rad, n=60) -> np.ndarray:
    """Points along matplotlib's arc3 connection from p to q (a quadratic Bezier curve)."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    c = (p + q) / 2 + rad * np.array([q[1] - p[1], p[0] - q[0]])
    t = np.linspace(0, 1, n)[:, None]
    return (1 - t) ** 2 * p + 2 * t * (1 - t) * c + t ** 2 * q


def _inside(points, rect, margin=0.04) -> np.ndarray:
    x0, y0, w, h = rect
    return ((points[:, 0] > x0 - margin) & (points[:, 0] < x0 + w + margin)
            & (points[:, 1] > y0 - margin) & (points[:, 1] < y0 + h + margin))


def _centre(rect) -> tuple[float, float]:
    x0, y0, w, h = rect
    return x0 + w / 2, y0 + h / 2


def plot_core_diagram(structure: Structure | None = None, title: str | None = None):
    """The core's sub-blocks and the signals between them: each box is a block (its name, and
    the first sentence of its docstring); each arrow is every signal one block drives and the
    other reads, labelled with the widest of them and how many more. A block joined to many
    others is a bar across the figure, and each block's arrows to it are short vertical ones
    (labels ↑ and ↓ say which way their signals go). Two blocks that drive signals to each
    other share one arrow with two heads."""
    s = core_structure() if structure is None else structure
    if not isinstance(s, Structure):
        raise ConfigError(f"structure must be a Structure (core_structure()'s), or None; got "
                          f"{type(s).__name__}")
    g = _geometry(s)
    rect = g["rect"]
    fig = style.new_figure(min(11.0, g["width"] + 0.3), g["height"] + 0.3)
    ax = fig.subplots()
    by = {b.name: b for b in s.boxes}
    labels = _Labels(style.FONT_SIZE - 1.5)
    labels.boxes += [(x0 + w / 2, y0 + h / 2, w, h) for x0, y0, w, h in rect.values()]
    for b in s.boxes:
        x0, y0, w, h = rect[b.name]
        ink = "black" if b.kind == "ports" else "white"
        ax.add_patch(FancyBboxPatch((x0, y0), w, h, boxstyle="round,pad=0,rounding_size=0.06",
                                    fc=COLORS[b.kind], ec="#404040", lw=1, zorder=2,
                                    gid=f"box:{b.name}"))
        if b.kind == "hub":
            ax.text(x0 + 0.12, y0 + h / 2, f"{b.name}", ha="left", va="center", color=ink,
                    fontsize=style.NAME_FONT_SIZE, fontweight="bold", zorder=3)
            ax.text(x0 + 0.3 + len(b.name) * 0.1, y0 + h / 2,
                    _wrapped(b.role, w * 0.8, style.FONT_SIZE - 1, 1), ha="left",
                    va="center", color=ink, fontsize=style.FONT_SIZE - 1, zorder=3)
            continue
        ax.text(x0 + w / 2, y0 + 0.08, b.name, ha="center", va="top", color=ink,
                fontsize=style.FONT_SIZE - 0.5, fontweight="bold", zorder=3)
        ax.text(x0 + w / 2, y0 + 0.3, _wrapped(b.role, w - 0.1, style.FONT_SIZE - 1.5),
                ha="center", va="top", color=ink, fontsize=style.FONT_SIZE - 1.5,
                linespacing=1.05, zorder=3)
    pairs = {(ln.src, ln.dst): ln for ln in s.links}
    done, stubs = set(), {}
    hub_hub = 0
    for ln in s.links:
        if (ln.src, ln.dst) in done:
            continue
        done |= {(ln.src, ln.dst), (ln.dst, ln.src)}
        back = pairs.get((ln.dst, ln.src))
        a, b = by[ln.src], by[ln.dst]
        style_ = "<|-|>" if back else "-|>"
        kw = dict(arrowstyle=style_, mutation_scale=10, lw=1.0, color=COLORS["arrow"],
                  shrinkA=0, shrinkB=0, zorder=4, gid=f"link:{a.name}--{b.name}")
        if a.kind == "hub" and b.kind == "hub":  # right of every box, from bar to bar
            x = g["width"] - 0.45 - 0.9 * hub_hub
            hub_hub += 1
            ya, yb = (rect[n][1] + (rect[n][3] if rect[n][1] < rect[m][1] else 0)
                      for n, m in ((a.name, b.name), (b.name, a.name)))
            ax.add_patch(FancyArrowPatch((x, ya), (x, yb), **kw))
            text = _pair_text(ln, back, ya > yb)
            labels.put(ax, [(x, (ya + yb) / 2 + d) for d in (0, 0.3, -0.3, 0.6)], text)
            continue
        if a.kind == "hub" or b.kind == "hub":
            box, hub = (b, a) if a.kind == "hub" else (a, b)
            stubs.setdefault(box.name, []).append((hub, ln, back))
            continue
        pa, pb = _centre(rect[a.name]), _centre(rect[b.name])
        others = [rect[o.name] for o in s.boxes if o not in (a, b)]
        rad = next((r for r in (0.0, 0.25, -0.25, 0.45, -0.45)
                    if not any(_inside(_curve(pa, pb, r), o).any() for o in others)), 0.3)
        pts = _curve(pa, pb, rad)
        pts = pts[~(_inside(pts, rect[a.name]) | _inside(pts, rect[b.name]))]
        pts = pts if len(pts) else _curve(pa, pb, rad)
        ax.add_patch(FancyArrowPatch(pts[0], pts[-1], connectionstyle=f"arc3,rad={rad}",
                                     **kw))
        n = len(pts)
        spots = [tuple(pts[min(n - 1, int(f * n))]) for f in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8)]
        labels.put(ax, spots, _pair_text(ln, back, None))
    for name, ends in stubs.items():
        _draw_stubs(ax, labels, rect, by[name], ends)
    ax.set_xlim(-0.05, g["width"] + 0.05)
    ax.set_ylim(g["height"], 0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or "the MyHDL core, read from its code: its sub-blocks and the signals "
                 "between them (clock and reset not drawn)", loc="left",
                 fontsize=style.NAME_FONT_SIZE)
    return fig


def _pair_text(ln: Link, back: Link | None, up: bool | None) -> str:
    """A label: the link's signals, and the other way's below it."""
    if back is None:
        return ln.label()
    if up is None:
        return f"{ln.label()} →\n← {back.label()}" if ln.src < ln.dst else \
            f"{back.label()} →\n← {ln.label()}"
    first, second = (ln, back)
    return f"{'↑' if up else '↓'} {first.label()}\n{'↓' if up else '↑'} {second.label()}"


def _draw_stubs(ax, labels, rect, box, ends) -> None:
    """The vertical arrows between one box and the bars it is joined to."""
    x0, y0, w, h = rect[box.name]
    ends.sort(key=lambda e: rect[e[0].name][1])
    up = [e for e in ends if rect[e[0].name][1] < y0]
    down = [e for e in ends if rect[e[0].name][1] > y0]
    for side in (up, down):
        for k, (hub, ln, back) in enumerate(side):
            x = x0 + w / 2 + (k - (len(side) - 1) / 2) * 0.14
            hx0, hy0, hw, hh = rect[hub.name]
            going_up = hy0 < y0
            ya, yb = (y0, hy0 + hh) if going_up else (y0 + h, hy0)
            from_box = ln.src == box.name
            p, q = ((x, ya), (x, yb)) if from_box else ((x, yb), (x, ya))
            ax.add_patch(FancyArrowPatch(p, q, arrowstyle="<|-|>" if back else "-|>",
                                         mutation_scale=10, lw=1.0, color=COLORS["arrow"],
                                         shrinkA=0, shrinkB=0, zorder=4,
                                         gid=f"link:{ln.src}--{ln.dst}"))
            arrow_up = (q[1] < p[1])
            text = _pair_text(ln, back, arrow_up)
            away = 1 if going_up else -1  # from the bar towards the box
            spots = [(x + dx, yb + away * d) for d in (0.25, 0.5, 0.75) for dx in (0, 0.3, -0.3)]
            labels.put(ax, spots, text)
