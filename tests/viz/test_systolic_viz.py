"""The array drawings show what the trace recorded (cells, highlights, numbers), the dataflow widget
keeps its contract with the browser tests, and the cycle plots draw the closed forms they claim."""
import matplotlib
import numpy as np
import pytest

from chipkit.config import ArrayConfig
from chipkit.errors import ChipkitError, ConfigError
from chipkit.models import array_cycles as closed
from chipkit.models import array_fast
from chipkit.viz import cycles as cv
from chipkit.viz import systolic as sv

matplotlib.use("Agg")


def operands(m, k, n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n))


def traced(rows, cols, dataflow, m=3, k=5, n=3, seed=0):
    a, b = operands(m, k, n, seed)
    return array_fast.gemm(a, b, ArrayConfig(rows, cols, dataflow), record=True)


def by_gid(fig, prefix=""):
    """{gid: artist} of every patch and text in the figure's axes whose gid starts with prefix."""
    found = {}
    for ax in fig.axes:
        for artist in [*ax.patches, *ax.texts]:
            gid = artist.get_gid()
            if gid and gid.startswith(prefix):
                found.setdefault(gid, []).append(artist)
    return found


def pe_cells(fig):
    return {gid: arts[0] for gid, arts in by_gid(fig, "pe").items() if ":" not in gid}


def label(fig, gid):
    texts = [a for a in by_gid(fig, gid)[gid] if isinstance(a, matplotlib.text.Text)]
    assert len(texts) == 1, gid
    return texts[0].get_text()


CASES = [(3, 3, "ws"), (3, 2, "ws"), (2, 4, "os"), (3, 3, "os"), (4, 1, "ws")]


@pytest.mark.parametrize("rows, cols, dataflow", CASES)
def test_the_grid_has_a_cell_per_pe_highlighted_as_the_schedule_says(rows, cols, dataflow):
    run = traced(rows, cols, dataflow)
    active = run.schedule.active()
    for fold in range(run.schedule.folds):
        for t in range(1, run.schedule.steps + 1):
            fig = sv.draw_step(run, fold, t)
            cells = pe_cells(fig)
            assert len(cells) == rows * cols
            lit = np.zeros((rows, cols), dtype=bool)
            for gid, patch in cells.items():
                i, j = map(int, gid[2:].split(","))
                lit[i, j] = matplotlib.colors.same_color(patch.get_facecolor(),
                                                         sv.COLORS["active"])
            np.testing.assert_array_equal(lit, active[fold, t - 1])


@pytest.mark.parametrize("rows, cols, dataflow", CASES)
def test_every_number_drawn_is_a_recorded_register(rows, cols, dataflow):
    run = traced(rows, cols, dataflow, seed=3)
    st = run.states
    for t in (1, run.schedule.steps // 2, run.schedule.steps):
        fig = sv.draw_step(run, run.schedule.folds - 1, t)
        f, s = run.schedule.folds - 1, t - 1
        for name in sv.CELL_REGISTERS[dataflow]:
            for i in range(rows):
                for j in range(cols):
                    assert label(fig, f"pe{i},{j}:{name}") == str(st[name][f, s, i, j])
        left = st["skew" if dataflow == "ws" else "skew_a"][f, s]
        for i in range(rows):
            for d in range(i):
                assert label(fig, f"skew{i},{d}") == str(left[i, d])
        if dataflow == "os":
            for j in range(cols):
                for d in range(j):
                    assert label(fig, f"skewb{j},{d}") == str(st["skew_b"][f, s, j, d])
        else:
            for j in range(cols):
                for e in range(cols - 1 - j):
                    assert label(fig, f"deskew{j},{e}") == str(st["deskew"][f, s, j, e])
        outs = by_gid(fig, "out")
        if run.c_valid[f, s]:
            assert [label(fig, f"out{j}") for j in range(cols)] == [
                str(v) for v in run.c_out[f, s]]
        else:
            assert outs == {}


def test_the_rows_leaving_are_the_rows_of_c():
    a, b = operands(5, 3, 3, seed=1)
    for dataflow in ("ws", "os"):
        run = array_fast.gemm(a, b, ArrayConfig(3, 3, dataflow), record=True)
        for fold in range(run.schedule.folds):
            for t in range(1, run.schedule.steps + 1):
                v = sv.step_view(run, fold, t)
                if v.out_valid and v.out_row < 5:
                    n0 = run.schedule.origins[fold][1]
                    np.testing.assert_array_equal(v.out, (a @ b)[v.out_row, n0:n0 + 3])


def test_the_queue_shows_the_schedules_next_inputs():
    run = traced(3, 3, "ws")
    sch = run.schedule
    v = sv.step_view(run, 0, sch.cfg.rows, queue=2)  # the last weight-load edge: A comes next
    for i in range(3):
        assert v.queue_left[i] == [int(x) for x in sch.data["a_in"][0, 3:5, i]]
    assert all(q == [None, None] for q in v.queue_top)  # no more weights to load
    v = sv.step_view(run, 0, 1, queue=2)
    assert [q[0] for q in v.queue_top] == [int(x) for x in sch.data["w_in"][0, 1]]


def test_a_gemm_result_and_an_rtl_run_draw_the_same():
    pytest.importorskip("chipkit.backends.array_rtl")
    from chipkit.backends.array_gemm import gemm

    a, b = operands(3, 2, 2, seed=2)
    cfg = ArrayConfig(2, 2, "os")
    rtl, fst = (gemm(a, b, cfg, backend=k, record=True) for k in ("rtl", "fast"))
    for t in (1, 4, rtl.run.schedule.steps):
        texts = [[x.get_text() for x in sv.draw_step(r, 0, t).axes[0].texts] for r in (rtl, fst)]
        assert texts[0] == texts[1]


def test_draw_steps_draws_one_panel_per_cycle():
    run = traced(3, 3, "ws")
    fig = sv.draw_steps(run, [1, 4, 7])
    drawn = [ax for ax in fig.axes if ax.patches]
    assert len(drawn) == 3
    assert all(sum(1 for p in ax.patches if p.get_gid() and ":" not in p.get_gid()
                   and p.get_gid().startswith("pe")) == 9 for ax in drawn)


@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_the_skew_picture_reads_the_first_column_of_pes(dataflow):
    run = traced(3, 3, dataflow)
    fig = sv.plot_skew(run)
    assert len(fig.axes) == (2 if dataflow == "ws" else 4)
    seen = fig.axes[1]  # a[i, 0] after each edge; a real value is written in its cell
    a0 = run.states["a"][0, :, :, 0]
    for text in seen.texts:
        x, y = text.get_position()
        assert text.get_text() == str(a0[int(round(x)) - 1, int(round(y))])


# --- the widget --------------------------------------------------------------------------------

def test_the_widget_keeps_its_contract():
    run = traced(3, 3, "ws", k=6)  # 2 folds
    steps = run.schedule.steps
    p = sv.DataflowPlayer(run)
    assert "chipkit-dataflow" in p.widget._dom_classes
    assert p.slider.description == "cycle"
    assert p.slider.continuous_update is False
    assert (p.slider.min, p.slider.max, p.play.min, p.play.max) == (1, steps, 1, steps)
    assert f"cycle 1 of {steps}" in p.status.value
    first = p.image.value
    p.slider.value = 5
    assert f"cycle 5 of {steps}" in p.status.value
    assert p.image.value != first
    assert p.fold in p.widget.children
    p.fold.value = 1
    assert "fold 2 of 2" in p.status.value and f"cycle 5 of {steps}" in p.status.value
    assert p.widget._repr_mimebundle_() is not None


def test_the_widget_hides_the_fold_picker_for_one_fold():
    p = sv.DataflowPlayer(traced(3, 3, "os"), t=2)
    assert p.fold not in p.widget.children
    assert f"cycle 2 of {p.run.schedule.steps}" in p.status.value


# --- bad inputs --------------------------------------------------------------------------------

def test_a_run_without_states_says_record_true():
    a, b = operands(3, 3, 3)
    run = array_fast.gemm(a, b, ArrayConfig(3, 3, "ws"))
    for call in (lambda: sv.draw_step(run), lambda: sv.DataflowPlayer(run),
                 lambda: sv.plot_skew(run), lambda: sv.step_view(run)):
        with pytest.raises(ConfigError, match="record=True"):
            call()


@pytest.mark.parametrize("fold, t, match", [(2, 1, "fold 2 does not exist"),
                                            (-1, 1, "fold -1"), (0, 0, "cycle 0 does not"),
                                            (0, 10_000, "cycles 1..")])
def test_steps_and_folds_out_of_range(fold, t, match):
    run = traced(3, 3, "ws", k=6)
    with pytest.raises(ConfigError, match=match):
        sv.draw_step(run, fold, t)


def test_other_bad_inputs_are_chipkit_errors():
    run = traced(3, 3, "ws")
    with pytest.raises(ChipkitError, match="ArrayRun"):
        sv.draw_step(np.zeros((3, 3)))
    broken = array_fast.ArrayRun(run.schedule, run.product, run.c_out, run.c_valid,
                           {k: v for k, v in run.states.items() if k != "deskew"})
    with pytest.raises(ChipkitError, match="deskew"):
        sv.draw_step(broken)
    with pytest.raises(ChipkitError, match="at least one cycle"):
        sv.draw_steps(run, [])
    with pytest.raises(ChipkitError, match="x must be one of"):
        cv.plot_cycles([run], x="width")
    with pytest.raises(ChipkitError, match="no results"):
        cv.plot_utilization([])
    with pytest.raises(ChipkitError, match="fold 5"):
        cv.plot_fold_timeline(run, fold=5)


# --- the cycle plots ---------------------------------------------------------------------------

def test_cycles_plot_draws_simulated_points_over_the_closed_forms():
    runs = [array_fast.gemm(*operands(m, 6, 5), ArrayConfig(4, 4, df)) for df in ("ws", "os")
            for m in (1, 4, 9)]
    ax = cv.plot_cycles(runs, x="m").axes[0]
    lines = {ln.get_label(): ln for ln in ax.lines}
    for df in ("ws", "os"):
        cfg = ArrayConfig(4, 4, df)
        xs, ys = lines[f"{df.upper()}: closed form (ours)"].get_data()
        assert list(xs) == list(range(1, 10))
        assert list(ys) == [closed.gemm_cycles(m, 5, 6, cfg) for m in xs]
        _, ys = lines[f"{df.upper()}: SCALE-Sim 3.0 formula"].get_data()
        assert list(ys) == [closed.scalesim_cycles(m, 5, 6, cfg) for m in xs]
        xs, ys = lines[f"{df.upper()}: simulated"].get_data()
        assert list(ys) == [r.cycles for r in runs if r.schedule.cfg.dataflow == df]


def test_cycles_plot_over_array_size_labels_series_that_differ():
    runs = [array_fast.gemm(*operands(8, 8, 8), ArrayConfig(s, s, "ws")) for s in (2, 4)]
    runs += [array_fast.gemm(*operands(8, 4, 8), ArrayConfig(s, s, "ws")) for s in (2, 4)]
    labels = [ln.get_label() for ln in cv.plot_cycles(runs, x="size").axes[0].lines]
    assert "WS K=8: simulated" in labels and "WS K=4: simulated" in labels


def test_utilization_map_labels_every_cell():
    runs = [array_fast.gemm(*operands(8, 8, 8), ArrayConfig(r, c, "os")) for r in (2, 4)
            for c in (2, 4, 8)]
    fig = cv.plot_utilization(runs)
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    want = sorted(f"{closed.utilization(8, 8, 8, r.schedule.cfg, r.cycles):.0%}" for r in runs)
    assert texts == want
    with pytest.raises(ConfigError, match="exactly one"):
        cv.plot_utilization(runs + runs[:1])


def test_the_timeline_counts_busy_pes_and_rows_leaving():
    run = array_fast.gemm(*operands(3, 5, 3), ArrayConfig(3, 3, "os"))
    ax = cv.plot_fold_timeline(run, marks={"SCALE-Sim code": 9}).axes[0]
    heights = [p.get_height() for p in ax.containers[0]]
    assert heights == list(run.schedule.active()[0].sum(axis=(1, 2)))
    leaving = [ln for ln in ax.lines if ln.get_label() == "a row of C leaves"][0]
    assert list(leaving.get_xdata()) == list(np.flatnonzero(run.c_valid[0]) + 1)


def test_the_knob_tabulates_both_dataflows_and_updates():
    calls = []

    def simulate(m, n, k, cfg):
        calls.append(cfg.dataflow)
        return array_fast.gemm(*operands(m, k, n), cfg)

    knob = cv.ArrayKnob(simulate=simulate, rows=4, cols=4, m=8, n=8, k=8)
    assert "chipkit-array-knob" in knob.widget._dom_classes
    text = knob.text()
    for df in ("ws", "os"):
        cfg = ArrayConfig(4, 4, df)
        assert f"{closed.gemm_cycles(8, 8, 8, cfg):,}" in text
        assert f"{closed.scalesim_cycles(8, 8, 8, cfg):,}" in text
    before = knob.table.value
    knob.m.value = 20
    assert knob.table.value != before and "20×8 @ 8×8" in knob.table.value
    assert calls.count("ws") >= 2

    def too_big(m, n, k, cfg):
        raise ConfigError("too many cycles")

    rows = cv.cycle_table(8, 8, 8, 4, 4, too_big)
    assert all("too many cycles" in r["simulated"] for r in rows)
