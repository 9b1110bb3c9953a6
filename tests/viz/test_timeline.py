"""Lesson 05's Gantt chart and widget: one bar per job over exactly its (start, done) cycles, in its
unit's lane, labelled; stalls beside it; bad input refused; the widget re-runs through the
notebook's function."""
import matplotlib
import numpy as np
import pytest

from chipkit.compiler.gemm import compile_gemm
from chipkit.config import CoreConfig
from chipkit.errors import ConfigError
from chipkit.models import core_fast
from chipkit.viz.timeline import LANES, TimelineExplorer, plot_timeline, stalls, summary

matplotlib.use("Agg")
CFG = CoreConfig(lanes=4)
PROGRAM = """
dma.ld mem=sram, row=0, dram=0, rows=4
dma.ld mem=sram, row=4, dram=16, rows=4
dma.ld mem=param, row=0, dram=32, rows=1
sync units=1
lw row=4, buf=0
mm a=0, rows=4, acc=0, buf=0
sync units=4
vshape rows=4
vrq dst=8, src=0, p=0
vrelu dst=8, src=8
sync units=8
dma.st mem=sram, row=8, dram=64, rows=4
halt
"""


@pytest.fixture(scope="module")
def run():
    dram = np.zeros(128, np.uint8)
    dram[:32] = np.random.default_rng(0).integers(0, 256, 32)
    dram[32:40] = [1, 0, 4, 0, 0, 0, 0, 0]  # PARAM 0: m1 = 1, s1 = 4
    return core_fast.run(PROGRAM, CFG, dram)


def bars(fig):
    """{(unit, pc): patch} of the job bars on the Gantt axes."""
    return {tuple(p.get_gid().split(":")[1:]): p for p in fig.axes[0].patches
            if (p.get_gid() or "").startswith("job:")}


def test_bars_cover_each_jobs_cycles_in_its_units_lane(run):
    fig = plot_timeline(run)
    drawn = bars(fig)
    assert len(drawn) == len(run.timeline)
    lanes = {u: i for i, u in enumerate(LANES)}
    for job in run.timeline:
        bar = drawn[(job.instr.op.unit, str(job.pc))]
        assert bar.get_x() == job.start
        assert bar.get_x() + bar.get_width() == job.done + 1  # done is inclusive
        assert abs(bar.get_y() + bar.get_height() / 2 - lanes[job.instr.op.unit]) < 0.5
    assert {u for u, _ in drawn} == {"dma", "lw", "mm", "vec"}


def test_bars_are_labelled_and_coloured_per_unit(run):
    fig = plot_timeline(run, title="tiny")
    ax = fig.axes[0]
    labels = {t.get_gid(): t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("l")}
    assert len(labels) == len(run.timeline)
    wide = max(run.timeline, key=lambda j: j.done - j.start)
    assert labels[f"label:{wide.instr.op.unit}:{wide.pc}"].startswith(str(wide.pc))
    colours = {u: p.get_facecolor() for (u, _), p in bars(fig).items()}
    assert len(set(colours.values())) == 4
    assert ax.get_title(loc="left").startswith("tiny\n" + summary(run))


def test_summary_and_side_panel_show_cycles_and_stalls(run):
    assert summary(run).startswith(f"{run.cycles} cycles")
    causes = stalls(run)
    assert causes and all(v > 0 for v in causes.values())
    assert sum(causes.values()) == sum(v for k, v in run.counters.items()
                                       if k.startswith("stall_"))
    side = plot_timeline(run).axes[1]
    assert [p.get_width() for p in side.patches] == list(causes.values())


def test_draws_into_a_given_axes_with_a_shared_scale(run):
    from matplotlib.figure import Figure

    fig = Figure()
    ax1, ax2 = fig.subplots(2, 1)
    assert plot_timeline(run, ax=ax1, xmax=500) is fig
    plot_timeline(run, ax=ax2, xmax=500)
    assert ax1.get_xlim() == ax2.get_xlim() == (0, 500)
    assert len(fig.axes) == 2


def test_a_compiled_gemm(run):
    rng = np.random.default_rng(1)
    cfg = CoreConfig()
    g = compile_gemm(rng.integers(-128, 128, (16, 16)), rng.integers(-128, 128, (16, 8)), cfg)
    result = core_fast.run(g.words, cfg, g.dram)
    assert len(bars(plot_timeline(result))) == len(result.timeline)


@pytest.mark.parametrize("bad", [None, "run", {"cycles": 3}, []])
def test_refuses_what_is_not_a_core_run(bad):
    with pytest.raises(ConfigError, match="CoreRun"):
        plot_timeline(bad)


def test_explorer_reruns_when_a_slider_moves(run):
    calls = []

    def compute(bandwidth, latency, m):
        calls.append((bandwidth, latency, m))
        return run

    ex = TimelineExplorer(compute, bandwidth=8, latency=10, m=16)
    assert calls == [(8, 10, 16)] and ex.image.value[:4] == b"\x89PNG"
    ex.latency.value = 40
    ex.bandwidth.value = 2
    assert calls[-1] == (2, 40, 16) and f"{run.cycles} cycles" in ex.status.value
    with pytest.raises(ConfigError):
        TimelineExplorer(lambda *a: "not a run")
    with pytest.raises(ConfigError):
        TimelineExplorer(42)


def test_controller_lane_shades_every_stalled_cycle(run):
    rng = np.random.default_rng(2)
    cfg = CoreConfig(dma_bytes_per_cycle=2, dram_latency=50)
    g = compile_gemm(rng.integers(-128, 128, (24, 16)), rng.integers(-128, 128, (16, 16)), cfg)
    for r in (run, core_fast.run(g.words, cfg, g.dram)):
        shaded = [p for p in plot_timeline(r).axes[0].patches if p.get_gid() == "stall"]
        assert sum(p.get_width() for p in shaded) == sum(stalls(r).values())
        assert all(0 <= p.get_x() and p.get_x() + p.get_width() <= r.cycles for p in shaded)
