"""Lesson 05's block diagram is read from the elaborated MyHDL core, so it cannot drift from the
code: one box per sub-block of the core, and every arrow a signal one block drives and another
reads in the netlist."""
import io

import pytest
from myhdl._block import _Block

from chipkit.viz.core_diagram import OWN, PORTS, core_structure, elaborate, plot_core_diagram


@pytest.fixture(scope="module")
def structure():
    return core_structure(elaborate())


def _processes(block):
    for sub in block.subs:
        if isinstance(sub, _Block):
            yield from _processes(sub)
        else:
            yield sub


def _signals(processes, names_of):
    """Every signal (or memory row) the processes name in `names_of` (inputs or outputs)."""
    out = set()
    for p in processes:
        for n in names_of(p):
            if n in p.sigdict:
                out.add(id(p.sigdict[n]))
            elif n in p.losdict:
                out |= {id(s) for s in p.losdict[n]}
    return out


def test_one_box_per_sub_block_of_the_core(structure):
    subs = [s for s in structure.top.subs if isinstance(s, _Block)]
    shown = [b for box in structure.boxes for b in box.blocks if isinstance(b, _Block)]
    assert sorted(map(id, shown)) == sorted(map(id, subs))  # each exactly once
    for box in structure.boxes:
        if box.name in (PORTS, OWN):
            continue
        funcs = {b.func for b in box.blocks}
        assert len(funcs) == 1 and box.name.startswith(funcs.pop().__name__)
        assert len(box.blocks) == 1 or box.name.endswith(f"× {len(box.blocks)}")
    names = [b.name for b in structure.boxes]
    assert len(names) == len(set(names))


def test_every_arrow_is_a_signal_shared_in_the_netlist(structure):
    by = {b.name: b for b in structure.boxes}
    assert structure.links
    for link in structure.links:
        src, dst = by[link.src], by[link.dst]
        if PORTS in (link.src, link.dst):  # the core's own ports, driven from outside
            ports = {id(a) for a in structure.top.args}
            other = dst if link.src == PORTS else src
            procs = [p for b in other.blocks for p in (_processes(b) if isinstance(b, _Block)
                                                       else [b])]
            assert ports & _signals(procs, lambda p: p.inputs | p.outputs)
            continue
        drives = _signals([p for b in src.blocks for p in (_processes(b) if isinstance(b, _Block)
                                                          else [b])], lambda p: p.outputs)
        reads = _signals([p for b in dst.blocks for p in (_processes(b) if isinstance(b, _Block)
                                                         else [b])], lambda p: p.inputs)
        assert drives & reads, f"{link.src} -> {link.dst} shares no signal"
        assert 1 <= len(link.signals) <= len(drives & reads)


def test_the_figure_draws_every_box_and_arrow(structure):
    fig = plot_core_diagram(structure)
    gids = [p.get_gid() for ax in fig.axes for p in ax.patches]
    assert sorted(g[4:] for g in gids if g.startswith("box:")) == sorted(
        b.name for b in structure.boxes)
    pairs = {frozenset((ln.src, ln.dst)) for ln in structure.links}
    drawn = [g for g in gids if g.startswith("link:")]
    assert len(drawn) == len(pairs)  # both directions between two blocks: one arrow
    assert {frozenset(g[5:].split("--")) for g in drawn} == pairs
    fig.savefig(io.BytesIO(), format="png")
